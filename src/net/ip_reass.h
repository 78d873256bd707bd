/*
 * ip_reass.h - IPv4 reassembly (RFC 791 §3.2, holes as in RFC 815).
 *
 * A datagram under reassembly keeps its data in one buffer and its missing
 * ranges as a list of holes. A fragment that fills part of a hole is kept;
 * one that repeats received bytes exactly is dropped alone; one that
 * overlaps received bytes partially, disagrees about the datagram's end,
 * or reaches past 65535 bytes discards the whole set. Each set lives at
 * most ipfrag_time seconds; all sets together hold at most
 * ipfrag_high_thresh bytes, the oldest evicted first.
 */
#ifndef SN_NET_IP_REASS_H
#define SN_NET_IP_REASS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/pbuf.h"
#include "base/timer.h"

struct sn_stack;
struct sn_ip4;

#define SN_REASS_MAX_HOLES 64
#define SN_REASS_BUCKETS 64
#define SN_REASS_OPEN_END 0xffffffffu

struct sn_reass {
  struct sn_reass *hnext;          /* hash chain */
  struct sn_reass *older, *newer;  /* age list, for eviction */
  struct sn_stack *st;
  uint32_t src, dst;
  uint16_t id;
  uint8_t proto;
  uint8_t ihl;                     /* of the first fragment, 0 until seen */
  uint8_t hdr[60];                 /* header of the offset-0 fragment */
  int ifindex;
  uint32_t total;                  /* payload length once the last
                                      fragment is in, else 0 */
  struct sn_pbuf *buf;             /* payload bytes at buf->data */
  uint16_t nholes;
  struct { uint32_t first, last; } holes[SN_REASS_MAX_HOLES];
  struct sn_timer timer;
};

struct sn_reass_table {
  struct sn_reass *buckets[SN_REASS_BUCKETS];
  struct sn_reass *oldest, *newest;
  uint64_t bytes;                  /* buffer bytes held */
  unsigned count;
};

void sn_reass_destroy(struct sn_stack *st);

/*
 * Add fragment ip. When it completes a datagram, fills *out with a view of
 * the whole datagram (header of the first fragment, contiguous payload)
 * and returns the buffer holding it, which the caller frees after
 * delivery; otherwise returns NULL.
 */
struct sn_pbuf *sn_reass_input(struct sn_stack *st, int ifindex,
                               const struct sn_ip4 *ip, struct sn_ip4 *out);

#endif
