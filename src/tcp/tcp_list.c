/*
 * tcp_list.c - a listing of connections in the manner of `ss -tan`.
 */
#include <stdio.h>

#include "api/sock.h"
#include "base/util.h"
#include "net/stack.h"
#include "synack/stack.h"
#include "tcp/tcp_impl.h"

static const char *short_state(int s) {
  switch (s) {
  case SN_TCP_ESTABLISHED: return "ESTAB";
  case SN_TCP_SYN_SENT: return "SYN-SENT";
  case SN_TCP_SYN_RECEIVED: return "SYN-RECV";
  default: return sn_tcp_state_name(s);
  }
}

/* The soonest armed deadline of tcb, as "name (time left)". */
static void timer_text(const struct sn_tcb *tcb, uint64_t now, char *buf,
                       size_t len) {
  int best = -1;
  for (int i = 0; i < SN_TT__COUNT; i++)
    if (tcb->deadline[i] && (best < 0 || tcb->deadline[i] < tcb->deadline[best]))
      best = i;
  if (best < 0) {
    snprintf(buf, len, "-");
    return;
  }
  uint64_t left = tcb->deadline[best] > now ? tcb->deadline[best] - now : 0;
  const char *name = best == SN_TT_STATE
                         ? (tcb->state == SN_TCP_TIME_WAIT ? "timewait" : "fin-timeout")
                         : sn_tcp_timer_name(best);
  snprintf(buf, len, "%s (%.3fs)", name, (double)left / 1e9);
}

static void line(FILE *out, const struct sn_tcb *tcb, uint64_t now) {
  char la[16], ra[16], l[32], r[32], tm[48];
  uint32_t recvq, sendq;
  if (tcb->state == SN_TCP_LISTEN) {
    recvq = tcb->lq.acc_n;
    sendq = tcb->lq.backlog;
    snprintf(r, sizeof r, "0.0.0.0:*");
  } else {
    recvq = tcb->rcvbuf.len;
    sendq = tcb->sndbuf.len;
    snprintf(r, sizeof r, "%s:%u", sn_ip4_fmt(tcb->raddr, ra), tcb->rport);
  }
  snprintf(l, sizeof l, "%s:%u", sn_ip4_fmt(tcb->laddr, la), tcb->lport);
  timer_text(tcb, now, tm, sizeof tm);
  fprintf(out, "%-11s %-7u %-7u %-21s %-21s %s%s\n", short_state(tcb->state),
          recvq, sendq, l, r, tm, tcb->sock ? "" : " orphan");
}

int sn_stack_dump_connections(const struct sn_stack *st, FILE *out) {
  int n = 0;
  fprintf(out, "%-11s %-7s %-7s %-21s %-21s %s\n", "State", "Recv-Q", "Send-Q",
          "Local Address:Port", "Peer Address:Port", "Timer");
  for (int i = 0; i < st->nsocks; i++) {
    const struct sn_sock *s = st->socks[i];
    if (s && s->tcb && s->tcb->state == SN_TCP_LISTEN) {
      line(out, s->tcb, st->now);
      n++;
    }
  }
  const struct sn_tcp_table *t = &st->tcp;
  for (uint32_t b = 0; b <= t->mask; b++)
    for (const struct sn_tcb *tcb = t->buckets[b]; tcb; tcb = tcb->hnext) {
      line(out, tcb, st->now);
      n++;
    }
  return n + sn_tw_dump(st, out);
}
