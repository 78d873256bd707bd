/*
 * bench_synack.c - synack's figures for the benchmark table, each printed
 * as a JSON line (bench.h), over the in-memory switch of memnet.h: both
 * ends in this process, on one core.
 *
 *   bulk_mtu{1500,9000,65535}  one connection, lossless, Gbit/s of payload
 *   loss1_mtu1500              the same across 1% random loss each way
 *   short_conn                 connect, 64 B request, 64 B reply, close:
 *                              transactions per second, TIME-WAIT kept
 *                              for its full 60 s (many client addresses)
 *   mem_established            heap bytes per idle established endpoint
 *   mem_timewait               heap bytes per TIME-WAIT connection
 *   mem_synrecv                heap bytes per SYN-RECEIVED request
 *   max_established            connection pairs one process holds (goal:
 *                              --max-conns, 1,000,000 by default)
 *   timers_{1e3,1e5,1e6}       ns per connection to arm, re-arm and expire
 *                              its timer on the stack's timing wheel
 *   keepalive_{1e3,1e5,max}    ns per connection for one keepalive round
 *                              (arm, fire, probe, answer) on N connections
 *
 * The TCP configuration is the linux profile with a 1 MiB receive window
 * (tcp_rmem default 2 MiB, half of it for data, as Linux counts it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timer.h"
#include "tcp/tcp_timewait.h"
#include "bench.h"
#include "memnet.h"

#define SEC 1000000000ull
#define MS 1000000ull

static struct bench_opts opts;
static uint8_t chunk[1 << 20];
static uint8_t sink_buf[1 << 20];

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return a << 24 | b << 16 | c << 8 | d;
}

static void base_config(struct sn_config *c) {
  sn_config_default(c, SN_PROFILE_LINUX);
  sn_config_set(c, "tcp_rmem", "4096 2097152 16777216");
  sn_config_set(c, "tcp_wmem", "4096 2097152 16777216");
}

/* Bulk ---------------------------------------------------------------------- */

struct bulk {
  struct sn_stack *a, *b;
  int lsd, a_sd, b_sd;
  uint64_t size, sent, rcvd;
  uint64_t t_first, t_last;
  bool done;
};

static void bulk_sender(void *ctx, int sd, unsigned ev) {
  struct bulk *k = ctx;
  if (!(ev & SN_POLLOUT))
    return;
  if (!k->t_first)
    k->t_first = bench_wall_ns();
  while (k->sent < k->size) {
    uint64_t left = k->size - k->sent;
    size_t n = left < sizeof chunk ? (size_t)left : sizeof chunk;
    ssize_t w = sn_send(k->a, sd, chunk, n, 0);
    if (w <= 0)
      return;
    k->sent += (uint64_t)w;
  }
}

static void bulk_receiver(void *ctx, int sd, unsigned ev) {
  struct bulk *k = ctx;
  (void)ev;
  if (sd == k->lsd) {
    int c = sn_accept(k->b, sd, NULL);
    if (c >= 0) {
      k->b_sd = c;
      sn_set_event_cb(k->b, c, bulk_receiver, k);
    }
    return;
  }
  ssize_t n;
  while ((n = sn_recv(k->b, sd, sink_buf, sizeof sink_buf, 0)) > 0)
    k->rcvd += (uint64_t)n;
  if (k->rcvd >= k->size && !k->done) {
    k->done = true;
    k->t_last = bench_wall_ns();
  }
}

static bool bulk_done(void *ctx) { return ((struct bulk *)ctx)->done; }

/* One transfer of size bytes; Gbit/s of payload delivered (up to the
 * limit) and whether all of it arrived. */
static double bulk_run(uint32_t mtu, uint64_t size, double loss,
                       uint64_t limit, uint64_t seed, bool *completed) {
  struct sn_config cfg;
  base_config(&cfg);
  struct mn_net *net = mn_new(MN_WALL, mtu, loss, seed);
  struct bulk k = {.size = size, .b_sd = -1};
  k.a = mn_add(net, "A", &cfg, ip4(198, 18, 0, 1), 24);
  k.b = mn_add(net, "B", &cfg, ip4(198, 18, 0, 2), 24);
  k.lsd = sn_socket(k.b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 5001};
  sn_bind(k.b, k.lsd, &any);
  sn_listen(k.b, k.lsd, 4);
  sn_set_event_cb(k.b, k.lsd, bulk_receiver, &k);
  k.a_sd = sn_socket(k.a, SN_SOCK_STREAM);
  sn_set_event_cb(k.a, k.a_sd, bulk_sender, &k);
  struct sn_sockaddr to = {ip4(198, 18, 0, 2), 5001};
  sn_connect(k.a, k.a_sd, &to);
  uint64_t start = bench_wall_ns();
  *completed = mn_run(net, bulk_done, &k, limit);
  uint64_t t0 = k.t_first ? k.t_first : start;
  uint64_t t1 = k.done ? k.t_last : bench_wall_ns();
  mn_free(net);
  return t1 > t0 ? (double)k.rcvd * 8 / ((double)(t1 - t0)) : 0;
}

static void fig_bulk(uint32_t mtu) {
  char name[32];
  snprintf(name, sizeof name, "bulk_mtu%u", mtu);
  if (!bench_selected(&opts, name))
    return;
  uint64_t size = opts.quick ? 16ull << 20 : 1ull << 30;
  struct bench_fig f;
  bench_fig_init(&f, name, "synack", "Gbit/s", "higher");
  for (int r = 0; r < opts.runs; r++) {
    bool ok;
    double g = bulk_run(mtu, size, 0, 120 * SEC, 1 + (uint64_t)r, &ok);
    bench_fig_add(&f, ok ? g : 0);
    bench_progress("%s run %d: %.2f Gbit/s", name, r + 1, g);
  }
  snprintf(f.conditions, sizeof f.conditions,
           "one connection, %llu MiB, MTU %u, 1 MiB window, lossless "
           "in-memory link copying each frame once, both ends on one core",
           (unsigned long long)(size >> 20), mtu);
  bench_emit(&f);
}

static void fig_loss(void) {
  if (!bench_selected(&opts, "loss1_mtu1500"))
    return;
  uint64_t size = opts.quick ? 4ull << 20 : 256ull << 20;
  uint64_t limit = (opts.quick ? 5 : 60) * SEC;
  struct bench_fig f;
  bench_fig_init(&f, "loss1_mtu1500", "synack", "Gbit/s", "higher");
  for (int r = 0; r < opts.runs; r++) {
    bool ok;
    double g = bulk_run(1500, size, 0.01, limit, 100 + (uint64_t)r, &ok);
    bench_fig_add_run(&f, g, ok);
    bench_progress("loss1_mtu1500 run %d: %.2f Gbit/s%s", r + 1, g,
                   ok ? "" : " (incomplete)");
  }
  snprintf(f.conditions, sizeof f.conditions,
           "one connection, %llu MiB, MTU 1500, 1 MiB window, 1%% random "
           "loss each way (seeded), wall-clock timers, limit %llu s",
           (unsigned long long)(size >> 20), (unsigned long long)(limit / SEC));
  bench_emit(&f);
}

/* Short connections ------------------------------------------------------- */

#define SC_CLIENTS 32
#define SC_INFLIGHT 64

struct sc;
struct sc_conn {
  struct sc *s;
  struct sn_stack *st;
  int sd;
  uint32_t got;
  bool sent;
  struct sc_conn *next_free;
};

struct sc {
  struct mn_net *net;
  struct sn_stack *srv, *cli[SC_CLIENTS];
  int lsd;
  unsigned next_cli;
  uint64_t txn, errors;
  uint64_t deadline; /* wall ns: start no new connections after it */
  uint64_t max_txn, started; /* BENCH_TXN: a fixed count (for profiling) */
  struct sc_conn *free;
  unsigned open;
};

static struct sc_conn *sc_alloc(struct sc *s) {
  struct sc_conn *c = s->free;
  if (c)
    s->free = c->next_free;
  else
    c = malloc(sizeof *c);
  memset(c, 0, sizeof *c);
  c->s = s;
  return c;
}

static void sc_release(struct sc_conn *c) {
  c->next_free = c->s->free;
  c->s->free = c;
}

static void sc_client_ev(void *ctx, int sd, unsigned ev);

static void sc_start(struct sc *s) {
  if (bench_wall_ns() >= s->deadline || (s->max_txn && s->started >= s->max_txn))
    return;
  s->started++;
  struct sc_conn *c = sc_alloc(s);
  c->st = s->cli[s->next_cli++ % SC_CLIENTS];
  c->sd = sn_socket(c->st, SN_SOCK_STREAM);
  sn_set_event_cb(c->st, c->sd, sc_client_ev, c);
  struct sn_sockaddr to = {ip4(198, 18, 0, 1), 80};
  int r = sn_connect(c->st, c->sd, &to);
  if (r != -EINPROGRESS && r != 0) {
    s->errors++;
    sn_close(c->st, c->sd);
    sc_release(c);
    return;
  }
  s->open++;
}

static void sc_client_ev(void *ctx, int sd, unsigned ev) {
  struct sc_conn *c = ctx;
  struct sc *s = c->s;
  if (ev & (SN_POLLERR | SN_POLLHUP)) {
    s->errors++;
  } else {
    if ((ev & SN_POLLOUT) && !c->sent) {
      if (sn_send(c->st, sd, chunk, 64, 0) != 64)
        return;
      c->sent = true;
    }
    if (ev & SN_POLLIN) {
      ssize_t n = sn_recv(c->st, sd, sink_buf, 64 - c->got, 0);
      if (n > 0)
        c->got += (uint32_t)n;
    }
    if (c->got < 64)
      return;
    s->txn++;
  }
  sn_set_event_cb(c->st, sd, NULL, NULL);
  sn_close(c->st, sd);
  s->open--;
  sc_release(c);
  sc_start(s);
}

static void sc_server_ev(void *ctx, int sd, unsigned ev) {
  struct sc_conn *c = ctx;
  (void)ev;
  ssize_t n;
  while ((n = sn_recv(c->st, sd, sink_buf, sizeof sink_buf, 0)) > 0) {
    c->got += (uint32_t)n;
    if (c->got >= 64 && !c->sent) {
      sn_send(c->st, sd, chunk, 64, 0);
      c->sent = true;
    }
  }
  if (n == 0 || (ev & (SN_POLLERR | SN_POLLHUP))) {
    sn_set_event_cb(c->st, sd, NULL, NULL);
    sn_close(c->st, sd);
    sc_release(c);
  }
}

static void sc_accept_ev(void *ctx, int sd, unsigned ev) {
  struct sc *s = ctx;
  (void)ev;
  int a;
  while ((a = sn_accept(s->srv, sd, NULL)) >= 0) {
    struct sc_conn *c = sc_alloc(s);
    c->st = s->srv;
    c->sd = a;
    sn_set_event_cb(s->srv, a, sc_server_ev, c);
  }
}

static bool sc_done(void *ctx) {
  struct sc *s = ctx;
  return s->open == 0 &&
         (bench_wall_ns() >= s->deadline || (s->max_txn && s->started >= s->max_txn));
}

static double sc_run(uint64_t duration, uint64_t *tw_records) {
  struct sn_config cfg;
  base_config(&cfg);
  sn_config_set(&cfg, "ip_local_port_range", "1024 65535");
  sn_config_set(&cfg, "tcp_max_tw_buckets", "16777216");
  sn_config_set(&cfg, "somaxconn", "65535");
  struct sc s = {0};
  s.net = mn_new(MN_WALL, 1500, 0, 7);
  s.srv = mn_add(s.net, "server", &cfg, ip4(198, 18, 0, 1), 16);
  for (unsigned i = 0; i < SC_CLIENTS; i++) {
    char name[16];
    snprintf(name, sizeof name, "c%u", i);
    s.cli[i] = mn_add(s.net, name, &cfg, ip4(198, 18, 1, 1 + i), 16);
  }
  s.lsd = sn_socket(s.srv, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  sn_bind(s.srv, s.lsd, &any);
  sn_listen(s.srv, s.lsd, 65535);
  sn_set_event_cb(s.srv, s.lsd, sc_accept_ev, &s);
  /* ARP first, so that it is not in the measurement. */
  for (unsigned i = 0; i < SC_CLIENTS; i++)
    sn_stack_ping(s.cli[i], ip4(198, 18, 0, 1), 1, 1, 8);
  mn_run(s.net, NULL, NULL, 10 * MS);
  uint64_t t0 = bench_wall_ns();
  s.deadline = t0 + duration;
  if (getenv("BENCH_TXN")) { /* instruction counts per transaction */
    s.max_txn = strtoull(getenv("BENCH_TXN"), NULL, 10);
    s.deadline = UINT64_MAX;
  }
  for (unsigned i = 0; i < SC_INFLIGHT; i++)
    sc_start(&s);
  mn_run(s.net, sc_done, &s, duration + 10 * SEC);
  uint64_t t1 = bench_wall_ns();
  *tw_records = 0;
  uint64_t segs = sn_stack_counter(s.srv, SN_CTR_TcpOutSegs);
  for (unsigned i = 0; i < SC_CLIENTS; i++)
    segs += sn_stack_counter(s.cli[i], SN_CTR_TcpOutSegs);
  bench_progress("short_conn: %.2f segments per transaction",
                 s.txn ? (double)segs / (double)s.txn : 0.0);
  for (unsigned i = 0; i < SC_CLIENTS; i++)
    *tw_records += sn_stack_counter(s.cli[i], SN_CTR_SnTcpTimeWaitRecords) -
                   sn_stack_counter(s.cli[i], SN_CTR_TcpExtTW);
  if (s.errors)
    bench_progress("short_conn: %llu connections failed",
                   (unsigned long long)s.errors);
  mn_free(s.net);
  while (s.free) {
    struct sc_conn *c = s.free;
    s.free = c->next_free;
    free(c);
  }
  return (double)s.txn / ((double)(t1 - t0) / 1e9);
}

static void fig_short(void) {
  if (!bench_selected(&opts, "short_conn"))
    return;
  uint64_t duration = (opts.quick ? 300 : 3000) * MS;
  struct bench_fig f;
  bench_fig_init(&f, "short_conn", "synack", "txn/s", "higher");
  uint64_t tw = 0;
  for (int r = 0; r < opts.runs; r++) {
    double v = sc_run(duration, &tw);
    bench_fig_add(&f, v);
    bench_progress("short_conn run %d: %.0f txn/s, %llu TIME-WAIT records held",
                   r + 1, v, (unsigned long long)tw);
  }
  snprintf(f.conditions, sizeof f.conditions,
           "connect, 64 B request, 64 B reply, client closes first; %u "
           "in flight from %u client addresses (ports 1024-65535), TIME-WAIT "
           "kept its full 60 s (no tcp_tw_reuse), %.1f s per run, one core",
           SC_INFLIGHT, SC_CLIENTS, (double)duration / 1e9);
  bench_emit(&f);
}

/* Many connections: memory, keepalive ------------------------------------ */

#define MC_PER_CLIENT 30000 /* half the port range: room for TIME-WAIT */

struct mc {
  struct mn_net *net;
  struct sn_stack *srv;
  struct sn_stack **cli;
  unsigned ncli;
  int *csd, *ssd;
  uint64_t n, accepted, connected, server_closed;
};

static void mc_server_ev(void *ctx, int sd, unsigned ev) {
  struct mc *m = ctx;
  (void)ev;
  char b[16];
  if (sn_recv(m->srv, sd, b, sizeof b, 0) == 0) {
    sn_set_event_cb(m->srv, sd, NULL, NULL);
    sn_close(m->srv, sd);
    m->server_closed++;
  }
}

static void mc_accept_ev(void *ctx, int sd, unsigned ev) {
  struct mc *m = ctx;
  (void)ev;
  int a;
  while ((a = sn_accept(m->srv, sd, NULL)) >= 0) {
    if (m->accepted < m->n)
      m->ssd[m->accepted] = a;
    m->accepted++;
    sn_set_event_cb(m->srv, a, mc_server_ev, m);
  }
}

static bool mc_all_accepted(void *ctx) {
  struct mc *m = ctx;
  return m->accepted >= m->n;
}

static bool mc_all_closed(void *ctx) {
  struct mc *m = ctx;
  return m->server_closed >= m->accepted;
}

static void mc_config(struct sn_config *cfg) {
  base_config(cfg);
  sn_config_set(cfg, "ip_local_port_range", "1024 65535");
  sn_config_set(cfg, "tcp_max_tw_buckets", "16777216");
  sn_config_set(cfg, "somaxconn", "65535");
  sn_config_set(cfg, "tcp_max_syn_backlog", "1048576");
}

/* n idle established pairs on a virtual clock; false if they could not
 * all be opened (memory). */
static bool mc_open(struct mc *m, uint64_t n) {
  struct sn_config cfg;
  mc_config(&cfg);
  memset(m, 0, sizeof *m);
  m->n = n;
  m->net = mn_new(MN_VIRTUAL, 1500, 0, 3);
  m->ncli = (unsigned)((n + MC_PER_CLIENT - 1) / MC_PER_CLIENT);
  m->cli = calloc(m->ncli, sizeof *m->cli);
  m->csd = malloc(n * sizeof *m->csd);
  m->ssd = malloc(n * sizeof *m->ssd);
  if (!m->net || !m->cli || !m->csd || !m->ssd)
    return false;
  m->srv = mn_add(m->net, "server", &cfg, ip4(198, 18, 0, 1), 15);
  for (unsigned i = 0; i < m->ncli; i++) {
    char name[16];
    snprintf(name, sizeof name, "c%u", i);
    m->cli[i] = mn_add(m->net, name, &cfg, ip4(198, 18, 1 + i / 250, 1 + i % 250), 15);
    if (!m->cli[i])
      return false;
    sn_stack_ping(m->cli[i], ip4(198, 18, 0, 1), 1, 1, 8);
  }
  int lsd = sn_socket(m->srv, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  sn_bind(m->srv, lsd, &any);
  sn_listen(m->srv, lsd, 65535);
  sn_set_event_cb(m->srv, lsd, mc_accept_ev, m);
  mn_run(m->net, NULL, NULL, 10 * MS);
  return true;
}

/* Connect clients [from, to) and wait until the server accepted them. */
static bool mc_connect_range(struct mc *m, uint64_t from, uint64_t to_i) {
  struct sn_sockaddr to = {ip4(198, 18, 0, 1), 80};
  for (uint64_t i = from; i < to_i; i++) {
    struct sn_stack *c = m->cli[i / MC_PER_CLIENT];
    m->csd[i] = sn_socket(c, SN_SOCK_STREAM);
    int r = m->csd[i] < 0 ? m->csd[i] : sn_connect(c, m->csd[i], &to);
    if (r != -EINPROGRESS) {
      bench_progress("connection %llu: %s", (unsigned long long)i, strerror(-r));
      return false;
    }
    if (i % 1024 == 1023)
      mn_run(m->net, NULL, NULL, 1 * MS);
  }
  uint64_t want = m->n;
  m->n = to_i; /* mc_all_accepted() waits for this many */
  bool ok = mn_run(m->net, mc_all_accepted, m, 10 * SEC);
  if (!ok)
    bench_progress("connections %llu to %llu: %llu of them accepted",
                   (unsigned long long)from, (unsigned long long)to_i,
                   (unsigned long long)(m->accepted - from));
  m->n = want;
  return ok;
}

static bool mc_connect_all(struct mc *m) { return mc_connect_range(m, 0, m->n); }

/* Clients [from, to) close first (TIME-WAIT); the server's ends close on
 * their FINs. */
static void mc_close_range(struct mc *m, uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; i++)
    sn_close(m->cli[i / MC_PER_CLIENT], m->csd[i]);
  mn_run(m->net, mc_all_closed, m, 10 * SEC);
  mn_run(m->net, NULL, NULL, 10 * MS); /* the last ACKs */
}

static void mc_free(struct mc *m) {
  mn_free(m->net);
  free(m->cli);
  free(m->csd);
  free(m->ssd);
}

static void fig_memory(void) {
  if (!bench_selected(&opts, "mem_"))
    return;
  uint64_t n = opts.quick ? 2000 : 100000;
  struct mc m;
  size_t before = bench_heap();
  if (!mc_open(&m, n)) {
    bench_progress("mem: could not set up");
    return;
  }
  size_t base = bench_heap();
  (void)before;
  bool ok = mc_connect_all(&m);
  size_t est = bench_heap();
  struct bench_fig f;
  bench_fig_init(&f, "mem_established", "synack", "bytes", "lower");
  bench_fig_add(&f, ok ? (double)(est - base) / (2.0 * (double)n) : -1);
  snprintf(f.conditions, sizeof f.conditions,
           "heap growth (mallinfo2) over %llu idle established pairs / 2N "
           "endpoints: control block, socket, tables; no buffers while idle",
           (unsigned long long)n);
  bench_emit(&f);
  mc_close_range(&m, 0, n);
  mc_free(&m);
  /* TIME-WAIT on its own: the same number of connections, opened and
   * closed a thousand at a time, so that what grows is the TIME-WAIT
   * table and not the tables sized for 100,000 live connections. */
  if (!mc_open(&m, n))
    return;
  base = bench_heap();
  for (uint64_t i = 0; i < n && ok; i += 1000) {
    uint64_t to = i + 1000 < n ? i + 1000 : n;
    ok = mc_connect_range(&m, i, to);
    mc_close_range(&m, i, to);
  }
  size_t tw = bench_heap();
  uint64_t records = 0;
  for (unsigned c = 0; c < m.ncli; c++)
    records += sn_stack_counter(m.cli[c], SN_CTR_SnTcpTimeWaitRecords) -
               sn_stack_counter(m.cli[c], SN_CTR_TcpExtTW);
  bench_fig_init(&f, "mem_timewait", "synack", "bytes", "lower");
  if (records != n)
    bench_progress("mem_timewait: %llu records for %llu connections",
                   (unsigned long long)records, (unsigned long long)n);
  bench_fig_add(&f, ok && records == n ? (double)(tw - base) / (double)n : -1);
  snprintf(f.conditions, sizeof f.conditions,
           "heap growth per connection for %llu client ends in TIME-WAIT "
           "(%llu records of %zu bytes, with their pool and hash table), "
           "opened and closed 1000 at a time",
           (unsigned long long)n, (unsigned long long)records,
           sizeof(struct sn_twrec));
  bench_emit(&f);
  mc_free(&m);
}

/* SYN-RECEIVED: SYNs from many addresses whose SYN-ACKs go nowhere. */
static size_t put_syn(uint8_t *fr, const uint8_t dst_mac[6], uint32_t src,
                      uint16_t sport, uint32_t dst, uint16_t dport,
                      uint32_t seq, unsigned k) {
  memcpy(fr, dst_mac, 6);
  uint8_t smac[6] = {0x02, 0xee, 0, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
  memcpy(fr + 6, smac, 6);
  fr[12] = 0x08;
  fr[13] = 0x00;
  uint8_t *ip = fr + 14;
  memset(ip, 0, 20);
  ip[0] = 0x45;
  ip[3] = 44;
  ip[6] = 0x40;
  ip[8] = 64;
  ip[9] = 6;
  for (int i = 0; i < 4; i++) {
    ip[12 + i] = (uint8_t)(src >> (24 - 8 * i));
    ip[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
  }
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2)
    sum += (uint32_t)ip[i] << 8 | ip[i + 1];
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = (uint8_t)(~sum >> 8);
  ip[11] = (uint8_t)~sum;
  uint8_t *t = ip + 20;
  memset(t, 0, 24);
  t[0] = (uint8_t)(sport >> 8);
  t[1] = (uint8_t)sport;
  t[2] = (uint8_t)(dport >> 8);
  t[3] = (uint8_t)dport;
  t[4] = (uint8_t)(seq >> 24);
  t[5] = (uint8_t)(seq >> 16);
  t[6] = (uint8_t)(seq >> 8);
  t[7] = (uint8_t)seq;
  t[12] = 6 << 4;
  t[13] = 0x02;
  t[14] = 0xff;
  t[15] = 0xff;
  t[20] = 2; /* MSS 1460 */
  t[21] = 4;
  t[22] = 0x05;
  t[23] = 0xb4;
  sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + 24;
  for (int i = 0; i < 24; i += 2)
    sum += (uint32_t)t[i] << 8 | t[i + 1];
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  t[16] = (uint8_t)(~sum >> 8);
  t[17] = (uint8_t)~sum;
  return 14 + 44;
}

/* An ARP request from src (mac k) asking for dst: dst learns src. */
static size_t put_arp(uint8_t *fr, uint32_t src, uint32_t dst, unsigned k) {
  memset(fr, 0xff, 6);
  uint8_t smac[6] = {0x02, 0xee, 0, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
  memcpy(fr + 6, smac, 6);
  fr[12] = 0x08;
  fr[13] = 0x06;
  uint8_t *a = fr + 14;
  const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
  memcpy(a, hdr, 8);
  memcpy(a + 8, smac, 6);
  for (int i = 0; i < 4; i++) {
    a[14 + i] = (uint8_t)(src >> (24 - 8 * i));
    a[24 + i] = (uint8_t)(dst >> (24 - 8 * i));
  }
  memset(a + 18, 0, 6);
  return 14 + 28;
}

static void fig_synrecv(void) {
  if (!bench_selected(&opts, "mem_synrecv"))
    return;
  unsigned n = opts.quick ? 2000 : 50000;
  struct sn_config cfg;
  mc_config(&cfg);
  struct mn_net *net = mn_new(MN_VIRTUAL, 1500, 0, 5);
  struct sn_stack *srv = mn_add(net, "server", &cfg, ip4(198, 18, 0, 1), 15);
  int lsd = sn_socket(srv, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 80};
  sn_bind(srv, lsd, &any);
  sn_listen(srv, lsd, 65535);
  const uint8_t srv_mac[6] = {0x02, 0, 0, 0, 0, 0};
  uint8_t fr[128];
  const unsigned addrs = 16;
  for (unsigned k = 0; k < addrs; k++) {
    size_t len = put_arp(fr, ip4(198, 18, 2, 1 + k), ip4(198, 18, 0, 1), k);
    sn_stack_input(srv, 1, fr, len, mn_now(net));
  }
  mn_run(net, NULL, NULL, 1 * MS);
  size_t base = bench_heap();
  for (unsigned i = 0; i < n; i++) {
    unsigned k = i % addrs;
    size_t len = put_syn(fr, srv_mac, ip4(198, 18, 2, 1 + k),
                         (uint16_t)(1024 + i / addrs), ip4(198, 18, 0, 1), 80,
                         1000 + i, k);
    sn_stack_input(srv, 1, fr, len, mn_now(net));
  }
  mn_run(net, NULL, NULL, 1 * MS);
  size_t after = bench_heap();
  uint64_t cookies = sn_stack_counter(srv, SN_CTR_TcpExtSyncookiesSent);
  struct bench_fig f;
  bench_fig_init(&f, "mem_synrecv", "synack", "bytes", "lower");
  bench_fig_add(&f, (double)(after - base) / n);
  snprintf(f.conditions, sizeof f.conditions,
           "heap growth per half-open connection: %u SYNs whose SYN-ACKs are "
           "never answered (%llu SYN cookies sent)",
           n, (unsigned long long)cookies);
  bench_emit(&f);
  mn_free(net);
}

/* Keepalive on n connections: ns per connection to arm (SO_KEEPALIVE and
 * TCP_KEEPIDLE 1 s), and for the round that fires them all (probe,
 * answer, re-arm). */
static void keepalive_round(struct mc *m, double *arm_ns, double *round_ns) {
  int one = 1;
  uint64_t t0 = bench_wall_ns();
  for (uint64_t i = 0; i < m->n; i++) {
    struct sn_stack *c = m->cli[i / MC_PER_CLIENT];
    sn_setsockopt(c, m->csd[i], SN_IPPROTO_TCP, SN_TCP_KEEPIDLE, &one, sizeof one);
    sn_setsockopt(c, m->csd[i], SN_SOL_SOCKET, SN_SO_KEEPALIVE, &one, sizeof one);
  }
  uint64_t t1 = bench_wall_ns();
  uint64_t probes0 = 0, probes1 = 0;
  for (unsigned i = 0; i < m->ncli; i++)
    probes0 += sn_stack_counter(m->cli[i], SN_CTR_SnTcpKeepAliveProbes);
  mn_run(m->net, NULL, NULL, 1500 * MS);
  uint64_t t2 = bench_wall_ns();
  for (unsigned i = 0; i < m->ncli; i++)
    probes1 += sn_stack_counter(m->cli[i], SN_CTR_SnTcpKeepAliveProbes);
  if (probes1 - probes0 != m->n)
    bench_progress("keepalive: %llu probes for %llu connections",
                   (unsigned long long)(probes1 - probes0),
                   (unsigned long long)m->n);
  *arm_ns = (double)(t1 - t0) / (double)m->n;
  *round_ns = (double)(t2 - t1) / (double)m->n;
}

static void fig_keepalive(uint64_t n, const char *name) {
  if (!bench_selected(&opts, name))
    return;
  struct bench_fig f;
  bench_fig_init(&f, name, "synack", "ns/conn", "lower");
  for (int r = 0; r < (opts.runs < 3 ? opts.runs : 3); r++) {
    struct mc m;
    if (!mc_open(&m, n) || !mc_connect_all(&m)) {
      bench_progress("%s: could not open %llu connections", name,
                     (unsigned long long)n);
      mc_free(&m);
      return;
    }
    double arm, round;
    keepalive_round(&m, &arm, &round);
    bench_fig_add(&f, arm + round);
    bench_progress("%s run %d: arm %.0f ns, round %.0f ns per connection", name,
                   r + 1, arm, round);
    mc_free(&m);
  }
  snprintf(f.conditions, sizeof f.conditions,
           "%llu established connections: arm keepalive on each, then one "
           "round that fires every timer (probe sent, answered, re-armed)",
           (unsigned long long)n);
  bench_emit(&f);
}

static void fig_max_established(void) {
  if (!bench_selected(&opts, "max_established"))
    return;
  uint64_t n = opts.quick ? 20000 : opts.max_conns;
  struct mc m;
  size_t base = bench_heap();
  uint64_t t0 = bench_wall_ns();
  bool ok = mc_open(&m, n) && mc_connect_all(&m);
  uint64_t t1 = bench_wall_ns();
  size_t used = bench_heap() - base;
  struct bench_fig f;
  bench_fig_init(&f, "max_established", "synack", "pairs", "higher");
  bench_fig_add(&f, ok ? (double)n : (double)m.accepted);
  snprintf(f.conditions, sizeof f.conditions,
           "established connection pairs in one process (both ends here): "
           "%.2f GiB of heap, opened in %.1f s; goal %llu",
           (double)used / (1 << 30), (double)(t1 - t0) / 1e9,
           (unsigned long long)n);
  bench_emit(&f);
  if (ok && bench_selected(&opts, "keepalive_max")) {
    double arm, round;
    keepalive_round(&m, &arm, &round);
    bench_fig_init(&f, "keepalive_max", "synack", "ns/conn", "lower");
    bench_fig_add(&f, arm + round);
    snprintf(f.conditions, sizeof f.conditions,
             "as keepalive_1e3, on the %llu connections above",
             (unsigned long long)n);
    bench_emit(&f);
  }
  mc_free(&m);
}

/* The timing wheel alone ------------------------------------------------ */

static uint64_t wheel_fired;
static void wheel_cb(struct sn_timer *t) {
  (void)t;
  wheel_fired++;
}

static double wheel_round(uint64_t n, uint64_t seed) {
  struct sn_wheel *w = malloc(sizeof *w);
  struct sn_timer *t = malloc(n * sizeof *t);
  uint64_t x = seed;
  sn_wheel_init(w, SEC);
  for (uint64_t i = 0; i < n; i++)
    sn_timer_init(&t[i], wheel_cb);
  wheel_fired = 0;
  uint64_t t0 = bench_wall_ns();
  /* Arm each at an RTO-like deadline, re-arm it (an ACK came), then run
   * the clock until all have fired. */
  for (int pass = 0; pass < 2; pass++)
    for (uint64_t i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      uint64_t d = 200 * MS + x % (120 * SEC);
      sn_timer_arm(w, &t[i], SEC + d);
    }
  sn_wheel_advance(w, SEC + 121 * SEC);
  uint64_t t1 = bench_wall_ns();
  if (wheel_fired != n)
    bench_progress("wheel: %llu of %llu fired", (unsigned long long)wheel_fired,
                   (unsigned long long)n);
  free(t);
  free(w);
  return (double)(t1 - t0) / (double)n;
}

static void fig_wheel(uint64_t n, const char *name) {
  if (!bench_selected(&opts, name))
    return;
  struct bench_fig f;
  bench_fig_init(&f, name, "synack", "ns/conn", "lower");
  for (int r = 0; r < opts.runs; r++)
    bench_fig_add(&f, wheel_round(n, 88172645463325252ull + (uint64_t)r));
  snprintf(f.conditions, sizeof f.conditions,
           "%llu timers on the stack's timing wheel: arm at a random "
           "deadline in 0.2-120 s, re-arm, advance until all fired",
           (unsigned long long)n);
  bench_emit(&f);
}

/* The ceiling: memcpy of the same payload, in 1460-byte pieces, between
 * two 4 MiB buffers (the size of the windows in flight). */
static void fig_memcpy(void) {
  if (!bench_selected(&opts, "bulk_mtu1500"))
    return;
  size_t area = 4u << 20, piece = 1460;
  uint8_t *src = malloc(area), *dst = malloc(area);
  memset(src, 7, area);
  memset(dst, 0, area);
  uint64_t total = opts.quick ? 256ull << 20 : 4ull << 30;
  struct bench_fig f;
  bench_fig_init(&f, "bulk_mtu1500", "memcpy", "Gbit/s", "higher");
  void *(*volatile cp)(void *, const void *, size_t) = memcpy;
  for (int r = 0; r < opts.runs; r++) {
    uint64_t t0 = bench_wall_ns(), done = 0;
    size_t off = 0;
    while (done < total) {
      if (off + piece > area)
        off = 0;
      cp(dst + off, src + off, piece);
      off += piece;
      done += piece;
    }
    uint64_t t1 = bench_wall_ns();
    bench_fig_add(&f, (double)done * 8 / (double)(t1 - t0));
  }
  snprintf(f.conditions, sizeof f.conditions,
           "memcpy of %llu MiB in 1460-byte pieces between two 4 MiB buffers: "
           "one copy of the payload, the physical ceiling",
           (unsigned long long)(total >> 20));
  bench_emit(&f);
  free(src);
  free(dst);
}

int main(int argc, char **argv) {
  bench_options(argc, argv, &opts, "bench_synack [--runs N] [--quick] "
                                   "[--only NAME] [--max-conns N]");
  memset(chunk, 'x', sizeof chunk);
  fig_memcpy();
  fig_bulk(1500);
  fig_bulk(9000);
  fig_bulk(65535);
  fig_loss();
  fig_short();
  fig_memory();
  fig_synrecv();
  fig_wheel(1000, "timers_1e3");
  fig_wheel(100000, "timers_1e5");
  fig_wheel(1000000, "timers_1e6");
  fig_keepalive(1000, "keepalive_1e3");
  fig_keepalive(opts.quick ? 10000 : 100000, "keepalive_1e5");
  fig_max_established();
  return 0;
}
