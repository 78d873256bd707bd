/*
 * tcplib.h - segment-level tests of the TCP engine: one stack under test
 * and a scripted peer. The test injects segments as the peer and reads
 * back, one by one, the segments the stack sent, with their virtual send
 * times ("send a segment, expect a segment, expect nothing").
 *
 * The stack is 198.18.0.1 (MAC ...:01); the peer is 198.18.0.2 at
 * tl_peer_mac, already in the stack's ARP cache. Time only moves when the
 * test calls tt_advance(), which polls the stack at each of its deadlines
 * on the way, so timers fire at their exact times.
 */
#ifndef SN_TCPLIB_H
#define SN_TCPLIB_H

#include <stdbool.h>
#include <stdint.h>

#include "testlib.h"
#include "tcp/tcp_seg.h"

struct tt {
  struct tl_link link;
  struct tl_trace trace;     /* every event, as text lines */
  struct sn_stack *st;
  int ifi;
  uint32_t ip, peer_ip;      /* host order */
  uint64_t now;              /* ns */
  size_t next_frame;         /* first frame of link not yet read */
};

/* A stack with cfg (NULL: linux profile) and the peer. Traces every
 * category into t->trace. */
void tt_init(struct tt *t, const struct sn_config *cfg);
void tt_free(struct tt *t);

/* Move time to `to` (ns, >= now), polling at every deadline before it. */
void tt_advance(struct tt *t, uint64_t to);
/* Move time by d ns. */
static inline void tt_wait(struct tt *t, uint64_t d) { tt_advance(t, t->now + d); }

/* One segment the stack sent. */
struct tt_seg {
  struct sn_tcp_seg s;       /* parsed; data points into raw */
  uint64_t time;             /* when it left, ns */
  uint8_t raw[2048];
};

/* The next TCP segment sent since the last call (ARP and others are
 * skipped). Returns false if there is none yet. */
bool tt_next(struct tt *t, struct tt_seg *out);
/* Fail the test unless the next segment exists; return it. */
struct tt_seg tt_expect(struct tt *t);
/* Fail the test if the stack sent any TCP segment not yet read. */
void tt_expect_none(struct tt *t);

/* Segment fields the peer sends. */
struct tt_out {
  uint16_t sport, dport;
  uint8_t flags;
  uint32_t seq, ack;
  uint16_t win;
  struct sn_tcp_optspec opt; /* zeroed: no options */
  const void *data;
  uint32_t len;
  uint8_t tos;               /* IP TOS byte (ECN in its low bits) */
};
/* Inject the segment now. */
void tt_inject(struct tt *t, const struct tt_out *o);

/* SYN options a typical Linux peer sends: MSS 1460, SACK-permitted,
 * timestamps (tsval), window scale 7. */
struct sn_tcp_optspec tt_syn_opts(uint32_t tsval);

/* A listening socket on port; returns its descriptor. */
int tt_listen(struct tt *t, uint16_t port, int backlog);

/*
 * Complete a passive open on listener lsd:port from peer port pport with
 * peer ISN irs and no options except MSS 1460. Reads the SYN-ACK, checks
 * it, injects the third segment, accepts. *iss gets the stack's ISN.
 * Returns the accepted socket.
 */
int tt_accept_conn(struct tt *t, int lsd, uint16_t port, uint16_t pport,
                   uint32_t irs, uint32_t *iss);

/*
 * Complete an active open from a new socket to the peer's port, the peer
 * answering with ISN irs (options: MSS 1460 only). *iss gets the stack's
 * ISN; *lport its port. Returns the socket.
 */
int tt_connect_conn(struct tt *t, uint16_t port, uint32_t irs, uint32_t *iss,
                    uint16_t *lport);

/* The TCP state of a socket, from TCP_INFO. */
int tt_state(struct tt *t, int sd);

#define TT_MS 1000000ull
#define TT_SEC 1000000000ull

#endif
