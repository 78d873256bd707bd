/*
 * test_timer.c - the hierarchical timing wheel (base/timer.c): exact
 * deadlines, ties in arming order (including timers that cascaded down
 * from high levels), cancel and re-arm, callbacks that arm timers already
 * due, sn_wheel_next(), long jumps in time, and a randomized comparison
 * with a simple reference model (a scan for the earliest timer) over
 * thousands of operations spanning nanoseconds to days.
 *
 * The wheel's time while a callback runs (w->now) is the time the timer
 * fires at; the tests record it and check that it is the deadline itself
 * (or the wheel's time when the timer was armed already overdue).
 */
#include "testlib.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "base/timer.h"
#include "base/util.h"

#define SEC SN_NSEC_PER_SEC
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)

/* A test timer: the wheel's timer, an id, and the context it logs to. */
struct tt {
  struct sn_timer t;
  int id;
  struct ctx *ctx;
  void (*action)(struct tt *x); /* extra work in the callback, optional */
  int count;                    /* times fired */
};

struct fire {
  int id;
  uint64_t at; /* the wheel's time when it fired */
};

#define MAX_LOG 400000
struct ctx {
  struct sn_wheel w;
  struct tt timers[64];
  struct fire *log;
  size_t n;
  uint64_t target; /* the time the current sn_wheel_advance() goes to */
};

static void on_fire(struct sn_timer *t) {
  struct tt *x = SN_CONTAINER_OF(t, struct tt, t);
  struct ctx *c = x->ctx;
  /* Never early, never beyond the time advanced to. */
  if (c->w.now < t->deadline)
    fail_msg("timer %d fired at %llu before its deadline %llu", x->id,
             (unsigned long long)c->w.now, (unsigned long long)t->deadline);
  assert_false(sn_timer_armed(t));
  assert_true(c->n < MAX_LOG);
  c->log[c->n++] = (struct fire){x->id, c->w.now};
  x->count++;
  if (x->action)
    x->action(x);
}

static struct ctx *ctx_new(uint64_t now) {
  struct ctx *c = calloc(1, sizeof *c);
  assert_non_null(c);
  c->log = calloc(MAX_LOG, sizeof *c->log);
  assert_non_null(c->log);
  sn_wheel_init(&c->w, now);
  for (int i = 0; i < 64; i++) {
    c->timers[i].id = i;
    c->timers[i].ctx = c;
    sn_timer_init(&c->timers[i].t, on_fire);
  }
  return c;
}

static void ctx_free(struct ctx *c) {
  free(c->log);
  free(c);
}

static uint64_t advance(struct ctx *c, uint64_t to) {
  c->target = to;
  size_t before = c->n;
  uint64_t fired = sn_wheel_advance(&c->w, to);
  assert_int_equal(fired, c->n - before);
  for (size_t i = before; i < c->n; i++)
    assert_true(c->log[i].at <= (to > c->w.now ? to : c->w.now));
  return fired;
}

static void arm(struct ctx *c, int id, uint64_t deadline) {
  sn_timer_arm(&c->w, &c->timers[id].t, deadline);
}

/* Check the log from index from on: ids and times in order. */
static void expect_log(struct ctx *c, size_t from, const int *ids,
                       const uint64_t *ats, size_t n) {
  if (c->n - from != n)
    fail_msg("%zu timers fired, want %zu", c->n - from, n);
  for (size_t i = 0; i < n; i++) {
    if (c->log[from + i].id != ids[i] || c->log[from + i].at != ats[i])
      fail_msg("firing %zu: timer %d at %llu, want timer %d at %llu", i,
               c->log[from + i].id, (unsigned long long)c->log[from + i].at,
               ids[i], (unsigned long long)ats[i]);
  }
}

/* An empty wheel has no next time and advancing it fires nothing. */
static void test_empty(void **state) {
  (void)state;
  struct ctx *c = ctx_new(5);
  assert_true(sn_wheel_next(&c->w) == SN_TIMER_NEVER);
  assert_int_equal(advance(c, 1000), 0);
  assert_true(c->w.now == 1000);
  assert_int_equal(advance(c, 10 * DAY), 0);
  assert_true(c->w.now == 10 * DAY);
  assert_true(sn_wheel_next(&c->w) == SN_TIMER_NEVER);
  /* Time never goes back. */
  assert_int_equal(advance(c, 7), 0);
  assert_true(c->w.now == 10 * DAY);
  ctx_free(c);
}

/* A timer does not fire when the wheel is advanced to one nanosecond
 * before its deadline, and fires, at the deadline, when advanced to it or
 * past it; for deadlines at and around every level's slot boundaries. */
static void test_exact_deadline(void **state) {
  (void)state;
  const uint64_t starts[] = {0, 1, 12345678901ull, 3 * DAY + 17};
  const uint64_t deltas[] = {1,
                             2,
                             63,
                             64,
                             65,
                             4095,
                             4096,
                             4097,
                             262143,
                             262144,
                             262145,
                             (1ull << 24) - 1,
                             1ull << 30,
                             SEC + 7,
                             HOUR,
                             HOUR + 1,
                             3 * DAY + 5,
                             400 * DAY,
                             1ull << 59};
  for (size_t s = 0; s < SN_ARRAY_LEN(starts); s++) {
    for (size_t k = 0; k < SN_ARRAY_LEN(deltas); k++) {
      uint64_t d = starts[s] + deltas[k];
      for (int past = 0; past < 2; past++) {
        struct ctx *c = ctx_new(starts[s]);
        arm(c, 0, d);
        assert_true(sn_timer_armed(&c->timers[0].t));
        assert_true(sn_wheel_next(&c->w) <= d);
        assert_true(sn_wheel_next(&c->w) > c->w.now);
        assert_int_equal(advance(c, d - 1), 0);
        assert_true(sn_timer_armed(&c->timers[0].t));
        assert_true(sn_wheel_next(&c->w) <= d);
        uint64_t to = past ? d + 1 + deltas[k] / 2 : d;
        assert_int_equal(advance(c, to), 1);
        const int id = 0;
        expect_log(c, 0, &id, &d, 1);
        assert_false(sn_timer_armed(&c->timers[0].t));
        assert_true(c->w.now == to);
        assert_true(sn_wheel_next(&c->w) == SN_TIMER_NEVER);
        ctx_free(c);
      }
    }
  }
}

/* Following sn_wheel_next() step by step reaches the deadline without
 * firing early, in a few steps (a couple per level at most). */
static void test_follow_next(void **state) {
  (void)state;
  const uint64_t deadlines[] = {1, 64, 4097, SEC, HOUR + 3, 30 * DAY + 11,
                                (1ull << 59) + 5};
  for (size_t k = 0; k < SN_ARRAY_LEN(deadlines); k++) {
    struct ctx *c = ctx_new(0);
    arm(c, 0, deadlines[k]);
    int steps = 0;
    while (c->n == 0) {
      uint64_t next = sn_wheel_next(&c->w);
      assert_true(next > c->w.now);
      assert_true(next <= deadlines[k]);
      advance(c, next);
      assert_true(++steps <= 2 * SN_WHEEL_LEVELS + 2);
    }
    assert_true(c->log[0].at == deadlines[k]);
    ctx_free(c);
  }
}

/* Timers due at the same nanosecond fire in the order they were armed,
 * whether they were armed a day before (and cascaded down through the
 * levels) or a nanosecond before; other deadlines keep their order around
 * them. Also for deadlines on slot boundaries of high levels. */
static void test_ties_in_arming_order(void **state) {
  (void)state;
  const uint64_t ds[] = {DAY + 17, 1ull << 30, 3ull << 36, 64, 4096 * 64};
  for (size_t k = 0; k < SN_ARRAY_LEN(ds); k++) {
    uint64_t d = ds[k];
    struct ctx *c = ctx_new(0);
    arm(c, 0, d);     /* long before: sits in a high level */
    arm(c, 1, d);
    arm(c, 7, d + 1); /* just after */
    advance(c, d / 2);
    arm(c, 2, d);
    if (d > 100) {
      advance(c, d - 100);
      arm(c, 3, d);
    }
    advance(c, d - 1);
    arm(c, 4, d); /* a nanosecond before: level 0 */
    arm(c, 5, d - 1); /* overdue: fires first */
    arm(c, 6, d);
    size_t from = c->n;
    advance(c, d + 1);
    if (d > 100) {
      const int ids[] = {5, 0, 1, 2, 3, 4, 6, 7};
      const uint64_t ats[] = {d - 1, d, d, d, d, d, d, d + 1};
      expect_log(c, from, ids, ats, 8);
    } else {
      const int ids[] = {5, 0, 1, 2, 4, 6, 7};
      const uint64_t ats[] = {d - 1, d, d, d, d, d, d + 1};
      expect_log(c, from, ids, ats, 7);
    }
    ctx_free(c);
  }
}

/* Re-arming moves a timer behind the others due at the same time. */
static void test_rearm_reorders_ties(void **state) {
  (void)state;
  struct ctx *c = ctx_new(0);
  arm(c, 0, HOUR);
  arm(c, 1, HOUR);
  arm(c, 2, HOUR);
  advance(c, HOUR / 3);
  arm(c, 0, HOUR); /* same deadline, armed again: now last */
  advance(c, HOUR);
  const int ids[] = {1, 2, 0};
  const uint64_t ats[] = {HOUR, HOUR, HOUR};
  expect_log(c, 0, ids, ats, 3);
  ctx_free(c);
}

/* Arming order survives the wrap of the 32-bit arming counter. */
static void test_ties_across_seq_wrap(void **state) {
  (void)state;
  struct ctx *c = ctx_new(0);
  c->w.seq = UINT32_MAX - 1;
  arm(c, 0, 1000);
  arm(c, 1, 1000);
  arm(c, 2, 1000); /* seq wrapped to 0 */
  arm(c, 3, 1000);
  advance(c, 1000);
  const int ids[] = {0, 1, 2, 3};
  const uint64_t ats[] = {1000, 1000, 1000, 1000};
  expect_log(c, 0, ids, ats, 4);
  ctx_free(c);
}

static void cancel_timer_2(struct tt *x) {
  sn_timer_cancel(&x->ctx->w, &x->ctx->timers[2].t);
}
static void cancel_self(struct tt *x) { sn_timer_cancel(&x->ctx->w, &x->t); }
static void rearm_self_plus_10(struct tt *x) {
  if (x->count < 3)
    sn_timer_arm(&x->ctx->w, &x->t, x->ctx->w.now + 10);
}

/* Cancel stops a timer wherever it is (in a slot or already due), twice
 * is harmless, re-arming moves the deadline either way, and a callback
 * may cancel another timer due at the same time, or itself, or re-arm
 * itself. The wheel's count of armed timers follows. */
static void test_cancel_and_rearm(void **state) {
  (void)state;
  struct ctx *c = ctx_new(0);
  arm(c, 0, 100);
  assert_int_equal(c->w.armed, 1);
  sn_timer_cancel(&c->w, &c->timers[0].t);
  sn_timer_cancel(&c->w, &c->timers[0].t);
  sn_timer_cancel(&c->w, &c->timers[9].t); /* never armed */
  assert_int_equal(c->w.armed, 0);
  assert_false(sn_timer_armed(&c->timers[0].t));
  assert_true(sn_wheel_next(&c->w) == SN_TIMER_NEVER);
  assert_int_equal(advance(c, 200), 0);

  /* Earlier, then later. */
  arm(c, 0, 3 * HOUR);
  arm(c, 0, 300);
  arm(c, 1, 500);
  arm(c, 1, HOUR);
  assert_int_equal(c->w.armed, 2);
  assert_int_equal(advance(c, 1000), 1);
  assert_true(c->log[0].id == 0 && c->log[0].at == 300);
  assert_int_equal(advance(c, HOUR - 1), 0);
  assert_int_equal(advance(c, 2 * HOUR), 1);
  assert_true(c->log[1].id == 1 && c->log[1].at == HOUR);
  assert_int_equal(advance(c, 4 * HOUR), 0);

  /* Cancel a timer that is already due (armed in the past). */
  uint64_t t0 = c->w.now;
  arm(c, 3, t0 - 50);
  assert_true(sn_wheel_next(&c->w) == t0);
  sn_timer_cancel(&c->w, &c->timers[3].t);
  assert_true(sn_wheel_next(&c->w) == SN_TIMER_NEVER);
  assert_int_equal(advance(c, t0 + 1), 0);

  /* Callbacks: 1 cancels 2 (due at the same time), 3 cancels itself,
   * 4 re-arms itself 10 ns later, twice. */
  size_t from = c->n;
  uint64_t d = c->w.now + 5000;
  c->timers[1].action = cancel_timer_2;
  c->timers[3].action = cancel_self;
  c->timers[4].action = rearm_self_plus_10;
  c->timers[4].count = 0;
  arm(c, 1, d);
  arm(c, 2, d);
  arm(c, 3, d);
  arm(c, 4, d);
  assert_int_equal(c->w.armed, 4);
  assert_int_equal(advance(c, d + 1000), 5);
  const int ids[] = {1, 3, 4, 4, 4};
  const uint64_t ats[] = {d, d, d, d + 10, d + 20};
  expect_log(c, from, ids, ats, 5);
  assert_int_equal(c->w.armed, 0);
  assert_false(sn_timer_armed(&c->timers[2].t));
  ctx_free(c);
}

static void arm_followers(struct tt *x) {
  struct ctx *c = x->ctx;
  uint64_t now = c->w.now;
  sn_timer_arm(&c->w, &c->timers[10].t, now);             /* due now */
  sn_timer_arm(&c->w, &c->timers[11].t, now - 3000);      /* in the past */
  sn_timer_arm(&c->w, &c->timers[12].t, now + 1);         /* within reach */
  sn_timer_arm(&c->w, &c->timers[13].t, now + 1000000);   /* beyond */
}

static void chain_next(struct tt *x) {
  if (x->count < 100)
    sn_timer_arm(&x->ctx->w, &x->t, x->ctx->w.now + 1);
}

static void rearm_now(struct tt *x) {
  if (x->count < 3)
    sn_timer_arm(&x->ctx->w, &x->t, x->ctx->w.now);
}

/* Timers a callback arms for now or for the past fire in the same
 * advance, after the callback, in deadline order; so does one due later
 * but before the time advanced to; one due beyond it stays armed. */
static void test_callback_arms_due(void **state) {
  (void)state;
  struct ctx *c = ctx_new(0);
  c->timers[0].action = arm_followers;
  arm(c, 0, 5000);
  assert_int_equal(advance(c, 10000), 4);
  const int ids[] = {0, 11, 10, 12};
  const uint64_t ats[] = {5000, 5000, 5000, 5001};
  expect_log(c, 0, ids, ats, 4);
  assert_true(sn_timer_armed(&c->timers[13].t));
  assert_true(sn_wheel_next(&c->w) <= 5000 + 1000000);
  assert_int_equal(advance(c, 5000 + 1000000), 1);

  /* A timer re-arming itself 1 ns ahead fires 100 times in one advance. */
  c->n = 0;
  c->timers[1].action = chain_next;
  uint64_t t0 = c->w.now;
  arm(c, 1, t0 + 1);
  assert_int_equal(advance(c, t0 + 1000), 100);
  for (size_t i = 0; i < 100; i++)
    assert_true(c->log[i].id == 1 && c->log[i].at == t0 + 1 + i);

  /* A timer re-arming itself for the very same time fires again at once. */
  c->n = 0;
  c->timers[2].action = rearm_now;
  arm(c, 2, c->w.now + 7);
  assert_int_equal(advance(c, c->w.now + 7), 3);
  ctx_free(c);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Large jumps cost work per timer, not per nanosecond: 60 timers spread
 * over a month fire in order in one advance; a million one-hour advances
 * over an almost idle wheel and a single jump over 20 years take well
 * under a few seconds even in a sanitizer build. */
static void test_large_jumps_fast(void **state) {
  (void)state;
  struct ctx *c = ctx_new(0);
  struct sn_rng r;
  sn_rng_seed(&r, 86400);
  uint64_t d[60];
  for (int i = 0; i < 60; i++) {
    d[i] = 1 + sn_rng_below(&r, 30 * DAY);
    arm(c, i, d[i]);
  }
  double t0 = now_s();
  assert_int_equal(advance(c, 31 * DAY), 60);
  for (size_t i = 1; i < 60; i++)
    assert_true(c->log[i - 1].at <= c->log[i].at);
  for (size_t i = 0; i < 60; i++)
    assert_true(c->log[i].at == d[c->log[i].id]);

  c->n = 0;
  uint64_t far = c->w.now + 10 * 365 * DAY + 123;
  arm(c, 0, far);
  uint64_t now = c->w.now;
  for (int i = 0; i < 1000000 && c->n == 0; i++) {
    now += HOUR;
    advance(c, now);
  }
  assert_int_equal(c->n, 1);
  assert_true(c->log[0].at == far);

  uint64_t later = c->w.now + 20 * 365 * DAY;
  arm(c, 1, later);
  assert_int_equal(advance(c, c->w.now + 21 * 365 * DAY), 1);
  assert_true(c->log[1].at == later);
  double took = now_s() - t0;
  if (took > 5.0)
    fail_msg("large jumps took %.2f s", took);
  ctx_free(c);
}

/* Deadlines beyond the wheel's range are clamped to SN_TIMER_MAX_NS. */
static void test_clamp(void **state) {
  (void)state;
  struct ctx *c = ctx_new(0);
  arm(c, 0, UINT64_MAX);
  assert_true(c->timers[0].t.deadline == SN_TIMER_MAX_NS);
  assert_int_equal(advance(c, SN_TIMER_MAX_NS - 1), 0);
  assert_int_equal(advance(c, SN_TIMER_MAX_NS), 1);
  assert_true(c->log[0].at == SN_TIMER_MAX_NS);
  ctx_free(c);
}

/* sn_wheel_next() is never later than the earliest deadline, never
 * before the wheel's time, and the wheel's time while nothing is due. */
static void test_next_bounds(void **state) {
  (void)state;
  struct ctx *c = ctx_new(1000);
  struct sn_rng r;
  sn_rng_seed(&r, 64);
  for (int round = 0; round < 2000; round++) {
    int id = (int)sn_rng_below(&r, 64);
    uint64_t e = sn_rng_below(&r, 48);
    arm(c, id, c->w.now + 1 + sn_rng_below(&r, 1ull << e));
    uint64_t earliest = UINT64_MAX;
    for (int i = 0; i < 64; i++)
      if (sn_timer_armed(&c->timers[i].t) && c->timers[i].t.deadline < earliest)
        earliest = c->timers[i].t.deadline;
    uint64_t next = sn_wheel_next(&c->w);
    assert_true(next <= earliest);
    assert_true(next > c->w.now);
    if (round % 3 == 0)
      advance(c, next);
  }
  ctx_free(c);
}

/* ------------------------------------------------------------------------
 * Randomized comparison with a reference model.
 *
 * The model keeps each timer's deadline and arming number and, to advance,
 * repeatedly fires the armed timer with the smallest (deadline, arming
 * number) while that deadline is at or before the target (or the model's
 * time, for timers armed already overdue), setting its time to the
 * deadline first. Both run the same operations, and the callbacks do the
 * same things (chosen from a hash of the timer and how often it fired), so
 * the logs of (timer, time) must be identical.
 */

#define NT 48

struct model {
  uint64_t now;
  uint32_t seq;
  bool armed[NT];
  uint64_t deadline[NT];
  uint32_t armseq[NT];
  int count[NT];
  struct fire *log;
  size_t n;
};

struct pair {
  struct ctx *c;
  struct model m;
  uint64_t seed;
  uint64_t wheel_depth; /* guards runaway callbacks */
};

static struct pair *g_pair; /* the pair the callbacks act on */

/* A time distance: zero, small, near slot boundaries, log-uniform from
 * nanoseconds to two days, or several days. */
static uint64_t rand_delta(uint64_t x) {
  uint64_t st = x;
  uint64_t a = sn_splitmix64(&st), b = sn_splitmix64(&st);
  switch (a % 10) {
  case 0:
    return 0;
  case 1:
    return 1 + b % 64;
  case 2: {
    uint64_t k = 1 + b % 8;
    return (1ull << (6 * k)) + (b >> 8) % 3 - 1;
  }
  case 9:
    return b % (5 * DAY);
  default: {
    unsigned e = (unsigned)(b % 48);
    return (b >> 8) & ((1ull << e) - 1);
  }
  }
}

static uint64_t action_hash(uint64_t seed, int id, int count) {
  uint64_t st = seed ^ ((uint64_t)id << 32) ^ (uint64_t)count * 0x9e37u;
  return sn_splitmix64(&st);
}

static void model_arm(struct model *m, int id, uint64_t deadline) {
  m->armed[id] = true;
  m->deadline[id] = deadline < SN_TIMER_MAX_NS ? deadline : SN_TIMER_MAX_NS;
  m->armseq[id] = m->seq++;
}

/* Arm or cancel a timer on the wheel's side or the model's. */
static void do_arm(bool wheel, int id, uint64_t deadline) {
  if (wheel)
    sn_timer_arm(&g_pair->c->w, &g_pair->c->timers[id].t, deadline);
  else
    model_arm(&g_pair->m, id, deadline);
}

static void do_cancel(bool wheel, int id) {
  if (wheel)
    sn_timer_cancel(&g_pair->c->w, &g_pair->c->timers[id].t);
  else
    g_pair->m.armed[id] = false;
}

/* What a callback does: a pure function of the timer, how often it fired
 * and the time, so both sides do the same. */
static void callback_action(bool wheel, int id, int count, uint64_t now) {
  uint64_t h = action_hash(g_pair->seed, id, count);
  int other = (int)((h >> 8) % NT);
  uint64_t delta = rand_delta(h >> 3);
  switch (h % 8) {
  case 0: /* re-arm itself later */
    do_arm(wheel, id, now + (delta ? delta : 1));
    break;
  case 1: /* arm another */
    do_arm(wheel, other, now + delta);
    break;
  case 2: /* cancel another */
    do_cancel(wheel, other);
    break;
  case 3: /* arm another in the past */
    do_arm(wheel, other, now - (delta % (now + 1)));
    break;
  case 4: /* re-arm itself for right now, a few times */
    if (count < 3)
      do_arm(wheel, id, now);
    break;
  default:
    break;
  }
}

static void pair_on_fire(struct tt *x) {
  assert_true(++g_pair->wheel_depth < 10000000);
  callback_action(true, x->id, x->count - 1, x->ctx->w.now);
}

static void model_advance(struct model *m, uint64_t target) {
  uint64_t limit = target > m->now ? target : m->now;
  for (;;) {
    int best = -1;
    for (int i = 0; i < NT; i++) {
      if (!m->armed[i])
        continue;
      if (best < 0 || m->deadline[i] < m->deadline[best] ||
          (m->deadline[i] == m->deadline[best] &&
           (int32_t)(m->armseq[i] - m->armseq[best]) < 0))
        best = i;
    }
    if (best < 0 || m->deadline[best] > limit)
      break;
    if (m->deadline[best] > m->now)
      m->now = m->deadline[best];
    m->armed[best] = false;
    assert_true(m->n < MAX_LOG);
    m->log[m->n++] = (struct fire){best, m->now};
    int count = m->count[best]++;
    callback_action(false, best, count, m->now);
  }
  m->now = limit;
}

static uint64_t model_earliest(const struct model *m) {
  uint64_t e = SN_TIMER_NEVER;
  for (int i = 0; i < NT; i++)
    if (m->armed[i] && m->deadline[i] < e)
      e = m->deadline[i];
  return e;
}

static void compare(struct pair *p, int op, const char *what) {
  struct ctx *c = p->c;
  struct model *m = &p->m;
  size_t n = c->n < m->n ? c->n : m->n;
  for (size_t i = 0; i < n; i++)
    if (c->log[i].id != m->log[i].id || c->log[i].at != m->log[i].at)
      fail_msg("seed %llu op %d (%s): firing %zu: wheel timer %d at %llu, "
               "model timer %d at %llu",
               (unsigned long long)p->seed, op, what, i, c->log[i].id,
               (unsigned long long)c->log[i].at, m->log[i].id,
               (unsigned long long)m->log[i].at);
  if (c->n != m->n)
    fail_msg("seed %llu op %d (%s): wheel fired %zu, model %zu",
             (unsigned long long)p->seed, op, what, c->n, m->n);
  assert_true(c->w.now == m->now);
  uint64_t armed = 0;
  for (int i = 0; i < NT; i++) {
    assert_int_equal(sn_timer_armed(&c->timers[i].t), m->armed[i]);
    if (m->armed[i]) {
      armed++;
      assert_true(c->timers[i].t.deadline == m->deadline[i]);
    }
  }
  assert_int_equal(c->w.armed, armed);
  uint64_t next = sn_wheel_next(&c->w), earliest = model_earliest(m);
  if (earliest == SN_TIMER_NEVER) {
    assert_true(next == SN_TIMER_NEVER);
  } else {
    assert_true(next >= c->w.now);
    assert_true(next <= (earliest > c->w.now ? earliest : c->w.now));
  }
}

static void run_model(uint64_t seed, int ops, size_t *fired) {
  struct pair *p = calloc(1, sizeof *p);
  assert_non_null(p);
  p->seed = seed;
  struct sn_rng r;
  sn_rng_seed(&r, seed);
  uint64_t start = sn_rng_chance(&r, 0.5) ? 0 : sn_rng_below(&r, 1ull << 50);
  p->c = ctx_new(start);
  p->m.now = start;
  p->m.log = calloc(MAX_LOG, sizeof *p->m.log);
  assert_non_null(p->m.log);
  for (int i = 0; i < NT; i++)
    p->c->timers[i].action = pair_on_fire;
  g_pair = p;

  for (int op = 0; op < ops; op++) {
    uint64_t x = sn_rng_next(&r);
    int id = (int)sn_rng_below(&r, NT);
    uint64_t now = p->m.now;
    const char *what;
    switch (sn_rng_below(&r, 20)) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6:
      what = "arm";
      do_arm(true, id, now + rand_delta(x));
      model_arm(&p->m, id, now + rand_delta(x));
      break;
    case 7:
      what = "arm in the past";
      do_arm(true, id, now - rand_delta(x) % (now + 1));
      model_arm(&p->m, id, now - rand_delta(x) % (now + 1));
      break;
    case 8: case 9:
      what = "cancel";
      do_cancel(true, id);
      do_cancel(false, id);
      break;
    case 10: { /* advance exactly to the earliest deadline, or just before */
      uint64_t e = model_earliest(&p->m);
      if (e == SN_TIMER_NEVER || e <= now)
        e = now + 1;
      uint64_t to = (x & 1) ? e : e - 1;
      what = "advance to the earliest deadline";
      p->c->target = to;
      sn_wheel_advance(&p->c->w, to);
      model_advance(&p->m, to);
      break;
    }
    case 11: { /* a deadline shared with an armed timer, armed later */
      int other = (int)(x % NT);
      uint64_t d = p->m.armed[other] ? p->m.deadline[other] : now + rand_delta(x);
      what = "arm at another's deadline";
      do_arm(true, id, d);
      model_arm(&p->m, id, d);
      break;
    }
    case 12:
      what = "advance backwards";
      p->c->target = now - (x % (now + 1));
      sn_wheel_advance(&p->c->w, p->c->target);
      model_advance(&p->m, p->c->target);
      break;
    default: {
      uint64_t to = now + rand_delta(x);
      what = "advance";
      p->c->target = to;
      sn_wheel_advance(&p->c->w, to);
      model_advance(&p->m, to);
    }
    }
    compare(p, op, what);
  }
  /* Drain: fire everything still armed. */
  uint64_t e;
  int guard = 0;
  while ((e = model_earliest(&p->m)) != SN_TIMER_NEVER && guard++ < 100000) {
    uint64_t to = e > p->m.now ? e : p->m.now;
    sn_wheel_advance(&p->c->w, to);
    model_advance(&p->m, to);
    compare(p, ops, "drain");
  }
  *fired += p->m.n;
  assert_true(p->m.now < (1ull << 59));
  g_pair = NULL;
  free(p->m.log);
  ctx_free(p->c);
  free(p);
}

static void test_model_random(void **state) {
  (void)state;
  size_t fired = 0;
  for (uint64_t seed = 1; seed <= 12; seed++)
    run_model(seed, 4000, &fired);
  print_message("model comparison: %zu firings\n", fired);
  assert_true(fired > 10000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_exact_deadline),
      cmocka_unit_test(test_follow_next),
      cmocka_unit_test(test_ties_in_arming_order),
      cmocka_unit_test(test_rearm_reorders_ties),
      cmocka_unit_test(test_ties_across_seq_wrap),
      cmocka_unit_test(test_cancel_and_rearm),
      cmocka_unit_test(test_callback_arms_due),
      cmocka_unit_test(test_large_jumps_fast),
      cmocka_unit_test(test_clamp),
      cmocka_unit_test(test_next_bounds),
      cmocka_unit_test(test_model_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
