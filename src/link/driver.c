/*
 * driver.c - the part of every real driver that does not depend on the
 * kind: the transmit batch behind the link's tx, flushing, receiving,
 * statistics and closing (see synack/drivers.h).
 */
#include "link/driver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sn_driver_init(struct sn_driver *d, const struct sn_driver_ops *ops,
                   int fd, uint32_t mtu, size_t headroom) {
  d->ops = ops;
  d->fd = fd;
  d->mtu = mtu;
  d->headroom = headroom;
  /* Slots start on 64-byte boundaries. */
  d->slot_size = (headroom + SN_DRV_ETH_HLEN + mtu + 63) & ~(size_t)63;
  d->slots = malloc(d->slot_size * SN_DRV_BATCH);
  return d->slots ? 0 : -ENOMEM;
}

int sn_driver_flush(struct sn_driver *d) {
  if (!d || d->txn == 0 || d->flushing)
    return 0;
  d->flushing = 1;
  unsigned n = d->txn;
  int r = d->ops->send(d, n);
  unsigned sent = r > 0 ? (unsigned)r : 0;
  d->stats.tx_frames += sent;
  d->stats.tx_dropped += n - sent;
  if (sent)
    d->stats.tx_batches++;
  d->txn = 0;
  d->flushing = 0;
  return r < 0 ? r : 0;
}

static int driver_tx(void *ctx, const uint8_t *frame, size_t len,
                     const struct sn_tx_info *info) {
  struct sn_driver *d = ctx;
  (void)info;
  if (len < SN_DRV_ETH_HLEN || len > SN_DRV_ETH_HLEN + (size_t)d->mtu) {
    d->stats.tx_dropped++;
    return -EMSGSIZE;
  }
  if (d->txn == SN_DRV_BATCH)
    sn_driver_flush(d);
  memcpy(sn_driver_slot_frame(d, d->txn), frame, len);
  d->txlen[d->txn++] = len;
  return 0;
}

static const struct sn_link_ops driver_link_ops = {.tx = driver_tx};

struct sn_link sn_driver_link(struct sn_driver *d) {
  return (struct sn_link){.ops = &driver_link_ops, .ctx = d};
}

int sn_driver_recv(struct sn_driver *d, unsigned max, sn_frame_fn fn,
                   void *ctx) {
  if (max == 0)
    return 0;
  int n = d->ops->recv(d, max, fn, ctx);
  if (n > 0)
    d->stats.rx_batches++;
  return n;
}

const char *sn_driver_name(const struct sn_driver *d) { return d->name; }
int sn_driver_fd(const struct sn_driver *d) { return d->fd; }
uint32_t sn_driver_mtu(const struct sn_driver *d) { return d->mtu; }

struct sn_driver_stats sn_driver_stats(const struct sn_driver *d) {
  return d->stats;
}

void sn_driver_close(struct sn_driver *d) {
  if (!d)
    return;
  sn_driver_flush(d);
  if (d->fd >= 0)
    close(d->fd);
  free(d->slots);
  d->ops->destroy(d);
}
