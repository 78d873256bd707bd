/*
 * pbuf.h - packet buffers from per-stack pools.
 *
 * A pbuf is one contiguous buffer with room reserved in front of the data
 * for headers (headroom), so each layer prepends its header in place on the
 * way out. Buffers come in three size classes and are recycled through free
 * lists; memory is taken from the allocator in chunks, never per packet,
 * up to the pool's byte limit.
 *
 * Invariant: buf <= data, data + len <= buf + cap.
 */
#ifndef SN_BASE_PBUF_H
#define SN_BASE_PBUF_H

#include <stddef.h>
#include <stdint.h>

/* Room for Ethernet (14) + IPv4 with options (60) + TCP with options (60). */
#define SN_PBUF_HEADROOM 160

struct sn_pbuf {
  struct sn_pbuf *next; /* link for whoever holds the buffer in a queue */
  uint8_t *data;        /* first valid byte */
  uint32_t len;         /* valid bytes from data */
  uint32_t cap;         /* bytes in buf[] */
  uint8_t klass;        /* size class it returns to */
  const char *why;      /* why the packet exists (static string), for traces */
  uint64_t meta;        /* owner's scratch: next hop, arrival time, ... */
  uint8_t buf[];
};

#define SN_PBUF_CLASSES 3

struct sn_pbuf_pool {
  struct {
    uint32_t size;           /* bytes of buf[] in this class */
    uint32_t per_chunk;      /* buffers allocated together */
    struct sn_pbuf *free;    /* free list */
    uint64_t in_use;         /* buffers handed out */
    uint64_t total;          /* buffers created */
  } cls[SN_PBUF_CLASSES];
  void *chunks;              /* list of allocated chunks, for freeing */
  uint64_t bytes;            /* bytes taken from the allocator */
  uint64_t limit;            /* most bytes it may take */
};

void sn_pbuf_pool_init(struct sn_pbuf_pool *pool, uint64_t limit_bytes);
void sn_pbuf_pool_destroy(struct sn_pbuf_pool *pool);

/* The largest headroom + len a pbuf can hold. */
#define SN_PBUF_MAX_BYTES (65536 + 2 * SN_PBUF_HEADROOM)

/*
 * A buffer whose data starts headroom bytes in and holds len bytes (not
 * initialised). NULL if headroom + len > SN_PBUF_MAX_BYTES or memory is
 * out.
 */
struct sn_pbuf *sn_pbuf_alloc(struct sn_pbuf_pool *pool, size_t headroom,
                              size_t len);
void sn_pbuf_free(struct sn_pbuf_pool *pool, struct sn_pbuf *p);
/* Free a whole ->next chain. */
void sn_pbuf_free_chain(struct sn_pbuf_pool *pool, struct sn_pbuf *p);

static inline size_t sn_pbuf_headroom(const struct sn_pbuf *p) {
  return (size_t)(p->data - p->buf);
}
static inline size_t sn_pbuf_tailroom(const struct sn_pbuf *p) {
  return p->cap - sn_pbuf_headroom(p) - p->len;
}
/* Prepend n bytes (a header); the caller checks headroom. */
static inline uint8_t *sn_pbuf_push(struct sn_pbuf *p, size_t n) {
  p->data -= n;
  p->len += (uint32_t)n;
  return p->data;
}
/* Remove n bytes from the front. */
static inline uint8_t *sn_pbuf_pull(struct sn_pbuf *p, size_t n) {
  p->data += n;
  p->len -= (uint32_t)n;
  return p->data;
}

#endif
