/*
 * pdrill_net.c - the stack under test and its wire, for the packetdrill
 * interpreter: one synack stack (198.18.0.1) on one interface whose link
 * records every frame the stack sends with its send time; the peer
 * (198.18.0.2) is the script. The harness answers the stack's ARP
 * requests, builds the IPv4 packets the script injects, writes the
 * capture, and moves the stack's clock from deadline to deadline, so that
 * timers fire at their exact virtual times.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/checksum.h"
#include "base/util.h"
#include "pdrill.h"
#include "synack/capture.h"

static const uint8_t stack_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

#define LOCAL_IP 0xc6120001u  /* 198.18.0.1 */
#define REMOTE_IP 0xc6120002u /* 198.18.0.2 */
#define ETH_HLEN 14

/* Steps at one instant before the clock is moved on regardless: a guard
 * against a deadline that polling does not clear. */
#define MAX_STEPS_AT_ONE_TIME 10000

static void capture(struct pd_net *n, const uint8_t *frame, size_t len, uint64_t t,
                    enum sn_capture_dir dir, const char *comment) {
  if (n->cap)
    sn_capture_write(n->cap, n->cap_if, t, frame, len, dir, comment);
}

static bool is_arp_request_for_peer(const struct pd_net *n, const uint8_t *f, size_t len) {
  return len >= ETH_HLEN + 28 && sn_get16(f + 12) == 0x0806 &&
         sn_get16(f + ETH_HLEN + 6) == 1 && sn_get32(f + ETH_HLEN + 24) == n->remote_ip;
}

static int link_tx(void *ctx, const uint8_t *frame, size_t len,
                   const struct sn_tx_info *info) {
  struct pd_net *n = ctx;
  capture(n, frame, len, info->now_ns, SN_CAP_OUT, info->why);
  if (is_arp_request_for_peer(n, frame, len)) {
    n->arp_due = true;
    return 0;
  }
  if (n->nq == n->capq) {
    size_t cap = n->capq ? n->capq * 2 : 64;
    struct pd_frame *q = realloc(n->q, cap * sizeof *q);
    if (!q)
      return -ENOMEM;
    n->q = q;
    n->capq = cap;
  }
  struct pd_frame *f = &n->q[n->nq];
  f->data = malloc(len);
  if (!f->data)
    return -ENOMEM;
  memcpy(f->data, frame, len);
  f->len = len;
  f->t_ns = info->now_ns;
  snprintf(f->why, sizeof f->why, "%s", info->why);
  n->nq++;
  return 0;
}

static const struct sn_link_ops link_ops = {.tx = link_tx};

/* An ARP packet from the peer: a request for our address, or a reply. */
static void send_arp(struct pd_net *n, uint16_t op) {
  uint8_t f[ETH_HLEN + 28];
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  memcpy(f, op == 1 ? bcast : stack_mac, 6);
  memcpy(f + 6, peer_mac, 6);
  sn_put16(f + 12, 0x0806);
  uint8_t *a = f + ETH_HLEN;
  sn_put16(a, 1);
  sn_put16(a + 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  sn_put16(a + 6, op);
  memcpy(a + 8, peer_mac, 6);
  sn_put32(a + 14, n->remote_ip);
  memcpy(a + 18, op == 1 ? (const uint8_t[6]){0} : stack_mac, 6);
  sn_put32(a + 24, n->local_ip);
  pd_net_input(n, f, sizeof f, op == 1 ? "in: ARP request (the peer introduces itself)"
                                       : "in: ARP reply");
}

/* What follows every injection, poll and socket call: answer ARP, then
 * the runner's hook (which may make socket calls that ask for ARP). */
static void after_step(struct pd_net *n) {
  do {
    if (n->arp_due) {
      n->arp_due = false;
      send_arp(n, 2);
    }
    if (n->hook)
      n->hook(n->hook_ctx);
  } while (n->arp_due);
}

void pd_net_settle(struct pd_net *n) {
  after_step(n);
}

int pd_net_open(struct pd_net *n, const struct sn_config *cfg, uint32_t mtu,
                struct sn_capture *cap, const char *capname) {
  memset(n, 0, sizeof *n);
  n->local_ip = LOCAL_IP;
  n->remote_ip = REMOTE_IP;
  n->cap = cap;
  n->ip_id = 1;
  n->wake_ns = SN_TIME_NEVER;
  if (cap) {
    n->cap_if = sn_capture_add_interface(cap, capname);
    if (n->cap_if < 0)
      return n->cap_if;
  }
  n->st = sn_stack_new("synack", cfg, 1);
  if (!n->st)
    return -ENOMEM;
  struct sn_netif_params p = {.name = "eth0", .mtu = mtu,
                              .link = {.ops = &link_ops, .ctx = n}};
  memcpy(p.mac, stack_mac, 6);
  n->ifi = sn_netif_add(n->st, &p);
  if (n->ifi < 0)
    return n->ifi;
  int rc = sn_netif_add_addr(n->st, n->ifi, n->local_ip, 15);
  if (rc < 0)
    return rc;
  send_arp(n, 1);
  /* The gratuitous ARP and the ARP reply are not the script's business. */
  for (size_t k = 0; k < n->nq; k++)
    free(n->q[k].data);
  n->nq = n->next = 0;
  return 0;
}

void pd_net_close(struct pd_net *n) {
  if (n->st)
    sn_stack_free(n->st);
  for (size_t k = 0; k < n->nq; k++)
    free(n->q[k].data);
  free(n->q);
  memset(n, 0, sizeof *n);
}

void pd_net_input(struct pd_net *n, const uint8_t *frame, size_t len,
                  const char *comment) {
  capture(n, frame, len, n->now, SN_CAP_IN, comment);
  sn_stack_input(n->st, n->ifi, frame, len, n->now);
  after_step(n);
}

size_t pd_net_ip_frame(struct pd_net *n, uint8_t *buf, uint8_t proto, uint8_t tos,
                       uint8_t ttl, const uint8_t *payload, size_t len) {
  memcpy(buf, stack_mac, 6);
  memcpy(buf + 6, peer_mac, 6);
  sn_put16(buf + 12, 0x0800);
  uint8_t *h = buf + ETH_HLEN;
  h[0] = 0x45;
  h[1] = tos;
  sn_put16(h + 2, (uint16_t)(20 + len));
  sn_put16(h + 4, n->ip_id++);
  sn_put16(h + 6, 0x4000); /* DF */
  h[8] = ttl;
  h[9] = proto;
  sn_put16(h + 10, 0);
  sn_put32(h + 12, n->remote_ip);
  sn_put32(h + 16, n->local_ip);
  sn_put16(h + 10, sn_csum_fold(sn_csum_partial(h, 20, 0)));
  memcpy(h + 20, payload, len);
  return ETH_HLEN + 20 + len;
}

bool pd_net_step(struct pd_net *n, uint64_t limit) {
  uint64_t d = sn_stack_next_deadline(n->st);
  if (n->wake_ns > n->now && n->wake_ns < d)
    d = n->wake_ns;
  if (d < n->now)
    d = n->now;
  if (d == n->now && ++n->same_steps > MAX_STEPS_AT_ONE_TIME)
    d = SN_TIME_NEVER;
  if (d != SN_TIME_NEVER && d <= limit) {
    if (d != n->now)
      n->same_steps = 0;
    n->now = d;
    sn_stack_poll(n->st, d);
    after_step(n);
    return d == limit;
  }
  n->same_steps = 0;
  if (limit > n->now)
    n->now = limit;
  sn_stack_poll(n->st, n->now);
  after_step(n);
  return true;
}

void pd_net_advance(struct pd_net *n, uint64_t t) {
  if (t < n->now)
    return;
  while (!pd_net_step(n, t))
    ;
}
