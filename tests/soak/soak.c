/*
 * soak.c - many short runs of the whole stack on a simulated link with
 * every impairment on, one per seed: ARP, ping, UDP, and a TCP connection
 * carrying data both ways, then closing. Each run checks that every byte
 * TCP delivered is the byte that was sent, in order, once; that a run
 * either finishes or ends with an error TCP is allowed to report; and
 * (under AddressSanitizer) that nothing crashes or leaks.
 *
 *   synack_soak [--seeds FIRST-LAST] [--verbose]
 *
 * Exit status 0 if every seed passed, 1 otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "synack/sim.h"
#include "synack/synack.h"

#define SEC 1000000000ull

struct side {
  struct sn_stack *st;
  int sd;
  uint64_t to_send, sent, received, expect;
  uint64_t stream_in, stream_out; /* generator seeds of each direction */
  bool eof, closed, bad, wr_shut;
  int err;
};

struct run {
  struct side a, b;
  int b_lsd;
};

static uint8_t byte_at(uint64_t stream, uint64_t pos) {
  uint64_t x = (pos >> 3) ^ stream;
  x *= 0x9e3779b97f4a7c15ull;
  x ^= x >> 31;
  return (uint8_t)(x >> (8 * (pos & 7)));
}

static void pump(struct side *s) {
  uint8_t buf[4096];
  while (s->sent < s->to_send && !s->closed) {
    size_t n = s->to_send - s->sent < sizeof buf ? s->to_send - s->sent : sizeof buf;
    for (size_t i = 0; i < n; i++)
      buf[i] = byte_at(s->stream_out, s->sent + i);
    ssize_t w = sn_send(s->st, s->sd, buf, n, 0);
    if (w <= 0) {
      if (w < 0 && w != -EAGAIN)
        s->err = (int)-w;
      return;
    }
    s->sent += (uint64_t)w;
  }
  if (s->sent == s->to_send && !s->closed && s->eof) {
    s->closed = true;
    sn_close(s->st, s->sd);
  } else if (s->sent == s->to_send && !s->closed && !s->wr_shut) {
    s->wr_shut = true;
    sn_shutdown(s->st, s->sd, SN_SHUT_WR);
  }
}

static void drain(struct side *s) {
  uint8_t buf[4096];
  for (;;) {
    ssize_t n = sn_recv(s->st, s->sd, buf, sizeof buf, 0);
    if (n > 0) {
      for (ssize_t i = 0; i < n; i++)
        if (buf[i] != byte_at(s->stream_in, s->received + (uint64_t)i))
          s->bad = true;
      s->received += (uint64_t)n;
      continue;
    }
    if (n == 0)
      s->eof = true;
    else if (n != -EAGAIN && n != -ENOTCONN)
      s->err = (int)-n;
    return;
  }
}

static void on_event(void *ctx, int sd, unsigned ev) {
  struct side *s = ctx;
  (void)sd;
  if (s->closed)
    return;
  if (ev & (SN_POLLIN | SN_POLLHUP | SN_POLLERR))
    drain(s);
  if (ev & SN_POLLERR) {
    int e = 0;
    size_t l = sizeof e;
    sn_getsockopt(s->st, s->sd, SN_SOL_SOCKET, SN_SO_ERROR, &e, &l);
    if (e)
      s->err = e;
  }
  if (!s->err)
    pump(s);
  if ((s->err || (s->eof && s->sent == s->to_send)) && !s->closed) {
    s->closed = true;
    sn_close(s->st, s->sd);
  }
}

/* Keepalive with short timers: a peer that vanished (its connection given
 * up after retransmissions a bursty link kept eating) is noticed, so every
 * run ends. */
static void keepalive(struct sn_stack *st, int sd) {
  int one = 1, idle = 20, intvl = 5, cnt = 3;
  sn_setsockopt(st, sd, SN_SOL_SOCKET, SN_SO_KEEPALIVE, &one, sizeof one);
  sn_setsockopt(st, sd, SN_IPPROTO_TCP, SN_TCP_KEEPIDLE, &idle, sizeof idle);
  sn_setsockopt(st, sd, SN_IPPROTO_TCP, SN_TCP_KEEPINTVL, &intvl, sizeof intvl);
  sn_setsockopt(st, sd, SN_IPPROTO_TCP, SN_TCP_KEEPCNT, &cnt, sizeof cnt);
}

static void on_listen(void *ctx, int sd, unsigned ev) {
  struct run *r = ctx;
  (void)ev;
  int c = sn_accept(r->b.st, sd, NULL);
  if (c < 0)
    return;
  r->b.sd = c;
  keepalive(r->b.st, c);
  sn_set_event_cb(r->b.st, c, on_event, &r->b);
  sn_close(r->b.st, sd); /* one connection only */
  r->b_lsd = -1;
  on_event(&r->b, c, sn_poll(r->b.st, c));
}

static bool finished(void *ctx) {
  struct run *r = ctx;
  return r->a.closed && r->b.closed;
}

/* Random impairments for this seed: a different mix each time. */
static void impair(struct sn_rng *g, struct sn_sim_impair *imp) {
  memset(imp, 0, sizeof *imp);
  imp->delay_ns = sn_rng_below(g, 20) * 1000000;
  imp->jitter_ns = sn_rng_below(g, 3) ? 0 : sn_rng_below(g, 5000000);
  imp->loss = sn_rng_double(g) * 0.10;
  imp->reorder = sn_rng_double(g) * 0.10;
  imp->reorder_ns = sn_rng_below(g, 5000000);
  imp->duplicate = sn_rng_double(g) * 0.05;
  imp->corrupt = sn_rng_double(g) * 0.05;
  if (sn_rng_below(g, 3) == 0)
    imp->rate_bps = 1000000 + sn_rng_below(g, 100000000);
  if (sn_rng_below(g, 4) == 0)
    imp->queue_limit = 5 + (uint32_t)sn_rng_below(g, 100);
  if (sn_rng_below(g, 4) == 0) {
    imp->ge_p = 0.01 + sn_rng_double(g) * 0.05;
    imp->ge_r = 0.2 + sn_rng_double(g) * 0.5;
    imp->ge_loss_bad = 0.5 + sn_rng_double(g) * 0.5;
  }
}

/* One seed. Returns 0 if it passed. */
static int one(uint64_t seed, bool verbose, unsigned *completed) {
  struct sn_rng g;
  sn_rng_seed(&g, seed ^ 0x50a4);
  struct sn_sim *sim = sn_sim_new(seed);
  struct sn_config cfg;
  sn_config_default(&cfg, sn_rng_below(&g, 4) ? SN_PROFILE_LINUX : SN_PROFILE_RFC);
  struct run r;
  memset(&r, 0, sizeof r);
  r.a.st = sn_sim_add_host(sim, "A", &cfg);
  r.b.st = sn_sim_add_host(sim, "B", &cfg);
  uint32_t mtu = sn_rng_below(&g, 5) ? 1500 : 576 + (uint32_t)sn_rng_below(&g, 8500);
  struct sn_sim_link *l = sn_sim_connect(sim, r.a.st, "198.18.0.1/24", r.b.st,
                                         "198.18.0.2/24", mtu, NULL);
  struct sn_sim_impair ab, ba;
  impair(&g, &ab);
  impair(&g, &ba);
  sn_sim_link_impair(l, SN_SIM_AB, &ab);
  sn_sim_link_impair(l, SN_SIM_BA, &ba);

  r.a.to_send = sn_rng_below(&g, 65536);
  r.b.to_send = sn_rng_below(&g, 32768);
  r.a.stream_out = r.b.stream_in = seed * 31 + 1;
  r.b.stream_out = r.a.stream_in = seed * 37 + 2;
  r.b_lsd = sn_socket(r.b.st, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 7000};
  sn_bind(r.b.st, r.b_lsd, &any);
  sn_listen(r.b.st, r.b_lsd, 4);
  sn_set_event_cb(r.b.st, r.b_lsd, on_listen, &r);
  r.a.sd = sn_socket(r.a.st, SN_SOCK_STREAM);
  keepalive(r.a.st, r.a.sd);
  sn_set_event_cb(r.a.st, r.a.sd, on_event, &r.a);
  uint32_t bip;
  sn_ip4_parse("198.18.0.2", &bip);
  struct sn_sockaddr dst = {bip, 7000};
  sn_connect(r.a.st, r.a.sd, &dst);
  /* Some UDP and ICMP alongside. */
  int u = sn_socket(r.a.st, SN_SOCK_DGRAM);
  struct sn_sockaddr echo = {bip, 9};
  sn_sendto(r.a.st, u, "x", 1, 0, &echo);
  sn_stack_ping(r.a.st, bip, 1, 1, 100);

  bool done = sn_sim_run_while_not(sim, finished, &r, 900 * SEC);
  int fail = 0;
  if (r.a.bad || r.b.bad) {
    printf("seed %" PRIu64 ": CORRUPTED DATA delivered\n", seed);
    fail = 1;
  }
  if (r.a.received > r.b.to_send || r.b.received > r.a.to_send) {
    printf("seed %" PRIu64 ": more bytes delivered than sent\n", seed);
    fail = 1;
  }
  bool complete = r.a.eof && r.b.eof && r.a.received == r.b.to_send &&
                  r.b.received == r.a.to_send;
  bool acceptable_err = r.a.err == ETIMEDOUT || r.a.err == ECONNRESET ||
                        r.a.err == ECONNREFUSED || r.b.err == ETIMEDOUT ||
                        r.b.err == ECONNRESET;
  if (!complete && !acceptable_err && done) {
    printf("seed %" PRIu64 ": ended incomplete without an error (A got %" PRIu64
           "/%" PRIu64 ", B got %" PRIu64 "/%" PRIu64 ")\n",
           seed, r.a.received, r.b.to_send, r.b.received, r.a.to_send);
    fail = 1;
  }
  if (!done && !acceptable_err) {
    printf("seed %" PRIu64 ": still running after 900 s of virtual time "
           "(A %s sent %" PRIu64 "/%" PRIu64 " got %" PRIu64 ", B sent %" PRIu64
           "/%" PRIu64 " got %" PRIu64 ")\n",
           seed, r.a.closed ? "closed" : "open", r.a.sent, r.a.to_send,
           r.a.received, r.b.sent, r.b.to_send, r.b.received);
    fail = 1;
  }
  if (fail) {
    printf("  connections of A:\n");
    sn_stack_dump_connections(r.a.st, stdout);
    printf("  connections of B:\n");
    sn_stack_dump_connections(r.b.st, stdout);
  }
  if (complete)
    (*completed)++;
  if (verbose)
    printf("seed %" PRIu64 ": %s, %.1f s virtual, loss %.3f/%.3f\n", seed,
           complete ? "complete" : acceptable_err ? "error (allowed)" : "FAILED",
           (double)sn_sim_now(sim) / 1e9, ab.loss, ba.loss);
  sn_sim_free(sim);
  return fail;
}

int main(int argc, char **argv) {
  uint64_t first = 1, last = 1000;
  bool verbose = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seeds") && i + 1 < argc) {
      if (sscanf(argv[++i], "%" SCNu64 "-%" SCNu64, &first, &last) != 2 ||
          last < first) {
        fprintf(stderr, "synack_soak: --seeds takes FIRST-LAST, e.g. 1-1000\n");
        return 2;
      }
    } else if (!strcmp(argv[i], "--verbose")) {
      verbose = true;
    } else {
      fprintf(stderr, "usage: synack_soak [--seeds FIRST-LAST] [--verbose]\n");
      return 2;
    }
  }
  unsigned failed = 0, completed = 0;
  for (uint64_t s = first; s <= last; s++)
    failed += (unsigned)one(s, verbose, &completed);
  printf("soak: seeds %" PRIu64 "-%" PRIu64 ": %u failed, %u completed, %" PRIu64
         " ended with an allowed error\n",
         first, last, failed, completed, last - first + 1 - failed - completed);
  return failed ? 1 : 0;
}
