/*
 * tcpscen.h - helpers for the connection opening and closing scenarios
 * (tests/scenario/test_tcp_open.c, test_tcp_close.c, test_tcp_rst.c):
 *
 *  - a recorder of what a stack (or every host of a simulation) reports
 *    in its trace: each TCP state change and each segment sent, with its
 *    virtual time, so a test can ask "when did B enter TIME-WAIT" or
 *    "at what times did A send a SYN";
 *  - handshakes with the scripted peer of tcplib.h at a chosen round-trip
 *    time (so the RTO that follows is a round number: a 100 ms RTT gives
 *    300 ms in the linux profile);
 *  - segment checks that report the caller's line when they fail;
 *  - a pair of simulated hosts with their own configurations and a
 *    one-way delay, and a readiness-event recorder.
 *
 * Include after tcplib.h (cmocka). Every helper fails the test on error.
 */
#ifndef SN_TCPSCEN_H
#define SN_TCPSCEN_H

#include <stdbool.h>
#include <stdint.h>

#include "tcplib.h"
#include "simlib.h"

/* One recorded event. */
struct ts_event {
  uint64_t time;          /* ns */
  char host[8];           /* the stack's name ("S", "A", "B") */
  uint32_t conn;          /* connection id (0 for a RST with no TCB) */
  bool is_state;          /* a state change; otherwise a segment sent */
  char from[16], to[16];  /* state change: RFC state names */
  char flags[12];         /* segment: "S", "S.", "F.", "R", ... */
  uint32_t seq, ack, len; /* segment: raw sequence numbers, payload */
};

#define TS_MAX_EVENTS 8192
struct ts_log {
  struct ts_event ev[TS_MAX_EVENTS];
  size_t n;
  struct tl_trace *chain; /* if set, every event also goes there */
};

/* A new, empty log (calloc; free() it). */
struct ts_log *ts_log_new(void);
/* Trace sink: records "tcp state", "tcp tx" and "tcp tx-rst" events. */
void ts_sink(void *ctx, const struct sn_trace_event *ev);
/* Record t's stack into log (its events still reach t->trace too). */
void ts_log_tt(struct ts_log *log, struct tt *t);

/* The id of the connection behind socket sd (for the queries below). */
uint32_t ts_conn_id(struct sn_stack *st, int sd);

/* Time host's connection conn (0: any of host's) first entered state
 * `to`, or UINT64_MAX if it never did. */
uint64_t ts_state_time(const struct ts_log *l, const char *host, uint32_t conn,
                       const char *to);
/* The states conn of host went through, in order, joined by '>'
 * ("SYN-SENT>ESTABLISHED>FIN-WAIT-1"). */
const char *ts_path(const struct ts_log *l, const char *host, uint32_t conn,
                    char *buf, size_t len);
/* Segments host sent with exactly these flags at or after `since`: their
 * count, and the times of the first max of them in times (may be NULL). */
size_t ts_sent(const struct ts_log *l, const char *host, const char *flags,
               uint64_t since, uint64_t *times, size_t max);

/* The scripted peer sends one segment (no options). */
void ts_send(struct tt *t, uint16_t sport, uint16_t dport, uint8_t flags,
             uint32_t seq, uint32_t ack, const void *data, uint32_t len);

/* Check the next segment the stack sent: flags, seq, ack, payload length
 * and send time (TS_ANY skips a check). Returns it. */
#define TS_ANY UINT64_MAX
#define TS_EXPECT(t, flags, seq, ack, len, time)                               \
  ts_expect_((t), (flags), (seq), (ack), (len), (time), __FILE__, __LINE__)
struct tt_seg ts_expect_(struct tt *t, uint64_t flags, uint64_t seq,
                         uint64_t ack, uint64_t len, uint64_t time,
                         const char *file, int line);
/* Fail if the stack sent a segment not yet read. */
#define TS_NONE(t) ts_none_((t), __FILE__, __LINE__)
void ts_none_(struct tt *t, const char *file, int line);

/*
 * Passive open on listener lsd (port) from the peer's port pport, peer
 * ISN irs, SYN options MSS 1460 only: the SYN now, the SYN-ACK checked,
 * the third segment rtt later, then accept(). *iss gets the stack's ISN.
 * Returns the accepted socket.
 */
int ts_accept(struct tt *t, int lsd, uint16_t port, uint16_t pport,
              uint32_t irs, uint64_t rtt, uint32_t *iss);
/* Active open to the peer's port: the SYN now, the SYN-ACK (ISN irs, MSS
 * 1460 only) rtt later, the third segment checked. */
int ts_connect(struct tt *t, uint16_t port, uint32_t irs, uint64_t rtt,
               uint32_t *iss, uint16_t *lport);

/* tt on a configuration changed from the linux profile by "name=value"
 * pairs, NULL-terminated: ts_init(&t, "tcp_syn_retries=5", NULL). The
 * peer's ARP entry stays reachable for a day (the peer answers no ARP). */
void ts_init(struct tt *t, ...);
/* The linux (or rfc) profile with "name=value" changes, NULL-terminated
 * (and the long-lived ARP entries of ts_init). */
void ts_config(struct sn_config *cfg, enum sn_profile profile, ...);

/* Two simulated hosts "A" and "B" (configs NULL: linux) on one link with
 * a one-way delay in each direction, ARP resolved, the clock moved on to
 * 1 s, every host's events recorded into log. */
void ts_pair(struct sl_pair *p, const struct sn_config *ca,
             const struct sn_config *cb, uint64_t delay, struct ts_log *log);
/* A listener on B's port, a connection from A to it, run until both ends
 * are established and B accepted. */
void ts_pair_connect(struct sl_pair *p, uint16_t port, int *a_sd, int *b_sd);

/* Close every socket of both hosts, then free the pair. (Freeing a
 * simulation whose stacks still have open connections makes them send
 * their FINs on links already freed.) */
void ts_pair_free(struct sl_pair *p);

/* Readiness events a socket's callback received. */
struct ts_events {
  unsigned n;      /* callbacks so far */
  unsigned last;   /* events of the last one */
  unsigned seen;   /* all events ever reported, OR-ed */
};
void ts_event_cb(void *ctx, int sd, unsigned events);

#define TS_MS 1000000ull
#define TS_SEC 1000000000ull

/* A connection of the stack under test, as a client: it connected to the
 * scripted peer's port 80, which answered with ISN 5000 after 100 ms
 * (so the RTO is 300 ms); every event is recorded into log. */
struct ts_conn {
  struct tt t;
  struct ts_log *log;
  int sd;
  uint32_t id, iss;
  uint16_t lport;
};
/* cfg NULL: the linux profile (ts_init). */
void ts_conn_open(struct ts_conn *c, const struct sn_config *cfg);
void ts_conn_free(struct ts_conn *c);
/* The peer sends flags with seq (its own) and rack, the stack's sequence
 * number relative to its ISN (1: its first data byte). */
void ts_peer(struct ts_conn *c, uint8_t flags, uint32_t seq, uint32_t rack,
             const void *data, uint32_t len);

#endif
