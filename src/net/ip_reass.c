/*
 * ip_reass.c - IPv4 reassembly: RFC 791 §3.2 with RFC 815's hole list.
 *
 * Safety rules (the policy RFC 5722 later made mandatory for IPv6):
 * a fragment partly overlapping received data discards its whole set; one
 * wholly inside received data is a duplicate and is dropped alone; a set
 * that would pass 65535 bytes, whose end moves, or that grows more than
 * SN_REASS_MAX_HOLES holes is discarded. Memory is bounded by
 * ipfrag_high_thresh (oldest set evicted) and time by ipfrag_time.
 */
#include "net/ip_reass.h"

#include <stdlib.h>
#include <string.h>

#include "base/checksum.h"
#include "base/util.h"
#include "net/icmp.h"
#include "net/stack.h"
#include "net/wire.h"

static unsigned bucket_of(uint32_t src, uint32_t dst, uint16_t id,
                          uint8_t proto) {
  uint32_t h = src * 2654435761u ^ dst * 2246822519u ^
               (uint32_t)id * 3266489917u ^ proto;
  return (h >> 16) % SN_REASS_BUCKETS;
}

static uint64_t footprint(const struct sn_reass *r) {
  return sizeof *r + (r->buf ? sizeof(struct sn_pbuf) + r->buf->cap : 0);
}

/* Unlink a set from the table and free it (and its buffer unless kept). */
static void release(struct sn_stack *st, struct sn_reass *r, bool keep_buf) {
  struct sn_reass_table *t = &st->reass;
  struct sn_reass **pp =
      &t->buckets[bucket_of(r->src, r->dst, r->id, r->proto)];
  while (*pp != r)
    pp = &(*pp)->hnext;
  *pp = r->hnext;
  if (r->older)
    r->older->newer = r->newer;
  else
    t->oldest = r->newer;
  if (r->newer)
    r->newer->older = r->older;
  else
    t->newest = r->older;
  t->bytes -= footprint(r);
  t->count--;
  sn_timer_cancel(&st->wheel, &r->timer);
  if (!keep_buf)
    sn_pbuf_free(&st->pool, r->buf);
  free(r);
}

/* Discard a whole set for reason `why`. */
static void discard(struct sn_stack *st, struct sn_reass *r,
                    enum sn_drop_reason why) {
  sn_count(st, SN_CTR_IpReasmFails);
  SN_TRACE(st, ip, "reasm-discard", SN_TF_IP("src", r->src),
           SN_TF_U("id", r->id), SN_TF_S("reason", sn_drop_name(why)));
  sn_drop(st, why, "ip-reasm", r->buf ? r->buf->len : 0);
  release(st, r, false);
}

void sn_reass_destroy(struct sn_stack *st) {
  while (st->reass.oldest)
    release(st, st->reass.oldest, false);
}

static void on_timeout(struct sn_timer *tm) {
  struct sn_reass *r = SN_CONTAINER_OF(tm, struct sn_reass, timer);
  struct sn_stack *st = r->st;
  sn_count(st, SN_CTR_IpReasmTimeout);
  /* RFC 792 / RFC 1122 §3.3.2: time exceeded, if fragment zero came in;
   * it quotes that fragment's header and first 8 data bytes. */
  if (r->ihl && r->buf && r->buf->len >= 8) {
    uint8_t pkt[60 + 8];
    memcpy(pkt, r->hdr, r->ihl);
    memcpy(pkt + r->ihl, r->buf->data, 8);
    struct sn_ip4 first = {
        .ihl = r->ihl, .total_len = (uint16_t)(r->ihl + 8), .id = r->id,
        .mf = true, .proto = r->proto, .src = r->src, .dst = r->dst,
        .hdr = pkt, .payload = pkt + r->ihl, .payload_len = 8};
    sn_icmp_send_error(st, &first, SN_ICMP_TIME_EXCEEDED,
                       SN_ICMP_EXC_REASSEMBLY, 0);
  }
  discard(st, r, SN_DROP_IP_FRAG_TIMEOUT);
}

static struct sn_reass *find(struct sn_stack *st, const struct sn_ip4 *ip) {
  unsigned b = bucket_of(ip->src, ip->dst, ip->id, ip->proto);
  for (struct sn_reass *r = st->reass.buckets[b]; r; r = r->hnext)
    if (r->src == ip->src && r->dst == ip->dst && r->id == ip->id &&
        r->proto == ip->proto)
      return r;
  return NULL;
}

static struct sn_reass *create(struct sn_stack *st, int ifindex,
                               const struct sn_ip4 *ip) {
  struct sn_reass *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  struct sn_reass_table *t = &st->reass;
  r->st = st;
  r->src = ip->src;
  r->dst = ip->dst;
  r->id = ip->id;
  r->proto = ip->proto;
  r->ifindex = ifindex;
  r->nholes = 1;
  r->holes[0].first = 0;
  r->holes[0].last = SN_REASS_OPEN_END;
  unsigned b = bucket_of(ip->src, ip->dst, ip->id, ip->proto);
  r->hnext = t->buckets[b];
  t->buckets[b] = r;
  r->older = t->newest;
  if (t->newest)
    t->newest->newer = r;
  else
    t->oldest = r;
  t->newest = r;
  t->count++;
  t->bytes += footprint(r);
  sn_timer_init(&r->timer, on_timeout);
  sn_timer_arm(&st->wheel, &r->timer,
               st->now + (uint64_t)st->cfg.ipfrag_time * SN_NSEC_PER_SEC);
  return r;
}

/* Make r's buffer hold at least `end` bytes, within the memory limit. */
static bool ensure_room(struct sn_stack *st, struct sn_reass *r, uint32_t end) {
  if (r->buf && sn_pbuf_tailroom(r->buf) + r->buf->len >= end)
    return true;
  struct sn_reass_table *t = &st->reass;
  uint64_t before = footprint(r);
  struct sn_pbuf *nb = sn_pbuf_alloc(&st->pool, 60, end);
  if (!nb)
    return false;
  nb->len = 0;
  if (r->buf) {
    memcpy(nb->data, r->buf->data, r->buf->len);
    nb->len = r->buf->len;
    sn_pbuf_free(&st->pool, r->buf);
  }
  r->buf = nb;
  t->bytes += footprint(r) - before;
  /* Over the limit: evict the oldest other sets first. */
  while (t->bytes > (uint64_t)st->cfg.ipfrag_high_thresh && t->oldest != r)
    discard(st, t->oldest, SN_DROP_IP_FRAG_NO_MEMORY);
  return t->bytes <= (uint64_t)st->cfg.ipfrag_high_thresh;
}

/* Cut every hole at the datagram's end, now that the end is known. */
static void trim_holes(struct sn_reass *r, uint32_t total) {
  unsigned k = 0;
  for (unsigned i = 0; i < r->nholes; i++) {
    if (r->holes[i].first >= total)
      continue;
    r->holes[k] = r->holes[i];
    if (r->holes[k].last >= total)
      r->holes[k].last = total - 1;
    k++;
  }
  r->nholes = (uint16_t)k;
}

/* Bytes of [first, last] that fall in holes, and the hole holding first. */
static uint32_t covered(const struct sn_reass *r, uint32_t first, uint32_t last,
                        int *hole) {
  uint32_t n = 0;
  *hole = -1;
  for (unsigned i = 0; i < r->nholes; i++) {
    uint32_t lo = SN_MAX(first, r->holes[i].first);
    uint32_t hi = SN_MIN(last, r->holes[i].last);
    if (lo <= hi) {
      n += hi - lo + 1;
      if (r->holes[i].first <= first)
        *hole = (int)i;
    }
  }
  return n;
}

/* RFC 815 steps 4-6: replace hole h by what remains of it around the
 * fragment. Returns false if that needs more holes than allowed. */
static bool fill_hole(struct sn_reass *r, int h, uint32_t first,
                      uint32_t last) {
  uint32_t hf = r->holes[h].first, hl = r->holes[h].last;
  r->holes[h] = r->holes[--r->nholes];
  if (first > hf) {
    if (r->nholes == SN_REASS_MAX_HOLES)
      return false;
    r->holes[r->nholes].first = hf;
    r->holes[r->nholes++].last = first - 1;
  }
  if (last < hl) {
    if (r->nholes == SN_REASS_MAX_HOLES)
      return false;
    r->holes[r->nholes].first = last + 1;
    r->holes[r->nholes++].last = hl;
  }
  return true;
}

/* Put the first fragment's header, corrected to describe the whole
 * datagram, in front of the payload and describe the result in *out. */
static struct sn_pbuf *complete(struct sn_stack *st, struct sn_reass *r,
                                struct sn_ip4 *out) {
  struct sn_pbuf *buf = r->buf;
  buf->len = r->total;
  uint8_t *h = sn_pbuf_push(buf, r->ihl);
  memcpy(h, r->hdr, r->ihl);
  sn_put16(h + 2, (uint16_t)buf->len);
  sn_put16(h + 6, 0);
  sn_put16(h + 10, 0);
  sn_put16(h + 10, sn_csum_fold(sn_csum_partial(h, r->ihl, 0)));
  sn_ip4_parse_hdr(h, buf->len, out); /* we built it, so it parses */
  sn_count(st, SN_CTR_IpReasmOKs);
  SN_TRACE(st, ip, "reasm-done", SN_TF_IP("src", r->src), SN_TF_U("id", r->id),
           SN_TF_U("len", r->total));
  release(st, r, true);
  return buf;
}

struct sn_pbuf *sn_reass_input(struct sn_stack *st, int ifindex,
                               const struct sn_ip4 *ip, struct sn_ip4 *out) {
  sn_count(st, SN_CTR_IpReasmReqds);
  uint32_t first = ip->frag_off, n = (uint32_t)ip->payload_len;
  uint32_t end = first + n;
  struct sn_reass *r = find(st, ip);
  if (n == 0 || (ip->mf && n % 8 != 0)) {
    sn_count(st, SN_CTR_IpReasmFails);
    sn_drop(st, SN_DROP_IP_FRAG_BAD_LENGTH, "ip-reasm", n);
    return NULL;
  }
  if (end + ip->ihl > SN_IP_MAXLEN) { /* "ping of death" */
    if (r)
      discard(st, r, SN_DROP_IP_FRAG_TOO_BIG);
    else {
      sn_count(st, SN_CTR_IpReasmFails);
      sn_drop(st, SN_DROP_IP_FRAG_TOO_BIG, "ip-reasm", n);
    }
    return NULL;
  }
  if (!r && !(r = create(st, ifindex, ip))) {
    sn_count(st, SN_CTR_IpInDiscards);
    sn_drop(st, SN_DROP_IP_FRAG_NO_MEMORY, "ip-reasm", n);
    return NULL;
  }
  uint32_t received_end = r->buf ? r->buf->len : 0;
  if ((!ip->mf && ((r->total && r->total != end) || received_end > end)) ||
      (ip->mf && r->total && end > r->total)) {
    discard(st, r, SN_DROP_IP_FRAG_INCONSISTENT);
    return NULL;
  }
  if (!ip->mf && !r->total) {
    r->total = end;
    trim_holes(r, end);
  }
  int h;
  uint32_t c = covered(r, first, end - 1, &h);
  if (c == 0) {
    sn_drop(st, SN_DROP_IP_FRAG_DUPLICATE, "ip-reasm", n);
    if (r->nholes == 0 && r->ihl)
      return complete(st, r, out); /* a repeated last fragment completed it */
    return NULL;
  }
  if (c != n || h < 0) {
    discard(st, r, SN_DROP_IP_FRAG_OVERLAP);
    return NULL;
  }
  if (!fill_hole(r, h, first, end - 1)) {
    discard(st, r, SN_DROP_IP_FRAG_TOO_MANY);
    return NULL;
  }
  if (!ensure_room(st, r, end)) {
    discard(st, r, SN_DROP_IP_FRAG_NO_MEMORY);
    return NULL;
  }
  memcpy(r->buf->data + first, ip->payload, n);
  if (end > r->buf->len)
    r->buf->len = end;
  if (first == 0) {
    r->ihl = ip->ihl;
    memcpy(r->hdr, ip->hdr, ip->ihl);
  }
  SN_TRACE(st, ip, "fragment-in", SN_TF_IP("src", ip->src),
           SN_TF_U("id", ip->id), SN_TF_U("offset", first), SN_TF_U("len", n),
           SN_TF_U("more", ip->mf), SN_TF_U("holes", r->nholes));
  if (r->nholes == 0)
    return complete(st, r, out);
  return NULL;
}
