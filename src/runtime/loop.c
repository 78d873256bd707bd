/*
 * loop.c - the event loop that runs a stack over real drivers (see
 * synack/runtime.h).
 *
 * One epoll instance watches: each driver's descriptor, a timerfd armed
 * (absolute, CLOCK_MONOTONIC) at the earliest of the stack's next
 * deadline and the impairments' held frames, a signalfd for SIGINT and
 * SIGTERM when asked, and the owner's own descriptors. A round:
 *
 *   1. write every driver's queued frames (one batch each)
 *   2. arm the timer at the next deadline, or do not wait if it has passed
 *   3. epoll_wait()
 *   4. read up to a batch of frames from each ready driver into the stack
 *      (through the receive impairment, if any), clear the timer, note a
 *      signal, call the owner's watchers
 *   5. release due impaired frames, sn_stack_poll(now)
 *   6. write what the stack sent in the meantime
 *
 * The timer is re-armed only when the deadline moves, and nothing runs
 * between rounds, so an idle stack costs one wake-up per real deadline.
 *
 * Each interface's frames pass through a small link of the loop's own on
 * the way out: it records them in the capture (wall-clock timestamps,
 * the reason as a pcapng comment) and hands them to the impairment or
 * straight to the driver.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "net/stack.h"
#include "synack/capture.h"
#include "synack/runtime.h"
#include "synack/stack.h"

uint64_t sn_loop_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if defined(__linux__)

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define MAX_EVENTS 64

enum watch_kind { W_DRIVER, W_TIMER, W_SIGNAL, W_USER };

struct loop_netif;

struct watch {
  enum watch_kind kind;
  int fd;
  bool dead;                /* unwatched during this round: ignore */
  struct loop_netif *nif;   /* W_DRIVER */
  sn_fd_fn fn;              /* W_USER */
  void *ctx;
  struct watch *next;       /* the owner's watches, or the dead list */
};

struct loop_netif {
  struct sn_loop *lp;
  int ifindex;
  struct sn_driver *drv;
  struct sn_capture *cap;
  int cap_iface;
  struct sn_impair_link *imp;
  struct sn_link out;       /* the impairment's link or the driver's */
  struct watch w;
};

struct sn_loop {
  struct sn_stack *st;
  int epfd, tfd, sfd;
  uint64_t armed;           /* the timer's deadline, SN_TIME_NEVER: off */
  uint64_t now;             /* time of the current round */
  int64_t wall_offset;      /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
  struct loop_netif *nifs[SN_MAX_NETIFS];
  int nnifs;
  struct watch timer_w, signal_w;
  struct watch *users;      /* live owner watches */
  struct watch *dead;       /* unwatched, freed at the end of a round */
  bool stop;
  int signal;
  int error;                /* a driver failed (negative errno), or 0 */
  sigset_t oldmask;
  bool masked;
};

static int watch_add(struct sn_loop *lp, struct watch *w, uint32_t ev) {
  struct epoll_event e = {.events = ev, .data.ptr = w};
  return epoll_ctl(lp->epfd, EPOLL_CTL_ADD, w->fd, &e) < 0 ? -errno : 0;
}

struct sn_loop *sn_loop_new(struct sn_stack *st, int *err) {
  struct sn_loop *lp = calloc(1, sizeof *lp);
  int e = -ENOMEM;
  if (!lp)
    goto fail;
  lp->st = st;
  lp->sfd = -1;
  lp->armed = SN_TIME_NEVER;
  lp->epfd = epoll_create1(EPOLL_CLOEXEC);
  lp->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (lp->epfd < 0 || lp->tfd < 0) {
    e = -errno;
    goto fail;
  }
  lp->timer_w = (struct watch){.kind = W_TIMER, .fd = lp->tfd};
  if ((e = watch_add(lp, &lp->timer_w, EPOLLIN)) != 0)
    goto fail;
  struct timespec rt;
  clock_gettime(CLOCK_REALTIME, &rt);
  lp->now = sn_loop_now();
  lp->wall_offset = (int64_t)((uint64_t)rt.tv_sec * 1000000000ull +
                              (uint64_t)rt.tv_nsec) - (int64_t)lp->now;
  /* The stack's clock starts now, before anything (a gratuitous ARP when
   * an address is added) is sent. */
  sn_stack_poll(st, lp->now);
  if (err)
    *err = 0;
  return lp;
fail:
  if (lp) {
    if (lp->epfd >= 0)
      close(lp->epfd);
    if (lp->tfd >= 0)
      close(lp->tfd);
    free(lp);
  }
  if (err)
    *err = e;
  return NULL;
}

static void free_dead(struct sn_loop *lp) {
  while (lp->dead) {
    struct watch *w = lp->dead;
    lp->dead = w->next;
    free(w);
  }
}

void sn_loop_free(struct sn_loop *lp) {
  if (!lp)
    return;
  for (int i = 0; i < lp->nnifs; i++) {
    sn_driver_flush(lp->nifs[i]->drv);
    sn_impair_link_free(lp->nifs[i]->imp);
    free(lp->nifs[i]);
  }
  while (lp->users) {
    struct watch *w = lp->users;
    lp->users = w->next;
    free(w);
  }
  free_dead(lp);
  if (lp->sfd >= 0)
    close(lp->sfd);
  if (lp->masked)
    pthread_sigmask(SIG_SETMASK, &lp->oldmask, NULL);
  close(lp->tfd);
  close(lp->epfd);
  free(lp);
}

struct sn_stack *sn_loop_stack(const struct sn_loop *lp) { return lp->st; }

/* Interfaces -------------------------------------------------------------- */

static uint64_t wall(const struct sn_loop *lp, uint64_t now) {
  return (uint64_t)((int64_t)now + lp->wall_offset);
}

/* The stack transmits: record, then impair or send. */
static int nif_tx(void *ctx, const uint8_t *frame, size_t len,
                  const struct sn_tx_info *info) {
  struct loop_netif *nif = ctx;
  if (nif->cap) {
    char comment[160];
    snprintf(comment, sizeof comment, "sent: %s", info->why);
    sn_capture_write(nif->cap, nif->cap_iface, wall(nif->lp, info->now_ns),
                     frame, len, SN_CAP_OUT, comment);
  }
  return sn_link_tx(&nif->out, frame, len, info);
}

static const struct sn_link_ops nif_ops = {.tx = nif_tx};

/* A frame reaches the stack (after the receive impairment, if any). */
static void to_stack(void *ctx, const uint8_t *frame, size_t len,
                     uint64_t now) {
  struct loop_netif *nif = ctx;
  if (nif->cap)
    sn_capture_write(nif->cap, nif->cap_iface, wall(nif->lp, now), frame,
                     len, SN_CAP_IN, NULL);
  sn_stack_input(nif->lp->st, nif->ifindex, frame, len, now);
}

/* A frame read from the driver. */
static void from_driver(void *ctx, const uint8_t *frame, size_t len) {
  struct loop_netif *nif = ctx;
  if (nif->imp)
    sn_impair_link_rx(nif->imp, frame, len, nif->lp->now);
  else
    to_stack(nif, frame, len, nif->lp->now);
}

int sn_loop_add_netif(struct sn_loop *lp, const struct sn_loop_netif *p) {
  if (!lp || !p || !p->drv || p->mtu > sn_driver_mtu(p->drv))
    return -EINVAL;
  if (lp->nnifs == SN_MAX_NETIFS)
    return -ENOSPC;
  struct loop_netif *nif = calloc(1, sizeof *nif);
  if (!nif)
    return -ENOMEM;
  nif->lp = lp;
  nif->drv = p->drv;
  nif->out = sn_driver_link(p->drv);
  int err = 0;
  if (p->impair) {
    nif->imp = sn_impair_link_new(nif->out, p->impair, p->impair, p->impair_seed,
                                  to_stack, nif, 0, &err);
    if (!nif->imp) {
      free(nif);
      return err;
    }
    nif->out = sn_impair_link_tx(nif->imp);
  }
  char name[16];
  snprintf(name, sizeof name, "%s", p->name ? p->name : "");
  if (!p->name)
    snprintf(name, sizeof name, "eth%d", lp->nnifs);
  struct sn_netif_params np = {
      .name = name, .mtu = p->mtu ? p->mtu : sn_driver_mtu(p->drv),
      .link = {.ops = &nif_ops, .ctx = nif}};
  memcpy(np.mac, p->mac, sizeof np.mac);
  if (p->cap) {
    nif->cap = p->cap;
    nif->cap_iface = sn_capture_add_interface(p->cap, name);
  }
  nif->w = (struct watch){.kind = W_DRIVER, .fd = sn_driver_fd(p->drv),
                          .nif = nif};
  /* The interface must exist before frames can be read for it. */
  int ifindex = sn_netif_add(lp->st, &np);
  if (ifindex < 0 || (err = watch_add(lp, &nif->w, EPOLLIN)) != 0) {
    sn_impair_link_free(nif->imp);
    free(nif);
    return ifindex < 0 ? ifindex : err;
  }
  nif->ifindex = ifindex;
  lp->nifs[lp->nnifs++] = nif;
  return ifindex;
}

struct sn_impair_link *sn_loop_impair(struct sn_loop *lp, int ifindex) {
  for (int i = 0; i < lp->nnifs; i++)
    if (lp->nifs[i]->ifindex == ifindex)
      return lp->nifs[i]->imp;
  return NULL;
}

/* Rounds ------------------------------------------------------------------ */

static void flush_all(struct sn_loop *lp) {
  for (int i = 0; i < lp->nnifs; i++)
    sn_driver_flush(lp->nifs[i]->drv);
}

static uint64_t next_deadline(const struct sn_loop *lp) {
  uint64_t d = sn_stack_next_deadline(lp->st);
  for (int i = 0; i < lp->nnifs; i++)
    if (lp->nifs[i]->imp) {
      uint64_t t = sn_impair_link_next_deadline(lp->nifs[i]->imp);
      if (t < d)
        d = t;
    }
  return d;
}

static void arm(struct sn_loop *lp, uint64_t deadline) {
  if (deadline == lp->armed)
    return;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  if (deadline != SN_TIME_NEVER) {
    its.it_value.tv_sec = (time_t)(deadline / 1000000000ull);
    its.it_value.tv_nsec = (long)(deadline % 1000000000ull);
  }
  if (timerfd_settime(lp->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
    lp->armed = deadline;
}

static void run_due(struct sn_loop *lp) {
  for (int i = 0; i < lp->nnifs; i++)
    if (lp->nifs[i]->imp)
      sn_impair_link_poll(lp->nifs[i]->imp, lp->now);
  sn_stack_poll(lp->st, lp->now);
}

void sn_loop_sync(struct sn_loop *lp) {
  lp->now = sn_loop_now();
  run_due(lp);
}

static void handle(struct sn_loop *lp, struct watch *w, uint32_t ev) {
  if (w->dead)
    return;
  switch (w->kind) {
  case W_DRIVER: {
    int n = sn_driver_recv(w->nif->drv, 64, from_driver, w->nif);
    if (n < 0 || (n == 0 && (ev & (EPOLLERR | EPOLLHUP)))) {
      /* The device or socket is gone (e.g. the TAP device was deleted):
       * stop watching it, or epoll would report it for ever. */
      epoll_ctl(lp->epfd, EPOLL_CTL_DEL, w->fd, NULL);
      if (!lp->error)
        lp->error = n < 0 ? n : -EIO;
    }
    break;
  }
  case W_TIMER: {
    uint64_t ticks;
    if (read(lp->tfd, &ticks, sizeof ticks) == (ssize_t)sizeof ticks)
      lp->armed = SN_TIME_NEVER; /* a one-shot timer that fired */
    break;
  }
  case W_SIGNAL: {
    struct signalfd_siginfo si;
    while (read(lp->sfd, &si, sizeof si) == (ssize_t)sizeof si)
      lp->signal = (int)si.ssi_signo;
    break;
  }
  case W_USER: {
    unsigned e = 0;
    if (ev & EPOLLIN)
      e |= SN_POLLIN;
    if (ev & EPOLLOUT)
      e |= SN_POLLOUT;
    if (ev & EPOLLERR)
      e |= SN_POLLERR;
    if (ev & EPOLLHUP)
      e |= SN_POLLHUP;
    w->fn(w->ctx, w->fd, e);
    break;
  }
  }
}

int sn_loop_run_once(struct sn_loop *lp, int64_t timeout_ns) {
  flush_all(lp);
  uint64_t now = sn_loop_now();
  uint64_t deadline = next_deadline(lp);
  int ms;
  if (lp->error)
    return lp->error;
  if (deadline <= now || timeout_ns == 0 || lp->signal) {
    ms = 0;
  } else {
    arm(lp, deadline);
    ms = timeout_ns < 0 ? -1
                        : (int)SN_MIN((timeout_ns + 999999) / 1000000,
                                      (int64_t)24 * 3600 * 1000);
  }
  struct epoll_event ev[MAX_EVENTS];
  int n = epoll_wait(lp->epfd, ev, MAX_EVENTS, ms);
  if (n < 0 && errno != EINTR)
    return -errno;
  lp->now = sn_loop_now();
  for (int i = 0; i < n; i++)
    handle(lp, ev[i].data.ptr, ev[i].events);
  run_due(lp);
  flush_all(lp);
  free_dead(lp);
  return lp->error ? lp->error : lp->signal ? -EINTR : 0;
}

int sn_loop_run(struct sn_loop *lp) {
  lp->stop = false;
  while (!lp->stop) {
    int r = sn_loop_run_once(lp, -1);
    if (r < 0)
      return r;
  }
  return 0;
}

void sn_loop_stop(struct sn_loop *lp) { lp->stop = true; }

int sn_loop_catch_signals(struct sn_loop *lp) {
  if (lp->sfd >= 0)
    return 0;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int e = pthread_sigmask(SIG_BLOCK, &set, &lp->oldmask);
  if (e)
    return -e;
  lp->masked = true;
  lp->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (lp->sfd < 0)
    return -errno;
  lp->signal_w = (struct watch){.kind = W_SIGNAL, .fd = lp->sfd};
  return watch_add(lp, &lp->signal_w, EPOLLIN);
}

int sn_loop_signal(const struct sn_loop *lp) { return lp->signal; }
void sn_loop_clear_signal(struct sn_loop *lp) { lp->signal = 0; }

int sn_loop_watch(struct sn_loop *lp, int fd, unsigned events, sn_fd_fn fn,
                  void *ctx) {
  if (!fn || fd < 0)
    return -EINVAL;
  struct watch *w = calloc(1, sizeof *w);
  if (!w)
    return -ENOMEM;
  *w = (struct watch){.kind = W_USER, .fd = fd, .fn = fn, .ctx = ctx};
  uint32_t ev = (events & SN_POLLIN ? EPOLLIN : 0) |
                (events & SN_POLLOUT ? EPOLLOUT : 0);
  int e = watch_add(lp, w, ev);
  if (e) {
    free(w);
    return e;
  }
  w->next = lp->users;
  lp->users = w;
  return 0;
}

int sn_loop_unwatch(struct sn_loop *lp, int fd) {
  for (struct watch **pp = &lp->users; *pp; pp = &(*pp)->next) {
    struct watch *w = *pp;
    if (w->fd != fd)
      continue;
    *pp = w->next;
    epoll_ctl(lp->epfd, EPOLL_CTL_DEL, fd, NULL);
    w->dead = true; /* an event for it may be pending in this round */
    w->next = lp->dead;
    lp->dead = w;
    return 0;
  }
  return -ENOENT;
}

int sn_loop_drain(struct sn_loop *lp, int64_t timeout_ns) {
  uint64_t end = sn_loop_now() + (uint64_t)(timeout_ns < 0 ? 0 : timeout_ns);
  for (;;) {
    if (sn_loop_tcp_active(lp) == 0)
      return 0;
    uint64_t now = sn_loop_now();
    if (now >= end)
      return -ETIMEDOUT;
    int r = sn_loop_run_once(lp, (int64_t)(end - now));
    if (r < 0)
      return r;
  }
}

unsigned sn_loop_tcp_active(const struct sn_loop *lp) {
  const struct sn_tcp_table *t = &lp->st->tcp;
  return t->count - t->timewait;
}

#else /* no epoll, timerfd or signalfd: no event loop */

struct sn_loop *sn_loop_new(struct sn_stack *st, int *err) {
  (void)st;
  if (err)
    *err = -ENOSYS;
  return NULL;
}
void sn_loop_free(struct sn_loop *lp) { (void)lp; }
struct sn_stack *sn_loop_stack(const struct sn_loop *lp) {
  (void)lp;
  return NULL;
}
int sn_loop_add_netif(struct sn_loop *lp, const struct sn_loop_netif *p) {
  (void)lp, (void)p;
  return -ENOSYS;
}
struct sn_impair_link *sn_loop_impair(struct sn_loop *lp, int ifindex) {
  (void)lp, (void)ifindex;
  return NULL;
}
void sn_loop_sync(struct sn_loop *lp) { (void)lp; }
int sn_loop_run_once(struct sn_loop *lp, int64_t timeout_ns) {
  (void)lp, (void)timeout_ns;
  return -ENOSYS;
}
int sn_loop_run(struct sn_loop *lp) {
  (void)lp;
  return -ENOSYS;
}
void sn_loop_stop(struct sn_loop *lp) { (void)lp; }
int sn_loop_catch_signals(struct sn_loop *lp) {
  (void)lp;
  return -ENOSYS;
}
int sn_loop_signal(const struct sn_loop *lp) {
  (void)lp;
  return 0;
}
void sn_loop_clear_signal(struct sn_loop *lp) { (void)lp; }
int sn_loop_watch(struct sn_loop *lp, int fd, unsigned events, sn_fd_fn fn,
                  void *ctx) {
  (void)lp, (void)fd, (void)events, (void)fn, (void)ctx;
  return -ENOSYS;
}
int sn_loop_unwatch(struct sn_loop *lp, int fd) {
  (void)lp, (void)fd;
  return -ENOSYS;
}
int sn_loop_drain(struct sn_loop *lp, int64_t timeout_ns) {
  (void)lp, (void)timeout_ns;
  return -ENOSYS;
}
unsigned sn_loop_tcp_active(const struct sn_loop *lp) {
  (void)lp;
  return 0;
}

#endif
