/*
 * synack.h - everything a program embedding synack needs.
 */
#ifndef SYNACK_SYNACK_H
#define SYNACK_SYNACK_H

#include "config.h"
#include "counters.h"
#include "netif.h"
#include "socket.h"
#include "stack.h"
#include "trace.h"

/* The library's version, e.g. "0.1.0". */
const char *sn_version(void);

#endif
