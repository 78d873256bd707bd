/*
 * eth.c - Ethernet II input and output.
 *
 * Input accepts frames to the interface's MAC or to broadcast and passes
 * ARP and IPv4 on; everything else is dropped with a reason. Output
 * prepends the header and hands the frame to the link, which copies it.
 */
#include "net/eth.h"

#include <string.h>

#include "net/arp.h"
#include "net/ipv4.h"
#include "net/stack.h"
#include "net/wire.h"

const uint8_t sn_eth_broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void sn_eth_input(struct sn_stack *st, int ifindex, const uint8_t *frame,
                  size_t len) {
  struct sn_netif *nif = &st->netifs[ifindex];
  struct sn_eth eth;
  sn_count(st, SN_CTR_EthInFrames);
  SN_TRACE(st, eth, "rx", SN_TF_S("dev", nif->name), SN_TF_U("len", len));
  enum sn_drop_reason r = sn_eth_parse(frame, len, &eth);
  if (r != SN_DROP_NONE) {
    sn_drop(st, r, "eth", len);
    return;
  }
  if (memcmp(eth.dst, nif->mac, 6) != 0 && !sn_mac_is_broadcast(eth.dst)) {
    sn_drop(st, SN_DROP_ETH_NOT_FOR_US, "eth", len);
    return;
  }
  switch (eth.type) {
  case SN_ETHERTYPE_ARP:
    sn_arp_input(st, ifindex, &eth);
    break;
  case SN_ETHERTYPE_IPV4:
    sn_ip_input(st, ifindex, eth.payload, eth.payload_len);
    break;
  default:
    sn_drop(st, SN_DROP_ETH_UNKNOWN_TYPE, "eth", len);
  }
}

void sn_eth_output(struct sn_stack *st, int ifindex, const uint8_t dst[6],
                   uint16_t type, struct sn_pbuf *p) {
  struct sn_netif *nif = &st->netifs[ifindex];
  if (st->dying) {
    sn_pbuf_free(&st->pool, p);
    return;
  }
  uint8_t *h = sn_pbuf_push(p, SN_ETH_HLEN);
  memcpy(h, dst, 6);
  memcpy(h + 6, nif->mac, 6);
  h[12] = (uint8_t)(type >> 8);
  h[13] = (uint8_t)type;
  struct sn_tx_info info = {.now_ns = st->now, .why = p->why ? p->why : ""};
  SN_TRACE(st, eth, "tx", SN_TF_S("dev", nif->name), SN_TF_U("len", p->len),
           SN_TF_S("why", info.why));
  sn_count(st, SN_CTR_EthOutFrames);
  if (sn_link_tx(&nif->link, p->data, p->len, &info) != 0) {
    sn_count(st, SN_CTR_SnLinkTxErrors);
    sn_drop(st, SN_DROP_LINK_TX_FAILED, "eth", p->len);
  }
  sn_pbuf_free(&st->pool, p);
}
