/*
 * vxlan.c - the VXLAN driver: Ethernet frames in UDP datagrams (RFC 7348).
 *
 * RFC 7348 §5: each frame travels in one UDP datagram after an 8-byte
 * header,
 *
 *    0                   1                   2                   3
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *
 * where I (0x08) says the VNI is valid and must be set; the reserved bits
 * are sent as zero and ignored on receipt. The destination port is 4789
 * by default; the source port may be anything (Linux picks one per flow),
 * so datagrams are accepted from any port of the remote address. The
 * outer IPv4 and UDP headers are the kernel's: this is an ordinary UDP
 * socket and needs no privilege.
 *
 * Frames queue in the driver's transmit batch with 8 bytes of headroom,
 * where the header is written at flush time; one sendmmsg(2) sends the
 * batch, one recvmmsg(2) reads up to a batch (Linux; elsewhere one
 * datagram per call).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <fcntl.h>

#include "base/util.h"
#include "link/driver.h"
#include "synack/drivers.h"

#define VXLAN_HLEN 8
#define VXLAN_FLAG_I 0x08
#define VXLAN_VNI_MAX 0xffffffu
#define SOCKBUF (8 << 20)    /* socket buffers asked for, bytes */
/* The largest inner MTU whose datagram fits an IPv4 packet. */
#define MAX_MTU (65535 - 20 - 8 - VXLAN_HLEN - SN_DRV_ETH_HLEN)

struct vxlan {
  struct sn_driver d;        /* first: the driver's common part */
  uint32_t vni;
  struct sockaddr_in remote;
  size_t rx_size;            /* bytes per receive buffer */
  uint8_t *rx;               /* SN_DRV_BATCH receive buffers */
#if defined(__linux__)
  /* Separate for each direction: frames received may make the stack send
   * a full batch (and flush it) before the receive batch is consumed. */
  struct mmsghdr rx_msgs[SN_DRV_BATCH], tx_msgs[SN_DRV_BATCH];
  struct iovec rx_iov[SN_DRV_BATCH], tx_iov[SN_DRV_BATCH];
  struct sockaddr_in from[SN_DRV_BATCH];
#endif
};

/* A received datagram: hand its frame on if it is ours. */
static void accept_datagram(struct vxlan *v, const uint8_t *p, size_t len,
                            const struct sockaddr_in *from, sn_frame_fn fn,
                            void *ctx) {
  struct sn_driver *d = &v->d;
  if (from->sin_addr.s_addr != v->remote.sin_addr.s_addr ||
      len < VXLAN_HLEN + SN_DRV_ETH_HLEN || len > v->rx_size ||
      !(p[0] & VXLAN_FLAG_I) || (sn_get32(p + 4) >> 8) != v->vni) {
    d->stats.rx_dropped++;
    return;
  }
  d->stats.rx_frames++;
  d->stats.rx_bytes += len - VXLAN_HLEN;
  fn(ctx, p + VXLAN_HLEN, len - VXLAN_HLEN);
}

static void put_header(struct vxlan *v, uint8_t *h) {
  memset(h, 0, VXLAN_HLEN);
  h[0] = VXLAN_FLAG_I;
  sn_put32(h + 4, v->vni << 8);
}

#if defined(__linux__)

static int vxlan_recv(struct sn_driver *d, unsigned max, sn_frame_fn fn,
                      void *ctx) {
  struct vxlan *v = (struct vxlan *)d;
  unsigned want = SN_MIN(max, (unsigned)SN_DRV_BATCH);
  for (unsigned i = 0; i < want; i++) {
    v->rx_iov[i] = (struct iovec){.iov_base = v->rx + i * v->rx_size,
                               .iov_len = v->rx_size};
    memset(&v->rx_msgs[i], 0, sizeof v->rx_msgs[i]);
    v->rx_msgs[i].msg_hdr.msg_iov = &v->rx_iov[i];
    v->rx_msgs[i].msg_hdr.msg_iovlen = 1;
    v->rx_msgs[i].msg_hdr.msg_name = &v->from[i];
    v->rx_msgs[i].msg_hdr.msg_namelen = sizeof v->from[i];
  }
  int n;
  do
    n = recvmmsg(d->fd, v->rx_msgs, want, MSG_DONTWAIT, NULL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
  for (int i = 0; i < n; i++) {
    size_t len = v->rx_msgs[i].msg_len;
    if (v->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
      len = v->rx_size + 1; /* too large: dropped */
    accept_datagram(v, v->rx_iov[i].iov_base, len, &v->from[i], fn, ctx);
  }
  return n;
}

static int vxlan_send(struct sn_driver *d, unsigned n) {
  struct vxlan *v = (struct vxlan *)d;
  for (unsigned i = 0; i < n; i++) {
    uint8_t *slot = sn_driver_slot(d, i);
    put_header(v, slot);
    v->tx_iov[i] = (struct iovec){.iov_base = slot,
                               .iov_len = VXLAN_HLEN + d->txlen[i]};
    memset(&v->tx_msgs[i], 0, sizeof v->tx_msgs[i]);
    v->tx_msgs[i].msg_hdr.msg_iov = &v->tx_iov[i];
    v->tx_msgs[i].msg_hdr.msg_iovlen = 1;
    v->tx_msgs[i].msg_hdr.msg_name = &v->remote;
    v->tx_msgs[i].msg_hdr.msg_namelen = sizeof v->remote;
  }
  unsigned done = 0;
  int err = 0;
  while (done < n) {
    int r = sendmmsg(d->fd, v->tx_msgs + done, n - done, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      if (!err)
        err = -errno;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
        break; /* the socket is full: the rest are lost */
      /* The kernel refused the first of the rest: drop it, go on. */
      memmove(&v->tx_msgs[done], &v->tx_msgs[done + 1],
              (n - done - 1) * sizeof v->tx_msgs[0]);
      n--;
      continue;
    }
    for (int i = 0; i < r; i++)
      d->stats.tx_bytes += v->tx_msgs[done + (unsigned)i].msg_len - VXLAN_HLEN;
    done += (unsigned)r;
  }
  return done || !err ? (int)done : err;
}

#else /* one datagram per system call */

static int vxlan_recv(struct sn_driver *d, unsigned max, sn_frame_fn fn,
                      void *ctx) {
  struct vxlan *v = (struct vxlan *)d;
  unsigned n = 0;
  while (n < max) {
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t r = recvfrom(d->fd, v->rx, v->rx_size + 1, MSG_DONTWAIT,
                         (struct sockaddr *)&from, &fl);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || n > 0)
        break;
      return -errno;
    }
    n++;
    accept_datagram(v, v->rx, (size_t)r, &from, fn, ctx);
  }
  return (int)n;
}

static int vxlan_send(struct sn_driver *d, unsigned n) {
  struct vxlan *v = (struct vxlan *)d;
  unsigned sent = 0;
  int err = 0;
  for (unsigned i = 0; i < n; i++) {
    uint8_t *slot = sn_driver_slot(d, i);
    put_header(v, slot);
    ssize_t w = sendto(d->fd, slot, VXLAN_HLEN + d->txlen[i], 0,
                       (const struct sockaddr *)&v->remote, sizeof v->remote);
    if (w < 0) {
      if (!err)
        err = -errno;
      continue;
    }
    sent++;
    d->stats.tx_bytes += d->txlen[i];
  }
  return sent || !err ? (int)sent : err;
}

#endif

static void vxlan_destroy(struct sn_driver *d) {
  struct vxlan *v = (struct vxlan *)d;
  free(v->rx);
  free(v);
}

static const struct sn_driver_ops vxlan_ops = {
    .recv = vxlan_recv, .send = vxlan_send, .destroy = vxlan_destroy};

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(addr);
  a.sin_port = htons(port);
  return a;
}

/* The IP MTU inside the tunnel: the path MTU to the remote (Linux tells
 * it for a connected socket) less the encapsulation; 1450 if unknown. */
static uint32_t tunnel_mtu(const struct sockaddr_in *remote) {
  uint32_t mtu = 1500 - SN_VXLAN_OVERHEAD;
#if defined(__linux__) && defined(IP_MTU)
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    int pmtu = 0;
    socklen_t l = sizeof pmtu;
    if (connect(s, (const struct sockaddr *)remote, sizeof *remote) == 0 &&
        getsockopt(s, IPPROTO_IP, IP_MTU, &pmtu, &l) == 0 &&
        pmtu > SN_VXLAN_OVERHEAD + 68)
      mtu = (uint32_t)pmtu - SN_VXLAN_OVERHEAD;
    if (mtu > MAX_MTU)
      mtu = MAX_MTU;
    close(s);
  }
#else
  (void)remote;
#endif
  return mtu;
}

static void set_buffers(int fd) {
  int size = SOCKBUF;
#if defined(__linux__)
  /* Beyond rmem_max/wmem_max when allowed (CAP_NET_ADMIN). */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
#endif
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
#if defined(__linux__)
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
#endif
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

static struct sn_driver *fail(int *err, int e, int fd) {
  if (fd >= 0)
    close(fd);
  if (err)
    *err = e;
  return NULL;
}

struct sn_driver *sn_vxlan_open(const struct sn_vxlan_params *p, int *err) {
  if (!p || p->vni > VXLAN_VNI_MAX || p->remote_addr == 0)
    return fail(err, -EINVAL, -1);
  struct sockaddr_in local = sin_of(p->local_addr,
                                    p->local_port ? p->local_port : SN_VXLAN_PORT);
  struct sockaddr_in remote = sin_of(
      p->remote_addr, p->remote_port ? p->remote_port : SN_VXLAN_PORT);
  uint32_t mtu = p->mtu ? p->mtu : tunnel_mtu(&remote);
  if (mtu < 68 || mtu > MAX_MTU)
    return fail(err, -EINVAL, -1);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0)
    return fail(err, -errno, -1);
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
    return fail(err, -errno, fd);
  if (bind(fd, (const struct sockaddr *)&local, sizeof local) < 0)
    return fail(err, -errno, fd);
  set_buffers(fd);
#if defined(__linux__) && defined(IP_MTU_DISCOVER)
  /* A tunnel MTU larger than the path is allowed: let the kernel fragment
   * the outer datagrams. */
  if (p->mtu) {
    int pmtud = IP_PMTUDISC_DONT;
    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtud, sizeof pmtud);
  }
#endif
  struct vxlan *v = calloc(1, sizeof *v);
  if (!v)
    return fail(err, -ENOMEM, fd);
  v->vni = p->vni;
  v->remote = remote;
  v->rx_size = VXLAN_HLEN + SN_DRV_ETH_HLEN + mtu;
  v->rx = malloc(v->rx_size * SN_DRV_BATCH + 1);
  if (!v->rx || sn_driver_init(&v->d, &vxlan_ops, fd, mtu, VXLAN_HLEN) != 0) {
    free(v->rx);
    free(v->d.slots);
    free(v);
    return fail(err, -ENOMEM, fd);
  }
  char la[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &local.sin_addr, la, sizeof la);
  snprintf(v->d.name, sizeof v->d.name, "vxlan %u %s:%u", p->vni, la,
           ntohs(local.sin_port));
  if (err)
    *err = 0;
  return &v->d;
}
