/*
 * test_icmp.c - echo request/reply, ping, destination unreachable (port
 * and protocol), when errors must not be sent, the rate limit, and errors
 * reported to connected UDP sockets.
 */
#include "testlib.h"
#include "base/checksum.h"
#include "base/util.h"
#include "net/stack.h"

#define SEC 1000000000ull

static const uint8_t our_mac[6] = {2, 0, 0, 0, 0, 1};

struct fx {
  struct tl_link link;
  struct sn_stack *st;
  int ifi;
};

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  f->st = tl_stack("A", &f->link, 1, "198.18.0.1/24", &f->ifi);
  tl_learn_peer(f->st, f->ifi, &f->link, "198.18.0.2", "198.18.0.1", 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  sn_stack_free(f->st);
  tl_link_clear(&f->link);
  free(f);
  return 0;
}

static void inject_ip(struct fx *f, uint32_t dst, uint8_t proto,
                      uint16_t frag, const uint8_t *payload, size_t len) {
  uint8_t fr[2000];
  size_t n = tl_ip4(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"), dst, proto,
                    77, frag, payload, len);
  sn_stack_input(f->st, f->ifi, fr, n, 0);
}

static size_t make_icmp(uint8_t *m, uint8_t type, uint16_t id, uint16_t seq,
                        size_t datalen) {
  m[0] = type;
  m[1] = 0;
  sn_put16(m + 2, 0);
  sn_put16(m + 4, id);
  sn_put16(m + 6, seq);
  for (size_t i = 0; i < datalen; i++)
    m[8 + i] = (uint8_t)i;
  sn_put16(m + 2, sn_csum_fold(sn_csum_partial(m, 8 + datalen, 0)));
  return 8 + datalen;
}

static void assert_icmp_frame(const struct tl_frame *fr, uint8_t type,
                              uint8_t code) {
  const uint8_t *ip = fr->data + 14;
  assert_int_equal(sn_get16(fr->data + 12), 0x0800);
  assert_int_equal(ip[9], 1);
  assert_int_equal(sn_get32(ip + 12), tl_ip("198.18.0.1"));
  assert_int_equal(sn_get32(ip + 16), tl_ip("198.18.0.2"));
  size_t len = sn_get16(ip + 2) - 20u;
  assert_int_equal(sn_csum_fold(sn_csum_partial(ip + 20, len, 0)), 0);
  assert_int_equal(ip[20], type);
  assert_int_equal(ip[21], code);
}

static void test_echo_reply(void **state) {
  struct fx *f = *state;
  uint8_t m[200];
  size_t n = make_icmp(m, 8, 0x1234, 7, 56);
  inject_ip(f, tl_ip("198.18.0.1"), 1, 0, m, n);
  assert_int_equal(f->link.n, 1);
  assert_icmp_frame(&f->link.frames[0], 0, 0);
  const uint8_t *icmp = f->link.frames[0].data + 34;
  assert_int_equal(sn_get16(icmp + 4), 0x1234);
  assert_int_equal(sn_get16(icmp + 6), 7);
  assert_memory_equal(icmp + 8, m + 8, 56);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IcmpInEchos), 1);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IcmpOutEchoReps), 1);
  /* icmp_echo_ignore_all silences it. */
  f->st->cfg.icmp_echo_ignore_all = 1;
  inject_ip(f, tl_ip("198.18.0.1"), 1, 0, m, n);
  assert_int_equal(f->link.n, 1);
}

static void test_ping_records_rtt(void **state) {
  struct fx *f = *state;
  assert_int_equal(sn_stack_ping(f->st, tl_ip("198.18.0.2"), 9, 1, 32), 0);
  assert_int_equal(f->link.n, 1);
  assert_icmp_frame(&f->link.frames[0], 8, 0);
  assert_int_equal(sn_stack_ping_result(f->st, 9, 1), -ENOENT);
  uint8_t m[100];
  size_t n = make_icmp(m, 0, 9, 1, 32);
  uint8_t fr[200];
  size_t len = tl_ip4(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
                      tl_ip("198.18.0.1"), 1, 1, 0, m, n);
  sn_stack_input(f->st, f->ifi, fr, len, 2500000);
  assert_int_equal(sn_stack_ping_result(f->st, 9, 1), 2500000);
  assert_int_equal(sn_stack_ping(f->st, tl_ip("203.0.113.1"), 9, 2, 0),
                   -ENETUNREACH);
}

static void test_port_unreachable(void **state) {
  struct fx *f = *state;
  uint8_t fr[200];
  const uint8_t data[4] = "abc";
  size_t n = tl_udp(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"), 4444,
                    tl_ip("198.18.0.1"), 5555, data, 4);
  sn_stack_input(f->st, f->ifi, fr, n, 0);
  assert_int_equal(f->link.n, 1);
  assert_icmp_frame(&f->link.frames[0], 3, 3);
  /* It quotes the IP header and the first 8 bytes (the UDP header). */
  const uint8_t *q = f->link.frames[0].data + 34 + 8;
  assert_memory_equal(q, fr + 14, 28);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_UdpNoPorts), 1);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IcmpOutDestUnreachs), 1);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_UDP_NO_PORT), 1);
}

static void test_protocol_unreachable(void **state) {
  struct fx *f = *state;
  const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  inject_ip(f, tl_ip("198.18.0.1"), 200, 0, data, 8);
  assert_int_equal(f->link.n, 1);
  assert_icmp_frame(&f->link.frames[0], 3, 2);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IpInUnknownProtos), 1);
}

static void test_no_error_about_errors_or_broadcasts(void **state) {
  struct fx *f = *state;
  uint8_t m[100];
  /* An ICMP error about something: unknown here, but never answered. */
  size_t n = make_icmp(m, 3, 0, 0, 28);
  inject_ip(f, tl_ip("198.18.0.1"), 1, 0, m, n);
  /* UDP to a closed port at the broadcast address. */
  uint8_t fr[200];
  const uint8_t d[4] = "abc";
  n = tl_udp(fr, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", tl_peer_mac,
             tl_ip("198.18.0.2"), 1, tl_ip("198.18.0.255"), 2, d, 4);
  sn_stack_input(f->st, f->ifi, fr, n, 0);
  /* Unknown protocol in a non-initial fragment. */
  const uint8_t data[8] = {0};
  inject_ip(f, tl_ip("198.18.0.1"), 200, 0x0010, data, 8);
  assert_int_equal(f->link.n, 0);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IcmpOutMsgs), 0);
}

static void test_rate_limit(void **state) {
  struct fx *f = *state;
  uint8_t fr[200];
  const uint8_t d[4] = "abc";
  size_t n = tl_udp(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"), 1,
                    tl_ip("198.18.0.1"), 2, d, 4);
  /* A burst of 60 at one instant: icmp_msgs_burst (50) get answers. */
  for (int i = 0; i < 60; i++)
    sn_stack_input(f->st, f->ifi, fr, n, SEC);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IcmpOutDestUnreachs), 50);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IcmpOutRateLimitGlobal), 10);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_ICMP_RATELIMIT), 10);
  /* icmp_msgs_per_sec = 1000: 10 ms later, 10 more are allowed. */
  for (int i = 0; i < 20; i++)
    sn_stack_input(f->st, f->ifi, fr, n, SEC + 10000000);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IcmpOutDestUnreachs), 60);
}

static void test_error_reaches_connected_udp_socket(void **state) {
  struct fx *f = *state;
  int sd = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr peer = {tl_ip("198.18.0.2"), 53};
  assert_int_equal(sn_connect(f->st, sd, &peer), 0);
  unsigned char q[10] = "query";
  assert_int_equal(sn_send(f->st, sd, q, 5, 0), 5);
  assert_int_equal(f->link.n, 1);
  /* The peer answers with port unreachable quoting our datagram. */
  const uint8_t *sent_ip = f->link.frames[0].data + 14;
  uint8_t m[100];
  m[0] = 3;
  m[1] = 3;
  sn_put16(m + 2, 0);
  sn_put32(m + 4, 0);
  memcpy(m + 8, sent_ip, 28);
  sn_put16(m + 2, sn_csum_fold(sn_csum_partial(m, 36, 0)));
  inject_ip(f, tl_ip("198.18.0.1"), 1, 0, m, 36);
  assert_true(sn_poll(f->st, sd) & SN_POLLERR);
  uint8_t buf[10];
  assert_int_equal(sn_recv(f->st, sd, buf, sizeof buf, 0), -ECONNREFUSED);
  assert_int_equal(sn_recv(f->st, sd, buf, sizeof buf, 0), -EAGAIN);
  /* An unconnected socket on another port is not told. */
  int sd2 = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr dst = {tl_ip("198.18.0.2"), 54};
  tl_link_clear(&f->link);
  assert_int_equal(sn_sendto(f->st, sd2, q, 5, 0, &dst), 5);
  memcpy(m + 8, f->link.frames[0].data + 14, 28);
  sn_put16(m + 2, 0);
  sn_put16(m + 2, sn_csum_fold(sn_csum_partial(m, 36, 0)));
  inject_ip(f, tl_ip("198.18.0.1"), 1, 0, m, 36);
  assert_int_equal(sn_poll(f->st, sd2) & SN_POLLERR, 0);
}

static void test_bad_icmp_checksum(void **state) {
  struct fx *f = *state;
  uint8_t m[100];
  size_t n = make_icmp(m, 8, 1, 1, 10);
  m[10] ^= 1;
  inject_ip(f, tl_ip("198.18.0.1"), 1, 0, m, n);
  assert_int_equal(f->link.n, 0);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IcmpInCsumErrors), 1);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_ICMP_BAD_CHECKSUM), 1);
}

static void test_loopback_ping(void **state) {
  struct fx *f = *state;
  assert_int_equal(sn_stack_ping(f->st, tl_ip("127.0.0.1"), 3, 3, 8), 0);
  assert_int_equal(sn_stack_next_deadline(f->st), sn_stack_now(f->st));
  sn_stack_poll(f->st, 1000); /* the request is delivered, a reply queued */
  sn_stack_poll(f->st, 2000); /* the reply is delivered */
  assert_int_equal(sn_stack_ping_result(f->st, 3, 3), 2000);
  assert_int_equal(f->link.n, 0); /* nothing on the wire */
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_echo_reply),
      T(test_ping_records_rtt),
      T(test_port_unreachable),
      T(test_protocol_unreachable),
      T(test_no_error_about_errors_or_broadcasts),
      T(test_rate_limit),
      T(test_error_reaches_connected_udp_socket),
      T(test_bad_icmp_checksum),
      T(test_loopback_ping),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
