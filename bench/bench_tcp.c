/*
 * bench_tcp.c - TCP over the simulated link, on one core:
 *   bulk: payload Gbit/s of one connection over a lossless link with no
 *         delay (MTU 1500 and others), wall-clock time, both ends in this
 *         process; the receiver only counts bytes;
 *   memory: heap bytes per idle established endpoint and per TIME-WAIT
 *         connection, measured with mallinfo2() around opening N
 *         connections.
 * Figures are medians of several runs, with min and max.
 *
 *   bench_tcp [--runs N] [--size BYTES] [--conns N]
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "synack/sim.h"
#include "synack/synack.h"

#define SEC 1000000000ull

static double wall(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

struct bulk {
  struct sn_stack *a, *b;
  int a_sd, b_sd, lsd;
  uint64_t size, sent, rcvd;
  bool done;
};

static uint8_t chunk[1 << 20];

static void a_ev(void *ctx, int sd, unsigned ev) {
  struct bulk *k = ctx;
  if (!(ev & SN_POLLOUT))
    return;
  while (k->sent < k->size) {
    uint64_t n = k->size - k->sent < sizeof chunk ? k->size - k->sent : sizeof chunk;
    ssize_t w = sn_send(k->a, sd, chunk, (size_t)n, 0);
    if (w <= 0)
      return;
    k->sent += (uint64_t)w;
  }
}

static void b_ev(void *ctx, int sd, unsigned ev) {
  struct bulk *k = ctx;
  static uint8_t buf[1 << 20];
  (void)ev;
  if (sd == k->lsd) {
    k->b_sd = sn_accept(k->b, sd, NULL);
    if (k->b_sd >= 0)
      sn_set_event_cb(k->b, k->b_sd, b_ev, k);
    return;
  }
  ssize_t n;
  while ((n = sn_recv(k->b, sd, buf, sizeof buf, 0)) > 0)
    k->rcvd += (uint64_t)n;
  if (k->rcvd >= k->size)
    k->done = true;
}

static bool bulk_done(void *ctx) { return ((struct bulk *)ctx)->done; }

/* One bulk run; returns payload Gbit/s of wall time (0 on failure). */
static double bulk_run(uint64_t size, uint32_t mtu) {
  struct sn_config cfg;
  sn_config_default(&cfg, SN_PROFILE_LINUX);
  sn_config_set(&cfg, "tcp_rmem", "4096 2097152 16777216");
  sn_config_set(&cfg, "tcp_wmem", "4096 4194304 16777216");
  struct sn_sim *sim = sn_sim_new(1);
  struct bulk k = {.size = size, .b_sd = -1};
  k.a = sn_sim_add_host(sim, "A", &cfg);
  k.b = sn_sim_add_host(sim, "B", &cfg);
  sn_sim_connect(sim, k.a, "198.18.0.1/24", k.b, "198.18.0.2/24", mtu, NULL);
  k.lsd = sn_socket(k.b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 5001};
  sn_bind(k.b, k.lsd, &any);
  sn_listen(k.b, k.lsd, 4);
  sn_set_event_cb(k.b, k.lsd, b_ev, &k);
  k.a_sd = sn_socket(k.a, SN_SOCK_STREAM);
  sn_set_event_cb(k.a, k.a_sd, a_ev, &k);
  uint32_t dst;
  sn_ip4_parse("198.18.0.2", &dst);
  struct sn_sockaddr to = {dst, 5001};
  double t0 = wall();
  sn_connect(k.a, k.a_sd, &to);
  sn_sim_run_while_not(sim, bulk_done, &k, 3600 * SEC);
  double t = wall() - t0;
  sn_sim_free(sim);
  return k.done ? (double)size * 8 / t / 1e9 : 0;
}

struct mem {
  struct sn_stack *a, *b;
  int lsd;
  int *cli, *srv;
  unsigned n, accepted, connected;
};

static void mem_accept(void *ctx, int sd, unsigned ev) {
  struct mem *m = ctx;
  (void)ev;
  int c;
  while ((c = sn_accept(m->b, sd, NULL)) >= 0)
    m->srv[m->accepted++] = c;
}

static size_t heap(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

/* Bytes per idle established endpoint and per TIME-WAIT connection. */
static void memory(unsigned n, double *per_est, double *per_tw) {
  struct sn_config cfg;
  sn_config_default(&cfg, SN_PROFILE_LINUX);
  sn_config_set(&cfg, "ip_local_port_range", "1024 65535");
  sn_config_set(&cfg, "tcp_max_syn_backlog", "65535");
  struct sn_sim *sim = sn_sim_new(2);
  struct mem m = {.n = n};
  m.a = sn_sim_add_host(sim, "A", &cfg);
  m.b = sn_sim_add_host(sim, "B", &cfg);
  sn_sim_connect(sim, m.a, "198.18.0.1/24", m.b, "198.18.0.2/24", 1500, NULL);
  m.cli = calloc(n, sizeof *m.cli);
  m.srv = calloc(n, sizeof *m.srv);
  m.lsd = sn_socket(m.b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  sn_bind(m.b, m.lsd, &any);
  sn_listen(m.b, m.lsd, 65535);
  sn_set_event_cb(m.b, m.lsd, mem_accept, &m);
  uint32_t dst;
  sn_ip4_parse("198.18.0.2", &dst);
  struct sn_sockaddr to = {dst, 80};
  /* Warm up ARP and the tables with a first connection. */
  sn_sim_run_until(sim, SEC);
  size_t before = heap();
  for (unsigned i = 0; i < n; i++) {
    m.cli[i] = sn_socket(m.a, SN_SOCK_STREAM);
    sn_connect(m.a, m.cli[i], &to);
    if (i % 256 == 255)
      sn_sim_run_until(sim, sn_sim_now(sim) + 1000000);
  }
  sn_sim_run_until(sim, sn_sim_now(sim) + SEC);
  size_t est = heap();
  *per_est = m.accepted == n ? (double)(est - before) / (2.0 * n) : -1;
  /* Close from the client side: its ends go to TIME-WAIT, the server's
   * ends finish; then close the server sockets too. */
  for (unsigned i = 0; i < n; i++)
    sn_close(m.a, m.cli[i]);
  sn_sim_run_until(sim, sn_sim_now(sim) + SEC);
  for (unsigned i = 0; i < m.accepted; i++)
    sn_close(m.b, m.srv[i]);
  sn_sim_run_until(sim, sn_sim_now(sim) + SEC);
  size_t tw = heap();
  *per_tw = (double)(tw > before ? tw - before : 0) / n;
  sn_sim_free(sim);
  free(m.cli);
  free(m.srv);
}

int main(int argc, char **argv) {
  int runs = 5;
  uint64_t size = 1ull << 30;
  unsigned conns = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--runs"))
      runs = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--size"))
      size = strtoull(argv[i + 1], NULL, 0);
    else if (!strcmp(argv[i], "--conns"))
      conns = (unsigned)atoi(argv[i + 1]);
  }
  if (runs < 1 || runs > 100)
    runs = 5;
  printf("| figure | synack (median) | min | max | conditions |\n");
  printf("|---|---|---|---|---|\n");
  const uint32_t mtus[] = {1500, 9000, 65535};
  for (unsigned m = 0; m < 3; m++) {
    double v[100];
    for (int r = 0; r < runs; r++)
      v[r] = bulk_run(size, mtus[m]);
    qsort(v, (size_t)runs, sizeof v[0], cmp_double);
    printf("| bulk TCP, MTU %u | %.2f Gbit/s | %.2f | %.2f | one connection, "
           "%llu MiB, lossless simulated link, both ends on one core, %d runs |\n",
           mtus[m], v[runs / 2], v[0], v[runs - 1],
           (unsigned long long)(size >> 20), runs);
  }
  double est, tw;
  memory(conns, &est, &tw);
  printf("| memory per idle established endpoint | %.0f bytes | | | %u "
         "connections (both ends counted), heap growth / (2 x N) |\n", est, conns);
  printf("| memory per TIME-WAIT connection | %.0f bytes | | | the same %u, "
         "closed by the client |\n", tw, conns);
  return 0;
}
