/*
 * cmd_ping.c - `synack ping`: host A pings host B across a simulated link,
 * printed like ping(8), on virtual time.
 */
#include <string.h>

#include "cli.h"
#include "synack/capture.h"
#include "synack/sim.h"
#include "synack/synack.h"

struct ping {
  struct cli_net net;
  uint64_t count, size, interval;
  const char *pcap, *trace;
  FILE *json;
  struct sn_stack *a;
  unsigned received;
  int64_t min, max, sum;
};

static const char help[] =
    "usage: synack ping [OPTIONS]\n\n"
    "Host A (198.18.0.1) pings host B (198.18.0.2) across a simulated link\n"
    "and prints what ping(8) would. Times are virtual.\n\n"
    "  --count N       echo requests to send (default 4)\n"
    "  --size N        data bytes per request (default 56)\n"
    "  --interval D    time between requests (default 1s)\n"
    "  --pcap FILE     write the link's frames (pcapng if FILE ends .pcapng)\n"
    "  --trace FILE    write every trace event as JSON lines\n\n";

static const struct cli_opt opts[] = {
    {"count", true},  {"size", true},   {"interval", true}, {"pcap", true},
    {"trace", true},  {"seed", true},   {"delay", true},    {"jitter", true},
    {"rate", true},   {"queue", true},  {"loss", true},     {"burst", true},
    {"reorder", true}, {"dup", true},   {"corrupt", true},  {"mtu", true},
    {NULL, false},
};

static void on_opt(void *ctx, const char *name, const char *val) {
  struct ping *p = ctx;
  if (!strcmp(name, "count"))
    p->count = cli_uint("ping", "--count", val, 1, 1000000);
  else if (!strcmp(name, "size"))
    p->size = cli_uint("ping", "--size", val, 0, 65507);
  else if (!strcmp(name, "interval"))
    p->interval = cli_duration("ping", "--interval", val);
  else if (!strcmp(name, "pcap"))
    p->pcap = val;
  else if (!strcmp(name, "trace"))
    p->trace = val;
  else
    cli_net_option("ping", &p->net, name, val);
}

static void sink(void *ctx, const struct sn_trace_event *ev) {
  struct ping *p = ctx;
  if (p->json)
    sn_trace_sink_json(p->json, ev);
  if (ev->cat != SN_TC_icmp || strcmp(ev->name, "echo-reply") != 0)
    return;
  const struct sn_trace_field *rtt = sn_trace_field(ev, "rtt");
  const struct sn_trace_field *seq = sn_trace_field(ev, "seq");
  const struct sn_trace_field *ttl = sn_trace_field(ev, "ttl");
  if (!rtt || !seq)
    return;
  int64_t r = (int64_t)rtt->v.u;
  printf("%llu bytes from 198.18.0.2: icmp_seq=%llu ttl=%llu time=%.3f ms\n",
         (unsigned long long)(p->size + 8), (unsigned long long)seq->v.u,
         (unsigned long long)(ttl ? ttl->v.u : 0), (double)r / 1e6);
  if (!p->received || r < p->min)
    p->min = r;
  if (!p->received || r > p->max)
    p->max = r;
  p->sum += r;
  p->received++;
}

static void send_one(void *ctx, uint64_t now) {
  struct ping *p = ctx;
  static uint16_t seq;
  uint32_t dst;
  (void)now;
  sn_ip4_parse("198.18.0.2", &dst);
  sn_stack_ping(p->a, dst, 0x5a5a, ++seq, p->size);
}

int cmd_ping(int argc, char **argv) {
  struct ping p;
  memset(&p, 0, sizeof p);
  cli_net_defaults(&p.net);
  p.count = 4;
  p.size = 56;
  p.interval = 1000000000ull;
  char fullhelp[4096];
  snprintf(fullhelp, sizeof fullhelp, "%s%s", help, cli_net_help);
  cli_parse("ping", argc, argv, opts, fullhelp, on_opt, &p, NULL, 0);
  if (p.trace)
    p.json = cli_open_trace("ping", p.trace);

  struct sn_sim *sim = sn_sim_new(p.net.seed);
  p.a = sn_sim_add_host(sim, "A", NULL);
  struct sn_stack *b = sn_sim_add_host(sim, "B", NULL);
  int err = 0;
  struct sn_sim_link *l = sn_sim_connect(sim, p.a, "198.18.0.1/24", b,
                                         "198.18.0.2/24", p.net.mtu, &err);
  if (!l) {
    fprintf(stderr, "synack ping: cannot build the network: %s\n",
            sn_strerror(err));
    return 1;
  }
  sn_sim_link_impair(l, SN_SIM_BOTH, &p.net.imp);
  struct sn_capture *cap = NULL;
  if (p.pcap) {
    cap = sn_capture_open(p.pcap, sn_capture_format_for(p.pcap), &err);
    if (!cap)
      cli_usage_error("ping", "--pcap: cannot write '%s': %s", p.pcap,
                      sn_strerror(err));
    sn_sim_link_capture(l, cap);
  }
  sn_sim_set_trace(sim, sink, &p, SN_TRACE_ALL);
  printf("PING 198.18.0.2 from 198.18.0.1: %llu data bytes\n",
         (unsigned long long)p.size);
  for (uint64_t i = 0; i < p.count; i++)
    sn_sim_at(sim, i * p.interval, send_one, &p);
  /* Late replies still count, up to 10 s after the last request. */
  sn_sim_run_until(sim, (p.count - 1) * p.interval + 10000000000ull);
  printf("\n--- 198.18.0.2 ping statistics ---\n");
  printf("%llu packets transmitted, %u received, %.1f%% packet loss, "
         "time %.0fms\n",
         (unsigned long long)p.count, p.received,
         100.0 * (double)(p.count - p.received) / (double)p.count,
         (double)((p.count - 1) * p.interval) / 1e6);
  if (p.received)
    printf("rtt min/avg/max = %.3f/%.3f/%.3f ms\n", (double)p.min / 1e6,
           (double)p.sum / p.received / 1e6, (double)p.max / 1e6);
  int rc = p.received ? 0 : 1;
  /* Freeing the hosts may still trace and transmit: first. */
  sn_sim_free(sim);
  if (cap && sn_capture_close(cap) != 0)
    rc = 1;
  if (p.json)
    fclose(p.json);
  return rc;
}
