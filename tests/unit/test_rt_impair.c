/*
 * test_rt_impair.c - the impairment wrapper for real links: frames pass
 * untouched without impairments; loss, delay, rate, duplication,
 * reordering and corruption do what the simulator's do, in both
 * directions; held frames leave in due order; the timer queue is bounded;
 * and the fates follow the simulator's model draw for draw.
 */
#include "testlib.h"

#include "sim/impair.h"
#include "synack/runtime.h"

#define MS 1000000ull

/* What left the wrapper, in order: direction, time, length, first bytes. */
struct out {
  int n;
  int dir[512];      /* 0 transmitted to the wire, 1 delivered to the stack */
  uint64_t t[512];
  uint8_t data[512][64];
  size_t len[512];
};

static void record(struct out *o, int dir, const uint8_t *f, size_t len,
                   uint64_t t) {
  assert_true(o->n < 512);
  o->dir[o->n] = dir;
  o->t[o->n] = t;
  o->len[o->n] = len;
  memcpy(o->data[o->n], f, len < 64 ? len : 64);
  o->n++;
}

static int wire_tx(void *ctx, const uint8_t *frame, size_t len,
                   const struct sn_tx_info *info) {
  record(ctx, 0, frame, len, info->now_ns);
  return 0;
}
static const struct sn_link_ops wire_ops = {.tx = wire_tx};

static void to_stack(void *ctx, const uint8_t *frame, size_t len,
                     uint64_t now) {
  record(ctx, 1, frame, len, now);
}

/* An IPv4 frame of len bytes whose byte 14+4.. carries a number. */
static void frame(uint8_t *f, size_t len, uint32_t number) {
  memset(f, 0, len);
  memset(f, 0xaa, 12);
  f[12] = 0x08; /* IPv4 */
  f[14] = 0x45;
  f[16] = (uint8_t)((len - 14) >> 8);
  f[17] = (uint8_t)(len - 14);
  f[18] = (uint8_t)(number >> 24);
  f[19] = (uint8_t)(number >> 16);
  f[20] = (uint8_t)(number >> 8);
  f[21] = (uint8_t)number;
}

static uint32_t number_of(const uint8_t *f) {
  return (uint32_t)f[18] << 24 | (uint32_t)f[19] << 16 | (uint32_t)f[20] << 8 |
         f[21];
}

static struct sn_impair_link *make(struct out *o,
                                   const struct sn_sim_impair *imp,
                                   uint64_t seed, size_t max_held) {
  memset(o, 0, sizeof *o);
  struct sn_link wire = {.ops = &wire_ops, .ctx = o};
  int err = 1;
  struct sn_impair_link *il =
      sn_impair_link_new(wire, imp, imp, seed, to_stack, o, max_held, &err);
  assert_non_null(il);
  assert_int_equal(err, 0);
  return il;
}

static void send_at(struct sn_impair_link *il, uint64_t t, uint32_t number,
                    size_t len) {
  uint8_t f[1600];
  frame(f, len, number);
  struct sn_tx_info info = {.now_ns = t, .why = "test"};
  struct sn_link l = sn_impair_link_tx(il);
  assert_int_equal(sn_link_tx(&l, f, len, &info), 0);
}

static void receive_at(struct sn_impair_link *il, uint64_t t, uint32_t number,
                       size_t len) {
  uint8_t f[1600];
  frame(f, len, number);
  sn_impair_link_rx(il, f, len, t);
}

static void test_bad_arguments(void **state) {
  (void)state;
  struct out o;
  struct sn_link wire = {.ops = &wire_ops, .ctx = &o};
  struct sn_sim_impair bad = {.loss = 1.5};
  int err = 0;
  assert_null(sn_impair_link_new(wire, &bad, NULL, 1, to_stack, &o, 0, &err));
  assert_int_equal(err, -EINVAL);
  assert_null(sn_impair_link_new(wire, NULL, NULL, 1, NULL, &o, 0, &err));
  assert_int_equal(err, -EINVAL);
  struct sn_link none = {0};
  assert_null(sn_impair_link_new(none, NULL, NULL, 1, to_stack, &o, 0, &err));
}

/* No impairment: everything passes at once, unchanged, nothing held. */
static void test_transparent(void **state) {
  (void)state;
  struct out o;
  struct sn_impair_link *il = make(&o, NULL, 1, 0);
  for (uint32_t i = 0; i < 10; i++) {
    send_at(il, 1000 + i, i, 100);
    receive_at(il, 2000 + i, 100 + i, 60);
  }
  assert_int_equal(o.n, 20);
  for (int i = 0; i < 20; i++) {
    assert_int_equal(o.dir[i], i % 2);
    assert_int_equal(number_of(o.data[i]), i % 2 ? 100 + i / 2 : i / 2);
  }
  assert_true(sn_impair_link_next_deadline(il) == SN_TIME_NEVER);
  struct sn_sim_link_stats s = sn_impair_link_stats(il, SN_SIM_BOTH);
  assert_int_equal(s.offered, 20);
  assert_int_equal(s.delivered, 20);
  sn_impair_link_free(il);
}

/* Loss 1 drops everything and counts it per direction. */
static void test_total_loss(void **state) {
  (void)state;
  struct out o;
  struct sn_sim_impair imp = {.loss = 1};
  struct sn_impair_link *il = make(&o, &imp, 1, 0);
  for (uint32_t i = 0; i < 5; i++) {
    send_at(il, i, i, 100);
    receive_at(il, i, i, 100);
  }
  receive_at(il, 9, 9, 100);
  assert_int_equal(o.n, 0);
  assert_int_equal(sn_impair_link_stats(il, SN_SIM_AB).lost_random, 5);
  assert_int_equal(sn_impair_link_stats(il, SN_SIM_BA).lost_random, 6);
  sn_impair_link_free(il);
}

/* Delay: frames wait their time in the queue, and leave in order. */
static void test_delay(void **state) {
  (void)state;
  struct out o;
  struct sn_sim_impair imp = {.delay_ns = 10 * MS};
  struct sn_impair_link *il = make(&o, &imp, 1, 0);
  send_at(il, 0, 1, 100);
  receive_at(il, 1 * MS, 2, 100);
  send_at(il, 2 * MS, 3, 100);
  assert_int_equal(o.n, 0);
  assert_int_equal(sn_impair_link_next_deadline(il), 10 * MS);
  sn_impair_link_poll(il, 10 * MS - 1);
  assert_int_equal(o.n, 0);
  sn_impair_link_poll(il, 11 * MS);
  assert_int_equal(o.n, 2);
  assert_int_equal(o.dir[0], 0);
  assert_int_equal(number_of(o.data[0]), 1);
  assert_int_equal(o.dir[1], 1);
  assert_int_equal(number_of(o.data[1]), 2);
  assert_int_equal(sn_impair_link_next_deadline(il), 12 * MS);
  sn_impair_link_poll(il, 100 * MS);
  assert_int_equal(o.n, 3);
  assert_int_equal(number_of(o.data[2]), 3);
  assert_true(sn_impair_link_next_deadline(il) == SN_TIME_NEVER);
  sn_impair_link_free(il);
}

/* Rate: 1000-byte frames at 8 Mbit/s leave 1 ms apart. */
static void test_rate(void **state) {
  (void)state;
  struct out o;
  struct sn_sim_impair imp = {.rate_bps = 8000000};
  struct sn_impair_link *il = make(&o, &imp, 1, 0);
  for (uint32_t i = 0; i < 4; i++)
    send_at(il, 0, i, 1000);
  for (uint64_t t = 0; t <= 4 * MS; t += MS / 4)
    sn_impair_link_poll(il, t);
  assert_int_equal(o.n, 4);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(number_of(o.data[i]), i);
    assert_int_equal(o.t[i], (uint64_t)(i + 1) * MS);
  }
  sn_impair_link_free(il);
}

/* Duplication 1: two copies of each frame, in order. */
static void test_duplicate(void **state) {
  (void)state;
  struct out o;
  struct sn_sim_impair imp = {.duplicate = 1};
  struct sn_impair_link *il = make(&o, &imp, 1, 0);
  send_at(il, 0, 7, 100);
  receive_at(il, 0, 8, 100);
  sn_impair_link_poll(il, 0);
  assert_int_equal(o.n, 4);
  assert_int_equal(number_of(o.data[0]), 7);
  assert_int_equal(number_of(o.data[1]), 7);
  assert_int_equal(number_of(o.data[2]), 8);
  assert_int_equal(number_of(o.data[3]), 8);
  assert_int_equal(sn_impair_link_stats(il, SN_SIM_BOTH).duplicated, 2);
  sn_impair_link_free(il);
}

/* Reordering: a held-back frame is overtaken by the next ones. */
static void test_reorder(void **state) {
  (void)state;
  struct out o;
  struct sn_sim_impair imp = {.reorder = 0.5, .reorder_ns = 5 * MS};
  struct sn_impair_link *il = make(&o, &imp, 3, 0);
  for (uint32_t i = 0; i < 40; i++)
    receive_at(il, i * 10000, i, 100);
  sn_impair_link_poll(il, SN_TIME_NEVER - 1);
  assert_int_equal(o.n, 40);
  uint64_t held = sn_impair_link_stats(il, SN_SIM_BA).reordered;
  assert_true(held > 5 && held < 35);
  int inversions = 0;
  for (int i = 1; i < 40; i++)
    inversions += number_of(o.data[i]) < number_of(o.data[i - 1]);
  assert_true(inversions > 0);
  for (int i = 1; i < 40; i++)
    assert_true(o.t[i] >= o.t[i - 1]);
  sn_impair_link_free(il);
}

/* Corruption flips one bit of a copy; the sender's frame is untouched. */
static void test_corrupt(void **state) {
  (void)state;
  struct out o;
  struct sn_sim_impair imp = {.corrupt = 1};
  struct sn_impair_link *il = make(&o, &imp, 5, 0);
  uint8_t f[64], orig[64];
  frame(f, sizeof f, 42);
  memcpy(orig, f, sizeof f);
  struct sn_tx_info info = {.now_ns = 0, .why = "test"};
  struct sn_link l = sn_impair_link_tx(il);
  sn_link_tx(&l, f, sizeof f, &info);
  assert_memory_equal(f, orig, sizeof f);
  assert_int_equal(o.n, 1);
  int bits = 0;
  for (size_t i = 0; i < sizeof f; i++)
    bits += __builtin_popcount(o.data[0][i] ^ orig[i]);
  assert_int_equal(bits, 1);
  assert_memory_equal(o.data[0], orig, 14); /* never the Ethernet header */
  sn_impair_link_free(il);
}

/* The timer queue holds at most max_held frames. */
static void test_bounded(void **state) {
  (void)state;
  struct out o;
  struct sn_sim_impair imp = {.delay_ns = MS};
  struct sn_impair_link *il = make(&o, &imp, 1, 8);
  for (uint32_t i = 0; i < 12; i++)
    send_at(il, 0, i, 100);
  assert_int_equal(sn_impair_link_stats(il, SN_SIM_AB).dropped_queue, 4);
  sn_impair_link_poll(il, MS);
  assert_int_equal(o.n, 8);
  sn_impair_link_free(il);
}

/* The wrapper's fates are the simulator model's, draw for draw. */
static void test_same_model(void **state) {
  (void)state;
  struct out o;
  struct sn_sim_impair imp = {.loss = 0.3, .duplicate = 0.2};
  struct sn_impair_link *il = make(&o, &imp, 77, 0);
  struct sn_impair m;
  uint64_t s = 77;
  sn_impair_init(&m, sn_splitmix64(&s)); /* the transmit generator */
  m.imp = imp;
  int want = 0;
  for (uint32_t i = 0; i < 200; i++) {
    uint64_t done, hold;
    if (sn_impair_admit(&m, 0, 100, &done) == SN_IMPAIR_PASS) {
      want += sn_impair_duplicate(&m) ? 2 : 1;
      sn_impair_arrival(&m, done, &hold);
    }
    send_at(il, 0, i, 100);
  }
  assert_int_equal(o.n, want);
  sn_impair_destroy(&m);
  sn_impair_link_free(il);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_arguments), cmocka_unit_test(test_transparent),
      cmocka_unit_test(test_total_loss),    cmocka_unit_test(test_delay),
      cmocka_unit_test(test_rate),          cmocka_unit_test(test_duplicate),
      cmocka_unit_test(test_reorder),       cmocka_unit_test(test_corrupt),
      cmocka_unit_test(test_bounded),       cmocka_unit_test(test_same_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
