/*
 * arp.h - ARP (RFC 826) and the neighbour cache.
 *
 * Entries move INCOMPLETE -> REACHABLE -> STALE -> (PROBE) -> gone:
 * an unresolved address is asked for by broadcast every
 * neigh_retrans_time_ms, neigh_mcast_solicit times, with the packets for it
 * queued (neigh_unres_qlen_bytes); a resolved entry is trusted for
 * neigh_base_reachable_time_ms, then goes STALE; a STALE entry that is
 * used is re-confirmed by unicast probes, one that is not used for another
 * reachable time expires.
 */
#ifndef SN_NET_ARP_H
#define SN_NET_ARP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/pbuf.h"
#include "base/timer.h"

struct sn_stack;
struct sn_eth;

enum sn_neigh_state {
  SN_NEIGH_INCOMPLETE,
  SN_NEIGH_REACHABLE,
  SN_NEIGH_STALE,
  SN_NEIGH_PROBE,
};

struct sn_neigh {
  struct sn_neigh *hnext;      /* hash chain */
  struct sn_stack *st;
  uint32_t ip;
  int ifindex;
  uint8_t mac[6];
  uint8_t state;               /* enum sn_neigh_state */
  uint8_t probes;              /* requests sent in this state */
  struct sn_timer timer;
  struct sn_pbuf *qhead, *qtail; /* packets awaiting resolution */
  uint32_t qbytes;
};

struct sn_arp {
  struct sn_neigh **buckets;
  unsigned nbuckets;           /* power of two */
  unsigned count;
};

int sn_arp_init(struct sn_stack *st);
void sn_arp_destroy(struct sn_stack *st);

/* An ARP packet arrived on ifindex. */
void sn_arp_input(struct sn_stack *st, int ifindex, const struct sn_eth *eth);

/*
 * Send IPv4 packet p (IP header in place) to next hop nexthop on ifindex:
 * at once if its MAC is known, else queued while ARP resolves it. Takes
 * ownership of p.
 */
void sn_arp_output(struct sn_stack *st, int ifindex, uint32_t nexthop,
                   struct sn_pbuf *p);

/* Announce addr on ifindex with a gratuitous ARP (RFC 5227 §2.3). */
void sn_arp_announce(struct sn_stack *st, int ifindex, uint32_t addr);

/* Inspection, for tests and listings: the entry for ip, or NULL. */
const struct sn_neigh *sn_arp_lookup(const struct sn_stack *st, uint32_t ip);
const char *sn_neigh_state_name(int state);

#endif
