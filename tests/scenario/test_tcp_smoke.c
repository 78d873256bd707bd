/*
 * test_tcp_smoke.c - the basic life of a connection at segment level:
 * passive open, data both ways, close; active open; SYN to a closed port.
 */
#include "tcplib.h"

static void test_passive_open_data_close(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 8);
  uint32_t iss;
  int sd = tt_accept_conn(&t, lsd, 80, 4000, 1000, &iss);
  assert_int_equal(tt_state(&t, sd), 4);
  /* Data in: ACKed at once (quick-ACK mode at the start). */
  struct tt_out d = {.sport = 4000, .dport = 80, .flags = SN_TCP_ACK | SN_TCP_PSH,
                     .seq = 1001, .ack = iss + 1, .win = 65535,
                     .data = "hello", .len = 5};
  tt_inject(&t, &d);
  struct tt_seg a = tt_expect(&t);
  assert_int_equal(a.s.flags, SN_TCP_ACK);
  assert_int_equal(a.s.ack, 1006);
  char buf[16];
  assert_int_equal(sn_recv(t.st, sd, buf, sizeof buf, 0), 5);
  /* Data out. */
  assert_int_equal(sn_send(t.st, sd, "world", 5, 0), 5);
  struct tt_seg o = tt_expect(&t);
  assert_int_equal(o.s.flags, SN_TCP_ACK | SN_TCP_PSH);
  assert_int_equal(o.s.len, 5);
  assert_int_equal(o.s.seq, iss + 1);
  /* Peer closes; its FIN is ACKed after the delayed-ACK timeout (40 ms)
   * because data came before. */
  struct tt_out fin = {.sport = 4000, .dport = 80, .flags = SN_TCP_ACK | SN_TCP_FIN,
                       .seq = 1006, .ack = iss + 6, .win = 65535};
  tt_inject(&t, &fin);
  tt_expect_none(&t);
  tt_wait(&t, 40 * TT_MS);
  struct tt_seg fa = tt_expect(&t);
  assert_int_equal(fa.s.ack, 1007);
  assert_int_equal(fa.time, 40 * TT_MS);
  assert_int_equal(tt_state(&t, sd), 7 /* CLOSE-WAIT */);
  assert_int_equal(sn_recv(t.st, sd, buf, sizeof buf, 0), 0);
  assert_int_equal(sn_close(t.st, sd), 0);
  struct tt_seg f = tt_expect(&t);
  assert_int_equal(f.s.flags, SN_TCP_ACK | SN_TCP_FIN);
  assert_int_equal(f.s.seq, iss + 6);
  struct tt_out last = {.sport = 4000, .dport = 80, .flags = SN_TCP_ACK,
                        .seq = 1007, .ack = iss + 7, .win = 65535};
  tt_inject(&t, &last);
  tt_expect_none(&t);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpCurrEstab), 0);
  tt_free(&t);
}

static void test_active_open(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  uint32_t iss;
  uint16_t lport;
  int sd = tt_connect_conn(&t, 443, 5000, &iss, &lport);
  assert_true(lport >= 32768 && lport <= 60999);
  assert_true(sn_poll(t.st, sd) & SN_POLLOUT);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpActiveOpens), 1);
  tt_free(&t);
}

static void test_syn_to_closed_port_gets_rst(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tt_out syn = {.sport = 1234, .dport = 9, .flags = SN_TCP_SYN,
                       .seq = 77, .win = 1000};
  tt_inject(&t, &syn);
  struct tt_seg r = tt_expect(&t);
  /* RFC 9293 §3.10.7.1: no ACK in -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK> */
  assert_int_equal(r.s.flags, SN_TCP_RST | SN_TCP_ACK);
  assert_int_equal(r.s.seq, 0);
  assert_int_equal(r.s.ack, 78);
  assert_int_equal(r.s.wnd, 0);
  tt_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_passive_open_data_close),
      cmocka_unit_test(test_active_open),
      cmocka_unit_test(test_syn_to_closed_port_gets_rst),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
