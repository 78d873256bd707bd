/*
 * test_sim.c - the simulator's core: the event queue, the virtual clock and
 * run functions, scheduled callbacks, hosts and links (names, MACs,
 * addresses), polls at exact deadlines, ARP and ping across a link at the
 * right virtual times, traces, buffer recycling and determinism.
 */
#include "testlib.h"

#include "simlib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rng.h"
#include "base/util.h"
#include "sim/sim_internal.h"

#define MS SN_NSEC_PER_MSEC
#define SEC SN_NSEC_PER_SEC

/* The event heap --------------------------------------------------------- */

/* Random pushes and pops come out ordered by time, ties by push order. */
static void test_heap_order(void **state) {
  (void)state;
  struct sim_heap h;
  sim_heap_init(&h);
  struct sn_rng rng;
  sn_rng_seed(&rng, 7);
  uint64_t last_time = 0, last_seq = 0, pushed = 0, popped = 0;
  for (int round = 0; round < 20000; round++) {
    if (sn_rng_below(&rng, 3) != 0) {
      /* Times never before the last popped one, as in a simulation. */
      struct sim_event ev = {.time = last_time + sn_rng_below(&rng, 50),
                             .kind = SIM_EV_CALL};
      assert_int_equal(sim_heap_push(&h, &ev), 0);
      assert_int_equal(ev.seq, pushed);
      pushed++;
    } else {
      struct sim_event ev;
      if (!sim_heap_pop(&h, &ev))
        continue;
      assert_true(ev.time >= last_time);
      if (popped && ev.time == last_time)
        assert_true(ev.seq > last_seq);
      last_time = ev.time;
      last_seq = ev.seq;
      popped++;
    }
  }
  struct sim_event ev;
  while (sim_heap_pop(&h, &ev)) {
    assert_true(ev.time > last_time ||
                (ev.time == last_time && ev.seq > last_seq));
    last_time = ev.time;
    last_seq = ev.seq;
    popped++;
  }
  assert_int_equal(popped, pushed);
  assert_null(sim_heap_top(&h));
  sim_heap_destroy(&h);
}

/* Callbacks and the clock ------------------------------------------------ */

struct calls {
  struct sn_sim *sim;
  int id[32];
  uint64_t t[32];
  int n;
};
struct call {
  struct calls *c;
  int id;
};

static void record(void *ctx, uint64_t now) {
  struct call *k = ctx;
  assert_int_equal(now, sn_sim_now(k->c->sim));
  k->c->id[k->c->n] = k->id;
  k->c->t[k->c->n++] = now;
}

/* Callbacks run at their time, ties in scheduling order; run_until stops
 * the clock at t; the past cannot be scheduled. */
static void test_callbacks_and_clock(void **state) {
  (void)state;
  struct calls c = {.sim = sn_sim_new(1)};
  struct call k[6];
  const uint64_t when[6] = {300, 100, 300, 200, 100, 1000};
  for (int i = 0; i < 6; i++) {
    k[i] = (struct call){&c, i};
    assert_int_equal(sn_sim_at(c.sim, when[i], record, &k[i]), 0);
  }
  assert_int_equal(sn_sim_now(c.sim), 0);
  sn_sim_run_until(c.sim, 250);
  assert_int_equal(c.n, 3);
  assert_int_equal(c.id[0], 1);
  assert_int_equal(c.id[1], 4);
  assert_int_equal(c.id[2], 3);
  assert_int_equal(c.t[2], 200);
  assert_int_equal(sn_sim_now(c.sim), 250);
  assert_int_equal(sn_sim_at(c.sim, 249, record, &k[0]), -EINVAL);
  assert_int_equal(sn_sim_at(c.sim, 250, NULL, NULL), -EINVAL);
  sn_sim_run_until(c.sim, 300); /* inclusive */
  assert_int_equal(c.n, 5);
  assert_int_equal(c.id[3], 0);
  assert_int_equal(c.id[4], 2);
  /* Not idle before 999; idle after, with the clock at the last event. */
  assert_false(sn_sim_run_until_idle(c.sim, 999));
  assert_int_equal(sn_sim_now(c.sim), 300);
  assert_true(sn_sim_run_until_idle(c.sim, UINT64_MAX));
  assert_int_equal(sn_sim_now(c.sim), 1000);
  assert_int_equal(c.n, 6);
  /* Running into the past does nothing. */
  sn_sim_run_until(c.sim, 10);
  assert_int_equal(sn_sim_now(c.sim), 1000);
  sn_sim_free(c.sim);
}

static void chain(void *ctx, uint64_t now) {
  struct call *k = ctx;
  record(ctx, now);
  if (k->c->n < 4) /* schedule the next one at the same time */
    assert_int_equal(sn_sim_at(k->c->sim, now, chain, ctx), 0);
}

static bool three_calls(void *ctx) { return ((struct calls *)ctx)->n >= 3; }

/* A callback may schedule more at the current time; run_while_not stops
 * right after the event that makes the predicate true. */
static void test_run_while_not(void **state) {
  (void)state;
  struct calls c = {.sim = sn_sim_new(1)};
  struct call k = {&c, 9};
  assert_int_equal(sn_sim_at(c.sim, 5000, chain, &k), 0);
  assert_false(sn_sim_run_while_not(c.sim, three_calls, &c, 4999));
  assert_int_equal(c.n, 0);
  assert_true(sn_sim_run_while_not(c.sim, three_calls, &c, 6000));
  assert_int_equal(c.n, 3);
  assert_int_equal(sn_sim_now(c.sim), 5000);
  /* Already true: returns at once. */
  assert_true(sn_sim_run_while_not(c.sim, three_calls, &c, 6000));
  assert_int_equal(c.n, 3);
  assert_true(sn_sim_run_until_idle(c.sim, UINT64_MAX));
  assert_int_equal(c.n, 4);
  sn_sim_free(c.sim);
}

/* Hosts and links -------------------------------------------------------- */

static void assert_mac(struct sn_stack *st, int ifindex, uint8_t host,
                       uint8_t ifn) {
  uint8_t mac[6];
  const uint8_t want[6] = {2, 0, 0, 0, host, ifn};
  assert_int_equal(sn_netif_mac(st, ifindex, mac), 0);
  assert_memory_equal(mac, want, 6);
}

/* Interfaces get MAC 02:00:00:00:<host#>:<if#>, the link's MTU and the
 * addresses given; a third host on a second link works too. */
static void test_hosts_and_links(void **state) {
  (void)state;
  struct sl_pair p;
  sl_pair_init(&p, 3, 9000);
  int ia = sn_sim_link_ifindex(p.link, 0), ib = sn_sim_link_ifindex(p.link, 1);
  assert_int_equal(ia, 1);
  assert_int_equal(ib, 1);
  assert_int_equal(sn_sim_link_ifindex(p.link, 2), -EINVAL);
  assert_mac(p.a, ia, 1, 1);
  assert_mac(p.b, ib, 2, 1);
  assert_int_equal(sn_netif_mtu(p.a, ia), 9000);
  assert_int_equal(sn_netif_mtu(p.b, ib), 9000);

  struct sn_stack *c = sn_sim_add_host(p.sim, "C", NULL);
  assert_non_null(c);
  int err = 1;
  struct sn_sim_link *ac = sn_sim_connect(p.sim, p.a, "198.18.1.1/24", c,
                                          "198.18.1.3/24", 0, &err);
  assert_non_null(ac);
  assert_int_equal(err, 0);
  assert_int_equal(sn_sim_link_ifindex(ac, 0), 2);
  assert_mac(p.a, 2, 1, 2);
  assert_mac(c, 1, 3, 1);
  assert_int_equal(sn_netif_mtu(c, 1), 1500);

  /* Ping across each link. */
  assert_int_equal(sn_stack_ping(p.a, tl_ip("198.18.1.3"), 1, 1, 32), 0);
  assert_int_equal(sn_stack_ping(p.a, p.ip_b, 1, 2, 32), 0);
  sn_sim_run_until(p.sim, SEC);
  assert_true(sn_stack_ping_result(p.a, 1, 1) >= 0);
  assert_true(sn_stack_ping_result(p.a, 1, 2) >= 0);
  assert_int_equal(sn_stack_counter(c, SN_CTR_IcmpInEchos), 1);
  assert_int_equal(sn_stack_counter(p.b, SN_CTR_IcmpInEchos), 1);
  sl_pair_free(&p);
}

/* Bad arguments to sn_sim_connect are refused with the right errno. */
static void test_connect_errors(void **state) {
  (void)state;
  struct sn_sim *sim = sn_sim_new(1);
  struct sn_stack *a = sn_sim_add_host(sim, "A", NULL);
  struct sn_stack *b = sn_sim_add_host(sim, "B", NULL);
  struct sn_stack *alien = sn_stack_new("X", NULL, 1);
  int err = 0;
  assert_null(sn_sim_connect(sim, a, "198.18.0.1", b, NULL, 0, &err));
  assert_int_equal(err, -EINVAL);
  err = 0;
  assert_null(sn_sim_connect(sim, a, "198.18.0.1/33", b, NULL, 0, &err));
  assert_int_equal(err, -EINVAL);
  err = 0;
  assert_null(sn_sim_connect(sim, a, "198.18.0.300/24", b, NULL, 0, &err));
  assert_int_equal(err, -EINVAL);
  err = 0;
  assert_null(sn_sim_connect(sim, a, NULL, b, "x/24", 0, &err));
  assert_int_equal(err, -EINVAL);
  err = 0;
  assert_null(sn_sim_connect(sim, a, NULL, b, NULL, 67, &err));
  assert_int_equal(err, -EINVAL);
  err = 0;
  assert_null(sn_sim_connect(sim, a, NULL, alien, NULL, 0, &err));
  assert_int_equal(err, -EINVAL);
  /* An address the host already has. */
  assert_non_null(sn_sim_connect(sim, a, "198.18.0.1/24", b, NULL, 0, &err));
  err = 0;
  assert_null(sn_sim_connect(sim, a, "198.18.0.1/24", b, NULL, 0, &err));
  assert_int_equal(err, -EEXIST);
  /* Out of interfaces: A has used 1 of its 7. */
  for (int i = 0; i < 6; i++) {
    struct sn_stack *h = sn_sim_add_host(sim, "H", NULL);
    assert_non_null(sn_sim_connect(sim, a, NULL, h, NULL, 0, &err));
  }
  err = 0;
  assert_null(sn_sim_connect(sim, a, NULL, b, NULL, 0, &err));
  assert_int_equal(err, -ENOSPC);
  sn_stack_free(alien);
  sn_sim_free(sim);
}

/* Impairment and scripted-drop arguments are checked. */
static void test_argument_checks(void **state) {
  (void)state;
  struct sl_pair p;
  sl_pair_init(&p, 1, 0);
  struct sn_sim_impair imp = {0};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_BOTH, &imp), 0);
  imp.loss = 1.5;
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_AB, &imp), -EINVAL);
  imp.loss = 0;
  imp.corrupt = -0.1;
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_AB, &imp), -EINVAL);
  imp.corrupt = 0;
  imp.ge_r = NAN;
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_AB, &imp), -EINVAL);
  imp.ge_r = 1;
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_AB, &imp), 0);
  assert_int_equal(sn_sim_link_impair(p.link, (enum sn_sim_dir)3, &imp),
                   -EINVAL);

  assert_int_equal(sn_sim_link_drop_nth(p.link, SN_SIM_AB, "syn-ack", 2), 0);
  assert_int_equal(sn_sim_link_drop_nth(p.link, SN_SIM_AB, "synack", 2),
                   -EINVAL);
  assert_int_equal(sn_sim_link_drop_nth(p.link, SN_SIM_AB, "udp", 0), -EINVAL);
  assert_int_equal(sn_sim_link_drop_nth(p.link, SN_SIM_AB, NULL, 1), -EINVAL);
  /* Every advertised name is accepted. */
  char names[128];
  snprintf(names, sizeof names, "%s", sn_sim_filter_names());
  int count = 0;
  for (char *save = NULL, *w = strtok_r(names, " ", &save); w;
       w = strtok_r(NULL, " ", &save), count++)
    assert_int_equal(sn_sim_link_drop_nth(p.link, SN_SIM_BOTH, w, 1000), 0);
  assert_int_equal(count, 13);
  sl_pair_free(&p);
}

/* Timing ----------------------------------------------------------------- */

/* The first ping resolves ARP (request, reply, echo, reply: four one-way
 * delays); the second takes two. Events happen at the exact times. */
static void test_ping_and_arp_timing(void **state) {
  (void)state;
  struct sl_pair p;
  struct tl_trace tr = {0};
  sl_pair_init(&p, 11, 0);
  struct sn_sim_impair imp = {.delay_ns = 5 * MS};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_BOTH, &imp), 0);
  sn_sim_run_until(p.sim, SEC);
  assert_int_equal(sn_stack_now(p.a), SEC);
  assert_int_equal(sn_stack_now(p.b), SEC);
  sn_sim_set_trace(p.sim, tl_trace_sink, &tr, SN_TRACE_ALL);

  assert_int_equal(sn_stack_ping(p.a, p.ip_b, 7, 1, 56), 0);
  sn_sim_run_until(p.sim, 2 * SEC);
  assert_int_equal(sn_stack_ping_result(p.a, 7, 1), 20 * MS);
  assert_int_equal(tl_trace_count(&tr, "1.000000000 A", "tx-request", NULL), 1);
  assert_int_equal(tl_trace_count(&tr, "1.005000000 B", "rx-request", NULL), 1);
  assert_int_equal(tl_trace_count(&tr, "1.010000000 A", "rx-reply", NULL), 1);
  assert_int_equal(tl_trace_count(&tr, "1.015000000 B", "rx-echo", NULL), 1);
  assert_int_equal(tl_trace_count(&tr, "1.020000000 A", "echo-reply", NULL),
                   1);

  assert_int_equal(sn_stack_ping(p.a, p.ip_b, 7, 2, 56), 0);
  sn_sim_run_until(p.sim, 3 * SEC);
  assert_int_equal(sn_stack_ping_result(p.a, 7, 2), 10 * MS);
  assert_int_equal(sn_stack_counter(p.b, SN_CTR_IcmpInEchos), 2);
  assert_int_equal(sn_stack_counter(p.a, SN_CTR_IcmpInEchoReps), 2);
  tl_trace_clear(&tr);
  sl_pair_free(&p);
}

/* Stack timers fire at their exact deadlines: ARP for an absent host asks
 * every neigh_retrans_time_ms (1 s), three times, then gives up. */
static void test_polls_at_deadlines(void **state) {
  (void)state;
  struct sl_pair p;
  struct tl_trace tr = {0};
  sl_pair_init(&p, 5, 0);
  sn_sim_run_until(p.sim, SEC / 2);
  sn_sim_set_trace(p.sim, tl_trace_sink, &tr, SN_TRACE_ALL);
  assert_int_equal(sn_stack_ping(p.a, tl_ip("198.18.0.77"), 1, 1, 8), 0);
  sn_sim_run_until(p.sim, 10 * SEC);
  assert_int_equal(tl_trace_count(&tr, " A ", "tx-request", NULL), 3);
  assert_int_equal(tl_trace_count(&tr, "0.500000000 A", "tx-request", NULL), 1);
  assert_int_equal(tl_trace_count(&tr, "1.500000000 A", "tx-request", NULL), 1);
  assert_int_equal(tl_trace_count(&tr, "2.500000000 A", "tx-request", NULL), 1);
  assert_int_equal(tl_trace_count(&tr, "3.500000000 A", "arp", "failed", NULL),
                   1);
  assert_int_equal(sn_stack_counter(p.a, SN_CTR_ArpResolveFailed), 1);
  tl_trace_clear(&tr);
  sl_pair_free(&p);
}

/* Socket calls between runs act at the simulation's time. */
static void test_socket_calls_between_runs(void **state) {
  (void)state;
  struct sl_pair p;
  struct sl_source src;
  struct sl_sink sink;
  sl_pair_init(&p, 2, 0);
  struct sn_sim_impair imp = {.delay_ns = 3 * MS};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_BOTH, &imp), 0);
  sl_pair_resolve(&p);
  sl_sink_open(&sink, p.b, 9000);
  sl_source_open(&src, p.a, p.ip_b, 9000);
  sn_sim_run_until(p.sim, 7 * SEC + 123);
  sl_source_send(&src, p.sim, 100);
  sn_sim_run_until(p.sim, 7 * SEC + 4 * MS);
  assert_int_equal(sink.n, 1);
  assert_int_equal(sink.rx[0].time, 7 * SEC + 123 + 3 * MS);
  assert_int_equal(sink.rx[0].len, 100);
  sl_source_close(&src);
  sl_sink_close(&sink);
  sl_pair_free(&p);
}

/* Traces ----------------------------------------------------------------- */

/* Hosts added after sn_sim_set_trace are traced too; link events carry the
 * link's name and honour the mask. */
static void test_trace_sinks(void **state) {
  (void)state;
  struct tl_trace tr = {0};
  struct sn_sim *sim = sn_sim_new(4);
  sn_sim_set_trace(sim, tl_trace_sink, &tr, SN_TRACE_ALL);
  struct sn_stack *a = sn_sim_add_host(sim, "A", NULL);
  struct sn_stack *b = sn_sim_add_host(sim, "Bee", NULL);
  struct sn_sim_link *l =
      sn_sim_connect(sim, a, "198.18.0.1/24", b, "198.18.0.2/24", 0, NULL);
  assert_non_null(l);
  assert_int_equal(tl_trace_count(&tr, " A ", "tx-gratuitous", NULL), 1);
  assert_int_equal(tl_trace_count(&tr, " Bee ", "tx-gratuitous", NULL), 1);
  struct sn_sim_impair imp = {.loss = 1.0};
  assert_int_equal(sn_sim_link_impair(l, SN_SIM_AB, &imp), 0);
  /* The ARP request is lost, B's announcement resolves A's entry anyway,
   * and the echo request is lost. */
  assert_int_equal(sn_stack_ping(a, tl_ip("198.18.0.2"), 1, 1, 8), 0);
  sn_sim_run_until(sim, 100 * MS);
  assert_int_equal(sn_sim_link_stats(l, SN_SIM_AB).lost_random, 2);
  assert_int_equal(tl_trace_count(&tr, "A-Bee", "sim", "drop", "reason=loss",
                                  "from=A", "to=Bee", NULL),
                   2);
  assert_int_equal(tl_trace_count(&tr, "A-Bee", "len=42", "random loss",
                                  NULL),
                   1);
  /* Without the sim category, link events are not emitted. */
  tl_trace_clear(&tr);
  sn_sim_set_trace(sim, tl_trace_sink, &tr, SN_TRACE_ALL & ~(1u << SN_TC_sim));
  assert_int_equal(sn_stack_ping(a, tl_ip("198.18.0.2"), 1, 2, 8), 0);
  sn_sim_run_until(sim, 200 * MS);
  assert_int_equal(sn_sim_link_stats(l, SN_SIM_AB).lost_random, 3);
  assert_int_equal(tl_trace_count(&tr, "A-Bee", NULL), 0);
  assert_int_equal(tl_trace_count(&tr, " A ", "tx-echo", NULL), 1);
  tl_trace_clear(&tr);
  sn_sim_free(sim);
}

/* Frame buffers are recycled: the same traffic again allocates no more
 * (the pool holds as many buffers as were ever in flight at once). */
static size_t free_frames(const struct sn_sim *sim) {
  size_t n = 0;
  for (unsigned c = 0; c < SIM_FRAME_CLASSES; c++)
    for (const struct sim_frame *f = sim->free_frames[c]; f; f = f->next)
      n++;
  return n;
}

static void test_frame_recycling(void **state) {
  (void)state;
  struct sl_pair p;
  struct sl_source src;
  struct sl_sink sink;
  sl_pair_init(&p, 8, 0);
  struct sn_sim_impair imp = {.delay_ns = MS};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_AB, &imp), 0);
  sl_pair_resolve(&p);
  sl_sink_open(&sink, p.b, 9000);
  sl_source_open(&src, p.a, p.ip_b, 9000);
  sl_source_run(&src, p.sim, 2000, 1000, 20, 100 * 1000, 10 * MS);
  size_t after_first = free_frames(p.sim);
  assert_true(after_first > 0);
  sl_source_run(&src, p.sim, 20000, 1000, 20, 100 * 1000, 10 * MS);
  assert_int_equal(free_frames(p.sim), after_first);
  assert_int_equal(sink.n, 22000);
  sl_source_close(&src);
  sl_sink_close(&sink);
  sl_pair_free(&p);
}

/* Determinism ------------------------------------------------------------ */

struct run_output {
  char *trace;      /* JSON lines */
  size_t trace_len;
  uint8_t *cap;     /* capture file bytes */
  size_t cap_len;
  struct sn_sim_link_stats ab, ba;
};

static void read_whole(const char *path, uint8_t **buf, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  assert_true(n > 0);
  rewind(f);
  *buf = malloc((size_t)n);
  assert_int_equal(fread(*buf, 1, (size_t)n, f), (size_t)n);
  *len = (size_t)n;
  fclose(f);
}

/* Every impairment at once, traffic both ways, a trace and a capture. */
static void run_scenario(uint64_t seed, enum sn_capture_format fmt,
                         struct run_output *o) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/sn_test_sim_det_%d.cap", (int)getpid());
  FILE *tf = open_memstream(&o->trace, &o->trace_len);
  assert_non_null(tf);
  struct sl_pair p;
  sl_pair_init(&p, seed, 0);
  sn_sim_set_trace(p.sim, sn_trace_sink_json, tf, SN_TRACE_ALL);
  int err;
  struct sn_capture *cap = sn_capture_open(path, fmt, &err);
  assert_non_null(cap);
  sn_sim_link_capture(p.link, cap);
  struct sn_sim_impair imp = {
      .delay_ns = 2 * MS, .jitter_ns = MS, .rate_bps = 50000000,
      .queue_limit = 20, .loss = 0.02, .ge_p = 0.01, .ge_r = 0.3,
      .ge_loss_bad = 0.5, .reorder = 0.05, .duplicate = 0.03,
      .corrupt = 0.02};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_BOTH, &imp), 0);
  assert_int_equal(sn_sim_link_drop_nth(p.link, SN_SIM_AB, "udp", 5), 0);
  struct sl_sink sink_b, sink_a;
  struct sl_source src_a, src_b;
  sl_sink_open(&sink_b, p.b, 9000);
  sl_sink_open(&sink_a, p.a, 9001);
  sl_source_open(&src_a, p.a, p.ip_b, 9000);
  sl_source_open(&src_b, p.b, p.ip_a, 9001);
  for (int i = 0; i < 100; i++) {
    sn_stack_ping(p.a, p.ip_b, 3, (uint16_t)i, 100);
    for (int j = 0; j < 8; j++) {
      sl_source_send(&src_a, p.sim, 1200);
      sl_source_send(&src_b, p.sim, 300);
    }
    sn_sim_run_until(p.sim, sn_sim_now(p.sim) + MS);
  }
  sn_sim_run_until(p.sim, sn_sim_now(p.sim) + SEC);
  o->ab = sn_sim_link_stats(p.link, SN_SIM_AB);
  o->ba = sn_sim_link_stats(p.link, SN_SIM_BA);
  sl_source_close(&src_a);
  sl_source_close(&src_b);
  sl_sink_close(&sink_a);
  sl_sink_close(&sink_b);
  sl_pair_free(&p);
  assert_int_equal(sn_capture_close(cap), 0);
  fclose(tf);
  read_whole(path, &o->cap, &o->cap_len);
  unlink(path);
}

static void free_output(struct run_output *o) {
  free(o->trace);
  free(o->cap);
}

static void assert_same_run(const struct run_output *x,
                            const struct run_output *y) {
  assert_int_equal(x->trace_len, y->trace_len);
  assert_memory_equal(x->trace, y->trace, x->trace_len);
  assert_int_equal(x->cap_len, y->cap_len);
  assert_memory_equal(x->cap, y->cap, x->cap_len);
  assert_memory_equal(&x->ab, &y->ab, sizeof x->ab);
}

/* The same seed gives byte-identical traces and captures (pcapng and
 * pcap); another seed gives other fates. */
static void test_determinism(void **state) {
  (void)state;
  struct run_output r1 = {0}, r2 = {0}, r3 = {0}, r4 = {0}, r5 = {0};
  run_scenario(1234, SN_CAPTURE_PCAPNG, &r1);
  run_scenario(1234, SN_CAPTURE_PCAPNG, &r2);
  assert_same_run(&r1, &r2);
  /* Every impairment actually acted. */
  assert_true(r1.ab.lost_random > 0 && r1.ab.lost_burst > 0);
  assert_true(r1.ab.dropped_queue > 0 && r1.ab.dropped_script == 1);
  assert_true(r1.ab.duplicated > 0 && r1.ab.corrupted > 0);
  assert_true(r1.ab.reordered > 0 && r1.ba.delivered > 0);
  assert_true(r1.trace_len > 10000);

  run_scenario(1234, SN_CAPTURE_PCAP, &r3);
  run_scenario(1234, SN_CAPTURE_PCAP, &r4);
  assert_same_run(&r3, &r4);
  assert_memory_equal(r1.trace, r3.trace, r1.trace_len);

  run_scenario(1235, SN_CAPTURE_PCAPNG, &r5);
  assert_true(r5.trace_len != r1.trace_len ||
              memcmp(r5.trace, r1.trace, r1.trace_len) != 0);
  assert_true(memcmp(&r5.ab, &r1.ab, sizeof r1.ab) != 0);
  free_output(&r1);
  free_output(&r2);
  free_output(&r3);
  free_output(&r4);
  free_output(&r5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_heap_order),
      cmocka_unit_test(test_callbacks_and_clock),
      cmocka_unit_test(test_run_while_not),
      cmocka_unit_test(test_hosts_and_links),
      cmocka_unit_test(test_connect_errors),
      cmocka_unit_test(test_argument_checks),
      cmocka_unit_test(test_ping_and_arp_timing),
      cmocka_unit_test(test_polls_at_deadlines),
      cmocka_unit_test(test_socket_calls_between_runs),
      cmocka_unit_test(test_trace_sinks),
      cmocka_unit_test(test_frame_recycling),
      cmocka_unit_test(test_determinism),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
