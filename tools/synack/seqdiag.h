/*
 * seqdiag.h - a sequence diagram of TCP segments between two hosts, drawn
 * from trace events: one arrow per segment with relative seq/ack numbers
 * and the reason it was sent, state changes on each side, and the link's
 * losses.
 */
#ifndef SN_SEQDIAG_H
#define SN_SEQDIAG_H

#include <stdbool.h>
#include <stdio.h>

#include "synack/trace.h"
#include "timeline.h"

struct seqdiag {
  FILE *out;
  const char *left, *right;   /* host names: arrows go left->right or back */
  struct timeline *other;     /* events that are not TCP go here (or NULL) */
  unsigned segments, lost;
  /* Each connection's ISNs, learnt from its segments, for the relative
   * numbers of a TIME-WAIT record's segments (which do not carry them). */
  struct { uint64_t conn; uint32_t iss, irs; } isn[8];
  unsigned nisn;
};

void seqdiag_header(struct seqdiag *d);
/* A trace sink (ctx = struct seqdiag *). */
void seqdiag_sink(void *ctx, const struct sn_trace_event *ev);

#endif
