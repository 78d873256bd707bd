/*
 * udp.c - UDP (RFC 768): checksum with the IPv4 pseudo-header (zero means
 * "none" on input; a computed zero is sent as 0xffff), demultiplexing to
 * the best-matching socket, ICMP port unreachable for datagrams nobody
 * wants, and ICMP errors passed to connected sockets (as Linux does).
 */
#include "net/udp.h"

#include <errno.h>
#include <string.h>

#include "api/sock.h"
#include "base/checksum.h"
#include "base/util.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/stack.h"
#include "net/wire.h"

#define SN_UDP_MAX_PAYLOAD (SN_IP_MAXLEN - SN_IP_HLEN - SN_UDP_HLEN)

/* The socket that should receive a datagram (src:sport -> dst:dport): a
 * connected socket matching the peer beats a socket bound to dst, which
 * beats a wildcard-bound one. */
static struct sn_sock *lookup(struct sn_stack *st, uint32_t src, uint16_t sport,
                              uint32_t dst, uint16_t dport) {
  struct sn_sock *best = NULL;
  int best_score = -1;
  for (struct sn_sock *s = sn_ports_first(&st->udp_ports, dport); s;
       s = s->port_next) {
    if (s->lport != dport)
      continue;
    int score = 0;
    if (s->laddr) {
      if (s->laddr != dst)
        continue;
      score += 1;
    }
    if (s->connected) {
      if (s->raddr != src || s->rport != sport)
        continue;
      score += 2;
    }
    if (score > best_score) {
      best = s;
      best_score = score;
    }
  }
  return best;
}

void sn_udp_input(struct sn_stack *st, int ifindex, const struct sn_ip4 *ip) {
  struct sn_udp_dgram u;
  enum sn_drop_reason r =
      sn_udp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, &u);
  if (r != SN_DROP_NONE) {
    sn_count(st, SN_CTR_UdpInErrors);
    if (r == SN_DROP_UDP_BAD_CHECKSUM)
      sn_count(st, SN_CTR_UdpInCsumErrors);
    sn_drop(st, r, "udp", ip->payload_len);
    return;
  }
  struct sn_sock *s = lookup(st, ip->src, u.sport, ip->dst, u.dport);
  if (!s) {
    sn_count(st, SN_CTR_UdpNoPorts);
    sn_drop(st, SN_DROP_UDP_NO_PORT, "udp", u.len);
    SN_TRACE(st, udp, "no-port", SN_TF_IP("src", ip->src),
             SN_TF_U("sport", u.sport), SN_TF_U("dport", u.dport));
    if (!sn_is_broadcast_addr(st, ifindex, ip->dst))
      sn_icmp_send_error(st, ip, SN_ICMP_DEST_UNREACH, SN_ICMP_UNREACH_PORT,
                         0);
    return;
  }
  struct sn_pbuf *p = sn_pbuf_alloc(&st->pool, 0, u.payload_len);
  uint32_t charge = p ? p->cap + (uint32_t)sizeof *p : 0;
  if (!p || s->rxq_bytes >= s->rcvbuf) {
    sn_count(st, SN_CTR_UdpRcvbufErrors);
    sn_count(st, SN_CTR_UdpInErrors);
    sn_drop(st, p ? SN_DROP_UDP_RCVBUF_FULL : SN_DROP_NO_BUFFER, "udp", u.len);
    sn_pbuf_free(&st->pool, p);
    return;
  }
  memcpy(p->data, u.payload, u.payload_len);
  p->meta = (uint64_t)ip->src << 16 | u.sport;
  p->next = NULL;
  if (s->rxq_tail)
    s->rxq_tail->next = p;
  else
    s->rxq_head = p;
  s->rxq_tail = p;
  s->rxq_bytes += charge;
  sn_count(st, SN_CTR_UdpInDatagrams);
  SN_TRACE(st, udp, "rx", SN_TF_I("sd", s->sd), SN_TF_IP("src", ip->src),
           SN_TF_U("sport", u.sport), SN_TF_U("dport", u.dport),
           SN_TF_U("len", u.payload_len));
  sn_sock_wake(s);
}

/* RFC 1122 §4.1.3.3: pass ICMP errors up; Linux reports them only on
 * connected sockets, as errors of the next call. */
void sn_udp_icmp_error(struct sn_stack *st, const struct sn_ip4 *q,
                       uint8_t type, uint8_t code, uint16_t mtu) {
  uint16_t sport = sn_get16(q->payload), dport = sn_get16(q->payload + 2);
  struct sn_sock *s = NULL, *bound = NULL;
  for (struct sn_sock *c = sn_ports_first(&st->udp_ports, sport); c;
       c = c->port_next) {
    if (c->lport != sport || (c->laddr && c->laddr != q->src))
      continue;
    bound = c;
    if (c->connected && c->raddr == q->dst && c->rport == dport)
      s = c;
  }
  if (type != SN_ICMP_DEST_UNREACH || !bound)
    return;
  if (code == SN_ICMP_UNREACH_FRAG) {
    sn_pmtu_update(st, q->dst, mtu); /* RFC 1191 */
    return;
  }
  if (!s)
    return;
  int err = code == SN_ICMP_UNREACH_PORT    ? ECONNREFUSED
            : code == SN_ICMP_UNREACH_PROTO ? ENOPROTOOPT
            : code == SN_ICMP_UNREACH_NET   ? ENETUNREACH
                                            : EHOSTUNREACH;
  SN_TRACE(st, udp, "error", SN_TF_I("sd", s->sd), SN_TF_I("errno", err));
  sn_sock_set_error(s, err);
}

long sn_udp_output(struct sn_stack *st, struct sn_sock *s, uint32_t dst,
                   uint16_t dport, const void *buf, size_t len) {
  if (len > SN_UDP_MAX_PAYLOAD)
    return -EMSGSIZE;
  uint32_t src = s->laddr;
  if (!src) {
    struct sn_route_result rt;
    if (sn_route_lookup(st, dst, &rt) != 0)
      return -ENETUNREACH;
    src = rt.src;
  }
  struct sn_pbuf *p =
      sn_stack_alloc(st, SN_UDP_HLEN + len, "UDP datagram: application send");
  if (!p) {
    sn_count(st, SN_CTR_UdpSndbufErrors);
    return -ENOBUFS;
  }
  uint8_t *h = p->data;
  uint16_t ulen = (uint16_t)(SN_UDP_HLEN + len);
  sn_put16(h, s->lport);
  sn_put16(h + 2, dport);
  sn_put16(h + 4, ulen);
  sn_put16(h + 6, 0);
  uint32_t sum = sn_csum_pseudo4(src, dst, SN_IPPROTO_UDP, ulen);
  sum = sn_csum_partial(h, SN_UDP_HLEN, sum);
  sum = sn_csum_copy(h + SN_UDP_HLEN, buf, len, sum);
  if (!s->no_check) {
    uint16_t c = sn_csum_fold(sum);
    sn_put16(h + 6, c ? c : 0xffff);
  }
  struct sn_ip_out o = {.src = src, .dst = dst, .proto = SN_IPPROTO_UDP};
  SN_TRACE(st, udp, "tx", SN_TF_I("sd", s->sd), SN_TF_IP("dst", dst),
           SN_TF_U("sport", s->lport), SN_TF_U("dport", dport),
           SN_TF_U("len", len));
  int err = sn_ip_output(st, &o, p);
  if (err)
    return err;
  sn_count(st, SN_CTR_UdpOutDatagrams);
  return (long)len;
}
