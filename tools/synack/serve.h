/*
 * serve.h - the pieces of `synack serve` shared by its files: the
 * connection record, the output pump's contract, and the HTTP service
 * (serve_http.c).
 */
#ifndef SN_SERVE_H
#define SN_SERVE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "realnet.h"
#include "synack/socket.h"

#define SERVE_OUTBUF 65536   /* output buffer per connection, bytes */
#define HTTP_INBUF 16384     /* request head buffer per connection, bytes */

enum service { SVC_ECHO, SVC_DISCARD, SVC_CHARGEN, SVC_HTTP, SVC__COUNT };

struct conn {
  struct serve *sv;
  int sd;
  struct conn *prev, *next;
  struct sn_sockaddr peer;
  bool eof;              /* the peer has finished sending */
  bool failed;           /* reset, or an error: close at once */
  bool shut;             /* we sent our FIN (shutdown); draining input */
  uint8_t *out;          /* SERVE_OUTBUF bytes of pending output */
  size_t out_len, out_off;
  uint64_t chargen_line; /* chargen: next line number */
  /* http */
  char *in;              /* HTTP_INBUF bytes of request head (+1 for NUL) */
  size_t in_len;
  uint64_t skip;         /* request body bytes still to discard */
  bool responding;       /* a response is being sent */
  bool keep_alive;       /* read another request after this response */
  int file_fd;           /* body from this file (-1: none) */
  uint64_t file_off, file_end;
  char *mem;             /* or from this generated page */
  size_t mem_len, mem_off;
};

struct serve {
  struct rn rn;
  enum service svc;
  char root[PATH_MAX];   /* http: the served directory, resolved */
  uint16_t port;
  int lsd;
  bool quiet;
  struct conn *conns;
  unsigned nconns;
  uint64_t accepted, requests;
};

/* Close and free a connection. */
void serve_close(struct conn *c);
/* Does the connection still have something to do (besides its output
 * buffer)? */
bool serve_pending(const struct conn *c);

/* HTTP: resolve and check the root; 0 or -1. */
int http_set_root(struct serve *sv, const char *dir);
/* Read what the client sent and start responses. */
void http_input(struct conn *c);
/* Fill c->out with more of the current response (false: none now). */
bool http_refill(struct conn *c);
/* A response in progress or a request waiting? */
bool http_pending(const struct conn *c);
/* Release the connection's HTTP resources. */
void http_conn_free(struct conn *c);

#endif
