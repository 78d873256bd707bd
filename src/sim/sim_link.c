/*
 * sim_link.c - the simulator's point-to-point links and their impairments.
 *
 * Each end of a link is an interface on its host whose transmit callback
 * is sim_tx(). A frame handed to it is judged, in this order, by:
 *
 *   1. scripted drops  the nth frame matching a filter (sim_filter.c)
 *   2. MTU             an IP packet larger than the link MTU is dropped
 *   3. random loss     independent, probability `loss`
 *   4. burst loss      Gilbert-Elliott: a two-state Markov chain moved once
 *                      per frame (good -> bad with p, bad -> good with r),
 *                      then loss with the new state's probability
 *   5. queue and rate  serialisation at rate_bps: a frame starts when the
 *                      wire is free and takes len*8/rate (rounded up to the
 *                      ns); a frame that finds queue_limit frames waiting
 *                      is dropped (drop-tail)
 *   6. corruption      one random bit of the IP packet flipped (never ARP)
 *   7. duplication     a second copy delivered right after the first
 *   8. delay, jitter   delay plus uniform [0, jitter]; frames still arrive
 *                      in order (clamped to the previous arrival)
 *   9. reordering      a frame held back reorder_ns more, exempt from the
 *                      clamp, so later frames overtake it
 *
 * Every decision draws from the direction's own generator, derived from the
 * simulation's seed and the link's creation index, so the same seed gives
 * the same fate to every frame. Drops, duplicates, corruptions and
 * reorderings are traced in category sim with the link's name as host, and
 * counted in struct sn_sim_link_stats. Steps 3 to 9 are the impairment
 * model of sim/impair.h, which real drivers share. A capture, if set,
 * records every frame offered (with the sender's reason) and every frame
 * dropped (with the link's reason) in pcapng.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "net/stack.h"
#include "net/wire.h"
#include "sim/sim_internal.h"
#include "synack/capture.h"

#define DEFAULT_MTU 1500

/* Why the link dropped a frame. */
enum drop_why { DROP_SCRIPT, DROP_MTU, DROP_LOSS, DROP_BURST, DROP_QUEUE };
static const char *const drop_names[] = {"script", "mtu", "loss", "burst-loss",
                                         "queue-full"};

static const char *host_name(const struct sim_link_end *e) {
  return sn_stack_name(e->host->st);
}

static const char *ordinal_suffix(unsigned n) {
  if (n % 100 >= 11 && n % 100 <= 13)
    return "th";
  switch (n % 10) {
  case 1: return "st";
  case 2: return "nd";
  case 3: return "rd";
  default: return "th";
  }
}

/* Setup ------------------------------------------------------------------- */

void sim_link_init_dirs(struct sn_sim_link *l) {
  for (int i = 0; i < 2; i++) {
    struct sim_dir *d = &l->dir[i];
    memset(d, 0, sizeof *d);
    d->link = l;
    d->from = (uint8_t)i;
    sn_impair_init(&d->im, sim_derive_seed(l->sim->seed, SIM_SEED_LINK,
                                           2 * (uint64_t)l->index + i));
  }
}

void sim_link_destroy(struct sn_sim_link *l) {
  for (int i = 0; i < 2; i++) {
    sn_impair_destroy(&l->dir[i].im);
    free(l->dir[i].rules);
  }
  free(l);
}

/* Parse "A.B.C.D/N". */
static int parse_cidr(const char *text, uint32_t *ip, unsigned *prefix) {
  char buf[32];
  const char *slash = strchr(text, '/');
  if (!slash || (size_t)(slash - text) >= sizeof buf)
    return -EINVAL;
  memcpy(buf, text, (size_t)(slash - text));
  buf[slash - text] = 0;
  if (sn_ip4_parse(buf, ip) != 0)
    return -EINVAL;
  const char *p = slash + 1;
  unsigned n = 0;
  if (*p < '0' || *p > '9')
    return -EINVAL;
  for (; *p >= '0' && *p <= '9'; p++)
    if ((n = n * 10 + (unsigned)(*p - '0')) > 32)
      return -EINVAL;
  if (*p)
    return -EINVAL;
  *prefix = n;
  return 0;
}

/* An end's address, checked as sn_netif_add_addr() will check it, so that
 * a link is only built when it can be built whole. */
struct end_addr {
  bool set;
  uint32_t ip;
  unsigned prefix;
};

static int check_addr(const struct sn_stack *st, const char *cidr,
                      unsigned slots, struct end_addr *out) {
  out->set = cidr != NULL;
  if (!cidr)
    return 0;
  if (parse_cidr(cidr, &out->ip, &out->prefix) != 0 || out->ip == 0 ||
      out->ip == 0xffffffffu || sn_ip_is_multicast(out->ip))
    return -EINVAL;
  if (sn_is_local_addr(st, out->ip))
    return -EEXIST;
  /* Each address takes an address slot and a connected route. */
  if (st->naddrs + (int)slots > SN_MAX_ADDRS ||
      st->nroutes + (int)slots > SN_MAX_ROUTES)
    return -ENOSPC;
  return 0;
}

static int free_netifs(const struct sn_stack *st) {
  int n = 0;
  for (int i = 1; i < SN_MAX_NETIFS; i++)
    n += sn_netif_mtu(st, i) < 0;
  return n;
}

static int register_link(struct sn_sim *sim, struct sn_sim_link *l) {
  if (sim->nlinks == sim->links_cap) {
    size_t cap = sim->links_cap ? sim->links_cap * 2 : 8;
    struct sn_sim_link **ls = realloc(sim->links, cap * sizeof *ls);
    if (!ls)
      return -ENOMEM;
    sim->links = ls;
    sim->links_cap = cap;
  }
  sim->links[sim->nlinks++] = l;
  return 0;
}

/* Add the interface for end i: name eth<n>, MAC 02:00:00:00:<host#>:<n>
 * (the host number spills into bytes 2 and 3 beyond 255). */
static int add_end(struct sn_sim_link *l, int i) {
  struct sim_link_end *e = &l->end[i];
  struct sim_host *h = e->host;
  unsigned n = ++h->nlinks;
  snprintf(e->ifname, sizeof e->ifname, "eth%u", n);
  struct sn_netif_params p = {
      .name = e->ifname,
      .mac = {0x02, 0x00, (uint8_t)(h->number >> 16),
              (uint8_t)(h->number >> 8), (uint8_t)h->number, (uint8_t)n},
      .mtu = l->mtu,
      .link = {.ops = &sim_link_ops, .ctx = &l->dir[i]}};
  int ifindex = sn_netif_add(h->st, &p);
  if (ifindex < 0)
    return ifindex;
  e->ifindex = ifindex;
  return 0;
}

static int add_addr(struct sim_link_end *e, const struct end_addr *a) {
  return a->set ? sn_netif_add_addr(e->host->st, e->ifindex, a->ip, a->prefix)
                : 0;
}

static struct sn_sim_link *connect_fail(int *err, int e) {
  if (err)
    *err = e;
  return NULL;
}

struct sn_sim_link *sn_sim_connect(struct sn_sim *sim, struct sn_stack *a,
                                   const char *a_cidr, struct sn_stack *b,
                                   const char *b_cidr, uint32_t mtu, int *err) {
  struct sim_host *ha = sim ? sim_find_host(sim, a) : NULL;
  struct sim_host *hb = sim ? sim_find_host(sim, b) : NULL;
  struct end_addr aa, ba;
  if (!ha || !hb)
    return connect_fail(err, -EINVAL);
  if (mtu == 0)
    mtu = DEFAULT_MTU;
  if (mtu < SN_MTU_MIN || mtu > SN_MTU_MAX)
    return connect_fail(err, -EINVAL);
  /* A link from a host to itself puts both addresses on it. */
  unsigned slots = a == b && a_cidr && b_cidr ? 2 : 1;
  int e = check_addr(a, a_cidr, slots, &aa);
  if (!e)
    e = check_addr(b, b_cidr, slots, &ba);
  if (!e && a == b && aa.set && ba.set && aa.ip == ba.ip)
    e = -EEXIST;
  if (!e && (free_netifs(a) < (a == b ? 2 : 1) || free_netifs(b) < 1))
    e = -ENOSPC;
  if (e)
    return connect_fail(err, e);
  struct sn_sim_link *l = calloc(1, sizeof *l);
  if (!l)
    return connect_fail(err, -ENOMEM);
  l->sim = sim;
  l->index = (unsigned)sim->nlinks;
  l->mtu = mtu;
  l->end[0].host = ha;
  l->end[1].host = hb;
  l->end[0].ifindex = l->end[1].ifindex = -1;
  snprintf(l->name, sizeof l->name, "%s-%s", sn_stack_name(a),
           sn_stack_name(b));
  sim_link_init_dirs(l);
  if (register_link(sim, l) != 0) {
    sim_link_destroy(l);
    return connect_fail(err, -ENOMEM);
  }
  /* Both interfaces exist before either address is announced. */
  e = add_end(l, 0);
  if (!e)
    e = add_end(l, 1);
  if (!e)
    e = add_addr(&l->end[0], &aa);
  if (!e)
    e = add_addr(&l->end[1], &ba);
  if (e)
    return connect_fail(err, e);
  if (err)
    *err = 0;
  return l;
}

int sn_sim_link_ifindex(const struct sn_sim_link *l, int end) {
  if (!l || end < 0 || end > 1)
    return -EINVAL;
  return l->end[end].ifindex;
}

int sn_sim_link_impair(struct sn_sim_link *l, enum sn_sim_dir dir,
                       const struct sn_sim_impair *imp) {
  if (!l || !imp || (unsigned)dir > SN_SIM_BOTH || !sn_impair_valid(imp))
    return -EINVAL;
  for (int i = 0; i < 2; i++)
    if (dir == SN_SIM_BOTH || (int)dir == i)
      l->dir[i].im.imp = *imp;
  return 0;
}

static int arm_rule(struct sim_dir *d, int filter, unsigned n) {
  if (d->nrules == d->rules_cap) {
    size_t cap = d->rules_cap ? d->rules_cap * 2 : 4;
    struct sim_drop_rule *r = realloc(d->rules, cap * sizeof *r);
    if (!r)
      return -ENOMEM;
    d->rules = r;
    d->rules_cap = cap;
  }
  d->rules[d->nrules++] =
      (struct sim_drop_rule){.filter = (uint8_t)filter, .n = n, .seen = 0};
  return 0;
}

int sn_sim_link_drop_nth(struct sn_sim_link *l, enum sn_sim_dir dir,
                         const char *filter, unsigned n) {
  int f = filter ? sim_filter_parse(filter) : -EINVAL;
  if (!l || f < 0 || n == 0 || (unsigned)dir > SN_SIM_BOTH)
    return -EINVAL;
  for (int i = 0; i < 2; i++)
    if (dir == SN_SIM_BOTH || (int)dir == i) {
      int err = arm_rule(&l->dir[i], f, n);
      if (err)
        return err;
    }
  return 0;
}

struct sn_sim_link_stats sn_sim_link_stats(const struct sn_sim_link *l,
                                           enum sn_sim_dir dir) {
  if (dir == SN_SIM_AB || dir == SN_SIM_BA)
    return l->dir[dir].stats;
  struct sn_sim_link_stats s = l->dir[0].stats;
  const struct sn_sim_link_stats *o = &l->dir[1].stats;
  s.offered += o->offered;
  s.delivered += o->delivered;
  s.lost_random += o->lost_random;
  s.lost_burst += o->lost_burst;
  s.dropped_queue += o->dropped_queue;
  s.dropped_mtu += o->dropped_mtu;
  s.dropped_script += o->dropped_script;
  s.duplicated += o->duplicated;
  s.corrupted += o->corrupted;
  s.reordered += o->reordered;
  s.bytes_delivered += o->bytes_delivered;
  return s;
}

void sn_sim_link_capture(struct sn_sim_link *l, struct sn_capture *cap) {
  l->cap = cap;
  if (!cap)
    return;
  for (int i = 0; i < 2; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s:%s", host_name(&l->end[i]),
             l->end[i].ifname);
    l->end[i].cap_iface = sn_capture_add_interface(cap, name);
  }
}

/* Drops ------------------------------------------------------------------- */

static uint64_t *drop_counter(struct sim_dir *d, enum drop_why why) {
  switch (why) {
  case DROP_SCRIPT: return &d->stats.dropped_script;
  case DROP_MTU: return &d->stats.dropped_mtu;
  case DROP_LOSS: return &d->stats.lost_random;
  case DROP_BURST: return &d->stats.lost_burst;
  case DROP_QUEUE: return &d->stats.dropped_queue;
  }
  return &d->stats.lost_random;
}

/* Count, trace and record a dropped frame; detail says why in words. */
static void drop(struct sim_dir *d, enum drop_why why, const uint8_t *frame,
                 size_t len, const char *detail) {
  struct sn_sim_link *l = d->link;
  (*drop_counter(d, why))++;
  SIM_TRACE(l->sim, l->name, "drop", SN_TF_S("reason", drop_names[why]),
            SN_TF_S("from", host_name(&l->end[d->from])),
            SN_TF_S("to", host_name(&l->end[!d->from])), SN_TF_U("len", len),
            SN_TF_S("detail", detail));
  if (l->cap) {
    char comment[160];
    snprintf(comment, sizeof comment, "dropped by link: %s", detail);
    sn_capture_write(l->cap, l->end[d->from].cap_iface, l->sim->now, frame,
                     len, SN_CAP_UNKNOWN, comment);
  }
}

/* 1. The nth frame matching an armed filter. */
static bool scripted(struct sim_dir *d, const uint8_t *frame, size_t len,
                     char *detail, size_t dlen) {
  uint32_t cls = sim_classify(frame, len);
  bool hit = false;
  for (size_t i = 0; i < d->nrules;) {
    struct sim_drop_rule *r = &d->rules[i];
    if (!(cls & (1u << r->filter)) || ++r->seen < r->n) {
      i++;
      continue;
    }
    if (!hit)
      snprintf(detail, dlen, "scripted drop of the %u%s %s frame", r->n,
               ordinal_suffix(r->n), sim_filter_name(r->filter));
    hit = true;
    memmove(r, r + 1, (d->nrules - i - 1) * sizeof *r);
    d->nrules--;
  }
  return hit;
}

/* Is anyone reading the words of a drop (a trace sink or a capture)? */
static bool observed(const struct sim_dir *d) {
  return sim_tracing(d->link->sim) || d->link->cap;
}

/* Judge a frame by impairments 1-5 (3-5 by the model); true if dropped.
 * *done: when it has left the sender. */
static bool dropped(struct sim_dir *d, const uint8_t *frame, size_t len,
                    uint64_t *done) {
  struct sn_sim_link *l = d->link;
  char detail[96] = "";
  if (d->nrules && scripted(d, frame, len, detail, sizeof detail)) {
    drop(d, DROP_SCRIPT, frame, len, detail);
    return true;
  }
  if (len > SIM_ETH_HLEN + (size_t)l->mtu) {
    if (observed(d))
      snprintf(detail, sizeof detail,
               "IP packet of %zu bytes exceeds the link MTU of %u",
               len - SIM_ETH_HLEN, l->mtu);
    drop(d, DROP_MTU, frame, len, detail);
    return true;
  }
  switch (sn_impair_admit(&d->im, l->sim->now, len, done)) {
  case SN_IMPAIR_PASS:
    return false;
  case SN_IMPAIR_LOSS:
    drop(d, DROP_LOSS, frame, len, "random loss");
    return true;
  case SN_IMPAIR_BURST:
    drop(d, DROP_BURST, frame, len,
         d->im.ge_bad ? "burst loss (Gilbert-Elliott, bad state)"
                      : "burst loss (Gilbert-Elliott, good state)");
    return true;
  case SN_IMPAIR_QUEUE:
    if (observed(d))
      snprintf(detail, sizeof detail, "queue full (%zu frames waiting)",
               d->im.wait_n);
    drop(d, DROP_QUEUE, frame, len, detail);
    return true;
  }
  return false;
}

/* Delivery ---------------------------------------------------------------- */

/* 6. Flip one random bit of the IP packet (or of whatever follows the
 * Ethernet header); never in ARP, which has no checksum. */
static void maybe_corrupt(struct sim_dir *d, struct sim_frame *f) {
  size_t off;
  unsigned bit;
  if (!sn_impair_corrupt(&d->im, f->data, f->len, &off, &bit))
    return;
  d->stats.corrupted++;
  struct sn_sim_link *l = d->link;
  SIM_TRACE(l->sim, l->name, "corrupt",
            SN_TF_S("from", host_name(&l->end[d->from])),
            SN_TF_S("to", host_name(&l->end[!d->from])),
            SN_TF_U("len", f->len), SN_TF_U("offset", off),
            SN_TF_U("bit", bit));
}

/* 8 and 9: when the frame that left the sender at done arrives. */
static uint64_t arrival_time(struct sim_dir *d, uint64_t done, size_t len) {
  uint64_t hold;
  uint64_t t = sn_impair_arrival(&d->im, done, &hold);
  if (hold) {
    d->stats.reordered++;
    struct sn_sim_link *l = d->link;
    SIM_TRACE(l->sim, l->name, "reorder",
              SN_TF_S("from", host_name(&l->end[d->from])),
              SN_TF_S("to", host_name(&l->end[!d->from])), SN_TF_U("len", len),
              SN_TF_T("hold", hold));
  }
  return t;
}

static int schedule_copy(struct sim_dir *d, uint64_t t,
                         const struct sim_frame *orig) {
  struct sn_sim *sim = d->link->sim;
  struct sim_frame *f = sim_frame_get(sim, orig->len);
  if (!f)
    return -ENOBUFS;
  memcpy(f->data, orig->data, orig->len);
  if (sim_schedule_delivery(sim, t, d, f) != 0) {
    sim_frame_put(sim, f);
    return -ENOBUFS;
  }
  return 0;
}

/* Impairments 6-9 and the delivery events for an admitted frame. */
static int send_on(struct sim_dir *d, const uint8_t *frame, size_t len,
                   uint64_t done) {
  struct sn_sim *sim = d->link->sim;
  struct sim_frame *f = sim_frame_get(sim, len);
  if (!f)
    return -ENOBUFS;
  memcpy(f->data, frame, len);
  maybe_corrupt(d, f);
  bool dup = sn_impair_duplicate(&d->im);
  uint64_t t = arrival_time(d, done, len);
  if (sim_schedule_delivery(sim, t, d, f) != 0) {
    sim_frame_put(sim, f);
    return -ENOBUFS;
  }
  if (dup && schedule_copy(d, t, f) == 0) {
    d->stats.duplicated++;
    struct sn_sim_link *l = d->link;
    SIM_TRACE(sim, l->name, "duplicate",
              SN_TF_S("from", host_name(&l->end[d->from])),
              SN_TF_S("to", host_name(&l->end[!d->from])),
              SN_TF_U("len", len));
  }
  return 0;
}

static void capture_sent(struct sim_dir *d, const uint8_t *frame, size_t len,
                         const struct sn_tx_info *info) {
  struct sn_sim_link *l = d->link;
  char comment[160];
  snprintf(comment, sizeof comment, "sent by %s: %s",
           host_name(&l->end[d->from]), info->why);
  sn_capture_write(l->cap, l->end[d->from].cap_iface, l->sim->now, frame, len,
                   SN_CAP_OUT, comment);
}

/* The transmit callback of every simulated interface. */
static int sim_tx(void *ctx, const uint8_t *frame, size_t len,
                  const struct sn_tx_info *info) {
  struct sim_dir *d = ctx;
  if (len > SIM_FRAME_MAX_LEN)
    return -EMSGSIZE;
  d->stats.offered++;
  if (d->link->cap)
    capture_sent(d, frame, len, info);
  uint64_t done;
  if (dropped(d, frame, len, &done))
    return 0; /* lost on the wire: the sender cannot tell */
  return send_on(d, frame, len, done);
}

const struct sn_link_ops sim_link_ops = {.tx = sim_tx};

void sim_link_deliver(struct sn_sim *sim, struct sim_dir *d,
                      struct sim_frame *f) {
  const struct sim_link_end *to = &d->link->end[!d->from];
  d->stats.delivered++;
  d->stats.bytes_delivered += f->len;
  if (to->ifindex > 0)
    sn_stack_input(to->host->st, to->ifindex, f->data, f->len, sim->now);
  sim_frame_put(sim, f);
}
