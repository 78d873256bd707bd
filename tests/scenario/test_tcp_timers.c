/*
 * test_tcp_timers.c - the data path's timers at exact virtual times: RTT
 * estimation and the RTO (RFC 6298 and Linux's variant), Karn's rule and
 * timestamps, exponential backoff, giving up after tcp_retries2 or
 * TCP_USER_TIMEOUT, and keepalive (RFC 1122 §4.2.3.6, Linux's defaults).
 */
#include "tcpflow.h"

#define RTT (100 * TT_MS)

static int getint(struct tt *t, int sd, int level, int name) {
  int v = -1;
  size_t l = sizeof v;
  assert_int_equal(sn_getsockopt(t->st, sd, level, name, &v, &l), 0);
  return v;
}

static void setint(struct tt *t, int sd, int level, int name, int v) {
  assert_int_equal(sn_setsockopt(t->st, sd, level, name, &v, sizeof v), 0);
}

/* A connection whose handshake and one data exchange took RTT each; the
 * peer has acknowledged the first `n` bytes of the stack's stream. */
static void open_measured(struct tt *t, struct tf *f, struct tf_opts o,
                          uint32_t n) {
  tf_accept(f, t, -1, o, RTT);
  assert_int_equal(tf_app_send(f, 0, n), (long)n);
  struct tt_seg s = tf_expect(f);
  assert_int_equal(s.s.len, n);
  tt_wait(t, RTT);
  tf_ack(f, n, 65535);
  tt_expect_none(t);
}

/* 4. RTT and RTO ---------------------------------------------------------- */

/* Linux: RTO = SRTT + max(4 RTTVAR, rto_min): a 100 ms RTT gives 300 ms;
 * a lost segment is resent at +300 ms, then +600 ms, +1.2 s. */
static void test_rto_linux_100ms(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  open_measured(&t, &f, TF_PLAIN, 1000);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_rtt, 100000);
  assert_int_equal(i.tcpi_rttvar, 37500);
  assert_int_equal(i.tcpi_rto, 300000);
  assert_int_equal(tf_app_send(&f, 1000, 500), 500);
  uint64_t sent = tf_expect(&f).time;
  assert_int_equal(sent, t.now);
  uint64_t gap[] = {300, 600, 1200, 2400};
  uint64_t at = sent;
  for (int k = 0; k < 4; k++) {
    at += gap[k] * TT_MS;
    tf_advance(&f, at - 1);
    tt_expect_none(&t);
    tf_advance(&f, at);
    struct tt_seg r = tf_expect(&f);
    assert_int_equal(r.time, at);
    assert_int_equal(tf_sq(&f, r.s.seq), 1000);
    assert_int_equal(r.s.len, 500);
    i = tf_info(&f);
    assert_int_equal(i.tcpi_retransmits, k + 1);
    assert_int_equal(i.tcpi_backoff, k + 1);
    assert_int_equal(i.tcpi_rto, gap[k] * 2000);
    assert_int_equal(i.tcpi_total_retrans, k + 1);
    assert_int_equal(i.tcpi_retrans, 1);
    assert_int_equal(i.tcpi_snd_cwnd, 1);
  }
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPTimeouts), 4);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpRetransSegs), 4);
  /* The ACK ends the run of timeouts, but Karn's rule takes no sample
   * from the retransmission, so the backed-off RTO stays (RFC 6298 §5.7;
   * Linux resets it only with a valid sample). */
  tt_wait(&t, 10 * TT_MS);
  tf_ack(&f, 1500, 65535);
  i = tf_info(&f);
  assert_int_equal(i.tcpi_rtt, 100000);
  assert_int_equal(i.tcpi_rto, 4800000);
  assert_int_equal(i.tcpi_retransmits, 0);
  assert_int_equal(i.tcpi_backoff, 4);
  assert_int_equal(i.tcpi_unacked, 0);
  assert_int_equal(i.tcpi_retrans, 0);
  /* New data acknowledged 100 ms later is a valid sample: the RTO comes
   * back from the estimate. */
  assert_int_equal(tf_app_send(&f, 1500, 500), 500);
  tf_expect(&f);
  tt_wait(&t, 100 * TT_MS);
  tf_ack(&f, 2000, 65535);
  i = tf_info(&f);
  assert_int_equal(i.tcpi_backoff, 0);
  assert_int_equal(i.tcpi_rto, 300000);
  tt_free(&t);
}

/* The rfc profile: RTO = max(1 s, SRTT + 4 RTTVAR). */
static void test_rto_rfc_profile(void **state) {
  (void)state;
  struct sn_config c;
  sn_config_default(&c, SN_PROFILE_RFC);
  struct tt t;
  tt_init(&t, &c);
  struct tf f;
  open_measured(&t, &f, TF_PLAIN, 1000);
  assert_int_equal(tf_info(&f).tcpi_rto, 1000000);
  assert_int_equal(tf_app_send(&f, 1000, 500), 500);
  uint64_t sent = tf_expect(&f).time;
  tf_advance(&f, sent + TT_SEC - 1);
  tt_expect_none(&t);
  tf_advance(&f, sent + TT_SEC);
  assert_int_equal(tf_expect(&f).time, sent + TT_SEC);
  tf_advance(&f, sent + 3 * TT_SEC);
  assert_int_equal(tf_expect(&f).time, sent + 3 * TT_SEC);
  tt_free(&t);
}

/* Karn's rule without timestamps (no sample from a retransmitted
 * segment); with timestamps the echo times the retransmission itself
 * (RFC 7323 §4). */
static void run_karn(bool ts) {
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  struct tf_opts o = ts ? TF_LINUX : TF_PLAIN;
  open_measured(&t, &f, o, 1000);
  assert_int_equal(f.ts, ts);
  assert_int_equal(tf_info(&f).tcpi_rtt, 100000);
  assert_int_equal(tf_app_send(&f, 1000, 500), 500);
  uint64_t sent = tf_expect(&f).time;
  tf_advance(&f, sent + 300 * TT_MS);
  struct tt_seg r = tf_expect(&f);
  assert_int_equal(r.time, sent + 300 * TT_MS);
  tt_wait(&t, 50 * TT_MS);
  tf_ack(&f, 1500, 65535);
  struct sn_tcp_info i = tf_info(&f);
  /* With TS: srtt = 7/8 100 + 1/8 50 ms = 93.75 ms. */
  assert_int_equal(i.tcpi_rtt, ts ? 93750 : 100000);
  tt_free(&t);
}

static void test_karn_without_timestamps(void **state) {
  (void)state;
  run_karn(false);
}

static void test_timestamps_time_retransmissions(void **state) {
  (void)state;
  run_karn(true);
}

/* tcp_retries2 = 15 with rto_min 200 ms is Linux's 924.6 s budget from
 * the first transmission: with a 300 ms RTO the segment is resent 15
 * times (.3, .9, 2.1, ... 153.3 s, then every 120 s, the cap, up to
 * 873.3 s) and the connection is dropped with ETIMEDOUT at the next
 * timeout, 993.3 s. */
static void test_retries2_budget(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  open_measured(&t, &f, TF_PLAIN, 1000);
  assert_int_equal(tf_app_send(&f, 1000, 500), 500);
  uint64_t sent = tf_expect(&f).time;
  uint64_t at = sent, rto = 300 * TT_MS;
  for (int k = 0; k < 15; k++) {
    at += rto;
    rto = rto * 2 > 120 * TT_SEC ? 120 * TT_SEC : rto * 2;
    tf_advance(&f, at);
    struct tt_seg r = tf_expect(&f);
    assert_int_equal(r.time, at);
    assert_int_equal(tf_sq(&f, r.s.seq), 1000);
  }
  assert_int_equal(at - sent, 873300 * TT_MS);
  assert_int_equal(tf_info(&f).tcpi_rto, 120000000);
  tf_advance(&f, at + 120 * TT_SEC - 1);
  assert_int_equal(tt_state(&t, f.sd), 4);
  tf_advance(&f, at + 120 * TT_SEC);
  assert_int_equal(tt_state(&t, f.sd), 0 /* CLOSED */);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPAbortOnTimeout), 1);
  assert_int_equal(getint(&t, f.sd, SN_SOL_SOCKET, SN_SO_ERROR), ETIMEDOUT);
  char b[8];
  assert_int_equal(sn_recv(t.st, f.sd, b, sizeof b, 0), 0);
  tt_free(&t);
}

/* A smaller tcp_retries2 shrinks the budget the same way: 3 gives
 * .2 + .4 + .8 + 1.6 = 3 s, so the timeout at 4.5 s ends it. */
static void test_retries2_small(void **state) {
  (void)state;
  struct sn_config c;
  sn_config_default(&c, SN_PROFILE_LINUX);
  tf_cfg_set(&c, "tcp_retries2", "3");
  struct tt t;
  tt_init(&t, &c);
  struct tf f;
  open_measured(&t, &f, TF_PLAIN, 1000);
  assert_int_equal(tf_app_send(&f, 1000, 500), 500);
  uint64_t sent = tf_expect(&f).time;
  uint64_t times[] = {300, 900, 2100};
  for (int k = 0; k < 3; k++) {
    tf_advance(&f, sent + times[k] * TT_MS);
    assert_int_equal(tf_expect(&f).time, sent + times[k] * TT_MS);
  }
  tf_advance(&f, sent + 4500 * TT_MS - 1);
  assert_int_equal(tt_state(&t, f.sd), 4);
  tf_advance(&f, sent + 4500 * TT_MS);
  tt_expect_none(&t);
  assert_int_equal(tt_state(&t, f.sd), 0);
  assert_int_equal(getint(&t, f.sd, SN_SOL_SOCKET, SN_SO_ERROR), ETIMEDOUT);
  tt_free(&t);
}

/* TCP_USER_TIMEOUT caps the time: 1000 ms after the first transmission
 * the connection is dropped, the last timeout shortened to fit. */
static void test_user_timeout(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  open_measured(&t, &f, TF_PLAIN, 1000);
  setint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_USER_TIMEOUT, 1000);
  assert_int_equal(getint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_USER_TIMEOUT), 1000);
  assert_int_equal(tf_app_send(&f, 1000, 500), 500);
  uint64_t sent = tf_expect(&f).time;
  tf_advance(&f, sent + 300 * TT_MS);
  assert_int_equal(tf_expect(&f).time, sent + 300 * TT_MS);
  tf_advance(&f, sent + 900 * TT_MS);
  assert_int_equal(tf_expect(&f).time, sent + 900 * TT_MS);
  tf_advance(&f, sent + 1000 * TT_MS - 1);
  assert_int_equal(tt_state(&t, f.sd), 4);
  tf_advance(&f, sent + 1000 * TT_MS);
  assert_int_equal(tt_state(&t, f.sd), 0);
  assert_int_equal(getint(&t, f.sd, SN_SOL_SOCKET, SN_SO_ERROR), ETIMEDOUT);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPAbortOnTimeout), 1);
  tt_free(&t);
}

/* 7. Keepalive ------------------------------------------------------------ */

static void expect_probe(struct tf *f, uint64_t at) {
  struct tt_seg p = tf_expect(f);
  assert_int_equal(p.time, at);
  assert_int_equal(p.s.flags, SN_TCP_ACK);
  assert_int_equal(p.s.len, 0);
  assert_int_equal(p.s.seq, f->iss);      /* SND.UNA - 1 */
  assert_int_equal(p.s.ack, f->irs + 1);  /* RCV.NXT */
}

/* Linux's defaults (7200 s idle, 75 s apart, 9 probes) against a dead
 * peer: probes at 7200, 7275, ... 7800 s, then at 7875 s RST|ACK with
 * SEQ = SND.NXT and ETIMEDOUT. */
static void test_keepalive_dead_peer(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, 10 * TT_MS);
  uint64_t last = t.now;
  setint(&t, f.sd, SN_SOL_SOCKET, SN_SO_KEEPALIVE, 1);
  assert_int_equal(getint(&t, f.sd, SN_SOL_SOCKET, SN_SO_KEEPALIVE), 1);
  assert_int_equal(getint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_KEEPIDLE), 7200);
  assert_int_equal(getint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_KEEPINTVL), 75);
  assert_int_equal(getint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_KEEPCNT), 9);
  tf_advance(&f, last + 7200 * TT_SEC - 1);
  tt_expect_none(&t);
  for (int k = 0; k < 9; k++) {
    uint64_t at = last + (7200 + 75 * (uint64_t)k) * TT_SEC;
    tf_advance(&f, at);
    expect_probe(&f, at);
    tf_advance(&f, at + 75 * TT_SEC - 1);
    tt_expect_none(&t);
  }
  uint64_t end = last + (7200 + 75 * 9) * TT_SEC;
  tf_advance(&f, end);
  struct tt_seg r = tf_expect(&f);
  assert_int_equal(r.time, end);
  assert_int_equal(r.s.flags, SN_TCP_RST | SN_TCP_ACK);
  assert_int_equal(r.s.seq, f.iss + 1); /* SND.NXT */
  assert_int_equal(tt_state(&t, f.sd), 0);
  assert_int_equal(getint(&t, f.sd, SN_SOL_SOCKET, SN_SO_ERROR), ETIMEDOUT);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPKeepAliveTimeouts), 1);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_SnTcpKeepAliveProbes), 9);
  tt_free(&t);
}

/* TCP_KEEPIDLE/INTVL/CNT; an answered probe starts the idle time again;
 * a rebooted peer answers a probe with RST: ECONNRESET. */
static void test_keepalive_answered_then_reset(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  setint(&t, sd, SN_SOL_SOCKET, SN_SO_KEEPALIVE, 1);
  setint(&t, sd, SN_IPPROTO_TCP, SN_TCP_KEEPIDLE, 10);
  setint(&t, sd, SN_IPPROTO_TCP, SN_TCP_KEEPINTVL, 2);
  setint(&t, sd, SN_IPPROTO_TCP, SN_TCP_KEEPCNT, 3);
  struct tf f;
  tf_connect(&f, &t, sd, TF_PLAIN, 10 * TT_MS);
  uint64_t est = t.now;
  tf_advance(&f, est + 10 * TT_SEC);
  expect_probe(&f, est + 10 * TT_SEC);
  /* Unanswered: the second probe 2 s later. */
  tf_advance(&f, est + 12 * TT_SEC);
  expect_probe(&f, est + 12 * TT_SEC);
  /* Answered 50 ms later: the connection stays, idle counts from here. */
  tt_wait(&t, 50 * TT_MS);
  uint64_t ans = t.now;
  tf_ack(&f, 0, 65535);
  tf_advance(&f, ans + 10 * TT_SEC - 1);
  tt_expect_none(&t);
  assert_int_equal(tf_info(&f).tcpi_probes, 0);
  tf_advance(&f, ans + 10 * TT_SEC);
  expect_probe(&f, ans + 10 * TT_SEC);
  /* Three unanswered probes would end it at ans + 16 s; answered each
   * time, it lives on. */
  for (int k = 0; k < 5; k++) {
    tt_wait(&t, 10 * TT_MS);
    tf_ack(&f, 0, 65535);
    uint64_t a = t.now;
    tf_advance(&f, a + 10 * TT_SEC);
    expect_probe(&f, a + 10 * TT_SEC);
  }
  assert_int_equal(tt_state(&t, sd), 4);
  /* The peer rebooted: its RST (SEQ = the probe's ACK) resets us. */
  struct tt_out rst = tf_out(&f);
  rst.flags = SN_TCP_RST;
  rst.ack = 0;
  rst.win = 0;
  tf_put(&f, &rst);
  assert_int_equal(tt_state(&t, sd), 0);
  assert_int_equal(getint(&t, sd, SN_SOL_SOCKET, SN_SO_ERROR), ECONNRESET);
  tt_expect_none(&t);
  tt_free(&t);
}

/* Keepalive waits while data is in flight (the RTO covers it) and counts
 * idle time from the last segment received. */
static void test_keepalive_counts_from_last_segment(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, 10 * TT_MS);
  setint(&t, f.sd, SN_SOL_SOCKET, SN_SO_KEEPALIVE, 1);
  setint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_KEEPIDLE, 30);
  tt_wait(&t, 20 * TT_SEC);
  tf_data(&f, 100); /* data from the peer at 20 s */
  uint64_t last = t.now;
  tf_expect(&f); /* its ACK */
  tf_advance(&f, last + 30 * TT_SEC - 1);
  tt_expect_none(&t);
  tf_advance(&f, last + 30 * TT_SEC);
  struct tt_seg p = tf_expect(&f);
  assert_int_equal(p.time, last + 30 * TT_SEC);
  assert_int_equal(p.s.seq, f.iss);
  assert_int_equal(p.s.ack, f.irs + 101);
  tt_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rto_linux_100ms),
      cmocka_unit_test(test_rto_rfc_profile),
      cmocka_unit_test(test_karn_without_timestamps),
      cmocka_unit_test(test_timestamps_time_retransmissions),
      cmocka_unit_test(test_retries2_budget),
      cmocka_unit_test(test_retries2_small),
      cmocka_unit_test(test_user_timeout),
      cmocka_unit_test(test_keepalive_dead_peer),
      cmocka_unit_test(test_keepalive_answered_then_reset),
      cmocka_unit_test(test_keepalive_counts_from_last_segment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
