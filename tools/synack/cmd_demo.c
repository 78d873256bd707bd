/*
 * cmd_demo.c - `synack demo`: two hosts on a simulated link, narrated.
 *
 *   1. ARP and ping: A knows nothing of B; its first ping waits for ARP.
 *   2. UDP echo across a lossy link: datagrams are simply lost, nobody
 *      retransmits them (that is TCP's job).
 *   3. A closed port: B answers with ICMP port unreachable, and A's
 *      connected socket reports "connection refused".
 *   4. A datagram larger than the MTU: IP fragments and reassembles it.
 *   5. TCP: the three-way handshake, a transfer in which the link loses a
 *      segment (fast retransmit repairs it), the four-way close and
 *      TIME-WAIT, drawn as a sequence diagram.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "synack/capture.h"
#include "synack/synack.h"
#include "synack/sim.h"
#include "seqdiag.h"
#include "timeline.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define PINGS 3
#define DATAGRAMS 20
#define BIG 4000
#define TCP_BYTES 8000
#define TCP_START (10 * SEC)

struct demo {
  struct cli_net net;
  bool loss_given, stat;
  const char *pcap, *trace;
  struct sn_sim *sim;
  struct sn_stack *a, *b;
  struct sn_sim_link *link;
  struct timeline tl;
  uint32_t a_ip, b_ip;
  int a_sd, b_sd, a_conn;
  unsigned echoed, big_echoed, refused;
  bool got[DATAGRAMS];
  unsigned seq, next_datagram;
  struct seqdiag diag;
  int a_tcp, b_lsd, b_tcp;
  unsigned tcp_sent, tcp_rcvd;
  bool tcp_closed_a, tcp_closed_b;
};

static const char help[] =
    "usage: synack demo [OPTIONS]\n\n"
    "Two hosts, A (198.18.0.1) and B (198.18.0.2), on a simulated link, with\n"
    "every step explained: ARP and ping, UDP echo across a lossy link, an\n"
    "ICMP port unreachable, and IP fragmentation. Runs on virtual time: the\n"
    "same options and seed always give the same run.\n\n"
    "  --pcap FILE     write the link's frames (pcap, or pcapng if FILE ends\n"
    "                  in .pcapng: with a comment on why each was sent)\n"
    "  --trace FILE    write every trace event as JSON lines\n"
    "  --stat          print both hosts' counters at the end\n"
    "  --loss P        loss during the UDP part (default 20%)\n\n";

static const struct cli_opt opts[] = {
    {"pcap", true},   {"trace", true},  {"stat", false},  {"seed", true},
    {"delay", true},  {"jitter", true}, {"rate", true},   {"queue", true},
    {"loss", true},   {"burst", true},  {"reorder", true}, {"dup", true},
    {"corrupt", true}, {"mtu", true},   {NULL, false},
};

static void on_opt(void *ctx, const char *name, const char *val) {
  struct demo *d = ctx;
  if (!strcmp(name, "pcap"))
    d->pcap = val;
  else if (!strcmp(name, "trace"))
    d->trace = val;
  else if (!strcmp(name, "stat"))
    d->stat = true;
  else {
    if (!strcmp(name, "loss"))
      d->loss_given = true;
    cli_net_option("demo", &d->net, name, val);
  }
}

/* The link without its losses (delay, jitter, rate and MTU stay). */
static void clean_link(struct demo *d) {
  struct sn_sim_impair imp = {.delay_ns = d->net.imp.delay_ns,
                              .jitter_ns = d->net.imp.jitter_ns,
                              .rate_bps = d->net.imp.rate_bps,
                              .queue_limit = d->net.imp.queue_limit};
  sn_sim_link_impair(d->link, SN_SIM_BOTH, &imp);
}

/* B: echo every datagram back to its sender. */
static void b_ready(void *ctx, int sd, unsigned events) {
  struct demo *d = ctx;
  static uint8_t buf[65536];
  if (!(events & SN_POLLIN))
    return;
  struct sn_sockaddr from;
  ssize_t n;
  while ((n = sn_recvfrom(d->b, sd, buf, sizeof buf, 0, &from)) >= 0)
    sn_sendto(d->b, sd, buf, (size_t)n, 0, &from);
}

/* A: count the echoes that came back. */
static void a_ready(void *ctx, int sd, unsigned events) {
  struct demo *d = ctx;
  static uint8_t buf[65536];
  if (!(events & SN_POLLIN))
    return;
  ssize_t n;
  while ((n = sn_recv(d->a, sd, buf, sizeof buf, 0)) >= 0) {
    if (n == BIG) {
      d->big_echoed++;
      timeline_note(&d->tl, sn_sim_now(d->sim), "A",
                    "the %d-byte echo is back, whole", BIG);
      continue;
    }
    unsigned i;
    if (sscanf((const char *)buf, "datagram %u", &i) == 1 && i < DATAGRAMS &&
        !d->got[i]) {
      d->got[i] = true;
      d->echoed++;
      timeline_note(&d->tl, sn_sim_now(d->sim), "A", "echo of datagram %u is back", i);
    }
  }
}

static void do_ping(void *ctx, uint64_t now) {
  struct demo *d = ctx;
  d->seq++;
  if (d->seq == 1)
    timeline_section(&d->tl, "1. ARP, then ping",
                     "A has B's IP address but not its MAC address: the "
                     "first echo request waits in A's ARP queue.");
  timeline_note(&d->tl, now, "A", "ping 198.18.0.2 (seq %u)", d->seq);
  sn_stack_ping(d->a, d->b_ip, 1, (uint16_t)d->seq, 56);
}

static void start_udp(void *ctx, uint64_t now) {
  struct demo *d = ctx;
  char why[200];
  snprintf(why, sizeof why,
           "The link now loses %.1f%% of frames. A sends %d datagrams to B's "
           "echo port 7; UDP does not retransmit, so what is lost stays lost.",
           d->net.imp.loss * 100, DATAGRAMS);
  timeline_section(&d->tl, "2. UDP echo across a lossy link", why);
  struct sn_sim_impair imp = d->net.imp;
  sn_sim_link_impair(d->link, SN_SIM_BOTH, &imp);
  (void)now;
}

static void send_datagram(void *ctx, uint64_t now) {
  struct demo *d = ctx;
  char msg[32];
  int n = snprintf(msg, sizeof msg, "datagram %u", d->next_datagram++);
  struct sn_sockaddr dst = {d->b_ip, 7};
  (void)now;
  sn_sendto(d->a, d->a_sd, msg, (size_t)n + 1, 0, &dst);
}

static void closed_port(void *ctx, uint64_t now) {
  struct demo *d = ctx;
  clean_link(d);
  timeline_section(&d->tl, "3. A closed port",
                   "A connects a UDP socket to B port 9, where nothing "
                   "listens. B answers with ICMP port unreachable.");
  struct sn_sockaddr dst = {d->b_ip, 9};
  sn_connect(d->a, d->a_conn, &dst);
  timeline_note(&d->tl, now, "A", "send 'hello?' to 198.18.0.2:9");
  sn_send(d->a, d->a_conn, "hello?", 6, 0);
}

static void check_refused(void *ctx, uint64_t now) {
  struct demo *d = ctx;
  char buf[16];
  ssize_t r = sn_recv(d->a, d->a_conn, buf, sizeof buf, 0);
  if (r == -ECONNREFUSED)
    d->refused = 1;
  timeline_note(&d->tl, now, "A", "recv on the connected socket: %s",
                r < 0 ? sn_strerror((int)r) : "data");
}

static void big_datagram(void *ctx, uint64_t now) {
  struct demo *d = ctx;
  static uint8_t big[BIG];
  char why[160];
  snprintf(why, sizeof why,
           "A sends %d bytes in one datagram; the link MTU is %u, so IP cuts "
           "it into fragments that B puts back together before UDP sees it.",
           BIG, d->net.mtu);
  timeline_section(&d->tl, "4. IP fragmentation", why);
  memset(big, 'x', sizeof big);
  struct sn_sockaddr dst = {d->b_ip, 7};
  timeline_note(&d->tl, now, "A", "send a %d-byte datagram to 198.18.0.2:7", BIG);
  sn_sendto(d->a, d->a_sd, big, sizeof big, 0, &dst);
}

/* A: send TCP_BYTES once connected, then close. */
static void a_tcp_ready(void *ctx, int sd, unsigned events) {
  struct demo *d = ctx;
  static uint8_t buf[TCP_BYTES];
  if (!(events & SN_POLLOUT) || d->tcp_closed_a)
    return;
  memset(buf, 'd', sizeof buf);
  while (d->tcp_sent < TCP_BYTES) {
    ssize_t n = sn_send(d->a, sd, buf, TCP_BYTES - d->tcp_sent, 0);
    if (n <= 0)
      return;
    d->tcp_sent += (unsigned)n;
  }
  d->tcp_closed_a = true;
  sn_close(d->a, sd);
}

/* B: accept, read to the end, close. */
static void b_tcp_ready(void *ctx, int sd, unsigned events) {
  struct demo *d = ctx;
  static uint8_t buf[TCP_BYTES];
  (void)events;
  if (sd == d->b_lsd) {
    int c = sn_accept(d->b, sd, NULL);
    if (c >= 0) {
      d->b_tcp = c;
      sn_set_event_cb(d->b, c, b_tcp_ready, d);
    }
    return;
  }
  ssize_t n;
  while ((n = sn_recv(d->b, sd, buf, sizeof buf, 0)) > 0)
    d->tcp_rcvd += (unsigned)n;
  if (n == 0 && !d->tcp_closed_b) {
    d->tcp_closed_b = true;
    sn_close(d->b, sd);
  }
}

static void start_tcp(void *ctx, uint64_t now) {
  struct demo *d = ctx;
  (void)now;
  timeline_section(&d->tl, "5. TCP: handshake, a transfer with a loss, the close",
                   "B listens on port 9 (discard); A connects, sends 8000 bytes and "
                   "closes. The link loses A's second data segment once: the "
                   "duplicate ACKs that follow trigger a fast retransmit. "
                   "Sequence numbers are relative to each side's ISN.");
  d->diag.out = stdout;
  d->diag.left = "A";
  d->diag.right = "B";
  d->diag.other = &d->tl;
  seqdiag_header(&d->diag);
  sn_sim_set_trace(d->sim, seqdiag_sink, &d->diag, SN_TRACE_ALL);
  sn_sim_link_drop_nth(d->link, SN_SIM_AB, "data", 2);
  d->b_lsd = sn_socket(d->b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 9}; /* the discard service */
  sn_bind(d->b, d->b_lsd, &any);
  sn_listen(d->b, d->b_lsd, 8);
  sn_set_event_cb(d->b, d->b_lsd, b_tcp_ready, d);
  d->a_tcp = sn_socket(d->a, SN_SOCK_STREAM);
  sn_set_event_cb(d->a, d->a_tcp, a_tcp_ready, d);
  struct sn_sockaddr dst = {d->b_ip, 9};
  sn_connect(d->a, d->a_tcp, &dst);
}

static int setup(struct demo *d, struct sn_capture **cap) {
  d->sim = sn_sim_new(d->net.seed);
  d->a = sn_sim_add_host(d->sim, "A", NULL);
  d->b = sn_sim_add_host(d->sim, "B", NULL);
  int err = 0;
  d->link = sn_sim_connect(d->sim, d->a, "198.18.0.1/24", d->b,
                           "198.18.0.2/24", d->net.mtu, &err);
  if (!d->link) {
    fprintf(stderr, "synack demo: cannot build the network: %s\n",
            sn_strerror(err));
    return 1;
  }
  sn_ip4_parse("198.18.0.1", &d->a_ip);
  sn_ip4_parse("198.18.0.2", &d->b_ip);
  clean_link(d);
  if (d->pcap) {
    *cap = sn_capture_open(d->pcap, sn_capture_format_for(d->pcap), &err);
    if (!*cap)
      cli_usage_error("demo", "--pcap: cannot write '%s': %s", d->pcap,
                      sn_strerror(err));
    sn_sim_link_capture(d->link, *cap);
  }
  sn_sim_set_trace(d->sim, timeline_sink, &d->tl, SN_TRACE_ALL);
  d->b_sd = sn_socket(d->b, SN_SOCK_DGRAM);
  struct sn_sockaddr echo = {0, 7};
  sn_bind(d->b, d->b_sd, &echo);
  sn_set_event_cb(d->b, d->b_sd, b_ready, d);
  d->a_sd = sn_socket(d->a, SN_SOCK_DGRAM);
  sn_set_event_cb(d->a, d->a_sd, a_ready, d);
  d->a_conn = sn_socket(d->a, SN_SOCK_DGRAM);
  return 0;
}

static void schedule(struct demo *d) {
  for (unsigned i = 0; i < PINGS; i++)
    sn_sim_at(d->sim, i * SEC, do_ping, d);
  sn_sim_at(d->sim, 4 * SEC, start_udp, d);
  for (unsigned i = 0; i < DATAGRAMS; i++)
    sn_sim_at(d->sim, 4 * SEC + i * 50 * MS, send_datagram, d);
  sn_sim_at(d->sim, 7 * SEC, closed_port, d);
  sn_sim_at(d->sim, 7 * SEC + 500 * MS, check_refused, d);
  sn_sim_at(d->sim, 8 * SEC, big_datagram, d);
  sn_sim_at(d->sim, TCP_START, start_tcp, d);
}

static void summary(struct demo *d) {
  unsigned answered = 0;
  int64_t rtt = -1;
  for (unsigned s = 1; s <= PINGS; s++) {
    int64_t r = sn_stack_ping_result(d->a, 1, (uint16_t)s);
    if (r >= 0) {
      answered++;
      rtt = r;
    }
  }
  struct sn_sim_link_stats ab = sn_sim_link_stats(d->link, SN_SIM_AB);
  struct sn_sim_link_stats ba = sn_sim_link_stats(d->link, SN_SIM_BA);
  printf("\n== Summary (seed %llu)\n", (unsigned long long)d->net.seed);
  printf("   ping:            %u of %u answered", answered, PINGS);
  if (rtt >= 0)
    printf(", last rtt %.3f ms", (double)rtt / 1e6);
  printf("\n   UDP echo:        %u of %d datagrams came back across %.1f%% loss"
         " (UDP never retransmits)\n",
         d->echoed, DATAGRAMS, d->net.imp.loss * 100);
  printf("   closed port:     %s\n",
         d->refused ? "ICMP port unreachable -> ECONNREFUSED on A's socket"
                    : "no error reported");
  printf("   fragmentation:   %d-byte datagram %s\n", BIG,
         d->big_echoed ? "fragmented, reassembled and echoed back whole"
                       : "did not come back");
  printf("   TCP:             %u of %d bytes delivered, %llu segment(s) "
         "retransmitted; A: %s, B: %s\n",
         d->tcp_rcvd, TCP_BYTES,
         (unsigned long long)sn_stack_counter(d->a, SN_CTR_TcpRetransSegs),
         sn_stack_counter(d->a, SN_CTR_TcpExtTW) ? "TIME-WAIT ran its 60 s"
                                                  : "not closed",
         d->tcp_closed_b ? "closed" : "not closed");
  printf("   link A->B:       %llu frames offered, %llu delivered, %llu lost\n",
         (unsigned long long)ab.offered, (unsigned long long)ab.delivered,
         (unsigned long long)(ab.lost_random + ab.lost_burst));
  printf("   link B->A:       %llu frames offered, %llu delivered, %llu lost\n",
         (unsigned long long)ba.offered, (unsigned long long)ba.delivered,
         (unsigned long long)(ba.lost_random + ba.lost_burst));
  printf("   virtual time:    %.3f s\n", (double)sn_sim_now(d->sim) / 1e9);
  if (d->pcap)
    printf("   capture:         %s (open it with wireshark or tshark)\n", d->pcap);
  if (d->trace)
    printf("   trace:           %s (JSON lines, one event each)\n", d->trace);
  if (d->stat) {
    printf("\n== Counters of A\n");
    sn_stack_dump_counters(d->a, stdout);
    printf("\n== Counters of B\n");
    sn_stack_dump_counters(d->b, stdout);
    printf("\n== Connections of A\n");
    sn_stack_dump_connections(d->a, stdout);
    printf("\n== Connections of B\n");
    sn_stack_dump_connections(d->b, stdout);
  }
}

int cmd_demo(int argc, char **argv) {
  struct demo d;
  memset(&d, 0, sizeof d);
  cli_net_defaults(&d.net);
  char *pos[1];
  char fullhelp[4096];
  snprintf(fullhelp, sizeof fullhelp, "%s%s", help, cli_net_help);
  cli_parse("demo", argc, argv, opts, fullhelp, on_opt, &d, pos, 0);
  if (!d.loss_given)
    d.net.imp.loss = 0.20;
  d.tl.out = stdout;
  if (d.trace)
    d.tl.json = cli_open_trace("demo", d.trace);
  printf("synack demo: hosts A (198.18.0.1) and B (198.18.0.2) on a simulated "
         "link,\n%.3f ms each way, MTU %u, seed %llu. Times are virtual.\n",
         (double)d.net.imp.delay_ns / 1e6, d.net.mtu,
         (unsigned long long)d.net.seed);
  struct sn_capture *cap = NULL;
  if (setup(&d, &cap) != 0)
    return 1;
  schedule(&d);
  sn_sim_run_until(d.sim, TCP_START + 62 * SEC);
  summary(&d);
  int rc = 0;
  if (cap && sn_capture_close(cap) != 0) {
    fprintf(stderr, "synack demo: error writing %s\n", d.pcap);
    rc = 1;
  }
  sn_sim_set_trace(d.sim, NULL, NULL, 0);
  if (d.tl.json)
    fclose(d.tl.json);
  sn_sim_free(d.sim);
  return rc;
}
