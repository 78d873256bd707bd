/*
 * capture.h - pcap and pcapng writers, and a capture tee for any link.
 *
 * pcap files use nanosecond timestamps (magic 0xa1b23c4d). pcapng files
 * carry, on each packet, a comment saying why the frame was sent or
 * dropped, and its direction; Wireshark shows both.
 */
#ifndef SYNACK_CAPTURE_H
#define SYNACK_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "netif.h"

enum sn_capture_format { SN_CAPTURE_PCAP = 0, SN_CAPTURE_PCAPNG = 1 };

/* Direction of a captured frame relative to the capturing interface. */
enum sn_capture_dir { SN_CAP_UNKNOWN = 0, SN_CAP_IN = 1, SN_CAP_OUT = 2 };

struct sn_capture;

/*
 * Open path for writing. SN_CAPTURE_PCAPNG, or PCAP; see also
 * sn_capture_format_for(). Returns NULL and sets *err (negative errno) on
 * failure.
 */
struct sn_capture *sn_capture_open(const char *path,
                                   enum sn_capture_format fmt, int *err);

/* pcapng if path ends in ".pcapng", pcap otherwise. */
enum sn_capture_format sn_capture_format_for(const char *path);

/*
 * Declare an interface (pcapng: an Interface Description Block) and return
 * its id for sn_capture_write(). pcap files have one interface; every call
 * then returns 0. Returns a negative errno on write failure.
 */
int sn_capture_add_interface(struct sn_capture *cap, const char *name);

/*
 * Write one Ethernet frame seen at ts_ns on interface iface; comment may be
 * NULL (pcap drops it). Returns 0 or a negative errno. Frames are cut at
 * 65535 bytes of capture.
 */
int sn_capture_write(struct sn_capture *cap, int iface, uint64_t ts_ns,
                     const uint8_t *frame, size_t len,
                     enum sn_capture_dir dir, const char *comment);

/* Flush buffered output; returns 0 or a negative errno. */
int sn_capture_flush(struct sn_capture *cap);

/* Flush and close; returns 0 or the first error seen. */
int sn_capture_close(struct sn_capture *cap);

/*
 * A tee: a link that writes each transmitted frame (commented with its
 * reason) to cap and passes it on to inner. Fill it with
 * sn_capture_tee_init() and use sn_capture_tee_link() as the netif's link.
 * Frames received on the interface are recorded with
 * sn_capture_tee_input() by whoever feeds them to the stack.
 */
struct sn_capture_tee {
  struct sn_link inner;
  struct sn_capture *cap;
  int iface;
};
int sn_capture_tee_init(struct sn_capture_tee *tee, struct sn_capture *cap,
                        const char *ifname, struct sn_link inner);
struct sn_link sn_capture_tee_link(struct sn_capture_tee *tee);
void sn_capture_tee_input(struct sn_capture_tee *tee, uint64_t ts_ns,
                          const uint8_t *frame, size_t len);

#endif
