/*
 * sim_internal.h (internal) - the simulator's objects, shared by its files:
 *
 *   sim.c         the simulation: hosts, virtual clock, run loop, callbacks
 *   sim_queue.c   the event queue (a binary heap keyed by time, then order)
 *   sim_link.c    links: impairments, scripted drops, delivery, captures
 *   impair.c      the impairment model of one direction (also used on
 *                 real drivers)
 *   sim_filter.c  frame classification for scripted drops
 *
 * Time is virtual, in nanoseconds from the start of the simulation. Every
 * random decision comes from a generator derived from the simulation's
 * seed, so a run is a pure function of the seed and the calls made.
 */
#ifndef SN_SIM_INTERNAL_H
#define SN_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "sim/impair.h"
#include "synack/netif.h"
#include "synack/sim.h"
#include "synack/stack.h"
#include "synack/trace.h"

struct sim_dir;
struct sim_host;

/* Frame buffers ----------------------------------------------------------- */

/* Buffers come in power-of-two size classes from 256 bytes up to 128 KiB
 * (enough for a 65535-byte IP packet in Ethernet) and are recycled through
 * one free list per class, so the steady state allocates nothing. */
#define SIM_FRAME_MIN_SHIFT 8
#define SIM_FRAME_CLASSES 10
#define SIM_ETH_HLEN 14
#define SIM_FRAME_MAX_LEN (SIM_ETH_HLEN + SN_MTU_MAX)

struct sim_frame {
  struct sim_frame *next; /* free-list link while unused */
  uint32_t len;           /* bytes of frame in data[] */
  uint8_t cls;            /* size class: data[] holds 256 << cls bytes */
  uint8_t data[];
};

/* Event queue ------------------------------------------------------------- */

enum sim_ev_kind {
  SIM_EV_DELIVER, /* a frame reaches the far end of a link direction */
  SIM_EV_POLL,    /* a host's stack reaches its next deadline */
  SIM_EV_CALL,    /* a callback scheduled with sn_sim_at() */
};

struct sim_event {
  uint64_t time; /* virtual ns at which it runs */
  uint64_t seq;  /* scheduling order: breaks ties in time */
  enum sim_ev_kind kind;
  union {
    struct {
      struct sim_dir *dir;     /* the link direction carrying it */
      struct sim_frame *frame; /* owned by the event */
    } deliver;
    struct {
      struct sim_host *host;
      uint64_t gen; /* must equal host->poll_gen, else stale */
    } poll;
    struct {
      sn_sim_fn fn;
      void *ctx;
    } call;
  } u;
};

/* A min-heap of events ordered by (time, seq). */
struct sim_heap {
  struct sim_event *ev; /* ev[0] is the earliest */
  size_t n;             /* events held */
  size_t cap;           /* slots allocated */
  uint64_t next_seq;    /* seq given to the next event pushed */
};

void sim_heap_init(struct sim_heap *h);
void sim_heap_destroy(struct sim_heap *h);
/* Add ev (its seq is assigned here). Returns 0 or -ENOMEM. O(log n). */
int sim_heap_push(struct sim_heap *h, struct sim_event *ev);
/* The earliest event, or NULL when empty. */
static inline const struct sim_event *sim_heap_top(const struct sim_heap *h) {
  return h->n ? &h->ev[0] : NULL;
}
/* Remove the earliest event into *out; false when empty. O(log n). */
bool sim_heap_pop(struct sim_heap *h, struct sim_event *out);

/* Hosts and the simulation ---------------------------------------------- */

struct sim_host {
  struct sn_sim *sim;
  struct sn_stack *st; /* owned */
  unsigned number;     /* 1-based creation order; part of its MACs */
  unsigned nlinks;     /* link ends on this host (names eth1, eth2, ...) */
  uint64_t poll_at;    /* time of the live poll event, SN_TIME_NEVER: none */
  uint64_t poll_gen;   /* generation of the live poll event */
};

struct sn_sim {
  uint64_t seed;
  uint64_t now; /* virtual clock, ns */
  struct sim_heap heap;
  int error;    /* first scheduling failure (-ENOMEM) or 0; stops runs */

  struct sim_host **hosts;
  size_t nhosts, hosts_cap;
  struct sn_sim_link **links;
  size_t nlinks, links_cap;

  struct sim_frame *free_frames[SIM_FRAME_CLASSES]; /* recycled buffers */

  sn_trace_fn trace_fn; /* sink for hosts and links, or NULL */
  void *trace_ctx;
  uint32_t trace_mask;
};

/* The host record of a stack, or NULL if it is not one of sim's. */
struct sim_host *sim_find_host(struct sn_sim *sim, const struct sn_stack *st);

/* Seeds for independent generators: domain separates hosts from links. */
enum sim_seed_domain { SIM_SEED_HOST = 1, SIM_SEED_LINK = 2 };
uint64_t sim_derive_seed(uint64_t seed, enum sim_seed_domain domain,
                         uint64_t index);

/* Schedule a frame delivery; returns 0 or -ENOMEM. */
int sim_schedule_delivery(struct sn_sim *sim, uint64_t t, struct sim_dir *d,
                          struct sim_frame *f);

/* Frame buffers: a buffer for len bytes (NULL if memory is short), and its
 * return to the free list. */
struct sim_frame *sim_frame_get(struct sn_sim *sim, size_t len);
void sim_frame_put(struct sn_sim *sim, struct sim_frame *f);
void sim_frames_destroy(struct sn_sim *sim);

/* Emit a trace event in category sim from `host` (a link name). */
static inline bool sim_tracing(const struct sn_sim *sim) {
  return sim->trace_fn && (sim->trace_mask & (1u << SN_TC_sim));
}
void sim_trace_emit(struct sn_sim *sim, const char *host, const char *name,
                    const struct sn_trace_field *f, unsigned n);
#define SIM_TRACE(sim, host, name, ...)                                        \
  do {                                                                         \
    if (sim_tracing(sim)) {                                                    \
      const struct sn_trace_field f_[] = {__VA_ARGS__};                        \
      sim_trace_emit((sim), (host), (name), f_,                                \
                     (unsigned)(sizeof f_ / sizeof f_[0]));                    \
    }                                                                          \
  } while (0)

/* Links ------------------------------------------------------------------- */

/* A scripted drop: the n-th frame matching filter is dropped. */
struct sim_drop_rule {
  uint8_t filter; /* enum sim_filter */
  unsigned n;     /* 1-based position of the frame to drop */
  unsigned seen;  /* matching frames so far */
};

/* One direction of a link: the frames sent by end `from`. */
struct sim_dir {
  struct sn_sim_link *link;
  uint8_t from;                  /* sending end, 0 (a) or 1 (b) */
  struct sn_impair im;           /* impairments, their generator and the
                                    state of the queue (sim/impair.h) */
  struct sn_sim_link_stats stats;
  struct sim_drop_rule *rules;   /* armed scripted drops */
  size_t nrules, rules_cap;
};

struct sim_link_end {
  struct sim_host *host;
  int ifindex;       /* the interface on host */
  char ifname[16];   /* its name, e.g. "eth1" */
  int cap_iface;     /* capture interface id, when capturing */
};

struct sn_sim_link {
  struct sn_sim *sim;
  unsigned index;             /* creation order, seeds the generators */
  char name[72];              /* "A-B": trace host of link events */
  uint32_t mtu;               /* largest IP packet carried, bytes */
  struct sim_link_end end[2];
  struct sim_dir dir[2];      /* dir[i]: frames sent by end[i] */
  struct sn_capture *cap;     /* not owned; NULL: no capture */
};

/* The link ops every simulated interface uses (ctx: a struct sim_dir). */
extern const struct sn_link_ops sim_link_ops;

/* Initialise link l's directions (after end[] and index are set). */
void sim_link_init_dirs(struct sn_sim_link *l);
void sim_link_destroy(struct sn_sim_link *l);

/* Run a delivery event: hand f to the receiving stack, recycle f. */
void sim_link_deliver(struct sn_sim *sim, struct sim_dir *d,
                      struct sim_frame *f);

/* Frame classification (sim_filter.c) ------------------------------------ */

enum sim_filter {
  SIM_F_ANY,
  SIM_F_ARP,
  SIM_F_IP,
  SIM_F_ICMP,
  SIM_F_UDP,
  SIM_F_TCP,
  SIM_F_SYN,
  SIM_F_SYNACK,
  SIM_F_ACK,
  SIM_F_DATA,
  SIM_F_FIN,
  SIM_F_RST,
  SIM_F_FRAG,
  SIM_F__COUNT
};

/* The filter named `name`, or -EINVAL. */
int sim_filter_parse(const char *name);
const char *sim_filter_name(enum sim_filter f);
/* The set of filters (bit 1 << SIM_F_x) an Ethernet frame matches. Reads
 * only within len; a malformed frame matches what its valid part shows. */
uint32_t sim_classify(const uint8_t *frame, size_t len);

#endif
