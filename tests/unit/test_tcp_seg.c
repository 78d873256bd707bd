/*
 * test_tcp_seg.c - the TCP segment parser (every header field, flags with
 * CWR/ECE, data offset 5..15, options known, unknown and malformed), the
 * option layouts written for SYNs and other segments (Linux's, byte for
 * byte), ISNs (RFC 6528), and the congestion-control registry.
 */
#include "testlib.h"
#include "base/checksum.h"
#include "base/util.h"
#include "net/stack.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_impl.h"
#include "tcp/tcp_seg.h"

#define SRC 0xc6120002u
#define DST 0xc6120001u

/* A segment: header with the given options area and payload. */
static size_t build(uint8_t *seg, uint8_t flags, const uint8_t *opt,
                    size_t optlen, const char *data) {
  size_t hlen = 20 + optlen, dlen = data ? strlen(data) : 0;
  memset(seg, 0, hlen);
  sn_put16(seg, 1234);
  sn_put16(seg + 2, 80);
  sn_put32(seg + 4, 0x01020304);
  sn_put32(seg + 8, 0xa0b0c0d0);
  seg[12] = (uint8_t)((hlen / 4) << 4);
  seg[13] = flags;
  sn_put16(seg + 14, 29200);
  sn_put16(seg + 18, 7); /* urgent pointer */
  if (optlen)
    memcpy(seg + 20, opt, optlen);
  if (dlen)
    memcpy(seg + hlen, data, dlen);
  uint32_t sum = sn_csum_pseudo4(SRC, DST, 6, (uint16_t)(hlen + dlen));
  sn_put16(seg + 16, sn_csum_fold(sn_csum_partial(seg, hlen + dlen, sum)));
  return hlen + dlen;
}

static void test_header_fields_and_flags(void **state) {
  (void)state;
  uint8_t seg[100];
  size_t n = build(seg, 0xff, NULL, 0, "abc");
  struct sn_tcp_seg s;
  assert_int_equal(sn_tcp_parse(seg, n, SRC, DST, &s), SN_DROP_NONE);
  assert_int_equal(s.sport, 1234);
  assert_int_equal(s.dport, 80);
  assert_int_equal(s.seq, 0x01020304);
  assert_int_equal(s.ack, 0xa0b0c0d0);
  assert_int_equal(s.hlen, 20);
  assert_int_equal(s.flags, 0xff);
  assert_int_equal(s.wnd, 29200);
  assert_int_equal(s.urp, 7);
  assert_int_equal(s.len, 3);
  assert_memory_equal(s.data, "abc", 3);
  assert_int_equal(sn_tcp_seg_len(&s), 5); /* SYN and FIN count */
  char fl[12];
  assert_string_equal(sn_tcp_flags_str(0xff, fl), "SFRPUEW.");
  assert_string_equal(sn_tcp_flags_str(SN_TCP_SYN | SN_TCP_ECE | SN_TCP_CWR, fl), "SEW");
  assert_string_equal(sn_tcp_flags_str(SN_TCP_ACK, fl), ".");
}

static void test_data_offset_limits(void **state) {
  (void)state;
  uint8_t seg[100], opt[40];
  memset(opt, SN_TCPOPT_NOP, sizeof opt);
  struct sn_tcp_seg s;
  size_t n = build(seg, SN_TCP_ACK, opt, 40, "x"); /* offset 15 */
  assert_int_equal(sn_tcp_parse(seg, n, SRC, DST, &s), SN_DROP_NONE);
  assert_int_equal(s.hlen, 60);
  assert_int_equal(s.len, 1);
  n = build(seg, SN_TCP_ACK, NULL, 0, NULL);
  seg[12] = 4 << 4;
  assert_int_equal(sn_tcp_parse(seg, n, SRC, DST, &s), SN_DROP_TCP_BAD_OFFSET);
  assert_int_equal(sn_tcp_parse(seg, 19, SRC, DST, &s), SN_DROP_TCP_TRUNCATED);
  n = build(seg, SN_TCP_ACK, NULL, 0, "data");
  seg[n - 1] ^= 1;
  assert_int_equal(sn_tcp_parse(seg, n, SRC, DST, &s), SN_DROP_TCP_BAD_CHECKSUM);
}

static void test_options_parsed(void **state) {
  (void)state;
  const uint8_t opt[] = {
      2, 4, 0x05, 0xb4,                         /* MSS 1460 */
      4, 2,                                     /* SACK-permitted */
      8, 10, 0, 0, 0, 9, 0, 0, 0, 7,            /* TS 9, 7 */
      1, 3, 3, 8,                               /* NOP, WS 8 */
      99, 4, 0xaa, 0xbb,                        /* unknown: skipped */
      5, 10, 0, 0, 0, 30, 0, 0, 0, 40,          /* SACK 30-40 */
      0, 0};                                    /* EOL, padding */
  uint8_t seg[120];
  size_t n = build(seg, SN_TCP_SYN, opt, sizeof opt, NULL);
  struct sn_tcp_seg s;
  assert_int_equal(sn_tcp_parse(seg, n, SRC, DST, &s), SN_DROP_NONE);
  assert_true(s.opt.has_mss);
  assert_int_equal(s.opt.mss, 1460);
  assert_true(s.opt.sack_ok);
  assert_true(s.opt.has_ts);
  assert_int_equal(s.opt.tsval, 9);
  assert_int_equal(s.opt.tsecr, 7);
  assert_true(s.opt.has_ws);
  assert_int_equal(s.opt.wscale, 8);
  assert_int_equal(s.opt.nsack, 1);
  assert_int_equal(s.opt.sack[0].start, 30);
  assert_int_equal(s.opt.sack[0].end, 40);
}

static void test_malformed_options(void **state) {
  (void)state;
  uint8_t seg[100];
  struct sn_tcp_seg s;
  const uint8_t zero_len[] = {99, 0, 0, 0};   /* length below 2 */
  size_t n = build(seg, SN_TCP_ACK, zero_len, sizeof zero_len, NULL);
  assert_int_equal(sn_tcp_parse(seg, n, SRC, DST, &s), SN_DROP_TCP_BAD_OPTION);
  const uint8_t too_long[] = {1, 1, 8, 10};   /* runs past the header */
  n = build(seg, SN_TCP_ACK, too_long, sizeof too_long, NULL);
  assert_int_equal(sn_tcp_parse(seg, n, SRC, DST, &s), SN_DROP_TCP_BAD_OPTION);
  const uint8_t cut[] = {1, 1, 1, 2};        /* kind without a length */
  n = build(seg, SN_TCP_ACK, cut, sizeof cut, NULL);
  assert_int_equal(sn_tcp_parse(seg, n, SRC, DST, &s), SN_DROP_TCP_BAD_OPTION);
  /* A known option with the wrong length is ignored, as Linux does. */
  const uint8_t odd_mss[] = {2, 3, 5, 1};
  n = build(seg, SN_TCP_SYN, odd_mss, sizeof odd_mss, NULL);
  assert_int_equal(sn_tcp_parse(seg, n, SRC, DST, &s), SN_DROP_NONE);
  assert_false(s.opt.has_mss);
}

static void check_layout(struct sn_tcp_optspec o, const uint8_t *want,
                         size_t len) {
  uint8_t buf[40];
  assert_int_equal(sn_tcp_options_len(&o), len);
  assert_int_equal(sn_tcp_write_options(buf, &o), len);
  assert_memory_equal(buf, want, len);
}

/* LINUX_DEFAULTS.md §3: the option layouts, byte for byte. */
static void test_linux_option_layouts(void **state) {
  (void)state;
  struct sn_tcp_optspec all = {.syn = true, .mss = true, .mss_val = 1460,
                               .sack_ok = true, .ts = true, .tsval = 1,
                               .tsecr = 2, .ws = true, .ws_val = 8};
  const uint8_t mss_sack_ts_ws[] = {2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1,
                                    0, 0, 0, 2, 1, 3, 3, 8};
  check_layout(all, mss_sack_ts_ws, sizeof mss_sack_ts_ws);
  struct sn_tcp_optspec no_ts = all;
  no_ts.ts = false;
  const uint8_t mss_sack_ws[] = {2, 4, 5, 180, 1, 1, 4, 2, 1, 3, 3, 8};
  check_layout(no_ts, mss_sack_ws, sizeof mss_sack_ws);
  struct sn_tcp_optspec ws_only = no_ts;
  ws_only.sack_ok = false;
  const uint8_t mss_ws[] = {2, 4, 5, 180, 1, 3, 3, 8};
  check_layout(ws_only, mss_ws, sizeof mss_ws);
  struct sn_tcp_optspec sack_ts = all;
  sack_ts.ws = false;
  const uint8_t mss_sack_ts[] = {2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1,
                                 0, 0, 0, 2};
  check_layout(sack_ts, mss_sack_ts, sizeof mss_sack_ts);
  struct sn_tcp_optspec sack_only = no_ts;
  sack_only.ws = false;
  const uint8_t mss_sack[] = {2, 4, 5, 180, 1, 1, 4, 2};
  check_layout(sack_only, mss_sack, sizeof mss_sack);
  struct sn_tcp_optspec mss_only = {.syn = true, .mss = true, .mss_val = 1460};
  const uint8_t mss[] = {2, 4, 5, 180};
  check_layout(mss_only, mss, sizeof mss);
  /* Established: NOP NOP TS, then NOP NOP SACK; three blocks fit with
   * timestamps, four without. */
  struct sn_sack_block b[4] = {{1, 2}, {3, 4}, {5, 6}, {7, 8}};
  struct sn_tcp_optspec est = {.ts = true, .tsval = 5, .tsecr = 6, .nsack = 4,
                               .sack = b};
  uint8_t buf[40];
  assert_int_equal(sn_tcp_write_options(buf, &est), 12 + 4 + 24);
  assert_memory_equal(buf, "\x01\x01\x08\x0a", 4);
  assert_memory_equal(buf + 12, "\x01\x01\x05\x1a", 4);
  est.ts = false;
  assert_int_equal(sn_tcp_write_options(buf, &est), 4 + 32);
  assert_memory_equal(buf, "\x01\x01\x05\x22", 4);
}

/* RFC 6528: per 4-tuple offsets, advancing with a 4 µs clock. */
static void test_isn(void **state) {
  (void)state;
  struct sn_stack *a = sn_stack_new("A", NULL, 1), *b = sn_stack_new("B", NULL, 2);
  uint32_t i1 = sn_tcp_isn(a, 1, 1000, 2, 80);
  uint32_t i2 = sn_tcp_isn(a, 1, 1001, 2, 80);
  assert_int_not_equal(i1, i2);
  assert_int_not_equal(i1, sn_tcp_isn(b, 1, 1000, 2, 80)); /* another key */
  sn_stack_poll(a, 4000000); /* 4 ms later: 1000 ticks of 4 µs */
  assert_int_equal(sn_tcp_isn(a, 1, 1000, 2, 80), i1 + 1000);
  sn_stack_free(a);
  sn_stack_free(b);
}

static void noop_init(struct sn_cc_state *s) { (void)s; }
static void noop_ack(struct sn_cc_state *s, uint32_t a, uint64_t r) {
  (void)s; (void)a; (void)r;
}
static uint32_t noop_ssthresh(struct sn_cc_state *s) { (void)s; return 2; }

static void test_cc_registry(void **state) {
  (void)state;
  assert_ptr_equal(sn_cc_find("reno"), &sn_cc_reno);
  assert_null(sn_cc_find("bogus"));
  static const struct sn_cc_ops missing = {.name = "half", .init = noop_init};
  assert_int_equal(sn_cc_register(&missing), -EINVAL);
  static const struct sn_cc_ops dup = {.name = "reno", .init = noop_init,
                                       .on_ack = noop_ack,
                                       .ssthresh = noop_ssthresh};
  assert_int_equal(sn_cc_register(&dup), -EEXIST);
  static const struct sn_cc_ops good = {.name = "fixed", .init = noop_init,
                                        .on_ack = noop_ack,
                                        .ssthresh = noop_ssthresh};
  assert_int_equal(sn_cc_register(&good), 0);
  assert_ptr_equal(sn_cc_find("fixed"), &good);
  char names[64];
  assert_non_null(strstr(sn_cc_names(names, sizeof names), "fixed"));
  /* A socket can pick it by name; an unknown name is refused. */
  struct sn_stack *st = sn_stack_new("S", NULL, 1);
  int sd = sn_socket(st, SN_SOCK_STREAM);
  assert_int_equal(sn_setsockopt(st, sd, SN_IPPROTO_TCP, SN_TCP_CONGESTION, "fixed", 6), 0);
  char got[16];
  size_t gl = sizeof got;
  assert_int_equal(sn_getsockopt(st, sd, SN_IPPROTO_TCP, SN_TCP_CONGESTION, got, &gl), 0);
  assert_string_equal(got, "fixed");
  assert_int_equal(sn_setsockopt(st, sd, SN_IPPROTO_TCP, SN_TCP_CONGESTION, "nope", 5), -ENOENT);
  sn_stack_free(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_fields_and_flags),
      cmocka_unit_test(test_data_offset_limits),
      cmocka_unit_test(test_options_parsed),
      cmocka_unit_test(test_malformed_options),
      cmocka_unit_test(test_linux_option_layouts),
      cmocka_unit_test(test_isn),
      cmocka_unit_test(test_cc_registry),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
