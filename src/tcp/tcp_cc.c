/*
 * tcp_cc.c - the registry of congestion control algorithms. An algorithm
 * registers an ops table; required hooks are checked here, once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tcp/tcp_cc.h"

#define SN_CC_MAX 8

static const struct sn_cc_ops *registry[SN_CC_MAX] = {&sn_cc_reno, &sn_cc_cubic};

int sn_cc_register(const struct sn_cc_ops *ops) {
  if (!ops || !ops->name || !*ops->name || strlen(ops->name) > 15 ||
      !ops->init || !ops->on_ack || !ops->ssthresh)
    return -EINVAL;
  for (int i = 0; i < SN_CC_MAX; i++) {
    if (!registry[i]) {
      registry[i] = ops;
      return 0;
    }
    if (!strcmp(registry[i]->name, ops->name))
      return -EEXIST;
  }
  return -ENOSPC;
}

const struct sn_cc_ops *sn_cc_find(const char *name) {
  for (int i = 0; i < SN_CC_MAX && registry[i]; i++)
    if (!strcmp(registry[i]->name, name))
      return registry[i];
  return NULL;
}

const char *sn_cc_names(char *buf, unsigned len) {
  size_t pos = 0;
  buf[0] = 0;
  for (int i = 0; i < SN_CC_MAX && registry[i] && pos < len; i++)
    pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", i ? " " : "",
                            registry[i]->name);
  return buf;
}
