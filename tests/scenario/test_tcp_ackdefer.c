/*
 * test_tcp_ackdefer.c - an ACK owed for data taken in waits until the
 * application's event callbacks have run, so that a reply written there
 * carries it: a request answered in the callback costs one segment back,
 * not a pure ACK and then the reply. Without a callback, or when the
 * callback writes nothing, the ACK still leaves at the same instant.
 */
#include "tcpscen.h"

#include "tcp/tcb.h"

static const uint64_t MS = TS_MS;

struct echo {
  struct sn_stack *st;
  bool reply;
};

static void echo_cb(void *ctx, int sd, unsigned ev) {
  struct echo *e = ctx;
  char buf[256];
  if (!(ev & SN_POLLIN))
    return;
  ssize_t n = sn_recv(e->st, sd, buf, sizeof buf, 0);
  if (n > 0 && e->reply)
    assert_int_equal(sn_send(e->st, sd, buf, (size_t)n, 0), n);
}

/* B answers A's 64-byte request from its callback: B sends exactly one
 * segment back (data with the ACK), at the instant the request arrived. */
static void run(bool reply, bool with_cb) {
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int as, bs;
  ts_pair_connect(&p, 80, &as, &bs);
  struct echo e = {p.b, reply};
  if (with_cb)
    assert_int_equal(sn_set_event_cb(p.b, bs, echo_cb, &e), 0);
  sn_sim_run_until(p.sim, sn_sim_now(p.sim) + 1000 * MS);
  uint64_t t0 = sn_sim_now(p.sim);
  char req[64] = {0};
  assert_int_equal(sn_send(p.a, as, req, sizeof req, 0), 64);
  sn_sim_run_until(p.sim, t0 + 15 * MS);
  uint64_t at[4];
  if (reply) {
    assert_int_equal(ts_sent(log, "B", ".", t0, NULL, 0), 0);
    assert_int_equal(ts_sent(log, "B", "P.", t0, at, 4), 1);
    assert_int_equal(at[0], t0 + 10 * MS);
    assert_int_equal(sn_stack_counter(p.b, SN_CTR_SnTcpAckPiggybacked), 1);
  } else {
    assert_int_equal(ts_sent(log, "B", ".", t0, at, 4), 1);
    assert_int_equal(at[0], t0 + 10 * MS); /* quick ACK, not delayed */
    assert_int_equal(sn_stack_counter(p.b, SN_CTR_SnTcpAckPiggybacked), 0);
  }
  ts_pair_free(&p);
  free(log);
}

static void test_reply_carries_ack(void **state) {
  (void)state;
  run(true, true);
}

static void test_no_reply_acks_at_once(void **state) {
  (void)state;
  run(false, true);
}

static void test_no_callback_acks_at_once(void **state) {
  (void)state;
  run(false, false);
}

/* Close on end of stream, from the callback. */
static void close_on_eof(void *ctx, int sd, unsigned ev) {
  struct echo *e = ctx;
  char buf[64];
  if ((ev & SN_POLLIN) && sn_recv(e->st, sd, buf, sizeof buf, 0) == 0) {
    sn_set_event_cb(e->st, sd, NULL, NULL);
    assert_int_equal(sn_close(e->st, sd), 0);
  }
}

/*
 * A shuts its sending side; B answers with its own FIN, which also
 * acknowledges A's: A enters TIME-WAIT owing an ACK, and its callback
 * closes the socket in the same input (the connection becomes a TIME-WAIT
 * record). The ACK still leaves at once: B does not repeat its FIN.
 */
static void test_ack_owed_when_callback_closes(void **state) {
  (void)state;
  struct ts_log *log = ts_log_new();
  struct sl_pair p;
  ts_pair(&p, NULL, NULL, 10 * MS, log);
  int as, bs;
  ts_pair_connect(&p, 80, &as, &bs);
  uint32_t cb = ts_conn_id(p.b, bs);
  struct echo e = {p.a, false};
  assert_int_equal(sn_set_event_cb(p.a, as, close_on_eof, &e), 0);
  sn_sim_run_until(p.sim, sn_sim_now(p.sim) + 1000 * MS);
  uint64_t t0 = sn_sim_now(p.sim);
  assert_int_equal(sn_shutdown(p.a, as, SN_SHUT_WR), 0);
  sn_sim_run_until(p.sim, t0 + 10 * MS);
  assert_int_equal(sn_close(p.b, bs), 0); /* B's FIN+ACK at 10 ms */
  sn_sim_run_until(p.sim, t0 + 2 * TS_SEC);
  uint64_t at[4];
  assert_int_equal(ts_sent(log, "A", ".", t0 + 10 * MS, at, 4), 1);
  assert_int_equal(at[0], t0 + 20 * MS);
  assert_int_equal(ts_sent(log, "B", "F.", t0, NULL, 0), 1);
  assert_int_equal(ts_state_time(log, "B", cb, "CLOSED"), t0 + 30 * MS);
  assert_int_equal(sn_stack_counter(p.a, SN_CTR_SnTcpTimeWaitRecords), 1);
  ts_pair_free(&p);
  free(log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reply_carries_ack),
      cmocka_unit_test(test_no_reply_acks_at_once),
      cmocka_unit_test(test_no_callback_acks_at_once),
      cmocka_unit_test(test_ack_owed_when_callback_closes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
