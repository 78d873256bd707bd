/*
 * icmp.h - ICMP (RFC 792, RFC 1122 §3.2.2): echo, destination unreachable,
 * time exceeded, and the rate limit on the errors this host sends.
 */
#ifndef SN_NET_ICMP_H
#define SN_NET_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sn_stack;
struct sn_ip4;

#define SN_PING_SLOTS 64

struct sn_icmp {
  uint64_t tokens;          /* error budget, in units of 1e-9 message */
  uint64_t tokens_at;       /* time of the last refill */
  struct {
    uint16_t id, seq;
    bool used;
    uint64_t sent_at;
    int64_t rtt;            /* -1 until the reply arrives */
  } pings[SN_PING_SLOTS];
  unsigned ping_next;
};

void sn_icmp_init(struct sn_stack *st);

/* An ICMP message arrived (IP header already checked). */
void sn_icmp_input(struct sn_stack *st, int ifindex, const struct sn_ip4 *ip);

/*
 * Send an ICMP error about the received packet `orig` (RFC 1122 §3.2.2:
 * never about an ICMP error, a broadcast or multicast, a non-initial
 * fragment, or a packet from a non-unicast source). Subject to the rate
 * limit. `info` is the MTU for "fragmentation needed".
 */
void sn_icmp_send_error(struct sn_stack *st, const struct sn_ip4 *orig,
                        uint8_t type, uint8_t code, uint16_t info);

#endif
