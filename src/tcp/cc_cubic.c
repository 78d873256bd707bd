/*
 * cc_cubic.c - CUBIC congestion control (RFC 9438), counted in segments.
 *
 * After a loss the window grows as W(t) = C (t - K)^3 + W_max: quickly
 * back towards the window where the loss happened, flat around it, then
 * faster again while probing beyond. beta = 0.7, C = 0.4, with fast
 * convergence (RFC 9438 §4.7) and the Reno-friendly region (§4.3). Slow
 * start is Reno's. Each ACK adds to cwnd at the rate that reaches the
 * target W(t + RTT) within one RTT, at most 1.5x cwnd per RTT (Linux's
 * bound), as a count of segments to be acked per increment.
 */
#include <math.h>
#include <string.h>

#include "tcp/tcp_cc.h"

#define BETA 0.7
#define C 0.4
/* RFC 9438 §4.3: alpha for the Reno-friendly estimate. */
#define ALPHA (3.0 * (1.0 - BETA) / (1.0 + BETA))

struct cubic {
  double w_max;          /* window before the last reduction, segments */
  double k;              /* time to reach w_max again, seconds */
  double origin;         /* the plateau W(t) is centred on */
  double w_est;          /* Reno-friendly estimate, segments */
  uint64_t epoch_start;  /* start of this growth epoch, ns (0: none) */
};

static struct cubic *priv(struct sn_cc_state *s) {
  return (struct cubic *)(void *)s->priv;
}

_Static_assert(sizeof(struct cubic) <= SN_CC_PRIV_BYTES, "CUBIC state fits");

static uint32_t rfc3390_iw(uint32_t mss) {
  uint32_t bytes = 4 * mss < 4380 ? 4 * mss : (2 * mss > 4380 ? 2 * mss : 4380);
  return bytes / mss;
}

static void cubic_init(struct sn_cc_state *s) {
  memset(s->priv, 0, sizeof(struct cubic));
  s->cwnd = s->init_cwnd ? s->init_cwnd : rfc3390_iw(s->mss);
  s->ssthresh = SN_CC_SSTHRESH_INF;
  s->cwnd_cnt = 0;
}

/* The segments to be acked per increment of cwnd (RFC 9438 §4.2-4.4). */
static uint32_t acks_per_increment(struct sn_cc_state *s, uint32_t acked) {
  struct cubic *c = priv(s);
  double cwnd = s->cwnd;
  if (!c->epoch_start) {
    c->epoch_start = s->now_ns ? s->now_ns : 1;
    c->w_est = cwnd;
    if (cwnd < c->w_max) {
      c->k = cbrt((c->w_max - cwnd) / C);
      c->origin = c->w_max;
    } else {
      c->k = 0;
      c->origin = cwnd;
    }
  }
  double rtt = (double)(s->min_rtt_ns ? s->min_rtt_ns : s->srtt_ns) / 1e9;
  double t = (double)(s->now_ns - c->epoch_start) / 1e9 + rtt;
  double target = C * pow(t - c->k, 3) + c->origin;
  if (target < cwnd)
    target = cwnd;
  if (target > 1.5 * cwnd)
    target = 1.5 * cwnd;
  /* Reno-friendly region: never slower than standard TCP would be. */
  c->w_est += ALPHA * acked / cwnd;
  if (c->w_est > target)
    target = c->w_est;
  double cnt = target > cwnd ? cwnd / (target - cwnd) : 100.0 * cwnd;
  if (cnt < 2)
    cnt = 2; /* at most 1.5x per round trip */
  return cnt > 1e6 ? 1000000u : (uint32_t)cnt;
}

static void cubic_on_ack(struct sn_cc_state *s, uint32_t acked, uint64_t rtt) {
  (void)rtt;
  if (!s->cwnd_limited || !acked)
    return;
  if (s->cwnd < s->ssthresh) { /* slow start, as Reno */
    uint32_t room = s->ssthresh - s->cwnd;
    uint32_t add = acked < room ? acked : room;
    s->cwnd += add;
    acked -= add;
    if (!acked)
      return;
  }
  uint32_t cnt = acks_per_increment(s, acked);
  s->cwnd_cnt += acked;
  if (s->cwnd_cnt >= cnt) {
    uint32_t delta = s->cwnd_cnt / cnt;
    s->cwnd_cnt -= delta * cnt;
    s->cwnd += delta;
  }
}

/* RFC 9438 §4.6-4.7: multiplicative decrease with fast convergence. */
static uint32_t cubic_ssthresh(struct sn_cc_state *s) {
  struct cubic *c = priv(s);
  c->epoch_start = 0;
  double cwnd = s->cwnd;
  if (cwnd < c->w_max)
    c->w_max = cwnd * (1.0 + BETA) / 2.0;
  else
    c->w_max = cwnd;
  uint32_t th = (uint32_t)(cwnd * BETA);
  return th > 2 ? th : 2;
}

static void cubic_on_rto(struct sn_cc_state *s) {
  priv(s)->epoch_start = 0;
}

const struct sn_cc_ops sn_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .ssthresh = cubic_ssthresh,
    .on_rto = cubic_on_rto,
};
