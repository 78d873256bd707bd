/*
 * test_tcp_close.c - closing a connection, at exact virtual times (linux
 * profile unless a test says otherwise):
 *
 *  - the four-way close, with the states of both sides (FIN-WAIT-1 ->
 *    FIN-WAIT-2 -> TIME-WAIT, CLOSE-WAIT -> LAST-ACK -> CLOSED);
 *    FIN-WAIT-1 -> TIME-WAIT on a FIN that acknowledges ours; simultaneous
 *    close (FIN-WAIT-1 -> CLOSING -> TIME-WAIT); the three-segment close
 *    when the passive side closes within the delayed-ACK time;
 *  - TIME-WAIT: 60 s (tcp_timewait_len; 240 s in the rfc profile),
 *    restarted and re-ACKed by a retransmitted FIN;
 *  - each of the four closing segments lost in turn;
 *  - a closed socket's limits: FIN retransmissions (tcp_orphan_retries)
 *    and FIN-WAIT-2 (tcp_fin_timeout); a socket that only shut its
 *    sending side waits in FIN-WAIT-2 for as long as it takes;
 *  - shutdown(SHUT_WR, SHUT_RD, SHUT_RDWR), half-close, CLOSE-WAIT for as
 *    long as the application does not close.
 *
 * In the segment-level tests the stack is the client: it connected to
 * the peer's port 80, the peer's ISN is 5000 and the round trip 100 ms,
 * so the RTO is 300 ms.
 */
#include "tcpscen.h"

#include "tcp/tcb.h"

static const uint64_t SEC = TS_SEC, MS = TS_MS;

static uint64_t ctr(struct sn_stack *st, enum sn_counter c) {
  return sn_stack_counter(st, c);
}

static int state_of(struct sn_stack *st, int sd) {
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(st, sd, &i), 0);
  return i.tcpi_state;
}

static const char *path(struct ts_conn *c) {
  static char buf[256];
  return ts_path(c->log, "S", c->id, buf, sizeof buf);
}

/* 9. The four-way close ----------------------------------------------- */

/* close() on the active side: FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT for
 * exactly 60 s -> CLOSED; a segment after that finds no connection. */
static void test_four_way_close_active(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "FIN-WAIT-1"), 1 * SEC);
  tt_advance(&c.t, 1100 * MS);
  ts_peer(&c, SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_NONE(&c.t);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "FIN-WAIT-2"), 1100 * MS);
  tt_advance(&c.t, 1200 * MS);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  /* A FIN in FIN-WAIT-2 is acknowledged at once. */
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 1200 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "TIME-WAIT"), 1200 * MS);
  tt_advance(&c.t, 61200 * MS - 1);
  TS_NONE(&c.t);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, 61200 * MS);
  TS_NONE(&c.t);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 61200 * MS);
  assert_string_equal(path(&c), "SYN-SENT>ESTABLISHED>FIN-WAIT-1>FIN-WAIT-2>"
                                "TIME-WAIT>CLOSED");
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTW), 1);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpCurrEstab), 0);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpEstabResets), 0);
  /* Gone: the repeated FIN now gets <SEQ=SEG.ACK><CTL=RST>. */
  tt_advance(&c.t, 62 * SEC);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_RST, c.iss + 2, 0, 0, 62 * SEC);
  ts_conn_free(&c);
}

/* The same close seen through the socket, which shutdown(SHUT_WR) keeps:
 * TCP_INFO reports each state. */
static void test_four_way_close_states_via_socket(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_WR), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_FIN_WAIT_1);
  ts_peer(&c, SN_TCP_ACK, 5001, 2, NULL, 0);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_FIN_WAIT_2);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 1 * SEC);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_TIME_WAIT);
  char buf[4];
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 0);
  tt_advance(&c.t, 61 * SEC - 1);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_TIME_WAIT);
  tt_advance(&c.t, 61 * SEC);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_CLOSED);
  assert_true(sn_poll(c.t.st, c.sd) & SN_POLLHUP);
  ts_conn_free(&c);
}

/* The passive side: CLOSE-WAIT -> LAST-ACK -> CLOSED. With no data
 * received before, the peer's FIN is acknowledged at once (Linux). */
static void test_four_way_close_passive(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  struct ts_events ev = {0};
  assert_int_equal(sn_set_event_cb(c.t.st, c.sd, ts_event_cb, &ev), 0);
  tt_advance(&c.t, 1 * SEC);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 1, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5002, 0, 1 * SEC);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_CLOSE_WAIT);
  assert_true(ev.last & SN_POLLRDHUP);
  assert_int_equal(sn_poll(c.t.st, c.sd), SN_POLLIN | SN_POLLRDHUP | SN_POLLOUT);
  char buf[4];
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 0);
  tt_advance(&c.t, 2 * SEC);
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_WR), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5002, 0, 2 * SEC);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_LAST_ACK);
  assert_true(sn_poll(c.t.st, c.sd) & SN_POLLHUP);
  tt_advance(&c.t, 2100 * MS);
  ts_peer(&c, SN_TCP_ACK, 5002, 2, NULL, 0);
  TS_NONE(&c.t);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_CLOSED);
  assert_string_equal(path(&c), "SYN-SENT>ESTABLISHED>CLOSE-WAIT>LAST-ACK>CLOSED");
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 2100 * MS);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTW), 0);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  /* No TIME-WAIT on this side: the next segment gets a RST. */
  tt_advance(&c.t, 2200 * MS);
  ts_peer(&c, SN_TCP_ACK, 5002, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_RST, c.iss + 2, 0, 0, 2200 * MS);
  ts_conn_free(&c);
}

/* Two stacks 10 ms apart: A closes at t0, B's application at t0 + 0.5 s. */
static void test_four_way_close_sim(void **state) {
  (void)state;
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int as, bs;
  ts_pair_connect(&p, 80, &as, &bs);
  uint32_t ca = ts_conn_id(p.a, as), cb = ts_conn_id(p.b, bs);
  sn_sim_run_until(p.sim, 2 * SEC);
  uint64_t t0 = sn_sim_now(p.sim);
  assert_int_equal(sn_close(p.a, as), 0);
  sn_sim_run_until(p.sim, t0 + 500 * MS);
  assert_int_equal(state_of(p.b, bs), SN_TCP_CLOSE_WAIT);
  assert_int_equal(sn_close(p.b, bs), 0);
  sn_sim_run_until(p.sim, t0 + 100 * SEC);
  char buf[256];
  assert_string_equal(ts_path(log, "A", ca, buf, sizeof buf),
                      "SYN-SENT>ESTABLISHED>FIN-WAIT-1>FIN-WAIT-2>TIME-WAIT>CLOSED");
  assert_string_equal(ts_path(log, "B", cb, buf, sizeof buf),
                      "SYN-RECEIVED>ESTABLISHED>CLOSE-WAIT>LAST-ACK>CLOSED");
  assert_int_equal(ts_state_time(log, "A", ca, "FIN-WAIT-1"), t0);
  assert_int_equal(ts_state_time(log, "B", cb, "CLOSE-WAIT"), t0 + 10 * MS);
  assert_int_equal(ts_state_time(log, "A", ca, "FIN-WAIT-2"), t0 + 20 * MS);
  assert_int_equal(ts_state_time(log, "B", cb, "LAST-ACK"), t0 + 500 * MS);
  assert_int_equal(ts_state_time(log, "A", ca, "TIME-WAIT"), t0 + 510 * MS);
  assert_int_equal(ts_state_time(log, "B", cb, "CLOSED"), t0 + 520 * MS);
  assert_int_equal(ts_state_time(log, "A", ca, "CLOSED"), t0 + 60510 * MS);
  /* Four segments: F. . F. . */
  assert_int_equal(ts_sent(log, "A", "F.", t0, NULL, 0), 1);
  assert_int_equal(ts_sent(log, "B", ".", t0, NULL, 0), 1);
  assert_int_equal(ts_sent(log, "B", "F.", t0, NULL, 0), 1);
  assert_int_equal(ts_sent(log, "A", ".", t0, NULL, 0), 1);
  ts_pair_free(&p);
  free(log);
}

/* A FIN that also acknowledges ours takes FIN-WAIT-1 straight to
 * TIME-WAIT (RFC 9293 §3.10.7.4, eighth step). */
static void test_fin_wait_1_to_time_wait(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  tt_advance(&c.t, 1100 * MS);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 1100 * MS);
  assert_string_equal(path(&c), "SYN-SENT>ESTABLISHED>FIN-WAIT-1>TIME-WAIT");
  tt_advance(&c.t, 61100 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 61100 * MS);
  /* The same with data before the FIN in that segment (the socket only
   * shut its sending side: data after close() would get a RST). */
  ts_conn_free(&c);
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_WR), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK | SN_TCP_PSH, 5001, 2, "bye", 3);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5005, 0, 1 * SEC);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_TIME_WAIT);
  assert_string_equal(path(&c), "SYN-SENT>ESTABLISHED>FIN-WAIT-1>TIME-WAIT");
  char buf[8];
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 3);
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 0);
  ts_conn_free(&c);
}

/* Simultaneous close: the FINs cross. FIN-WAIT-1 -> CLOSING on the
 * peer's FIN (ACKed at once), -> TIME-WAIT on the ACK of ours. */
static void test_simultaneous_close(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  tt_advance(&c.t, 1050 * MS);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 1, NULL, 0); /* does not ack ours */
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 1050 * MS);
  tt_advance(&c.t, 1100 * MS);
  ts_peer(&c, SN_TCP_ACK, 5002, 2, NULL, 0);
  TS_NONE(&c.t);
  assert_string_equal(path(&c), "SYN-SENT>ESTABLISHED>FIN-WAIT-1>CLOSING>TIME-WAIT");
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSING"), 1050 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "TIME-WAIT"), 1100 * MS);
  tt_advance(&c.t, 70 * SEC);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 61100 * MS);
  TS_NONE(&c.t);
  ts_conn_free(&c);
}

/* The same between two stacks: both close at t0, 10 ms apart; both go
 * through CLOSING into TIME-WAIT, and both wait there. */
static void test_simultaneous_close_sim(void **state) {
  (void)state;
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int as, bs;
  ts_pair_connect(&p, 80, &as, &bs);
  uint32_t ca = ts_conn_id(p.a, as), cb = ts_conn_id(p.b, bs);
  sn_sim_run_until(p.sim, 2 * SEC);
  uint64_t t0 = sn_sim_now(p.sim);
  assert_int_equal(sn_close(p.a, as), 0);
  assert_int_equal(sn_close(p.b, bs), 0);
  sn_sim_run_until(p.sim, t0 + 100 * SEC);
  const char *host[] = {"A", "B"};
  uint32_t id[] = {ca, cb};
  for (int i = 0; i < 2; i++) {
    char buf[256];
    assert_string_equal(ts_path(log, host[i], id[i], buf, sizeof buf),
                        i ? "SYN-RECEIVED>ESTABLISHED>FIN-WAIT-1>CLOSING>TIME-WAIT>CLOSED"
                          : "SYN-SENT>ESTABLISHED>FIN-WAIT-1>CLOSING>TIME-WAIT>CLOSED");
    assert_int_equal(ts_state_time(log, host[i], id[i], "CLOSING"), t0 + 10 * MS);
    assert_int_equal(ts_state_time(log, host[i], id[i], "TIME-WAIT"), t0 + 20 * MS);
    assert_int_equal(ts_state_time(log, host[i], id[i], "CLOSED"), t0 + 60020 * MS);
    assert_int_equal(ts_sent(log, host[i], "F.", t0, NULL, 0), 1);
    assert_int_equal(ts_sent(log, host[i], ".", t0, NULL, 0), 1);
  }
  assert_int_equal(ctr(p.a, SN_CTR_TcpExtTW), 1);
  assert_int_equal(ctr(p.b, SN_CTR_TcpExtTW), 1);
  ts_pair_free(&p);
  free(log);
}

/*
 * The three-segment close: data came before, so the peer's FIN waits for
 * the delayed ACK (40 ms); the application closes within that time, and
 * its FIN carries the acknowledgement.
 */
static void test_three_segment_close(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, 5001, 1, "hello", 5);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5006, 0, 1 * SEC);
  char buf[8];
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 5);
  tt_advance(&c.t, 2 * SEC);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5006, 1, NULL, 0);
  TS_NONE(&c.t);
  tt_advance(&c.t, 2010 * MS);
  TS_NONE(&c.t);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5007, 0, 2010 * MS);
  tt_advance(&c.t, 2100 * MS); /* the delayed ACK's time passed: nothing */
  TS_NONE(&c.t);
  ts_peer(&c, SN_TCP_ACK, 5007, 2, NULL, 0);
  TS_NONE(&c.t);
  assert_string_equal(path(&c), "SYN-SENT>ESTABLISHED>CLOSE-WAIT>LAST-ACK>CLOSED");
  /* Had the application been slower, the ACK would have gone alone at
   * 40 ms: */
  ts_conn_free(&c);
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, 5001, 1, "hello", 5);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5006, 0, 1 * SEC);
  tt_advance(&c.t, 2 * SEC);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5006, 1, NULL, 0);
  tt_advance(&c.t, 3 * SEC);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5007, 0, 2040 * MS);
  TS_NONE(&c.t);
  ts_conn_free(&c);
}

struct closer {
  struct sn_stack *st;
  bool closed;
};

/* Read what is there; close as soon as the peer's FIN is seen. */
static void close_on_eof(void *ctx, int sd, unsigned events) {
  struct closer *c = ctx;
  char buf[64];
  if (c->closed || !(events & SN_POLLIN))
    return;
  while (sn_recv(c->st, sd, buf, sizeof buf, 0) > 0)
    ;
  if (events & SN_POLLRDHUP) {
    c->closed = true;
    assert_int_equal(sn_close(c->st, sd), 0);
  }
}

/* Between two stacks: B closes the moment it sees A's FIN (after data),
 * so three segments close the connection: F. from A, F. from B (its ACK
 * riding on it), . from A; A goes FIN-WAIT-1 -> TIME-WAIT directly. */
static void test_three_segment_close_sim(void **state) {
  (void)state;
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int as, bs;
  ts_pair_connect(&p, 80, &as, &bs);
  uint32_t ca = ts_conn_id(p.a, as), cb = ts_conn_id(p.b, bs);
  struct closer cl = {p.b, false};
  assert_int_equal(sn_set_event_cb(p.b, bs, close_on_eof, &cl), 0);
  assert_int_equal(sn_send(p.a, as, "request", 7, 0), 7);
  sn_sim_run_until(p.sim, 2 * SEC);
  uint64_t t0 = sn_sim_now(p.sim);
  assert_int_equal(sn_close(p.a, as), 0);
  sn_sim_run_until(p.sim, t0 + 100 * SEC);
  assert_true(cl.closed);
  char buf[256];
  assert_string_equal(ts_path(log, "A", ca, buf, sizeof buf),
                      "SYN-SENT>ESTABLISHED>FIN-WAIT-1>TIME-WAIT>CLOSED");
  assert_string_equal(ts_path(log, "B", cb, buf, sizeof buf),
                      "SYN-RECEIVED>ESTABLISHED>CLOSE-WAIT>LAST-ACK>CLOSED");
  uint64_t at;
  assert_int_equal(ts_sent(log, "A", "F.", t0, &at, 1), 1);
  assert_int_equal(at, t0);
  assert_int_equal(ts_sent(log, "B", "F.", t0, &at, 1), 1);
  assert_int_equal(at, t0 + 10 * MS);
  assert_int_equal(ts_sent(log, "B", ".", t0, NULL, 0), 0);
  assert_int_equal(ts_sent(log, "A", ".", t0, &at, 1), 1);
  assert_int_equal(at, t0 + 20 * MS);
  assert_int_equal(ts_state_time(log, "B", cb, "CLOSED"), t0 + 30 * MS);
  ts_pair_free(&p);
  free(log);
}

/* TIME-WAIT ------------------------------------------------------------ */

/* Into TIME-WAIT at 1.2 s through close(). */
static void to_time_wait(struct ts_conn *c) {
  tt_advance(&c->t, 1 * SEC);
  assert_int_equal(sn_close(c->t.st, c->sd), 0);
  TS_EXPECT(&c->t, SN_TCP_FIN | SN_TCP_ACK, c->iss + 1, 5001, 0, 1 * SEC);
  tt_advance(&c->t, 1100 * MS);
  ts_peer(c, SN_TCP_ACK, 5001, 2, NULL, 0);
  tt_advance(&c->t, 1200 * MS);
  ts_peer(c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c->t, SN_TCP_ACK, c->iss + 2, 5002, 0, 1200 * MS);
  assert_int_equal(ts_state_time(c->log, "S", c->id, "TIME-WAIT"), 1200 * MS);
}

/* A retransmitted FIN (our last ACK was lost) is acknowledged again and
 * restarts the 60 s. */
static void test_time_wait_restarts_on_fin(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  to_time_wait(&c);
  tt_advance(&c.t, 31200 * MS);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 31200 * MS);
  tt_advance(&c.t, 61200 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, 91200 * MS - 1);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, 91200 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 91200 * MS);
  TS_NONE(&c.t);
  ts_conn_free(&c);
}

/* tcp_timewait_len sets the length; the rfc profile waits 2 MSL = 240 s. */
static void test_time_wait_length(void **state) {
  (void)state;
  struct sn_config cfg;
  ts_config(&cfg, SN_PROFILE_LINUX, "tcp_timewait_len=5", NULL);
  struct ts_conn c;
  ts_conn_open(&c, &cfg);
  to_time_wait(&c);
  tt_advance(&c.t, 10 * SEC);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 6200 * MS);
  ts_conn_free(&c);
  ts_config(&cfg, SN_PROFILE_RFC, NULL);
  ts_conn_open(&c, &cfg);
  to_time_wait(&c);
  tt_advance(&c.t, 241200 * MS - 1);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, 241200 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 241200 * MS);
  ts_conn_free(&c);
}

/* Each closing segment lost (two stacks, 10 ms apart) -------------------- */

/*
 * A closes at t0; B's application closes at t0 + 0.5 s. The handshake
 * measured a 20 ms round trip on both sides, so both RTOs are 220 ms
 * (SRTT + max(4 RTTVAR, 200 ms)). `dir` and `filter` name the segment
 * dropped.
 */
struct close_times {
  uint64_t a_fin_wait_2, b_close_wait, a_time_wait, b_closed;
  uint64_t a_closed; /* 60 s after the last FIN A acknowledged */
  size_t a_fins, b_fins, a_acks, b_acks;
};

static void lost_close_segment(enum sn_sim_dir dir, const char *filter,
                               const struct close_times *want) {
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int as, bs;
  ts_pair_connect(&p, 80, &as, &bs);
  uint32_t ca = ts_conn_id(p.a, as), cb = ts_conn_id(p.b, bs);
  sn_sim_run_until(p.sim, 2 * SEC);
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(p.a, as, &i), 0);
  assert_int_equal(i.tcpi_rto, 220000);
  assert_int_equal(sn_tcp_info(p.b, bs, &i), 0);
  assert_int_equal(i.tcpi_rto, 220000);
  uint64_t t0 = sn_sim_now(p.sim);
  assert_int_equal(sn_sim_link_drop_nth(p.link, dir, filter, 1), 0);
  assert_int_equal(sn_close(p.a, as), 0);
  sn_sim_run_until(p.sim, t0 + 500 * MS);
  assert_int_equal(sn_close(p.b, bs), 0);
  sn_sim_run_until(p.sim, t0 + 100 * SEC);
  assert_int_equal(sn_sim_link_stats(p.link, SN_SIM_BOTH).dropped_script, 1);
  char buf[256];
  assert_string_equal(ts_path(log, "A", ca, buf, sizeof buf),
                      "SYN-SENT>ESTABLISHED>FIN-WAIT-1>FIN-WAIT-2>TIME-WAIT>CLOSED");
  assert_string_equal(ts_path(log, "B", cb, buf, sizeof buf),
                      "SYN-RECEIVED>ESTABLISHED>CLOSE-WAIT>LAST-ACK>CLOSED");
  assert_int_equal(ts_state_time(log, "B", cb, "CLOSE-WAIT"), t0 + want->b_close_wait);
  assert_int_equal(ts_state_time(log, "A", ca, "FIN-WAIT-2"), t0 + want->a_fin_wait_2);
  assert_int_equal(ts_state_time(log, "A", ca, "TIME-WAIT"), t0 + want->a_time_wait);
  assert_int_equal(ts_state_time(log, "B", cb, "CLOSED"), t0 + want->b_closed);
  assert_int_equal(ts_state_time(log, "A", ca, "CLOSED"), t0 + want->a_closed);
  assert_int_equal(ts_sent(log, "A", "F.", t0, NULL, 0), want->a_fins);
  assert_int_equal(ts_sent(log, "B", "F.", t0, NULL, 0), want->b_fins);
  assert_int_equal(ts_sent(log, "A", ".", t0, NULL, 0), want->a_acks);
  assert_int_equal(ts_sent(log, "B", ".", t0, NULL, 0), want->b_acks);
  ts_pair_free(&p);
  free(log);
}

/* A's FIN lost: A sends it again one RTO later (t0 + 220 ms). */
static void test_lost_first_fin(void **state) {
  (void)state;
  struct close_times w = {.b_close_wait = 230 * MS, .a_fin_wait_2 = 240 * MS,
                          .a_time_wait = 510 * MS, .b_closed = 520 * MS,
                          .a_closed = 60510 * MS,
                          .a_fins = 2, .b_fins = 1, .a_acks = 1, .b_acks = 1};
  lost_close_segment(SN_SIM_AB, "fin", &w);
}

/* B's ACK of it lost: A's FIN again at t0 + 220 ms; B, in CLOSE-WAIT,
 * acknowledges the duplicate at once. */
static void test_lost_ack_of_first_fin(void **state) {
  (void)state;
  struct close_times w = {.b_close_wait = 10 * MS, .a_fin_wait_2 = 240 * MS,
                          .a_time_wait = 510 * MS, .b_closed = 520 * MS,
                          .a_closed = 60510 * MS,
                          .a_fins = 2, .b_fins = 1, .a_acks = 1, .b_acks = 2};
  lost_close_segment(SN_SIM_BA, "ack", &w);
}

/* B's FIN lost: B sends it again at t0 + 0.5 s + 220 ms; A, in
 * FIN-WAIT-2, then enters TIME-WAIT. */
static void test_lost_second_fin(void **state) {
  (void)state;
  struct close_times w = {.b_close_wait = 10 * MS, .a_fin_wait_2 = 20 * MS,
                          .a_time_wait = 730 * MS, .b_closed = 740 * MS,
                          .a_closed = 60730 * MS,
                          .a_fins = 1, .b_fins = 2, .a_acks = 1, .b_acks = 1};
  lost_close_segment(SN_SIM_BA, "fin", &w);
}

/* A's last ACK lost: B repeats its FIN after its RTO; A, in TIME-WAIT,
 * acknowledges it again (and restarts its 60 s); then B is closed. */
static void test_lost_last_ack(void **state) {
  (void)state;
  struct close_times w = {.b_close_wait = 10 * MS, .a_fin_wait_2 = 20 * MS,
                          .a_time_wait = 510 * MS, .b_closed = 740 * MS,
                          .a_closed = 60730 * MS, /* restarted at 730 ms */
                          .a_fins = 1, .b_fins = 2, .a_acks = 2, .b_acks = 1};
  lost_close_segment(SN_SIM_AB, "ack", &w);
}

/* A closed socket's limits ---------------------------------------------- */

/*
 * Nobody acknowledges the FIN of a closed socket: it is sent again at the
 * backed-off RTO (0.3, 0.6, 1.2, ... s apart), tcp_orphan_retries times
 * (0 means 8), then the connection is dropped without a RST.
 */
static void orphan_fin_retries(const char *knob, unsigned retries) {
  struct ts_conn c;
  struct sn_config cfg;
  ts_config(&cfg, SN_PROFILE_LINUX, knob, NULL);
  ts_conn_open(&c, &cfg);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  uint64_t at = 1 * SEC, rto = 300 * MS;
  for (unsigned k = 0; k < retries; k++) {
    at += rto;
    rto *= 2;
    tt_advance(&c.t, at);
    TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, at);
    TS_NONE(&c.t);
  }
  at += rto; /* the next timeout gives up */
  tt_advance(&c.t, at - 1);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, at);
  TS_NONE(&c.t);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), at);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPAbortOnTimeout), 1);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpOutRsts), 0);
  /* The peer wakes up: its segment finds nothing. */
  tt_advance(&c.t, at + 1 * SEC);
  ts_peer(&c, SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_RST, c.iss + 2, 0, 0, at + 1 * SEC);
  ts_conn_free(&c);
}

static void test_orphan_fin_retries_default(void **state) {
  (void)state;
  orphan_fin_retries("tcp_orphan_retries=0", 8); /* dropped at 1 + 153.3 s */
}

static void test_orphan_fin_retries_three(void **state) {
  (void)state;
  orphan_fin_retries("tcp_orphan_retries=3", 3); /* dropped at 1 + 4.5 s */
}

/* A closed socket waits in FIN-WAIT-2 for tcp_fin_timeout (60 s); then
 * the connection is gone and the peer's late FIN gets a RST. */
static void fin_wait_2_timeout(const char *knob, uint64_t timeout) {
  struct ts_conn c;
  struct sn_config cfg;
  ts_config(&cfg, SN_PROFILE_LINUX, knob, NULL);
  ts_conn_open(&c, &cfg);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  tt_advance(&c.t, 1100 * MS);
  ts_peer(&c, SN_TCP_ACK, 5001, 2, NULL, 0);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "FIN-WAIT-2"), 1100 * MS);
  tt_advance(&c.t, 1100 * MS + timeout - 1);
  TS_NONE(&c.t);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, 1100 * MS + timeout);
  TS_NONE(&c.t);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 1100 * MS + timeout);
  assert_string_equal(path(&c), "SYN-SENT>ESTABLISHED>FIN-WAIT-1>FIN-WAIT-2>CLOSED");
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTW), 0);
  tt_advance(&c.t, 2 * SEC + timeout);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_RST, c.iss + 2, 0, 0, 2 * SEC + timeout);
  ts_conn_free(&c);
}

static void test_fin_wait_2_timeout_default(void **state) {
  (void)state;
  fin_wait_2_timeout("tcp_fin_timeout=60", 60 * SEC);
}

static void test_fin_wait_2_timeout_knob(void **state) {
  (void)state;
  fin_wait_2_timeout("tcp_fin_timeout=7", 7 * SEC);
}

/* shutdown(SHUT_WR) without close(): FIN-WAIT-2 has no time limit; the
 * peer may go on sending (half-close) and close whenever it likes. */
static void test_shutdown_wr_fin_wait_2_stays(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_WR), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  ts_peer(&c, SN_TCP_ACK, 5001, 2, NULL, 0);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_FIN_WAIT_2);
  uint32_t seq = 5001;
  char buf[64];
  for (uint64_t s = 100; s <= 1000; s += 300) {
    tt_advance(&c.t, s * SEC);
    TS_NONE(&c.t);
    assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_FIN_WAIT_2);
    ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, seq, 2, "more data", 9);
    seq += 9;
    TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, seq, 0, s * SEC);
    assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 9);
    assert_memory_equal(buf, "more data", 9);
  }
  assert_int_equal(sn_send(c.t.st, c.sd, "x", 1, 0), -EPIPE);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, seq, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, seq + 1, 0, 1000 * SEC);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_TIME_WAIT);
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 0);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPAbortOnData), 0);
  ts_conn_free(&c);
}

/* 10. shutdown() --------------------------------------------------------- */

/* SHUT_WR: the FIN at once when nothing is queued; sends fail with EPIPE;
 * receiving goes on (packetdrill shutdown-wr-close). */
static void test_shutdown_wr(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_WR), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  TS_NONE(&c.t);
  assert_int_equal(sn_send(c.t.st, c.sd, "x", 1, 0), -EPIPE);
  assert_true(sn_poll(c.t.st, c.sd) & SN_POLLOUT); /* a send fails at once */
  assert_false(sn_poll(c.t.st, c.sd) & SN_POLLIN);
  ts_peer(&c, SN_TCP_ACK, 5001, 2, NULL, 0);
  tt_advance(&c.t, 1010 * MS);
  char data[1000], buf[1000];
  memset(data, 'd', sizeof data);
  ts_peer(&c, SN_TCP_ACK, 5001, 2, data, sizeof data);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 6001, 0, 1010 * MS);
  assert_true(sn_poll(c.t.st, c.sd) & SN_POLLIN);
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 1000);
  assert_memory_equal(buf, data, sizeof data);
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_WR), 0); /* again: no-op */
  TS_NONE(&c.t);
  tt_advance(&c.t, 1020 * MS);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_NONE(&c.t);
  tt_advance(&c.t, 1030 * MS);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 6001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 6002, 0, 1030 * MS);
  ts_conn_free(&c);
}

/* SHUT_WR with data waiting (Nagle holds a small segment): the FIN rides
 * on the last data segment, which goes at once. */
static void test_shutdown_wr_fin_on_last_data(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  char data[150];
  memset(data, 'q', sizeof data);
  assert_int_equal(sn_send(c.t.st, c.sd, data, 100, 0), 100);
  TS_EXPECT(&c.t, SN_TCP_ACK | SN_TCP_PSH, c.iss + 1, 5001, 100, 1 * SEC);
  assert_int_equal(sn_send(c.t.st, c.sd, data, 50, 0), 50);
  TS_NONE(&c.t); /* Nagle: a small segment is in flight */
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_WR), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK | SN_TCP_PSH, c.iss + 101, 5001, 50,
            1 * SEC);
  TS_NONE(&c.t);
  ts_peer(&c, SN_TCP_ACK, 5001, 152, NULL, 0);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_FIN_WAIT_2);
  ts_conn_free(&c);
}

/* SHUT_RD: recv() returns 0 at once; sending still works. */
static void test_shutdown_rd(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  char buf[8];
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), -EAGAIN);
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_RD), 0);
  TS_NONE(&c.t); /* nothing on the wire */
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_ESTABLISHED);
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 0);
  assert_int_equal(sn_poll(c.t.st, c.sd), SN_POLLIN | SN_POLLRDHUP | SN_POLLOUT);
  assert_int_equal(sn_send(c.t.st, c.sd, "still", 5, 0), 5);
  TS_EXPECT(&c.t, SN_TCP_ACK | SN_TCP_PSH, c.iss + 1, 5001, 5, 1 * SEC);
  ts_peer(&c, SN_TCP_ACK, 5001, 6, NULL, 0);
  /* Data arriving after SHUT_RD is acknowledged, but reads stay at end
   * of stream (this stack's choice; Linux would still queue it). */
  ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, 5001, 6, "late", 4);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 6, 5005, 0, 1 * SEC);
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 0);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_ESTABLISHED);
  ts_conn_free(&c);
}

/* SHUT_RDWR: a FIN, reads return 0, writes fail with EPIPE (packetdrill
 * shutdown-rdwr-close). */
static void test_shutdown_rdwr(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1010 * MS);
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_RDWR), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1010 * MS);
  ts_peer(&c, SN_TCP_ACK, 5001, 2, NULL, 0);
  char buf[8];
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 0);
  assert_int_equal(sn_send(c.t.st, c.sd, "x", 1, 0), -EPIPE);
  tt_advance(&c.t, 1020 * MS);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_NONE(&c.t);
  tt_advance(&c.t, 1030 * MS);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 1030 * MS);
  assert_string_equal(path(&c), "SYN-SENT>ESTABLISHED>FIN-WAIT-1>FIN-WAIT-2>TIME-WAIT");
  ts_conn_free(&c);
}

/* shutdown() before the connection exists. */
static void test_shutdown_not_connected(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  assert_int_equal(sn_shutdown(t.st, sd, SN_SHUT_WR), -ENOTCONN);
  struct sn_sockaddr dst = {t.peer_ip, 80};
  assert_int_equal(sn_connect(t.st, sd, &dst), -EINPROGRESS);
  assert_int_equal(sn_shutdown(t.st, sd, SN_SHUT_WR), -ENOTCONN);
  assert_int_equal(sn_shutdown(t.st, sd, 7), -EINVAL);
  tt_free(&t);
}

/* CLOSE-WAIT lasts for as long as the application does not close: no
 * timer ends it, and data can still be sent in it. */
static void test_close_wait_persists(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 1, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5002, 0, 1 * SEC);
  tt_advance(&c.t, 3 * 3600 * SEC);
  TS_NONE(&c.t);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_CLOSE_WAIT);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpCurrEstab), 1);
  assert_int_equal(sn_send(c.t.st, c.sd, "late reply", 10, 0), 10);
  TS_EXPECT(&c.t, SN_TCP_ACK | SN_TCP_PSH, c.iss + 1, 5002, 10, 3 * 3600 * SEC);
  ts_peer(&c, SN_TCP_ACK, 5002, 11, NULL, 0);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 11, 5002, 0, 3 * 3600 * SEC);
  ts_peer(&c, SN_TCP_ACK, 5002, 12, NULL, 0);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpCurrEstab), 0);
  assert_string_equal(path(&c), "SYN-SENT>ESTABLISHED>CLOSE-WAIT>LAST-ACK>CLOSED");
  ts_conn_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_four_way_close_active),
      cmocka_unit_test(test_four_way_close_states_via_socket),
      cmocka_unit_test(test_four_way_close_passive),
      cmocka_unit_test(test_four_way_close_sim),
      cmocka_unit_test(test_fin_wait_1_to_time_wait),
      cmocka_unit_test(test_simultaneous_close),
      cmocka_unit_test(test_simultaneous_close_sim),
      cmocka_unit_test(test_three_segment_close),
      cmocka_unit_test(test_three_segment_close_sim),
      cmocka_unit_test(test_time_wait_restarts_on_fin),
      cmocka_unit_test(test_time_wait_length),
      cmocka_unit_test(test_lost_first_fin),
      cmocka_unit_test(test_lost_ack_of_first_fin),
      cmocka_unit_test(test_lost_second_fin),
      cmocka_unit_test(test_lost_last_ack),
      cmocka_unit_test(test_orphan_fin_retries_default),
      cmocka_unit_test(test_orphan_fin_retries_three),
      cmocka_unit_test(test_fin_wait_2_timeout_default),
      cmocka_unit_test(test_fin_wait_2_timeout_knob),
      cmocka_unit_test(test_shutdown_wr_fin_wait_2_stays),
      cmocka_unit_test(test_shutdown_wr),
      cmocka_unit_test(test_shutdown_wr_fin_on_last_data),
      cmocka_unit_test(test_shutdown_rd),
      cmocka_unit_test(test_shutdown_rdwr),
      cmocka_unit_test(test_shutdown_not_connected),
      cmocka_unit_test(test_close_wait_persists),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
