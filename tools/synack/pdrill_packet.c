/*
 * pdrill_packet.c - inbound packets (GRAMMAR §4, §5): turn a `<` line into
 * a frame from the peer and hand it to the stack at the event's time.
 * Sequence numbers, acks, SACK edges and TS ecr values are mapped from
 * the script's relative numbers into live ones; the payload is zeros; a
 * segment longer than --mss goes in as one large segment, as Linux's GRO
 * would deliver it. ICMP "fragmentation needed" messages quote the
 * stack's own segment with its live sequence number.
 */
#include <stdlib.h>
#include <string.h>

#include "base/checksum.h"
#include "base/util.h"
#include "pdrill.h"

#define TCP_HLEN 20

size_t pd_opts_encode(const struct pd_packet *pk, uint8_t *p,
                      uint32_t (*map)(const struct pd_conn *, uint32_t),
                      const struct pd_conn *c) {
  size_t n = 0;
  for (int k = 0; k < pk->nopts && n < 40; k++) {
    const struct pd_tcpopt *o = &pk->opts[k];
    switch (o->kind) {
    case PD_OPT_EOL: p[n++] = 0; break;
    case PD_OPT_NOP: p[n++] = 1; break;
    case PD_OPT_MSS:
      p[n] = 2, p[n + 1] = 4;
      sn_put16(p + n + 2, (uint16_t)o->a);
      n += 4;
      break;
    case PD_OPT_WSCALE:
      p[n] = 3, p[n + 1] = 3, p[n + 2] = (uint8_t)o->a;
      n += 3;
      break;
    case PD_OPT_SACKOK: p[n] = 4, p[n + 1] = 2; n += 2; break;
    case PD_OPT_SACK:
      p[n] = 5, p[n + 1] = (uint8_t)(2 + 8 * o->nsack);
      for (int b = 0; b < o->nsack; b++) {
        sn_put32(p + n + 2 + 8 * b, map ? map(c, o->sack[b][0]) : o->sack[b][0]);
        sn_put32(p + n + 6 + 8 * b, map ? map(c, o->sack[b][1]) : o->sack[b][1]);
      }
      n += 2 + 8u * o->nsack;
      break;
    case PD_OPT_TS:
      p[n] = 8, p[n + 1] = 10;
      sn_put32(p + n + 2, o->a);
      sn_put32(p + n + 6, o->b);
      n += 10;
      break;
    case PD_OPT_OTHER: break;
    }
  }
  return n;
}

/* The stack's sequence space for SACK edges the peer reports. */
static uint32_t map_local(const struct pd_conn *c, uint32_t script) {
  return pd_lseq_live(c, script, false);
}

static uint8_t tos_byte(const struct pd_packet *pk) {
  uint8_t tos = pk->tos >= 0 ? (uint8_t)pk->tos : 0;
  if (pk->ecn != PD_ECN_ANY)
    tos = (uint8_t)((tos & ~3) | (pk->ecn == PD_ECN_ECT01 ? PD_ECN_ECT0 : pk->ecn));
  return tos;
}

/* The connection an inbound segment belongs to: a SYN on a listener makes
 * a child. NULL (with the failure recorded) if it cannot be addressed. */
static struct pd_conn *inbound_conn(struct pd_run *run, const struct pd_packet *pk) {
  struct pd_conn *c = pd_conn_cur(&run->conns);
  if ((pk->flags & PD_F_SYN) && !(pk->flags & PD_F_ACK) && c->kind == PD_CONN_LISTEN) {
    c = pd_conn_child(&run->conns);
    if (!c)
      pd_fail(run, pd_now_us(run), "too many connections in one script (at most %d)",
              PD_MAX_CONNS);
    return c;
  }
  if (!c->lport_known) {
    pd_fail(run, pd_now_us(run), "cannot address an inbound packet: the stack's port "
            "is not known yet (no SYN from it has been seen)");
    return NULL;
  }
  return c;
}

/* Options with the TS ecr mapped to the live TSval it refers to. */
static int map_ts_ecr(struct pd_run *run, const struct pd_conn *c,
                      struct pd_packet *pk) {
  if (!(pk->flags & PD_F_ACK))
    return 0;
  for (int k = 0; k < pk->nopts; k++) {
    struct pd_tcpopt *o = &pk->opts[k];
    if (o->kind != PD_OPT_TS)
      continue;
    uint32_t live;
    if (!pd_ts_live(c, o->b, run->cfg->ts_ecr_scaled, &live)) {
      pd_fail(run, pd_now_us(run), "error handling packet: unable to infer live TS ecr "
              "for script value %u: no earlier outbound packet carried TS val %u",
              o->b, o->b);
      return -1;
    }
    o->b = live;
  }
  return 0;
}

static int inbound_tcp(struct pd_run *run, const struct pd_event *ev) {
  struct pd_packet pk = ev->pkt;
  struct pd_conn *c = inbound_conn(run, &pk);
  if (!c)
    return -1;
  /* As upstream: the SYN that opens the connection (or the SYN-ACK that
   * answers ours) gives the peer's ISN; a later SYN, as an RFC 5961 test
   * sends, does not change it. */
  if ((pk.flags & PD_F_SYN) && !c->riss_known) {
    c->riss = pk.seq;
    c->riss_known = true;
  }
  if (map_ts_ecr(run, c, &pk))
    return -1;
  size_t seglen = TCP_HLEN + 40 + pk.len;
  uint8_t *seg = calloc(1, seglen), *frame = malloc(seglen + 64);
  if (!seg || !frame) {
    free(seg);
    free(frame);
    pd_fail(run, pd_now_us(run), "out of memory");
    return -1;
  }
  size_t olen = pd_opts_encode(&pk, seg + TCP_HLEN, map_local, c);
  size_t hlen = TCP_HLEN + olen;
  sn_put16(seg, pk.has_ports ? pk.sport : c->rport);
  sn_put16(seg + 2, pk.has_ports ? pk.dport : c->lport);
  sn_put32(seg + 4, (pk.flags & PD_F_SYN) ? pk.seq : pd_rseq_live(c, pk.seq));
  sn_put32(seg + 8, pk.has_ack ? pd_lseq_live(c, pk.ack, false) : 0);
  seg[12] = (uint8_t)((hlen / 4) << 4);
  seg[13] = pk.flags;
  sn_put16(seg + 14, (uint16_t)pk.win);
  sn_put16(seg + 18, (uint16_t)pk.urg);
  memset(seg + hlen, 0, pk.len);
  uint32_t sum = sn_csum_pseudo4(run->net.remote_ip, run->net.local_ip, 6,
                                 (uint16_t)(hlen + pk.len));
  sn_put16(seg + 16, sn_csum_fold(sn_csum_partial(seg, hlen + pk.len, sum)));
  size_t n = pd_net_ip_frame(&run->net, frame, 6, tos_byte(&pk),
                             pk.ttl >= 0 ? (uint8_t)pk.ttl : 64, seg, hlen + pk.len);
  char comment[600];
  snprintf(comment, sizeof comment, "in: line %d: %s", ev->line, ev->src);
  pd_net_input(&run->net, frame, n, comment);
  free(seg);
  free(frame);
  return 0;
}

static int icmp_unreach_code(const char *name) {
  static const char *const codes[] = {"net_unreachable", "host_unreachable",
                                      "protocol_unreachable", "port_unreachable",
                                      "frag_needed", "source_route_failed",
                                      "net_unknown", "host_unknown"};
  for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++)
    if (!strcmp(name, codes[k]))
      return (int)k;
  return -1;
}

static int inbound_icmp(struct pd_run *run, const struct pd_event *ev) {
  const struct pd_packet *pk = &ev->pkt;
  struct pd_conn *c = pd_conn_cur(&run->conns);
  uint8_t msg[8 + 20 + 8] = {0};
  msg[0] = 3;
  msg[1] = (uint8_t)icmp_unreach_code(pk->icmp_code);
  if (msg[1] == 4)
    sn_put16(msg + 6, (uint16_t)pk->mtu);
  uint8_t *ip = msg + 8;
  ip[0] = 0x45;
  sn_put16(ip + 2, (uint16_t)(20 + TCP_HLEN + pk->qlen));
  sn_put16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = 6;
  sn_put32(ip + 12, run->net.local_ip);
  sn_put32(ip + 16, run->net.remote_ip);
  sn_put16(ip + 10, sn_csum_fold(sn_csum_partial(ip, 20, 0)));
  uint8_t *tcp = ip + 20;
  sn_put16(tcp, c->lport);
  sn_put16(tcp + 2, c->rport);
  sn_put32(tcp + 4, pd_lseq_live(c, pk->has_quote ? pk->qseq : 0, false));
  sn_put16(msg + 2, sn_csum_fold(sn_csum_partial(msg, sizeof msg, 0)));
  uint8_t frame[128];
  size_t n = pd_net_ip_frame(&run->net, frame, 1, 0, 64, msg, sizeof msg);
  char comment[600];
  snprintf(comment, sizeof comment, "in: line %d: %s", ev->line, ev->src);
  pd_net_input(&run->net, frame, n, comment);
  return 0;
}

int pd_inbound(struct pd_run *run, const struct pd_event *ev) {
  if (ev->pkt.proto == PD_PROTO_ICMP)
    return inbound_icmp(run, ev);
  return inbound_tcp(run, ev);
}
