/*
 * wire.h - parsed, host-order views of Ethernet, ARP, IPv4, ICMP and UDP
 * headers, and their parsers.
 *
 * A parser checks everything the protocol says about its own header and
 * either fills the struct or returns the drop reason. Nothing after the
 * parser reads raw header bytes.
 */
#ifndef SN_NET_WIRE_H
#define SN_NET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/counters.h"

#define SN_ETH_HLEN 14
#define SN_ETHERTYPE_IPV4 0x0800
#define SN_ETHERTYPE_ARP 0x0806

#define SN_IP_HLEN 20
#define SN_IP_MAXLEN 65535
#define SN_IPPROTO_ICMP 1
#define SN_IPPROTO_TCP 6
#define SN_IPPROTO_UDP 17

#define SN_UDP_HLEN 8
#define SN_ICMP_HLEN 8

struct sn_eth {
  uint8_t dst[6], src[6];
  uint16_t type;
  const uint8_t *payload;
  size_t payload_len;
};

struct sn_arp_pkt {
  uint16_t op; /* 1 request, 2 reply */
  uint8_t sha[6], tha[6];
  uint32_t spa, tpa;
};
#define SN_ARP_REQUEST 1
#define SN_ARP_REPLY 2
#define SN_ARP_LEN 28

struct sn_ip4 {
  uint8_t ihl;          /* header bytes, 20..60 */
  uint8_t tos;
  uint16_t total_len;
  uint16_t id;
  bool df, mf;
  uint16_t frag_off;    /* in bytes */
  uint8_t ttl;
  uint8_t proto;
  uint32_t src, dst;
  const uint8_t *hdr;   /* the raw header, for ICMP errors that quote it */
  const uint8_t *payload;
  size_t payload_len;
};

struct sn_icmp_msg {
  uint8_t type, code;
  uint16_t id, seq;          /* echo */
  uint16_t mtu;              /* destination unreachable, code 4 */
  const uint8_t *body;       /* bytes after the 8-byte header */
  size_t body_len;
};
#define SN_ICMP_ECHO_REPLY 0
#define SN_ICMP_DEST_UNREACH 3
#define SN_ICMP_ECHO 8
#define SN_ICMP_TIME_EXCEEDED 11
#define SN_ICMP_UNREACH_NET 0
#define SN_ICMP_UNREACH_HOST 1
#define SN_ICMP_UNREACH_PROTO 2
#define SN_ICMP_UNREACH_PORT 3
#define SN_ICMP_UNREACH_FRAG 4
#define SN_ICMP_EXC_REASSEMBLY 1

struct sn_udp_dgram {
  uint16_t sport, dport;
  uint16_t len;              /* from the header */
  uint16_t csum;             /* 0: none */
  const uint8_t *payload;
  size_t payload_len;
};

static inline bool sn_mac_is_multicast(const uint8_t m[6]) { return m[0] & 1; }
static inline bool sn_mac_is_broadcast(const uint8_t m[6]) {
  return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}
static inline bool sn_ip_is_multicast(uint32_t ip) { return (ip >> 28) == 14; }
static inline bool sn_ip_is_loopback(uint32_t ip) { return (ip >> 24) == 127; }

enum sn_drop_reason sn_eth_parse(const uint8_t *p, size_t len,
                                 struct sn_eth *out);
enum sn_drop_reason sn_arp_parse(const uint8_t *p, size_t len,
                                 struct sn_arp_pkt *out);
/* Checks version, IHL, total length (trailing link padding is cut) and the
 * header checksum. */
enum sn_drop_reason sn_ip4_parse_hdr(const uint8_t *p, size_t len,
                                     struct sn_ip4 *out);
/* Checks the ICMP checksum over the whole message. */
enum sn_drop_reason sn_icmp_parse(const uint8_t *p, size_t len,
                                  struct sn_icmp_msg *out);
/* Checks the UDP length against the IP payload and the checksum (unless 0)
 * with the pseudo-header of src/dst. */
enum sn_drop_reason sn_udp_parse(const uint8_t *p, size_t len, uint32_t src,
                                 uint32_t dst, struct sn_udp_dgram *out);

#endif
