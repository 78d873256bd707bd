/*
 * test_arp.c - ARP resolution, the queue of packets awaiting it, retries
 * and failure, expiry, stale re-probing, replies and gratuitous ARP.
 */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "base/util.h"
#include "net/arp.h"
#include "net/stack.h"

#define SEC 1000000000ull

struct fx {
  struct tl_link link;
  struct sn_stack *st;
  int ifi;
  int sd;
};

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  f->st = tl_stack("A", &f->link, 1, "198.18.0.1/24", &f->ifi);
  f->sd = sn_socket(f->st, SN_SOCK_DGRAM);
  assert_true(f->sd >= 0);
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

static void send_to_peer(struct fx *f, size_t len) {
  static uint8_t buf[2000];
  struct sn_sockaddr dst = {tl_ip("198.18.0.2"), 9};
  assert_int_equal(sn_sendto(f->st, f->sd, buf, len, 0, &dst), (ssize_t)len);
}

/* Is frame i an ARP request for ip, broadcast (or unicast to mac)? */
static void assert_arp_request(const struct tl_frame *fr, const char *ip,
                               const uint8_t *unicast_mac) {
  assert_int_equal(fr->len, 42);
  assert_int_equal(sn_get16(fr->data + 12), 0x0806);
  if (unicast_mac)
    assert_memory_equal(fr->data, unicast_mac, 6);
  else
    assert_memory_equal(fr->data, "\xff\xff\xff\xff\xff\xff", 6);
  assert_int_equal(sn_get16(fr->data + 14 + 6), 1);
  assert_int_equal(sn_get32(fr->data + 14 + 24), tl_ip(ip));
  assert_int_equal(sn_get32(fr->data + 14 + 14), tl_ip("198.18.0.1"));
}

static void inject_arp(struct fx *f, uint16_t op, uint32_t spa, uint32_t tpa,
                       const uint8_t *dst_mac, uint64_t now) {
  uint8_t fr[64];
  size_t n = tl_eth(fr, dst_mac, tl_peer_mac, 0x0806);
  uint8_t *a = fr + n;
  sn_put16(a, 1);
  sn_put16(a + 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  sn_put16(a + 6, op);
  memcpy(a + 8, tl_peer_mac, 6);
  sn_put32(a + 14, spa);
  memset(a + 18, 0, 6);
  if (op == 2)
    memcpy(a + 18, "\x02\x00\x00\x00\x00\x01", 6);
  sn_put32(a + 24, tpa);
  assert_int_equal(sn_stack_input(f->st, f->ifi, fr, n + 28, now), 0);
}

static const uint8_t our_mac[6] = {2, 0, 0, 0, 0, 1};

static void test_resolution_flushes_queue(void **state) {
  struct fx *f = *state;
  send_to_peer(f, 100);
  send_to_peer(f, 200);
  assert_int_equal(f->link.n, 1); /* only the request: data waits */
  assert_arp_request(&f->link.frames[0], "198.18.0.2", NULL);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_ArpQueued), 2);
  const struct sn_neigh *n = sn_arp_lookup(f->st, tl_ip("198.18.0.2"));
  assert_non_null(n);
  assert_int_equal(n->state, SN_NEIGH_INCOMPLETE);

  inject_arp(f, 2, tl_ip("198.18.0.2"), tl_ip("198.18.0.1"), our_mac, 1000);
  assert_int_equal(f->link.n, 3);
  for (int i = 1; i < 3; i++) {
    assert_memory_equal(f->link.frames[i].data, tl_peer_mac, 6);
    assert_int_equal(sn_get16(f->link.frames[i].data + 12), 0x0800);
  }
  /* In order: 100-byte datagram first. */
  assert_int_equal(f->link.frames[1].len, 14 + 20 + 8 + 100);
  assert_int_equal(f->link.frames[2].len, 14 + 20 + 8 + 200);
  assert_int_equal(n->state, SN_NEIGH_REACHABLE);
  assert_memory_equal(n->mac, tl_peer_mac, 6);

  /* Later packets go straight out. */
  send_to_peer(f, 10);
  assert_int_equal(f->link.n, 4);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_ArpOutRequests), 1);
}

static void test_queue_is_bounded(void **state) {
  struct fx *f = *state;
  struct sn_stack *st = f->st;
  st->cfg.neigh_unres_qlen_bytes = 300; /* two 128-byte packets fit */
  send_to_peer(f, 100);
  send_to_peer(f, 100);
  send_to_peer(f, 100);
  assert_int_equal(sn_stack_counter(st, SN_CTR_ArpQueued), 2);
  assert_int_equal(sn_stack_counter(st, SN_CTR_ArpQueueDrops), 1);
  assert_int_equal(sn_stack_drops(st, SN_DROP_ARP_QUEUE_FULL), 1);
}

static void test_retries_then_failure(void **state) {
  struct fx *f = *state;
  send_to_peer(f, 100);
  /* Requests at 0, 1, 2 s (neigh_mcast_solicit = 3), failure at 3 s. */
  for (uint64_t t = 0; t <= 4 * SEC; t += SEC / 4)
    sn_stack_poll(f->st, t);
  assert_int_equal(f->link.n, 3);
  for (int i = 0; i < 3; i++) {
    assert_arp_request(&f->link.frames[i], "198.18.0.2", NULL);
    assert_int_equal(f->link.frames[i].time, (uint64_t)i * SEC);
  }
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_ArpResolveFailed), 1);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_ARP_RESOLVE_FAILED), 1);
  assert_null(sn_arp_lookup(f->st, tl_ip("198.18.0.2")));
  assert_int_equal(sn_stack_next_deadline(f->st), SN_TIME_NEVER);
}

static void test_expiry_and_stale_probe(void **state) {
  struct fx *f = *state;
  struct sn_stack *st = f->st;
  uint32_t peer = tl_ip("198.18.0.2");
  send_to_peer(f, 10);
  inject_arp(f, 2, peer, tl_ip("198.18.0.1"), our_mac, 0);
  const struct sn_neigh *n = sn_arp_lookup(st, peer);
  assert_int_equal(n->state, SN_NEIGH_REACHABLE);
  /* Reachable for 30 s, then stale. */
  sn_stack_poll(st, 30 * SEC - 1);
  assert_int_equal(n->state, SN_NEIGH_REACHABLE);
  sn_stack_poll(st, 30 * SEC);
  assert_int_equal(n->state, SN_NEIGH_STALE);
  /* Used while stale: a unicast probe, the packet still goes out. */
  tl_link_clear(&f->link);
  send_to_peer(f, 10);
  assert_int_equal(f->link.n, 2);
  assert_arp_request(&f->link.frames[0], "198.18.0.2", tl_peer_mac);
  assert_int_equal(n->state, SN_NEIGH_PROBE);
  /* The peer answers: reachable again. */
  inject_arp(f, 2, peer, tl_ip("198.18.0.1"), our_mac, 30 * SEC + 500);
  assert_int_equal(n->state, SN_NEIGH_REACHABLE);
  /* Unused: stale at +30 s, gone at +60 s. */
  sn_stack_poll(st, 60 * SEC + 500);
  assert_int_equal(n->state, SN_NEIGH_STALE);
  sn_stack_poll(st, 90 * SEC + 500);
  assert_null(sn_arp_lookup(st, peer));
  assert_int_equal(sn_stack_counter(st, SN_CTR_ArpCacheExpired), 1);
  /* Next use resolves again. */
  tl_link_clear(&f->link);
  send_to_peer(f, 10);
  assert_int_equal(f->link.n, 1);
  assert_arp_request(&f->link.frames[0], "198.18.0.2", NULL);
}

static void test_probe_unanswered_expires(void **state) {
  struct fx *f = *state;
  struct sn_stack *st = f->st;
  uint32_t peer = tl_ip("198.18.0.2");
  send_to_peer(f, 10);
  inject_arp(f, 2, peer, tl_ip("198.18.0.1"), our_mac, 0);
  sn_stack_poll(st, 30 * SEC);
  send_to_peer(f, 10); /* stale -> probe 1 */
  tl_link_clear(&f->link);
  for (uint64_t t = 30 * SEC; t <= 34 * SEC; t += SEC / 2)
    sn_stack_poll(st, t);
  /* Probes 2 and 3 at +1 s and +2 s, then the entry is dropped at +3 s. */
  assert_int_equal(f->link.n, 2);
  assert_arp_request(&f->link.frames[0], "198.18.0.2", tl_peer_mac);
  assert_int_equal(f->link.frames[0].time, 31 * SEC);
  assert_int_equal(f->link.frames[1].time, 32 * SEC);
  assert_null(sn_arp_lookup(st, peer));
}

static void test_answers_requests_for_own_address(void **state) {
  struct fx *f = *state;
  inject_arp(f, 1, tl_ip("198.18.0.7"), tl_ip("198.18.0.1"),
             (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 0);
  assert_int_equal(f->link.n, 1);
  const struct tl_frame *r = &f->link.frames[0];
  assert_memory_equal(r->data, tl_peer_mac, 6);
  assert_int_equal(sn_get16(r->data + 14 + 6), 2);
  assert_memory_equal(r->data + 14 + 8, our_mac, 6);
  assert_int_equal(sn_get32(r->data + 14 + 14), tl_ip("198.18.0.1"));
  assert_memory_equal(r->data + 14 + 18, tl_peer_mac, 6);
  assert_int_equal(sn_get32(r->data + 14 + 24), tl_ip("198.18.0.7"));
  /* The requester was learned (RFC 826: we are the target). */
  const struct sn_neigh *n = sn_arp_lookup(f->st, tl_ip("198.18.0.7"));
  assert_non_null(n);
  assert_int_equal(n->state, SN_NEIGH_REACHABLE);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_ArpOutReplies), 1);

  /* A request for someone else: no reply, nothing learned. */
  inject_arp(f, 1, tl_ip("198.18.0.8"), tl_ip("198.18.0.9"),
             (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 0);
  assert_int_equal(f->link.n, 1);
  assert_null(sn_arp_lookup(f->st, tl_ip("198.18.0.8")));
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_ARP_NOT_FOR_US), 1);
}

static void test_gratuitous(void **state) {
  struct fx *f = *state;
  /* Adding an address announces it. */
  assert_int_equal(sn_netif_add_addr(f->st, f->ifi, tl_ip("198.18.1.1"), 24), 0);
  assert_int_equal(f->link.n, 1);
  const struct tl_frame *g = &f->link.frames[0];
  assert_memory_equal(g->data, "\xff\xff\xff\xff\xff\xff", 6);
  assert_int_equal(sn_get32(g->data + 14 + 14), tl_ip("198.18.1.1"));
  assert_int_equal(sn_get32(g->data + 14 + 24), tl_ip("198.18.1.1"));
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_ArpOutGratuitous), 2); /* and one at setup */

  /* A gratuitous ARP from an unknown host adds nothing ... */
  uint32_t peer = tl_ip("198.18.0.2");
  inject_arp(f, 1, peer, peer, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 0);
  assert_null(sn_arp_lookup(f->st, peer));
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_ArpInGratuitous), 1);
  /* ... but updates a known one (the peer moved to a new MAC). */
  send_to_peer(f, 10);
  inject_arp(f, 2, peer, tl_ip("198.18.0.1"), our_mac, 0);
  uint8_t fr[64];
  const uint8_t new_mac[6] = {2, 0, 0, 0, 0, 0x77};
  size_t n = tl_eth(fr, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", new_mac,
                    0x0806);
  uint8_t *a = fr + n;
  sn_put16(a, 1);
  sn_put16(a + 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  sn_put16(a + 6, 1);
  memcpy(a + 8, new_mac, 6);
  sn_put32(a + 14, peer);
  memset(a + 18, 0, 6);
  sn_put32(a + 24, peer);
  sn_stack_input(f->st, f->ifi, fr, n + 28, 0);
  assert_memory_equal(sn_arp_lookup(f->st, peer)->mac, new_mac, 6);
}

static void test_broadcast_needs_no_resolution(void **state) {
  struct fx *f = *state;
  static uint8_t buf[10];
  struct sn_sockaddr dst = {tl_ip("198.18.0.255"), 9};
  assert_int_equal(sn_sendto(f->st, f->sd, buf, sizeof buf, 0, &dst), 10);
  assert_int_equal(f->link.n, 1);
  assert_memory_equal(f->link.frames[0].data, "\xff\xff\xff\xff\xff\xff", 6);
  assert_int_equal(sn_get16(f->link.frames[0].data + 12), 0x0800);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_resolution_flushes_queue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queue_is_bounded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_retries_then_failure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_expiry_and_stale_probe, setup, teardown),
      cmocka_unit_test_setup_teardown(test_probe_unanswered_expires, setup, teardown),
      cmocka_unit_test_setup_teardown(test_answers_requests_for_own_address, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gratuitous, setup, teardown),
      cmocka_unit_test_setup_teardown(test_broadcast_needs_no_resolution, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
