/*
 * icmp.c - ICMP (RFC 792) as RFC 1122 §3.2.2 asks of a host: answer echo
 * requests, report errors to the transport that sent the quoted datagram,
 * and send destination-unreachable and time-exceeded errors under a
 * stack-wide token-bucket rate limit (icmp_msgs_per_sec, icmp_msgs_burst).
 */
#include "net/icmp.h"

#include <errno.h>
#include <string.h>

#include "base/checksum.h"
#include "base/util.h"
#include "net/ipv4.h"
#include "net/stack.h"
#include "net/udp.h"
#include "net/wire.h"
#include "synack/stack.h"
#include "tcp/tcp.h"

#define TOKEN SN_NSEC_PER_SEC /* one message, in token units */

void sn_icmp_init(struct sn_stack *st) {
  st->icmp.tokens = (uint64_t)st->cfg.icmp_msgs_burst * TOKEN;
  st->icmp.tokens_at = st->now;
  for (unsigned i = 0; i < SN_PING_SLOTS; i++)
    st->icmp.pings[i].rtt = -1;
}

/* Take one message from the bucket; false if it is empty. */
static bool rate_allow(struct sn_stack *st) {
  struct sn_icmp *ic = &st->icmp;
  uint64_t rate = (uint64_t)st->cfg.icmp_msgs_per_sec;
  if (rate == 0)
    return true;
  uint64_t cap = (uint64_t)st->cfg.icmp_msgs_burst * TOKEN;
  uint64_t elapsed = SN_MIN(st->now - ic->tokens_at, 3600 * SN_NSEC_PER_SEC);
  ic->tokens = SN_MIN(cap, ic->tokens + elapsed * rate);
  ic->tokens_at = st->now;
  if (ic->tokens < TOKEN)
    return false;
  ic->tokens -= TOKEN;
  return true;
}

/* Build an ICMP message: 8-byte header then body; checksum filled in. */
static struct sn_pbuf *build(struct sn_stack *st, uint8_t type, uint8_t code,
                             uint32_t word, const uint8_t *body, size_t len,
                             const char *why) {
  struct sn_pbuf *p = sn_stack_alloc(st, SN_ICMP_HLEN + len, why);
  if (!p)
    return NULL;
  uint8_t *m = p->data;
  m[0] = type;
  m[1] = code;
  sn_put16(m + 2, 0);
  sn_put32(m + 4, word);
  memcpy(m + SN_ICMP_HLEN, body, len);
  sn_put16(m + 2, sn_csum_fold(sn_csum_partial(m, p->len, 0)));
  return p;
}

static void send_msg(struct sn_stack *st, uint32_t src, uint32_t dst,
                     struct sn_pbuf *p) {
  struct sn_ip_out o = {.src = src, .dst = dst, .proto = SN_IPPROTO_ICMP};
  sn_count(st, SN_CTR_IcmpOutMsgs);
  sn_ip_output(st, &o, p);
}

void sn_icmp_send_error(struct sn_stack *st, const struct sn_ip4 *orig,
                        uint8_t type, uint8_t code, uint16_t info) {
  /* RFC 1122 §3.2.2: never about an ICMP error, a broadcast or multicast
   * datagram, a non-initial fragment, or a non-unicast source. */
  if (orig->frag_off != 0 || sn_ip_is_multicast(orig->dst) ||
      orig->dst == 0xffffffffu || sn_ip_is_multicast(orig->src) ||
      orig->src == 0xffffffffu || orig->src == 0)
    return;
  for (int i = 0; i < SN_MAX_NETIFS; i++)
    if (st->netifs[i].used && sn_is_broadcast_addr(st, i, orig->dst))
      return;
  if (orig->proto == SN_IPPROTO_ICMP) {
    if (orig->payload_len < 1)
      return;
    uint8_t t = orig->payload[0];
    if (t != SN_ICMP_ECHO && t != SN_ICMP_ECHO_REPLY)
      return;
  }
  if (!rate_allow(st)) {
    sn_count(st, SN_CTR_IcmpOutRateLimitGlobal);
    sn_drop(st, SN_DROP_ICMP_RATELIMIT, "icmp", orig->total_len);
    return;
  }
  /* Quote the IP header and the first 64 bits of data (RFC 792). */
  uint8_t quote[60 + 8];
  size_t qlen = orig->ihl + SN_MIN(orig->payload_len, (size_t)8);
  memcpy(quote, orig->hdr, orig->ihl);
  memcpy(quote + orig->ihl, orig->payload, qlen - orig->ihl);
  const char *why = type == SN_ICMP_TIME_EXCEEDED
                        ? "ICMP time exceeded: reassembly timed out"
                    : code == SN_ICMP_UNREACH_PORT
                        ? "ICMP port unreachable: no socket on that port"
                    : code == SN_ICMP_UNREACH_PROTO
                        ? "ICMP protocol unreachable: protocol not handled"
                        : "ICMP destination unreachable";
  struct sn_pbuf *p = build(st, type, code, info, quote, qlen, why);
  if (!p)
    return;
  if (type == SN_ICMP_DEST_UNREACH)
    sn_count(st, SN_CTR_IcmpOutDestUnreachs);
  SN_TRACE(st, icmp, "tx-error", SN_TF_IP("dst", orig->src),
           SN_TF_U("type", type), SN_TF_U("code", code));
  send_msg(st, orig->dst, orig->src, p);
}

static void echo_reply(struct sn_stack *st, int ifindex,
                       const struct sn_ip4 *ip, const struct sn_icmp_msg *m) {
  if (st->cfg.icmp_echo_ignore_all)
    return;
  /* Answer from the address asked, or the interface's for a broadcast. */
  uint32_t src = sn_is_local_addr(st, ip->dst)
                     ? ip->dst
                     : sn_netif_primary_addr(st, ifindex);
  struct sn_pbuf *p =
      build(st, SN_ICMP_ECHO_REPLY, 0, (uint32_t)m->id << 16 | m->seq, m->body,
            m->body_len, "ICMP echo reply: answering a ping");
  if (!p)
    return;
  sn_count(st, SN_CTR_IcmpOutEchoReps);
  SN_TRACE(st, icmp, "tx-echo-reply", SN_TF_IP("dst", ip->src),
           SN_TF_U("id", m->id), SN_TF_U("seq", m->seq));
  send_msg(st, src, ip->src, p);
}

static void echo_reply_in(struct sn_stack *st, const struct sn_ip4 *ip,
                          const struct sn_icmp_msg *m) {
  struct sn_icmp *ic = &st->icmp;
  for (unsigned i = 0; i < SN_PING_SLOTS; i++)
    if (ic->pings[i].id == m->id && ic->pings[i].seq == m->seq &&
        ic->pings[i].rtt < 0 && ic->pings[i].used) {
      ic->pings[i].rtt = (int64_t)(st->now - ic->pings[i].sent_at);
      SN_TRACE(st, icmp, "echo-reply", SN_TF_IP("from", ip->src),
               SN_TF_U("id", m->id), SN_TF_U("seq", m->seq),
               SN_TF_T("rtt", ic->pings[i].rtt), SN_TF_U("ttl", ip->ttl));
      return;
    }
  SN_TRACE(st, icmp, "echo-reply", SN_TF_IP("from", ip->src),
           SN_TF_U("id", m->id), SN_TF_U("seq", m->seq),
           SN_TF_S("note", "unsolicited"));
}

/* An error quoting one of our datagrams: tell its transport. */
static void error_in(struct sn_stack *st, const struct sn_icmp_msg *m) {
  struct sn_ip4 q;
  /* The quote is a header plus 8 bytes; its total length and checksum may
   * have been altered on the way, so read the fields directly. */
  if (m->body_len < SN_IP_HLEN || (m->body[0] >> 4) != 4)
    return;
  size_t ihl = (size_t)(m->body[0] & 15) * 4;
  if (ihl < SN_IP_HLEN || m->body_len < ihl + 8)
    return;
  memset(&q, 0, sizeof q);
  q.ihl = (uint8_t)ihl;
  q.proto = m->body[9];
  q.src = sn_get32(m->body + 12);
  q.dst = sn_get32(m->body + 16);
  q.hdr = m->body;
  q.payload = m->body + ihl;
  q.payload_len = 8;
  if (!sn_is_local_addr(st, q.src))
    return;
  /* The transports check that the error is about something they sent
   * before they believe it (and learn a path MTU from it, RFC 1191). */
  if (q.proto == SN_IPPROTO_UDP)
    sn_udp_icmp_error(st, &q, m->type, m->code, m->mtu);
  else if (q.proto == SN_IPPROTO_TCP)
    sn_tcp_icmp_error(st, &q, m->type, m->code, m->mtu);
}

void sn_icmp_input(struct sn_stack *st, int ifindex, const struct sn_ip4 *ip) {
  struct sn_icmp_msg m;
  sn_count(st, SN_CTR_IcmpInMsgs);
  enum sn_drop_reason r = sn_icmp_parse(ip->payload, ip->payload_len, &m);
  if (r != SN_DROP_NONE) {
    sn_count(st, SN_CTR_IcmpInErrors);
    if (r == SN_DROP_ICMP_BAD_CHECKSUM)
      sn_count(st, SN_CTR_IcmpInCsumErrors);
    sn_drop(st, r, "icmp", ip->payload_len);
    return;
  }
  switch (m.type) {
  case SN_ICMP_ECHO:
    sn_count(st, SN_CTR_IcmpInEchos);
    SN_TRACE(st, icmp, "rx-echo", SN_TF_IP("from", ip->src),
             SN_TF_U("id", m.id), SN_TF_U("seq", m.seq));
    echo_reply(st, ifindex, ip, &m);
    break;
  case SN_ICMP_ECHO_REPLY:
    sn_count(st, SN_CTR_IcmpInEchoReps);
    echo_reply_in(st, ip, &m);
    break;
  case SN_ICMP_DEST_UNREACH:
    sn_count(st, SN_CTR_IcmpInDestUnreachs);
    SN_TRACE(st, icmp, "rx-unreachable", SN_TF_IP("from", ip->src),
             SN_TF_U("code", m.code));
    error_in(st, &m);
    break;
  case SN_ICMP_TIME_EXCEEDED:
    SN_TRACE(st, icmp, "rx-time-exceeded", SN_TF_IP("from", ip->src),
             SN_TF_U("code", m.code));
    error_in(st, &m);
    break;
  default:
    sn_drop(st, SN_DROP_ICMP_IGNORED, "icmp", ip->payload_len);
  }
}

int sn_stack_ping(struct sn_stack *st, uint32_t dst, uint16_t id,
                  uint16_t seq, size_t payload_len) {
  if (payload_len > SN_IP_MAXLEN - SN_IP_HLEN - SN_ICMP_HLEN)
    return -EMSGSIZE;
  struct sn_route_result rt;
  if (sn_route_lookup(st, dst, &rt) != 0)
    return -ENETUNREACH;
  uint8_t pattern[256];
  for (unsigned i = 0; i < sizeof pattern; i++)
    pattern[i] = (uint8_t)i;
  struct sn_pbuf *p = sn_stack_alloc(st, SN_ICMP_HLEN + payload_len,
                                     "ICMP echo request: ping");
  if (!p)
    return -ENOBUFS;
  uint8_t *m = p->data;
  m[0] = SN_ICMP_ECHO;
  m[1] = 0;
  sn_put16(m + 2, 0);
  sn_put16(m + 4, id);
  sn_put16(m + 6, seq);
  for (size_t off = 0; off < payload_len; off += sizeof pattern)
    memcpy(m + 8 + off, pattern, SN_MIN(sizeof pattern, payload_len - off));
  sn_put16(m + 2, sn_csum_fold(sn_csum_partial(m, p->len, 0)));
  struct sn_icmp *ic = &st->icmp;
  unsigned slot = ic->ping_next++ % SN_PING_SLOTS;
  ic->pings[slot].id = id;
  ic->pings[slot].seq = seq;
  ic->pings[slot].used = true;
  ic->pings[slot].sent_at = st->now;
  ic->pings[slot].rtt = -1;
  sn_count(st, SN_CTR_IcmpOutEchos);
  SN_TRACE(st, icmp, "tx-echo", SN_TF_IP("dst", dst), SN_TF_U("id", id),
           SN_TF_U("seq", seq), SN_TF_U("len", payload_len));
  struct sn_ip_out o = {.dst = dst, .proto = SN_IPPROTO_ICMP};
  sn_count(st, SN_CTR_IcmpOutMsgs);
  return sn_ip_output(st, &o, p);
}

int64_t sn_stack_ping_result(const struct sn_stack *st, uint16_t id,
                             uint16_t seq) {
  for (unsigned i = 0; i < SN_PING_SLOTS; i++)
    if (st->icmp.pings[i].id == id && st->icmp.pings[i].seq == seq &&
        st->icmp.pings[i].rtt >= 0)
      return st->icmp.pings[i].rtt;
  return -ENOENT;
}
