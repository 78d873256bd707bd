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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reply_carries_ack),
      cmocka_unit_test(test_no_reply_acks_at_once),
      cmocka_unit_test(test_no_callback_acks_at_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
