/*
 * stack.h - a synack stack: creation, the three entry points, inspection.
 *
 * A stack does no I/O and reads no clock. Time enters as `now` (monotonic
 * nanoseconds, never decreasing) on every call; randomness comes from a
 * generator seeded at creation. Given the same seed and the same calls, a
 * stack produces the same frames, byte for byte.
 *
 * The driving loop is:
 *   - a frame arrives       -> sn_stack_input(st, ifindex, frame, len, now)
 *   - time reaches deadline -> sn_stack_poll(st, now)
 *   - sleep until           -> sn_stack_next_deadline(st)
 */
#ifndef SYNACK_STACK_H
#define SYNACK_STACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "counters.h"
#include "netif.h"
#include "trace.h"

struct sn_stack;

#define SN_TIME_NEVER UINT64_MAX

/*
 * Create a stack named `name` (used in traces; copied) with configuration
 * cfg (copied; NULL means the linux profile) and random seed. Returns NULL
 * if memory is short.
 */
struct sn_stack *sn_stack_new(const char *name, const struct sn_config *cfg,
                              uint64_t seed);
void sn_stack_free(struct sn_stack *st);

const char *sn_stack_name(const struct sn_stack *st);
const struct sn_config *sn_stack_config(const struct sn_stack *st);

/*
 * A frame arrived on interface ifindex. The stack parses and copies what it
 * keeps before returning. Malformed frames are counted and dropped with a
 * reason. Returns 0, or -ENODEV for an unknown interface.
 */
int sn_stack_input(struct sn_stack *st, int ifindex, const uint8_t *frame,
                   size_t len, uint64_t now);

/* Run everything due at or before now (timers, looped-back packets). */
void sn_stack_poll(struct sn_stack *st, uint64_t now);

/*
 * The earliest time at which sn_stack_poll() has work to do, or
 * SN_TIME_NEVER. It may be earlier than any real deadline (the timer wheel
 * then only reorganises itself), never later.
 */
uint64_t sn_stack_next_deadline(const struct sn_stack *st);

/* The latest `now` the stack has seen. */
uint64_t sn_stack_now(const struct sn_stack *st);

/* Install a trace sink for the categories in mask (bit 1<<SN_TC_x); a NULL
 * fn removes it. */
void sn_stack_set_trace(struct sn_stack *st, sn_trace_fn fn, void *ctx,
                        uint32_t mask);

/* Counters and per-reason drop counts. */
uint64_t sn_stack_counter(const struct sn_stack *st, enum sn_counter c);
uint64_t sn_stack_drops(const struct sn_stack *st, enum sn_drop_reason r);

/*
 * Write the nonzero counters and drop counts, one "Name value" per line, as
 * `nstat` does. Returns the number of lines written.
 */
int sn_stack_dump_counters(const struct sn_stack *st, FILE *out);

/*
 * Write the TCP connections and listeners one per line, as `ss -tan`
 * does: state, receive and send queues, local and peer address, and the
 * next timer with the time left. Returns the number of lines written.
 */
int sn_stack_dump_connections(const struct sn_stack *st, FILE *out);

/*
 * Send an ICMP echo request from the stack (the `ping` of a host). Returns
 * 0 or a negative errno (-ENETUNREACH without a route). Replies are seen as
 * trace events ("icmp" "echo-reply") and through sn_stack_ping_result().
 */
int sn_stack_ping(struct sn_stack *st, uint32_t dst, uint16_t id,
                  uint16_t seq, size_t payload_len);

/* The round-trip time of the echo reply for (id, seq), or -ENOENT if none
 * has arrived (yet). Only the most recent 64 requests are remembered. */
int64_t sn_stack_ping_result(const struct sn_stack *st, uint16_t id,
                             uint16_t seq);

#endif
