/*
 * test_checksum.c - the Internet checksum (base/checksum.c): RFC 1071 sums
 * over every length and alignment, pieces combined at even and odd offsets,
 * copy-and-checksum, the IPv4 pseudo-header with real UDP and TCP packets,
 * and the RFC 1624 incremental update.
 *
 * Every implementation the processor can run (portable C and any vector
 * versions, see sn_csum_impl()) is checked against sn_csum_reference() and
 * against an independent big-endian computation written out in this file.
 */
#include "testlib.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/checksum.h"
#include "base/rng.h"
#include "base/util.h"

#define MAX_LEN 2048

/* The one's-complement sum (not complemented) of big-endian 16-bit words,
 * an odd last byte padded with zero: RFC 1071 written out byte by byte. */
static uint16_t be_sum(const uint8_t *p, size_t len, uint32_t start) {
  uint64_t s = start;
  for (size_t i = 0; i < len; i++)
    s += (i & 1) ? p[i] : (uint64_t)p[i] << 8;
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t)s;
}

static uint8_t *random_bytes(struct sn_rng *r, size_t n) {
  uint8_t *b = malloc(n);
  assert_non_null(b);
  for (size_t i = 0; i < n; i++)
    b[i] = (uint8_t)sn_rng_next(r);
  return b;
}

static size_t nimpls(void) {
  size_t n = 0;
  while (sn_csum_impl(n))
    n++;
  return n;
}

/* The implementations listed start with the portable one, have distinct
 * names, and include the one selected for this processor. */
static void test_impl_list(void **state) {
  (void)state;
  size_t n = nimpls();
  assert_true(n >= 1);
  assert_string_equal(sn_csum_impl(0)->name, "portable");
  const struct sn_csum_impl *sel = sn_csum_impl_selected();
  assert_non_null(sel);
  int found = 0;
  for (size_t i = 0; i < n; i++) {
    assert_non_null(sn_csum_impl(i)->partial);
    assert_non_null(sn_csum_impl(i)->copy);
    found |= sn_csum_impl(i) == sel;
    for (size_t j = 0; j < i; j++)
      assert_string_not_equal(sn_csum_impl(i)->name, sn_csum_impl(j)->name);
  }
  assert_true(found);
  assert_null(sn_csum_impl(n));
  print_message("checksum implementations: %zu, selected %s\n", n, sel->name);
}

/* RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2, so the
 * checksum is 220d. */
static void test_rfc1071_example(void **state) {
  (void)state;
  const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  assert_int_equal(be_sum(b, 8, 0), 0xddf2);
  assert_int_equal(sn_csum_reference(b, 8), 0x220d);
  assert_int_equal(sn_csum_fold(sn_csum_partial(b, 8, 0)), 0x220d);
  assert_int_equal((uint16_t)~sn_csum_fold(sn_csum_partial(b, 8, 0)), 0xddf2);
  for (size_t i = 0; sn_csum_impl(i); i++)
    assert_int_equal(sn_csum_fold(sn_csum_impl(i)->partial(b, 8, 0)), 0x220d);
  /* Stored with sn_put16, the checksum is the bytes 22 0d. */
  uint8_t out[2];
  sn_put16(out, sn_csum_fold(sn_csum_partial(b, 8, 0)));
  assert_int_equal(out[0], 0x22);
  assert_int_equal(out[1], 0x0d);
  /* With the checksum appended, the whole verifies to zero. */
  uint8_t all[10];
  memcpy(all, b, 8);
  memcpy(all + 8, out, 2);
  assert_int_equal(sn_csum_fold(sn_csum_partial(all, 10, 0)), 0);
}

/* The reference agrees with the byte-by-byte computation here, including
 * past 128 KiB, where a 32-bit accumulator of 0xffff words would wrap. */
static void test_reference_matches_independent(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 7);
  uint8_t *b = random_bytes(&r, 4096);
  for (size_t len = 0; len <= 4096; len += (len < 64 ? 1 : 61))
    assert_int_equal(sn_csum_reference(b, len), (uint16_t)~be_sum(b, len, 0));
  free(b);
  size_t big = 300000;
  uint8_t *ff = malloc(big);
  assert_non_null(ff);
  memset(ff, 0xff, big);
  assert_int_equal(sn_csum_reference(ff, big), (uint16_t)~be_sum(ff, big, 0));
  ff[big - 1] = 0xfe;
  assert_int_equal(sn_csum_reference(ff, big), (uint16_t)~be_sum(ff, big, 0));
  free(ff);
}

/* Every length 0..2048 at every start alignment 0..7, random data, every
 * implementation and the public entry point. */
static void test_all_lengths_alignments(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 1071);
  uint8_t *b = random_bytes(&r, MAX_LEN + 8);
  size_t n = nimpls();
  for (size_t align = 0; align < 8; align++) {
    for (size_t len = 0; len <= MAX_LEN; len++) {
      const uint8_t *p = b + align;
      uint16_t want = sn_csum_reference(p, len);
      assert_int_equal(sn_csum_fold(sn_csum_partial(p, len, 0)), want);
      for (size_t i = 0; i < n; i++) {
        uint16_t got = sn_csum_fold(sn_csum_impl(i)->partial(p, len, 0));
        if (got != want)
          fail_msg("%s: len %zu align %zu: %04x, want %04x",
                   sn_csum_impl(i)->name, len, align, got, want);
      }
    }
  }
  free(b);
}

/* Data that makes every word 0xffff (or 0x0000) stresses the carries and
 * the two zeros of one's complement: all-ones data sums to 0xffff and
 * checksums to 0x0000; all-zero data checksums to 0xffff. Lengths go past
 * the vector code's internal block of 1 MiB. */
static void test_extreme_data(void **state) {
  (void)state;
  const size_t big = (3u << 20) + 77;
  uint8_t *b = malloc(big + 8);
  assert_non_null(b);
  const size_t lens[] = {0,    1,    2,     63,    64,          65,
                         127,  128,  129,   255,   256,         1500,
                         4095, 4096, 65535, 65536, (1u << 20),  (1u << 20) + 1,
                         big};
  for (int fill = 0; fill < 2; fill++) {
    memset(b, fill ? 0xff : 0x00, big + 8);
    for (size_t k = 0; k < SN_ARRAY_LEN(lens); k++) {
      for (size_t align = 0; align < 8; align += 3) {
        size_t len = lens[k];
        uint16_t want = sn_csum_reference(b + align, len);
        if (fill && len > 0)
          assert_int_equal(want, len & 1 ? 0x00ff : 0x0000);
        else
          assert_int_equal(want, 0xffff);
        for (size_t i = 0; sn_csum_impl(i); i++)
          assert_int_equal(
              sn_csum_fold(sn_csum_impl(i)->partial(b + align, len, 0)), want);
      }
    }
  }
  free(b);
}

/* A starting partial sum is carried through by every implementation,
 * including extreme values of the 32-bit accumulator. */
static void test_initial_sum(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 99);
  uint8_t *b = random_bytes(&r, 5000);
  const uint32_t starts[] = {0, 1, 0xffff, 0x10000, 0xfffe0001, 0xffffffff,
                             0x80000000, 0x12345678};
  const size_t lens[] = {0, 1, 7, 20, 127, 128, 1500, 4999};
  for (size_t s = 0; s < SN_ARRAY_LEN(starts); s++) {
    for (size_t k = 0; k < SN_ARRAY_LEN(lens); k++) {
      /* Summing onto a start equals combining with it afterwards. */
      uint32_t ref = sn_csum_impl(0)->partial(b, lens[k], starts[s]);
      uint32_t alone = sn_csum_impl(0)->partial(b, lens[k], 0);
      assert_int_equal(sn_csum_fold(ref),
                       sn_csum_fold(sn_csum_combine(starts[s], alone, 0)));
      for (size_t i = 1; sn_csum_impl(i); i++)
        assert_int_equal(
            sn_csum_fold(sn_csum_impl(i)->partial(b, lens[k], starts[s])),
            sn_csum_fold(ref));
    }
  }
  free(b);
}

/* Sums of pieces equal the sum of the whole: pieces at even offsets chain
 * through the sum argument; pieces at any offset are summed alone and
 * joined with sn_csum_combine(), flagged when they start at an odd offset. */
static void test_pieces(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 1624);
  uint8_t *b = random_bytes(&r, 3000);
  for (int trial = 0; trial < 2000; trial++) {
    size_t len = (size_t)sn_rng_below(&r, 3001);
    uint16_t want = sn_csum_reference(b, len);
    const struct sn_csum_impl *im = sn_csum_impl(
        (size_t)sn_rng_below(&r, nimpls()));

    /* Even cuts, chained; only the last piece may be odd. */
    uint32_t sum = 0;
    size_t off = 0;
    while (off < len) {
      size_t piece = (size_t)sn_rng_below(&r, 600) * 2;
      if (piece > len - off || sn_rng_chance(&r, 0.1))
        piece = len - off;
      sum = im->partial(b + off, piece, sum);
      off += piece;
    }
    assert_int_equal(sn_csum_fold(sum), want);

    /* Arbitrary cuts, combined. */
    sum = 0;
    off = 0;
    while (off < len) {
      size_t piece = (size_t)sn_rng_below(&r, 400);
      if (piece > len - off)
        piece = len - off;
      sum = sn_csum_combine(sum, im->partial(b + off, piece, 0), off & 1);
      off += piece;
    }
    if (sn_csum_fold(sum) != want)
      fail_msg("%s: len %zu: combined %04x, want %04x", im->name, len,
               sn_csum_fold(sum), want);
  }
  /* Single bytes, each at its own offset. */
  uint32_t sum = 0;
  for (size_t i = 0; i < 101; i++)
    sum = sn_csum_combine(sum, sn_csum_partial(b + i, 1, 0), i & 1);
  assert_int_equal(sn_csum_fold(sum), sn_csum_reference(b, 101));
  free(b);
}

/* sn_csum_copy copies exactly len bytes (nothing before or after the
 * destination range changes) and returns the same sum as sn_csum_partial,
 * for every implementation and misaligned source and destination. */
static void test_copy(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 5);
  const size_t maxlen = 70000;
  uint8_t *src = random_bytes(&r, maxlen + 8);
  uint8_t *dst = malloc(maxlen + 8 + 64);
  assert_non_null(dst);
  size_t lens[400];
  size_t nl = 0;
  for (size_t l = 0; l <= 300; l++)
    lens[nl++] = l;
  const size_t more[] = {511, 512, 513, 1499, 1500, 4096, 9001, 65535,
                         65536, 65537, 69999};
  for (size_t k = 0; k < SN_ARRAY_LEN(more); k++)
    lens[nl++] = more[k];
  /* i == nimpls(): the public sn_csum_copy(). */
  for (size_t i = 0; i <= nimpls(); i++) {
    const struct sn_csum_impl *im = sn_csum_impl(i);
    for (size_t k = 0; k < nl; k++) {
      size_t len = lens[k];
      size_t sa = (k + i) % 8, da = (k * 3 + 1) % 8;
      uint8_t *d = dst + 32 + da;
      memset(dst, 0xa5, maxlen + 8 + 64);
      uint32_t start = (uint32_t)sn_rng_next(&r);
      uint32_t got = im ? im->copy(d, src + sa, len, start)
                        : sn_csum_copy(d, src + sa, len, start);
      assert_memory_equal(d, src + sa, len);
      for (size_t j = 0; j < 32 + da; j++)
        assert_int_equal(dst[j], 0xa5);
      for (size_t j = 32 + da + len; j < maxlen + 8 + 64; j++)
        if (dst[j] != 0xa5)
          fail_msg("%s, len %zu: byte %zu after the copy changed",
                   im ? im->name : "sn_csum_copy", len, j - 32 - da - len);
      assert_int_equal(sn_csum_fold(got),
                       sn_csum_fold(sn_csum_partial(src + sa, len, start)));
      got = im ? im->copy(d, src + sa, len, 0) : sn_csum_copy(d, src + sa, len, 0);
      assert_int_equal(sn_csum_fold(got), sn_csum_reference(src + sa, len));
    }
  }
  free(src);
  free(dst);
}

/* n pages between two pages with no access rights; returns the first
 * usable byte. */
static uint8_t *guarded(size_t n) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  uint8_t *area = mmap(NULL, (n + 2) * page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(area != MAP_FAILED);
  assert_int_equal(mprotect(area, page, PROT_NONE), 0);
  assert_int_equal(mprotect(area + (n + 1) * page, page, PROT_NONE), 0);
  return area + page;
}

static void unguard(uint8_t *p, size_t n) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  munmap(p - page, (n + 2) * page);
}

/* No implementation reads or writes a byte outside its buffers: sources
 * and destinations that end right before, or start right after, a page
 * with no access rights (a stray access would crash the test). */
static void test_page_boundaries(void **state) {
  (void)state;
  const size_t pages = 4;
  size_t size = pages * (size_t)sysconf(_SC_PAGESIZE);
  uint8_t *src = guarded(pages), *dst = guarded(pages);
  struct sn_rng r;
  sn_rng_seed(&r, 4096);
  for (size_t i = 0; i < size; i++)
    src[i] = (uint8_t)sn_rng_next(&r);
  for (size_t len = 0; len <= size; len += (len < 300 ? 1 : 509)) {
    const uint8_t *at_end = src + size - len, *at_start = src;
    uint16_t want_end = sn_csum_reference(at_end, len);
    uint16_t want_start = sn_csum_reference(at_start, len);
    for (size_t i = 0; i <= nimpls(); i++) {
      const struct sn_csum_impl *im = sn_csum_impl(i); /* NULL: public */
      uint32_t (*partial)(const void *, size_t, uint32_t) =
          im ? im->partial : sn_csum_partial;
      uint32_t (*cp)(void *, const void *, size_t, uint32_t) =
          im ? im->copy : sn_csum_copy;
      assert_int_equal(sn_csum_fold(partial(at_end, len, 0)), want_end);
      assert_int_equal(sn_csum_fold(partial(at_start, len, 0)), want_start);
      uint8_t *d_end = dst + size - len;
      assert_int_equal(sn_csum_fold(cp(d_end, at_end, len, 0)), want_end);
      assert_memory_equal(d_end, at_end, len);
      assert_int_equal(sn_csum_fold(cp(dst, at_start, len, 0)), want_start);
      assert_memory_equal(dst, at_start, len);
    }
  }
  unguard(src, pages);
  unguard(dst, pages);
}

/* The IPv4 header from the commonly used worked example (a UDP packet from
 * 192.168.0.1 to 192.168.0.199): checksum b861, and the header with it in
 * place verifies to zero. */
static void test_ipv4_header(void **state) {
  (void)state;
  uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  /* 4500+0073+0000+4000+4011+0000+c0a8+0001+c0a8+00c7 = 2479c;
   * 479c + 2 = 479e; ~479e = b861. */
  assert_int_equal(be_sum(h, 20, 0), 0x479e);
  for (size_t i = 0; sn_csum_impl(i); i++)
    assert_int_equal(sn_csum_fold(sn_csum_impl(i)->partial(h, 20, 0)), 0xb861);
  sn_put16(h + 10, sn_csum_fold(sn_csum_partial(h, 20, 0)));
  assert_int_equal(h[10], 0xb8);
  assert_int_equal(h[11], 0x61);
  assert_int_equal(sn_csum_fold(sn_csum_partial(h, 20, 0)), 0);
  for (size_t i = 0; sn_csum_impl(i); i++)
    assert_int_equal(sn_csum_fold(sn_csum_impl(i)->partial(h, 20, 0)), 0);
  /* Any single flipped bit is detected. */
  for (int bit = 0; bit < 160; bit++) {
    h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    assert_int_not_equal(sn_csum_fold(sn_csum_partial(h, 20, 0)), 0);
    h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
}

/* Random headers of 20..60 bytes with their checksum filled in verify to
 * zero with every implementation. */
static void test_header_verifies_to_zero(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 791);
  uint8_t h[60];
  for (int trial = 0; trial < 1000; trial++) {
    size_t len = 20 + 4 * (size_t)sn_rng_below(&r, 11);
    for (size_t i = 0; i < len; i++)
      h[i] = (uint8_t)sn_rng_next(&r);
    h[10] = h[11] = 0;
    sn_put16(h + 10, sn_csum_fold(sn_csum_partial(h, len, 0)));
    for (size_t i = 0; sn_csum_impl(i); i++)
      assert_int_equal(sn_csum_fold(sn_csum_impl(i)->partial(h, len, 0)), 0);
    assert_int_equal(sn_csum_reference(h, len), 0);
  }
}

/* Checksum of a transport segment with its pseudo-header, computed the
 * library's way. */
static uint16_t l4_csum(uint32_t src, uint32_t dst, uint8_t proto,
                        const uint8_t *seg, size_t len) {
  uint32_t sum = sn_csum_pseudo4(src, dst, proto, (uint16_t)len);
  return sn_csum_fold(sn_csum_partial(seg, len, sum));
}

/* The same computed independently: the RFC 768 / RFC 9293 §3.1
 * pseudo-header laid out as bytes, then the segment. */
static uint16_t l4_csum_independent(uint32_t src, uint32_t dst, uint8_t proto,
                                    const uint8_t *seg, size_t len) {
  uint8_t ph[12];
  sn_put32(ph, src);
  sn_put32(ph + 4, dst);
  ph[8] = 0;
  ph[9] = proto;
  sn_put16(ph + 10, (uint16_t)len);
  uint16_t s = be_sum(ph, 12, 0);
  return (uint16_t)~be_sum(seg, len, s);
}

/* UDP 198.18.0.1:40000 -> 198.18.0.2:7, payload "hello" (odd length).
 * Pseudo-header c612 0001 c612 0002 0011 000d, datagram 9c40 0007 000d
 * 0000 6865 6c6c 6f00 (padded): the words sum to 36c6a, folded 6c6d,
 * checksum ~6c6d = 9392. */
static void test_udp_pseudo_header(void **state) {
  (void)state;
  uint8_t udp[13] = {0x9c, 0x40, 0x00, 0x07, 0x00, 0x0d, 0x00,
                     0x00, 'h',  'e',  'l',  'l',  'o'};
  uint32_t src = tl_ip("198.18.0.1"), dst = tl_ip("198.18.0.2");
  assert_int_equal(l4_csum_independent(src, dst, 17, udp, 13), 0x9392);
  assert_int_equal(l4_csum(src, dst, 17, udp, 13), 0x9392);
  /* The pseudo-header alone: c612+0001+c612+0002+0011+000d = 18c45. */
  assert_int_equal((uint16_t)~sn_csum_fold(sn_csum_pseudo4(src, dst, 17, 13)),
                   0x8c46);
  sn_put16(udp + 6, 0x9392);
  for (size_t i = 0; sn_csum_impl(i); i++)
    assert_int_equal(sn_csum_fold(sn_csum_impl(i)->partial(
                         udp, 13, sn_csum_pseudo4(src, dst, 17, 13))),
                     0);
  /* A different address or port breaks it. */
  assert_int_not_equal(
      sn_csum_fold(sn_csum_partial(udp, 13, sn_csum_pseudo4(src, dst + 1, 17, 13))),
      0);
}

/* TCP SYN 198.18.0.1:40000 -> 198.18.0.2:80 as Linux sends it: seq
 * 0x12345678, window 64240, options MSS 1460, SACK permitted, timestamps
 * (1, 0), NOP, window scale 7; checksum bba9. And a data segment back with
 * PSH|ACK and the 5-byte payload "ping\n": checksum b9ed. */
static void test_tcp_pseudo_header(void **state) {
  (void)state;
  uint8_t syn[40] = {0x9c, 0x40, 0x00, 0x50, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00,
                     0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
                     0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00,
                     0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};
  uint8_t data[25] = {0x00, 0x50, 0x9c, 0x40, 0x9a, 0xbc, 0xde, 0xf0, 0x12,
                      0x34, 0x56, 0x79, 0x50, 0x18, 0x01, 0xf6, 0x00, 0x00,
                      0x00, 0x00, 'p',  'i',  'n',  'g',  '\n'};
  uint32_t a = tl_ip("198.18.0.1"), b = tl_ip("198.18.0.2");
  assert_int_equal(l4_csum_independent(a, b, 6, syn, 40), 0xbba9);
  assert_int_equal(l4_csum(a, b, 6, syn, 40), 0xbba9);
  assert_int_equal(l4_csum_independent(b, a, 6, data, 25), 0xb9ed);
  assert_int_equal(l4_csum(b, a, 6, data, 25), 0xb9ed);
  sn_put16(syn + 16, 0xbba9);
  sn_put16(data + 16, 0xb9ed);
  for (size_t i = 0; sn_csum_impl(i); i++) {
    const struct sn_csum_impl *im = sn_csum_impl(i);
    assert_int_equal(sn_csum_fold(im->partial(syn, 40, sn_csum_pseudo4(a, b, 6, 40))), 0);
    assert_int_equal(sn_csum_fold(im->partial(data, 25, sn_csum_pseudo4(b, a, 6, 25))), 0);
  }
  /* Header and payload summed separately and combined, as the stack does. */
  uint32_t s = sn_csum_pseudo4(b, a, 6, 25);
  s = sn_csum_partial(data, 20, s);
  s = sn_csum_combine(s, sn_csum_partial(data + 20, 5, 0), 0);
  assert_int_equal(sn_csum_fold(s), 0);
}

/* Random segments: the library's pseudo-header checksum equals the
 * independent one for every implementation. */
static void test_pseudo_header_random(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 768);
  uint8_t *seg = random_bytes(&r, 2000);
  for (int trial = 0; trial < 500; trial++) {
    uint32_t src = sn_rng_u32(&r), dst = sn_rng_u32(&r);
    uint8_t proto = sn_rng_chance(&r, 0.5) ? 6 : 17;
    size_t len = (size_t)sn_rng_below(&r, 2001);
    uint16_t want = l4_csum_independent(src, dst, proto, seg, len);
    for (size_t i = 0; sn_csum_impl(i); i++)
      assert_int_equal(sn_csum_fold(sn_csum_impl(i)->partial(
                           seg, len, sn_csum_pseudo4(src, dst, proto, (uint16_t)len))),
                       want);
  }
  free(seg);
}

/* RFC 1624 §4: a field m = 0x5555 becomes 0x3285 in a header whose other
 * words sum to 0xcd7a. HC = ~(cd7a + 5555) = dd2f; recomputed, the new
 * checksum is ~(cd7a + 3285) = ~ffff = 0000, and eqn. 3 gives 0000 too
 * (eqn. 2 of RFC 1141 would give ffff). */
static void test_rfc1624_example(void **state) {
  (void)state;
  uint8_t h[4] = {0xcd, 0x7a, 0x55, 0x55};
  assert_int_equal(sn_csum_reference(h, 4), 0xdd2f);
  assert_int_equal(sn_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
  sn_put16(h + 2, 0x3285);
  assert_int_equal(sn_csum_reference(h, 4), 0x0000);
  /* And back again. */
  assert_int_equal(sn_csum_update16(0x0000, 0x3285, 0x5555), 0xdd2f);
  /* An unchanged field leaves the checksum alone, 0000 included. */
  assert_int_equal(sn_csum_update16(0x0000, 0x5555, 0x5555), 0x0000);
  assert_int_equal(sn_csum_update16(0xdd2f, 0x5555, 0x5555), 0xdd2f);
  /* A 32-bit field: two 16-bit updates. */
  uint8_t h2[8] = {0xcd, 0x7a, 0x55, 0x55, 0x12, 0x34, 0x00, 0x00};
  uint16_t hc = sn_csum_reference(h2, 8);
  sn_put32(h2 + 2, 0x32850000);
  assert_int_equal(sn_csum_update32(hc, 0x55551234, 0x32850000),
                   sn_csum_reference(h2, 8));
}

/* Random 16- and 32-bit field changes in random IPv4-like headers (the
 * first byte is never zero, as in a real header): eqn. 3 always equals a
 * full recomputation, and never yields 0xffff. Some new values are chosen
 * to make the new sum exactly 0xffff (checksum 0x0000), the boundary RFC
 * 1624 §3 discusses, and some headers start with checksum 0x0000. */
static void test_rfc1624_random(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 3);
  uint8_t h[20];
  int zero_results = 0, zero_starts = 0;
  for (int trial = 0; trial < 200000; trial++) {
    for (size_t i = 0; i < 20; i++)
      h[i] = (uint8_t)sn_rng_next(&r);
    h[0] = 0x45;
    size_t pos = 2 * (size_t)sn_rng_below(&r, 10);
    if (pos == 10)
      pos = 12;
    bool wide = pos <= 16 && sn_rng_chance(&r, 0.3) && pos != 8;
    /* The sum of every word but the changing field(s) and the checksum. */
    uint8_t rest[20];
    memcpy(rest, h, 20);
    rest[10] = rest[11] = 0;
    memset(rest + pos, 0, wide ? 4 : 2);
    uint16_t rest_sum = be_sum(rest, 20, 0);

    if (trial % 4 == 1 && !wide) {
      /* Old value making the old checksum 0x0000. */
      sn_put16(h + pos, (uint16_t)~rest_sum);
    }
    h[10] = h[11] = 0;
    uint16_t hc = sn_csum_reference(h, 20);
    sn_put16(h + 10, hc);
    zero_starts += hc == 0;

    uint32_t m = wide ? sn_get32(h + pos) : sn_get16(h + pos);
    uint32_t m_new = sn_rng_u32(&r);
    if (!wide) {
      m_new &= 0xffff;
      if (trial % 4 == 2)
        m_new = (uint16_t)~rest_sum; /* new sum 0xffff: checksum 0x0000 */
      if (trial % 16 == 3)
        m_new = m;
    }
    uint16_t inc;
    if (wide) {
      inc = sn_csum_update32(hc, m, m_new);
      sn_put32(h + pos, m_new);
    } else {
      inc = sn_csum_update16(hc, (uint16_t)m, (uint16_t)m_new);
      sn_put16(h + pos, (uint16_t)m_new);
    }
    h[10] = h[11] = 0;
    uint16_t full = sn_csum_reference(h, 20);
    if (inc != full)
      fail_msg("trial %d: pos %zu %s m %08x -> %08x, hc %04x: incremental "
               "%04x, recomputed %04x",
               trial, pos, wide ? "32-bit" : "16-bit", m, m_new, hc, inc, full);
    assert_int_not_equal(inc, 0xffff);
    zero_results += inc == 0;
  }
  assert_true(zero_results > 1000);
  assert_true(zero_starts > 1000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_impl_list),
      cmocka_unit_test(test_rfc1071_example),
      cmocka_unit_test(test_reference_matches_independent),
      cmocka_unit_test(test_all_lengths_alignments),
      cmocka_unit_test(test_extreme_data),
      cmocka_unit_test(test_initial_sum),
      cmocka_unit_test(test_pieces),
      cmocka_unit_test(test_copy),
      cmocka_unit_test(test_page_boundaries),
      cmocka_unit_test(test_ipv4_header),
      cmocka_unit_test(test_header_verifies_to_zero),
      cmocka_unit_test(test_udp_pseudo_header),
      cmocka_unit_test(test_tcp_pseudo_header),
      cmocka_unit_test(test_pseudo_header_random),
      cmocka_unit_test(test_rfc1624_example),
      cmocka_unit_test(test_rfc1624_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
