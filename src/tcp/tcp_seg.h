/*
 * tcp_seg.h - TCP segments: the parsed host-order view of a received
 * segment (header and options, RFC 9293 §3.1, RFC 7323, RFC 2018), and the
 * option layouts this stack writes.
 */
#ifndef SN_TCP_SEG_H
#define SN_TCP_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/counters.h"

#define SN_TCP_HLEN 20
#define SN_TCP_MAX_OPTLEN 40

#define SN_TCP_FIN 0x01
#define SN_TCP_SYN 0x02
#define SN_TCP_RST 0x04
#define SN_TCP_PSH 0x08
#define SN_TCP_ACK 0x10
#define SN_TCP_URG 0x20
#define SN_TCP_ECE 0x40
#define SN_TCP_CWR 0x80

#define SN_TCPOPT_EOL 0
#define SN_TCPOPT_NOP 1
#define SN_TCPOPT_MSS 2
#define SN_TCPOPT_WS 3
#define SN_TCPOPT_SACK_OK 4
#define SN_TCPOPT_SACK 5
#define SN_TCPOPT_TS 8

#define SN_TCP_MAX_SACK 4

struct sn_sack_block {
  uint32_t start, end; /* [start, end) */
};

struct sn_tcp_opts {
  bool has_mss, has_ws, sack_ok, has_ts;
  uint16_t mss;
  uint8_t wscale;      /* as received (the stack caps it at 14) */
  uint32_t tsval, tsecr;
  uint8_t nsack;
  struct sn_sack_block sack[SN_TCP_MAX_SACK];
};

struct sn_tcp_seg {
  uint32_t saddr, daddr;  /* IPv4, host order */
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint8_t hlen;           /* header bytes (data offset * 4) */
  uint16_t wnd;           /* as received, unscaled */
  uint16_t urp;           /* urgent pointer (parsed, not acted on) */
  uint8_t ecn;            /* the IP header's ECN field (RFC 3168): 0 not
                             ECT, 1 ECT(1), 2 ECT(0), 3 CE */
  struct sn_tcp_opts opt;
  const uint8_t *data;
  uint32_t len;           /* payload bytes */
};

/* Sequence space the segment occupies: data plus one each for SYN, FIN. */
static inline uint32_t sn_tcp_seg_len(const struct sn_tcp_seg *s) {
  return s->len + !!(s->flags & SN_TCP_SYN) + !!(s->flags & SN_TCP_FIN);
}

/*
 * Parse a TCP segment (the IP payload) from saddr to daddr: length, data
 * offset (5..15 words), checksum with the pseudo-header, and options.
 * Unknown options are skipped; an option whose length byte is below 2 or
 * runs past the header is malformed. Returns SN_DROP_NONE or the reason.
 */
enum sn_drop_reason sn_tcp_parse(const uint8_t *p, size_t len, uint32_t saddr,
                                 uint32_t daddr, struct sn_tcp_seg *out);

/* What a segment's options will carry; fills nothing it does not set. */
struct sn_tcp_optspec {
  bool syn;             /* SYN layout: MSS, SACK-permitted, WS */
  bool mss, sack_ok, ws, ts;
  uint16_t mss_val;
  uint8_t ws_val;
  uint32_t tsval, tsecr;
  uint8_t nsack;
  const struct sn_sack_block *sack;
};

/*
 * Write options in the layout Linux uses (so conformance scripts match
 * byte for byte), padded to a multiple of 4. Returns the bytes written
 * (at most 40). SACK blocks beyond what fits are left out.
 */
size_t sn_tcp_write_options(uint8_t *p, const struct sn_tcp_optspec *o);

/* Bytes sn_tcp_write_options() would write. */
size_t sn_tcp_options_len(const struct sn_tcp_optspec *o);

/* "S.", "P.", "F." ...: the flags as packetdrill and tcpdump print them. */
const char *sn_tcp_flags_str(uint8_t flags, char buf[12]);

#endif
