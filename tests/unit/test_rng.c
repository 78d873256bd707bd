/*
 * test_rng.c - the per-stack random generator (base/rng.c): known answers
 * of splitmix64 and xoshiro256**, reproducibility from a seed, and the
 * ranges and distributions of sn_rng_below(), sn_rng_double() and
 * sn_rng_chance().
 *
 * Statistical checks use fixed seeds and generous bounds (chi-square limits
 * at the 1e-9 tail), so they are deterministic and would still pass with
 * other seeds.
 */
#include "testlib.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "base/rng.h"

/* splitmix64 from state 0: its published first outputs. */
static void test_splitmix64_known(void **state) {
  (void)state;
  uint64_t st = 0;
  assert_true(sn_splitmix64(&st) == UINT64_C(0xe220a8397b1dcdaf));
  assert_true(sn_splitmix64(&st) == UINT64_C(0x6e789e6aa1b965f4));
  assert_true(sn_splitmix64(&st) == UINT64_C(0x06c45d188009454f));
  assert_true(st == 3 * UINT64_C(0x9e3779b97f4a7c15));
}

/* xoshiro256** from the state {1, 2, 3, 4}: the first ten outputs of the
 * algorithm as its authors define it. */
static void test_xoshiro_known(void **state) {
  (void)state;
  static const uint64_t want[10] = {
      UINT64_C(11520),
      UINT64_C(0),
      UINT64_C(1509978240),
      UINT64_C(1215971899390074240),
      UINT64_C(1216172134540287360),
      UINT64_C(607988272756665600),
      UINT64_C(16172922978634559625),
      UINT64_C(8476171486693032832),
      UINT64_C(10595114339597558777),
      UINT64_C(2904607092377533576),
  };
  struct sn_rng r = {.s = {1, 2, 3, 4}};
  for (int i = 0; i < 10; i++)
    assert_true(sn_rng_next(&r) == want[i]);
}

/* Seeding runs splitmix64 from the seed to fill the state. */
static void test_seed_state(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 0);
  assert_true(r.s[0] == UINT64_C(0xe220a8397b1dcdaf));
  assert_true(r.s[1] == UINT64_C(0x6e789e6aa1b965f4));
  assert_true(r.s[2] == UINT64_C(0x06c45d188009454f));
  /* Seed 0 does not give the all-zero state that would stick at zero. */
  bool nonzero = false;
  for (int i = 0; i < 8; i++)
    nonzero |= sn_rng_next(&r) != 0;
  assert_true(nonzero);
}

/* The same seed gives the same sequence, through every function. */
static void test_same_seed_same_sequence(void **state) {
  (void)state;
  struct sn_rng a, b;
  sn_rng_seed(&a, 12345);
  sn_rng_seed(&b, 12345);
  for (int i = 0; i < 10000; i++) {
    switch (i % 5) {
    case 0:
      assert_true(sn_rng_next(&a) == sn_rng_next(&b));
      break;
    case 1:
      assert_int_equal(sn_rng_u32(&a), sn_rng_u32(&b));
      break;
    case 2:
      assert_true(sn_rng_below(&a, 1000 + (uint64_t)i) ==
                  sn_rng_below(&b, 1000 + (uint64_t)i));
      break;
    case 3:
      assert_true(sn_rng_double(&a) == sn_rng_double(&b));
      break;
    default:
      assert_int_equal(sn_rng_chance(&a, 0.3), sn_rng_chance(&b, 0.3));
    }
  }
  assert_memory_equal(&a, &b, sizeof a);
}

/* Different seeds give different sequences: the first outputs of seeds
 * 0..999 are all distinct, and neighbouring seeds disagree nearly
 * everywhere. */
static void test_different_seeds_differ(void **state) {
  (void)state;
  static uint64_t first[1000];
  for (uint64_t s = 0; s < 1000; s++) {
    struct sn_rng r;
    sn_rng_seed(&r, s);
    first[s] = sn_rng_next(&r);
    for (uint64_t t = 0; t < s; t++)
      assert_true(first[t] != first[s]);
  }
  struct sn_rng a, b;
  sn_rng_seed(&a, 1);
  sn_rng_seed(&b, 2);
  int same = 0;
  for (int i = 0; i < 1000; i++)
    same += sn_rng_next(&a) == sn_rng_next(&b);
  assert_int_equal(same, 0);
}

/* sn_rng_u32 is the upper half of the next 64-bit output. */
static void test_u32(void **state) {
  (void)state;
  struct sn_rng a, b;
  sn_rng_seed(&a, 9);
  sn_rng_seed(&b, 9);
  for (int i = 0; i < 100; i++)
    assert_int_equal(sn_rng_u32(&a), (uint32_t)(sn_rng_next(&b) >> 32));
}

static double chi_square(const uint64_t *count, size_t k, uint64_t n) {
  double expect = (double)n / (double)k, chi = 0;
  for (size_t i = 0; i < k; i++) {
    double d = (double)count[i] - expect;
    chi += d * d / expect;
  }
  return chi;
}

/* sn_rng_below(n) is always below n, for small, odd, huge and extreme n. */
static void test_below_range(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 77);
  const uint64_t ns[] = {1,
                         2,
                         3,
                         7,
                         10,
                         1000,
                         UINT64_C(1) << 32,
                         (UINT64_C(1) << 32) + 1,
                         UINT64_C(1) << 63,
                         (UINT64_C(1) << 63) + 1,
                         UINT64_MAX - 1,
                         UINT64_MAX};
  for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
    for (int i = 0; i < 20000; i++)
      assert_true(sn_rng_below(&r, ns[k]) < ns[k]);
  for (int i = 0; i < 100; i++)
    assert_true(sn_rng_below(&r, 1) == 0);
}

/* Roughly uniform: chi-square over the n outcomes of sn_rng_below(n) for
 * a few n, against the 1e-9 tail of the distribution (df 9: 60.7; df 6:
 * 53.3; df 99: 207.9). Every outcome occurs. */
static void test_below_uniform(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 2024);
  const struct {
    uint64_t n;
    double bound;
  } cases[] = {{10, 60.7}, {7, 53.3}, {100, 207.9}};
  for (size_t c = 0; c < 3; c++) {
    uint64_t count[100] = {0};
    const uint64_t draws = 200000;
    for (uint64_t i = 0; i < draws; i++)
      count[sn_rng_below(&r, cases[c].n)]++;
    for (uint64_t i = 0; i < cases[c].n; i++)
      assert_true(count[i] > 0);
    double chi = chi_square(count, (size_t)cases[c].n, draws);
    if (chi > cases[c].bound)
      fail_msg("n=%llu: chi-square %.1f > %.1f", (unsigned long long)cases[c].n,
               chi, cases[c].bound);
  }
}

/* Unbiased for an n close to 2^64: with n = 3 * 2^62, a plain modulo would
 * make [0, 2^62) twice as likely as each of the other two thirds. */
static void test_below_unbiased_large(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 31337);
  const uint64_t third = UINT64_C(1) << 62, n = 3 * third;
  uint64_t count[3] = {0};
  const uint64_t draws = 300000;
  for (uint64_t i = 0; i < draws; i++)
    count[sn_rng_below(&r, n) / third]++;
  double chi = chi_square(count, 3, draws);
  if (chi > 41.4) /* df 2: the 1e-9 tail; a plain modulo gives ~37500 */
    fail_msg("thirds %llu %llu %llu: chi-square %.1f",
             (unsigned long long)count[0], (unsigned long long)count[1],
             (unsigned long long)count[2], chi);
}

/* sn_rng_double lies in [0, 1), has mean 1/2 and fills ten equal bins
 * evenly. */
static void test_double(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 4);
  uint64_t count[10] = {0};
  const uint64_t draws = 500000;
  double sum = 0, lo = 1, hi = 0;
  for (uint64_t i = 0; i < draws; i++) {
    double x = sn_rng_double(&r);
    assert_true(x >= 0.0 && x < 1.0);
    sum += x;
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
    count[(int)(x * 10)]++;
  }
  double mean = sum / (double)draws;
  /* Standard error 0.29 / sqrt(5e5) = 4e-4; allow 10 of them. */
  assert_true(fabs(mean - 0.5) < 0.004);
  assert_true(lo < 0.001 && hi > 0.999);
  assert_true(chi_square(count, 10, draws) < 60.7);
  /* The extreme outputs map inside the interval. */
  struct sn_rng z = {.s = {0, 0, 0, 0}};
  assert_true(sn_rng_double(&z) == 0.0);
}

/* sn_rng_chance: never for p <= 0, always for p >= 1, and otherwise a
 * frequency close to p (within 7 standard errors). */
static void test_chance(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 8);
  for (int i = 0; i < 10000; i++) {
    assert_false(sn_rng_chance(&r, 0.0));
    assert_false(sn_rng_chance(&r, -1.0));
    assert_true(sn_rng_chance(&r, 1.0));
    assert_true(sn_rng_chance(&r, 2.5));
  }
  const double ps[] = {0.001, 0.01, 0.25, 0.5, 0.9, 0.999};
  const int draws = 200000;
  for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
    int hits = 0;
    for (int i = 0; i < draws; i++)
      hits += sn_rng_chance(&r, ps[k]);
    double f = (double)hits / draws;
    double se = sqrt(ps[k] * (1 - ps[k]) / draws);
    if (fabs(f - ps[k]) > 7 * se)
      fail_msg("p=%g: frequency %g", ps[k], f);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_splitmix64_known),
      cmocka_unit_test(test_xoshiro_known),
      cmocka_unit_test(test_seed_state),
      cmocka_unit_test(test_same_seed_same_sequence),
      cmocka_unit_test(test_different_seeds_differ),
      cmocka_unit_test(test_u32),
      cmocka_unit_test(test_below_range),
      cmocka_unit_test(test_below_uniform),
      cmocka_unit_test(test_below_unbiased_large),
      cmocka_unit_test(test_double),
      cmocka_unit_test(test_chance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
