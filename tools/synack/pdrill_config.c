/*
 * pdrill_config.c - the settings of a run (GRAMMAR §9): tolerances, the
 * TSval tick, --mss, --mtu, --strict_segments, ports, given as --name=value
 * at the top of a script. Options the interpreter accepts but does not need
 * (the addresses: the harness chooses them, and scripts do not depend on
 * them) are ignored; any other option marks the script as one that cannot
 * be honoured.
 */
#include <stdlib.h>
#include <string.h>

#include "pdrill.h"

void pd_config_default(struct pd_config *c) {
  memset(c, 0, sizeof *c);
  c->tolerance_usecs = 4000;
  c->tolerance_percent = 12.5;
  c->mtu = 1500;
  c->bind_port = 8080;
  c->connect_port = 8080;
}

static int opt_uint(const char *name, const char *val, uint64_t max, uint64_t *out,
                    char *err, size_t errlen) {
  char *end;
  if (!val || !*val || *val == '-') {
    snprintf(err, errlen, "--%s needs a whole number", name);
    return -1;
  }
  unsigned long long v = strtoull(val, &end, 0);
  if (*end || v > max) {
    snprintf(err, errlen, "--%s=%s: expected a whole number up to %llu", name, val,
             (unsigned long long)max);
    return -1;
  }
  *out = v;
  return 0;
}

static void unsupported(struct pd_config *c, int line, const char *fmt, const char *arg) {
  if (c->unsupported[0])
    return;
  snprintf(c->unsupported, sizeof c->unsupported, fmt, arg);
  c->unsupported_line = line;
}

/* Options accepted and ignored: the harness chooses the addresses (the
 * scripts do not depend on them) and has no verbosity of its own here. */
static bool ignored_option(const char *name) {
  static const char *const names[] = {"local_ip", "remote_ip", "gateway_ip",
                                      "netmask_ip", "verbose", "v", "debug"};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (!strcmp(name, names[k]))
      return true;
  return false;
}

static int numeric_option(struct pd_config *c, const char *name, const char *val,
                          char *err, size_t errlen) {
  uint64_t v;
  if (!strcmp(name, "tolerance_percent")) {
    char *end;
    double d = val ? strtod(val, &end) : -1;
    if (!val || *end || d < 0 || d > 1000) {
      snprintf(err, errlen, "--tolerance_percent: expected a number from 0 to 1000");
      return -1;
    }
    c->tolerance_percent = d;
    return 0;
  }
  uint64_t max = !strcmp(name, "mtu") ? 65535 : !strcmp(name, "mss") ? 65535
                 : strstr(name, "port") ? 65535 : 1000000000;
  if (opt_uint(name, val, max, &v, err, errlen))
    return -1;
  if (!strcmp(name, "tolerance_usecs"))
    c->tolerance_usecs = (int64_t)v;
  else if (!strcmp(name, "tcp_ts_tick_usecs"))
    c->ts_tick_usecs = (int64_t)v;
  else if (!strcmp(name, "mss"))
    c->mss = (uint32_t)v;
  else if (!strcmp(name, "mtu"))
    c->mtu = (uint32_t)v;
  else if (!strcmp(name, "bind_port"))
    c->bind_port = (uint16_t)v;
  else
    c->connect_port = (uint16_t)v;
  return 0;
}

int pd_config_option(struct pd_config *c, const char *opt, int line, char *err,
                     size_t errlen) {
  char name[64];
  const char *eq = strchr(opt, '=');
  const char *val = eq ? eq + 1 : NULL;
  snprintf(name, sizeof name, "%.*s", (int)(eq ? (size_t)(eq - opt) : strlen(opt)), opt);
  static const char *const numeric[] = {"tolerance_usecs", "tolerance_percent",
                                        "tcp_ts_tick_usecs", "mss", "mtu",
                                        "bind_port", "connect_port"};
  for (size_t k = 0; k < sizeof numeric / sizeof numeric[0]; k++)
    if (!strcmp(name, numeric[k]))
      return numeric_option(c, name, val, err, errlen);
  if (!strcmp(name, "tcp_ts_ecr_scaled"))
    c->ts_ecr_scaled = true;
  else if (!strcmp(name, "strict_segments"))
    c->strict_segments = true;
  else if (!strcmp(name, "ip_version")) {
    if (!val || (strcmp(val, "ipv4") && strcmp(val, "ipv6") && strcmp(val, "ipv4-mapped-ipv6"))) {
      snprintf(err, errlen, "--ip_version: accepted: ipv4, ipv6, ipv4-mapped-ipv6");
      return -1;
    }
    if (strcmp(val, "ipv4"))
      unsupported(c, line, "--ip_version=%s: synack has no IPv6", val);
  } else if (!ignored_option(name)) {
    unsupported(c, line, "option --%s is not supported by this interpreter", name);
  }
  return 0;
}
