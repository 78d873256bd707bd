/*
 * wire.c - header parsers for Ethernet II, ARP (RFC 826), IPv4 (RFC 791),
 * ICMP (RFC 792) and UDP (RFC 768).
 */
#include "net/wire.h"

#include <string.h>

#include "base/checksum.h"
#include "base/util.h"

enum sn_drop_reason sn_eth_parse(const uint8_t *p, size_t len,
                                 struct sn_eth *out) {
  if (len < SN_ETH_HLEN)
    return SN_DROP_ETH_TRUNCATED;
  memcpy(out->dst, p, 6);
  memcpy(out->src, p + 6, 6);
  out->type = sn_get16(p + 12);
  out->payload = p + SN_ETH_HLEN;
  out->payload_len = len - SN_ETH_HLEN;
  if (sn_mac_is_multicast(out->src))
    return SN_DROP_ETH_SRC_INVALID;
  return SN_DROP_NONE;
}

/* RFC 826 packet format; only Ethernet (hrd 1) and IPv4 (pro 0x0800). */
enum sn_drop_reason sn_arp_parse(const uint8_t *p, size_t len,
                                 struct sn_arp_pkt *out) {
  if (len < SN_ARP_LEN || sn_get16(p) != 1 ||
      sn_get16(p + 2) != SN_ETHERTYPE_IPV4 || p[4] != 6 || p[5] != 4)
    return SN_DROP_ARP_MALFORMED;
  out->op = sn_get16(p + 6);
  if (out->op != SN_ARP_REQUEST && out->op != SN_ARP_REPLY)
    return SN_DROP_ARP_MALFORMED;
  memcpy(out->sha, p + 8, 6);
  out->spa = sn_get32(p + 14);
  memcpy(out->tha, p + 18, 6);
  out->tpa = sn_get32(p + 24);
  if (sn_mac_is_multicast(out->sha))
    return SN_DROP_ARP_BAD_SENDER;
  return SN_DROP_NONE;
}

/* RFC 791 §3.1 and RFC 1122 §3.2.1: version, IHL, total length, checksum. */
enum sn_drop_reason sn_ip4_parse_hdr(const uint8_t *p, size_t len,
                                     struct sn_ip4 *out) {
  if (len < SN_IP_HLEN)
    return SN_DROP_IP_TRUNCATED;
  if ((p[0] >> 4) != 4)
    return SN_DROP_IP_BAD_VERSION;
  size_t ihl = (size_t)(p[0] & 15) * 4;
  if (ihl < SN_IP_HLEN || ihl > len)
    return SN_DROP_IP_BAD_IHL;
  uint16_t total = sn_get16(p + 2);
  if (total < ihl || total > len)
    return SN_DROP_IP_BAD_TOTAL_LENGTH;
  if (sn_csum_fold(sn_csum_partial(p, ihl, 0)) != 0)
    return SN_DROP_IP_BAD_CHECKSUM;
  uint16_t frag = sn_get16(p + 6);
  out->ihl = (uint8_t)ihl;
  out->tos = p[1];
  out->total_len = total;
  out->id = sn_get16(p + 4);
  out->df = (frag & 0x4000) != 0;
  out->mf = (frag & 0x2000) != 0;
  out->frag_off = (uint16_t)((frag & 0x1fff) * 8);
  out->ttl = p[8];
  out->proto = p[9];
  out->src = sn_get32(p + 12);
  out->dst = sn_get32(p + 16);
  out->hdr = p;
  out->payload = p + ihl;
  out->payload_len = total - ihl;
  return SN_DROP_NONE;
}

enum sn_drop_reason sn_icmp_parse(const uint8_t *p, size_t len,
                                  struct sn_icmp_msg *out) {
  if (len < SN_ICMP_HLEN)
    return SN_DROP_ICMP_TRUNCATED;
  if (sn_csum_fold(sn_csum_partial(p, len, 0)) != 0)
    return SN_DROP_ICMP_BAD_CHECKSUM;
  out->type = p[0];
  out->code = p[1];
  out->id = sn_get16(p + 4);
  out->seq = sn_get16(p + 6);
  out->mtu = sn_get16(p + 6);
  out->body = p + SN_ICMP_HLEN;
  out->body_len = len - SN_ICMP_HLEN;
  return SN_DROP_NONE;
}

/* RFC 768: length covers header and data; a zero checksum means none. */
enum sn_drop_reason sn_udp_parse(const uint8_t *p, size_t len, uint32_t src,
                                 uint32_t dst, struct sn_udp_dgram *out) {
  if (len < SN_UDP_HLEN)
    return SN_DROP_UDP_TRUNCATED;
  uint16_t ulen = sn_get16(p + 4);
  if (ulen < SN_UDP_HLEN || ulen > len)
    return SN_DROP_UDP_BAD_LENGTH;
  out->sport = sn_get16(p);
  out->dport = sn_get16(p + 2);
  out->len = ulen;
  out->csum = sn_get16(p + 6);
  if (out->csum != 0) {
    uint32_t sum = sn_csum_pseudo4(src, dst, SN_IPPROTO_UDP, ulen);
    if (sn_csum_fold(sn_csum_partial(p, ulen, sum)) != 0)
      return SN_DROP_UDP_BAD_CHECKSUM;
  }
  out->payload = p + SN_UDP_HLEN;
  out->payload_len = ulen - SN_UDP_HLEN;
  return SN_DROP_NONE;
}
