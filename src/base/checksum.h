/*
 * checksum.h - the Internet checksum (RFC 1071) and its incremental update
 * (RFC 1624).
 *
 * Sums are kept as 32-bit partial sums ("unfolded") so pieces can be added
 * together in any order: the pseudo-header, then the header, then the
 * payload. Byte order: a sum computed over wire bytes folds to the value
 * that is stored on the wire in network order with sn_put16().
 */
#ifndef SN_BASE_CHECKSUM_H
#define SN_BASE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * One's-complement sum of len bytes at p, added to sum (a partial sum from
 * an earlier call, or 0). An odd len is padded with a zero byte; only the
 * last piece of a checksum may have odd length (or pass odd offsets through
 * sn_csum_add_at()).
 */
uint32_t sn_csum_partial(const void *p, size_t len, uint32_t sum);

/*
 * Copy len bytes from src to dst and return their partial sum added to sum,
 * in one pass over the data.
 */
uint32_t sn_csum_copy(void *dst, const void *src, size_t len, uint32_t sum);

/* Add two partial sums; b covers bytes starting at an odd offset if odd. */
uint32_t sn_csum_combine(uint32_t a, uint32_t b, int b_at_odd_offset);

/* Fold a partial sum to 16 bits and complement it: the value to store. */
uint16_t sn_csum_fold(uint32_t sum);

/* Partial sum of the IPv4 pseudo-header (RFC 768, RFC 9293 §3.1).
 * Addresses in host order. */
uint32_t sn_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto,
                         uint16_t len);

/*
 * RFC 1624 eqn. 3: the stored checksum HC' after a 16-bit field changes
 * from m to m' (all values as read with sn_get16()).
 */
uint16_t sn_csum_update16(uint16_t hc, uint16_t m, uint16_t m_new);
uint16_t sn_csum_update32(uint16_t hc, uint32_t m, uint32_t m_new);

/* The simple byte-at-a-time reference implementation, for tests. */
uint16_t sn_csum_reference(const void *p, size_t len);

/*
 * The implementations behind sn_csum_partial() and sn_csum_copy(), for
 * tests and benchmarks. Index 0 is the portable C code; the others use the
 * vector instructions of this machine's architecture, and only those the
 * processor supports are listed. Returns NULL past the end. All of them
 * return partial sums that fold to the same checksum.
 */
struct sn_csum_impl {
  const char *name;
  uint32_t (*partial)(const void *p, size_t len, uint32_t sum);
  uint32_t (*copy)(void *dst, const void *src, size_t len, uint32_t sum);
};
const struct sn_csum_impl *sn_csum_impl(size_t i);
/* The implementation sn_csum_partial() and sn_csum_copy() use for long
 * buffers on this processor (short ones always take the portable code). */
const struct sn_csum_impl *sn_csum_impl_selected(void);

#endif
