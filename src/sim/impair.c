/*
 * impair.c - the impairment model of one link direction: loss, burst
 * loss, queue and rate, corruption, duplication, delay, jitter and
 * reordering (see impair.h for the order of the steps).
 *
 * Used by the simulator's links on virtual time and by the impairment
 * wrapper of real drivers on the monotonic clock; both see the same
 * decisions for the same seed and the same offered frames.
 */
#include "sim/impair.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define ETH_HLEN 14
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV4 0x0800

static uint64_t sat_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void sn_impair_init(struct sn_impair *im, uint64_t seed) {
  memset(im, 0, sizeof *im);
  sn_rng_seed(&im->rng, seed);
}

void sn_impair_destroy(struct sn_impair *im) {
  free(im->waiting);
  im->waiting = NULL;
  im->wait_cap = im->wait_n = im->wait_head = 0;
}

static bool valid_prob(double p) { return p >= 0 && p <= 1; }

bool sn_impair_valid(const struct sn_sim_impair *imp) {
  const double probs[] = {imp->loss,         imp->ge_p,    imp->ge_r,
                          imp->ge_loss_good, imp->ge_loss_bad,
                          imp->reorder,      imp->duplicate, imp->corrupt};
  for (size_t i = 0; i < SN_ARRAY_LEN(probs); i++)
    if (!valid_prob(probs[i]))
      return false;
  return true;
}

bool sn_impair_active(const struct sn_sim_impair *imp) {
  return imp->delay_ns || imp->jitter_ns || imp->rate_bps || imp->loss > 0 ||
         imp->ge_p > 0 || imp->reorder > 0 || imp->duplicate > 0 ||
         imp->corrupt > 0;
}

/* Gilbert-Elliott: move the chain, then lose with its state's odds. */
static bool burst_lost(struct sn_impair *im) {
  const struct sn_sim_impair *imp = &im->imp;
  if (imp->ge_p <= 0)
    return false;
  if (im->ge_bad ? sn_rng_chance(&im->rng, imp->ge_r)
                 : sn_rng_chance(&im->rng, imp->ge_p))
    im->ge_bad = !im->ge_bad;
  return sn_rng_chance(&im->rng, im->ge_bad ? imp->ge_loss_bad
                                            : imp->ge_loss_good);
}

static uint64_t serialisation_ns(size_t len, uint64_t rate_bps) {
  unsigned __int128 bits_ns = (unsigned __int128)len * 8 * SN_NSEC_PER_SEC;
  return (uint64_t)((bits_ns + rate_bps - 1) / rate_bps);
}

static int wait_push(struct sn_impair *im, uint64_t start) {
  if (im->wait_n == im->wait_cap) {
    size_t cap = im->wait_cap ? im->wait_cap * 2 : 64;
    uint64_t *w = malloc(cap * sizeof *w);
    if (!w)
      return -1;
    for (size_t i = 0; i < im->wait_n; i++)
      w[i] = im->waiting[(im->wait_head + i) % im->wait_cap];
    free(im->waiting);
    im->waiting = w;
    im->wait_cap = cap;
    im->wait_head = 0;
  }
  im->waiting[(im->wait_head + im->wait_n++) % im->wait_cap] = start;
  return 0;
}

/* Queue and rate: admit a frame at now, setting *done to when its last bit
 * leaves; false if the queue is full. */
static bool queue_admit(struct sn_impair *im, uint64_t now, size_t len,
                        uint64_t *done) {
  const struct sn_sim_impair *imp = &im->imp;
  if (imp->rate_bps == 0) {
    *done = now;
    return true;
  }
  while (im->wait_n && im->waiting[im->wait_head] <= now) {
    im->wait_head = (im->wait_head + 1) % im->wait_cap;
    im->wait_n--;
  }
  uint32_t limit =
      imp->queue_limit ? imp->queue_limit : SN_IMPAIR_DEFAULT_QUEUE_LIMIT;
  if (im->wait_n >= limit)
    return false;
  uint64_t start = SN_MAX(now, im->wire_free);
  if (start > now && wait_push(im, start) != 0)
    return false;
  im->wire_free = sat_add(start, serialisation_ns(len, imp->rate_bps));
  *done = im->wire_free;
  return true;
}

enum sn_impair_verdict sn_impair_admit(struct sn_impair *im, uint64_t now,
                                       size_t len, uint64_t *done) {
  if (sn_rng_chance(&im->rng, im->imp.loss))
    return SN_IMPAIR_LOSS;
  if (burst_lost(im))
    return SN_IMPAIR_BURST;
  if (!queue_admit(im, now, len, done))
    return SN_IMPAIR_QUEUE;
  return SN_IMPAIR_PASS;
}

bool sn_impair_corrupt(struct sn_impair *im, uint8_t *frame, size_t len,
                       size_t *off, unsigned *bit) {
  if (len <= ETH_HLEN || sn_get16(frame + 12) == ETHERTYPE_ARP ||
      !sn_rng_chance(&im->rng, im->imp.corrupt))
    return false;
  size_t span = len - ETH_HLEN;
  if (sn_get16(frame + 12) == ETHERTYPE_IPV4 && span >= 20) {
    size_t total = sn_get16(frame + ETH_HLEN + 2);
    if (total >= 20 && total < span)
      span = total; /* not into link-layer padding */
  }
  uint64_t b = sn_rng_below(&im->rng, (uint64_t)span * 8);
  *off = ETH_HLEN + (size_t)(b / 8);
  *bit = (unsigned)(b % 8);
  frame[*off] ^= (uint8_t)(1u << *bit);
  return true;
}

bool sn_impair_duplicate(struct sn_impair *im) {
  return sn_rng_chance(&im->rng, im->imp.duplicate);
}

uint64_t sn_impair_arrival(struct sn_impair *im, uint64_t done,
                           uint64_t *hold) {
  const struct sn_sim_impair *imp = &im->imp;
  uint64_t t = sat_add(done, imp->delay_ns);
  if (imp->jitter_ns)
    t = sat_add(t, imp->jitter_ns == UINT64_MAX
                       ? sn_rng_next(&im->rng)
                       : sn_rng_below(&im->rng, imp->jitter_ns + 1));
  *hold = 0;
  if (sn_rng_chance(&im->rng, imp->reorder)) {
    *hold = imp->reorder_ns ? imp->reorder_ns : SN_IMPAIR_DEFAULT_REORDER_NS;
    return sat_add(t, *hold);
  }
  if (t < im->last_arrival)
    t = im->last_arrival;
  im->last_arrival = t;
  return t;
}
