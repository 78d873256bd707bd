/*
 * timer.h - a hierarchical timing wheel with nanosecond deadlines.
 *
 * Ten levels of 64 slots; level L holds timers due between 64^L and
 * 64^(L+1) nanoseconds ahead, and a timer cascades down one or more levels
 * as its time approaches, so arming, re-arming and cancelling are O(1) and
 * firing costs O(levels) per timer at most. Deadlines are exact: a timer
 * fires when the wheel is advanced to or past its deadline, never early.
 * Timers due at the same nanosecond fire in the order they were armed.
 * Advancing over an empty stretch of time jumps straight to the next
 * occupied slot (bitmaps), so an idle wheel costs nothing.
 */
#ifndef SN_BASE_TIMER_H
#define SN_BASE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define SN_WHEEL_BITS 6
#define SN_WHEEL_SLOTS (1u << SN_WHEEL_BITS)
#define SN_WHEEL_LEVELS 10
/* Deadlines are clamped below 2^60 ns (36 years). */
#define SN_TIMER_MAX_NS ((UINT64_C(1) << 60) - 1)

struct sn_timer;
typedef void (*sn_timer_fn)(struct sn_timer *t);

struct sn_tlink {
  struct sn_tlink *next, *prev;
};

struct sn_timer {
  struct sn_tlink link;  /* in a slot or the due list; next == NULL: idle */
  uint64_t deadline;     /* ns */
  uint32_t seq;          /* arming order, for ties */
  uint8_t level;         /* where it is linked (SN_WHEEL_LEVELS: due list) */
  uint8_t slot;
  sn_timer_fn fn;        /* called when it fires; may re-arm */
};

struct sn_wheel {
  uint64_t now;                                   /* time advanced to */
  uint32_t seq;                                   /* next arming number */
  uint64_t bitmap[SN_WHEEL_LEVELS];               /* occupied slots */
  struct sn_tlink slots[SN_WHEEL_LEVELS][SN_WHEEL_SLOTS];
  struct sn_tlink due;                            /* deadline <= now */
  uint64_t armed;                                 /* timers linked */
};

void sn_wheel_init(struct sn_wheel *w, uint64_t now);

static inline void sn_timer_init(struct sn_timer *t, sn_timer_fn fn) {
  t->link.next = t->link.prev = 0;
  t->fn = fn;
  t->deadline = 0;
}
static inline bool sn_timer_armed(const struct sn_timer *t) {
  return t->link.next != 0;
}

/* Arm (or re-arm) t to fire at deadline. A deadline already reached fires
 * at the next sn_wheel_advance(). */
void sn_timer_arm(struct sn_wheel *w, struct sn_timer *t, uint64_t deadline);
/* Disarm t; harmless if it is not armed. */
void sn_timer_cancel(struct sn_wheel *w, struct sn_timer *t);

/*
 * Fire every timer due at or before now, in deadline order (ties in arming
 * order), including timers armed by callbacks for times <= now. Returns the
 * number fired.
 */
uint64_t sn_wheel_advance(struct sn_wheel *w, uint64_t now);

/*
 * The next time at which sn_wheel_advance() has work: a deadline, or a time
 * at which a far slot must be cascaded (never later than the earliest
 * deadline). SN_TIMER_NEVER if nothing is armed.
 */
#define SN_TIMER_NEVER UINT64_MAX
uint64_t sn_wheel_next(const struct sn_wheel *w);

#endif
