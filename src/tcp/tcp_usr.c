/*
 * tcp_usr.c - the socket calls on stream sockets (RFC 9293 §3.10.1-§3.10.6:
 * OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS, with Linux's semantics where
 * the RFC leaves room).
 */
#include "tcp/tcp_usr.h"

#include <errno.h>
#include <string.h>

#include "api/sock.h"
#include "base/rng.h"
#include "base/util.h"
#include "net/stack.h"
#include "net/wire.h"
#include "tcp/tcp_impl.h"

#define SN_MSG_DONTWAIT 0x40
#define SN_MSG_WAITALL 0x100
#define SN_MSG_NOSIGNAL 0x4000

const char *sn_tcp_state_str(int state) { return sn_tcp_state_name(state); }

/* A fresh TCB for this socket, with the socket's options carried over. */
static struct sn_tcb *attach(struct sn_sock *s) {
  struct sn_tcb *tcb = s->tcb;
  if (tcb)
    return tcb;
  tcb = sn_tcb_new(s->st);
  if (!tcb)
    return NULL;
  tcb->sock = s;
  s->tcb = tcb;
  return tcb;
}

static void setup_options(struct sn_tcb *tcb) {
  const struct sn_config *c = &tcb->st->cfg;
  sn_tcb_init(tcb);
  tcb->ts_ok = c->tcp_timestamps != 0;
  tcb->sack_ok = c->tcp_sack != 0;
  tcb->ws_ok = c->tcp_window_scaling != 0;
  tcb->rcv_wscale = tcb->ws_ok ? sn_tcp_pick_wscale(tcb) : 0;
}

/* connect() needs its 4-tuple free; tcp_tw_reuse may free it from
 * TIME-WAIT (a record, or the TCB of a socket still open). */
static int take_tuple(struct sn_stack *st, uint32_t laddr, uint16_t lport,
                      uint32_t raddr, uint16_t rport) {
  uint32_t rec = sn_tw_lookup(st, laddr, lport, raddr, rport);
  if (rec)
    return sn_tw_reuse(st, rec) ? 0 : -EADDRNOTAVAIL;
  struct sn_tcb *old = sn_tcb_lookup(st, laddr, lport, raddr, rport);
  if (!old)
    return 0;
  if (old->state != SN_TCP_TIME_WAIT ||
      !sn_tw_may_reuse(st, old->ts_ok,
                       (uint32_t)(old->ts_recent_ns / SN_NSEC_PER_SEC), raddr))
    return -EADDRNOTAVAIL;
  sn_count(st, SN_CTR_SnTcpTimeWaitReuse);
  sn_tcp_done(old, 0, "TIME-WAIT reused by a new connection (tcp_tw_reuse)");
  return 0;
}

int sn_tcp_usr_connect(struct sn_sock *s, uint32_t addr, uint16_t port) {
  struct sn_stack *st = s->st;
  struct sn_tcb *tcb = s->tcb;
  if (tcb) {
    switch (tcb->state) {
    case SN_TCP_SYN_SENT:
    case SN_TCP_SYN_RECEIVED:
      return -EALREADY;
    case SN_TCP_LISTEN:
      return -EINVAL;
    case SN_TCP_CLOSED:
      if (!tcb->opened)
        break; /* made by setsockopt() before connect(): use it */
      if (tcb->error) {
        int err = tcb->error;
        tcb->error = 0;
        s->so_error = 0;
        return -err;
      }
      /* The last attempt or connection is over: start afresh, keeping
       * the options, as Linux allows on a closed socket. */
      {
        struct sn_tcb *fresh = sn_tcb_new(s->st);
        if (!fresh)
          return -ENOMEM;
        sn_tcb_inherit(fresh, tcb);
        fresh->sock = s;
        s->tcb = fresh;
        tcb->sock = NULL;
        sn_tcb_release(tcb);
        tcb = fresh;
      }
      break;
    default:
      return -EISCONN;
    }
  }
  if (port == 0 || addr == 0)
    return -EINVAL;
  struct sn_route_result rt;
  if (sn_route_lookup(st, addr, &rt) != 0)
    return -ENETUNREACH;
  uint32_t laddr = s->laddr ? s->laddr : rt.src;
  if (!s->bound) {
    /* An ephemeral port whose 4-tuple is free. */
    for (int tries = 0; tries < 64; tries++) {
      uint16_t p = sn_ports_ephemeral(st, &st->tcp_ports);
      if (!p)
        return -EADDRNOTAVAIL;
      if (!sn_tcb_lookup(st, laddr, p, addr, port) &&
          !sn_tw_lookup(st, laddr, p, addr, port)) {
        s->lport = p;
        break;
      }
    }
    if (!s->lport)
      return -EADDRNOTAVAIL;
    s->bound = true;
    sn_ports_insert(&st->tcp_ports, s);
  }
  int err = take_tuple(st, laddr, s->lport, addr, port);
  if (err)
    return err;
  tcb = attach(s);
  if (!tcb)
    return -ENOMEM;
  s->raddr = addr;
  s->rport = port;
  tcb->laddr = laddr;
  tcb->lport = s->lport;
  tcb->raddr = addr;
  tcb->rport = port;
  setup_options(tcb);
  tcb->adv_mss = sn_tcp_adv_mss(st, addr, tcb->user_mss);
  tcb->peer_mss = tcb->adv_mss;
  tcb->iss = sn_tcp_isn(st, laddr, tcb->lport, addr, port);
  tcb->snd_una = tcb->snd_nxt = tcb->snd_max = tcb->iss;
  tcb->snd_buf_seq = tcb->iss + 1;
  uint8_t m[8];
  memcpy(m, &laddr, 4);
  memcpy(m + 4, &addr, 4);
  tcb->ts_offset = (uint32_t)sn_siphash24(st->secret, m, sizeof m) ^ 0x5a5a5a5a;
  sn_tcb_hash_insert(tcb);
  SN_TRACE(st, app, "connect", SN_TF_I("sd", s->sd), SN_TF_IP("addr", addr),
           SN_TF_U("port", port));
  tcb->ecn_want = st->cfg.tcp_ecn == 1;
  sn_tcp_set_state(tcb, SN_TCP_SYN_SENT, "connect(): SYN sent");
  tcb->rtt_start = st->now;
  sn_tcp_send_syn(tcb, "SYN: first segment of the handshake (connect)");
  tcb->first_retrans_ns = st->now; /* the SYN time limit runs from here */
  sn_tcp_rto_arm(tcb);
  return -EINPROGRESS;
}

int sn_tcp_usr_listen(struct sn_sock *s, int backlog) {
  struct sn_stack *st = s->st;
  if (s->tcb && s->tcb->state != SN_TCP_LISTEN && s->tcb->state != SN_TCP_CLOSED)
    return -EINVAL;
  if (!s->bound) {
    uint16_t p = sn_ports_ephemeral(st, &st->tcp_ports);
    if (!p)
      return -EADDRINUSE;
    s->lport = p;
    s->bound = true;
    sn_ports_insert(&st->tcp_ports, s);
  }
  /* No other listener on the same address and port, SO_REUSEADDR or not
   * (only SO_REUSEPORT shares a listening port). */
  for (struct sn_sock *o = sn_ports_first(&st->tcp_ports, s->lport); o;
       o = o->port_next)
    if (o != s && o->lport == s->lport && o->tcb &&
        o->tcb->state == SN_TCP_LISTEN &&
        (o->laddr == s->laddr || !o->laddr || !s->laddr) &&
        !(o->reuseport && s->reuseport))
      return -EADDRINUSE;
  struct sn_tcb *tcb = attach(s);
  if (!tcb)
    return -ENOMEM;
  if (backlog < 0 || backlog > st->cfg.somaxconn)
    backlog = (int)st->cfg.somaxconn;
  tcb->lq.backlog = (uint32_t)backlog;
  if (tcb->state == SN_TCP_LISTEN)
    return 0; /* listen() again just changes the backlog */
  tcb->laddr = s->laddr;
  tcb->lport = s->lport;
  setup_options(tcb);
  SN_TRACE(st, app, "listen", SN_TF_I("sd", s->sd), SN_TF_U("port", s->lport),
           SN_TF_I("backlog", backlog));
  sn_tcp_set_state(tcb, SN_TCP_LISTEN, "listen()");
  return 0;
}

int sn_tcp_usr_accept(struct sn_sock *s, struct sn_sockaddr *peer) {
  struct sn_stack *st = s->st;
  struct sn_tcb *lis = s->tcb;
  if (!lis || lis->state != SN_TCP_LISTEN)
    return -EINVAL;
  struct sn_tcb *c = lis->lq.acc_head;
  if (!c)
    return -EAGAIN;
  struct sn_sock *ns = sn_sock_new(st, SN_SOCK_STREAM);
  if (!ns)
    return -ENOMEM;
  sn_tcp_child_unlink(c);
  ns->tcb = c;
  c->sock = ns;
  ns->laddr = c->laddr;
  ns->lport = c->lport;
  ns->raddr = c->raddr;
  ns->rport = c->rport;
  ns->connected = true;
  ns->rcvbuf = s->rcvbuf;
  ns->sndbuf = s->sndbuf;
  if (peer) {
    peer->addr = c->raddr;
    peer->port = c->rport;
  }
  SN_TRACE(st, app, "accept", SN_TF_I("sd", s->sd), SN_TF_I("new", ns->sd),
           SN_TF_U("conn", c->id), SN_TF_IP("peer", c->raddr),
           SN_TF_U("port", c->rport));
  return ns->sd;
}

static bool can_write(const struct sn_tcb *tcb) {
  return tcb->state == SN_TCP_ESTABLISHED || tcb->state == SN_TCP_CLOSE_WAIT;
}

ssize_t sn_tcp_usr_send(struct sn_sock *s, const void *buf, size_t len,
                        int flags) {
  struct sn_tcb *tcb = s->tcb;
  if (flags & ~(SN_MSG_DONTWAIT | SN_MSG_NOSIGNAL))
    return -EINVAL;
  if (!tcb || tcb->state == SN_TCP_LISTEN)
    return -ENOTCONN;
  if (tcb->error) {
    int err = tcb->error;
    tcb->error = 0;
    s->so_error = 0;
    return -err;
  }
  if (tcb->fin_queued || tcb->state == SN_TCP_CLOSED)
    return -EPIPE;
  if (!can_write(tcb))
    return tcb->state == SN_TCP_SYN_SENT || tcb->state == SN_TCP_SYN_RECEIVED
               ? -EAGAIN
               : -EPIPE;
  if (!buf && len)
    return -EFAULT;
  uint32_t room = tcb->sndbuf_limit > tcb->sndbuf.len
                      ? tcb->sndbuf_limit - tcb->sndbuf.len
                      : 0;
  uint32_t n = (uint32_t)SN_MIN((size_t)room, len);
  if (n == 0)
    return len ? -EAGAIN : 0;
  if (sn_ring_reserve(&tcb->sndbuf, tcb->sndbuf.len + n) != 0)
    return -ENOBUFS;
  sn_ring_append(&tcb->sndbuf, buf, n);
  SN_TRACE(s->st, app, "send", SN_TF_I("sd", s->sd), SN_TF_U("len", n));
  sn_tcp_output(tcb);
  sn_tcp_reap(s->st);
  return n;
}

/* After the application reads, open the window if it grew a lot (Linux's
 * tcp_cleanup_rbuf(): only while the window is at most half the largest
 * we can advertise, and only to at least twice what it is), so the sender
 * need not wait for a probe. */
static void window_update(struct sn_tcb *tcb) {
  if (tcb->fin_rcvd)
    return; /* nothing more will come */
  uint32_t cur = sn_seq_gt(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
  uint32_t clamp = SN_MIN(tcb->rcvbuf_limit, 65535u << tcb->rcv_wscale);
  if (2 * (uint64_t)cur > clamp)
    return;
  uint32_t offer = sn_tcp_window_offer(tcb, tcb->rcvbuf_limit - tcb->rcvbuf.len);
  uint32_t mss = tcb->adv_mss ? tcb->adv_mss : 536;
  if (offer >= mss && offer >= 2 * cur)
    sn_tcp_ack_soon(tcb, "window update: the application read data");
}

ssize_t sn_tcp_usr_recv(struct sn_sock *s, void *buf, size_t len, int flags) {
  struct sn_tcb *tcb = s->tcb;
  if (flags & ~(SN_MSG_PEEK | SN_MSG_DONTWAIT | SN_MSG_WAITALL | SN_MSG_TRUNC))
    return -EINVAL;
  if (!tcb || tcb->state == SN_TCP_LISTEN)
    return -ENOTCONN;
  uint32_t avail = sn_tcp_readable(tcb);
  if (tcb->rd_shut)
    return 0;
  if (avail == 0) {
    if (tcb->error) {
      int err = tcb->error;
      tcb->error = 0;
      s->so_error = 0;
      return -err;
    }
    if (tcb->fin_rcvd || tcb->state == SN_TCP_CLOSED)
      return 0; /* end of stream */
    if (tcb->state == SN_TCP_SYN_SENT || tcb->state == SN_TCP_SYN_RECEIVED ||
        tcb->state == SN_TCP_CLOSED)
      return tcb->state == SN_TCP_CLOSED ? -ENOTCONN : -EAGAIN;
    return -EAGAIN;
  }
  uint32_t n = (uint32_t)SN_MIN((size_t)avail, len);
  if (buf && n)
    sn_ring_copy_out(&tcb->rcvbuf, 0, buf, n);
  if (!(flags & SN_MSG_PEEK)) {
    sn_ring_consume(&tcb->rcvbuf, n);
    if (tcb->rcvbuf.len == 0 && sn_tcp_ooo_count(tcb) == 0)
      sn_ring_free(&tcb->rcvbuf); /* idle connections hold no buffer */
    if (tcb->state != SN_TCP_CLOSED)
      window_update(tcb);
  }
  sn_tcp_reap(s->st);
  return n;
}

/* RFC 9293 §3.10.4 CLOSE, and Linux's tcp_close_state(): the state moves
 * now; the FIN leaves when the queued data has. */
static void close_send_side(struct sn_tcb *tcb) {
  if (tcb->fin_queued)
    return;
  switch (tcb->state) {
  case SN_TCP_SYN_RECEIVED:
  case SN_TCP_ESTABLISHED:
    sn_tcp_set_state(tcb, SN_TCP_FIN_WAIT_1, "close or shutdown: sending FIN");
    break;
  case SN_TCP_CLOSE_WAIT:
    sn_tcp_set_state(tcb, SN_TCP_LAST_ACK, "close or shutdown: sending FIN");
    break;
  default:
    return;
  }
  tcb->fin_queued = 1;
  sn_tcp_output(tcb);
}

int sn_tcp_usr_shutdown(struct sn_sock *s, int how) {
  struct sn_tcb *tcb = s->tcb;
  if (how < SN_SHUT_RD || how > SN_SHUT_RDWR)
    return -EINVAL;
  if (!tcb || tcb->state == SN_TCP_CLOSED || tcb->state == SN_TCP_SYN_SENT ||
      tcb->state == SN_TCP_LISTEN)
    return -ENOTCONN;
  SN_TRACE(s->st, app, "shutdown", SN_TF_I("sd", s->sd), SN_TF_I("how", how));
  bool changed = false;
  if (how != SN_SHUT_WR && !tcb->rd_shut) {
    tcb->rd_shut = 1;
    changed = true;
  }
  if (how != SN_SHUT_RD && !tcb->fin_queued) {
    close_send_side(tcb);
    changed = true;
  }
  if (changed)
    sn_tcp_wake(tcb);
  sn_tcp_reap(s->st);
  return 0;
}

/* The children a closing listener leaves behind. */
static void close_listener(struct sn_tcb *lis) {
  while (lis->lq.syn_head) {
    struct sn_tcb *c = lis->lq.syn_head;
    sn_tcp_child_unlink(c);
    sn_tcp_done(c, 0, "its listener closed");
  }
  while (lis->lq.acc_head) {
    struct sn_tcb *c = lis->lq.acc_head;
    sn_tcp_child_unlink(c);
    sn_tcp_send_rst(c, "RST: the listener closed before accept()");
    sn_tcp_done(c, 0, "its listener closed before accept()");
  }
  sn_tcp_set_state(lis, SN_TCP_CLOSED, "listener closed");
}

void sn_tcp_usr_close(struct sn_sock *s) {
  struct sn_stack *st = s->st;
  struct sn_tcb *tcb = s->tcb;
  s->tcb = NULL;
  if (!tcb)
    return;
  tcb->sock = NULL;
  tcb->rd_shut = 1;
  switch (tcb->state) {
  case SN_TCP_LISTEN:
    close_listener(tcb);
    sn_tcb_release(tcb);
    return;
  case SN_TCP_CLOSED:
    sn_tcb_release(tcb);
    return;
  case SN_TCP_SYN_SENT:
    sn_tcp_done(tcb, 0, "close() in SYN-SENT: nothing is sent");
    return;
  default:
    break;
  }
  if (tcb->linger_zero || tcb->rcvbuf.len) {
    /* RFC 2525 §2.17: unread data (or SO_LINGER 0) means RST, not FIN. */
    /* Linux counts SO_LINGER 0 as TCPAbortOnData. */
    sn_count(st, tcb->linger_zero ? SN_CTR_TcpExtTCPAbortOnData
                                  : SN_CTR_TcpExtTCPAbortOnClose);
    if (tcb->state != SN_TCP_TIME_WAIT)
      sn_tcp_send_rst(tcb, tcb->linger_zero ? "RST: close() with SO_LINGER 0"
                                            : "RST: close() with unread data");
    sn_tcp_done(tcb, 0, "aborted by close()");
    return;
  }
  if (tcb->state == SN_TCP_TIME_WAIT) {
    sn_tw_orphaned(tcb);
    return;
  }
  close_send_side(tcb);
  if (!tcb->dead && tcb->state == SN_TCP_FIN_WAIT_2)
    sn_tcp_timer_set(tcb, SN_TT_STATE,
                     st->now + (uint64_t)st->cfg.tcp_fin_timeout * SN_NSEC_PER_SEC);
}

unsigned sn_tcp_usr_poll(struct sn_sock *s) {
  struct sn_tcb *tcb = s->tcb;
  unsigned ev = 0;
  if (!tcb)
    return SN_POLLOUT | SN_POLLHUP;
  if (tcb->state == SN_TCP_LISTEN)
    return tcb->lq.acc_head ? SN_POLLIN : 0;
  if (tcb->error)
    ev |= SN_POLLERR;
  if (sn_tcp_readable(tcb) || tcb->fin_rcvd || tcb->rd_shut ||
      tcb->state == SN_TCP_CLOSED)
    ev |= SN_POLLIN;
  if (tcb->fin_rcvd || tcb->rd_shut)
    ev |= SN_POLLRDHUP;
  if (tcb->state == SN_TCP_CLOSED || (tcb->fin_rcvd && tcb->fin_queued))
    ev |= SN_POLLHUP;
  if (can_write(tcb) && !tcb->fin_queued &&
      tcb->sndbuf.len + tcb->sndbuf_limit / 3 <= tcb->sndbuf_limit)
    ev |= SN_POLLOUT;
  if (tcb->state == SN_TCP_CLOSED || tcb->fin_queued)
    ev |= SN_POLLOUT; /* writing fails at once: do not block */
  return ev;
}

/* Options ----------------------------------------------------------------- */

static int sol_socket_set(struct sn_sock *s, int name, const void *val,
                          size_t len) {
  struct sn_stack *st = s->st;
  struct sn_tcb *tcb = attach(s);
  if (!tcb)
    return -ENOMEM;
  if (name == SN_SO_LINGER) {
    struct sn_linger l;
    if (!val || len < sizeof l)
      return -EINVAL;
    memcpy(&l, val, sizeof l);
    tcb->linger_zero = l.l_onoff && l.l_linger == 0;
    return 0;
  }
  int v, err = sn_sockopt_int(val, len, &v);
  if (err)
    return err;
  switch (name) {
  case SN_SO_KEEPALIVE:
    tcb->keepalive = v != 0;
    sn_tcp_keepalive_reset(tcb);
    return 0;
  case SN_SO_RCVBUF:
    s->rcvbuf = sn_sockopt_bufsize(v, st->cfg.rmem_max, 2304);
    tcb->rcvbuf_limit = s->rcvbuf / 2;
    tcb->rcvbuf_locked = 1;
    return 0;
  case SN_SO_SNDBUF:
    s->sndbuf = sn_sockopt_bufsize(v, st->cfg.wmem_max, 4608);
    tcb->sndbuf_limit = s->sndbuf;
    tcb->sndbuf_locked = 1;
    return 0;
  default:
    return -ENOPROTOOPT;
  }
}

static int tcp_level_set(struct sn_sock *s, int name, const void *val,
                         size_t len) {
  struct sn_tcb *tcb = attach(s);
  if (!tcb)
    return -ENOMEM;
  if (name == SN_TCP_CONGESTION) {
    char nm[16] = {0};
    if (!val || len == 0)
      return -EINVAL;
    memcpy(nm, val, SN_MIN(len, sizeof nm - 1));
    const struct sn_cc_ops *cc = sn_cc_find(nm);
    if (!cc)
      return -ENOENT;
    tcb->cc = cc;
    if (tcb->state >= SN_TCP_ESTABLISHED)
      cc->init(&tcb->ccs);
    return 0;
  }
  int v, err = sn_sockopt_int(val, len, &v);
  if (err)
    return err;
  switch (name) {
  case SN_TCP_NODELAY:
    tcb->nodelay = v != 0;
    sn_tcp_output(tcb);
    return 0;
  case SN_TCP_CORK:
    tcb->cork = v != 0;
    if (!tcb->cork)
      sn_tcp_output(tcb);
    return 0;
  case SN_TCP_MAXSEG:
    if (v < 88 || v > 65495)
      return -EINVAL;
    tcb->user_mss = (uint16_t)v;
    if (tcb->state >= SN_TCP_ESTABLISHED)
      sn_tcp_update_mss(tcb);
    return 0;
  case SN_TCP_KEEPIDLE:
  case SN_TCP_KEEPINTVL:
    if (v < 1 || v > 32767)
      return -EINVAL;
    if (name == SN_TCP_KEEPIDLE)
      tcb->keep_idle = (uint32_t)v;
    else
      tcb->keep_intvl = (uint32_t)v;
    sn_tcp_timer_clear(tcb, SN_TT_KEEPALIVE);
    sn_tcp_keepalive_reset(tcb);
    return 0;
  case SN_TCP_KEEPCNT:
    if (v < 1 || v > 127)
      return -EINVAL;
    tcb->keep_cnt = (uint8_t)v;
    return 0;
  case SN_TCP_USER_TIMEOUT:
    if (v < 0)
      return -EINVAL;
    tcb->user_timeout_ns = (uint64_t)v * SN_NSEC_PER_MSEC;
    return 0;
  case SN_TCP_QUICKACK:
    if (v)
      tcb->quickacks = 16, tcb->delack_pingpong = 0;
    else
      tcb->delack_pingpong = 1;
    return 0;
  default:
    return -ENOPROTOOPT;
  }
}

int sn_tcp_usr_setsockopt(struct sn_sock *s, int level, int name,
                          const void *val, size_t len) {
  if (level == SN_SOL_SOCKET)
    return sol_socket_set(s, name, val, len);
  if (level == SN_IPPROTO_TCP)
    return tcp_level_set(s, name, val, len);
  return -ENOPROTOOPT;
}

int sn_tcp_usr_getsockopt(struct sn_sock *s, int level, int name, void *val,
                          size_t *len) {
  struct sn_tcb *tcb = s->tcb;
  int v = 0;
  if (level == SN_SOL_SOCKET) {
    switch (name) {
    case SN_SO_KEEPALIVE: v = tcb && tcb->keepalive; break;
    case SN_SO_ERROR:
      v = tcb ? tcb->error : s->so_error;
      if (tcb)
        tcb->error = 0;
      s->so_error = 0;
      break;
    case SN_SO_LINGER: {
      struct sn_linger l = {tcb && tcb->linger_zero, 0};
      if (*len < sizeof l)
        return -EINVAL;
      memcpy(val, &l, sizeof l);
      *len = sizeof l;
      return 0;
    }
    default:
      return -ENOPROTOOPT;
    }
  } else if (level == SN_IPPROTO_TCP) {
    switch (name) {
    case SN_TCP_NODELAY: v = tcb && tcb->nodelay; break;
    case SN_TCP_CORK: v = tcb && tcb->cork; break;
    case SN_TCP_MAXSEG:
      v = !tcb ? 536
          : tcb->state >= SN_TCP_ESTABLISHED ? tcb->mss
          : tcb->user_mss ? tcb->user_mss : 536;
      break;
    case SN_TCP_KEEPIDLE:
      v = tcb && tcb->keep_idle ? (int)tcb->keep_idle
                                : (int)s->st->cfg.tcp_keepalive_time;
      break;
    case SN_TCP_KEEPINTVL:
      v = tcb && tcb->keep_intvl ? (int)tcb->keep_intvl
                                 : (int)s->st->cfg.tcp_keepalive_intvl;
      break;
    case SN_TCP_KEEPCNT:
      v = tcb && tcb->keep_cnt ? tcb->keep_cnt
                               : (int)s->st->cfg.tcp_keepalive_probes;
      break;
    case SN_TCP_USER_TIMEOUT:
      v = tcb ? (int)(tcb->user_timeout_ns / SN_NSEC_PER_MSEC) : 0;
      break;
    case SN_TCP_INFO: {
      struct sn_tcp_info info;
      int err = sn_tcp_usr_info(s, &info);
      if (err)
        return err;
      size_t n = SN_MIN(*len, sizeof info);
      memcpy(val, &info, n);
      *len = n;
      return 0;
    }
    case SN_TCP_CONGESTION: {
      const char *nm = tcb && tcb->cc ? tcb->cc->name : s->st->cfg.tcp_congestion_control;
      size_t n = SN_MIN(*len, strlen(nm) + 1);
      memcpy(val, nm, n);
      *len = n;
      return 0;
    }
    default:
      return -ENOPROTOOPT;
    }
  } else {
    return -ENOPROTOOPT;
  }
  if (*len < sizeof v)
    return -EINVAL;
  memcpy(val, &v, sizeof v);
  *len = sizeof v;
  return 0;
}

int sn_tcp_usr_info(struct sn_sock *s, struct sn_tcp_info *i) {
  struct sn_tcb *t = s->tcb;
  memset(i, 0, sizeof *i);
  if (!t)
    return 0;
  i->tcpi_state = t->state;
  i->tcpi_ca_state = t->ca_state;
  i->tcpi_retransmits = t->retransmits;
  i->tcpi_probes = (uint8_t)(t->keepalive_probes + t->persist_probes);
  i->tcpi_backoff = t->backoff;
  i->tcpi_options = (uint8_t)((t->ts_ok ? SN_TCPI_OPT_TIMESTAMPS : 0) |
                              (t->sack_ok ? SN_TCPI_OPT_SACK : 0) |
                              (t->ws_ok ? SN_TCPI_OPT_WSCALE : 0));
  i->tcpi_snd_wscale = t->snd_wscale;
  i->tcpi_rcv_wscale = t->rcv_wscale;
  i->tcpi_rto = (uint32_t)(sn_tcp_rto_now(t) / 1000);
  i->tcpi_ato = t->ato / 1000;
  i->tcpi_snd_mss = t->mss;
  i->tcpi_rcv_mss = t->adv_mss;
  i->tcpi_advmss = t->adv_mss;
  i->tcpi_unacked = t->txq.n;
  i->tcpi_sacked = t->sacked_out;
  i->tcpi_lost = t->lost_out;
  i->tcpi_retrans = t->retrans_out;
  i->tcpi_rtt = (uint32_t)(t->srtt / 1000);
  i->tcpi_rttvar = (uint32_t)(t->rttvar / 1000);
  i->tcpi_min_rtt = (uint32_t)(t->min_rtt / 1000);
  i->tcpi_snd_ssthresh = t->ccs.ssthresh;
  i->tcpi_snd_cwnd = t->ccs.cwnd;
  i->tcpi_reordering = (uint32_t)s->st->cfg.tcp_reordering;
  i->tcpi_total_retrans = t->total_retrans;
  i->tcpi_snd_wnd = t->snd_wnd;
  i->tcpi_rcv_wnd = t->rcv_wnd;
  i->tcpi_notsent_bytes = sn_tcp_unsent(t);
  i->tcpi_rcv_queued = t->rcvbuf.len;
  i->tcpi_bytes_acked = t->bytes_acked;
  i->tcpi_bytes_received = t->bytes_received;
  snprintf(i->tcpi_ca_name, sizeof i->tcpi_ca_name, "%s", t->cc ? t->cc->name : "");
  return 0;
}
