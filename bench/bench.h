/*
 * bench.h - what every benchmark program shares: its options, the clock,
 * the heap gauge, and the output (one JSON object per figure per line on
 * stdout, for bench/report.py; progress on stderr).
 *
 * A figure line:
 *   {"figure":"bulk_mtu1500","impl":"synack","unit":"Gbit/s",
 *    "better":"higher","runs":[4.4,4.5,...],"conditions":"..."}
 * with "completed":[true,...] where a run may not finish.
 */
#ifndef SN_BENCH_H
#define SN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_RUNS 64

struct bench_fig {
  const char *figure, *impl, *unit, *better;
  char conditions[320];
  double runs[BENCH_MAX_RUNS];
  bool completed[BENCH_MAX_RUNS];
  bool has_completed;
  int n;
};

struct bench_opts {
  int runs;          /* --runs N (default 5) */
  bool quick;        /* --quick: tiny sizes, for a smoke check */
  const char *only;  /* --only NAME: figures whose name starts with it */
  uint64_t max_conns;/* --max-conns N: the concurrent-connection goal */
};

/* Parse the common options; exits 2 with the accepted ones on a mistake. */
void bench_options(int argc, char **argv, struct bench_opts *o,
                   const char *usage);
/* Whether figure `name` is selected by --only. */
bool bench_selected(const struct bench_opts *o, const char *name);

void bench_fig_init(struct bench_fig *f, const char *figure, const char *impl,
                    const char *unit, const char *better);
void bench_fig_add(struct bench_fig *f, double v);
void bench_fig_add_run(struct bench_fig *f, double v, bool completed);
void bench_emit(const struct bench_fig *f);
/* Median of the runs (they are sorted in place). */
double bench_median(struct bench_fig *f);

uint64_t bench_wall_ns(void);
double bench_wall(void);
/* Bytes the heap hands out now (mallinfo2). */
size_t bench_heap(void);

void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
