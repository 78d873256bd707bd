/*
 * stack.h (internal) - the stack object every layer works on, and the
 * services all layers share: time, counters, drops, traces, buffers.
 *
 * Layers keep their own state in structs declared in their headers and
 * embedded here; they reach each other only through the functions those
 * headers declare.
 */
#ifndef SN_NET_STACK_H
#define SN_NET_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/pbuf.h"
#include "base/rng.h"
#include "base/timer.h"
#include "net/arp.h"
#include "net/icmp.h"
#include "net/ip_reass.h"
#include "net/ports.h"
#include "synack/config.h"
#include "synack/counters.h"
#include "synack/netif.h"
#include "synack/trace.h"
#include "tcp/tcp_impl.h"

#define SN_LOOPBACK_IFINDEX 0
#define SN_MAX_ADDRS 16
#define SN_MAX_ROUTES 32

struct sn_netif {
  bool used;
  char name[16];
  uint8_t mac[6];
  uint32_t mtu;
  struct sn_link link;   /* ops NULL for the loopback interface */
};

struct sn_ifaddr {
  uint32_t addr;
  uint32_t mask;
  uint8_t prefix_len;
  int ifindex;
};

struct sn_route {
  uint32_t dst, mask;
  uint8_t prefix_len;
  uint32_t gw;           /* 0: on-link */
  int ifindex;
};

struct sn_sock;

/* A path MTU learned from ICMP "fragmentation needed" (RFC 1191). */
#define SN_PMTU_SLOTS 64
struct sn_pmtu {
  uint32_t dst;      /* 0: empty */
  uint32_t mtu;      /* bytes */
  uint64_t expires;  /* ns */
};

/* The route to dst: interface, next hop, source address and MTU. */
struct sn_route_result {
  int ifindex;
  uint32_t nexthop;
  uint32_t src;
  uint32_t mtu;      /* the path's: the interface's, or less if learned */
  uint32_t if_mtu;   /* the interface's */
};

/* Recent route lookups, by destination: valid while the generation of the
 * routing state (routes, addresses, MTUs, path MTUs) is unchanged and no
 * path MTU it used has expired. */
#define SN_RTCACHE_SLOTS 64
struct sn_rtcache {
  uint32_t dst;
  uint32_t gen;          /* 0: empty */
  uint64_t valid_until;  /* ns */
  struct sn_route_result rt;
};

struct sn_stack {
  char name[32];
  struct sn_config cfg;
  uint64_t now;                   /* latest time seen, ns */
  struct sn_rng rng;
  uint8_t secret[16];             /* SipHash key (ISNs, cookies) */
  struct sn_wheel wheel;
  struct sn_pbuf_pool pool;

  sn_trace_fn trace_fn;
  void *trace_ctx;
  uint32_t trace_mask;

  uint64_t ctr[SN_CTR__COUNT];
  uint64_t drops[SN_DROP__COUNT];

  struct sn_netif netifs[SN_MAX_NETIFS];
  struct sn_ifaddr addrs[SN_MAX_ADDRS];
  int naddrs;
  struct sn_route routes[SN_MAX_ROUTES];
  int nroutes;

  struct sn_pbuf *loop_head, *loop_tail; /* packets to ourselves */
  struct sn_pmtu pmtu[SN_PMTU_SLOTS];
  uint32_t route_gen;             /* bumped on any change to routing */
  struct sn_rtcache rtcache[SN_RTCACHE_SLOTS];
  uint16_t ip_id;

  struct sn_arp arp;
  struct sn_reass_table reass;
  struct sn_icmp icmp;

  struct sn_portmap udp_ports, tcp_ports;
  struct sn_tcp_table tcp;
  struct sn_sock **socks;         /* descriptor table */
  int nsocks;
  int sd_hint;                    /* no free descriptor below this */
  struct sn_sock *wake_head, *wake_tail; /* readiness events to deliver */
  bool flushing;
  bool dying;                     /* being freed: transmit nothing */
};

/* Count an event. */
static inline void sn_count(struct sn_stack *st, enum sn_counter c) {
  st->ctr[c]++;
}

/* Trace an event built from field constructors (at least one field). */
void sn_trace_emit(struct sn_stack *st, enum sn_trace_cat cat,
                   const char *name, const struct sn_trace_field *f,
                   unsigned n);
static inline bool sn_tracing(const struct sn_stack *st, enum sn_trace_cat c) {
  return st->trace_fn && (st->trace_mask & (1u << c));
}
#define SN_TRACE(st, cat, name, ...)                                           \
  do {                                                                         \
    if (sn_tracing((st), SN_TC_##cat)) {                                       \
      const struct sn_trace_field f_[] = {__VA_ARGS__};                        \
      sn_trace_emit((st), SN_TC_##cat, (name), f_,                             \
                    (unsigned)(sizeof f_ / sizeof f_[0]));                     \
    }                                                                          \
  } while (0)

/* Record a dropped packet: count the reason and trace it. `what` says which
 * layer saw it ("eth", "ip", ...). */
void sn_drop(struct sn_stack *st, enum sn_drop_reason r, const char *what,
             size_t len);

/* A buffer for an outgoing packet with room for all headers in front. */
struct sn_pbuf *sn_stack_alloc(struct sn_stack *st, size_t len,
                               const char *why);

/* Interfaces and addresses. */
static inline struct sn_netif *sn_netif_get(struct sn_stack *st, int ifindex) {
  if (ifindex < 0 || ifindex >= SN_MAX_NETIFS || !st->netifs[ifindex].used)
    return 0;
  return &st->netifs[ifindex];
}
/* Is ip one of this stack's addresses (or loopback)? */
bool sn_is_local_addr(const struct sn_stack *st, uint32_t ip);
/* Is ip a broadcast address for interface ifindex (limited or directed)? */
bool sn_is_broadcast_addr(const struct sn_stack *st, int ifindex, uint32_t ip);
/* The first address of an interface, or 0. */
uint32_t sn_netif_primary_addr(const struct sn_stack *st, int ifindex);

/* Returns 0 or -ENETUNREACH. */
int sn_route_lookup(struct sn_stack *st, uint32_t dst,
                    struct sn_route_result *out);
/* Routes, addresses, MTUs or path MTUs changed: forget cached lookups. */
void sn_route_changed(struct sn_stack *st);

/* RFC 1191: the path to dst carries at most mtu bytes (raised to
 * route_min_pmtu, kept route_mtu_expires seconds). Returns the MTU now
 * in force for dst. */
uint32_t sn_pmtu_update(struct sn_stack *st, uint32_t dst, uint32_t mtu);

#endif
