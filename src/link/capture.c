/*
 * capture.c - pcap and pcapng writers, and a capture tee for any link.
 *
 * Formats, written from their specifications:
 *   pcap    the classic libpcap file format (draft-ietf-opsawg-pcap):
 *           a 24-byte file header with magic 0xa1b23c4d (nanosecond
 *           timestamps), version 2.4, snaplen 65535, link type 1
 *           (LINKTYPE_ETHERNET); then per packet a 16-byte record header
 *           (seconds, nanoseconds, captured length, original length).
 *   pcapng  draft-ietf-opsawg-pcapng: a Section Header Block, one
 *           Interface Description Block per interface (if_name, and
 *           if_tsresol = 9: nanoseconds), and one Enhanced Packet Block per
 *           frame with opt_comment (why it was sent or dropped) and
 *           epb_flags (bits 0-1: direction, 01 inbound, 10 outbound).
 *           Every block and option is padded to 32 bits; a block's total
 *           length is written at both its ends; option lists end with
 *           opt_endofopt.
 *
 * Everything is written little-endian (both formats record the writer's
 * byte order in their magic numbers), so the same frames give the same file
 * bytes on every machine. Output is buffered through stdio; the first write
 * error is kept and returned by later calls and by sn_capture_close().
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/capture.h"
#include "synack/synack.h"

#define PCAP_MAGIC_NS 0xa1b23c4du
#define SNAPLEN 65535u
#define LINKTYPE_ETHERNET 1u

#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1a2b3c4du
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2
#define OPT_MAX_LEN 65532u /* longest option value kept, a multiple of 4 */

struct sn_capture {
  FILE *f;
  enum sn_capture_format fmt;
  int err;      /* first error (negative errno), or 0 */
  int nifaces;  /* pcapng interfaces declared */
};

/* Little-endian stores into a block being built. */
static uint8_t *put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
  return p + 4;
}
static uint8_t *put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  return p + 2;
}

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* Write n bytes, remembering the first failure. */
static void out(struct sn_capture *c, const void *p, size_t n) {
  if (c->err || n == 0)
    return;
  errno = 0;
  if (fwrite(p, 1, n, c->f) != n)
    c->err = errno ? -errno : -EIO;
}

static void out_zeros(struct sn_capture *c, size_t n) {
  static const uint8_t zeros[4];
  out(c, zeros, n);
}

/* One option: code, length, value, padding. Returns the bytes it takes. */
static size_t opt_size(size_t len) { return 4 + pad4(len); }
static void out_opt(struct sn_capture *c, uint16_t code, const void *v,
                    size_t len) {
  uint8_t h[4];
  put16(put16(h, code), (uint16_t)len);
  out(c, h, 4);
  out(c, v, len);
  out_zeros(c, pad4(len) - len);
}
static void out_endofopt(struct sn_capture *c) {
  out_opt(c, OPT_ENDOFOPT, "", 0);
}

static void out_u32(struct sn_capture *c, uint32_t v) {
  uint8_t b[4];
  put32(b, v);
  out(c, b, 4);
}

/* Headers ----------------------------------------------------------------- */

static void write_pcap_header(struct sn_capture *c) {
  uint8_t h[24], *p = h;
  p = put32(p, PCAP_MAGIC_NS);
  p = put16(p, 2);
  p = put16(p, 4);
  p = put32(p, 0); /* thiszone: timestamps are UTC */
  p = put32(p, 0); /* sigfigs */
  p = put32(p, SNAPLEN);
  put32(p, LINKTYPE_ETHERNET);
  out(c, h, sizeof h);
}

static void write_shb(struct sn_capture *c) {
  char appl[48];
  snprintf(appl, sizeof appl, "synack %s", sn_version());
  size_t alen = strlen(appl);
  uint32_t total = (uint32_t)(28 + opt_size(alen) + opt_size(0));
  uint8_t h[24], *p = h;
  p = put32(p, PCAPNG_SHB);
  p = put32(p, total);
  p = put32(p, PCAPNG_BYTE_ORDER_MAGIC);
  p = put16(p, 1); /* major version */
  p = put16(p, 0); /* minor version */
  p = put32(p, 0xffffffffu); /* section length -1: not given */
  put32(p, 0xffffffffu);
  out(c, h, sizeof h);
  out_opt(c, OPT_SHB_USERAPPL, appl, alen);
  out_endofopt(c);
  out_u32(c, total);
}

static enum sn_capture_format fmt_checked(enum sn_capture_format fmt) {
  return fmt == SN_CAPTURE_PCAPNG ? SN_CAPTURE_PCAPNG : SN_CAPTURE_PCAP;
}

struct sn_capture *sn_capture_open(const char *path,
                                   enum sn_capture_format fmt, int *err) {
  struct sn_capture *c = calloc(1, sizeof *c);
  if (!c) {
    if (err)
      *err = -ENOMEM;
    return NULL;
  }
  c->fmt = fmt_checked(fmt);
  c->f = path ? fopen(path, "wb") : NULL;
  if (!c->f) {
    if (err)
      *err = path ? -errno : -EINVAL;
    free(c);
    return NULL;
  }
  setvbuf(c->f, NULL, _IOFBF, 1 << 16);
  if (c->fmt == SN_CAPTURE_PCAPNG)
    write_shb(c);
  else
    write_pcap_header(c);
  if (c->err) {
    if (err)
      *err = c->err;
    fclose(c->f);
    free(c);
    return NULL;
  }
  if (err)
    *err = 0;
  return c;
}

enum sn_capture_format sn_capture_format_for(const char *path) {
  size_t n = path ? strlen(path) : 0;
  return n >= 7 && strcmp(path + n - 7, ".pcapng") == 0 ? SN_CAPTURE_PCAPNG
                                                         : SN_CAPTURE_PCAP;
}

int sn_capture_add_interface(struct sn_capture *c, const char *name) {
  if (c->fmt == SN_CAPTURE_PCAP)
    return c->err ? c->err : 0;
  if (c->err)
    return c->err;
  size_t nlen = name ? strlen(name) : 0;
  if (nlen > OPT_MAX_LEN)
    nlen = OPT_MAX_LEN;
  uint8_t tsresol = 9; /* 10^-9 s */
  uint32_t total = (uint32_t)(20 + (nlen ? opt_size(nlen) : 0) + opt_size(1) +
                              opt_size(0));
  uint8_t h[16], *p = h;
  p = put32(p, PCAPNG_IDB);
  p = put32(p, total);
  p = put16(p, LINKTYPE_ETHERNET);
  p = put16(p, 0); /* reserved */
  put32(p, SNAPLEN);
  out(c, h, sizeof h);
  if (nlen)
    out_opt(c, OPT_IF_NAME, name, nlen);
  out_opt(c, OPT_IF_TSRESOL, &tsresol, 1);
  out_endofopt(c);
  out_u32(c, total);
  return c->err ? c->err : c->nifaces++;
}

/* Packets ----------------------------------------------------------------- */

static void write_pcap_record(struct sn_capture *c, uint64_t ts_ns,
                              const uint8_t *frame, size_t len) {
  size_t caplen = len < SNAPLEN ? len : SNAPLEN;
  uint8_t h[16], *p = h;
  p = put32(p, (uint32_t)(ts_ns / 1000000000u));
  p = put32(p, (uint32_t)(ts_ns % 1000000000u));
  p = put32(p, (uint32_t)caplen);
  put32(p, (uint32_t)len);
  out(c, h, sizeof h);
  out(c, frame, caplen);
}

static void write_epb(struct sn_capture *c, int iface, uint64_t ts_ns,
                      const uint8_t *frame, size_t len,
                      enum sn_capture_dir dir, const char *comment) {
  size_t caplen = len < SNAPLEN ? len : SNAPLEN;
  size_t clen = comment ? strlen(comment) : 0;
  if (clen > OPT_MAX_LEN)
    clen = OPT_MAX_LEN;
  bool flags = dir == SN_CAP_IN || dir == SN_CAP_OUT;
  size_t opts = (clen ? opt_size(clen) : 0) + (flags ? opt_size(4) : 0);
  if (opts)
    opts += opt_size(0);
  uint32_t total = (uint32_t)(32 + pad4(caplen) + opts);
  uint8_t h[28], *p = h;
  p = put32(p, PCAPNG_EPB);
  p = put32(p, total);
  p = put32(p, (uint32_t)iface);
  p = put32(p, (uint32_t)(ts_ns >> 32));
  p = put32(p, (uint32_t)ts_ns);
  p = put32(p, (uint32_t)caplen);
  put32(p, (uint32_t)len);
  out(c, h, sizeof h);
  out(c, frame, caplen);
  out_zeros(c, pad4(caplen) - caplen);
  if (clen)
    out_opt(c, OPT_COMMENT, comment, clen);
  if (flags) {
    uint8_t v[4];
    put32(v, dir == SN_CAP_IN ? 1u : 2u);
    out_opt(c, OPT_EPB_FLAGS, v, 4);
  }
  if (opts)
    out_endofopt(c);
  out_u32(c, total);
}

int sn_capture_write(struct sn_capture *c, int iface, uint64_t ts_ns,
                     const uint8_t *frame, size_t len,
                     enum sn_capture_dir dir, const char *comment) {
  if (c->err)
    return c->err;
  if (len > UINT32_MAX || (!frame && len))
    return -EINVAL;
  if (c->fmt == SN_CAPTURE_PCAP) {
    if (iface != 0)
      return -EINVAL;
    write_pcap_record(c, ts_ns, frame, len);
  } else {
    if (iface < 0 || iface >= c->nifaces)
      return -EINVAL;
    write_epb(c, iface, ts_ns, frame, len, dir, comment);
  }
  return c->err;
}

int sn_capture_flush(struct sn_capture *c) {
  if (c->err)
    return c->err;
  errno = 0;
  if (fflush(c->f) != 0)
    c->err = errno ? -errno : -EIO;
  return c->err;
}

int sn_capture_close(struct sn_capture *c) {
  if (!c)
    return 0;
  sn_capture_flush(c);
  errno = 0;
  if (fclose(c->f) != 0 && !c->err)
    c->err = errno ? -errno : -EIO;
  int err = c->err;
  free(c);
  return err;
}

/* The tee ----------------------------------------------------------------- */

static int tee_tx(void *ctx, const uint8_t *frame, size_t len,
                  const struct sn_tx_info *info) {
  struct sn_capture_tee *tee = ctx;
  /* A capture failure is kept in the capture; the frame still goes on. */
  sn_capture_write(tee->cap, tee->iface, info->now_ns, frame, len, SN_CAP_OUT,
                   info->why);
  return sn_link_tx(&tee->inner, frame, len, info);
}

static const struct sn_link_ops tee_ops = {.tx = tee_tx};

int sn_capture_tee_init(struct sn_capture_tee *tee, struct sn_capture *cap,
                        const char *ifname, struct sn_link inner) {
  if (!tee || !cap || !inner.ops || !inner.ops->tx)
    return -EINVAL;
  int iface = sn_capture_add_interface(cap, ifname);
  if (iface < 0)
    return iface;
  tee->inner = inner;
  tee->cap = cap;
  tee->iface = iface;
  return 0;
}

struct sn_link sn_capture_tee_link(struct sn_capture_tee *tee) {
  return (struct sn_link){.ops = &tee_ops, .ctx = tee};
}

void sn_capture_tee_input(struct sn_capture_tee *tee, uint64_t ts_ns,
                          const uint8_t *frame, size_t len) {
  sn_capture_write(tee->cap, tee->iface, ts_ns, frame, len, SN_CAP_IN, NULL);
}
