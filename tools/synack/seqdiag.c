/*
 * seqdiag.c - drawing the sequence diagram (see seqdiag.h).
 */
#include "seqdiag.h"

#include <string.h>

#define ARROW 44

static uint64_t u(const struct sn_trace_event *ev, const char *k) {
  const struct sn_trace_field *f = sn_trace_field(ev, k);
  return f ? f->v.u : 0;
}

static const char *s(const struct sn_trace_event *ev, const char *k) {
  const struct sn_trace_field *f = sn_trace_field(ev, k);
  return f && f->type == SN_TF_STR && f->v.s ? f->v.s : "";
}

void seqdiag_header(struct seqdiag *d) {
  fprintf(d->out, "\n%12s  %-*s%s\n", "time", ARROW + 2, d->left, d->right);
}

/* Relative sequence numbers: the event's own, or from the ISNs learnt
 * from the connection's earlier segments. */
static void relative(struct seqdiag *d, const struct sn_trace_event *ev,
                     uint32_t *rseq, uint32_t *rack) {
  uint64_t conn = u(ev, "conn");
  uint32_t seq = (uint32_t)u(ev, "seq"), ack = (uint32_t)u(ev, "ack");
  unsigned i = 0;
  while (i < d->nisn && d->isn[i].conn != conn)
    i++;
  if (sn_trace_field(ev, "rseq")) {
    *rseq = (uint32_t)u(ev, "rseq");
    *rack = (uint32_t)u(ev, "rack");
    if (i == d->nisn && i < sizeof d->isn / sizeof d->isn[0])
      d->nisn++;
    if (i < d->nisn && *rack) {
      d->isn[i].conn = conn;
      d->isn[i].iss = seq - *rseq;
      d->isn[i].irs = ack - *rack;
    }
    return;
  }
  *rseq = i < d->nisn ? seq - d->isn[i].iss : seq;
  *rack = i < d->nisn ? ack - d->isn[i].irs : ack;
}

/* "S.  seq 0 ack 1 len 0 win 65160" centred in an arrow. */
static void arrow(struct seqdiag *d, const struct sn_trace_event *ev) {
  bool to_right = !strcmp(ev->host, d->left);
  uint32_t rseq, rack;
  relative(d, ev, &rseq, &rack);
  char label[96];
  snprintf(label, sizeof label, " %s seq=%lu ack=%lu len=%llu win=%llu ",
           s(ev, "flags"), (unsigned long)rseq, (unsigned long)rack,
           (unsigned long long)u(ev, "len"), (unsigned long long)u(ev, "win"));
  char line[ARROW + 1];
  memset(line, '-', ARROW);
  line[ARROW] = 0;
  size_t n = strlen(label);
  if (n > ARROW - 4)
    n = ARROW - 4;
  memcpy(line + (ARROW - n) / 2, label, n);
  if (to_right)
    line[ARROW - 1] = '>';
  else
    line[0] = '<';
  fprintf(d->out, "%9.3f ms  |%s|  %s\n", (double)ev->time_ns / 1e6, line,
          s(ev, "why"));
  d->segments++;
}

static void state(struct seqdiag *d, const struct sn_trace_event *ev) {
  bool left = !strcmp(ev->host, d->left);
  char text[96];
  snprintf(text, sizeof text, "%s -> %s", s(ev, "from"), s(ev, "to"));
  if (left)
    fprintf(d->out, "%9.3f ms  %-*s  (%s)\n", (double)ev->time_ns / 1e6,
            ARROW + 2, text, s(ev, "why"));
  else
    fprintf(d->out, "%9.3f ms  %*s  (%s)\n", (double)ev->time_ns / 1e6,
            ARROW + 2, text, s(ev, "why"));
}

void seqdiag_sink(void *ctx, const struct sn_trace_event *ev) {
  struct seqdiag *d = ctx;
  if (d->other && d->other->json)
    sn_trace_sink_json(d->other->json, ev);
  if (ev->cat == SN_TC_tcp && !strcmp(ev->name, "tx")) {
    arrow(d, ev);
  } else if (ev->cat == SN_TC_tcp && !strcmp(ev->name, "state")) {
    state(d, ev);
  } else if (ev->cat == SN_TC_tcp && !strcmp(ev->name, "timewait-record")) {
    fprintf(d->out, "%9.3f ms  %s: the closed connection waits as a %llu-byte "
                    "TIME-WAIT record; its control block is freed\n",
            (double)ev->time_ns / 1e6, ev->host,
            (unsigned long long)u(ev, "bytes"));
  } else if (ev->cat == SN_TC_tcp && !strcmp(ev->name, "tx-rst")) {
    fprintf(d->out, "%9.3f ms  %s sends RST: %s\n", (double)ev->time_ns / 1e6,
            ev->host, s(ev, "why"));
  } else if (ev->cat == SN_TC_tcp && !strcmp(ev->name, "cwnd")) {
    char ss[24] = "infinite";
    if (u(ev, "ssthresh") < 0x7fffffff)
      snprintf(ss, sizeof ss, "%llu", (unsigned long long)u(ev, "ssthresh"));
    fprintf(d->out, "%9.3f ms  %s: cwnd %llu segments, ssthresh %s (%s)\n",
            (double)ev->time_ns / 1e6, ev->host,
            (unsigned long long)u(ev, "cwnd"), ss, s(ev, "why"));
  } else if (ev->cat == SN_TC_sim && !strcmp(ev->name, "drop")) {
    fprintf(d->out, "%9.3f ms  %*s  the link loses the %s -> %s segment above (%s)\n",
            (double)ev->time_ns / 1e6, ARROW / 2, "X", s(ev, "from"),
            s(ev, "to"), s(ev, "detail"));
    d->lost++;
  } else if (ev->cat == SN_TC_app && d->other && d->other->out) {
    const char *n = ev->name;
    if (!strcmp(n, "connect") || !strcmp(n, "listen") || !strcmp(n, "accept") ||
        !strcmp(n, "close") || !strcmp(n, "shutdown")) {
      fprintf(d->out, "%9.3f ms  %s calls %s()\n", (double)ev->time_ns / 1e6,
              ev->host, n);
    }
  }
}
