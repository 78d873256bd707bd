/*
 * tcp_recovery.c - what an ACK says about the segments in flight, and what
 * the sender does about losses.
 *
 *   - The scoreboard: SACK blocks (RFC 2018) mark segments delivered; a
 *     DSACK (RFC 2883) is recognised and marks nothing.
 *   - Loss detection: RACK (RFC 8985; tcp_recovery = 1, Linux's default)
 *     marks a segment lost once a segment sent after it has been
 *     delivered and more than an RTT plus a reordering window has passed;
 *     otherwise RFC 6675's IsLost (DupThresh segments SACKed above it).
 *     Without SACK, duplicate ACKs count as delivered segments and the
 *     third marks the head lost; a partial ACK in recovery marks the new
 *     head lost (NewReno, RFC 6582).
 *   - The congestion state (Open, Disorder, Recovery, Loss), entered and
 *     left as Linux does; during recovery the window follows Proportional
 *     Rate Reduction (RFC 6937) with the slow-start reduction bound, so
 *     that one segment goes out for each one delivered once the flight
 *     is down to ssthresh.
 *   - A retransmission timeout marks everything outstanding lost
 *     (RFC 5681 §3.1 (4), RFC 6298 §5).
 *
 * Counts are in segments, as Linux keeps them: in flight =
 * sent - SACKed - lost + retransmitted.
 */
#include <stdlib.h>

#include "base/util.h"
#include "net/stack.h"
#include "tcp/tcp_impl.h"

static struct sn_txseg *at(struct sn_txq *q, uint32_t i) {
  return &q->v[(q->head + i) & (q->cap - 1)];
}

static const char *const ca_names[] = {"Open", "Disorder", "CWR", "Recovery",
                                       "Loss"};

static void set_ca(struct sn_tcb *tcb, int state, const char *why) {
  if (tcb->ca_state == state)
    return;
  SN_TCP_TRACE(tcb, "ca-state", SN_TF_S("from", ca_names[tcb->ca_state]),
               SN_TF_S("to", ca_names[state]), SN_TF_S("why", why));
  tcb->ca_state = (uint8_t)state;
}

static void trace_cwnd(struct sn_tcb *tcb, const char *why) {
  SN_TCP_TRACE(tcb, "cwnd", SN_TF_U("cwnd", tcb->ccs.cwnd),
               SN_TF_U("ssthresh", tcb->ccs.ssthresh),
               SN_TF_U("in_flight", sn_tcp_in_flight(tcb)), SN_TF_S("why", why));
}

/* Mark record r lost; a lost retransmission is to be sent again. */
static bool mark_lost(struct sn_tcb *tcb, struct sn_txseg *r) {
  bool newly = false;
  if (r->flags & SN_TXSEG_RETRANS) {
    r->flags &= (uint8_t)~SN_TXSEG_RETRANS;
    tcb->retrans_out--;
    newly = true;
  }
  if (!(r->flags & SN_TXSEG_LOST)) {
    r->flags |= SN_TXSEG_LOST;
    tcb->lost_out++;
    newly = true;
  }
  return newly;
}

/* RACK (RFC 8985) ----------------------------------------------------------- */

/* Was a segment sent at t1 ending at e1 sent after one sent at t2 ending
 * at e2? (RFC 8985 §6.2, ties broken by sequence) */
static bool sent_after(uint64_t t1, sn_seq_t e1, uint64_t t2, sn_seq_t e2) {
  return t1 > t2 || (t1 == t2 && sn_seq_gt(e1, e2));
}

/* A segment was delivered (cumulatively or by SACK): remember the most
 * recently sent such segment and the RTT it measured. */
static void rack_advance(struct sn_tcb *tcb, const struct sn_txseg *r) {
  uint64_t rtt = tcb->st->now - r->sent_ns;
  /* An ACK of a retransmission faster than any RTT seen was for the
   * original: it says nothing about the retransmission's send time. */
  if (r->tx_count > 1 && tcb->min_rtt && rtt < tcb->min_rtt)
    return;
  tcb->rack.rtt = rtt;
  if (sent_after(r->sent_ns, r->seq + r->len, tcb->rack.mstamp,
                 tcb->rack.end_seq) || !tcb->rack.mstamp) {
    tcb->rack.mstamp = r->sent_ns;
    tcb->rack.end_seq = r->seq + r->len;
  }
}

/* RFC 8985 §6.2: the reordering window. None while no reordering has been
 * seen and the duplicate threshold is met or recovery is on (Linux). */
static uint64_t rack_reo_wnd(const struct sn_tcb *tcb) {
  if (!tcb->rack.reord_seen) {
    if (tcb->ca_state >= SN_CA_RECOVERY)
      return 0;
    if (tcb->sacked_out >= (uint32_t)tcb->st->cfg.tcp_reordering)
      return 0;
  }
  return SN_MIN(tcb->min_rtt / 4, tcb->srtt);
}

/* RFC 8985 §6.2 step 5: mark what has waited too long; arm the reorder
 * timer for the rest. Returns segments newly marked lost. */
static uint32_t rack_detect_loss(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  if (!tcb->rack.mstamp)
    return 0;
  uint64_t reo_wnd = rack_reo_wnd(tcb), wait = 0;
  uint32_t lost = 0;
  struct sn_txq *q = &tcb->txq;
  /* The queue is in sequence order. A segment sent once, and after the
   * reference, ends the walk: every segment above it was first sent even
   * later, and resent later still. So the walk covers only what was sent
   * before the reference, not the whole flight (Linux keeps a list in
   * send order for the same purpose). */
  for (uint32_t i = 0; i < q->n; i++) {
    struct sn_txseg *r = at(q, i);
    if (r->flags & SN_TXSEG_SACKED)
      continue; /* (the cheapest test first: most records in recovery) */
    if (!sent_after(tcb->rack.mstamp, tcb->rack.end_seq, r->sent_ns,
                    r->seq + r->len)) {
      if (r->tx_count == 1)
        break;
      continue;
    }
    if ((r->flags & SN_TXSEG_LOST) && !(r->flags & SN_TXSEG_RETRANS))
      continue; /* already waiting to be resent */
    uint64_t deadline = r->sent_ns + tcb->rack.rtt + reo_wnd;
    if (deadline <= st->now) {
      lost += mark_lost(tcb, r);
    } else if (deadline - st->now > wait) {
      wait = deadline - st->now;
    }
  }
  if (wait)
    sn_tcp_timer_set(tcb, SN_TT_REORDER, st->now + wait);
  else
    sn_tcp_timer_clear(tcb, SN_TT_REORDER);
  return lost;
}

/* RFC 6675 §4 IsLost(): DupThresh segments SACKed above it. */
static uint32_t dupthresh_detect_loss(struct sn_tcb *tcb) {
  struct sn_txq *q = &tcb->txq;
  uint32_t thresh = (uint32_t)tcb->st->cfg.tcp_reordering, above = 0, lost = 0;
  for (uint32_t i = q->n; i-- > 0;) {
    struct sn_txseg *r = at(q, i);
    if (r->flags & SN_TXSEG_SACKED)
      above++;
    else if (above >= thresh && !(r->flags & SN_TXSEG_LOST))
      lost += mark_lost(tcb, r);
  }
  return lost;
}

/* The scoreboard --------------------------------------------------------- */

/* The index of the first record that starts at or after seq: a binary
 * search, the queue being in sequence order. */
static uint32_t first_at_or_after(struct sn_txq *q, sn_seq_t seq) {
  uint32_t lo = 0, hi = q->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (sn_seq_lt(at(q, mid)->seq, seq))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Apply the SACK blocks of an ACK; returns segments newly SACKed. */
static uint32_t sack_update(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  uint32_t newly = 0;
  struct sn_txq *q = &tcb->txq;
  for (unsigned b = 0; b < seg->opt.nsack; b++) {
    sn_seq_t s = seg->opt.sack[b].start, e = seg->opt.sack[b].end;
    if (!sn_seq_lt(s, e) || sn_seq_gt(e, tcb->snd_max))
      continue; /* malformed or beyond what was sent */
    /* RFC 2883: a first block below the ACK, or inside the second block,
     * reports a duplicate and marks nothing. */
    if (b == 0 && (sn_seq_leq(e, seg->ack) ||
                   (seg->opt.nsack > 1 &&
                    sn_seq_geq(s, seg->opt.sack[1].start) &&
                    sn_seq_leq(e, seg->opt.sack[1].end))))
      continue;
    for (uint32_t i = first_at_or_after(q, s); i < q->n; i++) {
      struct sn_txseg *r = at(q, i);
      if (sn_seq_geq(r->seq, e))
        break;
      if (sn_seq_lt(r->seq, s) || sn_seq_gt(r->seq + r->len, e) ||
          (r->flags & SN_TXSEG_SACKED))
        continue;
      /* Delivered late, past a hole we had not resent into: reordering. */
      if (r->tx_count == 1 && sn_seq_lt(r->seq + r->len, tcb->high_sacked))
        tcb->rack.reord_seen = true;
      r->flags |= SN_TXSEG_SACKED;
      tcb->sacked_out++;
      if (r->flags & SN_TXSEG_LOST) {
        r->flags &= (uint8_t)~SN_TXSEG_LOST;
        tcb->lost_out--;
      }
      if (r->flags & SN_TXSEG_RETRANS) {
        r->flags &= (uint8_t)~SN_TXSEG_RETRANS;
        tcb->retrans_out--;
      }
      if (sn_seq_gt(r->seq + r->len, tcb->high_sacked))
        tcb->high_sacked = r->seq + r->len;
      rack_advance(tcb, r);
      newly++;
    }
  }
  return newly;
}

/* Remove acknowledged records; returns the segments newly delivered
 * (fully acked and not SACKed before), the send time of the oldest
 * never-retransmitted one (for the RTT), and whether the FIN was among
 * them. */
static uint32_t clean_acked(struct sn_tcb *tcb, sn_seq_t ack, uint64_t *sent,
                            bool *fin_acked) {
  struct sn_txq *q = &tcb->txq;
  uint32_t newly = 0;
  *sent = 0;
  while (q->n) {
    struct sn_txseg *r = at(q, 0);
    if (sn_seq_gt(r->seq + r->len, ack)) {
      if (sn_seq_gt(ack, r->seq)) { /* partly acked: trim it */
        r->len -= ack - r->seq;
        r->seq = ack;
      }
      break;
    }
    if (r->tx_count == 1 && !*sent)
      *sent = r->sent_ns;
    if (r->flags & SN_TXSEG_FIN)
      *fin_acked = true;
    if (!(r->flags & SN_TXSEG_SACKED))
      rack_advance(tcb, r);
    /* A segment marked lost but never resent arrived after all. */
    if ((r->flags & SN_TXSEG_LOST) && r->tx_count == 1)
      tcb->rack.reord_seen = true;
    if (r->flags & SN_TXSEG_LOST)
      tcb->lost_out--;
    if (r->flags & SN_TXSEG_RETRANS)
      tcb->retrans_out--;
    if (r->flags & SN_TXSEG_SACKED)
      tcb->sacked_out--;
    else
      newly++;
    q->head = (q->head + 1) & (q->cap - 1);
    q->n--;
  }
  if (!q->n && q->v) /* nothing in flight: an idle connection keeps no queue */
    sn_txq_release(tcb->st, q);
  return newly;
}

/* The cumulative ACK advanced: the send ring, RTT, timers. Returns the
 * segments newly delivered. */
static uint32_t snd_una_advance(struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
                                bool *fin_acked) {
  struct sn_stack *st = tcb->st;
  uint64_t sent_ns;
  uint32_t newly = clean_acked(tcb, seg->ack, &sent_ns, fin_acked);
  sn_seq_t data_end = tcb->snd_buf_seq + tcb->sndbuf.len;
  sn_seq_t upto = sn_seq_min(seg->ack, data_end);
  if (sn_seq_gt(upto, tcb->snd_buf_seq)) {
    sn_ring_consume(&tcb->sndbuf, upto - tcb->snd_buf_seq);
    tcb->snd_buf_seq = upto;
  }
  tcb->bytes_acked += seg->ack - tcb->snd_una;
  tcb->snd_una = seg->ack;
  /* RTT: from timestamps when on (RFC 7323 §4), else Karn's rule. */
  bool sampled = false;
  if (tcb->ts_ok && seg->opt.has_ts && seg->opt.tsecr) {
    uint32_t ms = sn_tcp_ts_now(tcb) - seg->opt.tsecr;
    if (ms < 600000) {
      sn_tcp_rtt_sample(tcb, (uint64_t)ms * SN_NSEC_PER_MSEC +
                                 (ms ? 0 : SN_NSEC_PER_MSEC / 2));
      sampled = true;
    }
  } else if (sent_ns) {
    sn_tcp_rtt_sample(tcb, st->now - sent_ns);
    sampled = true;
  }
  if (tcb->rtt_start != SN_TCP_UNTIMED && sn_seq_gt(seg->ack, tcb->rtt_seq))
    tcb->rtt_start = SN_TCP_UNTIMED;
  /* RFC 6298 §5.7 and Linux: the backed-off RTO stays until a valid RTT
   * sample gives a new one (an ACK of retransmitted data gives none,
   * by Karn's rule). */
  if (sampled)
    tcb->backoff = 0;
  tcb->retransmits = 0;
  tcb->first_retrans_ns = 0;
  tcb->persist_backoff = 0;
  if (sn_seq_lt(tcb->high_sacked, tcb->snd_una))
    tcb->high_sacked = tcb->snd_una;
  return newly;
}

/* RFC 5681 §2: a duplicate ACK acknowledges nothing new, carries no data,
 * does not move the window, while data is outstanding. */
static bool is_dupack(const struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  return seg->ack == tcb->snd_una && tcb->txq.n && seg->len == 0 &&
         !(seg->flags & (SN_TCP_SYN | SN_TCP_FIN)) &&
         ((uint32_t)seg->wnd << tcb->snd_wscale) == tcb->snd_wnd;
}

/* Without SACK, a duplicate ACK stands for one segment delivered (Linux's
 * "Reno SACKs"); the count never reaches the whole flight. */
static uint32_t reno_dupack(struct sn_tcb *tcb) {
  tcb->dupacks++;
  if (tcb->sacked_out + tcb->lost_out + 1 < tcb->txq.n) {
    tcb->sacked_out++;
    return 1;
  }
  return 0;
}

/* Recovery ------------------------------------------------------------------ */

static void enter_recovery(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  struct sn_cc_state *s = &tcb->ccs;
  /* FlightSize (RFC 5681 (4)), without what limited transmit sent
   * (RFC 5681 §3.2 (2)). */
  uint32_t flight = tcb->txq.n;
  s->in_flight = flight > tcb->lt_sent ? flight - tcb->lt_sent : 0;
  s->now_ns = st->now;
  tcb->prior_cwnd = s->cwnd;
  s->cwnd_cnt = 0;
  s->ssthresh = tcb->cc->ssthresh(s);
  if (tcb->cc->on_recovery)
    tcb->cc->on_recovery(s);
  tcb->prr_delivered = 0;
  tcb->prr_out = 0;
  tcb->recover = tcb->snd_max;
  set_ca(tcb, SN_CA_RECOVERY, tcb->sack_ok ? "a segment is lost (SACK)"
                                           : "three duplicate ACKs");
  sn_count(st, tcb->sack_ok ? SN_CTR_TcpExtTCPSackRecovery
                            : SN_CTR_TcpExtTCPRenoRecovery);
}

/* RFC 6937 (PRR with the slow-start reduction bound, as Linux computes
 * it): the window for what may be sent now. */
static void prr(struct sn_tcb *tcb, uint32_t delivered, uint32_t newly_lost,
                bool una_advanced) {
  struct sn_cc_state *s = &tcb->ccs;
  if (!delivered || !tcb->prior_cwnd)
    return;
  uint32_t in_flight = sn_tcp_in_flight(tcb);
  int64_t delta = (int64_t)s->ssthresh - in_flight;
  tcb->prr_delivered += delivered;
  int64_t sndcnt;
  if (delta < 0) {
    uint64_t num = (uint64_t)s->ssthresh * tcb->prr_delivered + tcb->prior_cwnd - 1;
    sndcnt = (int64_t)(num / tcb->prior_cwnd) - tcb->prr_out;
  } else {
    sndcnt = SN_MAX((int64_t)tcb->prr_delivered - tcb->prr_out, (int64_t)delivered);
    if (una_advanced && !newly_lost)
      sndcnt++;
    sndcnt = SN_MIN(delta, sndcnt);
  }
  if (sndcnt < (tcb->prr_out ? 0 : 1))
    sndcnt = tcb->prr_out ? 0 : 1; /* the fast retransmit itself */
  if (sndcnt < 0)
    sndcnt = 0;
  s->cwnd = in_flight + (uint32_t)sndcnt;
}

/* RFC 3168 §6.1.2: an ECN echo is a loss signal without a loss: reduce
 * once per window (Linux's CWR state, with PRR pacing the reduction). */
static void enter_cwr(struct sn_tcb *tcb) {
  struct sn_cc_state *s = &tcb->ccs;
  s->in_flight = tcb->txq.n;
  s->now_ns = tcb->st->now;
  tcb->prior_cwnd = s->cwnd;
  s->cwnd_cnt = 0;
  s->ssthresh = tcb->cc->ssthresh(s);
  tcb->prr_delivered = 0;
  tcb->prr_out = 0;
  tcb->recover = tcb->snd_max;
  tcb->cwr_send = 1;
  set_ca(tcb, SN_CA_CWR, "ECN echo: the network marked congestion");
}

static void end_recovery(struct sn_tcb *tcb) {
  struct sn_cc_state *s = &tcb->ccs;
  if (s->ssthresh < SN_CC_SSTHRESH_INF)
    s->cwnd = s->ssthresh;
  if (tcb->cc->on_recovery_exit)
    tcb->cc->on_recovery_exit(s);
  set_ca(tcb, SN_CA_OPEN, "all data sent before the loss is acknowledged");
  trace_cwnd(tcb, "recovery ends");
}

/* The congestion state machine (Linux's tcp_fastretrans_alert()). */
static void update_state(struct sn_tcb *tcb, bool una_advanced) {
  bool full = una_advanced && sn_seq_geq(tcb->snd_una, tcb->recover);
  if ((tcb->ca_state == SN_CA_RECOVERY || tcb->ca_state == SN_CA_CWR) && full) {
    tcb->dupacks = 0;
    if (!tcb->sack_ok)
      tcb->sacked_out = 0;
    end_recovery(tcb);
  } else if (tcb->ca_state == SN_CA_LOSS && full) {
    set_ca(tcb, SN_CA_OPEN, "everything sent before the timeout is acknowledged");
  }
  if (tcb->ca_state <= SN_CA_CWR) {
    bool lost = tcb->lost_out > 0;
    if (!tcb->sack_ok && tcb->dupacks >= (uint32_t)tcb->st->cfg.tcp_reordering)
      lost = true;
    if (lost)
      enter_recovery(tcb);
    else if (tcb->ca_state == SN_CA_CWR)
      ; /* still reducing */
    else if (tcb->sacked_out || tcb->dupacks)
      set_ca(tcb, SN_CA_DISORDER, "duplicate ACKs or SACKs");
    else
      set_ca(tcb, SN_CA_OPEN, "no more doubt");
  }
}

/* Without SACK: the third duplicate ACK, or a partial ACK in recovery,
 * marks the oldest segment lost. */
static uint32_t reno_detect_loss(struct sn_tcb *tcb, bool una_advanced) {
  struct sn_txq *q = &tcb->txq;
  if (!q->n)
    return 0;
  bool third = tcb->ca_state < SN_CA_RECOVERY &&
               tcb->dupacks >= (uint32_t)tcb->st->cfg.tcp_reordering;
  bool partial = tcb->ca_state == SN_CA_RECOVERY && una_advanced &&
                 sn_seq_lt(tcb->snd_una, tcb->recover);
  if (!third && !partial)
    return 0;
  return mark_lost(tcb, at(q, 0));
}

/* Tail loss probes (RFC 8985 §7, as Linux runs them) -------------------- */

/* The ACK covers the probe, or there is nothing left to probe for. */
static bool tlp_answered(const struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  return tcb->tlp_outstanding && sn_seq_geq(seg->ack, tcb->tlp_high_seq);
}

/* RFC 8985 §7.4: the probe was a retransmission and it repaired a loss
 * (no DSACK says the original arrived): one reduction, as for a loss. */
static void tlp_repaired(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  bool dsack = seg->opt.nsack && sn_seq_leq(seg->opt.sack[0].end, seg->ack);
  tcb->tlp_outstanding = false;
  if (!tcb->tlp_retrans || dsack || tcb->ca_state > SN_CA_CWR)
    return;
  struct sn_cc_state *s = &tcb->ccs;
  s->in_flight = tcb->txq.n + 1;
  s->now_ns = tcb->st->now;
  s->ssthresh = tcb->cc->ssthresh(s);
  s->cwnd = s->ssthresh;
  s->cwnd_cnt = 0;
  sn_count(tcb->st, SN_CTR_TcpExtTCPLossProbeRecovery);
  trace_cwnd(tcb, "a tail loss probe repaired a loss");
}

void sn_tcp_schedule_tlp(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  int64_t mode = st->cfg.tcp_early_retrans;
  if ((mode != 3 && mode != 4) || !tcb->txq.n || !tcb->sack_ok ||
      tcb->ca_state > SN_CA_CWR || tcb->tlp_outstanding) {
    sn_tcp_timer_clear(tcb, SN_TT_TLP);
    return;
  }
  /* PTO = 2 SRTT, plus the peer's delayed-ACK allowance (rto_min) when a
   * single segment is out; 1 s before any RTT sample; never after the
   * RTO would fire. */
  uint64_t pto;
  if (tcb->srtt) {
    pto = 2 * tcb->srtt;
    pto += tcb->txq.n == 1 ? (uint64_t)st->cfg.tcp_rto_min_us * SN_NSEC_PER_USEC
                           : 2 * SN_NSEC_PER_MSEC;
  } else {
    pto = (uint64_t)st->cfg.tcp_rto_init_ms * SN_NSEC_PER_MSEC;
  }
  uint64_t at = st->now + pto;
  if (tcb->deadline[SN_TT_RTO] && tcb->deadline[SN_TT_RTO] < at)
    at = tcb->deadline[SN_TT_RTO];
  sn_tcp_timer_set(tcb, SN_TT_TLP, at);
}

void sn_tcp_tlp_timeout(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  if (!tcb->txq.n || tcb->tlp_outstanding || tcb->ca_state > SN_CA_CWR)
    return;
  /* A new segment if the peer's window has room (it probes without
   * repeating anything); else the last segment again. */
  bool fresh = sn_tcp_send_one_new(tcb);
  if (!fresh)
    sn_tcp_retransmit_tail(tcb, "tail loss probe: the last segment again");
  tcb->tlp_outstanding = true;
  tcb->tlp_retrans = !fresh;
  tcb->tlp_high_seq = tcb->snd_nxt;
  sn_count(st, SN_CTR_TcpExtTCPLossProbes);
  SN_TCP_TRACE(tcb, "tlp", SN_TF_S("what", fresh ? "new data" : "retransmission"),
               SN_TF_S("why", "no ACK for 2 RTTs: probing the tail before the RTO"));
  /* The RTO runs from the oldest segment's transmission (Linux). */
  uint64_t head = tcb->txq.v[tcb->txq.head].sent_ns;
  uint64_t at = head + sn_tcp_rto_now(tcb);
  sn_tcp_timer_set(tcb, SN_TT_RTO, at > st->now ? at : st->now + 1);
}

void sn_tcp_rcv_ack(struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
                    bool *fin_acked) {
  struct sn_cc_state *s = &tcb->ccs;
  bool advanced = sn_seq_gt(seg->ack, tcb->snd_una);
  uint32_t delivered = 0;
  if (tcb->sack_ok && seg->opt.nsack)
    delivered += sack_update(tcb, seg);
  if (advanced) {
    uint32_t sacked_before = tcb->sacked_out;
    uint32_t newly = snd_una_advance(tcb, seg, fin_acked);
    if (!tcb->sack_ok) {
      /* Reno: the segments the duplicate ACKs stood for were delivered
       * then; the ACK covers them now. */
      uint32_t covered = SN_MIN(newly ? newly - 1 : 0, sacked_before);
      tcb->sacked_out = sacked_before - covered;
      newly -= covered;
      if (tcb->ca_state < SN_CA_RECOVERY || sn_seq_geq(tcb->snd_una, tcb->recover))
        tcb->sacked_out = 0;
    }
    delivered += newly;
    tcb->lt_sent = 0;
    if (tcb->ca_state < SN_CA_RECOVERY)
      tcb->dupacks = 0;
  } else if (is_dupack(tcb, seg)) {
    if (tcb->sack_ok)
      tcb->dupacks++;
    else
      delivered += reno_dupack(tcb);
  }
  uint32_t newly_lost;
  if (!tcb->sack_ok)
    newly_lost = reno_detect_loss(tcb, advanced);
  else if (tcb->st->cfg.tcp_recovery)
    newly_lost = rack_detect_loss(tcb);
  else
    newly_lost = dupthresh_detect_loss(tcb);
  if (tcb->ecn_ok && (seg->flags & SN_TCP_ECE) && tcb->ca_state < SN_CA_CWR &&
      tcb->txq.n)
    enter_cwr(tcb);
  int before = tcb->ca_state;
  update_state(tcb, advanced);
  s->now_ns = tcb->st->now;
  if (tcb->ca_state == SN_CA_RECOVERY || tcb->ca_state == SN_CA_CWR) {
    prr(tcb, delivered, newly_lost, advanced);
    if (before != SN_CA_RECOVERY || newly_lost)
      trace_cwnd(tcb, before != SN_CA_RECOVERY ? "fast recovery begins"
                                               : "proportional rate reduction");
  } else if (advanced) {
    s->in_flight = sn_tcp_in_flight(tcb);
    uint32_t was = s->cwnd;
    tcb->cc->on_ack(s, delivered, tcb->srtt);
    if (s->cwnd != was)
      trace_cwnd(tcb, s->cwnd < s->ssthresh ? "slow start" : "congestion avoidance");
  }
  /* RFC 6298 (5.2)/(5.3): stop or restart the retransmission timer. */
  if (advanced) {
    if (tcb->txq.n)
      sn_tcp_rto_arm(tcb);
    else
      sn_tcp_timer_clear(tcb, SN_TT_RTO);
  }
  if (tlp_answered(tcb, seg))
    tlp_repaired(tcb, seg);
  if (!tcb->txq.n)
    sn_tcp_timer_clear(tcb, SN_TT_REORDER);
  if (advanced)
    sn_tcp_schedule_tlp(tcb);
}

void sn_tcp_reorder_timeout(struct sn_tcb *tcb) {
  uint32_t lost = rack_detect_loss(tcb);
  if (!lost)
    return;
  if (tcb->ca_state < SN_CA_RECOVERY) {
    enter_recovery(tcb);
    prr(tcb, 1, 0, false);
    trace_cwnd(tcb, "fast recovery begins (RACK reordering timer)");
  }
  sn_tcp_output(tcb);
}

void sn_tcp_enter_loss(struct sn_tcb *tcb) {
  struct sn_cc_state *s = &tcb->ccs;
  /* A new reduction, unless recovery already made one (Linux). */
  if (tcb->ca_state <= SN_CA_DISORDER ||
      (tcb->ca_state == SN_CA_LOSS && !tcb->retransmits)) {
    s->in_flight = tcb->txq.n;
    s->now_ns = tcb->st->now;
    s->ssthresh = tcb->cc->ssthresh(s);
  }
  s->cwnd = 1; /* the loss window */
  s->cwnd_cnt = 0;
  if (tcb->cc->on_rto)
    tcb->cc->on_rto(s);
  tcb->dupacks = 0;
  tcb->lt_sent = 0;
  tcb->sacked_out = 0;
  tcb->lost_out = 0;
  tcb->retrans_out = 0;
  struct sn_txq *q = &tcb->txq;
  for (uint32_t i = 0; i < q->n; i++) {
    struct sn_txseg *r = at(q, i);
    /* RFC 6675 §5.1: SACKed data need not be resent, but Linux (and
     * RFC 2018 §8) forgets SACK information on a timeout. */
    r->flags = (uint8_t)((r->flags & ~(SN_TXSEG_SACKED | SN_TXSEG_RETRANS)) |
                         SN_TXSEG_LOST);
    tcb->lost_out++;
  }
  tcb->recover = tcb->snd_max;
  tcb->high_sacked = tcb->snd_una;
  tcb->tlp_outstanding = false;
  sn_tcp_timer_clear(tcb, SN_TT_REORDER);
  sn_tcp_timer_clear(tcb, SN_TT_TLP);
  set_ca(tcb, SN_CA_LOSS, "retransmission timeout");
  trace_cwnd(tcb, "retransmission timeout");
}

void sn_tcp_on_retransmit(struct sn_tcb *tcb) {
  if (tcb->ca_state == SN_CA_RECOVERY || tcb->ca_state == SN_CA_CWR) {
    tcb->prr_out++;
    sn_count(tcb->st, SN_CTR_TcpExtTCPFastRetrans);
  }
}

void sn_tcp_on_new_data(struct sn_tcb *tcb) {
  if (tcb->ca_state == SN_CA_RECOVERY || tcb->ca_state == SN_CA_CWR)
    tcb->prr_out++;
  else if (tcb->ca_state == SN_CA_DISORDER)
    tcb->lt_sent++; /* RFC 3042 limited transmit */
}

/* RFC 1191 §6.4 with Linux's tcp_simple_retransmit(): the path MTU fell.
 * Segments now too long are resent at once in pieces; the window is left
 * alone (no more data is in the network, only smaller units), but the
 * connection enters Loss so that they go out in order. */
void sn_tcp_mtu_reduced(struct sn_tcb *tcb) {
  uint16_t old = tcb->mss;
  sn_tcp_update_mss(tcb);
  SN_TCP_TRACE(tcb, "mss", SN_TF_U("from", old), SN_TF_U("to", tcb->mss),
               SN_TF_S("why", "ICMP fragmentation needed: the path MTU fell"));
  if (tcb->mss >= old)
    return;
  uint32_t lost = 0;
  struct sn_txq *q = &tcb->txq;
  for (uint32_t i = 0; i < q->n; i++) {
    struct sn_txseg *r = at(q, i);
    if (r->len - !!(r->flags & SN_TXSEG_FIN) > tcb->mss && !(r->flags & SN_TXSEG_SACKED))
      lost += mark_lost(tcb, r);
  }
  if (!lost)
    return;
  if (tcb->ca_state != SN_CA_LOSS) {
    struct sn_cc_state *s = &tcb->ccs;
    uint32_t three_quarters = (s->cwnd >> 1) + (s->cwnd >> 2);
    if (tcb->ca_state < SN_CA_CWR && s->ssthresh < three_quarters)
      s->ssthresh = three_quarters; /* Linux's tcp_current_ssthresh() */
    tcb->recover = tcb->snd_max;
    set_ca(tcb, SN_CA_LOSS, "path MTU fell: resending in smaller segments");
  }
  sn_tcp_output(tcb);
}
