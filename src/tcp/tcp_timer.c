/*
 * tcp_timer.c - the per-connection deadlines: retransmission (RFC 6298
 * §5; SYN and SYN-ACK schedules as Linux runs them), zero-window probes
 * (RFC 9293 §3.8.6.1), delayed ACKs (RFC 1122 §4.2.3.2), keepalive
 * (RFC 1122 §4.2.3.6) and the state timers (TIME-WAIT's 2MSL, the
 * FIN-WAIT-2 timeout of a closed socket).
 *
 * Each deadline lives in the control block; one wheel timer per
 * connection is armed at the earliest of them.
 */
#include <errno.h>

#include "base/util.h"
#include "net/stack.h"
#include "tcp/tcp_impl.h"

static const char *const timer_names[SN_TT__COUNT] = {
    [SN_TT_REORDER] = "reorder", [SN_TT_TLP] = "tlp",
    [SN_TT_RTO] = "rto",         [SN_TT_PERSIST] = "persist",
    [SN_TT_DELACK] = "delack",   [SN_TT_KEEPALIVE] = "keepalive",
    [SN_TT_STATE] = "state"};

const char *sn_tcp_timer_name(int which) {
  return (unsigned)which < SN_TT__COUNT ? timer_names[which] : "?";
}

static void rearm(struct sn_tcb *tcb) {
  uint64_t next = 0;
  for (int i = 0; i < SN_TT__COUNT; i++)
    if (tcb->deadline[i] && (!next || tcb->deadline[i] < next))
      next = tcb->deadline[i];
  if (!next)
    sn_timer_cancel(&tcb->st->wheel, &tcb->timer);
  else if (!sn_timer_armed(&tcb->timer) || tcb->timer.deadline != next)
    sn_timer_arm(&tcb->st->wheel, &tcb->timer, next);
}

void sn_tcp_timer_set(struct sn_tcb *tcb, enum sn_tcp_timer which,
                      uint64_t deadline) {
  if (tcb->deadline[which] == deadline)
    return;
  tcb->deadline[which] = deadline;
  if (deadline)
    SN_TCP_TRACE(tcb, "timer", SN_TF_S("timer", timer_names[which]),
                 SN_TF_T("at", deadline));
  rearm(tcb);
}

static uint64_t sec(int64_t s) { return (uint64_t)s * SN_NSEC_PER_SEC; }
static uint64_t ms(int64_t m) { return (uint64_t)m * SN_NSEC_PER_MSEC; }

/* How long `retries` timeouts take from an RTO of base, doubling up to max
 * (Linux's tcp_model_timeout()). */
static uint64_t model_timeout(uint64_t base, uint64_t max, uint32_t retries) {
  uint64_t total = 0, rto = base;
  for (uint32_t i = 0; i <= retries; i++) {
    total += rto;
    rto = SN_MIN(rto * 2, max);
  }
  return total;
}


void sn_tcp_rto_arm(struct sn_tcb *tcb) {
  sn_tcp_timer_set(tcb, SN_TT_RTO, tcb->st->now + sn_tcp_rto_now(tcb));
}

/* Retransmission ----------------------------------------------------------- */

static void give_up(struct sn_tcb *tcb, const char *why) {
  sn_count(tcb->st, SN_CTR_TcpExtTCPAbortOnTimeout);
  sn_tcp_done(tcb, tcb->soft_error ? tcb->soft_error : ETIMEDOUT, why);
}

/* SYN-SENT: tcp_syn_linear_timeouts retransmissions 1 s apart, then
 * doubling; fail after tcp_syn_retries + tcp_syn_linear_timeouts. */
/*
 * SYN-SENT: tcp_syn_retries retransmissions (plus tcp_syn_linear_timeouts
 * at a fixed interval first), and, as Linux's tcp_write_timeout() also
 * checks, no longer than tcp_syn_retries doublings from the initial RTO
 * take (7 s for 2): with few retries and linear timeouts, that time ends
 * the attempt first. first_retrans_ns holds the first SYN's time here.
 */
static void syn_timeout(struct sn_tcb *tcb) {
  const struct sn_config *c = &tcb->st->cfg;
  uint32_t linear = (uint32_t)c->tcp_syn_linear_timeouts;
  uint64_t limit = model_timeout(ms(c->tcp_rto_init_ms), ms(c->tcp_rto_max_ms),
                                 (uint32_t)c->tcp_syn_retries);
  if (tcb->syn_retries >= c->tcp_syn_retries + linear ||
      tcb->st->now - tcb->first_retrans_ns >= limit) {
    give_up(tcb, "SYN retransmissions exhausted: connect() times out");
    return;
  }
  tcb->syn_retries++;
  sn_count(tcb->st, SN_CTR_TcpExtTCPSynRetrans);
  sn_count(tcb->st, SN_CTR_TcpRetransSegs);
  tcb->total_retrans++;
  sn_tcp_send_syn(tcb, "SYN again: no answer within the RTO");
  uint32_t doublings = tcb->syn_retries > linear ? tcb->syn_retries - linear : 0;
  tcb->backoff = (uint8_t)SN_MIN(doublings, 30u);
  sn_tcp_rto_arm(tcb);
}

/* SYN-RECEIVED: the SYN-ACK at 1, 2, 4, ... s, tcp_synack_retries times. */
static void synack_timeout(struct sn_tcb *tcb) {
  const struct sn_config *c = &tcb->st->cfg;
  if (tcb->syn_retries >= c->tcp_synack_retries) {
    sn_tcp_done(tcb, ETIMEDOUT, "SYN-ACK retransmissions exhausted");
    return;
  }
  tcb->syn_retries++;
  sn_count(tcb->st, SN_CTR_TcpExtTCPSynRetrans);
  sn_count(tcb->st, SN_CTR_TcpRetransSegs);
  tcb->total_retrans++;
  sn_tcp_send_syn(tcb, "SYN-ACK again: the handshake's third segment did not come");
  tcb->backoff = tcb->syn_retries;
  sn_tcp_rto_arm(tcb);
}

/*
 * Has this run of timeouts lasted long enough to give up? Linux counts
 * time, not tries: the time `retries` doublings from rto_min would take,
 * capped at rto_max each (so tcp_retries2 = 15 is about 924.6 s).
 */
static bool timed_out(const struct sn_tcb *tcb, uint32_t retries) {
  const struct sn_config *c = &tcb->st->cfg;
  if (!tcb->retransmits)
    return false; /* first_retrans_ns is set at the first timeout */
  if (tcb->user_timeout_ns)
    return tcb->st->now - tcb->first_retrans_ns >= tcb->user_timeout_ns;
  uint64_t total = model_timeout((uint64_t)c->tcp_rto_min_us * SN_NSEC_PER_USEC,
                                 ms(c->tcp_rto_max_ms), retries);
  return tcb->st->now - tcb->first_retrans_ns >= total;
}

/* The next timeout: the backed-off RTO, but with TCP_USER_TIMEOUT no
 * later than the moment its budget runs out (Linux's
 * tcp_clamp_rto_to_user_timeout()), so the connection ends on time. */
static uint64_t next_timeout(const struct sn_tcb *tcb) {
  uint64_t rto = sn_tcp_rto_now(tcb);
  if (!tcb->user_timeout_ns || !tcb->retransmits)
    return rto;
  uint64_t elapsed = tcb->st->now - tcb->first_retrans_ns;
  if (elapsed >= tcb->user_timeout_ns)
    return 1;
  return SN_MIN(rto, tcb->user_timeout_ns - elapsed);
}

static uint32_t orphan_retries(const struct sn_tcb *tcb) {
  uint32_t r = (uint32_t)tcb->st->cfg.tcp_orphan_retries;
  return r ? r : 8; /* Linux: 0 means 8 */
}

/* RFC 5681 §3.1 (4) and RFC 6298 §5: a timeout. */
static void data_timeout(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  if (!tcb->txq.n)
    return;
  if (sn_tcb_orphan(tcb) ? tcb->retransmits >= orphan_retries(tcb)
                         : timed_out(tcb, (uint32_t)st->cfg.tcp_retries2)) {
    give_up(tcb, "retransmissions exhausted: the connection is dropped");
    return;
  }
  if (!tcb->retransmits) /* RFC 6298 (5.4)-(5.6): a run of timeouts starts */
    tcb->first_retrans_ns = tcb->txq.v[tcb->txq.head].sent_ns;
  sn_count(st, SN_CTR_TcpExtTCPTimeouts);
  /* Everything outstanding is presumed lost and will be resent in order
   * as the window reopens. */
  sn_tcp_enter_loss(tcb);
  tcb->rtt_start = SN_TCP_UNTIMED; /* Karn: no sample from a retransmission */
  /* The head is marked lost: resending it counts it in retrans_out. */
  sn_tcp_retransmit_head(tcb, "retransmission timeout");
  tcb->retransmits++;
  tcb->backoff++;
  sn_tcp_timer_set(tcb, SN_TT_RTO, st->now + next_timeout(tcb));
}

static void rto_fired(struct sn_tcb *tcb) {
  switch (tcb->state) {
  case SN_TCP_SYN_SENT:
    syn_timeout(tcb);
    break;
  case SN_TCP_SYN_RECEIVED:
    if (tcb->passive) {
      synack_timeout(tcb);
      break;
    }
    syn_timeout(tcb); /* simultaneous open: our SYN-ACK is our SYN */
    break;
  default:
    data_timeout(tcb);
  }
}

/* Zero-window probing (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17). */

void sn_tcp_persist_rearm(struct sn_tcb *tcb) {
  uint64_t rto = tcb->rto;
  uint64_t max_rto = ms(tcb->st->cfg.tcp_rto_max_ms);
  for (unsigned i = 0; i < tcb->persist_backoff && rto < max_rto; i++)
    rto *= 2;
  sn_tcp_timer_set(tcb, SN_TT_PERSIST, tcb->st->now + SN_MIN(rto, max_rto));
}

/*
 * RFC 1122 §4.2.2.17: the connection stays open for as long as the peer
 * answers the probes; only unanswered ones count towards tcp_retries2
 * (Linux's icsk_probes_out, reset by every ACK). The interval doubles
 * per probe either way.
 */
static void persist_fired(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  if (!sn_tcp_unsent(tcb) || tcb->txq.n)
    return;
  if (tcb->snd_wnd && sn_tcp_send_window_fill(tcb))
    return; /* a window too small to use, used: the RTO takes over */
  uint32_t max = sn_tcb_orphan(tcb) ? orphan_retries(tcb)
                                    : (uint32_t)st->cfg.tcp_retries2;
  if (tcb->persist_probes >= max) {
    give_up(tcb, "the peer's window stayed shut: zero-window probes exhausted");
    return;
  }
  sn_count(st, SN_CTR_TcpExtTCPWinProbe);
  sn_tcp_send_probe(tcb, "zero-window probe: is the window still shut?");
  tcb->persist_probes++;
  if (tcb->persist_backoff < st->cfg.tcp_retries2)
    tcb->persist_backoff++;
  sn_tcp_persist_rearm(tcb);
}

/* Delayed ACKs (Linux: a missed delayed ACK leaves ping-pong mode). */
static void delack_fired(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  if (tcb->delack_pingpong && tcb->state != SN_TCP_CLOSE_WAIT) {
    tcb->delack_pingpong = 0;
    tcb->ato = (uint32_t)ms(st->cfg.tcp_delack_min_ms);
  } else {
    tcb->ato = (uint32_t)SN_MIN((uint64_t)tcb->ato * 2, tcb->rto);
  }
  sn_count(st, SN_CTR_TcpExtDelayedACKs);
  sn_tcp_send_ack(tcb, "delayed ACK: its timer fired");
}

void sn_tcp_delack_schedule(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  uint64_t min = ms(st->cfg.tcp_delack_min_ms);
  uint64_t ato = tcb->ato;
  if (ato > min) {
    uint64_t max = tcb->delack_pingpong ? ms(st->cfg.tcp_delack_max_ms)
                                        : 500 * SN_NSEC_PER_MSEC;
    if (tcb->srtt)
      max = SN_MIN(max, SN_MAX(tcb->srtt, min));
    ato = SN_MIN(ato, max);
  }
  uint64_t at = st->now + ato;
  if (tcb->deadline[SN_TT_DELACK] && tcb->deadline[SN_TT_DELACK] < at)
    return; /* an earlier delayed ACK is already due */
  sn_tcp_timer_set(tcb, SN_TT_DELACK, at);
}

/* Keepalive (RFC 1122 §4.2.3.6, Linux's defaults and give-up rule). */
static uint64_t keep_idle(const struct sn_tcb *tcb) {
  return sec(tcb->keep_idle ? tcb->keep_idle : tcb->st->cfg.tcp_keepalive_time);
}
static uint64_t keep_intvl(const struct sn_tcb *tcb) {
  return sec(tcb->keep_intvl ? tcb->keep_intvl : tcb->st->cfg.tcp_keepalive_intvl);
}
static uint32_t keep_cnt(const struct sn_tcb *tcb) {
  return tcb->keep_cnt ? tcb->keep_cnt : (uint32_t)tcb->st->cfg.tcp_keepalive_probes;
}

static bool keepalive_state(int s) {
  return s == SN_TCP_ESTABLISHED || s == SN_TCP_CLOSE_WAIT ||
         s == SN_TCP_FIN_WAIT_1 || s == SN_TCP_FIN_WAIT_2;
}

void sn_tcp_keepalive_reset(struct sn_tcb *tcb) {
  if (!tcb->keepalive || !keepalive_state(tcb->state)) {
    sn_tcp_timer_clear(tcb, SN_TT_KEEPALIVE);
    return;
  }
  /* Armed lazily: when it fires early, it re-arms from the last arrival. */
  if (!tcb->deadline[SN_TT_KEEPALIVE])
    sn_tcp_timer_set(tcb, SN_TT_KEEPALIVE, tcb->last_rcv_ns + keep_idle(tcb));
}

static void keepalive_fired(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  if (!tcb->keepalive || !keepalive_state(tcb->state))
    return;
  if (tcb->txq.n || sn_tcp_unsent(tcb)) {
    /* Data in flight has its own timer; look again later. */
    sn_tcp_timer_set(tcb, SN_TT_KEEPALIVE, st->now + keep_idle(tcb));
    return;
  }
  uint64_t idle = st->now - tcb->last_rcv_ns;
  if (idle < keep_idle(tcb) && tcb->keepalive_probes == 0) {
    sn_tcp_timer_set(tcb, SN_TT_KEEPALIVE, tcb->last_rcv_ns + keep_idle(tcb));
    return;
  }
  if (tcb->keepalive_probes >= keep_cnt(tcb)) {
    sn_count(st, SN_CTR_TcpExtTCPKeepAliveTimeouts);
    sn_tcp_send_rst(tcb, "RST: keepalive probes went unanswered");
    sn_tcp_done(tcb, tcb->soft_error ? tcb->soft_error : ETIMEDOUT,
                "keepalive: the peer is gone");
    return;
  }
  sn_count(st, SN_CTR_SnTcpKeepAliveProbes);
  tcb->keepalive_probes++;
  sn_tcp_send_probe(tcb, "keepalive probe: is the peer still there?");
  sn_tcp_timer_set(tcb, SN_TT_KEEPALIVE, st->now + keep_intvl(tcb));
}

/* TIME-WAIT ends; a closed socket's FIN-WAIT-2 ends. */
static void state_fired(struct sn_tcb *tcb) {
  if (tcb->state == SN_TCP_TIME_WAIT) {
    sn_count(tcb->st, SN_CTR_TcpExtTW);
    sn_tcp_done(tcb, 0, "TIME-WAIT over (2MSL)");
  } else if (tcb->state == SN_TCP_FIN_WAIT_2) {
    sn_tcp_done(tcb, 0, "FIN-WAIT-2 timeout (tcp_fin_timeout) for a closed socket");
  }
}

void sn_tcp_timer_fire(struct sn_timer *t) {
  struct sn_tcb *tcb = SN_CONTAINER_OF(t, struct sn_tcb, timer);
  uint64_t now = tcb->st->now;
  static void (*const handlers[SN_TT__COUNT])(struct sn_tcb *) = {
      [SN_TT_REORDER] = sn_tcp_reorder_timeout,
      [SN_TT_TLP] = sn_tcp_tlp_timeout,
      [SN_TT_RTO] = rto_fired,
      [SN_TT_PERSIST] = persist_fired,
      [SN_TT_DELACK] = delack_fired,
      [SN_TT_KEEPALIVE] = keepalive_fired,
      [SN_TT_STATE] = state_fired};
  for (int i = 0; i < SN_TT__COUNT; i++) {
    if (!tcb->deadline[i] || tcb->deadline[i] > now)
      continue;
    tcb->deadline[i] = 0;
    SN_TCP_TRACE(tcb, "timer-fired", SN_TF_S("timer", timer_names[i]));
    handlers[i](tcb);
    if (tcb->dead)
      return; /* the connection ended; it is freed later */
  }
  rearm(tcb);
}
