/*
 * ports.c - port spaces: bind conflicts (SO_REUSEADDR, SO_REUSEPORT) and
 * ephemeral port selection from ip_local_port_range.
 */
#include "net/ports.h"

#include "api/sock.h"
#include "base/rng.h"
#include "net/stack.h"
#include "tcp/tcb.h"

static unsigned bucket(uint16_t port) { return port & (SN_PORT_BUCKETS - 1); }

struct sn_sock *sn_ports_first(const struct sn_portmap *m, uint16_t port) {
  for (struct sn_sock *s = m->buckets[bucket(port)]; s; s = s->port_next)
    if (s->lport == port)
      return s;
  return NULL;
}

bool sn_ports_conflict(const struct sn_portmap *m, const struct sn_sock *s,
                       uint32_t addr, uint16_t port) {
  for (struct sn_sock *o = m->buckets[bucket(port)]; o; o = o->port_next) {
    if (o == s || o->lport != port)
      continue;
    if (o->laddr != addr && o->laddr != 0 && addr != 0)
      continue; /* different specific addresses never conflict */
    if (o->reuseport && s->reuseport)
      continue;
    /* SO_REUSEADDR on both sides shares a port, but never with a TCP
     * listener (Linux's rule). */
    if (o->reuseaddr && s->reuseaddr &&
        !(o->tcb && o->tcb->state == SN_TCP_LISTEN))
      continue;
    return true;
  }
  return false;
}

void sn_ports_insert(struct sn_portmap *m, struct sn_sock *s) {
  unsigned b = bucket(s->lport);
  s->port_next = m->buckets[b];
  m->buckets[b] = s;
}

void sn_ports_remove(struct sn_portmap *m, struct sn_sock *s) {
  struct sn_sock **pp = &m->buckets[bucket(s->lport)];
  while (*pp && *pp != s)
    pp = &(*pp)->port_next;
  if (*pp)
    *pp = s->port_next;
  s->port_next = NULL;
}

uint16_t sn_ports_ephemeral(struct sn_stack *st, struct sn_portmap *m) {
  uint32_t lo = (uint32_t)st->cfg.ip_local_port_range[0];
  uint32_t hi = (uint32_t)st->cfg.ip_local_port_range[1];
  if (hi < lo)
    return 0;
  uint32_t n = hi - lo + 1;
  uint32_t start = (uint32_t)sn_rng_below(&st->rng, n);
  for (uint32_t i = 0; i < n; i++) {
    uint16_t port = (uint16_t)(lo + (start + i) % n);
    if (!sn_ports_first(m, port))
      return port;
  }
  return 0;
}
