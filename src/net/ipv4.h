/*
 * ipv4.h - IPv4 input and output (RFC 791, RFC 1122 §3.2.1), with
 * fragmentation on output and loopback delivery.
 */
#ifndef SN_NET_IPV4_H
#define SN_NET_IPV4_H

#include <stdbool.h>
#include <stdint.h>

#include "base/pbuf.h"

struct sn_stack;

/* An IPv4 packet (no link header) arrived on ifindex. */
void sn_ip_input(struct sn_stack *st, int ifindex, const uint8_t *pkt,
                 size_t len);

struct sn_ip_out {
  uint32_t src;     /* 0: the route's source */
  uint32_t dst;
  uint8_t proto;
  uint8_t ttl;      /* 0: ip_default_ttl */
  uint8_t tos;
  bool df;          /* don't fragment */
};

/*
 * Send the transport packet in p (transport header at p->data, headroom for
 * the IP and link headers). Fragments to the interface MTU unless df.
 * Takes ownership of p. Returns 0, -ENETUNREACH, -EMSGSIZE (df and too
 * big), -ENOBUFS.
 */
int sn_ip_output(struct sn_stack *st, const struct sn_ip_out *o,
                 struct sn_pbuf *p);

/* Deliver looped-back packets queued before this call. */
void sn_ip_loopback_run(struct sn_stack *st);

#endif
