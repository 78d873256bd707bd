/*
 * tcplib.c - see tcplib.h.
 */
#include "tcplib.h"

#include <string.h>

#include "base/checksum.h"
#include "base/util.h"

static const uint8_t stack_mac[6] = {2, 0, 0, 0, 0, 1};

void tt_init(struct tt *t, const struct sn_config *cfg) {
  memset(t, 0, sizeof *t);
  t->st = sn_stack_new("S", cfg, 7);
  assert_non_null(t->st);
  struct sn_netif_params p = {.name = "eth0", .mtu = 1500, .link = tl_link(&t->link)};
  memcpy(p.mac, stack_mac, 6);
  t->ifi = sn_netif_add(t->st, &p);
  assert_true(t->ifi > 0);
  t->ip = tl_ip("198.18.0.1");
  t->peer_ip = tl_ip("198.18.0.2");
  assert_int_equal(sn_netif_add_addr(t->st, t->ifi, t->ip, 24), 0);
  tl_learn_peer(t->st, t->ifi, &t->link, "198.18.0.2", "198.18.0.1", 0);
  sn_stack_set_trace(t->st, tl_trace_sink, &t->trace, SN_TRACE_ALL);
}

void tt_free(struct tt *t) {
  sn_stack_free(t->st);
  tl_link_clear(&t->link);
  tl_trace_clear(&t->trace);
}

void tt_advance(struct tt *t, uint64_t to) {
  assert_true(to >= t->now);
  for (;;) {
    uint64_t d = sn_stack_next_deadline(t->st);
    if (d == SN_TIME_NEVER || d > to)
      break;
    if (d < t->now)
      d = t->now;
    t->now = d;
    sn_stack_poll(t->st, d);
    if (sn_stack_next_deadline(t->st) == d && d == to)
      break;
  }
  t->now = to;
  sn_stack_poll(t->st, to);
}

bool tt_next(struct tt *t, struct tt_seg *out) {
  while (t->next_frame < t->link.n) {
    const struct tl_frame *f = &t->link.frames[t->next_frame++];
    if (f->len < 34 + 20 || sn_get16(f->data + 12) != 0x0800 ||
        f->data[14 + 9] != 6)
      continue;
    assert_true(f->len <= sizeof out->raw);
    memcpy(out->raw, f->data, f->len);
    const uint8_t *ip = out->raw + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    size_t tot = sn_get16(ip + 2);
    assert_int_equal(sn_tcp_parse(ip + ihl, tot - ihl, sn_get32(ip + 12),
                                  sn_get32(ip + 16), &out->s),
                     SN_DROP_NONE);
    out->time = f->time;
    return true;
  }
  return false;
}

struct tt_seg tt_expect(struct tt *t) {
  struct tt_seg s;
  if (!tt_next(t, &s))
    fail_msg("expected a segment from the stack at %.6f s, none was sent",
             (double)t->now / 1e9);
  return s;
}

void tt_expect_none(struct tt *t) {
  struct tt_seg s;
  if (tt_next(t, &s)) {
    char fl[12];
    fail_msg("unexpected segment %s seq %u ack %u len %u at %.6f s",
             sn_tcp_flags_str(s.s.flags, fl), s.s.seq, s.s.ack, s.s.len,
             (double)s.time / 1e9);
  }
}

void tt_inject(struct tt *t, const struct tt_out *o) {
  uint8_t seg[1600];
  size_t olen = sn_tcp_write_options(seg + 20, &o->opt);
  size_t hlen = 20 + olen;
  assert_true(hlen + o->len <= sizeof seg);
  sn_put16(seg, o->sport);
  sn_put16(seg + 2, o->dport);
  sn_put32(seg + 4, o->seq);
  sn_put32(seg + 8, o->ack);
  seg[12] = (uint8_t)((hlen / 4) << 4);
  seg[13] = o->flags;
  sn_put16(seg + 14, o->win);
  sn_put32(seg + 16, 0);
  if (o->len)
    memcpy(seg + hlen, o->data, o->len);
  uint32_t sum = sn_csum_pseudo4(t->peer_ip, t->ip, 6, (uint16_t)(hlen + o->len));
  sn_put16(seg + 16, sn_csum_fold(sn_csum_partial(seg, hlen + o->len, sum)));
  uint8_t fr[1700];
  size_t n = tl_ip4(fr, stack_mac, tl_peer_mac, t->peer_ip, t->ip, 6, 1, 0x4000,
                    seg, hlen + o->len);
  if (o->tos) {
    fr[14 + 1] = o->tos;
    sn_put16(fr + 14 + 10, 0);
    sn_put16(fr + 14 + 10, sn_csum_fold(sn_csum_partial(fr + 14, 20, 0)));
  }
  assert_int_equal(sn_stack_input(t->st, t->ifi, fr, n, t->now), 0);
}

struct sn_tcp_optspec tt_syn_opts(uint32_t tsval) {
  struct sn_tcp_optspec o = {.syn = true, .mss = true, .mss_val = 1460,
                             .sack_ok = true, .ts = true, .tsval = tsval,
                             .ws = true, .ws_val = 7};
  return o;
}

int tt_listen(struct tt *t, uint16_t port, int backlog) {
  int sd = sn_socket(t->st, SN_SOCK_STREAM);
  assert_true(sd >= 0);
  struct sn_sockaddr a = {0, port};
  assert_int_equal(sn_bind(t->st, sd, &a), 0);
  assert_int_equal(sn_listen(t->st, sd, backlog), 0);
  return sd;
}

int tt_accept_conn(struct tt *t, int lsd, uint16_t port, uint16_t pport,
                   uint32_t irs, uint32_t *iss) {
  struct tt_out syn = {.sport = pport, .dport = port, .flags = SN_TCP_SYN,
                       .seq = irs, .win = 65535};
  syn.opt.syn = true;
  syn.opt.mss = true;
  syn.opt.mss_val = 1460;
  tt_inject(t, &syn);
  struct tt_seg sa = tt_expect(t);
  assert_int_equal(sa.s.flags, SN_TCP_SYN | SN_TCP_ACK);
  assert_int_equal(sa.s.ack, irs + 1);
  *iss = sa.s.seq;
  struct tt_out ack = {.sport = pport, .dport = port, .flags = SN_TCP_ACK,
                       .seq = irs + 1, .ack = *iss + 1, .win = 65535};
  tt_inject(t, &ack);
  struct sn_sockaddr peer;
  int sd = sn_accept(t->st, lsd, &peer);
  assert_true(sd >= 0);
  assert_int_equal(peer.port, pport);
  return sd;
}

int tt_connect_conn(struct tt *t, uint16_t port, uint32_t irs, uint32_t *iss,
                    uint16_t *lport) {
  int sd = sn_socket(t->st, SN_SOCK_STREAM);
  assert_true(sd >= 0);
  struct sn_sockaddr dst = {t->peer_ip, port};
  assert_int_equal(sn_connect(t->st, sd, &dst), -EINPROGRESS);
  struct tt_seg syn = tt_expect(t);
  assert_int_equal(syn.s.flags, SN_TCP_SYN);
  *iss = syn.s.seq;
  *lport = syn.s.sport;
  struct tt_out sa = {.sport = port, .dport = syn.s.sport,
                      .flags = SN_TCP_SYN | SN_TCP_ACK, .seq = irs,
                      .ack = *iss + 1, .win = 65535};
  sa.opt.syn = true;
  sa.opt.mss = true;
  sa.opt.mss_val = 1460;
  tt_inject(t, &sa);
  struct tt_seg ack = tt_expect(t);
  assert_int_equal(ack.s.flags, SN_TCP_ACK);
  assert_int_equal(ack.s.ack, irs + 1);
  assert_int_equal(tt_state(t, sd), 4 /* ESTABLISHED */);
  return sd;
}

int tt_state(struct tt *t, int sd) {
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(t->st, sd, &i), 0);
  return i.tcpi_state;
}
