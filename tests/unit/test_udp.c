/*
 * test_udp.c - the UDP socket API: bind rules and port spaces, send and
 * receive over loopback and a link, checksums (zero means none), lengths,
 * the receive buffer limit, connect filtering, options and readiness.
 */
#include "testlib.h"
#include "base/checksum.h"
#include "base/util.h"
#include "net/stack.h"

static const uint8_t our_mac[6] = {2, 0, 0, 0, 0, 1};

struct fx {
  struct tl_link link;
  struct sn_stack *st;
  int ifi;
};

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  f->st = tl_stack("A", &f->link, 1, "198.18.0.1/24", &f->ifi);
  tl_learn_peer(f->st, f->ifi, &f->link, "198.18.0.2", "198.18.0.1", 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  sn_stack_free(f->st);
  tl_link_clear(&f->link);
  free(f);
  return 0;
}

static int udp_bound(struct sn_stack *st, uint32_t addr, uint16_t port) {
  int sd = sn_socket(st, SN_SOCK_DGRAM);
  assert_true(sd >= 0);
  struct sn_sockaddr a = {addr, port};
  assert_int_equal(sn_bind(st, sd, &a), 0);
  return sd;
}

static void test_tcp_and_udp_share_port_numbers(void **state) {
  struct fx *f = *state;
  int u = udp_bound(f->st, 0, 8080);
  int t = sn_socket(f->st, SN_SOCK_STREAM);
  struct sn_sockaddr a = {0, 8080};
  assert_int_equal(sn_bind(f->st, t, &a), 0); /* separate port spaces */
  int u2 = sn_socket(f->st, SN_SOCK_DGRAM);
  assert_int_equal(sn_bind(f->st, u2, &a), -EADDRINUSE);
  int t2 = sn_socket(f->st, SN_SOCK_STREAM);
  assert_int_equal(sn_bind(f->st, t2, &a), -EADDRINUSE);
  /* After close the port is free again. */
  assert_int_equal(sn_close(f->st, u), 0);
  assert_int_equal(sn_bind(f->st, u2, &a), 0);
  assert_int_equal(sn_close(f->st, t), 0);
  assert_int_equal(sn_close(f->st, t2), 0);
}

static void test_bind_rules(void **state) {
  struct fx *f = *state;
  int sd = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr bad = {tl_ip("198.18.0.9"), 1000};
  assert_int_equal(sn_bind(f->st, sd, &bad), -EADDRNOTAVAIL);
  struct sn_sockaddr ok = {tl_ip("198.18.0.1"), 1000};
  assert_int_equal(sn_bind(f->st, sd, &ok), 0);
  assert_int_equal(sn_bind(f->st, sd, &ok), -EINVAL); /* already bound */
  /* Another specific address on the same port does not conflict ... */
  int lo = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr lo_a = {tl_ip("127.0.0.1"), 1000};
  assert_int_equal(sn_bind(f->st, lo, &lo_a), 0);
  /* ... but the wildcard does, unless both sides set SO_REUSEADDR. */
  int any = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr any_a = {0, 1000};
  assert_int_equal(sn_bind(f->st, any, &any_a), -EADDRINUSE);
  int one = 1;
  int r1 = udp_bound(f->st, 0, 2000);
  (void)r1;
  int r2 = sn_socket(f->st, SN_SOCK_DGRAM);
  assert_int_equal(sn_setsockopt(f->st, r2, SN_SOL_SOCKET, SN_SO_REUSEADDR, &one, sizeof one), 0);
  struct sn_sockaddr a2000 = {0, 2000};
  assert_int_equal(sn_bind(f->st, r2, &a2000), -EADDRINUSE);
  int r3 = sn_socket(f->st, SN_SOCK_DGRAM), r4 = sn_socket(f->st, SN_SOCK_DGRAM);
  sn_setsockopt(f->st, r3, SN_SOL_SOCKET, SN_SO_REUSEADDR, &one, sizeof one);
  sn_setsockopt(f->st, r4, SN_SOL_SOCKET, SN_SO_REUSEADDR, &one, sizeof one);
  struct sn_sockaddr a3000 = {0, 3000};
  assert_int_equal(sn_bind(f->st, r3, &a3000), 0);
  assert_int_equal(sn_bind(f->st, r4, &a3000), 0);
  /* Bad descriptors. */
  assert_int_equal(sn_bind(f->st, 999, &a3000), -EBADF);
  assert_int_equal(sn_close(f->st, 999), -EBADF);
  assert_int_equal(sn_socket(f->st, (enum sn_sock_type)7), -EINVAL);
}

static void test_ephemeral_ports(void **state) {
  struct fx *f = *state;
  for (int i = 0; i < 200; i++) {
    int sd = sn_socket(f->st, SN_SOCK_DGRAM);
    struct sn_sockaddr a = {0, 0};
    assert_int_equal(sn_bind(f->st, sd, &a), 0);
    struct sn_sockaddr got;
    assert_int_equal(sn_getsockname(f->st, sd, &got), 0);
    assert_true(got.port >= 32768 && got.port <= 60999);
  }
  /* A tiny range runs out. */
  assert_int_equal(sn_config_set(&f->st->cfg, "ip_local_port_range", "40000 40001"), 0);
  int a = sn_socket(f->st, SN_SOCK_DGRAM), b = sn_socket(f->st, SN_SOCK_DGRAM),
      c = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr z = {0, 0};
  sn_bind(f->st, a, &z);
  sn_bind(f->st, b, &z);
  assert_int_equal(sn_bind(f->st, c, &z), -EADDRINUSE);
}

static void test_loopback_round_trip(void **state) {
  struct fx *f = *state;
  int srv = udp_bound(f->st, tl_ip("127.0.0.1"), 7);
  int cli = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr dst = {tl_ip("127.0.0.1"), 7};
  assert_int_equal(sn_sendto(f->st, cli, "hello", 5, 0, &dst), 5);
  sn_stack_poll(f->st, 1);
  char buf[64];
  struct sn_sockaddr from;
  assert_int_equal(sn_recvfrom(f->st, srv, buf, sizeof buf, 0, &from), 5);
  assert_memory_equal(buf, "hello", 5);
  assert_int_equal(from.addr, tl_ip("127.0.0.1"));
  struct sn_sockaddr me;
  sn_getsockname(f->st, cli, &me);
  assert_int_equal(from.port, me.port); /* autobound on send */
  /* Echo back. */
  assert_int_equal(sn_sendto(f->st, srv, buf, 5, 0, &from), 5);
  sn_stack_poll(f->st, 2);
  assert_int_equal(sn_recv(f->st, cli, buf, sizeof buf, 0), 5);
  assert_int_equal(f->link.n, 0);
  /* Zero-length datagrams are datagrams too. */
  assert_int_equal(sn_sendto(f->st, cli, "", 0, 0, &dst), 0);
  sn_stack_poll(f->st, 3);
  assert_int_equal(sn_recv(f->st, srv, buf, sizeof buf, 0), 0);
  assert_int_equal(sn_recv(f->st, srv, buf, sizeof buf, 0), -EAGAIN);
}

static void test_peek_and_trunc(void **state) {
  struct fx *f = *state;
  int srv = udp_bound(f->st, 0, 7);
  int cli = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr dst = {tl_ip("127.0.0.1"), 7};
  sn_sendto(f->st, cli, "0123456789", 10, 0, &dst);
  sn_stack_poll(f->st, 1);
  char buf[16];
  assert_int_equal(sn_recv(f->st, srv, buf, 4, SN_MSG_PEEK), 4);
  assert_int_equal(sn_recv(f->st, srv, buf, 4, SN_MSG_PEEK | SN_MSG_TRUNC), 10);
  assert_int_equal(sn_recv(f->st, srv, buf, 4, 0), 4); /* rest discarded */
  assert_memory_equal(buf, "0123", 4);
  assert_int_equal(sn_recv(f->st, srv, buf, sizeof buf, 0), -EAGAIN);
  assert_int_equal(sn_recv(f->st, srv, buf, sizeof buf, 0x4000000), -EINVAL);
}

/* Inject a UDP datagram from 198.18.0.2 with a given checksum field. */
static void inject(struct fx *f, uint16_t sport, uint16_t dport,
                   const char *data, int csum_mode) {
  uint8_t fr[300];
  size_t len = strlen(data);
  size_t n = tl_udp(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"), sport,
                    tl_ip("198.18.0.1"), dport, (const uint8_t *)data, len);
  uint8_t *udp = fr + 34;
  if (csum_mode == 0)
    sn_put16(udp + 6, 0); /* "no checksum" */
  else if (csum_mode == 2)
    udp[6] ^= 0x40;       /* wrong */
  sn_stack_input(f->st, f->ifi, fr, n, 0);
}

static void test_checksums(void **state) {
  struct fx *f = *state;
  int sd = udp_bound(f->st, 0, 9);
  char buf[64];
  inject(f, 1, 9, "checked", 1);
  assert_int_equal(sn_recv(f->st, sd, buf, sizeof buf, 0), 7);
  inject(f, 1, 9, "unchecked", 0);
  assert_int_equal(sn_recv(f->st, sd, buf, sizeof buf, 0), 9);
  inject(f, 1, 9, "corrupt", 2);
  assert_int_equal(sn_recv(f->st, sd, buf, sizeof buf, 0), -EAGAIN);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_UdpInCsumErrors), 1);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_UDP_BAD_CHECKSUM), 1);
  /* Outgoing: a computed zero goes out as 0xffff; SO_NO_CHECK sends 0. */
  int cli = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr dst = {tl_ip("198.18.0.2"), 9};
  sn_sendto(f->st, cli, "x", 1, 0, &dst);
  const uint8_t *udp = f->link.frames[f->link.n - 1].data + 34;
  uint32_t sum = sn_csum_pseudo4(tl_ip("198.18.0.1"), tl_ip("198.18.0.2"), 17, 9);
  assert_int_equal(sn_csum_fold(sn_csum_partial(udp, 9, sum)), 0);
  assert_int_not_equal(sn_get16(udp + 6), 0);
  int one = 1;
  assert_int_equal(sn_setsockopt(f->st, cli, SN_SOL_SOCKET, SN_SO_NO_CHECK, &one, sizeof one), 0);
  sn_sendto(f->st, cli, "x", 1, 0, &dst);
  udp = f->link.frames[f->link.n - 1].data + 34;
  assert_int_equal(sn_get16(udp + 6), 0);
}

static void test_zero_computed_checksum_sent_as_ffff(void **state) {
  struct fx *f = *state;
  int cli = sn_socket(f->st, SN_SOCK_DGRAM);
  struct sn_sockaddr a = {0, 1000};
  sn_bind(f->st, cli, &a);
  struct sn_sockaddr dst = {tl_ip("198.18.0.2"), 2000};
  /* Find two payload bytes that make the checksum compute to zero. */
  uint8_t d[2];
  for (unsigned v = 0; v < 65536; v++) {
    d[0] = (uint8_t)(v >> 8);
    d[1] = (uint8_t)v;
    uint8_t u[10] = {0x03, 0xe8, 0x07, 0xd0, 0, 10, 0, 0, d[0], d[1]};
    uint32_t sum = sn_csum_pseudo4(tl_ip("198.18.0.1"), tl_ip("198.18.0.2"), 17, 10);
    if (sn_csum_fold(sn_csum_partial(u, 10, sum)) == 0)
      break;
  }
  sn_sendto(f->st, cli, d, 2, 0, &dst);
  const uint8_t *udp = f->link.frames[f->link.n - 1].data + 34;
  assert_int_equal(sn_get16(udp + 6), 0xffff);
}

static void test_bad_lengths(void **state) {
  struct fx *f = *state;
  udp_bound(f->st, 0, 9);
  uint8_t fr[300];
  size_t n = tl_udp(fr, our_mac, tl_peer_mac, tl_ip("198.18.0.2"), 1,
                    tl_ip("198.18.0.1"), 9, (const uint8_t *)"abcd", 4);
  sn_put16(fr + 34 + 4, 40); /* longer than the IP payload */
  sn_stack_input(f->st, f->ifi, fr, n, 0);
  sn_put16(fr + 34 + 4, 7);  /* shorter than the header */
  sn_stack_input(f->st, f->ifi, fr, n, 0);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_UDP_BAD_LENGTH), 2);
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_UdpInErrors), 2);
}

static void test_receive_buffer_limit(void **state) {
  struct fx *f = *state;
  int sd = udp_bound(f->st, 0, 9);
  int small = 2000;
  assert_int_equal(sn_setsockopt(f->st, sd, SN_SOL_SOCKET, SN_SO_RCVBUF, &small, sizeof small), 0);
  int v = 0;
  size_t vl = sizeof v;
  assert_int_equal(sn_getsockopt(f->st, sd, SN_SOL_SOCKET, SN_SO_RCVBUF, &v, &vl), 0);
  assert_int_equal(v, 4000); /* doubled, as Linux reports it */
  for (int i = 0; i < 10; i++)
    inject(f, 1, 9, "datagram", 1);
  int got = 0;
  char buf[64];
  while (sn_recv(f->st, sd, buf, sizeof buf, 0) == 8)
    got++;
  assert_int_equal(got, 2); /* two 2 KiB buffers fill 4000 bytes */
  assert_int_equal(sn_stack_counter(f->st, SN_CTR_UdpRcvbufErrors), 8);
  assert_int_equal(sn_stack_drops(f->st, SN_DROP_UDP_RCVBUF_FULL), 8);
}

static void test_connect_filters_and_defaults(void **state) {
  struct fx *f = *state;
  int sd = udp_bound(f->st, 0, 9);
  char buf[64];
  assert_int_equal(sn_send(f->st, sd, "x", 1, 0), -EDESTADDRREQ);
  struct sn_sockaddr peer = {tl_ip("198.18.0.2"), 53};
  assert_int_equal(sn_connect(f->st, sd, &peer), 0);
  struct sn_sockaddr got;
  assert_int_equal(sn_getpeername(f->st, sd, &got), 0);
  assert_int_equal(got.port, 53);
  inject(f, 54, 9, "other", 1); /* wrong source port: not ours */
  assert_int_equal(sn_recv(f->st, sd, buf, sizeof buf, 0), -EAGAIN);
  inject(f, 53, 9, "answer", 1);
  assert_int_equal(sn_recv(f->st, sd, buf, sizeof buf, 0), 6);
  assert_int_equal(sn_send(f->st, sd, "q", 1, 0), 1);
  /* A connected socket beats a wildcard one for its peer's datagrams. */
  int one = 1;
  int wild = sn_socket(f->st, SN_SOCK_DGRAM);
  sn_setsockopt(f->st, wild, SN_SOL_SOCKET, SN_SO_REUSEADDR, &one, sizeof one);
  sn_setsockopt(f->st, sd, SN_SOL_SOCKET, SN_SO_REUSEADDR, &one, sizeof one);
  /* (sd was bound before setting it, so this needs sd's flag: set above.) */
  struct sn_sockaddr a9 = {0, 9};
  assert_int_equal(sn_bind(f->st, wild, &a9), 0);
  inject(f, 53, 9, "to-connected", 1);
  inject(f, 60, 9, "to-wild", 1);
  assert_int_equal(sn_recv(f->st, sd, buf, sizeof buf, 0), 12);
  assert_int_equal(sn_recv(f->st, wild, buf, sizeof buf, 0), 7);
  /* Dissolve. */
  struct sn_sockaddr none = {0, 0};
  assert_int_equal(sn_connect(f->st, sd, &none), 0);
  assert_int_equal(sn_getpeername(f->st, sd, &got), -ENOTCONN);
  /* Misuse. */
  struct sn_sockaddr p0 = {tl_ip("198.18.0.2"), 0};
  assert_int_equal(sn_sendto(f->st, sd, "x", 1, 0, &p0), -EINVAL);
  struct sn_sockaddr far = {tl_ip("203.0.113.1"), 5};
  assert_int_equal(sn_sendto(f->st, sd, "x", 1, 0, &far), -ENETUNREACH);
  assert_int_equal(sn_connect(f->st, sd, &far), -ENETUNREACH);
  assert_int_equal(sn_sendto(f->st, sd, "x", 1, 0x1, &peer), -EINVAL);
}

static void test_options(void **state) {
  struct fx *f = *state;
  int sd = sn_socket(f->st, SN_SOCK_DGRAM);
  int v = 0;
  size_t vl = sizeof v;
  assert_int_equal(sn_getsockopt(f->st, sd, SN_SOL_SOCKET, SN_SO_RCVBUF, &v, &vl), 0);
  assert_int_equal(v, 212992);
  assert_int_equal(sn_getsockopt(f->st, sd, SN_SOL_SOCKET, SN_SO_TYPE, &v, &vl), 0);
  assert_int_equal(v, SN_SOCK_DGRAM);
  int big = 1 << 30;
  sn_setsockopt(f->st, sd, SN_SOL_SOCKET, SN_SO_SNDBUF, &big, sizeof big);
  sn_getsockopt(f->st, sd, SN_SOL_SOCKET, SN_SO_SNDBUF, &v, &vl);
  assert_int_equal(v, 2 * 212992); /* capped by wmem_max, then doubled */
  assert_int_equal(sn_setsockopt(f->st, sd, 99, 1, &v, sizeof v), -ENOPROTOOPT);
  assert_int_equal(sn_setsockopt(f->st, sd, SN_SOL_SOCKET, 12345, &v, sizeof v), -ENOPROTOOPT);
  assert_int_equal(sn_setsockopt(f->st, sd, SN_SOL_SOCKET, SN_SO_RCVBUF, &v, 1), -EINVAL);
  vl = 1;
  assert_int_equal(sn_getsockopt(f->st, sd, SN_SOL_SOCKET, SN_SO_RCVBUF, &v, &vl), -EINVAL);
  assert_string_equal(sn_strerror(-EADDRINUSE), "address already in use");
}

struct events {
  int calls;
  unsigned last;
};
static void on_event(void *ctx, int sd, unsigned ev) {
  (void)sd;
  struct events *e = ctx;
  e->calls++;
  e->last = ev;
}

static void test_readiness(void **state) {
  struct fx *f = *state;
  int sd = udp_bound(f->st, 0, 9);
  struct events e = {0};
  assert_int_equal(sn_set_event_cb(f->st, sd, on_event, &e), 0);
  assert_int_equal(sn_poll(f->st, sd), SN_POLLOUT);
  inject(f, 1, 9, "wake", 1);
  assert_int_equal(e.calls, 1);
  assert_int_equal(e.last, SN_POLLIN | SN_POLLOUT);
  assert_int_equal(sn_poll(f->st, 12345), 0);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_tcp_and_udp_share_port_numbers),
      T(test_bind_rules),
      T(test_ephemeral_ports),
      T(test_loopback_round_trip),
      T(test_peek_and_trunc),
      T(test_checksums),
      T(test_zero_computed_checksum_sent_as_ffff),
      T(test_bad_lengths),
      T(test_receive_buffer_limit),
      T(test_connect_filters_and_defaults),
      T(test_options),
      T(test_readiness),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
