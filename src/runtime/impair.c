/*
 * impair.c - the simulator's impairments on a real link: a wrapper link
 * for frames the stack transmits and a filter for frames it receives.
 *
 * Each direction runs the simulator's model (sim/impair.h) with its own
 * generator: loss and burst loss, the queue in front of a rate-limited
 * wire, corruption, duplication, delay and jitter (in order) and
 * reordering. A frame that may go at once goes at once; one that must
 * wait is copied into a held frame in a binary heap keyed by (due time,
 * arrival order) and released by sn_impair_link_poll(). Held frames are
 * recycled through a free list, so the steady state allocates nothing.
 *
 * Times are whatever clock the owner passes (the event loop: monotonic
 * ns); the transmit side uses the stack's time from sn_tx_info.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "sim/impair.h"
#include "synack/runtime.h"
#include "synack/stack.h"

#define DEFAULT_MAX_HELD 16384
#define SCRATCH_LEN (14 + 65535 + 4) /* the largest frame, for corruption */
#define TX 0
#define RX 1

struct held {
  uint64_t due;      /* when it leaves the queue, ns */
  uint64_t seq;      /* order of holding: breaks ties in due */
  struct held *next; /* free-list link */
  uint8_t dir;       /* TX or RX */
  uint32_t len;      /* bytes in data */
  uint32_t cap;      /* bytes data can hold */
  uint8_t *data;
};

struct sn_impair_link {
  struct sn_link inner;           /* where transmitted frames go */
  struct sn_impair model[2];      /* TX, RX */
  struct sn_sim_link_stats stats[2];
  sn_impair_deliver_fn deliver;   /* where received frames go */
  void *deliver_ctx;
  struct held **heap;             /* min-heap on (due, seq) */
  size_t n, heap_cap, max_held;
  uint64_t next_seq;
  struct held *free;              /* recycled held frames */
  uint8_t *scratch[2];            /* SCRATCH_LEN bytes per direction: a
                                     corrupted copy (one each, because a
                                     frame received may make the stack
                                     send one while the first is in use) */
  sn_trace_fn trace_fn;
  void *trace_ctx;
  char name[32];
};

static const char *const dir_names[2] = {"tx", "rx"};

/* Heap -------------------------------------------------------------------- */

static bool before(const struct held *a, const struct held *b) {
  return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_up(struct held **h, size_t i) {
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(h[i], h[p]))
      break;
    struct held *t = h[i];
    h[i] = h[p];
    h[p] = t;
    i = p;
  }
}

static void heap_down(struct held **h, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && before(h[l], h[m]))
      m = l;
    if (r < n && before(h[r], h[m]))
      m = r;
    if (m == i)
      return;
    struct held *t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

/* Hold a copy of frame until due; false if there is no room. */
static bool hold(struct sn_impair_link *il, int dir, const uint8_t *frame,
                 size_t len, uint64_t due) {
  if (il->n >= il->max_held)
    return false;
  if (il->n == il->heap_cap) {
    size_t cap = il->heap_cap ? il->heap_cap * 2 : 256;
    struct held **h = realloc(il->heap, cap * sizeof *h);
    if (!h)
      return false;
    il->heap = h;
    il->heap_cap = cap;
  }
  struct held *f = il->free;
  if (f)
    il->free = f->next;
  else if (!(f = calloc(1, sizeof *f)))
    return false;
  if (f->cap < len) {
    size_t cap = len < 2048 ? 2048 : len;
    uint8_t *d = realloc(f->data, cap);
    if (!d) {
      f->next = il->free;
      il->free = f;
      return false;
    }
    f->data = d;
    f->cap = (uint32_t)cap;
  }
  memcpy(f->data, frame, len);
  f->len = (uint32_t)len;
  f->dir = (uint8_t)dir;
  f->due = due;
  f->seq = il->next_seq++;
  il->heap[il->n] = f;
  heap_up(il->heap, il->n++);
  return true;
}

/* Traces ------------------------------------------------------------------ */

static void emit(struct sn_impair_link *il, uint64_t now, const char *ev,
                 const struct sn_trace_field *f, unsigned n) {
  struct sn_trace_event e = {.time_ns = now, .host = il->name,
                             .cat = SN_TC_sim, .name = ev, .nfields = n,
                             .fields = f};
  il->trace_fn(il->trace_ctx, &e);
}

#define IL_TRACE(il, now, ev, ...)                                             \
  do {                                                                         \
    if ((il)->trace_fn) {                                                      \
      const struct sn_trace_field f_[] = {__VA_ARGS__};                        \
      emit((il), (now), (ev), f_, (unsigned)SN_ARRAY_LEN(f_));                 \
    }                                                                          \
  } while (0)

/* The path of a frame ----------------------------------------------------- */

/* A frame leaves the impairment: onto the wire or into the stack. */
static void release(struct sn_impair_link *il, int dir, const uint8_t *frame,
                    size_t len, uint64_t now, const struct sn_tx_info *info) {
  il->stats[dir].delivered++;
  il->stats[dir].bytes_delivered += len;
  if (dir == TX) {
    struct sn_tx_info held_info = {.now_ns = now, .why = "held by impairment"};
    sn_link_tx(&il->inner, frame, len, info ? info : &held_info);
  } else {
    il->deliver(il->deliver_ctx, frame, len, now);
  }
}

static void count_drop(struct sn_impair_link *il, int dir, uint64_t now,
                       const char *reason, size_t len, uint64_t *ctr) {
  (*ctr)++;
  IL_TRACE(il, now, "drop", SN_TF_S("reason", reason),
           SN_TF_S("dir", dir_names[dir]), SN_TF_U("len", len));
}

/* Judge one frame in direction dir (the model's steps, in its order). */
static void judge(struct sn_impair_link *il, int dir, const uint8_t *frame,
                  size_t len, uint64_t now, const struct sn_tx_info *info) {
  struct sn_impair *m = &il->model[dir];
  struct sn_sim_link_stats *s = &il->stats[dir];
  s->offered++;
  uint64_t done;
  switch (sn_impair_admit(m, now, len, &done)) {
  case SN_IMPAIR_PASS:
    break;
  case SN_IMPAIR_LOSS:
    count_drop(il, dir, now, "loss", len, &s->lost_random);
    return;
  case SN_IMPAIR_BURST:
    count_drop(il, dir, now, "burst-loss", len, &s->lost_burst);
    return;
  case SN_IMPAIR_QUEUE:
    count_drop(il, dir, now, "queue-full", len, &s->dropped_queue);
    return;
  }
  /* Corruption works on a copy: the frame is the sender's. */
  const uint8_t *out = frame;
  size_t off;
  unsigned bit;
  if (m->imp.corrupt > 0 && len <= SCRATCH_LEN) {
    memcpy(il->scratch[dir], frame, len);
    if (sn_impair_corrupt(m, il->scratch[dir], len, &off, &bit)) {
      out = il->scratch[dir];
      s->corrupted++;
      IL_TRACE(il, now, "corrupt", SN_TF_S("dir", dir_names[dir]),
               SN_TF_U("len", len), SN_TF_U("offset", off),
               SN_TF_U("bit", bit));
    }
  }
  bool dup = sn_impair_duplicate(m);
  uint64_t hold_ns;
  uint64_t due = sn_impair_arrival(m, done, &hold_ns);
  if (hold_ns) {
    s->reordered++;
    IL_TRACE(il, now, "reorder", SN_TF_S("dir", dir_names[dir]),
             SN_TF_U("len", len), SN_TF_T("hold", hold_ns));
  }
  for (int copies = dup ? 2 : 1; copies > 0; copies--) {
    if (il->n == 0 && due <= now) {
      release(il, dir, out, len, now, info);
    } else if (!hold(il, dir, out, len, due)) {
      count_drop(il, dir, now, "queue-full", len, &s->dropped_queue);
      return;
    }
  }
  if (dup) {
    s->duplicated++;
    IL_TRACE(il, now, "duplicate", SN_TF_S("dir", dir_names[dir]),
             SN_TF_U("len", len));
  }
}

static int impair_tx(void *ctx, const uint8_t *frame, size_t len,
                     const struct sn_tx_info *info) {
  judge(ctx, TX, frame, len, info->now_ns, info);
  return 0; /* lost on the wire or not, the sender cannot tell */
}

static const struct sn_link_ops impair_ops = {.tx = impair_tx};

/* Public ------------------------------------------------------------------ */

struct sn_impair_link *sn_impair_link_new(struct sn_link inner,
                                          const struct sn_sim_impair *tx,
                                          const struct sn_sim_impair *rx,
                                          uint64_t seed,
                                          sn_impair_deliver_fn deliver,
                                          void *ctx, size_t max_held,
                                          int *err) {
  if (!inner.ops || !inner.ops->tx || !deliver ||
      (tx && !sn_impair_valid(tx)) || (rx && !sn_impair_valid(rx))) {
    if (err)
      *err = -EINVAL;
    return NULL;
  }
  struct sn_impair_link *il = calloc(1, sizeof *il);
  if (il && (!(il->scratch[TX] = malloc(SCRATCH_LEN)) ||
             !(il->scratch[RX] = malloc(SCRATCH_LEN)))) {
    free(il->scratch[TX]);
    free(il);
    il = NULL;
  }
  if (!il) {
    if (err)
      *err = -ENOMEM;
    return NULL;
  }
  il->inner = inner;
  /* Two generators from one seed, as the simulator derives them. */
  uint64_t s = seed;
  sn_impair_init(&il->model[TX], sn_splitmix64(&s));
  sn_impair_init(&il->model[RX], sn_splitmix64(&s));
  if (tx)
    il->model[TX].imp = *tx;
  if (rx)
    il->model[RX].imp = *rx;
  il->deliver = deliver;
  il->deliver_ctx = ctx;
  il->max_held = max_held ? max_held : DEFAULT_MAX_HELD;
  snprintf(il->name, sizeof il->name, "impair");
  if (err)
    *err = 0;
  return il;
}

void sn_impair_link_free(struct sn_impair_link *il) {
  if (!il)
    return;
  for (size_t i = 0; i < il->n; i++) {
    free(il->heap[i]->data);
    free(il->heap[i]);
  }
  while (il->free) {
    struct held *f = il->free;
    il->free = f->next;
    free(f->data);
    free(f);
  }
  free(il->heap);
  free(il->scratch[TX]);
  free(il->scratch[RX]);
  sn_impair_destroy(&il->model[TX]);
  sn_impair_destroy(&il->model[RX]);
  free(il);
}

struct sn_link sn_impair_link_tx(struct sn_impair_link *il) {
  return (struct sn_link){.ops = &impair_ops, .ctx = il};
}

void sn_impair_link_rx(struct sn_impair_link *il, const uint8_t *frame,
                       size_t len, uint64_t now) {
  judge(il, RX, frame, len, now, NULL);
}

uint64_t sn_impair_link_next_deadline(const struct sn_impair_link *il) {
  return il->n ? il->heap[0]->due : SN_TIME_NEVER;
}

void sn_impair_link_poll(struct sn_impair_link *il, uint64_t now) {
  while (il->n && il->heap[0]->due <= now) {
    struct held *f = il->heap[0];
    il->heap[0] = il->heap[--il->n];
    heap_down(il->heap, il->n, 0);
    release(il, f->dir, f->data, f->len, now, NULL);
    f->next = il->free;
    il->free = f;
  }
}

struct sn_sim_link_stats sn_impair_link_stats(const struct sn_impair_link *il,
                                              enum sn_sim_dir dir) {
  if (dir == SN_SIM_AB || dir == SN_SIM_BA)
    return il->stats[dir];
  struct sn_sim_link_stats s = il->stats[TX];
  const struct sn_sim_link_stats *o = &il->stats[RX];
  s.offered += o->offered;
  s.delivered += o->delivered;
  s.lost_random += o->lost_random;
  s.lost_burst += o->lost_burst;
  s.dropped_queue += o->dropped_queue;
  s.duplicated += o->duplicated;
  s.corrupted += o->corrupted;
  s.reordered += o->reordered;
  s.bytes_delivered += o->bytes_delivered;
  return s;
}

void sn_impair_link_set_trace(struct sn_impair_link *il, sn_trace_fn fn,
                              void *ctx, const char *name) {
  il->trace_fn = fn;
  il->trace_ctx = ctx;
  snprintf(il->name, sizeof il->name, "%s", name ? name : "impair");
}
