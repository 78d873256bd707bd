/*
 * socket.c - the BSD-style socket API: descriptors, bind/connect, options,
 * readiness, and the datagram calls. Stream calls are dispatched to the
 * TCP engine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/sock.h"
#include "base/util.h"
#include "net/stack.h"
#include "net/udp.h"
#include "net/wire.h"
#include "synack/socket.h"
#include "tcp/tcp_impl.h"
#include "tcp/tcp_usr.h"

#define SN_MAX_SOCKETS (1 << 24)

struct sn_sock *sn_sock_get(struct sn_stack *st, int sd) {
  if (sd < 0 || sd >= st->nsocks)
    return NULL;
  return st->socks[sd];
}

static struct sn_portmap *ports_of(struct sn_sock *s) {
  return s->proto == SN_IPPROTO_TCP ? &s->st->tcp_ports : &s->st->udp_ports;
}

unsigned sn_poll(struct sn_stack *st, int sd) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return 0;
  if (s->type == SN_SOCK_STREAM)
    return sn_tcp_usr_poll(s);
  unsigned ev = 0;
  if (s->so_error)
    ev |= SN_POLLERR;
  if (s->type == SN_SOCK_DGRAM) {
    if (s->rxq_head || s->so_error)
      ev |= SN_POLLIN;
    ev |= SN_POLLOUT;
  }
  return ev;
}

void sn_sock_wake(struct sn_sock *s) {
  if (!s->event_fn || s->wake_pending)
    return;
  s->wake_pending = true;
  s->wake_next = NULL;
  struct sn_stack *st = s->st;
  if (st->wake_tail)
    st->wake_tail->wake_next = s;
  else
    st->wake_head = s;
  st->wake_tail = s;
}

void sn_sock_flush_events(struct sn_stack *st) {
  if (st->flushing)
    return; /* a callback's own calls: the outer loop picks them up */
  st->flushing = true;
  while (st->wake_head) {
    struct sn_sock *s = st->wake_head;
    st->wake_head = s->wake_next;
    if (!st->wake_head)
      st->wake_tail = NULL;
    s->wake_pending = false;
    int sd = s->sd;
    if (s->event_fn)
      s->event_fn(s->event_ctx, sd, sn_poll(st, sd));
  }
  st->flushing = false;
}

static void unlink_wake(struct sn_stack *st, struct sn_sock *s) {
  if (!s->wake_pending)
    return;
  struct sn_sock **pp = &st->wake_head, *prev = NULL;
  while (*pp && *pp != s) {
    prev = *pp;
    pp = &(*pp)->wake_next;
  }
  if (*pp) {
    *pp = s->wake_next;
    if (st->wake_tail == s)
      st->wake_tail = prev;
  }
  s->wake_pending = false;
}

void sn_sock_set_error(struct sn_sock *s, int err) {
  s->so_error = err;
  sn_sock_wake(s);
}

struct sn_sock *sn_sock_new(struct sn_stack *st, enum sn_sock_type type) {
  /* The lowest free descriptor, as POSIX hands them out; every slot below
   * sd_hint is in use, so the search starts there. */
  int sd = st->sd_hint;
  while (sd < st->nsocks && st->socks[sd])
    sd++;
  if (sd == st->nsocks) {
    if (st->nsocks >= SN_MAX_SOCKETS)
      return NULL;
    int n = st->nsocks ? st->nsocks * 2 : 16;
    struct sn_sock **t = realloc(st->socks, (size_t)n * sizeof *t);
    if (!t)
      return NULL;
    memset(t + st->nsocks, 0, (size_t)(n - st->nsocks) * sizeof *t);
    st->socks = t;
    st->nsocks = n;
  }
  struct sn_sock *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->st = st;
  s->sd = sd;
  s->type = type;
  s->proto = type == SN_SOCK_STREAM ? SN_IPPROTO_TCP : SN_IPPROTO_UDP;
  if (type == SN_SOCK_STREAM) {
    s->rcvbuf = (uint32_t)st->cfg.tcp_rmem[1];
    s->sndbuf = (uint32_t)st->cfg.tcp_wmem[1];
  } else {
    s->rcvbuf = (uint32_t)st->cfg.rmem_default;
    s->sndbuf = (uint32_t)st->cfg.wmem_default;
  }
  st->socks[sd] = s;
  st->sd_hint = sd + 1;
  return s;
}

int sn_socket(struct sn_stack *st, enum sn_sock_type type) {
  if (type != SN_SOCK_STREAM && type != SN_SOCK_DGRAM)
    return -EINVAL;
  struct sn_sock *s = sn_sock_new(st, type);
  if (!s)
    return st->nsocks >= SN_MAX_SOCKETS ? -EMFILE : -ENOMEM;
  SN_TRACE(st, app, "socket", SN_TF_I("sd", s->sd),
           SN_TF_S("type", type == SN_SOCK_STREAM ? "stream" : "dgram"));
  return s->sd;
}

static void free_sock(struct sn_stack *st, struct sn_sock *s) {
  if (s->type == SN_SOCK_STREAM)
    sn_tcp_usr_close(s);
  unlink_wake(st, s);
  if (s->bound)
    sn_ports_remove(ports_of(s), s);
  sn_pbuf_free_chain(&st->pool, s->rxq_head);
  st->socks[s->sd] = NULL;
  if (s->sd < st->sd_hint)
    st->sd_hint = s->sd;
  free(s);
}

void sn_sock_destroy_all(struct sn_stack *st) {
  for (int i = 0; i < st->nsocks; i++)
    if (st->socks[i])
      free_sock(st, st->socks[i]);
  free(st->socks);
  st->socks = NULL;
  st->nsocks = 0;
}

int sn_close(struct sn_stack *st, int sd) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  SN_TRACE(st, app, "close", SN_TF_I("sd", sd));
  free_sock(st, s);
  sn_tcp_reap(st);
  return 0;
}

/* Bind s to (addr, port); port 0 picks an ephemeral port. */
static int do_bind(struct sn_sock *s, uint32_t addr, uint16_t port) {
  struct sn_stack *st = s->st;
  if (s->bound)
    return -EINVAL;
  if (addr != 0 && !sn_is_local_addr(st, addr))
    return -EADDRNOTAVAIL;
  struct sn_portmap *m = ports_of(s);
  if (port == 0) {
    port = sn_ports_ephemeral(st, m);
    if (port == 0)
      return -EADDRINUSE;
  } else if (sn_ports_conflict(m, s, addr, port)) {
    return -EADDRINUSE;
  }
  s->laddr = addr;
  s->lport = port;
  s->bound = true;
  sn_ports_insert(m, s);
  return 0;
}

int sn_bind(struct sn_stack *st, int sd, const struct sn_sockaddr *addr) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  if (!addr)
    return -EINVAL;
  int err = do_bind(s, addr->addr, addr->port);
  SN_TRACE(st, app, "bind", SN_TF_I("sd", sd), SN_TF_IP("addr", addr->addr),
           SN_TF_U("port", s->lport), SN_TF_I("ret", err));
  return err;
}

int sn_getsockname(struct sn_stack *st, int sd, struct sn_sockaddr *out) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  out->addr = s->laddr;
  out->port = s->lport;
  return 0;
}

int sn_getpeername(struct sn_stack *st, int sd, struct sn_sockaddr *out) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  if (!s->connected)
    return -ENOTCONN;
  out->addr = s->raddr;
  out->port = s->rport;
  return 0;
}

int sn_connect(struct sn_stack *st, int sd, const struct sn_sockaddr *addr) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  if (!addr)
    return -EINVAL;
  if (s->type == SN_SOCK_STREAM) {
    int r = sn_tcp_usr_connect(s, addr->addr, addr->port);
    sn_tcp_reap(st);
    return r;
  }
  if (addr->addr == 0 && addr->port == 0) { /* dissolve the association */
    s->connected = false;
    s->raddr = 0;
    s->rport = 0;
    return 0;
  }
  if (addr->port == 0)
    return -EINVAL;
  struct sn_route_result rt;
  if (sn_route_lookup(st, addr->addr, &rt) != 0)
    return -ENETUNREACH;
  if (!s->bound) {
    int err = do_bind(s, 0, 0);
    if (err)
      return err;
  }
  s->raddr = addr->addr;
  s->rport = addr->port;
  s->connected = true;
  SN_TRACE(st, app, "connect", SN_TF_I("sd", sd), SN_TF_IP("addr", addr->addr),
           SN_TF_U("port", addr->port));
  return 0;
}

ssize_t sn_sendto(struct sn_stack *st, int sd, const void *buf, size_t len,
                  int flags, const struct sn_sockaddr *dst) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  if (s->type == SN_SOCK_STREAM)
    return sn_tcp_usr_send(s, buf, len, flags);
  if (flags != 0)
    return -EINVAL;
  if (!buf && len)
    return -EFAULT;
  if (s->so_error) {
    int err = s->so_error;
    s->so_error = 0;
    return -err;
  }
  uint32_t daddr;
  uint16_t dport;
  if (dst) {
    daddr = dst->addr;
    dport = dst->port;
    if (dport == 0)
      return -EINVAL;
  } else if (s->connected) {
    daddr = s->raddr;
    dport = s->rport;
  } else {
    return -EDESTADDRREQ;
  }
  if (!s->bound) {
    int err = do_bind(s, 0, 0);
    if (err)
      return err;
  }
  return sn_udp_output(st, s, daddr, dport, buf, len);
}

ssize_t sn_send(struct sn_stack *st, int sd, const void *buf, size_t len,
                int flags) {
  return sn_sendto(st, sd, buf, len, flags, NULL);
}

ssize_t sn_recvfrom(struct sn_stack *st, int sd, void *buf, size_t len,
                    int flags, struct sn_sockaddr *src) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  if (s->type == SN_SOCK_STREAM) {
    if (src && s->tcb) {
      src->addr = s->raddr;
      src->port = s->rport;
    }
    return sn_tcp_usr_recv(s, buf, len, flags);
  }
  if (flags & ~(SN_MSG_PEEK | SN_MSG_TRUNC))
    return -EINVAL;
  if (s->so_error) {
    int err = s->so_error;
    s->so_error = 0;
    return -err;
  }
  struct sn_pbuf *p = s->rxq_head;
  if (!p)
    return -EAGAIN;
  size_t n = SN_MIN(len, (size_t)p->len);
  if (n)
    memcpy(buf, p->data, n);
  if (src) {
    src->addr = (uint32_t)(p->meta >> 16);
    src->port = (uint16_t)p->meta;
  }
  ssize_t ret = (flags & SN_MSG_TRUNC) ? (ssize_t)p->len : (ssize_t)n;
  if (!(flags & SN_MSG_PEEK)) {
    s->rxq_head = p->next;
    if (!s->rxq_head)
      s->rxq_tail = NULL;
    s->rxq_bytes -= (uint32_t)(p->cap + sizeof *p);
    sn_pbuf_free(&st->pool, p);
  }
  return ret;
}

ssize_t sn_recv(struct sn_stack *st, int sd, void *buf, size_t len,
                int flags) {
  return sn_recvfrom(st, sd, buf, len, flags, NULL);
}

/* Options ----------------------------------------------------------------- */

int sn_sockopt_int(const void *val, size_t len, int *out) {
  if (!val || len < sizeof(int))
    return -EINVAL;
  memcpy(out, val, sizeof(int));
  return 0;
}

uint32_t sn_sockopt_bufsize(int v, int64_t max, uint32_t floor) {
  int64_t x = v < 0 ? 0 : v;
  if (x > max)
    x = max;
  x *= 2;
  return (uint32_t)(x < floor ? floor : x);
}

int sn_setsockopt(struct sn_stack *st, int sd, int level, int name,
                  const void *val, size_t len) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  bool common = level == SN_SOL_SOCKET &&
                (name == SN_SO_REUSEADDR || name == SN_SO_REUSEPORT);
  if (s->type == SN_SOCK_STREAM && !common) {
    int r = sn_tcp_usr_setsockopt(s, level, name, val, len);
    sn_tcp_reap(st);
    return r;
  }
  if (level != SN_SOL_SOCKET)
    return -ENOPROTOOPT;
  int v;
  int err = sn_sockopt_int(val, len, &v);
  if (err)
    return err;
  switch (name) {
  case SN_SO_REUSEADDR:
    s->reuseaddr = v != 0;
    return 0;
  case SN_SO_REUSEPORT:
    s->reuseport = v != 0;
    return 0;
  case SN_SO_NO_CHECK:
    s->no_check = v != 0;
    return 0;
  case SN_SO_RCVBUF:
    s->rcvbuf = sn_sockopt_bufsize(v, st->cfg.rmem_max, 2304);
    return 0;
  case SN_SO_SNDBUF:
    s->sndbuf = sn_sockopt_bufsize(v, st->cfg.wmem_max, 4608);
    return 0;
  default:
    return -ENOPROTOOPT;
  }
}

int sn_getsockopt(struct sn_stack *st, int sd, int level, int name, void *val,
                  size_t *len) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  if (!val || !len || *len < sizeof(int))
    return -EINVAL;
  if (s->type == SN_SOCK_STREAM && (level != SN_SOL_SOCKET ||
      name == SN_SO_KEEPALIVE || name == SN_SO_LINGER || name == SN_SO_ERROR))
    return sn_tcp_usr_getsockopt(s, level, name, val, len);
  if (level != SN_SOL_SOCKET)
    return -ENOPROTOOPT;
  int v;
  switch (name) {
  case SN_SO_REUSEADDR: v = s->reuseaddr; break;
  case SN_SO_REUSEPORT: v = s->reuseport; break;
  case SN_SO_NO_CHECK: v = s->no_check; break;
  case SN_SO_RCVBUF: v = (int)s->rcvbuf; break;
  case SN_SO_SNDBUF: v = (int)s->sndbuf; break;
  case SN_SO_TYPE: v = (int)s->type; break;
  case SN_SO_ERROR:
    v = s->so_error;
    s->so_error = 0;
    break;
  default:
    return -ENOPROTOOPT;
  }
  memcpy(val, &v, sizeof v);
  *len = sizeof v;
  return 0;
}

int sn_listen(struct sn_stack *st, int sd, int backlog) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  if (s->type != SN_SOCK_STREAM)
    return -EOPNOTSUPP;
  return sn_tcp_usr_listen(s, backlog);
}

int sn_accept(struct sn_stack *st, int sd, struct sn_sockaddr *peer) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  if (s->type != SN_SOCK_STREAM)
    return -EOPNOTSUPP;
  return sn_tcp_usr_accept(s, peer);
}

int sn_shutdown(struct sn_stack *st, int sd, int how) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  if (s->type != SN_SOCK_STREAM)
    return -EOPNOTSUPP;
  return sn_tcp_usr_shutdown(s, how);
}

int sn_tcp_info(struct sn_stack *st, int sd, struct sn_tcp_info *info) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  if (s->type != SN_SOCK_STREAM)
    return -EOPNOTSUPP;
  if (!info)
    return -EINVAL;
  return sn_tcp_usr_info(s, info);
}

int sn_set_event_cb(struct sn_stack *st, int sd, sn_event_fn fn, void *ctx) {
  struct sn_sock *s = sn_sock_get(st, sd);
  if (!s)
    return -EBADF;
  s->event_fn = fn;
  s->event_ctx = ctx;
  return 0;
}

const char *sn_strerror(int err) {
  if (err < 0)
    err = -err;
  switch (err) {
  case 0: return "success";
  case EBADF: return "bad socket descriptor";
  case EINVAL: return "invalid argument";
  case EAGAIN: return "operation would block";
  case EADDRINUSE: return "address already in use";
  case EADDRNOTAVAIL: return "address not available on this stack";
  case ECONNREFUSED: return "connection refused";
  case ECONNRESET: return "connection reset by peer";
  case ETIMEDOUT: return "connection timed out";
  case ENOTCONN: return "socket is not connected";
  case EISCONN: return "socket is already connected";
  case EDESTADDRREQ: return "destination address required";
  case EMSGSIZE: return "message too long";
  case ENETUNREACH: return "network is unreachable";
  case EHOSTUNREACH: return "no route to host";
  case ENOBUFS: return "no buffer space available";
  case ENOMEM: return "out of memory";
  case EMFILE: return "too many sockets";
  case ENOPROTOOPT: return "protocol option not available";
  case EOPNOTSUPP: return "operation not supported on this socket";
  case EPIPE: return "broken pipe";
  case ENOTSOCK: return "not a socket";
  case EINPROGRESS: return "operation in progress";
  case EALREADY: return "operation already in progress";
  case ENODEV: return "no such interface";
  case EEXIST: return "already exists";
  case ENOSPC: return "no space left";
  case ENOENT: return "not found";
  case ERANGE: return "value out of range";
  case EFAULT: return "bad address";
  default: return "unknown error";
  }
}
