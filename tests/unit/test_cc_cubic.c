/*
 * test_cc_cubic.c - CUBIC (RFC 9438) through its ops table: the
 * multiplicative decrease (beta 0.7) and fast convergence, the shape of
 * the window's growth after a loss (back to W_max at t = K, a plateau,
 * then probing beyond), the 1.5x-per-RTT bound and Reno-friendliness.
 */
#include <math.h>

#include "testlib.h"
#include "tcp/tcp_cc.h"

#define MS 1000000ull

static struct sn_cc_state fresh(void) {
  struct sn_cc_state s = {.mss = 1460, .init_cwnd = 10, .cwnd_limited = true,
                          .min_rtt_ns = 100 * MS, .srtt_ns = 100 * MS};
  sn_cc_cubic.init(&s);
  return s;
}

/* Feed one round trip of ACKs (one per segment in flight) at time now. */
static void one_rtt(struct sn_cc_state *s, uint64_t now) {
  uint32_t acks = s->cwnd;
  for (uint32_t i = 0; i < acks; i++) {
    s->now_ns = now + (uint64_t)i * 100 * MS / acks;
    sn_cc_cubic.on_ack(s, 1, 100 * MS);
  }
}

static void test_decrease_and_fast_convergence(void **state) {
  (void)state;
  struct sn_cc_state s = fresh();
  assert_int_equal(s.cwnd, 10);
  assert_int_equal(s.ssthresh, SN_CC_SSTHRESH_INF);
  assert_int_equal(sn_cc_cubic.ssthresh(&s), 7); /* 10 x 0.7 */
  s.cwnd = 9;
  /* A second loss below the last W_max: fast convergence releases
   * bandwidth, W_max = 9 x (1 + 0.7) / 2 = 7.65. */
  assert_int_equal(sn_cc_cubic.ssthresh(&s), 6);
  s.cwnd = 2;
  assert_int_equal(sn_cc_cubic.ssthresh(&s), 2); /* never below 2 */
}

static void test_growth_curve(void **state) {
  (void)state;
  struct sn_cc_state s = fresh();
  s.cwnd = 100;
  s.ssthresh = sn_cc_cubic.ssthresh(&s); /* W_max 100 */
  s.cwnd = s.ssthresh;                   /* 70: recovery ended */
  assert_int_equal(s.cwnd, 70);
  /* K = cbrt((100 - 70) / 0.4) = 4.217 s: the window returns to about 100
   * around then, grows slowly near it, and faster beyond. */
  double k = cbrt(30 / 0.4);
  uint64_t t = 1000 * MS;
  uint32_t at_k = 0, early = 0, late = 0;
  for (int r = 0; r < 90; r++, t += 100 * MS) {
    one_rtt(&s, t);
    double since = (double)(t + 100 * MS - 1000 * MS) / 1e9;
    double w = 0.4 * pow(since - k, 3) + 100;
    if (fabs(since - k) < 0.06)
      at_k = s.cwnd;
    if (fabs(since - 1.0) < 0.06)
      early = s.cwnd;
    if (fabs(since - 8.0) < 0.06)
      late = s.cwnd;
    /* Never ahead of the curve's value one RTT later by more than a
     * segment, and never more than 1.5x per round trip. */
    assert_true(s.cwnd <= fmax(w, 70) + 2 + 0.53 * (r + 1));
  }
  assert_true(at_k >= 97 && at_k <= 103);
  assert_true(early > 70 && early < 97); /* concave: fast at first */
  assert_true(late > 110);               /* convex: probing beyond W_max */
}

static void test_slow_start_and_limits(void **state) {
  (void)state;
  struct sn_cc_state s = fresh();
  s.now_ns = 1;
  sn_cc_cubic.on_ack(&s, 4, 0);
  assert_int_equal(s.cwnd, 14); /* slow start: +1 per segment acked */
  s.cwnd_limited = false;
  sn_cc_cubic.on_ack(&s, 4, 0);
  assert_int_equal(s.cwnd, 14); /* not cwnd-limited: no growth */
  /* Reno-friendly: with W_max tiny, growth is at least Reno's. */
  s = fresh();
  s.cwnd = 20;
  s.ssthresh = 20;
  uint32_t before = s.cwnd;
  for (int r = 0; r < 10; r++)
    one_rtt(&s, (uint64_t)r * 100 * MS + 1);
  assert_true(s.cwnd >= before + 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decrease_and_fast_convergence),
      cmocka_unit_test(test_growth_curve),
      cmocka_unit_test(test_slow_start_and_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
