/*
 * trace.c - formatting trace events as text lines and JSON lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/trace.h"

#define SN_TC_NAME_(n) #n,
static const char *const cat_names[] = {SN_TRACE_CATS(SN_TC_NAME_)};
#undef SN_TC_NAME_

const char *sn_trace_cat_name(enum sn_trace_cat cat) {
  return (unsigned)cat < SN_TC__COUNT ? cat_names[cat] : "?";
}

const struct sn_trace_field *sn_trace_field(const struct sn_trace_event *ev,
                                            const char *key) {
  for (unsigned i = 0; i < ev->nfields; i++)
    if (strcmp(ev->fields[i].key, key) == 0)
      return &ev->fields[i];
  return NULL;
}

struct sn_trace_field sn_tf_mac(const char *key, const uint8_t mac[6]) {
  struct sn_trace_field f = {.key = key, .type = SN_TF_MAC};
  memcpy(f.v.mac, mac, 6);
  return f;
}

char *sn_ip4_fmt(uint32_t ip, char buf[16]) {
  snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
           ip & 255);
  return buf;
}

int sn_ip4_parse(const char *text, uint32_t *ip) {
  uint32_t v = 0;
  const char *p = text;
  for (int part = 0; part < 4; part++) {
    if (*p < '0' || *p > '9')
      return -EINVAL;
    unsigned n = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
      n = n * 10 + (unsigned)(*p++ - '0');
      if (++digits > 3 || n > 255)
        return -EINVAL;
    }
    v = (v << 8) | n;
    if (part < 3 && *p++ != '.')
      return -EINVAL;
  }
  if (*p)
    return -EINVAL;
  *ip = v;
  return 0;
}

/* A bounded appender that keeps counting past the end, like snprintf. */
struct out {
  char *buf;
  size_t len, pos;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = o->pos < o->len ? o->len - o->pos : 0;
  int n = vsnprintf(room ? o->buf + o->pos : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    o->pos += (size_t)n;
}

static void put_json_string(struct out *o, const char *s) {
  put(o, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      put(o, "\\%c", c);
    else if (c < 0x20)
      put(o, "\\u%04x", c);
    else
      put(o, "%c", c);
  }
  put(o, "\"");
}

/* Text values: a plain word as it is; anything with a space, a quote, a
 * backslash or a control character in double quotes, with those escaped
 * C-style, so that an event stays on one line and splits unambiguously. */
static int text_needs_quotes(const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f)
      return 1;
  }
  return 0;
}

static void put_text_string(struct out *o, const char *s) {
  if (!text_needs_quotes(s)) {
    put(o, "%s", s);
    return;
  }
  put(o, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      put(o, "\\%c", c);
    else if (c == '\n')
      put(o, "\\n");
    else if (c == '\r')
      put(o, "\\r");
    else if (c == '\t')
      put(o, "\\t");
    else if (c < 0x20 || c == 0x7f)
      put(o, "\\x%02x", c);
    else
      put(o, "%c", c);
  }
  put(o, "\"");
}

static void put_value(struct out *o, const struct sn_trace_field *f, int json) {
  char ip[16];
  switch (f->type) {
  case SN_TF_U64:
    put(o, "%llu", (unsigned long long)f->v.u);
    break;
  case SN_TF_I64:
    put(o, "%lld", (long long)f->v.i);
    break;
  case SN_TF_STR:
    if (json)
      put_json_string(o, f->v.s ? f->v.s : "");
    else
      put_text_string(o, f->v.s ? f->v.s : "");
    break;
  case SN_TF_IP4:
    put(o, json ? "\"%s\"" : "%s", sn_ip4_fmt(f->v.ip4, ip));
    break;
  case SN_TF_MAC:
    put(o, json ? "\"%02x:%02x:%02x:%02x:%02x:%02x\""
                : "%02x:%02x:%02x:%02x:%02x:%02x",
        f->v.mac[0], f->v.mac[1], f->v.mac[2], f->v.mac[3], f->v.mac[4],
        f->v.mac[5]);
    break;
  case SN_TF_NSEC:
    put(o, "%llu.%09llu", (unsigned long long)(f->v.u / 1000000000u),
        (unsigned long long)(f->v.u % 1000000000u));
    break;
  }
}

size_t sn_trace_format_text(const struct sn_trace_event *ev, char *buf,
                            size_t len) {
  struct out o = {buf, len, 0};
  if (len)
    buf[0] = 0;
  put(&o, "%4llu.%09llu %-6s %-5s %-14s",
      (unsigned long long)(ev->time_ns / 1000000000u),
      (unsigned long long)(ev->time_ns % 1000000000u),
      ev->host ? ev->host : "-", sn_trace_cat_name(ev->cat), ev->name);
  for (unsigned i = 0; i < ev->nfields; i++) {
    put(&o, " %s=", ev->fields[i].key);
    put_value(&o, &ev->fields[i], 0);
  }
  return o.pos;
}

size_t sn_trace_format_json(const struct sn_trace_event *ev, char *buf,
                            size_t len) {
  struct out o = {buf, len, 0};
  if (len)
    buf[0] = 0;
  put(&o, "{\"t\":%llu,\"host\":", (unsigned long long)ev->time_ns);
  put_json_string(&o, ev->host ? ev->host : "");
  put(&o, ",\"cat\":\"%s\",\"ev\":", sn_trace_cat_name(ev->cat));
  put_json_string(&o, ev->name);
  for (unsigned i = 0; i < ev->nfields; i++) {
    put(&o, ",");
    put_json_string(&o, ev->fields[i].key);
    put(&o, ":");
    put_value(&o, &ev->fields[i], 1);
  }
  put(&o, "}");
  return o.pos;
}

/* Events usually fit the stack buffer; a longer one is formatted again
 * into a heap buffer so that lines are never cut (a cut JSON line would
 * not parse). If that allocation fails the line is cut after all. */
static void sink(FILE *f, const struct sn_trace_event *ev, int json) {
  char line[1024];
  char *text = line;
  size_t n = json ? sn_trace_format_json(ev, line, sizeof line)
                  : sn_trace_format_text(ev, line, sizeof line);
  if (n >= sizeof line) {
    char *big = malloc(n + 1);
    if (big) {
      text = big;
      n = json ? sn_trace_format_json(ev, big, n + 1)
               : sn_trace_format_text(ev, big, n + 1);
    } else {
      n = sizeof line - 1;
    }
  }
  fwrite(text, 1, n, f);
  fputc('\n', f);
  if (text != line)
    free(text);
}

void sn_trace_sink_text(void *file, const struct sn_trace_event *ev) {
  sink(file, ev, 0);
}

void sn_trace_sink_json(void *file, const struct sn_trace_event *ev) {
  sink(file, ev, 1);
}
