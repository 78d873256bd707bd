/*
 * checksum.c - the Internet checksum, RFC 1071, with the incremental
 * update of RFC 1624.
 *
 * RFC 1071 §2(B): the one's-complement sum does not depend on byte order,
 * so the data is summed as native-order words, 32 bits at a time into a
 * 64-bit accumulator (carries collect in the upper half and are folded
 * back at the end), and the result is byte-swapped once when folded.
 * Partial sums therefore are native-order values; only sn_csum_fold()
 * returns a network-order number.
 */
#include "base/checksum.h"

#include <string.h>

static inline uint16_t native_to_net16(uint16_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return (uint16_t)((v >> 8) | (v << 8));
#else
  return v;
#endif
}

static inline uint32_t fold64(uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  return (uint32_t)acc;
}

static inline uint16_t fold32(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

static inline uint32_t load32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Sum the tail (fewer than 4 bytes), padding an odd byte with zero. */
static inline uint64_t sum_tail(const uint8_t *p, size_t len, uint64_t acc) {
  if (len >= 2) {
    uint16_t h;
    memcpy(&h, p, 2);
    acc += h;
    p += 2;
    len -= 2;
  }
  if (len) {
    uint16_t h = 0;
    memcpy(&h, p, 1); /* the byte stays at the lower address */
    acc += h;
  }
  return acc;
}

uint32_t sn_csum_partial(const void *buf, size_t len, uint32_t sum) {
  const uint8_t *p = buf;
  uint64_t a0 = sum, a1 = 0, a2 = 0, a3 = 0;
  /* Four independent accumulators let the adds run in parallel; each
   * gains less than 2^34 per 64 bytes, so 2^29 rounds cannot overflow. */
  while (len >= 64) {
    a0 += (uint64_t)load32(p) + load32(p + 16) + load32(p + 32) + load32(p + 48);
    a1 += (uint64_t)load32(p + 4) + load32(p + 20) + load32(p + 36) + load32(p + 52);
    a2 += (uint64_t)load32(p + 8) + load32(p + 24) + load32(p + 40) + load32(p + 56);
    a3 += (uint64_t)load32(p + 12) + load32(p + 28) + load32(p + 44) + load32(p + 60);
    p += 64;
    len -= 64;
  }
  while (len >= 4) {
    a0 += load32(p);
    p += 4;
    len -= 4;
  }
  a0 = sum_tail(p, len, a0);
  return fold64((uint64_t)fold64(a0) + fold64(a1) + fold64(a2) + fold64(a3));
}

uint32_t sn_csum_copy(void *dst, const void *src, size_t len, uint32_t sum) {
  const uint8_t *s = src;
  uint8_t *d = dst;
  uint64_t a0 = sum, a1 = 0;
  while (len >= 32) {
    uint32_t w[8];
    memcpy(w, s, 32);
    memcpy(d, w, 32);
    a0 += (uint64_t)w[0] + w[2] + w[4] + w[6];
    a1 += (uint64_t)w[1] + w[3] + w[5] + w[7];
    s += 32;
    d += 32;
    len -= 32;
  }
  while (len >= 4) {
    uint32_t w;
    memcpy(&w, s, 4);
    memcpy(d, &w, 4);
    a0 += w;
    s += 4;
    d += 4;
    len -= 4;
  }
  memcpy(d, s, len);
  a0 = sum_tail(s, len, a0);
  return fold64((uint64_t)fold64(a0) + fold64(a1));
}

uint32_t sn_csum_combine(uint32_t a, uint32_t b, int b_at_odd_offset) {
  if (b_at_odd_offset) {
    uint16_t f = fold32(b);
    b = (uint16_t)((f >> 8) | (f << 8));
  }
  return fold64((uint64_t)a + b);
}

uint16_t sn_csum_fold(uint32_t sum) {
  return native_to_net16((uint16_t)~fold32(sum));
}

uint32_t sn_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto,
                         uint16_t len) {
  uint8_t ph[12] = {
      (uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8),
      (uint8_t)src,         (uint8_t)(dst >> 24), (uint8_t)(dst >> 16),
      (uint8_t)(dst >> 8),  (uint8_t)dst,         0,
      proto,                (uint8_t)(len >> 8),  (uint8_t)len};
  return sn_csum_partial(ph, sizeof ph, 0);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
uint16_t sn_csum_update16(uint16_t hc, uint16_t m, uint16_t m_new) {
  uint32_t sum = (uint32_t)(uint16_t)~hc + (uint16_t)~m + m_new;
  return (uint16_t)~fold32(sum);
}

uint16_t sn_csum_update32(uint16_t hc, uint32_t m, uint32_t m_new) {
  hc = sn_csum_update16(hc, (uint16_t)(m >> 16), (uint16_t)(m_new >> 16));
  return sn_csum_update16(hc, (uint16_t)m, (uint16_t)m_new);
}

uint16_t sn_csum_reference(const void *buf, size_t len) {
  const uint8_t *p = buf;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (uint32_t)p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}
