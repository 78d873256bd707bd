/*
 * test_tcp_tlp.c - tail loss probes (RFC 8985 §7, as Linux runs them,
 * tcp_early_retrans = 3): when the last segments of a flight go
 * unacknowledged, a probe goes out after PTO = 2 SRTT (+2 ms; + rto_min
 * with a single segment out; never after the RTO) instead of waiting for
 * the retransmission timeout; new data if the window has room, else the
 * last segment again. A probe that repairs a loss reduces the window
 * once. Without SACK there are no probes.
 */
#include "tcpflow.h"
#include "base/util.h"

#define MS 1000000ull
#define MSS 1460u

static const struct tf_opts sack_peer = {1460, false, true, 7, 65535};

static void test_probe_resends_last_segment(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, sack_peer, 100 * MS);
  uint64_t t0 = t.now;
  assert_int_equal(tf_app_send(&f, 0, 3 * MSS), 3 * MSS);
  for (int i = 0; i < 3; i++)
    tf_expect(&f);
  tf_advance(&f, t0 + 1000 * MS);
  struct tt_seg p = tf_expect(&f);
  assert_int_equal(p.time, t0 + 202 * MS); /* 2 x 100 ms + 2 ms */
  assert_int_equal(tf_sq(&f, p.s.seq), 2 * MSS); /* the last segment */
  struct tt_seg r = tf_expect(&f);
  assert_int_equal(r.time, t0 + 300 * MS); /* the RTO, from the first send */
  assert_int_equal(tf_sq(&f, r.s.seq), 0);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPLossProbes), 1);
  tt_free(&t);
}

static void test_probe_sends_new_data(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, sack_peer, 100 * MS);
  uint64_t t0 = t.now;
  assert_int_equal(tf_app_send(&f, 0, 20 * MSS), 20 * MSS);
  for (int i = 0; i < 10; i++) /* the initial window */
    tf_expect(&f);
  tf_advance(&f, t0 + 250 * MS);
  struct tt_seg p = tf_expect(&f);
  assert_int_equal(p.time, t0 + 202 * MS);
  assert_int_equal(tf_sq(&f, p.s.seq), 10 * MSS); /* new data, past cwnd */
  tt_free(&t);
}

/* One segment out: PTO = 2 SRTT + rto_min = 400 ms, capped at the RTO
 * (300 ms): the probe takes the RTO's place, then the RTO comes one RTO
 * later and backs off (Linux's FIN retransmissions at .3, .3, .6). */
static void test_single_segment(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, sack_peer, 100 * MS);
  uint64_t t0 = t.now;
  assert_int_equal(sn_close(t.st, f.sd), 0); /* just the FIN */
  struct tt_seg fin = tf_expect(&f);
  assert_true(fin.s.flags & SN_TCP_FIN);
  tf_advance(&f, t0 + 1300 * MS);
  uint64_t want[] = {300, 600, 1200};
  for (int i = 0; i < 3; i++) {
    struct tt_seg r = tf_expect(&f);
    assert_true(r.s.flags & SN_TCP_FIN);
    assert_int_equal(r.time, t0 + want[i] * MS);
  }
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPLossProbes), 1);
  tt_free(&t);
}

static void test_probe_repairs_loss(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, sack_peer, 100 * MS);
  uint64_t t0 = t.now;
  assert_int_equal(tf_app_send(&f, 0, 10 * MSS), 10 * MSS);
  for (int i = 0; i < 10; i++)
    tf_expect(&f);
  /* Segments 0..8 arrive, the last is lost: one ACK for 9 segments. */
  tf_advance(&f, t0 + 100 * MS);
  tf_ack(&f, 9 * MSS, 65535);
  tf_advance(&f, t0 + 400 * MS);
  struct tt_seg p = tf_expect(&f);
  assert_int_equal(tf_sq(&f, p.s.seq), 9 * MSS);
  /* One segment out after the ACK at 100 ms: PTO 2 x 100 + 200 ms, capped
   * at the RTO the ACK restarted (+300 ms). */
  assert_int_equal(p.time, t0 + 400 * MS);
  /* The probe's ACK covers it and brings no DSACK: a real loss. */
  tf_ack(&f, 10 * MSS, 65535);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_snd_ssthresh, 7); /* CUBIC: 10 x 0.7 */
  assert_int_equal(i.tcpi_snd_cwnd, 7);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPLossProbeRecovery), 1);
  tt_free(&t);
}

static void test_no_probe_without_sack(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, 100 * MS);
  uint64_t t0 = t.now;
  tf_app_send(&f, 0, 3 * MSS);
  for (int i = 0; i < 3; i++)
    tf_expect(&f);
  tf_advance(&f, t0 + 400 * MS);
  struct tt_seg r = tf_expect(&f);
  assert_int_equal(r.time, t0 + 300 * MS); /* straight to the RTO */
  assert_int_equal(tf_sq(&f, r.s.seq), 0);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPLossProbes), 0);
  tt_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_probe_resends_last_segment),
      cmocka_unit_test(test_probe_sends_new_data),
      cmocka_unit_test(test_single_segment),
      cmocka_unit_test(test_probe_repairs_loss),
      cmocka_unit_test(test_no_probe_without_sack),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
