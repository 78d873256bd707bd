/*
 * test_sim_script.c - scripted drops ("drop the nth frame matching a
 * filter") on a simulated link, and the frame classifier behind them,
 * checked on hand-made TCP frames (with IP options, padding, fragments and
 * truncation) as well as on traffic from real stacks.
 */
#include "testlib.h"

#include "simlib.h"

#include <stdlib.h>
#include <string.h>

#include "base/checksum.h"
#include "base/util.h"
#include "sim/sim_internal.h"

#define MS SN_NSEC_PER_MSEC
#define SEC SN_NSEC_PER_SEC
#define BIT(f) (1u << (f))

/* The classifier ----------------------------------------------------------- */

/* Build Ethernet + IPv4 (IHL words, with NOP options beyond 5) + TCP (data
 * offset doff words) + payload bytes; returns the frame length. */
static size_t tcp_frame(uint8_t *buf, unsigned ihl, unsigned doff,
                        uint8_t flags, size_t payload, uint16_t frag) {
  memset(buf, 0, 14);
  buf[12] = 0x08;
  uint8_t *ip = buf + 14;
  size_t total = ihl * 4 + doff * 4 + payload;
  memset(ip, 0, total);
  ip[0] = (uint8_t)(0x40 | ihl);
  sn_put16(ip + 2, (uint16_t)total);
  sn_put16(ip + 6, frag);
  ip[8] = 64;
  ip[9] = 6;
  sn_put32(ip + 12, 0xc6120001);
  sn_put32(ip + 16, 0xc6120002);
  for (unsigned i = 20; i < ihl * 4; i++)
    ip[i] = 1; /* NOP options */
  uint8_t *tcp = ip + ihl * 4;
  sn_put16(tcp, 1234);
  sn_put16(tcp + 2, 80);
  tcp[12] = (uint8_t)(doff << 4);
  tcp[13] = flags;
  return 14 + total;
}

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

static const uint32_t TCPB = BIT(SIM_F_ANY) | BIT(SIM_F_IP) | BIT(SIM_F_TCP);

/* TCP flags are read after the IP header, whatever its length. */
static void test_classify_tcp(void **state) {
  (void)state;
  uint8_t f[200];
  for (unsigned ihl = 5; ihl <= 7; ihl++) {
    size_t n = tcp_frame(f, ihl, 5, SYN, 0, 0);
    assert_int_equal(sim_classify(f, n), TCPB | BIT(SIM_F_SYN));
    n = tcp_frame(f, ihl, 8, SYN | ACK, 0, 0);
    assert_int_equal(sim_classify(f, n), TCPB | BIT(SIM_F_SYNACK));
    n = tcp_frame(f, ihl, 5, ACK, 0, 0);
    assert_int_equal(sim_classify(f, n), TCPB | BIT(SIM_F_ACK));
    n = tcp_frame(f, ihl, 5, ACK | PSH, 10, 0);
    assert_int_equal(sim_classify(f, n), TCPB | BIT(SIM_F_DATA));
    n = tcp_frame(f, ihl, 5, FIN | ACK, 0, 0);
    assert_int_equal(sim_classify(f, n), TCPB | BIT(SIM_F_FIN));
    n = tcp_frame(f, ihl, 5, FIN | ACK | PSH, 5, 0);
    assert_int_equal(sim_classify(f, n),
                     TCPB | BIT(SIM_F_FIN) | BIT(SIM_F_DATA));
    n = tcp_frame(f, ihl, 5, RST, 0, 0);
    assert_int_equal(sim_classify(f, n), TCPB | BIT(SIM_F_RST));
    n = tcp_frame(f, ihl, 5, RST | ACK, 0, 0);
    assert_int_equal(sim_classify(f, n), TCPB | BIT(SIM_F_RST));
  }
}

/* Padding after the IP packet is not data; fragments, truncations and
 * other protocols are told apart. */
static void test_classify_edges(void **state) {
  (void)state;
  uint8_t f[200];
  /* A pure ACK padded to the 60-byte Ethernet minimum. */
  size_t n = tcp_frame(f, 5, 5, ACK, 0, 0);
  memset(f + n, 0xee, 60 - n);
  assert_int_equal(sim_classify(f, 60), TCPB | BIT(SIM_F_ACK));
  /* A first fragment has the TCP header; a later one has not. */
  n = tcp_frame(f, 5, 5, SYN, 16, 0x2000);
  assert_int_equal(sim_classify(f, n),
                   TCPB | BIT(SIM_F_FRAG) | BIT(SIM_F_SYN) | BIT(SIM_F_DATA));
  n = tcp_frame(f, 5, 5, SYN, 16, 0x0003);
  assert_int_equal(sim_classify(f, n), TCPB | BIT(SIM_F_FRAG));
  /* The frame cut short: headers that do not fit are not read. */
  n = tcp_frame(f, 5, 5, SYN, 0, 0);
  assert_int_equal(sim_classify(f, n - 1), BIT(SIM_F_ANY) | BIT(SIM_F_IP));
  sn_put16(f + 14 + 2, 20 + 19); /* total length leaves 19 TCP bytes */
  assert_int_equal(sim_classify(f, n), TCPB);
  n = tcp_frame(f, 5, 4, SYN, 0, 0); /* data offset below 5 */
  assert_int_equal(sim_classify(f, n), TCPB);
  n = tcp_frame(f, 5, 15, SYN, 0, 0); /* data offset beyond the segment */
  sn_put16(f + 14 + 2, 20 + 40);
  assert_int_equal(sim_classify(f, 14 + 60), TCPB);
  n = tcp_frame(f, 4, 5, SYN, 0, 0); /* IHL below 5 */
  assert_int_equal(sim_classify(f, n), BIT(SIM_F_ANY) | BIT(SIM_F_IP));
  /* UDP, ICMP, other protocols, ARP, other EtherTypes, runts. */
  n = tcp_frame(f, 5, 5, 0, 0, 0);
  f[14 + 9] = 17;
  assert_int_equal(sim_classify(f, n),
                   BIT(SIM_F_ANY) | BIT(SIM_F_IP) | BIT(SIM_F_UDP));
  f[14 + 9] = 1;
  assert_int_equal(sim_classify(f, n),
                   BIT(SIM_F_ANY) | BIT(SIM_F_IP) | BIT(SIM_F_ICMP));
  f[14 + 9] = 47;
  assert_int_equal(sim_classify(f, n), BIT(SIM_F_ANY) | BIT(SIM_F_IP));
  f[12] = 0x08;
  f[13] = 0x06;
  assert_int_equal(sim_classify(f, 42), BIT(SIM_F_ANY) | BIT(SIM_F_ARP));
  f[13] = 0xdd;
  assert_int_equal(sim_classify(f, 42), BIT(SIM_F_ANY));
  assert_int_equal(sim_classify(f, 13), BIT(SIM_F_ANY));
  assert_int_equal(sim_classify(f, 0), BIT(SIM_F_ANY));
}

/* Names parse back to their filters; unknown names are refused. */
static void test_filter_names(void **state) {
  (void)state;
  char names[128];
  snprintf(names, sizeof names, "%s", sn_sim_filter_names());
  int i = 0;
  for (char *save = NULL, *w = strtok_r(names, " ", &save); w;
       w = strtok_r(NULL, " ", &save), i++) {
    assert_int_equal(sim_filter_parse(w), i);
    assert_string_equal(sim_filter_name((enum sim_filter)i), w);
  }
  assert_int_equal(i, SIM_F__COUNT);
  assert_int_equal(sim_filter_parse("SYN"), -EINVAL);
  assert_int_equal(sim_filter_parse(""), -EINVAL);
}

/* Scripted drops on a live link ------------------------------------------- */

struct rig {
  struct sl_pair p;
  struct sl_source src;
  struct sl_sink sink;
};

static void rig_init(struct rig *r, uint64_t seed) {
  sl_pair_init(&r->p, seed, 0);
  struct sn_sim_impair imp = {.delay_ns = MS};
  assert_int_equal(sn_sim_link_impair(r->p.link, SN_SIM_BOTH, &imp), 0);
  sl_pair_resolve(&r->p);
  sl_sink_open(&r->sink, r->p.b, 9000);
  sl_source_open(&r->src, r->p.a, r->p.ip_b, 9000);
}

static void rig_free(struct rig *r) {
  sl_source_close(&r->src);
  sl_sink_close(&r->sink);
  sl_pair_free(&r->p);
}

static void send_some(struct rig *r, int n) {
  for (int i = 0; i < n; i++)
    sl_source_send(&r->src, r->p.sim, 100);
  sn_sim_run_until(r->p.sim, sn_sim_now(r->p.sim) + 10 * MS);
}

static void assert_received(const struct rig *r, const uint32_t *seqs,
                            size_t n) {
  assert_int_equal(r->sink.n, n);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(r->sink.rx[i].seq, seqs[i]);
}

/* The 3rd UDP datagram is dropped, once; the drop is traced. */
static void test_drop_third_udp(void **state) {
  (void)state;
  struct rig r;
  struct tl_trace tr = {0};
  rig_init(&r, 1);
  sn_sim_set_trace(r.p.sim, tl_trace_sink, &tr, 1u << SN_TC_sim);
  assert_int_equal(sn_sim_link_drop_nth(r.p.link, SN_SIM_AB, "udp", 3), 0);
  send_some(&r, 6);
  const uint32_t want[] = {0, 1, 3, 4, 5};
  assert_received(&r, want, 5);
  assert_int_equal(sn_sim_link_stats(r.p.link, SN_SIM_AB).dropped_script, 1);
  assert_int_equal(tl_trace_count(&tr, "A-B", "drop", "reason=script",
                                  "3rd udp", NULL),
                   1);
  send_some(&r, 6);
  assert_int_equal(r.sink.n, 11);
  tl_trace_clear(&tr);
  rig_free(&r);
}

/* Several drops armed at once count independently; two that pick the same
 * frame drop it once. */
static void test_several_armed(void **state) {
  (void)state;
  struct rig r;
  rig_init(&r, 2);
  assert_int_equal(sn_sim_link_drop_nth(r.p.link, SN_SIM_AB, "udp", 2), 0);
  assert_int_equal(sn_sim_link_drop_nth(r.p.link, SN_SIM_AB, "udp", 4), 0);
  assert_int_equal(sn_sim_link_drop_nth(r.p.link, SN_SIM_AB, "any", 2), 0);
  assert_int_equal(sn_sim_link_drop_nth(r.p.link, SN_SIM_AB, "icmp", 1), 0);
  send_some(&r, 6);
  const uint32_t want[] = {0, 2, 4, 5};
  assert_received(&r, want, 4);
  assert_int_equal(sn_sim_link_stats(r.p.link, SN_SIM_AB).dropped_script, 2);
  /* The icmp drop is still armed: the next ping's request goes. */
  assert_int_equal(sn_stack_ping(r.p.a, r.p.ip_b, 4, 1, 8), 0);
  assert_int_equal(sn_stack_ping(r.p.a, r.p.ip_b, 4, 2, 8), 0);
  sn_sim_run_until(r.p.sim, sn_sim_now(r.p.sim) + 10 * MS);
  assert_int_equal(sn_stack_ping_result(r.p.a, 4, 1), -ENOENT);
  assert_int_equal(sn_stack_ping_result(r.p.a, 4, 2), 2 * MS);
  assert_int_equal(sn_sim_link_stats(r.p.link, SN_SIM_AB).dropped_script, 3);
  send_some(&r, 6);
  assert_int_equal(r.sink.n, 10);
  rig_free(&r);
}

/* SN_SIM_BOTH arms each direction: the first ICMP each way is lost. */
static void test_drop_both_directions(void **state) {
  (void)state;
  struct rig r;
  rig_init(&r, 3);
  assert_int_equal(sn_sim_link_drop_nth(r.p.link, SN_SIM_BOTH, "icmp", 1), 0);
  for (uint16_t seq = 1; seq <= 3; seq++) {
    assert_int_equal(sn_stack_ping(r.p.a, r.p.ip_b, 5, seq, 8), 0);
    sn_sim_run_until(r.p.sim, sn_sim_now(r.p.sim) + 10 * MS);
  }
  assert_int_equal(sn_stack_ping_result(r.p.a, 5, 1), -ENOENT); /* request */
  assert_int_equal(sn_stack_ping_result(r.p.a, 5, 2), -ENOENT); /* reply */
  assert_int_equal(sn_stack_ping_result(r.p.a, 5, 3), 2 * MS);
  assert_int_equal(sn_sim_link_stats(r.p.link, SN_SIM_AB).dropped_script, 1);
  assert_int_equal(sn_sim_link_stats(r.p.link, SN_SIM_BA).dropped_script, 1);
  struct sn_sim_link_stats both = sn_sim_link_stats(r.p.link, SN_SIM_BOTH);
  struct sn_sim_link_stats ab = sn_sim_link_stats(r.p.link, SN_SIM_AB);
  struct sn_sim_link_stats ba = sn_sim_link_stats(r.p.link, SN_SIM_BA);
  assert_int_equal(both.dropped_script, 2);
  assert_int_equal(both.offered, ab.offered + ba.offered);
  assert_int_equal(both.bytes_delivered,
                   ab.bytes_delivered + ba.bytes_delivered);
  assert_int_equal(sn_stack_counter(r.p.b, SN_CTR_IcmpInEchos), 1 + 2);
  rig_free(&r);
}

/* Dropping the first ARP request costs one ARP retransmission (1 s). */
static void test_drop_first_arp(void **state) {
  (void)state;
  struct sl_pair p;
  sl_pair_init(&p, 4, 0);
  struct sn_sim_impair imp = {.delay_ns = MS};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_BOTH, &imp), 0);
  sn_sim_run_until(p.sim, 100 * MS); /* the announcements are past */
  assert_int_equal(sn_sim_link_drop_nth(p.link, SN_SIM_AB, "arp", 1), 0);
  assert_int_equal(sn_stack_ping(p.a, p.ip_b, 6, 1, 8), 0);
  sn_sim_run_until(p.sim, 3 * SEC);
  assert_int_equal(sn_stack_ping_result(p.a, 6, 1), SEC + 4 * MS);
  assert_int_equal(sn_stack_counter(p.a, SN_CTR_ArpOutRequests), 2);
  assert_int_equal(sn_sim_link_stats(p.link, SN_SIM_AB).dropped_script, 1);
  sl_pair_free(&p);
}

/* Dropping one fragment loses its datagram (reassembly cannot finish);
 * the next datagram arrives whole. */
static void test_drop_fragment(void **state) {
  (void)state;
  struct rig r;
  rig_init(&r, 5);
  assert_int_equal(sn_sim_link_drop_nth(r.p.link, SN_SIM_AB, "frag", 2), 0);
  sl_source_send(&r.src, r.p.sim, 3000);
  sl_source_send(&r.src, r.p.sim, 3000);
  sn_sim_run_until(r.p.sim, sn_sim_now(r.p.sim) + 10 * MS);
  const uint32_t want[] = {1};
  assert_received(&r, want, 1);
  assert_int_equal(sn_sim_link_stats(r.p.link, SN_SIM_AB).dropped_script, 1);
  assert_int_equal(sn_stack_counter(r.p.b, SN_CTR_IpReasmOKs), 1);
  assert_int_equal(sn_stack_counter(r.p.b, SN_CTR_IpReasmReqds), 5);
  rig_free(&r);
}

/* The classifier sees what real stacks send: every UDP datagram of a burst
 * and no ARP matches "udp"; "ip" counts UDP and ICMP alike. */
static void test_filters_on_stack_traffic(void **state) {
  (void)state;
  struct rig r;
  rig_init(&r, 6);
  assert_int_equal(sn_sim_link_drop_nth(r.p.link, SN_SIM_AB, "ip", 3), 0);
  assert_int_equal(sn_stack_ping(r.p.a, r.p.ip_b, 7, 1, 8), 0); /* ip #1 */
  send_some(&r, 4); /* ip #2..#5: the second datagram goes */
  const uint32_t want[] = {0, 2, 3};
  assert_received(&r, want, 3);
  assert_true(sn_stack_ping_result(r.p.a, 7, 1) >= 0);
  rig_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_classify_tcp),
      cmocka_unit_test(test_classify_edges),
      cmocka_unit_test(test_filter_names),
      cmocka_unit_test(test_drop_third_udp),
      cmocka_unit_test(test_several_armed),
      cmocka_unit_test(test_drop_both_directions),
      cmocka_unit_test(test_drop_first_arp),
      cmocka_unit_test(test_drop_fragment),
      cmocka_unit_test(test_filters_on_stack_traffic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
