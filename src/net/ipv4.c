/*
 * ipv4.c - IPv4 (RFC 791) for a host (RFC 1122 §3.2.1): validate and
 * deliver on input, route, fragment and send on output, and loop packets
 * for our own addresses back through a queue run by sn_stack_poll().
 * This host does not forward.
 */
#include "net/ipv4.h"

#include <errno.h>
#include <string.h>

#include "base/checksum.h"
#include "base/util.h"
#include "net/arp.h"
#include "net/icmp.h"
#include "net/ip_reass.h"
#include "net/stack.h"
#include "net/udp.h"
#include "net/wire.h"
#include "tcp/tcp.h"

/* Hand a complete datagram to its protocol (RFC 1122 §3.2.1.x). */
static void deliver(struct sn_stack *st, int ifindex, const struct sn_ip4 *ip) {
  switch (ip->proto) {
  case SN_IPPROTO_ICMP:
    sn_count(st, SN_CTR_IpInDelivers);
    sn_icmp_input(st, ifindex, ip);
    break;
  case SN_IPPROTO_UDP:
    sn_count(st, SN_CTR_IpInDelivers);
    sn_udp_input(st, ifindex, ip);
    break;
  case SN_IPPROTO_TCP:
    sn_count(st, SN_CTR_IpInDelivers);
    sn_tcp_input(st, ifindex, ip);
    break;
  default:
    sn_count(st, SN_CTR_IpInUnknownProtos);
    sn_drop(st, SN_DROP_IP_UNKNOWN_PROTO, "ip", ip->total_len);
    sn_icmp_send_error(st, ip, SN_ICMP_DEST_UNREACH, SN_ICMP_UNREACH_PROTO, 0);
  }
}

static bool bad_source(uint32_t src) {
  return src == 0xffffffffu || sn_ip_is_multicast(src) || (src >> 24) == 0;
}

void sn_ip_input(struct sn_stack *st, int ifindex, const uint8_t *pkt,
                 size_t len) {
  struct sn_ip4 ip;
  sn_count(st, SN_CTR_IpInReceives);
  enum sn_drop_reason r = sn_ip4_parse_hdr(pkt, len, &ip);
  if (r != SN_DROP_NONE) {
    sn_count(st, SN_CTR_IpInHdrErrors);
    if (r == SN_DROP_IP_BAD_CHECKSUM)
      sn_count(st, SN_CTR_IpExtInCsumErrors);
    sn_drop(st, r, "ip", len);
    return;
  }
  if (bad_source(ip.src)) {
    sn_count(st, SN_CTR_IpInAddrErrors);
    sn_drop(st, SN_DROP_IP_BAD_SRC, "ip", len);
    return;
  }
  bool to_us = sn_is_local_addr(st, ip.dst) ||
               sn_is_broadcast_addr(st, ifindex, ip.dst);
  if (!to_us || (ifindex != SN_LOOPBACK_IFINDEX && sn_ip_is_loopback(ip.dst))) {
    sn_count(st, SN_CTR_IpInAddrErrors);
    sn_drop(st, SN_DROP_IP_NOT_FOR_US, "ip", len);
    return;
  }
  if (ip.mf || ip.frag_off) {
    struct sn_ip4 whole;
    struct sn_pbuf *buf = sn_reass_input(st, ifindex, &ip, &whole);
    if (buf) {
      deliver(st, ifindex, &whole);
      sn_pbuf_free(&st->pool, buf);
    }
    return;
  }
  deliver(st, ifindex, &ip);
}

/* Output ---------------------------------------------------------------- */

static void write_header(uint8_t *h, const struct sn_ip_out *o, uint32_t src,
                         uint16_t total, uint16_t id, uint16_t frag, uint8_t ttl) {
  h[0] = 0x45;
  h[1] = o->tos;
  sn_put16(h + 2, total);
  sn_put16(h + 4, id);
  sn_put16(h + 6, frag);
  h[8] = ttl;
  h[9] = o->proto;
  sn_put16(h + 10, 0);
  sn_put32(h + 12, src);
  sn_put32(h + 16, o->dst);
  sn_put16(h + 10, sn_csum_fold(sn_csum_partial(h, SN_IP_HLEN, 0)));
}

static void loopback_enqueue(struct sn_stack *st, struct sn_pbuf *p) {
  sn_count(st, SN_CTR_SnLoopbackPackets);
  p->next = NULL;
  if (st->loop_tail)
    st->loop_tail->next = p;
  else
    st->loop_head = p;
  st->loop_tail = p;
}

void sn_ip_loopback_run(struct sn_stack *st) {
  struct sn_pbuf *p = st->loop_head;
  st->loop_head = st->loop_tail = NULL; /* packets looped meanwhile wait */
  while (p) {
    struct sn_pbuf *next = p->next;
    sn_ip_input(st, SN_LOOPBACK_IFINDEX, p->data, p->len);
    sn_pbuf_free(&st->pool, p);
    p = next;
  }
}

/* Send one finished IP packet towards next hop. */
static void emit(struct sn_stack *st, const struct sn_route_result *rt,
                 struct sn_pbuf *p) {
  if (rt->ifindex == SN_LOOPBACK_IFINDEX)
    loopback_enqueue(st, p);
  else
    sn_arp_output(st, rt->ifindex, rt->nexthop, p);
}

/* RFC 791 §3.2 "Fragmentation": cut the payload at multiples of 8 bytes,
 * each piece with a copy of the header, MF on all but the last. */
static int fragment(struct sn_stack *st, const struct sn_ip_out *o,
                    const struct sn_route_result *rt, uint32_t src,
                    uint8_t ttl, struct sn_pbuf *p) {
  uint16_t id = st->ip_id++;
  size_t chunk = ((rt->mtu - SN_IP_HLEN) / 8) * 8;
  size_t total = p->len, off = 0;
  unsigned made = 0;
  while (off < total) {
    size_t n = SN_MIN(chunk, total - off);
    bool more = off + n < total;
    struct sn_pbuf *f = sn_stack_alloc(st, n, more ? "IP fragment (more follow)"
                                                   : "IP fragment (last)");
    if (!f) {
      sn_count(st, SN_CTR_IpOutDiscards);
      sn_pbuf_free(&st->pool, p);
      return -ENOBUFS;
    }
    memcpy(f->data, p->data + off, n);
    uint8_t *h = sn_pbuf_push(f, SN_IP_HLEN);
    write_header(h, o, src, (uint16_t)(n + SN_IP_HLEN), id,
                 (uint16_t)((more ? 0x2000 : 0) | (off / 8)), ttl);
    sn_count(st, SN_CTR_IpFragCreates);
    made++;
    emit(st, rt, f);
    off += n;
  }
  SN_TRACE(st, ip, "fragment", SN_TF_IP("dst", o->dst), SN_TF_U("id", id),
           SN_TF_U("len", total), SN_TF_U("fragments", made),
           SN_TF_U("mtu", rt->mtu));
  sn_count(st, SN_CTR_IpFragOKs);
  sn_pbuf_free(&st->pool, p);
  return 0;
}

int sn_ip_output(struct sn_stack *st, const struct sn_ip_out *o,
                 struct sn_pbuf *p) {
  struct sn_route_result rt;
  sn_count(st, SN_CTR_IpOutRequests);
  if (sn_route_lookup(st, o->dst, &rt) != 0) {
    sn_count(st, SN_CTR_IpOutNoRoutes);
    sn_drop(st, SN_DROP_IP_NO_ROUTE, "ip", p->len);
    sn_pbuf_free(&st->pool, p);
    return -ENETUNREACH;
  }
  uint32_t src = o->src ? o->src : rt.src;
  uint8_t ttl = o->ttl ? o->ttl : (uint8_t)st->cfg.ip_default_ttl;
  if (p->len + SN_IP_HLEN > SN_IP_MAXLEN) {
    sn_pbuf_free(&st->pool, p);
    return -EMSGSIZE;
  }
  if (p->len + SN_IP_HLEN > rt.mtu) {
    if (o->df) {
      sn_count(st, SN_CTR_IpFragFails);
      sn_drop(st, SN_DROP_IP_FRAG_NEEDED, "ip", p->len);
      sn_pbuf_free(&st->pool, p);
      return -EMSGSIZE;
    }
    return fragment(st, o, &rt, src, ttl, p);
  }
  uint8_t *h = sn_pbuf_push(p, SN_IP_HLEN);
  write_header(h, o, src, (uint16_t)p->len, st->ip_id++, o->df ? 0x4000 : 0,
               ttl);
  emit(st, &rt, p);
  return 0;
}
