/*
 * test_tcp_pmtu.c - path MTU discovery (RFC 1191, RFC 5927): an ICMP
 * "fragmentation needed" quoting a segment in flight lowers the MSS and
 * resends at once in smaller segments; one quoting something not in
 * flight is ignored; later connections to the same host send small
 * segments at once while still advertising the interface's MSS
 * (RFC 6691); UDP fragments to the path MTU.
 */
#include "tcpflow.h"
#include "base/checksum.h"
#include "base/util.h"

#define MS 1000000ull

/* Inject an ICMP fragmentation-needed (mtu) quoting link frame i. */
static void frag_needed(struct tt *t, size_t i, uint16_t mtu) {
  const uint8_t *ip = t->link.frames[i].data + 14;
  uint8_t m[8 + 28];
  m[0] = 3;
  m[1] = 4;
  sn_put16(m + 2, 0);
  sn_put16(m + 4, 0);
  sn_put16(m + 6, mtu);
  memcpy(m + 8, ip, 28);
  sn_put16(m + 2, sn_csum_fold(sn_csum_partial(m, sizeof m, 0)));
  static const uint8_t stack_mac[6] = {2, 0, 0, 0, 0, 1};
  uint8_t fr[100];
  size_t n = tl_ip4(fr, stack_mac, tl_peer_mac, t->peer_ip, t->ip, 1, 9, 0, m,
                    sizeof m);
  assert_int_equal(sn_stack_input(t->st, t->ifi, fr, n, t->now), 0);
}

static void test_frag_needed_resends_smaller(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  struct tf_opts o = {1460, false, false, 7, 65535};
  tf_accept(&f, &t, -1, o, 100 * MS);
  assert_int_equal(tf_app_send(&f, 0, 1460), 1460);
  struct tt_seg s = tf_expect(&f);
  assert_int_equal(s.s.len, 1460);
  size_t sent = t.link.n - 1;
  tt_wait(&t, 50 * MS);
  frag_needed(&t, sent, 1200);
  struct tt_seg a = tf_expect(&f), b = tf_expect(&f);
  assert_int_equal(tf_sq(&f, a.s.seq), 0);
  assert_int_equal(a.s.len, 1160);
  assert_int_equal(a.s.flags, SN_TCP_ACK);
  assert_int_equal(tf_sq(&f, b.s.seq), 1160);
  assert_int_equal(b.s.len, 300);
  assert_int_equal(b.s.flags, SN_TCP_ACK | SN_TCP_PSH);
  assert_int_equal(a.time, t.now); /* at once, not at the RTO */
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_snd_mss, 1160);
  assert_int_equal(i.tcpi_snd_cwnd, 10); /* the window is not reduced */
  tf_ack(&f, 1460, 257);
  assert_int_equal(tf_info(&f).tcpi_ca_state, 0);
  /* A second ICMP quoting data no longer in flight is not believed. */
  frag_needed(&t, sent, 576);
  assert_int_equal(tf_info(&f).tcpi_snd_mss, 1160);
  tt_expect_none(&t);

  /* A new connection to the same host: the SYN-ACK still says 1460, but
   * the segments are 1160 at once. */
  int ls = tt_listen(&t, 81, 4);
  struct tf g;
  tf_accept(&g, &t, ls, o, 100 * MS);
  assert_int_equal(g.stack_mss, 1460);
  assert_int_equal(tf_app_send(&g, 0, 1460), 1460);
  struct tt_seg c = tf_expect(&g), d = tf_expect(&g);
  assert_int_equal(c.s.len, 1160);
  assert_int_equal(d.s.len, 300);

  /* UDP to the same host fragments to the path MTU. */
  size_t before = t.link.n;
  int u = sn_socket(t.st, SN_SOCK_DGRAM);
  static uint8_t big[1400];
  struct sn_sockaddr dst = {t.peer_ip, 9};
  assert_int_equal(sn_sendto(t.st, u, big, sizeof big, 0, &dst), 1400);
  assert_int_equal(t.link.n - before, 2);
  assert_int_equal(sn_get16(t.link.frames[before].data + 14 + 2), 1196);
  tt_free(&t);
}

static void test_min_pmtu(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  struct tf_opts o = {1460, false, false, 7, 65535};
  tf_accept(&f, &t, -1, o, 100 * MS);
  tf_app_send(&f, 0, 1460);
  tf_expect(&f);
  frag_needed(&t, t.link.n - 1, 200); /* below route_min_pmtu (552) */
  assert_int_equal(tf_info(&f).tcpi_snd_mss, 512);
  tt_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_frag_needed_resends_smaller),
      cmocka_unit_test(test_min_pmtu),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
