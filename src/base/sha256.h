/*
 * sha256.h - SHA-256 (FIPS 180-4), for checking that bytes arrived intact.
 */
#ifndef SN_BASE_SHA256_H
#define SN_BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sn_sha256 {
  uint32_t h[8];
  uint64_t bytes;
  uint8_t block[64];
  uint32_t fill;
};

void sn_sha256_init(struct sn_sha256 *c);
void sn_sha256_update(struct sn_sha256 *c, const void *data, size_t len);
void sn_sha256_final(struct sn_sha256 *c, uint8_t out[32]);
/* Hex digest (65 bytes with the NUL). */
void sn_sha256_hex(const uint8_t digest[32], char out[65]);

#endif
