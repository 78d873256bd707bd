/*
 * arp.c - ARP (RFC 826) with a neighbour cache in the manner of RFC 1122
 * §2.3.2.1 and Linux's NUD states (see arp.h for the life of an entry).
 */
#include "net/arp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "net/eth.h"
#include "net/stack.h"
#include "net/wire.h"

static const char *const state_names[] = {"INCOMPLETE", "REACHABLE", "STALE",
                                          "PROBE"};

const char *sn_neigh_state_name(int state) {
  return (unsigned)state < SN_ARRAY_LEN(state_names) ? state_names[state]
                                                      : "?";
}

static unsigned bucket_of(const struct sn_arp *a, uint32_t ip) {
  return (unsigned)((ip * 2654435761u) >> 8) & (a->nbuckets - 1);
}

int sn_arp_init(struct sn_stack *st) {
  struct sn_arp *a = &st->arp;
  a->nbuckets = 256;
  a->buckets = calloc(a->nbuckets, sizeof *a->buckets);
  return a->buckets ? 0 : -ENOMEM;
}

static void free_queue(struct sn_stack *st, struct sn_neigh *n,
                       enum sn_drop_reason why) {
  struct sn_pbuf *p = n->qhead;
  while (p) {
    struct sn_pbuf *next = p->next;
    if (why != SN_DROP_NONE)
      sn_drop(st, why, "arp", p->len);
    sn_pbuf_free(&st->pool, p);
    p = next;
  }
  n->qhead = n->qtail = NULL;
  n->qbytes = 0;
}

void sn_arp_destroy(struct sn_stack *st) {
  struct sn_arp *a = &st->arp;
  for (unsigned b = 0; a->buckets && b < a->nbuckets; b++) {
    struct sn_neigh *n = a->buckets[b];
    while (n) {
      struct sn_neigh *next = n->hnext;
      sn_timer_cancel(&st->wheel, &n->timer);
      free_queue(st, n, SN_DROP_NONE);
      free(n);
      n = next;
    }
  }
  free(a->buckets);
  a->buckets = NULL;
}

static struct sn_neigh *find(const struct sn_arp *a, uint32_t ip) {
  for (struct sn_neigh *n = a->buckets[bucket_of(a, ip)]; n; n = n->hnext)
    if (n->ip == ip)
      return n;
  return NULL;
}

const struct sn_neigh *sn_arp_lookup(const struct sn_stack *st, uint32_t ip) {
  return find(&st->arp, ip);
}

static void remove_entry(struct sn_stack *st, struct sn_neigh *n) {
  struct sn_neigh **pp = &st->arp.buckets[bucket_of(&st->arp, n->ip)];
  while (*pp != n)
    pp = &(*pp)->hnext;
  *pp = n->hnext;
  st->arp.count--;
  sn_timer_cancel(&st->wheel, &n->timer);
  free(n);
}

static void set_state(struct sn_stack *st, struct sn_neigh *n, int state,
                      uint64_t timeout_ns) {
  if (n->state != state)
    SN_TRACE(st, arp, "state", SN_TF_IP("ip", n->ip),
             SN_TF_S("from", sn_neigh_state_name(n->state)),
             SN_TF_S("to", sn_neigh_state_name(state)));
  n->state = (uint8_t)state;
  n->probes = 0;
  sn_timer_arm(&st->wheel, &n->timer, st->now + timeout_ns);
}

static uint64_t ms(int64_t v) { return (uint64_t)v * SN_NSEC_PER_MSEC; }

/* Build and send an ARP packet. */
static void send_arp(struct sn_stack *st, int ifindex, uint16_t op,
                     const uint8_t dst_mac[6], const uint8_t tha[6],
                     uint32_t spa, uint32_t tpa, const char *why) {
  struct sn_pbuf *p = sn_stack_alloc(st, SN_ARP_LEN, why);
  if (!p)
    return;
  const struct sn_netif *nif = &st->netifs[ifindex];
  uint8_t *a = p->data;
  sn_put16(a, 1);
  sn_put16(a + 2, SN_ETHERTYPE_IPV4);
  a[4] = 6;
  a[5] = 4;
  sn_put16(a + 6, op);
  memcpy(a + 8, nif->mac, 6);
  sn_put32(a + 14, spa);
  memcpy(a + 18, tha, 6);
  sn_put32(a + 24, tpa);
  sn_eth_output(st, ifindex, dst_mac, SN_ETHERTYPE_ARP, p);
}

static const uint8_t zero_mac[6];

static void send_request(struct sn_stack *st, struct sn_neigh *n,
                         bool unicast) {
  uint32_t spa = sn_netif_primary_addr(st, n->ifindex);
  sn_count(st, SN_CTR_ArpOutRequests);
  SN_TRACE(st, arp, "tx-request", SN_TF_IP("who-has", n->ip),
           SN_TF_IP("tell", spa), SN_TF_U("try", n->probes + 1u),
           SN_TF_S("to", unicast ? "unicast" : "broadcast"));
  send_arp(st, n->ifindex, SN_ARP_REQUEST,
           unicast ? n->mac : sn_eth_broadcast, zero_mac, spa, n->ip,
           unicast ? "ARP probe: re-confirming a stale neighbour"
                   : "ARP request: resolving the next hop");
  n->probes++;
}

/* Send the queued packets now that n has a MAC. */
static void flush_queue(struct sn_stack *st, struct sn_neigh *n) {
  struct sn_pbuf *p = n->qhead;
  n->qhead = n->qtail = NULL;
  n->qbytes = 0;
  while (p) {
    struct sn_pbuf *next = p->next;
    p->next = NULL;
    sn_eth_output(st, n->ifindex, n->mac, SN_ETHERTYPE_IPV4, p);
    p = next;
  }
}

static void fail_resolution(struct sn_stack *st, struct sn_neigh *n) {
  sn_count(st, SN_CTR_ArpResolveFailed);
  SN_TRACE(st, arp, "failed", SN_TF_IP("ip", n->ip),
           SN_TF_U("queued", n->qbytes));
  free_queue(st, n, SN_DROP_ARP_RESOLVE_FAILED);
  remove_entry(st, n);
}

static void on_timer(struct sn_timer *t) {
  struct sn_neigh *n = SN_CONTAINER_OF(t, struct sn_neigh, timer);
  struct sn_stack *st = n->st;
  const struct sn_config *c = &st->cfg;
  switch (n->state) {
  case SN_NEIGH_INCOMPLETE:
    if (n->probes >= c->neigh_mcast_solicit) {
      fail_resolution(st, n);
      return;
    }
    send_request(st, n, false);
    sn_timer_arm(&st->wheel, &n->timer, st->now + ms(c->neigh_retrans_time_ms));
    break;
  case SN_NEIGH_REACHABLE:
    /* Not confirmed for a reachable time: keep it, but doubt it. */
    set_state(st, n, SN_NEIGH_STALE, ms(c->neigh_base_reachable_time_ms));
    break;
  case SN_NEIGH_STALE:
    /* Stale and unused for another reachable time: forget it. */
    sn_count(st, SN_CTR_ArpCacheExpired);
    SN_TRACE(st, arp, "expire", SN_TF_IP("ip", n->ip));
    remove_entry(st, n);
    break;
  case SN_NEIGH_PROBE:
    if (n->probes >= c->neigh_ucast_solicit) {
      sn_count(st, SN_CTR_ArpCacheExpired);
      SN_TRACE(st, arp, "expire", SN_TF_IP("ip", n->ip),
               SN_TF_U("probes", n->probes));
      remove_entry(st, n);
      return;
    }
    send_request(st, n, true);
    sn_timer_arm(&st->wheel, &n->timer, st->now + ms(c->neigh_retrans_time_ms));
    break;
  }
}

static struct sn_neigh *create(struct sn_stack *st, int ifindex, uint32_t ip) {
  struct sn_arp *a = &st->arp;
  if (a->count >= (unsigned)st->cfg.neigh_gc_thresh3) {
    sn_drop(st, SN_DROP_ARP_CACHE_FULL, "arp", 0);
    return NULL;
  }
  struct sn_neigh *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  n->st = st;
  n->ip = ip;
  n->ifindex = ifindex;
  sn_timer_init(&n->timer, on_timer);
  unsigned b = bucket_of(a, ip);
  n->hnext = a->buckets[b];
  a->buckets[b] = n;
  a->count++;
  sn_count(st, SN_CTR_ArpCacheAdds);
  return n;
}

/* A MAC for n learned from a packet addressed to us: confirmed. */
static void confirm(struct sn_stack *st, struct sn_neigh *n,
                    const uint8_t mac[6]) {
  bool was_incomplete = n->state == SN_NEIGH_INCOMPLETE;
  memcpy(n->mac, mac, 6);
  set_state(st, n, SN_NEIGH_REACHABLE,
            ms(st->cfg.neigh_base_reachable_time_ms));
  SN_TRACE(st, arp, "resolved", SN_TF_IP("ip", n->ip), sn_tf_mac("mac", mac));
  if (was_incomplete || n->qhead)
    flush_queue(st, n);
}

static bool is_our_addr_on(const struct sn_stack *st, int ifindex,
                           uint32_t ip) {
  for (int i = 0; i < st->naddrs; i++)
    if (st->addrs[i].addr == ip && st->addrs[i].ifindex == ifindex)
      return true;
  return false;
}

/* RFC 826 "Packet Reception", with RFC 5227's gratuitous ARP. */
void sn_arp_input(struct sn_stack *st, int ifindex, const struct sn_eth *eth) {
  struct sn_arp_pkt a;
  enum sn_drop_reason r = sn_arp_parse(eth->payload, eth->payload_len, &a);
  if (r != SN_DROP_NONE) {
    sn_drop(st, r, "arp", eth->payload_len);
    return;
  }
  bool gratuitous = a.spa == a.tpa && a.spa != 0;
  bool for_us = is_our_addr_on(st, ifindex, a.tpa) && !gratuitous;
  if (gratuitous)
    sn_count(st, SN_CTR_ArpInGratuitous);
  else
    sn_count(st, a.op == SN_ARP_REQUEST ? SN_CTR_ArpInRequests
                                        : SN_CTR_ArpInReplies);
  SN_TRACE(st, arp, a.op == SN_ARP_REQUEST ? "rx-request" : "rx-reply",
           SN_TF_IP("spa", a.spa), sn_tf_mac("sha", a.sha),
           SN_TF_IP("tpa", a.tpa));
  if (a.spa == 0 && !for_us) /* an RFC 5227 probe for someone else */
    return;
  if (a.spa != 0 && (sn_ip_is_multicast(a.spa) || a.spa == 0xffffffffu)) {
    sn_drop(st, SN_DROP_ARP_BAD_SENDER, "arp", eth->payload_len);
    return;
  }
  /* Merge: update an entry we already have; add one if we are the target. */
  if (a.spa != 0) {
    struct sn_neigh *n = find(&st->arp, a.spa);
    if (n) {
      if (for_us || n->state == SN_NEIGH_INCOMPLETE ||
          memcmp(n->mac, a.sha, 6) != 0)
        confirm(st, n, a.sha);
    } else if (for_us) {
      n = create(st, ifindex, a.spa);
      if (n)
        confirm(st, n, a.sha);
    }
  }
  if (a.op == SN_ARP_REQUEST && for_us) {
    sn_count(st, SN_CTR_ArpOutReplies);
    SN_TRACE(st, arp, "tx-reply", SN_TF_IP("ip", a.tpa),
             sn_tf_mac("is-at", st->netifs[ifindex].mac));
    send_arp(st, ifindex, SN_ARP_REPLY, a.sha, a.sha, a.tpa, a.spa,
             "ARP reply: this host has the address");
  } else if (!for_us && !gratuitous && a.op == SN_ARP_REQUEST) {
    sn_drop(st, SN_DROP_ARP_NOT_FOR_US, "arp", eth->payload_len);
  }
}

void sn_arp_output(struct sn_stack *st, int ifindex, uint32_t nexthop,
                   struct sn_pbuf *p) {
  if (sn_is_broadcast_addr(st, ifindex, nexthop)) {
    sn_eth_output(st, ifindex, sn_eth_broadcast, SN_ETHERTYPE_IPV4, p);
    return;
  }
  struct sn_neigh *n = find(&st->arp, nexthop);
  if (n && n->state != SN_NEIGH_INCOMPLETE) {
    if (n->state == SN_NEIGH_STALE) {
      /* Used while stale: re-confirm it with unicast probes. */
      set_state(st, n, SN_NEIGH_PROBE, ms(st->cfg.neigh_retrans_time_ms));
      send_request(st, n, true);
    }
    sn_eth_output(st, ifindex, n->mac, SN_ETHERTYPE_IPV4, p);
    return;
  }
  if (!n) {
    n = create(st, ifindex, nexthop);
    if (!n) {
      sn_pbuf_free(&st->pool, p);
      return;
    }
    n->state = SN_NEIGH_INCOMPLETE;
    SN_TRACE(st, arp, "state", SN_TF_IP("ip", n->ip), SN_TF_S("from", "NONE"),
             SN_TF_S("to", "INCOMPLETE"));
    send_request(st, n, false);
    sn_timer_arm(&st->wheel, &n->timer,
                 st->now + ms(st->cfg.neigh_retrans_time_ms));
  }
  if (n->qbytes + p->len > (uint64_t)st->cfg.neigh_unres_qlen_bytes) {
    sn_count(st, SN_CTR_ArpQueueDrops);
    sn_drop(st, SN_DROP_ARP_QUEUE_FULL, "arp", p->len);
    sn_pbuf_free(&st->pool, p);
    return;
  }
  sn_count(st, SN_CTR_ArpQueued);
  p->next = NULL;
  if (n->qtail)
    n->qtail->next = p;
  else
    n->qhead = p;
  n->qtail = p;
  n->qbytes += p->len;
}

void sn_arp_announce(struct sn_stack *st, int ifindex, uint32_t addr) {
  sn_count(st, SN_CTR_ArpOutGratuitous);
  SN_TRACE(st, arp, "tx-gratuitous", SN_TF_IP("ip", addr),
           sn_tf_mac("mac", st->netifs[ifindex].mac));
  send_arp(st, ifindex, SN_ARP_REQUEST, sn_eth_broadcast, zero_mac, addr, addr,
           "gratuitous ARP: announcing a new address");
}
