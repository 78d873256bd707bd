/*
 * driver.h (internal) - what every real driver shares: its name, file
 * descriptor and MTU, the transmit batch, statistics, and the two
 * operations each kind of driver implements (tap.c, vxlan.c).
 *
 * The transmit batch is an array of slots, each with `headroom` bytes in
 * front of the frame for the driver's own header (VXLAN's 8 bytes), so a
 * flush writes every queued frame without copying it again.
 */
#ifndef SN_LINK_DRIVER_H
#define SN_LINK_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "synack/drivers.h"

#define SN_DRV_BATCH 64   /* frames per transmit batch and per read */
#define SN_DRV_ETH_HLEN 14

struct sn_driver_ops {
  /* Read up to max waiting frames into the driver's receive buffers and
   * call fn for each; return the frames read or a negative errno. */
  int (*recv)(struct sn_driver *d, unsigned max, sn_frame_fn fn, void *ctx);
  /* Write the n queued slots and add the bytes the kernel took to
   * stats.tx_bytes; return how many frames it took (the rest are
   * dropped) or a negative errno (all dropped). */
  int (*send)(struct sn_driver *d, unsigned n);
  /* Release what the driver added (the descriptor is closed for it). */
  void (*destroy)(struct sn_driver *d);
};

struct sn_driver {
  const struct sn_driver_ops *ops;
  char name[64];
  int fd;
  uint32_t mtu;              /* IP MTU */
  size_t headroom;           /* bytes before each frame in a slot */
  size_t slot_size;          /* headroom + Ethernet header + MTU */
  uint8_t *slots;            /* SN_DRV_BATCH slots of slot_size bytes */
  size_t txlen[SN_DRV_BATCH];/* frame length in each queued slot */
  unsigned txn;              /* slots queued */
  int flushing;              /* inside a flush (no re-entry) */
  struct sn_driver_stats stats;
};

/* Fill the common part; allocates the transmit slots. Returns 0 or
 * -ENOMEM. */
int sn_driver_init(struct sn_driver *d, const struct sn_driver_ops *ops,
                   int fd, uint32_t mtu, size_t headroom);

/* The start of slot i (its headroom), and of the frame in it. */
static inline uint8_t *sn_driver_slot(struct sn_driver *d, unsigned i) {
  return d->slots + (size_t)i * d->slot_size;
}
static inline uint8_t *sn_driver_slot_frame(struct sn_driver *d, unsigned i) {
  return sn_driver_slot(d, i) + d->headroom;
}

#endif
