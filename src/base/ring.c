/*
 * ring.c - the byte ring (see ring.h).
 */
#include "base/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t pow2_at_least(uint32_t n) {
  uint32_t c = 1024;
  while (c < n)
    c <<= 1;
  return c;
}

int sn_ring_reserve(struct sn_ring *r, uint32_t need) {
  if (need <= r->cap)
    return 0;
  if (need > (1u << 30))
    return -ENOMEM;
  uint32_t cap = pow2_at_least(need);
  uint8_t *nb = malloc(cap);
  if (!nb)
    return -ENOMEM;
  if (r->buf) {
    /* Keep every byte the old ring could hold (readable or written
     * ahead), unwrapped to the front of the new storage. */
    uint32_t first = r->cap - r->head;
    memcpy(nb, r->buf + r->head, first);
    memcpy(nb + first, r->buf, r->head);
    free(r->buf);
  }
  r->buf = nb;
  r->cap = cap;
  r->head = 0;
  return 0;
}

void sn_ring_shrink(struct sn_ring *r) {
  if (r->len == 0)
    sn_ring_free(r);
}

void sn_ring_free(struct sn_ring *r) {
  free(r->buf);
  r->buf = NULL;
  r->cap = r->head = r->len = 0;
}

void sn_ring_write_at(struct sn_ring *r, uint32_t off, const void *src,
                      uint32_t n) {
  uint32_t mask = r->cap - 1;
  uint32_t at = (r->head + off) & mask;
  uint32_t first = r->cap - at < n ? r->cap - at : n;
  memcpy(r->buf + at, src, first);
  memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

void sn_ring_append(struct sn_ring *r, const void *src, uint32_t n) {
  sn_ring_write_at(r, r->len, src, n);
  r->len += n;
}

void sn_ring_copy_out(const struct sn_ring *r, uint32_t off, void *dst,
                      uint32_t n) {
  struct sn_ring_span s = sn_ring_span(r, off, n);
  memcpy(dst, s.p[0], s.n[0]);
  memcpy((uint8_t *)dst + s.n[0], s.p[1], s.n[1]);
}

void sn_ring_consume(struct sn_ring *r, uint32_t n) {
  r->head = (r->head + n) & (r->cap - 1);
  r->len -= n;
}

struct sn_ring_span sn_ring_span(const struct sn_ring *r, uint32_t off,
                                 uint32_t n) {
  struct sn_ring_span s = {{0, 0}, {0, 0}};
  if (n == 0)
    return s;
  uint32_t at = (r->head + off) & (r->cap - 1);
  uint32_t first = r->cap - at < n ? r->cap - at : n;
  s.p[0] = r->buf + at;
  s.n[0] = first;
  s.p[1] = r->buf;
  s.n[1] = n - first;
  return s;
}
