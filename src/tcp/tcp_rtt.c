/*
 * tcp_rtt.c - round-trip time estimation and the retransmission timeout.
 *
 * RFC 6298 §2 with K = 4, G = 0. Profile `rfc`:
 *   RTO = max(rto_min, SRTT + 4 RTTVAR).
 * Profile `linux` follows Linux's estimator: the variance term is
 * floored at rto_min and decays at most once per window, so
 *   RTO = SRTT + max(4 RTTVAR, rto_min)   (100 ms RTT -> 300 ms RTO).
 * Both are capped at rto_max; backoff doubles the RTO per timeout
 * (RFC 6298 (5.5)).
 */
#include "base/util.h"
#include "net/stack.h"
#include "tcp/tcp_impl.h"

static uint64_t rto_min(const struct sn_tcb *tcb) {
  return (uint64_t)tcb->st->cfg.tcp_rto_min_us * SN_NSEC_PER_USEC;
}

static uint64_t rto_max(const struct sn_tcb *tcb) {
  return (uint64_t)tcb->st->cfg.tcp_rto_max_ms * SN_NSEC_PER_MSEC;
}

static uint64_t diff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

void sn_tcp_rtt_sample(struct sn_tcb *tcb, uint64_t r) {
  if (r == 0)
    r = 1;
  bool linux_profile = tcb->st->cfg.profile == SN_PROFILE_LINUX;
  if (!tcb->min_rtt || r < tcb->min_rtt)
    tcb->min_rtt = r;
  if (tcb->srtt == 0) { /* RFC 6298 (2.2) */
    tcb->srtt = r;
    tcb->rttvar = r / 2;
  } else {              /* RFC 6298 (2.3): beta 1/4, alpha 1/8 */
    tcb->rttvar = tcb->rttvar - tcb->rttvar / 4 + diff(tcb->srtt, r) / 4;
    tcb->srtt = tcb->srtt - tcb->srtt / 8 + r / 8;
  }
  uint64_t var = 4 * tcb->rttvar;
  uint64_t rto;
  if (linux_profile)
    rto = tcb->srtt + SN_MAX(var, rto_min(tcb));
  else
    rto = SN_MAX(rto_min(tcb), tcb->srtt + var);
  tcb->rto = SN_MIN(rto, rto_max(tcb));
  tcb->ccs.srtt_ns = tcb->srtt;
  tcb->ccs.min_rtt_ns = tcb->min_rtt;
  SN_TCP_TRACE(tcb, "rtt", SN_TF_T("sample", r), SN_TF_T("srtt", tcb->srtt),
               SN_TF_T("rttvar", tcb->rttvar), SN_TF_T("rto", tcb->rto));
}

uint64_t sn_tcp_rto_now(const struct sn_tcb *tcb) {
  uint64_t rto = tcb->rto;
  for (unsigned i = 0; i < tcb->backoff && rto < rto_max(tcb); i++)
    rto *= 2;
  return SN_MIN(rto, rto_max(tcb));
}
