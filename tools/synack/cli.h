/*
 * cli.h - shared pieces of the synack command: value parsers that explain
 * what they accept, the usage-error exit, and the subcommand table.
 */
#ifndef SN_CLI_H
#define SN_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/sim.h"

#define CLI_EXIT_USAGE 2

/* Print "synack CMD: MSG" and a hint to stderr, and exit 2. */
void cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/*
 * Parsers: on bad text they print what was wrong and what is accepted, then
 * exit 2 (through cli_usage_error). `opt` names the option in messages.
 */
uint64_t cli_uint(const char *cmd, const char *opt, const char *text,
                  uint64_t min, uint64_t max);
/* Sizes: 1500, 64K, 100M, 2G (powers of 1024). */
uint64_t cli_size(const char *cmd, const char *opt, const char *text);
/* Durations in ns: 10ms, 1s, 250us, 5ns; a bare number is milliseconds. */
uint64_t cli_duration(const char *cmd, const char *opt, const char *text);
/* Probabilities: 0.02 or 2%. */
double cli_prob(const char *cmd, const char *opt, const char *text);
/* Rates in bit/s: 10M, 1G, 64k (powers of 1000), optional "bit"/"bps". */
uint64_t cli_rate(const char *cmd, const char *opt, const char *text);

/*
 * The impairment options every simulated command shares: --loss, --delay,
 * --jitter, --rate, --queue, --reorder, --dup, --corrupt, --burst (GE p,r),
 * --mtu, --seed. cli_impair_option() consumes one option if it is one of
 * them and returns true.
 */
struct cli_net {
  struct sn_sim_impair imp;
  uint32_t mtu;
  uint64_t seed;
};
void cli_net_defaults(struct cli_net *n);
bool cli_net_option(const char *cmd, struct cli_net *n, const char *opt,
                    const char *val);
/* Help text for the shared options. */
extern const char cli_net_help[];

/* Open a trace file (JSON lines) and a capture; exit 2 on failure. */
FILE *cli_open_trace(const char *cmd, const char *path);

struct cli_command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
};

int cmd_demo(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_transfer(int argc, char **argv);
int cmd_pdrill(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);
int cmd_stat(int argc, char **argv);

/* Command-line options of one command: "--name VALUE" or "--name=VALUE",
 * or a flag without a value. */
struct cli_opt {
  const char *name;
  bool has_arg;
};
/*
 * Parse argv[1..]: call on_opt(ctx, name, value) per option (value NULL
 * for flags) and collect up to max_pos positional arguments in pos.
 * "--help"/"-h" print help and exit 0. An unknown option, a missing value
 * or too many positional arguments is a usage error (exit 2) naming the
 * accepted options. Returns the number of positional arguments.
 */
int cli_parse(const char *cmd, int argc, char **argv,
              const struct cli_opt *opts, const char *help,
              void (*on_opt)(void *ctx, const char *name, const char *val),
              void *ctx, char **pos, int max_pos);

#endif
