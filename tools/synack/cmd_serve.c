/*
 * cmd_serve.c - `synack serve`: TCP services on a real link, event-driven.
 *
 *   echo     RFC 862: every byte received is sent back (port 7)
 *   discard  RFC 863: every byte received is thrown away (port 9)
 *   chargen  RFC 864: a rotating pattern of 72-character lines, sent as
 *            fast as the peer takes it; input is discarded (port 19)
 *   http     HTTP/1.1 static files from a directory (port 80); see
 *            serve_http.c
 *
 * Each connection has one readiness callback (sn_set_event_cb) and one
 * 64 KiB output buffer refilled by its service, so a slow peer holds back
 * its own connection only. When the peer has finished sending and the
 * output is drained, the connection is closed. Runs until SIGINT or
 * SIGTERM, then closes every connection and exits through rn_down().
 */
#include "serve.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synack/synack.h"

static const char help[] =
    "usage: synack serve [OPTIONS] echo|discard|chargen|http DIR\n\n"
    "Serve a TCP service as host --ip on a TAP device or a VXLAN tunnel,\n"
    "until SIGINT or SIGTERM. e.g.\n"
    "  synack serve --tap tap0 --ip 198.18.0.2/24 http /srv/www\n"
    "  curl http://198.18.0.2/index.html\n\n"
    "  --port P          port to listen on (default: echo 7, discard 9,\n"
    "                    chargen 19, http 80)\n"
    "  --quiet           do not log each connection or request on stdout\n\n";

static const struct cli_opt opts[] = {
    {"port", true}, {"quiet", false}, RN_CLI_OPTS, {NULL, false},
};

struct serve_args {
  struct rn_opts rn;
  long port;
  bool quiet;
};

static void on_opt(void *ctx, const char *name, const char *val) {
  struct serve_args *a = ctx;
  if (!strcmp(name, "port"))
    a->port = (long)cli_uint("serve", "--port", val, 1, 65535);
  else if (!strcmp(name, "quiet"))
    a->quiet = true;
  else
    rn_option("serve", &a->rn, name, val);
}

/* Connections ------------------------------------------------------------- */

void serve_close(struct conn *c) {
  struct serve *sv = c->sv;
  sn_set_event_cb(sv->rn.st, c->sd, NULL, NULL);
  sn_close(sv->rn.st, c->sd);
  if (c->prev)
    c->prev->next = c->next;
  else
    sv->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  sv->nconns--;
  http_conn_free(c);
  free(c->out);
  free(c->in);
  free(c);
}

/* RFC 864: line i is 72 characters of the printable ASCII cycle (95
 * characters from ' '), starting one further along than line i-1. */
static size_t chargen_fill(struct conn *c, uint8_t *buf, size_t cap) {
  size_t n = 0;
  while (n + 74 <= cap) {
    unsigned start = (unsigned)(c->chargen_line++ % 95);
    for (unsigned i = 0; i < 72; i++)
      buf[n++] = (uint8_t)(' ' + (start + i) % 95);
    buf[n++] = '\r';
    buf[n++] = '\n';
  }
  return n;
}

/* Read and throw away whatever is waiting; note the end of stream. */
static void drain_input(struct conn *c) {
  static uint8_t sink[65536];
  for (;;) {
    ssize_t n = sn_recv(c->sv->rn.st, c->sd, sink, sizeof sink, 0);
    if (n > 0)
      continue;
    if (n == 0)
      c->eof = true;
    else if (n != -EAGAIN)
      c->failed = true;
    return;
  }
}

/* Put more output in c->out (empty on entry); false if there is none now. */
static bool refill(struct conn *c) {
  struct serve *sv = c->sv;
  switch (sv->svc) {
  case SVC_ECHO: {
    if (c->eof)
      return false;
    ssize_t n = sn_recv(sv->rn.st, c->sd, c->out, SERVE_OUTBUF, 0);
    if (n > 0) {
      c->out_len = (size_t)n;
      return true;
    }
    if (n == 0)
      c->eof = true;
    else if (n != -EAGAIN)
      c->failed = true;
    return false;
  }
  case SVC_CHARGEN:
    if (c->eof)
      return false; /* the peer is done: so are we */
    c->out_len = chargen_fill(c, c->out, SERVE_OUTBUF);
    return true;
  case SVC_HTTP:
    return http_refill(c);
  case SVC_DISCARD:
  case SVC__COUNT:
    break;
  }
  return false;
}

/* Send until the socket is full or nothing is left to send. */
static void pump(struct conn *c) {
  struct sn_stack *st = c->sv->rn.st;
  while (!c->failed) {
    if (c->out_off < c->out_len) {
      ssize_t n = sn_send(st, c->sd, c->out + c->out_off,
                          c->out_len - c->out_off, 0);
      if (n <= 0) {
        if (n != -EAGAIN)
          c->failed = true;
        return;
      }
      c->out_off += (size_t)n;
      continue;
    }
    c->out_off = c->out_len = 0;
    if (!refill(c))
      return;
  }
}

static void conn_event(void *ctx, int sd, unsigned events) {
  struct conn *c = ctx;
  (void)sd;
  if (events & SN_POLLERR)
    c->failed = true;
  if (!c->failed) {
    switch (c->sv->svc) {
    case SVC_DISCARD:
    case SVC_CHARGEN:
      drain_input(c);
      break;
    case SVC_HTTP:
      http_input(c);
      break;
    case SVC_ECHO:
    case SVC__COUNT:
      break; /* echo: read by refill(), as the output drains */
    }
    pump(c);
  }
  bool idle = c->out_off == c->out_len && !serve_pending(c);
  if (c->failed || (c->eof && idle))
    serve_close(c);
}

bool serve_pending(const struct conn *c) {
  return c->sv->svc == SVC_HTTP && http_pending(c);
}

static void on_listen(void *ctx, int lsd, unsigned events) {
  struct serve *sv = ctx;
  (void)events;
  for (;;) {
    struct sn_sockaddr peer;
    int sd = sn_accept(sv->rn.st, lsd, &peer);
    if (sd < 0)
      return;
    struct conn *c = calloc(1, sizeof *c);
    if (!c || !(c->out = malloc(SERVE_OUTBUF)) ||
        (sv->svc == SVC_HTTP && !(c->in = malloc(HTTP_INBUF + 1)))) {
      if (c)
        free(c->out);
      free(c);
      sn_close(sv->rn.st, sd);
      continue;
    }
    c->sv = sv;
    c->sd = sd;
    c->peer = peer;
    c->file_fd = -1;
    c->next = sv->conns;
    if (sv->conns)
      sv->conns->prev = c;
    sv->conns = c;
    sv->nconns++;
    sv->accepted++;
    if (!sv->quiet) {
      char ip[16];
      printf("%s:%u connected (%u open)\n", sn_ip4_fmt(peer.addr, ip),
             peer.port, sv->nconns);
    }
    sn_set_event_cb(sv->rn.st, sd, conn_event, c);
    conn_event(c, sd, sn_poll(sv->rn.st, sd));
  }
}

/* The command ------------------------------------------------------------- */

static const char *const svc_names[] = {"echo", "discard", "chargen", "http"};
static const uint16_t svc_ports[] = {7, 9, 19, 80};

int cmd_serve(int argc, char **argv) {
  struct serve_args a;
  memset(&a, 0, sizeof a);
  rn_defaults(&a.rn);
  char fullhelp[8192];
  snprintf(fullhelp, sizeof fullhelp, "%s%s", help, rn_help);
  char *pos[2];
  int npos = cli_parse("serve", argc, argv, opts, fullhelp, on_opt, &a, pos, 2);
  if (npos == 0)
    cli_usage_error("serve", "which service? accepted: echo discard chargen "
                             "http DIR");
  static struct serve sv;
  memset(&sv, 0, sizeof sv);
  sv.quiet = a.quiet;
  sv.svc = SVC__COUNT;
  for (int i = 0; i < SVC__COUNT; i++)
    if (!strcmp(pos[0], svc_names[i]))
      sv.svc = (enum service)i;
  if (sv.svc == SVC__COUNT)
    cli_usage_error("serve", "unknown service '%s'; accepted: echo discard "
                             "chargen http DIR", pos[0]);
  if (sv.svc == SVC_HTTP && npos < 2)
    cli_usage_error("serve", "http needs the directory to serve: http DIR");
  if (sv.svc != SVC_HTTP && npos > 1)
    cli_usage_error("serve", "unexpected argument '%s' (%s takes none)",
                    pos[1], pos[0]);
  if (sv.svc == SVC_HTTP && http_set_root(&sv, pos[1]) != 0)
    cli_usage_error("serve", "http: '%s' is not a directory that can be "
                             "read; accepted: http DIR, a readable directory",
                    pos[1]);
  sv.port = a.port ? (uint16_t)a.port : svc_ports[sv.svc];

  if (rn_up(&sv.rn, "serve", &a.rn) != 0) {
    rn_down(&sv.rn);
    return 1;
  }
  struct sn_stack *st = sv.rn.st;
  int one = 1;
  sv.lsd = sn_socket(st, SN_SOCK_STREAM);
  sn_setsockopt(st, sv.lsd, SN_SOL_SOCKET, SN_SO_REUSEADDR, &one, sizeof one);
  struct sn_sockaddr any = {0, sv.port};
  int err = sn_bind(st, sv.lsd, &any);
  if (!err)
    err = sn_listen(st, sv.lsd, 128);
  if (err) {
    fprintf(stderr, "synack serve: cannot listen on port %u: %s\n", sv.port,
            rn_strerror(err));
    rn_down(&sv.rn);
    return 1;
  }
  sn_set_event_cb(st, sv.lsd, on_listen, &sv);
  char ip[16];
  fprintf(stderr, "synack serve: %s on %s:%u%s%s\n", svc_names[sv.svc],
          sn_ip4_fmt(sv.rn.ip, ip), sv.port, sv.svc == SVC_HTTP ? " from " : "",
          sv.svc == SVC_HTTP ? sv.root : "");
  setvbuf(stdout, NULL, _IOLBF, 0);

  int r = sn_loop_run(sv.rn.lp);
  if (r < 0 && r != -EINTR)
    fprintf(stderr, "synack serve: the event loop failed: %s\n",
            rn_strerror(r));
  else
    fprintf(stderr, "synack serve: signal %d: closing %u connection%s\n",
            sn_loop_signal(sv.rn.lp), sv.nconns, sv.nconns == 1 ? "" : "s");
  while (sv.conns)
    serve_close(sv.conns);
  sn_close(st, sv.lsd);
  fprintf(stderr, "synack serve: %llu connections, %llu requests\n",
          (unsigned long long)sv.accepted, (unsigned long long)sv.requests);
  int status = rn_down(&sv.rn);
  return r < 0 && r != -EINTR ? 1 : status;
}
