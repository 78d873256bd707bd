/*
 * cmd_sendrecv.c - `synack send HOST:PORT FILE` and `synack recv --port P`:
 * a raw TCP byte stream out of or into a file, over a real link, written
 * with the blocking calls of the runtime.
 *
 * send connects, writes the file, shuts down its direction (FIN) and then
 * reads until the peer closes too, so that both ends finish cleanly (the
 * peer may answer; the answer is counted and dropped). recv listens,
 * takes one connection, writes what arrives until the end of the stream,
 * and closes. Both print the byte count and rate (and with --sha256 the
 * SHA-256) on standard error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "realnet.h"
#include "synack/synack.h"

#define SEC 1000000000ll
#define CHUNK (256 * 1024)

static const char send_help[] =
    "usage: synack send [OPTIONS] A.B.C.D:PORT FILE\n\n"
    "Connect to A.B.C.D:PORT as host --ip on a TAP device or a VXLAN tunnel,\n"
    "send FILE (- for standard input), close our direction and wait for the\n"
    "peer to close. e.g. with `socat -u TCP-LISTEN:5001 OPEN:f,creat` on the\n"
    "other side:\n"
    "  synack send --tap tap0 --ip 198.18.0.2/24 198.18.0.1:5001 f\n\n"
    "  --timeout D       give up when nothing moves for D (default 30s)\n"
    "  --sha256          print the SHA-256 of what was sent\n\n";

static const char recv_help[] =
    "usage: synack recv [OPTIONS] --port P [-o FILE]\n\n"
    "Listen on port P as host --ip on a TAP device or a VXLAN tunnel, accept\n"
    "one connection and write everything it carries to FILE (default:\n"
    "standard output) until the sender closes. e.g.\n"
    "  synack recv --tap tap0 --ip 198.18.0.2/24 --port 5001 -o f\n"
    "  socat -u OPEN:f TCP:198.18.0.2:5001     (on the other side)\n\n"
    "  --port P          port to listen on (required)\n"
    "  -o, --output FILE where the bytes go\n"
    "  --timeout D       once connected, give up when nothing arrives for D\n"
    "                    (default 30s); the wait for the connection has no\n"
    "                    limit unless --accept-timeout D is given\n"
    "  --accept-timeout D  how long to wait for the connection\n"
    "  --sha256          print the SHA-256 of what arrived\n\n";

static const struct cli_opt send_opts[] = {
    {"timeout", true}, {"sha256", false}, RN_CLI_OPTS, {NULL, false},
};
static const struct cli_opt recv_opts[] = {
    {"port", true},           {"output", true}, {"timeout", true},
    {"accept-timeout", true}, {"sha256", false}, RN_CLI_OPTS,
    {NULL, false},
};

struct xfer {
  const char *cmd;
  struct rn_opts rn;
  int64_t timeout, accept_timeout;
  long port;
  const char *output;
  bool sha256;        /* hash the stream (--sha256) */
};

/* The socket's pending error as a negative errno, or 0. */
static int so_error_of(struct rn *r, int sd) {
  int e = 0;
  size_t l = sizeof e;
  sn_getsockopt(r->st, sd, SN_SOL_SOCKET, SN_SO_ERROR, &e, &l);
  return -e;
}

static void on_opt(void *ctx, const char *name, const char *val) {
  struct xfer *x = ctx;
  if (!strcmp(name, "timeout"))
    x->timeout = (int64_t)cli_duration(x->cmd, "--timeout", val);
  else if (!strcmp(name, "accept-timeout"))
    x->accept_timeout = (int64_t)cli_duration(x->cmd, "--accept-timeout", val);
  else if (!strcmp(name, "port"))
    x->port = (long)cli_uint(x->cmd, "--port", val, 1, 65535);
  else if (!strcmp(name, "output"))
    x->output = val;
  else if (!strcmp(name, "sha256"))
    x->sha256 = true;
  else
    rn_option(x->cmd, &x->rn, name, val);
}

/* Read what the peer says, counting it; sets *eof at its FIN. Returns 0
 * or a negative errno. */
static int drain(struct rn *r, int sd, uint64_t *answer, bool *eof) {
  static char sink[65536];
  for (;;) {
    ssize_t n = sn_recv(r->st, sd, sink, sizeof sink, 0);
    if (n > 0) {
      *answer += (uint64_t)n;
      continue;
    }
    if (n == 0)
      *eof = true;
    return n == 0 || n == -EAGAIN ? 0 : (int)n;
  }
}

/*
 * Send the file while reading whatever the peer sends back (a peer that
 * answers, like echo, would otherwise fill both directions' buffers and
 * stall), then shut down our direction and read until the peer's FIN.
 */
static const char *do_send(struct xfer *x, struct rn *r, FILE *in,
                           uint32_t addr, uint16_t port, uint64_t *sent,
                           struct sn_sha256 *h) {
  static char err[160];
  static char buf[CHUNK];
  int sd = sn_socket(r->st, SN_SOCK_STREAM);
  struct sn_sockaddr to = {addr, port};
  int e = sn_blocking_connect(r->lp, sd, &to, x->timeout);
  const char *fail = NULL;
  if (e) {
    char ip[16];
    snprintf(err, sizeof err, "cannot connect to %s:%u: %s",
             sn_ip4_fmt(addr, ip), port, rn_strerror(e));
    fail = err;
  }
  uint64_t answer = 0;
  bool eof = false, done = false;
  size_t len = 0, off = 0;
  while (!fail && !done) {
    if (off == len) {
      len = fread(buf, 1, sizeof buf, in);
      off = 0;
      if (len == 0) {
        if (ferror(in))
          fail = "cannot read the file";
        break;
      }
    }
    int ev = sn_blocking_wait(r->lp, sd, SN_POLLOUT | (eof ? 0 : SN_POLLIN),
                              x->timeout);
    if (ev >= 0 && (ev & SN_POLLIN) && !eof)
      ev = drain(r, sd, &answer, &eof) < 0 ? -EPIPE : ev;
    ssize_t w = ev < 0 ? ev : (ev & SN_POLLOUT)
                                  ? sn_send(r->st, sd, buf + off, len - off, 0)
                              : (ev & (SN_POLLERR | SN_POLLHUP)) ? -EPIPE
                                                                 : -EAGAIN;
    if (w > 0) {
      if (h)
        sn_sha256_update(h, buf + off, (size_t)w);
      off += (size_t)w;
      *sent += (uint64_t)w;
    } else if (w != -EAGAIN) {
      int se = so_error_of(r, sd);
      snprintf(err, sizeof err, "sending stopped after %llu bytes: %s",
               (unsigned long long)*sent, rn_strerror(se ? se : (int)w));
      fail = err;
    }
  }
  if (!fail) {
    sn_shutdown(r->st, sd, SN_SHUT_WR);
    static char sink[65536];
    while (!eof) {
      ssize_t n = sn_blocking_recv(r->lp, sd, sink, sizeof sink, x->timeout);
      if (n > 0) {
        answer += (uint64_t)n;
        continue;
      }
      if (n < 0) {
        snprintf(err, sizeof err, "after sending, the peer did not close: %s",
                 rn_strerror((int)n));
        fail = err;
      }
      eof = true;
    }
  }
  if (answer)
    fprintf(stderr, "synack send: the peer answered %llu bytes (dropped)\n",
            (unsigned long long)answer);
  sn_close(r->st, sd);
  return fail;
}

int cmd_send(int argc, char **argv) {
  static struct xfer x;
  memset(&x, 0, sizeof x);
  x.cmd = "send";
  rn_defaults(&x.rn);
  x.timeout = 30 * SEC;
  char fullhelp[8192];
  snprintf(fullhelp, sizeof fullhelp, "%s%s", send_help, rn_help);
  char *pos[2];
  int npos = cli_parse("send", argc, argv, send_opts, fullhelp, on_opt, &x,
                       pos, 2);
  if (npos < 2)
    cli_usage_error("send", "needs where and what: A.B.C.D:PORT FILE (FILE "
                            "may be - for standard input)");
  uint32_t addr;
  uint16_t port;
  if (!rn_parse_hostport(pos[0], &addr, &port, 0) || !port || !addr)
    cli_usage_error("send", "'%s' is not valid; accepted: A.B.C.D:PORT",
                    pos[0]);
  FILE *in = strcmp(pos[1], "-") ? fopen(pos[1], "rb") : stdin;
  if (!in)
    cli_usage_error("send", "cannot read '%s': %s", pos[1], strerror(errno));
  struct rn r;
  if (rn_up(&r, "send", &x.rn) != 0) {
    rn_down(&r);
    return 1;
  }
  struct sn_sha256 h;
  sn_sha256_init(&h);
  uint64_t sent = 0, t0 = sn_loop_now();
  const char *fail =
      do_send(&x, &r, in, addr, port, &sent, x.sha256 ? &h : NULL);
  rn_xfer_report("send", "sent", sent, t0, x.sha256 ? &h : NULL);
  if (fail)
    fprintf(stderr, "synack send: %s\n", fail);
  if (in != stdin)
    fclose(in);
  int status = rn_down(&r);
  return fail ? 1 : status;
}

static const char *do_recv(struct xfer *x, struct rn *r, FILE *out,
                           uint64_t *got, struct sn_sha256 *h, uint64_t *t0) {
  static char err[160];
  static char buf[CHUNK];
  struct sn_stack *st = r->st;
  int lsd = sn_socket(st, SN_SOCK_STREAM);
  int one = 1;
  sn_setsockopt(st, lsd, SN_SOL_SOCKET, SN_SO_REUSEADDR, &one, sizeof one);
  struct sn_sockaddr any = {0, (uint16_t)x->port};
  int e = sn_bind(st, lsd, &any);
  if (!e)
    e = sn_listen(st, lsd, 1);
  if (e) {
    snprintf(err, sizeof err, "cannot listen on port %ld: %s", x->port,
             rn_strerror(e));
    sn_close(st, lsd);
    return err;
  }
  char ip[16];
  fprintf(stderr, "synack recv: listening on %s:%ld\n", sn_ip4_fmt(r->ip, ip),
          x->port);
  struct sn_sockaddr peer;
  int sd = sn_blocking_accept(r->lp, lsd, &peer,
                              x->accept_timeout ? x->accept_timeout : -1);
  sn_close(st, lsd); /* one connection: later ones are refused */
  if (sd < 0) {
    snprintf(err, sizeof err, "no connection: %s", rn_strerror(sd));
    return err;
  }
  fprintf(stderr, "synack recv: connection from %s:%u\n",
          sn_ip4_fmt(peer.addr, ip), peer.port);
  *t0 = sn_loop_now();
  const char *fail = NULL;
  for (;;) {
    ssize_t n = sn_blocking_recv(r->lp, sd, buf, sizeof buf, x->timeout);
    if (n == 0)
      break;
    if (n < 0) {
      snprintf(err, sizeof err, "the stream stopped after %llu bytes: %s",
               (unsigned long long)*got, rn_strerror((int)n));
      fail = err;
      break;
    }
    if (h)
      sn_sha256_update(h, buf, (size_t)n);
    *got += (uint64_t)n;
    if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
      fail = "cannot write the output";
      break;
    }
  }
  sn_close(st, sd);
  return fail;
}

int cmd_recv(int argc, char **argv) {
  static struct xfer x;
  memset(&x, 0, sizeof x);
  x.cmd = "recv";
  rn_defaults(&x.rn);
  x.timeout = 30 * SEC;
  char fullhelp[8192];
  snprintf(fullhelp, sizeof fullhelp, "%s%s", recv_help, rn_help);
  char **args = calloc((size_t)argc + 1, sizeof *args);
  if (!args)
    return 1;
  rn_short_options(argc, argv, args);
  cli_parse("recv", argc, args, recv_opts, fullhelp, on_opt, &x, NULL, 0);
  free(args);
  if (!x.port)
    cli_usage_error("recv", "needs --port P, the port to listen on (1..65535)");
  FILE *out = stdout;
  if (x.output && strcmp(x.output, "-") != 0 && !(out = fopen(x.output, "wb")))
    cli_usage_error("recv", "-o: cannot write '%s': %s", x.output,
                    strerror(errno));
  struct rn r;
  if (rn_up(&r, "recv", &x.rn) != 0) {
    rn_down(&r);
    return 1;
  }
  struct sn_sha256 h;
  sn_sha256_init(&h);
  uint64_t got = 0, t0 = sn_loop_now();
  const char *fail = do_recv(&x, &r, out, &got, x.sha256 ? &h : NULL, &t0);
  if (fflush(out) != 0 && !fail)
    fail = "cannot write the output";
  rn_xfer_report("recv", "received", got, t0, x.sha256 ? &h : NULL);
  if (fail)
    fprintf(stderr, "synack recv: %s\n", fail);
  if (out != stdout)
    fclose(out);
  int status = rn_down(&r);
  return fail ? 1 : status;
}
