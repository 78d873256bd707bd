/*
 * testlib.c - see testlib.h.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "base/checksum.h"
#include "base/util.h"

const uint8_t tl_peer_mac[6] = {2, 0, 0, 0, 0, 0x99};

static int tl_tx(void *ctx, const uint8_t *frame, size_t len,
                 const struct sn_tx_info *info) {
  struct tl_link *l = ctx;
  assert_true(l->n < TL_MAX_FRAMES);
  struct tl_frame *f = &l->frames[l->n++];
  f->data = malloc(len);
  memcpy(f->data, frame, len);
  f->len = len;
  f->time = info->now_ns;
  snprintf(f->why, sizeof f->why, "%s", info->why);
  return 0;
}

static const struct sn_link_ops tl_ops = {.tx = tl_tx};

struct sn_link tl_link(struct tl_link *l) {
  return (struct sn_link){.ops = &tl_ops, .ctx = l};
}

void tl_link_clear(struct tl_link *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->frames[i].data);
  l->n = 0;
}

uint32_t tl_ip(const char *s) {
  uint32_t ip;
  assert_int_equal(sn_ip4_parse(s, &ip), 0);
  return ip;
}

struct sn_stack *tl_stack(const char *name, struct tl_link *l,
                          uint8_t mac_last, const char *cidr, int *ifindex) {
  struct sn_stack *st = sn_stack_new(name, NULL, 42);
  assert_non_null(st);
  struct sn_netif_params p = {.name = "eth0", .mtu = 1500, .link = tl_link(l)};
  uint8_t mac[6] = {2, 0, 0, 0, 0, mac_last};
  memcpy(p.mac, mac, 6);
  int ifi = sn_netif_add(st, &p);
  assert_true(ifi > 0);
  char addr[32];
  snprintf(addr, sizeof addr, "%s", cidr);
  char *slash = strchr(addr, '/');
  assert_non_null(slash);
  *slash = 0;
  assert_int_equal(sn_netif_add_addr(st, ifi, tl_ip(addr),
                                     (unsigned)atoi(slash + 1)), 0);
  tl_link_clear(l);
  if (ifindex)
    *ifindex = ifi;
  return st;
}

void tl_trace_sink(void *ctx, const struct sn_trace_event *ev) {
  struct tl_trace *t = ctx;
  if (t->n >= TL_MAX_EVENTS)
    return;
  char line[1024];
  size_t n = sn_trace_format_text(ev, line, sizeof line);
  (void)n;
  t->lines[t->n++] = strdup(line);
}

void tl_trace_clear(struct tl_trace *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->lines[i]);
  t->n = 0;
}

size_t tl_trace_count(const struct tl_trace *t, ...) {
  size_t count = 0;
  for (size_t i = 0; i < t->n; i++) {
    va_list ap;
    va_start(ap, t);
    const char *needle;
    int all = 1;
    while ((needle = va_arg(ap, const char *)) != NULL)
      if (!strstr(t->lines[i], needle))
        all = 0;
    va_end(ap);
    count += (size_t)all;
  }
  return count;
}

size_t tl_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
              uint16_t type) {
  memcpy(buf, dst, 6);
  memcpy(buf + 6, src, 6);
  sn_put16(buf + 12, type);
  return 14;
}

size_t tl_ip4(uint8_t *buf, const uint8_t dst_mac[6], const uint8_t src_mac[6],
              uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
              uint16_t frag, const uint8_t *payload, size_t len) {
  size_t off = tl_eth(buf, dst_mac, src_mac, 0x0800);
  uint8_t *h = buf + off;
  h[0] = 0x45;
  h[1] = 0;
  sn_put16(h + 2, (uint16_t)(20 + len));
  sn_put16(h + 4, id);
  sn_put16(h + 6, frag);
  h[8] = 64;
  h[9] = proto;
  sn_put16(h + 10, 0);
  sn_put32(h + 12, src);
  sn_put32(h + 16, dst);
  sn_put16(h + 10, sn_csum_fold(sn_csum_partial(h, 20, 0)));
  memcpy(h + 20, payload, len);
  return off + 20 + len;
}

size_t tl_udp(uint8_t *buf, const uint8_t dst_mac[6], const uint8_t src_mac[6],
              uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
              const uint8_t *payload, size_t len) {
  uint8_t *u = malloc(8 + len);
  sn_put16(u, sport);
  sn_put16(u + 2, dport);
  sn_put16(u + 4, (uint16_t)(8 + len));
  sn_put16(u + 6, 0);
  memcpy(u + 8, payload, len);
  uint32_t sum = sn_csum_pseudo4(src, dst, 17, (uint16_t)(8 + len));
  uint16_t c = sn_csum_fold(sn_csum_partial(u, 8 + len, sum));
  sn_put16(u + 6, c ? c : 0xffff);
  size_t n = tl_ip4(buf, dst_mac, src_mac, src, dst, 17, 1, 0, u, 8 + len);
  free(u);
  return n;
}

void tl_learn_peer(struct sn_stack *st, int ifindex, struct tl_link *l,
                   const char *peer_ip, const char *our_ip, uint64_t now) {
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  uint8_t fr[64];
  size_t n = tl_eth(fr, bcast, tl_peer_mac, 0x0806);
  uint8_t *a = fr + n;
  sn_put16(a, 1);
  sn_put16(a + 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  sn_put16(a + 6, 1);
  memcpy(a + 8, tl_peer_mac, 6);
  sn_put32(a + 14, tl_ip(peer_ip));
  memset(a + 18, 0, 6);
  sn_put32(a + 24, tl_ip(our_ip));
  assert_int_equal(sn_stack_input(st, ifindex, fr, n + 28, now), 0);
  tl_link_clear(l);
}
