/*
 * tcp_seg.c - parsing TCP headers and options, and writing options in
 * Linux's layout.
 *
 * RFC 9293 §3.1 (header, MSS), RFC 7323 §2-3 (window scale, timestamps),
 * RFC 2018 (SACK). Option order, as Linux writes it:
 *   SYN:  MSS, [SACK-permitted, TS | NOP NOP TS | NOP NOP SACK-permitted],
 *         [NOP WS]
 *   else: [NOP NOP TS], [NOP NOP SACK blocks]
 */
#include "tcp/tcp_seg.h"

#include <string.h>

#include "base/checksum.h"
#include "base/util.h"
#include "net/wire.h"

/* Parse the options area; false if malformed. */
static bool parse_options(const uint8_t *p, size_t n, struct sn_tcp_opts *o) {
  size_t i = 0;
  while (i < n) {
    uint8_t kind = p[i];
    if (kind == SN_TCPOPT_EOL)
      break;
    if (kind == SN_TCPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= n)
      return false;
    uint8_t olen = p[i + 1];
    if (olen < 2 || i + olen > n)
      return false;
    const uint8_t *v = p + i + 2;
    /* A known option with the wrong length is ignored, as Linux does. */
    switch (kind) {
    case SN_TCPOPT_MSS:
      if (olen == 4) {
        o->has_mss = true;
        o->mss = sn_get16(v);
      }
      break;
    case SN_TCPOPT_WS:
      if (olen == 3) {
        o->has_ws = true;
        o->wscale = v[0];
      }
      break;
    case SN_TCPOPT_SACK_OK:
      if (olen == 2)
        o->sack_ok = true;
      break;
    case SN_TCPOPT_TS:
      if (olen == 10) {
        o->has_ts = true;
        o->tsval = sn_get32(v);
        o->tsecr = sn_get32(v + 4);
      }
      break;
    case SN_TCPOPT_SACK:
      if (olen >= 10 && (olen - 2) % 8 == 0) {
        unsigned blocks = (olen - 2u) / 8;
        o->nsack = 0;
        for (unsigned b = 0; b < blocks && b < SN_TCP_MAX_SACK; b++) {
          o->sack[b].start = sn_get32(v + 8 * b);
          o->sack[b].end = sn_get32(v + 8 * b + 4);
          o->nsack++;
        }
      }
      break;
    default:
      break; /* unknown: skipped */
    }
    i += olen;
  }
  return true;
}

enum sn_drop_reason sn_tcp_parse(const uint8_t *p, size_t len, uint32_t saddr,
                                 uint32_t daddr, struct sn_tcp_seg *out) {
  if (len < SN_TCP_HLEN)
    return SN_DROP_TCP_TRUNCATED;
  size_t hlen = (size_t)(p[12] >> 4) * 4;
  if (hlen < SN_TCP_HLEN || hlen > len)
    return SN_DROP_TCP_BAD_OFFSET;
  uint32_t sum = sn_csum_pseudo4(saddr, daddr, SN_IPPROTO_TCP, (uint16_t)len);
  if (sn_csum_fold(sn_csum_partial(p, len, sum)) != 0)
    return SN_DROP_TCP_BAD_CHECKSUM;
  memset(&out->opt, 0, sizeof out->opt);
  if (!parse_options(p + SN_TCP_HLEN, hlen - SN_TCP_HLEN, &out->opt))
    return SN_DROP_TCP_BAD_OPTION;
  out->saddr = saddr;
  out->daddr = daddr;
  out->sport = sn_get16(p);
  out->dport = sn_get16(p + 2);
  out->seq = sn_get32(p + 4);
  out->ack = sn_get32(p + 8);
  out->hlen = (uint8_t)hlen;
  out->flags = p[13];
  out->wnd = sn_get16(p + 14);
  out->urp = sn_get16(p + 18);
  out->data = p + hlen;
  out->len = (uint32_t)(len - hlen);
  return SN_DROP_NONE;
}

static uint8_t *put_ts(uint8_t *p, uint32_t val, uint32_t ecr) {
  p[0] = SN_TCPOPT_TS;
  p[1] = 10;
  sn_put32(p + 2, val);
  sn_put32(p + 6, ecr);
  return p + 10;
}

static uint8_t *put_nops(uint8_t *p, int n) {
  while (n--)
    *p++ = SN_TCPOPT_NOP;
  return p;
}

/* How many SACK blocks fit beside the other options (RFC 2018 §3). */
static unsigned sack_fit(const struct sn_tcp_optspec *o) {
  size_t used = o->ts ? 12 : 0;
  unsigned n = o->nsack;
  while (n && used + 2 + 2 + 8 * n > SN_TCP_MAX_OPTLEN)
    n--;
  return n;
}

size_t sn_tcp_write_options(uint8_t *p, const struct sn_tcp_optspec *o) {
  uint8_t *start = p;
  if (o->syn) {
    if (o->mss) {
      p[0] = SN_TCPOPT_MSS;
      p[1] = 4;
      sn_put16(p + 2, o->mss_val);
      p += 4;
    }
    if (o->ts) {
      if (o->sack_ok) {
        p[0] = SN_TCPOPT_SACK_OK;
        p[1] = 2;
        p += 2;
      } else {
        p = put_nops(p, 2);
      }
      p = put_ts(p, o->tsval, o->tsecr);
    } else if (o->sack_ok) {
      p = put_nops(p, 2);
      p[0] = SN_TCPOPT_SACK_OK;
      p[1] = 2;
      p += 2;
    }
    if (o->ws) {
      p = put_nops(p, 1);
      p[0] = SN_TCPOPT_WS;
      p[1] = 3;
      p[2] = o->ws_val;
      p += 3;
    }
    return (size_t)(p - start);
  }
  if (o->ts) {
    p = put_nops(p, 2);
    p = put_ts(p, o->tsval, o->tsecr);
  }
  unsigned n = sack_fit(o);
  if (n) {
    p = put_nops(p, 2);
    p[0] = SN_TCPOPT_SACK;
    p[1] = (uint8_t)(2 + 8 * n);
    for (unsigned i = 0; i < n; i++) {
      sn_put32(p + 2 + 8 * i, o->sack[i].start);
      sn_put32(p + 6 + 8 * i, o->sack[i].end);
    }
    p += 2 + 8 * n;
  }
  return (size_t)(p - start);
}

size_t sn_tcp_options_len(const struct sn_tcp_optspec *o) {
  if (o->syn) {
    size_t n = o->mss ? 4 : 0;
    if (o->ts)
      n += 12;
    else if (o->sack_ok)
      n += 4;
    if (o->ws)
      n += 4;
    return n;
  }
  unsigned s = sack_fit(o);
  return (o->ts ? 12u : 0u) + (s ? 4u + 8u * s : 0u);
}

const char *sn_tcp_flags_str(uint8_t flags, char buf[12]) {
  char *p = buf;
  if (flags & SN_TCP_SYN) *p++ = 'S';
  if (flags & SN_TCP_FIN) *p++ = 'F';
  if (flags & SN_TCP_RST) *p++ = 'R';
  if (flags & SN_TCP_PSH) *p++ = 'P';
  if (flags & SN_TCP_URG) *p++ = 'U';
  if (flags & SN_TCP_ECE) *p++ = 'E';
  if (flags & SN_TCP_CWR) *p++ = 'W';
  if (flags & SN_TCP_ACK) *p++ = '.';
  if (p == buf) *p++ = '.';
  *p = 0;
  return buf;
}
