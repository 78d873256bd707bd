/*
 * tcp_recv.c - the receive side: placing payload in the receive ring (in
 * order, or out of order with the ranges kept in a small sorted set), the
 * SACK blocks those ranges yield (RFC 2018, DSACK RFC 2883), and the
 * window we advertise (RFC 9293 §3.8.6.2.2 receiver SWS avoidance; the
 * right edge never moves left).
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "net/stack.h"
#include "tcp/tcp_impl.h"

/* Out-of-order ranges ------------------------------------------------------ */

static void ooo_remove(struct sn_ooo *o, unsigned i) {
  memmove(&o->r[i], &o->r[i + 1], (o->n - i - 1) * sizeof o->r[0]);
  o->n--;
}

/*
 * Add [start, end). Returns 1 if it added new bytes, 0 if they were all
 * there already (a duplicate), -1 if the set is full.
 */
static int ooo_add(struct sn_ooo *o, uint32_t start, uint32_t end) {
  unsigned i = 0;
  while (i < o->n && sn_seq_lt(o->r[i].end, start))
    i++;
  /* r[i] is the first range that ends at or after start. */
  if (i < o->n && sn_seq_leq(o->r[i].start, start) &&
      sn_seq_geq(o->r[i].end, end)) {
    o->r[i].stamp = ++o->clock;
    return 0;
  }
  if (i == o->n || sn_seq_lt(end, o->r[i].start)) {
    if (o->n == SN_OOO_MAX)
      return -1;
    memmove(&o->r[i + 1], &o->r[i], (o->n - i) * sizeof o->r[0]);
    o->r[i].start = start;
    o->r[i].end = end;
    o->r[i].stamp = ++o->clock;
    o->n++;
    return 1;
  }
  /* Overlaps or touches r[i]: merge, then absorb the ranges it reaches. */
  o->r[i].start = sn_seq_min(o->r[i].start, start);
  o->r[i].end = sn_seq_max(o->r[i].end, end);
  o->r[i].stamp = ++o->clock;
  while (i + 1 < o->n && sn_seq_geq(o->r[i].end, o->r[i + 1].start)) {
    o->r[i].end = sn_seq_max(o->r[i].end, o->r[i + 1].end);
    ooo_remove(o, i + 1);
  }
  return 1;
}

/* Payload ------------------------------------------------------------------ */

void sn_tcp_note_dsack(struct sn_tcb *tcb, uint32_t start, uint32_t end) {
  if (!tcb->st->cfg.tcp_dsack || !tcb->sack_ok)
    return;
  tcb->dsack.start = start;
  tcb->dsack.end = end;
  tcb->dsack_pending = 1;
  sn_count(tcb->st, SN_CTR_TcpExtTCPDSACKOldSent);
}

/* Linux's tcp_grow_window(): each in-order segment lets the offered
 * window grow by two segments, up to the buffer. */
static void grow_window(struct sn_tcb *tcb) {
  uint32_t clamp = tcb->rcvbuf_limit;
  uint32_t mss = tcb->adv_mss ? tcb->adv_mss : 536;
  if (tcb->rcv_ssthresh < clamp)
    tcb->rcv_ssthresh = SN_MIN(tcb->rcv_ssthresh + 2 * mss, clamp);
}

/* In-order data that ends at high also covered out-of-order data we held:
 * that part arrived twice, and the first such range is reported as a
 * DSACK (RFC 2883; as Linux's tcp_ofo_queue() does), extended by the
 * ranges that continue it. */
static void note_covered_dsack(struct sn_tcb *tcb, uint32_t high) {
  const struct sn_ooo *o = tcb->ooo;
  bool noted = false;
  for (unsigned i = 0; o && i < o->n && sn_seq_lt(o->r[i].start, high); i++) {
    uint32_t end = sn_seq_lt(o->r[i].end, high) ? o->r[i].end : high;
    if (!noted) {
      sn_tcp_note_dsack(tcb, o->r[i].start, end);
      noted = true;
    } else if (tcb->dsack_pending && sn_seq_leq(o->r[i].start, tcb->dsack.end) &&
               sn_seq_gt(end, tcb->dsack.end)) {
      tcb->dsack.end = end;
    }
  }
}

uint32_t sn_tcp_rcv_data(struct sn_tcb *tcb, uint32_t seq, const uint8_t *data,
                         uint32_t len) {
  struct sn_stack *st = tcb->st;
  if (sn_seq_lt(seq, tcb->rcv_nxt)) { /* starts with old bytes */
    uint32_t old = tcb->rcv_nxt - seq;
    sn_tcp_note_dsack(tcb, seq, seq + SN_MIN(old, len));
    if (old >= len)
      return 0;
    seq += old;
    data += old;
    len -= old;
  }
  uint32_t off = seq - tcb->rcv_nxt;
  /* RFC 9293 §3.10.7.4: the part beyond the window we advertised is
   * trimmed off, even when the buffer could hold it. */
  uint32_t wnd = sn_seq_gt(tcb->rcv_adv, tcb->rcv_nxt)
                     ? tcb->rcv_adv - tcb->rcv_nxt
                     : 0;
  if (off >= wnd) {
    sn_drop(st, SN_DROP_TCP_OUT_OF_WINDOW, "tcp", len);
    return 0;
  }
  if (len > wnd - off)
    len = wnd - off;
  uint32_t room = tcb->rcvbuf_limit > tcb->rcvbuf.len
                      ? tcb->rcvbuf_limit - tcb->rcvbuf.len
                      : 0;
  if (off >= room) {
    sn_count(st, SN_CTR_TcpExtTCPRcvQDrop);
    sn_drop(st, SN_DROP_TCP_RCVBUF_FULL, "tcp", len);
    return 0;
  }
  if (len > room - off)
    len = room - off; /* keep what fits in the window */
  if (sn_ring_reserve(&tcb->rcvbuf, tcb->rcvbuf.len + off + len) != 0) {
    sn_drop(st, SN_DROP_NO_BUFFER, "tcp", len);
    return 0;
  }
  if (off) {
    if (!tcb->ooo && !(tcb->ooo = calloc(1, sizeof *tcb->ooo))) {
      sn_drop(st, SN_DROP_NO_BUFFER, "tcp", len);
      return 0;
    }
    int r = ooo_add(tcb->ooo, seq, seq + len);
    if (r < 0) {
      sn_count(st, SN_CTR_TcpExtTCPOFODrop);
      sn_drop(st, SN_DROP_TCP_OFO_FULL, "tcp", len);
      return 0;
    }
    if (r == 0)
      sn_tcp_note_dsack(tcb, seq, seq + len);
    sn_ring_write_at(&tcb->rcvbuf, tcb->rcvbuf.len + off, data, len);
    sn_count(st, SN_CTR_TcpExtTCPOFOQueue);
    return 0;
  }
  sn_ring_append(&tcb->rcvbuf, data, len);
  uint32_t ready = len;
  tcb->rcv_nxt += len;
  /* Out-of-order ranges the new data reaches are readable now. */
  struct sn_ooo *o = tcb->ooo;
  note_covered_dsack(tcb, tcb->rcv_nxt);
  while (o && o->n && sn_seq_leq(o->r[0].start, tcb->rcv_nxt)) {
    if (sn_seq_gt(o->r[0].end, tcb->rcv_nxt)) {
      uint32_t more = o->r[0].end - tcb->rcv_nxt;
      sn_ring_extend(&tcb->rcvbuf, more);
      tcb->rcv_nxt += more;
      ready += more;
    }
    ooo_remove(o, 0);
  }
  if (o && !o->n) { /* the gaps are filled: give the ranges back */
    free(o);
    tcb->ooo = NULL;
  }
  tcb->bytes_received += ready;
  grow_window(tcb);
  return ready;
}

/* SACK blocks: a DSACK first, then the range holding the most recent
 * arrival, then the others, most recent first (RFC 2018 §4). */
uint8_t sn_tcp_sack_blocks(struct sn_tcb *tcb, struct sn_sack_block *out,
                           uint8_t max) {
  uint8_t n = 0;
  if (tcb->dsack_pending && n < max) {
    out[n++] = tcb->dsack;
    tcb->dsack_pending = 0;
  }
  const struct sn_ooo *o = tcb->ooo;
  bool used[SN_OOO_MAX] = {false};
  while (o && n < max) {
    int best = -1;
    for (unsigned i = 0; i < o->n; i++)
      if (!used[i] && (best < 0 || o->r[i].stamp > o->r[best].stamp))
        best = (int)i;
    if (best < 0)
      break;
    used[best] = true;
    out[n].start = o->r[best].start;
    out[n].end = o->r[best].end;
    n++;
  }
  return n;
}

/* The window ------------------------------------------------------------- */

uint32_t sn_tcp_window_offer(const struct sn_tcb *tcb, uint32_t free_space) {
  if (tcb->rcv_ssthresh && free_space > tcb->rcv_ssthresh)
    return tcb->rcv_ssthresh;
  return free_space;
}

uint32_t sn_tcp_rcv_window(struct sn_tcb *tcb) {
  struct sn_stack *st = tcb->st;
  uint32_t free_space = tcb->rcvbuf_limit > tcb->rcvbuf.len
                            ? tcb->rcvbuf_limit - tcb->rcvbuf.len
                            : 0;
  /* Whole segments as the peer sends them: the timestamp option takes
   * 12 bytes of each (Linux rounds to the received segment size). */
  uint32_t mss = tcb->adv_mss ? tcb->adv_mss : 536;
  if (tcb->ts_ok && mss > 12)
    mss -= 12;
  uint32_t w;
  if (tcb->rd_shut && !tcb->sock)
    free_space = tcb->rcvbuf_limit; /* nobody reads: data will be refused */
  uint32_t unit = 1u << tcb->rcv_wscale;
  if (free_space < mss && free_space < tcb->rcvbuf_limit / 2) {
    w = 0; /* receiver SWS avoidance: no tiny windows */
  } else if (tcb->rcv_wscale) {
    /* Linux's __tcp_select_window(): no more than rcv_ssthresh, rounded
     * up to the scale unit so that it is not scaled away. */
    w = sn_tcp_window_offer(tcb, free_space);
    w = (w + unit - 1) & ~(unit - 1);
  } else {
    free_space = sn_tcp_window_offer(tcb, free_space);
    w = free_space - free_space % mss;
    if (w == 0)
      w = free_space;
  }
  /* Never move the right edge left (RFC 9293 §3.8.6.2.2). */
  uint32_t cur = sn_seq_gt(tcb->rcv_adv, tcb->rcv_nxt)
                     ? tcb->rcv_adv - tcb->rcv_nxt
                     : 0;
  if (w < cur)
    w = cur;
  uint32_t cap = 65535u << tcb->rcv_wscale;
  if (w > cap)
    w = cap;
  w &= ~(unit - 1);
  if (w == 0 && tcb->rcv_wnd != 0)
    sn_count(st, SN_CTR_TcpExtTCPToZeroWindowAdv);
  else if (w != 0 && tcb->rcv_wnd == 0 && tcb->state != SN_TCP_SYN_RECEIVED &&
           tcb->state != SN_TCP_SYN_SENT)
    sn_count(st, SN_CTR_TcpExtTCPFromZeroWindowAdv);
  tcb->rcv_wnd = w;
  tcb->rcv_adv = tcb->rcv_nxt + w;
  return w;
}
