/*
 * memnet.h - synack stacks joined by an in-memory Ethernet switch, for the
 * benchmarks: the harness shape the lwIP anchor copies (bench/lwip/).
 *
 * Every frame a stack transmits is copied once into a slot of a FIFO (as a
 * NIC would DMA it); the run loop hands each slot to the stack its
 * destination MAC names (broadcasts to every other stack). Optional random
 * loss, seeded. The clock is either the wall clock (CLOCK_MONOTONIC, so
 * timers cost real time, as they would on a wire) or virtual (when nothing
 * is queued, time jumps to the next deadline).
 */
#ifndef SN_MEMNET_H
#define SN_MEMNET_H

#include <stdbool.h>
#include <stdint.h>

#include "synack/synack.h"

struct mn_net;

enum mn_clock { MN_WALL, MN_VIRTUAL };

struct mn_net *mn_new(enum mn_clock clock, uint32_t mtu, double loss,
                      uint64_t seed);
void mn_free(struct mn_net *n);
/* A stack on the switch with address ip/prefix (host order). */
struct sn_stack *mn_add(struct mn_net *n, const char *name,
                        const struct sn_config *cfg, uint32_t ip,
                        unsigned prefix);
/* Run until done(ctx) is true or the clock has moved on by limit ns.
 * Returns true if done. */
bool mn_run(struct mn_net *n, bool (*done)(void *ctx), void *ctx,
            uint64_t limit);
uint64_t mn_now(const struct mn_net *n);
/* Frames delivered, lost, and dropped for want of a slot. */
struct mn_stats {
  uint64_t delivered, lost, overflow;
};
struct mn_stats mn_stats(const struct mn_net *n);
/* Frames from host index `from` (0-based, in mn_add order) are dropped
 * while this is set (-1: none). */
void mn_blackhole(struct mn_net *n, int from);

#endif
