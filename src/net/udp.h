/*
 * udp.h - UDP (RFC 768): input demultiplexing to sockets, output with the
 * pseudo-header checksum, and ICMP errors reported to sockets.
 */
#ifndef SN_NET_UDP_H
#define SN_NET_UDP_H

#include <stddef.h>
#include <stdint.h>

struct sn_stack;
struct sn_ip4;
struct sn_sock;

/* A UDP datagram arrived (IP header checked, reassembled). */
void sn_udp_input(struct sn_stack *st, int ifindex, const struct sn_ip4 *ip);

/* An ICMP error quoting a UDP datagram we sent: quoted is the quoted IP
 * header and the first 8 bytes of its payload. */
void sn_udp_icmp_error(struct sn_stack *st, const struct sn_ip4 *quoted,
                       uint8_t type, uint8_t code, uint16_t mtu);

/* Send len bytes from s to (dst, dport). Returns len or a negative errno. */
long sn_udp_output(struct sn_stack *st, struct sn_sock *s, uint32_t dst,
                   uint16_t dport, const void *buf, size_t len);

#endif
