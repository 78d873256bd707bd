/*
 * runtime.h - running a stack on real time over real drivers: an event
 * loop, impairments for real links, and blocking calls for simple
 * programs.
 *
 * The event loop owns the waiting. It sleeps in epoll(7) on the drivers'
 * descriptors and on a timerfd armed at the earliest deadline (the stack's
 * sn_stack_next_deadline() and the impairments' held frames), so an idle
 * stack takes no CPU. Each round it reads every waiting frame, feeds it to
 * the stack with `now` = CLOCK_MONOTONIC in nanoseconds, polls the stack,
 * and writes what the stack sent in one batch per driver. One loop drives
 * one stack; a program may run several loops, one per thread.
 *
 * Everything runs on the loop's thread: socket readiness callbacks
 * (sn_set_event_cb) and fd watchers are called from inside
 * sn_loop_run_once(). The blocking calls at the end run the loop until
 * their socket is ready, so callbacks keep running while a program
 * "blocks".
 *
 * The loop is Linux (epoll, timerfd, signalfd); elsewhere sn_loop_new()
 * fails with -ENOSYS. The impairment wrapper is portable.
 */
#ifndef SYNACK_RUNTIME_H
#define SYNACK_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "drivers.h"
#include "netif.h"
#include "sim.h"
#include "socket.h"
#include "trace.h"

struct sn_stack;
struct sn_capture;

/* Impairments on a real link -------------------------------------------- */

/*
 * The simulator's impairments (struct sn_sim_impair: loss, burst loss,
 * delay, jitter, rate and queue, reordering, duplication, corruption)
 * around any link, with the simulator's model and draw order: a wrapper
 * link on the transmit side and a filter on the receive side. Frames that
 * must wait (delay, rate, reordering) are held in a timer queue that the
 * owner drains with sn_impair_link_poll() at
 * sn_impair_link_next_deadline(); the event loop does this by itself.
 */
struct sn_impair_link;

/* Where frames leave the receive filter (towards the stack). */
typedef void (*sn_impair_deliver_fn)(void *ctx, const uint8_t *frame,
                                     size_t len, uint64_t now);

/*
 * Wrap inner. tx and rx are the impairments of each direction (NULL:
 * none); seed fixes every random decision. Frames that pass the receive
 * filter go to deliver(ctx, ...). At most max_held frames (0: 65536) wait
 * in the timer queue; more are dropped as queue-full. Returns NULL and
 * sets *err: -EINVAL (a probability outside 0..1, no inner link or no
 * deliver function) or -ENOMEM.
 */
struct sn_impair_link *sn_impair_link_new(struct sn_link inner,
                                          const struct sn_sim_impair *tx,
                                          const struct sn_sim_impair *rx,
                                          uint64_t seed,
                                          sn_impair_deliver_fn deliver,
                                          void *ctx, size_t max_held,
                                          int *err);
void sn_impair_link_free(struct sn_impair_link *il);

/* The transmit side: give this link to the stack's interface. */
struct sn_link sn_impair_link_tx(struct sn_impair_link *il);

/* The receive side: a frame arrived from the wire at now. */
void sn_impair_link_rx(struct sn_impair_link *il, const uint8_t *frame,
                       size_t len, uint64_t now);

/* When the next held frame is due (SN_TIME_NEVER: none held). */
uint64_t sn_impair_link_next_deadline(const struct sn_impair_link *il);

/* Release every held frame due at or before now, in due order (ties in
 * the order they were held). */
void sn_impair_link_poll(struct sn_impair_link *il, uint64_t now);

/* What happened in a direction: SN_SIM_AB = transmit, SN_SIM_BA =
 * receive, SN_SIM_BOTH = the sums. dropped_queue counts frames the timer
 * queue had no room for as well. */
struct sn_sim_link_stats sn_impair_link_stats(const struct sn_impair_link *il,
                                              enum sn_sim_dir dir);

/* Trace drops, duplicates, corruptions and reorderings in category sim
 * with host `name` (copied); NULL fn stops. */
void sn_impair_link_set_trace(struct sn_impair_link *il, sn_trace_fn fn,
                              void *ctx, const char *name);

/* The event loop ---------------------------------------------------------- */

struct sn_loop;

/* Create a loop for st (not owned). Returns NULL and sets *err: -ENOSYS
 * (not Linux), -ENOMEM, -EMFILE, ... */
struct sn_loop *sn_loop_new(struct sn_stack *st, int *err);

/* Free the loop (not the stack, drivers or captures it was given). The
 * stack's interfaces transmit through the loop: free the stack first, or
 * stop using it. */
void sn_loop_free(struct sn_loop *lp);

/* The stack the loop drives. */
struct sn_stack *sn_loop_stack(const struct sn_loop *lp);

struct sn_loop_netif {
  const char *name;         /* interface name in the stack (NULL:
                               "eth<N>") */
  struct sn_driver *drv;    /* the driver (not owned) */
  uint8_t mac[6];           /* the stack's unicast MAC on this link */
  uint32_t mtu;             /* 0: the driver's; at most the driver's */
  struct sn_capture *cap;   /* record frames sent and received (not owned;
                               NULL: none). Timestamps are wall-clock
                               time; pcapng comments say why each frame
                               was sent. */
  const struct sn_sim_impair *impair; /* NULL: none; else applied to both
                                         directions */
  uint64_t impair_seed;
};

/*
 * Add an interface to the stack carried by a driver, and watch the
 * driver. Frames are captured as the stack sees them: sent frames before
 * the transmit impairment, received frames after the receive one.
 * Returns the interface index, or -EINVAL, -ENOSPC, -ENOMEM, or an error
 * of sn_netif_add().
 */
int sn_loop_add_netif(struct sn_loop *lp, const struct sn_loop_netif *p);

/* The impairment wrapper of an interface, or NULL if it has none. */
struct sn_impair_link *sn_loop_impair(struct sn_loop *lp, int ifindex);

/* CLOCK_MONOTONIC in nanoseconds: the `now` this loop gives the stack. */
uint64_t sn_loop_now(void);

/* Bring the stack's clock to the present (a poll with fresh time) before
 * calling the socket API outside a callback. */
void sn_loop_sync(struct sn_loop *lp);

/*
 * One round: write what is queued, wait until a driver or watched fd is
 * ready, a deadline passes, a caught signal arrives or timeout_ns elapses
 * (negative: no limit; 0: do not wait), then handle everything ready.
 * Returns 0, -EINTR if a caught signal arrived (see sn_loop_signal()), a
 * driver's negative errno once a driver has failed for good (its TAP
 * device was deleted, say: it is no longer watched, and every later round
 * returns the error at once), or another negative errno if waiting
 * failed.
 */
int sn_loop_run_once(struct sn_loop *lp, int64_t timeout_ns);

/* Run rounds until sn_loop_stop() is called or a caught signal arrives.
 * Returns 0 (stopped), -EINTR (signal) or a negative errno. */
int sn_loop_run(struct sn_loop *lp);
void sn_loop_stop(struct sn_loop *lp);

/*
 * Catch SIGINT and SIGTERM through the loop (they are blocked for the
 * thread and read from a signalfd): a round that sees one returns -EINTR,
 * and so do the blocking calls. Returns 0 or a negative errno.
 */
int sn_loop_catch_signals(struct sn_loop *lp);

/* The last caught signal (SIGINT, SIGTERM), or 0. */
int sn_loop_signal(const struct sn_loop *lp);

/* Forget the caught signal (so that the loop can run on, e.g. to finish
 * closing connections). */
void sn_loop_clear_signal(struct sn_loop *lp);

/*
 * Watch another descriptor: fn(ctx, fd, events) runs in the loop when fd
 * is ready for `events` (SN_POLLIN and/or SN_POLLOUT). Returns 0 or a
 * negative errno. Unwatch before closing fd.
 */
typedef void (*sn_fd_fn)(void *ctx, int fd, unsigned events);
int sn_loop_watch(struct sn_loop *lp, int fd, unsigned events, sn_fd_fn fn,
                  void *ctx);
int sn_loop_unwatch(struct sn_loop *lp, int fd);

/* TCP connections not yet fully closed (TIME-WAIT excluded). */
unsigned sn_loop_tcp_active(const struct sn_loop *lp);

/*
 * Run the loop until no TCP connection is left but those in TIME-WAIT, or
 * for at most timeout_ns. Used after closing every socket at exit, so the
 * peers see a proper close. Returns 0, -ETIMEDOUT or -EINTR.
 */
int sn_loop_drain(struct sn_loop *lp, int64_t timeout_ns);

/* Blocking calls ---------------------------------------------------------- */

/*
 * Each runs the loop until its socket is ready, for at most timeout_ns
 * (negative: no limit), and returns -ETIMEDOUT when time runs out or
 * -EINTR when a caught signal arrives. Sockets stay non-blocking
 * underneath; other sockets' callbacks keep running.
 */

/* Wait until sn_poll(sd) has one of `events` (SN_POLLERR and SN_POLLHUP
 * always count). Returns the bits, or a negative errno. */
int sn_blocking_wait(struct sn_loop *lp, int sd, unsigned events,
                     int64_t timeout_ns);

/* Connect a stream socket. Returns 0 or a negative errno (-ECONNREFUSED,
 * -ETIMEDOUT, -ENETUNREACH, -EHOSTUNREACH, ...). */
int sn_blocking_connect(struct sn_loop *lp, int sd,
                        const struct sn_sockaddr *addr, int64_t timeout_ns);

/* Accept a connection on a listening socket. Returns the new socket or a
 * negative errno. */
int sn_blocking_accept(struct sn_loop *lp, int sd, struct sn_sockaddr *peer,
                       int64_t timeout_ns);

/* Send all len bytes. Returns len, or a negative errno (-EPIPE,
 * -ECONNRESET, -ETIMEDOUT, -EINTR, ...); on failure an unknown part may
 * have been sent. */
ssize_t sn_blocking_send_all(struct sn_loop *lp, int sd, const void *buf,
                             size_t len, int64_t timeout_ns);

/* Receive at most len bytes once some are available. Returns the count,
 * 0 at end of stream, or a negative errno. */
ssize_t sn_blocking_recv(struct sn_loop *lp, int sd, void *buf, size_t len,
                         int64_t timeout_ns);

#endif
