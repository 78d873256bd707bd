/*
 * rng.c - xoshiro256** (Blackman and Vigna) and SipHash-2-4 (Aumasson and
 * Bernstein), written from their published descriptions.
 */
#include "base/rng.h"

#include <string.h>

uint64_t sn_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void sn_rng_seed(struct sn_rng *r, uint64_t seed) {
  uint64_t st = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = sn_splitmix64(&st);
}

static inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t sn_rng_next(struct sn_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* Lemire's multiply-and-reject: unbiased, usually one multiplication. */
uint64_t sn_rng_below(struct sn_rng *r, uint64_t n) {
  unsigned __int128 m = (unsigned __int128)sn_rng_next(r) * n;
  uint64_t lo = (uint64_t)m;
  if (lo < n) {
    uint64_t threshold = -n % n;
    while (lo < threshold) {
      m = (unsigned __int128)sn_rng_next(r) * n;
      lo = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

double sn_rng_double(struct sn_rng *r) {
  return (double)(sn_rng_next(r) >> 11) * 0x1.0p-53;
}

bool sn_rng_chance(struct sn_rng *r, double p) {
  if (p <= 0)
    return false;
  if (p >= 1)
    return true;
  return sn_rng_double(r) < p;
}

/* SipHash-2-4 ------------------------------------------------------------ */

static inline uint64_t load64le(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

#define SIPROUND(v0, v1, v2, v3)                                               \
  do {                                                                         \
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);                  \
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                     \
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                     \
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);                  \
  } while (0)

uint64_t sn_siphash24(const uint8_t key[16], const void *msg, size_t len) {
  const uint8_t *m = msg;
  uint64_t k0 = load64le(key), k1 = load64le(key + 8);
  uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
  uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
  uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
  uint64_t v3 = k1 ^ 0x7465646279746573ull;
  size_t whole = len & ~(size_t)7;
  for (size_t i = 0; i < whole; i += 8) {
    uint64_t w = load64le(m + i);
    v3 ^= w;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    v0 ^= w;
  }
  /* Last block: the remaining bytes, and the length in the top byte. */
  uint8_t last[8] = {0};
  memcpy(last, m + whole, len - whole);
  last[7] = (uint8_t)len;
  uint64_t w = load64le(last);
  v3 ^= w;
  SIPROUND(v0, v1, v2, v3);
  SIPROUND(v0, v1, v2, v3);
  v0 ^= w;
  v2 ^= 0xff;
  for (int i = 0; i < 4; i++)
    SIPROUND(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}
