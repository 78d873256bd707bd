/*
 * tcp_cc.h - the congestion control interface.
 *
 * An algorithm sees a narrow state struct, never the control block. The
 * engine calls it through the sn_cc_* wrappers below; hooks marked
 * "required" must be set, which sn_cc_register() checks. Windows are
 * counted in segments, as Linux does (cwnd 10 = ten full-sized segments).
 */
#ifndef SN_TCP_CC_H
#define SN_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

#define SN_CC_PRIV_BYTES 64
#define SN_CC_SSTHRESH_INF 0x7fffffffu

struct sn_cc_state {
  uint32_t cwnd;           /* congestion window, segments */
  uint32_t cwnd_cnt;       /* segments acked towards the next increase */
  uint32_t ssthresh;       /* slow start threshold, segments */
  uint32_t in_flight;      /* segments sent and not yet acked or lost */
  uint32_t mss;            /* sender MSS, bytes */
  uint32_t init_cwnd;      /* initial window, segments */
  uint64_t srtt_ns;        /* smoothed RTT (0: none yet) */
  uint64_t min_rtt_ns;     /* lowest RTT seen (0: none yet) */
  uint64_t now_ns;         /* time of the event */
  bool cwnd_limited;       /* the sender used its whole window lately */
  uint8_t priv[SN_CC_PRIV_BYTES] __attribute__((aligned(8)));
};

struct sn_cc_ops {
  const char *name;
  /* required: set cwnd/ssthresh for a new connection */
  void (*init)(struct sn_cc_state *s);
  /* required: `acked` segments were newly acknowledged outside recovery
   * (slow start and congestion avoidance) */
  void (*on_ack)(struct sn_cc_state *s, uint32_t acked, uint64_t rtt_ns);
  /* required: the ssthresh to use after a loss */
  uint32_t (*ssthresh)(struct sn_cc_state *s);
  /* optional: loss recovery starts (fast retransmit) / ends */
  void (*on_recovery)(struct sn_cc_state *s);
  void (*on_recovery_exit)(struct sn_cc_state *s);
  /* optional: a retransmission timeout */
  void (*on_rto)(struct sn_cc_state *s);
};

/* Register an algorithm; returns 0, -EINVAL (a required hook missing or a
 * bad name), -EEXIST or -ENOSPC. Reno and CUBIC are built in. */
int sn_cc_register(const struct sn_cc_ops *ops);
/* Find by name; NULL if unknown. */
const struct sn_cc_ops *sn_cc_find(const char *name);
/* Space-separated names, for error messages. */
const char *sn_cc_names(char *buf, unsigned len);

extern const struct sn_cc_ops sn_cc_reno;
extern const struct sn_cc_ops sn_cc_cubic;

#endif
