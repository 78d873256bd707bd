/*
 * bench_checksum.c - throughput of the Internet checksum (base/checksum.c)
 * next to memcpy of the same bytes, measured in the same run.
 *
 * Two tables in Markdown:
 *   1. sn_csum_partial over a 1500-byte and a 64 KiB buffer, for the
 *      implementation the library selects and for each one this processor
 *      can run, against memcpy of the same size;
 *   2. sn_csum_copy (copy and checksum in one pass) against memcpy followed
 *      by sn_csum_partial over the copy.
 *
 * Method: buffers are filled once and stay warm in the cache. Each figure
 * is calibrated to take about --time seconds (default 0.2) per measurement
 * and measured --runs times (default 7), each run timing the synack work
 * and its baseline back to back so both see the same machine state. The
 * tables give the median throughput with the minimum and maximum, in
 * GB/s (10^9 bytes per second), and the ratio of the medians. Every
 * function is called through a volatile pointer and every checksum feeds
 * the next call and finally a volatile sink, so the compiler can neither
 * inline nor drop the work.
 *
 * Usage: bench_checksum [--runs N] [--time SECONDS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/checksum.h"

typedef uint32_t (*partial_fn)(const void *, size_t, uint32_t);
typedef uint32_t (*copy_fn)(void *, const void *, size_t, uint32_t);
typedef void *(*memcpy_fn)(void *, const void *, size_t);

static void *(*volatile memcpy_ptr)(void *, const void *, size_t) = memcpy;
static volatile uint32_t sink;

static int runs = 7;
static double target_s = 0.2;

static uint8_t *src_buf, *dst_buf;

/* One kind of work: run it `iters` times over `len` bytes. */
struct work {
  void (*run)(const struct work *w, size_t len, uint64_t iters);
  partial_fn partial; /* the checksum under test, if any */
  copy_fn copy;       /* the copy-and-checksum under test, if any */
};

static void run_partial(const struct work *w, size_t len, uint64_t iters) {
  partial_fn volatile fn = w->partial;
  partial_fn f = fn;
  uint32_t sum = 0;
  for (uint64_t i = 0; i < iters; i++)
    sum = f(src_buf, len, sum);
  sink = sum;
}

static void run_memcpy(const struct work *w, size_t len, uint64_t iters) {
  (void)w;
  memcpy_fn f = memcpy_ptr;
  for (uint64_t i = 0; i < iters; i++)
    f(dst_buf, src_buf, len);
  sink = dst_buf[len - 1];
}

static void run_copy(const struct work *w, size_t len, uint64_t iters) {
  copy_fn volatile fn = w->copy;
  copy_fn f = fn;
  uint32_t sum = 0;
  for (uint64_t i = 0; i < iters; i++)
    sum = f(dst_buf, src_buf, len, sum);
  sink = sum;
}

static void run_memcpy_partial(const struct work *w, size_t len,
                               uint64_t iters) {
  partial_fn volatile fn = w->partial;
  partial_fn f = fn;
  memcpy_fn m = memcpy_ptr;
  uint32_t sum = 0;
  for (uint64_t i = 0; i < iters; i++) {
    m(dst_buf, src_buf, len);
    sum = f(dst_buf, len, sum);
  }
  sink = sum;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds taken by `iters` repetitions. */
static double time_work(const struct work *w, size_t len, uint64_t iters) {
  double t0 = now_s();
  w->run(w, len, iters);
  return now_s() - t0;
}

/* Repetitions that take about target_s seconds. */
static uint64_t calibrate(const struct work *w, size_t len) {
  uint64_t iters = 16;
  w->run(w, len, iters); /* warm the cache and the branch predictors */
  for (;;) {
    double t = time_work(w, len, iters);
    if (t >= target_s / 8) {
      double want = (double)iters * target_s / t;
      return want < 1 ? 1 : (uint64_t)want;
    }
    iters *= 2;
  }
}

struct stats {
  double median, min, max; /* GB/s */
};

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static struct stats summarize(double *gbps, int n) {
  qsort(gbps, (size_t)n, sizeof *gbps, cmp_double);
  struct stats s = {.min = gbps[0], .max = gbps[n - 1]};
  s.median = n % 2 ? gbps[n / 2] : (gbps[n / 2 - 1] + gbps[n / 2]) / 2;
  return s;
}

/* Measure a and b over len bytes, alternating them run by run. */
static void measure_pair(const struct work *a, const struct work *b,
                         size_t len, struct stats *sa, struct stats *sb) {
  uint64_t ia = calibrate(a, len), ib = calibrate(b, len);
  double ga[64], gb[64];
  for (int r = 0; r < runs; r++) {
    double ta = time_work(a, len, ia);
    double tb = time_work(b, len, ib);
    ga[r] = (double)len * (double)ia / ta / 1e9;
    gb[r] = (double)len * (double)ib / tb / 1e9;
  }
  *sa = summarize(ga, runs);
  *sb = summarize(gb, runs);
}

static void print_row(const char *figure, struct stats a, struct stats b) {
  printf("| %s | %.1f GB/s (%.1f–%.1f) | %.1f GB/s (%.1f–%.1f) | %.2f |\n",
         figure, a.median, a.min, a.max, b.median, b.min, b.max,
         a.median / b.median);
  fflush(stdout);
}

static const char *size_name(size_t len) {
  return len == 1500 ? "1500 B" : "64 KiB";
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
      target_s = atof(argv[++i]);
    } else {
      fprintf(stderr, "usage: %s [--runs N (1..64)] [--time SECONDS]\n",
              argv[0]);
      return 2;
    }
  }
  if (runs < 1 || runs > 64 || !(target_s > 0)) {
    fprintf(stderr, "bench_checksum: --runs must be 1..64 and --time > 0\n");
    return 2;
  }

  const size_t sizes[] = {1500, 65536};
  src_buf = aligned_alloc(64, 65536);
  dst_buf = aligned_alloc(64, 65536);
  if (!src_buf || !dst_buf)
    return 1;
  uint32_t x = 0x12345678;
  for (size_t i = 0; i < 65536; i++) {
    x = x * 1103515245u + 12345u;
    src_buf[i] = (uint8_t)(x >> 24);
  }
  memset(dst_buf, 0, 65536);

  const struct sn_csum_impl *sel = sn_csum_impl_selected();
  printf("## Internet checksum vs memcpy\n\n");
  printf("Implementations on this processor:");
  for (size_t i = 0; sn_csum_impl(i); i++)
    printf(" %s%s", sn_csum_impl(i)->name,
           sn_csum_impl(i) == sel ? " (selected)" : "");
  printf(". Median of %d runs of ~%.2g s each, (min–max).\n\n", runs,
         target_s);

  printf("| figure | synack | memcpy | ratio |\n");
  printf("|---|---|---|---|\n");
  const struct work base = {.run = run_memcpy};
  for (size_t s = 0; s < 2; s++) {
    char fig[96];
    struct stats a, b;
    const struct work w = {.run = run_partial, .partial = sn_csum_partial};
    measure_pair(&w, &base, sizes[s], &a, &b);
    snprintf(fig, sizeof fig, "sn_csum_partial, %s", size_name(sizes[s]));
    print_row(fig, a, b);
    for (size_t i = 0; sn_csum_impl(i); i++) {
      const struct work wi = {.run = run_partial,
                              .partial = sn_csum_impl(i)->partial};
      measure_pair(&wi, &base, sizes[s], &a, &b);
      snprintf(fig, sizeof fig, "&nbsp;&nbsp;%s, %s", sn_csum_impl(i)->name,
               size_name(sizes[s]));
      print_row(fig, a, b);
    }
  }

  printf("\n## Copy and checksum in one pass vs memcpy + checksum\n\n");
  printf("| figure | sn_csum_copy | memcpy + sn_csum_partial | ratio |\n");
  printf("|---|---|---|---|\n");
  for (size_t s = 0; s < 2; s++) {
    char fig[96];
    struct stats a, b;
    const struct work w = {.run = run_copy, .copy = sn_csum_copy};
    const struct work two = {.run = run_memcpy_partial,
                             .partial = sn_csum_partial};
    measure_pair(&w, &two, sizes[s], &a, &b);
    snprintf(fig, sizeof fig, "copy+checksum, %s", size_name(sizes[s]));
    print_row(fig, a, b);
    for (size_t i = 0; sn_csum_impl(i); i++) {
      const struct work wi = {.run = run_copy, .copy = sn_csum_impl(i)->copy};
      const struct work ti = {.run = run_memcpy_partial,
                              .partial = sn_csum_impl(i)->partial};
      measure_pair(&wi, &ti, sizes[s], &a, &b);
      snprintf(fig, sizeof fig, "&nbsp;&nbsp;%s, %s", sn_csum_impl(i)->name,
               size_name(sizes[s]));
      print_row(fig, a, b);
    }
  }
  free(src_buf);
  free(dst_buf);
  return 0;
}
