/*
 * tcp_output.c - what to send, and building segments.
 *
 * sn_tcp_output() decides, in this order: retransmit segments marked lost
 * (within the congestion window), send new data (RFC 9293 §3.8.6.2.1
 * sender SWS avoidance, Nagle with Minshall's refinement as Linux does,
 * TCP_CORK, min(cwnd, rwnd)), send the FIN (on the last data segment if
 * there is one), then an ACK if one is still owed. It arms the
 * retransmission timer while anything is in flight and the persist timer
 * when a zero window stalls queued data.
 *
 * Segments are cut from the send ring at transmit time; the payload is
 * copied into the packet and checksummed in the same pass.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/checksum.h"
#include "api/sock.h"
#include "base/util.h"
#include "net/ipv4.h"
#include "net/stack.h"
#include "net/wire.h"
#include "tcp/tcp_impl.h"

/* Sent-segment queue ------------------------------------------------------ */

static struct sn_txseg *txq_at(struct sn_txq *q, uint32_t i) {
  return &q->v[(q->head + i) & (q->cap - 1)];
}

static bool txq_push(struct sn_stack *st, struct sn_txq *q,
                     const struct sn_txseg *s) {
  if (q->n == q->cap) {
    uint32_t ncap = q->cap ? q->cap * 2 : SN_TXQ_SMALL;
    struct sn_txseg *nv = q->cap ? malloc(ncap * sizeof *nv) : sn_txq_small_get(st);
    if (!nv)
      return false;
    for (uint32_t i = 0; i < q->n; i++)
      nv[i] = *txq_at(q, i);
    if (q->cap == SN_TXQ_SMALL) {
      struct sn_txq old = *q;
      sn_txq_release(st, &old);
    } else {
      free(q->v);
    }
    q->v = nv;
    q->cap = ncap;
    q->head = 0;
  }
  *txq_at(q, q->n++) = *s;
  return true;
}

uint32_t sn_tcp_unsent(const struct sn_tcb *tcb) {
  uint32_t sent = sn_seq_gt(tcb->snd_nxt, tcb->snd_buf_seq)
                      ? tcb->snd_nxt - tcb->snd_buf_seq
                      : 0;
  if (tcb->fin_sent && sent)
    sent--; /* the FIN is not in the ring */
  return tcb->sndbuf.len > sent ? tcb->sndbuf.len - sent : 0;
}

uint32_t sn_tcp_in_flight(const struct sn_tcb *tcb) {
  uint32_t out = tcb->txq.n;
  uint32_t left = tcb->sacked_out + tcb->lost_out;
  return out > left ? out - left + tcb->retrans_out : tcb->retrans_out;
}

/* Building segments -------------------------------------------------------- */

uint16_t sn_tcp_syn_window(struct sn_tcb *tcb) {
  /* Linux: up to 65535, rounded down to a multiple of the MSS, which
   * counts the timestamp option only once it is known to be in use: on a
   * SYN-ACK answering a SYN that offered it, not on our own SYN. */
  if (tcb->state == SN_TCP_SYN_RECEIVED && !tcb->passive && tcb->rcv_wnd)
    return (uint16_t)SN_MIN(tcb->rcv_wnd, 65535u); /* our SYN's, again */
  uint32_t w = SN_MIN(tcb->rcvbuf_limit, 65535u);
  bool ts_known = tcb->ts_ok && tcb->state != SN_TCP_SYN_SENT;
  uint32_t mss = tcb->adv_mss - (ts_known ? 12 : 0);
  if (mss && w > mss)
    w -= w % mss;
  tcb->rcv_wnd = w;
  tcb->rcv_adv = tcb->rcv_nxt + w;
  tcb->rcv_ssthresh = w; /* the window grows from here as data comes */
  return (uint16_t)w;
}

uint16_t sn_tcp_ack_window(struct sn_tcb *tcb) {
  uint32_t w = sn_tcp_rcv_window(tcb);
  return (uint16_t)SN_MIN(w >> tcb->rcv_wscale, 65535u);
}

/* The window field: RFC 7323 §2.2 scaling, never on SYNs. */
static uint16_t window_field(struct sn_tcb *tcb, uint8_t flags) {
  if (flags & SN_TCP_SYN)
    return sn_tcp_syn_window(tcb);
  return sn_tcp_ack_window(tcb);
}

static void fill_options(struct sn_tcb *tcb, uint8_t flags,
                         struct sn_tcp_optspec *o,
                         struct sn_sack_block *blocks) {
  memset(o, 0, sizeof *o);
  bool ts = tcb->ts_ok;
  if (flags & SN_TCP_SYN) {
    o->syn = true;
    o->mss = true;
    o->mss_val = tcb->adv_mss;
    o->sack_ok = tcb->sack_ok;
    o->ws = tcb->ws_ok;
    o->ws_val = tcb->rcv_wscale;
  }
  if (ts) {
    o->ts = true;
    o->tsval = sn_tcp_ts_now(tcb);
    o->tsecr = (flags & SN_TCP_ACK) ? tcb->ts_recent : 0;
  }
  if (!(flags & SN_TCP_SYN) && tcb->sack_ok && (flags & SN_TCP_ACK) &&
      !(flags & SN_TCP_RST)) {
    o->nsack = sn_tcp_sack_blocks(tcb, blocks, SN_TCP_MAX_SACK);
    o->sack = blocks;
  }
}

/* Sum and copy `len` ring bytes at offset off into dst. */
static uint32_t copy_payload(const struct sn_ring *r, uint32_t off,
                             uint8_t *dst, uint32_t len, uint32_t sum) {
  struct sn_ring_span sp = sn_ring_span(r, off, len);
  uint32_t s0 = sn_csum_copy(dst, sp.p[0], sp.n[0], 0);
  uint32_t s1 = sn_csum_copy(dst + sp.n[0], sp.p[1], sp.n[1], 0);
  return sn_csum_combine(sn_csum_combine(sum, s0, 0), s1, sp.n[0] & 1);
}

/*
 * Send one segment of this connection: seq, flags, and len payload bytes
 * from send-ring offset off. Returns 0 or a negative errno.
 */
static int xmit(struct sn_tcb *tcb, sn_seq_t seq, uint8_t flags, uint32_t off,
                uint32_t len, const char *why) {
  struct sn_stack *st = tcb->st;
  struct sn_tcp_optspec o;
  struct sn_sack_block blocks[SN_TCP_MAX_SACK];
  fill_options(tcb, flags, &o, blocks);
  size_t hlen = SN_TCP_HLEN + sn_tcp_options_len(&o);
  struct sn_pbuf *p = sn_stack_alloc(st, hlen + len, why);
  if (!p)
    return -ENOBUFS;
  /* RFC 3168 §6.1: new data is ECN-capable (ECT(0)); retransmissions,
   * pure ACKs and SYNs are not. Our ACKs echo congestion (ECE); the
   * first new data after a reduction says so (CWR). */
  uint8_t tos = 0;
  if (tcb->ecn_ok && !(flags & (SN_TCP_SYN | SN_TCP_RST))) {
    if ((flags & SN_TCP_ACK) && tcb->ece_send)
      flags |= SN_TCP_ECE;
    if (len && sn_seq_geq(seq, tcb->snd_max)) {
      tos = 2;
      if (tcb->cwr_send) {
        flags |= SN_TCP_CWR;
        tcb->cwr_send = 0;
      }
    }
  }
  uint8_t *h = p->data;
  uint16_t win = window_field(tcb, flags);
  sn_put16(h, tcb->lport);
  sn_put16(h + 2, tcb->rport);
  sn_put32(h + 4, seq);
  sn_put32(h + 8, (flags & SN_TCP_ACK) ? tcb->rcv_nxt : 0);
  h[12] = (uint8_t)((hlen / 4) << 4);
  h[13] = flags;
  sn_put16(h + 14, win);
  sn_put32(h + 16, 0); /* checksum, urgent pointer */
  sn_tcp_write_options(h + SN_TCP_HLEN, &o);
  uint32_t sum = sn_csum_pseudo4(tcb->laddr, tcb->raddr, SN_IPPROTO_TCP,
                                 (uint16_t)(hlen + len));
  sum = sn_csum_partial(h, hlen, sum);
  if (len)
    sum = copy_payload(&tcb->sndbuf, off, h + hlen, len, sum);
  sn_put16(h + 16, sn_csum_fold(sum));
  sn_count(st, SN_CTR_TcpOutSegs);
  if (flags & SN_TCP_RST)
    sn_count(st, SN_CTR_TcpOutRsts);
  if (sn_tracing(st, SN_TC_tcp)) {
    char fl[12];
    SN_TCP_TRACE(tcb, "tx", SN_TF_S("flags", sn_tcp_flags_str(flags, fl)),
                 SN_TF_U("seq", seq), SN_TF_U("ack", (flags & SN_TCP_ACK) ? tcb->rcv_nxt : 0),
                 SN_TF_U("rseq", seq - tcb->iss),
                 SN_TF_U("rack", (flags & SN_TCP_ACK) ? tcb->rcv_nxt - tcb->irs : 0),
                 SN_TF_U("len", len), SN_TF_U("win", (uint64_t)win << (flags & SN_TCP_SYN ? 0 : tcb->rcv_wscale)),
                 SN_TF_S("state", sn_tcp_state_name(tcb->state)),
                 SN_TF_S("why", why));
  }
  struct sn_ip_out io = {.src = tcb->laddr, .dst = tcb->raddr,
                         .proto = SN_IPPROTO_TCP, .df = true, .tos = tos};
  int err = sn_ip_output(st, &io, p);
  if (flags & SN_TCP_ACK)
    sn_tcp_ack_sent(tcb);
  return err;
}

void sn_tcp_send_ack(struct sn_tcb *tcb, const char *why) {
  xmit(tcb, tcb->snd_nxt, SN_TCP_ACK, 0, 0, why);
}

void sn_tcp_send_probe(struct sn_tcb *tcb, const char *why) {
  xmit(tcb, tcb->snd_una - 1, SN_TCP_ACK, 0, 0, why);
}

void sn_tcp_send_syn(struct sn_tcb *tcb, const char *why) {
  uint8_t flags = SN_TCP_SYN;
  if (tcb->state == SN_TCP_SYN_RECEIVED)
    flags |= SN_TCP_ACK | (tcb->ecn_ok ? SN_TCP_ECE : 0);
  else if (tcb->ecn_want)
    flags |= SN_TCP_ECE | SN_TCP_CWR; /* RFC 3168 §6.1.1 */
  xmit(tcb, tcb->iss, flags, 0, 0, why);
  if (sn_seq_gt(tcb->iss + 1, tcb->snd_nxt))
    tcb->snd_nxt = tcb->iss + 1;
  if (sn_seq_gt(tcb->snd_nxt, tcb->snd_max))
    tcb->snd_max = tcb->snd_nxt;
}

void sn_tcp_send_rst(struct sn_tcb *tcb, const char *why) {
  xmit(tcb, tcb->snd_nxt, SN_TCP_RST | SN_TCP_ACK, 0, 0, why);
}

/* RFC 9293 §3.10.7.1: answer a segment that has no connection. */
int sn_tcp_send_bare(struct sn_stack *st, const struct sn_tcp_bare *b,
                     const char *why) {
  struct sn_tcp_optspec o = {.ts = b->ts, .tsval = b->tsval, .tsecr = b->tsecr};
  size_t hlen = SN_TCP_HLEN + sn_tcp_options_len(&o);
  struct sn_pbuf *p = sn_stack_alloc(st, hlen, why);
  if (!p)
    return -ENOBUFS;
  uint8_t *h = p->data;
  sn_put16(h, b->sport);
  sn_put16(h + 2, b->dport);
  sn_put32(h + 4, b->seq);
  sn_put32(h + 8, b->ack);
  h[12] = (uint8_t)((hlen / 4) << 4);
  h[13] = b->flags;
  sn_put16(h + 14, b->win);
  sn_put32(h + 16, 0);
  sn_tcp_write_options(h + SN_TCP_HLEN, &o);
  uint32_t sum = sn_csum_pseudo4(b->src, b->dst, SN_IPPROTO_TCP, (uint16_t)hlen);
  sn_put16(h + 16, sn_csum_fold(sn_csum_partial(h, hlen, sum)));
  sn_count(st, SN_CTR_TcpOutSegs);
  if (b->flags & SN_TCP_RST)
    sn_count(st, SN_CTR_TcpOutRsts);
  struct sn_ip_out io = {.src = b->src, .dst = b->dst,
                         .proto = SN_IPPROTO_TCP, .df = true};
  return sn_ip_output(st, &io, p);
}

void sn_tcp_reply_rst(struct sn_stack *st, const struct sn_tcp_seg *seg,
                      const char *why) {
  if (seg->flags & SN_TCP_RST)
    return; /* never answer a RST */
  struct sn_tcp_bare b = {.src = seg->daddr, .dst = seg->saddr,
                          .sport = seg->dport, .dport = seg->sport,
                          .flags = SN_TCP_RST};
  if (seg->flags & SN_TCP_ACK) {
    b.seq = seg->ack;                         /* <SEQ=SEG.ACK><CTL=RST> */
  } else {
    b.ack = seg->seq + sn_tcp_seg_len(seg);   /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN> */
    b.flags |= SN_TCP_ACK;
  }
  char fl[12];
  SN_TRACE(st, tcp, "tx-rst", SN_TF_IP("dst", seg->saddr),
           SN_TF_U("sport", seg->dport), SN_TF_U("dport", seg->sport),
           SN_TF_S("flags", sn_tcp_flags_str(b.flags, fl)), SN_TF_U("seq", b.seq),
           SN_TF_U("ack", b.ack), SN_TF_S("why", why));
  sn_tcp_send_bare(st, &b, why);
}

/* RFC 5961 §7 and Linux: one challenge ACK per tcp_invalid_ratelimit per
 * socket, and at most tcp_challenge_ack_limit per second per stack. */
void sn_tcp_challenge_ack(struct sn_tcb *tcb, const char *why) {
  struct sn_stack *st = tcb->st;
  uint64_t gap = (uint64_t)st->cfg.tcp_invalid_ratelimit * SN_NSEC_PER_MSEC;
  if (tcb->last_oow_ack_ns && st->now - tcb->last_oow_ack_ns < gap) {
    sn_count(st, SN_CTR_TcpExtTCPACKSkippedChallenge);
    return;
  }
  struct sn_tcp_table *t = &st->tcp;
  uint64_t sec = st->now / SN_NSEC_PER_SEC + 1; /* 0: no budget drawn yet */
  if (sec != t->challenge_stamp) {
    uint64_t limit = (uint64_t)st->cfg.tcp_challenge_ack_limit;
    uint64_t half = (limit + 1) / 2;
    t->challenge_stamp = sec;
    /* As Linux draws it: uniform in [half, half + limit - 1], limit per
     * second on average, so the budget cannot serve as an oracle
     * (CVE-2016-5696); a limit of 1 is exactly one. */
    t->challenge_count = (uint32_t)(half + sn_rng_below(&st->rng, limit));
  }
  if (t->challenge_count == 0) {
    sn_count(st, SN_CTR_TcpExtTCPACKSkippedChallenge);
    return;
  }
  t->challenge_count--;
  tcb->last_oow_ack_ns = st->now;
  sn_count(st, SN_CTR_TcpExtTCPChallengeACK);
  sn_tcp_send_ack(tcb, why);
}

/* Sending data ------------------------------------------------------------- */

static bool can_send_data(const struct sn_tcb *tcb) {
  switch (tcb->state) {
  case SN_TCP_ESTABLISHED:
  case SN_TCP_CLOSE_WAIT:
  case SN_TCP_FIN_WAIT_1:
  case SN_TCP_CLOSING:
  case SN_TCP_LAST_ACK:
    return true;
  default:
    return false;
  }
}

static void record_sent(struct sn_tcb *tcb, sn_seq_t seq, uint32_t seqlen,
                        uint8_t flags) {
  struct sn_txseg s = {.seq = seq, .len = seqlen, .sent_ns = tcb->st->now,
                       .flags = flags, .tx_count = 1};
  txq_push(tcb->st, &tcb->txq, &s);
}

/*
 * The payload that fits in one segment now: the MSS (already less the
 * timestamp option) less the SACK blocks this segment will carry
 * (RFC 2018 §3: each block costs 8 bytes, the option 4 more).
 */
static uint32_t current_mss(const struct sn_tcb *tcb) {
  if (!tcb->sack_ok)
    return tcb->mss;
  unsigned n = sn_tcp_ooo_count(tcb) + tcb->dsack_pending;
  unsigned fit = tcb->ts_ok ? 3 : 4;
  if (n > fit)
    n = fit;
  uint32_t extra = n ? 4 + 8 * n : 0;
  return tcb->mss > extra + 8 ? tcb->mss - extra : 8;
}

/* Split record i so that it holds at most `len` sequence numbers; the
 * rest becomes a new record right after it, with the same history. */
static bool txq_split(struct sn_stack *st, struct sn_txq *q, uint32_t i,
                      uint32_t len) {
  struct sn_txseg tail = *txq_at(q, i);
  if (!txq_push(st, q, &tail)) /* grow first: pointers move */
    return false;
  for (uint32_t k = q->n - 1; k > i + 1; k--)
    *txq_at(q, k) = *txq_at(q, k - 1);
  struct sn_txseg *r = txq_at(q, i), *t = txq_at(q, i + 1);
  *t = *r;
  t->seq = r->seq + len;
  t->len = r->len - len;
  r->len = len;
  r->flags &= (uint8_t)~SN_TXSEG_FIN;
  return true;
}

/* Resend record r (marked lost, or the head on a timeout). */
static void resend(struct sn_tcb *tcb, struct sn_txseg *r, const char *why) {
  struct sn_stack *st = tcb->st;
  uint32_t cur = current_mss(tcb);
  if (r->len - !!(r->flags & SN_TXSEG_FIN) > cur) {
    /* The MSS shrank (SACK blocks, TCP_MAXSEG): resend in pieces. */
    struct sn_txq *q = &tcb->txq;
    uint32_t i = (uint32_t)(r - q->v - q->head) & (q->cap - 1);
    bool lost = r->flags & SN_TXSEG_LOST;
    if (!txq_split(tcb->st, q, i, cur))
      return;
    r = txq_at(q, i);
    if (lost)
      tcb->lost_out++; /* the new piece is lost too */
    if (r->flags & SN_TXSEG_RETRANS)
      tcb->retrans_out++;
    if (r->flags & SN_TXSEG_SACKED)
      tcb->sacked_out++;
  }
  bool fin = r->flags & SN_TXSEG_FIN;
  uint32_t data = r->len - (fin ? 1 : 0);
  uint8_t flags = SN_TCP_ACK | (fin ? SN_TCP_FIN : 0);
  if (data && r->seq + data == tcb->snd_buf_seq + tcb->sndbuf.len)
    flags |= SN_TCP_PSH;
  xmit(tcb, r->seq, flags, r->seq - tcb->snd_buf_seq, data, why);
  if (!(r->flags & SN_TXSEG_RETRANS) && (r->flags & SN_TXSEG_LOST))
    tcb->retrans_out++;
  if (r->flags & SN_TXSEG_LOST)
    r->flags |= SN_TXSEG_RETRANS;
  r->sent_ns = st->now;
  r->tx_count++;
  tcb->total_retrans++;
  sn_count(st, SN_CTR_TcpRetransSegs);
  sn_tcp_on_retransmit(tcb);
  SN_TCP_TRACE(tcb, "retransmit", SN_TF_U("rseq", r->seq - tcb->iss),
               SN_TF_U("len", data), SN_TF_U("tx", r->tx_count),
               SN_TF_S("why", why));
}

void sn_tcp_retransmit_head(struct sn_tcb *tcb, const char *why) {
  if (tcb->txq.n == 0)
    return;
  resend(tcb, txq_at(&tcb->txq, 0), why);
}

void sn_tcp_retransmit_tail(struct sn_tcb *tcb, const char *why) {
  if (tcb->txq.n == 0)
    return;
  resend(tcb, txq_at(&tcb->txq, tcb->txq.n - 1), why);
}

/* Retransmit lost segments the congestion window allows. */
static void retransmit_lost(struct sn_tcb *tcb) {
  struct sn_txq *q = &tcb->txq;
  for (uint32_t i = 0; i < q->n && tcb->lost_out > tcb->retrans_out; i++) {
    struct sn_txseg *r = txq_at(q, i);
    if ((r->flags & (SN_TXSEG_LOST | SN_TXSEG_RETRANS)) != SN_TXSEG_LOST)
      continue;
    if (sn_tcp_in_flight(tcb) >= tcb->ccs.cwnd) {
      tcb->ccs.cwnd_limited = true;
      break;
    }
    resend(tcb, r, "retransmitting a segment presumed lost");
  }
}

/*
 * How many bytes to send now, 0 to wait. RFC 9293 §3.8.6.2.1 (sender SWS
 * avoidance) and RFC 896 Nagle with Minshall's refinement: a short
 * segment waits while an earlier short segment is unacknowledged.
 */
static uint32_t usable_window(const struct sn_tcb *tcb) {
  sn_seq_t wnd_end = tcb->snd_una + tcb->snd_wnd;
  return sn_seq_gt(wnd_end, tcb->snd_nxt) ? wnd_end - tcb->snd_nxt : 0;
}

static uint32_t sendable(struct sn_tcb *tcb, uint32_t unsent, bool *wnd_limited) {
  uint32_t usable = usable_window(tcb);
  uint32_t mss = current_mss(tcb);
  uint32_t len = SN_MIN(unsent, mss);
  *wnd_limited = false;
  if (len > usable) {
    /* Sender SWS: a partial segment only if it is at least half the
     * largest window the peer has offered. */
    if (usable == 0 || usable < tcb->max_snd_wnd / 2) {
      *wnd_limited = true;
      return 0;
    }
    len = usable;
  }
  if (len < mss) {
    bool last = len == unsent;
    /* TCP_CORK holds a partial segment, except the one the FIN closes
     * (Linux sends the FIN's segment regardless, tcp_nagle_test()). */
    if (tcb->cork && !(last && tcb->fin_queued))
      return 0;
    bool small_in_flight = sn_seq_gt(tcb->snd_sml, tcb->snd_una) &&
                           sn_seq_leq(tcb->snd_sml, tcb->snd_nxt);
    if (last && !tcb->nodelay && small_in_flight && !tcb->fin_queued)
      return 0;
  }
  return len;
}

/* Whether a segment of len new bytes is the last the windows let out now:
 * cwnd is full after it, or the peer's window has no room for the next. */
static bool ends_burst(const struct sn_tcb *tcb, uint32_t len, uint32_t unsent) {
  if (sn_tcp_in_flight(tcb) + 1 >= tcb->ccs.cwnd)
    return true;
  uint32_t room = usable_window(tcb) - len;
  return room < SN_MIN(unsent - len, current_mss(tcb));
}

/* Send len new bytes (and the FIN after them if fin); in_burst segments
 * went out before it in this burst. PSH where Linux's segments show it:
 * on the segment that empties the send queue, and, in slow start, on the
 * last of a burst of several that the windows cut short. One segment at
 * a time (limited transmit, recovery) and bursts in congestion avoidance
 * go without: Linux's flag follows its socket-buffer boundaries, which
 * this mirrors as observed in its conformance scripts. */
static void send_segment(struct sn_tcb *tcb, uint32_t len, bool fin,
                         unsigned in_burst) {
  uint32_t unsent = sn_tcp_unsent(tcb);
  uint8_t flags = SN_TCP_ACK;
  bool slow_start = tcb->ccs.cwnd < tcb->ccs.ssthresh;
  if (len && (len == unsent ||
              (in_burst && slow_start && ends_burst(tcb, len, unsent))))
    flags |= SN_TCP_PSH;
  if (fin)
    flags |= SN_TCP_FIN;
  sn_seq_t seq = tcb->snd_nxt;
  xmit(tcb, seq, flags, seq - tcb->snd_buf_seq, len,
       fin ? (len ? "last data, with the FIN: the application closed"
                  : "FIN: the application closed its sending side")
           : "new data the windows allow");
  record_sent(tcb, seq, len + fin, fin ? SN_TXSEG_FIN : 0);
  sn_tcp_on_new_data(tcb);
  tcb->snd_nxt = seq + len + fin;
  if (sn_seq_gt(tcb->snd_nxt, tcb->snd_max))
    tcb->snd_max = tcb->snd_nxt;
  if (len < tcb->mss)
    tcb->snd_sml = tcb->snd_nxt;
  if (fin)
    tcb->fin_sent = 1;
  sn_tcp_timer_clear(tcb, SN_TT_PERSIST);
  if (tcb->rtt_start == SN_TCP_UNTIMED) {
    tcb->rtt_start = tcb->st->now; /* Karn: time a fresh segment */
    tcb->rtt_seq = seq;
  }
  if (!tcb->deadline[SN_TT_RTO])
    sn_tcp_rto_arm(tcb);
}

static void send_new_data(struct sn_tcb *tcb) {
  for (unsigned sent = 0;; sent++) {
    uint32_t unsent = sn_tcp_unsent(tcb);
    bool fin_due = tcb->fin_queued && !tcb->fin_sent;
    if (!unsent && !fin_due)
      return;
    if (sn_tcp_in_flight(tcb) >= tcb->ccs.cwnd) {
      tcb->ccs.cwnd_limited = true;
      return;
    }
    bool wnd_limited = false;
    uint32_t len = unsent ? sendable(tcb, unsent, &wnd_limited) : 0;
    if (unsent && !len) {
      /* RFC 9293 §3.8.6.1 and §3.8.6.2.1: the peer's window (shut, or
       * too small to use) stops us with nothing in flight. Only the
       * persist timer can then notice a window update that was lost. */
      if (wnd_limited && tcb->txq.n == 0 && !tcb->deadline[SN_TT_PERSIST])
        sn_tcp_timer_set(tcb, SN_TT_PERSIST, tcb->st->now + sn_tcp_rto_now(tcb));
      return;
    }
    bool fin = fin_due && len == unsent;
    send_segment(tcb, len, fin, sent);
    if (fin)
      return;
  }
}

bool sn_tcp_send_one_new(struct sn_tcb *tcb) {
  uint32_t unsent = sn_tcp_unsent(tcb);
  uint32_t len = SN_MIN(SN_MIN(unsent, usable_window(tcb)), current_mss(tcb));
  if (!len || !can_send_data(tcb))
    return false;
  send_segment(tcb, len, tcb->fin_queued && len == unsent, 0);
  return true;
}

bool sn_tcp_send_window_fill(struct sn_tcb *tcb) {
  uint32_t len = SN_MIN(SN_MIN(sn_tcp_unsent(tcb), usable_window(tcb)),
                        current_mss(tcb));
  if (!len || !can_send_data(tcb))
    return false;
  send_segment(tcb, len, tcb->fin_queued && len == sn_tcp_unsent(tcb), 0);
  return true;
}

/*
 * An ACK owed for data or a FIN taken in can wait until the end of that
 * input, after the application's event callbacks have run: a reply or a
 * close they make then carries it, instead of a pure ACK followed by the
 * data. The ACK leaves at the same instant either way. (The handshake's
 * last ACK is not held: Linux holds it only when a write is pending.)
 */
static bool defer_ack(struct sn_tcb *tcb) {
  struct sn_tcp_table *t = &tcb->st->tcp;
  if (!t->defer_acks || !tcb->sock || !sn_sock_has_callback(tcb->sock) ||
      !(tcb->data_rcvd || tcb->fin_rcvd))
    return false;
  if (tcb->ack_deferred)
    return true;
  if (t->ndeferred == SN_TCP_DEFERRED_ACKS)
    return false;
  tcb->ack_deferred = 1;
  t->deferred[t->ndeferred++] = tcb;
  return true;
}

void sn_tcp_output(struct sn_tcb *tcb) {
  if (can_send_data(tcb)) {
    tcb->ccs.cwnd_limited = false;
    if (tcb->lost_out > tcb->retrans_out)
      retransmit_lost(tcb);
    sn_seq_t before = tcb->snd_nxt;
    send_new_data(tcb);
    if (tcb->snd_nxt != before)
      sn_tcp_schedule_tlp(tcb);
  }
  if (tcb->ack_now && tcb->state != SN_TCP_CLOSED &&
      tcb->state != SN_TCP_LISTEN && tcb->state != SN_TCP_SYN_SENT &&
      !defer_ack(tcb))
    sn_tcp_send_ack(tcb, "acknowledging what arrived");
}

void sn_tcp_ack_soon(struct sn_tcb *tcb, const char *why) {
  tcb->ack_now = 1;
  if (!defer_ack(tcb))
    sn_tcp_send_ack(tcb, why);
}

void sn_tcp_flush_acks(struct sn_stack *st) {
  struct sn_tcp_table *t = &st->tcp;
  for (unsigned i = 0; i < t->ndeferred; i++) {
    struct sn_tcb *tcb = t->deferred[i];
    tcb->ack_deferred = 0;
    if (tcb->dead)
      continue;
    if (!tcb->ack_now) { /* a reply carried it */
      sn_count(st, SN_CTR_SnTcpAckPiggybacked);
      continue;
    }
    if (tcb->state != SN_TCP_CLOSED && tcb->state != SN_TCP_LISTEN &&
        tcb->state != SN_TCP_SYN_SENT)
      sn_tcp_send_ack(tcb, "acknowledging what arrived");
  }
  t->ndeferred = 0;
  t->defer_acks = false;
}

void sn_tcp_ack_sent(struct sn_tcb *tcb) {
  tcb->ack_now = 0;
  tcb->pending_acks = 0;
  if (tcb->quickacks)
    tcb->quickacks--;
  if (tcb->deadline[SN_TT_DELACK])
    sn_tcp_timer_clear(tcb, SN_TT_DELACK);
}
