/*
 * test_tcp_notes.c - "what happens if ..." questions from the notes that
 * the per-topic files do not already answer:
 *   - the cable is pulled, then plugged back in;
 *   - a FIN arrives before the data in front of it;
 *   - MSS versus IP fragmentation: TCP never fragments, UDP does;
 *   - two servers on one port (SO_REUSEADDR vs SO_REUSEPORT);
 *   - the client runs out of ephemeral ports.
 */
#include "simlib.h"
#include "tcpflow.h"
#include "base/util.h"

#define SEC 1000000000ull
#define MS 1000000ull

/* The cable: a link direction that loses everything, or nothing. */
static void cable(struct sl_pair *p, bool plugged) {
  struct sn_sim_impair imp = {.delay_ns = 5 * MS, .loss = plugged ? 0 : 1};
  sn_sim_link_impair(p->link, SN_SIM_BOTH, &imp);
}

struct conn {
  int cli, srv, lsd;
};

static void open_pair(struct sl_pair *p, struct conn *c) {
  c->lsd = sn_socket(p->b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  assert_int_equal(sn_bind(p->b, c->lsd, &any), 0);
  assert_int_equal(sn_listen(p->b, c->lsd, 4), 0);
  c->cli = sn_socket(p->a, SN_SOCK_STREAM);
  struct sn_sockaddr to = {p->ip_b, 80};
  assert_int_equal(sn_connect(p->a, c->cli, &to), -EINPROGRESS);
  sn_sim_run_until(p->sim, sn_sim_now(p->sim) + SEC);
  c->srv = sn_accept(p->b, c->lsd, NULL);
  assert_true(c->srv >= 0);
}

/* Notes: "after pulling the cable, does the connection still exist?" It
 * does: TCP keeps no link state. Idle, nothing happens at all; with data
 * queued, retransmissions back off until the cable returns, and the data
 * then arrives. */
static void test_cable_pulled_and_restored(void **state) {
  (void)state;
  struct sl_pair p;
  sl_pair_init(&p, 11, 1500);
  cable(&p, true);
  struct conn c;
  open_pair(&p, &c);
  cable(&p, false);
  sn_sim_run_until(p.sim, sn_sim_now(p.sim) + 60 * SEC); /* idle, unplugged */
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(p.a, c.cli, &i), 0);
  assert_string_equal(sn_tcp_state_str(i.tcpi_state), "ESTABLISHED");
  assert_int_equal(i.tcpi_total_retrans, 0);
  assert_int_equal(sn_send(p.a, c.cli, "while unplugged", 15, 0), 15);
  sn_sim_run_until(p.sim, sn_sim_now(p.sim) + 20 * SEC);
  assert_int_equal(sn_tcp_info(p.a, c.cli, &i), 0);
  assert_true(i.tcpi_retransmits >= 5);     /* backing off ... */
  assert_true(i.tcpi_rto >= 6000000);       /* ... to seconds */
  cable(&p, true);
  sn_sim_run_until(p.sim, sn_sim_now(p.sim) + 40 * SEC);
  char buf[32];
  assert_int_equal(sn_recv(p.b, c.srv, buf, sizeof buf, 0), 15);
  assert_memory_equal(buf, "while unplugged", 15);
  assert_int_equal(sn_tcp_info(p.a, c.cli, &i), 0);
  assert_int_equal(i.tcpi_retransmits, 0); /* acknowledged: backoff cleared */
  sl_pair_free(&p);
}

/* Notes: "a FIN that arrives out of order in the close". It waits for the
 * data before it; then both are taken in order. */
static void test_out_of_order_fin(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, 10 * MS);
  /* Bytes 100..199 and the FIN come first; bytes 0..99 are late. */
  struct tt_out o = tf_out(&f);
  uint8_t data[200];
  tf_fill(data, 0, 200);
  o.flags = SN_TCP_ACK | SN_TCP_FIN;
  o.seq = f.irs + 1 + 100;
  o.data = data + 100;
  o.len = 100;
  tf_put(&f, &o);
  struct tt_seg a = tf_expect(&f); /* duplicate ACK at once */
  assert_int_equal(tf_ak(&f, a.s.ack), 0);
  assert_int_equal(tt_state(&t, f.sd), 4 /* still ESTABLISHED */);
  char buf[256];
  assert_int_equal(sn_recv(t.st, f.sd, buf, sizeof buf, 0), -EAGAIN);
  tf_data_at(&f, 0, 100);
  struct tt_seg b = tf_expect(&f);
  assert_int_equal(tf_ak(&f, b.s.ack), 201); /* data and FIN */
  assert_int_equal(tt_state(&t, f.sd), 7 /* CLOSE-WAIT */);
  assert_int_equal(sn_recv(t.st, f.sd, buf, sizeof buf, 0), 200);
  assert_true(tf_check((uint8_t *)buf, 0, 200));
  assert_int_equal(sn_recv(t.st, f.sd, buf, sizeof buf, 0), 0);
  tt_free(&t);
}

/* Notes: "IP fragments, so why does TCP need an MSS?" TCP cuts segments
 * to fit and sets DF; a UDP datagram larger than the MTU is fragmented. */
static void test_tcp_never_fragments_udp_does(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, 10 * MS);
  static uint8_t big[6000];
  assert_int_equal(sn_send(t.st, f.sd, big, sizeof big, 0), (ssize_t)sizeof big);
  size_t tcp_frames = 0;
  for (size_t i = 0; i < t.link.n; i++) {
    const uint8_t *fr = t.link.frames[i].data;
    if (sn_get16(fr + 12) != 0x0800 || fr[14 + 9] != 6)
      continue;
    tcp_frames++;
    assert_true(t.link.frames[i].len <= 1514);
    assert_int_equal(sn_get16(fr + 14 + 6), 0x4000); /* DF, no offset */
  }
  assert_true(tcp_frames >= 5);
  size_t before = t.link.n;
  int u = sn_socket(t.st, SN_SOCK_DGRAM);
  struct sn_sockaddr dst = {t.peer_ip, 9};
  assert_int_equal(sn_sendto(t.st, u, big, sizeof big, 0, &dst), (ssize_t)sizeof big);
  size_t frags = 0;
  for (size_t i = before; i < t.link.n; i++) {
    const uint8_t *fr = t.link.frames[i].data;
    if (fr[14 + 9] == 17 || (sn_get16(fr + 14 + 6) & 0x1fff))
      frags++;
  }
  assert_int_equal(frags, 5); /* 6008 bytes in 1480-byte pieces */
  tt_free(&t);
}

/* Notes: "can several servers bind one port?" Two listeners need
 * SO_REUSEPORT on both; SO_REUSEADDR is not enough for listeners. */
static void test_two_listeners(void **state) {
  (void)state;
  struct sn_stack *st = sn_stack_new("S", NULL, 1);
  int one = 1;
  struct sn_sockaddr a = {0, 8080};
  int l1 = sn_socket(st, SN_SOCK_STREAM), l2 = sn_socket(st, SN_SOCK_STREAM);
  sn_setsockopt(st, l1, SN_SOL_SOCKET, SN_SO_REUSEADDR, &one, sizeof one);
  sn_setsockopt(st, l2, SN_SOL_SOCKET, SN_SO_REUSEADDR, &one, sizeof one);
  assert_int_equal(sn_bind(st, l1, &a), 0);
  assert_int_equal(sn_listen(st, l1, 8), 0);
  assert_int_equal(sn_bind(st, l2, &a), -EADDRINUSE); /* a listener holds it */
  int r1 = sn_socket(st, SN_SOCK_STREAM), r2 = sn_socket(st, SN_SOCK_STREAM);
  struct sn_sockaddr b = {0, 8081};
  sn_setsockopt(st, r1, SN_SOL_SOCKET, SN_SO_REUSEPORT, &one, sizeof one);
  sn_setsockopt(st, r2, SN_SOL_SOCKET, SN_SO_REUSEPORT, &one, sizeof one);
  assert_int_equal(sn_bind(st, r1, &b), 0);
  assert_int_equal(sn_listen(st, r1, 8), 0);
  assert_int_equal(sn_bind(st, r2, &b), 0);
  assert_int_equal(sn_listen(st, r2, 8), 0);
  sn_stack_free(st);
}

/* Notes: "how many connections can a client open?" One per free port of
 * ip_local_port_range towards one server port; then EADDRNOTAVAIL. */
static void test_ephemeral_ports_run_out(void **state) {
  (void)state;
  struct sn_config cfg;
  sn_config_default(&cfg, SN_PROFILE_LINUX);
  assert_int_equal(sn_config_set(&cfg, "ip_local_port_range", "40000 40002"), 0);
  struct sn_stack *st = sn_stack_new("S", &cfg, 1);
  struct tl_link l = {0};
  struct sn_netif_params np = {.name = "eth0", .mtu = 1500, .link = tl_link(&l)};
  np.mac[0] = 2;
  np.mac[5] = 1;
  int ifi = sn_netif_add(st, &np);
  sn_netif_add_addr(st, ifi, tl_ip("198.18.0.1"), 24);
  struct sn_sockaddr to = {tl_ip("198.18.0.2"), 80};
  for (int i = 0; i < 3; i++) {
    int sd = sn_socket(st, SN_SOCK_STREAM);
    assert_int_equal(sn_connect(st, sd, &to), -EINPROGRESS);
  }
  int sd = sn_socket(st, SN_SOCK_STREAM);
  assert_int_equal(sn_connect(st, sd, &to), -EADDRNOTAVAIL);
  sn_stack_free(st);
  tl_link_clear(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cable_pulled_and_restored),
      cmocka_unit_test(test_out_of_order_fin),
      cmocka_unit_test(test_tcp_never_fragments_udp_does),
      cmocka_unit_test(test_two_listeners),
      cmocka_unit_test(test_ephemeral_ports_run_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
