/*
 * tcpscen.c - see tcpscen.h.
 */
#include "tcpscen.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api/sock.h"
#include "net/stack.h"
#include "tcp/tcb.h"

/* The log --------------------------------------------------------------- */

struct ts_log *ts_log_new(void) {
  struct ts_log *l = calloc(1, sizeof *l);
  assert_non_null(l);
  return l;
}

static const char *field_s(const struct sn_trace_event *ev, const char *key) {
  const struct sn_trace_field *f = sn_trace_field(ev, key);
  return f && f->type == SN_TF_STR && f->v.s ? f->v.s : "";
}

static uint64_t field_u(const struct sn_trace_event *ev, const char *key) {
  const struct sn_trace_field *f = sn_trace_field(ev, key);
  return f && f->type == SN_TF_U64 ? f->v.u : 0;
}

void ts_sink(void *ctx, const struct sn_trace_event *ev) {
  struct ts_log *l = ctx;
  if (l->chain)
    tl_trace_sink(l->chain, ev);
  if (ev->cat != SN_TC_tcp)
    return;
  bool state = strcmp(ev->name, "state") == 0;
  bool tx = strcmp(ev->name, "tx") == 0 || strcmp(ev->name, "tx-rst") == 0;
  if (!state && !tx)
    return;
  assert_true(l->n < TS_MAX_EVENTS);
  struct ts_event *e = &l->ev[l->n++];
  memset(e, 0, sizeof *e);
  e->time = ev->time_ns;
  snprintf(e->host, sizeof e->host, "%s", ev->host ? ev->host : "");
  e->conn = (uint32_t)field_u(ev, "conn");
  e->is_state = state;
  if (state) {
    snprintf(e->from, sizeof e->from, "%s", field_s(ev, "from"));
    snprintf(e->to, sizeof e->to, "%s", field_s(ev, "to"));
  } else {
    snprintf(e->flags, sizeof e->flags, "%s", field_s(ev, "flags"));
    e->seq = (uint32_t)field_u(ev, "seq");
    e->ack = (uint32_t)field_u(ev, "ack");
    e->len = (uint32_t)field_u(ev, "len");
  }
}

void ts_log_tt(struct ts_log *log, struct tt *t) {
  log->chain = &t->trace;
  sn_stack_set_trace(t->st, ts_sink, log, SN_TRACE_ALL);
}

uint32_t ts_conn_id(struct sn_stack *st, int sd) {
  struct sn_sock *s = sn_sock_get(st, sd);
  assert_non_null(s);
  assert_non_null(s->tcb);
  return s->tcb->id;
}

static bool match(const struct ts_event *e, const char *host, uint32_t conn) {
  return (!host || strcmp(e->host, host) == 0) && (!conn || e->conn == conn);
}

uint64_t ts_state_time(const struct ts_log *l, const char *host, uint32_t conn,
                       const char *to) {
  for (size_t i = 0; i < l->n; i++) {
    const struct ts_event *e = &l->ev[i];
    if (e->is_state && match(e, host, conn) && strcmp(e->to, to) == 0)
      return e->time;
  }
  return UINT64_MAX;
}

const char *ts_path(const struct ts_log *l, const char *host, uint32_t conn,
                    char *buf, size_t len) {
  size_t pos = 0;
  buf[0] = 0;
  for (size_t i = 0; i < l->n; i++) {
    const struct ts_event *e = &l->ev[i];
    if (!e->is_state || !match(e, host, conn))
      continue;
    int n = snprintf(buf + pos, len - pos, "%s%s", pos ? ">" : "", e->to);
    if (n < 0 || (size_t)n >= len - pos)
      break;
    pos += (size_t)n;
  }
  return buf;
}

size_t ts_sent(const struct ts_log *l, const char *host, const char *flags,
               uint64_t since, uint64_t *times, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++) {
    const struct ts_event *e = &l->ev[i];
    if (e->is_state || e->time < since || strcmp(e->flags, flags) != 0 ||
        (host && strcmp(e->host, host) != 0))
      continue;
    if (times && n < max)
      times[n] = e->time;
    n++;
  }
  return n;
}

/* The scripted peer ----------------------------------------------------- */

void ts_send(struct tt *t, uint16_t sport, uint16_t dport, uint8_t flags,
             uint32_t seq, uint32_t ack, const void *data, uint32_t len) {
  struct tt_out o = {.sport = sport, .dport = dport, .flags = flags,
                     .seq = seq, .ack = ack, .win = 65535, .data = data,
                     .len = len};
  tt_inject(t, &o);
}

struct tt_seg ts_expect_(struct tt *t, uint64_t flags, uint64_t seq,
                         uint64_t ack, uint64_t len, uint64_t time,
                         const char *file, int line) {
  struct tt_seg s;
  if (!tt_next(t, &s))
    fail_msg("%s:%d: expected a segment by %.6f s, none was sent", file, line,
             (double)t->now / 1e9);
  char got[12], want[12];
  sn_tcp_flags_str(s.s.flags, got);
  if (flags != TS_ANY && s.s.flags != flags)
    fail_msg("%s:%d: segment flags %s, expected %s (seq %u at %.6f s)", file,
             line, got, sn_tcp_flags_str((uint8_t)flags, want), s.s.seq,
             (double)s.time / 1e9);
  if (seq != TS_ANY && s.s.seq != (uint32_t)seq)
    fail_msg("%s:%d: %s seq %u, expected %u", file, line, got, s.s.seq,
             (uint32_t)seq);
  if (ack != TS_ANY && s.s.ack != (uint32_t)ack)
    fail_msg("%s:%d: %s ack %u, expected %u", file, line, got, s.s.ack,
             (uint32_t)ack);
  if (len != TS_ANY && s.s.len != len)
    fail_msg("%s:%d: %s len %u, expected %u", file, line, got, s.s.len,
             (unsigned)len);
  if (time != TS_ANY && s.time != time)
    fail_msg("%s:%d: %s sent at %.9f s, expected %.9f s", file, line, got,
             (double)s.time / 1e9, (double)time / 1e9);
  return s;
}

void ts_none_(struct tt *t, const char *file, int line) {
  struct tt_seg s;
  if (tt_next(t, &s)) {
    char fl[12];
    fail_msg("%s:%d: unexpected segment %s seq %u ack %u len %u at %.9f s",
             file, line, sn_tcp_flags_str(s.s.flags, fl), s.s.seq, s.s.ack,
             s.s.len, (double)s.time / 1e9);
  }
}

static void syn_mss_only(struct tt_out *o) {
  o->opt.syn = true;
  o->opt.mss = true;
  o->opt.mss_val = 1460;
}

int ts_accept(struct tt *t, int lsd, uint16_t port, uint16_t pport,
              uint32_t irs, uint64_t rtt, uint32_t *iss) {
  struct tt_out syn = {.sport = pport, .dport = port, .flags = SN_TCP_SYN,
                       .seq = irs, .win = 65535};
  syn_mss_only(&syn);
  tt_inject(t, &syn);
  struct tt_seg sa = TS_EXPECT(t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, irs + 1, 0,
                               t->now);
  *iss = sa.s.seq;
  tt_wait(t, rtt);
  ts_send(t, pport, port, SN_TCP_ACK, irs + 1, *iss + 1, NULL, 0);
  struct sn_sockaddr peer;
  int sd = sn_accept(t->st, lsd, &peer);
  assert_true(sd >= 0);
  assert_int_equal(peer.port, pport);
  return sd;
}

int ts_connect(struct tt *t, uint16_t port, uint32_t irs, uint64_t rtt,
               uint32_t *iss, uint16_t *lport) {
  int sd = sn_socket(t->st, SN_SOCK_STREAM);
  assert_true(sd >= 0);
  struct sn_sockaddr dst = {t->peer_ip, port};
  assert_int_equal(sn_connect(t->st, sd, &dst), -EINPROGRESS);
  struct tt_seg syn = TS_EXPECT(t, SN_TCP_SYN, TS_ANY, 0, 0, t->now);
  *iss = syn.s.seq;
  *lport = syn.s.sport;
  tt_wait(t, rtt);
  struct tt_out sa = {.sport = port, .dport = *lport,
                      .flags = SN_TCP_SYN | SN_TCP_ACK, .seq = irs,
                      .ack = *iss + 1, .win = 65535};
  syn_mss_only(&sa);
  tt_inject(t, &sa);
  TS_EXPECT(t, SN_TCP_ACK, *iss + 1, irs + 1, 0, t->now);
  assert_int_equal(tt_state(t, sd), SN_TCP_ESTABLISHED);
  return sd;
}

/* Configurations -------------------------------------------------------- */

static void apply(struct sn_config *cfg, va_list ap) {
  const char *kv;
  while ((kv = va_arg(ap, const char *)) != NULL) {
    char name[64];
    const char *eq = strchr(kv, '=');
    assert_non_null(eq);
    assert_true((size_t)(eq - kv) < sizeof name);
    memcpy(name, kv, (size_t)(eq - kv));
    name[eq - kv] = 0;
    if (sn_config_set(cfg, name, eq + 1) != 0)
      fail_msg("cannot set %s", kv);
  }
}

/* The scripted peer of tcplib.h does not answer ARP: keep its entry
 * reachable for the longest time the knob allows (a day), so that tests
 * of long timers do not lose segments to address resolution. */
static void base_config(struct sn_config *cfg, enum sn_profile profile) {
  sn_config_default(cfg, profile);
  assert_int_equal(sn_config_set(cfg, "neigh_base_reachable_time_ms", "86400000"), 0);
}

void ts_config(struct sn_config *cfg, enum sn_profile profile, ...) {
  base_config(cfg, profile);
  va_list ap;
  va_start(ap, profile);
  apply(cfg, ap);
  va_end(ap);
}

void ts_init(struct tt *t, ...) {
  struct sn_config cfg;
  base_config(&cfg, SN_PROFILE_LINUX);
  va_list ap;
  va_start(ap, t);
  apply(&cfg, ap);
  va_end(ap);
  tt_init(t, &cfg);
}

/* Simulated pairs ------------------------------------------------------- */

void ts_pair(struct sl_pair *p, const struct sn_config *ca,
             const struct sn_config *cb, uint64_t delay, struct ts_log *log) {
  memset(p, 0, sizeof *p);
  p->sim = sn_sim_new(11);
  assert_non_null(p->sim);
  p->a = sn_sim_add_host(p->sim, "A", ca);
  p->b = sn_sim_add_host(p->sim, "B", cb);
  assert_non_null(p->a);
  assert_non_null(p->b);
  int err = 1;
  p->link = sn_sim_connect(p->sim, p->a, SL_CIDR_A, p->b, SL_CIDR_B, 0, &err);
  assert_non_null(p->link);
  assert_int_equal(err, 0);
  p->ip_a = tl_ip("198.18.0.1");
  p->ip_b = tl_ip("198.18.0.2");
  struct sn_sim_impair imp = {.delay_ns = delay};
  assert_int_equal(sn_sim_link_impair(p->link, SN_SIM_BOTH, &imp), 0);
  sl_pair_resolve(p);
  assert_true(sn_sim_now(p->sim) < TS_SEC);
  sn_sim_run_until(p->sim, TS_SEC);
  if (log)
    sn_sim_set_trace(p->sim, ts_sink, log, SN_TRACE_ALL);
}

void ts_pair_connect(struct sl_pair *p, uint16_t port, int *a_sd, int *b_sd) {
  int ls = sn_socket(p->b, SN_SOCK_STREAM);
  assert_true(ls >= 0);
  struct sn_sockaddr any = {0, port};
  assert_int_equal(sn_bind(p->b, ls, &any), 0);
  assert_int_equal(sn_listen(p->b, ls, 8), 0);
  *a_sd = sn_socket(p->a, SN_SOCK_STREAM);
  assert_true(*a_sd >= 0);
  struct sn_sockaddr dst = {p->ip_b, port};
  assert_int_equal(sn_connect(p->a, *a_sd, &dst), -EINPROGRESS);
  uint64_t limit = sn_sim_now(p->sim) + 10 * TS_SEC;
  *b_sd = -EAGAIN;
  while (*b_sd == -EAGAIN && sn_sim_now(p->sim) < limit) {
    sn_sim_run_until(p->sim, sn_sim_now(p->sim) + TS_MS);
    *b_sd = sn_accept(p->b, ls, NULL);
  }
  assert_true(*b_sd >= 0);
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(p->a, *a_sd, &i), 0);
  assert_int_equal(i.tcpi_state, SN_TCP_ESTABLISHED);
  assert_int_equal(sn_close(p->b, ls), 0);
}

void ts_pair_free(struct sl_pair *p) {
  struct sn_stack *st[] = {p->a, p->b};
  for (int i = 0; i < 2; i++)
    for (int sd = 0; sd < st[i]->nsocks; sd++)
      sn_close(st[i], sd);
  sl_pair_free(p);
}

void ts_event_cb(void *ctx, int sd, unsigned events) {
  (void)sd;
  struct ts_events *e = ctx;
  e->n++;
  e->last = events;
  e->seen |= events;
}

/* A client connection ----------------------------------------------------- */

void ts_conn_open(struct ts_conn *c, const struct sn_config *cfg) {
  if (cfg)
    tt_init(&c->t, cfg);
  else
    ts_init(&c->t, NULL);
  c->log = ts_log_new();
  ts_log_tt(c->log, &c->t);
  c->sd = ts_connect(&c->t, 80, 5000, 100 * TS_MS, &c->iss, &c->lport);
  c->id = ts_conn_id(c->t.st, c->sd);
}

void ts_conn_free(struct ts_conn *c) {
  tt_free(&c->t);
  free(c->log);
}

void ts_peer(struct ts_conn *c, uint8_t flags, uint32_t seq, uint32_t rack,
             const void *data, uint32_t len) {
  ts_send(&c->t, 80, c->lport, flags, seq, c->iss + rack, data, len);
}
