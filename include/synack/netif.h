/*
 * netif.h - network interfaces and the links under them.
 *
 * A link is anything that carries Ethernet frames: the simulator's wire, a
 * TAP device, a VXLAN socket, a capture tee around another link. The stack
 * sees only `struct sn_link_ops`: it hands each finished frame to tx() and
 * never waits. Frames arriving from a link enter through sn_stack_input().
 */
#ifndef SYNACK_NETIF_H
#define SYNACK_NETIF_H

#include <stddef.h>
#include <stdint.h>

struct sn_stack;

/* What the stack says about a frame it transmits. */
struct sn_tx_info {
  uint64_t now_ns;  /* the stack's time */
  const char *why;  /* a short reason, e.g. "echo reply" (never NULL) */
};

struct sn_link_ops {
  /*
   * Transmit one Ethernet frame (no FCS). The link must copy what it keeps
   * before returning. Returns 0, or a negative errno if the frame was not
   * sent (it is then counted as a link transmit error).
   */
  int (*tx)(void *ctx, const uint8_t *frame, size_t len,
            const struct sn_tx_info *info);
};

/* A link that forwards to another one: used by wrappers such as captures. */
struct sn_link {
  const struct sn_link_ops *ops;
  void *ctx;
};

static inline int sn_link_tx(const struct sn_link *l, const uint8_t *frame,
                             size_t len, const struct sn_tx_info *info) {
  return l->ops->tx(l->ctx, frame, len, info);
}

#define SN_MAX_NETIFS 8
#define SN_ETH_ALEN 6
#define SN_MTU_MIN 68     /* RFC 791: every host must handle 68 */
#define SN_MTU_MAX 65535

struct sn_netif_params {
  const char *name;            /* up to 15 characters, e.g. "eth0" */
  uint8_t mac[SN_ETH_ALEN];    /* unicast address of the interface */
  uint32_t mtu;                /* IP MTU, 68..65535 */
  struct sn_link link;         /* where frames go */
};

/*
 * Add an interface. Returns its index (>= 1; index 0 is the loopback
 * interface every stack has), or -EINVAL (bad MTU, multicast MAC, no tx),
 * -ENOSPC (SN_MAX_NETIFS reached).
 */
int sn_netif_add(struct sn_stack *st, const struct sn_netif_params *p);

/*
 * Give interface ifindex the address ip/prefix_len (host order). Adds the
 * connected route and announces the address with a gratuitous ARP.
 * Returns 0, -ENODEV, -EINVAL (prefix_len > 32; 0/8, multicast or
 * 255.255.255.255; 127/8 on any interface but loopback),
 * -EEXIST (address already on this stack), -ENOSPC.
 */
int sn_netif_add_addr(struct sn_stack *st, int ifindex, uint32_t ip,
                      unsigned prefix_len);

/* Change an interface's MTU; returns 0, -ENODEV or -EINVAL. */
int sn_netif_set_mtu(struct sn_stack *st, int ifindex, uint32_t mtu);

/* Interface lookups; return -ENODEV if absent. */
int sn_netif_mtu(const struct sn_stack *st, int ifindex);
int sn_netif_mac(const struct sn_stack *st, int ifindex,
                 uint8_t mac[SN_ETH_ALEN]);

/*
 * Routes: dst/prefix_len via gateway gw (0 = directly connected) on
 * ifindex. Longest prefix wins. Returns 0, -ENODEV, -EINVAL, -ENOSPC.
 */
int sn_route_add(struct sn_stack *st, uint32_t dst, unsigned prefix_len,
                 uint32_t gw, int ifindex);

#endif
