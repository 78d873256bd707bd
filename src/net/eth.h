/*
 * eth.h - Ethernet II framing: the first and last step of every packet.
 */
#ifndef SN_NET_ETH_H
#define SN_NET_ETH_H

#include <stdint.h>

#include "base/pbuf.h"

struct sn_stack;

extern const uint8_t sn_eth_broadcast[6];

/* A frame arrived on ifindex: check it and hand it to ARP or IPv4. */
void sn_eth_input(struct sn_stack *st, int ifindex, const uint8_t *frame,
                  size_t len);

/* Prepend the Ethernet header and give the frame to the interface's link.
 * Takes ownership of p. */
void sn_eth_output(struct sn_stack *st, int ifindex, const uint8_t dst[6],
                   uint16_t type, struct sn_pbuf *p);

#endif
