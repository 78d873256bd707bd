/*
 * test_malformed.c - every kind of malformed frame is dropped with its
 * named reason, counted once, traced, and harms nothing: the stack still
 * answers a valid packet afterwards.
 */
#include "testlib.h"
#include "base/checksum.h"
#include "base/util.h"
#include "net/stack.h"

static const uint8_t our_mac[6] = {2, 0, 0, 0, 0, 1};

struct fx {
  struct tl_link link;
  struct tl_trace trace;
  struct sn_stack *st;
  int ifi, sd;
};

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  f->st = tl_stack("A", &f->link, 1, "198.18.0.1/24", &f->ifi);
  tl_learn_peer(f->st, f->ifi, &f->link, "198.18.0.2", "198.18.0.1", 0);
  sn_stack_set_trace(f->st, tl_trace_sink, &f->trace, SN_TRACE_ALL);
  f->sd = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr a = {0, 9};
  sn_bind(f->st, f->sd, &a);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  sn_stack_free(f->st);
  tl_link_clear(&f->link);
  tl_trace_clear(&f->trace);
  free(f);
  return 0;
}

/* Sum of all drop counters. */
static uint64_t total_drops(struct sn_stack *st) {
  uint64_t n = 0;
  for (int r = 1; r < SN_DROP__COUNT; r++)
    n += sn_stack_drops(st, (enum sn_drop_reason)r);
  return n;
}

/* Feed frame; expect exactly one drop, of reason r, traced by name, and no
 * datagram delivered and nothing sent. */
static void expect_drop(struct fx *f, const uint8_t *fr, size_t len,
                        enum sn_drop_reason r) {
  uint64_t before = sn_stack_drops(f->st, r), all = total_drops(f->st);
  size_t sent = f->link.n;
  tl_trace_clear(&f->trace);
  sn_stack_input(f->st, f->ifi, fr, len, 0);
  if (sn_stack_drops(f->st, r) != before + 1)
    fail_msg("expected a drop for %s", sn_drop_name(r));
  assert_int_equal(total_drops(f->st), all + 1);
  assert_int_equal(tl_trace_count(&f->trace, "drop", sn_drop_name(r), NULL), 1);
  assert_int_equal(f->link.n, sent);
  char buf[100];
  assert_int_equal(sn_recv(f->st, f->sd, buf, sizeof buf, 0), -EAGAIN);
}

static size_t valid_udp(uint8_t *fr) {
  return tl_udp(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"), 1000,
                tl_ip("198.18.0.1"), 9, (const uint8_t *)"payload!", 8);
}

/* Recompute the IPv4 header checksum after editing it. */
static void fix_ip_csum(uint8_t *fr) {
  uint8_t *ip = fr + 14;
  size_t ihl = (size_t)(ip[0] & 15) * 4;
  if (ihl < 20)
    ihl = 20;
  sn_put16(ip + 10, 0);
  sn_put16(ip + 10, sn_csum_fold(sn_csum_partial(ip, ihl, 0)));
}

static void test_ethernet(void **state) {
  struct fx *f = *state;
  uint8_t fr[200];
  size_t n = valid_udp(fr);
  expect_drop(f, fr, 13, SN_DROP_ETH_TRUNCATED);
  uint8_t other[200];
  memcpy(other, fr, n);
  other[5] = 0x42; /* another host's MAC */
  expect_drop(f, other, n, SN_DROP_ETH_NOT_FOR_US);
  memcpy(other, fr, n);
  other[6] |= 1; /* multicast source */
  expect_drop(f, other, n, SN_DROP_ETH_SRC_INVALID);
  memcpy(other, fr, n);
  sn_put16(other + 12, 0x86dd); /* IPv6: not handled */
  expect_drop(f, other, n, SN_DROP_ETH_UNKNOWN_TYPE);
}

static void test_arp(void **state) {
  struct fx *f = *state;
  uint8_t fr[64];
  size_t n = tl_eth(fr, our_mac, tl_peer_mac, 0x0806);
  memset(fr + n, 0, 28);
  expect_drop(f, fr, n + 20, SN_DROP_ARP_MALFORMED); /* truncated */
  sn_put16(fr + n, 6);                               /* not Ethernet */
  sn_put16(fr + n + 2, 0x0800);
  fr[n + 4] = 6;
  fr[n + 5] = 4;
  sn_put16(fr + n + 6, 1);
  expect_drop(f, fr, n + 28, SN_DROP_ARP_MALFORMED);
  sn_put16(fr + n, 1);
  sn_put16(fr + n + 6, 9); /* unknown operation */
  expect_drop(f, fr, n + 28, SN_DROP_ARP_MALFORMED);
  sn_put16(fr + n + 6, 2);
  fr[n + 8] = 0x01; /* multicast sender hardware address */
  expect_drop(f, fr, n + 28, SN_DROP_ARP_BAD_SENDER);
}

static void test_ip_header(void **state) {
  struct fx *f = *state;
  uint8_t fr[200], m[200];
  size_t n = valid_udp(fr);
  expect_drop(f, fr, 14 + 19, SN_DROP_IP_TRUNCATED);
  memcpy(m, fr, n);
  m[14] = 0x65; /* version 6 */
  fix_ip_csum(m);
  expect_drop(f, m, n, SN_DROP_IP_BAD_VERSION);
  memcpy(m, fr, n);
  m[14] = 0x44; /* IHL 4 words */
  expect_drop(f, m, n, SN_DROP_IP_BAD_IHL);
  memcpy(m, fr, n);
  m[14] = 0x4f; /* IHL 60 bytes, beyond this short packet */
  expect_drop(f, m, 14 + 40, SN_DROP_IP_BAD_IHL);
  memcpy(m, fr, n);
  sn_put16(m + 16, (uint16_t)(n - 14 + 1)); /* total length beyond frame */
  fix_ip_csum(m);
  expect_drop(f, m, n, SN_DROP_IP_BAD_TOTAL_LENGTH);
  memcpy(m, fr, n);
  sn_put16(m + 16, 19); /* total length below the header */
  fix_ip_csum(m);
  expect_drop(f, m, n, SN_DROP_IP_BAD_TOTAL_LENGTH);
  memcpy(m, fr, n);
  m[14 + 8] ^= 0x10; /* TTL changed: checksum no longer matches */
  expect_drop(f, m, n, SN_DROP_IP_BAD_CHECKSUM);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IpExtInCsumErrors), 1);
  memcpy(m, fr, n);
  sn_put32(m + 14 + 12, 0xffffffff); /* broadcast source */
  fix_ip_csum(m);
  expect_drop(f, m, n, SN_DROP_IP_BAD_SRC);
  memcpy(m, fr, n);
  sn_put32(m + 14 + 16, tl_ip("198.18.0.77")); /* someone else's */
  fix_ip_csum(m);
  expect_drop(f, m, n, SN_DROP_IP_NOT_FOR_US);
  memcpy(m, fr, n);
  sn_put32(m + 14 + 16, tl_ip("127.0.0.1")); /* loopback from the wire */
  fix_ip_csum(m);
  expect_drop(f, m, n, SN_DROP_IP_NOT_FOR_US);
  /* Link padding after the IP packet is fine: the datagram arrives. */
  memcpy(m, fr, n);
  memset(m + n, 0, 10);
  sn_stack_input(f->st, f->ifi, m, n + 10, 0);
  char buf[100];
  assert_int_equal(sn_recv(f->st, f->sd, buf, sizeof buf, 0), 8);
}

static void test_fragment_bombs(void **state) {
  struct fx *f = *state;
  uint8_t fr[2000], data[1480] = {0};
  size_t n = tl_ip4(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
                    tl_ip("198.18.0.1"), 17, 5, 0x2000 | (65528 / 8), data, 16);
  expect_drop(f, fr, n, SN_DROP_IP_FRAG_TOO_BIG);
  n = tl_ip4(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
             tl_ip("198.18.0.1"), 17, 6, 0x2000, data, 13);
  expect_drop(f, fr, n, SN_DROP_IP_FRAG_BAD_LENGTH);
  /* Overlap: the second fragment reaches back into the first. */
  n = tl_ip4(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
             tl_ip("198.18.0.1"), 17, 7, 0x2000, data, 800);
  sn_stack_input(f->st, f->ifi, fr, n, 0);
  n = tl_ip4(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
             tl_ip("198.18.0.1"), 17, 7, 0x2000 | (400 / 8), data, 800);
  expect_drop(f, fr, n, SN_DROP_IP_FRAG_OVERLAP);
}

static void test_transport(void **state) {
  struct fx *f = *state;
  uint8_t fr[200], m[200], seg[40] = {0};
  size_t n = valid_udp(fr);
  /* UDP shorter than its header. */
  size_t k = tl_ip4(m, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
                    tl_ip("198.18.0.1"), 17, 1, 0, fr + 34, 7);
  expect_drop(f, m, k, SN_DROP_UDP_TRUNCATED);
  memcpy(m, fr, n);
  sn_put16(m + 34 + 4, 100);
  expect_drop(f, m, n, SN_DROP_UDP_BAD_LENGTH);
  memcpy(m, fr, n);
  m[n - 1] ^= 0xff;
  expect_drop(f, m, n, SN_DROP_UDP_BAD_CHECKSUM);
  /* ICMP. */
  k = tl_ip4(m, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
             tl_ip("198.18.0.1"), 1, 1, 0, seg, 7);
  expect_drop(f, m, k, SN_DROP_ICMP_TRUNCATED);
  seg[0] = 8;
  k = tl_ip4(m, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
             tl_ip("198.18.0.1"), 1, 1, 0, seg, 8);
  expect_drop(f, m, k, SN_DROP_ICMP_BAD_CHECKSUM);
  /* TCP: truncated, bad data offset, bad checksum. */
  memset(seg, 0, sizeof seg);
  k = tl_ip4(m, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
             tl_ip("198.18.0.1"), 6, 1, 0, seg, 19);
  expect_drop(f, m, k, SN_DROP_TCP_TRUNCATED);
  seg[12] = 4 << 4;
  k = tl_ip4(m, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
             tl_ip("198.18.0.1"), 6, 1, 0, seg, 20);
  expect_drop(f, m, k, SN_DROP_TCP_BAD_OFFSET);
  seg[12] = 15 << 4; /* 60 bytes of header in a 20-byte segment */
  k = tl_ip4(m, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
             tl_ip("198.18.0.1"), 6, 1, 0, seg, 20);
  expect_drop(f, m, k, SN_DROP_TCP_BAD_OFFSET);
  seg[12] = 5 << 4;
  sn_put16(seg + 16, 0x1234); /* certainly wrong checksum */
  k = tl_ip4(m, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
             tl_ip("198.18.0.1"), 6, 1, 0, seg, 20);
  expect_drop(f, m, k, SN_DROP_TCP_BAD_CHECKSUM);
}

static void test_still_works_afterwards(void **state) {
  struct fx *f = *state;
  test_ethernet(state);
  test_ip_header(state);
  test_transport(state);
  uint8_t fr[200];
  size_t n = valid_udp(fr);
  sn_stack_input(f->st, f->ifi, fr, n, 0);
  char buf[100];
  assert_int_equal(sn_recv(f->st, f->sd, buf, sizeof buf, 0), 8);
  assert_memory_equal(buf, "payload!", 8);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_ethernet),       T(test_arp),       T(test_ip_header),
      T(test_fragment_bombs), T(test_transport), T(test_still_works_afterwards),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
