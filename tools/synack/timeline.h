/*
 * timeline.h - turns trace events into an annotated timeline for people:
 * one line per interesting event, in words, with the virtual time and the
 * host. Optionally copies every event to a JSON-lines trace file.
 */
#ifndef SN_TIMELINE_H
#define SN_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/trace.h"

struct timeline {
  FILE *out;        /* the human timeline (NULL: none) */
  FILE *json;       /* every event as JSON lines (NULL: none) */
  bool all;         /* also print events that have no narrative */
  unsigned lines;   /* lines printed */
};

/* A trace sink (ctx = struct timeline *). */
void timeline_sink(void *ctx, const struct sn_trace_event *ev);

/* A section heading with an explanation, before the events it covers. */
void timeline_section(struct timeline *t, const char *title,
                      const char *explain);

/* A line from the program driving the run (an application action). */
void timeline_note(struct timeline *t, uint64_t now, const char *host,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
