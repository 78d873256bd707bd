/*
 * seq.h - TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4).
 *
 * Comparisons are wrap-safe: a is "before" b when the signed distance from
 * a to b is positive. Never compare sequence numbers with raw < or >.
 * sn_seq_len() is for distances known to be non-negative and aborts in
 * debug builds if one is not.
 */
#ifndef SN_BASE_SEQ_H
#define SN_BASE_SEQ_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

typedef uint32_t sn_seq_t;

static inline int32_t sn_seq_diff(sn_seq_t a, sn_seq_t b) {
  return (int32_t)(a - b); /* a - b, signed */
}
static inline bool sn_seq_lt(sn_seq_t a, sn_seq_t b) { return sn_seq_diff(a, b) < 0; }
static inline bool sn_seq_leq(sn_seq_t a, sn_seq_t b) { return sn_seq_diff(a, b) <= 0; }
static inline bool sn_seq_gt(sn_seq_t a, sn_seq_t b) { return sn_seq_diff(a, b) > 0; }
static inline bool sn_seq_geq(sn_seq_t a, sn_seq_t b) { return sn_seq_diff(a, b) >= 0; }

/* lo <= x < hi, on the circle. */
static inline bool sn_seq_in(sn_seq_t x, sn_seq_t lo, sn_seq_t hi) {
  return sn_seq_leq(lo, x) && sn_seq_lt(x, hi);
}

static inline sn_seq_t sn_seq_max(sn_seq_t a, sn_seq_t b) { return sn_seq_gt(a, b) ? a : b; }
static inline sn_seq_t sn_seq_min(sn_seq_t a, sn_seq_t b) { return sn_seq_lt(a, b) ? a : b; }

/* The number of octets from `from` up to `to`; requires from <= to. */
static inline uint32_t sn_seq_len(sn_seq_t from, sn_seq_t to) {
  assert(sn_seq_leq(from, to) && "negative sequence distance");
  return to - from;
}

#endif
