/*
 * pdrill_conn.c - the script's view of connections (GRAMMAR §5): which
 * one is under test, its ports (the peer's ephemeral ports start at
 * 40000; the stack's port of an active open is learned from its SYN), and
 * the mappings between the script's relative numbers and the live ones:
 * the stack's ISN maps to 0, the peer's ISN is what the inbound SYN or
 * SYN-ACK says, and inbound TS ecr values refer to the TSval the stack
 * really sent on the outbound packet that carried the same scripted val.
 */
#include <string.h>

#include "pdrill.h"

#define FIRST_PEER_PORT 40000

static uint16_t fresh_port(struct pd_conns *cs) {
  return cs->next_port++;
}

void pd_conns_init(struct pd_conns *cs, uint16_t bind_port) {
  memset(cs, 0, sizeof *cs);
  cs->next_port = FIRST_PEER_PORT;
  /* Packets injected before any socket() go to the bind port, from the
   * port the first socket's peer will use too. */
  pd_conn_new(cs, -1, bind_port);
  cs->next_port = FIRST_PEER_PORT;
}

struct pd_conn *pd_conn_cur(struct pd_conns *cs) {
  return &cs->v[cs->cur];
}

static struct pd_conn *alloc_conn(struct pd_conns *cs) {
  if (cs->n == PD_MAX_CONNS)
    return NULL;
  struct pd_conn *c = &cs->v[cs->n];
  memset(c, 0, sizeof *c);
  cs->cur = cs->n++;
  return c;
}

struct pd_conn *pd_conn_new(struct pd_conns *cs, int live_sd, uint16_t lport) {
  struct pd_conn *c = alloc_conn(cs);
  if (!c)
    return NULL;
  c->kind = PD_CONN_NEW;
  c->live_sd = live_sd;
  c->lport = lport;
  c->lport_known = true;
  c->rport = fresh_port(cs);
  return c;
}

struct pd_conn *pd_conn_child(struct pd_conns *cs) {
  struct pd_conn *lis = pd_conn_cur(cs);
  uint16_t lport = lis->lport;
  uint16_t rport = lis->peer_port_taken ? fresh_port(cs) : lis->rport;
  lis->peer_port_taken = true;
  struct pd_conn *c = alloc_conn(cs);
  if (!c)
    return NULL;
  c->kind = PD_CONN_CHILD;
  c->live_sd = -1;
  c->lport = lport;
  c->lport_known = true;
  c->rport = rport;
  return c;
}

struct pd_conn *pd_conn_by_sd(struct pd_conns *cs, int live_sd) {
  for (int k = cs->n - 1; k >= 0; k--)
    if (cs->v[k].live_sd == live_sd && live_sd >= 0)
      return &cs->v[k];
  return NULL;
}

struct pd_conn *pd_conn_by_rport(struct pd_conns *cs, uint16_t rport) {
  for (int k = cs->n - 1; k >= 0; k--)
    if (cs->v[k].kind == PD_CONN_CHILD && cs->v[k].rport == rport)
      return &cs->v[k];
  return NULL;
}

/* Offset of the stack's live sequence space: 0 until its ISN is known. */
static uint32_t local_offset(const struct pd_conn *c, bool syn) {
  if (!c->liss_known)
    return 0;
  return syn ? c->liss - c->liss_script : c->liss;
}

uint32_t pd_lseq_live(const struct pd_conn *c, uint32_t script, bool syn) {
  return script + local_offset(c, syn);
}

uint32_t pd_lseq_script(const struct pd_conn *c, uint32_t live, bool syn) {
  return live - local_offset(c, syn);
}

uint32_t pd_rseq_live(const struct pd_conn *c, uint32_t script) {
  return script + c->riss;
}

uint32_t pd_rseq_script(const struct pd_conn *c, uint32_t live) {
  return live - c->riss;
}

void pd_ts_record(struct pd_conn *c, uint32_t script, uint32_t live) {
  if (!c->ts_first) {
    c->ts_first = true;
    c->ts_first_script = script;
    c->ts_first_live = live;
  }
  if (c->nts == PD_MAX_TSMAP) {
    memmove(c->ts_script, c->ts_script + 1, (PD_MAX_TSMAP - 1) * sizeof c->ts_script[0]);
    memmove(c->ts_live, c->ts_live + 1, (PD_MAX_TSMAP - 1) * sizeof c->ts_live[0]);
    c->nts--;
  }
  c->ts_script[c->nts] = script;
  c->ts_live[c->nts] = live;
  c->nts++;
}

bool pd_ts_live(const struct pd_conn *c, uint32_t script, bool scaled, uint32_t *live) {
  for (int k = c->nts - 1; k >= 0; k--)
    if (c->ts_script[k] == script) {
      *live = c->ts_live[k];
      return true;
    }
  if (scaled && c->ts_first) {
    *live = c->ts_first_live + (script - c->ts_first_script);
    return true;
  }
  return false;
}

uint32_t pd_ts_script(const struct pd_conn *c, uint32_t live) {
  return c->ts_first ? c->ts_first_script + (live - c->ts_first_live) : live;
}
