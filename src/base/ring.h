/*
 * ring.h - a byte ring: the send and receive buffers of a TCP connection.
 *
 * The ring holds `len` bytes starting at `head`; its storage is allocated
 * when first needed, grows by doubling up to a limit the owner enforces,
 * and can be given back when empty, so an idle connection holds none.
 * Bytes may also be written beyond `len` (out-of-order data waiting for a
 * gap to fill); ring_extend() then takes them into the readable part.
 *
 * Invariant: cap is 0 or a power of two; len <= cap; offsets are relative
 * to head.
 */
#ifndef SN_BASE_RING_H
#define SN_BASE_RING_H

#include <stddef.h>
#include <stdint.h>

struct sn_ring {
  uint8_t *buf;  /* NULL until first use */
  uint32_t cap;  /* bytes allocated (0 or a power of two) */
  uint32_t head; /* index of the first byte */
  uint32_t len;  /* readable bytes */
};

/* Make room for at least `need` bytes from head (keeping the content).
 * Returns 0 or -ENOMEM. */
int sn_ring_reserve(struct sn_ring *r, uint32_t need);

/* Release the storage if the ring is empty. */
void sn_ring_shrink(struct sn_ring *r);
void sn_ring_free(struct sn_ring *r);

/* Append n bytes (room must have been reserved). */
void sn_ring_append(struct sn_ring *r, const void *src, uint32_t n);

/* Write n bytes at offset off from head, without changing len (room must
 * have been reserved up to off + n). */
void sn_ring_write_at(struct sn_ring *r, uint32_t off, const void *src,
                      uint32_t n);

/* Take n bytes already written past len into the readable part. */
static inline void sn_ring_extend(struct sn_ring *r, uint32_t n) { r->len += n; }

/* Copy n bytes at offset off into dst. */
void sn_ring_copy_out(const struct sn_ring *r, uint32_t off, void *dst,
                      uint32_t n);

/* Drop n bytes from the front. */
void sn_ring_consume(struct sn_ring *r, uint32_t n);

/* The (up to two) contiguous pieces holding n bytes at offset off. */
struct sn_ring_span {
  const uint8_t *p[2];
  uint32_t n[2];
};
struct sn_ring_span sn_ring_span(const struct sn_ring *r, uint32_t off,
                                 uint32_t n);

#endif
