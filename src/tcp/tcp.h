/*
 * tcp.h - the TCP engine's entry points for the layers below it.
 */
#ifndef SN_TCP_TCP_H
#define SN_TCP_TCP_H

#include <stdint.h>

struct sn_stack;
struct sn_ip4;

/* A TCP segment arrived (IP header checked, reassembled). */
void sn_tcp_input(struct sn_stack *st, int ifindex, const struct sn_ip4 *ip);

/* An ICMP error quoting a segment we sent. */
void sn_tcp_icmp_error(struct sn_stack *st, const struct sn_ip4 *quoted,
                       uint8_t type, uint8_t code, uint16_t mtu);

#endif
