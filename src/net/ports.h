/*
 * ports.h - a port space (one for UDP, one for TCP): which sockets are
 * bound to which local port, and ephemeral port choice.
 */
#ifndef SN_NET_PORTS_H
#define SN_NET_PORTS_H

#include <stdbool.h>
#include <stdint.h>

struct sn_stack;
struct sn_sock;

#define SN_PORT_BUCKETS 1024

struct sn_portmap {
  struct sn_sock *buckets[SN_PORT_BUCKETS]; /* chained by sock->port_next */
};

/* First socket bound to port (walk the rest with sock->port_next while
 * their lport matches). */
struct sn_sock *sn_ports_first(const struct sn_portmap *m, uint16_t port);

/* Would binding s to (addr, port) conflict with a socket already bound? */
bool sn_ports_conflict(const struct sn_portmap *m, const struct sn_sock *s,
                       uint32_t addr, uint16_t port);

void sn_ports_insert(struct sn_portmap *m, struct sn_sock *s);
void sn_ports_remove(struct sn_portmap *m, struct sn_sock *s);

/* A port from ip_local_port_range that no socket uses, starting the
 * search at a random place; 0 if every one is taken. */
uint16_t sn_ports_ephemeral(struct sn_stack *st, struct sn_portmap *m);

#endif
