/*
 * testlib.h - helpers shared by the tests: a link that records the frames a
 * stack sends, a trace recorder, and builders for hand-made frames.
 *
 * Include after <stdarg.h>, <stddef.h>, <setjmp.h> and <cmocka.h>, or let
 * this header include them.
 */
#ifndef SN_TESTLIB_H
#define SN_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "synack/synack.h"

/* A link that keeps a copy of every frame transmitted through it. */
#define TL_MAX_FRAMES 4096
struct tl_frame {
  uint8_t *data;
  size_t len;
  uint64_t time;
  char why[96];
};
struct tl_link {
  struct tl_frame frames[TL_MAX_FRAMES];
  size_t n;
};
struct sn_link tl_link(struct tl_link *l);
void tl_link_clear(struct tl_link *l);

/* A stack named name with one interface on a recording link: MAC
 * 02:00:00:00:00:<mac_last>, address ip/prefix. Returns the ifindex in
 * *ifindex. The gratuitous ARP it sends is cleared from the log. */
struct sn_stack *tl_stack(const char *name, struct tl_link *l,
                          uint8_t mac_last, const char *cidr, int *ifindex);

/* Trace recorder: keeps "cat/name key=value ..." text lines. */
#define TL_MAX_EVENTS 8192
struct tl_trace {
  char *lines[TL_MAX_EVENTS];
  size_t n;
};
void tl_trace_sink(void *ctx, const struct sn_trace_event *ev);
void tl_trace_clear(struct tl_trace *t);
/* Number of recorded lines containing every one of the given substrings
 * (NULL-terminated list). */
size_t tl_trace_count(const struct tl_trace *t, ...);

/* Frame builders. Addresses in host order; MACs as 6 bytes. Each returns
 * the frame length written into buf. */
size_t tl_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
              uint16_t type);
/* An IPv4 packet (header + payload) after an Ethernet header; checksum set.
 * frag is the raw flags/offset field. */
size_t tl_ip4(uint8_t *buf, const uint8_t dst_mac[6], const uint8_t src_mac[6],
              uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
              uint16_t frag, const uint8_t *payload, size_t len);
/* A UDP datagram in IPv4 in Ethernet with a correct checksum. */
size_t tl_udp(uint8_t *buf, const uint8_t dst_mac[6], const uint8_t src_mac[6],
              uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
              const uint8_t *payload, size_t len);

/* Make st learn that peer_ip is at tl_peer_mac (an ARP request from the
 * peer for our_ip); the reply it sends is cleared from l. */
void tl_learn_peer(struct sn_stack *st, int ifindex, struct tl_link *l,
                   const char *peer_ip, const char *our_ip, uint64_t now);

/* Parse dotted quad, failing the test on error. */
uint32_t tl_ip(const char *s);

extern const uint8_t tl_peer_mac[6]; /* 02:00:00:00:00:99 */

#endif
