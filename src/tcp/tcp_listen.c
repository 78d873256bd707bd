/*
 * tcp_listen.c - listeners (RFC 9293 §3.10.7.2): the SYN queue of
 * half-open connections, the accept queue of finished handshakes, the
 * limits on both (listen()'s backlog, somaxconn, tcp_max_syn_backlog),
 * and SYN cookies for when the SYN queue overflows (tcp_syncookies).
 *
 * SYN cookie layout (this stack's own): the ISN is
 *   H1(4-tuple) + peer ISN + (t << 24) + ((H2(4-tuple, t) + mss index) mod 2^24)
 * where t counts 64-second periods and H1, H2 are keyed SipHash. A cookie
 * is valid for two periods. With timestamps, the low six bits of our TSval
 * carry the peer's window scale and SACK-permitted, as Linux does.
 */
#include <errno.h>
#include <string.h>

#include "api/sock.h"
#include "base/rng.h"
#include "base/util.h"
#include "net/stack.h"
#include "tcp/tcp_impl.h"

static const uint16_t cookie_mss[] = {536, 1300, 1440, 1460};
#define COOKIE_PERIOD (64 * SN_NSEC_PER_SEC)
#define COOKIE_VALID (2 * COOKIE_PERIOD) /* a cookie lives two periods */

struct sn_tcb *sn_tcp_find_listener(struct sn_stack *st, uint32_t daddr,
                                    uint16_t dport) {
  struct sn_tcb *wild = NULL;
  for (struct sn_sock *s = sn_ports_first(&st->tcp_ports, dport); s;
       s = s->port_next) {
    if (s->lport != dport || !s->tcb || s->tcb->state != SN_TCP_LISTEN)
      continue;
    if (s->laddr == daddr)
      return s->tcb;
    if (s->laddr == 0 && !wild)
      wild = s->tcb;
  }
  return wild;
}

/* Queues ------------------------------------------------------------------- */

/* Both queues are doubly linked (qnext, qprev): a child leaves either
 * in O(1), whatever the queue's length (a SYN flood fills the first). */
static void syn_queue_add(struct sn_tcb *lis, struct sn_tcb *child) {
  child->listener = lis;
  child->qprev = NULL;
  child->qnext = lis->lq.syn_head;
  if (child->qnext)
    child->qnext->qprev = child;
  lis->lq.syn_head = child;
  lis->lq.syn_n++;
}

void sn_tcp_child_unlink(struct sn_tcb *child) {
  struct sn_tcb *lis = child->listener;
  if (!lis)
    return;
  bool acc = child->queued_accept;
  if (child->qprev)
    child->qprev->qnext = child->qnext;
  else if (acc)
    lis->lq.acc_head = child->qnext;
  else
    lis->lq.syn_head = child->qnext;
  if (child->qnext)
    child->qnext->qprev = child->qprev;
  else if (acc)
    lis->lq.acc_tail = child->qprev;
  if (acc)
    lis->lq.acc_n--;
  else
    lis->lq.syn_n--;
  child->qnext = child->qprev = NULL;
  child->listener = NULL;
  child->queued_accept = 0;
}

void sn_tcp_child_ready(struct sn_tcb *child) {
  struct sn_tcb *lis = child->listener;
  if (!lis || child->queued_accept)
    return;
  sn_tcp_child_unlink(child);
  child->listener = lis;
  child->queued_accept = 1;
  child->qnext = NULL;
  child->qprev = lis->lq.acc_tail;
  if (lis->lq.acc_tail)
    lis->lq.acc_tail->qnext = child;
  else
    lis->lq.acc_head = child;
  lis->lq.acc_tail = child;
  lis->lq.acc_n++;
  SN_TCP_TRACE(lis, "accept-queue", SN_TF_U("child", child->id),
               SN_TF_U("queued", lis->lq.acc_n),
               SN_TF_U("backlog", lis->lq.backlog));
  if (lis->sock)
    sn_sock_wake(lis->sock);
}

/* Linux's sk_acceptq_is_full(): more than backlog waiting. */
static bool accept_queue_full(const struct sn_tcb *lis) {
  return lis->lq.acc_n > lis->lq.backlog;
}

bool sn_tcp_accept_queue_full(const struct sn_tcb *child) {
  return child->listener && accept_queue_full(child->listener);
}

/* A child from a SYN ------------------------------------------------------- */

static struct sn_tcb *new_child(struct sn_tcb *lis, const struct sn_tcp_seg *seg,
                                uint32_t iss) {
  struct sn_stack *st = lis->st;
  struct sn_tcb *c = sn_tcb_new(st);
  if (!c)
    return NULL;
  const struct sn_config *cfg = &st->cfg;
  c->laddr = seg->daddr;
  c->lport = seg->dport;
  c->raddr = seg->saddr;
  c->rport = seg->sport;
  c->passive = 1;
  sn_tcb_inherit(c, lis);
  sn_tcb_init(c);
  c->ts_ok = cfg->tcp_timestamps != 0;
  c->sack_ok = cfg->tcp_sack != 0;
  c->ws_ok = cfg->tcp_window_scaling != 0;
  c->rcv_wscale = sn_tcp_pick_wscale(c);
  c->adv_mss = sn_tcp_adv_mss(st, c->raddr, c->user_mss);
  c->irs = seg->seq;
  c->rcv_nxt = seg->seq + 1;
  c->iss = iss;
  c->snd_una = iss;
  c->snd_nxt = iss;
  c->snd_max = iss;
  c->snd_buf_seq = iss + 1;
  uint8_t m[8];
  memcpy(m, &c->laddr, 4);
  memcpy(m + 4, &c->raddr, 4);
  c->ts_offset = (uint32_t)sn_siphash24(st->secret, m, sizeof m) ^ 0x5a5a5a5a;
  sn_tcp_apply_syn_options(c, seg);
  /* RFC 3168 §6.1.1: an ECN-setup SYN has both ECE and CWR. */
  c->ecn_ok = cfg->tcp_ecn && (seg->flags & (SN_TCP_ECE | SN_TCP_CWR)) ==
                                  (SN_TCP_ECE | SN_TCP_CWR);
  return c;
}

/* SYN cookies ------------------------------------------------------------- */

static uint32_t cookie_hash(struct sn_stack *st, const struct sn_tcp_seg *seg,
                            uint32_t salt) {
  uint8_t m[16];
  memcpy(m, &seg->saddr, 4);
  memcpy(m + 4, &seg->daddr, 4);
  memcpy(m + 8, &seg->sport, 2);
  memcpy(m + 10, &seg->dport, 2);
  memcpy(m + 12, &salt, 4);
  return (uint32_t)sn_siphash24(st->secret, m, sizeof m);
}

static uint32_t cookie_make(struct sn_stack *st, const struct sn_tcp_seg *seg,
                            unsigned mss_idx) {
  uint32_t t = (uint32_t)(st->now / COOKIE_PERIOD);
  return cookie_hash(st, seg, 0xffffffffu) + seg->seq + (t << 24) +
         ((cookie_hash(st, seg, t) + mss_idx) & 0xffffff);
}

/* The MSS index a cookie carries, or -1 if it is not ours or too old.
 * seg is the ACK: its seq is the peer's ISN + 1, its ack our ISN + 1. */
static int cookie_check(struct sn_stack *st, const struct sn_tcp_seg *seg) {
  uint32_t cookie = seg->ack - 1;
  uint32_t diff = cookie - cookie_hash(st, seg, 0xffffffffu) - (seg->seq - 1);
  uint32_t t = diff >> 24;
  uint32_t now_t = (uint32_t)(st->now / COOKIE_PERIOD);
  if (((now_t - t) & 0xff) > 1)
    return -1;
  /* Recover the full period number from its low 8 bits. */
  uint32_t full_t = now_t - ((now_t - t) & 0xff);
  uint32_t idx = (diff - cookie_hash(st, seg, full_t)) & 0xffffff;
  return idx < SN_ARRAY_LEN(cookie_mss) ? (int)idx : -1;
}

static void send_cookie(struct sn_tcb *lis, const struct sn_tcp_seg *seg) {
  struct sn_stack *st = lis->st;
  unsigned idx = 0;
  uint16_t peer = seg->opt.has_mss ? seg->opt.mss : 536;
  while (idx + 1 < SN_ARRAY_LEN(cookie_mss) && cookie_mss[idx + 1] <= peer)
    idx++;
  /* A child that exists only for as long as it takes to answer. */
  struct sn_tcb *c = new_child(lis, seg, cookie_make(st, seg, idx));
  if (!c)
    return;
  if (c->ts_ok) {
    /* The option bits replace the clock's low bits, rounding it down (as
     * Linux's cookie_init_timestamp() does): the connection rebuilt from
     * the ACK runs on the plain clock, and its TSvals must not go back
     * from this one, or the peer's PAWS would drop them. */
    uint32_t bits = (c->ws_ok ? c->snd_wscale : 0xf) | (c->sack_ok ? 0x10 : 0);
    uint32_t now_ts = sn_tcp_ts_now(c);
    uint32_t ts = (now_ts & ~0x3fu) | bits;
    if ((int32_t)(ts - now_ts) > 0)
      ts -= 0x40;
    c->ts_offset = ts - (uint32_t)(st->now / SN_NSEC_PER_MSEC);
  }
  lis->lq.cookies_until = st->now + COOKIE_VALID;
  sn_count(st, SN_CTR_TcpExtSyncookiesSent);
  SN_TCP_TRACE(lis, "syncookie", SN_TF_IP("peer", seg->saddr),
               SN_TF_U("mss", cookie_mss[idx]),
               SN_TF_S("why", "SYN queue full: answering statelessly"));
  c->state = SN_TCP_SYN_RECEIVED; /* for the SYN-ACK's layout only */
  sn_tcp_send_syn(c, "SYN-ACK with a SYN cookie: the SYN queue is full");
  c->state = SN_TCP_CLOSED;
  sn_tcb_release(c);
}

/* An ACK that may carry one of our cookies: rebuild the connection. Like
 * Linux (tcp_synq_no_recent_overflow()), an ACK is taken for a cookie
 * only while cookies this listener sent may still come back; otherwise it
 * is just an ACK a listener does not expect. */
static bool cookie_ack(struct sn_tcb *lis, const struct sn_tcp_seg *seg) {
  struct sn_stack *st = lis->st;
  if (!st->cfg.tcp_syncookies || st->now >= lis->lq.cookies_until)
    return false;
  int idx = cookie_check(st, seg);
  if (idx < 0) {
    sn_count(st, SN_CTR_TcpExtSyncookiesFailed);
    return false;
  }
  if (accept_queue_full(lis)) {
    sn_count(st, SN_CTR_TcpExtListenOverflows);
    sn_count(st, SN_CTR_TcpExtListenDrops);
    sn_drop(st, SN_DROP_TCP_LISTEN_OVERFLOW, "tcp", seg->len);
    return true;
  }
  struct sn_tcp_seg syn = *seg;
  syn.seq = seg->seq - 1;
  syn.flags = SN_TCP_SYN;
  memset(&syn.opt, 0, sizeof syn.opt);
  syn.opt.has_mss = true;
  syn.opt.mss = cookie_mss[idx];
  if (seg->opt.has_ts && st->cfg.tcp_timestamps) {
    uint32_t bits = seg->opt.tsecr & 0x3f;
    syn.opt.has_ts = true;
    syn.opt.tsval = seg->opt.tsval;
    syn.opt.sack_ok = bits & 0x10;
    if ((bits & 0xf) != 0xf) {
      syn.opt.has_ws = true;
      syn.opt.wscale = (uint8_t)(bits & 0xf);
    }
  }
  struct sn_tcb *c = new_child(lis, &syn, seg->ack - 1);
  if (!c)
    return true;
  sn_count(st, SN_CTR_TcpExtSyncookiesRecv);
  c->snd_nxt = c->snd_max = c->iss + 1;
  sn_tcp_syn_window(c); /* the window the cookie's SYN-ACK offered */
  sn_tcb_hash_insert(c);
  syn_queue_add(lis, c);
  sn_tcp_set_state(c, SN_TCP_SYN_RECEIVED, "valid SYN cookie in the ACK");
  c->ts_recent = seg->opt.tsval;
  return sn_tcp_conn_input(c, seg), true;
}

/* A listener's input (RFC 9293 §3.10.7.2) ------------------------------- */

/*
 * A SYN for a listener (RFC 9293 §3.10.7.2, third check): a half-open
 * connection on the SYN queue and a SYN-ACK, or a SYN cookie, or a drop.
 * With have_isn (a SYN that ended a TIME-WAIT), the ISN is given and, as
 * in Linux, neither cookies nor the SYN queue's limit apply.
 */
static void listen_syn(struct sn_tcb *lis, const struct sn_tcp_seg *seg,
                       bool have_isn, uint32_t isn) {
  struct sn_stack *st = lis->st;
  if (accept_queue_full(lis)) {
    sn_count(st, SN_CTR_TcpExtListenOverflows);
    sn_count(st, SN_CTR_TcpExtListenDrops);
    sn_drop(st, SN_DROP_TCP_LISTEN_OVERFLOW, "tcp", seg->len);
    SN_TCP_TRACE(lis, "syn-drop", SN_TF_IP("peer", seg->saddr),
                 SN_TF_S("why", "accept queue full: the SYN is dropped"));
    return;
  }
  const struct sn_config *c = &st->cfg;
  bool queue_full = !have_isn && (lis->lq.syn_n >= lis->lq.backlog ||
                                  lis->lq.syn_n >= (uint32_t)c->tcp_max_syn_backlog);
  if (!have_isn &&
      (c->tcp_syncookies == 2 || (queue_full && c->tcp_syncookies == 1))) {
    send_cookie(lis, seg);
    return;
  }
  if (queue_full) {
    sn_count(st, SN_CTR_TcpExtListenDrops);
    sn_drop(st, SN_DROP_TCP_SYN_QUEUE_FULL, "tcp", seg->len);
    SN_TCP_TRACE(lis, "syn-drop", SN_TF_IP("peer", seg->saddr),
                 SN_TF_S("why", "SYN queue full and no SYN cookies"));
    return;
  }
  if (!have_isn)
    isn = sn_tcp_isn(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
  struct sn_tcb *child = new_child(lis, seg, isn);
  if (!child) {
    sn_drop(st, SN_DROP_NO_BUFFER, "tcp", seg->len);
    return;
  }
  sn_tcb_hash_insert(child);
  syn_queue_add(lis, child);
  sn_tcp_set_state(child, SN_TCP_SYN_RECEIVED, "SYN received by a listener");
  child->rtt_start = st->now;
  sn_tcp_send_syn(child, "SYN-ACK: second segment of the handshake");
  sn_tcp_rto_arm(child);
}

void sn_tcp_listen_input(struct sn_tcb *lis, const struct sn_tcp_seg *seg) {
  struct sn_stack *st = lis->st;
  if (seg->flags & SN_TCP_RST) {
    sn_drop(st, SN_DROP_TCP_LISTEN_NOT_SYN, "tcp", seg->len);
    return; /* first: ignore a RST */
  }
  if (seg->flags & SN_TCP_ACK) {
    /* second: an ACK is bad here, unless it returns a SYN cookie */
    if (!(seg->flags & SN_TCP_SYN) && cookie_ack(lis, seg))
      return;
    sn_drop(st, SN_DROP_TCP_LISTEN_NOT_SYN, "tcp", seg->len);
    sn_tcp_reply_rst(st, seg, "RST: an ACK to a listening socket");
    return;
  }
  if (!(seg->flags & SN_TCP_SYN)) {
    sn_drop(st, SN_DROP_TCP_LISTEN_NOT_SYN, "tcp", seg->len);
    return;
  }
  /* third: a SYN */
  listen_syn(lis, seg, false, 0);
}

void sn_tcp_listen_reopen(struct sn_tcb *lis, const struct sn_tcp_seg *seg,
                          uint32_t isn) {
  listen_syn(lis, seg, true, isn);
}
