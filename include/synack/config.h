/*
 * config.h - run-time configuration of a stack: profiles and knobs.
 *
 * Every knob has Linux's sysctl name where Linux has one, so that a value
 * read off `sysctl -a` can be set here unchanged. Two profiles give the
 * defaults: `linux` (what a current Linux kernel does) and `rfc` (the
 * values the RFCs recommend). Knobs are plain integers in the unit their
 * name says; vector knobs (tcp_rmem and friends) hold up to three values.
 */
#ifndef SYNACK_CONFIG_H
#define SYNACK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum sn_profile { SN_PROFILE_LINUX = 0, SN_PROFILE_RFC = 1 };

/*
 * X(name, linux_default, rfc_default, min, max, unit, description)
 * Scalar knobs.
 */
#define SN_KNOBS(X)                                                            \
  X(ip_default_ttl, 64, 64, 1, 255, "hops",                                    \
    "TTL of IPv4 packets this host originates")                                \
  X(ipfrag_time, 30, 60, 1, 3600, "s",                                         \
    "how long a partly reassembled datagram is kept (RFC 1122 3.3.2)")         \
  X(ipfrag_high_thresh, 4194304, 4194304, 65536, 1073741824, "bytes",          \
    "memory all reassemblies together may hold")                               \
  X(neigh_base_reachable_time_ms, 30000, 30000, 1000, 86400000, "ms",          \
    "how long a resolved ARP entry is trusted before it is re-probed")         \
  X(neigh_retrans_time_ms, 1000, 1000, 10, 60000, "ms",                        \
    "interval between ARP requests for one address")                           \
  X(neigh_mcast_solicit, 3, 3, 1, 100, "requests",                             \
    "broadcast ARP requests before resolution fails")                          \
  X(neigh_ucast_solicit, 3, 3, 0, 100, "requests",                             \
    "unicast probes of a stale entry before it is dropped")                    \
  X(neigh_unres_qlen_bytes, 212992, 212992, 0, 1073741824, "bytes",            \
    "packets one unresolved address may queue")                                \
  X(neigh_gc_thresh3, 1024, 1024, 4, 1048576, "entries",                       \
    "largest number of ARP cache entries")                                     \
  X(route_min_pmtu, 552, 68, 68, 65535, "bytes",                               \
    "smallest path MTU an ICMP message may impose (RFC 1191)")                 \
  X(route_mtu_expires, 600, 600, 1, 86400, "s",                                \
    "how long a learned path MTU is kept (RFC 1191 §6.3: 10 minutes)")         \
  X(icmp_msgs_per_sec, 1000, 1000, 0, 1000000, "msgs/s",                       \
    "ICMP errors per second the stack may send (0 = no limit)")                        \
  X(icmp_msgs_burst, 50, 50, 1, 1000000, "msgs",                               \
    "ICMP errors the stack may send in a burst")                        \
  X(icmp_echo_ignore_all, 0, 0, 0, 1, "bool", "ignore echo requests")          \
  X(rmem_default, 212992, 212992, 256, 1073741824, "bytes",                    \
    "default receive buffer of a datagram socket")                             \
  X(wmem_default, 212992, 212992, 256, 1073741824, "bytes",                    \
    "default send buffer of a datagram socket")                                \
  X(rmem_max, 212992, 212992, 256, 1073741824, "bytes",                        \
    "largest SO_RCVBUF an application may set")                                \
  X(wmem_max, 212992, 212992, 256, 1073741824, "bytes",                        \
    "largest SO_SNDBUF an application may set")                                \
  X(pbuf_max_bytes, 268435456, 268435456, 1048576, 68719476736, "bytes",       \
    "memory the packet buffer pools may take from the allocator")              \
  X(somaxconn, 4096, 4096, 1, 65535, "connections",                            \
    "largest accept queue listen() may ask for")                               \
  X(tcp_max_syn_backlog, 4096, 4096, 1, 1048576, "connections",                \
    "half-open connections a listener keeps without SYN cookies")              \
  X(tcp_syncookies, 1, 1, 0, 2, "mode",                                        \
    "0 never, 1 when the SYN queue overflows, 2 always")                       \
  X(tcp_abort_on_overflow, 0, 0, 0, 1, "bool",                                 \
    "answer a handshake the accept queue cannot take with RST")                \
  X(tcp_syn_retries, 6, 6, 1, 127, "retries",                                  \
    "SYN retransmissions before connect() fails with ETIMEDOUT")               \
  X(tcp_syn_linear_timeouts, 4, 0, 0, 127, "retries",                          \
    "first SYN retransmissions at a fixed 1 s before backing off")             \
  X(tcp_synack_retries, 5, 5, 1, 255, "retries",                               \
    "SYN-ACK retransmissions before a half-open connection is dropped")        \
  X(tcp_retries2, 15, 15, 1, 255, "retries",                                   \
    "data retransmissions before the connection is dropped (ETIMEDOUT)")       \
  X(tcp_orphan_retries, 0, 0, 0, 255, "retries",                               \
    "retransmissions for a closed socket's FIN (0 means 8)")                   \
  X(tcp_fin_timeout, 60, 60, 1, 86400, "s",                                    \
    "how long a closed socket waits in FIN-WAIT-2 for the peer's FIN")         \
  X(tcp_timewait_len, 60, 240, 1, 3600, "s",                                   \
    "TIME-WAIT length (2MSL): Linux's fixed 60 s; RFC 9293 2 x 120 s")         \
  X(tcp_max_tw_buckets, 262144, 262144, 0, 16777216, "connections",            \
    "TIME-WAIT connections kept at most")                                      \
  X(tcp_tw_reuse, 2, 0, 0, 2, "mode",                                          \
    "reuse TIME-WAIT for new outgoing connections: 0 no, 1 yes, 2 loopback")   \
  X(tcp_rfc1337, 0, 1, 0, 1, "bool",                                           \
    "1: a RST does not end TIME-WAIT (RFC 1337's fix for assassination)")       \
  X(tcp_keepalive_time, 7200, 7200, 1, 32767, "s",                             \
    "idle time before the first keepalive probe")                              \
  X(tcp_keepalive_intvl, 75, 75, 1, 32767, "s",                                \
    "time between keepalive probes")                                           \
  X(tcp_keepalive_probes, 9, 9, 1, 127, "probes",                              \
    "unanswered keepalive probes before the connection is dropped")            \
  X(tcp_timestamps, 1, 1, 0, 1, "bool", "offer timestamps (RFC 7323)")         \
  X(tcp_sack, 1, 1, 0, 1, "bool", "offer selective acknowledgements (RFC 2018)") \
  X(tcp_dsack, 1, 1, 0, 1, "bool", "report duplicates with DSACK (RFC 2883)")  \
  X(tcp_window_scaling, 1, 1, 0, 1, "bool", "offer window scaling (RFC 7323)") \
  X(tcp_ecn, 2, 0, 0, 2, "mode",                                               \
    "ECN (RFC 3168): 0 off, 1 ask for it and accept it, 2 accept it only")    \
  X(tcp_challenge_ack_limit, 2147483647, 1000, 1, 2147483647, "acks/s",        \
    "challenge ACKs (RFC 5961) per second, stack-wide")                        \
  X(tcp_invalid_ratelimit, 500, 500, 0, 3600000, "ms",                         \
    "least time between challenge or duplicate ACKs of one socket")            \
  X(tcp_rto_min_us, 200000, 1000000, 1000, 120000000, "us",                    \
    "lowest retransmission timeout (RFC 6298 (2.4) says 1 s)")                 \
  X(tcp_rto_max_ms, 120000, 60000, 1000, 600000, "ms",                         \
    "highest retransmission timeout")                                          \
  X(tcp_rto_init_ms, 1000, 1000, 10, 60000, "ms",                              \
    "retransmission timeout before any RTT sample (RFC 6298 (2.1))")           \
  X(tcp_delack_min_ms, 40, 200, 1, 500, "ms",                                  \
    "shortest delayed-ACK timeout")                                            \
  X(tcp_delack_max_ms, 200, 200, 1, 500, "ms",                                 \
    "longest delayed-ACK timeout (RFC 1122: under 500 ms)")                    \
  X(tcp_init_cwnd, 10, 0, 0, 1000, "segments",                                 \
    "initial congestion window (0: RFC 3390's formula from the MSS)")          \
  X(tcp_slow_start_after_idle, 1, 1, 0, 1, "bool",                             \
    "restart slow start after an idle RTO (RFC 5681 4.1)")                     \
  X(tcp_reordering, 3, 3, 1, 300, "segments",                                  \
    "duplicate ACKs that trigger fast retransmit")                             \
  X(tcp_recovery, 1, 0, 0, 1, "bool",                                          \
    "RACK time-based loss detection (RFC 8985); 0: RFC 6675 DupThresh")       \
  X(tcp_early_retrans, 3, 0, 0, 4, "mode",                                     \
    "tail loss probes (RFC 8985 TLP) when 3 or 4, as in Linux; 0: off")

/* X(name, n, linux(a,b,c), rfc(a,b,c), min, max, unit, description) */
#define SN_VKNOBS(X)                                                           \
  X(ip_local_port_range, 2, (32768, 60999, 0), (49152, 65535, 0), 1,       \
    65535, "port", "ephemeral ports for connect() and unbound sends")          \
  X(tcp_rmem, 3, (4096, 131072, 6291456), (4096, 131072, 6291456), 1024,       \
    1073741824, "bytes", "receive buffer: min, default, max")                  \
  X(tcp_wmem, 3, (4096, 16384, 4194304), (4096, 16384, 4194304), 1024,         \
    1073741824, "bytes", "send buffer: min, default, max")

/* X(name, linux, rfc, description): text knobs (up to 15 characters). */
#define SN_SKNOBS(X)                                                           \
  X(tcp_congestion_control, "cubic", "reno",                                   \
    "congestion control of new connections")

#define SN_CFG_SCALAR_(name, l, r, lo, hi, unit, desc) int64_t name;
#define SN_CFG_VECTOR_(name, n, l, r, lo, hi, unit, desc) int64_t name[3];
#define SN_CFG_STRING_(name, l, r, desc) char name[16];
struct sn_config {
  enum sn_profile profile;
  SN_KNOBS(SN_CFG_SCALAR_)
  SN_VKNOBS(SN_CFG_VECTOR_)
  SN_SKNOBS(SN_CFG_STRING_)
};
#undef SN_CFG_STRING_
#undef SN_CFG_SCALAR_
#undef SN_CFG_VECTOR_

/* Fill *cfg with the defaults of a profile. */
void sn_config_default(struct sn_config *cfg, enum sn_profile profile);

/* Parse a profile name ("linux", "rfc"); returns 0 or -EINVAL. */
int sn_profile_parse(const char *name, enum sn_profile *out);
const char *sn_profile_name(enum sn_profile profile);

/*
 * Set a knob by name from text: "64", or "4096 131072 6291456" for a vector
 * knob. Returns 0, -ENOENT for an unknown name, -EINVAL for text that is not
 * a number (or the wrong count of numbers), -ERANGE for a value outside the
 * knob's range. On error *cfg is unchanged.
 */
int sn_config_set(struct sn_config *cfg, const char *name, const char *value);

/* Write a knob's value as text into buf; returns 0, -ENOENT or -ENOSPC. */
int sn_config_get(const struct sn_config *cfg, const char *name, char *buf,
                  size_t len);

/* Description of knob i (0-based) for listings; returns NULL past the end. */
struct sn_knob_info {
  const char *name;
  const char *unit;
  const char *desc;
  int64_t min, max;
  int count; /* 1 for scalars, 2 or 3 for vectors, 0 for text */
};
const struct sn_knob_info *sn_config_knob(size_t i);

#endif
