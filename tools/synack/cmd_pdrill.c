/*
 * cmd_pdrill.c - `synack pdrill`: run packetdrill scripts against synack
 * on virtual time and print a verdict per script (PASS, FAIL with the
 * first mismatch, SKIPPED with the reason), then a summary. Directories
 * are searched for *.pkt files. Exit status 0 when nothing failed, 1
 * otherwise, 2 on a usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "pdrill.h"
#include "synack/capture.h"

static const char help[] =
    "usage: synack pdrill [--profile linux] [--verbose] [--pcap FILE] SCRIPT|DIR...\n\n"
    "Run packetdrill scripts (.pkt) against one synack stack each, on virtual\n"
    "time: inbound packets are injected at their times, outbound ones are\n"
    "awaited and checked field by field, system calls go to synack's socket\n"
    "API. The stack is 198.18.0.1, the scripted peer 198.18.0.2. Scripts that\n"
    "run defaults.sh get Linux's \"gtests\" profile, the others stock Linux\n"
    "values. A script that needs something the interpreter or synack cannot\n"
    "do is SKIPPED with the reason. A directory stands for every .pkt file\n"
    "under it.\n\n"
    "  --profile P     the stack's profile: linux (the only one scripts fit)\n"
    "  --verbose       print each event, each segment checked, and profile notes\n"
    "  --pcap FILE     capture every frame in and out (pcapng if FILE ends in\n"
    "                  .pcapng), each with a comment saying why it was sent\n\n"
    "Exit status: 0 if no script failed (skips allowed), 1 otherwise.\n";

static const struct cli_opt opts[] = {
    {"profile", true}, {"verbose", false}, {"pcap", true}, {NULL, false},
};

struct args {
  bool verbose;
  const char *pcap;
};

static void on_opt(void *ctx, const char *name, const char *val) {
  struct args *a = ctx;
  if (!strcmp(name, "profile")) {
    if (strcmp(val, "linux"))
      cli_usage_error("pdrill", "--profile: '%s' is not valid; accepted: linux", val);
  } else if (!strcmp(name, "verbose")) {
    a->verbose = true;
  } else {
    a->pcap = val;
  }
}

/* The list of scripts to run. */
struct files {
  char **v;
  size_t n, cap;
};

static void add_file(struct files *f, const char *path) {
  if (f->n == f->cap) {
    f->cap = f->cap ? f->cap * 2 : 64;
    f->v = realloc(f->v, f->cap * sizeof *f->v);
    if (!f->v) {
      fprintf(stderr, "synack pdrill: out of memory\n");
      exit(1);
    }
  }
  f->v[f->n++] = strdup(path);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

/* Every .pkt file under dir, sorted by path. */
static void add_dir(struct files *f, const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t first = f->n;
  if (!d)
    return;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s%s%s", dir, ends_with(dir, "/") ? "" : "/", e->d_name);
    if (stat(path, &sb) != 0)
      continue;
    if (S_ISDIR(sb.st_mode))
      add_dir(f, path);
    else if (ends_with(e->d_name, ".pkt"))
      add_file(f, path);
  }
  closedir(d);
  qsort(f->v + first, f->n - first, sizeof *f->v, cmp_str);
}

static void print_result(const char *path, const struct pd_result *r) {
  char where[64] = "";
  if (r->line)
    snprintf(where, sizeof where, ":%d", r->line);
  switch (r->verdict) {
  case PD_PASS:
    printf("PASS     %s\n", path);
    return;
  case PD_SKIP:
    printf("SKIPPED  %s%s: %s\n", path, where, r->msg);
    return;
  case PD_FAIL:
    break;
  }
  if (r->at_us >= 0)
    printf("FAIL     %s%s (at %.6f s): %s\n", path, where, (double)r->at_us / 1e6, r->msg);
  else
    printf("FAIL     %s%s: %s\n", path, where, r->msg);
  if (r->expected[0])
    printf("           expected: %s\n", r->expected);
  if (r->actual[0])
    printf("           actual:   %s\n", r->actual);
  if (r->note[0])
    printf("           note:     %s\n", r->note);
}

static struct sn_capture *open_capture(const char *path) {
  int err = 0;
  struct sn_capture *cap = sn_capture_open(path, sn_capture_format_for(path), &err);
  if (!cap)
    cli_usage_error("pdrill", "--pcap: cannot write '%s': %s", path, sn_strerror(err));
  return cap;
}

int cmd_pdrill(int argc, char **argv) {
  struct args a = {0};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  if (!pos)
    return 1;
  int npos = cli_parse("pdrill", argc, argv, opts, help, on_opt, &a, pos, argc);
  if (npos == 0)
    cli_usage_error("pdrill", "no scripts given; accepted: .pkt files or directories");
  struct files f = {0};
  for (int i = 0; i < npos; i++) {
    struct stat sb;
    if (stat(pos[i], &sb) != 0)
      cli_usage_error("pdrill", "cannot read '%s': %s", pos[i], strerror(errno));
    if (S_ISDIR(sb.st_mode))
      add_dir(&f, pos[i]);
    else
      add_file(&f, pos[i]);
  }
  struct pd_opts o = {.verbose = a.verbose, .cap = a.pcap ? open_capture(a.pcap) : NULL};
  int passed = 0, failed = 0, skipped = 0;
  for (size_t i = 0; i < f.n; i++) {
    struct pd_result r;
    if (o.verbose)
      printf("== %s\n", f.v[i]);
    pd_run_file(f.v[i], &o, &r);
    print_result(f.v[i], &r);
    passed += r.verdict == PD_PASS;
    failed += r.verdict == PD_FAIL;
    skipped += r.verdict == PD_SKIP;
    free(f.v[i]);
  }
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  if (o.cap)
    sn_capture_close(o.cap);
  free(f.v);
  free(pos);
  return failed ? 1 : 0;
}
