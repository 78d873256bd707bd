/*
 * sock.h (internal) - the socket object shared by the socket API and the
 * protocols: addresses, options, pending error, readiness callback, and the
 * datagram receive queue.
 */
#ifndef SN_API_SOCK_H
#define SN_API_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pbuf.h"
#include "synack/socket.h"

struct sn_stack;
struct sn_tcb;

struct sn_sock {
  struct sn_stack *st;
  int sd;
  enum sn_sock_type type;
  uint8_t proto;              /* SN_IPPROTO_UDP or SN_IPPROTO_TCP */
  bool bound, connected;
  bool reuseaddr, reuseport, no_check;
  uint32_t laddr;             /* 0: any */
  uint16_t lport;
  uint32_t raddr;
  uint16_t rport;
  int so_error;               /* pending error (positive errno), or 0 */
  uint32_t rcvbuf, sndbuf;    /* bytes, as SO_RCVBUF/SO_SNDBUF report */
  sn_event_fn event_fn;
  void *event_ctx;
  struct sn_sock *port_next;  /* chain in the protocol's port map */
  /* Datagram sockets: received datagrams, sender in pbuf->meta as
   * (addr << 16 | port). */
  struct sn_pbuf *rxq_head, *rxq_tail;
  uint32_t rxq_bytes;         /* buffer bytes charged to rcvbuf */
  /* Stream sockets: the connection (or listener), NULL before connect()
   * or listen(). */
  struct sn_tcb *tcb;
  struct sn_sock *wake_next;  /* on the stack's list of pending events */
  bool wake_pending;
};

struct sn_sock *sn_sock_get(struct sn_stack *st, int sd);

/* A new socket with a descriptor (NULL if memory or descriptors run out). */
struct sn_sock *sn_sock_new(struct sn_stack *st, enum sn_sock_type type);

/* Readiness may have changed: the socket's callback, if any, will be told
 * when the stack finishes what it is doing (sn_sock_flush_events), never
 * from inside protocol processing. */
void sn_sock_wake(struct sn_sock *s);

/* Deliver pending readiness events (end of each stack entry point). */
void sn_sock_flush_events(struct sn_stack *st);

/* Set the pending error and wake the socket. */
void sn_sock_set_error(struct sn_sock *s, int err);

/* An int option value (-EINVAL if too short). */
int sn_sockopt_int(const void *val, size_t len, int *out);
/* SO_RCVBUF/SO_SNDBUF as Linux stores them: capped by the *_max knob,
 * then doubled to cover bookkeeping (what getsockopt returns), at least
 * floor. */
uint32_t sn_sockopt_bufsize(int v, int64_t max, uint32_t floor);

/* Free every socket (stack teardown). */
void sn_sock_destroy_all(struct sn_stack *st);

/* Whether the application takes readiness events by callback. */
static inline bool sn_sock_has_callback(const struct sn_sock *s) {
  return s->event_fn != NULL;
}

#endif
