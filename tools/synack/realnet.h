/*
 * realnet.h - what the commands on real networks (serve, get, send, recv)
 * share: the link, address and observation options, bringing a stack up
 * on a TAP or VXLAN driver with its event loop, the control socket that
 * `synack stat` reads, and the orderly exit (close, drain, summary, flush
 * the capture).
 */
#ifndef SN_REALNET_H
#define SN_REALNET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "synack/drivers.h"
#include "synack/runtime.h"

/* The options every real-network command accepts, for its cli_opt table. */
#define RN_CLI_OPTS                                                            \
  {"tap", true}, {"vxlan", true}, {"remote", true}, {"vni", true},             \
      {"ip", true}, {"gw", true}, {"mac", true}, {"pcap", true},               \
      {"trace", true}, {"control", true}, {"stat", false}, {"seed", true},     \
      {"delay", true}, {"jitter", true}, {"rate", true}, {"queue", true},      \
      {"loss", true}, {"burst", true}, {"reorder", true}, {"dup", true},       \
      {"corrupt", true}, {"mtu", true}

struct rn_opts {
  const char *tap;            /* --tap IF */
  const char *vxlan, *remote; /* --vxlan ADDR[:PORT] --remote ADDR[:PORT] */
  long long vni;              /* --vni N, -1 if not given */
  const char *ip, *gw, *mac;  /* --ip A.B.C.D/N, --gw G, --mac M */
  const char *pcap, *trace, *control;
  bool stat;                  /* print counters and connections at exit */
  bool seed_set, mtu_set;
  struct cli_net net;         /* impairments, --mtu, --seed */
};

void rn_defaults(struct rn_opts *o);
/* Consume a shared option; false if name is not one. */
bool rn_option(const char *cmd, struct rn_opts *o, const char *name,
               const char *val);
/* Help text for the shared options. */
extern const char rn_help[];

/* A stack up on a real link. */
struct rn {
  const char *cmd;
  struct sn_stack *st;
  struct sn_loop *lp;
  struct sn_driver *drv;
  struct sn_capture *cap;
  FILE *trace;
  int ifindex;
  uint32_t ip;                /* this host's address */
  unsigned prefix;
  bool stat;
  int ctl_fd;                 /* control socket, -1: none */
  char ctl_path[108];
  uint64_t started;           /* sn_loop_now() when up */
};

/*
 * Bring the stack up as the options say. Usage mistakes exit 2 (through
 * cli_usage_error); a failure to set up (no permission, device busy, ...)
 * is printed and returns -1.
 */
int rn_up(struct rn *r, const char *cmd, const struct rn_opts *o);

/*
 * The orderly end: the caller has closed its sockets. Run the loop until
 * the connections have finished closing (at most 2 s; a second signal cuts
 * it short), print the summary line (and counters with --stat) to stderr,
 * flush and close the capture and trace, and free everything. Returns 0,
 * or 1 if the capture could not be written.
 */
int rn_down(struct rn *r);

/* The summary line: segments, retransmissions (TcpRetransSegs), frames,
 * impairment drops. */
void rn_summary(const struct rn *r, FILE *out);

/* sn_strerror(), or the system's words for errors from the system (a
 * driver's EPERM, EBUSY, EBADFD, ...). */
const char *rn_strerror(int err);

/* "A.B.C.D:PORT" into host-order parts; false if malformed. */
bool rn_parse_hostport(const char *text, uint32_t *addr, uint16_t *port,
                       uint16_t default_port);

/*
 * Copy argv into out (argc + 1 slots), spelling the short option "-o" as
 * "--output", for commands that accept curl's and socat's habit.
 */
void rn_short_options(int argc, char **argv, char **out);

/* A stream that passed through: bytes, the time since t0 and (if h is not
 * NULL) its SHA-256, printed as "synack CMD: WHAT N bytes in T s (R
 * Mbit/s), sha256 HEX". */
struct sn_sha256;
void rn_xfer_report(const char *cmd, const char *what, uint64_t bytes,
                    uint64_t t0, struct sn_sha256 *h);

/* Write the state report `what` ("counters", "connections" or "all") for
 * `synack stat`. */
void rn_report(const struct rn *r, const char *what, FILE *out);

#endif
