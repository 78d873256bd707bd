/*
 * config.c - profiles and knob access by sysctl name, generated from the
 * knob lists in config.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/config.h"

#define UNPAREN_(...) __VA_ARGS__

struct knob {
  struct sn_knob_info info;
  size_t offset;
  int64_t linux_val[3], rfc_val[3];
  const char *linux_text, *rfc_text; /* text knobs */
};

#define TEXT_LEN sizeof(((struct sn_config *)0)->tcp_congestion_control)

#define SCALAR_(name, l, r, lo, hi, unit, desc)                                \
  {{#name, unit, desc, lo, hi, 1},                                             \
   offsetof(struct sn_config, name),                                           \
   {l, 0, 0},                                                                  \
   {r, 0, 0},                                                                  \
   NULL,                                                                       \
   NULL},
#define VECTOR_(name, n, l, r, lo, hi, unit, desc)                             \
  {{#name, unit, desc, lo, hi, n},                                             \
   offsetof(struct sn_config, name),                                           \
   {UNPAREN_ l},                                                               \
   {UNPAREN_ r},                                                               \
   NULL,                                                                       \
   NULL},
#define STRING_(name, l, r, desc)                                              \
  {{#name, "name", desc, 0, 0, 0},                                             \
   offsetof(struct sn_config, name),                                           \
   {0, 0, 0},                                                                  \
   {0, 0, 0},                                                                  \
   l,                                                                          \
   r},
static const struct knob knobs[] = {SN_KNOBS(SCALAR_) SN_VKNOBS(VECTOR_)
                                        SN_SKNOBS(STRING_)};
#undef SCALAR_
#undef VECTOR_
#undef STRING_

#define NKNOBS (sizeof knobs / sizeof knobs[0])

static int64_t *field(struct sn_config *cfg, const struct knob *k) {
  return (int64_t *)(void *)((char *)cfg + k->offset);
}

void sn_config_default(struct sn_config *cfg, enum sn_profile profile) {
  memset(cfg, 0, sizeof *cfg);
  cfg->profile = profile;
  for (size_t i = 0; i < NKNOBS; i++) {
    const struct knob *k = &knobs[i];
    bool rfc = profile == SN_PROFILE_RFC;
    if (k->info.count == 0)
      snprintf((char *)cfg + k->offset, TEXT_LEN, "%s",
               rfc ? k->rfc_text : k->linux_text);
    else
      memcpy(field(cfg, k), rfc ? k->rfc_val : k->linux_val,
             sizeof(int64_t) * (size_t)k->info.count);
  }
}

int sn_profile_parse(const char *name, enum sn_profile *out) {
  if (strcmp(name, "linux") == 0)
    *out = SN_PROFILE_LINUX;
  else if (strcmp(name, "rfc") == 0)
    *out = SN_PROFILE_RFC;
  else
    return -EINVAL;
  return 0;
}

const char *sn_profile_name(enum sn_profile profile) {
  return profile == SN_PROFILE_RFC ? "rfc" : "linux";
}

static const struct knob *find(const char *name) {
  for (size_t i = 0; i < NKNOBS; i++)
    if (strcmp(knobs[i].info.name, name) == 0)
      return &knobs[i];
  return NULL;
}

int sn_config_set(struct sn_config *cfg, const char *name, const char *value) {
  const struct knob *k = find(name);
  if (!k)
    return -ENOENT;
  if (k->info.count == 0) {
    size_t n = strlen(value);
    if (n == 0 || n >= TEXT_LEN)
      return -EINVAL;
    memcpy((char *)cfg + k->offset, value, n + 1);
    return 0;
  }
  int64_t v[3];
  const char *p = value;
  for (int i = 0; i < k->info.count; i++) {
    char *end;
    errno = 0;
    long long x = strtoll(p, &end, 0);
    if (end == p || errno == ERANGE)
      return end == p ? -EINVAL : -ERANGE;
    if (x < k->info.min || x > k->info.max)
      return -ERANGE;
    v[i] = x;
    p = end;
    while (*p == ' ' || *p == '\t')
      p++;
  }
  if (*p)
    return -EINVAL;
  memcpy(field(cfg, k), v, sizeof(int64_t) * (size_t)k->info.count);
  return 0;
}

int sn_config_get(const struct sn_config *cfg, const char *name, char *buf,
                  size_t len) {
  const struct knob *k = find(name);
  if (!k)
    return -ENOENT;
  if (k->info.count == 0) {
    int n = snprintf(buf, len, "%s", (const char *)cfg + k->offset);
    return (size_t)n < len ? 0 : -ENOSPC;
  }
  const int64_t *v = field((struct sn_config *)cfg, k);
  size_t pos = 0;
  for (int i = 0; i < k->info.count; i++) {
    int n = snprintf(buf + pos, pos < len ? len - pos : 0, "%s%lld",
                     i ? " " : "", (long long)v[i]);
    pos += (size_t)n;
  }
  return pos < len ? 0 : -ENOSPC;
}

const struct sn_knob_info *sn_config_knob(size_t i) {
  return i < NKNOBS ? &knobs[i].info : NULL;
}
