/*
 * tcpflow.c - see tcpflow.h.
 */
#include "tcpflow.h"

#include <string.h>

#include "base/util.h"


#define TF_PEER_TS_BASE 500000u

uint8_t tf_byte(uint64_t i) { return (uint8_t)(i * 7 + (i >> 8) + (i >> 16)); }

void tf_fill(uint8_t *buf, uint64_t off, uint32_t len) {
  for (uint32_t i = 0; i < len; i++)
    buf[i] = tf_byte(off + i);
}

bool tf_check(const uint8_t *buf, uint64_t off, uint32_t len) {
  for (uint32_t i = 0; i < len; i++)
    if (buf[i] != tf_byte(off + i))
      return false;
  return true;
}

static uint32_t peer_tsval(const struct tf *f) {
  return (uint32_t)(f->t->now / TT_MS) + TF_PEER_TS_BASE;
}

static struct sn_tcp_optspec syn_opts(const struct tf_opts *o, uint32_t tsval,
                                      uint32_t tsecr) {
  struct sn_tcp_optspec s = {.syn = true};
  s.mss = o->mss != 0;
  s.mss_val = o->mss;
  s.sack_ok = o->sack;
  s.ts = o->ts;
  s.tsval = tsval;
  s.tsecr = tsecr;
  s.ws = o->ws >= 0;
  s.ws_val = (uint8_t)(o->ws >= 0 ? o->ws : 0);
  return s;
}

/* What the two SYNs agreed. */
static void negotiated(struct tf *f, const struct tf_opts *o,
                       const struct tt_seg *syn) {
  f->ts = o->ts && syn->s.opt.has_ts;
  f->sack = o->sack && syn->s.opt.sack_ok;
  f->ws = o->ws >= 0 && syn->s.opt.has_ws;
  f->stack_ws = f->ws ? syn->s.opt.wscale : 0;
  f->stack_mss = syn->s.opt.has_mss ? syn->s.opt.mss : 0;
  if (syn->s.opt.has_ts)
    f->ts_recent = syn->s.opt.tsval;
}

void tf_accept(struct tf *f, struct tt *t, int ls, struct tf_opts o,
               uint64_t rtt) {
  memset(f, 0, sizeof *f);
  f->t = t;
  f->port = 80;
  f->pport = 4000;
  f->irs = 1000;
  if (ls < 0) {
    ls = tt_listen(t, f->port, 8);
  } else {
    struct sn_sockaddr a;
    assert_int_equal(sn_getsockname(t->st, ls, &a), 0);
    f->port = a.port;
  }
  struct tt_out syn = {.sport = f->pport, .dport = f->port,
                       .flags = SN_TCP_SYN, .seq = f->irs, .win = o.win};
  syn.opt = syn_opts(&o, peer_tsval(f), 0);
  tt_inject(t, &syn);
  struct tt_seg sa = tt_expect(t);
  assert_int_equal(sa.s.flags, SN_TCP_SYN | SN_TCP_ACK);
  assert_int_equal(sa.s.ack, f->irs + 1);
  f->iss = sa.s.seq;
  negotiated(f, &o, &sa);
  tt_wait(t, rtt);
  f->snd_nxt = f->irs + 1;
  f->ack = f->iss + 1;
  f->win = o.win;
  tf_ack(f, 0, o.win);
  f->sd = sn_accept(t->st, ls, NULL);
  assert_true(f->sd >= 0);
  assert_int_equal(tt_state(t, f->sd), 4 /* ESTABLISHED */);
}

void tf_connect(struct tf *f, struct tt *t, int sd, struct tf_opts o,
                uint64_t rtt) {
  memset(f, 0, sizeof *f);
  f->t = t;
  f->pport = 5000;
  f->irs = 7000;
  if (sd < 0)
    sd = sn_socket(t->st, SN_SOCK_STREAM);
  assert_true(sd >= 0);
  f->sd = sd;
  struct sn_sockaddr dst = {t->peer_ip, f->pport};
  assert_int_equal(sn_connect(t->st, sd, &dst), -EINPROGRESS);
  struct tt_seg syn = tt_expect(t);
  assert_int_equal(syn.s.flags, SN_TCP_SYN);
  f->iss = syn.s.seq;
  f->port = syn.s.sport;
  negotiated(f, &o, &syn);
  tt_wait(t, rtt);
  struct tt_out sa = {.sport = f->pport, .dport = f->port,
                      .flags = SN_TCP_SYN | SN_TCP_ACK, .seq = f->irs,
                      .ack = f->iss + 1, .win = o.win};
  sa.opt = syn_opts(&o, peer_tsval(f), f->ts_recent);
  tt_inject(t, &sa);
  f->snd_nxt = f->irs + 1;
  f->ack = f->iss + 1;
  f->win = o.win;
  struct tt_seg ack = tf_expect(f);
  assert_int_equal(ack.s.flags, SN_TCP_ACK);
  assert_int_equal(ack.s.ack, f->irs + 1);
  assert_int_equal(tt_state(t, sd), 4 /* ESTABLISHED */);
}

static const uint8_t stack_mac[6] = {2, 0, 0, 0, 0, 1};

/* Answer the ARP requests for the peer's address sent since last time. */
static void answer_arp(struct tf *f) {
  struct tt *t = f->t;
  for (; f->arp_seen < t->link.n; f->arp_seen++) {
    const struct tl_frame *fr = &t->link.frames[f->arp_seen];
    if (fr->len < 42 || sn_get16(fr->data + 12) != 0x0806)
      continue;
    const uint8_t *a = fr->data + 14;
    if (sn_get16(a + 6) != 1 || sn_get32(a + 24) != t->peer_ip)
      continue;
    uint8_t r[64];
    size_t n = tl_eth(r, stack_mac, tl_peer_mac, 0x0806);
    uint8_t *p = r + n;
    sn_put16(p, 1);
    sn_put16(p + 2, 0x0800);
    p[4] = 6;
    p[5] = 4;
    sn_put16(p + 6, 2);
    memcpy(p + 8, tl_peer_mac, 6);
    sn_put32(p + 14, t->peer_ip);
    memcpy(p + 18, stack_mac, 6);
    sn_put32(p + 24, t->ip);
    assert_int_equal(sn_stack_input(t->st, t->ifi, r, n + 28, t->now), 0);
  }
}

void tf_advance(struct tf *f, uint64_t to) {
  struct tt *t = f->t;
  answer_arp(f);
  for (;;) {
    uint64_t d = sn_stack_next_deadline(t->st);
    if (d == SN_TIME_NEVER || d >= to)
      break;
    tt_advance(t, d < t->now ? t->now : d);
    answer_arp(f);
  }
  tt_advance(t, to);
  answer_arp(f);
}

struct tt_out tf_out(struct tf *f) {
  struct tt_out o = {.sport = f->pport, .dport = f->port, .flags = SN_TCP_ACK,
                     .seq = f->snd_nxt, .ack = f->ack, .win = f->win};
  return o;
}

void tf_put(struct tf *f, struct tt_out *o) {
  if (f->ts) {
    o->opt.ts = true;
    o->opt.tsval = peer_tsval(f);
    o->opt.tsecr = f->ts_recent;
  }
  tt_inject(f->t, o);
}

void tf_data_at(struct tf *f, uint32_t off, uint32_t len) {
  uint8_t buf[1600];
  assert_true(len <= sizeof buf);
  tf_fill(buf, off, len);
  struct tt_out o = tf_out(f);
  o.flags = SN_TCP_ACK | SN_TCP_PSH;
  o.seq = f->irs + 1 + off;
  o.data = buf;
  o.len = len;
  tf_put(f, &o);
}

void tf_data(struct tf *f, uint32_t len) {
  tf_data_at(f, tf_ak(f, f->snd_nxt), len);
  f->snd_nxt += len;
}

void tf_ack_sack(struct tf *f, uint32_t off, uint16_t win, unsigned n,
                 const uint32_t *blocks) {
  struct sn_sack_block b[SN_TCP_MAX_SACK];
  assert_true(n <= SN_TCP_MAX_SACK);
  f->ack = f->iss + 1 + off;
  f->win = win;
  struct tt_out o = tf_out(f);
  for (unsigned i = 0; i < n; i++) {
    b[i].start = f->iss + 1 + blocks[2 * i];
    b[i].end = f->iss + 1 + blocks[2 * i + 1];
  }
  o.opt.nsack = (uint8_t)n;
  o.opt.sack = n ? b : NULL;
  tf_put(f, &o);
}

void tf_ack(struct tf *f, uint32_t off, uint16_t win) {
  tf_ack_sack(f, off, win, 0, NULL);
}

bool tf_next(struct tf *f, struct tt_seg *out) {
  if (!tt_next(f->t, out))
    return false;
  if (out->s.opt.has_ts)
    f->ts_recent = out->s.opt.tsval;
  return true;
}

struct tt_seg tf_expect(struct tf *f) {
  struct tt_seg s = tt_expect(f->t);
  if (s.s.opt.has_ts)
    f->ts_recent = s.s.opt.tsval;
  return s;
}

struct sn_tcp_info tf_info(struct tf *f) {
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(f->t->st, f->sd, &i), 0);
  return i;
}

long tf_app_send(struct tf *f, uint64_t off, uint32_t n) {
  static uint8_t buf[1 << 20];
  assert_true(n <= sizeof buf);
  tf_fill(buf, off, n);
  return (long)sn_send(f->t->st, f->sd, buf, n, 0);
}

void tf_cfg_set(struct sn_config *c, const char *name, const char *value) {
  assert_int_equal(sn_config_set(c, name, value), 0);
}

void tf_dump_trace(const struct tt *t, size_t last) {
  size_t from = t->trace.n > last ? t->trace.n - last : 0;
  for (size_t i = from; i < t->trace.n; i++)
    fprintf(stderr, "  %s\n", t->trace.lines[i]);
}
