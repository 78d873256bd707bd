/*
 * timeline.c - narratives for trace events. Each known (category, event)
 * has a template whose {field} placeholders are filled from the event.
 */
#include "timeline.h"

#include <stdarg.h>
#include <string.h>

struct narrative {
  const char *cat, *name, *tmpl;
};

static const struct narrative narratives[] = {
    {"arp", "tx-request", "ARP request ({to}): who has {who-has}? tell {tell}"},
    {"arp", "tx-reply", "ARP reply: {ip} is at {is-at}"},
    {"arp", "tx-gratuitous", "gratuitous ARP: announces {ip} is at {mac}"},
    {"arp", "resolved", "ARP: learned {ip} is at {mac}; waiting packets leave"},
    {"arp", "failed", "ARP: no answer for {ip}; its queued packets are dropped"},
    {"arp", "expire", "ARP: entry for {ip} expired"},
    {"icmp", "tx-echo", "ping {dst}: ICMP echo request id {id} seq {seq}"},
    {"icmp", "rx-echo", "ICMP echo request from {from} (seq {seq})"},
    {"icmp", "tx-echo-reply", "ICMP echo reply to {dst} (seq {seq})"},
    {"icmp", "echo-reply", "ICMP echo reply from {from}: seq {seq}, rtt {rtt}"},
    {"icmp", "tx-error", "ICMP error to {dst}: type {type} code {code}"},
    {"icmp", "rx-unreachable", "ICMP destination unreachable from {from} (code {code})"},
    {"udp", "tx", "UDP {sport} -> {dst}:{dport}, {len} bytes"},
    {"udp", "rx", "UDP from {src}:{sport} to port {dport}, {len} bytes: queued on socket {sd}"},
    {"udp", "no-port", "UDP to port {dport}: no socket there"},
    {"udp", "error", "socket {sd} receives error {errno} from ICMP"},
    {"ip", "fragment", "IP: {len}-byte datagram exceeds MTU {mtu}: sent as {fragments} fragments"},
    {"ip", "fragment-in", "IP: fragment id {id} offset {offset} ({len} bytes), {holes} holes left"},
    {"ip", "reasm-done", "IP: datagram id {id} reassembled, {len} bytes"},
    {"ip", "reasm-discard", "IP: fragments of id {id} discarded ({reason})"},
    {"sim", "drop", "link loses a {len}-byte frame {from} -> {to} ({detail})"},
    {"sim", "duplicate", "link duplicates a {len}-byte frame {from} -> {to}"},
    {"sim", "corrupt", "link flips a bit in a {len}-byte frame {from} -> {to}"},
    {"sim", "reorder", "link holds back a {len}-byte frame {from} -> {to}; later ones overtake it"},
};

static void value(const struct sn_trace_field *f, char *buf, size_t len) {
  char ip[16];
  switch (f->type) {
  case SN_TF_U64:
    snprintf(buf, len, "%llu", (unsigned long long)f->v.u);
    break;
  case SN_TF_I64:
    snprintf(buf, len, "%lld", (long long)f->v.i);
    break;
  case SN_TF_STR:
    snprintf(buf, len, "%s", f->v.s ? f->v.s : "");
    break;
  case SN_TF_IP4:
    snprintf(buf, len, "%s", sn_ip4_fmt(f->v.ip4, ip));
    break;
  case SN_TF_MAC:
    snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", f->v.mac[0],
             f->v.mac[1], f->v.mac[2], f->v.mac[3], f->v.mac[4], f->v.mac[5]);
    break;
  case SN_TF_NSEC:
    snprintf(buf, len, "%.3f ms", (double)f->v.u / 1e6);
    break;
  }
}

/* Fill tmpl's {key} placeholders from ev. */
static void render(const char *tmpl, const struct sn_trace_event *ev,
                   char *out, size_t len) {
  size_t pos = 0;
  while (*tmpl && pos + 1 < len) {
    const char *close = *tmpl == '{' ? strchr(tmpl, '}') : NULL;
    if (!close) {
      out[pos++] = *tmpl++;
      continue;
    }
    char key[32], val[64] = "?";
    snprintf(key, sizeof key, "%.*s", (int)(close - tmpl - 1), tmpl + 1);
    const struct sn_trace_field *f = sn_trace_field(ev, key);
    if (f)
      value(f, val, sizeof val);
    int n = snprintf(out + pos, len - pos, "%s", val);
    pos += n > 0 ? (size_t)n : 0;
    tmpl = close + 1;
  }
  out[pos < len ? pos : len - 1] = 0;
}

/* Everything about an event without a template: "name key=value ...". */
static void generic(const struct sn_trace_event *ev, char *out, size_t len) {
  size_t pos = (size_t)snprintf(out, len, "%s %s", sn_trace_cat_name(ev->cat),
                                ev->name);
  for (unsigned i = 0; i < ev->nfields && pos < len; i++) {
    char v[64];
    value(&ev->fields[i], v, sizeof v);
    pos += (size_t)snprintf(out + pos, len - pos, " %s=%s", ev->fields[i].key, v);
  }
}

static void print_line(struct timeline *t, uint64_t now, const char *host,
                       const char *text) {
  fprintf(t->out, "%10.3f ms  %-4s %s\n", (double)now / 1e6, host, text);
  t->lines++;
}

void timeline_sink(void *ctx, const struct sn_trace_event *ev) {
  struct timeline *t = ctx;
  if (t->json)
    sn_trace_sink_json(t->json, ev);
  if (!t->out)
    return;
  const char *cat = sn_trace_cat_name(ev->cat);
  char text[512];
  for (size_t i = 0; i < sizeof narratives / sizeof narratives[0]; i++)
    if (!strcmp(narratives[i].cat, cat) && !strcmp(narratives[i].name, ev->name)) {
      render(narratives[i].tmpl, ev, text, sizeof text);
      print_line(t, ev->time_ns, ev->host, text);
      return;
    }
  if (ev->cat == SN_TC_sim) {
    /* The link's own doings: losses, duplicates, corruption. */
    generic(ev, text, sizeof text);
    char line[600];
    snprintf(line, sizeof line, "  link %s", text + 4);
    print_line(t, ev->time_ns, ev->host, line);
    return;
  }
  if (ev->cat == SN_TC_drop && strcmp(ev->name, "udp") != 0) {
    const struct sn_trace_field *r = sn_trace_field(ev, "reason");
    snprintf(text, sizeof text, "dropped by %s: %s", ev->name,
             r && r->type == SN_TF_STR ? r->v.s : "?");
    print_line(t, ev->time_ns, ev->host, text);
    return;
  }
  if (t->all) {
    generic(ev, text, sizeof text);
    print_line(t, ev->time_ns, ev->host, text);
  }
}

void timeline_section(struct timeline *t, const char *title,
                      const char *explain) {
  if (!t->out)
    return;
  fprintf(t->out, "\n== %s\n", title);
  if (explain && *explain)
    fprintf(t->out, "   %s\n", explain);
}

void timeline_note(struct timeline *t, uint64_t now, const char *host,
                   const char *fmt, ...) {
  if (!t->out)
    return;
  char text[512] = "app: ";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text + 5, sizeof text - 5, fmt, ap);
  va_end(ap);
  print_line(t, now, host, text);
}
