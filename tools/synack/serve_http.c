/*
 * serve_http.c - the http service of `synack serve`: HTTP/1.1 static files
 * (RFC 9110 semantics, RFC 9112 message syntax), enough for curl and
 * browsers.
 *
 *   - GET and HEAD; other methods get 405 with Allow.
 *   - Persistent connections: HTTP/1.1 keeps the connection unless the
 *     client says "Connection: close"; HTTP/1.0 closes unless it says
 *     "keep-alive". Pipelined requests are answered in order.
 *   - Every response has a Content-Length (no chunked encoding needed).
 *   - A directory without a final slash is redirected (301) to one with
 *     it; a directory shows its index.html, or a listing.
 *   - Paths are percent-decoded; any ".." segment, and any path that
 *     resolves (through symbolic links too) outside the served directory,
 *     is 404, as is anything missing or unreadable.
 *   - A request head larger than 16 KiB is 431; a malformed one is 400;
 *     HTTP/1.1 without Host is 400 (RFC 9112 §3.2); both close.
 *   - After a response with "Connection: close" the server sends its FIN
 *     and reads until the client closes, so a request the client sent
 *     meanwhile does not turn the close into a reset.
 */
#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"
#include "synack/synack.h"

struct request {
  char method[16];
  char target[4096];
  int major, minor;
  bool host, close, keep_alive, chunked;
  long long content_length;
};

/* Root -------------------------------------------------------------------- */

int http_set_root(struct serve *sv, const char *dir) {
  struct stat sb;
  if (!realpath(dir, sv->root) || stat(sv->root, &sb) != 0 ||
      !S_ISDIR(sb.st_mode) || access(sv->root, R_OK | X_OK) != 0)
    return -1;
  return 0;
}

/* Responses --------------------------------------------------------------- */

static const char *reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 301: return "Moved Permanently";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 414: return "URI Too Long";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 505: return "HTTP Version Not Supported";
  default: return "Unknown";
  }
}

static const char *content_type(const char *path) {
  static const char *const types[][2] = {
      {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"}, {".css", "text/css"},
      {".js", "text/javascript"},            {".json", "application/json"},
      {".png", "image/png"},                 {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},               {".gif", "image/gif"},
      {".svg", "image/svg+xml"},             {".ico", "image/x-icon"},
      {".pdf", "application/pdf"},           {".wasm", "application/wasm"},
      {".pcap", "application/vnd.tcpdump.pcap"},
  };
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (dot && (!slash || dot > slash))
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
      if (!strcasecmp(dot, types[i][0]))
        return types[i][1];
  return "application/octet-stream";
}

static void http_date(time_t t, char *buf, size_t len) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void log_request(struct conn *c, const struct request *rq, int status,
                        uint64_t len) {
  if (c->sv->quiet)
    return;
  char ip[16];
  printf("%s:%u \"%s %s HTTP/%d.%d\" %d %llu\n", sn_ip4_fmt(c->peer.addr, ip),
         c->peer.port, rq->method[0] ? rq->method : "-",
         rq->target[0] ? rq->target : "-", rq->major, rq->minor, status,
         (unsigned long long)len);
}

/* Append body bytes (from c->file_fd or c->mem) to the output buffer, as
 * many as fit. Returns the count, or -1 if the file failed or shrank. */
static ssize_t append_body(struct conn *c) {
  size_t room = SERVE_OUTBUF - c->out_len;
  if (room == 0)
    return 0;
  if (c->file_fd >= 0 && c->file_off < c->file_end) {
    uint64_t want = c->file_end - c->file_off;
    size_t n = want < room ? (size_t)want : room;
    ssize_t r = pread(c->file_fd, c->out + c->out_len, n, (off_t)c->file_off);
    if (r <= 0)
      return -1;
    c->file_off += (uint64_t)r;
    c->out_len += (size_t)r;
    return r;
  }
  if (c->mem && c->mem_off < c->mem_len) {
    size_t n = c->mem_len - c->mem_off;
    if (n > room)
      n = room;
    memcpy(c->out + c->out_len, c->mem + c->mem_off, n);
    c->mem_off += n;
    c->out_len += n;
    return (ssize_t)n;
  }
  return 0;
}

/* Start a response: the head goes into the (empty) output buffer, and as
 * much of the body as fits after it, so a small response leaves in one
 * segment; the rest follows from c->file_fd or c->mem. `extra` is more
 * header lines. */
static void respond(struct conn *c, const struct request *rq, int status,
                    uint64_t body_len, const char *type, const char *extra,
                    time_t mtime) {
  char date[64], lm[96] = "";
  http_date(time(NULL), date, sizeof date);
  if (mtime) {
    char d[64];
    http_date(mtime, d, sizeof d);
    snprintf(lm, sizeof lm, "Last-Modified: %s\r\n", d);
  }
  if (status >= 400 && status != 404 && status != 405)
    c->keep_alive = false; /* the request stream may be out of step */
  int n = snprintf((char *)c->out, SERVE_OUTBUF,
                   "HTTP/1.1 %d %s\r\nServer: synack/%s\r\nDate: %s\r\n"
                   "Content-Type: %s\r\nContent-Length: %llu\r\n%s%s"
                   "Connection: %s\r\n\r\n",
                   status, reason(status), sn_version(), date, type,
                   (unsigned long long)body_len, lm, extra ? extra : "",
                   c->keep_alive ? "keep-alive" : "close");
  c->out_len = (size_t)n < SERVE_OUTBUF ? (size_t)n : SERVE_OUTBUF;
  c->out_off = 0;
  c->responding = true;
  if (!strcmp(rq->method, "HEAD")) {
    if (c->file_fd >= 0)
      close(c->file_fd);
    c->file_fd = -1;
    free(c->mem);
    c->mem = NULL;
  } else if (append_body(c) < 0) {
    c->failed = true; /* the file shrank or failed: it cannot end well */
  }
  c->sv->requests++;
  log_request(c, rq, status, body_len);
}

/* A small generated page as the body. */
static void respond_page(struct conn *c, const struct request *rq, int status,
                         const char *extra, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void respond_page(struct conn *c, const struct request *rq, int status,
                         const char *extra, const char *fmt, ...) {
  char body[1024];
  int n = snprintf(body, sizeof body,
                   "<!DOCTYPE html>\n<title>%d %s</title>\n<h1>%d %s</h1>\n",
                   status, reason(status), status, reason(status));
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(body + n, sizeof body - (size_t)n, fmt, ap);
    va_end(ap);
  }
  if (n < 0 || (size_t)n >= sizeof body)
    n = (int)strlen(body);
  c->mem = malloc((size_t)n);
  if (c->mem) {
    memcpy(c->mem, body, (size_t)n);
    c->mem_len = (size_t)n;
    c->mem_off = 0;
  }
  respond(c, rq, status, c->mem ? (uint64_t)n : 0, "text/html; charset=utf-8",
          extra, 0);
}

/* Directory listings ------------------------------------------------------ */

/* Append text, HTML-escaped, to a growing buffer. */
static void put_html(FILE *m, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", m); break;
    case '<': fputs("&lt;", m); break;
    case '>': fputs("&gt;", m); break;
    case '"': fputs("&quot;", m); break;
    case '\'': fputs("&#39;", m); break;
    default: fputc(*s, m);
    }
  }
}

/* Append a path segment, percent-encoded for a URL. */
static void put_url(FILE *m, const char *s) {
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (isalnum(ch) || strchr("-._~", ch))
      fputc(ch, m);
    else
      fprintf(m, "%%%02X", ch);
  }
}

static int skip_dots(const struct dirent *d) {
  return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static void respond_listing(struct conn *c, const struct request *rq,
                            const char *dir, const char *urlpath) {
  struct dirent **names;
  int n = scandir(dir, &names, skip_dots, alphasort);
  char *buf = NULL;
  size_t len = 0;
  FILE *m = n >= 0 ? open_memstream(&buf, &len) : NULL;
  if (!m) {
    for (int i = 0; i < n; i++)
      free(names[i]);
    if (n >= 0)
      free(names);
    respond_page(c, rq, 500, NULL, NULL);
    return;
  }
  fputs("<!DOCTYPE html>\n<meta charset=\"utf-8\">\n<title>Index of ", m);
  put_html(m, urlpath);
  fputs("</title>\n<h1>Index of ", m);
  put_html(m, urlpath);
  fputs("</h1>\n<ul>\n", m);
  for (int i = 0; i < n; i++) {
    char full[PATH_MAX];
    struct stat sb;
    snprintf(full, sizeof full, "%s/%s", dir, names[i]->d_name);
    bool isdir = stat(full, &sb) == 0 && S_ISDIR(sb.st_mode);
    fputs("<li><a href=\"", m);
    put_url(m, names[i]->d_name);
    fputs(isdir ? "/\">" : "\">", m);
    put_html(m, names[i]->d_name);
    fputs(isdir ? "/</a>\n" : "</a>\n", m);
    free(names[i]);
  }
  free(names);
  fputs("</ul>\n", m);
  fclose(m);
  c->mem = buf;
  c->mem_len = len;
  c->mem_off = 0;
  respond(c, rq, 200, len, "text/html; charset=utf-8", NULL, 0);
}

/* Paths ------------------------------------------------------------------- */

static int hexval(int ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  ch = tolower(ch);
  return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/*
 * The URL path of a request target (origin or absolute form), without
 * query or fragment, percent-decoded. Returns 0, 400 (malformed) or 404
 * (a ".." segment).
 */
static int url_path(const char *target, char *out, size_t len) {
  if (!strncasecmp(target, "http://", 7)) {
    target = strchr(target + 7, '/');
    if (!target)
      target = "/";
  }
  if (target[0] != '/')
    return 400;
  size_t n = 0;
  for (const char *p = target; *p && *p != '?' && *p != '#'; p++) {
    int ch = (unsigned char)*p;
    if (ch == '%') {
      int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;
      if (lo < 0)
        return 400;
      ch = hi * 16 + lo;
      p += 2;
    }
    if (ch == 0 || ch == '\\' || n + 1 >= len)
      return 400;
    out[n++] = (char)ch;
  }
  out[n] = 0;
  /* No segment may climb: "..", "/../", a trailing "/..". */
  for (const char *s = out; (s = strstr(s, "..")) != NULL; s += 2)
    if (s[-1] == '/' && (s[2] == '/' || s[2] == 0))
      return 404;
  return 0;
}

/* Serve the file or directory for path (decoded, starting with '/'). */
static void serve_path(struct conn *c, const struct request *rq,
                       const char *path) {
  struct serve *sv = c->sv;
  char joined[PATH_MAX], real[PATH_MAX];
  if ((size_t)snprintf(joined, sizeof joined, "%s%s", sv->root, path) >=
          sizeof joined ||
      !realpath(joined, real)) {
    respond_page(c, rq, 404, NULL, NULL);
    return;
  }
  size_t rl = strlen(sv->root);
  if (strncmp(real, sv->root, rl) != 0 || (real[rl] != '/' && real[rl] != 0)) {
    respond_page(c, rq, 404, NULL, NULL); /* a link out of the root */
    return;
  }
  struct stat sb;
  if (stat(real, &sb) != 0) {
    respond_page(c, rq, 404, NULL, NULL);
    return;
  }
  if (S_ISDIR(sb.st_mode)) {
    size_t pl = strlen(path);
    if (path[pl - 1] != '/') {
      char loc[PATH_MAX + 32];
      snprintf(loc, sizeof loc, "Location: %s/\r\n", path);
      respond_page(c, rq, 301, loc, NULL);
      return;
    }
    char index[PATH_MAX];
    struct stat ib;
    if ((size_t)snprintf(index, sizeof index, "%s/index.html", real) <
            sizeof index &&
        stat(index, &ib) == 0 && S_ISREG(ib.st_mode)) {
      memcpy(real, index, sizeof real);
      sb = ib;
    } else {
      respond_listing(c, rq, real, path);
      return;
    }
  }
  int fd = S_ISREG(sb.st_mode) ? open(real, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0) {
    respond_page(c, rq, 404, NULL, NULL);
    return;
  }
  c->file_fd = fd;
  c->file_off = 0;
  c->file_end = (uint64_t)sb.st_size;
  respond(c, rq, 200, (uint64_t)sb.st_size, content_type(real), NULL,
          sb.st_mtime);
}

/* Requests ---------------------------------------------------------------- */

/* Does the comma-separated header value contain token (any case)? */
static bool has_token(const char *value, const char *token) {
  size_t tl = strlen(token);
  for (const char *p = value; *p;) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    const char *e = p;
    while (*e && *e != ',')
      e++;
    const char *t = e;
    while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
      t--;
    if ((size_t)(t - p) == tl && !strncasecmp(p, token, tl))
      return true;
    p = e;
  }
  return false;
}

/* Parse a request head (NUL-terminated, lines ending in CRLF or LF).
 * Returns 0 or the error status. */
static int parse_head(char *head, struct request *rq) {
  memset(rq, 0, sizeof *rq);
  rq->major = 1;
  char *save = NULL;
  char *line = strtok_r(head, "\n", &save);
  if (!line)
    return 400;
  line[strcspn(line, "\r")] = 0;
  char *sp1 = strchr(line, ' ');
  char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
  if (!sp1 || !sp2 || strchr(sp2 + 1, ' '))
    return 400;
  *sp1 = *sp2 = 0;
  if (strlen(line) >= sizeof rq->method || !*line)
    return 400;
  strcpy(rq->method, line);
  if (strlen(sp1 + 1) >= sizeof rq->target)
    return 414;
  strcpy(rq->target, sp1 + 1);
  char extra;
  if (sscanf(sp2 + 1, "HTTP/%d.%d%c", &rq->major, &rq->minor, &extra) != 2)
    return 400;
  if (rq->major != 1)
    return 505;
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    line[strcspn(line, "\r")] = 0;
    if (!*line)
      break;
    char *colon = strchr(line, ':');
    if (!colon || colon == line || strchr(" \t", colon[-1]))
      return 400;
    *colon = 0;
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
      v++;
    if (!strcasecmp(line, "Host")) {
      rq->host = true;
    } else if (!strcasecmp(line, "Connection")) {
      rq->close |= has_token(v, "close");
      rq->keep_alive |= has_token(v, "keep-alive");
    } else if (!strcasecmp(line, "Content-Length")) {
      char *end;
      errno = 0;
      long long n = strtoll(v, &end, 10);
      if (!isdigit((unsigned char)*v) || errno || (*end && !isspace((unsigned char)*end)))
        return 400;
      rq->content_length = n;
    } else if (!strcasecmp(line, "Transfer-Encoding")) {
      rq->chunked = true;
    }
  }
  if (rq->minor >= 1 && !rq->host)
    return 400;
  return 0;
}

/* Answer one complete request head (NUL-terminated). */
static void handle_request(struct conn *c, char *head) {
  struct request rq;
  int status = parse_head(head, &rq);
  c->keep_alive = rq.minor >= 1 ? !rq.close : rq.keep_alive;
  if (status) {
    c->keep_alive = false;
    respond_page(c, &rq, status, NULL, NULL);
    return;
  }
  if (rq.chunked) { /* request bodies are not read here */
    c->keep_alive = false;
    respond_page(c, &rq, 501, NULL, "<p>Chunked request bodies are not "
                                     "accepted.</p>\n");
    return;
  }
  c->skip = (uint64_t)rq.content_length;
  if (strcmp(rq.method, "GET") != 0 && strcmp(rq.method, "HEAD") != 0) {
    respond_page(c, &rq, 405, "Allow: GET, HEAD\r\n", NULL);
    return;
  }
  char path[4096];
  status = url_path(rq.target, path, sizeof path);
  if (status) {
    respond_page(c, &rq, status, NULL, NULL);
    return;
  }
  serve_path(c, &rq, path);
}

/* The end of a head in c->in: its length including the blank line, or 0. */
static size_t head_end(const struct conn *c) {
  for (size_t i = 0; i + 1 < c->in_len; i++) {
    if (c->in[i] != '\n')
      continue;
    if (c->in[i + 1] == '\n')
      return i + 2;
    if (c->in[i + 1] == '\r' && i + 2 < c->in_len && c->in[i + 2] == '\n')
      return i + 3;
  }
  return 0;
}

static void consume(struct conn *c, size_t n) {
  memmove(c->in, c->in + n, c->in_len - n);
  c->in_len -= n;
}

/* Start the response to the next complete request, if one is waiting. */
static void next_request(struct conn *c) {
  while (!c->responding && !c->shut && !c->failed) {
    if (c->skip) {
      size_t n = c->skip < c->in_len ? (size_t)c->skip : c->in_len;
      consume(c, n);
      c->skip -= n;
      if (c->skip)
        return;
    }
    size_t end = head_end(c);
    if (!end) {
      if (c->in_len == HTTP_INBUF) {
        struct request rq = {.method = "-", .major = 1};
        c->keep_alive = false;
        respond_page(c, &rq, 431, NULL, NULL);
        c->in_len = 0;
      }
      return;
    }
    char saved = c->in[end];
    c->in[end] = 0;
    char head[HTTP_INBUF + 1];
    memcpy(head, c->in, end + 1);
    c->in[end] = saved;
    consume(c, end);
    handle_request(c, head);
  }
}

void http_input(struct conn *c) {
  struct sn_stack *st = c->sv->rn.st;
  for (;;) {
    ssize_t n;
    if (c->shut) { /* after our FIN: read and forget until the client closes */
      static char sink[65536];
      n = sn_recv(st, c->sd, sink, sizeof sink, 0);
    } else if (c->in_len < HTTP_INBUF) {
      n = sn_recv(st, c->sd, c->in + c->in_len, HTTP_INBUF - c->in_len, 0);
    } else {
      break; /* full until the current response is done */
    }
    if (n > 0) {
      if (!c->shut)
        c->in_len += (size_t)n;
      if (!c->responding)
        next_request(c);
      continue;
    }
    if (n == 0)
      c->eof = true;
    else if (n != -EAGAIN)
      c->failed = true;
    break;
  }
  if (!c->responding)
    next_request(c);
}

static void finish_response(struct conn *c) {
  if (c->file_fd >= 0)
    close(c->file_fd);
  c->file_fd = -1;
  free(c->mem);
  c->mem = NULL;
  c->responding = false;
}

bool http_refill(struct conn *c) {
  if (!c->responding)
    return false;
  ssize_t n = append_body(c);
  if (n < 0) { /* the file shrank or failed: the response cannot end well */
    c->failed = true;
    return false;
  }
  if (n > 0)
    return true;
  finish_response(c);
  if (!c->keep_alive) {
    sn_shutdown(c->sv->rn.st, c->sd, SN_SHUT_WR);
    c->shut = true;
    http_input(c); /* whatever came meanwhile is read and dropped */
    return false;
  }
  next_request(c);
  return c->out_len > 0;
}

bool http_pending(const struct conn *c) { return c->responding; }

void http_conn_free(struct conn *c) {
  if (c->file_fd >= 0)
    close(c->file_fd);
  c->file_fd = -1;
  free(c->mem);
  c->mem = NULL;
}
