/*
 * simlib.c - see simlib.h.
 */
#include "testlib.h"

#include "simlib.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void sl_pair_init(struct sl_pair *p, uint64_t seed, uint32_t mtu) {
  memset(p, 0, sizeof *p);
  p->sim = sn_sim_new(seed);
  assert_non_null(p->sim);
  p->a = sn_sim_add_host(p->sim, "A", NULL);
  p->b = sn_sim_add_host(p->sim, "B", NULL);
  assert_non_null(p->a);
  assert_non_null(p->b);
  int err = 1;
  p->link = sn_sim_connect(p->sim, p->a, SL_CIDR_A, p->b, SL_CIDR_B, mtu, &err);
  assert_non_null(p->link);
  assert_int_equal(err, 0);
  p->ip_a = tl_ip("198.18.0.1");
  p->ip_b = tl_ip("198.18.0.2");
}

void sl_pair_free(struct sl_pair *p) {
  sn_sim_free(p->sim);
  memset(p, 0, sizeof *p);
}

static bool ping_answered(void *ctx) {
  struct sl_pair *p = ctx;
  return sn_stack_ping_result(p->a, 0x5151, 1) >= 0;
}

void sl_pair_resolve(struct sl_pair *p) {
  assert_int_equal(sn_stack_ping(p->a, p->ip_b, 0x5151, 1, 8), 0);
  uint64_t limit = sn_sim_now(p->sim) + 10 * SN_NSEC_PER_SEC;
  assert_true(sn_sim_run_while_not(p->sim, ping_answered, p, limit));
  sn_sim_run_until(p->sim, sn_sim_now(p->sim) + 10 * SN_NSEC_PER_MSEC);
}

void sl_fill(uint8_t *buf, size_t len, uint32_t seq) {
  sn_put32(buf, seq);
  for (size_t i = 4; i < len; i++)
    buf[i] = (uint8_t)(seq * 31u + i * 7u);
}

bool sl_check(const uint8_t *buf, size_t len, uint32_t *seq) {
  if (len < 4)
    return false;
  uint32_t s = sn_get32(buf);
  for (size_t i = 4; i < len; i++)
    if (buf[i] != (uint8_t)(s * 31u + i * 7u))
      return false;
  *seq = s;
  return true;
}

void sl_source_open(struct sl_source *s, struct sn_stack *st, uint32_t dst,
                    uint16_t dport) {
  memset(s, 0, sizeof *s);
  s->st = st;
  s->dst = dst;
  s->dport = dport;
  s->sd = sn_socket(st, SN_SOCK_DGRAM);
  assert_true(s->sd >= 0);
}

void sl_source_close(struct sl_source *s) {
  sn_close(s->st, s->sd);
  free(s->sent_at);
  memset(s, 0, sizeof *s);
}

void sl_source_send(struct sl_source *s, struct sn_sim *sim, size_t len) {
  uint8_t buf[65536];
  assert_true(len >= 4 && len <= sizeof buf);
  if (s->next_seq == s->sent_cap) {
    s->sent_cap = s->sent_cap ? s->sent_cap * 2 : 1024;
    s->sent_at = realloc(s->sent_at, s->sent_cap * sizeof *s->sent_at);
    assert_non_null(s->sent_at);
  }
  sl_fill(buf, len, s->next_seq);
  struct sn_sockaddr to = {.addr = s->dst, .port = s->dport};
  assert_int_equal(sn_sendto(s->st, s->sd, buf, len, 0, &to), (ssize_t)len);
  s->sent_at[s->next_seq++] = sn_sim_now(sim);
}

void sl_source_run(struct sl_source *s, struct sn_sim *sim, size_t n,
                   size_t len, size_t burst, uint64_t gap_ns,
                   uint64_t tail_ns) {
  assert_true(burst > 0);
  for (size_t sent = 0; sent < n;) {
    for (size_t i = 0; i < burst && sent < n; i++, sent++)
      sl_source_send(s, sim, len);
    sn_sim_run_until(sim, sn_sim_now(sim) + gap_ns);
  }
  sn_sim_run_until(sim, sn_sim_now(sim) + tail_ns);
}

static void sink_event(void *ctx, int sd, unsigned events) {
  struct sl_sink *s = ctx;
  static uint8_t buf[65536];
  if (!(events & SN_POLLIN))
    return;
  for (;;) {
    ssize_t n = sn_recvfrom(s->st, sd, buf, sizeof buf, 0, NULL);
    if (n < 0)
      break;
    if (s->n == s->cap) {
      s->cap = s->cap ? s->cap * 2 : 1024;
      s->rx = realloc(s->rx, s->cap * sizeof *s->rx);
      assert_non_null(s->rx);
    }
    uint32_t seq = UINT32_MAX;
    if (!sl_check(buf, (size_t)n, &seq))
      s->bad++;
    s->rx[s->n++] = (struct sl_rx){.seq = seq, .time = sn_stack_now(s->st),
                                   .len = (size_t)n};
  }
}

void sl_sink_open(struct sl_sink *s, struct sn_stack *st, uint16_t port) {
  memset(s, 0, sizeof *s);
  s->st = st;
  s->sd = sn_socket(st, SN_SOCK_DGRAM);
  assert_true(s->sd >= 0);
  struct sn_sockaddr any = {.addr = 0, .port = port};
  assert_int_equal(sn_bind(st, s->sd, &any), 0);
  assert_int_equal(sn_set_event_cb(st, s->sd, sink_event, s), 0);
}

void sl_sink_close(struct sl_sink *s) {
  sn_close(s->st, s->sd);
  free(s->rx);
  memset(s, 0, sizeof *s);
}

uint64_t sl_total_drops(const struct sn_stack *st) {
  uint64_t n = 0;
  for (int r = 1; r < SN_DROP__COUNT; r++)
    n += sn_stack_drops(st, (enum sn_drop_reason)r);
  return n;
}

/* Capture reader ---------------------------------------------------------- */

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static uint16_t le16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

static void slurp(struct sl_cap *c, const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  size_t cap = 1 << 16;
  c->buf = malloc(cap);
  c->len = 0;
  size_t n;
  while ((n = fread(c->buf + c->len, 1, cap - c->len, f)) > 0) {
    c->len += n;
    if (c->len == cap) {
      cap *= 2;
      c->buf = realloc(c->buf, cap);
      assert_non_null(c->buf);
    }
  }
  fclose(f);
}

static struct sl_cap_pkt *new_pkt(struct sl_cap *c) {
  c->pkts = realloc(c->pkts, (c->npkts + 1) * sizeof *c->pkts);
  assert_non_null(c->pkts);
  struct sl_cap_pkt *k = &c->pkts[c->npkts++];
  memset(k, 0, sizeof *k);
  return k;
}

static void read_pcap(struct sl_cap *c) {
  assert_true(c->len >= 24);
  assert_int_equal(le32(c->buf), 0xa1b23c4du);
  assert_int_equal(le16(c->buf + 4), 2);
  assert_int_equal(le16(c->buf + 6), 4);
  c->snaplen = le32(c->buf + 16);
  assert_int_equal(le32(c->buf + 20), 1);
  size_t off = 24;
  while (off < c->len) {
    assert_true(off + 16 <= c->len);
    struct sl_cap_pkt *k = new_pkt(c);
    uint32_t nsec = le32(c->buf + off + 4);
    assert_true(nsec < 1000000000u);
    k->ts = (uint64_t)le32(c->buf + off) * 1000000000u + nsec;
    k->caplen = le32(c->buf + off + 8);
    k->origlen = le32(c->buf + off + 12);
    assert_true(k->caplen <= k->origlen && k->caplen <= c->snaplen);
    assert_true(off + 16 + k->caplen <= c->len);
    k->data = c->buf + off + 16;
    off += 16 + k->caplen;
  }
}

/* Walk the options in [p, end); call fn for each but opt_endofopt, which
 * must close the list exactly at end. */
typedef void (*opt_fn)(void *ctx, uint16_t code, const uint8_t *v,
                       uint16_t len);
static void read_options(const uint8_t *p, const uint8_t *end, opt_fn fn,
                         void *ctx) {
  if (p == end)
    return;
  for (;;) {
    assert_true(p + 4 <= end);
    uint16_t code = le16(p), len = le16(p + 2);
    size_t padded = ((size_t)len + 3) & ~(size_t)3;
    assert_true(p + 4 + padded <= end);
    for (size_t i = len; i < padded; i++)
      assert_int_equal(p[4 + i], 0);
    if (code == 0) {
      assert_int_equal(len, 0);
      assert_ptr_equal(p + 4, end);
      return;
    }
    fn(ctx, code, p + 4, len);
    p += 4 + padded;
  }
}

static char *dup_text(const uint8_t *v, uint16_t len) {
  char *s = malloc((size_t)len + 1);
  memcpy(s, v, len);
  s[len] = 0;
  return s;
}

static void shb_opt(void *ctx, uint16_t code, const uint8_t *v, uint16_t len) {
  struct sl_cap *c = ctx;
  if (code == 4) {
    free(c->appl);
    c->appl = dup_text(v, len);
  }
}

static void idb_opt(void *ctx, uint16_t code, const uint8_t *v, uint16_t len) {
  struct sl_cap *c = ctx;
  unsigned i = c->nifaces;
  if (code == 2)
    c->ifname[i] = dup_text(v, len);
  if (code == 9) {
    assert_int_equal(len, 1);
    c->tsresol[i] = v[0];
  }
}

static void epb_opt(void *ctx, uint16_t code, const uint8_t *v, uint16_t len) {
  struct sl_cap_pkt *k = ctx;
  if (code == 1)
    k->comment = dup_text(v, len);
  if (code == 2) {
    assert_int_equal(len, 4);
    k->has_flags = true;
    k->flags = le32(v);
  }
}

static void read_block(struct sl_cap *c, uint32_t type, const uint8_t *b,
                       uint32_t len) {
  const uint8_t *end = b + len - 4;
  switch (type) {
  case 0x0a0d0d0au:
    assert_true(len >= 28);
    assert_int_equal(le32(b + 8), 0x1a2b3c4du);
    assert_int_equal(le16(b + 12), 1);
    assert_int_equal(le16(b + 14), 0);
    read_options(b + 24, end, shb_opt, c);
    break;
  case 1: {
    assert_true(len >= 20);
    assert_true(c->nifaces < SL_CAP_MAX_IFACES);
    assert_int_equal(le16(b + 8), 1);
    c->snaplen = le32(b + 12);
    c->tsresol[c->nifaces] = -1;
    read_options(b + 16, end, idb_opt, c);
    c->nifaces++;
    break;
  }
  case 6: {
    assert_true(len >= 32);
    struct sl_cap_pkt *k = new_pkt(c);
    k->iface = le32(b + 8);
    assert_true(k->iface < c->nifaces);
    assert_int_equal(c->tsresol[k->iface], 9);
    k->ts = (uint64_t)le32(b + 12) << 32 | le32(b + 16);
    k->caplen = le32(b + 20);
    k->origlen = le32(b + 24);
    assert_true(k->caplen <= k->origlen);
    size_t padded = ((size_t)k->caplen + 3) & ~(size_t)3;
    assert_true(28 + padded + 4 <= len);
    k->data = b + 28;
    read_options(b + 28 + padded, end, epb_opt, k);
    break;
  }
  default:
    fail_msg("unexpected pcapng block type %#x", type);
  }
}

static void read_pcapng(struct sl_cap *c) {
  size_t off = 0;
  bool first = true;
  while (off < c->len) {
    assert_true(off + 12 <= c->len);
    uint32_t type = le32(c->buf + off), len = le32(c->buf + off + 4);
    assert_true(first == (type == 0x0a0d0d0au));
    first = false;
    assert_true(len >= 12 && len % 4 == 0 && off + len <= c->len);
    assert_int_equal(le32(c->buf + off + len - 4), len);
    read_block(c, type, c->buf + off, len);
    off += len;
  }
  assert_false(first);
}

void sl_cap_read(struct sl_cap *c, const char *path) {
  memset(c, 0, sizeof *c);
  slurp(c, path);
  assert_true(c->len >= 4);
  if (le32(c->buf) == 0x0a0d0d0au) {
    c->fmt = SN_CAPTURE_PCAPNG;
    read_pcapng(c);
  } else {
    c->fmt = SN_CAPTURE_PCAP;
    read_pcap(c);
  }
}

void sl_cap_free(struct sl_cap *c) {
  for (size_t i = 0; i < c->npkts; i++)
    free((char *)c->pkts[i].comment);
  for (unsigned i = 0; i < c->nifaces; i++)
    free(c->ifname[i]);
  free(c->appl);
  free(c->pkts);
  free(c->buf);
  memset(c, 0, sizeof *c);
}
