/*
 * cmd_stat.c - `synack stat --control PATH`: ask a running serve, get,
 * send or recv (started with --control PATH) for its counters, in the
 * manner of `nstat`, and its connections, in the manner of `ss -tan`.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
    "usage: synack stat --control PATH [--counters | --connections]\n\n"
    "Show the state of a running synack started with --control PATH: its\n"
    "counters (Linux MIB names, as nstat prints them; plus the driver's and\n"
    "the impairment's) and its TCP connections (as ss -tan prints them).\n\n"
    "  --control PATH    the instance's control socket\n"
    "  --counters        only the counters\n"
    "  --connections     only the connections\n\n";

static const struct cli_opt opts[] = {
    {"control", true}, {"counters", false}, {"connections", false},
    {NULL, false},
};

struct stat_args {
  const char *control;
  bool counters, connections;
};

static void on_opt(void *ctx, const char *name, const char *val) {
  struct stat_args *a = ctx;
  if (!strcmp(name, "control"))
    a->control = val;
  else if (!strcmp(name, "counters"))
    a->counters = true;
  else
    a->connections = true;
}

int cmd_stat(int argc, char **argv) {
  struct stat_args a = {0};
  cli_parse("stat", argc, argv, opts, help, on_opt, &a, NULL, 0);
  if (!a.control)
    cli_usage_error("stat", "needs --control PATH, the socket a running "
                            "synack was started with");
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(a.control) >= sizeof sa.sun_path)
    cli_usage_error("stat", "--control: '%s' is too long for a unix socket",
                    a.control);
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", a.control);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    fprintf(stderr, "synack stat: cannot reach '%s': %s (is a synack "
                    "running with --control %s?)\n",
            a.control, strerror(errno), a.control);
    if (fd >= 0)
      close(fd);
    return 1;
  }
  const char *req = a.counters == a.connections ? "all\n"
                    : a.counters                ? "counters\n"
                                                : "connections\n";
  struct timeval tv = {.tv_sec = 5};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
    fprintf(stderr, "synack stat: cannot ask: %s\n", strerror(errno));
    close(fd);
    return 1;
  }
  char buf[65536];
  ssize_t n;
  size_t total = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    fwrite(buf, 1, (size_t)n, stdout);
    total += (size_t)n;
  }
  close(fd);
  if (n < 0 || total == 0) {
    fprintf(stderr, "synack stat: no answer from '%s'%s%s\n", a.control,
            n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
    return 1;
  }
  return 0;
}
