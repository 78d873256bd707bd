/*
 * test_sim_impair.c - each impairment of a simulated link, one at a time,
 * measured with real traffic: host A sends numbered UDP datagrams to host
 * B, and the link's statistics, B's counters and what B's socket received
 * (and when) must agree with the impairment's definition.
 *
 * Statistical bounds are stated next to each check, with the standard
 * deviation they were chosen from; every run is seeded, so each check is
 * deterministic.
 */
#include "testlib.h"

#include "simlib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define US SN_NSEC_PER_USEC
#define MS SN_NSEC_PER_MSEC
#define SEC SN_NSEC_PER_SEC

/* A pair with ARP resolved, a sink on B:9000 and a source on A. */
struct rig {
  struct sl_pair p;
  struct sl_source src;
  struct sl_sink sink;
  struct sn_sim_link_stats base; /* A->B statistics before the test */
};

static void rig_init(struct rig *r, uint64_t seed,
                     const struct sn_sim_impair *imp) {
  sl_pair_init(&r->p, seed, 0);
  sl_pair_resolve(&r->p);
  sl_sink_open(&r->sink, r->p.b, 9000);
  sl_source_open(&r->src, r->p.a, r->p.ip_b, 9000);
  r->base = sn_sim_link_stats(r->p.link, SN_SIM_AB);
  if (imp)
    assert_int_equal(sn_sim_link_impair(r->p.link, SN_SIM_AB, imp), 0);
}

static void rig_free(struct rig *r) {
  sl_source_close(&r->src);
  sl_sink_close(&r->sink);
  sl_pair_free(&r->p);
}

/* A->B statistics since rig_init(). */
static struct sn_sim_link_stats rig_stats(const struct rig *r) {
  struct sn_sim_link_stats s = sn_sim_link_stats(r->p.link, SN_SIM_AB);
  const struct sn_sim_link_stats *b = &r->base;
  s.offered -= b->offered;
  s.delivered -= b->delivered;
  s.lost_random -= b->lost_random;
  s.lost_burst -= b->lost_burst;
  s.dropped_queue -= b->dropped_queue;
  s.dropped_mtu -= b->dropped_mtu;
  s.dropped_script -= b->dropped_script;
  s.duplicated -= b->duplicated;
  s.corrupted -= b->corrupted;
  s.reordered -= b->reordered;
  s.bytes_delivered -= b->bytes_delivered;
  return s;
}

static void assert_near(double value, double want, double tolerance) {
  if (fabs(value - want) > tolerance)
    fail_msg("%f is not within %f of %f", value, tolerance, want);
}

/* Received sequence numbers are strictly increasing (no reordering, no
 * duplicates). */
static void assert_in_order(const struct sl_sink *s) {
  for (size_t i = 1; i < s->n; i++)
    assert_true(s->rx[i].seq > s->rx[i - 1].seq);
}

/* Loss ------------------------------------------------------------------- */

/* 10% random loss over 100,000 frames: sd = sqrt(0.09 / 1e5) = 0.095%, so
 * 10% +- 0.5% is over 5 sd. Nothing else is lost and no loss is hidden. */
static void test_random_loss(void **state) {
  (void)state;
  struct rig r;
  struct sn_sim_impair imp = {.loss = 0.10};
  rig_init(&r, 101, &imp);
  const size_t n = 100000;
  sl_source_run(&r.src, r.p.sim, n, 32, 100, MS, 10 * MS);
  struct sn_sim_link_stats s = rig_stats(&r);
  assert_int_equal(s.offered, n);
  assert_near((double)s.lost_random / (double)n, 0.10, 0.005);
  assert_int_equal(s.delivered, n - s.lost_random);
  assert_int_equal(s.lost_burst + s.dropped_queue + s.dropped_mtu +
                       s.dropped_script + s.duplicated + s.corrupted +
                       s.reordered,
                   0);
  assert_int_equal(s.bytes_delivered, s.delivered * (32 + 42));
  assert_int_equal(r.sink.n, s.delivered);
  assert_int_equal(r.sink.bad, 0);
  assert_int_equal(sn_stack_counter(r.p.b, SN_CTR_UdpInDatagrams),
                   s.delivered);
  assert_in_order(&r.sink);
  /* The other direction is untouched. */
  assert_int_equal(sn_sim_link_stats(r.p.link, SN_SIM_BA).lost_random, 0);
  rig_free(&r);
}

/* Lengths of the runs of missing sequence numbers in [0, n). */
struct runs {
  size_t count;   /* runs of lost frames */
  size_t lost;    /* frames lost */
  size_t longest; /* longest run */
};

static struct runs loss_runs(const struct sl_sink *s, size_t n) {
  struct runs r = {0};
  uint8_t *got = calloc(n, 1);
  for (size_t i = 0; i < s->n; i++)
    got[s->rx[i].seq] = 1;
  size_t run = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && !got[i]) {
      run++;
      continue;
    }
    if (run) {
      r.count++;
      r.lost += run;
      r.longest = SN_MAX(r.longest, run);
    }
    run = 0;
  }
  free(got);
  return r;
}

/*
 * Gilbert-Elliott with p = 0.01, r = 0.1, lossless good state, lossy bad
 * state: every frame in the bad state is lost, so losses come in runs of
 * geometric length with mean 1/r = 10, and the loss rate is the stationary
 * P(bad) = p / (p + r) = 1/11. Over 100,000 frames the loss rate has
 * sd ~0.38% (correlated frames), the mean run (~909 runs, each sd 9.5)
 * sd ~0.32: bounds 1/11 +- 1.5% and 10 +- 1.5.
 */
static void test_burst_loss_runs(void **state) {
  (void)state;
  struct rig r;
  struct sn_sim_impair imp = {.ge_p = 0.01, .ge_r = 0.1, .ge_loss_good = 0,
                              .ge_loss_bad = 1};
  rig_init(&r, 202, &imp);
  const size_t n = 100000;
  sl_source_run(&r.src, r.p.sim, n, 32, 100, MS, 10 * MS);
  struct sn_sim_link_stats s = rig_stats(&r);
  assert_int_equal(s.offered, n);
  assert_int_equal(s.lost_random, 0);
  assert_int_equal(s.delivered + s.lost_burst, n);
  assert_near((double)s.lost_burst / (double)n, 1.0 / 11, 0.015);
  struct runs runs = loss_runs(&r.sink, n);
  assert_int_equal(runs.lost, s.lost_burst);
  assert_near((double)runs.lost / (double)runs.count, 10.0, 1.5);
  /* P(run >= 30) = 0.9^29 = 4.7% per run: hundreds of runs show some. */
  assert_true(runs.longest >= 30);
  /* Independent loss at the same rate would give runs of mean 1.1. */
  assert_true(runs.count < n / 50);
  assert_in_order(&r.sink);
  rig_free(&r);
}

/*
 * The stationary loss rate with lossy states on both sides:
 * P(bad) = p/(p+r) = 0.2, loss = 0.2 * 0.6 + 0.8 * 0.02 = 0.136. Per-frame
 * variance ~0.44 with the chain's correlation (lambda = 1 - p - r = 0.75),
 * so over 100,000 frames sd ~0.21%: bound +- 1%.
 */
static void test_burst_loss_stationary(void **state) {
  (void)state;
  struct rig r;
  struct sn_sim_impair imp = {.ge_p = 0.05, .ge_r = 0.2, .ge_loss_good = 0.02,
                              .ge_loss_bad = 0.6};
  rig_init(&r, 203, &imp);
  const size_t n = 100000;
  sl_source_run(&r.src, r.p.sim, n, 32, 100, MS, 10 * MS);
  struct sn_sim_link_stats s = rig_stats(&r);
  double pb = 0.05 / (0.05 + 0.2);
  assert_near((double)s.lost_burst / (double)n, pb * 0.6 + (1 - pb) * 0.02,
              0.01);
  assert_int_equal(s.delivered + s.lost_burst, n);
  assert_int_equal(r.sink.n, s.delivered);
  rig_free(&r);
}

/* Duplication and corruption --------------------------------------------- */

/* 5% duplication over 40,000 frames (sd 0.11%): 5% +- 0.5%. Each copy
 * arrives right after its original; B receives every datagram once plus
 * the copies. */
static void test_duplication(void **state) {
  (void)state;
  struct rig r;
  struct sn_sim_impair imp = {.duplicate = 0.05, .delay_ns = MS};
  rig_init(&r, 303, &imp);
  const size_t n = 40000;
  sl_source_run(&r.src, r.p.sim, n, 64, 40, MS, 10 * MS);
  struct sn_sim_link_stats s = rig_stats(&r);
  assert_near((double)s.duplicated / (double)n, 0.05, 0.005);
  assert_int_equal(s.delivered, n + s.duplicated);
  assert_int_equal(r.sink.n, s.delivered);
  assert_int_equal(sn_stack_counter(r.p.b, SN_CTR_UdpInDatagrams),
                   s.delivered);
  size_t copies = 0, next = 0;
  for (size_t i = 0; i < r.sink.n; i++) {
    if (i && r.sink.rx[i].seq == r.sink.rx[i - 1].seq) {
      assert_int_equal(r.sink.rx[i].time, r.sink.rx[i - 1].time);
      copies++;
      continue;
    }
    assert_int_equal(r.sink.rx[i].seq, next++);
  }
  assert_int_equal(next, n);
  assert_int_equal(copies, s.duplicated);
  rig_free(&r);
}

/*
 * 10% corruption over 20,000 UDP datagrams (sd 0.21%): 10% +- 1%. Every
 * corrupted frame is caught by a checksum (IP header or UDP) and counted;
 * no corrupted payload reaches the socket.
 */
static void test_corruption_caught_udp(void **state) {
  (void)state;
  struct rig r;
  struct sn_sim_impair imp = {.corrupt = 0.10};
  rig_init(&r, 404, &imp);
  const size_t n = 20000;
  uint64_t drops_before = sl_total_drops(r.p.b);
  sl_source_run(&r.src, r.p.sim, n, 200, 20, MS, 10 * MS);
  struct sn_sim_link_stats s = rig_stats(&r);
  assert_near((double)s.corrupted / (double)n, 0.10, 0.01);
  assert_int_equal(s.delivered, n);
  assert_int_equal(r.sink.bad, 0);
  assert_int_equal(r.sink.n, n - s.corrupted);
  assert_int_equal(sl_total_drops(r.p.b) - drops_before, s.corrupted);
  uint64_t ip_err = sn_stack_counter(r.p.b, SN_CTR_IpInHdrErrors);
  uint64_t udp_err = sn_stack_counter(r.p.b, SN_CTR_UdpInErrors);
  assert_int_equal(ip_err + udp_err, s.corrupted);
  /* Both layers' checks were exercised: ~9% of bits are in the IP header. */
  assert_true(ip_err > 0);
  assert_true(sn_stack_counter(r.p.b, SN_CTR_UdpInCsumErrors) > 0);
  assert_int_equal(sn_stack_counter(r.p.b, SN_CTR_UdpRcvbufErrors), 0);
  rig_free(&r);
}

/* Corrupted pings, both ways: each corrupted request or reply is caught
 * by the receiver's IP or ICMP checks, and only clean exchanges complete. */
static void test_corruption_caught_icmp(void **state) {
  (void)state;
  struct rig r;
  rig_init(&r, 405, NULL);
  struct sn_sim_impair imp = {.corrupt = 0.2, .delay_ns = MS};
  assert_int_equal(sn_sim_link_impair(r.p.link, SN_SIM_BOTH, &imp), 0);
  struct sn_sim_link_stats ba0 = sn_sim_link_stats(r.p.link, SN_SIM_BA);
  uint64_t reps0 = sn_stack_counter(r.p.a, SN_CTR_IcmpInEchoReps);
  uint64_t echos0 = sn_stack_counter(r.p.b, SN_CTR_IcmpInEchos);
  const int n = 2000;
  for (int i = 0; i < n; i++) {
    assert_int_equal(sn_stack_ping(r.p.a, r.p.ip_b, 9, (uint16_t)i, 64), 0);
    sn_sim_run_until(r.p.sim, sn_sim_now(r.p.sim) + 5 * MS);
  }
  struct sn_sim_link_stats ab = rig_stats(&r);
  struct sn_sim_link_stats ba = sn_sim_link_stats(r.p.link, SN_SIM_BA);
  uint64_t ab_bad = ab.corrupted, ba_bad = ba.corrupted - ba0.corrupted;
  assert_int_equal(ab.offered, n);
  assert_near((double)ab_bad / n, 0.2, 0.04);
  /* B answered exactly the clean requests; A got exactly the clean
   * replies. */
  assert_int_equal(sn_stack_counter(r.p.b, SN_CTR_IcmpInEchos) - echos0,
                   n - ab_bad);
  assert_int_equal(ba.offered - ba0.offered, n - ab_bad);
  assert_int_equal(sn_stack_counter(r.p.a, SN_CTR_IcmpInEchoReps) - reps0,
                   n - ab_bad - ba_bad);
  assert_int_equal(sn_stack_counter(r.p.b, SN_CTR_IpInHdrErrors) +
                       sn_stack_counter(r.p.b, SN_CTR_IcmpInErrors),
                   ab_bad);
  assert_int_equal(sn_stack_counter(r.p.a, SN_CTR_IpInHdrErrors) +
                       sn_stack_counter(r.p.a, SN_CTR_IcmpInErrors),
                   ba_bad);
  assert_true(sn_stack_counter(r.p.b, SN_CTR_IcmpInCsumErrors) > 0);
  rig_free(&r);
}

/* ARP frames are never corrupted (ARP has no checksum to catch it): with
 * every frame corrupted, ARP still resolves, and the echo request is
 * caught. */
static void test_corruption_spares_arp(void **state) {
  (void)state;
  struct sl_pair p;
  sl_pair_init(&p, 406, 0);
  struct sn_sim_impair imp = {.corrupt = 1.0};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_BOTH, &imp), 0);
  assert_int_equal(sn_stack_ping(p.a, p.ip_b, 1, 1, 16), 0);
  sn_sim_run_until(p.sim, 100 * MS);
  assert_int_equal(sn_stack_counter(p.b, SN_CTR_ArpInRequests), 1);
  assert_int_equal(sn_stack_counter(p.a, SN_CTR_ArpInReplies), 1);
  assert_int_equal(sn_stack_drops(p.b, SN_DROP_ARP_MALFORMED), 0);
  struct sn_sim_link_stats s = sn_sim_link_stats(p.link, SN_SIM_AB);
  assert_int_equal(s.corrupted, 1); /* the echo request only */
  assert_int_equal(sn_stack_counter(p.b, SN_CTR_IcmpInEchos), 0);
  assert_int_equal(sn_stack_counter(p.b, SN_CTR_IpInHdrErrors) +
                       sn_stack_counter(p.b, SN_CTR_IcmpInErrors),
                   1);
  sl_pair_free(&p);
}

/* Reordering ------------------------------------------------------------- */

/*
 * 10% reordering with the default hold of 1 ms, one frame every 100 us:
 * each held frame is overtaken by the frames sent during its hold, so it
 * arrives after a higher number; the others arrive at once and in order.
 * Over 20,000 frames (sd 0.21%): 10% +- 1%.
 */
static void test_reordering(void **state) {
  (void)state;
  struct rig r;
  struct tl_trace tr = {0};
  struct sn_sim_impair imp = {.reorder = 0.10};
  rig_init(&r, 505, &imp);
  sn_sim_set_trace(r.p.sim, tl_trace_sink, &tr, 1u << SN_TC_sim);
  const size_t n = 20000;
  sl_source_run(&r.src, r.p.sim, n, 32, 1, 100 * US, 10 * MS);
  struct sn_sim_link_stats s = rig_stats(&r);
  assert_int_equal(s.delivered, n);
  assert_int_equal(r.sink.n, n);
  assert_near((double)s.reordered / (double)n, 0.10, 0.01);
  size_t late = 0;
  uint32_t highest = 0;
  for (size_t i = 0; i < r.sink.n; i++) {
    const struct sl_rx *x = &r.sink.rx[i];
    uint64_t latency = x->time - r.src.sent_at[x->seq];
    if (i && x->seq < highest) {
      late++;
      assert_int_equal(latency, MS);
    } else {
      assert_int_equal(latency, 0);
      highest = x->seq;
    }
  }
  assert_int_equal(late, s.reordered);
  assert_int_equal(tl_trace_count(&tr, "A-B", "reorder", NULL), s.reordered);
  tl_trace_clear(&tr);
  rig_free(&r);
}

/* Delay, jitter and rate ------------------------------------------------- */

/* Delay 10 ms, jitter 5 ms, a frame every 1 ms: every latency lies in
 * [10, 15] ms, and frames still arrive in the order sent. */
static void test_delay_jitter_in_order(void **state) {
  (void)state;
  struct rig r;
  struct sn_sim_impair imp = {.delay_ns = 10 * MS, .jitter_ns = 5 * MS};
  rig_init(&r, 606, &imp);
  const size_t n = 5000;
  sl_source_run(&r.src, r.p.sim, n, 32, 1, MS, 20 * MS);
  assert_int_equal(r.sink.n, n);
  assert_in_order(&r.sink);
  uint64_t lo = UINT64_MAX, hi = 0;
  for (size_t i = 0; i < n; i++) {
    const struct sl_rx *x = &r.sink.rx[i];
    uint64_t latency = x->time - r.src.sent_at[x->seq];
    assert_true(latency >= 10 * MS && latency <= 15 * MS);
    if (i)
      assert_true(x->time >= r.sink.rx[i - 1].time);
    lo = SN_MIN(lo, latency);
    hi = SN_MAX(hi, latency);
  }
  assert_true(hi - lo >= 4 * MS);
  rig_free(&r);
}

/* With frames further apart than the jitter, nothing is clamped and the
 * extra delay is uniform on [0, 4 ms]: mean 2 ms (sd of the mean over 2,000
 * frames 0.026 ms, bound +- 0.15 ms), a quarter below 1 ms (sd 1%, bound
 * +- 4%). */
static void test_jitter_uniform(void **state) {
  (void)state;
  struct rig r;
  struct sn_sim_impair imp = {.delay_ns = MS, .jitter_ns = 4 * MS};
  rig_init(&r, 607, &imp);
  const size_t n = 2000;
  sl_source_run(&r.src, r.p.sim, n, 32, 1, 10 * MS, 10 * MS);
  assert_int_equal(r.sink.n, n);
  double sum = 0;
  size_t below = 0;
  for (size_t i = 0; i < n; i++) {
    const struct sl_rx *x = &r.sink.rx[i];
    uint64_t extra = x->time - r.src.sent_at[x->seq] - MS;
    assert_true(extra <= 4 * MS);
    sum += (double)extra;
    below += extra < MS;
  }
  assert_near(sum / n / MS, 2.0, 0.15);
  assert_near((double)below / n, 0.25, 0.04);
  rig_free(&r);
}

/* Serialisation: 1500-byte frames at 12 Mbit/s take exactly 1 ms each; at
 * 8 Mbit/s a byte takes 1 us, whatever the frame sizes. */
static void test_rate_serialisation(void **state) {
  (void)state;
  struct rig r;
  struct sn_sim_impair imp = {.delay_ns = 3 * MS, .rate_bps = 12000000};
  rig_init(&r, 707, &imp);
  uint64_t t0 = sn_sim_now(r.p.sim);
  for (int i = 0; i < 10; i++)
    sl_source_send(&r.src, r.p.sim, 1500 - 42);
  sn_sim_run_until(r.p.sim, t0 + 50 * MS);
  assert_int_equal(r.sink.n, 10);
  for (size_t k = 0; k < 10; k++)
    assert_int_equal(r.sink.rx[k].time, t0 + 3 * MS + (k + 1) * MS);
  assert_int_equal(rig_stats(&r).bytes_delivered, 10 * 1500);

  imp.rate_bps = 8000000;
  assert_int_equal(sn_sim_link_impair(r.p.link, SN_SIM_AB, &imp), 0);
  uint64_t t1 = sn_sim_now(r.p.sim);
  sl_source_send(&r.src, r.p.sim, 100 - 42);
  sl_source_send(&r.src, r.p.sim, 1000 - 42);
  sl_source_send(&r.src, r.p.sim, 60 - 42);
  sn_sim_run_until(r.p.sim, t1 + 20 * MS);
  assert_int_equal(r.sink.n, 13);
  assert_int_equal(r.sink.rx[10].time, t1 + 3 * MS + 100 * US);
  assert_int_equal(r.sink.rx[11].time, t1 + 3 * MS + 1100 * US);
  assert_int_equal(r.sink.rx[12].time, t1 + 3 * MS + 1160 * US);
  /* An idle wire takes the next frame at once. */
  uint64_t t2 = sn_sim_now(r.p.sim);
  sl_source_send(&r.src, r.p.sim, 500 - 42);
  sn_sim_run_until(r.p.sim, t2 + 20 * MS);
  assert_int_equal(r.sink.rx[13].time, t2 + 3 * MS + 500 * US);
  rig_free(&r);
}

/* Drop-tail: with 5 frames allowed to wait, a burst of 20 keeps the one
 * on the wire and 5 waiting, and drops 14. The default limit is 1000. */
static void test_queue_limit(void **state) {
  (void)state;
  struct rig r;
  struct tl_trace tr = {0};
  struct sn_sim_impair imp = {.rate_bps = 12000000, .queue_limit = 5};
  rig_init(&r, 808, &imp);
  sn_sim_set_trace(r.p.sim, tl_trace_sink, &tr, 1u << SN_TC_sim);
  for (int i = 0; i < 20; i++)
    sl_source_send(&r.src, r.p.sim, 1500 - 42);
  sn_sim_run_until(r.p.sim, sn_sim_now(r.p.sim) + 20 * MS);
  struct sn_sim_link_stats s = rig_stats(&r);
  assert_int_equal(s.dropped_queue, 14);
  assert_int_equal(s.delivered, 6);
  assert_int_equal(r.sink.n, 6);
  for (uint32_t i = 0; i < 6; i++)
    assert_int_equal(r.sink.rx[i].seq, i);
  assert_int_equal(tl_trace_count(&tr, "A-B", "drop", "reason=queue-full",
                                  NULL),
                   14);
  /* Drained: six fit again. */
  for (int i = 0; i < 6; i++)
    sl_source_send(&r.src, r.p.sim, 1500 - 42);
  sn_sim_run_until(r.p.sim, sn_sim_now(r.p.sim) + 20 * MS);
  assert_int_equal(rig_stats(&r).dropped_queue, 14);
  assert_int_equal(r.sink.n, 12);

  imp.rate_bps = 1000000000;
  imp.queue_limit = 0;
  assert_int_equal(sn_sim_link_impair(r.p.link, SN_SIM_AB, &imp), 0);
  for (int i = 0; i < 1100; i++)
    sl_source_send(&r.src, r.p.sim, 100);
  sn_sim_run_until(r.p.sim, sn_sim_now(r.p.sim) + 20 * MS);
  assert_int_equal(rig_stats(&r).dropped_queue, 14 + 99);
  assert_int_equal(r.sink.n, 12 + 1001);
  tl_trace_clear(&tr);
  rig_free(&r);
}

/* MTU ---------------------------------------------------------------------- */

/* A frame whose IP packet exceeds the link MTU is dropped (the sender's
 * interface was given a larger MTU); one that fits passes. */
static void test_mtu_drop(void **state) {
  (void)state;
  struct rig r;
  rig_init(&r, 909, NULL);
  int ifa = sn_sim_link_ifindex(r.p.link, 0);
  assert_int_equal(sn_netif_set_mtu(r.p.a, ifa, 9000), 0);
  sl_source_send(&r.src, r.p.sim, 3000);        /* IP 3028 */
  sl_source_send(&r.src, r.p.sim, 1500 - 28);   /* IP 1500: fits */
  sl_source_send(&r.src, r.p.sim, 1500 - 27);   /* IP 1501 */
  sn_sim_run_until(r.p.sim, sn_sim_now(r.p.sim) + 10 * MS);
  struct sn_sim_link_stats s = rig_stats(&r);
  assert_int_equal(s.dropped_mtu, 2);
  assert_int_equal(s.delivered, 1);
  assert_int_equal(r.sink.n, 1);
  assert_int_equal(r.sink.rx[0].seq, 1);
  /* With the MTU back at 1500, the stack fragments and all passes. */
  assert_int_equal(sn_netif_set_mtu(r.p.a, ifa, 1500), 0);
  sl_source_send(&r.src, r.p.sim, 3000);
  sn_sim_run_until(r.p.sim, sn_sim_now(r.p.sim) + 10 * MS);
  s = rig_stats(&r);
  assert_int_equal(s.dropped_mtu, 2);
  assert_int_equal(s.delivered, 1 + 3);
  assert_int_equal(r.sink.n, 2);
  assert_int_equal(r.sink.rx[1].len, 3000);
  rig_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_loss),
      cmocka_unit_test(test_burst_loss_runs),
      cmocka_unit_test(test_burst_loss_stationary),
      cmocka_unit_test(test_duplication),
      cmocka_unit_test(test_corruption_caught_udp),
      cmocka_unit_test(test_corruption_caught_icmp),
      cmocka_unit_test(test_corruption_spares_arp),
      cmocka_unit_test(test_reordering),
      cmocka_unit_test(test_delay_jitter_in_order),
      cmocka_unit_test(test_jitter_uniform),
      cmocka_unit_test(test_rate_serialisation),
      cmocka_unit_test(test_queue_limit),
      cmocka_unit_test(test_mtu_drop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
