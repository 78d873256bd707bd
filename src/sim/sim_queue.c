/*
 * sim_queue.c - the simulator's event queue: a binary min-heap of events
 * ordered by time, then by the order they were scheduled, so that events
 * due at the same nanosecond run in scheduling order and runs are
 * deterministic. Events are stored by value; the array doubles when full
 * and never shrinks, so a running simulation allocates nothing here.
 */
#include <errno.h>
#include <stdlib.h>

#include "sim/sim_internal.h"

void sim_heap_init(struct sim_heap *h) {
  h->ev = NULL;
  h->n = h->cap = 0;
  h->next_seq = 0;
}

void sim_heap_destroy(struct sim_heap *h) {
  free(h->ev);
  sim_heap_init(h);
}

static bool earlier(const struct sim_event *a, const struct sim_event *b) {
  return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static int grow(struct sim_heap *h) {
  size_t cap = h->cap ? h->cap * 2 : 256;
  struct sim_event *ev = realloc(h->ev, cap * sizeof *ev);
  if (!ev)
    return -ENOMEM;
  h->ev = ev;
  h->cap = cap;
  return 0;
}

int sim_heap_push(struct sim_heap *h, struct sim_event *ev) {
  if (h->n == h->cap && grow(h) != 0)
    return -ENOMEM;
  ev->seq = h->next_seq++;
  /* Sift up: move parents down until ev's place is found. */
  size_t i = h->n++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!earlier(ev, &h->ev[parent]))
      break;
    h->ev[i] = h->ev[parent];
    i = parent;
  }
  h->ev[i] = *ev;
  return 0;
}

bool sim_heap_pop(struct sim_heap *h, struct sim_event *out) {
  if (h->n == 0)
    return false;
  *out = h->ev[0];
  struct sim_event last = h->ev[--h->n];
  /* Sift down: the last event falls from the root to its place. */
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= h->n)
      break;
    if (child + 1 < h->n && earlier(&h->ev[child + 1], &h->ev[child]))
      child++;
    if (!earlier(&h->ev[child], &last))
      break;
    h->ev[i] = h->ev[child];
    i = child;
  }
  if (h->n)
    h->ev[i] = last;
  return true;
}
