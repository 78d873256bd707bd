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

/* Close the socket and free its resources. Returns 0 or -EBADF. */
int sn_close(struct sn_stack *st, int sd);

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
