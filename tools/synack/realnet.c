/*
 * realnet.c - a stack on a real link for the serve, get, send and recv
 * commands: options, setup, the control socket of `synack stat`, and the
 * orderly exit.
 */
#include "realnet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/sha256.h"
#include "synack/capture.h"
#include "synack/synack.h"

#define SEC 1000000000ll

const char rn_help[] =
    "Link (one of):\n"
    "  --tap IF            the TAP device IF (Linux; created if absent, which\n"
    "                      needs CAP_NET_ADMIN). Its kernel side is a Linux\n"
    "                      interface; synack is the host at the other end.\n"
    "  --vxlan A.B.C.D[:PORT]  a VXLAN endpoint on this UDP address (port\n"
    "                      4789 by default), with:\n"
    "  --remote A.B.C.D[:PORT] the peer endpoint (a Linux vxlan interface or\n"
    "                      another synack)\n"
    "  --vni N             the VXLAN network identifier (0..16777215)\n"
    "Host:\n"
    "  --ip A.B.C.D/N      this host's address and prefix (required)\n"
    "  --gw A.B.C.D        default gateway\n"
    "  --mac XX:XX:XX:XX:XX:XX  the interface's MAC (default: random, local)\n"
    "  --mtu N             use this MTU instead of the link's\n"
    "Observe:\n"
    "  --pcap FILE         capture every frame (pcapng with reasons if FILE\n"
    "                      ends in .pcapng)\n"
    "  --trace FILE        every trace event as JSON lines\n"
    "  --control PATH      a unix socket for `synack stat --control PATH`\n"
    "  --stat              print counters and connections at exit\n"
    "Impair the link (both directions, as the simulator does):\n"
    "  --loss P  --burst P,R  --delay D  --jitter D  --rate R  --queue N\n"
    "  --reorder P  --dup P  --corrupt P  (see `synack transfer --help`)\n"
    "  --seed N            seed of the stack and the impairments (default:\n"
    "                      random)\n"
    "SIGINT or SIGTERM closes the connections, flushes the capture and exits.\n";

void rn_defaults(struct rn_opts *o) {
  memset(o, 0, sizeof *o);
  cli_net_defaults(&o->net);
  o->net.imp.delay_ns = 0;
  o->vni = -1;
}

bool rn_option(const char *cmd, struct rn_opts *o, const char *name,
               const char *val) {
  if (!strcmp(name, "tap"))
    o->tap = val;
  else if (!strcmp(name, "vxlan"))
    o->vxlan = val;
  else if (!strcmp(name, "remote"))
    o->remote = val;
  else if (!strcmp(name, "vni"))
    o->vni = (long long)cli_uint(cmd, "--vni", val, 0, 0xffffff);
  else if (!strcmp(name, "ip"))
    o->ip = val;
  else if (!strcmp(name, "gw"))
    o->gw = val;
  else if (!strcmp(name, "mac"))
    o->mac = val;
  else if (!strcmp(name, "pcap"))
    o->pcap = val;
  else if (!strcmp(name, "trace"))
    o->trace = val;
  else if (!strcmp(name, "control"))
    o->control = val;
  else if (!strcmp(name, "stat"))
    o->stat = true;
  else if (cli_net_option(cmd, &o->net, name, val)) {
    if (!strcmp(name, "seed"))
      o->seed_set = true;
    else if (!strcmp(name, "mtu"))
      o->mtu_set = true;
  } else
    return false;
  return true;
}

const char *rn_strerror(int err) {
  const char *s = sn_strerror(err);
  return strcmp(s, "unknown error") ? s : strerror(err < 0 ? -err : err);
}

bool rn_parse_hostport(const char *text, uint32_t *addr, uint16_t *port,
                       uint16_t default_port) {
  char host[32];
  const char *colon = strchr(text, ':');
  size_t hl = colon ? (size_t)(colon - text) : strlen(text);
  if (hl == 0 || hl >= sizeof host)
    return false;
  memcpy(host, text, hl);
  host[hl] = 0;
  if (sn_ip4_parse(host, addr) != 0)
    return false;
  *port = default_port;
  if (colon) {
    char *end;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || p == 0 || p > 65535 || colon[1] == '-')
      return false;
    *port = (uint16_t)p;
  }
  return true;
}

static void parse_cidr(const char *cmd, const char *text, uint32_t *ip,
                       unsigned *prefix) {
  char host[32];
  const char *slash = strchr(text, '/');
  size_t hl = slash ? (size_t)(slash - text) : 0;
  char *end = NULL;
  unsigned long n = 0;
  if (slash && hl < sizeof host) {
    memcpy(host, text, hl);
    host[hl] = 0;
    errno = 0;
    n = strtoul(slash + 1, &end, 10);
  }
  if (!slash || hl >= sizeof host || sn_ip4_parse(host, ip) != 0 ||
      !slash[1] || *end || errno || n < 1 || n > 32 || *ip == 0)
    cli_usage_error(cmd, "--ip: '%s' is not valid; accepted: A.B.C.D/N, the "
                         "host's address and prefix length 1..32 (e.g. "
                         "198.18.0.2/24)",
                    text);
  *prefix = (unsigned)n;
}

static void parse_mac(const char *cmd, const char *text, uint8_t mac[6]) {
  unsigned v[6];
  char extra;
  if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
             &v[4], &v[5], &extra) != 6 || (v[0] & 1) ||
      !(v[0] | v[1] | v[2] | v[3] | v[4] | v[5]))
    cli_usage_error(cmd, "--mac: '%s' is not valid; accepted: a unicast MAC "
                         "address as six hex pairs (e.g. 02:53:4e:00:00:02)",
                    text);
  for (int i = 0; i < 6; i++)
    mac[i] = (uint8_t)v[i];
}

static bool impaired(const struct sn_sim_impair *i) {
  return i->delay_ns || i->jitter_ns || i->rate_bps || i->loss > 0 ||
         i->ge_p > 0 || i->reorder > 0 || i->duplicate > 0 || i->corrupt > 0;
}

static uint64_t random_seed(void) {
  uint64_t s = 0;
  if (getentropy(&s, sizeof s) != 0)
    s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
  return s;
}

/* Check the options fit together; exits 2 if not. */
static void check_link_options(const char *cmd, const struct rn_opts *o) {
  if (!o->tap && !o->vxlan)
    cli_usage_error(cmd, "needs a link; accepted: --tap IF, or --vxlan "
                         "A.B.C.D[:PORT] --remote A.B.C.D[:PORT] --vni N");
  if (o->tap && o->vxlan)
    cli_usage_error(cmd, "--tap and --vxlan: choose one link");
  if (o->tap && (!*o->tap || strlen(o->tap) > 15 || strchr(o->tap, '/')))
    cli_usage_error(cmd, "--tap: '%s' is not valid; accepted: an interface "
                         "name of 1 to 15 characters, no '/'", o->tap);
  if (!o->vxlan && (o->remote || o->vni >= 0))
    cli_usage_error(cmd, "--remote and --vni belong with --vxlan; accepted: "
                         "--vxlan A.B.C.D[:PORT] --remote A.B.C.D[:PORT] "
                         "--vni N");
  if (o->vxlan && (!o->remote || o->vni < 0))
    cli_usage_error(cmd, "--vxlan needs --remote A.B.C.D[:PORT] (the peer "
                         "endpoint) and --vni N (0..16777215)");
  if (!o->ip)
    cli_usage_error(cmd, "needs --ip A.B.C.D/N, this host's address on the "
                         "link (e.g. --ip 198.18.0.2/24)");
}

static struct sn_driver *open_driver(const char *cmd, const struct rn_opts *o) {
  int err = 0;
  struct sn_driver *d = NULL;
  if (o->tap) {
    d = sn_tap_open(o->tap, &err);
    if (!d) {
      const char *hint = "";
      if (err == -EPERM || err == -EACCES)
        hint = " (attaching to or creating a TAP device needs root or "
               "CAP_NET_ADMIN, or a device owned by this user)";
      else if (err == -EBUSY)
        hint = " (another process is attached to it)";
      else if (err == -ENOSYS)
        hint = " (TAP devices are a Linux feature)";
      else if (err == -ENOENT)
        hint = " (no /dev/net/tun: is the tun module loaded?)";
      fprintf(stderr, "synack %s: cannot open TAP device %s: %s%s\n", cmd,
              o->tap, rn_strerror(err), hint);
    }
    return d;
  }
  struct sn_vxlan_params p = {.vni = (uint32_t)o->vni,
                              .mtu = o->mtu_set ? o->net.mtu : 0};
  if (!rn_parse_hostport(o->vxlan, &p.local_addr, &p.local_port,
                         SN_VXLAN_PORT))
    cli_usage_error(cmd, "--vxlan: '%s' is not valid; accepted: A.B.C.D or "
                         "A.B.C.D:PORT (the local UDP endpoint)",
                    o->vxlan);
  if (!rn_parse_hostport(o->remote, &p.remote_addr, &p.remote_port,
                         SN_VXLAN_PORT) || p.remote_addr == 0)
    cli_usage_error(cmd, "--remote: '%s' is not valid; accepted: A.B.C.D or "
                         "A.B.C.D:PORT (the peer's UDP endpoint)",
                    o->remote);
  d = sn_vxlan_open(&p, &err);
  if (!d)
    fprintf(stderr, "synack %s: cannot open the VXLAN endpoint %s: %s\n", cmd,
            o->vxlan, rn_strerror(err));
  return d;
}

/* The control socket ------------------------------------------------------ */

void rn_report(const struct rn *r, const char *what, FILE *out) {
  char ip[16];
  bool all = !strcmp(what, "all");
  fprintf(out, "# synack %s (pid %d): %s %s/%u, MTU %d, up %.3f s\n", r->cmd,
          (int)getpid(), sn_driver_name(r->drv), sn_ip4_fmt(r->ip, ip),
          r->prefix, sn_netif_mtu(r->st, r->ifindex),
          (double)(sn_loop_now() - r->started) / 1e9);
  if (all || !strcmp(what, "counters")) {
    fprintf(out, "# counters\n");
    sn_stack_dump_counters(r->st, out);
    struct sn_driver_stats d = sn_driver_stats(r->drv);
    fprintf(out, "# driver %s\n", sn_driver_name(r->drv));
    fprintf(out, "DrvRxFrames %llu\nDrvRxBytes %llu\nDrvRxBatches %llu\n"
                 "DrvRxDropped %llu\nDrvTxFrames %llu\nDrvTxBytes %llu\n"
                 "DrvTxBatches %llu\nDrvTxDropped %llu\n",
            (unsigned long long)d.rx_frames, (unsigned long long)d.rx_bytes,
            (unsigned long long)d.rx_batches, (unsigned long long)d.rx_dropped,
            (unsigned long long)d.tx_frames, (unsigned long long)d.tx_bytes,
            (unsigned long long)d.tx_batches, (unsigned long long)d.tx_dropped);
    struct sn_impair_link *il = sn_loop_impair(r->lp, r->ifindex);
    if (il) {
      fprintf(out, "# impairment\n");
      const char *dn[2] = {"Tx", "Rx"};
      for (int i = 0; i < 2; i++) {
        struct sn_sim_link_stats s = sn_impair_link_stats(il, (enum sn_sim_dir)i);
        fprintf(out, "Impair%sOffered %llu\nImpair%sLost %llu\n"
                     "Impair%sQueueDrops %llu\nImpair%sDuplicated %llu\n"
                     "Impair%sCorrupted %llu\nImpair%sReordered %llu\n",
                dn[i], (unsigned long long)s.offered, dn[i],
                (unsigned long long)(s.lost_random + s.lost_burst), dn[i],
                (unsigned long long)s.dropped_queue, dn[i],
                (unsigned long long)s.duplicated, dn[i],
                (unsigned long long)s.corrupted, dn[i],
                (unsigned long long)s.reordered);
      }
    }
  }
  if (all || !strcmp(what, "connections")) {
    fprintf(out, "# connections\n");
    sn_stack_dump_connections(r->st, out);
  }
}

/* A `synack stat` client: read its one-line request, answer, hang up. The
 * client is local and quick; short timeouts bound the wait. */
static void ctl_accept(void *ctx, int fd, unsigned events) {
  struct rn *r = ctx;
  (void)events;
  int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    return;
  struct timeval tv = {.tv_sec = 1};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  char req[64];
  size_t n = 0;
  while (n < sizeof req - 1) {
    ssize_t k = read(c, req + n, sizeof req - 1 - n);
    if (k <= 0)
      break;
    n += (size_t)k;
    if (memchr(req, '\n', n))
      break;
  }
  req[n] = 0;
  req[strcspn(req, "\r\n")] = 0;
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  if (m) {
    if (strcmp(req, "counters") && strcmp(req, "connections") &&
        strcmp(req, "all"))
      fprintf(m, "error: unknown request '%s'; accepted: counters "
                 "connections all\n", req);
    else
      rn_report(r, req, m);
    fclose(m);
    for (size_t off = 0; off < len;) {
      ssize_t w = send(c, buf + off, len - off, MSG_NOSIGNAL);
      if (w <= 0)
        break;
      off += (size_t)w;
    }
    free(buf);
  }
  close(c);
}

static int open_control(struct rn *r, const char *path) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof a.sun_path) {
    fprintf(stderr, "synack %s: --control: '%s' is too long for a unix "
                    "socket (%zu characters at most)\n",
            r->cmd, path, sizeof a.sun_path - 1);
    return -1;
  }
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  struct stat sb;
  if (lstat(path, &sb) == 0) {
    if (!S_ISSOCK(sb.st_mode)) {
      fprintf(stderr, "synack %s: --control: '%s' exists and is not a "
                      "socket\n", r->cmd, path);
      return -1;
    }
    unlink(path); /* left by an instance that is gone */
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
      listen(fd, 8) < 0) {
    fprintf(stderr, "synack %s: --control: cannot listen on '%s': %s\n",
            r->cmd, path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  if (sn_loop_watch(r->lp, fd, SN_POLLIN, ctl_accept, r) != 0) {
    close(fd);
    unlink(path);
    return -1;
  }
  r->ctl_fd = fd;
  snprintf(r->ctl_path, sizeof r->ctl_path, "%s", path);
  return 0;
}

/* Up and down ------------------------------------------------------------- */

static void default_mac(uint64_t seed, uint8_t mac[6]) {
  uint64_t x = (seed ^ 0x6d61636164647221ull) * 0x9e3779b97f4a7c15ull;
  x ^= x >> 31;
  mac[0] = 0x02; /* locally administered, unicast */
  mac[1] = 0x53;
  mac[2] = 0x4e;
  mac[3] = (uint8_t)(x >> 16);
  mac[4] = (uint8_t)(x >> 8);
  mac[5] = (uint8_t)x;
}

/* Open the trace and capture files; usage errors exit 2. */
static void open_observers(struct rn *r, const char *cmd,
                           const struct rn_opts *o) {
  if (o->trace)
    r->trace = cli_open_trace(cmd, o->trace);
  if (o->pcap) {
    int err;
    r->cap = sn_capture_open(o->pcap, sn_capture_format_for(o->pcap), &err);
    if (!r->cap)
      cli_usage_error(cmd, "--pcap: cannot write '%s': %s", o->pcap,
                      rn_strerror(err));
  }
}

/* The stack and its loop; 0 or -1 (said why). */
static int make_stack(struct rn *r, const char *cmd, uint64_t seed) {
  struct sn_config cfg;
  sn_config_default(&cfg, SN_PROFILE_LINUX);
  /* Room for a large window, as Linux's buffer autotuning would allow. */
  sn_config_set(&cfg, "tcp_rmem", "4096 4194304 16777216");
  sn_config_set(&cfg, "tcp_wmem", "4096 4194304 16777216");
  r->st = sn_stack_new(cmd, &cfg, seed);
  int err = 0;
  if (r->st)
    r->lp = sn_loop_new(r->st, &err);
  if (!r->st || !r->lp) {
    fprintf(stderr, "synack %s: cannot start the event loop: %s\n", cmd,
            rn_strerror(r->st ? err : -ENOMEM));
    return -1;
  }
  if (r->trace)
    sn_stack_set_trace(r->st, sn_trace_sink_json, r->trace, SN_TRACE_ALL);
  return 0;
}

/* The driver, the interface, its address and route; 0 or -1. */
static int attach_link(struct rn *r, const char *cmd, const struct rn_opts *o,
                       const uint8_t mac[6], uint32_t gw, uint64_t seed) {
  if (!(r->drv = open_driver(cmd, o)))
    return -1;
  if (o->tap && sn_tap_wait_running(r->drv, 3 * SEC) == -ENETDOWN)
    fprintf(stderr, "synack %s: note: the kernel side of %s is down; "
                    "bring it up (ip link set %s up) and give it an address "
                    "for Linux to talk to this host\n",
            cmd, sn_driver_name(r->drv), sn_driver_name(r->drv));
  struct sn_loop_netif np = {
      .name = o->tap ? o->tap : "vxlan0", .drv = r->drv,
      .mtu = o->mtu_set ? o->net.mtu : 0, .cap = r->cap,
      .impair = impaired(&o->net.imp) ? &o->net.imp : NULL,
      .impair_seed = seed ^ 0x696d70616972ull};
  memcpy(np.mac, mac, 6);
  r->ifindex = sn_loop_add_netif(r->lp, &np);
  if (r->ifindex < 0) {
    fprintf(stderr, "synack %s: cannot add the interface%s: %s\n", cmd,
            o->mtu_set ? " (is --mtu above the link's?)" : "",
            rn_strerror(r->ifindex));
    return -1;
  }
  struct sn_impair_link *il = sn_loop_impair(r->lp, r->ifindex);
  if (il && r->trace)
    sn_impair_link_set_trace(il, sn_trace_sink_json, r->trace, "impair");
  int err = sn_netif_add_addr(r->st, r->ifindex, r->ip, r->prefix);
  if (!err && gw)
    err = sn_route_add(r->st, 0, 0, gw, r->ifindex);
  if (err) {
    fprintf(stderr, "synack %s: cannot configure %s/%u%s%s: %s\n", cmd,
            o->ip, r->prefix, gw ? " via " : "", gw ? o->gw : "",
            rn_strerror(err));
    return -1;
  }
  return 0;
}

int rn_up(struct rn *r, const char *cmd, const struct rn_opts *o) {
  memset(r, 0, sizeof *r);
  r->cmd = cmd;
  r->ctl_fd = -1;
  r->stat = o->stat;
  check_link_options(cmd, o);
  parse_cidr(cmd, o->ip, &r->ip, &r->prefix);
  uint32_t gw = 0;
  if (o->gw && sn_ip4_parse(o->gw, &gw) != 0)
    cli_usage_error(cmd, "--gw: '%s' is not valid; accepted: A.B.C.D", o->gw);
  uint8_t mac[6];
  uint64_t seed = o->seed_set ? o->net.seed : random_seed();
  if (o->mac)
    parse_mac(cmd, o->mac, mac);
  else
    default_mac(seed, mac);
  open_observers(r, cmd, o);
  if (make_stack(r, cmd, seed) != 0 ||
      attach_link(r, cmd, o, mac, gw, seed) != 0)
    return -1;
  if (sn_loop_catch_signals(r->lp) != 0)
    fprintf(stderr, "synack %s: note: cannot catch SIGINT/SIGTERM\n", cmd);
  if (o->control && open_control(r, o->control) != 0)
    return -1;
  r->started = sn_loop_now();
  char ip[16];
  fprintf(stderr, "synack %s: %s/%u on %s (MTU %d, MAC %02x:%02x:%02x:%02x:"
                  "%02x:%02x, seed %llu)%s\n",
          cmd, sn_ip4_fmt(r->ip, ip), r->prefix, sn_driver_name(r->drv),
          sn_netif_mtu(r->st, r->ifindex), mac[0], mac[1], mac[2], mac[3],
          mac[4], mac[5], (unsigned long long)seed,
          sn_loop_impair(r->lp, r->ifindex) ? ", impaired" : "");
  return 0;
}

void rn_summary(const struct rn *r, FILE *out) {
  struct sn_driver_stats d = sn_driver_stats(r->drv);
  fprintf(out, "synack %s: TcpOutSegs %llu TcpRetransSegs %llu TcpInSegs %llu "
               "TcpOutRsts %llu; frames out %llu in %llu",
          r->cmd, (unsigned long long)sn_stack_counter(r->st, SN_CTR_TcpOutSegs),
          (unsigned long long)sn_stack_counter(r->st, SN_CTR_TcpRetransSegs),
          (unsigned long long)sn_stack_counter(r->st, SN_CTR_TcpInSegs),
          (unsigned long long)sn_stack_counter(r->st, SN_CTR_TcpOutRsts),
          (unsigned long long)d.tx_frames, (unsigned long long)d.rx_frames);
  if (d.tx_dropped || d.rx_dropped)
    fprintf(out, " (driver dropped %llu out, %llu in)",
            (unsigned long long)d.tx_dropped, (unsigned long long)d.rx_dropped);
  struct sn_impair_link *il = sn_loop_impair(r->lp, r->ifindex);
  if (il) {
    struct sn_sim_link_stats t = sn_impair_link_stats(il, SN_SIM_AB);
    struct sn_sim_link_stats x = sn_impair_link_stats(il, SN_SIM_BA);
    fprintf(out, "; impairment lost %llu out, %llu in",
            (unsigned long long)(t.lost_random + t.lost_burst + t.dropped_queue),
            (unsigned long long)(x.lost_random + x.lost_burst + x.dropped_queue));
  }
  fprintf(out, "\n");
}

int rn_down(struct rn *r) {
  int status = 0;
  if (r->lp && r->drv && r->ifindex > 0) {
    sn_loop_clear_signal(r->lp);
    sn_loop_drain(r->lp, 2 * SEC);
    rn_summary(r, stderr);
    if (r->stat)
      rn_report(r, "all", stderr);
  }
  if (r->ctl_fd >= 0) {
    sn_loop_unwatch(r->lp, r->ctl_fd);
    close(r->ctl_fd);
    unlink(r->ctl_path);
  }
  if (r->st) {
    sn_stack_set_trace(r->st, NULL, NULL, 0);
    sn_stack_free(r->st);
  }
  sn_loop_free(r->lp);
  sn_driver_close(r->drv);
  if (r->cap) {
    int e = sn_capture_close(r->cap);
    if (e) {
      fprintf(stderr, "synack %s: the capture is incomplete: %s\n", r->cmd,
              rn_strerror(e));
      status = 1;
    }
  }
  if (r->trace && fclose(r->trace) != 0)
    status = 1;
  memset(r, 0, sizeof *r);
  r->ctl_fd = -1;
  return status;
}

void rn_short_options(int argc, char **argv, char **out) {
  for (int i = 0; i < argc; i++)
    out[i] = !strcmp(argv[i], "-o") ? (char *)"--output" : argv[i];
  out[argc] = NULL;
}

void rn_xfer_report(const char *cmd, const char *what, uint64_t bytes,
                    uint64_t t0, struct sn_sha256 *h) {
  char hex[65] = "";
  if (h) {
    uint8_t d[32];
    sn_sha256_final(h, d);
    sn_sha256_hex(d, hex);
  }
  double s = (double)(sn_loop_now() - t0) / 1e9;
  fprintf(stderr, "synack %s: %s %llu bytes in %.3f s (%.1f Mbit/s)%s%s\n",
          cmd, what, (unsigned long long)bytes, s,
          s > 0 ? (double)bytes * 8 / s / 1e6 : 0.0, h ? ", sha256 " : "",
          hex);
}
