/*
 * pdrill_sysctl.c - the backquoted commands of scripts (GRAMMAR §7), read
 * rather than run: defaults.sh loads the "gtests" Linux profile
 * (LINUX_DEFAULTS.md §1), `sysctl -q net.ipv4.X=V` and set_sysctls.py set
 * knobs (synack's knobs have Linux's sysctl names), the restore command
 * undoes set_sysctls.py, and a few housekeeping commands that change
 * nothing here are ignored. Anything else cannot be honoured, and the
 * script is skipped rather than run without it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pdrill.h"
#include "tcp/tcp_cc.h"

#define MAX_WORDS 32

static void note(struct pd_sysctl_state *ss, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct pd_sysctl_state *ss, const char *fmt, ...) {
  char line[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (strstr(ss->notes, line))
    return;
  pd_catf(ss->notes, sizeof ss->notes, "%s%s", ss->notes[0] ? "\n" : "", line);
}

void pd_profile_base(struct sn_config *cfg) {
  sn_config_default(cfg, SN_PROFILE_LINUX);
  /* The scripts expect the classic SYN backoff (1 s, 2 s, 4 s ...:
   * LINUX_DEFAULTS.md §4), without Linux 6.x's linear first retries. */
  sn_config_set(cfg, "tcp_syn_linear_timeouts", "0");
  /* Stock Linux 3.11 ("legacy"), which scripts without a setup command
   * were written against: a receive space of 3 MiB (3/4 of a 4 MiB
   * buffer) gives its window scale 6; slow start after idle stays on. */
  sn_config_set(cfg, "tcp_rmem", "4096 87380 3145728");
  sn_config_set(cfg, "tcp_congestion_control", "cubic");
}

/* Knobs whose setting changes nothing in a stack without TSO or routing
 * metrics: a script may set them freely. */
static bool harmless(const char *name, const char *value) {
  static const char *const names[] = {"tcp_tso_win_divisor", "tcp_min_tso_segs",
                                      "tcp_tso_rtt_log", "tcp_no_metrics_save"};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (!strcmp(name, names[k]))
      return true;
  /* synack sends no ECN: turning it off is what it does anyway. */
  return !strcmp(name, "tcp_ecn") && !strcmp(value, "0");
}

/* Set one knob the script asks for. Returns 0 or -1 with why. */
static int set_knob(struct sn_config *cfg, struct pd_sysctl_state *ss,
                    const char *name, const char *value, char *why, size_t len) {
  int rc = sn_config_set(cfg, name, value);
  if (rc == 0)
    return 0;
  if (rc == -ENOENT && harmless(name, value)) {
    note(ss, "%s=%s: no such knob in synack, and none is needed (no TSO, no ECN)",
         name, value);
    return 0;
  }
  if (rc == -ENOENT)
    snprintf(why, len, "sysctl %s=%s: synack has no %s knob", name, value, name);
  else
    snprintf(why, len, "sysctl %s=%s: synack does not accept this value", name, value);
  return -1;
}

/* defaults.sh: the gtests profile (LINUX_DEFAULTS.md §1). */
static void load_defaults(struct sn_config *cfg, struct pd_sysctl_state *ss) {
  static const char *const kv[][2] = {
      {"tcp_rmem", "4096 540000 15728640"}, {"tcp_wmem", "4096 262144 4194304"},
      {"tcp_timestamps", "1"}, {"tcp_sack", "1"}, {"tcp_dsack", "1"},
      {"tcp_syn_retries", "5"}, {"tcp_synack_retries", "5"}, {"tcp_frto", "2"},
      {"tcp_reordering", "3"}, {"tcp_congestion_control", "cubic"},
      {"tcp_slow_start_after_idle", "0"}, {"tcp_early_retrans", "4"},
      {"tcp_recovery", "1"}, {"tcp_tso_win_divisor", "3"}, {"tcp_ecn", "0"},
      {"tcp_fastopen", "459779"}, {"tcp_syncookies", "1"},
      {"tcp_notsent_lowat", "4294967295"}, {"tcp_pacing_ss_ratio", "200"},
      {"tcp_pacing_ca_ratio", "120"},
      /* Not in defaults.sh: the machine's limits on SO_RCVBUF/SO_SNDBUF,
       * below tcp_rmem[2] so that it alone decides the window scale (8). */
      {"rmem_max", "4194304"}, {"wmem_max", "4194304"},
  };
  for (size_t k = 0; k < sizeof kv / sizeof kv[0]; k++) {
    int rc = sn_config_set(cfg, kv[k][0], kv[k][1]);
    if (rc == -ENOENT)
      note(ss, "defaults.sh: %s=%s is not modelled (synack has no such knob)",
           kv[k][0], kv[k][1]);
    else if (rc != 0)
      note(ss, "defaults.sh: %s=%s was not accepted", kv[k][0], kv[k][1]);
  }
  ss->gtests = true;
}

/* The sysctl name behind net.ipv4.X, net.core.X or /proc/sys/net/.../X. */
static const char *knob_name(const char *path) {
  static const char *const prefixes[] = {"/proc/sys/net/ipv4/", "/proc/sys/net/core/",
                                         "net.ipv4.", "net.core.", "net/ipv4/",
                                         "net/core/"};
  for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++)
    if (!strncmp(path, prefixes[k], strlen(prefixes[k])))
      return path + strlen(prefixes[k]);
  return NULL;
}

/* NAME=VALUE (the value unquoted). Returns -1 with why if malformed. */
static int set_assignment(struct sn_config *cfg, struct pd_sysctl_state *ss,
                          const char *arg, bool save, char *why, size_t len) {
  char name[96], value[96];
  const char *eq = strchr(arg, '=');
  if (!eq) {
    snprintf(why, len, "'%s' reads a sysctl; only settings are supported", arg);
    return -1;
  }
  snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
  snprintf(value, sizeof value, "%s", eq + 1);
  const char *knob = knob_name(name);
  if (!knob || strchr(knob, '.') || strchr(knob, '/')) {
    snprintf(why, len, "sysctl %s: only net.ipv4 and net.core settings are supported", name);
    return -1;
  }
  if (save && ss->nsaved < PD_MAX_SAVED &&
      sn_config_get(cfg, knob, ss->value[ss->nsaved], sizeof ss->value[0]) == 0)
    snprintf(ss->name[ss->nsaved++], sizeof ss->name[0], "%s", knob);
  return set_knob(cfg, ss, knob, value, why, len);
}

static void restore(struct sn_config *cfg, struct pd_sysctl_state *ss) {
  while (ss->nsaved > 0) {
    ss->nsaved--;
    sn_config_set(cfg, ss->name[ss->nsaved], ss->value[ss->nsaved]);
  }
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* Split a command line into words; quotes group, and are removed. */
static int split_words(char *line, char **w) {
  int n = 0;
  char *p = line;
  while (*p && n < MAX_WORDS) {
    while (isspace((unsigned char)*p))
      p++;
    if (!*p)
      break;
    w[n++] = p;
    char *o = p, quote = 0;
    for (; *p && (quote || !isspace((unsigned char)*p)); p++) {
      if (!quote && (*p == '"' || *p == '\''))
        quote = *p;
      else if (quote && *p == quote)
        quote = 0;
      else
        *o++ = *p;
    }
    if (*p)
      p++;
    *o = 0;
  }
  return n;
}

static bool has_word(char **w, int n, const char *s) {
  for (int k = 0; k < n; k++)
    if (!strcmp(w[k], s))
      return true;
  return false;
}

static int run_sysctl(char **w, int n, struct sn_config *cfg,
                      struct pd_sysctl_state *ss, char *why, size_t len) {
  int set = 0;
  for (int k = 1; k < n; k++) {
    if (w[k][0] == '-')
      continue;
    if (set_assignment(cfg, ss, w[k], false, why, len))
      return -1;
    set++;
  }
  if (!set) {
    snprintf(why, len, "'sysctl' without a setting is not supported");
    return -1;
  }
  return 0;
}

/* Commands that change nothing a synack stack models. */
static bool ignorable(char **w, int n) {
  if (!strcmp(w[0], "ip") && n >= 3 && !strcmp(w[1], "tcp_metrics") && !strcmp(w[2], "flush"))
    return true;
  if (!strcmp(w[0], "tc") && n >= 2 && !strcmp(w[1], "qdisc") && has_word(w, n, "pfifo") &&
      !has_word(w, n, "limit"))
    return true;
  if (!strcmp(w[0], "ethtool") && n >= 2 && !strcmp(w[1], "-K"))
    return true; /* offloads: synack has no TSO/GSO in any case */
  if (!strcmp(w[0], "nstat") && n == 2 && !strcmp(w[1], "-n"))
    return true;
  return false;
}

static int run_line(char *line, struct sn_config *cfg, struct pd_sysctl_state *ss,
                    char *why, size_t len) {
  char *w[MAX_WORDS];
  if (strpbrk(line, "|&><$") && !strstr(line, "sysctl_restore_")) {
    snprintf(why, len, "command '%s' uses the shell, which this interpreter does not run",
             line);
    return -1;
  }
  char text[200];
  snprintf(text, sizeof text, "%s", line);
  int n = split_words(line, w);
  if (n == 0)
    return 0;
  const char *cmd = base_name(w[0]);
  if (!strcmp(cmd, "defaults.sh")) {
    load_defaults(cfg, ss);
    return 0;
  }
  if (!strcmp(w[0], "sysctl"))
    return run_sysctl(w, n, cfg, ss, why, len);
  if (!strcmp(cmd, "set_sysctls.py")) {
    for (int k = 1; k < n; k++)
      if (set_assignment(cfg, ss, w[k], true, why, len))
        return -1;
    return 0;
  }
  if (!strncmp(cmd, "sysctl_restore_", 15)) {
    restore(cfg, ss);
    return 0;
  }
  if (ignorable(w, n))
    return 0;
  snprintf(why, len, "command '%s' is not supported (this interpreter runs no shell)", text);
  return -1;
}

/* The text's lines, with "\" continuations joined and # comments cut. */
static char *next_line(char **cursor) {
  char *s = *cursor;
  if (!*s)
    return NULL;
  char *e = s;
  while (*e && *e != '\n' && *e != ';') {
    if (e[0] == '\\' && e[1] == '\n')
      e[0] = e[1] = ' ';
    e++;
  }
  *cursor = *e ? e + 1 : e;
  *e = 0;
  for (char *h = s; *h; h++)
    if (*h == '#' && (h == s || isspace((unsigned char)h[-1]))) {
      *h = 0;
      break;
    }
  return s;
}

int pd_shell_apply(const char *text, struct sn_config *cfg,
                   struct pd_sysctl_state *ss, char *why, size_t whylen) {
  char *copy = strdup(text), *cursor = copy, *line;
  int rc = 0;
  if (!copy) {
    snprintf(why, whylen, "out of memory");
    return -1;
  }
  while (rc == 0 && (line = next_line(&cursor)))
    rc = run_line(line, cfg, ss, why, whylen);
  free(copy);
  if (rc == 0 && !sn_cc_find(cfg->tcp_congestion_control))
    note(ss, "congestion control %s is not registered in synack: connections use reno",
         cfg->tcp_congestion_control);
  return rc;
}
