/*
 * util.h - small helpers shared by every layer: byte-order access to wire
 * bytes, container_of, min/max.
 */
#ifndef SN_BASE_UTIL_H
#define SN_BASE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SN_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SN_CONTAINER_OF(ptr, type, member)                                     \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))
#define SN_LIKELY(x) __builtin_expect(!!(x), 1)
#define SN_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define SN_NSEC_PER_USEC 1000ull
#define SN_NSEC_PER_MSEC 1000000ull
#define SN_NSEC_PER_SEC 1000000000ull

/* Big-endian (network order) loads and stores on unaligned bytes. */
static inline uint16_t sn_get16(const uint8_t *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t sn_get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | p[3];
}
static inline void sn_put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void sn_put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

#endif
