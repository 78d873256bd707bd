/*
 * simlib.h - helpers for tests on the simulated network: a pair of hosts
 * on one link, a UDP source whose datagrams carry a sequence number and a
 * checkable pattern, and a UDP sink that records what arrives and when.
 *
 * Include after testlib.h (cmocka). Every helper fails the test on error.
 */
#ifndef SN_SIMLIB_H
#define SN_SIMLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/capture.h"
#include "synack/sim.h"
#include "synack/synack.h"

/* Addresses of the pair (the benchmarking range, RFC 2544). */
#define SL_CIDR_A "198.18.0.1/24"
#define SL_CIDR_B "198.18.0.2/24"

/* Hosts "A" and "B" joined by one link. */
struct sl_pair {
  struct sn_sim *sim;
  struct sn_stack *a, *b;
  struct sn_sim_link *link;   /* end 0 is A, end 1 is B */
  uint32_t ip_a, ip_b;        /* host order */
};

/* Build the pair on a link of the given MTU (0: 1500) in a simulation
 * seeded with seed. */
void sl_pair_init(struct sl_pair *p, uint64_t seed, uint32_t mtu);
void sl_pair_free(struct sl_pair *p);

/* Resolve ARP both ways (A pings B and waits for the reply, up to 10 s of
 * virtual time), then let the simulation go quiet for 10 ms. */
void sl_pair_resolve(struct sl_pair *p);

/* Datagram payloads: a 4-byte big-endian sequence number, then bytes that
 * depend on it and on their position. */
void sl_fill(uint8_t *buf, size_t len, uint32_t seq);
/* True if buf holds a well-formed payload; its number goes to *seq. */
bool sl_check(const uint8_t *buf, size_t len, uint32_t *seq);

/* A UDP socket on st sending numbered datagrams to dst:dport. */
struct sl_source {
  struct sn_stack *st;
  int sd;
  uint32_t dst;       /* host order */
  uint16_t dport;
  uint32_t next_seq;  /* number of the next datagram */
  uint64_t *sent_at;  /* sent_at[seq]: virtual time of sending, ns */
  size_t sent_cap;
};
void sl_source_open(struct sl_source *s, struct sn_stack *st, uint32_t dst,
                    uint16_t dport);
void sl_source_close(struct sl_source *s);
/* Send one datagram with len (>= 4) payload bytes at the current time. */
void sl_source_send(struct sl_source *s, struct sn_sim *sim, size_t len);
/*
 * Send n datagrams of len bytes in bursts of `burst`, one burst every
 * gap_ns, running the simulation in between; then run on for tail_ns.
 */
void sl_source_run(struct sl_source *s, struct sn_sim *sim, size_t n,
                   size_t len, size_t burst, uint64_t gap_ns,
                   uint64_t tail_ns);

/* One datagram received. */
struct sl_rx {
  uint32_t seq;     /* its sequence number */
  uint64_t time;    /* virtual time of arrival, ns */
  size_t len;       /* payload bytes */
};

/* A UDP socket bound to port that drains itself as datagrams arrive. */
struct sl_sink {
  struct sn_stack *st;
  int sd;
  struct sl_rx *rx;      /* in arrival order */
  size_t n, cap;
  size_t bad;            /* datagrams whose payload failed sl_check() */
};
void sl_sink_open(struct sl_sink *s, struct sn_stack *st, uint16_t port);
void sl_sink_close(struct sl_sink *s);

/* Sum of the stack's drop counts over every reason. */
uint64_t sl_total_drops(const struct sn_stack *st);

/*
 * A strict reader of the capture files synack writes (little-endian pcap
 * with nanosecond timestamps, or pcapng), for checking them. Reading fails
 * the test on anything the format does not allow: a bad magic, block
 * lengths that differ at the two ends or are not multiples of 4, options
 * that overrun their block or do not end with opt_endofopt, a packet on an
 * undeclared interface.
 */
#define SL_CAP_MAX_IFACES 64
struct sl_cap_pkt {
  uint32_t iface;          /* interface id (pcap: 0) */
  uint64_t ts;             /* timestamp, ns */
  uint32_t caplen, origlen;
  const uint8_t *data;     /* caplen bytes, inside sl_cap.buf */
  const char *comment;     /* opt_comment (NUL-terminated copy), or NULL */
  bool has_flags;
  uint32_t flags;          /* epb_flags */
};
struct sl_cap {
  uint8_t *buf;            /* the whole file */
  size_t len;
  enum sn_capture_format fmt;
  char *appl;              /* shb_userappl, or NULL */
  unsigned nifaces;
  char *ifname[SL_CAP_MAX_IFACES];   /* if_name of each IDB, or NULL */
  int tsresol[SL_CAP_MAX_IFACES];    /* if_tsresol value, -1 if absent */
  uint32_t snaplen;
  struct sl_cap_pkt *pkts;
  size_t npkts;
};
void sl_cap_read(struct sl_cap *c, const char *path);
void sl_cap_free(struct sl_cap *c);

#endif
