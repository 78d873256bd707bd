/*
 * timer.c - the hierarchical timing wheel (Varghese and Lauck's scheme 6,
 * with cascading) over nanosecond deadlines.
 *
 * Placement: a timer due delta > 0 ns after w->now goes to level
 * L = floor(log2(delta) / 6), slot (deadline >> 6L) & 63. Each occupied
 * slot at level L has a start time: the first multiple of 64^L after
 * w->now with that slot index. When the wheel reaches a slot's start, the
 * slot's timers are re-placed relative to that time (they land lower), and
 * level-0 slots, whose timers all share one deadline, move to the due list.
 *
 * Order: the due list is kept sorted by (deadline, seq); a level-0 slot by
 * seq. Cascading can bring an earlier-armed timer in behind a later one, so
 * those inserts walk back from the tail; in the common case they append.
 */
#include "base/timer.h"

#include <assert.h>
#include <stddef.h>

#include "base/util.h"

#define DUE_LEVEL SN_WHEEL_LEVELS

static inline void list_init(struct sn_tlink *h) { h->next = h->prev = h; }
static inline bool list_empty(const struct sn_tlink *h) { return h->next == h; }

static inline struct sn_timer *timer_of(struct sn_tlink *l) {
  return SN_CONTAINER_OF(l, struct sn_timer, link);
}

static inline void link_after(struct sn_tlink *pos, struct sn_tlink *n) {
  n->prev = pos;
  n->next = pos->next;
  pos->next->prev = n;
  pos->next = n;
}

static inline void unlink_node(struct sn_tlink *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->next = n->prev = NULL;
}

/* a fires before b? */
static inline bool before(const struct sn_timer *a, const struct sn_timer *b) {
  if (a->deadline != b->deadline)
    return a->deadline < b->deadline;
  return (int32_t)(a->seq - b->seq) < 0;
}

/* Insert keeping the list sorted, walking back from the tail. */
static void insert_sorted(struct sn_tlink *head, struct sn_timer *t) {
  struct sn_tlink *pos = head->prev;
  while (pos != head && before(t, timer_of(pos)))
    pos = pos->prev;
  link_after(pos, &t->link);
}

void sn_wheel_init(struct sn_wheel *w, uint64_t now) {
  w->now = now;
  w->seq = 0;
  w->armed = 0;
  for (int l = 0; l < SN_WHEEL_LEVELS; l++) {
    w->bitmap[l] = 0;
    for (unsigned s = 0; s < SN_WHEEL_SLOTS; s++)
      list_init(&w->slots[l][s]);
  }
  list_init(&w->due);
}

/* Link t (deadline and seq set) at its place relative to w->now. */
static void place(struct sn_wheel *w, struct sn_timer *t) {
  if (t->deadline <= w->now) {
    t->level = DUE_LEVEL;
    insert_sorted(&w->due, t);
    return;
  }
  uint64_t delta = t->deadline - w->now;
  unsigned level = (unsigned)(63 - __builtin_clzll(delta)) / SN_WHEEL_BITS;
  unsigned slot = (unsigned)(t->deadline >> (level * SN_WHEEL_BITS)) &
                  (SN_WHEEL_SLOTS - 1);
  t->level = (uint8_t)level;
  t->slot = (uint8_t)slot;
  struct sn_tlink *head = &w->slots[level][slot];
  if (level == 0)
    insert_sorted(head, t);
  else
    link_after(head->prev, &t->link); /* append */
  w->bitmap[level] |= UINT64_C(1) << slot;
}

void sn_timer_cancel(struct sn_wheel *w, struct sn_timer *t) {
  if (!sn_timer_armed(t))
    return;
  unlink_node(&t->link);
  w->armed--;
  if (t->level != DUE_LEVEL && list_empty(&w->slots[t->level][t->slot]))
    w->bitmap[t->level] &= ~(UINT64_C(1) << t->slot);
}

void sn_timer_arm(struct sn_wheel *w, struct sn_timer *t, uint64_t deadline) {
  sn_timer_cancel(w, t);
  t->deadline = SN_MIN(deadline, SN_TIMER_MAX_NS);
  t->seq = w->seq++;
  place(w, t);
  w->armed++;
}

/* Start time of the first occupied slot of level l after w->now, or
 * SN_TIMER_NEVER. */
static uint64_t level_next(const struct sn_wheel *w, unsigned l) {
  uint64_t bm = w->bitmap[l];
  if (!bm)
    return SN_TIMER_NEVER;
  unsigned shift = l * SN_WHEEL_BITS;
  uint64_t unit = w->now >> shift;
  unsigned cur = (unsigned)unit & (SN_WHEEL_SLOTS - 1);
  unsigned r = (cur + 1) & (SN_WHEEL_SLOTS - 1);
  uint64_t rot = r ? (bm >> r) | (bm << (64 - r)) : bm;
  unsigned k = (unsigned)__builtin_ctzll(rot) + 1; /* 1..64 slots ahead */
  return (unit + k) << shift;
}

uint64_t sn_wheel_next(const struct sn_wheel *w) {
  if (!list_empty(&w->due))
    return w->now;
  uint64_t next = SN_TIMER_NEVER;
  for (unsigned l = 0; l < SN_WHEEL_LEVELS; l++) {
    uint64_t t = level_next(w, l);
    if (t < next)
      next = t;
  }
  return next;
}

/* Move every timer of slot (l, s) to its place relative to w->now. */
static void cascade(struct sn_wheel *w, unsigned l, unsigned s) {
  struct sn_tlink *head = &w->slots[l][s];
  struct sn_tlink moving;
  if (list_empty(head))
    return;
  /* Detach the whole list first: place() may link into this very slot. */
  moving.next = head->next;
  moving.prev = head->prev;
  moving.next->prev = &moving;
  moving.prev->next = &moving;
  list_init(head);
  w->bitmap[l] &= ~(UINT64_C(1) << s);
  while (!list_empty(&moving)) {
    struct sn_timer *t = timer_of(moving.next);
    unlink_node(&t->link);
    place(w, t);
  }
}

/* Advance w->now to the start time `at` of the next occupied slot(s). */
static void step_to(struct sn_wheel *w, uint64_t at) {
  w->now = at;
  for (int l = SN_WHEEL_LEVELS - 1; l >= 0; l--) {
    unsigned shift = (unsigned)l * SN_WHEEL_BITS;
    if (l > 0 && (at & ((UINT64_C(1) << shift) - 1)) != 0)
      continue; /* not a boundary of this level */
    unsigned s = (unsigned)(at >> shift) & (SN_WHEEL_SLOTS - 1);
    if (w->bitmap[l] & (UINT64_C(1) << s))
      cascade(w, (unsigned)l, s);
  }
}

uint64_t sn_wheel_advance(struct sn_wheel *w, uint64_t now) {
  uint64_t fired = 0;
  for (;;) {
    while (!list_empty(&w->due)) {
      struct sn_timer *t = timer_of(w->due.next);
      unlink_node(&t->link);
      w->armed--;
      fired++;
      t->fn(t);
    }
    uint64_t next = sn_wheel_next(w);
    if (next == w->now)
      continue; /* a callback armed something already due */
    if (next > now) {
      if (now > w->now)
        w->now = now;
      return fired;
    }
    step_to(w, next);
  }
}
