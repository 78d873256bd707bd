/*
 * blocking.c - blocking socket calls for simple programs: each runs the
 * event loop until its (non-blocking) socket is ready, a timeout passes
 * or a caught signal arrives (see synack/runtime.h).
 */
#include <errno.h>
#include <stdbool.h>

#include "synack/runtime.h"
#include "synack/socket.h"
#include "synack/stack.h"

static uint64_t end_of(int64_t timeout_ns) {
  return timeout_ns < 0 ? SN_TIME_NEVER : sn_loop_now() + (uint64_t)timeout_ns;
}

/* Time left until end (-1: no limit), 0 once it has passed. */
static int64_t left(uint64_t end) {
  if (end == SN_TIME_NEVER)
    return -1;
  uint64_t now = sn_loop_now();
  return now >= end ? 0 : (int64_t)(end - now);
}

/* Wait until end for one of events; returns the bits or a negative errno. */
static int wait_until(struct sn_loop *lp, int sd, unsigned events,
                      uint64_t end) {
  struct sn_stack *st = sn_loop_stack(lp);
  int type;
  size_t tl = sizeof type;
  int e = sn_getsockopt(st, sd, SN_SOL_SOCKET, SN_SO_TYPE, &type, &tl);
  if (e < 0)
    return e;
  events |= SN_POLLERR | SN_POLLHUP;
  sn_loop_sync(lp);
  for (;;) {
    unsigned ev = sn_poll(st, sd) & events;
    if (ev)
      return (int)ev;
    int64_t t = left(end);
    if (t == 0)
      return -ETIMEDOUT;
    int r = sn_loop_run_once(lp, t);
    if (r < 0)
      return r;
  }
}

/* The socket's pending error, as a negative errno (0: none). */
static int so_error(struct sn_stack *st, int sd) {
  int e = 0;
  size_t l = sizeof e;
  if (sn_getsockopt(st, sd, SN_SOL_SOCKET, SN_SO_ERROR, &e, &l) < 0)
    return 0;
  return -e;
}

int sn_blocking_wait(struct sn_loop *lp, int sd, unsigned events,
                     int64_t timeout_ns) {
  return wait_until(lp, sd, events, end_of(timeout_ns));
}

int sn_blocking_connect(struct sn_loop *lp, int sd,
                        const struct sn_sockaddr *addr, int64_t timeout_ns) {
  struct sn_stack *st = sn_loop_stack(lp);
  uint64_t end = end_of(timeout_ns);
  sn_loop_sync(lp);
  int r = sn_connect(st, sd, addr);
  if (r != -EINPROGRESS && r != -EALREADY)
    return r;
  r = wait_until(lp, sd, SN_POLLOUT, end);
  if (r < 0)
    return r;
  int e = so_error(st, sd);
  if (e)
    return e;
  r = sn_connect(st, sd, addr);
  return r == -EISCONN ? 0 : r < 0 ? r : 0;
}

int sn_blocking_accept(struct sn_loop *lp, int sd, struct sn_sockaddr *peer,
                       int64_t timeout_ns) {
  struct sn_stack *st = sn_loop_stack(lp);
  uint64_t end = end_of(timeout_ns);
  for (;;) {
    sn_loop_sync(lp);
    int c = sn_accept(st, sd, peer);
    if (c != -EAGAIN)
      return c;
    int r = wait_until(lp, sd, SN_POLLIN, end);
    if (r < 0)
      return r;
    if (!(r & SN_POLLIN)) {
      int e = so_error(st, sd);
      return e ? e : -EINVAL;
    }
  }
}

ssize_t sn_blocking_send_all(struct sn_loop *lp, int sd, const void *buf,
                             size_t len, int64_t timeout_ns) {
  struct sn_stack *st = sn_loop_stack(lp);
  uint64_t end = end_of(timeout_ns);
  const char *p = buf;
  size_t done = 0;
  sn_loop_sync(lp);
  while (done < len) {
    ssize_t n = sn_send(st, sd, p + done, len - done, 0);
    if (n > 0) {
      done += (size_t)n;
      continue;
    }
    if (n != -EAGAIN && n != 0)
      return n;
    int r = wait_until(lp, sd, SN_POLLOUT, end);
    if (r < 0)
      return r;
    if (!(r & SN_POLLOUT)) {
      int e = so_error(st, sd);
      return e ? e : -EPIPE;
    }
  }
  return (ssize_t)len;
}

ssize_t sn_blocking_recv(struct sn_loop *lp, int sd, void *buf, size_t len,
                         int64_t timeout_ns) {
  struct sn_stack *st = sn_loop_stack(lp);
  uint64_t end = end_of(timeout_ns);
  sn_loop_sync(lp);
  bool hung_up = false;
  for (;;) {
    ssize_t n = sn_recv(st, sd, buf, len, 0);
    if (n != -EAGAIN)
      return n;
    if (hung_up) {
      /* Ready without data: an error, or nothing more will come. */
      int e = so_error(st, sd);
      return e ? e : 0;
    }
    int r = wait_until(lp, sd, SN_POLLIN | SN_POLLRDHUP, end);
    if (r < 0)
      return r;
    hung_up = !(r & SN_POLLIN);
  }
}
