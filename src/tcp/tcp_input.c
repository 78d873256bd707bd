/*
 * tcp_input.c - TCP segment arrival (RFC 9293 §3.10.7).
 *
 * For now: the header checks every segment must pass (length, data offset,
 * checksum with the pseudo-header); there are no TCP connections yet, so a
 * valid segment finds no socket and is dropped with that reason.
 */
#include "tcp/tcp.h"

#include "base/checksum.h"
#include "base/util.h"
#include "net/stack.h"
#include "net/wire.h"

#define SN_TCP_HLEN 20

void sn_tcp_input(struct sn_stack *st, int ifindex, const struct sn_ip4 *ip) {
  (void)ifindex;
  sn_count(st, SN_CTR_TcpInSegs);
  const uint8_t *p = ip->payload;
  size_t len = ip->payload_len;
  enum sn_drop_reason r = SN_DROP_TCP_NO_SOCKET;
  if (len < SN_TCP_HLEN) {
    r = SN_DROP_TCP_TRUNCATED;
  } else if ((p[12] >> 4) < 5 || (size_t)(p[12] >> 4) * 4 > len) {
    r = SN_DROP_TCP_BAD_OFFSET;
  } else {
    uint32_t sum = sn_csum_pseudo4(ip->src, ip->dst, SN_IPPROTO_TCP,
                                   (uint16_t)len);
    if (sn_csum_fold(sn_csum_partial(p, len, sum)) != 0) {
      r = SN_DROP_TCP_BAD_CHECKSUM;
      sn_count(st, SN_CTR_TcpInCsumErrors);
    }
  }
  if (r != SN_DROP_TCP_NO_SOCKET)
    sn_count(st, SN_CTR_TcpInErrs);
  sn_drop(st, r, "tcp", len);
}

void sn_tcp_icmp_error(struct sn_stack *st, const struct sn_ip4 *quoted,
                       uint8_t type, uint8_t code, uint16_t mtu) {
  (void)st;
  (void)quoted;
  (void)type;
  (void)code;
  (void)mtu;
}
