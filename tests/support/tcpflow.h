/*
 * tcpflow.h - a scripted peer that keeps its own side of one connection,
 * for data-path tests on top of tcplib.h: it opens the connection with
 * the options a test asks for (MSS, timestamps, SACK, window scale) and
 * at a chosen round-trip time, then sends data, ACKs and SACKs at its own
 * sequence numbers, echoing the stack's timestamps as a real peer would.
 *
 * Stream bytes carry a pattern that depends on their offset, so what
 * arrives can be checked anywhere: tf_fill() / tf_check().
 */
#ifndef SN_TCPFLOW_H
#define SN_TCPFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "tcplib.h"

/* What the peer offers in its SYN (or SYN-ACK). */
struct tf_opts {
  uint16_t mss;    /* 0: no MSS option */
  bool ts, sack;
  int ws;          /* window scale shift, -1: no option */
  uint16_t win;    /* window field of the SYN */
};
/* A Linux peer (MSS 1460, SACK, TS, wscale 7), and one with MSS only. */
#define TF_LINUX ((struct tf_opts){1460, true, true, 7, 65535})
#define TF_PLAIN ((struct tf_opts){1460, false, false, -1, 65535})

struct tf {
  struct tt *t;
  int sd;              /* the stack's socket */
  uint16_t port;       /* the stack's port */
  uint16_t pport;      /* the peer's port */
  uint32_t iss;        /* the stack's ISN */
  uint32_t irs;        /* the peer's ISN */
  uint32_t snd_nxt;    /* the peer's next sequence number */
  uint32_t ack;        /* what the peer acknowledges (stack sequence) */
  uint16_t win;        /* window field the peer sends (unscaled) */
  bool ts, sack, ws;   /* negotiated */
  uint8_t stack_ws;    /* the stack's shift, from its SYN or SYN-ACK */
  uint32_t ts_recent;  /* last TSval the stack sent */
  uint16_t stack_mss;  /* MSS the stack advertised */
  size_t arp_seen;     /* link frames already checked for ARP requests */
};

/*
 * Passive open: the stack listens on port 80 (backlog 8), the peer
 * (port 4000, ISN 1000) sends a SYN with options o; the SYN-ACK is read
 * and the third segment arrives rtt later. The accepted socket is f->sd.
 * ls, if >= 0, is a listener to use instead (its port is read back).
 */
void tf_accept(struct tf *f, struct tt *t, int ls, struct tf_opts o,
               uint64_t rtt);
/* Active open from a new socket (sd, or -1 for a fresh one) to the
 * peer's port 5000; the SYN-ACK (ISN 7000, options o) comes rtt later. */
void tf_connect(struct tf *f, struct tt *t, int sd, struct tf_opts o,
                uint64_t rtt);

/*
 * Move time to `to` like tt_advance(), stopping at every deadline on the
 * way and answering at once any ARP request the stack broadcast for the
 * peer (its cache entry expires after a minute idle), so long waits
 * keep exact send times.
 */
void tf_advance(struct tf *f, uint64_t to);

/* Stream pattern: byte at offset i of the peer's (or the stack's) stream. */
uint8_t tf_byte(uint64_t i);
void tf_fill(uint8_t *buf, uint64_t off, uint32_t len);
bool tf_check(const uint8_t *buf, uint64_t off, uint32_t len);

/* The segment the peer sends; flags, seq, ack and window preset. */
struct tt_out tf_out(struct tf *f);
/* Inject o, adding the timestamp option when negotiated (TSval: the
 * peer's 1 ms clock; TSecr: the last TSval seen), and SACK blocks given
 * in o->opt. */
void tf_put(struct tf *f, struct tt_out *o);

/* Data at stream offset off (0 = first byte after the SYN), len bytes of
 * the pattern; flags ACK|PSH. Does not move snd_nxt. */
void tf_data_at(struct tf *f, uint32_t off, uint32_t len);
/* The next len bytes in order (moves snd_nxt). */
void tf_data(struct tf *f, uint32_t len);
/* A pure ACK of the stack's stream up to offset off (0 = first data
 * byte), with window field win. */
void tf_ack(struct tf *f, uint32_t off, uint16_t win);
/* The same with SACK blocks given as stream offsets [s, e), n pairs. */
void tf_ack_sack(struct tf *f, uint32_t off, uint16_t win, unsigned n,
                 const uint32_t *blocks);

/* The next segment the stack sent (fails if none); remembers its TSval. */
struct tt_seg tf_expect(struct tf *f);
/* The same, returning false if there is none. */
bool tf_next(struct tf *f, struct tt_seg *out);
/* Offsets in the stack's stream / the peer's stream. */
static inline uint32_t tf_sq(const struct tf *f, uint32_t seq) {
  return seq - (f->iss + 1);
}
static inline uint32_t tf_ak(const struct tf *f, uint32_t ack) {
  return ack - (f->irs + 1);
}

/* The stack's TCP_INFO for the connection. */
struct sn_tcp_info tf_info(struct tf *f);

/* Queue n pattern bytes on the stack's socket starting at stream offset
 * off; returns what send() took. */
long tf_app_send(struct tf *f, uint64_t off, uint32_t n);

/* Print the last `last` trace lines to stderr (for debugging a test). */
void tf_dump_trace(const struct tt *t, size_t last);

/* Set a knob in a linux-profile config, failing the test on error. */
void tf_cfg_set(struct sn_config *c, const char *name, const char *value);

#endif
