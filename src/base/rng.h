/*
 * rng.h - the per-stack random generator (xoshiro256**, seeded through
 * splitmix64) and SipHash-2-4 (for ISNs and SYN cookies, RFC 6528).
 *
 * Not for cryptographic secrets drawn from it: the generator is seeded so
 * that runs are reproducible. The SipHash key is drawn from it once.
 */
#ifndef SN_BASE_RNG_H
#define SN_BASE_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sn_rng {
  uint64_t s[4];
};

void sn_rng_seed(struct sn_rng *r, uint64_t seed);
uint64_t sn_rng_next(struct sn_rng *r);
static inline uint32_t sn_rng_u32(struct sn_rng *r) {
  return (uint32_t)(sn_rng_next(r) >> 32);
}
/* Uniform in [0, n); n > 0. */
uint64_t sn_rng_below(struct sn_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double sn_rng_double(struct sn_rng *r);
/* True with probability p (p <= 0: never, p >= 1: always). */
bool sn_rng_chance(struct sn_rng *r, double p);

/* splitmix64 step: derives independent seeds from one. */
uint64_t sn_splitmix64(uint64_t *state);

/* SipHash-2-4 of len bytes at msg under a 16-byte key. */
uint64_t sn_siphash24(const uint8_t key[16], const void *msg, size_t len);

#endif
