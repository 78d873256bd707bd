/*
 * memnet.c - the in-memory switch of the benchmarks (see memnet.h).
 */
#include "memnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MN_MAX_HOSTS 256
#define ETH_HLEN 14

struct mn_slot {
  uint32_t len;
  uint16_t from;
  uint8_t *data;
};

struct mn_host {
  struct mn_net *net;
  struct sn_stack *st;
  int ifindex;
  uint16_t index;
};

struct mn_net {
  enum mn_clock clock;
  uint32_t mtu;
  uint64_t loss_threshold; /* a frame is lost if rng < this */
  uint64_t rng;
  uint64_t t0;             /* wall clock at creation */
  uint64_t vnow;           /* virtual clock */
  struct mn_host hosts[MN_MAX_HOSTS];
  int nhosts;
  int blackhole;
  struct mn_slot *slots;
  uint32_t nslots, head, count;
  uint8_t *arena;
  struct mn_stats stats;
};

static uint64_t wall_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Stacks start at 1 s, so that no deadline is 0. */
uint64_t mn_now(const struct mn_net *n) {
  if (n->clock == MN_VIRTUAL)
    return n->vnow;
  return wall_ns() - n->t0 + 1000000000u;
}

static uint64_t next_rand(struct mn_net *n) {
  uint64_t x = n->rng; /* xorshift64* */
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  n->rng = x;
  return x * 0x2545f4914f6cdd1dull;
}

struct mn_net *mn_new(enum mn_clock clock, uint32_t mtu, double loss,
                      uint64_t seed) {
  struct mn_net *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  n->clock = clock;
  n->mtu = mtu;
  n->loss_threshold = loss > 0 ? (uint64_t)(loss * 18446744073709551615.0) : 0;
  n->rng = seed ? seed : 1;
  n->t0 = wall_ns();
  n->vnow = 1000000000u;
  n->blackhole = -1;
  /* Enough slots for megabytes in flight each way, at most 64 MiB. */
  size_t slot = (mtu + ETH_HLEN + 63) & ~(size_t)63;
  n->nslots = mtu > 9000 ? 1024 : 8192;
  n->slots = calloc(n->nslots, sizeof *n->slots);
  n->arena = malloc(slot * n->nslots);
  if (!n->slots || !n->arena) {
    mn_free(n);
    return NULL;
  }
  for (uint32_t i = 0; i < n->nslots; i++)
    n->slots[i].data = n->arena + slot * i;
  return n;
}

void mn_free(struct mn_net *n) {
  if (!n)
    return;
  for (int i = 0; i < n->nhosts; i++)
    sn_stack_free(n->hosts[i].st);
  free(n->slots);
  free(n->arena);
  free(n);
}

/* The link's transmit: one copy into the next free slot. */
static int mn_tx(void *ctx, const uint8_t *frame, size_t len,
                 const struct sn_tx_info *info) {
  (void)info;
  struct mn_host *h = ctx;
  struct mn_net *n = h->net;
  if (n->blackhole == h->index)
    return 0;
  if (n->loss_threshold && next_rand(n) < n->loss_threshold) {
    n->stats.lost++;
    return 0;
  }
  if (n->count == n->nslots || len > n->mtu + ETH_HLEN) {
    n->stats.overflow++;
    return 0;
  }
  struct mn_slot *s = &n->slots[(n->head + n->count) % n->nslots];
  memcpy(s->data, frame, len);
  s->len = (uint32_t)len;
  s->from = h->index;
  n->count++;
  return 0;
}

static const struct sn_link_ops mn_ops = {.tx = mn_tx};

struct sn_stack *mn_add(struct mn_net *n, const char *name,
                        const struct sn_config *cfg, uint32_t ip,
                        unsigned prefix) {
  if (n->nhosts == MN_MAX_HOSTS)
    return NULL;
  struct mn_host *h = &n->hosts[n->nhosts];
  h->net = n;
  h->index = (uint16_t)n->nhosts;
  h->st = sn_stack_new(name, cfg, 1000 + (uint64_t)n->nhosts);
  if (!h->st)
    return NULL;
  struct sn_netif_params p = {.name = "mem0", .mtu = n->mtu,
                              .link = {&mn_ops, h}};
  p.mac[0] = 0x02;
  p.mac[4] = (uint8_t)(h->index >> 8);
  p.mac[5] = (uint8_t)h->index;
  h->ifindex = sn_netif_add(h->st, &p);
  if (h->ifindex < 0 || sn_netif_add_addr(h->st, h->ifindex, ip, prefix) != 0) {
    sn_stack_free(h->st);
    return NULL;
  }
  n->nhosts++;
  return h->st;
}

/* Hand the oldest queued frame to its destination(s). */
static void deliver_one(struct mn_net *n, uint64_t now) {
  struct mn_slot *s = &n->slots[n->head];
  n->head = (n->head + 1) % n->nslots;
  n->count--;
  const uint8_t *d = s->data;
  bool bcast = d[0] & 1;
  if (!bcast) {
    unsigned idx = (unsigned)d[4] << 8 | d[5];
    if (d[0] == 0x02 && idx < (unsigned)n->nhosts) {
      sn_stack_input(n->hosts[idx].st, n->hosts[idx].ifindex, d, s->len, now);
      n->stats.delivered++;
    }
    return;
  }
  for (int i = 0; i < n->nhosts; i++)
    if (i != s->from) {
      sn_stack_input(n->hosts[i].st, n->hosts[i].ifindex, d, s->len, now);
      n->stats.delivered++;
    }
}

static uint64_t next_deadline(const struct mn_net *n) {
  uint64_t next = SN_TIME_NEVER;
  for (int i = 0; i < n->nhosts; i++) {
    uint64_t d = sn_stack_next_deadline(n->hosts[i].st);
    if (d < next)
      next = d;
  }
  return next;
}

static void poll_due(struct mn_net *n, uint64_t now) {
  for (int i = 0; i < n->nhosts; i++)
    if (sn_stack_next_deadline(n->hosts[i].st) <= now)
      sn_stack_poll(n->hosts[i].st, now);
}

static void sleep_until(const struct mn_net *n, uint64_t when) {
  uint64_t now = mn_now(n);
  if (when <= now)
    return;
  uint64_t d = when - now;
  if (d < 20000)
    return; /* shorter than a wakeup: keep going */
  struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
  nanosleep(&ts, NULL);
}

bool mn_run(struct mn_net *n, bool (*done)(void *ctx), void *ctx,
            uint64_t limit) {
  uint64_t end = mn_now(n) + limit;
  for (;;) {
    if (done && done(ctx))
      return true;
    uint64_t now = mn_now(n);
    if (now >= end)
      return false;
    /* A batch of frames on one reading of the clock, then timers. */
    for (int k = 0; k < 256 && n->count; k++)
      deliver_one(n, now);
    uint64_t next = next_deadline(n);
    if (next <= now) {
      poll_due(n, now);
      continue;
    }
    if (n->count)
      continue;
    if (done && done(ctx))
      return true; /* before sleeping: the last frames may have done it */
    if (next == SN_TIME_NEVER && !done)
      return false;
    uint64_t until = next < end ? next : end;
    if (n->clock == MN_VIRTUAL)
      n->vnow = until;
    else
      sleep_until(n, until);
  }
}

struct mn_stats mn_stats(const struct mn_net *n) { return n->stats; }

void mn_blackhole(struct mn_net *n, int from) { n->blackhole = from; }
