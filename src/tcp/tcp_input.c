/*
 * tcp_input.c - a segment arrives (RFC 9293 §3.10.7).
 *
 * The segment is parsed once into a host-order struct, matched to a
 * connection (4-tuple, then TIME-WAIT, then a listener, else the closed
 * port's RST), and run through the RFC's ordered steps, one function
 * each: SYN-SENT (§3.10.7.3); then for synchronized states (§3.10.7.4)
 * PAWS (RFC 7323 §5), sequence acceptability, RST (RFC 5961 §3), SYN
 * (RFC 5961 §4), ACK (with RFC 5961 §5 and NewReno, RFC 6582), text, FIN.
 */
#include "tcp/tcp.h"

#include <errno.h>
#include <string.h>

#include "api/sock.h"
#include "base/util.h"
#include "net/stack.h"
#include "net/wire.h"
#include "tcp/tcp_impl.h"

static void trace_rx(struct sn_stack *st, struct sn_tcb *tcb,
                     const struct sn_tcp_seg *seg) {
  if (!sn_tracing(st, SN_TC_tcp))
    return;
  char fl[12];
  if (tcb) {
    bool synced = tcb->state != SN_TCP_SYN_SENT && tcb->state != SN_TCP_LISTEN;
    SN_TCP_TRACE(tcb, "rx", SN_TF_S("flags", sn_tcp_flags_str(seg->flags, fl)),
                 SN_TF_U("seq", seg->seq), SN_TF_U("ack", seg->ack),
                 SN_TF_U("rseq", synced ? seg->seq - tcb->irs : 0),
                 SN_TF_U("rack", seg->flags & SN_TCP_ACK ? seg->ack - tcb->iss : 0),
                 SN_TF_U("len", seg->len), SN_TF_U("win", seg->wnd),
                 SN_TF_S("state", sn_tcp_state_name(tcb->state)));
  } else {
    SN_TRACE(st, tcp, "rx", SN_TF_IP("src", seg->saddr),
             SN_TF_U("sport", seg->sport), SN_TF_U("dport", seg->dport),
             SN_TF_S("flags", sn_tcp_flags_str(seg->flags, fl)),
             SN_TF_U("seq", seg->seq), SN_TF_U("ack", seg->ack),
             SN_TF_U("len", seg->len));
  }
}

static void drop(struct sn_tcb *tcb, enum sn_drop_reason r,
                 const struct sn_tcp_seg *seg) {
  sn_drop(tcb->st, r, "tcp", seg->len);
}

/* Negotiated options ------------------------------------------------------ */

/* The options of the SYN (or SYN-ACK) we received decide what is used
 * (RFC 7323 §1.3, RFC 2018 §2, RFC 9293 §3.7.1). */
void sn_tcp_apply_syn_options(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  const struct sn_tcp_opts *o = &seg->opt;
  tcb->peer_mss = o->has_mss && o->mss ? o->mss : 536;
  tcb->ws_ok = tcb->ws_ok && o->has_ws;
  if (tcb->ws_ok) {
    tcb->snd_wscale = o->wscale > 14 ? 14 : o->wscale;
  } else {
    tcb->snd_wscale = 0;
    tcb->rcv_wscale = 0;
  }
  tcb->sack_ok = tcb->sack_ok && o->sack_ok;
  tcb->ts_ok = tcb->ts_ok && o->has_ts;
  if (tcb->ts_ok) {
    tcb->ts_recent = o->tsval;
    tcb->ts_recent_ns = tcb->st->now;
  }
  sn_tcp_update_mss(tcb);
}

/* The congestion state once the connection is established. */
static void start_cc(struct sn_tcb *tcb) {
  struct sn_cc_state *s = &tcb->ccs;
  /* Nagle (Minshall): no short segment is in flight yet. SND.SML must be
   * a real sequence number, or half the ISNs would look like one. */
  tcb->snd_sml = tcb->snd_una;
  s->mss = tcb->mss;
  s->init_cwnd = (uint32_t)tcb->st->cfg.tcp_init_cwnd;
  s->now_ns = tcb->st->now;
  tcb->cc->init(s);
  if (!tcb->sndbuf_locked) {
    /* Send-buffer autotuning: room for two windows of data. */
    uint64_t want = 2ull * SN_MAX(s->cwnd, 10u) * tcb->mss * 2;
    want = SN_MIN(want, (uint64_t)tcb->st->cfg.tcp_wmem[2]);
    if (want > tcb->sndbuf_limit)
      tcb->sndbuf_limit = (uint32_t)want;
  }
}

/* SYN-SENT (RFC 9293 §3.10.7.3) ------------------------------------------- */

/* The options our SYN offered (apply_syn_options() narrows them). */
struct syn_offer {
  bool ts, sack, ws;
  uint8_t rcv_wscale;
};

static void send_syn_as_offered(struct sn_tcb *tcb, const struct syn_offer *offer) {
  bool ts = tcb->ts_ok, sack = tcb->sack_ok, ws = tcb->ws_ok;
  uint8_t rws = tcb->rcv_wscale;
  tcb->ts_ok = offer->ts;
  tcb->sack_ok = offer->sack;
  tcb->ws_ok = offer->ws;
  tcb->rcv_wscale = offer->rcv_wscale;
  sn_tcp_send_syn(tcb, "SYN-ACK: answering the peer's SYN (simultaneous open)");
  tcb->ts_ok = ts;
  tcb->sack_ok = sack;
  tcb->ws_ok = ws;
  tcb->rcv_wscale = rws;
}

static void syn_sent_input(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  struct sn_stack *st = tcb->st;
  bool ack = seg->flags & SN_TCP_ACK;
  /* First: the ACK must cover our SYN and nothing beyond. */
  if (ack && (sn_seq_leq(seg->ack, tcb->iss) ||
              sn_seq_gt(seg->ack, tcb->snd_max))) {
    drop(tcb, SN_DROP_TCP_SYN_SENT_INVALID, seg);
    if (!(seg->flags & SN_TCP_RST))
      sn_tcp_reply_rst(st, seg, "RST: the ACK is not for our SYN");
    /* Linux: the peer may hold a stale connection our RST or its own
     * FIN/RST did not end; if the SYN was not resent yet, resend it in
     * 2 ms (TCP_TIMEOUT_MIN) rather than after the RTO. */
    if (tcb->syn_retries == 0)
      sn_tcp_timer_set(tcb, SN_TT_RTO, st->now + 2 * SN_NSEC_PER_MSEC);
    return;
  }
  /* Second: RST, only if it acknowledges our SYN. */
  if (seg->flags & SN_TCP_RST) {
    if (ack)
      sn_tcp_done(tcb, ECONNREFUSED, "RST in reply to our SYN: refused");
    else
      drop(tcb, SN_DROP_TCP_RST_INVALID, seg);
    return;
  }
  /* Fourth: SYN. */
  if (!(seg->flags & SN_TCP_SYN)) {
    drop(tcb, SN_DROP_TCP_SYN_SENT_INVALID, seg);
    return;
  }
  tcb->irs = seg->seq;
  tcb->rcv_nxt = seg->seq + 1;
  tcb->rcv_adv = tcb->rcv_nxt + tcb->rcv_wnd; /* what our SYN offered */
  /* RFC 3168 §6.1.1: an ECN-setup SYN-ACK has ECE and not CWR. */
  tcb->ecn_ok = tcb->ecn_want && (seg->flags & (SN_TCP_ECE | SN_TCP_CWR)) == SN_TCP_ECE;
  struct syn_offer offer = {tcb->ts_ok, tcb->sack_ok, tcb->ws_ok, tcb->rcv_wscale};
  sn_tcp_apply_syn_options(tcb, seg);
  if (ack) {
    tcb->snd_una = seg->ack;
    tcb->snd_buf_seq = seg->ack;
    /* RFC 7323 §2.2: the window in a SYN is never scaled. */
    tcb->snd_wnd = seg->wnd;
    tcb->max_snd_wnd = tcb->snd_wnd;
    tcb->snd_wl1 = seg->seq;
    tcb->snd_wl2 = seg->ack;
    if (tcb->rtt_start != SN_TCP_UNTIMED && tcb->syn_retries == 0)
      sn_tcp_rtt_sample(tcb, st->now - tcb->rtt_start);
    tcb->rtt_start = SN_TCP_UNTIMED;
    tcb->backoff = 0;
    tcb->retransmits = 0;
    sn_tcp_timer_clear(tcb, SN_TT_RTO);
    start_cc(tcb);
    sn_tcp_set_state(tcb, SN_TCP_ESTABLISHED, "SYN-ACK received: connect() completes");
    tcb->last_rcv_ns = st->now; /* keepalive idles from here */
    sn_tcp_keepalive_reset(tcb);
    if (seg->len)
      sn_tcp_rcv_data(tcb, seg->seq + 1, seg->data, seg->len);
    tcb->ack_now = 1;
    sn_tcp_output(tcb);
    return;
  }
  /* A SYN without ACK: simultaneous open (RFC 9293 §3.5, Figure 8). The
   * SYN-ACK is our SYN again, with the same options (Linux's
   * tcp_send_synack()); what both sides use is decided already. */
  sn_tcp_set_state(tcb, SN_TCP_SYN_RECEIVED, "SYN crossed ours: simultaneous open");
  tcb->snd_wnd = seg->wnd;
  tcb->snd_wl1 = seg->seq;
  send_syn_as_offered(tcb, &offer);
}

/* Synchronized states (RFC 9293 §3.10.7.4) -------------------------------- */

/* RFC 7323 §5.3: reject a segment whose timestamp went backwards. */
static bool paws_reject(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  if (!tcb->ts_ok || !seg->opt.has_ts || (seg->flags & SN_TCP_RST))
    return false;
  if ((int32_t)(seg->opt.tsval - tcb->ts_recent) >= 0)
    return false;
  /* TS.Recent older than 24 days is invalid (RFC 7323 §5.5). */
  if (tcb->st->now - tcb->ts_recent_ns > 24ull * 86400 * SN_NSEC_PER_SEC)
    return false;
  return true;
}

/* The first check: is the segment in the receive window? */
static bool acceptable(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  uint32_t slen = sn_tcp_seg_len(seg);
  uint32_t wnd = sn_seq_gt(tcb->rcv_adv, tcb->rcv_nxt)
                     ? tcb->rcv_adv - tcb->rcv_nxt
                     : 0;
  sn_seq_t lo = tcb->rcv_nxt, hi = tcb->rcv_nxt + wnd;
  if (slen == 0)
    return wnd == 0 ? seg->seq == lo : sn_seq_in(seg->seq, lo, hi) ||
                                         seg->seq == hi;
  if (wnd == 0)
    return false;
  return sn_seq_in(seg->seq, lo, hi) || sn_seq_in(seg->seq + slen - 1, lo, hi);
}

/* Linux's tcp_incr_quickack(): ACK the next segments at once, up to 16,
 * fewer when the window holds few segments (one per two it holds; two
 * if it holds less than two). */
static void quickack_more(struct sn_tcb *tcb) {
  uint32_t mss = tcb->adv_mss ? tcb->adv_mss : 536;
  uint32_t n = tcb->rcv_wnd / (2u * mss);
  n = SN_MIN(n ? n : 2u, 16u);
  if (n > tcb->quickacks)
    tcb->quickacks = (uint8_t)n;
}

/* Linux's tcp_enter_quickack_mode(): after the peer retransmitted data we
 * already had, ACK at once for a while so its recovery is quick. */
static void quickack_enter(struct sn_tcb *tcb) {
  quickack_more(tcb);
  tcb->delack_pingpong = 0;
  tcb->ato = (uint32_t)((uint64_t)tcb->st->cfg.tcp_delack_min_ms * SN_NSEC_PER_MSEC);
}

/* Answer an unacceptable segment with an ACK (a duplicate ACK for old
 * data, with a DSACK; rate-limited for bare ACKs). */
static void ack_unacceptable(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  uint32_t slen = sn_tcp_seg_len(seg);
  if (slen && sn_seq_leq(seg->seq + slen, tcb->rcv_nxt)) {
    sn_tcp_note_dsack(tcb, seg->seq, seg->seq + slen);
    quickack_enter(tcb);
  }
  if (slen == 0) {
    struct sn_stack *st = tcb->st;
    uint64_t gap = (uint64_t)st->cfg.tcp_invalid_ratelimit * SN_NSEC_PER_MSEC;
    if (tcb->last_oow_ack_ns && st->now - tcb->last_oow_ack_ns < gap)
      return;
    tcb->last_oow_ack_ns = st->now;
  }
  sn_tcp_send_ack(tcb, "ACK: the segment was outside the window");
}

/* RFC 5961 §3.2: act on a RST only if it is exactly at RCV.NXT. */
static void rst_input(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  bool exact = seg->seq == tcb->rcv_nxt;
  /* After our FIN or theirs, Linux also accepts RCV.NXT - 1. */
  if (!exact && tcb->fin_rcvd && seg->seq == tcb->rcv_nxt - 1)
    exact = true;
  if (!exact) {
    sn_tcp_challenge_ack(tcb, "challenge ACK: RST not at RCV.NXT (RFC 5961)");
    drop(tcb, SN_DROP_TCP_RST_INVALID, seg);
    return;
  }
  switch (tcb->state) {
  case SN_TCP_SYN_RECEIVED:
    sn_tcp_done(tcb, tcb->passive ? 0 : ECONNREFUSED,
                "RST in SYN-RECEIVED: the opening is abandoned");
    break;
  case SN_TCP_ESTABLISHED:
  case SN_TCP_FIN_WAIT_1:
  case SN_TCP_FIN_WAIT_2:
  case SN_TCP_CLOSE_WAIT:
    sn_tcp_done(tcb, ECONNRESET, "RST received: connection reset by peer");
    break;
  default: /* CLOSING, LAST-ACK */
    sn_tcp_done(tcb, 0, "RST received while closing");
    break;
  }
}

/*
 * SYN-RECEIVED of a passive open: the peer repeats its SYN, so it did not
 * hear our SYN-ACK. RFC 9293 is silent here; like Linux (tcp_check_req())
 * answer with the SYN-ACK again, at most once per tcp_invalid_ratelimit,
 * and restart the SYN-ACK timer from now without using up a retry. The
 * handshake's RTT is then ambiguous (Karn): it is not sampled.
 */
static void synrcvd_repeated_syn(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  uint64_t gap = (uint64_t)st->cfg.tcp_invalid_ratelimit * SN_NSEC_PER_MSEC;
  if (tcb->last_oow_ack_ns && st->now - tcb->last_oow_ack_ns < gap)
    return;
  tcb->last_oow_ack_ns = st->now;
  sn_count(st, SN_CTR_TcpExtTCPSynRetrans);
  sn_count(st, SN_CTR_TcpRetransSegs);
  tcb->total_retrans++;
  tcb->rtt_start = SN_TCP_UNTIMED;
  sn_tcp_send_syn(tcb, "SYN-ACK again: the peer repeated its SYN");
  sn_tcp_rto_arm(tcb);
}

/* Simultaneous open (RFC 9293 §3.5, Figure 8): SYN-RECEIVED after our SYN
 * crossed the peer's, and this is the peer's SYN-ACK. Its SYN was taken
 * in SYN-SENT; its ACK acknowledges ours. */
static bool crossed_synack(const struct sn_tcb *tcb,
                           const struct sn_tcp_seg *seg) {
  return tcb->state == SN_TCP_SYN_RECEIVED && !tcb->passive &&
         (seg->flags & SN_TCP_ACK) && !(seg->flags & SN_TCP_FIN) &&
         seg->len == 0 && seg->seq + 1 == tcb->rcv_nxt &&
         seg->ack == tcb->snd_nxt;
}
static void crossed_synack_input(struct sn_tcb *tcb,
                                 const struct sn_tcp_seg *seg);

/* RFC 5961 §4: a SYN on a synchronized connection gets a challenge ACK. */
static void syn_input(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  if (tcb->state == SN_TCP_SYN_RECEIVED && tcb->passive &&
      seg->seq == tcb->irs && !(seg->flags & SN_TCP_ACK)) {
    synrcvd_repeated_syn(tcb);
    return;
  }
  if (crossed_synack(tcb, seg)) {
    crossed_synack_input(tcb, seg);
    return;
  }
  sn_count(tcb->st, SN_CTR_TcpExtTCPSYNChallenge);
  sn_tcp_challenge_ack(tcb, "challenge ACK: SYN on a synchronized connection");
  drop(tcb, SN_DROP_TCP_SYN_INVALID, seg);
}

/* SYN-RECEIVED: the ACK that completes the handshake. */
static bool synrcvd_ack(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  struct sn_stack *st = tcb->st;
  if (!sn_seq_gt(seg->ack, tcb->snd_una) || sn_seq_gt(seg->ack, tcb->snd_max)) {
    drop(tcb, SN_DROP_TCP_ACK_UNSENT, seg);
    sn_tcp_reply_rst(st, seg, "RST: the ACK does not match our SYN-ACK");
    return false;
  }
  if (tcb->passive && sn_tcp_accept_queue_full(tcb)) {
    /* Linux: the handshake cannot finish now. Drop the ACK and let the
     * SYN-ACK timer try again, or refuse outright if asked to. */
    sn_count(st, SN_CTR_TcpExtListenOverflows);
    sn_count(st, SN_CTR_TcpExtListenDrops);
    drop(tcb, SN_DROP_TCP_LISTEN_OVERFLOW, seg);
    if (st->cfg.tcp_abort_on_overflow) {
      sn_tcp_send_rst(tcb, "RST: accept queue full (tcp_abort_on_overflow)");
      sn_tcp_done(tcb, 0, "accept queue overflow");
    }
    return false;
  }
  tcb->snd_una = seg->ack;
  tcb->snd_buf_seq = seg->ack;
  tcb->snd_wnd = (uint32_t)seg->wnd << tcb->snd_wscale;
  tcb->max_snd_wnd = tcb->snd_wnd;
  tcb->snd_wl1 = seg->seq;
  tcb->snd_wl2 = seg->ack;
  if (tcb->rtt_start != SN_TCP_UNTIMED && tcb->syn_retries == 0)
    sn_tcp_rtt_sample(tcb, tcb->st->now - tcb->rtt_start);
  tcb->rtt_start = SN_TCP_UNTIMED;
  tcb->backoff = 0;
  tcb->retransmits = 0;
  sn_tcp_timer_clear(tcb, SN_TT_RTO);
  start_cc(tcb);
  sn_tcp_set_state(tcb, SN_TCP_ESTABLISHED,
                   seg->len ? "data carrying the ACK completes the handshake"
                            : "third segment of the handshake received");
  tcb->last_rcv_ns = st->now; /* keepalive idles from here */
  sn_tcp_keepalive_reset(tcb);
  if (tcb->passive)
    sn_tcp_child_ready(tcb);
  return true;
}

/* Our FIN is sent and acknowledged. */
static bool our_fin_acked(const struct sn_tcb *tcb) {
  return tcb->fin_sent && sn_seq_geq(tcb->snd_una, tcb->snd_max);
}

/* The segment carries the peer's FIN, and nothing is missing before it:
 * the eighth step will take it. */
static bool fin_arrives(const struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  return (seg->flags & SN_TCP_FIN) && sn_seq_leq(seg->seq, tcb->rcv_nxt) &&
         sn_seq_geq(seg->seq + seg->len, tcb->rcv_nxt);
}

/* FIN-WAIT-1 -> FIN-WAIT-2; a closed socket waits there tcp_fin_timeout
 * at most (Linux), one that only shut its sending side for as long as it
 * takes. */
static void enter_fin_wait_2(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  sn_tcp_set_state(tcb, SN_TCP_FIN_WAIT_2, "our FIN was acknowledged");
  if (sn_tcb_orphan(tcb))
    sn_tcp_timer_set(tcb, SN_TT_STATE,
                     st->now + (uint64_t)st->cfg.tcp_fin_timeout * SN_NSEC_PER_SEC);
}

/* RFC 9293 §3.10.7.4, fifth check: the ACK field. Returns false if the
 * segment is to be dropped. */
static bool ack_input(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  struct sn_stack *st = tcb->st;
  if (sn_seq_gt(seg->ack, tcb->snd_max)) {
    /* It acknowledges something not yet sent. */
    sn_tcp_challenge_ack(tcb, "ACK: the peer acknowledged unsent data");
    drop(tcb, SN_DROP_TCP_ACK_UNSENT, seg);
    return false;
  }
  if (sn_seq_lt(seg->ack, tcb->snd_una - tcb->max_snd_wnd)) {
    /* RFC 5961 §5.2: too old to be a plausible duplicate. */
    sn_tcp_challenge_ack(tcb, "challenge ACK: the ACK is far too old (RFC 5961)");
    drop(tcb, SN_DROP_TCP_ACK_OLD, seg);
    return false;
  }
  tcb->keepalive_probes = 0;
  tcb->persist_probes = 0; /* the peer answers (RFC 1122 §4.2.2.17) */
  bool fin_acked = false;
  sn_tcp_rcv_ack(tcb, seg, &fin_acked);
  /* Window update (RFC 9293 §3.10.7.4, SND.WL1/SND.WL2). */
  if (sn_seq_lt(tcb->snd_wl1, seg->seq) ||
      (tcb->snd_wl1 == seg->seq && sn_seq_leq(tcb->snd_wl2, seg->ack))) {
    uint32_t old = tcb->snd_wnd;
    tcb->snd_wnd = (uint32_t)seg->wnd << tcb->snd_wscale;
    tcb->snd_wl1 = seg->seq;
    tcb->snd_wl2 = seg->ack;
    if (tcb->snd_wnd > tcb->max_snd_wnd)
      tcb->max_snd_wnd = tcb->snd_wnd;
    if (old == 0 && tcb->snd_wnd) {
      sn_tcp_timer_clear(tcb, SN_TT_PERSIST);
      tcb->persist_backoff = 0;
      tcb->backoff = 0;
    }
  }
  /* The window is still shut (Linux's tcp_ack_probe()): the next probe
   * comes a backed-off RTO after this ACK, not after the last probe. */
  if (tcb->deadline[SN_TT_PERSIST] && !tcb->snd_wnd && !tcb->txq.n)
    sn_tcp_persist_rearm(tcb);
  if (fin_acked || (tcb->fin_sent && seg->ack == tcb->snd_max)) {
    switch (tcb->state) {
    case SN_TCP_FIN_WAIT_1:
      /* A FIN in this segment that the eighth step will take moves
       * FIN-WAIT-1 straight to TIME-WAIT there ("if our FIN has been
       * ACKed (perhaps in this segment)"): leave the state to it. */
      if (!fin_arrives(tcb, seg))
        enter_fin_wait_2(tcb);
      break;
    case SN_TCP_CLOSING:
      sn_tcp_set_state(tcb, SN_TCP_TIME_WAIT, "our FIN was acknowledged");
      sn_tcp_timer_set(tcb, SN_TT_STATE,
                       st->now + (uint64_t)st->cfg.tcp_timewait_len *
                                     SN_NSEC_PER_SEC);
      break;
    case SN_TCP_LAST_ACK:
      sn_tcp_done(tcb, 0, "our FIN was acknowledged: closed");
      return false;
    default:
      break;
    }
  }
  sn_tcp_wake(tcb);
  return true;
}

/*
 * The peer's SYN-ACK in a simultaneous open completes it: no challenge
 * ACK (it is not a new SYN). Its SYN repeats a sequence number already
 * received, so, as Linux does, an ACK answers it with a D-SACK for that
 * byte of sequence space (RFC 2883).
 */
static void crossed_synack_input(struct sn_tcb *tcb,
                                 const struct sn_tcp_seg *seg) {
  struct sn_tcp_seg s = *seg;
  s.flags &= (uint8_t)~SN_TCP_SYN;
  s.seq = seg->seq + 1;
  if (!synrcvd_ack(tcb, &s) || !ack_input(tcb, &s))
    return;
  /* RFC 7323 §2.2: the window field of a SYN is never scaled. */
  tcb->snd_wnd = seg->wnd;
  tcb->max_snd_wnd = seg->wnd;
  tcb->last_rcv_ns = tcb->st->now;
  sn_tcp_note_dsack(tcb, seg->seq, seg->seq + 1);
  tcb->ack_now = 1;
  sn_tcp_output(tcb);
}

/* Delayed or immediate ACK for received data (Linux's quick-ACK mode and
 * ATO, tcp_event_data_recv(); RFC 5681 §4.2: at least every second
 * full-sized segment, and at once for out-of-order data or data that
 * fills a hole). */
static void ack_policy(struct sn_tcb *tcb, uint32_t len, bool out_of_order) {
  struct sn_stack *st = tcb->st;
  uint64_t min = (uint64_t)st->cfg.tcp_delack_min_ms * SN_NSEC_PER_MSEC;
  uint64_t gap = st->now - tcb->last_data_ns;
  if (!tcb->ato) {
    tcb->ato = (uint32_t)min;
    quickack_more(tcb);
  } else if (gap <= min / 2) {
    tcb->ato = (uint32_t)(tcb->ato / 2 + min / 2);
  } else if (gap < tcb->ato) {
    tcb->ato = (uint32_t)SN_MIN(tcb->ato / 2 + gap, tcb->rto);
  } else if (gap > tcb->rto) {
    quickack_more(tcb); /* a long pause: the sender restarted */
  }
  tcb->last_data_ns = st->now;
  if (len >= tcb->adv_mss - (tcb->ts_ok ? 12u : 0u))
    tcb->pending_acks++;
  if (out_of_order || sn_tcp_ooo_count(tcb) || tcb->dsack_pending ||
      (tcb->quickacks && !tcb->delack_pingpong) || tcb->pending_acks >= 2)
    tcb->ack_now = 1;
  else
    sn_tcp_delack_schedule(tcb);
}

/* Sixth and seventh checks: the text. Returns false if the connection
 * was aborted. */
static bool text_input(struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
                       uint32_t seq) {
  struct sn_stack *st = tcb->st;
  if (!seg->len)
    return true;
  switch (tcb->state) {
  case SN_TCP_ESTABLISHED:
  case SN_TCP_FIN_WAIT_1:
  case SN_TCP_FIN_WAIT_2:
    break;
  default:
    return true; /* after the peer's FIN: ignore (RFC 9293) */
  }
  sn_seq_t end = seq + seg->len;
  if (tcb->rd_shut && tcb->state != SN_TCP_ESTABLISHED &&
      sn_seq_gt(end, tcb->rcv_nxt)) {
    /* RFC 1122 §4.2.2.13, RFC 2525 §2.17: new data after close() (or
     * after both directions were shut) will never be read; say so with a
     * RST. Linux answers the segment as a closed port would,
     * <SEQ=SEG.ACK><CTL=RST>, and so does this stack. */
    sn_count(st, SN_CTR_TcpExtTCPAbortOnData);
    drop(tcb, SN_DROP_TCP_DATA_AFTER_CLOSE, seg);
    sn_tcp_reply_rst(st, seg, "RST: data arrived after close()");
    sn_tcp_done(tcb, 0, "data after close(): aborted");
    return false;
  }
  bool in_order = seq == tcb->rcv_nxt;
  bool had_gap = sn_tcp_ooo_count(tcb) != 0;
  if (sn_seq_lt(seq, tcb->rcv_nxt))
    quickack_enter(tcb); /* partly a retransmission */
  if (tcb->ecn_ok && seg->ecn == 3) {
    /* RFC 3168 §6.1.3: congestion experienced on the way here: echo it
     * on every ACK until the sender says it reduced, and at once. */
    if (!tcb->ece_send)
      SN_TCP_TRACE(tcb, "ecn", SN_TF_S("why", "CE mark received: echoing ECE"));
    tcb->ece_send = 1;
    quickack_enter(tcb);
  }
  uint32_t ready = sn_tcp_rcv_data(tcb, seq, seg->data, seg->len);
  tcb->data_rcvd = 1;
  ack_policy(tcb, seg->len, !in_order || (had_gap && ready));
  tcb->last_rcv_ns = st->now;
  if (ready)
    sn_tcp_wake(tcb);
  return true;
}

/* Eighth check: FIN. */
static void fin_input(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  if (!tcb->fin_seen || tcb->fin_rcvd || tcb->rcv_nxt != tcb->fin_seq) {
    /* The FIN ack_input() left FIN-WAIT-1 for could not be taken (its
     * data did not all fit): our FIN is acknowledged all the same. */
    if (tcb->state == SN_TCP_FIN_WAIT_1 && our_fin_acked(tcb))
      enter_fin_wait_2(tcb);
    return;
  }
  tcb->fin_rcvd = 1;
  tcb->rcv_nxt++;
  /* Linux's tcp_fin() resets the SACK state: no DSACK for a duplicate
   * that came with the FIN. */
  tcb->dsack_pending = 0;
  uint64_t tw = (uint64_t)st->cfg.tcp_timewait_len * SN_NSEC_PER_SEC;
  switch (tcb->state) {
  case SN_TCP_SYN_RECEIVED:
  case SN_TCP_ESTABLISHED:
    sn_tcp_set_state(tcb, SN_TCP_CLOSE_WAIT, "FIN received: the peer closed");
    /* Linux: ACK a FIN after data with the delayed-ACK timer (in
     * ping-pong mode), at once if no data came before. */
    tcb->delack_pingpong = 1;
    if (tcb->ato == 0)
      tcb->ack_now = 1;
    else
      sn_tcp_delack_schedule(tcb);
    break;
  case SN_TCP_FIN_WAIT_1:
    tcb->ack_now = 1;
    if (our_fin_acked(tcb)) {
      sn_tcp_set_state(tcb, SN_TCP_TIME_WAIT, "FIN+ACK received in FIN-WAIT-1");
      sn_tcp_timer_set(tcb, SN_TT_STATE, st->now + tw);
    } else {
      sn_tcp_set_state(tcb, SN_TCP_CLOSING, "FIN crossed ours: simultaneous close");
    }
    break;
  case SN_TCP_FIN_WAIT_2:
    tcb->ack_now = 1;
    sn_tcp_set_state(tcb, SN_TCP_TIME_WAIT, "FIN received in FIN-WAIT-2");
    sn_tcp_timer_set(tcb, SN_TT_STATE, st->now + tw);
    break;
  default:
    tcb->ack_now = 1;
    break;
  }
  sn_tcp_wake(tcb);
}

static void sync_input(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  struct sn_stack *st = tcb->st;
  if (paws_reject(tcb, seg)) {
    sn_count(st, SN_CTR_TcpExtPAWSEstab);
    drop(tcb, SN_DROP_TCP_PAWS, seg);
    ack_unacceptable(tcb, seg);
    return;
  }
  if (!acceptable(tcb, seg)) {
    if (seg->flags & SN_TCP_RST) {
      drop(tcb, SN_DROP_TCP_RST_INVALID, seg);
      return;
    }
    if (seg->flags & SN_TCP_SYN) {
      syn_input(tcb, seg);
      return;
    }
    drop(tcb, SN_DROP_TCP_OUT_OF_WINDOW, seg);
    ack_unacceptable(tcb, seg);
    return;
  }
  if (seg->flags & SN_TCP_RST) {
    rst_input(tcb, seg);
    return;
  }
  if (seg->flags & SN_TCP_SYN) {
    syn_input(tcb, seg);
    return;
  }
  if (!(seg->flags & SN_TCP_ACK)) {
    drop(tcb, SN_DROP_TCP_NO_ACK, seg);
    return;
  }
  /* RFC 7323 §4.3: remember the timestamp to echo. */
  bool ack_valid = sn_seq_leq(seg->ack, tcb->snd_max);
  if (tcb->ts_ok && seg->opt.has_ts && ack_valid &&
      sn_seq_leq(seg->seq, tcb->rcv_adv) &&
      sn_seq_geq(seg->seq + sn_tcp_seg_len(seg), tcb->rcv_nxt) &&
      sn_seq_leq(seg->seq, tcb->rcv_nxt)) {
    tcb->ts_recent = seg->opt.tsval;
    tcb->ts_recent_ns = st->now;
  }
  if (tcb->state == SN_TCP_SYN_RECEIVED && !synrcvd_ack(tcb, seg))
    return;
  if (tcb->ecn_ok && (seg->flags & SN_TCP_CWR))
    tcb->ece_send = 0; /* RFC 3168 §6.1.3: the sender has reduced */
  if (!ack_input(tcb, seg))
    return;
  tcb->last_rcv_ns = st->now;
  sn_tcp_keepalive_reset(tcb);
  if (seg->flags & SN_TCP_FIN) {
    tcb->fin_seen = 1;
    tcb->fin_seq = seg->seq + seg->len;
  }
  if (!text_input(tcb, seg, seg->seq))
    return;
  /* (An ACK that took CLOSING to TIME-WAIT is not answered: RFC 9293
   * §3.10.7.4 and Linux ACK only a FIN there.) */
  fin_input(tcb);
  sn_tcp_output(tcb);
}

/* Segments for a connection in TIME-WAIT whose socket is still open (a
 * closed one's is a record: tcp_timewait.c). The same rules apply. */
static void timewait_input(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  struct sn_stack *st = tcb->st;
  struct sn_tw_view v = {.rcv_nxt = tcb->rcv_nxt, .ts_recent = tcb->ts_recent,
                         .ts_stamp_s = (uint32_t)(tcb->ts_recent_ns / SN_NSEC_PER_SEC),
                         .ts_ok = tcb->ts_ok};
  uint64_t again_at = st->now + (uint64_t)st->cfg.tcp_timewait_len * SN_NSEC_PER_SEC;
  bool again;
  switch (sn_tw_decide(st, &v, seg, &again)) {
  case SN_TW_KILL:
    sn_tcp_done(tcb, 0, "RST received in TIME-WAIT");
    return;
  case SN_TW_REOPEN: {
    struct sn_tcb *lis = sn_tcp_find_listener(st, seg->daddr, seg->dport);
    if (lis) {
      /* RFC 1122 §4.2.2.13 (1): the new ISN is above any sequence number
       * the old connection used; Linux takes SND.NXT + 65535 + 2. */
      uint32_t isn = tcb->snd_nxt + 65535 + 2;
      sn_count(st, SN_CTR_SnTcpTimeWaitReuse);
      sn_tcp_done(tcb, 0, "new SYN ends TIME-WAIT");
      sn_tcp_listen_reopen(lis, seg, isn);
      return;
    }
    break;
  }
  case SN_TW_RESTART:
    if (tcb->ts_ok && seg->opt.has_ts) {
      tcb->ts_recent = seg->opt.tsval;
      tcb->ts_recent_ns = st->now;
    }
    sn_drop(st, SN_DROP_TCP_TIMEWAIT, "tcp", seg->len);
    sn_tcp_timer_set(tcb, SN_TT_STATE, again_at);
    return;
  case SN_TW_IGNORE:
    drop(tcb, SN_DROP_TCP_RST_INVALID, seg);
    return;
  case SN_TW_ACK:
    break;
  }
  sn_drop(st, SN_DROP_TCP_TIMEWAIT, "tcp", seg->len);
  if (again)
    sn_tcp_timer_set(tcb, SN_TT_STATE, again_at);
  if (seg->flags & SN_TCP_FIN) {
    /* Our last ACK was lost: the peer repeats its FIN. */
    sn_tcp_send_ack(tcb, "ACK again: the peer repeated its FIN (TIME-WAIT restarts)");
    return;
  }
  ack_unacceptable(tcb, seg);
}

void sn_tcp_conn_input(struct sn_tcb *tcb, const struct sn_tcp_seg *seg) {
  switch (tcb->state) {
  case SN_TCP_SYN_SENT:
    syn_sent_input(tcb, seg);
    break;
  case SN_TCP_TIME_WAIT:
    timewait_input(tcb, seg);
    break;
  case SN_TCP_CLOSED:
  case SN_TCP_LISTEN:
    sn_drop(tcb->st, SN_DROP_TCP_NO_SOCKET, "tcp", seg->len);
    break;
  default:
    sync_input(tcb, seg);
    sn_tw_orphaned(tcb); /* a closed socket's TIME-WAIT becomes a record */
  }
}

void sn_tcp_input(struct sn_stack *st, int ifindex, const struct sn_ip4 *ip) {
  (void)ifindex;
  struct sn_tcp_seg seg;
  sn_count(st, SN_CTR_TcpInSegs);
  enum sn_drop_reason r =
      sn_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, &seg);
  if (r != SN_DROP_NONE) {
    sn_count(st, SN_CTR_TcpInErrs);
    if (r == SN_DROP_TCP_BAD_CHECKSUM)
      sn_count(st, SN_CTR_TcpInCsumErrors);
    sn_drop(st, r, "tcp", ip->payload_len);
    return;
  }
  if (sn_is_broadcast_addr(st, ifindex, ip->dst) || sn_ip_is_multicast(ip->dst)) {
    sn_drop(st, SN_DROP_TCP_NO_SOCKET, "tcp", seg.len);
    return;
  }
  seg.ecn = ip->tos & 3;
  struct sn_tcb *tcb = sn_tcb_lookup(st, seg.daddr, seg.dport, seg.saddr, seg.sport);
  if (tcb) {
    trace_rx(st, tcb, &seg);
    sn_tcp_conn_input(tcb, &seg);
    return;
  }
  uint32_t tw = sn_tw_lookup(st, seg.daddr, seg.dport, seg.saddr, seg.sport);
  if (tw) {
    sn_tw_input(st, tw, &seg);
    return;
  }
  trace_rx(st, NULL, &seg);
  struct sn_tcb *lis = sn_tcp_find_listener(st, seg.daddr, seg.dport);
  if (lis) {
    sn_tcp_listen_input(lis, &seg);
    return;
  }
  /* RFC 9293 §3.10.7.1: CLOSED. */
  sn_drop(st, SN_DROP_TCP_NO_SOCKET, "tcp", seg.len);
  sn_tcp_reply_rst(st, &seg, "RST: no socket on this port");
}

void sn_tcp_icmp_error(struct sn_stack *st, const struct sn_ip4 *quoted,
                       uint8_t type, uint8_t code, uint16_t mtu) {
  uint16_t sport = sn_get16(quoted->payload), dport = sn_get16(quoted->payload + 2);
  struct sn_tcb *tcb = sn_tcb_lookup(st, quoted->src, sport, quoted->dst, dport);
  if (!tcb || type != SN_ICMP_DEST_UNREACH)
    return;
  /* RFC 5927 §4.1: believe an error only if it quotes a sequence number
   * we have in flight. */
  sn_seq_t seq = sn_get32(quoted->payload + 4);
  if (tcb->state != SN_TCP_SYN_SENT && !sn_seq_in(seq, tcb->snd_una, tcb->snd_max)) {
    SN_TCP_TRACE(tcb, "icmp-ignored", SN_TF_U("seq", seq),
                 SN_TF_S("why", "quotes a sequence number not in flight"));
    return;
  }
  if (code == SN_ICMP_UNREACH_FRAG) {
    sn_pmtu_update(st, tcb->raddr, mtu); /* RFC 1191 */
    sn_tcp_mtu_reduced(tcb);
    return;
  }
  int err = code == SN_ICMP_UNREACH_PORT || code == SN_ICMP_UNREACH_PROTO
                ? ECONNREFUSED
            : code == SN_ICMP_UNREACH_NET ? ENETUNREACH
                                          : EHOSTUNREACH;
  SN_TCP_TRACE(tcb, "icmp-error", SN_TF_I("errno", err));
  /* RFC 1122 §4.2.3.9: soft errors, except while opening (Linux aborts a
   * SYN-SENT connection on them). */
  if (tcb->state == SN_TCP_SYN_SENT)
    sn_tcp_done(tcb, err, "ICMP error while connecting");
  else if (tcb->sock)
    tcb->soft_error = err;
}
