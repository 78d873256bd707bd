/*
 * test_seq.c - TCP sequence-number arithmetic modulo 2^32 (base/seq.h,
 * RFC 9293 §3.4): comparisons across the wrap, windows that straddle it,
 * min/max, distances, and the debug check on negative distances.
 */
#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rng.h"
#include "base/seq.h"

/* Comparisons of neighbours, in the middle of the space and across the
 * wrap from 0xffffffff to 0. */
static void test_compare_across_wrap(void **state) {
  (void)state;
  const sn_seq_t bases[] = {0, 1, 1000, 0x7fffffff, 0x80000000, 0xfffffff0,
                            0xffffffff};
  for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
    sn_seq_t a = bases[i];
    for (uint32_t d = 1; d < 40; d++) {
      sn_seq_t b = a + d; /* wraps for the high bases */
      assert_true(sn_seq_lt(a, b));
      assert_true(sn_seq_leq(a, b));
      assert_false(sn_seq_gt(a, b));
      assert_false(sn_seq_geq(a, b));
      assert_true(sn_seq_gt(b, a));
      assert_true(sn_seq_geq(b, a));
      assert_false(sn_seq_lt(b, a));
      assert_false(sn_seq_leq(b, a));
      assert_int_equal(sn_seq_diff(b, a), (int32_t)d);
      assert_int_equal(sn_seq_diff(a, b), -(int32_t)d);
    }
    assert_false(sn_seq_lt(a, a));
    assert_true(sn_seq_leq(a, a));
    assert_false(sn_seq_gt(a, a));
    assert_true(sn_seq_geq(a, a));
  }
  /* The textbook case: 0xffffff00 comes before 0x100. */
  assert_true(sn_seq_lt(0xffffff00u, 0x100));
  assert_true(sn_seq_gt(0x100, 0xffffff00u));
  assert_int_equal(sn_seq_diff(0x100, 0xffffff00u), 0x200);
  /* The largest forward distance still compares as "after". */
  assert_true(sn_seq_lt(5, 5 + 0x7fffffffu));
  assert_true(sn_seq_gt(5, 5 + 0x80000001u));
}

/* Random pairs at signed distance d (|d| < 2^31): each comparison agrees
 * with the sign of d wherever the pair sits on the circle. */
static void test_compare_random(void **state) {
  (void)state;
  struct sn_rng r;
  sn_rng_seed(&r, 9293);
  for (int i = 0; i < 200000; i++) {
    sn_seq_t a = sn_rng_u32(&r);
    int32_t d = (int32_t)sn_rng_u32(&r);
    if (d == INT32_MIN) /* 2^31 apart: neither before nor after */
      d = 0;
    if (i % 7 == 0)
      d = 0;
    sn_seq_t b = a + (uint32_t)d;
    assert_int_equal(sn_seq_lt(a, b), d > 0);
    assert_int_equal(sn_seq_leq(a, b), d >= 0);
    assert_int_equal(sn_seq_gt(a, b), d < 0);
    assert_int_equal(sn_seq_geq(a, b), d <= 0);
    assert_int_equal(sn_seq_diff(b, a), d);
  }
}

/* sn_seq_in(x, lo, hi): lo <= x < hi on the circle, with windows across
 * the wrap; hi itself is outside, an empty window holds nothing. */
static void test_in_window(void **state) {
  (void)state;
  /* Window [0xfffffff0, 0x10) straddles 0. */
  assert_true(sn_seq_in(0xfffffff0u, 0xfffffff0u, 0x10));
  assert_true(sn_seq_in(0xffffffffu, 0xfffffff0u, 0x10));
  assert_true(sn_seq_in(0, 0xfffffff0u, 0x10));
  assert_true(sn_seq_in(0xf, 0xfffffff0u, 0x10));
  assert_false(sn_seq_in(0x10, 0xfffffff0u, 0x10));
  assert_false(sn_seq_in(0xffffffefu, 0xfffffff0u, 0x10));
  assert_false(sn_seq_in(0x1000, 0xfffffff0u, 0x10));
  /* Ordinary window. */
  assert_true(sn_seq_in(100, 100, 200));
  assert_true(sn_seq_in(199, 100, 200));
  assert_false(sn_seq_in(200, 100, 200));
  assert_false(sn_seq_in(99, 100, 200));
  /* Empty window. */
  for (sn_seq_t x = 0xfffffffe; x != 3; x++)
    assert_false(sn_seq_in(x, 0xffffffffu, 0xffffffffu));
  /* Every point of a window across the wrap, and its neighbours. */
  sn_seq_t lo = 0xffffff80u, hi = 0x80;
  for (uint32_t k = 0; k < 0x100; k++)
    assert_true(sn_seq_in(lo + k, lo, hi));
  assert_false(sn_seq_in(lo - 1, lo, hi));
  assert_false(sn_seq_in(hi, lo, hi));
}

/* min and max pick by circular order, not by integer value. */
static void test_min_max(void **state) {
  (void)state;
  assert_int_equal(sn_seq_max(0xfffffff0u, 5), 5);
  assert_int_equal(sn_seq_min(0xfffffff0u, 5), 0xfffffff0u);
  assert_int_equal(sn_seq_max(5, 0xfffffff0u), 5);
  assert_int_equal(sn_seq_min(5, 0xfffffff0u), 0xfffffff0u);
  assert_int_equal(sn_seq_max(10, 20), 20);
  assert_int_equal(sn_seq_min(10, 20), 10);
  assert_int_equal(sn_seq_max(7, 7), 7);
  assert_int_equal(sn_seq_min(7, 7), 7);
  assert_int_equal(sn_seq_max(0x7fffffffu, 0x80000000u), 0x80000000u);
  assert_int_equal(sn_seq_min(0x7fffffffu, 0x80000000u), 0x7fffffffu);
}

/* Distances: forward across the wrap, and zero. */
static void test_len(void **state) {
  (void)state;
  assert_int_equal(sn_seq_len(0xfffffff0u, 0x10), 0x20);
  assert_int_equal(sn_seq_len(0, 0), 0);
  assert_int_equal(sn_seq_len(100, 1100), 1000);
  assert_int_equal(sn_seq_len(0xffffffffu, 0), 1);
  assert_int_equal(sn_seq_len(1, 0x80000000u), 0x7fffffffu);
}

/* In builds with assertions, a negative distance aborts the program
 * instead of returning a huge length (checked in a child process). */
static void test_len_negative_aborts(void **state) {
  (void)state;
#ifdef NDEBUG
  skip();
#else
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* The default action for the abort, no core file, no message. */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(SIGABRT, SIG_DFL);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0)
      dup2(devnull, 2);
    volatile uint32_t n = sn_seq_len(0x10, 0xfffffff0u);
    (void)n;
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_compare_across_wrap),
      cmocka_unit_test(test_compare_random),
      cmocka_unit_test(test_in_window),
      cmocka_unit_test(test_min_max),
      cmocka_unit_test(test_len),
      cmocka_unit_test(test_len_negative_aborts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
