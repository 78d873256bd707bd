/*
 * stack.c - the stack object: creation, the entry points (input, poll,
 * next deadline), interfaces, addresses, routes, and the shared services
 * (traces, drops, counters, buffers).
 */
#include "net/stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/sock.h"
#include "base/util.h"
#include "net/eth.h"
#include "net/ipv4.h"
#include "net/wire.h"
#include "synack/stack.h"
#include "synack/synack.h"

const char *sn_version(void) { return SYNACK_VERSION; }

static void set_now(struct sn_stack *st, uint64_t now) {
  if (now > st->now)
    st->now = now;
}

static uint32_t prefix_mask(unsigned len) {
  return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

struct sn_stack *sn_stack_new(const char *name, const struct sn_config *cfg,
                              uint64_t seed) {
  struct sn_stack *st = calloc(1, sizeof *st);
  if (!st)
    return NULL;
  snprintf(st->name, sizeof st->name, "%s", name ? name : "stack");
  if (cfg)
    st->cfg = *cfg;
  else
    sn_config_default(&st->cfg, SN_PROFILE_LINUX);
  sn_rng_seed(&st->rng, seed);
  for (int i = 0; i < 16; i += 8) {
    uint64_t k = sn_rng_next(&st->rng);
    memcpy(st->secret + i, &k, 8);
  }
  sn_wheel_init(&st->wheel, 0);
  sn_pbuf_pool_init(&st->pool, (uint64_t)st->cfg.pbuf_max_bytes);
  sn_icmp_init(st);
  if (sn_arp_init(st) != 0 || sn_tcp_table_init(st) != 0) {
    sn_arp_destroy(st);
    free(st->tcp.buckets);
    free(st);
    return NULL;
  }
  /* Interface 0: loopback, 127.0.0.1/8. */
  struct sn_netif *lo = &st->netifs[SN_LOOPBACK_IFINDEX];
  lo->used = true;
  snprintf(lo->name, sizeof lo->name, "lo");
  lo->mtu = SN_MTU_MAX;
  sn_netif_add_addr(st, SN_LOOPBACK_IFINDEX, 0x7f000001, 8);
  return st;
}

void sn_stack_free(struct sn_stack *st) {
  if (!st)
    return;
  st->dying = true; /* closing sockets must not reach the links */
  sn_sock_destroy_all(st);
  sn_tcp_table_destroy(st);
  sn_reass_destroy(st);
  sn_arp_destroy(st);
  sn_pbuf_free_chain(&st->pool, st->loop_head);
  sn_pbuf_pool_destroy(&st->pool);
  free(st);
}

const char *sn_stack_name(const struct sn_stack *st) { return st->name; }
const struct sn_config *sn_stack_config(const struct sn_stack *st) {
  return &st->cfg;
}
uint64_t sn_stack_now(const struct sn_stack *st) { return st->now; }

int sn_stack_input(struct sn_stack *st, int ifindex, const uint8_t *frame,
                   size_t len, uint64_t now) {
  if (!sn_netif_get(st, ifindex) || ifindex == SN_LOOPBACK_IFINDEX)
    return -ENODEV;
  set_now(st, now);
  st->tcp.defer_acks = true;
  sn_eth_input(st, ifindex, frame, len);
  sn_sock_flush_events(st);
  sn_tcp_flush_acks(st);
  sn_sock_flush_events(st);
  sn_tcp_reap(st);
  return 0;
}

void sn_stack_poll(struct sn_stack *st, uint64_t now) {
  set_now(st, now);
  sn_wheel_advance(&st->wheel, st->now);
  sn_ip_loopback_run(st);
  sn_sock_flush_events(st);
  sn_tcp_reap(st);
}

uint64_t sn_stack_next_deadline(const struct sn_stack *st) {
  if (st->loop_head || st->wake_head)
    return st->now;
  uint64_t t = sn_wheel_next(&st->wheel);
  return t == SN_TIMER_NEVER ? SN_TIME_NEVER : t;
}

void sn_stack_set_trace(struct sn_stack *st, sn_trace_fn fn, void *ctx,
                        uint32_t mask) {
  st->trace_fn = fn;
  st->trace_ctx = ctx;
  st->trace_mask = fn ? mask : 0;
}

void sn_trace_emit(struct sn_stack *st, enum sn_trace_cat cat,
                   const char *name, const struct sn_trace_field *f,
                   unsigned n) {
  struct sn_trace_event ev = {
      .time_ns = st->now, .host = st->name, .cat = cat, .name = name,
      .nfields = n, .fields = f};
  st->trace_fn(st->trace_ctx, &ev);
}

void sn_drop(struct sn_stack *st, enum sn_drop_reason r, const char *what,
             size_t len) {
  st->drops[r]++;
  SN_TRACE(st, drop, what, SN_TF_S("reason", sn_drop_name(r)),
           SN_TF_U("len", len));
}

struct sn_pbuf *sn_stack_alloc(struct sn_stack *st, size_t len,
                               const char *why) {
  struct sn_pbuf *p = sn_pbuf_alloc(&st->pool, SN_PBUF_HEADROOM, len);
  if (!p) {
    sn_count(st, SN_CTR_SnPbufAllocFails);
    sn_drop(st, SN_DROP_NO_BUFFER, "alloc", len);
    return NULL;
  }
  p->why = why;
  return p;
}

uint64_t sn_stack_counter(const struct sn_stack *st, enum sn_counter c) {
  return (unsigned)c < SN_CTR__COUNT ? st->ctr[c] : 0;
}

uint64_t sn_stack_drops(const struct sn_stack *st, enum sn_drop_reason r) {
  return (unsigned)r < SN_DROP__COUNT ? st->drops[r] : 0;
}

int sn_stack_dump_counters(const struct sn_stack *st, FILE *out) {
  int lines = 0;
  for (int c = 0; c < SN_CTR__COUNT; c++)
    if (st->ctr[c]) {
      fprintf(out, "%-28s %llu\n", sn_counter_name((enum sn_counter)c),
              (unsigned long long)st->ctr[c]);
      lines++;
    }
  for (int r = 1; r < SN_DROP__COUNT; r++)
    if (st->drops[r]) {
      fprintf(out, "Drop.%-23s %llu\n", sn_drop_name((enum sn_drop_reason)r),
              (unsigned long long)st->drops[r]);
      lines++;
    }
  return lines;
}

/* Interfaces ------------------------------------------------------------ */

int sn_netif_add(struct sn_stack *st, const struct sn_netif_params *p) {
  if (!p || !p->link.ops || !p->link.ops->tx || p->mtu < SN_MTU_MIN ||
      p->mtu > SN_MTU_MAX || sn_mac_is_multicast(p->mac))
    return -EINVAL;
  for (int i = 1; i < SN_MAX_NETIFS; i++) {
    struct sn_netif *n = &st->netifs[i];
    if (n->used)
      continue;
    n->used = true;
    snprintf(n->name, sizeof n->name, "%s", p->name ? p->name : "eth");
    memcpy(n->mac, p->mac, 6);
    n->mtu = p->mtu;
    n->link = p->link;
    sn_route_changed(st);
    return i;
  }
  return -ENOSPC;
}

int sn_netif_set_mtu(struct sn_stack *st, int ifindex, uint32_t mtu) {
  struct sn_netif *n = sn_netif_get(st, ifindex);
  if (!n)
    return -ENODEV;
  if (mtu < SN_MTU_MIN || mtu > SN_MTU_MAX)
    return -EINVAL;
  n->mtu = mtu;
  sn_route_changed(st);
  return 0;
}

int sn_netif_mtu(const struct sn_stack *st, int ifindex) {
  const struct sn_netif *n = sn_netif_get((struct sn_stack *)st, ifindex);
  return n ? (int)n->mtu : -ENODEV;
}

int sn_netif_mac(const struct sn_stack *st, int ifindex, uint8_t mac[6]) {
  const struct sn_netif *n = sn_netif_get((struct sn_stack *)st, ifindex);
  if (!n)
    return -ENODEV;
  memcpy(mac, n->mac, 6);
  return 0;
}

/* Addresses a host may not take: 0/8, 127/8 off loopback, multicast,
 * limited broadcast (RFC 1122 §3.2.1.3). */
static bool reserved_addr(int ifindex, uint32_t ip) {
  return (ip >> 24) == 0 || sn_ip_is_multicast(ip) || ip == 0xffffffffu ||
         (sn_ip_is_loopback(ip) != (ifindex == SN_LOOPBACK_IFINDEX));
}

int sn_netif_add_addr(struct sn_stack *st, int ifindex, uint32_t ip,
                      unsigned prefix_len) {
  if (!sn_netif_get(st, ifindex))
    return -ENODEV;
  if (prefix_len > 32 || reserved_addr(ifindex, ip))
    return -EINVAL;
  for (int i = 0; i < st->naddrs; i++)
    if (st->addrs[i].addr == ip)
      return -EEXIST;
  if (st->naddrs == SN_MAX_ADDRS)
    return -ENOSPC;
  uint32_t mask = prefix_mask(prefix_len);
  int err = sn_route_add(st, ip & mask, prefix_len, 0, ifindex);
  if (err && err != -EEXIST)
    return err;
  st->addrs[st->naddrs++] = (struct sn_ifaddr){
      .addr = ip, .mask = mask, .prefix_len = (uint8_t)prefix_len,
      .ifindex = ifindex};
  sn_route_changed(st);
  SN_TRACE(st, ip, "addr-add", SN_TF_S("dev", st->netifs[ifindex].name),
           SN_TF_IP("addr", ip), SN_TF_U("prefix", prefix_len));
  if (ifindex != SN_LOOPBACK_IFINDEX)
    sn_arp_announce(st, ifindex, ip);
  return 0;
}

bool sn_is_local_addr(const struct sn_stack *st, uint32_t ip) {
  if (sn_ip_is_loopback(ip))
    return true;
  for (int i = 0; i < st->naddrs; i++)
    if (st->addrs[i].addr == ip)
      return true;
  return false;
}

bool sn_is_broadcast_addr(const struct sn_stack *st, int ifindex, uint32_t ip) {
  if (ip == 0xffffffffu)
    return true;
  for (int i = 0; i < st->naddrs; i++) {
    const struct sn_ifaddr *a = &st->addrs[i];
    if (a->ifindex == ifindex && a->prefix_len < 31 &&
        ip == ((a->addr & a->mask) | ~a->mask))
      return true;
  }
  return false;
}

uint32_t sn_netif_primary_addr(const struct sn_stack *st, int ifindex) {
  for (int i = 0; i < st->naddrs; i++)
    if (st->addrs[i].ifindex == ifindex)
      return st->addrs[i].addr;
  return 0;
}

/* Routes ---------------------------------------------------------------- */

int sn_route_add(struct sn_stack *st, uint32_t dst, unsigned prefix_len,
                 uint32_t gw, int ifindex) {
  if (!sn_netif_get(st, ifindex))
    return -ENODEV;
  if (prefix_len > 32)
    return -EINVAL;
  uint32_t mask = prefix_mask(prefix_len);
  for (int i = 0; i < st->nroutes; i++)
    if (st->routes[i].dst == (dst & mask) &&
        st->routes[i].prefix_len == prefix_len &&
        st->routes[i].ifindex == ifindex)
      return -EEXIST;
  if (st->nroutes == SN_MAX_ROUTES)
    return -ENOSPC;
  st->routes[st->nroutes++] = (struct sn_route){
      .dst = dst & mask, .mask = mask, .prefix_len = (uint8_t)prefix_len,
      .gw = gw, .ifindex = ifindex};
  sn_route_changed(st);
  return 0;
}

/* The lookup itself: local addresses, the longest matching prefix, path
 * MTUs, the source address. *valid_until: when a path MTU it used
 * expires. */
static int route_resolve(const struct sn_stack *st, uint32_t dst,
                         struct sn_route_result *out, uint64_t *valid_until) {
  *valid_until = UINT64_MAX;
  if (sn_is_local_addr(st, dst)) {
    out->ifindex = SN_LOOPBACK_IFINDEX;
    out->nexthop = dst;
    out->src = dst;
    out->mtu = out->if_mtu = st->netifs[SN_LOOPBACK_IFINDEX].mtu;
    return 0;
  }
  const struct sn_route *best = NULL;
  for (int i = 0; i < st->nroutes; i++) {
    const struct sn_route *r = &st->routes[i];
    if ((dst & r->mask) == r->dst && r->ifindex != SN_LOOPBACK_IFINDEX &&
        (!best || r->prefix_len > best->prefix_len))
      best = r;
  }
  if (!best)
    return -ENETUNREACH;
  out->ifindex = best->ifindex;
  out->nexthop = best->gw ? best->gw : dst;
  out->mtu = out->if_mtu = st->netifs[best->ifindex].mtu;
  for (int i = 0; i < SN_PMTU_SLOTS; i++) {
    const struct sn_pmtu *p = &st->pmtu[i];
    if (p->dst == dst && p->expires > st->now && p->mtu < out->mtu) {
      out->mtu = p->mtu;
      *valid_until = p->expires;
    }
  }
  /* Source: an address of the outgoing interface, preferring one on the
   * destination's (or gateway's) subnet. */
  out->src = 0;
  for (int i = 0; i < st->naddrs; i++) {
    const struct sn_ifaddr *a = &st->addrs[i];
    if (a->ifindex != best->ifindex)
      continue;
    if (!out->src)
      out->src = a->addr;
    if ((a->addr & a->mask) == (out->nexthop & a->mask)) {
      out->src = a->addr;
      break;
    }
  }
  if (!out->src)
    return -ENETUNREACH;
  return 0;
}

int sn_route_lookup(struct sn_stack *st, uint32_t dst,
                    struct sn_route_result *out) {
  uint32_t h = (dst * 0x9e3779b1u) >> 26; /* 64 slots */
  struct sn_rtcache *c = &st->rtcache[h];
  if (c->gen && c->gen == st->route_gen && c->dst == dst &&
      st->now < c->valid_until) {
    *out = c->rt;
    return 0;
  }
  uint64_t until;
  int r = route_resolve(st, dst, out, &until);
  if (r == 0 && st->route_gen) {
    c->dst = dst;
    c->gen = st->route_gen;
    c->valid_until = until;
    c->rt = *out;
  }
  return r;
}

void sn_route_changed(struct sn_stack *st) {
  if (++st->route_gen == 0)
    st->route_gen = 1; /* 0 marks an empty cache slot */
}

uint32_t sn_pmtu_update(struct sn_stack *st, uint32_t dst, uint32_t mtu) {
  if (mtu < (uint32_t)st->cfg.route_min_pmtu)
    mtu = (uint32_t)st->cfg.route_min_pmtu;
  struct sn_pmtu *slot = &st->pmtu[0];
  for (int i = 0; i < SN_PMTU_SLOTS; i++) {
    struct sn_pmtu *p = &st->pmtu[i];
    if (p->dst == dst) {
      slot = p;
      break;
    }
    if (p->expires < slot->expires)
      slot = p; /* empty or oldest */
  }
  struct sn_route_result rt;
  if (sn_route_lookup(st, dst, &rt) == 0 && mtu >= rt.if_mtu) {
    slot->dst = 0; /* no smaller than the interface: nothing to learn */
    sn_route_changed(st);
    return rt.if_mtu;
  }
  slot->dst = dst;
  slot->mtu = mtu;
  slot->expires = st->now + (uint64_t)st->cfg.route_mtu_expires * SN_NSEC_PER_SEC;
  sn_route_changed(st);
  SN_TRACE(st, ip, "pmtu", SN_TF_IP("dst", dst), SN_TF_U("mtu", mtu));
  return mtu;
}
