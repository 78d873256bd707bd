/*
 * sim.h - a deterministic simulated network.
 *
 * Hosts (each one synack stack) are joined by point-to-point links. A
 * virtual clock in nanoseconds and an event queue drive everything: frame
 * deliveries, stack timers and scheduled callbacks run in time order, ties
 * in the order they were scheduled. Each direction of a link can delay,
 * jitter, rate-limit, queue (drop-tail), lose (random or Gilbert-Elliott
 * bursts), reorder, duplicate and corrupt frames, enforce an MTU, and drop
 * the Nth frame matching a filter. All randomness derives from the
 * simulation's seed: the same seed gives byte-identical traces and
 * captures.
 *
 * Stacks are polled at exactly their deadlines and given frames at exactly
 * their delivery times. Between runs (and in callbacks) every host's clock
 * reads the simulation's, so socket calls made by test code happen at
 * sn_sim_now().
 *
 * Link events are traced in category sim, with the link's name ("A-B") as
 * host: "drop" (reason script, mtu, loss, burst-loss or queue-full),
 * "duplicate", "corrupt" and "reorder", each with the sending and
 * receiving host and the frame length.
 */
#ifndef SYNACK_SIM_H
#define SYNACK_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "trace.h"

struct sn_stack;
struct sn_sim;
struct sn_sim_link;
struct sn_capture;

/* Directions of a link: frames sent by endpoint a (towards b), by b, both. */
enum sn_sim_dir { SN_SIM_AB = 0, SN_SIM_BA = 1, SN_SIM_BOTH = 2 };

/* Impairments of one direction of a link. Zero means "off" throughout. */
struct sn_sim_impair {
  uint64_t delay_ns;         /* propagation delay */
  uint64_t jitter_ns;        /* extra delay, uniform in [0, jitter]; frames
                                still leave in order unless reordered */
  uint64_t rate_bps;         /* serialisation rate in bit/s (0: infinite) */
  uint32_t queue_limit;      /* frames waiting for the wire beyond which new
                                ones are dropped (0: 1000) */
  double loss;               /* independent loss probability, 0..1 */
  /* Gilbert-Elliott two-state burst loss; off while ge_p == 0. */
  double ge_p;               /* P(good -> bad) per frame */
  double ge_r;               /* P(bad -> good) per frame */
  double ge_loss_good;       /* loss probability in the good state */
  double ge_loss_bad;        /* loss probability in the bad state */
  double reorder;            /* probability a frame is held back ... */
  uint64_t reorder_ns;       /* ... by this much more (0: 1 ms) */
  double duplicate;          /* probability a frame is delivered twice */
  double corrupt;            /* probability one bit is flipped somewhere
                                after the Ethernet header (never in ARP,
                                which has no checksum to catch it) */
};

/* What happened to the frames offered to one direction of a link. */
struct sn_sim_link_stats {
  uint64_t offered;          /* frames handed to the link */
  uint64_t delivered;        /* frames delivered (duplicates included) */
  uint64_t lost_random;      /* dropped by `loss` */
  uint64_t lost_burst;       /* dropped by the Gilbert-Elliott model */
  uint64_t dropped_queue;    /* dropped: queue full */
  uint64_t dropped_mtu;      /* dropped: larger than the link MTU */
  uint64_t dropped_script;   /* dropped by a scripted drop */
  uint64_t duplicated;       /* extra copies made */
  uint64_t corrupted;        /* frames with a flipped bit */
  uint64_t reordered;        /* frames held back */
  uint64_t bytes_delivered;  /* frame bytes delivered */
};

/* Create a simulation with seed; NULL if memory is short. */
struct sn_sim *sn_sim_new(uint64_t seed);
/* Free the simulation, its hosts (stacks) and links. */
void sn_sim_free(struct sn_sim *sim);

/* The virtual clock, in nanoseconds since the start. */
uint64_t sn_sim_now(const struct sn_sim *sim);

/*
 * Add a host: a stack named `name` with configuration cfg (NULL: linux
 * profile), seeded from the simulation's seed and the host's number (1 for
 * the first host added, 2 for the next, ...). The simulation owns it.
 * Returns NULL if memory is short.
 */
struct sn_stack *sn_sim_add_host(struct sn_sim *sim, const char *name,
                                 const struct sn_config *cfg);

/*
 * Join hosts a and b with a link of the given MTU (0: 1500). Each end gets
 * a new interface and an address given as "A.B.C.D/N" (NULL: none). The
 * n-th link end on a host is interface "eth<n>" with the MAC address
 * 02:00:00:00:<host number>:<n> (host numbers above 255 continue into the
 * third and fourth bytes); the link is named "<a>-<b>" after its hosts.
 * Returns NULL on failure, with in *err (if err is not NULL): -EINVAL (a
 * host not of this simulation, a bad MTU or address), -EEXIST (the host
 * already has the address), -ENOSPC (no interface, address or route slot
 * left), -ENOMEM. Arguments are checked before anything is built.
 */
struct sn_sim_link *sn_sim_connect(struct sn_sim *sim, struct sn_stack *a,
                                   const char *a_cidr, struct sn_stack *b,
                                   const char *b_cidr, uint32_t mtu, int *err);

/* Interface index of the link's end on host a (0) or b (1); -EINVAL for
 * another end. */
int sn_sim_link_ifindex(const struct sn_sim_link *l, int end);

/* Set the impairments of a direction (or both), for the frames offered
 * from now on. Returns 0 or -EINVAL (a probability outside 0..1). */
int sn_sim_link_impair(struct sn_sim_link *l, enum sn_sim_dir dir,
                       const struct sn_sim_impair *imp);

/*
 * Drop the nth (1-based) frame in direction dir that matches filter, once.
 * Filters: "any", "arp", "ip", "icmp", "udp", "tcp", "syn" (SYN without
 * ACK), "syn-ack", "ack" (ACK without SYN/FIN/RST and no data), "data"
 * (TCP with payload), "fin", "rst", "frag" (an IPv4 fragment). Counting
 * starts now. Several drops may be armed at once; a frame picked by two
 * is dropped once. Returns 0, -EINVAL (unknown filter, n == 0) or -ENOMEM.
 */
int sn_sim_link_drop_nth(struct sn_sim_link *l, enum sn_sim_dir dir,
                         const char *filter, unsigned n);

/* Accepted filter names, space-separated (for error messages). */
const char *sn_sim_filter_names(void);

/* Statistics of one direction (SN_SIM_AB or SN_SIM_BA); SN_SIM_BOTH gives
 * the sums of the two. */
struct sn_sim_link_stats sn_sim_link_stats(const struct sn_sim_link *l,
                                           enum sn_sim_dir dir);

/*
 * Record every frame offered to the link, with a comment saying why it was
 * sent, and every frame the link dropped, with the reason, into cap (which
 * stays owned by the caller and must outlive the link's use). Each end is
 * one capture interface, named "<host>:<interface>" (e.g. "A:eth1"): a
 * frame sent is recorded outbound on its sender's interface with the
 * comment "sent by <host>: <why>"; a frame dropped is recorded again, on
 * the same interface and with no direction, commented "dropped by link:
 * <reason>". Frames are recorded as sent (before any corruption). A NULL
 * cap stops recording.
 */
void sn_sim_link_capture(struct sn_sim_link *l, struct sn_capture *cap);

/* Trace sink for every host (stack events) and link (sim events). */
void sn_sim_set_trace(struct sn_sim *sim, sn_trace_fn fn, void *ctx,
                      uint32_t mask);

/* Call fn(ctx, now) at virtual time t (>= now), after the events already
 * scheduled for t. Returns 0, -EINVAL (t in the past, fn NULL) or
 * -ENOMEM. */
typedef void (*sn_sim_fn)(void *ctx, uint64_t now);
int sn_sim_at(struct sn_sim *sim, uint64_t t, sn_sim_fn fn, void *ctx);

/* Run every event up to and including time t; the clock then reads t. */
void sn_sim_run_until(struct sn_sim *sim, uint64_t t);

/*
 * Run until nothing is scheduled before `limit`; the clock stops at the
 * last event run. Returns true if the simulation went idle, false if it
 * stopped at the limit.
 */
bool sn_sim_run_until_idle(struct sn_sim *sim, uint64_t limit);

/* Run until pred(ctx) is true (checked first, then after each event) or
 * no event is left before the time limit; the clock stops at the last
 * event run. Returns true if pred became true. */
bool sn_sim_run_while_not(struct sn_sim *sim, bool (*pred)(void *ctx),
                          void *ctx, uint64_t limit);

#endif
