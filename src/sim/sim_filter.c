/*
 * sim_filter.c - what kind of frame is this? The filters of scripted drops
 * ("drop the 2nd SYN-ACK"), read straight from an Ethernet frame's bytes:
 * Ethernet II, ARP, IPv4 (RFC 791: IHL, total length, fragment fields) and
 * the TCP header (RFC 9293 §3.1: data offset and control bits).
 *
 * A frame matches every filter its bytes support: a SYN-ACK matches "any",
 * "ip", "tcp" and "syn-ack". Bytes beyond len, or beyond the IP total
 * length, are never read; a header that does not fit stops the reading.
 */
#include <errno.h>
#include <string.h>

#include "base/util.h"
#include "sim/sim_internal.h"

static const char *const filter_names[SIM_F__COUNT] = {
    [SIM_F_ANY] = "any",   [SIM_F_ARP] = "arp",         [SIM_F_IP] = "ip",
    [SIM_F_ICMP] = "icmp", [SIM_F_UDP] = "udp",         [SIM_F_TCP] = "tcp",
    [SIM_F_SYN] = "syn",   [SIM_F_SYNACK] = "syn-ack",  [SIM_F_ACK] = "ack",
    [SIM_F_DATA] = "data", [SIM_F_FIN] = "fin",         [SIM_F_RST] = "rst",
    [SIM_F_FRAG] = "frag"};

const char *sn_sim_filter_names(void) {
  return "any arp ip icmp udp tcp syn syn-ack ack data fin rst frag";
}

int sim_filter_parse(const char *name) {
  for (int i = 0; i < SIM_F__COUNT; i++)
    if (strcmp(name, filter_names[i]) == 0)
      return i;
  return -EINVAL;
}

const char *sim_filter_name(enum sim_filter f) {
  return (unsigned)f < SIM_F__COUNT ? filter_names[f] : "?";
}

#define BIT(f) (1u << (f))

/* TCP control bits (RFC 9293 §3.1). */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* The TCP filters a segment (len bytes at seg) matches. */
static uint32_t classify_tcp(const uint8_t *seg, size_t len) {
  if (len < 20)
    return 0;
  size_t doff = (size_t)(seg[12] >> 4) * 4;
  if (doff < 20 || doff > len)
    return 0;
  uint8_t fl = seg[13];
  bool data = len > doff;
  uint32_t m = 0;
  if ((fl & TCP_SYN) && !(fl & TCP_ACK))
    m |= BIT(SIM_F_SYN);
  if ((fl & TCP_SYN) && (fl & TCP_ACK))
    m |= BIT(SIM_F_SYNACK);
  if ((fl & (TCP_ACK | TCP_SYN | TCP_FIN | TCP_RST)) == TCP_ACK && !data)
    m |= BIT(SIM_F_ACK);
  if (data)
    m |= BIT(SIM_F_DATA);
  if (fl & TCP_FIN)
    m |= BIT(SIM_F_FIN);
  if (fl & TCP_RST)
    m |= BIT(SIM_F_RST);
  return m;
}

/* The IP filters a packet (len bytes at pkt) matches. */
static uint32_t classify_ip(const uint8_t *pkt, size_t len) {
  if (len < 20 || (pkt[0] >> 4) != 4)
    return 0;
  size_t ihl = (size_t)(pkt[0] & 15) * 4;
  size_t total = sn_get16(pkt + 2);
  if (ihl < 20 || total < ihl || total > len)
    return 0;
  uint16_t frag = sn_get16(pkt + 6);
  bool more = (frag & 0x2000) != 0;
  uint16_t offset = frag & 0x1fff;
  uint32_t m = (more || offset) ? BIT(SIM_F_FRAG) : 0;
  switch (pkt[9]) {
  case 1:
    return m | BIT(SIM_F_ICMP);
  case 17:
    return m | BIT(SIM_F_UDP);
  case 6:
    m |= BIT(SIM_F_TCP);
    /* Only a first fragment (or a whole packet) holds the TCP header. */
    return offset ? m : m | classify_tcp(pkt + ihl, total - ihl);
  default:
    return m;
  }
}

uint32_t sim_classify(const uint8_t *frame, size_t len) {
  uint32_t m = BIT(SIM_F_ANY);
  if (len < SIM_ETH_HLEN)
    return m;
  switch (sn_get16(frame + 12)) {
  case 0x0806:
    return m | BIT(SIM_F_ARP);
  case 0x0800:
    return m | BIT(SIM_F_IP) |
           classify_ip(frame + SIM_ETH_HLEN, len - SIM_ETH_HLEN);
  default:
    return m;
  }
}
