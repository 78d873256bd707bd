/*
 * test_tcp_open.c - opening a connection, at exact virtual times (linux
 * profile unless a test says otherwise):
 *
 *  - SYN retransmission (tcp_syn_retries, tcp_syn_linear_timeouts) and
 *    connect() failing with ETIMEDOUT, reported by SO_ERROR, recv() or a
 *    second connect();
 *  - SYN-ACK retransmission (tcp_synack_retries) when the third segment
 *    is lost, the half-open connection dropped, and data carrying the ACK
 *    completing the handshake;
 *  - the SYN-ACK lost: the client's SYN again, answered again;
 *  - connect() completing on the SYN-ACK, accept() only after the third
 *    segment, with the socket calls' return values and readiness;
 *  - SYN-SENT's rules for a wrong SYN-ACK and for a RST (RFC 9293
 *    §3.10.7.3); closed ports and bound sockets that do not listen
 *    (§3.10.7.1); simultaneous open (§3.5, Figure 8);
 *  - a listener's rules (§3.10.7.2) and the option layout of its SYN-ACK;
 *  - the accept queue and the SYN queue, SYN cookies, a SYN flood.
 */
#include "tcpscen.h"

#include "tcp/tcb.h"

static const uint64_t SEC = TS_SEC, MS = TS_MS;

static uint64_t ctr(struct sn_stack *st, enum sn_counter c) {
  return sn_stack_counter(st, c);
}

static int so_error(struct sn_stack *st, int sd) {
  int v = -1;
  size_t len = sizeof v;
  assert_int_equal(sn_getsockopt(st, sd, SN_SOL_SOCKET, SN_SO_ERROR, &v, &len), 0);
  return v;
}

static int state_of(struct sn_stack *st, int sd) {
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(st, sd, &i), 0);
  return i.tcpi_state;
}

/* The options of a segment the stack sent, as bytes. */
static const uint8_t *opts_of(const struct tt_seg *s, size_t *len) {
  *len = (size_t)s->s.hlen - 20;
  return s->raw + 14 + 20 + 20;
}

/* 1. SYN retransmission ------------------------------------------------ */

enum how_reported { BY_SO_ERROR, BY_RECV, BY_CONNECT };

/*
 * tcp_syn_retries = 5, tcp_syn_linear_timeouts = 0: SYNs at 0, 1, 3, 7,
 * 15 and 31 s, then connect() fails with ETIMEDOUT at 63 s.
 */
static void syn_timeout_exponential(enum how_reported how) {
  struct tt t;
  ts_init(&t, "tcp_syn_retries=5", "tcp_syn_linear_timeouts=0", NULL);
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  struct ts_events ev = {0};
  assert_int_equal(sn_set_event_cb(t.st, sd, ts_event_cb, &ev), 0);
  struct sn_sockaddr dst = {t.peer_ip, 80};
  assert_int_equal(sn_connect(t.st, sd, &dst), -EINPROGRESS);
  static const uint64_t at[] = {0, 1, 3, 7, 15, 31};
  uint32_t iss = 0;
  for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
    tt_advance(&t, at[i] * SEC);
    struct tt_seg s = TS_EXPECT(&t, SN_TCP_SYN, i ? iss : TS_ANY, 0, 0, at[i] * SEC);
    iss = s.s.seq;
    TS_NONE(&t);
  }
  tt_advance(&t, 63 * SEC - 1);
  TS_NONE(&t);
  assert_int_equal(tt_state(&t, sd), SN_TCP_SYN_SENT);
  assert_int_equal(sn_connect(t.st, sd, &dst), -EALREADY);
  assert_int_equal(sn_poll(t.st, sd), 0);
  assert_false(ev.seen & SN_POLLERR);
  tt_advance(&t, 63 * SEC);
  TS_NONE(&t); /* giving up sends nothing */
  assert_int_equal(tt_state(&t, sd), SN_TCP_CLOSED);
  assert_true(sn_poll(t.st, sd) & SN_POLLERR);
  assert_true(ev.last & SN_POLLERR);
  assert_int_equal(ctr(t.st, SN_CTR_TcpActiveOpens), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpAttemptFails), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtTCPSynRetrans), 5);
  assert_int_equal(ctr(t.st, SN_CTR_TcpCurrEstab), 0);
  char buf[8];
  switch (how) {
  case BY_SO_ERROR:
    assert_int_equal(so_error(t.st, sd), ETIMEDOUT);
    assert_int_equal(so_error(t.st, sd), 0); /* reported once */
    break;
  case BY_RECV:
    assert_int_equal(sn_recv(t.st, sd, buf, sizeof buf, 0), -ETIMEDOUT);
    break;
  case BY_CONNECT:
    assert_int_equal(sn_connect(t.st, sd, &dst), -ETIMEDOUT);
    break;
  }
  tt_advance(&t, 300 * SEC);
  TS_NONE(&t);
  tt_free(&t);
}

static void test_syn_timeout_so_error(void **state) {
  (void)state;
  syn_timeout_exponential(BY_SO_ERROR);
}

static void test_syn_timeout_recv(void **state) {
  (void)state;
  syn_timeout_exponential(BY_RECV);
}

static void test_syn_timeout_second_connect(void **state) {
  (void)state;
  syn_timeout_exponential(BY_CONNECT);
}

/*
 * The defaults, tcp_syn_retries = 6 and tcp_syn_linear_timeouts = 4: the
 * first retransmissions 1 s apart, then doubling; SYNs at 0, 1, 2, 3, 4,
 * 5, 7, 11, 19, 35 and 67 s, and ETIMEDOUT at 131 s.
 */
static void test_syn_timeout_linear_defaults(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  struct sn_sockaddr dst = {t.peer_ip, 80};
  assert_int_equal(sn_connect(t.st, sd, &dst), -EINPROGRESS);
  static const uint64_t at[] = {0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67};
  for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
    tt_advance(&t, at[i] * SEC);
    TS_EXPECT(&t, SN_TCP_SYN, TS_ANY, 0, 0, at[i] * SEC);
    TS_NONE(&t);
  }
  tt_advance(&t, 131 * SEC - 1);
  assert_int_equal(tt_state(&t, sd), SN_TCP_SYN_SENT);
  tt_advance(&t, 131 * SEC);
  TS_NONE(&t);
  assert_int_equal(tt_state(&t, sd), SN_TCP_CLOSED);
  assert_int_equal(so_error(t.st, sd), ETIMEDOUT);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtTCPSynRetrans), 10);
  assert_int_equal(ctr(t.st, SN_CTR_TcpAttemptFails), 1);
  tt_free(&t);
}

/* The same on the simulated wire: every SYN from A to B is lost. */
static void test_syn_timeout_sim(void **state) {
  (void)state;
  struct sn_config ca;
  ts_config(&ca, SN_PROFILE_LINUX, "tcp_syn_retries=5",
            "tcp_syn_linear_timeouts=0", NULL);
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, &ca, NULL, 5 * MS, log);
  struct sn_sim_impair lossy = {.delay_ns = 5 * MS, .loss = 1.0};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_AB, &lossy), 0);
  int ls = sn_socket(p.b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  assert_int_equal(sn_bind(p.b, ls, &any), 0);
  assert_int_equal(sn_listen(p.b, ls, 8), 0);
  int sd = sn_socket(p.a, SN_SOCK_STREAM);
  struct sn_sockaddr dst = {p.ip_b, 80};
  uint64_t t0 = sn_sim_now(p.sim);
  assert_int_equal(sn_connect(p.a, sd, &dst), -EINPROGRESS);
  sn_sim_run_until(p.sim, t0 + 63 * SEC - 1);
  assert_int_equal(state_of(p.a, sd), SN_TCP_SYN_SENT);
  sn_sim_run_until(p.sim, t0 + 63 * SEC);
  assert_int_equal(state_of(p.a, sd), SN_TCP_CLOSED);
  assert_int_equal(so_error(p.a, sd), ETIMEDOUT);
  uint64_t times[8];
  assert_int_equal(ts_sent(log, "A", "S", t0, times, 8), 6);
  static const uint64_t at[] = {0, 1, 3, 7, 15, 31};
  for (size_t i = 0; i < 6; i++)
    assert_int_equal(times[i], t0 + at[i] * SEC);
  struct sn_sim_link_stats ab = sn_sim_link_stats(p.link, SN_SIM_AB);
  assert_int_equal(ab.lost_random, 6);
  assert_int_equal(sn_accept(p.b, ls, NULL), -EAGAIN);
  ts_pair_free(&p);
  free(log);
}

/* 2. SYN-ACK retransmission -------------------------------------------- */

/*
 * The third segment never comes: SYN-ACKs at 0, 1, 3, 7, 15 and 31 s
 * (tcp_synack_retries = 5), then the half-open connection is dropped at
 * 63 s; an ACK arriving later finds only the listener and gets a RST.
 */
static void test_synack_retries_then_dropped(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  struct ts_log *log = ts_log_new();
  ts_log_tt(log, &t);
  int lsd = tt_listen(&t, 80, 8);
  ts_send(&t, 4000, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  struct tt_seg sa = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 0);
  uint32_t iss = sa.s.seq;
  static const uint64_t at[] = {1, 3, 7, 15, 31};
  for (size_t i = 0; i < 5; i++) {
    tt_advance(&t, at[i] * SEC);
    TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, iss, 1001, 0, at[i] * SEC);
    TS_NONE(&t);
  }
  tt_advance(&t, 63 * SEC - 1);
  TS_NONE(&t);
  assert_int_equal(ts_state_time(log, "S", 0, "CLOSED"), UINT64_MAX);
  tt_advance(&t, 63 * SEC);
  TS_NONE(&t);
  assert_int_equal(ts_state_time(log, "S", 0, "CLOSED"), 63 * SEC);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtTCPSynRetrans), 5);
  assert_int_equal(sn_accept(t.st, lsd, NULL), -EAGAIN);
  /* The ACK, too late: the listener answers it with <SEQ=SEG.ACK><RST>. */
  tt_advance(&t, 64 * SEC);
  ts_send(&t, 4000, 80, SN_TCP_ACK, 1001, iss + 1, NULL, 0);
  struct tt_seg r = TS_EXPECT(&t, SN_TCP_RST, iss + 1, 0, 0, 64 * SEC);
  assert_int_equal(r.s.wnd, 0);
  /* No SYN cookie was sent, so none is looked for (Linux). */
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesFailed), 0);
  assert_int_equal(sn_accept(t.st, lsd, NULL), -EAGAIN);
  tt_free(&t);
  free(log);
}

/* The ACK is lost, but the client's first data segment carries the same
 * acknowledgement: it completes the handshake. */
static void test_synack_data_completes_handshake(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 8);
  ts_send(&t, 4000, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  uint32_t iss = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 0).s.seq;
  assert_int_equal(sn_accept(t.st, lsd, NULL), -EAGAIN);
  tt_advance(&t, 500 * MS);
  ts_send(&t, 4000, 80, SN_TCP_ACK | SN_TCP_PSH, 1001, iss + 1, "hello", 5);
  /* Quick-ACK mode at the start: acknowledged at once. */
  TS_EXPECT(&t, SN_TCP_ACK, iss + 1, 1006, 0, 500 * MS);
  assert_true(sn_poll(t.st, lsd) & SN_POLLIN);
  int sd = sn_accept(t.st, lsd, NULL);
  assert_true(sd >= 0);
  assert_int_equal(tt_state(&t, sd), SN_TCP_ESTABLISHED);
  assert_true(sn_poll(t.st, sd) & SN_POLLIN);
  char buf[16];
  assert_int_equal(sn_recv(t.st, sd, buf, sizeof buf, 0), 5);
  assert_memory_equal(buf, "hello", 5);
  /* The SYN-ACK timer is off: nothing more at 1 s or later. */
  tt_advance(&t, 10 * SEC);
  TS_NONE(&t);
  assert_int_equal(ctr(t.st, SN_CTR_TcpPassiveOpens), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpCurrEstab), 1);
  tt_free(&t);
}

struct sender {
  struct sn_stack *st;
  bool sent;
};

/* On the first POLLOUT, send "hello". */
static void send_on_writable(void *ctx, int sd, unsigned events) {
  struct sender *s = ctx;
  if ((events & SN_POLLOUT) && !s->sent) {
    assert_int_equal(sn_send(s->st, sd, "hello", 5, 0), 5);
    s->sent = true;
  }
}

/* The same with two stacks: A's third segment (a bare ACK) is dropped;
 * the data A sends right after it establishes B's end. */
static void test_synack_third_lost_sim(void **state) {
  (void)state;
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int ls = sn_socket(p.b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  assert_int_equal(sn_bind(p.b, ls, &any), 0);
  assert_int_equal(sn_listen(p.b, ls, 8), 0);
  assert_int_equal(sn_sim_link_drop_nth(p.link, SN_SIM_AB, "ack", 1), 0);
  int sd = sn_socket(p.a, SN_SOCK_STREAM);
  struct sender snd = {p.a, false};
  assert_int_equal(sn_set_event_cb(p.a, sd, send_on_writable, &snd), 0);
  struct sn_sockaddr dst = {p.ip_b, 80};
  uint64_t t0 = sn_sim_now(p.sim);
  assert_int_equal(sn_connect(p.a, sd, &dst), -EINPROGRESS);
  sn_sim_run_until(p.sim, t0 + 20 * MS);
  assert_int_equal(state_of(p.a, sd), SN_TCP_ESTABLISHED);
  assert_true(snd.sent);
  sn_sim_run_until(p.sim, t0 + 30 * MS - 1);
  assert_int_equal(sn_accept(p.b, ls, NULL), -EAGAIN);
  sn_sim_run_until(p.sim, t0 + 30 * MS);
  int bs = sn_accept(p.b, ls, NULL);
  assert_true(bs >= 0);
  assert_int_equal(ts_state_time(log, "B", ts_conn_id(p.b, bs), "ESTABLISHED"),
                   t0 + 30 * MS);
  char buf[16];
  assert_int_equal(sn_recv(p.b, bs, buf, sizeof buf, 0), 5);
  assert_memory_equal(buf, "hello", 5);
  sn_sim_run_until(p.sim, t0 + 5 * SEC);
  assert_int_equal(ts_sent(log, "B", "S.", t0, NULL, 0), 1); /* no repeat */
  assert_int_equal(sn_sim_link_stats(p.link, SN_SIM_AB).dropped_script, 1);
  ts_pair_free(&p);
  free(log);
}

/* 3. The SYN-ACK lost ---------------------------------------------------- */

/*
 * The client did not hear the SYN-ACK and repeats its SYN: the SYN-ACK
 * goes again at once, and the SYN-ACK timer restarts from there (Linux:
 * at most one such answer per tcp_invalid_ratelimit; the retry count is
 * not used up).
 */
static void test_syn_repeated_in_syn_received(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 8);
  tt_advance(&t, 1 * MS);
  ts_send(&t, 4000, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  uint32_t iss = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 1 * MS).s.seq;
  tt_advance(&t, 501 * MS);
  ts_send(&t, 4000, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, iss, 1001, 0, 501 * MS);
  tt_advance(&t, 601 * MS); /* within 500 ms of the last answer */
  ts_send(&t, 4000, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  TS_NONE(&t);
  /* The timer restarted at 0.501 s: 1 s later, then 2 s after that. */
  tt_advance(&t, 1501 * MS - 1);
  TS_NONE(&t);
  tt_advance(&t, 1501 * MS);
  TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, iss, 1001, 0, 1501 * MS);
  tt_advance(&t, 3501 * MS);
  TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, iss, 1001, 0, 3501 * MS);
  ts_send(&t, 4000, 80, SN_TCP_ACK, 1001, iss + 1, NULL, 0);
  int sd = sn_accept(t.st, lsd, NULL);
  assert_true(sd >= 0);
  assert_int_equal(tt_state(&t, sd), SN_TCP_ESTABLISHED);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtTCPSynRetrans), 3);
  tt_free(&t);
}

/*
 * Two stacks, 10 ms apart; B's first SYN-ACK is lost. A repeats its SYN
 * at 1 s; B answers; connect() completes when that SYN-ACK arrives (1.020
 * s), accept() only when A's third segment does (1.030 s).
 */
static void test_synack_lost_sim(void **state) {
  (void)state;
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int ls = sn_socket(p.b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  assert_int_equal(sn_bind(p.b, ls, &any), 0);
  assert_int_equal(sn_listen(p.b, ls, 8), 0);
  assert_int_equal(sn_sim_link_drop_nth(p.link, SN_SIM_BA, "syn-ack", 1), 0);
  int sd = sn_socket(p.a, SN_SOCK_STREAM);
  struct ts_events ev = {0};
  assert_int_equal(sn_set_event_cb(p.a, sd, ts_event_cb, &ev), 0);
  struct sn_sockaddr dst = {p.ip_b, 80};
  uint64_t t0 = sn_sim_now(p.sim);
  assert_int_equal(sn_connect(p.a, sd, &dst), -EINPROGRESS);
  sn_sim_run_until(p.sim, t0 + 1020 * MS - 1);
  assert_int_equal(state_of(p.a, sd), SN_TCP_SYN_SENT);
  assert_false(sn_poll(p.a, sd) & SN_POLLOUT);
  assert_false(ev.seen & SN_POLLOUT);
  sn_sim_run_until(p.sim, t0 + 1020 * MS);
  assert_int_equal(state_of(p.a, sd), SN_TCP_ESTABLISHED);
  assert_true(sn_poll(p.a, sd) & SN_POLLOUT);
  assert_true(ev.seen & SN_POLLOUT);
  assert_int_equal(sn_accept(p.b, ls, NULL), -EAGAIN);
  assert_int_equal(sn_poll(p.b, ls), 0);
  sn_sim_run_until(p.sim, t0 + 1030 * MS - 1);
  assert_int_equal(sn_accept(p.b, ls, NULL), -EAGAIN);
  sn_sim_run_until(p.sim, t0 + 1030 * MS);
  assert_true(sn_poll(p.b, ls) & SN_POLLIN);
  int bs = sn_accept(p.b, ls, NULL);
  assert_true(bs >= 0);
  uint64_t syn[4];
  assert_int_equal(ts_sent(log, "A", "S", t0, syn, 4), 2);
  assert_int_equal(syn[0], t0);
  assert_int_equal(syn[1], t0 + 1 * SEC);
  uint64_t sa[4];
  assert_true(ts_sent(log, "B", "S.", t0, sa, 4) >= 2);
  assert_int_equal(sa[0], t0 + 10 * MS);
  assert_int_equal(sa[1], t0 + 1010 * MS);
  char path[128];
  assert_string_equal(ts_path(log, "A", ts_conn_id(p.a, sd), path, sizeof path),
                      "SYN-SENT>ESTABLISHED");
  assert_string_equal(ts_path(log, "B", ts_conn_id(p.b, bs), path, sizeof path),
                      "SYN-RECEIVED>ESTABLISHED");
  assert_int_equal(ts_state_time(log, "B", ts_conn_id(p.b, bs), "ESTABLISHED"),
                   t0 + 1030 * MS);
  ts_pair_free(&p);
  free(log);
}

/* 13. The socket calls on the way ---------------------------------------- */

/* connect(): -EINPROGRESS, -EALREADY while connecting, -EISCONN after;
 * readiness (poll and the event callback) only once the SYN-ACK arrives. */
static void test_connect_calls_and_readiness(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  struct ts_events ev = {0};
  assert_int_equal(sn_set_event_cb(t.st, sd, ts_event_cb, &ev), 0);
  struct sn_sockaddr dst = {t.peer_ip, 80};
  assert_int_equal(sn_connect(t.st, sd, &dst), -EINPROGRESS);
  struct tt_seg syn = TS_EXPECT(&t, SN_TCP_SYN, TS_ANY, 0, 0, 0);
  uint32_t iss = syn.s.seq;
  assert_int_equal(tt_state(&t, sd), SN_TCP_SYN_SENT);
  assert_int_equal(sn_connect(t.st, sd, &dst), -EALREADY);
  assert_int_equal(sn_poll(t.st, sd), 0);
  char buf[8];
  assert_int_equal(sn_send(t.st, sd, "x", 1, 0), -EAGAIN);
  assert_int_equal(sn_recv(t.st, sd, buf, sizeof buf, 0), -EAGAIN);
  assert_int_equal(ctr(t.st, SN_CTR_TcpActiveOpens), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpCurrEstab), 0);
  tt_advance(&t, 100 * MS);
  assert_false(ev.seen & SN_POLLOUT);
  struct tt_out sa = {.sport = 80, .dport = syn.s.sport,
                      .flags = SN_TCP_SYN | SN_TCP_ACK, .seq = 9000,
                      .ack = iss + 1, .win = 65535};
  tt_inject(&t, &sa);
  /* The third segment goes at once; connect() has completed. */
  TS_EXPECT(&t, SN_TCP_ACK, iss + 1, 9001, 0, 100 * MS);
  TS_NONE(&t);
  assert_int_equal(tt_state(&t, sd), SN_TCP_ESTABLISHED);
  assert_int_equal(sn_poll(t.st, sd), SN_POLLOUT);
  assert_true(ev.n >= 1);
  assert_int_equal(ev.last, SN_POLLOUT);
  assert_int_equal(sn_connect(t.st, sd, &dst), -EISCONN);
  assert_int_equal(so_error(t.st, sd), 0);
  assert_int_equal(ctr(t.st, SN_CTR_TcpCurrEstab), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpAttemptFails), 0);
  /* The handshake timed the round trip: 100 ms, so the RTO is 300 ms. */
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(t.st, sd, &i), 0);
  assert_int_equal(i.tcpi_rtt, 100000);
  assert_int_equal(i.tcpi_rto, 300000);
  tt_free(&t);
}

/* accept(): -EAGAIN until the third segment of the handshake arrives;
 * the listener becomes readable then, and not before. */
static void test_accept_after_third_segment(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 8);
  struct ts_events ev = {0};
  assert_int_equal(sn_set_event_cb(t.st, lsd, ts_event_cb, &ev), 0);
  assert_int_equal(sn_accept(t.st, lsd, NULL), -EAGAIN);
  ts_send(&t, 4000, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  uint32_t iss = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 0).s.seq;
  assert_int_equal(sn_accept(t.st, lsd, NULL), -EAGAIN);
  assert_int_equal(sn_poll(t.st, lsd), 0);
  assert_false(ev.seen & SN_POLLIN);
  assert_int_equal(ctr(t.st, SN_CTR_TcpPassiveOpens), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpCurrEstab), 0);
  tt_advance(&t, 100 * MS);
  ts_send(&t, 4000, 80, SN_TCP_ACK, 1001, iss + 1, NULL, 0);
  TS_NONE(&t);
  assert_int_equal(sn_poll(t.st, lsd), SN_POLLIN);
  assert_true(ev.seen & SN_POLLIN);
  assert_int_equal(ctr(t.st, SN_CTR_TcpCurrEstab), 1);
  struct sn_sockaddr peer;
  int sd = sn_accept(t.st, lsd, &peer);
  assert_true(sd >= 0);
  assert_int_equal(peer.addr, t.peer_ip);
  assert_int_equal(peer.port, 4000);
  assert_int_equal(tt_state(&t, sd), SN_TCP_ESTABLISHED);
  assert_int_equal(sn_poll(t.st, sd), SN_POLLOUT);
  assert_int_equal(sn_poll(t.st, lsd), 0);
  assert_int_equal(sn_accept(t.st, lsd, NULL), -EAGAIN);
  tt_free(&t);
}

/* 4. SYN-SENT (RFC 9293 §3.10.7.3) ------------------------------------- */

/*
 * A SYN-ACK whose ACK does not acknowledge our SYN (an old duplicate, or
 * one acking too much) gets <SEQ=SEG.ACK><CTL=RST>, and the connection
 * keeps waiting for the right one. The first such segment also makes the
 * SYN go again 2 ms later (Linux: the peer may hold a stale connection
 * the RST just ended), once: not after the SYN was already resent.
 */
static void test_syn_sent_wrong_synack(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  struct sn_sockaddr dst = {t.peer_ip, 80};
  assert_int_equal(sn_connect(t.st, sd, &dst), -EINPROGRESS);
  struct tt_seg syn = TS_EXPECT(&t, SN_TCP_SYN, TS_ANY, 0, 0, 0);
  uint32_t iss = syn.s.seq;
  uint16_t lport = syn.s.sport;
  const uint32_t bad[] = {iss, iss + 2, iss - 100000};
  for (size_t i = 0; i < 3; i++) {
    tt_advance(&t, (10 + 10 * i) * MS);
    ts_send(&t, 80, lport, SN_TCP_SYN | SN_TCP_ACK, 9000, bad[i], NULL, 0);
    struct tt_seg r = TS_EXPECT(&t, SN_TCP_RST, bad[i], 0, 0, (10 + 10 * i) * MS);
    assert_int_equal(r.s.wnd, 0);
    assert_int_equal(tt_state(&t, sd), SN_TCP_SYN_SENT);
    if (i == 0) {
      tt_advance(&t, 12 * MS);
      TS_EXPECT(&t, SN_TCP_SYN, iss, 0, 0, 12 * MS);
    }
  }
  assert_int_equal(ctr(t.st, SN_CTR_TcpOutRsts), 3);
  /* The real SYN-ACK, with another ISN, is still welcome. */
  tt_advance(&t, 100 * MS);
  ts_send(&t, 80, lport, SN_TCP_SYN | SN_TCP_ACK, 5000, iss + 1, NULL, 0);
  TS_EXPECT(&t, SN_TCP_ACK, iss + 1, 5001, 0, 100 * MS);
  assert_int_equal(tt_state(&t, sd), SN_TCP_ESTABLISHED);
  assert_int_equal(ctr(t.st, SN_CTR_TcpAttemptFails), 0);
  tt_free(&t);
}

/*
 * A RST in SYN-SENT counts only if it acknowledges our SYN: then the
 * connection is refused. Without ACK, or with another ACK, it is ignored
 * (and never answered).
 */
static void test_syn_sent_rst_rules(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  struct ts_events ev = {0};
  assert_int_equal(sn_set_event_cb(t.st, sd, ts_event_cb, &ev), 0);
  struct sn_sockaddr dst = {t.peer_ip, 80};
  assert_int_equal(sn_connect(t.st, sd, &dst), -EINPROGRESS);
  struct tt_seg syn = TS_EXPECT(&t, SN_TCP_SYN, TS_ANY, 0, 0, 0);
  uint32_t iss = syn.s.seq;
  uint16_t lport = syn.s.sport;
  tt_advance(&t, 10 * MS);
  ts_send(&t, 80, lport, SN_TCP_RST, 0, 0, NULL, 0);
  ts_send(&t, 80, lport, SN_TCP_RST, iss + 1, 0, NULL, 0);
  ts_send(&t, 80, lport, SN_TCP_RST | SN_TCP_ACK, 0, iss + 5, NULL, 0);
  ts_send(&t, 80, lport, SN_TCP_RST | SN_TCP_ACK, 0, iss, NULL, 0);
  TS_NONE(&t);
  assert_int_equal(tt_state(&t, sd), SN_TCP_SYN_SENT);
  assert_int_equal(sn_connect(t.st, sd, &dst), -EALREADY);
  ts_send(&t, 80, lport, SN_TCP_RST | SN_TCP_ACK, 0, iss + 1, NULL, 0);
  TS_NONE(&t);
  assert_int_equal(tt_state(&t, sd), SN_TCP_CLOSED);
  assert_true(ev.last & SN_POLLERR);
  assert_int_equal(sn_poll(t.st, sd) & (SN_POLLERR | SN_POLLHUP),
                   SN_POLLERR | SN_POLLHUP);
  assert_int_equal(sn_connect(t.st, sd, &dst), -ECONNREFUSED);
  assert_int_equal(ctr(t.st, SN_CTR_TcpAttemptFails), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpOutRsts), 0);
  tt_advance(&t, 10 * SEC); /* no SYN retransmission after that */
  TS_NONE(&t);
  tt_free(&t);
}

/* 5. No listener ----------------------------------------------------------- */

/* RFC 9293 §3.10.7.1, and window 0 as Linux sends it. */
static void expect_closed_rsts(struct tt *t, uint16_t port) {
  /* No ACK in: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
  ts_send(t, 4000, port, SN_TCP_SYN, 77, 0, NULL, 0);
  struct tt_seg r = TS_EXPECT(t, SN_TCP_RST | SN_TCP_ACK, 0, 78, 0, t->now);
  assert_int_equal(r.s.wnd, 0);
  ts_send(t, 4000, port, SN_TCP_SYN | SN_TCP_FIN, 100, 0, "abcde", 5);
  TS_EXPECT(t, SN_TCP_RST | SN_TCP_ACK, 0, 107, 0, t->now);
  /* ACK in: <SEQ=SEG.ACK><CTL=RST>, ack field 0. */
  ts_send(t, 4000, port, SN_TCP_ACK, 100, 5555, NULL, 0);
  r = TS_EXPECT(t, SN_TCP_RST, 5555, 0, 0, t->now);
  assert_int_equal(r.s.wnd, 0);
  ts_send(t, 4000, port, SN_TCP_ACK | SN_TCP_PSH, 100, 6666, "data", 4);
  TS_EXPECT(t, SN_TCP_RST, 6666, 0, 0, t->now);
  /* A RST is never answered. */
  ts_send(t, 4000, port, SN_TCP_RST, 100, 0, NULL, 0);
  ts_send(t, 4000, port, SN_TCP_RST | SN_TCP_ACK, 100, 5, NULL, 0);
  TS_NONE(t);
}

static void test_closed_port_and_bound_socket_rst(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  expect_closed_rsts(&t, 9);
  /* Bound but not listening is the same as closed (notes 000). */
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  struct sn_sockaddr a = {0, 8080};
  assert_int_equal(sn_bind(t.st, sd, &a), 0);
  tt_advance(&t, 1 * SEC);
  expect_closed_rsts(&t, 8080);
  assert_int_equal(ctr(t.st, SN_CTR_TcpOutRsts), 8);
  tt_free(&t);
}

/* Two stacks: connect() to a closed port and to a bound socket that does
 * not listen are both refused, one round trip later. */
static void test_connect_refused_sim(void **state) {
  (void)state;
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int bound = sn_socket(p.b, SN_SOCK_STREAM);
  struct sn_sockaddr a = {0, 8080};
  assert_int_equal(sn_bind(p.b, bound, &a), 0);
  const uint16_t ports[] = {7, 8080};
  for (int i = 0; i < 2; i++) {
    int sd = sn_socket(p.a, SN_SOCK_STREAM);
    struct ts_events ev = {0};
    assert_int_equal(sn_set_event_cb(p.a, sd, ts_event_cb, &ev), 0);
    struct sn_sockaddr dst = {p.ip_b, ports[i]};
    uint64_t t0 = sn_sim_now(p.sim);
    assert_int_equal(sn_connect(p.a, sd, &dst), -EINPROGRESS);
    sn_sim_run_until(p.sim, t0 + 20 * MS - 1);
    assert_int_equal(state_of(p.a, sd), SN_TCP_SYN_SENT);
    sn_sim_run_until(p.sim, t0 + 20 * MS);
    assert_int_equal(state_of(p.a, sd), SN_TCP_CLOSED);
    assert_true(ev.last & SN_POLLERR);
    if (i == 0)
      assert_int_equal(so_error(p.a, sd), ECONNREFUSED);
    else
      assert_int_equal(sn_connect(p.a, sd, &dst), -ECONNREFUSED);
    uint64_t rst;
    assert_int_equal(ts_sent(log, "B", "R.", t0, &rst, 1), 1);
    assert_int_equal(rst, t0 + 10 * MS);
    sn_close(p.a, sd);
    sn_sim_run_until(p.sim, t0 + 1 * SEC);
  }
  assert_int_equal(ctr(p.a, SN_CTR_TcpAttemptFails), 2);
  assert_int_equal(ctr(p.b, SN_CTR_TcpOutRsts), 2);
  ts_pair_free(&p);
  free(log);
}

/* 6. Simultaneous open (RFC 9293 §3.5, Figure 8) ------------------------ */

/*
 * A (port 5000) and B (port 6000) connect to each other at the same
 * moment; the SYNs cross. Each goes SYN-SENT -> SYN-RECEIVED on the
 * other's SYN and answers with a SYN-ACK, and -> ESTABLISHED on the other's
 * SYN-ACK, which is accepted (no challenge ACK). Its SYN repeats a
 * sequence number already received, so each side ACKs it with a D-SACK
 * for that byte, as Linux does: six segments in all, not Figure 8's four.
 */
static void test_simultaneous_open_sim(void **state) {
  (void)state;
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int as = sn_socket(p.a, SN_SOCK_STREAM), bs = sn_socket(p.b, SN_SOCK_STREAM);
  struct sn_sockaddr pa = {0, 5000}, pb = {0, 6000};
  assert_int_equal(sn_bind(p.a, as, &pa), 0);
  assert_int_equal(sn_bind(p.b, bs, &pb), 0);
  struct sn_sockaddr to_b = {p.ip_b, 6000}, to_a = {p.ip_a, 5000};
  uint64_t t0 = sn_sim_now(p.sim);
  assert_int_equal(sn_connect(p.a, as, &to_b), -EINPROGRESS);
  assert_int_equal(sn_connect(p.b, bs, &to_a), -EINPROGRESS);
  uint32_t ca = ts_conn_id(p.a, as), cb = ts_conn_id(p.b, bs);
  sn_sim_run_until(p.sim, t0 + 1 * SEC);
  char path[128];
  assert_string_equal(ts_path(log, "A", ca, path, sizeof path),
                      "SYN-SENT>SYN-RECEIVED>ESTABLISHED");
  assert_string_equal(ts_path(log, "B", cb, path, sizeof path),
                      "SYN-SENT>SYN-RECEIVED>ESTABLISHED");
  const char *hosts[] = {"A", "B"};
  struct sn_stack *st[] = {p.a, p.b};
  int sds[] = {as, bs};
  for (int i = 0; i < 2; i++) {
    uint32_t c = i ? cb : ca;
    assert_int_equal(ts_state_time(log, hosts[i], c, "SYN-RECEIVED"), t0 + 10 * MS);
    assert_int_equal(ts_state_time(log, hosts[i], c, "ESTABLISHED"), t0 + 20 * MS);
    assert_int_equal(ts_sent(log, hosts[i], "S", t0, NULL, 0), 1);
    assert_int_equal(ts_sent(log, hosts[i], "S.", t0, NULL, 0), 1);
    uint64_t at;
    assert_int_equal(ts_sent(log, hosts[i], ".", t0, &at, 1), 1);
    assert_int_equal(at, t0 + 20 * MS);
    assert_int_equal(ctr(st[i], SN_CTR_TcpExtTCPDSACKOldSent), 1);
    assert_int_equal(ctr(st[i], SN_CTR_TcpExtTCPSYNChallenge), 0);
    assert_int_equal(ctr(st[i], SN_CTR_TcpExtTCPChallengeACK), 0);
    assert_int_equal(ctr(st[i], SN_CTR_TcpActiveOpens), 1);
    assert_int_equal(ctr(st[i], SN_CTR_TcpPassiveOpens), 0);
    assert_int_equal(ctr(st[i], SN_CTR_TcpCurrEstab), 1);
    assert_int_equal(sn_poll(st[i], sds[i]), SN_POLLOUT);
  }
  /* Data both ways. */
  assert_int_equal(sn_send(p.a, as, "ping", 4, 0), 4);
  assert_int_equal(sn_send(p.b, bs, "pong", 4, 0), 4);
  sn_sim_run_until(p.sim, t0 + 2 * SEC);
  char buf[8];
  assert_int_equal(sn_recv(p.b, bs, buf, sizeof buf, 0), 4);
  assert_memory_equal(buf, "ping", 4);
  assert_int_equal(sn_recv(p.a, as, buf, sizeof buf, 0), 4);
  assert_memory_equal(buf, "pong", 4);
  ts_pair_free(&p);
  free(log);
}

/* 7. A listener (RFC 9293 §3.10.7.2) ------------------------------------- */

static void test_listener_rules(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 8);
  tt_advance(&t, 100 * MS);
  /* An ACK, or a SYN-ACK: <SEQ=SEG.ACK><CTL=RST>. */
  ts_send(&t, 4000, 80, SN_TCP_ACK, 0, 0, NULL, 0);
  struct tt_seg r = TS_EXPECT(&t, SN_TCP_RST, 0, 0, 0, 100 * MS);
  assert_int_equal(r.s.wnd, 0);
  ts_send(&t, 4000, 80, SN_TCP_SYN | SN_TCP_ACK, 0, 0, NULL, 0);
  TS_EXPECT(&t, SN_TCP_RST, 0, 0, 0, 100 * MS);
  ts_send(&t, 4000, 80, SN_TCP_ACK, 300, 123456, NULL, 0);
  TS_EXPECT(&t, SN_TCP_RST, 123456, 0, 0, 100 * MS);
  /* A RST, a SYN with RST, a segment without flags: dropped silently. */
  ts_send(&t, 4000, 80, SN_TCP_RST, 0, 0, NULL, 0);
  ts_send(&t, 4000, 80, SN_TCP_SYN | SN_TCP_RST, 0, 0, NULL, 0);
  ts_send(&t, 4000, 80, 0, 0, 0, NULL, 0);
  ts_send(&t, 4000, 80, 0, 0, 0, "data", 4);
  TS_NONE(&t);
  assert_int_equal(sn_accept(t.st, lsd, NULL), -EAGAIN);
  assert_int_equal(ctr(t.st, SN_CTR_TcpPassiveOpens), 0);
  /* A valid SYN from the same port right after: the normal SYN-ACK. */
  tt_advance(&t, 200 * MS);
  struct tt_out syn = {.sport = 4000, .dport = 80, .flags = SN_TCP_SYN,
                       .seq = 0, .win = 32792};
  syn.opt = (struct sn_tcp_optspec){.syn = true, .mss = true, .mss_val = 1000,
                                    .sack_ok = true, .ws = true, .ws_val = 7};
  tt_inject(&t, &syn);
  struct tt_seg sa = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1, 0, 200 * MS);
  size_t olen;
  const uint8_t *o = opts_of(&sa, &olen);
  /* <mss 1460,nop,nop,sackOK,nop,wscale 7> (tcp_rmem[2] 6 MiB: shift 7) */
  static const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
  assert_int_equal(olen, sizeof want);
  assert_memory_equal(o, want, sizeof want);
  tt_advance(&t, 300 * MS);
  ts_send(&t, 4000, 80, SN_TCP_ACK, 1, sa.s.seq + 1, NULL, 0);
  assert_true(sn_accept(t.st, lsd, NULL) >= 0);
  assert_int_equal(ctr(t.st, SN_CTR_TcpOutRsts), 3);
  tt_free(&t);
}

/* The SYN-ACK's options follow what the SYN offered, in Linux's layout;
 * the window is 65535 rounded down to a multiple of the MSS in use. */
static void test_synack_option_layouts(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  tt_listen(&t, 80, 8);
  tt_advance(&t, 1 * SEC);
  /* SACK + TS + WS: <mss 1460,sackOK,TS val X ecr Y,nop,wscale 7>. */
  struct tt_out syn = {.sport = 4001, .dport = 80, .flags = SN_TCP_SYN,
                       .seq = 1000, .win = 65535, .opt = tt_syn_opts(12345)};
  tt_inject(&t, &syn);
  struct tt_seg sa = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 1 * SEC);
  size_t olen;
  const uint8_t *o = opts_of(&sa, &olen);
  assert_int_equal(olen, 20);
  static const uint8_t head[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10};
  assert_memory_equal(o, head, sizeof head);
  static const uint8_t ecr_ws[] = {0, 0, 0x30, 0x39, 1, 3, 3, 7};
  assert_memory_equal(o + 12, ecr_ws, sizeof ecr_ws);
  assert_true(sa.s.opt.has_ts);
  assert_int_equal(sa.s.opt.tsecr, 12345);
  assert_int_equal(sa.s.wnd, 65160); /* 45 x 1448 */
  /* SACK + WS: <mss 1460,nop,nop,sackOK,nop,wscale 7>. */
  syn.sport = 4002;
  syn.opt.ts = false;
  tt_inject(&t, &syn);
  sa = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 1 * SEC);
  o = opts_of(&sa, &olen);
  static const uint8_t sack_ws[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
  assert_int_equal(olen, sizeof sack_ws);
  assert_memory_equal(o, sack_ws, sizeof sack_ws);
  assert_int_equal(sa.s.wnd, 64240); /* 44 x 1460 */
  /* MSS only, and nothing at all: <mss 1460>. */
  for (int i = 0; i < 2; i++) {
    struct tt_out plain = {.sport = (uint16_t)(4003 + i), .dport = 80,
                           .flags = SN_TCP_SYN, .seq = 1000, .win = 65535};
    if (i == 0)
      plain.opt = (struct sn_tcp_optspec){.syn = true, .mss = true, .mss_val = 1200};
    tt_inject(&t, &plain);
    sa = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 1 * SEC);
    o = opts_of(&sa, &olen);
    static const uint8_t mss[] = {2, 4, 0x05, 0xb4};
    assert_int_equal(olen, sizeof mss);
    assert_memory_equal(o, mss, sizeof mss);
    assert_int_equal(sa.s.wnd, 64240);
  }
  tt_free(&t);
}

/* 8. Accept queue and SYN queue ------------------------------------------ */

/*
 * listen(backlog 2): like Linux, up to backlog + 1 = 3 finished handshakes
 * wait for accept(), and up to backlog half-open ones in the SYN queue.
 * With the accept queue full, a third segment is dropped and so is a new
 * SYN (TcpExtListenOverflows, TcpExtListenDrops); the SYN-ACK timer then
 * offers the handshake again, and it completes once accept() made room.
 */
static void test_accept_queue_full(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 2);
  uint32_t iss[6];
  for (uint16_t i = 1; i <= 4; i++) {
    if (i == 3) { /* 1 and 2 finish first: the SYN queue has room again */
      ts_send(&t, 4001, 80, SN_TCP_ACK, 1001, iss[1] + 1, NULL, 0);
      ts_send(&t, 4002, 80, SN_TCP_ACK, 1001, iss[2] + 1, NULL, 0);
    }
    ts_send(&t, (uint16_t)(4000 + i), 80, SN_TCP_SYN, 1000, 0, NULL, 0);
    iss[i] = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 0).s.seq;
  }
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesSent), 0);
  tt_advance(&t, 100 * MS);
  ts_send(&t, 4003, 80, SN_TCP_ACK, 1001, iss[3] + 1, NULL, 0);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtListenOverflows), 0);
  /* Three are queued (backlog 2 + 1): the fourth handshake cannot finish. */
  ts_send(&t, 4004, 80, SN_TCP_ACK, 1001, iss[4] + 1, NULL, 0);
  TS_NONE(&t);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtListenOverflows), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtListenDrops), 1);
  /* A new SYN is not even answered. */
  ts_send(&t, 4005, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  TS_NONE(&t);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtListenOverflows), 2);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtListenDrops), 2);
  assert_int_equal(ctr(t.st, SN_CTR_TcpPassiveOpens), 4);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesSent), 0);
  struct sn_sockaddr peer;
  assert_true(sn_accept(t.st, lsd, &peer) >= 0);
  assert_int_equal(peer.port, 4001);
  /* At 1 s the fourth connection's SYN-ACK goes again; its ACK is taken. */
  tt_advance(&t, 1 * SEC);
  TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, iss[4], 1001, 0, 1 * SEC);
  TS_NONE(&t);
  ts_send(&t, 4004, 80, SN_TCP_ACK, 1001, iss[4] + 1, NULL, 0);
  ts_send(&t, 4005, 80, SN_TCP_SYN, 1000, 0, NULL, 0); /* full again */
  TS_NONE(&t);
  for (uint16_t i = 2; i <= 4; i++) {
    assert_true(sn_accept(t.st, lsd, &peer) >= 0);
    assert_int_equal(peer.port, 4000 + i);
  }
  assert_int_equal(sn_accept(t.st, lsd, NULL), -EAGAIN);
  /* Room again: the fifth client's next SYN is answered. */
  tt_advance(&t, 3 * SEC);
  ts_send(&t, 4005, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 3 * SEC);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtListenOverflows), 3);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtListenDrops), 3);
  tt_free(&t);
}

/* With tcp_syncookies = 0, a SYN beyond the SYN queue (backlog half-open
 * connections) is dropped. */
static void test_syn_queue_full_no_cookies(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, "tcp_syncookies=0", NULL);
  int lsd = tt_listen(&t, 80, 2);
  uint32_t iss1 = 0;
  for (uint16_t i = 1; i <= 2; i++) {
    ts_send(&t, (uint16_t)(4000 + i), 80, SN_TCP_SYN, 1000, 0, NULL, 0);
    uint32_t s = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 0).s.seq;
    if (i == 1)
      iss1 = s;
  }
  ts_send(&t, 4003, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  TS_NONE(&t);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtListenDrops), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtListenOverflows), 0);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesSent), 0);
  assert_int_equal(ctr(t.st, SN_CTR_TcpPassiveOpens), 2);
  /* One handshake finishes: a place in the SYN queue is free again. */
  tt_advance(&t, 100 * MS);
  ts_send(&t, 4001, 80, SN_TCP_ACK, 1001, iss1 + 1, NULL, 0);
  ts_send(&t, 4003, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 100 * MS);
  assert_true(sn_accept(t.st, lsd, NULL) >= 0);
  tt_free(&t);
}

/*
 * tcp_syncookies = 1: beyond the SYN queue, the SYN-ACK carries a cookie
 * and nothing is kept (no retransmission); the ACK returning the cookie
 * creates the connection with the MSS the cookie encoded (the largest of
 * 536, 1300, 1440, 1460 not above the peer's 1400).
 */
static void test_syncookie_on_syn_queue_overflow(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 2);
  for (uint16_t i = 1; i <= 2; i++) {
    ts_send(&t, (uint16_t)(4000 + i), 80, SN_TCP_SYN, 1000, 0, NULL, 0);
    TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 0);
  }
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesSent), 0);
  struct tt_out syn = {.sport = 4003, .dport = 80, .flags = SN_TCP_SYN,
                       .seq = 70000, .win = 65535};
  syn.opt = (struct sn_tcp_optspec){.syn = true, .mss = true, .mss_val = 1400};
  tt_inject(&t, &syn);
  struct tt_seg sa = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 70001, 0, 0);
  uint32_t cookie = sa.s.seq;
  size_t olen;
  const uint8_t *o = opts_of(&sa, &olen);
  static const uint8_t mss[] = {2, 4, 0x05, 0xb4};
  assert_int_equal(olen, sizeof mss);
  assert_memory_equal(o, mss, sizeof mss);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesSent), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpPassiveOpens), 2);
  /* At 1 s only the two queued handshakes repeat their SYN-ACKs. */
  tt_advance(&t, 1 * SEC);
  for (int i = 0; i < 2; i++) {
    struct tt_seg r = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 1 * SEC);
    assert_true(r.s.dport == 4001 || r.s.dport == 4002);
  }
  TS_NONE(&t);
  tt_advance(&t, 1100 * MS);
  ts_send(&t, 4003, 80, SN_TCP_ACK, 70001, cookie + 1, NULL, 0);
  TS_NONE(&t);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesRecv), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesFailed), 0);
  struct sn_sockaddr peer;
  int sd = sn_accept(t.st, lsd, &peer);
  assert_true(sd >= 0);
  assert_int_equal(peer.port, 4003);
  assert_int_equal(tt_state(&t, sd), SN_TCP_ESTABLISHED);
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(t.st, sd, &i), 0);
  assert_int_equal(i.tcpi_snd_mss, 1300);
  /* Data both ways on it; the first data is acknowledged at once. */
  ts_send(&t, 4003, 80, SN_TCP_ACK | SN_TCP_PSH, 70001, cookie + 1, "hello", 5);
  TS_EXPECT(&t, SN_TCP_ACK, cookie + 1, 70006, 0, 1100 * MS);
  char buf[3000] = {0};
  assert_int_equal(sn_recv(t.st, sd, buf, sizeof buf, 0), 5);
  assert_int_equal(sn_send(t.st, sd, buf, 3000, 0), 3000);
  TS_EXPECT(&t, SN_TCP_ACK, cookie + 1, 70006, 1300, 1100 * MS);
  TS_EXPECT(&t, SN_TCP_ACK, cookie + 1301, 70006, 1300, 1100 * MS);
  TS_EXPECT(&t, SN_TCP_ACK | SN_TCP_PSH, cookie + 2601, 70006, 400, 1100 * MS);
  tt_free(&t);
}

/*
 * tcp_syncookies = 2: every SYN gets a cookie. With timestamps the
 * cookie also carries the peer's window scale and SACK-permitted in the
 * low six bits of TSval; the connection rebuilt from the ACK has them,
 * and its clock never runs behind the TSval of the cookie SYN-ACK (the
 * peer's PAWS would drop our segments otherwise). Tried at 64 successive
 * milliseconds, so every value of those six bits of the clock occurs.
 */
static void test_syncookies_always_with_options(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, "tcp_syncookies=2", NULL);
  int lsd = tt_listen(&t, 80, 128);
  for (uint16_t k = 0; k < 64; k++) {
    tt_advance(&t, (1000u + k) * MS);
    uint16_t pport = (uint16_t)(5000 + k);
    struct tt_out syn = {.sport = pport, .dport = 80, .flags = SN_TCP_SYN,
                         .seq = 1000, .win = 65535, .opt = tt_syn_opts(100u + k)};
    tt_inject(&t, &syn);
    struct tt_seg sa = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, t.now);
    assert_true(sa.s.opt.has_ts && sa.s.opt.sack_ok && sa.s.opt.has_ws);
    assert_int_equal(sa.s.opt.tsecr, 100u + k);
    assert_int_equal(sa.s.opt.tsval & 0x3f, 0x10 | 7);
    struct tt_out ack = {.sport = pport, .dport = 80, .flags = SN_TCP_ACK,
                         .seq = 1001, .ack = sa.s.seq + 1, .win = 1000};
    ack.opt.ts = true;
    ack.opt.tsval = 101u + k;
    ack.opt.tsecr = sa.s.opt.tsval;
    tt_inject(&t, &ack);
    int sd = sn_accept(t.st, lsd, NULL);
    assert_true(sd >= 0);
    struct sn_tcp_info i;
    assert_int_equal(sn_tcp_info(t.st, sd, &i), 0);
    assert_int_equal(i.tcpi_options, SN_TCPI_OPT_TIMESTAMPS | SN_TCPI_OPT_SACK |
                                         SN_TCPI_OPT_WSCALE);
    assert_int_equal(i.tcpi_snd_wscale, 7);
    assert_int_equal(i.tcpi_snd_mss, 1448);
    assert_int_equal(sn_send(t.st, sd, "x", 1, 0), 1);
    struct tt_seg d = TS_EXPECT(&t, SN_TCP_ACK | SN_TCP_PSH, sa.s.seq + 1, 1001, 1, t.now);
    assert_true(d.s.opt.has_ts);
    assert_int_equal(d.s.opt.tsecr, 101u + k);
    assert_true((int32_t)(d.s.opt.tsval - sa.s.opt.tsval) >= 0);
    /* The window field of a scaled connection is scaled (1000 << 7). */
    assert_int_equal(i.tcpi_snd_wnd, 1000u << 7);
  }
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesSent), 64);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesRecv), 64);
  /* Nothing was kept for a cookie: no SYN-ACK is ever repeated. */
  tt_advance(&t, 70 * SEC);
  struct tt_seg s;
  while (tt_next(&t, &s))
    assert_false(s.s.flags & SN_TCP_SYN);
  tt_free(&t);
}

/*
 * An ACK whose cookie is not ours gets <SEQ=SEG.ACK><RST>
 * (TcpExtSyncookiesFailed) and creates nothing. As in Linux, an ACK is
 * taken for a cookie only while cookies were sent recently: to a
 * listener that never sent one it is a plain stray ACK.
 */
static void test_bogus_cookie_ack(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 1);
  ts_send(&t, 4999, 80, SN_TCP_ACK, 1001, 424242, NULL, 0);
  TS_EXPECT(&t, SN_TCP_RST, 424242, 0, 0, 0);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesFailed), 0);
  /* Fill the SYN queue (backlog 1) so that the next SYN gets a cookie. */
  tt_advance(&t, 1 * MS);
  ts_send(&t, 4001, 80, SN_TCP_SYN, 1000, 0, NULL, 0);
  TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 1 * MS);
  ts_send(&t, 4002, 80, SN_TCP_SYN, 2000, 0, NULL, 0);
  uint32_t cookie = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 2001, 0, 1 * MS).s.seq;
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesSent), 1);
  tt_advance(&t, 2 * MS);
  /* (cookie + 2 would be valid: the low bits carry the MSS index, and
   * index 1 exists; cookie itself decodes to index -1.) */
  const uint32_t wrong[] = {cookie + 0x10000, cookie, 424242};
  for (int i = 0; i < 3; i++) {
    ts_send(&t, 4002, 80, SN_TCP_ACK, 2001, wrong[i], NULL, 0);
    TS_EXPECT(&t, SN_TCP_RST, wrong[i], 0, 0, 2 * MS);
  }
  /* The right cookie from another port is wrong too. */
  ts_send(&t, 4003, 80, SN_TCP_ACK, 2001, cookie + 1, NULL, 0);
  TS_EXPECT(&t, SN_TCP_RST, cookie + 1, 0, 0, 2 * MS);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesFailed), 4);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesRecv), 0);
  assert_int_equal(sn_accept(t.st, lsd, NULL), -EAGAIN);
  /* The right one still works. */
  ts_send(&t, 4002, 80, SN_TCP_ACK, 2001, cookie + 1, NULL, 0);
  TS_NONE(&t);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesRecv), 1);
  assert_true(sn_accept(t.st, lsd, NULL) >= 0);
  tt_free(&t);
}

/* A SYN flood from many ports (never completed) fills the SYN queue; with
 * cookies a legitimate client still connects and exchanges data. */
static void test_syn_flood_with_cookies(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 8);
  for (uint16_t i = 0; i < 200; i++)
    ts_send(&t, (uint16_t)(20000 + i), 80, SN_TCP_SYN, 1000u * i, 0, NULL, 0);
  size_t n = 0;
  struct tt_seg s;
  while (tt_next(&t, &s)) {
    assert_int_equal(s.s.flags, SN_TCP_SYN | SN_TCP_ACK);
    n++;
  }
  assert_int_equal(n, 200);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtSyncookiesSent), 192);
  tt_advance(&t, 300 * MS);
  ts_send(&t, 5555, 80, SN_TCP_SYN, 777, 0, NULL, 0);
  uint32_t cookie = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 778, 0, 300 * MS).s.seq;
  tt_advance(&t, 400 * MS);
  ts_send(&t, 5555, 80, SN_TCP_ACK | SN_TCP_PSH, 778, cookie + 1, "GET /", 5);
  TS_EXPECT(&t, SN_TCP_ACK, cookie + 1, 783, 0, 400 * MS);
  struct sn_sockaddr peer;
  int sd = sn_accept(t.st, lsd, &peer);
  assert_true(sd >= 0);
  assert_int_equal(peer.port, 5555);
  char buf[8];
  assert_int_equal(sn_recv(t.st, sd, buf, sizeof buf, 0), 5);
  assert_int_equal(sn_send(t.st, sd, "200", 3, 0), 3);
  TS_EXPECT(&t, SN_TCP_ACK | SN_TCP_PSH, cookie + 1, 783, 3, 400 * MS);
  assert_int_equal(sn_accept(t.st, lsd, NULL), -EAGAIN);
  tt_free(&t);
}

/*
 * The same between two stacks: A opens 50 connections while every frame
 * from B to A is lost, so B's SYN queue (backlog 4) fills with half-open
 * connections and the rest get cookies nobody hears. Then A drops those
 * sockets (close() in SYN-SENT sends nothing), the link heals, and a new
 * connect() from A completes through a cookie within one round trip.
 */
static void test_syn_flood_sim(void **state) {
  (void)state;
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int ls = sn_socket(p.b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  assert_int_equal(sn_bind(p.b, ls, &any), 0);
  assert_int_equal(sn_listen(p.b, ls, 4), 0);
  struct sn_sim_impair cut = {.delay_ns = 10 * MS, .loss = 1.0};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_BA, &cut), 0);
  struct sn_sockaddr dst = {p.ip_b, 80};
  int flood[50];
  for (int i = 0; i < 50; i++) {
    flood[i] = sn_socket(p.a, SN_SOCK_STREAM);
    assert_int_equal(sn_connect(p.a, flood[i], &dst), -EINPROGRESS);
  }
  uint64_t t0 = sn_sim_now(p.sim);
  sn_sim_run_until(p.sim, t0 + 500 * MS);
  assert_int_equal(ctr(p.b, SN_CTR_TcpPassiveOpens), 4);
  assert_int_equal(ctr(p.b, SN_CTR_TcpExtSyncookiesSent), 46);
  for (int i = 0; i < 50; i++)
    assert_int_equal(sn_close(p.a, flood[i]), 0);
  struct sn_sim_impair ok = {.delay_ns = 10 * MS};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_BA, &ok), 0);
  int sd = sn_socket(p.a, SN_SOCK_STREAM);
  uint64_t t1 = sn_sim_now(p.sim);
  assert_int_equal(sn_connect(p.a, sd, &dst), -EINPROGRESS);
  sn_sim_run_until(p.sim, t1 + 20 * MS);
  assert_int_equal(state_of(p.a, sd), SN_TCP_ESTABLISHED);
  assert_int_equal(ctr(p.b, SN_CTR_TcpExtSyncookiesSent), 47);
  sn_sim_run_until(p.sim, t1 + 30 * MS);
  assert_int_equal(ctr(p.b, SN_CTR_TcpExtSyncookiesRecv), 1);
  int bs = sn_accept(p.b, ls, NULL);
  assert_true(bs >= 0);
  assert_int_equal(sn_send(p.a, sd, "hello", 5, 0), 5);
  sn_sim_run_until(p.sim, t1 + 100 * MS);
  char buf[8];
  assert_int_equal(sn_recv(p.b, bs, buf, sizeof buf, 0), 5);
  assert_int_equal(sn_accept(p.b, ls, NULL), -EAGAIN);
  ts_pair_free(&p);
  free(log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_syn_timeout_so_error),
      cmocka_unit_test(test_syn_timeout_recv),
      cmocka_unit_test(test_syn_timeout_second_connect),
      cmocka_unit_test(test_syn_timeout_linear_defaults),
      cmocka_unit_test(test_syn_timeout_sim),
      cmocka_unit_test(test_synack_retries_then_dropped),
      cmocka_unit_test(test_synack_data_completes_handshake),
      cmocka_unit_test(test_synack_third_lost_sim),
      cmocka_unit_test(test_syn_repeated_in_syn_received),
      cmocka_unit_test(test_synack_lost_sim),
      cmocka_unit_test(test_connect_calls_and_readiness),
      cmocka_unit_test(test_accept_after_third_segment),
      cmocka_unit_test(test_syn_sent_wrong_synack),
      cmocka_unit_test(test_syn_sent_rst_rules),
      cmocka_unit_test(test_closed_port_and_bound_socket_rst),
      cmocka_unit_test(test_connect_refused_sim),
      cmocka_unit_test(test_simultaneous_open_sim),
      cmocka_unit_test(test_listener_rules),
      cmocka_unit_test(test_synack_option_layouts),
      cmocka_unit_test(test_accept_queue_full),
      cmocka_unit_test(test_syn_queue_full_no_cookies),
      cmocka_unit_test(test_syncookie_on_syn_queue_overflow),
      cmocka_unit_test(test_syncookies_always_with_options),
      cmocka_unit_test(test_bogus_cookie_ack),
      cmocka_unit_test(test_syn_flood_with_cookies),
      cmocka_unit_test(test_syn_flood_sim),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
