/*
 * anchor_linux_shortconn.c - the Linux kernel's short-connection rate, the
 * anchor of synack's short_conn figure: one process, one epoll loop
 * holding both the clients and the server over loopback (run it pinned to
 * one core, in a fresh network namespace: bench/anchor_linux.sh does).
 *
 * Each transaction: connect, 64-byte request, 64-byte reply, the client
 * closes first (its end waits in TIME-WAIT), the server closes on the
 * client's FIN. `inflight` transactions run at once, the clients bound
 * round-robin to `addrs` source addresses 127.0.1.x (with
 * IP_BIND_ADDRESS_NO_PORT), so the 4-tuples last long enough for
 * TIME-WAIT to run its full length in the namespace (tcp_tw_reuse 0).
 *
 * Usage: anchor_linux_shortconn SECONDS [INFLIGHT] [ADDRS]
 * Prints: transactions per second, then failures, on one line.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PORT 5080

enum kind { LISTENER, CLIENT, SERVER };

struct conn {
  enum kind kind;
  int fd;
  unsigned got;
  int sent;
};

static int ep;
static unsigned long long txn, failures;
static unsigned inflight_now, addrs = 32, next_addr;
static double deadline;
static char buf[4096];

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void watch(struct conn *c, unsigned events, int op) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(ep, op, c->fd, &ev) != 0) {
    perror("epoll_ctl");
    exit(1);
  }
}

static void finish(struct conn *c) {
  close(c->fd); /* also leaves the epoll set */
  free(c);
}

static void start_client(void) {
  if (now_s() >= deadline)
    return;
  struct conn *c = calloc(1, sizeof *c);
  c->kind = CLIENT;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in src = {.sin_family = AF_INET};
  src.sin_addr.s_addr = htonl(0x7f000100u + 1 + next_addr++ % addrs);
  if (bind(c->fd, (struct sockaddr *)&src, sizeof src) != 0) {
    perror("bind");
    exit(1);
  }
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(PORT)};
  dst.sin_addr.s_addr = htonl(0x7f000001u);
  if (connect(c->fd, (struct sockaddr *)&dst, sizeof dst) != 0 &&
      errno != EINPROGRESS) {
    failures++;
    close(c->fd);
    free(c);
    return;
  }
  inflight_now++;
  watch(c, EPOLLOUT | EPOLLIN, EPOLL_CTL_ADD);
}

static void on_client(struct conn *c, unsigned ev) {
  if (ev & (EPOLLERR | EPOLLHUP)) {
    failures++;
    goto done;
  }
  if ((ev & EPOLLOUT) && !c->sent) {
    if (write(c->fd, buf, 64) != 64) {
      failures++;
      goto done;
    }
    c->sent = 1;
    watch(c, EPOLLIN, EPOLL_CTL_MOD);
  }
  if (ev & EPOLLIN) {
    ssize_t n = read(c->fd, buf, 64 - c->got);
    if (n > 0)
      c->got += (unsigned)n;
    else if (n == 0 || errno != EAGAIN) {
      failures++;
      goto done;
    }
  }
  if (c->got < 64)
    return;
  txn++;
done:
  finish(c);
  inflight_now--;
  start_client();
}

static void on_server(struct conn *c) {
  for (;;) {
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n > 0) {
      c->got += (unsigned)n;
      if (c->got >= 64 && !c->sent) {
        if (write(c->fd, buf, 64) != 64)
          failures++;
        c->sent = 1;
      }
      continue;
    }
    if (n < 0 && errno == EAGAIN)
      return;
    finish(c); /* EOF (the client closed) or an error */
    return;
  }
}

static void on_listener(struct conn *l) {
  for (;;) {
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK);
    if (fd < 0)
      return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *c = calloc(1, sizeof *c);
    c->kind = SERVER;
    c->fd = fd;
    watch(c, EPOLLIN, EPOLL_CTL_ADD);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SECONDS [INFLIGHT] [ADDRS]\n", argv[0]);
    return 2;
  }
  double secs = atof(argv[1]);
  unsigned inflight = argc > 2 ? (unsigned)atoi(argv[2]) : 64;
  if (argc > 3)
    addrs = (unsigned)atoi(argv[3]);
  if (secs <= 0 || inflight < 1 || addrs < 1 || addrs > 250) {
    fprintf(stderr, "usage: %s SECONDS [INFLIGHT] [ADDRS 1..250]\n", argv[0]);
    return 2;
  }
  memset(buf, 'x', sizeof buf);
  ep = epoll_create1(0);
  struct conn lis = {.kind = LISTENER};
  lis.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lis.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PORT)};
  a.sin_addr.s_addr = htonl(0x7f000001u);
  if (bind(lis.fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(lis.fd, 4096) != 0) {
    perror("listen");
    return 1;
  }
  watch(&lis, EPOLLIN, EPOLL_CTL_ADD);
  double t0 = now_s();
  deadline = t0 + secs;
  for (unsigned i = 0; i < inflight; i++)
    start_client();
  struct epoll_event evs[256];
  while (inflight_now > 0) {
    int n = epoll_wait(ep, evs, 256, 1000);
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (c->kind == LISTENER)
        on_listener(c);
      else if (c->kind == CLIENT)
        on_client(c, evs[i].events);
      else
        on_server(c);
    }
  }
  double t1 = now_s();
  printf("%.0f %llu\n", (double)txn / (t1 - t0), failures);
  return 0;
}
