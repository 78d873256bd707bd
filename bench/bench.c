/*
 * bench.c - options, clock, heap gauge and JSON lines for the benchmark
 * programs (see bench.h).
 */
#include "bench.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage_exit(const char *usage, const char *what) {
  fprintf(stderr, "%s\nusage: %s\n  --runs N (1..%d)  --quick  --only NAME  "
          "--max-conns N\n", what, usage, BENCH_MAX_RUNS);
  exit(2);
}

void bench_options(int argc, char **argv, struct bench_opts *o,
                   const char *usage) {
  o->runs = 5;
  o->quick = false;
  o->only = NULL;
  o->max_conns = 1000000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--quick")) {
      o->quick = true;
    } else if (!strcmp(a, "--runs") && v) {
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || n < 1 || n > BENCH_MAX_RUNS)
        usage_exit(usage, "--runs: a number of runs is expected");
      o->runs = (int)n;
      i++;
    } else if (!strcmp(a, "--only") && v) {
      o->only = v;
      i++;
    } else if (!strcmp(a, "--max-conns") && v) {
      char *end;
      unsigned long long n = strtoull(v, &end, 10);
      if (*end || n < 1 || n > 100000000)
        usage_exit(usage, "--max-conns: a number of connections is expected");
      o->max_conns = n;
      i++;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage_exit(usage, "options:");
    } else {
      char msg[160];
      snprintf(msg, sizeof msg, "unknown option or missing value: %s", a);
      usage_exit(usage, msg);
    }
  }
}

bool bench_selected(const struct bench_opts *o, const char *name) {
  return !o->only || !strncmp(name, o->only, strlen(o->only));
}

void bench_fig_init(struct bench_fig *f, const char *figure, const char *impl,
                    const char *unit, const char *better) {
  memset(f, 0, sizeof *f);
  f->figure = figure;
  f->impl = impl;
  f->unit = unit;
  f->better = better;
}

void bench_fig_add(struct bench_fig *f, double v) {
  if (f->n < BENCH_MAX_RUNS)
    f->runs[f->n++] = v;
}

void bench_fig_add_run(struct bench_fig *f, double v, bool completed) {
  f->has_completed = true;
  if (f->n < BENCH_MAX_RUNS)
    f->completed[f->n] = completed;
  bench_fig_add(f, v);
}

static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      printf("\\u%04x", *s);
    else
      putchar(*s);
  }
  putchar('"');
}

void bench_emit(const struct bench_fig *f) {
  printf("{\"figure\":");
  json_string(f->figure);
  printf(",\"impl\":");
  json_string(f->impl);
  printf(",\"unit\":");
  json_string(f->unit);
  printf(",\"better\":");
  json_string(f->better);
  printf(",\"runs\":[");
  for (int i = 0; i < f->n; i++)
    printf("%s%.6g", i ? "," : "", f->runs[i]);
  printf("]");
  if (f->has_completed) {
    printf(",\"completed\":[");
    for (int i = 0; i < f->n; i++)
      printf("%s%s", i ? "," : "", f->completed[i] ? "true" : "false");
    printf("]");
  }
  printf(",\"conditions\":");
  json_string(f->conditions);
  printf("}\n");
  fflush(stdout);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

double bench_median(struct bench_fig *f) {
  if (!f->n)
    return 0;
  double v[BENCH_MAX_RUNS];
  memcpy(v, f->runs, sizeof v);
  qsort(v, (size_t)f->n, sizeof v[0], cmp_double);
  return v[f->n / 2];
}

uint64_t bench_wall_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

double bench_wall(void) { return (double)bench_wall_ns() / 1e9; }

size_t bench_heap(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void bench_progress(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}
