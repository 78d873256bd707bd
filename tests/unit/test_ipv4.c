/*
 * test_ipv4.c - IPv4 fragmentation on output and reassembly on input:
 * in order, out of order, duplicated, overlapping, missing, oversized,
 * inconsistent, too many holes, and the memory bound.
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
  int ifi, sd;
};

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  f->st = tl_stack("A", &f->link, 1, "198.18.0.1/24", &f->ifi);
  f->sd = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr a = {0, 7};
  assert_int_equal(sn_bind(f->st, f->sd, &a), 0);
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

/* A UDP datagram from 198.18.0.2:5000 to port 7 with n pattern bytes. */
static size_t make_udp(uint8_t *u, size_t n) {
  sn_put16(u, 5000);
  sn_put16(u + 2, 7);
  sn_put16(u + 4, (uint16_t)(8 + n));
  sn_put16(u + 6, 0);
  for (size_t i = 0; i < n; i++)
    u[8 + i] = (uint8_t)(i * 7 + 3);
  uint32_t sum = sn_csum_pseudo4(tl_ip("198.18.0.2"), tl_ip("198.18.0.1"), 17,
                                 (uint16_t)(8 + n));
  uint16_t c = sn_csum_fold(sn_csum_partial(u, 8 + n, sum));
  sn_put16(u + 6, c ? c : 0xffff);
  return 8 + n;
}

/* Inject bytes [off, off+len) of the datagram as one fragment. */
static void frag(struct fx *f, const uint8_t *dgram, uint16_t id, size_t off,
                 size_t len, int more, uint64_t now) {
  static uint8_t fr[70000];
  size_t n = tl_ip4(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"),
                    tl_ip("198.18.0.1"), 17, id,
                    (uint16_t)((more ? 0x2000 : 0) | (off / 8)), dgram + off,
                    len);
  assert_int_equal(sn_stack_input(f->st, f->ifi, fr, n, now), 0);
}

static ssize_t recv_all(struct fx *f, uint8_t *buf, size_t len) {
  return sn_recv(f->st, f->sd, buf, len, 0);
}

static void check_payload(const uint8_t *got, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (got[i] != (uint8_t)(i * 7 + 3))
      fail_msg("byte %zu differs", i);
}

static uint8_t dgram[66000], out[66000];

static void test_in_order(void **state) {
  struct fx *f = *state;
  size_t n = make_udp(dgram, 3992); /* 4000 bytes of UDP */
  frag(f, dgram, 1, 0, 1480, 1, 0);
  frag(f, dgram, 1, 1480, 1480, 1, 0);
  assert_int_equal(recv_all(f, out, sizeof out), -EAGAIN);
  frag(f, dgram, 1, 2960, n - 2960, 0, 0);
  assert_int_equal(recv_all(f, out, sizeof out), 3992);
  check_payload(out, 3992);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IpReasmOKs), 1);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IpReasmReqds), 3);
  assert_int_equal(f->st->reass.count, 0);
  assert_int_equal(f->st->reass.bytes, 0);
}

static void test_out_of_order_and_duplicates(void **state) {
  struct fx *f = *state;
  size_t n = make_udp(dgram, 5000);
  frag(f, dgram, 9, 4000, n - 4000, 0, 0);
  frag(f, dgram, 9, 2000, 1000, 1, 0);
  frag(f, dgram, 9, 2000, 1000, 1, 0); /* exact duplicate */
  frag(f, dgram, 9, 0, 1000, 1, 0);
  frag(f, dgram, 9, 3000, 1000, 1, 0);
  frag(f, dgram, 9, 2000, 1000, 1, 0); /* duplicate again */
  assert_int_equal(recv_all(f, out, sizeof out), -EAGAIN);
  frag(f, dgram, 9, 1000, 1000, 1, 0);
  assert_int_equal(recv_all(f, out, sizeof out), 5000);
  check_payload(out, 5000);
  assert_int_equal(recv_all(f, out, sizeof out), -EAGAIN); /* only once */
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_IP_FRAG_DUPLICATE), 2);
}

static void test_overlap_discards_the_set(void **state) {
  struct fx *f = *state;
  size_t n = make_udp(dgram, 3000);
  frag(f, dgram, 3, 0, 1480, 1, 0);
  frag(f, dgram, 3, 1472, 1000, 1, 0); /* overlaps bytes 1472..1479 */
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_IP_FRAG_OVERLAP), 1);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IpReasmFails), 1);
  assert_int_equal(f->st->reass.count, 0);
  /* The rest arrives: it starts a new set that cannot complete. */
  frag(f, dgram, 3, 2472, n - 2472, 0, 0);
  assert_int_equal(recv_all(f, out, sizeof out), -EAGAIN);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IpReasmOKs), 0);
}

static void test_missing_fragment_times_out(void **state) {
  struct fx *f = *state;
  /* Learn the peer so the ICMP error can leave at once. */
  uint8_t fr[64];
  size_t n = tl_eth(fr, (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
                    tl_peer_mac, 0x0806);
  uint8_t *a = fr + n;
  sn_put16(a, 1);
  sn_put16(a + 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  sn_put16(a + 6, 1);
  memcpy(a + 8, tl_peer_mac, 6);
  sn_put32(a + 14, tl_ip("198.18.0.2"));
  memset(a + 18, 0, 6);
  sn_put32(a + 24, tl_ip("198.18.0.1"));
  sn_stack_input(f->st, f->ifi, fr, n + 28, 0);
  tl_link_clear(&f->link);

  make_udp(dgram, 3000);
  frag(f, dgram, 4, 0, 1480, 1, SEC);
  assert_int_equal(sn_stack_next_deadline(f->st) <= 31 * SEC, 1);
  sn_stack_poll(f->st, 31 * SEC - 1);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IpReasmTimeout), 0);
  sn_stack_poll(f->st, 31 * SEC); /* ipfrag_time = 30 s after the first */
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IpReasmTimeout), 1);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_IP_FRAG_TIMEOUT), 1);
  assert_int_equal(f->st->reass.count, 0);
  /* ICMP time exceeded, code 1, quoting the first fragment. (The peer's
   * ARP entry went stale meanwhile, so a unicast ARP probe precedes it.) */
  assert_int_equal(f->link.n, 2);
  assert_int_equal(sn_get16(f->link.frames[0].data + 12), 0x0806);
  const uint8_t *ip = f->link.frames[1].data + 14;
  assert_int_equal(ip[9], 1);
  const uint8_t *icmp = ip + 20;
  assert_int_equal(icmp[0], 11);
  assert_int_equal(icmp[1], 1);
  assert_int_equal(sn_get16(icmp + 8 + 4), 4);            /* quoted id */
  assert_int_equal(sn_get16(icmp + 8 + 20), 5000);        /* quoted sport */
  assert_int_equal(sn_csum_fold(sn_csum_partial(icmp, sn_get16(ip + 2) - 20u, 0)), 0);
}

static void test_no_time_exceeded_without_first(void **state) {
  struct fx *f = *state;
  make_udp(dgram, 3000);
  frag(f, dgram, 5, 1480, 1480, 1, 0);
  sn_stack_poll(f->st, 31 * SEC);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IpReasmTimeout), 1);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IcmpOutMsgs), 0);
}

static void test_too_big_is_dropped(void **state) {
  struct fx *f = *state;
  make_udp(dgram, 65000);
  frag(f, dgram, 6, 0, 1480, 1, 0);
  /* A fragment reaching past 65535 bytes: the "ping of death". */
  frag(f, dgram, 6, 65520, 16, 0, 0);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_IP_FRAG_TOO_BIG), 1);
  assert_int_equal(f->st->reass.count, 0);
}

static void test_inconsistent_end(void **state) {
  struct fx *f = *state;
  make_udp(dgram, 4000);
  frag(f, dgram, 7, 2000, 1000, 0, 0);  /* ends at 3000 */
  frag(f, dgram, 7, 3000, 1000, 0, 0);  /* now claims 4000 */
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_IP_FRAG_INCONSISTENT), 1);
  assert_int_equal(f->st->reass.count, 0);
  /* Data beyond a known end. */
  frag(f, dgram, 10, 1000, 1000, 0, 0);
  frag(f, dgram, 10, 2000, 1000, 1, 0); /* more data after the end */
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_IP_FRAG_INCONSISTENT), 2);
}

static void test_bad_fragment_length(void **state) {
  struct fx *f = *state;
  make_udp(dgram, 4000);
  frag(f, dgram, 11, 0, 1001, 1, 0); /* MF set, not a multiple of 8 */
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_IP_FRAG_BAD_LENGTH), 1);
  assert_int_equal(f->st->reass.count, 0);
}

static void test_too_many_holes(void **state) {
  struct fx *f = *state;
  make_udp(dgram, 8000);
  /* Every other 8-byte piece: each one opens another hole. */
  for (size_t off = 8; off < 8 * 2 * 80; off += 16)
    frag(f, dgram, 12, off, 8, 1, 0);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_IP_FRAG_TOO_MANY), 1);
}

static void test_memory_bound_evicts_oldest(void **state) {
  struct fx *f = *state;
  f->st->cfg.ipfrag_high_thresh = 65536;
  make_udp(dgram, 12000);
  /* Each set holds a 16 KiB buffer plus its record: three fit in 64 KiB,
   * so the fourth and fifth evict the two oldest. */
  for (uint16_t id = 100; id < 105; id++)
    frag(f, dgram, id, 0, 8000, 1, 0);
  assert_true(f->st->reass.bytes <= 65536);
  assert_int_equal(f->st->reass.count, 3);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_IP_FRAG_NO_MEMORY), 2);
  /* The newest set still completes; the evicted one does not. */
  frag(f, dgram, 104, 8000, 4008, 0, 0);
  assert_int_equal(recv_all(f, out, sizeof out), 12000);
  frag(f, dgram, 100, 8000, 4008, 0, 0);
  assert_int_equal(recv_all(f, out, sizeof out), -EAGAIN);
}

static void test_header_options_accepted(void **state) {
  struct fx *f = *state;
  size_t n = make_udp(dgram, 20);
  uint8_t fr[200];
  size_t off = tl_eth(fr, our_mac, tl_peer_mac, 0x0800);
  uint8_t *h = fr + off;
  h[0] = 0x46; /* IHL 6: one word of options (NOP NOP NOP EOL) */
  h[1] = 0;
  sn_put16(h + 2, (uint16_t)(24 + n));
  sn_put16(h + 4, 1);
  sn_put16(h + 6, 0);
  h[8] = 64;
  h[9] = 17;
  sn_put16(h + 10, 0);
  sn_put32(h + 12, tl_ip("198.18.0.2"));
  sn_put32(h + 16, tl_ip("198.18.0.1"));
  h[20] = 1; h[21] = 1; h[22] = 1; h[23] = 0;
  sn_put16(h + 10, sn_csum_fold(sn_csum_partial(h, 24, 0)));
  memcpy(h + 24, dgram, n);
  sn_stack_input(f->st, f->ifi, fr, off + 24 + n, 0);
  assert_int_equal(recv_all(f, out, sizeof out), 20);
}

/* Output: a 4000-byte datagram over MTU 1500 leaves as 3 fragments that a
 * second stack puts back together. */
static void test_fragment_output_round_trip(void **state) {
  struct fx *f = *state;
  struct tl_link blink = {0};
  int bif;
  struct sn_stack *b = tl_stack("B", &blink, 0x99, "198.18.0.2/24", &bif);
  int bsd = sn_socket(b, SN_SOCK_DGRAM);
  struct sn_sockaddr any = {0, 9};
  assert_int_equal(sn_bind(b, bsd, &any), 0);
  /* A learns B's MAC from a request. */
  uint8_t fr[64];
  size_t n = tl_eth(fr, (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
                    tl_peer_mac, 0x0806);
  uint8_t *a = fr + n;
  sn_put16(a, 1); sn_put16(a + 2, 0x0800); a[4] = 6; a[5] = 4;
  sn_put16(a + 6, 1);
  memcpy(a + 8, tl_peer_mac, 6);
  sn_put32(a + 14, tl_ip("198.18.0.2"));
  memset(a + 18, 0, 6);
  sn_put32(a + 24, tl_ip("198.18.0.1"));
  sn_stack_input(f->st, f->ifi, fr, n + 28, 0);

  for (size_t size = 3992; size <= 65507; size = size == 3992 ? 65507 : 70000) {
    tl_link_clear(&f->link);
    for (size_t i = 0; i < size; i++)
      dgram[i] = (uint8_t)(i * 7 + 3);
    struct sn_sockaddr dst = {tl_ip("198.18.0.2"), 9};
    assert_int_equal(sn_sendto(f->st, f->sd, dgram, size, 0, &dst), (ssize_t)size);
    size_t frags = (size + 8 + 1479) / 1480;
    assert_int_equal(f->link.n, frags);
    uint16_t id = sn_get16(f->link.frames[0].data + 14 + 4);
    for (size_t i = 0; i < frags; i++) {
      const uint8_t *ip = f->link.frames[i].data + 14;
      uint16_t field = sn_get16(ip + 6);
      assert_int_equal(sn_get16(ip + 4), id);
      assert_int_equal((field & 0x1fff) * 8, i * 1480);
      assert_int_equal(!!(field & 0x2000), i + 1 < frags);
      assert_int_equal(field & 0x4000, 0);
      assert_int_equal(sn_csum_fold(sn_csum_partial(ip, 20, 0)), 0);
      size_t expect = i + 1 < frags ? 1500 : 20 + (size + 8 - i * 1480);
      assert_int_equal(sn_get16(ip + 2), expect);
      assert_true(f->link.frames[i].len <= 1514);
      sn_stack_input(b, bif, f->link.frames[i].data, f->link.frames[i].len, 0);
    }
    assert_int_equal(sn_recv(b, bsd, out, sizeof out, 0), (ssize_t)size);
    check_payload(out, size);
  }
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_IpFragOKs), 2);
  /* 65508 bytes do not fit in one IPv4 datagram. */
  struct sn_sockaddr dst = {tl_ip("198.18.0.2"), 9};
  assert_int_equal(sn_sendto(f->st, f->sd, dgram, 65508, 0, &dst), -EMSGSIZE);
  sn_stack_free(b);
  tl_link_clear(&blink);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_in_order),
      T(test_out_of_order_and_duplicates),
      T(test_overlap_discards_the_set),
      T(test_missing_fragment_times_out),
      T(test_no_time_exceeded_without_first),
      T(test_too_big_is_dropped),
      T(test_inconsistent_end),
      T(test_bad_fragment_length),
      T(test_too_many_holes),
      T(test_memory_bound_evicts_oldest),
      T(test_header_options_accepted),
      T(test_fragment_output_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
