/*
 * tap.c - the TAP driver: Ethernet frames through a Linux TAP device.
 *
 * /dev/net/tun with IFF_TAP | IFF_NO_PI: each read(2) returns one frame
 * the kernel sent out of the device, each write(2) injects one frame as if
 * it had arrived on the device's wire. The descriptor is non-blocking; a
 * receive call reads until the device is empty or the batch is full, and
 * a flush writes every queued frame back to back. Without IFF_VNET_HDR
 * the kernel hands over only complete, checksummed frames no larger than
 * the device's MTU, which is the MTU this driver reports.
 *
 * Everything here is Linux; elsewhere sn_tap_open() fails with -ENOSYS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link/driver.h"
#include "synack/drivers.h"

#if defined(__linux__)

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TAP_RXBUF (SN_DRV_ETH_HLEN + 65535 + 4)

struct tap {
  struct sn_driver d;   /* first: the driver's common part */
  uint8_t *rxbuf;       /* one frame as read */
};

static int tap_recv(struct sn_driver *d, unsigned max, sn_frame_fn fn,
                    void *ctx) {
  struct tap *t = (struct tap *)d;
  unsigned n = 0;
  while (n < max) {
    ssize_t r = read(d->fd, t->rxbuf, TAP_RXBUF);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || n > 0)
        break;
      return -errno;
    }
    n++;
    if (r < SN_DRV_ETH_HLEN) {
      d->stats.rx_dropped++;
      continue;
    }
    d->stats.rx_frames++;
    d->stats.rx_bytes += (uint64_t)r;
    fn(ctx, t->rxbuf, (size_t)r);
  }
  return (int)n;
}

static int tap_send(struct sn_driver *d, unsigned n) {
  unsigned sent = 0;
  int err = 0;
  for (unsigned i = 0; i < n; i++) {
    ssize_t w;
    do
      w = write(d->fd, sn_driver_slot_frame(d, i), d->txlen[i]);
    while (w < 0 && errno == EINTR);
    if (w < 0) {
      if (!err)
        err = -errno;
      continue; /* this frame is lost; try the others */
    }
    sent++;
    d->stats.tx_bytes += d->txlen[i];
  }
  return sent || !err ? (int)sent : err;
}

static void tap_destroy(struct sn_driver *d) {
  struct tap *t = (struct tap *)d;
  free(t->rxbuf);
  free(t);
}

static const struct sn_driver_ops tap_ops = {
    .recv = tap_recv, .send = tap_send, .destroy = tap_destroy};

/* Put an interface name (cut to IFNAMSIZ - 1 characters) into ifr. */
static void set_name(struct ifreq *ifr, const char *name) {
  size_t n = strnlen(name, IFNAMSIZ - 1);
  memcpy(ifr->ifr_name, name, n);
  ifr->ifr_name[n] = 0;
}

/* An ioctl on the interface through a throwaway socket. */
static int if_ioctl(const char *name, unsigned long req, struct ifreq *ifr) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return -errno;
  memset(ifr, 0, sizeof *ifr);
  set_name(ifr, name);
  int r = ioctl(s, req, ifr) < 0 ? -errno : 0;
  close(s);
  return r;
}

static struct sn_driver *fail(int *err, int e) {
  if (err)
    *err = e;
  return NULL;
}

struct sn_driver *sn_tap_open(const char *ifname, int *err) {
  if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
    return fail(err, -EINVAL);
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return fail(err, -errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  set_name(&ifr, ifname);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = -errno;
    close(fd);
    return fail(err, e);
  }
  struct ifreq q;
  int e = if_ioctl(ifr.ifr_name, SIOCGIFMTU, &q);
  if (e) {
    close(fd);
    return fail(err, e);
  }
  uint32_t mtu = q.ifr_mtu < 68 ? 68 : q.ifr_mtu > 65535 ? 65535
                                                          : (uint32_t)q.ifr_mtu;
  struct tap *t = calloc(1, sizeof *t);
  if (!t || !(t->rxbuf = malloc(TAP_RXBUF)) ||
      sn_driver_init(&t->d, &tap_ops, fd, mtu, 0) != 0) {
    if (t) {
      free(t->rxbuf);
      free(t->d.slots);
    }
    free(t);
    close(fd);
    return fail(err, -ENOMEM);
  }
  snprintf(t->d.name, sizeof t->d.name, "%s", ifr.ifr_name);
  if (err)
    *err = 0;
  return &t->d;
}

bool sn_tap_kernel_up(const struct sn_driver *d) {
  struct ifreq ifr;
  if (!d || d->ops != &tap_ops || if_ioctl(d->name, SIOCGIFFLAGS, &ifr) != 0)
    return false;
  return (ifr.ifr_flags & IFF_UP) != 0;
}

int sn_tap_wait_running(const struct sn_driver *d, int64_t timeout_ns) {
  struct ifreq ifr;
  if (!d || d->ops != &tap_ops)
    return -EINVAL;
  for (int64_t waited = 0;; waited += 10000000) {
    int e = if_ioctl(d->name, SIOCGIFFLAGS, &ifr);
    if (e)
      return e;
    if (!(ifr.ifr_flags & IFF_UP))
      return -ENETDOWN;
    if (ifr.ifr_flags & IFF_RUNNING)
      return 0;
    if (waited >= timeout_ns)
      return -ETIMEDOUT;
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
}

#else /* not Linux: no TAP devices */

struct sn_driver *sn_tap_open(const char *ifname, int *err) {
  (void)ifname;
  if (err)
    *err = -ENOSYS;
  return NULL;
}

bool sn_tap_kernel_up(const struct sn_driver *d) {
  (void)d;
  return false;
}

int sn_tap_wait_running(const struct sn_driver *d, int64_t timeout_ns) {
  (void)d, (void)timeout_ns;
  return -ENOSYS;
}

#endif
