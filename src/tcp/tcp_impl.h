/*
 * tcp_impl.h - declarations shared by the files of the TCP engine.
 *
 *   tcp_conn.c     control blocks: life, demultiplexing, states, ISNs
 *   tcp_input.c    a segment arrives (RFC 9293 §3.10.7)
 *   tcp_output.c   what to send and how (segments, ACKs, RSTs, probes)
 *   tcp_timer.c    the per-connection deadlines
 *   tcp_rtt.c      RTT estimation and the RTO (RFC 6298)
 *   tcp_recv.c     the receive side: reassembly, SACK blocks, windows
 *   tcp_listen.c   listeners: SYN and accept queues, SYN cookies
 *   tcp_cc.c       congestion control registry, cc_reno.c the first module
 *   tcp_usr.c      the socket calls on stream sockets
 *   tcp_timewait.c TIME-WAIT records for closed sockets
 */
#ifndef SN_TCP_IMPL_H
#define SN_TCP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/tcb.h"
#include "tcp/tcp_seg.h"
#include "tcp/tcp_timewait.h"

struct sn_stack;
struct sn_ip4;

#define SN_TCP_DEFERRED_ACKS 64
#if defined(__SANITIZE_ADDRESS__)
/* The sanitizer build frees everything at once, so that it can catch a
 * use after free. */
#define SN_TCP_SPARE_TCBS 0
#define SN_TCP_SPARE_TXQS 1 /* (an array needs a size) */
#else
#define SN_TCP_SPARE_TCBS 256   /* freed TCBs kept for reuse */
#define SN_TCP_SPARE_TXQS 256   /* empty small sent-segment queues kept */
#endif
#define SN_TXQ_SMALL 16         /* entries in a queue's first array */

/* Stack-wide TCP state, embedded in struct sn_stack. */
struct sn_tcp_table {
  struct sn_tcb **buckets;       /* by 4-tuple */
  uint32_t mask;                 /* buckets - 1 */
  uint32_t count;                /* TCBs in the table */
  uint32_t next_id;
  uint32_t timewait;             /* TCBs in TIME-WAIT */
  struct sn_tw_table tw;         /* TIME-WAIT records (tcp_timewait.c) */
  struct sn_tcb *dead;           /* released, to be freed (hnext chain) */
  /* Memory recycled between connections, so that short connections do
   * not call malloc() for each control block and sent-segment queue. */
  struct sn_tcb *spare;          /* hnext chain */
  unsigned nspare;
  struct sn_txseg *spare_txq[SN_TCP_SPARE_TXQS];
  unsigned nspare_txq;
  uint64_t hash_seed;
  /* RFC 5961 §7: stack-wide challenge ACK budget per second. */
  uint64_t challenge_stamp;      /* second it counts for, plus 1 */
  uint32_t challenge_count;
  /* ACKs owed during the current input, sent after the callbacks ran
   * (tcp_output.c). */
  bool defer_acks;
  unsigned ndeferred;
  struct sn_tcb *deferred[SN_TCP_DEFERRED_ACKS];
};

/* tcp_conn.c */
/* A sent-segment array of SN_TXQ_SMALL entries (recycled if possible),
 * and its return when a queue empties. */
struct sn_txseg *sn_txq_small_get(struct sn_stack *st);
void sn_txq_release(struct sn_stack *st, struct sn_txq *q);
int sn_tcp_table_init(struct sn_stack *st);
void sn_tcp_table_destroy(struct sn_stack *st);
struct sn_tcb *sn_tcb_new(struct sn_stack *st);
void sn_tcb_hash_insert(struct sn_tcb *tcb);
void sn_tcb_hash_remove(struct sn_tcb *tcb);
uint32_t sn_tcp_tuple_hash(const struct sn_tcp_table *t, uint32_t laddr,
                           uint16_t lport, uint32_t raddr, uint16_t rport);
struct sn_tcb *sn_tcb_lookup(struct sn_stack *st, uint32_t laddr,
                             uint16_t lport, uint32_t raddr, uint16_t rport);
/* RFC 6528: ISN = 4 µs clock + SipHash(4-tuple, secret). */
uint32_t sn_tcp_isn(struct sn_stack *st, uint32_t laddr, uint16_t lport,
                    uint32_t raddr, uint16_t rport);
/* Our TSval clock for this connection: 1 ms ticks plus an offset. */
uint32_t sn_tcp_ts_now(const struct sn_tcb *tcb);
/* Set the send MSS from the peer's MSS, our MTU and the options in use. */
void sn_tcp_update_mss(struct sn_tcb *tcb);
/* Advertised MSS for a route: the MTU less 40 (or TCP_MAXSEG). */
uint16_t sn_tcp_adv_mss(struct sn_stack *st, uint32_t raddr, uint16_t user_mss);
/* Window scale we offer: the least shift that covers tcp_rmem[2] (or a
 * locked SO_RCVBUF). */
uint8_t sn_tcp_pick_wscale(const struct sn_tcb *tcb);
/* The connection ends: report err (0: none) to the socket, take it out of
 * everything, and free it if nobody holds it. */
void sn_tcp_done(struct sn_tcb *tcb, int err, const char *why);
/* Take a TCB out of everything; it is freed at the next reaping, so code
 * up the stack may still look at it (tcb->dead tells). */
void sn_tcb_release(struct sn_tcb *tcb);
/* Free released TCBs: called at the end of each stack entry point. */
void sn_tcp_reap(struct sn_stack *st);
/* Orphaned: nobody will read or write again. */
static inline bool sn_tcb_orphan(const struct sn_tcb *tcb) { return !tcb->sock; }
/* Wake the socket of tcb, if any. */
void sn_tcp_wake(struct sn_tcb *tcb);
/* Copy the socket options a TCB carries (buffers, NODELAY, CORK,
 * keepalive, TCP_MAXSEG, SO_LINGER, CC, TCP_USER_TIMEOUT). */
void sn_tcb_inherit(struct sn_tcb *dst, const struct sn_tcb *src);
/* Set up buffers, options defaults and the CC for a new TCB. */
void sn_tcb_init(struct sn_tcb *tcb);
/* Trace "tcp <name>" with the connection's id and addresses. */
void sn_tcp_trace_conn(struct sn_tcb *tcb, const char *name, const char *k1,
                       uint64_t v1, const char *why);

/* tcp_output.c */
/* Send whatever the send queue, the windows and the flags allow, then an
 * ACK if one is still owed. */
void sn_tcp_output(struct sn_tcb *tcb);
void sn_tcp_send_ack(struct sn_tcb *tcb, const char *why);
/* An ACK now, or, during an input with callbacks to run, at its end (a
 * reply they write will carry it). */
void sn_tcp_ack_soon(struct sn_tcb *tcb, const char *why);
/* Send the ACKs deferred during an input (after its callbacks). */
void sn_tcp_flush_acks(struct sn_stack *st);
/* SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED). */
void sn_tcp_send_syn(struct sn_tcb *tcb, const char *why);
/* The window a SYN or SYN-ACK of tcb offers (unscaled, RFC 7323 §2.2); it
 * becomes the advertised window (rcv_wnd, rcv_adv). */
uint16_t sn_tcp_syn_window(struct sn_tcb *tcb);
/* Abort: RST with seq = SND.NXT (and ACK). */
void sn_tcp_send_rst(struct sn_tcb *tcb, const char *why);
/* A segment without a control block behind it: a RST reply, or a
 * TIME-WAIT record's ACK. Timestamps are its only option. */
struct sn_tcp_bare {
  uint32_t src, dst;
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint16_t win;
  bool ts;
  uint32_t tsval, tsecr;
};
int sn_tcp_send_bare(struct sn_stack *st, const struct sn_tcp_bare *b,
                     const char *why);
/* The window field of an ACK sent now (scaled). */
uint16_t sn_tcp_ack_window(struct sn_tcb *tcb);
/* RST for a segment that has no connection (RFC 9293 §3.10.7.1). */
void sn_tcp_reply_rst(struct sn_stack *st, const struct sn_tcp_seg *seg,
                      const char *why);
/* Resend the oldest unacknowledged segment; the newest. */
void sn_tcp_retransmit_head(struct sn_tcb *tcb, const char *why);
void sn_tcp_retransmit_tail(struct sn_tcb *tcb, const char *why);
/* Send one new segment regardless of cwnd (a loss probe); false if the
 * peer's window or the queue has none. */
bool sn_tcp_send_one_new(struct sn_tcb *tcb);
/* A probe: seq = SND.UNA - 1, no data (zero window, keepalive). */
void sn_tcp_send_probe(struct sn_tcb *tcb, const char *why);
/* Challenge ACK (RFC 5961 §3-5), under the per-socket and stack limits. */
void sn_tcp_challenge_ack(struct sn_tcb *tcb, const char *why);
/* The persist timer found the peer's window open but too small for
 * sender SWS avoidance: send what fits now (RFC 9293 §3.8.6.2.1's
 * override timeout). Returns false if nothing fits. */
bool sn_tcp_send_window_fill(struct sn_tcb *tcb);
/* Bytes queued for sending beyond SND.NXT. */
uint32_t sn_tcp_unsent(const struct sn_tcb *tcb);
/* Segments in flight (sent, not acked, not known lost). */
uint32_t sn_tcp_in_flight(const struct sn_tcb *tcb);

/* tcp_recv.c */
/* Of free_space bytes of buffer, what the window may offer: no more than
 * rcv_ssthresh, which grows as in-order data arrives (Linux). */
uint32_t sn_tcp_window_offer(const struct sn_tcb *tcb, uint32_t free_space);
/* The window to advertise now (bytes, before scaling). */
uint32_t sn_tcp_rcv_window(struct sn_tcb *tcb);
/* Accept payload [seq, seq+len) into the receive buffer; returns bytes
 * that became readable in order. */
uint32_t sn_tcp_rcv_data(struct sn_tcb *tcb, uint32_t seq, const uint8_t *data,
                         uint32_t len);
/* SACK blocks for the next ACK, most recent first (and a DSACK first). */
uint8_t sn_tcp_sack_blocks(struct sn_tcb *tcb, struct sn_sack_block *out,
                           uint8_t max);
void sn_tcp_note_dsack(struct sn_tcb *tcb, uint32_t start, uint32_t end);
/* Out-of-order ranges held. */
static inline unsigned sn_tcp_ooo_count(const struct sn_tcb *tcb) {
  return tcb->ooo ? tcb->ooo->n : 0;
}
/* Readable in-order bytes. */
static inline uint32_t sn_tcp_readable(const struct sn_tcb *tcb) {
  return tcb->rcvbuf.len;
}

/* tcp_timer.c */
void sn_tcp_timer_set(struct sn_tcb *tcb, enum sn_tcp_timer which,
                      uint64_t deadline);
static inline void sn_tcp_timer_clear(struct sn_tcb *tcb,
                                      enum sn_tcp_timer which) {
  sn_tcp_timer_set(tcb, which, 0);
}
void sn_tcp_timer_fire(struct sn_timer *t);
/* (Re)arm the retransmission timer at now + the backed-off RTO. */
void sn_tcp_rto_arm(struct sn_tcb *tcb);
void sn_tcp_keepalive_reset(struct sn_tcb *tcb);
/* Arm the persist timer one backed-off RTO from now. */
void sn_tcp_persist_rearm(struct sn_tcb *tcb);
/* Schedule the delayed ACK (or send it now if it is due). */
void sn_tcp_delack_schedule(struct sn_tcb *tcb);
const char *sn_tcp_timer_name(int which);

/* tcp_recovery.c */
/* An acceptable ACK (SEG.ACK <= SND.MAX, not too old): SACK scoreboard,
 * cumulative ACK, RTT, loss detection, congestion state and window. */
void sn_tcp_rcv_ack(struct sn_tcb *tcb, const struct sn_tcp_seg *seg,
                    bool *fin_acked);
/* A retransmission timeout: everything outstanding is lost. */
void sn_tcp_enter_loss(struct sn_tcb *tcb);
/* The path MTU fell (ICMP fragmentation needed): a smaller MSS, and the
 * segments now too long resent at once. */
void sn_tcp_mtu_reduced(struct sn_tcb *tcb);
/* RACK's reordering timer fired. */
void sn_tcp_reorder_timeout(struct sn_tcb *tcb);
/* RFC 8985 §7: arm the tail loss probe if it applies; its timer fired. */
void sn_tcp_schedule_tlp(struct sn_tcb *tcb);
void sn_tcp_tlp_timeout(struct sn_tcb *tcb);
/* Segments left: for PRR's count and limited transmit. */
void sn_tcp_on_retransmit(struct sn_tcb *tcb);
void sn_tcp_on_new_data(struct sn_tcb *tcb);

/* tcp_rtt.c */
void sn_tcp_rtt_sample(struct sn_tcb *tcb, uint64_t rtt_ns);
uint64_t sn_tcp_rto_now(const struct sn_tcb *tcb); /* with backoff */

/* tcp_listen.c */
struct sn_tcb *sn_tcp_find_listener(struct sn_stack *st, uint32_t daddr,
                                    uint16_t dport);
void sn_tcp_listen_input(struct sn_tcb *lis, const struct sn_tcp_seg *seg);
/* A SYN that ended a TIME-WAIT opens a new connection with ISN isn. */
void sn_tcp_listen_reopen(struct sn_tcb *lis, const struct sn_tcp_seg *seg,
                          uint32_t isn);
/* A passive child completed its handshake: queue it for accept(). */
void sn_tcp_child_ready(struct sn_tcb *child);
/* Take a child off its listener's queues. */
void sn_tcp_child_unlink(struct sn_tcb *child);
bool sn_tcp_accept_queue_full(const struct sn_tcb *child);

/* tcp_input.c */
void sn_tcp_conn_input(struct sn_tcb *tcb, const struct sn_tcp_seg *seg);
/* The options of a received SYN decide what the connection uses. */
void sn_tcp_apply_syn_options(struct sn_tcb *tcb, const struct sn_tcp_seg *seg);
/* An ACK left: clear what was owed (delayed ACK, quick ACK count). */
void sn_tcp_ack_sent(struct sn_tcb *tcb);

#define SN_TCP_TRACE(tcb, name, ...)                                           \
  SN_TRACE((tcb)->st, tcp, name, SN_TF_U("conn", (tcb)->id), __VA_ARGS__)

#endif
