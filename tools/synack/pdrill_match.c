/*
 * pdrill_match.c - outbound packets (GRAMMAR §4, §5, §11): wait for the
 * next segment the stack sends on the connection under test, join
 * consecutive segments that a `>` line describes as one (the TSO/GSO
 * aggregation upstream does, unless --strict_segments), map it into the
 * script's numbers and check it field by field: payload length, flags,
 * seq, ack, window (when written), urgent pointer, options byte for byte
 * (TSval only with --tcp_ts_tick_usecs, TS ecr never), IP ECN/TOS/TTL
 * when written, zero payload, checksums, and then the time. A mismatch is
 * reported with the script's line and the stack's segment in the same
 * syntax.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/checksum.h"
#include "base/util.h"
#include "pdrill.h"

#define ETH_HLEN 14

/* An outbound segment in live numbers (or several joined). */
struct seg {
  uint64_t t_ns, last_t_ns;  /* sent at; the last joined piece */
  uint8_t tos, ttl;
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint8_t reserved;         /* the 4 reserved bits and AE: must be 0 */
  uint16_t win, urg;
  uint8_t opts[40];
  uint8_t optlen;
  uint32_t len;             /* payload bytes */
  bool nonzero;             /* a payload byte is not 0 */
  bool bad_csum;            /* the IP or TCP checksum is wrong */
  bool ip_opts;             /* the IP header has options */
  int pieces;               /* segments joined */
  char why[96];             /* the stack's reason (first piece) */
};

/* Parse frame f as IPv4/TCP from the stack to the peer. */
static bool parse_seg(const struct pd_net *n, const struct pd_frame *f, struct seg *s) {
  const uint8_t *d = f->data;
  if (f->len < ETH_HLEN + 40 || sn_get16(d + 12) != 0x0800)
    return false;
  const uint8_t *ip = d + ETH_HLEN;
  size_t ihl = (size_t)(ip[0] & 15) * 4, tot = sn_get16(ip + 2);
  if ((ip[0] >> 4) != 4 || ip[9] != 6 || ihl < 20 || tot < ihl + 20 ||
      ETH_HLEN + tot > f->len || sn_get32(ip + 12) != n->local_ip ||
      sn_get32(ip + 16) != n->remote_ip)
    return false;
  const uint8_t *t = ip + ihl;
  size_t tlen = tot - ihl, hlen = (size_t)(t[12] >> 4) * 4;
  if (hlen < 20 || hlen > tlen)
    return false;
  memset(s, 0, sizeof *s);
  s->t_ns = s->last_t_ns = f->t_ns;
  s->tos = ip[1];
  s->ttl = ip[8];
  s->ip_opts = ihl != 20;
  s->bad_csum = sn_csum_fold(sn_csum_partial(ip, ihl, 0)) != 0 ||
                sn_csum_fold(sn_csum_partial(t, tlen, sn_csum_pseudo4(n->local_ip,
                             n->remote_ip, 6, (uint16_t)tlen))) != 0;
  s->sport = sn_get16(t);
  s->dport = sn_get16(t + 2);
  s->seq = sn_get32(t + 4);
  s->ack = sn_get32(t + 8);
  s->reserved = t[12] & 0x0f;
  s->flags = t[13];
  s->win = sn_get16(t + 14);
  s->urg = sn_get16(t + 18);
  s->optlen = (uint8_t)(hlen - 20);
  memcpy(s->opts, t + 20, s->optlen);
  s->len = (uint32_t)(tlen - hlen);
  for (size_t k = hlen; k < tlen && !s->nonzero; k++)
    s->nonzero = t[k] != 0;
  s->pieces = 1;
  snprintf(s->why, sizeof s->why, "%s", f->why);
  return true;
}

/* Whether s belongs to connection c; learns an active open's port. */
static bool for_conn(struct pd_conn *c, const struct seg *s) {
  if (s->dport != c->rport)
    return false;
  if (c->lport_known)
    return s->sport == c->lport;
  if (c->kind != PD_CONN_ACTIVE || !(s->flags & PD_F_SYN))
    return false;
  c->lport = s->sport;
  c->lport_known = true;
  return true;
}

/* The next segment of c, running the stack up to deadline if need be. */
static bool next_seg(struct pd_run *run, struct pd_conn *c, uint64_t deadline,
                     struct seg *s) {
  struct pd_net *n = &run->net;
  for (;;) {
    while (n->next < n->nq) {
      const struct pd_frame *f = &n->q[n->next++];
      if (parse_seg(n, f, s) && for_conn(c, s))
        return true;
    }
    if (n->now >= deadline)
      return false;
    pd_net_step(n, deadline);
  }
}

/* Formatting ------------------------------------------------------------------- */

static const char *flags_str(uint8_t f, char *b) {
  char *p = b;
  static const struct {
    uint8_t bit;
    char c;
  } order[] = {{PD_F_SYN, 'S'}, {PD_F_FIN, 'F'}, {PD_F_RST, 'R'}, {PD_F_PSH, 'P'},
               {PD_F_URG, 'U'}, {PD_F_ECE, 'E'}, {PD_F_CWR, 'W'}};
  for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
    if (f & order[k].bit)
      *p++ = order[k].c;
  if (f & PD_F_ACK)
    *p++ = '.';
  if (p == b)
    *p++ = '-';
  *p = 0;
  return b;
}

/* Live option bytes as the script would write them. */
static void opts_str(const struct pd_conn *c, const uint8_t *o, size_t len, char *buf,
                     size_t blen) {
  buf[0] = 0;
  for (size_t k = 0; k < len;) {
    const char *sep = k ? "," : "";
    uint8_t kind = o[k], l = kind <= 1 ? 1 : (k + 1 < len ? o[k + 1] : 0);
    if (kind > 1 && (l < 2 || k + l > len)) {
      pd_catf(buf, blen, "%s(malformed option %u)", sep, kind);
      return;
    }
    if (kind == 0)
      pd_catf(buf, blen, "%seol", sep);
    else if (kind == 1)
      pd_catf(buf, blen, "%snop", sep);
    else if (kind == 2 && l == 4)
      pd_catf(buf, blen, "%smss %u", sep, sn_get16(o + k + 2));
    else if (kind == 3 && l == 3)
      pd_catf(buf, blen, "%swscale %u", sep, o[k + 2]);
    else if (kind == 4 && l == 2)
      pd_catf(buf, blen, "%ssackOK", sep);
    else if (kind == 5) {
      pd_catf(buf, blen, "%ssack", sep);
      for (size_t b = k + 2; b + 8 <= (size_t)k + l; b += 8)
        pd_catf(buf, blen, " %u:%u", pd_rseq_script(c, sn_get32(o + b)),
                pd_rseq_script(c, sn_get32(o + b + 4)));
    } else if (kind == 8 && l == 10)
      pd_catf(buf, blen, "%sTS val %u ecr %u", sep, pd_ts_script(c, sn_get32(o + k + 2)),
              sn_get32(o + k + 6));
    else
      pd_catf(buf, blen, "%soption %u length %u", sep, kind, l);
    k += l;
  }
}

static const char *ecn_name(int ecn) {
  static const char *const names[] = {"noecn", "ect1", "ect0", "ce"};
  return names[ecn & 3];
}

/* The stack's segment in the script's syntax and numbers. */
static void seg_str(const struct pd_conn *c, const struct pd_packet *pk,
                    const struct seg *s, char *buf, size_t len) {
  char fl[12];
  bool syn = s->flags & PD_F_SYN;
  uint32_t seq = pd_lseq_script(c, s->seq, syn);
  snprintf(buf, len, ">");
  if (pk->ecn != PD_ECN_ANY)
    pd_catf(buf, len, " [%s]", ecn_name(s->tos));
  if (pk->tos >= 0)
    pd_catf(buf, len, " (tos 0x%x)", s->tos);
  if (pk->ttl >= 0)
    pd_catf(buf, len, " (ttl %u)", s->ttl);
  pd_catf(buf, len, " %s %u:%u(%u)", flags_str(s->flags, fl), seq, seq + s->len, s->len);
  if ((s->flags & PD_F_ACK) || s->ack)
    pd_catf(buf, len, " ack %u", pd_rseq_script(c, s->ack));
  pd_catf(buf, len, " win %u", s->win);
  if ((s->flags & PD_F_URG) || s->urg)
    pd_catf(buf, len, " urg %u", s->urg);
  if (s->optlen) {
    char o[300];
    opts_str(c, s->opts, s->optlen, o, sizeof o);
    pd_catf(buf, len, " <%s>", o);
  }
  if (s->pieces > 1)
    pd_catf(buf, len, "   (%d segments joined)", s->pieces);
}

static int fail_seg(struct pd_run *run, const struct pd_event *ev, const struct pd_conn *c,
                    const struct seg *s, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail_seg(struct pd_run *run, const struct pd_event *ev, const struct pd_conn *c,
                    const struct seg *s, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  pd_fail(run, (int64_t)(s->t_ns / 1000), "%s", msg);
  snprintf(run->res->expected, sizeof run->res->expected, "%s", ev->src);
  seg_str(c, &ev->pkt, s, run->res->actual, sizeof run->res->actual);
  if (s->why[0])
    snprintf(run->res->note, sizeof run->res->note, "the stack sent it as: %s", s->why);
  return -1;
}

/* Joining segments (TSO/GSO aggregation) -------------------------------------- */

/* Whether b follows a as the next piece of one large segment. */
static bool continues(const struct seg *first, const struct seg *a, const struct seg *b) {
  const uint8_t loose = PD_F_FIN | PD_F_PSH | PD_F_CWR;
  return b->seq == a->seq + a->len && a->len == first->len && b->len > 0 &&
         (a->flags & ~loose) == (b->flags & ~loose) && !(a->flags & PD_F_FIN) &&
         a->ack == b->ack && a->win == b->win && a->optlen == b->optlen &&
         a->tos == b->tos;
}

static void join(struct seg *acc, const struct seg *b) {
  uint32_t seq = acc->seq;
  uint8_t cwr = acc->flags & PD_F_CWR;
  uint64_t t = acc->t_ns;
  uint32_t len = acc->len + b->len;
  bool nz = acc->nonzero || b->nonzero, bad = acc->bad_csum || b->bad_csum;
  int pieces = acc->pieces + 1;
  char why[96];
  memcpy(why, acc->why, sizeof why);
  *acc = *b;
  acc->seq = seq;
  acc->flags = (uint8_t)((acc->flags & ~PD_F_CWR) | cwr);
  acc->t_ns = t;
  acc->last_t_ns = b->t_ns;
  acc->len = len;
  acc->nonzero = nz;
  acc->bad_csum = bad;
  acc->pieces = pieces;
  memcpy(acc->why, why, sizeof why);
}

/* Add the following segments while the script's length is not reached. */
static void aggregate(struct pd_run *run, struct pd_conn *c, uint32_t want,
                      uint64_t deadline, struct seg *s) {
  struct seg first = *s, last = *s;
  if (run->cfg->strict_segments || (s->flags & (PD_F_SYN | PD_F_RST)))
    return;
  while (s->len < want) {
    size_t mark = run->net.next;
    struct seg b;
    if (!next_seg(run, c, deadline, &b))
      return;
    if (!continues(&first, &last, &b)) {
      run->net.next = mark;
      return;
    }
    join(s, &b);
    last = b;
  }
}

/* Field checks --------------------------------------------------------------- */

/* Expected options in live bytes, with the live TS values copied in (TS
 * val is checked separately, TS ecr never). */
static size_t expected_opts(const struct pd_packet *pk, const struct pd_conn *c,
                            const struct seg *s, uint8_t *p) {
  size_t n = pd_opts_encode(pk, p, pd_rseq_live, c);
  for (size_t k = 0; k + 10 <= n && k + 10 <= s->optlen;) {
    if (p[k] == 8 && s->opts[k] == 8 && s->opts[k + 1] == 10)
      memcpy(p + k + 2, s->opts + k + 2, 8);
    k += p[k] <= 1 ? 1 : p[k + 1] ? p[k + 1] : 1;
  }
  return n;
}

/* The TS option of the script and of the segment, if both have one. */
static bool ts_pair(const struct pd_packet *pk, const struct seg *s, uint32_t *script,
                    uint32_t *live) {
  bool have = false;
  for (int k = 0; k < pk->nopts; k++)
    if (pk->opts[k].kind == PD_OPT_TS) {
      *script = pk->opts[k].a;
      have = true;
    }
  for (size_t k = 0; have && k < s->optlen;) {
    if (s->opts[k] == 8 && k + 10 <= s->optlen) {
      *live = sn_get32(s->opts + k + 2);
      return true;
    }
    k += s->opts[k] <= 1 ? 1 : s->opts[k + 1] ? s->opts[k + 1] : 1;
  }
  return false;
}

static int check_tsval(struct pd_run *run, const struct pd_event *ev, const struct pd_conn *c,
                       const struct seg *s, int64_t sched_us) {
  uint32_t script, live;
  if (!run->cfg->ts_tick_usecs || !c->ts_first || !ts_pair(&ev->pkt, s, &script, &live))
    return 0;
  int64_t diff = (int64_t)(int32_t)(pd_ts_script(c, live) - script);
  int64_t tol = run->cfg->tolerance_usecs;
  int64_t pct = (int64_t)(run->cfg->tolerance_percent / 100.0 * (double)sched_us);
  if (pct > tol)
    tol = pct;
  if ((diff < 0 ? -diff : diff) * run->cfg->ts_tick_usecs > tol)
    return fail_seg(run, ev, c, s, "bad outbound TSval: expected %u, actual %u (%lld ticks "
                    "of %lld us off; tolerance %lld us)", script, pd_ts_script(c, live),
                    (long long)diff, (long long)run->cfg->ts_tick_usecs, (long long)tol);
  return 0;
}

static int check_options(struct pd_run *run, const struct pd_event *ev,
                         const struct pd_conn *c, const struct seg *s, int64_t sched_us) {
  const struct pd_packet *pk = &ev->pkt;
  if (pk->opts_any)
    return 0;
  uint8_t want[40];
  size_t n = expected_opts(pk, c, s, want);
  if (n != s->optlen || memcmp(want, s->opts, n) != 0) {
    char a[300] = "no options";
    if (s->optlen) {
      a[0] = '<';
      opts_str(c, s->opts, s->optlen, a + 1, sizeof a - 2);
      pd_catf(a, sizeof a, ">");
    }
    return fail_seg(run, ev, c, s, "bad outbound TCP options: expected %zu bytes as written, "
                    "actual %u bytes: %s", n, s->optlen, a);
  }
  return check_tsval(run, ev, c, s, sched_us);
}

static int check_ip(struct pd_run *run, const struct pd_event *ev, const struct pd_conn *c,
                    const struct seg *s) {
  const struct pd_packet *pk = &ev->pkt;
  int ecn = s->tos & 3;
  bool ecn_ok = pk->ecn == PD_ECN_ANY || pk->ecn == ecn ||
                (pk->ecn == PD_ECN_ECT01 && (ecn == PD_ECN_ECT0 || ecn == PD_ECN_ECT1));
  if (!ecn_ok)
    return fail_seg(run, ev, c, s, "bad outbound ECN field: actual %s", ecn_name(ecn));
  if (pk->tos >= 0 && pk->tos != s->tos)
    return fail_seg(run, ev, c, s, "bad outbound TOS: expected 0x%x, actual 0x%x", pk->tos,
                    s->tos);
  if (pk->ttl >= 0 && pk->ttl != s->ttl)
    return fail_seg(run, ev, c, s, "bad outbound TTL: expected %d, actual %u", pk->ttl,
                    s->ttl);
  return 0;
}

static int check_fields(struct pd_run *run, const struct pd_event *ev,
                        const struct pd_conn *c, const struct seg *s, int64_t sched_us) {
  const struct pd_packet *pk = &ev->pkt;
  char a[12], b[12];
  bool syn = s->flags & PD_F_SYN;
  if (s->bad_csum || s->ip_opts)
    return fail_seg(run, ev, c, s, "bad outbound packet: %s", s->bad_csum
                    ? "wrong IP or TCP checksum" : "the IP header has options");
  if (s->len != pk->len)
    return fail_seg(run, ev, c, s, "live packet payload: expected %u bytes vs actual %u bytes",
                    pk->len, s->len);
  if (s->flags != pk->flags || s->reserved)
    return fail_seg(run, ev, c, s, "bad outbound TCP flags: expected %s, actual %s%s",
                    flags_str(pk->flags, a), flags_str(s->flags, b),
                    s->reserved ? " with reserved bits set" : "");
  if (pd_lseq_script(c, s->seq, syn) != pk->seq)
    return fail_seg(run, ev, c, s, "bad outbound TCP sequence number: expected %u, actual %u",
                    pk->seq, pd_lseq_script(c, s->seq, syn));
  if (pk->has_ack && pd_rseq_script(c, s->ack) != pk->ack)
    return fail_seg(run, ev, c, s, "bad outbound TCP ack number: expected %u, actual %u",
                    pk->ack, pd_rseq_script(c, s->ack));
  if (!pk->has_ack && s->ack != 0)
    return fail_seg(run, ev, c, s, "bad outbound TCP ack field: the script writes no ack, "
                    "so it must be 0; actual %u", pd_rseq_script(c, s->ack));
  if (pk->has_win && s->win != pk->win)
    return fail_seg(run, ev, c, s, "bad outbound TCP window: expected %u, actual %u", pk->win,
                    s->win);
  if (s->urg != (pk->has_urg ? pk->urg : 0))
    return fail_seg(run, ev, c, s, "bad outbound TCP urgent pointer: expected %u, actual %u",
                    pk->has_urg ? pk->urg : 0, s->urg);
  if (check_options(run, ev, c, s, sched_us) || check_ip(run, ev, c, s))
    return -1;
  if (s->nonzero)
    return fail_seg(run, ev, c, s, "bad outbound payload: the data written was zeros");
  return 0;
}

static int check_time(struct pd_run *run, const struct pd_event *ev, const struct pd_conn *c,
                      const struct seg *s, int64_t sched_us, int64_t end_us, int64_t tol) {
  enum pd_time_kind k = ev->time.kind;
  if (k == PD_TIME_ANY)
    return 0;
  bool range = k == PD_TIME_ABS_RANGE || k == PD_TIME_REL_RANGE;
  int64_t hi = range ? end_us : sched_us;
  int64_t first = (int64_t)(s->t_ns / 1000), last = (int64_t)(s->last_t_ns / 1000);
  int64_t bad = first < sched_us - tol ? first : last > hi + tol ? last : -1;
  if (bad < 0)
    return 0;
  if (range)
    return fail_seg(run, ev, c, s, "timing error: expected outbound packet in time range "
                    "%.6f~%.6f s but it was sent at %.6f s (tolerance %.6f s)",
                    (double)sched_us / 1e6, (double)end_us / 1e6, (double)bad / 1e6,
                    (double)tol / 1e6);
  return fail_seg(run, ev, c, s, "timing error: expected outbound packet at %.6f s but it "
                  "was sent at %.6f s (tolerance %.6f s)", (double)sched_us / 1e6,
                  (double)bad / 1e6, (double)tol / 1e6);
}

/* After a match: the scripted TS val now stands for the live one. */
static void record_ts(struct pd_conn *c, const struct pd_packet *pk, const struct seg *s) {
  uint32_t script, live;
  if (!pk->opts_any && ts_pair(pk, s, &script, &live))
    pd_ts_record(c, script, live);
}

static void learn_isn(struct pd_conn *c, const struct pd_packet *pk, const struct seg *s) {
  if (c->liss_known || !(s->flags & PD_F_SYN))
    return;
  c->liss_known = true;
  c->liss = s->seq;
  c->liss_script = (pk->flags & PD_F_SYN) ? pk->seq : 0;
}

static void log_seg(struct pd_run *run, const struct pd_conn *c, const struct pd_packet *pk,
                    const struct seg *s) {
  char buf[600];
  if (!run->log)
    return;
  seg_str(c, pk, s, buf, sizeof buf);
  fprintf(run->log, "  %10.6f  %s   [%s]\n", (double)(s->t_ns / 1000) / 1e6, buf, s->why);
}

int pd_outbound(struct pd_run *run, const struct pd_event *ev, int64_t sched_us,
                int64_t end_us, int64_t tol_us, uint64_t deadline_ns) {
  struct pd_conn *c = pd_conn_cur(&run->conns);
  const struct pd_packet *pk = &ev->pkt;
  uint64_t from = run->net.now;
  struct seg s;
  if (!next_seg(run, c, deadline_ns, &s)) {
    pd_fail(run, pd_now_us(run), "error handling packet: Timed out waiting for packet");
    snprintf(run->res->expected, sizeof run->res->expected, "%s", ev->src);
    snprintf(run->res->actual, sizeof run->res->actual,
             "(nothing sent on the connection from %.6f s to %.6f s)", (double)from / 1e9,
             (double)run->net.now / 1e9);
    return -1;
  }
  learn_isn(c, pk, &s);
  aggregate(run, c, pk->len, deadline_ns, &s);
  log_seg(run, c, pk, &s);
  if (check_fields(run, ev, c, &s, sched_us) ||
      check_time(run, ev, c, &s, sched_us, end_us, tol_us))
    return -1;
  record_ts(c, pk, &s);
  return 0;
}
