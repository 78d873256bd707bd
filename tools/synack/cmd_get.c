/*
 * cmd_get.c - `synack get URL`: one HTTP/1.1 GET (RFC 9110, RFC 9112)
 * from a real link, written with the blocking calls of the runtime.
 *
 * The request asks for "Connection: close". The body is delimited as RFC
 * 9112 §6.3 says: chunked transfer coding, else Content-Length, else the
 * end of the connection. Status 2xx with a complete body exits 0; anything
 * else exits 1.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/sha256.h"
#include "realnet.h"
#include "synack/synack.h"

#define SEC 1000000000ll
#define HEAD_MAX 65536

static const char help[] =
    "usage: synack get [OPTIONS] http://A.B.C.D[:PORT]/PATH [-o FILE]\n\n"
    "Fetch a URL over HTTP/1.1 as host --ip on a TAP device or a VXLAN\n"
    "tunnel, and write the body to FILE (default: standard output). The\n"
    "status, size and rate go to standard error. Host names are not\n"
    "resolved: give the server's address. e.g.\n"
    "  synack get --tap tap0 --ip 198.18.0.2/24 http://198.18.0.1:8000/f -o f\n\n"
    "  -o, --output FILE   where the body goes\n"
    "  --sha256            print the body's SHA-256\n"
    "  --timeout D         give up when nothing arrives for D (default 30s)\n\n";

static const struct cli_opt opts[] = {
    {"output", true}, {"timeout", true}, {"sha256", false}, RN_CLI_OPTS,
    {NULL, false},
};

struct get {
  struct rn_opts rn;
  const char *output;
  int64_t timeout;
  /* the URL */
  uint32_t addr;
  uint16_t port;
  char hostport[64];
  const char *path;
  /* the response */
  int status;
  char status_line[256];
  long long length;     /* Content-Length, -1 if none */
  bool chunked;
  FILE *out;
  bool sha256;          /* hash the body (--sha256) */
  struct sn_sha256 h;
  uint64_t got;
};

static void on_opt(void *ctx, const char *name, const char *val) {
  struct get *g = ctx;
  if (!strcmp(name, "output"))
    g->output = val;
  else if (!strcmp(name, "timeout"))
    g->timeout = (int64_t)cli_duration("get", "--timeout", val);
  else if (!strcmp(name, "sha256"))
    g->sha256 = true;
  else
    rn_option("get", &g->rn, name, val);
}

static void parse_url(struct get *g, const char *url) {
  if (!strncasecmp(url, "https://", 8))
    cli_usage_error("get", "'%s': https is not supported; accepted: "
                           "http://A.B.C.D[:PORT]/PATH", url);
  if (strncasecmp(url, "http://", 7) != 0)
    cli_usage_error("get", "'%s' is not a URL; accepted: "
                           "http://A.B.C.D[:PORT]/PATH", url);
  const char *host = url + 7;
  const char *slash = strchr(host, '/');
  size_t hl = slash ? (size_t)(slash - host) : strlen(host);
  if (hl >= sizeof g->hostport)
    hl = sizeof g->hostport - 1;
  memcpy(g->hostport, host, hl);
  g->hostport[hl] = 0;
  if (!rn_parse_hostport(g->hostport, &g->addr, &g->port, 80) || !g->addr)
    cli_usage_error("get", "'%s': the host must be an IPv4 address with an "
                           "optional port (names are not resolved); "
                           "accepted: http://A.B.C.D[:PORT]/PATH", url);
  g->path = slash ? slash : "/";
}

/* The body ---------------------------------------------------------------- */

static int write_body(struct get *g, const char *p, size_t n) {
  if (n == 0)
    return 0;
  if (g->sha256)
    sn_sha256_update(&g->h, p, n);
  g->got += n;
  return fwrite(p, 1, n, g->out) == n ? 0 : -EIO;
}

/* RFC 9112 §7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF trailers CRLF. */
struct chunker {
  enum { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE } state;
  uint64_t left;     /* bytes of chunk data still to come */
  char line[256];    /* the size line or trailer line so far */
  size_t ll;
};

/* Feed n bytes; returns 0, -EPROTO on a malformed stream or -EIO. */
static int chunk_feed(struct get *g, struct chunker *c, const char *p,
                      size_t n) {
  while (n && c->state != CH_DONE) {
    if (c->state == CH_DATA) {
      size_t k = n < c->left ? n : (size_t)c->left;
      if (write_body(g, p, k))
        return -EIO;
      p += k, n -= k, c->left -= k;
      if (!c->left)
        c->state = CH_DATA_END;
      continue;
    }
    char ch = *p++;
    n--;
    if (ch != '\n') {
      if (c->ll + 1 >= sizeof c->line)
        return -EPROTO;
      c->line[c->ll++] = ch;
      continue;
    }
    c->line[c->ll] = 0;
    if (c->ll && c->line[c->ll - 1] == '\r')
      c->line[--c->ll] = 0;
    if (c->state == CH_SIZE) {
      char *end;
      if (!isxdigit((unsigned char)c->line[0]))
        return -EPROTO;
      c->left = strtoull(c->line, &end, 16);
      if (*end && *end != ';' && *end != ' ' && *end != '\t')
        return -EPROTO;
      c->state = c->left ? CH_DATA : CH_TRAILER;
    } else if (c->state == CH_DATA_END) {
      if (c->ll)
        return -EPROTO;
      c->state = CH_SIZE;
    } else if (c->state == CH_TRAILER && c->ll == 0) {
      c->state = CH_DONE;
    }
    c->ll = 0;
  }
  return 0;
}

/* Parse the response head (NUL-terminated). */
static int parse_head(struct get *g, char *head) {
  char *save = NULL;
  char *line = strtok_r(head, "\n", &save);
  if (!line)
    return -EPROTO;
  line[strcspn(line, "\r")] = 0;
  snprintf(g->status_line, sizeof g->status_line, "%s", line);
  int major, minor;
  if (sscanf(line, "HTTP/%d.%d %d", &major, &minor, &g->status) != 3 ||
      major != 1)
    return -EPROTO;
  g->length = -1;
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    line[strcspn(line, "\r")] = 0;
    char *colon = strchr(line, ':');
    if (!colon)
      continue;
    *colon = 0;
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
      v++;
    if (!strcasecmp(line, "Content-Length"))
      g->length = strtoll(v, NULL, 10);
    else if (!strcasecmp(line, "Transfer-Encoding") && strcasestr(v, "chunked"))
      g->chunked = true;
  }
  return 0;
}

/* Exchange ---------------------------------------------------------------- */

/* Failures are described in one static buffer. */
static char err[160];

/* Connect and send the request; NULL or what went wrong. */
static const char *request(struct get *g, struct rn *r, int sd) {
  struct sn_sockaddr to = {g->addr, g->port};
  int e = sn_blocking_connect(r->lp, sd, &to, g->timeout);
  if (e) {
    snprintf(err, sizeof err, "cannot connect to %s: %s", g->hostport,
             rn_strerror(e));
    return err;
  }
  char req[4600];
  int rl = snprintf(req, sizeof req,
                    "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: synack/%s\r\n"
                    "Accept: */*\r\nConnection: close\r\n\r\n",
                    g->path, g->hostport, sn_version());
  if (rl < 0 || (size_t)rl >= sizeof req)
    return "the path is too long";
  ssize_t w = sn_blocking_send_all(r->lp, sd, req, (size_t)rl, g->timeout);
  if (w < 0) {
    snprintf(err, sizeof err, "cannot send the request: %s",
             rn_strerror((int)w));
    return err;
  }
  return NULL;
}

/* Read and parse the response head into buf (HEAD_MAX + 1 bytes); *have
 * is what was read, *headlen the head's part of it. */
static const char *read_head(struct get *g, struct rn *r, int sd, char *buf,
                             size_t *have, size_t *headlen) {
  char *body = NULL;
  *have = 0;
  while (!body) {
    if (*have == HEAD_MAX)
      return "the response head is larger than 64 KiB";
    ssize_t n = sn_blocking_recv(r->lp, sd, buf + *have, HEAD_MAX - *have,
                                 g->timeout);
    if (n <= 0) {
      snprintf(err, sizeof err, "no complete response head: %s",
               n == 0 ? "the server closed the connection"
                      : rn_strerror((int)n));
      return err;
    }
    *have += (size_t)n;
    buf[*have] = 0;
    char *end = strstr(buf, "\r\n\r\n");
    if (end)
      body = end + 4;
  }
  *headlen = (size_t)(body - buf);
  static char head[HEAD_MAX + 1];
  memcpy(head, buf, *headlen);
  head[*headlen] = 0;
  return parse_head(g, head) == 0 ? NULL : "the response is not HTTP/1.x";
}

/* The body, from the n bytes at p that came with the head onwards. */
static const char *read_body(struct get *g, struct rn *r, int sd,
                             const char *p, size_t n) {
  static char rbuf[262144];
  struct chunker ch = {0};
  bool complete = false;
  for (;;) {
    if (g->chunked) {
      if (chunk_feed(g, &ch, p, n) != 0)
        return "malformed chunked body";
      complete = ch.state == CH_DONE;
    } else {
      if (g->length >= 0 && g->got + n > (uint64_t)g->length)
        n = (size_t)((uint64_t)g->length - g->got);
      if (write_body(g, p, n) != 0)
        return "cannot write the body";
      complete = g->length >= 0 && g->got == (uint64_t)g->length;
    }
    if (complete)
      return NULL;
    ssize_t k = sn_blocking_recv(r->lp, sd, rbuf, sizeof rbuf, g->timeout);
    if (k == 0) {
      if (!g->chunked && g->length < 0)
        return NULL; /* delimited by the close */
      snprintf(err, sizeof err, "the body is incomplete (%llu bytes)",
               (unsigned long long)g->got);
      return err;
    }
    if (k < 0) {
      snprintf(err, sizeof err, "the body stopped after %llu bytes: %s",
               (unsigned long long)g->got, rn_strerror((int)k));
      return err;
    }
    p = rbuf;
    n = (size_t)k;
  }
}

/* The exchange; NULL or what went wrong. */
static const char *fetch(struct get *g, struct rn *r) {
  static char buf[HEAD_MAX + 1];
  int sd = sn_socket(r->st, SN_SOCK_STREAM);
  size_t have = 0, headlen = 0;
  const char *fail = request(g, r, sd);
  if (!fail)
    fail = read_head(g, r, sd, buf, &have, &headlen);
  if (!fail)
    fail = read_body(g, r, sd, buf + headlen, have - headlen);
  sn_close(r->st, sd);
  return fail;
}

int cmd_get(int argc, char **argv) {
  static struct get g;
  memset(&g, 0, sizeof g);
  rn_defaults(&g.rn);
  g.timeout = 30 * SEC;
  char fullhelp[8192];
  snprintf(fullhelp, sizeof fullhelp, "%s%s", help, rn_help);
  char **args = calloc((size_t)argc + 1, sizeof *args);
  if (!args)
    return 1;
  rn_short_options(argc, argv, args);
  char *pos[1];
  int npos = cli_parse("get", argc, args, opts, fullhelp, on_opt, &g, pos, 1);
  free(args);
  if (npos == 0)
    cli_usage_error("get", "which URL? accepted: http://A.B.C.D[:PORT]/PATH");
  parse_url(&g, pos[0]);
  g.out = stdout;
  if (g.output && strcmp(g.output, "-") != 0 && !(g.out = fopen(g.output, "wb")))
    cli_usage_error("get", "-o: cannot write '%s': %s", g.output,
                    strerror(errno));
  sn_sha256_init(&g.h);
  struct rn r;
  if (rn_up(&r, "get", &g.rn) != 0) {
    rn_down(&r);
    return 1;
  }
  uint64_t t0 = sn_loop_now();
  const char *fail = fetch(&g, &r);
  if (g.status)
    fprintf(stderr, "synack get: %s\n", g.status_line);
  if (fflush(g.out) != 0 && !fail)
    fail = "cannot write the body";
  rn_xfer_report("get", "received", g.got, t0, g.sha256 ? &g.h : NULL);
  if (fail)
    fprintf(stderr, "synack get: %s\n", fail);
  if (g.out != stdout)
    fclose(g.out);
  int status = rn_down(&r);
  return fail || g.status < 200 || g.status > 299 ? 1 : status;
}
