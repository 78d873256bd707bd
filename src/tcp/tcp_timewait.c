/*
 * tcp_timewait.c - TIME-WAIT records for closed sockets (see
 * tcp_timewait.h), and the rules TIME-WAIT answers segments by.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "net/stack.h"
#include "net/wire.h"
#include "tcp/tcp_impl.h"

#define CHUNK (1u << SN_TW_CHUNK_BITS)
#define PAWS_MSL_S 60 /* an old TS.Recent no longer guards against RSTs */

static struct sn_twrec *rec_at(const struct sn_tw_table *t, uint32_t i) {
  uint32_t x = i - 1;
  return &t->chunks[x >> SN_TW_CHUNK_BITS][x & (CHUNK - 1)];
}

static uint32_t ms_clock(const struct sn_stack *st) {
  return (uint32_t)(st->now / SN_NSEC_PER_MSEC);
}

static void tw_timer_fired(struct sn_timer *tm);

/* The table ---------------------------------------------------------------- */

int sn_tw_init(struct sn_stack *st) {
  struct sn_tw_table *t = &st->tcp.tw;
  memset(t, 0, sizeof *t);
  t->mask = 255;
  t->buckets = calloc(t->mask + 1, sizeof *t->buckets);
  sn_timer_init(&t->timer, tw_timer_fired);
  return t->buckets ? 0 : -ENOMEM;
}

void sn_tw_destroy(struct sn_stack *st) {
  struct sn_tw_table *t = &st->tcp.tw;
  sn_timer_cancel(&st->wheel, &t->timer);
  for (uint32_t c = 0; c < t->nchunks; c++)
    free(t->chunks[c]);
  free(t->chunks);
  free(t->buckets);
  memset(t, 0, sizeof *t);
}

/* A free record (index + 1), growing the pool by a chunk when it is
 * empty; 0 if memory ran out. */
static uint32_t rec_alloc(struct sn_tw_table *t) {
  if (!t->free_head) {
    if (t->nchunks >= (UINT32_MAX >> SN_TW_CHUNK_BITS) - 1)
      return 0;
    struct sn_twrec **nc = realloc(t->chunks, (t->nchunks + 1) * sizeof *nc);
    if (!nc)
      return 0;
    t->chunks = nc;
    struct sn_twrec *c = calloc(CHUNK, sizeof *c);
    if (!c)
      return 0;
    t->chunks[t->nchunks] = c;
    uint32_t base = t->nchunks * CHUNK;
    t->nchunks++;
    for (uint32_t k = CHUNK; k-- > 0;) {
      c[k].hnext = t->free_head;
      t->free_head = base + k + 1;
    }
  }
  uint32_t i = t->free_head;
  t->free_head = rec_at(t, i)->hnext;
  return i;
}

static uint32_t *bucket_of(struct sn_stack *st, uint32_t laddr, uint16_t lport,
                           uint32_t raddr, uint16_t rport) {
  struct sn_tw_table *t = &st->tcp.tw;
  return &t->buckets[sn_tcp_tuple_hash(&st->tcp, laddr, lport, raddr, rport) &
                     t->mask];
}

static void grow_buckets(struct sn_stack *st) {
  struct sn_tw_table *t = &st->tcp.tw;
  uint32_t nmask = t->mask * 2 + 1;
  uint32_t *nb = calloc((size_t)nmask + 1, sizeof *nb);
  if (!nb)
    return; /* longer chains, still correct */
  for (uint32_t b = 0; b <= t->mask; b++) {
    for (uint32_t i = t->buckets[b]; i;) {
      struct sn_twrec *r = rec_at(t, i);
      uint32_t next = r->hnext;
      uint32_t h = sn_tcp_tuple_hash(&st->tcp, r->laddr, r->lport, r->raddr,
                                     r->rport) & nmask;
      r->hnext = nb[h];
      nb[h] = i;
      i = next;
    }
  }
  free(t->buckets);
  t->buckets = nb;
  t->mask = nmask;
}

uint32_t sn_tw_lookup(struct sn_stack *st, uint32_t laddr, uint16_t lport,
                      uint32_t raddr, uint16_t rport) {
  struct sn_tw_table *t = &st->tcp.tw;
  for (uint32_t i = *bucket_of(st, laddr, lport, raddr, rport); i;) {
    const struct sn_twrec *r = rec_at(t, i);
    if (r->lport == lport && r->rport == rport && r->laddr == laddr &&
        r->raddr == raddr)
      return i;
    i = r->hnext;
  }
  return 0;
}

uint32_t sn_tw_total(const struct sn_stack *st) {
  return st->tcp.tw.count + st->tcp.timewait;
}

/* The expiry FIFO ----------------------------------------------------------- */

static void arm_head(struct sn_stack *st) {
  struct sn_tw_table *t = &st->tcp.tw;
  if (t->head)
    sn_timer_arm(&st->wheel, &t->timer, rec_at(t, t->head)->expires);
  else
    sn_timer_cancel(&st->wheel, &t->timer);
}

static void fifo_unlink(struct sn_tw_table *t, uint32_t i) {
  struct sn_twrec *r = rec_at(t, i);
  if (r->prev)
    rec_at(t, r->prev)->next = r->next;
  else
    t->head = r->next;
  if (r->next)
    rec_at(t, r->next)->prev = r->prev;
  else
    t->tail = r->prev;
  r->prev = r->next = 0;
}

/* Insert in expiry order. Every record waits the same length, so a new
 * expiry is almost always the latest and this is O(1); only a changed
 * tcp_timewait_len, or a socket closed some time into its TIME-WAIT,
 * walks back from the tail. */
static void fifo_insert(struct sn_stack *st, uint32_t i) {
  struct sn_tw_table *t = &st->tcp.tw;
  struct sn_twrec *r = rec_at(t, i);
  uint32_t after = t->tail;
  while (after && rec_at(t, after)->expires > r->expires)
    after = rec_at(t, after)->prev;
  r->prev = after;
  r->next = after ? rec_at(t, after)->next : t->head;
  if (r->next)
    rec_at(t, r->next)->prev = i;
  else
    t->tail = i;
  if (after)
    rec_at(t, after)->next = i;
  else
    t->head = i;
  if (t->head == i)
    arm_head(st);
}

static void restart(struct sn_stack *st, uint32_t i) {
  struct sn_tw_table *t = &st->tcp.tw;
  bool was_head = t->head == i;
  fifo_unlink(t, i);
  rec_at(t, i)->expires =
      st->now + (uint64_t)st->cfg.tcp_timewait_len * SN_NSEC_PER_SEC;
  fifo_insert(st, i);
  if (was_head && t->head != i)
    arm_head(st);
}

/* The record ends: trace it as the connection's last state change. */
static void rec_end(struct sn_stack *st, uint32_t i, const char *why) {
  struct sn_tw_table *t = &st->tcp.tw;
  struct sn_twrec *r = rec_at(t, i);
  SN_TRACE(st, tcp, "state", SN_TF_U("conn", r->id), SN_TF_S("from", "TIME-WAIT"),
           SN_TF_S("to", "CLOSED"), SN_TF_S("why", why));
  bool was_head = t->head == i;
  fifo_unlink(t, i);
  uint32_t *pp = bucket_of(st, r->laddr, r->lport, r->raddr, r->rport);
  while (*pp && *pp != i)
    pp = &rec_at(t, *pp)->hnext;
  if (*pp)
    *pp = r->hnext;
  memset(r, 0, sizeof *r);
  r->hnext = t->free_head;
  t->free_head = i;
  t->count--;
  if (was_head)
    arm_head(st);
}

static void tw_timer_fired(struct sn_timer *tm) {
  struct sn_stack *st = SN_CONTAINER_OF(tm, struct sn_stack, tcp.tw.timer);
  struct sn_tw_table *t = &st->tcp.tw;
  while (t->head && rec_at(t, t->head)->expires <= st->now) {
    sn_count(st, SN_CTR_TcpExtTW);
    rec_end(st, t->head, "TIME-WAIT over (2MSL)");
  }
}

/* Into a record --------------------------------------------------------------- */

static bool adopt(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  struct sn_tw_table *t = &st->tcp.tw;
  uint32_t i = rec_alloc(t);
  if (!i)
    return false;
  struct sn_twrec *r = rec_at(t, i);
  r->expires = tcb->deadline[SN_TT_STATE]
                   ? tcb->deadline[SN_TT_STATE]
                   : st->now + (uint64_t)st->cfg.tcp_timewait_len * SN_NSEC_PER_SEC;
  r->laddr = tcb->laddr;
  r->raddr = tcb->raddr;
  r->lport = tcb->lport;
  r->rport = tcb->rport;
  r->snd_nxt = tcb->snd_nxt;
  r->rcv_nxt = tcb->rcv_nxt;
  r->ts_recent = tcb->ts_recent;
  r->ts_offset = tcb->ts_offset;
  r->ts_stamp_s = (uint32_t)(tcb->ts_recent_ns / SN_NSEC_PER_SEC);
  r->id = tcb->id;
  r->win = sn_tcp_ack_window(tcb);
  r->flags = tcb->ts_ok ? SN_TW_TS : 0;
  if (tcb->last_oow_ack_ns) {
    r->flags |= SN_TW_OOW;
    r->oow_ms = (uint32_t)(tcb->last_oow_ack_ns / SN_NSEC_PER_MSEC);
  }
  if (t->count > t->mask)
    grow_buckets(st);
  uint32_t *b = bucket_of(st, r->laddr, r->lport, r->raddr, r->rport);
  r->hnext = *b;
  *b = i;
  t->count++;
  fifo_insert(st, i);
  sn_count(st, SN_CTR_SnTcpTimeWaitRecords);
  SN_TCP_TRACE(tcb, "timewait-record", SN_TF_U("bytes", sizeof *r),
               SN_TF_U("records", t->count));
  sn_tcb_release(tcb);
  return true;
}

void sn_tw_orphaned(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  if (tcb->dead || tcb->sock || tcb->state != SN_TCP_TIME_WAIT)
    return;
  /* An ACK owed to the peer's FIN but held for the callbacks that just
   * closed the socket goes now, from the control block that owes it. */
  if (tcb->ack_now)
    sn_tcp_send_ack(tcb, "acknowledging what arrived");
  /* The total counts this TCB already. */
  if (sn_tw_total(st) > (uint32_t)st->cfg.tcp_max_tw_buckets) {
    sn_count(st, SN_CTR_TcpExtTCPTimeWaitOverflow);
    sn_tcp_done(tcb, 0, "no TIME-WAIT: the table is full (tcp_max_tw_buckets)");
    return;
  }
  adopt(tcb);
}

/* What TIME-WAIT does with a segment ------------------------------------------ */

/* RFC 7323 §5 (PAWS) as TIME-WAIT applies it: a TSval older than
 * TS.Recent marks an old duplicate, except a RST once TS.Recent is old. */
static bool tw_paws_reject(const struct sn_stack *st, const struct sn_tw_view *v,
                           const struct sn_tcp_seg *seg) {
  if (!v->ts_ok || !seg->opt.has_ts || !v->ts_recent)
    return false;
  if ((int32_t)(v->ts_recent - seg->opt.tsval) <= 0)
    return false;
  if ((seg->flags & SN_TCP_RST) &&
      st->now / SN_NSEC_PER_SEC >= (uint64_t)v->ts_stamp_s + PAWS_MSL_S)
    return false;
  return true;
}

enum sn_tw_verdict sn_tw_decide(struct sn_stack *st, const struct sn_tw_view *v,
                                const struct sn_tcp_seg *seg, bool *restart) {
  bool rst = seg->flags & SN_TCP_RST;
  bool paws = tw_paws_reject(st, v, seg);
  *restart = false;
  /* At RCV.NXT, only a RST or a bare ACK makes sense. */
  if (!paws && seg->seq == v->rcv_nxt && (rst || sn_tcp_seg_len(seg) == 0)) {
    if (rst)
      return st->cfg.tcp_rfc1337 ? SN_TW_IGNORE : SN_TW_KILL;
    return SN_TW_RESTART;
  }
  /* RFC 1122 §4.2.2.13 and RFC 6191: a SYN above the old connection's
   * sequence space, or with timestamps a newer TSval, may start a new
   * incarnation; an older TSval is an old duplicate whatever its
   * sequence number. */
  if ((seg->flags & (SN_TCP_SYN | SN_TCP_RST | SN_TCP_ACK)) == SN_TCP_SYN &&
      !paws &&
      (sn_seq_gt(seg->seq, v->rcv_nxt) ||
       (v->ts_ok && seg->opt.has_ts &&
        (int32_t)(seg->opt.tsval - v->ts_recent) > 0)))
    return SN_TW_REOPEN;
  if (paws)
    sn_count(st, SN_CTR_TcpExtPAWSTimewait);
  if (rst)
    return SN_TW_IGNORE;
  /* Anything else is answered with our last ACK, and a segment that
   * acknowledges something (or failed PAWS) shows the peer is still
   * there: wait 2MSL again. A SYN without ACK may be a stale duplicate
   * or a new attempt below RCV.NXT; it does not restart the wait. */
  *restart = paws || (seg->flags & SN_TCP_ACK);
  return SN_TW_ACK;
}

/* Segments to a record ---------------------------------------------------------- */

static void rec_send_ack(struct sn_stack *st, struct sn_twrec *r, const char *why) {
  struct sn_tcp_bare b = {.src = r->laddr, .dst = r->raddr, .sport = r->lport,
                          .dport = r->rport, .seq = r->snd_nxt,
                          .ack = r->rcv_nxt, .flags = SN_TCP_ACK, .win = r->win};
  if (r->flags & SN_TW_TS) {
    b.ts = true;
    b.tsval = ms_clock(st) + r->ts_offset;
    b.tsecr = r->ts_recent;
  }
  SN_TRACE(st, tcp, "tx", SN_TF_U("conn", r->id), SN_TF_S("flags", "."),
           SN_TF_U("seq", b.seq), SN_TF_U("ack", b.ack), SN_TF_U("len", 0),
           SN_TF_U("win", b.win), SN_TF_S("state", "TIME-WAIT"),
           SN_TF_S("why", why));
  sn_tcp_send_bare(st, &b, why);
}

/* Linux's tcp_oow_rate_limited(): pure ACKs answered at most once per
 * tcp_invalid_ratelimit, so two stacks cannot ping-pong ACKs. */
static bool rec_rate_limited(struct sn_stack *st, struct sn_twrec *r,
                             const struct sn_tcp_seg *seg) {
  if (sn_tcp_seg_len(seg) && !(seg->flags & SN_TCP_SYN))
    return false;
  uint32_t now = ms_clock(st);
  if ((r->flags & SN_TW_OOW) &&
      now - r->oow_ms < (uint32_t)st->cfg.tcp_invalid_ratelimit) {
    sn_count(st, SN_CTR_TcpExtTCPACKSkippedTimeWait);
    return true;
  }
  r->flags |= SN_TW_OOW;
  r->oow_ms = now;
  return false;
}

void sn_tw_input(struct sn_stack *st, uint32_t i, const struct sn_tcp_seg *seg) {
  struct sn_tw_table *t = &st->tcp.tw;
  struct sn_twrec *r = rec_at(t, i);
  if (sn_tracing(st, SN_TC_tcp)) {
    char fl[12];
    SN_TRACE(st, tcp, "rx", SN_TF_U("conn", r->id),
             SN_TF_S("flags", sn_tcp_flags_str(seg->flags, fl)),
             SN_TF_U("seq", seg->seq), SN_TF_U("ack", seg->ack),
             SN_TF_U("len", seg->len), SN_TF_U("win", seg->wnd),
             SN_TF_S("state", "TIME-WAIT"));
  }
  struct sn_tw_view v = {.rcv_nxt = r->rcv_nxt, .ts_recent = r->ts_recent,
                         .ts_stamp_s = r->ts_stamp_s,
                         .ts_ok = r->flags & SN_TW_TS};
  bool again;
  switch (sn_tw_decide(st, &v, seg, &again)) {
  case SN_TW_KILL:
    rec_end(st, i, "RST received in TIME-WAIT");
    return;
  case SN_TW_REOPEN: {
    struct sn_tcb *lis = sn_tcp_find_listener(st, seg->daddr, seg->dport);
    if (lis) {
      /* RFC 1122 §4.2.2.13 (1): the new ISN is above any sequence number
       * the old connection used; Linux takes SND.NXT + 65535 + 2. */
      uint32_t isn = r->snd_nxt + 65535 + 2;
      sn_count(st, SN_CTR_SnTcpTimeWaitReuse);
      rec_end(st, i, "new SYN ends TIME-WAIT");
      sn_tcp_listen_reopen(lis, seg, isn);
      return;
    }
    break; /* nobody listens: answered like any other segment */
  }
  case SN_TW_RESTART:
    if ((r->flags & SN_TW_TS) && seg->opt.has_ts) {
      r->ts_recent = seg->opt.tsval;
      r->ts_stamp_s = (uint32_t)(st->now / SN_NSEC_PER_SEC);
    }
    sn_drop(st, SN_DROP_TCP_TIMEWAIT, "tcp", seg->len);
    restart(st, i);
    return;
  case SN_TW_IGNORE:
    sn_drop(st, SN_DROP_TCP_RST_INVALID, "tcp", seg->len);
    return;
  case SN_TW_ACK:
    break;
  }
  sn_drop(st, SN_DROP_TCP_TIMEWAIT, "tcp", seg->len);
  if (again)
    restart(st, i);
  if (!rec_rate_limited(st, r, seg))
    rec_send_ack(st, r, (seg->flags & SN_TCP_FIN)
                            ? "ACK again: the peer repeated its FIN (TIME-WAIT restarts)"
                            : "ACK from TIME-WAIT");
}

/* tcp_tw_reuse: a new outgoing connection may take over the 4-tuple of one
 * in TIME-WAIT when timestamps (PAWS) guard it from the old one's
 * segments and the last of them came in an earlier second (Linux's
 * rule). */
bool sn_tw_may_reuse(const struct sn_stack *st, bool ts_ok, uint32_t stamp_s,
                     uint32_t raddr) {
  int mode = st->cfg.tcp_tw_reuse;
  bool loop = sn_ip_is_loopback(raddr) || sn_is_local_addr(st, raddr);
  return ts_ok && (mode == 1 || (mode == 2 && loop)) &&
         st->now / SN_NSEC_PER_SEC > stamp_s;
}

bool sn_tw_reuse(struct sn_stack *st, uint32_t i) {
  struct sn_twrec *r = rec_at(&st->tcp.tw, i);
  if (!sn_tw_may_reuse(st, r->flags & SN_TW_TS, r->ts_stamp_s, r->raddr))
    return false;
  sn_count(st, SN_CTR_SnTcpTimeWaitReuse);
  rec_end(st, i, "TIME-WAIT reused by a new connection (tcp_tw_reuse)");
  return true;
}

/* Listing ---------------------------------------------------------------------- */

int sn_tw_dump(const struct sn_stack *st, FILE *out) {
  const struct sn_tw_table *t = &st->tcp.tw;
  int n = 0;
  for (uint32_t i = t->head; i; i = rec_at(t, i)->next) {
    const struct sn_twrec *r = rec_at(t, i);
    char la[16], ra[16], l[32], rr[32];
    snprintf(l, sizeof l, "%s:%u", sn_ip4_fmt(r->laddr, la), r->lport);
    snprintf(rr, sizeof rr, "%s:%u", sn_ip4_fmt(r->raddr, ra), r->rport);
    uint64_t left = r->expires > st->now ? r->expires - st->now : 0;
    fprintf(out, "%-11s %-7u %-7u %-21s %-21s timewait (%.3fs) record\n",
            "TIME-WAIT", 0u, 0u, l, rr, (double)left / 1e9);
    n++;
  }
  return n;
}
