/*
 * cli.c - option value parsers with helpful errors, and the simulated
 * network options shared by the simulator commands.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "synack %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n(see 'synack %s --help')\n", cmd);
  exit(CLI_EXIT_USAGE);
}

uint64_t cli_uint(const char *cmd, const char *opt, const char *text,
                  uint64_t min, uint64_t max) {
  char *end;
  errno = 0;
  if (!text || !*text || *text == '-')
    goto bad;
  unsigned long long v = strtoull(text, &end, 10);
  if (*end || errno || v < min || v > max)
    goto bad;
  return v;
bad:
  cli_usage_error(cmd, "%s: '%s' is not valid; accepted: a whole number from "
                       "%llu to %llu",
                  opt, text ? text : "", (unsigned long long)min,
                  (unsigned long long)max);
}

/* Split "12.5ms" into 12.5 and "ms". */
static bool number_unit(const char *text, double *num, const char **unit) {
  char *end;
  if (!text || !*text || *text == '-' || *text == '+')
    return false;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || errno || !isfinite(v) || v < 0)
    return false;
  *num = v;
  *unit = end;
  return true;
}

uint64_t cli_size(const char *cmd, const char *opt, const char *text) {
  double v;
  const char *u;
  if (number_unit(text, &v, &u)) {
    double mult = 0;
    if (!strcmp(u, "") || !strcmp(u, "B"))
      mult = 1;
    else if (!strcmp(u, "K") || !strcmp(u, "k") || !strcmp(u, "KiB"))
      mult = 1024;
    else if (!strcmp(u, "M") || !strcmp(u, "MiB"))
      mult = 1024.0 * 1024;
    else if (!strcmp(u, "G") || !strcmp(u, "GiB"))
      mult = 1024.0 * 1024 * 1024;
    if (mult > 0 && v * mult < 1.8e19 && v * mult == floor(v * mult))
      return (uint64_t)(v * mult);
  }
  cli_usage_error(cmd, "%s: '%s' is not a size; accepted: bytes with an "
                       "optional K, M or G suffix (e.g. 1500, 64K, 100M)",
                  opt, text ? text : "");
}

uint64_t cli_duration(const char *cmd, const char *opt, const char *text) {
  double v;
  const char *u;
  if (number_unit(text, &v, &u)) {
    double mult = 0;
    if (!strcmp(u, "ns"))
      mult = 1;
    else if (!strcmp(u, "us"))
      mult = 1e3;
    else if (!strcmp(u, "ms") || !strcmp(u, ""))
      mult = 1e6;
    else if (!strcmp(u, "s"))
      mult = 1e9;
    if (mult > 0 && v * mult < 1e18)
      return (uint64_t)llround(v * mult);
  }
  cli_usage_error(cmd, "%s: '%s' is not a duration; accepted: a number with "
                       "ns, us, ms or s (e.g. 10ms, 1.5s; a bare number "
                       "means ms)",
                  opt, text ? text : "");
}

double cli_prob(const char *cmd, const char *opt, const char *text) {
  double v;
  const char *u;
  if (number_unit(text, &v, &u)) {
    if (!strcmp(u, "%") && v <= 100)
      return v / 100;
    if (!strcmp(u, "") && v <= 1)
      return v;
  }
  cli_usage_error(cmd, "%s: '%s' is not a probability; accepted: a fraction "
                       "from 0 to 1 (0.02) or a percentage from 0%% to 100%% "
                       "(2%%)",
                  opt, text ? text : "");
}

uint64_t cli_rate(const char *cmd, const char *opt, const char *text) {
  double v;
  const char *u;
  if (number_unit(text, &v, &u) && v > 0) {
    char unit[16];
    snprintf(unit, sizeof unit, "%s", u);
    size_t n = strlen(unit);
    if (n >= 3 && (!strcmp(unit + n - 3, "bit") || !strcmp(unit + n - 3, "bps")))
      unit[n - 3] = 0;
    double mult = 0;
    if (!strcmp(unit, ""))
      mult = 1;
    else if (!strcmp(unit, "k") || !strcmp(unit, "K"))
      mult = 1e3;
    else if (!strcmp(unit, "M"))
      mult = 1e6;
    else if (!strcmp(unit, "G"))
      mult = 1e9;
    if (mult > 0 && v * mult >= 1 && v * mult < 1e15)
      return (uint64_t)llround(v * mult);
  }
  cli_usage_error(cmd, "%s: '%s' is not a rate; accepted: bits per second "
                       "with an optional k, M or G (e.g. 10M, 1G, 512k)",
                  opt, text ? text : "");
}

const char cli_net_help[] =
    "Simulated link (applied in both directions):\n"
    "  --seed N        random seed (default 1); same seed, same run\n"
    "  --delay D       one-way delay (e.g. 10ms; default 5ms)\n"
    "  --jitter D      extra random delay up to D, order kept\n"
    "  --rate R        link rate (e.g. 10M, 1G; default unlimited)\n"
    "  --queue N       frames waiting for the wire before drop-tail (1000)\n"
    "  --loss P        random loss (0.02 or 2%)\n"
    "  --burst P,R     Gilbert-Elliott bursts: P(good->bad), P(bad->good)\n"
    "  --reorder P     probability a frame is held back and overtaken\n"
    "  --dup P         probability a frame is duplicated\n"
    "  --corrupt P     probability a frame has one bit flipped\n"
    "  --mtu N         link MTU (68..65535; default 1500)\n";

void cli_net_defaults(struct cli_net *n) {
  memset(n, 0, sizeof *n);
  n->imp.delay_ns = 5000000;
  n->mtu = 1500;
  n->seed = 1;
}

bool cli_net_option(const char *cmd, struct cli_net *n, const char *opt,
                    const char *val) {
  if (!strcmp(opt, "seed"))
    n->seed = cli_uint(cmd, "--seed", val, 0, UINT64_MAX);
  else if (!strcmp(opt, "delay"))
    n->imp.delay_ns = cli_duration(cmd, "--delay", val);
  else if (!strcmp(opt, "jitter"))
    n->imp.jitter_ns = cli_duration(cmd, "--jitter", val);
  else if (!strcmp(opt, "rate"))
    n->imp.rate_bps = cli_rate(cmd, "--rate", val);
  else if (!strcmp(opt, "queue"))
    n->imp.queue_limit = (uint32_t)cli_uint(cmd, "--queue", val, 1, 1000000);
  else if (!strcmp(opt, "loss"))
    n->imp.loss = cli_prob(cmd, "--loss", val);
  else if (!strcmp(opt, "reorder"))
    n->imp.reorder = cli_prob(cmd, "--reorder", val);
  else if (!strcmp(opt, "dup"))
    n->imp.duplicate = cli_prob(cmd, "--dup", val);
  else if (!strcmp(opt, "corrupt"))
    n->imp.corrupt = cli_prob(cmd, "--corrupt", val);
  else if (!strcmp(opt, "mtu"))
    n->mtu = (uint32_t)cli_uint(cmd, "--mtu", val, 68, 65535);
  else if (!strcmp(opt, "burst")) {
    const char *comma = val ? strchr(val, ',') : NULL;
    if (!comma)
      cli_usage_error(cmd, "--burst: '%s' is not P,R; accepted: two "
                           "probabilities separated by a comma (e.g. 0.01,0.3)",
                      val ? val : "");
    char p[64];
    snprintf(p, sizeof p, "%.*s", (int)(comma - val), val);
    n->imp.ge_p = cli_prob(cmd, "--burst (P)", p);
    n->imp.ge_r = cli_prob(cmd, "--burst (R)", comma + 1);
    n->imp.ge_loss_bad = 1;
  } else
    return false;
  return true;
}

FILE *cli_open_trace(const char *cmd, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f)
    cli_usage_error(cmd, "--trace: cannot write '%s': %s", path,
                    strerror(errno));
  return f;
}

static void list_options(const struct cli_opt *opts, char *buf, size_t len) {
  size_t pos = 0;
  buf[0] = 0;
  for (const struct cli_opt *o = opts; o->name; o++) {
    int n = snprintf(buf + pos, len - pos, "%s--%s%s", pos ? " " : "", o->name,
                     o->has_arg ? " X" : "");
    if (n < 0 || (size_t)n >= len - pos)
      break;
    pos += (size_t)n;
  }
}

int cli_parse(const char *cmd, int argc, char **argv,
              const struct cli_opt *opts, const char *help,
              void (*on_opt)(void *ctx, const char *name, const char *val),
              void *ctx, char **pos, int max_pos) {
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(help, stdout);
      exit(0);
    }
    if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
      if (npos == max_pos)
        cli_usage_error(cmd, "unexpected argument '%s'", a);
      pos[npos++] = argv[i];
      continue;
    }
    char name[64];
    const char *eq = strchr(a + 2, '=');
    size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    snprintf(name, sizeof name, "%.*s", (int)nlen, a + 2);
    const struct cli_opt *o = opts;
    while (o->name && strcmp(o->name, name) != 0)
      o++;
    if (!o->name) {
      char accepted[1024];
      list_options(opts, accepted, sizeof accepted);
      cli_usage_error(cmd, "unknown option '--%s'; accepted: %s --help", name,
                      accepted);
    }
    const char *val = NULL;
    if (o->has_arg) {
      if (eq)
        val = eq + 1;
      else if (i + 1 < argc)
        val = argv[++i];
      else
        cli_usage_error(cmd, "--%s needs a value", name);
    } else if (eq) {
      cli_usage_error(cmd, "--%s takes no value", name);
    }
    on_opt(ctx, o->name, val);
  }
  return npos;
}
