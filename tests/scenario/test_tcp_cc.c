/*
 * test_tcp_cc.c - congestion control on the wire (Reno/NewReno, RFC 5681,
 * RFC 6582, RFC 3042; windows counted in segments as Linux counts them):
 * the initial window, slow start, congestion avoidance, fast retransmit
 * and NewReno partial ACKs, limited transmit, the RTO's loss window,
 * min(cwnd, rwnd), no growth when not cwnd-limited; and what TCP_INFO
 * reports meanwhile.
 */
#include "tcpflow.h"

#include "tcp/tcp_cc.h"

#define RTT (100 * TT_MS)
#define MSS 1460u

/* The next segment must be new data (or a retransmission) at stream
 * offset off, one full segment, sent now. */
static struct tt_seg expect_seg(struct tf *f, uint32_t off) {
  struct tt_seg s = tf_expect(f);
  assert_int_equal(tf_sq(f, s.s.seq), off);
  assert_int_equal(s.s.len, MSS);
  assert_int_equal(s.time, f->t->now);
  return s;
}

/* Segments sent since the last read. */
static uint32_t count_segs(struct tf *f) {
  struct tt_seg s;
  uint32_t n = 0;
  while (tf_next(f, &s))
    if (s.s.len)
      n++;
  return n;
}

/* The loss tests below are about Reno (RFC 5681): pick it by name. */
static void tt_init_reno(struct tt *t) {
  struct sn_config c;
  sn_config_default(&c, SN_PROFILE_LINUX);
  assert_int_equal(sn_config_set(&c, "tcp_congestion_control", "reno"), 0);
  tt_init(t, &c);
}

/* An open connection with `bytes` queued to send (at most what the send
 * buffer takes: 40 segments' worth by default). */
static struct tf open_conn(struct tt *t, struct tf_opts o, uint32_t bytes) {
  struct tf f;
  tf_accept(&f, t, -1, o, RTT);
  assert_true(tf_app_send(&f, 0, bytes) >= 40 * MSS);
  return f;
}

/* 8. Initial window --------------------------------------------------------- */

/* Linux: IW 10 (RFC 6928): ten full segments, then nothing until an ACK;
 * ssthresh starts unlimited. */
static void test_initial_window_linux(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f = open_conn(&t, TF_PLAIN, 100000);
  for (uint32_t k = 0; k < 10; k++)
    expect_seg(&f, k * MSS);
  tt_expect_none(&t);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_snd_cwnd, 10);
  assert_int_equal(i.tcpi_snd_ssthresh, SN_CC_SSTHRESH_INF);
  assert_int_equal(i.tcpi_unacked, 10);
  assert_string_equal(i.tcpi_ca_name, "cubic"); /* Linux's default */
  tt_free(&t);
}

/* The rfc profile: RFC 3390's min(4 MSS, max(2 MSS, 4380 bytes)): three
 * segments at MSS 1460, four at 536. */
static void run_rfc_iw(uint16_t peer_mss, uint32_t want) {
  struct sn_config c;
  sn_config_default(&c, SN_PROFILE_RFC);
  struct tt t;
  tt_init(&t, &c);
  struct tf_opts o = TF_PLAIN;
  o.mss = peer_mss;
  struct tf f;
  tf_accept(&f, &t, -1, o, RTT);
  assert_int_equal(tf_app_send(&f, 0, 20000), 20000);
  assert_int_equal(count_segs(&f), want);
  assert_int_equal(tf_info(&f).tcpi_snd_cwnd, want);
  tt_free(&t);
}

static void test_initial_window_rfc(void **state) {
  (void)state;
  run_rfc_iw(1460, 3);
  run_rfc_iw(536, 4);
}

/* 8. Slow start -------------------------------------------------------------- */

/* Every newly acknowledged segment adds one to cwnd (RFC 3465 without the
 * L limit, as Linux): 10 -> 20 in one round trip, whether the peer ACKs
 * every segment or every second one; each ACK releases twice what it
 * acknowledged. */
static void run_slow_start(uint32_t per_ack) {
  struct tt t;
  tt_init(&t, NULL);
  struct tf f = open_conn(&t, TF_PLAIN, 200000);
  assert_int_equal(count_segs(&f), 10);
  tt_wait(&t, RTT);
  uint32_t sent = 10;
  for (uint32_t k = per_ack; k <= 10; k += per_ack) {
    tf_ack(&f, k * MSS, 65535);
    assert_int_equal(tf_info(&f).tcpi_snd_cwnd, 10 + k);
    uint32_t n = count_segs(&f);
    assert_int_equal(n, 2 * per_ack);
    sent += n;
  }
  assert_int_equal(sent, 30);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_snd_cwnd, 20);
  assert_int_equal(i.tcpi_unacked, 20);
  tt_free(&t);
}

static void test_slow_start_ack_every_segment(void **state) {
  (void)state;
  run_slow_start(1);
}

static void test_slow_start_ack_every_second(void **state) {
  (void)state;
  run_slow_start(2);
}

/* RFC 7661 (and Linux): an application that does not fill the window
 * does not grow it. */
static void test_no_growth_when_not_cwnd_limited(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, RTT);
  uint32_t off = 0;
  for (int round = 0; round < 20; round++) {
    assert_int_equal(tf_app_send(&f, off, 2 * MSS), (long)(2 * MSS));
    assert_int_equal(count_segs(&f), 2);
    off += 2 * MSS;
    tt_wait(&t, RTT);
    tf_ack(&f, off, 65535);
  }
  assert_int_equal(tf_info(&f).tcpi_snd_cwnd, 10);
  tt_free(&t);
}

/* The send window is min(cwnd, rwnd): a 5000-byte window lets three
 * segments out although cwnd is 10. */
static void test_rwnd_limits(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf_opts o = TF_PLAIN;
  o.win = 5000;
  struct tf f;
  tf_accept(&f, &t, -1, o, RTT);
  assert_int_equal(tf_app_send(&f, 0, 50000), 50000);
  assert_int_equal(count_segs(&f), 3);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_snd_cwnd, 10);
  assert_int_equal(i.tcpi_snd_wnd, 5000);
  tt_wait(&t, RTT);
  tf_ack(&f, 3 * MSS, 65535);
  /* The window was rwnd-limited, not cwnd-limited: cwnd stays 10, and
   * all of it can be used now. */
  assert_int_equal(count_segs(&f), 10);
  assert_int_equal(tf_info(&f).tcpi_snd_cwnd, 10);
  tt_free(&t);
}

/* 8. Loss ------------------------------------------------------------------ */

/* The peer got segments 1..9 of 0..9 and ACKs each with ACK 0. Limited
 * transmit (RFC 3042) sends a new segment on each of the first two
 * duplicate ACKs; the third triggers fast retransmit of segment 0 with
 * ssthresh = max(FlightSize / 2, 2) = 5 (the limited-transmit segments
 * not counted, RFC 5681 §3.2 (2)); further duplicate ACKs release new
 * data once the inflated window exceeds the flight (RFC 5681 §3.2 (4)). */
static void test_fast_retransmit_and_limited_transmit(void **state) {
  (void)state;
  struct tt t;
  tt_init_reno(&t);
  struct tf f = open_conn(&t, TF_PLAIN, 200000);
  assert_int_equal(count_segs(&f), 10);
  tt_wait(&t, RTT);
  tf_ack(&f, 0, 65535); /* dup ACK 1 (for segment 1) */
  expect_seg(&f, 10 * MSS);
  tf_ack(&f, 0, 65535); /* dup ACK 2 */
  expect_seg(&f, 11 * MSS);
  tt_expect_none(&t);
  assert_int_equal(tf_info(&f).tcpi_snd_cwnd, 10);
  tf_ack(&f, 0, 65535); /* dup ACK 3: fast retransmit */
  expect_seg(&f, 0);
  tt_expect_none(&t);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_snd_ssthresh, 5);
  assert_int_equal(i.tcpi_total_retrans, 1);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPFastRetrans), 1);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPRenoRecovery), 1);
  /* Proportional rate reduction (RFC 6937, as Linux computes it): while
   * the flight exceeds ssthresh, sends follow ssthresh / prior cwnd = 5/10
   * of the segments delivered, so dup ACKs 5 and 7 release one segment
   * each; once the flight is down to ssthresh (dup ACK 9), one goes out
   * per segment delivered (10 and 11). The same four segments (12..15)
   * as RFC 5681's inflation, spread across the round trip. */
  static const bool sends[12] = {[5] = true, [7] = true, [10] = true,
                                 [11] = true};
  uint32_t next = 12;
  for (int d = 4; d <= 11; d++) {
    tf_ack(&f, 0, 65535);
    if (!sends[d]) {
      tt_expect_none(&t);
    } else {
      expect_seg(&f, next * MSS);
      next++;
    }
  }
  /* The retransmission arrives: everything up to segment 11 is acked,
   * recovery ends with cwnd = ssthresh. */
  tt_wait(&t, RTT);
  tf_ack(&f, 12 * MSS, 65535);
  i = tf_info(&f);
  assert_int_equal(i.tcpi_snd_ssthresh, 5);
  assert_int_equal(i.tcpi_snd_cwnd, 5);
  /* 4 segments (12..15) in flight: one more goes. */
  assert_int_equal(count_segs(&f), 1);
  tt_free(&t);
}

/* NewReno (RFC 6582): segments 0 and 5 lost. The ACK for the fast
 * retransmission of 0 is partial (it stops at 5): segment 5 is resent at
 * once and recovery goes on; the ACK that covers everything sent before
 * recovery ends it. */
static void test_newreno_partial_ack(void **state) {
  (void)state;
  struct tt t;
  tt_init_reno(&t);
  struct tf f = open_conn(&t, TF_PLAIN, 200000);
  assert_int_equal(count_segs(&f), 10);
  tt_wait(&t, RTT);
  /* Eight dup ACKs (segments 1-4, 6-9), two limited transmits. */
  tf_ack(&f, 0, 65535);
  expect_seg(&f, 10 * MSS);
  tf_ack(&f, 0, 65535);
  expect_seg(&f, 11 * MSS);
  tf_ack(&f, 0, 65535);
  expect_seg(&f, 0);
  for (int d = 4; d <= 8; d++)
    tf_ack(&f, 0, 65535);
  count_segs(&f);
  /* The partial ACK. */
  tt_wait(&t, RTT);
  tf_ack(&f, 5 * MSS, 65535);
  expect_seg(&f, 5 * MSS);
  assert_int_equal(tf_info(&f).tcpi_total_retrans, 2);
  /* Linux counts every retransmission sent in recovery as a fast one. */
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPFastRetrans), 2);
  count_segs(&f);
  /* Dup ACKs for 10 and 11 (and whatever followed): no new fast
   * retransmit while in recovery. */
  tf_ack(&f, 5 * MSS, 65535);
  tf_ack(&f, 5 * MSS, 65535);
  tf_ack(&f, 5 * MSS, 65535);
  struct tt_seg s;
  while (tt_next(&t, &s))
    assert_true(tf_sq(&f, s.s.seq) >= 12 * MSS);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPFastRetrans), 2);
  tt_wait(&t, RTT);
  tf_ack(&f, 12 * MSS, 65535);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_snd_ssthresh, 5);
  assert_true(i.tcpi_snd_cwnd <= 5);
  tt_free(&t);
}

/* Congestion avoidance after recovery: one segment more per window of
 * ACKs (RFC 5681 §3.1). */
static void test_congestion_avoidance(void **state) {
  (void)state;
  struct tt t;
  tt_init_reno(&t);
  struct tf f = open_conn(&t, TF_PLAIN, 500000);
  count_segs(&f);
  tt_wait(&t, RTT);
  /* As in the test above: recovery with segments 12..15 sent. */
  for (int d = 0; d < 11; d++)
    tf_ack(&f, 0, 65535);
  assert_int_equal(count_segs(&f), 2 + 1 + 4);
  tt_wait(&t, RTT);
  tf_ack(&f, 12 * MSS, 65535);
  assert_int_equal(tf_info(&f).tcpi_snd_cwnd, 5);
  uint32_t acked = 12;
  assert_int_equal(count_segs(&f), 1);
  /* Acknowledge segment by segment. The ACK that ended recovery delivered
   * one segment (the retransmission; the others were counted as their
   * duplicate ACKs came) and, as in Linux, counts towards the next
   * increase: cwnd 5 -> 6 after 4 more ACKs, -> 7 after 6 more. */
  uint32_t cw[11];
  for (int k = 0; k < 11; k++) {
    tt_wait(&t, TT_MS);
    acked++;
    tf_ack(&f, acked * MSS, 65535);
    count_segs(&f);
    cw[k] = tf_info(&f).tcpi_snd_cwnd;
  }
  assert_int_equal(cw[2], 5);
  assert_int_equal(cw[3], 6);
  assert_int_equal(cw[8], 6);
  assert_int_equal(cw[9], 7);
  assert_int_equal(tf_info(&f).tcpi_snd_ssthresh, 5);
  tt_free(&t);
}

/* A timeout: ssthresh = FlightSize / 2, cwnd = 1 (the loss window), the
 * oldest segment resent; then slow start resends from SND.UNA on. */
static void test_rto_loss_window(void **state) {
  (void)state;
  struct tt t;
  tt_init_reno(&t);
  struct tf f = open_conn(&t, TF_PLAIN, 100000);
  assert_int_equal(count_segs(&f), 10);
  uint64_t sent = t.now;
  /* The handshake gave a 100 ms RTT: RTO 300 ms. */
  tf_advance(&f, sent + 300 * TT_MS);
  expect_seg(&f, 0);
  tt_expect_none(&t);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_snd_cwnd, 1);
  assert_int_equal(i.tcpi_snd_ssthresh, 5);
  assert_int_equal(i.tcpi_retransmits, 1);
  assert_int_equal(i.tcpi_lost, 10);
  assert_int_equal(i.tcpi_retrans, 1);
  assert_int_equal(i.tcpi_unacked, 10);
  /* Its ACK: cwnd 2, segments 1 and 2 go again. */
  tt_wait(&t, RTT);
  tf_ack(&f, MSS, 65535);
  assert_int_equal(tf_info(&f).tcpi_snd_cwnd, 2);
  expect_seg(&f, MSS);
  expect_seg(&f, 2 * MSS);
  tt_expect_none(&t);
  tt_wait(&t, RTT);
  tf_ack(&f, 3 * MSS, 65535);
  assert_int_equal(tf_info(&f).tcpi_snd_cwnd, 4);
  for (uint32_t k = 3; k < 7; k++)
    expect_seg(&f, k * MSS);
  tt_expect_none(&t);
  assert_int_equal(tf_info(&f).tcpi_total_retrans, 7);
  tt_free(&t);
}

/* 10. TCP_INFO ------------------------------------------------------------- */

/* SACK, RACK, PRR and CUBIC together, as Linux runs them (the PRR
 * slow-start case): 10 segments of 1000 bytes, the first lost. Three SACKs
 * mark it lost (RACK: no reordering seen, DupThresh SACKed), recovery
 * starts with CUBIC's ssthresh 10 x 0.7 = 7 and PRR's cwnd 7, one
 * segment goes out per segment SACKed, and the ACK that covers the
 * retransmission ends recovery with cwnd 7. */
static void test_sack_recovery_prr_cubic(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  struct tf_opts o = {1000, false, true, 7, 32792};
  tf_accept(&f, &t, -1, o, RTT);
  assert_int_equal(tf_app_send(&f, 0, 10000), 10000);
  assert_int_equal(count_segs(&f), 10);
  tt_wait(&t, 110 * TT_MS);
  for (uint32_t k = 2; k <= 4; k++) {
    uint32_t blk[2] = {1000, k * 1000};
    tf_ack_sack(&f, 0, 320, 1, blk);
    if (k < 4) {
      tt_expect_none(&t);
      assert_int_equal(tf_info(&f).tcpi_ca_state, 1); /* Disorder */
    }
    tt_wait(&t, 10 * TT_MS);
  }
  struct tt_seg r = tf_expect(&f); /* the fast retransmission */
  assert_int_equal(tf_sq(&f, r.s.seq), 0);
  assert_int_equal(r.s.len, 1000);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_ca_state, 3); /* Recovery */
  assert_int_equal(i.tcpi_snd_cwnd, 7);
  assert_int_equal(i.tcpi_snd_ssthresh, 7);
  assert_int_equal(tf_app_send(&f, 10000, 7000), 7000);
  tt_expect_none(&t);
  for (uint32_t k = 5; k <= 10; k++) {
    uint32_t blk[2] = {1000, k * 1000};
    tf_ack_sack(&f, 0, 320, 1, blk);
    struct tt_seg n = tf_expect(&f); /* one new segment per SACK */
    assert_int_equal(tf_sq(&f, n.s.seq), (k + 5) * 1000);
    tt_expect_none(&t);
    tt_wait(&t, 10 * TT_MS);
  }
  tf_ack(&f, 10000, 320);
  struct tt_seg n = tf_expect(&f);
  assert_int_equal(tf_sq(&f, n.s.seq), 16000);
  assert_int_equal(n.s.flags, SN_TCP_ACK | SN_TCP_PSH);
  i = tf_info(&f);
  assert_int_equal(i.tcpi_ca_state, 0); /* Open */
  assert_int_equal(i.tcpi_snd_cwnd, 7);
  assert_int_equal(i.tcpi_snd_ssthresh, 7);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPSackRecovery), 1);
  tt_free(&t);
}

static void test_tcp_info_fields(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_LINUX, RTT);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_state, 4);
  assert_int_equal(i.tcpi_options, SN_TCPI_OPT_TIMESTAMPS | SN_TCPI_OPT_SACK |
                                       SN_TCPI_OPT_WSCALE);
  assert_int_equal(i.tcpi_snd_wscale, 7);
  assert_int_equal(i.tcpi_rcv_wscale, 7); /* tcp_rmem[2] 6 MiB */
  assert_int_equal(i.tcpi_snd_mss, 1448);
  assert_int_equal(i.tcpi_advmss, 1460);
  assert_int_equal(i.tcpi_rtt, 100000);
  assert_int_equal(i.tcpi_rttvar, 50000);
  assert_int_equal(i.tcpi_rto, 300000);
  assert_int_equal(i.tcpi_snd_cwnd, 10);
  assert_int_equal(i.tcpi_unacked, 0);
  assert_int_equal(i.tcpi_snd_wnd, 65535u << 7);
  assert_int_equal(tf_app_send(&f, 0, 5 * 1448), 5 * 1448);
  count_segs(&f);
  i = tf_info(&f);
  assert_int_equal(i.tcpi_unacked, 5);
  assert_int_equal(i.tcpi_notsent_bytes, 0);
  tt_wait(&t, 50 * TT_MS);
  tf_ack(&f, 2 * 1448, 65535);
  i = tf_info(&f);
  assert_int_equal(i.tcpi_unacked, 3);
  assert_int_equal(i.tcpi_bytes_acked, 2 * 1448);
  /* srtt = 7/8 100 + 1/8 50 ms. */
  assert_int_equal(i.tcpi_rtt, 93750);
  assert_int_equal(i.tcpi_min_rtt, 50000);
  tf_data(&f, 700);
  i = tf_info(&f);
  assert_int_equal(i.tcpi_bytes_received, 700);
  assert_int_equal(i.tcpi_rcv_queued, 700);
  tt_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_initial_window_linux),
      cmocka_unit_test(test_initial_window_rfc),
      cmocka_unit_test(test_slow_start_ack_every_segment),
      cmocka_unit_test(test_slow_start_ack_every_second),
      cmocka_unit_test(test_no_growth_when_not_cwnd_limited),
      cmocka_unit_test(test_rwnd_limits),
      cmocka_unit_test(test_fast_retransmit_and_limited_transmit),
      cmocka_unit_test(test_newreno_partial_ack),
      cmocka_unit_test(test_sack_recovery_prr_cubic),
      cmocka_unit_test(test_congestion_avoidance),
      cmocka_unit_test(test_rto_loss_window),
      cmocka_unit_test(test_tcp_info_fields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
