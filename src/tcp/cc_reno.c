/*
 * cc_reno.c - Reno congestion control (RFC 5681), counted in segments.
 *
 * Slow start adds every newly acknowledged segment (RFC 3465 byte counting
 * without the L limit, as Linux does); congestion avoidance adds one
 * segment per window acknowledged; a loss halves the window (at least two
 * segments). Fast recovery's inflation and deflation live in the engine,
 * which calls ssthresh() and on_recovery_exit().
 */
#include "tcp/tcp_cc.h"

/* RFC 3390: the initial window for an MSS, when the profile asks for it. */
static uint32_t rfc3390_iw(uint32_t mss) {
  uint32_t bytes = 4 * mss < 4380 ? 4 * mss : (2 * mss > 4380 ? 2 * mss : 4380);
  return bytes / mss;
}

static void reno_init(struct sn_cc_state *s) {
  s->cwnd = s->init_cwnd ? s->init_cwnd : rfc3390_iw(s->mss);
  s->ssthresh = SN_CC_SSTHRESH_INF;
  s->cwnd_cnt = 0;
}

static void reno_on_ack(struct sn_cc_state *s, uint32_t acked, uint64_t rtt) {
  (void)rtt;
  if (!s->cwnd_limited)
    return; /* RFC 7661: do not grow a window that is not used */
  if (s->cwnd < s->ssthresh) { /* slow start */
    uint32_t room = s->ssthresh - s->cwnd;
    uint32_t add = acked < room ? acked : room;
    s->cwnd += add;
    acked -= add;
    if (!acked)
      return;
  }
  /* Congestion avoidance: one segment per cwnd segments acked. */
  s->cwnd_cnt += acked;
  if (s->cwnd_cnt >= s->cwnd) {
    uint32_t delta = s->cwnd_cnt / s->cwnd;
    s->cwnd_cnt -= delta * s->cwnd;
    s->cwnd += delta;
  }
}

/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t reno_ssthresh(struct sn_cc_state *s) {
  uint32_t half = s->in_flight / 2;
  return half > 2 ? half : 2;
}

const struct sn_cc_ops sn_cc_reno = {
    .name = "reno",
    .init = reno_init,
    .on_ack = reno_on_ack,
    .ssthresh = reno_ssthresh,
};
