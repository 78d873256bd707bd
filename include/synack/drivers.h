/*
 * drivers.h - links to real networks: a TAP device and a VXLAN tunnel.
 *
 * A driver carries Ethernet frames between a stack and something outside
 * the process. It has a file descriptor an event loop waits on (see
 * runtime.h), a link (struct sn_link) the stack transmits through, and a
 * receive call that hands every waiting frame to a callback.
 *
 * Transmitted frames are copied into a batch and written when the batch
 * is full or when sn_driver_flush() is called (the event loop flushes
 * before it sleeps), so one wake-up's worth of output leaves in a burst:
 * one sendmmsg(2) for VXLAN, back-to-back write(2)s for TAP. Reads are
 * batched the same way (recvmmsg(2) for VXLAN).
 *
 * A network drops what it cannot carry, and so does a driver: a frame
 * larger than the MTU, or one the kernel refuses (its queue full), is
 * counted in the driver's statistics and lost, and TCP recovers it.
 *
 *   TAP    Linux only (/dev/net/tun, IFF_TAP | IFF_NO_PI). The kernel side
 *          of the device is an ordinary Linux interface; the stack is the
 *          host at the other end of its wire. Opening a name that does not
 *          exist creates the device (it needs CAP_NET_ADMIN, and vanishes
 *          when closed); an existing persistent device is attached to.
 *          The MTU is the device's.
 *   VXLAN  RFC 7348: each frame in one UDP datagram after an 8-byte header
 *          (flags 0x08 = "VNI valid", 24-bit VNI). An ordinary UDP socket,
 *          so no privilege is needed. The peer is a Linux `vxlan`
 *          interface or another synack. Datagrams from hosts other than
 *          the remote, or with another VNI or a bad header, are dropped and
 *          counted.
 */
#ifndef SYNACK_DRIVERS_H
#define SYNACK_DRIVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netif.h"

struct sn_driver;

/* The IANA port for VXLAN (RFC 7348 §5). */
#define SN_VXLAN_PORT 4789
/* Bytes VXLAN adds to a frame on the underlying IPv4 network: outer IPv4
 * (20), UDP (8), VXLAN (8) and the inner Ethernet header (14). */
#define SN_VXLAN_OVERHEAD 50

struct sn_driver_stats {
  uint64_t rx_frames;   /* frames received and handed on */
  uint64_t rx_bytes;    /* their bytes (Ethernet header included) */
  uint64_t rx_batches;  /* receive calls that found at least one frame */
  uint64_t rx_dropped;  /* received but not handed on (VXLAN: bad header,
                           other VNI or sender; TAP: shorter than an
                           Ethernet header) */
  uint64_t tx_frames;   /* frames written */
  uint64_t tx_bytes;
  uint64_t tx_batches;  /* flushes that wrote at least one frame */
  uint64_t tx_dropped;  /* frames lost: too large, or refused by the
                           kernel (e.g. its queue was full) */
};

/* A received frame; valid only during the call. */
typedef void (*sn_frame_fn)(void *ctx, const uint8_t *frame, size_t len);

/*
 * Attach to TAP device ifname (at most 15 characters), creating it if it
 * does not exist. Returns NULL and sets *err: -ENOSYS (not Linux),
 * -EINVAL (bad name), -EPERM or -EACCES (not allowed to open or create
 * it), -EBUSY (another process holds it), -ENOENT (no /dev/net/tun), or
 * another negative errno.
 */
struct sn_driver *sn_tap_open(const char *ifname, int *err);

/* Is the kernel side of the TAP device up? (false if not a TAP driver) */
bool sn_tap_kernel_up(const struct sn_driver *d);

/*
 * Wait (sleeping, at most timeout_ns) until the kernel has noticed that
 * the device has a carrier (IFF_RUNNING). Attaching gives the device its
 * carrier, but Linux takes up to a second to start sending through it, and
 * until then what it sends (the answer to the first ARP request, say) is
 * lost. Returns 0, -ENETDOWN (the kernel side is down), -ETIMEDOUT, or
 * -EINVAL (not a TAP driver).
 */
int sn_tap_wait_running(const struct sn_driver *d, int64_t timeout_ns);

struct sn_vxlan_params {
  uint32_t local_addr;  /* address to bind, host order (0: any) */
  uint16_t local_port;  /* UDP port to bind (0: SN_VXLAN_PORT) */
  uint32_t remote_addr; /* the peer tunnel endpoint, host order */
  uint16_t remote_port; /* its UDP port (0: SN_VXLAN_PORT) */
  uint32_t vni;         /* VXLAN network identifier, 0 .. 2^24 - 1 */
  uint32_t mtu;         /* IP MTU inside the tunnel; 0: the path MTU to
                           the remote less SN_VXLAN_OVERHEAD */
};

/*
 * Open a VXLAN tunnel endpoint. Returns NULL and sets *err: -EINVAL (VNI
 * out of range, no remote, MTU out of 68..65535 or too large for a
 * datagram), -EADDRINUSE, -EADDRNOTAVAIL, or another negative errno.
 */
struct sn_driver *sn_vxlan_open(const struct sn_vxlan_params *p, int *err);

/* A name for messages: "tap0", "vxlan 42 198.19.0.2:4789". */
const char *sn_driver_name(const struct sn_driver *d);

/* The descriptor to wait on for readability. */
int sn_driver_fd(const struct sn_driver *d);

/* The largest IP packet the link carries. */
uint32_t sn_driver_mtu(const struct sn_driver *d);

/* The link to give the stack's interface: its tx queues the frame in the
 * current batch (writing the batch first if it is full). */
struct sn_link sn_driver_link(struct sn_driver *d);

/*
 * Receive up to max frames that are already waiting, calling fn for each.
 * Returns the number of frames read (0: none was waiting; frames dropped
 * are counted, not returned) or a negative errno.
 */
int sn_driver_recv(struct sn_driver *d, unsigned max, sn_frame_fn fn,
                   void *ctx);

/* Write the frames queued since the last flush. Returns 0, or the first
 * negative errno the kernel gave (the frames it refused are dropped). */
int sn_driver_flush(struct sn_driver *d);

struct sn_driver_stats sn_driver_stats(const struct sn_driver *d);

/* Flush, close the descriptor and free the driver (NULL is ignored). */
void sn_driver_close(struct sn_driver *d);

#endif
