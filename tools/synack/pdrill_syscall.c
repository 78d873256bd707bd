/*
 * pdrill_syscall.c - the system call lines of scripts (GRAMMAR §6) on
 * synack's socket API: socket, bind, listen, accept, connect, read/recv/
 * readv/recvfrom, write/send/writev/sendto, close, shutdown, setsockopt,
 * getsockopt, fcntl (O_NONBLOCK), ioctl (SIOCINQ) and poll. synack returns
 * negative errno values; scripts see -1 and errno, as from Linux. Script
 * descriptors map to live sockets. Calls on a blocking socket that would
 * block complete on virtual time when the stack makes them ready: an
 * S...E call stays outstanding while the script goes on; any other one
 * holds the script until it returns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pdrill.h"

enum { PD_OP_NONE, PD_OP_ACCEPT, PD_OP_CONNECT, PD_OP_READ, PD_OP_WRITE, PD_OP_POLL };

/* What a call's handler says. */
enum { CALL_DONE, CALL_BLOCK, CALL_SKIP, CALL_FAIL };

#define O_NONBLOCK_ 04000
#define SOCK_NONBLOCK_ 04000
#define MSG_PEEK_ 0x2
#define MSG_TRUNC_ 0x20
#define MSG_DONTWAIT_ 0x40
#define MSG_WAITALL_ 0x100
#define MSG_NOSIGNAL_ 0x4000
#define POLLRDNORM_ 0x40
#define POLLWRNORM_ 0x100
#define POLLNVAL_ 0x20
/* How long a call that holds the script may block (virtual time). */
#define MAX_BLOCK_NS (600ull * 1000000000ull)

struct call {
  struct pd_run *run;
  const struct pd_event *ev;
  const struct pd_syscall *c;
  struct pd_pending *k;
};

/* Arguments ----------------------------------------------------------------- */

static bool eval_int(const struct pd_expr *e, int64_t *out) {
  int64_t v = 0, x;
  switch (e->kind) {
  case PD_E_INT: *out = e->ival; return true;
  case PD_E_SYM: return pd_sym_value(e->text, out);
  case PD_E_OR:
    for (int k = 0; k < e->nitems; k++) {
      if (!eval_int(e->items[k], &x))
        return false;
      v |= x;
    }
    *out = v;
    return true;
  case PD_E_LIST:
    return e->nitems == 1 && eval_int(e->items[0], out);
  case PD_E_CALL:
    return e->nitems == 1 && !strcmp(e->text, "htons") && eval_int(e->items[0], out);
  default: return false;
  }
}

static const struct pd_expr *arg(const struct call *k, int i) {
  return i < k->c->nargs ? k->c->args[i] : NULL;
}

static int64_t int_arg(const struct call *k, int i, int64_t dflt) {
  int64_t v;
  const struct pd_expr *e = arg(k, i);
  return e && eval_int(e, &v) ? v : dflt;
}

static bool is_ellipsis(const struct pd_expr *e) {
  return e && e->kind == PD_E_ELLIPSIS;
}

/* A field of a struct argument ({fd=3, events=POLLIN}). */
static const struct pd_expr *field(const struct pd_expr *s, const char *name) {
  for (int k = 0; s && k < s->nitems; k++)
    if (s->items[k]->field && !strcmp(s->items[k]->field, name))
      return s->items[k];
  return NULL;
}

/* Total length of an iovec array [{..., 10}, {..., 20}]. */
static int64_t iov_len(const struct pd_expr *e) {
  int64_t sum = 0, v;
  for (int k = 0; e && e->kind == PD_E_LIST && k < e->nitems; k++) {
    const struct pd_expr *s = e->items[k];
    if (s->kind == PD_E_STRUCT && s->nitems == 2 && eval_int(s->items[1], &v))
      sum += v;
  }
  return sum;
}

/* Printing (for "actual:" lines) ----------------------------------------------- */

static void expr_str(const struct pd_expr *e, char *buf, size_t len) {
  if (e->field)
    pd_catf(buf, len, "%s=", e->field);
  switch (e->kind) {
  case PD_E_INT: pd_catf(buf, len, "%lld", (long long)e->ival); return;
  case PD_E_SYM: pd_catf(buf, len, "%s", e->text); return;
  case PD_E_ELLIPSIS: pd_catf(buf, len, "..."); return;
  case PD_E_STRING: pd_catf(buf, len, "\"%s\"", e->text); return;
  case PD_E_OR:
    for (int k = 0; k < e->nitems; k++) {
      if (k)
        pd_catf(buf, len, "|");
      expr_str(e->items[k], buf, len);
    }
    return;
  default: break;
  }
  const char *open = e->kind == PD_E_LIST ? "[" : e->kind == PD_E_STRUCT ? "{" : "(";
  const char *close = e->kind == PD_E_LIST ? "]" : e->kind == PD_E_STRUCT ? "}" : ")";
  if (e->kind == PD_E_CALL)
    pd_catf(buf, len, "%s", e->text);
  pd_catf(buf, len, "%s", open);
  for (int k = 0; k < e->nitems; k++) {
    if (k)
      pd_catf(buf, len, ", ");
    expr_str(e->items[k], buf, len);
  }
  pd_catf(buf, len, "%s", close);
}

static void result_str(int64_t ret, int err, char *buf, size_t len) {
  pd_catf(buf, len, " = %lld", (long long)ret);
  if (ret < 0 && err) {
    const char *name = pd_errno_name(err);
    pd_catf(buf, len, " %s (%s)", name ? name : "E?", strerror(err));
  }
}

/* The call as made, with `over` (if any) printed for argument i. */
static void call_str(const struct call *k, int over_i, const char *over, char *buf,
                     size_t len) {
  snprintf(buf, len, "%s(", k->c->name);
  for (int i = 0; i < k->c->nargs; i++) {
    if (i)
      pd_catf(buf, len, ", ");
    if (i == over_i)
      pd_catf(buf, len, "%s", over);
    else
      expr_str(k->c->args[i], buf, len);
  }
  pd_catf(buf, len, ")");
  result_str(k->k->ret, k->k->err, buf, len);
}

/* poll()'s array with the revents that came back. */
static void poll_list_str(const struct call *k, char *buf, size_t len) {
  const struct pd_expr *list = arg(k, 0);
  snprintf(buf, len, "[");
  for (int i = 0; list && i < list->nitems && i < k->k->npoll; i++) {
    const struct pd_expr *e = list->items[i];
    pd_catf(buf, len, "%s{", i ? ", " : "");
    for (int f = 0; f < e->nitems; f++) {
      if (f)
        pd_catf(buf, len, ", ");
      if (e->items[f]->field && !strcmp(e->items[f]->field, "revents"))
        pd_catf(buf, len, "revents=0x%x", k->k->poll_got[i]);
      else
        expr_str(e->items[f], buf, len);
    }
    pd_catf(buf, len, "}");
  }
  pd_catf(buf, len, "]");
}

static int call_fail(struct call *k, int over_i, const char *over, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int call_fail(struct call *k, int over_i, const char *over, const char *fmt, ...) {
  char msg[400], polled[300];
  if (over_i < 0 && !strcmp(k->c->name, "poll")) {
    poll_list_str(k, polled, sizeof polled);
    over_i = 0;
    over = polled;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct pd_run *run = k->run;
  int64_t at = k->k->done_ns ? (int64_t)(k->k->done_ns / 1000) : pd_now_us(run);
  pd_fail(run, at, "runtime error in %s call: %s", k->c->name, msg);
  snprintf(run->res->expected, sizeof run->res->expected, "%s", k->ev->src);
  call_str(k, over_i, over, run->res->actual, sizeof run->res->actual);
  return CALL_FAIL;
}

/* Results ---------------------------------------------------------------------- */

static void set_result(struct pd_pending *p, int64_t r) {
  p->ret = r < 0 ? -1 : r;
  p->err = r < 0 ? (int)-r : 0;
}

/* The live socket of a script fd argument (-1 if not open). */
static int sd_arg(const struct call *k, int i) {
  return pd_fd_live(k->run, int_arg(k, i, -1));
}

static bool blocking_fd(const struct call *k, int i) {
  bool *nb = pd_fd_nonblock(k->run, int_arg(k, i, -1));
  return !nb || !*nb;
}

/* The calls -------------------------------------------------------------------- */

static int sys_socket(struct call *k) {
  int64_t type = int_arg(k, 1, 1), proto = int_arg(k, 2, 0);
  int base = (int)(type & 0xf);
  struct sn_stack *st = k->run->net.st;
  int r;
  if (base == 1)
    r = proto == 0 || proto == 6 ? sn_socket(st, SN_SOCK_STREAM) : -EPROTONOSUPPORT;
  else if (base == 2)
    r = proto == 0 || proto == 17 ? sn_socket(st, SN_SOCK_DGRAM) : -EPROTONOSUPPORT;
  else
    r = -ESOCKTNOSUPPORT;
  k->k->flags = (type & SOCK_NONBLOCK_) != 0;
  if (r >= 0 && base == 1)
    pd_conn_new(&k->run->conns, r, k->run->cfg->bind_port);
  set_result(k->k, r);
  return CALL_DONE;
}

static int sys_bind(struct call *k) {
  struct sn_sockaddr a = {k->run->net.local_ip, k->run->cfg->bind_port};
  int sd = sd_arg(k, 0);
  int r = sn_bind(k->run->net.st, sd, &a);
  struct pd_conn *c = pd_conn_by_sd(&k->run->conns, sd);
  if (r == 0 && c)
    c->lport = a.port;
  set_result(k->k, r);
  return CALL_DONE;
}

static int sys_listen(struct call *k) {
  int sd = sd_arg(k, 0);
  int r = sn_listen(k->run->net.st, sd, (int)int_arg(k, 1, 1));
  struct pd_conn *c = pd_conn_by_sd(&k->run->conns, sd);
  struct sn_sockaddr a;
  if (r == 0 && c && sn_getsockname(k->run->net.st, sd, &a) == 0) {
    c->kind = PD_CONN_LISTEN;
    c->lport = a.port;
    c->lport_known = true;
  }
  set_result(k->k, r);
  return CALL_DONE;
}

static int try_accept(struct pd_run *run, struct pd_pending *p) {
  struct sn_sockaddr peer;
  int r = sn_accept(run->net.st, p->sd, &peer);
  if (r == -EAGAIN)
    return CALL_BLOCK;
  if (r >= 0) {
    struct pd_conn *c = pd_conn_by_rport(&run->conns, peer.port);
    if (c)
      c->live_sd = r;
  }
  set_result(p, r);
  return CALL_DONE;
}

static int sys_accept(struct call *k) {
  k->k->op = PD_OP_ACCEPT;
  k->k->sd = sd_arg(k, 0);
  if (!strcmp(k->c->name, "accept4"))
    k->k->flags = (int_arg(k, 3, 0) & SOCK_NONBLOCK_) != 0;
  int rc = try_accept(k->run, k->k);
  if (rc == CALL_BLOCK && !blocking_fd(k, 0)) {
    set_result(k->k, -EAGAIN);
    return CALL_DONE;
  }
  return rc;
}

static int try_connect(struct pd_run *run, struct pd_pending *p) {
  unsigned ev = sn_poll(run->net.st, p->sd);
  if (!(ev & (SN_POLLOUT | SN_POLLERR | SN_POLLHUP)))
    return CALL_BLOCK;
  int err = 0;
  size_t len = sizeof err;
  sn_getsockopt(run->net.st, p->sd, SN_SOL_SOCKET, SN_SO_ERROR, &err, &len);
  set_result(p, err ? -err : 0);
  return CALL_DONE;
}

static int sys_connect(struct call *k) {
  struct pd_run *run = k->run;
  int sd = sd_arg(k, 0);
  struct sn_sockaddr a = {run->net.remote_ip, run->cfg->connect_port};
  int r = sn_connect(run->net.st, sd, &a);
  struct pd_conn *c = pd_conn_by_sd(&run->conns, sd);
  if ((r == 0 || r == -EINPROGRESS) && c && c->kind != PD_CONN_ACTIVE) {
    /* An active open: the stack's port is learned from its SYN. */
    c->kind = PD_CONN_ACTIVE;
    c->rport = run->cfg->connect_port;
    c->lport_known = false;
    run->conns.cur = (int)(c - run->conns.v);
  }
  if (r == -EINPROGRESS && blocking_fd(k, 0)) {
    k->k->op = PD_OP_CONNECT;
    k->k->sd = sd;
    return try_connect(run, k->k);
  }
  set_result(k->k, r);
  return CALL_DONE;
}

static int try_read(struct pd_run *run, struct pd_pending *p) {
  void *buf = p->want ? malloc((size_t)p->want) : NULL;
  ssize_t r = sn_recv(run->net.st, p->sd, buf, (size_t)p->want, p->flags & ~MSG_DONTWAIT_);
  free(buf);
  if (r == -EAGAIN && !(p->flags & MSG_DONTWAIT_) && p->op == PD_OP_READ)
    return CALL_BLOCK;
  set_result(p, r);
  return CALL_DONE;
}

static int sys_read(struct call *k) {
  const char *n = k->c->name;
  struct pd_pending *p = k->k;
  p->sd = sd_arg(k, 0);
  p->want = !strcmp(n, "readv") ? iov_len(arg(k, 1)) : int_arg(k, 2, 0);
  p->flags = !strcmp(n, "recv") || !strcmp(n, "recvfrom") ? (int)int_arg(k, 3, 0) : 0;
  p->op = blocking_fd(k, 0) ? PD_OP_READ : PD_OP_NONE;
  return try_read(k->run, p);
}

static int try_write(struct pd_run *run, struct pd_pending *p) {
  static const uint8_t zeros[65536];
  for (;;) {
    size_t n = (size_t)(p->want - p->moved);
    if (n > sizeof zeros)
      n = sizeof zeros;
    ssize_t r = n || p->want == 0 ? sn_send(run->net.st, p->sd, zeros, n, p->flags & ~MSG_DONTWAIT_)
                                  : 0;
    if (r > 0)
      p->moved += r;
    if (r > 0 && p->moved < p->want)
      continue;
    if (r >= 0 && p->moved == p->want) {
      set_result(p, p->moved);
      return CALL_DONE;
    }
    bool would_block = r == -EAGAIN || r == 0;
    if (would_block && p->op == PD_OP_WRITE && !(p->flags & MSG_DONTWAIT_))
      return CALL_BLOCK;
    set_result(p, p->moved > 0 ? p->moved : (r < 0 ? r : -EAGAIN));
    return CALL_DONE;
  }
}

static int sys_write(struct call *k) {
  const char *n = k->c->name;
  struct pd_pending *p = k->k;
  p->sd = sd_arg(k, 0);
  p->want = !strcmp(n, "writev") ? iov_len(arg(k, 1)) : int_arg(k, 2, 0);
  p->flags = !strcmp(n, "send") || !strcmp(n, "sendto") ? (int)int_arg(k, 3, 0) : 0;
  p->flags |= MSG_NOSIGNAL_;
  p->op = blocking_fd(k, 0) ? PD_OP_WRITE : PD_OP_NONE;
  return try_write(k->run, p);
}

static int sys_close(struct call *k) {
  int64_t fd = int_arg(k, 0, -1);
  int r = sn_close(k->run->net.st, pd_fd_live(k->run, fd));
  if (r == 0)
    pd_fd_unmap(k->run, fd);
  set_result(k->k, r);
  return CALL_DONE;
}

static int sys_shutdown(struct call *k) {
  set_result(k->k, sn_shutdown(k->run->net.st, sd_arg(k, 0), (int)int_arg(k, 1, -1)));
  return CALL_DONE;
}

/* The value argument of setsockopt into buf; returns its length. */
static size_t opt_value(const struct pd_expr *e, uint8_t *buf, size_t room) {
  int64_t v;
  if (e && e->kind == PD_E_STRUCT) {
    struct sn_linger l = {0, 0};
    const struct pd_expr *on = field(e, "onoff"), *lin = field(e, "linger");
    if (on && eval_int(on, &v))
      l.l_onoff = (int)v;
    if (lin && eval_int(lin, &v))
      l.l_linger = (int)v;
    memcpy(buf, &l, sizeof l);
    return sizeof l;
  }
  if (e && e->kind == PD_E_STRING) {
    size_t n = strlen(e->text);
    n = n < room ? n : room;
    memcpy(buf, e->text, n);
    return n;
  }
  int iv = e && eval_int(e, &v) ? (int)v : 0;
  memcpy(buf, &iv, sizeof iv);
  return sizeof iv;
}

static int sys_setsockopt(struct call *k) {
  uint8_t buf[64] = {0};
  size_t n = opt_value(arg(k, 3), buf, sizeof buf);
  int64_t len = int_arg(k, 4, (int64_t)n);
  if (len < 0 || (size_t)len > sizeof buf)
    len = (int64_t)n;
  int r = sn_setsockopt(k->run->net.st, sd_arg(k, 0), (int)int_arg(k, 1, -1),
                        (int)int_arg(k, 2, -1), buf, (size_t)len);
  set_result(k->k, r);
  return CALL_DONE;
}

static int check_getsockopt(struct call *k) {
  const struct pd_expr *want = arg(k, 3), *want_len = arg(k, 4);
  struct pd_pending *p = k->k;
  int64_t wl, wv;
  char over[96] = "";
  if (p->ret < 0)
    return CALL_DONE;
  if (want_len && !is_ellipsis(want_len) && eval_int(want_len, &wl) && wl != (int64_t)p->vlen) {
    snprintf(over, sizeof over, "[%zu]", p->vlen);
    return call_fail(k, 4, over, "bad getsockopt optlen: expected %lld, actual %zu",
                     (long long)wl, p->vlen);
  }
  if (want && want->kind == PD_E_STRING) {
    if (strlen(want->text) != p->vlen || memcmp(want->text, p->bytes, p->vlen)) {
      snprintf(over, sizeof over, "\"%.*s\"", (int)p->vlen, (const char *)p->bytes);
      return call_fail(k, 3, over, "bad getsockopt value: expected \"%s\", actual %s",
                       want->text, over);
    }
  } else if (want && want->kind != PD_E_STRUCT && eval_int(want, &wv) && wv != p->val) {
    snprintf(over, sizeof over, "[%lld]", (long long)p->val);
    return call_fail(k, 3, over, "bad getsockopt value: expected %lld, actual %lld",
                     (long long)wv, (long long)p->val);
  }
  return CALL_DONE;
}

static int sys_getsockopt(struct call *k) {
  struct pd_pending *p = k->k;
  int64_t wl = int_arg(k, 4, 4);
  size_t len = wl > 0 && wl <= (int64_t)sizeof p->bytes ? (size_t)wl : sizeof(int);
  if (arg(k, 3) && arg(k, 3)->kind == PD_E_STRING)
    len = sizeof p->bytes - 1;
  int r = sn_getsockopt(k->run->net.st, sd_arg(k, 0), (int)int_arg(k, 1, -1),
                        (int)int_arg(k, 2, -1), p->bytes, &len);
  p->vlen = len;
  if (arg(k, 3) && arg(k, 3)->kind == PD_E_STRING)
    p->vlen = strnlen((const char *)p->bytes, len);
  int iv = 0;
  memcpy(&iv, p->bytes, sizeof iv);
  p->val = iv;
  set_result(p, r);
  return CALL_DONE;
}

static int sys_fcntl(struct call *k) {
  int64_t fd = int_arg(k, 0, -1), cmd = int_arg(k, 1, -1);
  bool *nb = pd_fd_nonblock(k->run, fd);
  if (!nb || pd_fd_live(k->run, fd) < 0)
    set_result(k->k, -EBADF);
  else if (cmd == 3) /* F_GETFL: O_RDWR, and O_NONBLOCK when set */
    set_result(k->k, 2 | (*nb ? O_NONBLOCK_ : 0));
  else {
    *nb = (int_arg(k, 2, 0) & O_NONBLOCK_) != 0;
    set_result(k->k, 0);
  }
  return CALL_DONE;
}

static int sys_ioctl(struct call *k) {
  struct sn_tcp_info info;
  int r = sn_tcp_info(k->run->net.st, sd_arg(k, 0), &info);
  if (r == 0 && info.tcpi_state == 1 /* LISTEN: Linux says EINVAL */)
    r = -EINVAL;
  k->k->val = r == 0 ? info.tcpi_rcv_queued : 0;
  set_result(k->k, r);
  return CALL_DONE;
}

static int check_ioctl(struct call *k) {
  int64_t want;
  char over[48];
  if (k->k->ret < 0 || !arg(k, 2) || !eval_int(arg(k, 2), &want) || want == k->k->val)
    return CALL_DONE;
  snprintf(over, sizeof over, "[%lld]", (long long)k->k->val);
  return call_fail(k, 2, over, "bad ioctl value: expected %lld, actual %lld",
                   (long long)want, (long long)k->k->val);
}

/* poll(): the events of each entry now. */
static int try_poll(struct pd_run *run, struct pd_pending *p) {
  int ready = 0;
  for (int i = 0; i < p->npoll; i++) {
    unsigned ev = p->poll_sd[i] < 0 ? POLLNVAL_ : sn_poll(run->net.st, p->poll_sd[i]);
    unsigned want = (unsigned)p->poll_events[i] | SN_POLLERR | SN_POLLHUP | POLLNVAL_;
    if ((ev & SN_POLLIN) && (p->poll_events[i] & POLLRDNORM_))
      ev |= POLLRDNORM_;
    if ((ev & SN_POLLOUT) && (p->poll_events[i] & POLLWRNORM_))
      ev |= POLLWRNORM_;
    p->poll_got[i] = ev & want;
    ready += p->poll_got[i] != 0;
  }
  if (!ready && p->op == PD_OP_POLL && run->net.now < p->until_ns)
    return CALL_BLOCK;
  set_result(p, ready);
  return CALL_DONE;
}

static int sys_poll(struct call *k) {
  const struct pd_expr *list = arg(k, 0);
  struct pd_pending *p = k->k;
  int64_t timeout = int_arg(k, 2, 0), v;
  for (int i = 0; list && list->kind == PD_E_LIST && i < list->nitems; i++) {
    const struct pd_expr *e = list->items[i], *fd = field(e, "fd"), *evs = field(e, "events");
    if (p->npoll == PD_MAX_POLLFDS)
      break;
    p->poll_sd[p->npoll] = fd && eval_int(fd, &v) ? pd_fd_live(k->run, v) : -1;
    p->poll_events[p->npoll] = evs && eval_int(evs, &v) ? v : 0;
    p->npoll++;
  }
  if (timeout != 0) {
    p->op = PD_OP_POLL;
    p->until_ns = timeout < 0 ? UINT64_MAX : k->run->net.now + (uint64_t)timeout * 1000000ull;
  }
  return try_poll(k->run, p);
}

static int check_poll(struct call *k) {
  const struct pd_expr *list = arg(k, 0);
  struct pd_pending *p = k->k;
  int64_t want, nfds = int_arg(k, 1, -1);
  int n = list && list->kind == PD_E_LIST ? list->nitems : 0;
  if (nfds != n)
    return call_fail(k, -1, NULL, "nfds is %lld but the array has %d entries",
                     (long long)nfds, n);
  for (int i = 0; list && list->kind == PD_E_LIST && i < p->npoll; i++) {
    const struct pd_expr *r = field(list->items[i], "revents");
    if (!r || !eval_int(r, &want) || want == (int64_t)p->poll_got[i])
      continue;
    return call_fail(k, -1, NULL, "bad poll revents for entry %d: expected 0x%llx, "
                     "actual 0x%x", i, (unsigned long long)want, p->poll_got[i]);
  }
  return CALL_DONE;
}

/* The table of calls -------------------------------------------------------------- */

struct sys {
  const char *name;
  int min_args;
  int (*run)(struct call *k);
  int (*check)(struct call *k); /* value checks after the result */
  bool returns_fd;
};

static const struct sys calls[] = {
    {"socket", 3, sys_socket, NULL, true},
    {"bind", 3, sys_bind, NULL, false},
    {"listen", 2, sys_listen, NULL, false},
    {"accept", 3, sys_accept, NULL, true},
    {"accept4", 4, sys_accept, NULL, true},
    {"connect", 3, sys_connect, NULL, false},
    {"read", 3, sys_read, NULL, false},
    {"recv", 4, sys_read, NULL, false},
    {"recvfrom", 6, sys_read, NULL, false},
    {"readv", 3, sys_read, NULL, false},
    {"write", 3, sys_write, NULL, false},
    {"send", 4, sys_write, NULL, false},
    {"sendto", 6, sys_write, NULL, false},
    {"writev", 3, sys_write, NULL, false},
    {"close", 1, sys_close, NULL, false},
    {"shutdown", 2, sys_shutdown, NULL, false},
    {"setsockopt", 5, sys_setsockopt, NULL, false},
    {"getsockopt", 5, sys_getsockopt, check_getsockopt, false},
    {"fcntl", 2, sys_fcntl, NULL, false},
    {"ioctl", 3, sys_ioctl, check_ioctl, false},
    {"poll", 3, sys_poll, check_poll, false},
};

static const struct sys *find_call(const char *name) {
  for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++)
    if (!strcmp(calls[k].name, name))
      return &calls[k];
  return NULL;
}

/* Checking a returned call ----------------------------------------------------------- */

static int check_errno(struct call *k) {
  int64_t want;
  if (!k->c->errno_name)
    return CALL_DONE;
  if (!pd_sym_value(k->c->errno_name, &want))
    return call_fail(k, -1, NULL, "unknown errno name %s", k->c->errno_name);
  if (want == k->k->err)
    return CALL_DONE;
  return call_fail(k, -1, NULL, "Expected errno %lld (%s) but got %d (%s)", (long long)want,
                   strerror((int)want), k->k->err, k->k->err ? strerror(k->k->err) : "Success");
}

static int check_result(struct call *k, const struct sys *s) {
  struct pd_pending *p = k->k;
  int64_t want = k->c->result;
  if (s->returns_fd && want >= 0) {
    if (p->ret < 0)
      return call_fail(k, -1, NULL, "Expected non-negative result but got %lld with errno "
                       "%d (%s)", (long long)p->ret, p->err, strerror(p->err));
    pd_fd_map(k->run, want, (int)p->ret);
    bool *nb = pd_fd_nonblock(k->run, want);
    if (nb)
      *nb = p->flags != 0;
  } else if (p->ret != want) {
    if (p->ret < 0)
      return call_fail(k, -1, NULL, "Expected result %lld but got %lld with errno %d (%s)",
                       (long long)want, (long long)p->ret, p->err, strerror(p->err));
    return call_fail(k, -1, NULL, "Expected result %lld but got %lld", (long long)want,
                     (long long)p->ret);
  }
  if (check_errno(k) != CALL_DONE)
    return CALL_FAIL;
  return s->check ? s->check(k) : CALL_DONE;
}

static int retry(struct pd_run *run, struct pd_pending *p) {
  switch (p->op) {
  case PD_OP_ACCEPT: return try_accept(run, p);
  case PD_OP_CONNECT: return try_connect(run, p);
  case PD_OP_READ: return try_read(run, p);
  case PD_OP_WRITE: return try_write(run, p);
  case PD_OP_POLL: return try_poll(run, p);
  default: return CALL_DONE;
  }
}

/* A call on a blocking socket that holds the script until it returns. */
static int block_here(struct pd_run *run, struct call *k) {
  uint64_t cap = run->net.now + MAX_BLOCK_NS;
  for (;;) {
    uint64_t limit = k->k->op == PD_OP_POLL && k->k->until_ns < cap ? k->k->until_ns : cap;
    pd_net_step(&run->net, limit);
    if (retry(run, k->k) == CALL_DONE)
      return CALL_DONE;
    if (run->net.now >= cap) {
      pd_fail(run, pd_now_us(run), "runtime error in %s call: it blocked for %llu s of "
              "virtual time without returning", k->c->name, MAX_BLOCK_NS / 1000000000ull);
      snprintf(run->res->expected, sizeof run->res->expected, "%s", k->ev->src);
      return CALL_FAIL;
    }
  }
}

static int time_check(struct pd_run *run, const struct pd_pending *p) {
  int64_t done = (int64_t)(p->done_ns / 1000);
  int64_t tol = run->cfg->tolerance_usecs;
  int64_t pct = (int64_t)(run->cfg->tolerance_percent / 100.0 * (double)(p->end_us - p->start_us));
  if (pct > tol)
    tol = pct;
  if (done >= p->end_us - tol && done <= p->end_us + tol)
    return 0;
  pd_fail(run, done, "timing error: expected system call return at %.6f s but it returned "
          "at %.6f s (tolerance %.6f s)", (double)p->end_us / 1e6, (double)done / 1e6,
          (double)tol / 1e6);
  snprintf(run->res->expected, sizeof run->res->expected, "%s", p->ev->src);
  return -1;
}

int pd_syscall_check_done(struct pd_run *run) {
  struct pd_pending *p = &run->pend;
  if (!p->active || !p->done)
    return 0;
  p->active = false;
  const struct pd_event *saved = run->ev;
  run->ev = p->ev;
  struct call k = {run, p->ev, &p->ev->call, p};
  int rc = check_result(&k, find_call(p->ev->call.name)) == CALL_DONE ? time_check(run, p) : -1;
  run->ev = saved;
  return rc;
}

void pd_syscall_poll(struct pd_run *run) {
  struct pd_pending *p = &run->pend;
  if (p->active && !p->done && retry(run, p) == CALL_DONE) {
    p->done = true;
    p->done_ns = run->net.now;
    run->net.wake_ns = SN_TIME_NEVER;
  }
}

int pd_syscall_run(struct pd_run *run, const struct pd_event *ev, int64_t sched_us,
                   int64_t end_us) {
  const struct sys *s = find_call(ev->call.name);
  struct pd_pending p;
  memset(&p, 0, sizeof p);
  p.ev = ev;
  p.start_us = sched_us;
  p.end_us = end_us;
  struct call k = {run, ev, &ev->call, &p};
  int rc = s->run(&k);
  pd_net_settle(&run->net);
  if (rc == CALL_BLOCK && ev->time.blocking) {
    p.active = true;
    run->pend = p;
    if (p.op == PD_OP_POLL)
      run->net.wake_ns = p.until_ns;
    return 0;
  }
  if (rc == CALL_BLOCK)
    rc = block_here(run, &k);
  if (rc == CALL_FAIL)
    return -1;
  if (ev->time.blocking) {
    p.active = p.done = true;
    p.done_ns = run->net.now;
    run->pend = p;
    return pd_syscall_check_done(run);
  }
  return check_result(&k, s) == CALL_DONE ? 0 : -1;
}

/* The static check ------------------------------------------------------------------ */

/* Every constant name must be known. */
static const char *unknown_symbol(const struct pd_expr *e) {
  int64_t v;
  if (e->kind == PD_E_SYM && !pd_sym_value(e->text, &v))
    return e->text;
  for (int k = 0; k < e->nitems; k++) {
    const char *u = unknown_symbol(e->items[k]);
    if (u)
      return u;
  }
  return NULL;
}

static int check_sockopt(const struct pd_syscall *c, char *why, size_t len) {
  int64_t level, name;
  char b[64];
  if (!eval_int(c->args[1], &level) || !eval_int(c->args[2], &name)) {
    snprintf(why, len, "%s with a non-constant level or name", c->name);
    return 1;
  }
  if (!pd_sockopt_supported(level, name)) {
    snprintf(why, len, "%s %s: synack does not implement this option", c->name,
             pd_sockopt_name(level, name, b, sizeof b));
    return 1;
  }
  return 0;
}

static int check_flags(const struct pd_syscall *c, int i, int64_t allowed, char *why,
                       size_t len) {
  int64_t v;
  if (c->nargs <= i || is_ellipsis(c->args[i]))
    return 0;
  if (!eval_int(c->args[i], &v) || (v & ~allowed)) {
    snprintf(why, len, "%s flags 0x%llx: not supported by synack", c->name,
             (unsigned long long)v);
    return 1;
  }
  return 0;
}

static int check_specific(const struct pd_syscall *c, char *why, size_t len) {
  const char *n = c->name;
  int64_t v;
  if (!strcmp(n, "socket") && eval_int(c->args[0], &v) && v != 2) {
    snprintf(why, len, "socket() in address family %lld: synack has IPv4 only", (long long)v);
    return 1;
  }
  if (!strcmp(n, "connect") && c->args[1]->kind == PD_E_SYM &&
      !strcmp(c->args[1]->text, "AF_UNSPEC")) {
    snprintf(why, len, "connect(AF_UNSPEC) to disconnect is not supported by synack");
    return 1;
  }
  if (!strcmp(n, "setsockopt") || !strcmp(n, "getsockopt"))
    return check_sockopt(c, why, len);
  if (!strcmp(n, "fcntl") && (!eval_int(c->args[1], &v) || (v != 3 && v != 4))) {
    snprintf(why, len, "fcntl: only F_GETFL and F_SETFL are supported");
    return 1;
  }
  if (!strcmp(n, "fcntl") && v == 4)
    return check_flags(c, 2, 2 | O_NONBLOCK_, why, len);
  if (!strcmp(n, "ioctl") && (!eval_int(c->args[1], &v) || v != 0x541B)) {
    snprintf(why, len, "ioctl: only SIOCINQ/FIONREAD is supported");
    return 1;
  }
  if (!strcmp(n, "send") || !strcmp(n, "sendto"))
    return check_flags(c, 3, MSG_DONTWAIT_ | MSG_NOSIGNAL_, why, len);
  if (!strcmp(n, "recv") || !strcmp(n, "recvfrom"))
    return check_flags(c, 3, MSG_DONTWAIT_ | MSG_PEEK_ | MSG_TRUNC_ | MSG_WAITALL_, why, len);
  return 0;
}

int pd_syscall_supported(const struct pd_syscall *c, char *why, size_t len) {
  const struct sys *s = find_call(c->name);
  if (!s) {
    snprintf(why, len, "system call %s() is not supported by this interpreter", c->name);
    return 1;
  }
  if (c->nargs < s->min_args) {
    snprintf(why, len, "%s() with %d arguments: expected %d", c->name, c->nargs, s->min_args);
    return 1;
  }
  for (int k = 0; k < c->nargs; k++) {
    const char *u = unknown_symbol(c->args[k]);
    if (u) {
      snprintf(why, len, "%s(): unknown symbol %s", c->name, u);
      return 1;
    }
  }
  if (c->errno_name) {
    int64_t v;
    if (!pd_sym_value(c->errno_name, &v)) {
      snprintf(why, len, "%s(): unknown errno name %s", c->name, c->errno_name);
      return 1;
    }
  }
  return check_specific(c, why, len);
}
