/*
 * test_runtime.c - the event loop, the blocking calls and the VXLAN
 * driver, on real time over UDP on the loopback interface (no privilege):
 *   - the VXLAN header on the wire (RFC 7348 §5) and what is refused on
 *     receipt (other VNI, no I flag, another sender, runts);
 *   - two stacks, each with its own loop in its own thread, exchange a
 *     stream with the blocking calls; a closed port refuses; timeouts;
 *   - an owner's descriptor is watched; sn_loop_drain() lets closes end;
 *   - an idle loop sleeps: it takes almost no CPU and few wake-ups.
 */
#include "testlib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synack/drivers.h"
#include "synack/runtime.h"

#define MS 1000000ll
#define SEC 1000000000ll
#define LOOPBACK 0x7f000001u

static uint16_t port_base(void) {
  return (uint16_t)(30000 + (getpid() % 5000) * 6);
}

static int udp_socket(uint32_t addr, uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(addr)};
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  struct timeval tv = {.tv_sec = 2};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

static void udp_send(int fd, uint16_t port, const void *p, size_t n) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(LOOPBACK)};
  assert_int_equal(sendto(fd, p, n, 0, (struct sockaddr *)&a, sizeof a),
                   (ssize_t)n);
}

static struct sn_driver *vxlan(uint16_t local, uint16_t remote, uint32_t vni) {
  struct sn_vxlan_params p = {.local_addr = LOOPBACK, .local_port = local,
                              .remote_addr = LOOPBACK, .remote_port = remote,
                              .vni = vni};
  int err = 1;
  struct sn_driver *d = sn_vxlan_open(&p, &err);
  assert_non_null(d);
  assert_int_equal(err, 0);
  return d;
}

/* VXLAN ------------------------------------------------------------------- */

static void test_vxlan_params(void **state) {
  (void)state;
  int err = 0;
  struct sn_vxlan_params p = {.local_addr = LOOPBACK, .local_port = port_base(),
                              .remote_addr = LOOPBACK, .vni = 1u << 24};
  assert_null(sn_vxlan_open(&p, &err));
  assert_int_equal(err, -EINVAL);
  p.vni = 1;
  p.remote_addr = 0;
  assert_null(sn_vxlan_open(&p, &err));
  assert_int_equal(err, -EINVAL);
  p.remote_addr = LOOPBACK;
  p.mtu = 40;
  assert_null(sn_vxlan_open(&p, &err));
  assert_int_equal(err, -EINVAL);
  p.mtu = 0;
  struct sn_driver *d = sn_vxlan_open(&p, &err);
  assert_non_null(d);
  /* loopback's path MTU is the largest IPv4 packet, less the
   * encapsulation */
  assert_int_equal(sn_driver_mtu(d), 65535 - SN_VXLAN_OVERHEAD);
  assert_null(sn_vxlan_open(&p, &err)); /* the port is taken */
  assert_int_equal(err, -EADDRINUSE);
  sn_driver_close(d);
}

/* A frame sent goes out after 08 00 00 00 | VNI | 00. */
static void test_vxlan_header(void **state) {
  (void)state;
  uint16_t pb = port_base();
  int peer = udp_socket(LOOPBACK, (uint16_t)(pb + 1));
  struct sn_driver *d = vxlan(pb, (uint16_t)(pb + 1), 0x123456);
  uint8_t f[60];
  for (size_t i = 0; i < sizeof f; i++)
    f[i] = (uint8_t)i;
  struct sn_link l = sn_driver_link(d);
  struct sn_tx_info info = {.now_ns = 0, .why = "test"};
  assert_int_equal(sn_link_tx(&l, f, sizeof f, &info), 0);
  assert_int_equal(sn_link_tx(&l, f, 10, &info), -EMSGSIZE); /* a runt */
  assert_int_equal(sn_driver_flush(d), 0);
  uint8_t got[200];
  ssize_t n = recv(peer, got, sizeof got, 0);
  assert_int_equal(n, 8 + (ssize_t)sizeof f);
  const uint8_t hdr[8] = {0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0};
  assert_memory_equal(got, hdr, 8);
  assert_memory_equal(got + 8, f, sizeof f);
  struct sn_driver_stats s = sn_driver_stats(d);
  assert_int_equal(s.tx_frames, 1);
  assert_int_equal(s.tx_dropped, 1);
  assert_int_equal(s.tx_batches, 1);
  close(peer);
  sn_driver_close(d);
}

static int frames_seen;
static void count_frame(void *ctx, const uint8_t *frame, size_t len) {
  (void)ctx;
  (void)frame;
  assert_int_equal(len, 60);
  frames_seen++;
}

/* Only VXLAN frames of our VNI from the remote are handed on. */
static void test_vxlan_filter(void **state) {
  (void)state;
  uint16_t pb = port_base();
  struct sn_driver *d = vxlan(pb, (uint16_t)(pb + 1), 42);
  int peer = udp_socket(LOOPBACK, (uint16_t)(pb + 1));
  int stranger = udp_socket(0x7f000002u, (uint16_t)(pb + 2));
  uint8_t dg[68] = {0x08, 0, 0, 0, 0, 0, 42, 0};
  udp_send(peer, pb, dg, sizeof dg);             /* good */
  dg[7] = 0xff;                                   /* reserved: ignored */
  dg[1] = 0xff;
  udp_send(peer, pb, dg, sizeof dg);             /* good */
  udp_send(stranger, pb, dg, sizeof dg);         /* another sender */
  dg[6] = 43;
  udp_send(peer, pb, dg, sizeof dg);             /* another VNI */
  dg[6] = 42;
  dg[0] = 0;
  udp_send(peer, pb, dg, sizeof dg);             /* no I flag */
  dg[0] = 0x08;
  udp_send(peer, pb, dg, 20);                    /* shorter than Ethernet */
  usleep(20000);
  frames_seen = 0;
  int n = sn_driver_recv(d, 64, count_frame, NULL);
  assert_int_equal(n, 6);
  assert_int_equal(frames_seen, 2);
  struct sn_driver_stats s = sn_driver_stats(d);
  assert_int_equal(s.rx_frames, 2);
  assert_int_equal(s.rx_dropped, 4);
  assert_int_equal(sn_driver_recv(d, 64, count_frame, NULL), 0);
  close(peer);
  close(stranger);
  sn_driver_close(d);
}

/* Two hosts, two loops, two threads -------------------------------------- */

struct host {
  struct sn_stack *st;
  struct sn_loop *lp;
  struct sn_driver *drv;
  int ifindex;
};

static void host_up(struct host *h, const char *name, uint16_t local,
                    uint16_t remote, uint32_t ip, uint8_t mac_last) {
  h->st = sn_stack_new(name, NULL, mac_last);
  assert_non_null(h->st);
  int err = 1;
  h->lp = sn_loop_new(h->st, &err);
  assert_non_null(h->lp);
  h->drv = vxlan(local, remote, 9);
  struct sn_loop_netif p = {.drv = h->drv,
                            .mac = {0x02, 0x53, 0x4e, 0, 0, mac_last}};
  h->ifindex = sn_loop_add_netif(h->lp, &p);
  assert_true(h->ifindex > 0);
  assert_int_equal(sn_netif_add_addr(h->st, h->ifindex, ip, 24), 0);
}

static void host_down(struct host *h) {
  sn_stack_free(h->st);
  sn_loop_free(h->lp);
  sn_driver_close(h->drv);
}

#define IP_A 0xc6120001u /* 198.18.0.1 */
#define IP_B 0xc6120002u /* 198.18.0.2 */
#define STREAM (1u << 20)

static uint8_t pattern(size_t i) { return (uint8_t)(i * 7 + (i >> 10)); }

/* Host A: answer one connection on port 7 by echoing it, then wait for
 * the pipe to say stop (watched through the loop). */
struct server {
  struct host h;
  int stop_fd;
  int result;
  uint64_t echoed;
};

static void on_stop(void *ctx, int fd, unsigned events) {
  struct server *s = ctx;
  char c;
  (void)events;
  if (read(fd, &c, 1) == 1)
    sn_loop_stop(s->h.lp);
}

static void *server_main(void *arg) {
  struct server *s = arg;
  struct sn_stack *st = s->h.st;
  int lsd = sn_socket(st, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 7};
  sn_bind(st, lsd, &any);
  sn_listen(st, lsd, 4);
  int sd = sn_blocking_accept(s->h.lp, lsd, NULL, 5 * SEC);
  if (sd < 0) {
    s->result = sd;
    return NULL;
  }
  static uint8_t buf[65536];
  for (;;) {
    ssize_t n = sn_blocking_recv(s->h.lp, sd, buf, sizeof buf, 5 * SEC);
    if (n <= 0) {
      s->result = (int)n;
      break;
    }
    ssize_t w = sn_blocking_send_all(s->h.lp, sd, buf, (size_t)n, 5 * SEC);
    if (w < 0) {
      s->result = (int)w;
      break;
    }
    s->echoed += (uint64_t)n;
  }
  sn_close(st, sd);
  sn_close(st, lsd);
  if (sn_loop_watch(s->h.lp, s->stop_fd, SN_POLLIN, on_stop, s) == 0)
    sn_loop_run(s->h.lp);
  sn_loop_unwatch(s->h.lp, s->stop_fd);
  return NULL;
}

static void test_blocking_echo(void **state) {
  (void)state;
  uint16_t pb = port_base();
  struct server srv = {0};
  struct host b;
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  srv.stop_fd = pipefd[0];
  host_up(&srv.h, "A", (uint16_t)(pb + 3), (uint16_t)(pb + 4), IP_A, 1);
  host_up(&b, "B", (uint16_t)(pb + 4), (uint16_t)(pb + 3), IP_B, 2);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, server_main, &srv), 0);

  /* A port nobody listens on is refused (A answers with RST). */
  int sd = sn_socket(b.st, SN_SOCK_STREAM);
  struct sn_sockaddr closed = {IP_A, 9};
  assert_int_equal(sn_blocking_connect(b.lp, sd, &closed, 5 * SEC),
                   -ECONNREFUSED);
  sn_close(b.st, sd);

  sd = sn_socket(b.st, SN_SOCK_STREAM);
  struct sn_sockaddr echo = {IP_A, 7};
  assert_int_equal(sn_blocking_connect(b.lp, sd, &echo, 5 * SEC), 0);
  static uint8_t out[STREAM], in[STREAM];
  for (size_t i = 0; i < STREAM; i++)
    out[i] = pattern(i);
  /* Send in pieces and read what comes back meanwhile, so neither side's
   * buffers have to hold the whole stream. */
  size_t sent = 0, got = 0;
  while (got < STREAM) {
    if (sent < STREAM) {
      size_t n = STREAM - sent < 65536 ? STREAM - sent : 65536;
      assert_int_equal(sn_blocking_send_all(b.lp, sd, out + sent, n, 5 * SEC),
                       (ssize_t)n);
      sent += n;
      if (sent == STREAM)
        assert_int_equal(sn_shutdown(b.st, sd, SN_SHUT_WR), 0);
    }
    ssize_t r = sn_blocking_recv(b.lp, sd, in + got, STREAM - got, 5 * SEC);
    assert_true(r > 0);
    got += (size_t)r;
  }
  assert_memory_equal(in, out, STREAM);
  assert_int_equal(sn_blocking_recv(b.lp, sd, in, 1, 5 * SEC), 0); /* EOF */
  /* Nothing more to read: a short wait times out. */
  assert_int_equal(sn_blocking_wait(b.lp, sd, SN_POLLOUT, 0) & SN_POLLOUT,
                   SN_POLLOUT);
  sn_close(b.st, sd);
  assert_int_equal(sn_loop_drain(b.lp, 5 * SEC), 0);
  assert_int_equal(sn_loop_tcp_active(b.lp), 0);

  assert_int_equal(write(pipefd[1], "x", 1), 1);
  pthread_join(t, NULL);
  assert_int_equal(srv.result, 0);
  assert_int_equal(srv.echoed, STREAM);
  close(pipefd[0]);
  close(pipefd[1]);
  host_down(&srv.h);
  host_down(&b);
}

/* Timeouts: accept with nobody coming, connect to a silent host. */
static void test_timeouts(void **state) {
  (void)state;
  uint16_t pb = port_base();
  struct host b;
  host_up(&b, "B", pb, (uint16_t)(pb + 5), IP_B, 2);
  int lsd = sn_socket(b.st, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  sn_bind(b.st, lsd, &any);
  sn_listen(b.st, lsd, 4);
  uint64_t t0 = sn_loop_now();
  assert_int_equal(sn_blocking_accept(b.lp, lsd, NULL, 50 * MS), -ETIMEDOUT);
  assert_true(sn_loop_now() - t0 >= 50 * MS);
  int sd = sn_socket(b.st, SN_SOCK_STREAM);
  struct sn_sockaddr nobody = {IP_A, 80};
  assert_int_equal(sn_blocking_connect(b.lp, sd, &nobody, 50 * MS),
                   -ETIMEDOUT);
  assert_int_equal(sn_blocking_accept(b.lp, 12345, NULL, 0), -EBADF);
  sn_close(b.st, sd);
  sn_close(b.st, lsd);
  host_down(&b);
}

/* An idle loop sleeps in epoll: a few wake-ups, almost no CPU. */
static void test_idle(void **state) {
  (void)state;
  uint16_t pb = port_base();
  struct host b;
  host_up(&b, "B", pb, (uint16_t)(pb + 5), IP_B, 2);
  int lsd = sn_socket(b.st, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  sn_bind(b.st, lsd, &any);
  sn_listen(b.st, lsd, 4);
  sn_loop_run_once(b.lp, 0);
  struct timespec c0, c1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  uint64_t end = sn_loop_now() + 300 * MS;
  int rounds = 0;
  while (sn_loop_now() < end) {
    sn_loop_run_once(b.lp, (int64_t)(end - sn_loop_now()));
    rounds++;
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
  int64_t cpu = (int64_t)(c1.tv_sec - c0.tv_sec) * SEC + (c1.tv_nsec - c0.tv_nsec);
  print_message("idle 300 ms: %d rounds, %lld us of CPU\n", rounds,
                (long long)(cpu / 1000));
  assert_true(rounds <= 10);
  assert_true(cpu < 30 * MS);
  sn_close(b.st, lsd);
  host_down(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vxlan_params), cmocka_unit_test(test_vxlan_header),
      cmocka_unit_test(test_vxlan_filter), cmocka_unit_test(test_blocking_echo),
      cmocka_unit_test(test_timeouts),     cmocka_unit_test(test_idle),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
