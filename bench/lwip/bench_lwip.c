/*
 * bench_lwip.c - lwIP anchor figures for synack's benchmarks.
 *
 * Two lwIP netifs (198.18.0.1/24 = "A", the client, and 198.18.0.2/24 =
 * "B", the server; Ethernet with ARP) live in this one process on one core.
 * They are joined by an in-memory link: a netif's linkoutput copies each
 * frame once into a FIFO for the other side (as a NIC's DMA would) and the
 * main loop feeds the FIFOs' frames to the peer netif's input. The clock is
 * real (sys_now() is CLOCK_MONOTONIC in ms); the loop runs lwIP's timeouts
 * and, when no frame waits, sleeps until the next one. The link can drop
 * frames at random with a seeded generator.
 *
 * Figures (one JSON object per line on stdout; progress on stderr):
 *   bulk_mtu1500     payload Gbit/s of one connection, lossless link
 *   loss1_mtu1500    the same with 1% random loss each way, time-limited
 *   mem_established  heap bytes per idle established endpoint
 *   mem_timewait     heap bytes per TIME-WAIT connection
 *   mem_synrecv      heap bytes per SYN-RECEIVED (half-open) connection
 *   short_conn       transactions/s of connect, 64 B request, 64 B reply,
 *                    close; only in bench_lwip_1024 (the same program built
 *                    with MEMP_NUM_TCP_PCB 1024 and static pools).
 * Each program prints its own figures by default: run both for all six.
 * bench_lwip --only short_conn runs bench_lwip_1024 for that figure.
 *
 *   bench_lwip [--runs N] [--size BYTES] [--quick] [--help] ...
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#ifndef BENCH_LWIP_VERSION
#define BENCH_LWIP_VERSION "2.1.3"
#endif
#if defined(BENCH_LWIP_1024) && BENCH_LWIP_1024
#define FLAVOUR_1024 1
#else
#define FLAVOUR_1024 0
#endif

#if FLAVOUR_1024
#define PROG "bench_lwip_1024"
#else
#define PROG "bench_lwip"
#endif

#define MAX_RUNS 100
#define MIB (1024.0 * 1024.0)

/* ------------------------------------------------------------------ */
/* Clock, random numbers, port glue                                    */
/* ------------------------------------------------------------------ */

static uint64_t origin_ns;

static uint64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* lwIP's clock: milliseconds since the program started. */
u32_t sys_now(void) { return (u32_t)((mono_ns() - origin_ns) / 1000000ull); }

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static double rng_unit(uint64_t *s) {
  return (double)(splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t lwip_rng = 1;

unsigned int bench_lwip_rand(void) {
  return (unsigned int)(splitmix64(&lwip_rng) >> 32);
}

int bench_lwip_diag(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(stderr, fmt, ap);
  va_end(ap);
  return n;
}

static size_t heap_bytes(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

/* ------------------------------------------------------------------ */
/* The in-memory link                                                  */
/* ------------------------------------------------------------------ */

struct fifo {
  struct pbuf **q;
  size_t cap, head, n;
};

/* Makes room for at least cap frames. */
static void fifo_reserve(struct fifo *f, size_t cap) {
  if (cap <= f->cap)
    return;
  struct pbuf **q = malloc(cap * sizeof *q);
  if (q == NULL) {
    fprintf(stderr, PROG ": out of memory for the link FIFO\n");
    exit(1);
  }
  for (size_t i = 0; i < f->n; i++)
    q[i] = f->q[(f->head + i) % f->cap];
  free(f->q);
  f->q = q;
  f->cap = cap;
  f->head = 0;
}

static void fifo_push(struct fifo *f, struct pbuf *p) {
  if (f->n == f->cap)
    fifo_reserve(f, f->cap ? 2 * f->cap : 1024);
  f->q[(f->head + f->n) % f->cap] = p;
  f->n++;
}

static struct pbuf *fifo_pop(struct fifo *f) {
  struct pbuf *p = f->q[f->head];
  f->head = (f->head + 1) % f->cap;
  f->n--;
  return p;
}

struct port {
  struct netif nif;
  struct port *peer;
  struct fifo rx;          /* frames on their way to this netif */
  uint64_t rng;            /* loss decisions for frames this port sends */
  uint64_t frames, drops, nomem;
};

static struct port ports[2]; /* [0] = A (client), [1] = B (server) */
static double link_loss;     /* probability of dropping a frame */
static bool drop_a_nonsyn;   /* drop A's TCP segments without SYN */
static ip4_addr_t ip_a, ip_b;

/* Is this Ethernet frame a TCP segment without SYN? */
static bool tcp_without_syn(const struct pbuf *p) {
  if (p->tot_len < 14 + 20 + 20)
    return false;
  if (pbuf_get_at(p, 12) != 0x08 || pbuf_get_at(p, 13) != 0x00)
    return false;
  u8_t vihl = pbuf_get_at(p, 14);
  if (pbuf_get_at(p, 14 + 9) != 6)
    return false;
  u16_t flags_at = (u16_t)(14 + (vihl & 0x0f) * 4 + 13);
  if (flags_at >= p->tot_len)
    return false;
  return (pbuf_get_at(p, flags_at) & 0x02) == 0;
}

static err_t link_output(struct netif *nif, struct pbuf *p) {
  struct port *me = nif->state;
  me->frames++;
  if (link_loss > 0 && rng_unit(&me->rng) < link_loss) {
    me->drops++;
    return ERR_OK;
  }
  if (drop_a_nonsyn && me == &ports[0] && tcp_without_syn(p)) {
    me->drops++;
    return ERR_OK;
  }
  /* The one copy of the frame, into a receive buffer of the peer. */
  struct pbuf *q = pbuf_alloc(PBUF_RAW, p->tot_len, PBUF_POOL);
  if (q == NULL) {
    me->nomem++;
    return ERR_OK;
  }
  if (pbuf_copy(q, p) != ERR_OK) {
    pbuf_free(q);
    me->nomem++;
    return ERR_OK;
  }
  fifo_push(&me->peer->rx, q);
  return ERR_OK;
}

static err_t port_init(struct netif *nif) {
  struct port *me = nif->state;
  nif->name[0] = 'b';
  nif->name[1] = me == &ports[0] ? 'a' : 'b';
  nif->hwaddr_len = ETH_HWADDR_LEN;
  static const u8_t mac[2][6] = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01},
                                 {0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
  memcpy(nif->hwaddr, mac[me == &ports[0] ? 0 : 1], ETH_HWADDR_LEN);
  nif->mtu = 1500;
  nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
               NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
  nif->output = etharp_output;
  nif->linkoutput = link_output;
  return ERR_OK;
}

/* Both hosts share one lwIP instance and one /24, so lwIP's own routing
 * (first netif whose network matches) would send every segment out of the
 * same netif: route by the segment's source address instead. */
struct netif *bench_route_src(const struct ip4_addr *src,
                              const struct ip4_addr *dest) {
  (void)dest;
  if (src == NULL || ip4_addr_isany(src))
    return NULL;
  for (int i = 0; i < 2; i++)
    if (ip4_addr_cmp(src, netif_ip4_addr(&ports[i].nif)))
      return &ports[i].nif;
  return NULL;
}

static void link_setup(void) {
  ip4_addr_t mask, gw;
  IP4_ADDR(&ip_a, 198, 18, 0, 1);
  IP4_ADDR(&ip_b, 198, 18, 0, 2);
  IP4_ADDR(&mask, 255, 255, 255, 0);
  ip4_addr_set_zero(&gw);
  ports[0].peer = &ports[1];
  ports[1].peer = &ports[0];
  /* The FIFOs' first room, before anything is measured. */
  for (int i = 0; i < 2; i++)
    fifo_reserve(&ports[i].rx, 4096);
  netif_add(&ports[0].nif, &ip_a, &mask, &gw, &ports[0], port_init,
            ethernet_input);
  netif_add(&ports[1].nif, &ip_b, &mask, &gw, &ports[1], port_init,
            ethernet_input);
  netif_set_up(&ports[0].nif);
  netif_set_up(&ports[1].nif);
  netif_set_link_up(&ports[0].nif);
  netif_set_link_up(&ports[1].nif);
  /* Each side's ARP entry for the other, before anything is measured. */
  etharp_request(&ports[0].nif, &ip_b);
  etharp_request(&ports[1].nif, &ip_a);
}

static void link_impair(double loss, uint64_t seed) {
  link_loss = loss;
  ports[0].rng = seed ^ 0x243f6a8885a308d3ull;
  ports[1].rng = seed ^ 0x13198a2e03707344ull;
}

static void link_reset_counters(void) {
  for (int i = 0; i < 2; i++)
    ports[i].frames = ports[i].drops = ports[i].nomem = 0;
}

/* Hands every frame now waiting for port p to its netif. */
static size_t deliver(struct port *p) {
  size_t n = p->rx.n;
  for (size_t i = 0; i < n; i++) {
    struct pbuf *q = fifo_pop(&p->rx);
    if (p->nif.input(q, &p->nif) != ERR_OK)
      pbuf_free(q);
  }
  return n;
}

static bool link_idle(void) { return ports[0].rx.n == 0 && ports[1].rx.n == 0; }

/* ------------------------------------------------------------------ */
/* The main loop                                                       */
/* ------------------------------------------------------------------ */

typedef bool (*cond_fn)(void *ctx);
static void (*loop_hook)(void); /* the application's step, if any */

/* Runs the stack until done(ctx) holds or the monotonic clock reaches
 * deadline_ns. Returns whether done(ctx) held. */
static bool run(cond_fn done, void *ctx, uint64_t deadline_ns) {
  for (;;) {
    if (done(ctx))
      return true;
    size_t moved = deliver(&ports[1]);
    moved += deliver(&ports[0]);
    sys_check_timeouts();
    if (loop_hook != NULL)
      loop_hook();
    if (done(ctx))
      return true;
    uint64_t now = mono_ns();
    if (now >= deadline_ns)
      return false;
    if (moved == 0 && link_idle()) {
      /* Nothing in flight: sleep until lwIP's next timeout. */
      u32_t ms = sys_timeouts_sleeptime();
      uint64_t ns = ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE
                        ? 100000000ull
                        : (uint64_t)ms * 1000000ull;
      if (ns > 100000000ull)
        ns = 100000000ull;
      if (ns > deadline_ns - now)
        ns = deadline_ns - now;
      if (ns > 0) {
        struct timespec ts = {(time_t)(ns / 1000000000ull),
                              (long)(ns % 1000000000ull)};
        nanosleep(&ts, NULL);
      }
    }
  }
}

static bool cond_link_idle(void *ctx) {
  (void)ctx;
  return link_idle();
}

static uint64_t after_s(double s) { return mono_ns() + (uint64_t)(s * 1e9); }

static void drain_link(void) { run(cond_link_idle, NULL, after_s(10)); }

static unsigned count_pcbs(struct tcp_pcb *list, int state, u16_t port) {
  unsigned n = 0;
  for (struct tcp_pcb *p = list; p != NULL; p = p->next)
    if ((state < 0 || p->state == (enum tcp_state)state) &&
        (port == 0 || p->local_port == port || p->remote_port == port))
      n++;
  return n;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      printf("\\u%04x", (unsigned char)*s);
    else
      putchar(*s);
  }
  putchar('"');
}

static void print_figure(const char *figure, const char *unit,
                         const char *better, const double *v, int n,
                         int decimals, const bool *completed,
                         const char *conditions) {
  printf("{\"figure\":");
  json_string(figure);
  printf(",\"impl\":\"lwip\",\"unit\":");
  json_string(unit);
  printf(",\"better\":");
  json_string(better);
  printf(",\"runs\":[");
  for (int i = 0; i < n; i++)
    printf("%s%.*f", i ? "," : "", decimals, v[i]);
  printf("]");
  if (completed != NULL) {
    printf(",\"completed\":[");
    for (int i = 0; i < n; i++)
      printf("%s%s", i ? "," : "", completed[i] ? "true" : "false");
    printf("]");
  }
  printf(",\"conditions\":");
  json_string(conditions);
  printf("}\n");
  fflush(stdout);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void summary(const char *figure, const char *unit, const double *v,
                    int n) {
  double s[MAX_RUNS];
  memcpy(s, v, (size_t)n * sizeof *s);
  qsort(s, (size_t)n, sizeof *s, cmp_double);
  fprintf(stderr, PROG ": %s: median %.3f %s (min %.3f, max %.3f, %d runs)\n",
          figure, s[n / 2], unit, s[0], s[n - 1], n);
}

/* ------------------------------------------------------------------ */
/* Bulk transfer (lossless and lossy)                                  */
/* ------------------------------------------------------------------ */

#define BULK_PORT 5001
#define PATTERN_PERIOD 251
/* The largest multiple of the MSS that one tcp_write() (u16_t) takes. */
#define WRITE_CHUNK ((0xffff / TCP_MSS) * TCP_MSS)

static u8_t pattern[WRITE_CHUNK + PATTERN_PERIOD];

struct bulk {
  struct tcp_pcb *listener, *cli, *srv;
  uint64_t size, queued, rcvd;
  uint64_t t_first, t_last;
  bool connected, done, failed, verify, corrupt;
  const char *why;
};

static struct bulk bk;

static void bulk_fill(struct tcp_pcb *pcb) {
  struct bulk *k = &bk;
  while (k->queued < k->size) {
    if (tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 1)
      break;
    u32_t room = pcb->snd_buf;
    uint64_t left = k->size - k->queued;
    u32_t n = left < WRITE_CHUNK ? (u32_t)left : WRITE_CHUNK;
    if (n > room)
      n = room - room % TCP_MSS; /* whole segments only, but the last */
    if (n == 0)
      break;
    u8_t flags = TCP_WRITE_FLAG_COPY;
    if (k->queued + n < k->size)
      flags |= TCP_WRITE_FLAG_MORE;
    err_t e = tcp_write(pcb, pattern + k->queued % PATTERN_PERIOD, (u16_t)n,
                        flags);
    if (e == ERR_MEM)
      break;
    if (e != ERR_OK) {
      k->failed = true;
      k->why = "tcp_write failed";
      return;
    }
    k->queued += n;
  }
  tcp_output(pcb);
}

static err_t bulk_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK) {
    bk.failed = true;
    bk.why = "connect failed";
    return ERR_OK;
  }
  bk.connected = true;
  bk.t_first = mono_ns();
  bulk_fill(pcb);
  return ERR_OK;
}

static err_t bulk_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
  (void)arg;
  (void)len;
  bulk_fill(pcb);
  return ERR_OK;
}

static void bulk_cli_err(void *arg, err_t err) {
  (void)arg;
  (void)err;
  bk.cli = NULL;
  bk.failed = true;
  bk.why = "client connection reset";
}

static void bulk_srv_err(void *arg, err_t err) {
  (void)arg;
  (void)err;
  bk.srv = NULL;
  bk.failed = true;
  bk.why = "server connection reset";
}

static err_t bulk_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
                       err_t err) {
  (void)arg;
  (void)err;
  if (p == NULL)
    return ERR_OK;
  u16_t len = p->tot_len;
  if (bk.verify) {
    unsigned m = (unsigned)(bk.rcvd % PATTERN_PERIOD);
    for (struct pbuf *q = p; q != NULL; q = q->next) {
      const u8_t *d = q->payload;
      for (u16_t i = 0; i < q->len; i++) {
        if (d[i] != (u8_t)m)
          bk.corrupt = true;
        if (++m == PATTERN_PERIOD)
          m = 0;
      }
    }
  }
  bk.rcvd += len;
  tcp_recved(pcb, len);
  pbuf_free(p);
  if (bk.rcvd >= bk.size && !bk.done) {
    bk.t_last = mono_ns();
    bk.done = true;
  }
  return ERR_OK;
}

static err_t bulk_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK || pcb == NULL)
    return ERR_VAL;
  bk.srv = pcb;
  tcp_recv(pcb, bulk_recv);
  tcp_err(pcb, bulk_srv_err);
  return ERR_OK;
}

static bool bulk_setup_done(void *ctx) {
  (void)ctx;
  return bk.connected || bk.failed;
}

static bool bulk_data_done(void *ctx) {
  (void)ctx;
  return bk.done || bk.failed;
}

/* One transfer of size bytes. Returns payload Gbit/s: over the whole
 * transfer if it completed, else of what arrived within limit_s; *ok says
 * whether it completed. */
static double bulk_run(uint64_t size, double loss, uint64_t seed,
                       double limit_s, bool verify, bool *ok) {
  memset(&bk, 0, sizeof bk);
  bk.size = size;
  bk.verify = verify;
  *ok = false;
  link_impair(loss, seed);
  link_reset_counters();

  bk.listener = tcp_new();
  if (bk.listener == NULL || tcp_bind(bk.listener, &ip_b, BULK_PORT) != ERR_OK)
    return fprintf(stderr, PROG ": bulk: cannot bind listener\n"), 0;
  bk.listener = tcp_listen(bk.listener);
  tcp_accept(bk.listener, bulk_accept);

  bk.cli = tcp_new();
  tcp_bind(bk.cli, &ip_a, 0);
  tcp_nagle_disable(bk.cli);
  tcp_sent(bk.cli, bulk_sent);
  tcp_err(bk.cli, bulk_cli_err);
  if (tcp_connect(bk.cli, &ip_b, BULK_PORT, bulk_connected) != ERR_OK) {
    bk.failed = true;
    bk.why = "tcp_connect failed";
  }
  run(bulk_setup_done, NULL, after_s(60));
  if (bk.connected)
    run(bulk_data_done, NULL, bk.t_first + (uint64_t)(limit_s * 1e9));
  uint64_t t_end = mono_ns();

  double gbps = 0;
  if (bk.done) {
    *ok = true;
    gbps = (double)size * 8 / ((double)(bk.t_last - bk.t_first) / 1e9) / 1e9;
  } else if (bk.connected) {
    double t = (double)(t_end - bk.t_first) / 1e9;
    gbps = (double)bk.rcvd * 8 / t / 1e9;
  }
  if (bk.failed)
    fprintf(stderr, PROG ": bulk: %s\n", bk.why ? bk.why : "failed");
  if (bk.corrupt) {
    fprintf(stderr, PROG ": bulk: received data differ from what was sent\n");
    *ok = false;
    gbps = 0;
  }
  if (bk.done && bk.rcvd != size) {
    fprintf(stderr, PROG ": bulk: received %llu bytes, sent %llu\n",
            (unsigned long long)bk.rcvd, (unsigned long long)size);
    *ok = false;
    gbps = 0;
  }
  if (bk.srv != NULL && bk.srv->state != ESTABLISHED && bk.done)
    fprintf(stderr, PROG ": bulk: server end in state %d\n", bk.srv->state);
  fprintf(stderr,
          PROG ":   %s%.2f MiB in %.3f s, %.3f Gbit/s; frames A->B %llu, "
          "B->A %llu, dropped %llu%s\n",
          loss > 0 ? "loss run: " : "", (double)bk.rcvd / MIB,
          (double)((bk.done ? bk.t_last : t_end) - bk.t_first) / 1e9, gbps,
          (unsigned long long)ports[0].frames, (unsigned long long)ports[1].frames,
          (unsigned long long)(ports[0].drops + ports[1].drops),
          bk.done ? "" : " (did not complete)");

  /* Tear down without a close handshake and start the next run afresh. */
  if (bk.cli != NULL) {
    tcp_err(bk.cli, NULL);
    tcp_abort(bk.cli);
  }
  if (bk.srv != NULL) {
    tcp_err(bk.srv, NULL);
    tcp_abort(bk.srv);
  }
  tcp_close(bk.listener);
  link_impair(0, 0);
  drain_link();
  return gbps;
}

/* ------------------------------------------------------------------ */
/* Memory per connection                                               */
/* ------------------------------------------------------------------ */

#define MEM_PORT 81

struct memt {
  struct tcp_pcb **cli, **srv;
  unsigned n, connected, accepted, srv_closed, errors;
};

static struct memt mt;

static err_t mem_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  (void)pcb;
  if (err == ERR_OK)
    mt.connected++;
  return ERR_OK;
}

static void mem_err(void *arg, err_t err) {
  (void)arg;
  (void)err;
  mt.errors++;
}

static err_t mem_srv_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
                          err_t err) {
  (void)arg;
  (void)err;
  if (p != NULL) {
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
  }
  tcp_recv(pcb, NULL);
  tcp_err(pcb, NULL);
  if (tcp_close(pcb) != ERR_OK) {
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  mt.srv_closed++;
  return ERR_OK;
}

static err_t mem_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK || pcb == NULL)
    return ERR_VAL;
  if (mt.accepted < mt.n)
    mt.srv[mt.accepted++] = pcb;
  tcp_recv(pcb, mem_srv_recv);
  tcp_err(pcb, mem_err);
  return ERR_OK;
}

static bool mem_all_established(void *ctx) {
  (void)ctx;
  return link_idle() && mt.connected == mt.n && mt.accepted == mt.n;
}

static bool mem_all_timewait(void *ctx) {
  (void)ctx;
  return link_idle() && count_pcbs(tcp_tw_pcbs, TIME_WAIT, MEM_PORT) == mt.n &&
         count_pcbs(tcp_active_pcbs, -1, MEM_PORT) == 0;
}

static bool mem_all_synrcvd(void *ctx) {
  (void)ctx;
  return link_idle() && mt.connected == mt.n &&
         count_pcbs(tcp_active_pcbs, SYN_RCVD, MEM_PORT) == mt.n;
}

/* Opens n client connections from A to B:MEM_PORT, a batch at a time. */
static bool mem_open(unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    struct tcp_pcb *pcb = tcp_new();
    if (pcb == NULL) {
      fprintf(stderr, PROG ": memory: tcp_new failed at %u\n", i);
      return false;
    }
    if (tcp_bind(pcb, &ip_a, 0) != ERR_OK) {
      fprintf(stderr, PROG ": memory: no local port at %u\n", i);
      tcp_abort(pcb);
      return false;
    }
    tcp_err(pcb, mem_err);
    mt.cli[i] = pcb;
    if (tcp_connect(pcb, &ip_b, MEM_PORT, mem_connected) != ERR_OK) {
      fprintf(stderr, PROG ": memory: tcp_connect failed at %u\n", i);
      return false;
    }
    if (i % 128 == 127)
      run(cond_link_idle, NULL, after_s(10));
  }
  return true;
}

struct mem_result {
  double established, timewait, synrecv;
  bool ok_est, ok_tw, ok_syn;
};

static size_t fifo_room(void) { return ports[0].rx.cap + ports[1].rx.cap; }

/* The link's FIFOs are on the heap too: a measurement is only valid if
 * they did not grow while it was taken. */
static bool fifo_grew(size_t room) {
  if (fifo_room() == room)
    return false;
  fprintf(stderr, PROG ": memory: the link's FIFOs grew during a measurement\n");
  return true;
}

static void memory(unsigned n, struct mem_result *r) {
  memset(r, 0, sizeof *r);
  memset(&mt, 0, sizeof mt);
  mt.n = n;
  mt.cli = calloc(n, sizeof *mt.cli);
  mt.srv = calloc(n, sizeof *mt.srv);
  if (mt.cli == NULL || mt.srv == NULL) {
    fprintf(stderr, PROG ": memory: out of memory\n");
    return;
  }
  link_impair(0, 0);
  /* Room for a frame per connection each way and more: when the
   * half-open connections' SYN-ACK timers fire together, the link carries
   * one frame per connection at once. */
  for (int i = 0; i < 2; i++)
    fifo_reserve(&ports[i].rx, 2 * (size_t)n + 4096);
  struct tcp_pcb *l = tcp_new();
  tcp_bind(l, &ip_b, MEM_PORT);
  l = tcp_listen(l);
  tcp_accept(l, mem_accept);
  drain_link();

  /* Established pairs. */
  size_t room = fifo_room();
  size_t before = heap_bytes();
  if (!mem_open(n) || !run(mem_all_established, NULL, after_s(60))) {
    fprintf(stderr,
            PROG ": memory: %u of %u connected, %u accepted, %u errors\n",
            mt.connected, n, mt.accepted, mt.errors);
  } else {
    size_t est = heap_bytes();
    unsigned bad = 0;
    for (unsigned i = 0; i < n; i++)
      bad += mt.cli[i]->state != ESTABLISHED || mt.srv[i]->state != ESTABLISHED;
    r->established = (double)(est - before) / (2.0 * n);
    r->ok_est = bad == 0 && !fifo_grew(room);
    fprintf(stderr,
            PROG ":   %u pairs ESTABLISHED (%u not), heap +%zu bytes, "
            "%.1f per endpoint\n",
            n, bad, est - before, r->established);

    /* The client closes first: its ends go to TIME-WAIT; the server's
     * close on the client's FIN, and are freed after LAST-ACK. */
    for (unsigned i = 0; i < n; i++) {
      tcp_err(mt.cli[i], NULL);
      if (tcp_close(mt.cli[i]) != ERR_OK)
        fprintf(stderr, PROG ": memory: tcp_close failed\n");
      if (i % 128 == 127)
        run(cond_link_idle, NULL, after_s(10));
    }
    if (run(mem_all_timewait, NULL, after_s(60))) {
      size_t tw = heap_bytes();
      r->timewait = (double)(tw > before ? tw - before : 0) / n;
      r->ok_tw = !fifo_grew(room);
      fprintf(stderr,
              PROG ":   %u client ends in TIME_WAIT, none other left, heap "
              "+%zu bytes, %.1f per TIME-WAIT connection\n",
              count_pcbs(tcp_tw_pcbs, TIME_WAIT, MEM_PORT), tw - before,
              r->timewait);
    } else {
      fprintf(stderr,
              PROG ": memory: %u TIME_WAIT, %u other pcbs left on the port\n",
              count_pcbs(tcp_tw_pcbs, TIME_WAIT, MEM_PORT),
              count_pcbs(tcp_active_pcbs, -1, MEM_PORT));
    }
  }
  /* Free every connection of the port, TIME-WAIT included. */
  while (tcp_tw_pcbs != NULL)
    tcp_abort(tcp_tw_pcbs);
  for (struct tcp_pcb *p = tcp_active_pcbs, *next; p != NULL; p = next) {
    next = p->next;
    tcp_err(p, NULL);
    tcp_abort(p);
  }
  drain_link();

  /* Half-open connections: B answers each SYN, A's ACK of the SYN-ACK never
   * arrives. The client ends are then aborted (their RSTs are dropped as
   * well) so that only B's SYN-RECEIVED pcbs remain. */
  memset(mt.cli, 0, n * sizeof *mt.cli);
  mt.connected = mt.accepted = mt.errors = 0;
  drop_a_nonsyn = true;
  room = fifo_room();
  before = heap_bytes();
  if (!mem_open(n) || !run(mem_all_synrcvd, NULL, after_s(15))) {
    fprintf(stderr,
            PROG ": memory: %u of %u connected, %u SYN_RCVD on the server\n",
            mt.connected, n, count_pcbs(tcp_active_pcbs, SYN_RCVD, MEM_PORT));
  } else {
    unsigned cli_est = 0;
    for (unsigned i = 0; i < n; i++) {
      cli_est += mt.cli[i]->state == ESTABLISHED;
      tcp_err(mt.cli[i], NULL);
      tcp_abort(mt.cli[i]);
    }
    drain_link();
    size_t syn = heap_bytes();
    unsigned left = count_pcbs(tcp_active_pcbs, SYN_RCVD, MEM_PORT);
    unsigned all = count_pcbs(tcp_active_pcbs, -1, 0);
    r->synrecv = (double)(syn > before ? syn - before : 0) / n;
    r->ok_syn = left == n && all == n && mt.accepted == 0 && !fifo_grew(room);
    fprintf(stderr,
            PROG ":   %u clients had reached ESTABLISHED; %u server pcbs "
            "SYN_RCVD (%u pcbs in all), heap +%zu bytes, %.1f per half-open "
            "connection\n",
            cli_est, left, all, syn - before, r->synrecv);
  }
  for (struct tcp_pcb *p = tcp_active_pcbs, *next; p != NULL; p = next) {
    next = p->next;
    tcp_err(p, NULL);
    tcp_abort(p);
  }
  drop_a_nonsyn = false;
  drain_link();
  tcp_close(l);
  free(mt.cli);
  free(mt.srv);
}

/* ------------------------------------------------------------------ */
/* Short connections                                                   */
/* ------------------------------------------------------------------ */

#define SHORT_PORT 80
#define MSG_BYTES 64
#define MAX_SLOTS 4096
/* At most a quarter of the 1024 pcbs per side in flight, so that the pool
 * holds TIME-WAIT pcbs to recycle and a SYN always finds a pcb. */
#define MAX_CONCURRENCY 256

struct slot {
  struct slot *next_free;
  u16_t got;
  bool replied;
};

static struct slot slots[MAX_SLOTS];
static struct slot *free_slots;

struct shortc {
  unsigned target, inflight;
  bool opening;
  uint64_t transactions, errors, open_failures;
};

static struct shortc sc;
static u8_t request[MSG_BYTES], reply[MSG_BYTES];

static void slots_init(void) {
  free_slots = NULL;
  for (int i = MAX_SLOTS - 1; i >= 0; i--) {
    slots[i].next_free = free_slots;
    free_slots = &slots[i];
  }
}

static struct slot *slot_get(void) {
  struct slot *s = free_slots;
  if (s != NULL) {
    free_slots = s->next_free;
    s->got = 0;
    s->replied = false;
  }
  return s;
}

static void slot_put(struct slot *s) {
  if (s != NULL) {
    s->next_free = free_slots;
    free_slots = s;
  }
}

/* Detaches the application from pcb and closes it (or aborts it if lwIP
 * cannot queue the FIN). Returns what a callback must return. */
static err_t app_close(struct tcp_pcb *pcb) {
  tcp_arg(pcb, NULL);
  tcp_recv(pcb, NULL);
  tcp_sent(pcb, NULL);
  tcp_err(pcb, NULL);
  if (tcp_close(pcb) != ERR_OK) {
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  return ERR_OK;
}

static void sc_cli_err(void *arg, err_t err) {
  (void)err;
  slot_put(arg);
  sc.inflight--;
  sc.errors++;
}

static err_t sc_cli_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
                         err_t err) {
  struct slot *s = arg;
  (void)err;
  if (p != NULL) {
    s->got = (u16_t)(s->got + p->tot_len);
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (s->got < MSG_BYTES)
      return ERR_OK;
    sc.transactions++;
  } else {
    sc.errors++; /* the server closed before replying */
  }
  slot_put(s);
  sc.inflight--;
  return app_close(pcb);
}

static err_t sc_cli_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK)
    return ERR_OK;
  if (tcp_write(pcb, request, MSG_BYTES, TCP_WRITE_FLAG_COPY) != ERR_OK)
    sc.errors++;
  return ERR_OK;
}

static void sc_srv_err(void *arg, err_t err) {
  (void)err;
  slot_put(arg);
  sc.errors++;
}

static err_t sc_srv_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
                         err_t err) {
  struct slot *s = arg;
  (void)err;
  if (p == NULL) { /* the client's FIN: close our end too */
    slot_put(s);
    return app_close(pcb);
  }
  s->got = (u16_t)(s->got + p->tot_len);
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  if (s->got >= MSG_BYTES && !s->replied) {
    s->replied = true;
    if (tcp_write(pcb, reply, MSG_BYTES, TCP_WRITE_FLAG_COPY) != ERR_OK)
      sc.errors++;
  }
  return ERR_OK;
}

static err_t sc_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK || pcb == NULL)
    return ERR_VAL;
  struct slot *s = slot_get();
  if (s == NULL) {
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  tcp_arg(pcb, s);
  tcp_recv(pcb, sc_srv_recv);
  tcp_err(pcb, sc_srv_err);
  return ERR_OK;
}

/* The application's step: keep the target number of connections open. */
static void sc_top_up(void) {
  while (sc.opening && sc.inflight < sc.target) {
    struct slot *s = slot_get();
    struct tcp_pcb *pcb = s != NULL ? tcp_new() : NULL;
    if (pcb == NULL) {
      slot_put(s);
      sc.open_failures++;
      return;
    }
    if (tcp_bind(pcb, &ip_a, 0) != ERR_OK) {
      slot_put(s);
      tcp_abort(pcb);
      sc.open_failures++;
      return;
    }
    tcp_arg(pcb, s);
    tcp_recv(pcb, sc_cli_recv);
    tcp_err(pcb, sc_cli_err);
    sc.inflight++;
    if (tcp_connect(pcb, &ip_b, SHORT_PORT, sc_cli_connected) != ERR_OK) {
      /* tcp_connect has not taken the pcb. */
      sc.inflight--;
      slot_put(s);
      tcp_err(pcb, NULL);
      tcp_abort(pcb);
      sc.open_failures++;
      return;
    }
  }
}

static bool never(void *ctx) {
  (void)ctx;
  return false;
}

static bool sc_drained(void *ctx) {
  (void)ctx;
  return sc.inflight == 0 && link_idle();
}

static unsigned warm_target;

static bool sc_warm(void *ctx) {
  (void)ctx;
  return count_pcbs(tcp_tw_pcbs, TIME_WAIT, 0) >= warm_target;
}

/* Runs transactions, uncounted, until TIME-WAIT pcbs fill what the
 * connections in flight leave of the pool: the steady state in which
 * every new connection recycles a TIME-WAIT pcb. */
static void short_warm_up(unsigned concurrency) {
  sc.target = concurrency;
  sc.inflight = 0;
  sc.opening = true;
  /* In flight, up to about three pcbs per connection slot are not in
   * TIME-WAIT (client, server, and an end between close and TIME-WAIT). */
  warm_target = MEMP_NUM_TCP_PCB - 3 * concurrency;
  loop_hook = sc_top_up;
  bool full = run(sc_warm, NULL, after_s(10));
  sc.opening = false;
  run(sc_drained, NULL, after_s(30));
  loop_hook = NULL;
  fprintf(stderr, PROG ":   warm-up: %u pcbs in TIME_WAIT%s\n",
          count_pcbs(tcp_tw_pcbs, TIME_WAIT, 0), full ? "" : " (not full)");
}

/* One timed run: transactions per second over duration_s. */
static double short_run(unsigned concurrency, double duration_s) {
  sc.target = concurrency;
  sc.inflight = 0;
  sc.transactions = sc.errors = sc.open_failures = 0;
  sc.opening = true;
  loop_hook = sc_top_up;
  uint64_t t0 = mono_ns();
  run(never, NULL, t0 + (uint64_t)(duration_s * 1e9));
  uint64_t t1 = mono_ns();
  uint64_t done = sc.transactions;
  sc.opening = false;
  run(sc_drained, NULL, after_s(30));
  loop_hook = NULL;
  double tps = (double)done / ((double)(t1 - t0) / 1e9);
  fprintf(stderr,
          PROG ":   %llu transactions in %.3f s, %.0f/s; %llu errors, %llu "
          "failed opens; %u in flight left; %u pcbs in TIME_WAIT, %u active\n",
          (unsigned long long)done, (double)(t1 - t0) / 1e9, tps,
          (unsigned long long)sc.errors, (unsigned long long)sc.open_failures,
          sc.inflight, count_pcbs(tcp_tw_pcbs, -1, 0),
          count_pcbs(tcp_active_pcbs, -1, 0));
  if (sc.errors > 0 || sc.inflight > 0)
    return 0;
  return tps;
}

/* ------------------------------------------------------------------ */
/* Command line and main                                               */
/* ------------------------------------------------------------------ */

struct opts {
  int runs;
  uint64_t size, loss_size;
  double loss_limit, duration;
  unsigned conns, concurrency;
  uint64_t seed;
  bool quick, verify;
  const char *only;
};

static void usage(FILE *f) {
  fprintf(f,
          "usage: bench_lwip [options]\n"
          "  --runs N           runs per throughput figure (default 5)\n"
          "  --size BYTES       bulk_mtu1500 bytes per run (default 256M)\n"
          "  --loss-size BYTES  loss1_mtu1500 bytes per run (default 32M)\n"
          "  --loss-limit S     loss1_mtu1500 time limit per run (default 20)\n"
          "  --duration S       short_conn seconds per run (default 3)\n"
          "  --concurrency C    short_conn connections in flight (default 64,\n"
          "                     at most 256)\n"
          "  --conns N          connections for the memory figures (default 10000)\n"
          "  --seed N           seed of the link's loss (default 1)\n"
          "  --verify           check every received byte of the bulk runs\n"
          "  --only LIST        comma-separated figures: bulk_mtu1500,\n"
          "                     loss1_mtu1500, mem (all three), short_conn\n"
          "                     (default: all but short_conn in bench_lwip,\n"
          "                     short_conn in bench_lwip_1024)\n"
          "  --quick            tiny sizes and durations (a smoke check)\n"
          "BYTES take a K, M or G suffix (binary).\n");
}

static bool parse_bytes(const char *s, uint64_t *v) {
  char *end;
  errno = 0;
  unsigned long long x = strtoull(s, &end, 0);
  if (errno != 0 || end == s)
    return false;
  switch (*end) {
  case 'k': case 'K': x <<= 10; end++; break;
  case 'm': case 'M': x <<= 20; end++; break;
  case 'g': case 'G': x <<= 30; end++; break;
  default: break;
  }
  if (*end == 'i' && end[1] == 'B')
    end += 2;
  else if (*end == 'B')
    end++;
  if (*end != '\0' || x == 0)
    return false;
  *v = x;
  return true;
}

static bool parse_double(const char *s, double *v) {
  char *end;
  double x = strtod(s, &end);
  if (end == s || *end != '\0' || !(x > 0))
    return false;
  *v = x;
  return true;
}

static bool wanted(const struct opts *o, const char *fig) {
  if (o->only == NULL)
    return FLAVOUR_1024 == (strcmp(fig, "short_conn") == 0);
  size_t n = strlen(fig);
  for (const char *p = o->only; *p;) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    if (len == n && strncmp(p, fig, n) == 0)
      return true;
    p += len + (c ? 1 : 0);
  }
  return false;
}

static bool only_valid(const char *list) {
  static const char *const names[] = {
      "bulk_mtu1500", "loss1_mtu1500",  "mem",       "mem_established",
      "mem_timewait", "mem_synrecv",    "short_conn"};
  for (const char *p = list; *p;) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    bool found = false;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
      found = found || (strlen(names[k]) == len && !strncmp(p, names[k], len));
    if (!found)
      return false;
    p += len + (c ? 1 : 0);
  }
  return *list != '\0';
}

/* bench_lwip_1024 beside this program measures short_conn. */
static int run_1024(const struct opts *o, const char *argv0) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 32);
  if (n <= 0) {
    n = (ssize_t)strlen(argv0);
    if (n >= (ssize_t)sizeof self - 32)
      return fprintf(stderr, PROG ": path too long\n"), 1;
    memcpy(self, argv0, (size_t)n);
  }
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  char *name = slash ? slash + 1 : self;
  strcpy(name, "bench_lwip_1024");
  if (access(self, X_OK) != 0) {
    fprintf(stderr, PROG ": short_conn not measured: %s not found\n", self);
    return 1;
  }
  char runs[16], dur[32], conc[16], seed[32];
  snprintf(runs, sizeof runs, "%d", o->runs);
  snprintf(dur, sizeof dur, "%g", o->duration);
  snprintf(conc, sizeof conc, "%u", o->concurrency);
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
  char *args[] = {self, "--runs", runs, "--duration", dur, "--concurrency",
                  conc, "--seed", seed, "--only", "short_conn", NULL};
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0)
    return perror(PROG ": fork"), 1;
  if (pid == 0) {
    execv(self, args);
    perror(PROG ": exec bench_lwip_1024");
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return perror(PROG ": waitpid"), 1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  struct opts o = {.runs = 5,
                   .size = 256ull << 20,
                   .loss_size = 32ull << 20,
                   .loss_limit = 20,
                   .duration = 3,
                   .conns = 10000,
                   .concurrency = 64,
                   .seed = 1};
  bool set_runs = false, set_size = false, set_loss_size = false,
       set_limit = false, set_dur = false, set_conns = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    bool ok = true;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--quick")) {
      o.quick = true;
      continue;
    } else if (!strcmp(a, "--verify")) {
      o.verify = true;
      continue;
    }
    static const char *const with_value[] = {
        "--runs",  "--size",  "--loss-size", "--loss-limit", "--duration",
        "--concurrency", "--conns", "--seed", "--only"};
    bool known = false;
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
      known = known || !strcmp(a, with_value[k]);
    if (!known) {
      fprintf(stderr, PROG ": unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
    if (v == NULL) {
      ok = false;
    } else if (!strcmp(a, "--runs")) {
      char *end;
      long r = strtol(v, &end, 10);
      ok = *end == '\0' && r >= 1 && r <= MAX_RUNS;
      o.runs = (int)r;
      set_runs = true;
    } else if (!strcmp(a, "--size")) {
      ok = parse_bytes(v, &o.size);
      set_size = true;
    } else if (!strcmp(a, "--loss-size")) {
      ok = parse_bytes(v, &o.loss_size);
      set_loss_size = true;
    } else if (!strcmp(a, "--loss-limit")) {
      ok = parse_double(v, &o.loss_limit);
      set_limit = true;
    } else if (!strcmp(a, "--duration")) {
      ok = parse_double(v, &o.duration);
      set_dur = true;
    } else if (!strcmp(a, "--concurrency")) {
      char *end;
      long c = strtol(v, &end, 10);
      ok = *end == '\0' && c >= 1 && c <= MAX_CONCURRENCY;
      o.concurrency = (unsigned)c;
    } else if (!strcmp(a, "--conns")) {
      char *end;
      long c = strtol(v, &end, 10);
      ok = *end == '\0' && c >= 1 && c <= 16000;
      o.conns = (unsigned)c;
      set_conns = true;
    } else if (!strcmp(a, "--seed")) {
      char *end;
      o.seed = strtoull(v, &end, 0);
      ok = *end == '\0';
    } else if (!strcmp(a, "--only")) {
      o.only = v;
      ok = only_valid(v);
    }
    if (!ok) {
      fprintf(stderr, PROG ": bad or missing value for %s\n", a);
      usage(stderr);
      return 2;
    }
    i++;
  }
  if (o.quick) {
    if (!set_runs)
      o.runs = 2;
    if (!set_size)
      o.size = 8ull << 20;
    if (!set_loss_size)
      o.loss_size = 1ull << 20;
    if (!set_limit)
      o.loss_limit = 1;
    if (!set_dur)
      o.duration = 0.3;
    if (!set_conns)
      o.conns = 1000;
  }

  origin_ns = mono_ns();
  lwip_rng = o.seed * 0x9e3779b97f4a7c15ull + 7;
  for (size_t i = 0; i < sizeof pattern; i++)
    pattern[i] = (u8_t)(i % PATTERN_PERIOD);
  memset(request, 'q', sizeof request);
  memset(reply, 'r', sizeof reply);
  lwip_init();
  link_setup();
  drain_link();

  int status = 0;
  char cond[1024];
  double v[MAX_RUNS];
  bool done[MAX_RUNS];
  char wnd[32], base[512];
  if (TCP_WND % (1024 * 1024) == 0)
    snprintf(wnd, sizeof wnd, "%d MiB", TCP_WND / (1024 * 1024));
  else
    snprintf(wnd, sizeof wnd, "%d KiB", TCP_WND / 1024);
  snprintf(base, sizeof base,
           "lwIP " BENCH_LWIP_VERSION " NO_SYS raw API, MSS 1460, %s window "
           "(scale %d), %s send buffer, software checksums (summed on copy "
           "when sending), one core, in-memory link copying each frame once",
           wnd, TCP_RCV_SCALE, wnd);

  if (FLAVOUR_1024) {
    if (o.only != NULL) {
      const char *figs[] = {"bulk_mtu1500", "loss1_mtu1500", "mem"};
      for (int i = 0; i < 3; i++)
        if (wanted(&o, figs[i]))
          fprintf(stderr, PROG ": %s is measured by bench_lwip\n",
                  figs[i]);
    }
  } else {
    if (wanted(&o, "bulk_mtu1500")) {
      fprintf(stderr, PROG ": bulk_mtu1500, %.0f MiB per run\n",
              (double)o.size / MIB);
      bool all = true;
      for (int r = 0; r < o.runs; r++) {
        v[r] = bulk_run(o.size, 0, 0, 3600, o.verify, &done[r]);
        all = all && done[r];
      }
      if (!all)
        status = 1;
      snprintf(cond, sizeof cond,
               "%s; one connection, %.0f MiB per run, lossless, Nagle off "
               "(writes are whole segments), receiver calls tcp_recved at "
               "once%s",
               base, (double)o.size / MIB,
               o.verify ? ", every byte checked" : "");
      print_figure("bulk_mtu1500", "Gbit/s", "higher", v, o.runs, 3, NULL, cond);
      summary("bulk_mtu1500", "Gbit/s", v, o.runs);
    }
    if (wanted(&o, "loss1_mtu1500")) {
      fprintf(stderr, PROG ": loss1_mtu1500, %.0f MiB per run, limit %g s\n",
              (double)o.loss_size / MIB, o.loss_limit);
      for (int r = 0; r < o.runs; r++)
        v[r] = bulk_run(o.loss_size, 0.01,
                        o.seed * 1000003ull + (uint64_t)r, o.loss_limit,
                        o.verify, &done[r]);
      snprintf(cond, sizeof cond,
               "%s; one connection, %.0f MiB per run, 1%% random loss in each "
               "direction (seeded), %g s limit per run, Gbit/s of payload "
               "delivered in the run; lwIP 2.1.3 recovers by fast "
               "retransmit with Reno's fast recovery (the first new ACK ends "
               "it; no NewReno partial-ACK retransmission, no SACK) and "
               "otherwise by RTO, counted in 500 ms timer ticks",
               base, (double)o.loss_size / MIB, o.loss_limit);
      print_figure("loss1_mtu1500", "Gbit/s", "higher", v, o.runs, 3, done,
                   cond);
      summary("loss1_mtu1500", "Gbit/s", v, o.runs);
    }
    if (wanted(&o, "mem") || wanted(&o, "mem_established") ||
        wanted(&o, "mem_timewait") || wanted(&o, "mem_synrecv")) {
      fprintf(stderr, PROG ": memory, %u connections\n", o.conns);
      struct mem_result m;
      memory(o.conns, &m);
      char heap_how[512];
      snprintf(heap_how, sizeof heap_how,
               "lwIP " BENCH_LWIP_VERSION " with MEM_LIBC_MALLOC and "
               "MEMP_MEM_MALLOC (each pcb, segment and pbuf is a malloc), "
               "heap growth by mallinfo2() uordblks+hblkhd; sizeof(struct "
               "tcp_pcb) = %zu bytes",
               sizeof(struct tcp_pcb));
      fprintf(stderr, PROG ":   sizeof(struct tcp_pcb) = %zu\n",
              sizeof(struct tcp_pcb));
      char c_est[1024], c_tw[1024], c_syn[1024];
      snprintf(c_est, sizeof c_est,
               "%s; %u idle established connections over the in-memory "
               "link, heap growth / (2 x N), both ends counted",
               heap_how, o.conns);
      snprintf(c_tw, sizeof c_tw,
               "%s; the same %u connections closed by the client, heap left "
               "/ N with every client end in TIME-WAIT (a full tcp_pcb) and "
               "the server ends freed",
               heap_how, o.conns);
      snprintf(c_syn, sizeof c_syn,
               "%s; %u SYNs answered by SYN-ACK whose ACK is dropped on the "
               "link, heap growth / N with only the server's SYN_RCVD pcbs "
               "left (pcb plus the queued SYN-ACK segment), no listen "
               "backlog limit",
               heap_how, o.conns);
      const struct {
        const char *figure;
        bool ok;
        const double *value;
        const char *conditions;
      } mf[] = {{"mem_established", m.ok_est, &m.established, c_est},
                {"mem_timewait", m.ok_tw, &m.timewait, c_tw},
                {"mem_synrecv", m.ok_syn, &m.synrecv, c_syn}};
      for (int i = 0; i < 3; i++) {
        if (!wanted(&o, "mem") && !wanted(&o, mf[i].figure))
          continue;
        if (mf[i].ok) {
          print_figure(mf[i].figure, "bytes", "lower", mf[i].value, 1, 0, NULL,
                       mf[i].conditions);
        } else {
          fprintf(stderr, PROG ": %s not measured\n", mf[i].figure);
          status = 1;
        }
      }
    }
    if (wanted(&o, "short_conn"))
      if (run_1024(&o, argv[0]) != 0)
        status = 1;
    return status;
  }

  /* bench_lwip_1024 */
  if (wanted(&o, "short_conn")) {
    fprintf(stderr,
            PROG ": short_conn, %u in flight, %g s per run\n",
            o.concurrency, o.duration);
    slots_init();
    struct tcp_pcb *l = tcp_new();
    tcp_bind(l, &ip_b, SHORT_PORT);
    l = tcp_listen(l);
    tcp_accept(l, sc_accept);
    short_warm_up(o.concurrency);
    bool all = true;
    for (int r = 0; r < o.runs; r++) {
      v[r] = short_run(o.concurrency, o.duration);
      all = all && v[r] > 0;
    }
    if (!all)
      status = 1;
    snprintf(cond, sizeof cond,
             "lwIP " BENCH_LWIP_VERSION " NO_SYS raw API, MEMP_NUM_TCP_PCB "
             "1024 (static pools), one core, in-memory link copying each "
             "frame once; %u connections in flight, each: connect, 64-byte "
             "request, 64-byte reply, client closes, server closes on the "
             "client's FIN; %g s per run; TIME-WAIT lasts 2*TCP_MSL = %lu s, "
             "so once the 1024 pcbs are in use lwIP recycles the oldest "
             "TIME-WAIT pcb for each new connection (runs start after a "
             "warm-up that fills the pool with TIME-WAIT pcbs, so every "
             "counted connection recycles one)",
             o.concurrency, o.duration, 2 * TCP_MSL / 1000ul);
    print_figure("short_conn", "txn/s", "higher", v, o.runs, 0, NULL,
                 cond);
    summary("short_conn", "txn/s", v, o.runs);
  }
  return status;
}
