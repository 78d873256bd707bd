/*
 * socket.h - the BSD-style socket API over a synack stack.
 *
 * Sockets are small integers local to one stack. Every call is
 * non-blocking and returns a negative errno on failure (sn_strerror()
 * names it); readiness is reported by sn_poll() and by an optional
 * callback, for event loops. Addresses and ports are in host byte order.
 *
 * TCP and UDP have separate port spaces: the same number may be bound by
 * a TCP and a UDP socket at once.
 */
#ifndef SYNACK_SOCKET_H
#define SYNACK_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sn_stack;

enum sn_sock_type { SN_SOCK_STREAM = 1, SN_SOCK_DGRAM = 2 };

/* IPv4 socket address, host byte order. */
struct sn_sockaddr {
  uint32_t addr; /* 0 = any */
  uint16_t port; /* 0 = any / pick one */
};

/* Readiness bits (values match poll(2)). */
#define SN_POLLIN 0x001
#define SN_POLLOUT 0x004
#define SN_POLLERR 0x008
#define SN_POLLHUP 0x010
#define SN_POLLRDHUP 0x2000

/* Socket-level option levels and names (values match Linux). */
#define SN_SOL_SOCKET 1
#define SN_SO_REUSEADDR 2
#define SN_SO_TYPE 3
#define SN_SO_ERROR 4
#define SN_SO_SNDBUF 7
#define SN_SO_RCVBUF 8
#define SN_SO_KEEPALIVE 9
#define SN_SO_NO_CHECK 11
#define SN_SO_LINGER 13
#define SN_SO_REUSEPORT 15

/* TCP-level options (level SN_IPPROTO_TCP; values match Linux). */
#define SN_IPPROTO_TCP 6
#define SN_TCP_NODELAY 1
#define SN_TCP_MAXSEG 2
#define SN_TCP_CORK 3
#define SN_TCP_KEEPIDLE 4
#define SN_TCP_KEEPINTVL 5
#define SN_TCP_KEEPCNT 6
#define SN_TCP_INFO 11
#define SN_TCP_QUICKACK 12
#define SN_TCP_CONGESTION 13
#define SN_TCP_USER_TIMEOUT 18

/* SO_LINGER's value. */
struct sn_linger {
  int l_onoff;
  int l_linger; /* seconds */
};

/* shutdown() directions. */
#define SN_SHUT_RD 0
#define SN_SHUT_WR 1
#define SN_SHUT_RDWR 2

/* send/recv flags (values match Linux). */
#define SN_MSG_PEEK 0x02
#define SN_MSG_TRUNC 0x20

/* Create a socket. Returns its descriptor (>= 0), -EINVAL (unknown type),
 * -EMFILE or -ENOMEM. */
int sn_socket(struct sn_stack *st, enum sn_sock_type type);

/*
 * Bind to a local address and port. Port 0 picks an ephemeral port from
 * ip_local_port_range. Returns 0, -EBADF, -EINVAL (already bound),
 * -EADDRNOTAVAIL (not an address of this stack), -EADDRINUSE.
 */
int sn_bind(struct sn_stack *st, int sd, const struct sn_sockaddr *addr);

/*
 * UDP: fix the peer (datagrams from others are then ignored); addr 0 port
 * 0 dissolves the association. Binds first if needed. Returns 0, -EBADF,
 * -ENETUNREACH, -EINVAL.
 * TCP: start the three-way handshake and return -EINPROGRESS; completion
 * shows as SN_POLLOUT (or SN_POLLERR, with SO_ERROR saying why). A second
 * call returns -EALREADY while connecting, -EISCONN once connected, or
 * the error that ended the attempt (-ECONNREFUSED, -ETIMEDOUT, ...).
 */
int sn_connect(struct sn_stack *st, int sd, const struct sn_sockaddr *addr);

/*
 * Send a datagram to dst (NULL: the connected peer). Returns the bytes
 * sent, or -EBADF, -EDESTADDRREQ (no destination), -EMSGSIZE (more than
 * 65507 bytes, or more than the MTU with DF), -ENETUNREACH, -ENOBUFS,
 * -EINVAL.
 */
ssize_t sn_sendto(struct sn_stack *st, int sd, const void *buf, size_t len,
                  int flags, const struct sn_sockaddr *dst);
ssize_t sn_send(struct sn_stack *st, int sd, const void *buf, size_t len,
                int flags);

/*
 * Receive one datagram into buf (the excess of a longer one is discarded
 * unless MSG_PEEK; with MSG_TRUNC the full length is returned). src, if
 * not NULL, receives the sender. Returns the length, -EAGAIN when nothing
 * is queued, -EBADF, or a pending error such as -ECONNREFUSED (an ICMP port
 * unreachable for a connected socket).
 */
ssize_t sn_recvfrom(struct sn_stack *st, int sd, void *buf, size_t len,
                    int flags, struct sn_sockaddr *src);
ssize_t sn_recv(struct sn_stack *st, int sd, void *buf, size_t len,
                int flags);

/*
 * TCP: listen for connections with an accept queue of `backlog` (capped
 * by somaxconn). Binds an ephemeral port if unbound. Returns 0, -EBADF,
 * -EOPNOTSUPP (not a stream socket), -EINVAL (connected), -EADDRINUSE.
 */
int sn_listen(struct sn_stack *st, int sd, int backlog);

/*
 * TCP: take a finished handshake from the accept queue. Returns the new
 * socket (and the peer in *peer if not NULL), -EAGAIN if none is ready,
 * -EINVAL if sd is not listening, -EBADF.
 */
int sn_accept(struct sn_stack *st, int sd, struct sn_sockaddr *peer);

/*
 * TCP: close one or both directions (SN_SHUT_RD, SN_SHUT_WR, SN_SHUT_RDWR).
 * SHUT_WR sends a FIN after the queued data; later sends fail with -EPIPE.
 * SHUT_RD makes recv() return 0. Returns 0, -EBADF, -EINVAL, -ENOTCONN.
 */
int sn_shutdown(struct sn_stack *st, int sd, int how);

/*
 * Close the socket and free its resources. TCP: as RFC 9293 §3.10.4 and
 * Linux: a FIN after the queued data; a RST instead if received data was
 * left unread (RFC 2525 §2.17) or SO_LINGER is {1, 0}. The connection
 * finishes its close after the socket is gone. Returns 0 or -EBADF.
 */
int sn_close(struct sn_stack *st, int sd);

/* What TCP_INFO reports (names as Linux's struct tcp_info). Times in µs. */
struct sn_tcp_info {
  uint8_t tcpi_state;        /* RFC 9293 state, 0 CLOSED .. 10 TIME-WAIT
                                (this stack's order, see sn_tcp_state_str) */
  uint8_t tcpi_ca_state;     /* 0 Open, 1 Disorder, 2 CWR, 3 Recovery,
                                4 Loss (Linux's values) */
  uint8_t tcpi_retransmits;  /* consecutive timeouts */
  uint8_t tcpi_probes;       /* unanswered zero-window/keepalive probes */
  uint8_t tcpi_backoff;
  uint8_t tcpi_options;      /* 1 timestamps, 2 SACK, 4 window scaling */
  uint8_t tcpi_snd_wscale, tcpi_rcv_wscale;
  uint32_t tcpi_rto, tcpi_ato;
  uint32_t tcpi_snd_mss, tcpi_rcv_mss, tcpi_advmss;
  uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans;
  uint32_t tcpi_rtt, tcpi_rttvar, tcpi_min_rtt;
  uint32_t tcpi_snd_ssthresh, tcpi_snd_cwnd, tcpi_reordering;
  uint32_t tcpi_total_retrans;
  uint32_t tcpi_snd_wnd, tcpi_rcv_wnd;
  uint32_t tcpi_notsent_bytes, tcpi_rcv_queued;
  uint64_t tcpi_bytes_acked, tcpi_bytes_received;
  char tcpi_ca_name[16];
};
#define SN_TCPI_OPT_TIMESTAMPS 1
#define SN_TCPI_OPT_SACK 2
#define SN_TCPI_OPT_WSCALE 4

/* Fill *info for a TCP socket. Returns 0, -EBADF, -EOPNOTSUPP, -ENOTCONN. */
int sn_tcp_info(struct sn_stack *st, int sd, struct sn_tcp_info *info);

/* "ESTABLISHED", "TIME-WAIT", ...: a tcpi_state value in the RFC's spelling. */
const char *sn_tcp_state_str(int state);

/* Options; optlen is in/out for get. Returns 0, -EBADF, -ENOPROTOOPT,
 * -EINVAL. Integer options take an int. */
int sn_setsockopt(struct sn_stack *st, int sd, int level, int name,
                  const void *val, size_t len);
int sn_getsockopt(struct sn_stack *st, int sd, int level, int name, void *val,
                  size_t *len);

/* Local and peer addresses. Return 0, -EBADF, -ENOTCONN. */
int sn_getsockname(struct sn_stack *st, int sd, struct sn_sockaddr *out);
int sn_getpeername(struct sn_stack *st, int sd, struct sn_sockaddr *out);

/* Current readiness bits of a socket (0 for a bad descriptor). */
unsigned sn_poll(struct sn_stack *st, int sd);

/*
 * Call fn(ctx, sd, events) whenever the socket's readiness may have
 * changed; NULL removes it. Returns 0 or -EBADF. The callback runs inside
 * the stack: it may call the socket API but must not free the stack.
 */
typedef void (*sn_event_fn)(void *ctx, int sd, unsigned events);
int sn_set_event_cb(struct sn_stack *st, int sd, sn_event_fn fn, void *ctx);

/* A static description of a (positive or negative) errno value. */
const char *sn_strerror(int err);

#endif
