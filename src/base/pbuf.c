/*
 * pbuf.c - packet buffer pools: size classes, free lists, chunked growth.
 */
#include "base/pbuf.h"

#include <assert.h>
#include <stdlib.h>

struct chunk {
  struct chunk *next;
  /* buffers follow */
};

static const uint32_t class_size[SN_PBUF_CLASSES] = {
    2048 - sizeof(struct sn_pbuf),           /* MTU 1500 frames */
    16384 - sizeof(struct sn_pbuf),          /* jumbo frames (MTU 9000) */
    SN_PBUF_MAX_BYTES,                       /* MTU 65535, reassembly */
};
static const uint32_t class_per_chunk[SN_PBUF_CLASSES] = {64, 8, 1};

void sn_pbuf_pool_init(struct sn_pbuf_pool *pool, uint64_t limit_bytes) {
  *pool = (struct sn_pbuf_pool){.limit = limit_bytes};
  for (int c = 0; c < SN_PBUF_CLASSES; c++) {
    pool->cls[c].size = class_size[c];
    pool->cls[c].per_chunk = class_per_chunk[c];
  }
}

void sn_pbuf_pool_destroy(struct sn_pbuf_pool *pool) {
  struct chunk *c = pool->chunks;
  while (c) {
    struct chunk *next = c->next;
    free(c);
    c = next;
  }
  pool->chunks = NULL;
}

static size_t stride_of(uint32_t size) {
  size_t s = sizeof(struct sn_pbuf) + size;
  return (s + 63) & ~(size_t)63; /* keep buffers cache-line aligned */
}

static int grow(struct sn_pbuf_pool *pool, int k) {
  size_t stride = stride_of(pool->cls[k].size);
  size_t n = pool->cls[k].per_chunk;
  size_t bytes = 64 + stride * n;
  if (pool->bytes + bytes > pool->limit)
    return -1;
  struct chunk *c = aligned_alloc(64, bytes);
  if (!c)
    return -1;
  c->next = pool->chunks;
  pool->chunks = c;
  pool->bytes += bytes;
  uint8_t *base = (uint8_t *)c + 64;
  for (size_t i = 0; i < n; i++) {
    struct sn_pbuf *p = (struct sn_pbuf *)(void *)(base + i * stride);
    p->cap = pool->cls[k].size;
    p->klass = (uint8_t)k;
    p->next = pool->cls[k].free;
    pool->cls[k].free = p;
  }
  pool->cls[k].total += n;
  return 0;
}

struct sn_pbuf *sn_pbuf_alloc(struct sn_pbuf_pool *pool, size_t headroom,
                              size_t len) {
  /* Checked before adding, so that a huge headroom + len cannot wrap. */
  if (headroom > SN_PBUF_MAX_BYTES || len > SN_PBUF_MAX_BYTES - headroom)
    return NULL;
  size_t need = headroom + len;
  int k = 0;
  while (k < SN_PBUF_CLASSES && pool->cls[k].size < need)
    k++;
  if (k == SN_PBUF_CLASSES)
    return NULL;
  if (!pool->cls[k].free && grow(pool, k) != 0)
    return NULL;
  struct sn_pbuf *p = pool->cls[k].free;
  pool->cls[k].free = p->next;
  pool->cls[k].in_use++;
  p->next = NULL;
  p->data = p->buf + headroom;
  p->len = (uint32_t)len;
  p->why = "";
  p->meta = 0;
  return p;
}

void sn_pbuf_free(struct sn_pbuf_pool *pool, struct sn_pbuf *p) {
  if (!p)
    return;
  assert(p->klass < SN_PBUF_CLASSES);
  p->next = pool->cls[p->klass].free;
  pool->cls[p->klass].free = p;
  pool->cls[p->klass].in_use--;
}

void sn_pbuf_free_chain(struct sn_pbuf_pool *pool, struct sn_pbuf *p) {
  while (p) {
    struct sn_pbuf *next = p->next;
    sn_pbuf_free(pool, p);
    p = next;
  }
}
