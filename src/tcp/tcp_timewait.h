/*
 * tcp_timewait.h - TIME-WAIT for closed sockets, as compact records.
 *
 * A connection whose socket is gone spends TIME-WAIT (RFC 9293 §3.6) as a
 * 64-byte record instead of a whole control block: the 4-tuple, the two
 * sequence numbers it must answer with, the timestamp state PAWS and
 * RFC 6191 need, and its expiry. Records live in a pool (no allocation
 * per connection once the pool has grown), are found by a hash on the
 * 4-tuple, and expire from one FIFO under one timer: TIME-WAIT has one
 * length, so the oldest record is always the next to go.
 *
 * A socket still open keeps its control block in TIME-WAIT (so it can be
 * asked for its state); both answer segments through sn_tw_decide().
 */
#ifndef SN_TCP_TIMEWAIT_H
#define SN_TCP_TIMEWAIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/timer.h"

struct sn_stack;
struct sn_tcb;
struct sn_tcp_seg;

/* One TIME-WAIT connection. Links are pool indices plus one (0: none). */
struct sn_twrec {
  uint64_t expires;        /* stack ns */
  uint32_t hnext;          /* hash chain, or the free list */
  uint32_t prev, next;     /* expiry FIFO */
  uint32_t laddr, raddr;
  uint16_t lport, rport;
  uint32_t snd_nxt, rcv_nxt;
  uint32_t ts_recent;      /* the peer's last TSval */
  uint32_t ts_offset;      /* our TSval = ms clock + ts_offset */
  uint32_t ts_stamp_s;     /* second ts_recent was taken (tcp_tw_reuse) */
  uint32_t oow_ms;         /* last rate-limited ACK, ms clock */
  uint32_t id;             /* the connection's id in traces */
  uint16_t win;            /* window field of our ACKs */
  uint8_t flags;           /* SN_TW_* */
};
_Static_assert(sizeof(struct sn_twrec) <= 64, "a TIME-WAIT record fits 64 bytes");
#define SN_TW_TS 0x01      /* timestamps in use */
#define SN_TW_OOW 0x02     /* oow_ms is set */

#define SN_TW_CHUNK_BITS 10

struct sn_tw_table {
  uint32_t *buckets;       /* record index + 1 */
  uint32_t mask;
  uint32_t count;          /* records in use */
  struct sn_twrec **chunks;
  uint32_t nchunks;
  uint32_t free_head;      /* index + 1 */
  uint32_t head, tail;     /* expiry FIFO, index + 1 */
  struct sn_timer timer;   /* at the head's expiry */
};

int sn_tw_init(struct sn_stack *st);
void sn_tw_destroy(struct sn_stack *st);

/* What TIME-WAIT does with a segment (RFC 9293 §3.10.7.4, RFC 1122
 * §4.2.2.13, RFC 6191; Linux's choices where they leave room). */
enum sn_tw_verdict {
  SN_TW_KILL,        /* RST at RCV.NXT: TIME-WAIT ends (tcp_rfc1337 = 0) */
  SN_TW_REOPEN,      /* a new SYN: a new incarnation may begin */
  SN_TW_RESTART,     /* a bare ACK at RCV.NXT: restart 2MSL, say nothing */
  SN_TW_ACK,         /* anything else: ACK it (pure ACKs rate-limited) */
  SN_TW_IGNORE,      /* a RST elsewhere: ignore it */
};
struct sn_tw_view {
  uint32_t rcv_nxt;
  uint32_t ts_recent;
  uint32_t ts_stamp_s;
  bool ts_ok;
};
/* restart: whether an ACK verdict also restarts the 2MSL timer. */
enum sn_tw_verdict sn_tw_decide(struct sn_stack *st,
                                const struct sn_tw_view *v,
                                const struct sn_tcp_seg *seg, bool *restart);

/* If tcb is in TIME-WAIT with no socket: move it into a record and release
 * it; or, with tcp_max_tw_buckets reached, close it at once (Linux). The
 * TCB stays as it is if memory runs out. */
void sn_tw_orphaned(struct sn_tcb *tcb);
/* The record for a 4-tuple (index + 1), or 0. */
uint32_t sn_tw_lookup(struct sn_stack *st, uint32_t laddr, uint16_t lport,
                      uint32_t raddr, uint16_t rport);
void sn_tw_input(struct sn_stack *st, uint32_t rec, const struct sn_tcp_seg *seg);
/* connect() wants this 4-tuple and a record holds it: true if
 * tcp_tw_reuse lets the record go (it is then gone). */
bool sn_tw_reuse(struct sn_stack *st, uint32_t rec);
/* The rule: timestamps in use, tcp_tw_reuse allowing it for this peer,
 * the peer's last TSval (taken at second stamp_s) from an earlier second. */
bool sn_tw_may_reuse(const struct sn_stack *st, bool ts_ok, uint32_t stamp_s,
                     uint32_t raddr);
/* TIME-WAIT connections, records and TCBs together (tcp_max_tw_buckets). */
uint32_t sn_tw_total(const struct sn_stack *st);
/* One `ss`-style line per record. */
int sn_tw_dump(const struct sn_stack *st, FILE *out);

#endif
