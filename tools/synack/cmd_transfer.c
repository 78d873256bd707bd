/*
 * cmd_transfer.c - `synack transfer`: move N bytes from host A to host B
 * over TCP across a simulated link, and check them.
 *
 * A writes a deterministic byte stream as fast as its socket takes it and
 * closes; B reads until end of stream. Both hash what passed through
 * (SHA-256); the command reports delivery, whether the hashes match, the
 * retransmissions, and virtual and wall time. Exit status 1 if any byte
 * differs or the transfer does not finish.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/sha256.h"
#include "cli.h"
#include "synack/capture.h"
#include "synack/sim.h"
#include "synack/synack.h"
#include "timeline.h"

#define SEC 1000000000ull

struct transfer {
  struct cli_net net;
  uint64_t size, limit_ns, rcvbuf, sndbuf;
  const char *pcap, *trace, *cc, *profile;
  bool stat, verbose;
  struct sn_stack *a, *b;
  int a_sd, b_lsd, b_sd;
  uint64_t sent, received;
  bool a_closed, done;
  uint64_t done_at;
  struct sn_sha256 h_sent, h_recv;
  int a_err, b_err;
  struct timeline tl;
};

static const char help[] =
    "usage: synack transfer [OPTIONS]\n\n"
    "Host A (198.18.0.1) sends bytes to host B (198.18.0.2) over one TCP\n"
    "connection across a simulated link; both sides hash the stream. With no\n"
    "impairment options the link is lossless, instant and unlimited, so the\n"
    "run measures the stack itself.\n\n"
    "  --size N        bytes to send (K, M, G suffixes; default 1M)\n"
    "  --cc NAME       congestion control (default: the profile's)\n"
    "  --profile P     linux (default) or rfc\n"
    "  --rcvbuf N      SO_RCVBUF of the receiver (default: automatic)\n"
    "  --sndbuf N      SO_SNDBUF of the sender (default: automatic)\n"
    "  --limit D       give up after this much virtual time (default 1h)\n"
    "  --pcap FILE     capture the link (pcapng if FILE ends in .pcapng)\n"
    "  --trace FILE    every trace event as JSON lines\n"
    "  --verbose       print the connection's events as they happen\n"
    "  --stat          print both hosts' counters at the end\n\n";

static const struct cli_opt opts[] = {
    {"size", true},    {"cc", true},      {"profile", true}, {"rcvbuf", true},
    {"sndbuf", true},  {"limit", true},   {"pcap", true},    {"trace", true},
    {"verbose", false}, {"stat", false},  {"seed", true},    {"delay", true},
    {"jitter", true},  {"rate", true},    {"queue", true},   {"loss", true},
    {"burst", true},   {"reorder", true}, {"dup", true},     {"corrupt", true},
    {"mtu", true},     {NULL, false},
};

static void on_opt(void *ctx, const char *name, const char *val) {
  struct transfer *t = ctx;
  if (!strcmp(name, "size"))
    t->size = cli_size("transfer", "--size", val);
  else if (!strcmp(name, "cc"))
    t->cc = val;
  else if (!strcmp(name, "profile"))
    t->profile = val;
  else if (!strcmp(name, "rcvbuf"))
    t->rcvbuf = cli_size("transfer", "--rcvbuf", val);
  else if (!strcmp(name, "sndbuf"))
    t->sndbuf = cli_size("transfer", "--sndbuf", val);
  else if (!strcmp(name, "limit"))
    t->limit_ns = cli_duration("transfer", "--limit", val);
  else if (!strcmp(name, "pcap"))
    t->pcap = val;
  else if (!strcmp(name, "trace"))
    t->trace = val;
  else if (!strcmp(name, "verbose"))
    t->verbose = true;
  else if (!strcmp(name, "stat"))
    t->stat = true;
  else
    cli_net_option("transfer", &t->net, name, val);
}

/* The byte stream: byte i is a fixed function of i, so any piece of it
 * can be made again from its offset. */
static void generate(uint64_t offset, uint8_t *buf, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint64_t pos = offset + i;
    uint64_t x = (pos >> 3) * 0x9e3779b97f4a7c15ull;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 32;
    buf[i] = (uint8_t)(x >> (8 * (pos & 7)));
  }
}

static void a_write(struct transfer *t) {
  static uint8_t buf[65536];
  while (t->sent < t->size) {
    size_t n = t->size - t->sent < sizeof buf ? t->size - t->sent : sizeof buf;
    generate(t->sent, buf, n);
    ssize_t w = sn_send(t->a, t->a_sd, buf, n, 0);
    if (w <= 0) {
      if (w < 0 && w != -EAGAIN)
        t->a_err = (int)w;
      return;
    }
    sn_sha256_update(&t->h_sent, buf, (size_t)w);
    t->sent += (uint64_t)w;
  }
  if (!t->a_closed) {
    t->a_closed = true;
    sn_close(t->a, t->a_sd);
  }
}

static void a_event(void *ctx, int sd, unsigned ev) {
  struct transfer *t = ctx;
  (void)sd;
  if (ev & SN_POLLERR) {
    int e = 0;
    size_t l = sizeof e;
    sn_getsockopt(t->a, t->a_sd, SN_SOL_SOCKET, SN_SO_ERROR, &e, &l);
    if (e)
      t->a_err = -e;
  }
  if ((ev & SN_POLLOUT) && !t->a_closed)
    a_write(t);
}

static void b_event(void *ctx, int sd, unsigned ev) {
  struct transfer *t = ctx;
  static uint8_t buf[65536];
  (void)ev;
  if (sd == t->b_lsd) {
    int c = sn_accept(t->b, t->b_lsd, NULL);
    if (c >= 0) {
      t->b_sd = c;
      sn_set_event_cb(t->b, c, b_event, t);
    }
    return;
  }
  for (;;) {
    ssize_t n = sn_recv(t->b, sd, buf, sizeof buf, 0);
    if (n > 0) {
      sn_sha256_update(&t->h_recv, buf, (size_t)n);
      t->received += (uint64_t)n;
      continue;
    }
    if (n == 0 && !t->done) {
      t->done = true;
      sn_close(t->b, sd);
    } else if (n < 0 && n != -EAGAIN) {
      t->b_err = (int)n;
    }
    return;
  }
}

static bool finished(void *ctx) {
  struct transfer *t = ctx;
  return t->done || t->a_err || t->b_err;
}

int cmd_transfer(int argc, char **argv) {
  struct transfer t;
  memset(&t, 0, sizeof t);
  cli_net_defaults(&t.net);
  t.net.imp.delay_ns = 0;
  t.size = 1 << 20;
  t.limit_ns = 3600 * SEC;
  t.b_sd = -1;
  char fullhelp[4096];
  snprintf(fullhelp, sizeof fullhelp, "%s%s", help, cli_net_help);
  cli_parse("transfer", argc, argv, opts, fullhelp, on_opt, &t, NULL, 0);

  struct sn_config cfg;
  enum sn_profile prof = SN_PROFILE_LINUX;
  if (t.profile && sn_profile_parse(t.profile, &prof) != 0)
    cli_usage_error("transfer", "--profile: '%s' is unknown; accepted: linux rfc",
                    t.profile);
  sn_config_default(&cfg, prof);
  if (t.cc && sn_config_set(&cfg, "tcp_congestion_control", t.cc) != 0)
    cli_usage_error("transfer", "--cc: '%s' is too long", t.cc);
  /* Room for a large window, as Linux's buffer autotuning would allow. */
  sn_config_set(&cfg, "tcp_rmem", "4096 4194304 16777216");
  sn_config_set(&cfg, "tcp_wmem", "4096 4194304 16777216");

  struct sn_sim *sim = sn_sim_new(t.net.seed);
  t.a = sn_sim_add_host(sim, "A", &cfg);
  t.b = sn_sim_add_host(sim, "B", &cfg);
  int err = 0;
  struct sn_sim_link *l = sn_sim_connect(sim, t.a, "198.18.0.1/24", t.b,
                                         "198.18.0.2/24", t.net.mtu, &err);
  if (!l) {
    fprintf(stderr, "synack transfer: cannot build the network: %s\n",
            sn_strerror(err));
    return 1;
  }
  sn_sim_link_impair(l, SN_SIM_BOTH, &t.net.imp);
  struct sn_capture *cap = NULL;
  if (t.pcap) {
    cap = sn_capture_open(t.pcap, sn_capture_format_for(t.pcap), &err);
    if (!cap)
      cli_usage_error("transfer", "--pcap: cannot write '%s': %s", t.pcap,
                      sn_strerror(err));
    sn_sim_link_capture(l, cap);
  }
  if (t.trace)
    t.tl.json = cli_open_trace("transfer", t.trace);
  if (t.verbose) {
    t.tl.out = stdout;
    t.tl.all = true;
  }
  if (t.trace || t.verbose)
    sn_sim_set_trace(sim, timeline_sink, &t.tl, SN_TRACE_ALL);

  sn_sha256_init(&t.h_sent);
  sn_sha256_init(&t.h_recv);
  t.b_lsd = sn_socket(t.b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 5001};
  if (t.rcvbuf) {
    int v = (int)(t.rcvbuf / 2);
    sn_setsockopt(t.b, t.b_lsd, SN_SOL_SOCKET, SN_SO_RCVBUF, &v, sizeof v);
  }
  sn_bind(t.b, t.b_lsd, &any);
  sn_listen(t.b, t.b_lsd, 16);
  sn_set_event_cb(t.b, t.b_lsd, b_event, &t);
  t.a_sd = sn_socket(t.a, SN_SOCK_STREAM);
  if (t.sndbuf) {
    int v = (int)(t.sndbuf / 2);
    sn_setsockopt(t.a, t.a_sd, SN_SOL_SOCKET, SN_SO_SNDBUF, &v, sizeof v);
  }
  sn_set_event_cb(t.a, t.a_sd, a_event, &t);
  uint32_t dst;
  sn_ip4_parse("198.18.0.2", &dst);
  struct sn_sockaddr to = {dst, 5001};
  struct timespec w0, w1;
  clock_gettime(CLOCK_MONOTONIC, &w0);
  sn_connect(t.a, t.a_sd, &to);
  bool ok = sn_sim_run_while_not(sim, finished, &t, t.limit_ns);
  uint64_t vt = sn_sim_now(sim);
  clock_gettime(CLOCK_MONOTONIC, &w1);
  double wall = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;

  uint8_t ds[32], dr[32];
  char hs[65], hr[65];
  sn_sha256_final(&t.h_sent, ds);
  sn_sha256_final(&t.h_recv, dr);
  sn_sha256_hex(ds, hs);
  sn_sha256_hex(dr, hr);
  bool match = ok && t.done && t.received == t.size && t.sent == t.size &&
               !memcmp(ds, dr, 32);
  printf("transfer: %llu of %llu bytes delivered in %.6f s virtual, %.3f s wall\n",
         (unsigned long long)t.received, (unsigned long long)t.size,
         (double)vt / 1e9, wall);
  printf("sha256 sent:     %s\nsha256 received: %s  %s\n", hs, hr,
         match ? "(match)" : "(MISMATCH)");
  printf("retransmissions: %llu segments (of %llu sent by A), %llu timeouts, "
         "%llu fast retransmits\n",
         (unsigned long long)sn_stack_counter(t.a, SN_CTR_TcpRetransSegs),
         (unsigned long long)sn_stack_counter(t.a, SN_CTR_TcpOutSegs),
         (unsigned long long)sn_stack_counter(t.a, SN_CTR_TcpExtTCPTimeouts),
         (unsigned long long)sn_stack_counter(t.a, SN_CTR_TcpExtTCPFastRetrans));
  if (vt)
    printf("goodput: %.3f Mbit/s virtual", (double)t.received * 8 / ((double)vt / 1e9) / 1e6);
  if (wall > 0)
    printf(", %.3f Gbit/s wall", (double)t.received * 8 / wall / 1e9);
  printf("\n");
  if (t.a_err || t.b_err)
    printf("error: A %s, B %s\n", t.a_err ? sn_strerror(t.a_err) : "none",
           t.b_err ? sn_strerror(t.b_err) : "none");
  if (!ok)
    printf("did not finish within %.0f s of virtual time\n", (double)t.limit_ns / 1e9);
  if (t.stat) {
    printf("\n== Counters of A\n");
    sn_stack_dump_counters(t.a, stdout);
    printf("\n== Counters of B\n");
    sn_stack_dump_counters(t.b, stdout);
    printf("\n== Connections of A\n");
    sn_stack_dump_connections(t.a, stdout);
    printf("\n== Connections of B\n");
    sn_stack_dump_connections(t.b, stdout);
  }
  /* Freeing the hosts closes the listener, which is traced: the trace
   * file must still be open. */
  sn_sim_free(sim);
  if (cap)
    sn_capture_close(cap);
  if (t.tl.json)
    fclose(t.tl.json);
  return match ? 0 : 1;
}
