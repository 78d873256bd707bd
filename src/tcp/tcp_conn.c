/*
 * tcp_conn.c - the life of a control block: creation, the demultiplexing
 * table (hash on the 4-tuple), the one function that writes states, the
 * end of a connection, ISNs (RFC 6528) and the MSS and window-scale
 * choices that follow from the route and the buffers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/sock.h"
#include "base/rng.h"
#include "base/util.h"
#include "net/stack.h"
#include "net/wire.h"
#include "tcp/tcp_impl.h"

#define SN_TCP_MSS_DEFAULT 536 /* RFC 9293 §3.7.1 */

#define STATE_NAME_(n, s) s,
static const char *const state_names[] = {SN_TCP_STATES(STATE_NAME_)};
#undef STATE_NAME_

const char *sn_tcp_state_name(int state) {
  return (unsigned)state < SN_TCP__NSTATES ? state_names[state] : "?";
}

/* The table --------------------------------------------------------------- */

int sn_tcp_table_init(struct sn_stack *st) {
  struct sn_tcp_table *t = &st->tcp;
  t->mask = 255;
  t->buckets = calloc(t->mask + 1, sizeof *t->buckets);
  t->hash_seed = sn_rng_next(&st->rng);
  if (!t->buckets)
    return -ENOMEM;
  return sn_tw_init(st);
}

void sn_tcp_table_destroy(struct sn_stack *st) {
  struct sn_tcp_table *t = &st->tcp;
  for (uint32_t b = 0; t->buckets && b <= t->mask; b++) {
    struct sn_tcb *tcb = t->buckets[b];
    while (tcb) {
      struct sn_tcb *next = tcb->hnext;
      tcb->in_hash = 0;
      if (!tcb->sock)
        sn_tcb_release(tcb); /* sockets free their own */
      tcb = next;
    }
  }
  free(t->buckets);
  t->buckets = NULL;
  sn_tw_destroy(st);
  st->dying = true;
  sn_tcp_reap(st);
  while (t->spare) {
    struct sn_tcb *tcb = t->spare;
    t->spare = tcb->hnext;
    free(tcb);
  }
  t->nspare = 0;
  while (t->nspare_txq)
    free(t->spare_txq[--t->nspare_txq]);
}

uint32_t sn_tcp_tuple_hash(const struct sn_tcp_table *t, uint32_t laddr,
                           uint16_t lport, uint32_t raddr, uint16_t rport) {
  uint64_t h = t->hash_seed ^ ((uint64_t)laddr << 32 | raddr);
  h *= 0x9e3779b97f4a7c15ull;
  h ^= ((uint64_t)lport << 16 | rport) + (h >> 29);
  h *= 0xbf58476d1ce4e5b9ull;
  return (uint32_t)(h >> 32);
}

static void grow(struct sn_tcp_table *t) {
  uint32_t nmask = t->mask * 2 + 1;
  struct sn_tcb **nb = calloc(nmask + 1, sizeof *nb);
  if (!nb)
    return; /* keep the old table: longer chains, still correct */
  for (uint32_t b = 0; b <= t->mask; b++) {
    struct sn_tcb *tcb = t->buckets[b];
    while (tcb) {
      struct sn_tcb *next = tcb->hnext;
      uint32_t i = sn_tcp_tuple_hash(t, tcb->laddr, tcb->lport, tcb->raddr,
                              tcb->rport) & nmask;
      tcb->hnext = nb[i];
      nb[i] = tcb;
      tcb = next;
    }
  }
  free(t->buckets);
  t->buckets = nb;
  t->mask = nmask;
}

void sn_tcb_hash_insert(struct sn_tcb *tcb) {
  struct sn_tcp_table *t = &tcb->st->tcp;
  if (tcb->in_hash)
    return;
  if (t->count > t->mask)
    grow(t);
  uint32_t i = sn_tcp_tuple_hash(t, tcb->laddr, tcb->lport, tcb->raddr, tcb->rport) &
               t->mask;
  tcb->hnext = t->buckets[i];
  t->buckets[i] = tcb;
  tcb->in_hash = 1;
  t->count++;
}

void sn_tcb_hash_remove(struct sn_tcb *tcb) {
  struct sn_tcp_table *t = &tcb->st->tcp;
  if (!tcb->in_hash)
    return;
  uint32_t i = sn_tcp_tuple_hash(t, tcb->laddr, tcb->lport, tcb->raddr, tcb->rport) &
               t->mask;
  struct sn_tcb **pp = &t->buckets[i];
  while (*pp && *pp != tcb)
    pp = &(*pp)->hnext;
  if (*pp)
    *pp = tcb->hnext;
  tcb->hnext = NULL;
  tcb->in_hash = 0;
  t->count--;
}

struct sn_tcb *sn_tcb_lookup(struct sn_stack *st, uint32_t laddr,
                             uint16_t lport, uint32_t raddr, uint16_t rport) {
  struct sn_tcp_table *t = &st->tcp;
  uint32_t i = sn_tcp_tuple_hash(t, laddr, lport, raddr, rport) & t->mask;
  for (struct sn_tcb *tcb = t->buckets[i]; tcb; tcb = tcb->hnext)
    if (tcb->lport == lport && tcb->rport == rport && tcb->laddr == laddr &&
        tcb->raddr == raddr)
      return tcb;
  return NULL;
}

/* Creation and release ---------------------------------------------------- */

struct sn_txseg *sn_txq_small_get(struct sn_stack *st) {
  struct sn_tcp_table *t = &st->tcp;
  if (t->nspare_txq)
    return t->spare_txq[--t->nspare_txq];
  return malloc(SN_TXQ_SMALL * sizeof(struct sn_txseg));
}

void sn_txq_release(struct sn_stack *st, struct sn_txq *q) {
  struct sn_tcp_table *t = &st->tcp;
  if (q->v && q->cap == SN_TXQ_SMALL && t->nspare_txq < SN_TCP_SPARE_TXQS)
    t->spare_txq[t->nspare_txq++] = q->v;
  else
    free(q->v);
  q->v = NULL;
  q->cap = q->head = q->n = 0;
}

struct sn_tcb *sn_tcb_new(struct sn_stack *st) {
  struct sn_tcp_table *t = &st->tcp;
  struct sn_tcb *tcb = t->spare;
  if (tcb) {
    t->spare = tcb->hnext;
    t->nspare--;
    memset(tcb, 0, sizeof *tcb);
  } else if (!(tcb = calloc(1, sizeof *tcb))) {
    return NULL;
  }
  tcb->st = st;
  tcb->id = ++st->tcp.next_id;
  tcb->state = SN_TCP_CLOSED;
  tcb->rtt_start = SN_TCP_UNTIMED;
  sn_timer_init(&tcb->timer, sn_tcp_timer_fire);
  return tcb;
}

void sn_tcb_inherit(struct sn_tcb *dst, const struct sn_tcb *src) {
  dst->rcvbuf_limit = src->rcvbuf_limit;
  dst->sndbuf_limit = src->sndbuf_limit;
  dst->rcvbuf_locked = src->rcvbuf_locked;
  dst->sndbuf_locked = src->sndbuf_locked;
  dst->nodelay = src->nodelay;
  dst->cork = src->cork;
  dst->keepalive = src->keepalive;
  dst->keep_idle = src->keep_idle;
  dst->keep_intvl = src->keep_intvl;
  dst->keep_cnt = src->keep_cnt;
  dst->user_mss = src->user_mss;
  dst->linger_zero = src->linger_zero;
  dst->cc = src->cc;
  dst->user_timeout_ns = src->user_timeout_ns;
}

void sn_tcb_init(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  const struct sn_config *c = &st->cfg;
  tcb->opened = 1;
  tcb->rto = (uint64_t)c->tcp_rto_init_ms * SN_NSEC_PER_MSEC;
  tcb->ato = 0;
  if (!tcb->rcvbuf_limit)
    tcb->rcvbuf_limit = (uint32_t)(c->tcp_rmem[1] / 2);
  if (!tcb->sndbuf_limit)
    tcb->sndbuf_limit = (uint32_t)c->tcp_wmem[1];
  if (!tcb->cc) {
    tcb->cc = sn_cc_find(c->tcp_congestion_control);
    if (!tcb->cc)
      tcb->cc = &sn_cc_reno;
  }
  tcb->peer_mss = SN_TCP_MSS_DEFAULT;
  tcb->last_rcv_ns = st->now;
  tcb->idle_since = st->now;
}

void sn_tcb_release(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  if (tcb->dead)
    return;
  sn_timer_cancel(&st->wheel, &tcb->timer);
  sn_tcb_hash_remove(tcb);
  if (tcb->listener)
    sn_tcp_child_unlink(tcb);
  if (tcb->state == SN_TCP_TIME_WAIT && st->tcp.timewait)
    st->tcp.timewait--;
  sn_ring_free(&tcb->sndbuf);
  sn_ring_free(&tcb->rcvbuf);
  free(tcb->ooo);
  tcb->ooo = NULL;
  tcb->dead = 1;
  tcb->sock = NULL;
  tcb->hnext = st->tcp.dead;
  st->tcp.dead = tcb;
}

void sn_tcp_reap(struct sn_stack *st) {
  if (st->tcp.defer_acks)
    return; /* deferred ACKs may still name them: after the input */
  while (st->tcp.dead) {
    struct sn_tcb *tcb = st->tcp.dead;
    st->tcp.dead = tcb->hnext;
    sn_txq_release(st, &tcb->txq);
#if SN_TCP_SPARE_TCBS > 0
    if (st->tcp.nspare < SN_TCP_SPARE_TCBS && !st->dying) {
      tcb->hnext = st->tcp.spare;
      st->tcp.spare = tcb;
      st->tcp.nspare++;
      continue;
    }
#endif
    free(tcb);
  }
}

/* States (RFC 9293 §3.3.2, Figure 5) ------------------------------------ */

#define B(s) (1u << SN_TCP_##s)
static const uint16_t legal_next[SN_TCP__NSTATES] = {
    [SN_TCP_CLOSED] = B(LISTEN) | B(SYN_SENT) | B(SYN_RECEIVED),
    [SN_TCP_LISTEN] = B(CLOSED),
    [SN_TCP_SYN_SENT] = B(SYN_RECEIVED) | B(ESTABLISHED) | B(CLOSED),
    [SN_TCP_SYN_RECEIVED] = B(ESTABLISHED) | B(FIN_WAIT_1) | B(CLOSE_WAIT) |
                            B(CLOSED),
    [SN_TCP_ESTABLISHED] = B(FIN_WAIT_1) | B(CLOSE_WAIT) | B(CLOSED),
    [SN_TCP_FIN_WAIT_1] = B(FIN_WAIT_2) | B(CLOSING) | B(TIME_WAIT) | B(CLOSED),
    [SN_TCP_FIN_WAIT_2] = B(TIME_WAIT) | B(CLOSED),
    [SN_TCP_CLOSE_WAIT] = B(LAST_ACK) | B(CLOSED),
    [SN_TCP_CLOSING] = B(TIME_WAIT) | B(CLOSED),
    [SN_TCP_LAST_ACK] = B(CLOSED),
    [SN_TCP_TIME_WAIT] = B(CLOSED),
};
#undef B

static bool synchronized_open(int s) {
  return s == SN_TCP_ESTABLISHED || s == SN_TCP_CLOSE_WAIT;
}

void sn_tcp_set_state(struct sn_tcb *tcb, int state, const char *why) {
  struct sn_stack *st = tcb->st;
  int old = tcb->state;
  if (old == state)
    return;
  if (!(legal_next[old] & (1u << state))) {
    /* A bug, not a network event: record it loudly and carry on. */
    SN_TCP_TRACE(tcb, "illegal-state", SN_TF_S("from", sn_tcp_state_name(old)),
                 SN_TF_S("to", sn_tcp_state_name(state)));
  }
  if (state == SN_TCP_SYN_SENT)
    sn_count(st, SN_CTR_TcpActiveOpens);
  if (state == SN_TCP_SYN_RECEIVED && old == SN_TCP_CLOSED)
    sn_count(st, SN_CTR_TcpPassiveOpens);
  if (synchronized_open(state) && !synchronized_open(old))
    st->ctr[SN_CTR_TcpCurrEstab]++;
  if (!synchronized_open(state) && synchronized_open(old))
    st->ctr[SN_CTR_TcpCurrEstab]--;
  if (state == SN_TCP_CLOSED &&
      (old == SN_TCP_SYN_SENT || old == SN_TCP_SYN_RECEIVED))
    sn_count(st, SN_CTR_TcpAttemptFails);
  if (state == SN_TCP_CLOSED && synchronized_open(old))
    sn_count(st, SN_CTR_TcpEstabResets);
  if (state == SN_TCP_TIME_WAIT)
    st->tcp.timewait++;
  if (old == SN_TCP_TIME_WAIT && st->tcp.timewait)
    st->tcp.timewait--;
  tcb->state = (uint8_t)state;
  SN_TCP_TRACE(tcb, "state", SN_TF_S("from", sn_tcp_state_name(old)),
               SN_TF_S("to", sn_tcp_state_name(state)),
               SN_TF_S("why", why ? why : ""));
  sn_tcp_wake(tcb);
}

void sn_tcp_wake(struct sn_tcb *tcb) {
  if (tcb->sock)
    sn_sock_wake(tcb->sock);
  else if (tcb->listener && tcb->listener->sock && tcb->queued_accept)
    sn_sock_wake(tcb->listener->sock);
}

void sn_tcp_done(struct sn_tcb *tcb, int err, const char *why) {
  struct sn_stack *st = tcb->st;
  if (err)
    tcb->error = err;
  sn_tcp_set_state(tcb, SN_TCP_CLOSED, why);
  sn_timer_cancel(&st->wheel, &tcb->timer);
  memset(tcb->deadline, 0, sizeof tcb->deadline);
  sn_tcb_hash_remove(tcb);
  sn_ring_free(&tcb->sndbuf);
  tcb->txq.n = 0;
  if (tcb->listener) {
    bool queued = tcb->queued_accept;
    sn_tcp_child_unlink(tcb);
    if (!queued || !tcb->sock) {
      sn_tcb_release(tcb);
      return;
    }
  }
  if (!tcb->sock) {
    sn_tcb_release(tcb);
    return;
  }
  if (err)
    tcb->sock->so_error = err;
  sn_sock_wake(tcb->sock);
}

/* Sequence numbers, timestamps, MSS, window scale ------------------------ */

uint32_t sn_tcp_isn(struct sn_stack *st, uint32_t laddr, uint16_t lport,
                    uint32_t raddr, uint16_t rport) {
  uint8_t m[12];
  memcpy(m, &laddr, 4);
  memcpy(m + 4, &raddr, 4);
  memcpy(m + 8, &lport, 2);
  memcpy(m + 10, &rport, 2);
  uint32_t f = (uint32_t)sn_siphash24(st->secret, m, sizeof m);
  return f + (uint32_t)(st->now / 4000); /* M: a 4 µs clock */
}

uint32_t sn_tcp_ts_now(const struct sn_tcb *tcb) {
  return (uint32_t)(tcb->st->now / SN_NSEC_PER_MSEC) + tcb->ts_offset;
}

uint16_t sn_tcp_adv_mss(struct sn_stack *st, uint32_t raddr, uint16_t user_mss) {
  struct sn_route_result rt;
  /* RFC 6691: from the interface, even when a smaller path MTU is known. */
  uint32_t mtu = sn_route_lookup(st, raddr, &rt) == 0 ? rt.if_mtu : 1500;
  uint32_t mss = mtu - SN_IP_HLEN - SN_TCP_HLEN;
  if (user_mss && user_mss < mss)
    mss = user_mss;
  return (uint16_t)SN_MIN(mss, 65535u);
}

void sn_tcp_update_mss(struct sn_tcb *tcb) {
  struct sn_route_result rt;
  uint32_t mtu = sn_route_lookup(tcb->st, tcb->raddr, &rt) == 0 ? rt.mtu : 576;
  uint32_t mss = SN_MIN((uint32_t)tcb->peer_mss, mtu - SN_IP_HLEN - SN_TCP_HLEN);
  if (tcb->user_mss && tcb->user_mss < mss)
    mss = tcb->user_mss;
  if (tcb->ts_ok)
    mss -= 12; /* the timestamp option rides on every segment */
  if (mss < 48)
    mss = 48;
  tcb->mss = (uint16_t)mss;
  tcb->ccs.mss = mss;
}

uint8_t sn_tcp_pick_wscale(const struct sn_tcb *tcb) {
  const struct sn_config *c = &tcb->st->cfg;
  uint64_t space = (uint64_t)SN_MAX(c->tcp_rmem[2], c->rmem_max);
  if (tcb->rcvbuf_locked)
    space = SN_MIN(space, (uint64_t)tcb->rcvbuf_limit);
  int ws = 63 - __builtin_clzll(space | 1) - 15;
  return (uint8_t)(ws < 0 ? 0 : ws > 14 ? 14 : ws);
}

void sn_tcp_trace_conn(struct sn_tcb *tcb, const char *name, const char *k1,
                       uint64_t v1, const char *why) {
  SN_TCP_TRACE(tcb, name, SN_TF_U(k1, v1), SN_TF_S("why", why));
}
