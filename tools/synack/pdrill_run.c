/*
 * pdrill_run.c - the runner: reads a script, decides whether it can be
 * honoured (anything this interpreter or synack cannot do makes the
 * script SKIPPED, never silently ignored), builds the stack with the
 * script's Linux profile, and plays the events in order on virtual time
 * with upstream's timing rules (GRAMMAR §3): relative times count from
 * when the previous event finished (from the previous one's scheduled
 * time between two inbound packets), each event is checked against its
 * scheduled time with the fixed or proportional tolerance, an outbound
 * packet is awaited until two seconds past its expected time, and S...E
 * calls run alongside the events that follow them. After the last event
 * come the cleanup command and the code blocks' asserts.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pdrill.h"

#define NS_PER_US 1000ull
#define NS_PER_S 1000000000ull
/* How long '*' waits for a packet, and how long the end of the script
 * waits for an outstanding blocking call (virtual time). */
#define ANY_TIME_WAIT_NS (600ull * NS_PER_S)
#define END_WAIT_NS (1ull * NS_PER_S)

void pd_catf(char *buf, size_t len, const char *fmt, ...) {
  size_t used = strlen(buf);
  if (used + 1 >= len)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + used, len - used, fmt, ap);
  va_end(ap);
}

int64_t pd_now_us(const struct pd_run *run) {
  return (int64_t)(run->net.now / NS_PER_US);
}

static void verdict(struct pd_run *run, enum pd_verdict v, int64_t at_us, const char *fmt,
                    va_list ap) {
  if (run->failed)
    return;
  run->failed = true;
  struct pd_result *r = run->res;
  r->verdict = v;
  r->line = run->ev ? run->ev->line : 0;
  r->at_us = at_us;
  vsnprintf(r->msg, sizeof r->msg, fmt, ap);
}

void pd_fail(struct pd_run *run, int64_t at_us, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verdict(run, PD_FAIL, at_us, fmt, ap);
  va_end(ap);
}

void pd_skip(struct pd_run *run, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verdict(run, PD_SKIP, -1, fmt, ap);
  va_end(ap);
}

/* Descriptors ----------------------------------------------------------------- */

static int fd_slot(const struct pd_run *run, int64_t script_fd) {
  for (int k = 0; k < run->nfds; k++)
    if (run->fd_script[k] == script_fd)
      return k;
  return -1;
}

int pd_fd_live(const struct pd_run *run, int64_t script_fd) {
  int k = fd_slot(run, script_fd);
  return k < 0 ? -1 : run->fd_live[k];
}

void pd_fd_map(struct pd_run *run, int64_t script_fd, int live) {
  int k = fd_slot(run, script_fd);
  if (k < 0 && run->nfds < PD_MAX_FDS)
    k = run->nfds++;
  if (k < 0)
    return;
  run->fd_script[k] = (int)script_fd;
  run->fd_live[k] = live;
  run->fd_nonblock[k] = false;
}

void pd_fd_unmap(struct pd_run *run, int64_t script_fd) {
  int k = fd_slot(run, script_fd);
  if (k < 0)
    return;
  run->nfds--;
  run->fd_script[k] = run->fd_script[run->nfds];
  run->fd_live[k] = run->fd_live[run->nfds];
  run->fd_nonblock[k] = run->fd_nonblock[run->nfds];
}

bool *pd_fd_nonblock(struct pd_run *run, int64_t script_fd) {
  int k = fd_slot(run, script_fd);
  return k < 0 ? NULL : &run->fd_nonblock[k];
}

/* What the script asks that cannot be honoured ---------------------------------- */

static int packet_supported(const struct pd_packet *pk, char *why, size_t len) {
  if (pk->proto == PD_PROTO_UDP) {
    snprintf(why, len, "UDP packets are not supported by this interpreter");
    return 1;
  }
  if (pk->proto == PD_PROTO_ICMP &&
      (strcmp(pk->icmp_type, "unreachable") || pk->dir != '<' ||
       (strcmp(pk->icmp_code, "frag_needed") && strcmp(pk->icmp_code, "port_unreachable") &&
        strcmp(pk->icmp_code, "host_unreachable") && strcmp(pk->icmp_code, "net_unreachable") &&
        strcmp(pk->icmp_code, "protocol_unreachable")))) {
    snprintf(why, len, "ICMP %s %s: only inbound IPv4 unreachable messages are supported",
             pk->icmp_type, pk->icmp_code);
    return 1;
  }
  if (pk->accecn) {
    snprintf(why, len, "AccECN flags (AE, ACE) are not supported by synack");
    return 1;
  }
  if (pk->flowlabel) {
    snprintf(why, len, "IPv6 flow labels: synack has no IPv6");
    return 1;
  }
  for (int k = 0; k < pk->nopts; k++)
    if (pk->opts[k].kind == PD_OPT_OTHER) {
      snprintf(why, len, "TCP option %s is not supported by this interpreter",
               pk->opts[k].name);
      return 1;
    }
  return 0;
}

static int event_supported(const struct pd_event *ev, struct sn_config *cfg,
                           struct pd_sysctl_state *ss, char *why, size_t len) {
  struct pd_snap snap;
  switch (ev->kind) {
  case PD_EV_PACKET: return packet_supported(&ev->pkt, why, len);
  case PD_EV_SYSCALL: return pd_syscall_supported(&ev->call, why, len);
  case PD_EV_SHELL: return pd_shell_apply(ev->text, cfg, ss, why, len) ? 1 : 0;
  case PD_EV_CODE: return pd_code_parse(ev->text, &snap, why, len);
  }
  return 0;
}

/* Returns 0, or 1 with the script skipped (reason and line in r). */
static int check_support(const struct pd_script *sc, struct pd_result *r) {
  struct sn_config cfg;
  struct pd_sysctl_state ss;
  memset(&ss, 0, sizeof ss);
  pd_profile_base(&cfg);
  r->verdict = PD_SKIP;
  if (sc->cfg.unsupported[0]) {
    r->line = sc->cfg.unsupported_line;
    snprintf(r->msg, sizeof r->msg, "%s", sc->cfg.unsupported);
    return 1;
  }
  if (sc->init_cmd && pd_shell_apply(sc->init_cmd, &cfg, &ss, r->msg, sizeof r->msg)) {
    r->line = sc->init_line;
    return 1;
  }
  for (int k = 0; k < sc->nev; k++)
    if (event_supported(&sc->ev[k], &cfg, &ss, r->msg, sizeof r->msg)) {
      r->line = sc->ev[k].line;
      return 1;
    }
  if (sc->cleanup_cmd && pd_shell_apply(sc->cleanup_cmd, &cfg, &ss, r->msg, sizeof r->msg)) {
    r->line = sc->cleanup_line;
    return 1;
  }
  r->verdict = PD_PASS;
  return 0;
}

/* Events -------------------------------------------------------------------------- */

static bool is_inbound(const struct pd_event *ev) {
  return ev && ev->kind == PD_EV_PACKET && ev->pkt.dir == '<';
}

static bool is_outbound(const struct pd_event *ev) {
  return ev->kind == PD_EV_PACKET && ev->pkt.dir == '>';
}

/* An event's times on the script's clock (us). */
struct when {
  int64_t sched;  /* scheduled start */
  int64_t end;    /* end of a range (= sched otherwise) */
  int64_t ret;    /* S...E: expected return */
  int64_t tol;    /* timing tolerance */
};

static struct when schedule(const struct pd_run *run, const struct pd_event *ev,
                            const struct pd_event *prev, int64_t prev_sched) {
  const struct pd_time *t = &ev->time;
  struct when w;
  bool rel = t->kind == PD_TIME_REL || t->kind == PD_TIME_REL_RANGE || t->kind == PD_TIME_ANY;
  int64_t off = 0;
  if (rel)
    off = is_inbound(prev) && is_inbound(ev) ? prev_sched : pd_now_us(run);
  w.sched = t->t + off;
  w.end = t->kind == PD_TIME_ABS_RANGE || t->kind == PD_TIME_REL_RANGE ? t->t_end + off : w.sched;
  w.ret = t->blocking ? t->block_end + (t->kind == PD_TIME_REL ? off : 0) : w.sched;
  w.tol = run->cfg->tolerance_usecs;
  if (prev) {
    int64_t pct = (int64_t)(run->cfg->tolerance_percent / 100.0 * (double)(w.sched - prev_sched));
    if (pct > w.tol)
      w.tol = pct;
  }
  return w;
}

static const char *describe(const struct pd_event *ev) {
  switch (ev->kind) {
  case PD_EV_PACKET: return is_inbound(ev) ? "inbound packet" : "outbound packet";
  case PD_EV_SYSCALL: return "system call start";
  case PD_EV_SHELL: return "command";
  case PD_EV_CODE: return "data collection for code";
  }
  return "event";
}

/* Wait for a non-outbound event's time and check it. */
static int reach(struct pd_run *run, const struct pd_event *ev, const struct when *w) {
  if (pd_syscall_check_done(run))
    return -1;
  if (w->sched > pd_now_us(run))
    pd_net_advance(&run->net, (uint64_t)w->sched * NS_PER_US);
  if (pd_syscall_check_done(run))
    return -1;
  int64_t now = pd_now_us(run);
  if (now > w->sched + w->tol) {
    pd_fail(run, now, "timing error: expected %s at %.6f s but it happened at %.6f s "
            "(tolerance %.6f s)", describe(ev), (double)w->sched / 1e6, (double)now / 1e6,
            (double)w->tol / 1e6);
    snprintf(run->res->expected, sizeof run->res->expected, "%s", ev->src);
    snprintf(run->res->note, sizeof run->res->note, "an earlier event finished late");
    return -1;
  }
  return 0;
}

static int run_outbound(struct pd_run *run, const struct pd_event *ev, const struct when *w,
                        int64_t prev_sched) {
  uint64_t deadline;
  if (ev->time.kind == PD_TIME_ANY) {
    deadline = run->net.now + ANY_TIME_WAIT_NS;
  } else {
    int64_t ahead = (w->end > w->sched ? w->end : w->sched) - prev_sched;
    deadline = run->net.now + ((uint64_t)(ahead > 0 ? ahead : 0) / 1000000 + 2) * NS_PER_S;
  }
  return pd_outbound(run, ev, w->sched, w->end, w->tol, deadline);
}

static void snapshot(struct pd_run *run, const struct pd_event *ev) {
  struct pd_snap *v = realloc(run->snaps, (size_t)(run->nsnaps + 1) * sizeof *v);
  if (!v)
    return;
  run->snaps = v;
  struct pd_snap *s = &v[run->nsnaps++];
  char why[160];
  memset(s, 0, sizeof *s);
  pd_code_parse(ev->text, s, why, sizeof why);
  s->line = ev->line;
  s->at_us = pd_now_us(run);
  int sd = pd_conn_cur(&run->conns)->live_sd;
  if (sd < 0) {
    snprintf(s->why, sizeof s->why, "the connection under test has no socket (not accepted)");
    return;
  }
  int rc = sn_tcp_info(run->net.st, sd, &s->info);
  s->have_info = rc == 0;
  if (rc)
    snprintf(s->why, sizeof s->why, "TCP_INFO failed: %s", sn_strerror(rc));
}

static int run_event(struct pd_run *run, const struct pd_event *ev, const struct when *w,
                     int64_t prev_sched) {
  char why[200];
  if (run->log)
    fprintf(run->log, "%10.6f  line %d: %s\n", (double)w->sched / 1e6, ev->line, ev->src);
  if (is_outbound(ev))
    return run_outbound(run, ev, w, prev_sched);
  if (ev->kind == PD_EV_SYSCALL && ev->time.blocking && run->pend.active &&
      !run->pend.done) {
    pd_fail(run, pd_now_us(run), "runtime error in %s call: blocking system call while "
            "another blocking system call is already in progress", ev->call.name);
    return -1;
  }
  if (reach(run, ev, w))
    return -1;
  switch (ev->kind) {
  case PD_EV_PACKET: return pd_inbound(run, ev);
  case PD_EV_SYSCALL: {
    int rc = pd_syscall_run(run, ev, w->sched, w->ret);
    return rc > 0 ? -1 : rc;
  }
  case PD_EV_SHELL:
    /* The stack reads its configuration at each decision, so a knob set
     * now applies from now on, as a sysctl does. */
    if (pd_shell_apply(ev->text, (struct sn_config *)sn_stack_config(run->net.st), &run->sys,
                       why, sizeof why)) {
      pd_skip(run, "%s", why);
      return -1;
    }
    return 0;
  case PD_EV_CODE: snapshot(run, ev); return 0;
  }
  return 0;
}

/* After the last event: the outstanding call, cleanup, asserts. */
static void finish(struct pd_run *run) {
  struct pd_pending *p = &run->pend;
  char why[200];
  if (p->active && !p->done) {
    uint64_t limit = run->net.now + END_WAIT_NS;
    while (!p->done && run->net.now < limit)
      pd_net_step(&run->net, limit);
    if (!p->done) {
      run->ev = p->ev;
      pd_fail(run, pd_now_us(run), "runtime error: exiting while a blocking system call "
              "(%s) is in progress", p->ev->call.name);
      snprintf(run->res->expected, sizeof run->res->expected, "%s", p->ev->src);
      return;
    }
  }
  if (pd_syscall_check_done(run))
    return;
  if (run->sc->cleanup_cmd)
    pd_shell_apply(run->sc->cleanup_cmd, (struct sn_config *)sn_stack_config(run->net.st),
                   &run->sys, why, sizeof why);
  for (int k = 0; k < run->nsnaps; k++)
    if (pd_code_eval(&run->snaps[k], run->res)) {
      run->failed = true;
      return;
    }
}

static void hook(void *ctx) {
  pd_syscall_poll(ctx);
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static void print_notes(struct pd_run *run) {
  if (!run->log)
    return;
  fprintf(run->log, "profile: %s\n", run->sys.gtests ? "gtests (defaults.sh)"
                                                     : "legacy (no setup command)");
  if (run->sys.notes[0])
    fprintf(run->log, "%s\n", run->sys.notes);
}

static void run_script(const struct pd_script *sc, const struct pd_opts *o,
                       struct pd_result *r) {
  struct pd_run run;
  struct sn_config cfg;
  char why[200];
  memset(&run, 0, sizeof run);
  run.sc = sc;
  run.cfg = &sc->cfg;
  run.res = r;
  run.log = o->verbose ? stdout : NULL;
  pd_profile_base(&cfg);
  if (sc->init_cmd)
    pd_shell_apply(sc->init_cmd, &cfg, &run.sys, why, sizeof why);
  print_notes(&run);
  int rc = pd_net_open(&run.net, &cfg, sc->cfg.mtu, o->cap, base_name(sc->path));
  if (rc < 0) {
    pd_fail(&run, 0, "cannot set up the stack: %s", sn_strerror(rc));
    pd_net_close(&run.net);
    return;
  }
  run.net.hook = hook;
  run.net.hook_ctx = &run;
  pd_conns_init(&run.conns, sc->cfg.bind_port);
  const struct pd_event *prev = NULL;
  int64_t prev_sched = 0;
  for (int k = 0; k < sc->nev && !run.failed; k++) {
    const struct pd_event *ev = &sc->ev[k];
    struct when w = schedule(&run, ev, prev, prev_sched);
    run.ev = ev;
    if (run_event(&run, ev, &w, prev_sched))
      break;
    prev = ev;
    prev_sched = w.sched;
  }
  if (!run.failed)
    finish(&run);
  free(run.snaps);
  pd_net_close(&run.net);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *s = malloc(cap);
  while (s) {
    size_t got = fread(s + n, 1, cap - n - 1, f);
    n += got;
    if (n + 1 < cap)
      break;
    char *t = realloc(s, cap * 2);
    if (!t) {
      free(s);
      s = NULL;
      break;
    }
    s = t;
    cap *= 2;
  }
  fclose(f);
  if (s)
    s[n] = 0;
  return s;
}

void pd_run_file(const char *path, const struct pd_opts *o, struct pd_result *r) {
  struct pd_config base;
  struct pd_script sc;
  memset(r, 0, sizeof *r);
  r->at_us = -1;
  char *src = read_file(path);
  if (!src) {
    r->verdict = PD_FAIL;
    snprintf(r->msg, sizeof r->msg, "cannot read the script");
    return;
  }
  pd_config_default(&base);
  int line = 0;
  char err[400];
  if (pd_parse(src, path, &base, &sc, &line, err, sizeof err) != 0) {
    r->verdict = PD_FAIL;
    r->line = line;
    snprintf(r->msg, sizeof r->msg, "parse error: %s", err);
  } else if (check_support(&sc, r) == 0) {
    run_script(&sc, o, r);
  }
  pd_script_free(&sc);
  free(src);
}
