/*
 * sim.c - the deterministic network simulator: hosts, the virtual clock,
 * the run loop, scheduled callbacks and traces (see synack/sim.h).
 *
 * The loop takes the earliest event from the queue, sets the clock to its
 * time and runs it: a frame delivery (sn_stack_input at exactly the
 * delivery time), a host poll (sn_stack_poll at exactly the host's
 * deadline) or a user callback. After each event, and before the first of
 * a run (test code may have called the socket API in between), every
 * host's sn_stack_next_deadline() is checked and its poll event moved if
 * the deadline came earlier. A host has at most one live poll event; a
 * superseded one stays queued with an old generation number and is
 * skipped, and a live one whose host's deadline has moved later is
 * re-queued at the new deadline without polling. The check costs
 * O(hosts) per event, which suits simulations of a few hosts.
 *
 * Between runs, and before each callback, every host's clock is brought
 * to the simulation's (a poll with nothing due), so that what the test
 * code does through the socket API happens at the simulation's time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

uint64_t sim_derive_seed(uint64_t seed, enum sim_seed_domain domain,
                         uint64_t index) {
  uint64_t s = seed;
  uint64_t base = sn_splitmix64(&s);
  s = base ^ ((uint64_t)domain << 56) ^ index;
  sn_splitmix64(&s);
  return sn_splitmix64(&s);
}

/* Frame buffers ----------------------------------------------------------- */

static unsigned size_class(size_t len) {
  unsigned c = 0;
  while (((size_t)1 << (SIM_FRAME_MIN_SHIFT + c)) < len)
    c++;
  return c;
}

struct sim_frame *sim_frame_get(struct sn_sim *sim, size_t len) {
  if (len > SIM_FRAME_MAX_LEN)
    return NULL;
  unsigned c = size_class(len);
  struct sim_frame *f = sim->free_frames[c];
  if (f) {
    sim->free_frames[c] = f->next;
  } else {
    f = malloc(sizeof *f + ((size_t)1 << (SIM_FRAME_MIN_SHIFT + c)));
    if (!f)
      return NULL;
    f->cls = (uint8_t)c;
  }
  f->next = NULL;
  f->len = (uint32_t)len;
  return f;
}

void sim_frame_put(struct sn_sim *sim, struct sim_frame *f) {
  f->next = sim->free_frames[f->cls];
  sim->free_frames[f->cls] = f;
}

void sim_frames_destroy(struct sn_sim *sim) {
  for (unsigned c = 0; c < SIM_FRAME_CLASSES; c++) {
    while (sim->free_frames[c]) {
      struct sim_frame *f = sim->free_frames[c];
      sim->free_frames[c] = f->next;
      free(f);
    }
  }
}

/* Traces ------------------------------------------------------------------ */

void sim_trace_emit(struct sn_sim *sim, const char *host, const char *name,
                    const struct sn_trace_field *f, unsigned n) {
  struct sn_trace_event ev = {.time_ns = sim->now, .host = host,
                              .cat = SN_TC_sim, .name = name, .nfields = n,
                              .fields = f};
  sim->trace_fn(sim->trace_ctx, &ev);
}

void sn_sim_set_trace(struct sn_sim *sim, sn_trace_fn fn, void *ctx,
                      uint32_t mask) {
  sim->trace_fn = fn;
  sim->trace_ctx = ctx;
  sim->trace_mask = fn ? mask : 0;
  for (size_t i = 0; i < sim->nhosts; i++)
    sn_stack_set_trace(sim->hosts[i]->st, fn, ctx, mask);
}

/* Life -------------------------------------------------------------------- */

struct sn_sim *sn_sim_new(uint64_t seed) {
  struct sn_sim *sim = calloc(1, sizeof *sim);
  if (!sim)
    return NULL;
  sim->seed = seed;
  sim_heap_init(&sim->heap);
  return sim;
}

void sn_sim_free(struct sn_sim *sim) {
  if (!sim)
    return;
  struct sim_event ev;
  while (sim_heap_pop(&sim->heap, &ev))
    if (ev.kind == SIM_EV_DELIVER)
      sim_frame_put(sim, ev.u.deliver.frame);
  sim_heap_destroy(&sim->heap);
  for (size_t i = 0; i < sim->nlinks; i++)
    sim_link_destroy(sim->links[i]);
  free(sim->links);
  for (size_t i = 0; i < sim->nhosts; i++) {
    sn_stack_free(sim->hosts[i]->st);
    free(sim->hosts[i]);
  }
  free(sim->hosts);
  sim_frames_destroy(sim);
  free(sim);
}

uint64_t sn_sim_now(const struct sn_sim *sim) { return sim->now; }

/* Hosts ------------------------------------------------------------------- */

/* Bring a host's clock to the simulation's if that runs nothing: its next
 * deadline is later (a deadline that is due runs as its own event). */
static void sync_host_clock(struct sn_sim *sim, struct sim_host *h) {
  if (sn_stack_now(h->st) < sim->now &&
      sn_stack_next_deadline(h->st) > sim->now)
    sn_stack_poll(h->st, sim->now);
}

static void sync_clocks(struct sn_sim *sim) {
  for (size_t i = 0; i < sim->nhosts; i++)
    sync_host_clock(sim, sim->hosts[i]);
}

struct sn_stack *sn_sim_add_host(struct sn_sim *sim, const char *name,
                                 const struct sn_config *cfg) {
  if (sim->nhosts == sim->hosts_cap) {
    size_t cap = sim->hosts_cap ? sim->hosts_cap * 2 : 8;
    struct sim_host **hs = realloc(sim->hosts, cap * sizeof *hs);
    if (!hs)
      return NULL;
    sim->hosts = hs;
    sim->hosts_cap = cap;
  }
  struct sim_host *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  h->sim = sim;
  h->number = (unsigned)sim->nhosts + 1;
  h->poll_at = SN_TIME_NEVER;
  h->st = sn_stack_new(name, cfg,
                       sim_derive_seed(sim->seed, SIM_SEED_HOST, h->number));
  if (!h->st) {
    free(h);
    return NULL;
  }
  if (sim->trace_fn)
    sn_stack_set_trace(h->st, sim->trace_fn, sim->trace_ctx, sim->trace_mask);
  sync_host_clock(sim, h);
  sim->hosts[sim->nhosts++] = h;
  return h->st;
}

struct sim_host *sim_find_host(struct sn_sim *sim, const struct sn_stack *st) {
  for (size_t i = 0; i < sim->nhosts; i++)
    if (sim->hosts[i]->st == st)
      return sim->hosts[i];
  return NULL;
}

/* Scheduling -------------------------------------------------------------- */

static int schedule(struct sn_sim *sim, struct sim_event *ev) {
  int err = sim_heap_push(&sim->heap, ev);
  if (err && !sim->error)
    sim->error = err;
  return err;
}

int sim_schedule_delivery(struct sn_sim *sim, uint64_t t, struct sim_dir *d,
                          struct sim_frame *f) {
  struct sim_event ev = {.time = t, .kind = SIM_EV_DELIVER,
                         .u.deliver = {.dir = d, .frame = f}};
  return sim_heap_push(&sim->heap, &ev);
}

int sn_sim_at(struct sn_sim *sim, uint64_t t, sn_sim_fn fn, void *ctx) {
  if (!fn || t < sim->now)
    return -EINVAL;
  struct sim_event ev = {.time = t, .kind = SIM_EV_CALL,
                         .u.call = {.fn = fn, .ctx = ctx}};
  return sim_heap_push(&sim->heap, &ev);
}

/* Make sure host h has a live poll event no later than its deadline. */
static void reschedule_host(struct sn_sim *sim, struct sim_host *h) {
  uint64_t d = sn_stack_next_deadline(h->st);
  if (d < sim->now)
    d = sim->now;
  if (d == SN_TIME_NEVER || d >= h->poll_at)
    return;
  struct sim_event ev = {.time = d, .kind = SIM_EV_POLL,
                         .u.poll = {.host = h, .gen = h->poll_gen + 1}};
  if (schedule(sim, &ev) != 0)
    return;
  h->poll_gen++;
  h->poll_at = d;
}

static void reschedule_all(struct sn_sim *sim) {
  for (size_t i = 0; i < sim->nhosts; i++)
    reschedule_host(sim, sim->hosts[i]);
}

/*
 * Discard queued events that need not run: stale polls, and live polls
 * whose host's deadline moved later (those are re-queued at the new
 * deadline). Returns the time of the earliest event that must run, or
 * SN_TIME_NEVER when none is queued.
 */
static uint64_t settle(struct sn_sim *sim) {
  for (;;) {
    const struct sim_event *top = sim_heap_top(&sim->heap);
    if (!top)
      return SN_TIME_NEVER;
    if (top->kind != SIM_EV_POLL)
      return top->time;
    struct sim_host *h = top->u.poll.host;
    bool live = top->u.poll.gen == h->poll_gen;
    if (live && sn_stack_next_deadline(h->st) <= top->time)
      return top->time;
    struct sim_event ev;
    sim_heap_pop(&sim->heap, &ev);
    if (live) {
      h->poll_at = SN_TIME_NEVER;
      reschedule_host(sim, h);
    }
  }
}

/* Run the earliest event (settle() has just returned its time). */
static void run_one(struct sn_sim *sim) {
  struct sim_event ev;
  sim_heap_pop(&sim->heap, &ev);
  sim->now = ev.time;
  switch (ev.kind) {
  case SIM_EV_DELIVER:
    sim_link_deliver(sim, ev.u.deliver.dir, ev.u.deliver.frame);
    break;
  case SIM_EV_POLL:
    ev.u.poll.host->poll_at = SN_TIME_NEVER;
    sn_stack_poll(ev.u.poll.host->st, sim->now);
    break;
  case SIM_EV_CALL:
    sync_clocks(sim);
    ev.u.call.fn(ev.u.call.ctx, sim->now);
    break;
  }
  reschedule_all(sim);
}

/* The time of the next event to run if it is due by limit, else
 * SN_TIME_NEVER. */
static uint64_t next_due(struct sn_sim *sim, uint64_t limit) {
  if (sim->error)
    return SN_TIME_NEVER;
  uint64_t t = settle(sim);
  return t <= limit ? t : SN_TIME_NEVER;
}

void sn_sim_run_until(struct sn_sim *sim, uint64_t t) {
  reschedule_all(sim);
  while (next_due(sim, t) != SN_TIME_NEVER)
    run_one(sim);
  if (t > sim->now && t != SN_TIME_NEVER)
    sim->now = t;
  sync_clocks(sim);
}

bool sn_sim_run_until_idle(struct sn_sim *sim, uint64_t limit) {
  reschedule_all(sim);
  while (next_due(sim, limit) != SN_TIME_NEVER)
    run_one(sim);
  sync_clocks(sim);
  return !sim->error && settle(sim) == SN_TIME_NEVER;
}

bool sn_sim_run_while_not(struct sn_sim *sim, bool (*pred)(void *ctx),
                          void *ctx, uint64_t limit) {
  reschedule_all(sim);
  bool done = pred(ctx);
  while (!done && next_due(sim, limit) != SN_TIME_NEVER) {
    run_one(sim);
    done = pred(ctx);
  }
  sync_clocks(sim);
  return done;
}
