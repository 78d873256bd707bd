/*
 * tcb.h - the TCP control block (RFC 9293 §3.3.1) and the engine's shared
 * internal declarations.
 *
 * Field names follow the RFC (snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2,
 * rcv_nxt, rcv_wnd, iss, irs) and RFC 6298 (srtt, rttvar, rto). Times are
 * nanoseconds of stack time; sequence numbers are compared only through
 * base/seq.h.
 */
#ifndef SN_TCP_TCB_H
#define SN_TCP_TCB_H

#include <stdbool.h>
#include <stdint.h>

#include "base/ring.h"
#include "base/seq.h"
#include "base/timer.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_seg.h"

struct sn_stack;
struct sn_sock;

/* RFC 9293 §3.3.2, in the RFC's order. */
#define SN_TCP_STATES(X)                                                       \
  X(CLOSED, "CLOSED")                                                          \
  X(LISTEN, "LISTEN")                                                          \
  X(SYN_SENT, "SYN-SENT")                                                      \
  X(SYN_RECEIVED, "SYN-RECEIVED")                                              \
  X(ESTABLISHED, "ESTABLISHED")                                                \
  X(FIN_WAIT_1, "FIN-WAIT-1")                                                  \
  X(FIN_WAIT_2, "FIN-WAIT-2")                                                  \
  X(CLOSE_WAIT, "CLOSE-WAIT")                                                  \
  X(CLOSING, "CLOSING")                                                        \
  X(LAST_ACK, "LAST-ACK")                                                      \
  X(TIME_WAIT, "TIME-WAIT")
#define SN_TCP_STATE_ENUM_(n, s) SN_TCP_##n,
enum sn_tcp_state { SN_TCP_STATES(SN_TCP_STATE_ENUM_) SN_TCP__NSTATES };
#undef SN_TCP_STATE_ENUM_

const char *sn_tcp_state_name(int state);

/* One transmitted segment awaiting acknowledgement. */
struct sn_txseg {
  uint32_t seq;         /* first sequence number (the SYN's for a SYN) */
  uint32_t len;         /* sequence space: data + SYN + FIN */
  uint64_t sent_ns;     /* time of the latest transmission */
  uint8_t flags;        /* SN_TXSEG_* */
  uint8_t tx_count;     /* transmissions so far */
};
#define SN_TXSEG_SYN 0x01
#define SN_TXSEG_FIN 0x02
#define SN_TXSEG_SACKED 0x04
#define SN_TXSEG_LOST 0x08
#define SN_TXSEG_RETRANS 0x10 /* retransmitted and not yet acked */

/* A queue (ring) of sent-segment records, oldest first. */
struct sn_txq {
  struct sn_txseg *v;
  uint32_t cap, head, n;
};

/* Out-of-order data received: disjoint sequence ranges, sorted. */
#define SN_OOO_MAX 32
struct sn_ooo {
  uint8_t n;
  struct {
    uint32_t start, end; /* [start, end) */
    uint32_t stamp;      /* recency, for SACK block order */
  } r[SN_OOO_MAX];
  uint32_t clock;
};

/* Congestion states, as Linux names them (TCP_INFO's tcpi_ca_state). */
enum sn_ca_state {
  SN_CA_OPEN = 0,     /* nothing amiss */
  SN_CA_DISORDER = 1, /* duplicate ACKs or SACKs: maybe reordering */
  SN_CA_CWR = 2,      /* reducing after an ECN signal */
  SN_CA_RECOVERY = 3, /* fast recovery after a loss */
  SN_CA_LOSS = 4,     /* after a retransmission timeout */
};

/* The per-connection deadlines multiplexed onto one wheel timer. */
enum sn_tcp_timer {
  /* When several fall due together they run in this order: a loss probe
   * due with the RTO goes first and takes its place (Linux). */
  SN_TT_REORDER,   /* RACK: a segment may be lost once this passes */
  SN_TT_TLP,       /* RACK-TLP: probe the tail before the RTO */
  SN_TT_RTO,       /* retransmission (SYN, SYN-ACK, data, FIN) */
  SN_TT_PERSIST,   /* zero-window probe */
  SN_TT_DELACK,    /* delayed ACK */
  SN_TT_KEEPALIVE, /* keepalive idle / probe interval */
  SN_TT_STATE,     /* TIME-WAIT 2MSL, FIN-WAIT-2 timeout */
  SN_TT__COUNT
};

struct sn_tcb {
  struct sn_tcb *hnext;           /* demux hash chain */
  struct sn_stack *st;
  struct sn_sock *sock;           /* NULL once the application closed */
  struct sn_tcb *listener;        /* passive opens: the listening TCB */
  struct sn_tcb *qnext, *qprev;   /* SYN or accept queue links */
  uint32_t id;                    /* for traces */

  uint32_t laddr, raddr;
  uint16_t lport, rport;
  uint8_t state;                  /* enum sn_tcp_state */
  uint8_t syn_retries;            /* SYN/SYN-ACK transmissions so far - 1 */

  /* Send sequence space (RFC 9293 §3.3.1). */
  sn_seq_t iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
  uint32_t snd_wnd;               /* peer's window, bytes (scaled) */
  uint32_t max_snd_wnd;           /* largest seen, bytes */
  struct sn_ring sndbuf;          /* unacked and unsent data */
  sn_seq_t snd_buf_seq;           /* sequence number of sndbuf's first byte */
  sn_seq_t snd_sml;               /* end of the last small segment sent
                                     (Nagle, Minshall's variant) */
  uint64_t last_oow_ack_ns;       /* last challenge/duplicate ACK sent */
  uint32_t sndbuf_limit;          /* bytes the ring may hold */
  struct sn_txq txq;              /* sent segments not yet acked */

  /* Receive sequence space. */
  sn_seq_t irs, rcv_nxt;
  uint32_t rcv_wnd;               /* last advertised window, bytes */
  uint32_t rcv_ssthresh;          /* the window offered at most (Linux):
                                     grows as in-order data arrives */
  sn_seq_t rcv_adv;               /* right edge last advertised */
  struct sn_ring rcvbuf;          /* in-order data, then out-of-order */
  uint32_t rcvbuf_limit;          /* data bytes the ring may hold */
  struct sn_ooo *ooo;             /* out-of-order ranges (NULL: none) */
  struct sn_sack_block dsack;     /* duplicate to report (RFC 2883) */
  sn_seq_t fin_seq;               /* peer's FIN, once seen (fin_seen) */

  /* Negotiated options. */
  uint16_t mss;                   /* payload per segment we send (less
                                     the timestamp option when on) */
  uint16_t peer_mss;              /* the peer's MSS option (536 if none) */
  uint16_t adv_mss;               /* the MSS we advertise */
  uint16_t user_mss;              /* TCP_MAXSEG, 0 if unset */
  uint8_t snd_wscale, rcv_wscale;
  uint32_t ts_offset;             /* added to our ms clock for TSval */
  uint32_t ts_recent;             /* RFC 7323 TS.Recent */
  uint64_t ts_recent_ns;          /* when it was taken */

  /* Timers. */
  struct sn_timer timer;
  uint64_t deadline[SN_TT__COUNT]; /* 0: not armed */

  /* RTT estimation and retransmission (RFC 6298). */
  uint64_t srtt, rttvar, rto;     /* ns; srtt 0 until the first sample */
  uint64_t min_rtt;
  sn_seq_t rtt_seq;               /* Karn: the segment being timed */
  uint64_t rtt_start;             /* when it was sent; SN_TCP_UNTIMED:
                                     none timed (0 is a valid time) */
  uint8_t backoff;                /* RTO doublings since the last ACK */
  uint8_t retransmits;            /* consecutive timeouts */
  uint64_t first_retrans_ns;      /* start of this run of timeouts */
  uint32_t total_retrans;         /* segments retransmitted, ever */
  uint64_t bytes_acked;           /* payload bytes the peer acknowledged */
  uint64_t bytes_received;        /* payload bytes received in order */

  /* Congestion control. */
  const struct sn_cc_ops *cc;
  struct sn_cc_state ccs;
  uint8_t ca_state;               /* enum sn_ca_state */
  uint32_t dupacks;               /* duplicate ACKs (no SACK) */
  uint32_t lt_sent;               /* RFC 3042: new segments sent on the
                                     first duplicate ACKs */
  sn_seq_t recover;               /* SND.MAX when recovery or loss began */
  uint32_t sacked_out, lost_out, retrans_out; /* segments, as Linux */
  uint32_t prior_cwnd;            /* PRR: cwnd when recovery began */
  uint32_t prr_delivered;         /* PRR: segments delivered since */
  uint32_t prr_out;               /* PRR: segments sent since */
  struct {
    uint64_t mstamp;              /* send time of the most recently sent
                                     segment known delivered (RFC 8985) */
    sn_seq_t end_seq;             /* its end */
    uint64_t rtt;                 /* RTT of the latest delivery, ns */
    bool reord_seen;              /* reordering observed on this path */
  } rack;
  sn_seq_t high_sacked;           /* highest SACKed sequence number */
  sn_seq_t tlp_high_seq;          /* SND.NXT when a loss probe went out */
  bool tlp_outstanding;           /* a probe is unanswered */
  bool tlp_retrans;               /* ... and it was a retransmission */
  uint64_t idle_since;

  /* ACK generation. */
  uint8_t quickacks;              /* ACKs still to send at once */
  uint8_t pending_acks;           /* full segments received unacked */
  uint32_t ato;                   /* delayed-ACK timeout, ns */
  uint32_t last_rcv_seglen;
  uint64_t last_data_ns;          /* last payload received (ATO) */

  /* Keepalive and persist. */
  uint8_t keepalive_probes;       /* unanswered keepalive probes */
  uint8_t persist_backoff;        /* doublings of the probe interval */
  uint8_t persist_probes;         /* zero-window probes unanswered */
  uint32_t keep_idle, keep_intvl; /* s, 0: stack default */
  uint8_t keep_cnt;
  uint64_t last_rcv_ns;           /* last segment received */

  /* Flags. */
  unsigned opened : 1;            /* connect() or listen() used it (a
                                     TCB setsockopt() made is not) */
  unsigned passive : 1;           /* opened by a listener */
  unsigned ts_ok : 1, sack_ok : 1, ws_ok : 1;
  unsigned fin_queued : 1;        /* application closed the send side */
  unsigned fin_sent : 1;
  unsigned fin_rcvd : 1;          /* the peer's FIN is in sequence */
  unsigned fin_seen : 1;          /* a FIN arrived, maybe out of order */
  unsigned dsack_pending : 1;
  unsigned rd_shut : 1;           /* shutdown(SHUT_RD) */
  unsigned nodelay : 1, cork : 1, keepalive : 1;
  unsigned ack_now : 1;           /* an ACK must go out */
  unsigned ack_deferred : 1;      /* ... at the end of this input */
  unsigned delack_pingpong : 1;   /* interactive: delay ACKs */
  unsigned queued_accept : 1;     /* on its listener's accept queue */
  unsigned in_hash : 1;
  unsigned data_rcvd : 1;         /* any payload ever received */
  unsigned rcvbuf_locked : 1, sndbuf_locked : 1;
  unsigned linger_zero : 1;
  unsigned dead : 1;              /* released: freed at the next reaping */
  unsigned ecn_ok : 1;            /* ECN negotiated (RFC 3168 §6.1.1) */
  unsigned ecn_want : 1;          /* our SYN asked for ECN */
  unsigned ece_send : 1;          /* congestion seen: ECE on our ACKs */
  unsigned cwr_send : 1;          /* we reduced: CWR on the next data */

  /* Listener only. */
  struct {
    struct sn_tcb *syn_head;      /* half-open connections */
    struct sn_tcb *acc_head, *acc_tail; /* ready for accept() */
    uint32_t syn_n, acc_n;
    uint32_t backlog;
    uint64_t cookies_until;       /* ns: ACKs may carry a cookie we sent
                                     until then; 0: none sent */
  } lq;

  int error;                      /* pending error (positive errno) */
  int soft_error;                 /* last ICMP error, reported on timeout */
  uint64_t user_timeout_ns;       /* TCP_USER_TIMEOUT, 0: off */
};

#define SN_TCP_UNTIMED UINT64_MAX

/* Where the state machine reports a change. */
void sn_tcp_set_state(struct sn_tcb *tcb, int state, const char *why);

#endif
