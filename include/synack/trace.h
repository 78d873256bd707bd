/*
 * trace.h - structured trace events and their two standard sinks.
 *
 * Every decision the stack makes (a frame in or out, a drop and its reason,
 * a state change, a timer, an ARP resolution, an application call) can be
 * emitted as an event: a time, the emitting host, a category, an event name
 * and a few typed fields. A sink is a callback; two formatters turn an event
 * into one human-readable line or one JSON object (JSON lines).
 * Events cost a branch when no sink is installed.
 */
#ifndef SYNACK_TRACE_H
#define SYNACK_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* X(name): categories; a sink may filter on them with a mask. */
#define SN_TRACE_CATS(X)                                                       \
  X(link) X(eth) X(arp) X(ip) X(icmp) X(udp) X(tcp) X(timer) X(app) X(sim)     \
  X(drop)

#define SN_TC_ENUM_(n) SN_TC_##n,
enum sn_trace_cat { SN_TRACE_CATS(SN_TC_ENUM_) SN_TC__COUNT };
#undef SN_TC_ENUM_
#define SN_TRACE_ALL ((1u << SN_TC__COUNT) - 1)

enum sn_tf_type {
  SN_TF_U64,  /* unsigned integer */
  SN_TF_I64,  /* signed integer */
  SN_TF_STR,  /* NUL-terminated string (not owned; valid during the call) */
  SN_TF_IP4,  /* IPv4 address, host order */
  SN_TF_MAC,  /* 6-byte MAC address */
  SN_TF_NSEC, /* a duration or time in nanoseconds, printed in seconds */
};

struct sn_trace_field {
  const char *key;
  enum sn_tf_type type;
  union {
    uint64_t u;
    int64_t i;
    const char *s;
    uint32_t ip4;
    uint8_t mac[6];
  } v;
};

#define SN_TRACE_MAX_FIELDS 16

struct sn_trace_event {
  uint64_t time_ns;     /* the stack's time when the event happened */
  const char *host;     /* name of the emitting stack (or sim link) */
  enum sn_trace_cat cat;
  const char *name;     /* event name within the category, e.g. "tx" */
  unsigned nfields;
  const struct sn_trace_field *fields;
};

/* A sink receives each event; it must not call back into the stack. */
typedef void (*sn_trace_fn)(void *ctx, const struct sn_trace_event *ev);

const char *sn_trace_cat_name(enum sn_trace_cat cat);

/* Look up a field by key; NULL if absent. */
const struct sn_trace_field *sn_trace_field(const struct sn_trace_event *ev,
                                            const char *key);

/*
 * Format an event as one line of text (no newline) or as one JSON object
 * (no newline). Return the length the full text needs, like snprintf; the
 * output is truncated (and NUL-terminated) if buf is too small.
 */
size_t sn_trace_format_text(const struct sn_trace_event *ev, char *buf,
                            size_t len);
size_t sn_trace_format_json(const struct sn_trace_event *ev, char *buf,
                            size_t len);

/* Ready-made sinks writing one line per event to a FILE* (ctx). */
void sn_trace_sink_text(void *file, const struct sn_trace_event *ev);
void sn_trace_sink_json(void *file, const struct sn_trace_event *ev);

/* Field constructors for building events (used by the stack and by tools). */
#define SN_TF_U(k, x) ((struct sn_trace_field){.key = (k), .type = SN_TF_U64, .v.u = (uint64_t)(x)})
#define SN_TF_I(k, x) ((struct sn_trace_field){.key = (k), .type = SN_TF_I64, .v.i = (int64_t)(x)})
#define SN_TF_S(k, x) ((struct sn_trace_field){.key = (k), .type = SN_TF_STR, .v.s = (x)})
#define SN_TF_IP(k, x) ((struct sn_trace_field){.key = (k), .type = SN_TF_IP4, .v.ip4 = (x)})
#define SN_TF_T(k, x) ((struct sn_trace_field){.key = (k), .type = SN_TF_NSEC, .v.u = (uint64_t)(x)})
struct sn_trace_field sn_tf_mac(const char *key, const uint8_t mac[6]);

/* Format an IPv4 address (host order) into buf (16 bytes); returns buf. */
char *sn_ip4_fmt(uint32_t ip, char buf[16]);
/* Parse dotted-quad text into host order; returns 0 or -EINVAL. */
int sn_ip4_parse(const char *text, uint32_t *ip);

#endif
