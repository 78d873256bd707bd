/*
 * test_trace.c - trace event formatting (base/trace.c): the text line and
 * the JSON object for every field type, escaping of strings, truncation
 * that behaves like snprintf, the two FILE sinks, field lookup, category
 * names, and IPv4 address text (sn_ip4_parse / sn_ip4_fmt).
 *
 * JSON output is checked by parsing it back with a small strict parser in
 * this file (objects of strings and numbers), so any valid escaping is
 * accepted but invalid JSON is not.
 */
#include "testlib.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "synack/trace.h"

/* ---- A strict parser for flat JSON objects ---------------------------- */

struct jv {
  char key[4096];
  int is_string;
  char str[4096]; /* decoded string, or the number's text */
  size_t len;     /* bytes in str */
};

struct jobj {
  struct jv v[32];
  size_t n;
};

/* Decode a JSON string at *p (at the opening quote) into out. */
static int json_string(const char **p, char *out, size_t cap, size_t *len) {
  const char *s = *p;
  size_t n = 0;
  if (*s++ != '"')
    return -1;
  for (;;) {
    unsigned char c = (unsigned char)*s++;
    if (c == '"')
      break;
    if (c < 0x20)
      return -1; /* raw control characters are not allowed */
    if (c == '\\') {
      char e = *s++;
      switch (e) {
      case '"': c = '"'; break;
      case '\\': c = '\\'; break;
      case '/': c = '/'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'n': c = '\n'; break;
      case 'r': c = '\r'; break;
      case 't': c = '\t'; break;
      case 'u': {
        unsigned v = 0;
        for (int i = 0; i < 4; i++) {
          if (!isxdigit((unsigned char)s[i]))
            return -1;
          v = v * 16 + (unsigned)(isdigit((unsigned char)s[i])
                                      ? s[i] - '0'
                                      : tolower((unsigned char)s[i]) - 'a' + 10);
        }
        s += 4;
        if (v >= 0x80)
          return -1; /* not needed by these tests */
        c = (unsigned char)v;
        break;
      }
      default:
        return -1;
      }
    }
    if (n + 1 >= cap)
      return -1;
    out[n++] = (char)c;
  }
  out[n] = 0;
  *len = n;
  *p = s;
  return 0;
}

/* A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)? (no exponents needed). */
static int json_number(const char **p, char *out, size_t cap) {
  const char *s = *p, *start = s;
  if (*s == '-')
    s++;
  if (*s == '0')
    s++;
  else if (*s >= '1' && *s <= '9')
    while (isdigit((unsigned char)*s))
      s++;
  else
    return -1;
  if (*s == '.') {
    s++;
    if (!isdigit((unsigned char)*s))
      return -1;
    while (isdigit((unsigned char)*s))
      s++;
  }
  if ((size_t)(s - start) + 1 > cap)
    return -1;
  memcpy(out, start, (size_t)(s - start));
  out[s - start] = 0;
  *p = s;
  return 0;
}

static int json_parse(const char *s, struct jobj *o) {
  o->n = 0;
  if (*s++ != '{')
    return -1;
  if (*s == '}')
    return s[1] ? -1 : 0;
  for (;;) {
    if (o->n == 32)
      return -1;
    struct jv *v = &o->v[o->n++];
    size_t klen;
    if (json_string(&s, v->key, sizeof v->key, &klen) || *s++ != ':')
      return -1;
    if (*s == '"') {
      v->is_string = 1;
      if (json_string(&s, v->str, sizeof v->str, &v->len))
        return -1;
    } else {
      v->is_string = 0;
      if (json_number(&s, v->str, sizeof v->str))
        return -1;
      v->len = strlen(v->str);
    }
    if (*s == ',') {
      s++;
      continue;
    }
    if (*s++ != '}')
      return -1;
    return *s ? -1 : 0;
  }
}

static const struct jv *jget(const struct jobj *o, const char *key) {
  for (size_t i = 0; i < o->n; i++)
    if (strcmp(o->v[i].key, key) == 0)
      return &o->v[i];
  return NULL;
}

static void expect_jstr(const struct jobj *o, const char *key, const char *want) {
  const struct jv *v = jget(o, key);
  if (!v)
    fail_msg("JSON has no key \"%s\"", key);
  assert_true(v->is_string);
  assert_int_equal(v->len, strlen(want));
  assert_memory_equal(v->str, want, v->len);
}

static void expect_jnum(const struct jobj *o, const char *key, const char *want) {
  const struct jv *v = jget(o, key);
  if (!v)
    fail_msg("JSON has no key \"%s\"", key);
  assert_false(v->is_string);
  assert_string_equal(v->str, want);
}

/* ---- Events ------------------------------------------------------------ */

static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};

static struct sn_trace_event every_type(struct sn_trace_field *f) {
  f[0] = SN_TF_U("n", UINT64_MAX);
  f[1] = SN_TF_I("d", -42);
  f[2] = SN_TF_S("s", "plain");
  f[3] = SN_TF_IP("ip", 0xc6120001); /* 198.18.0.1 */
  f[4] = sn_tf_mac("mac", mac);
  f[5] = SN_TF_T("rto", 1234567890);
  f[6] = SN_TF_I("min", INT64_MIN);
  f[7] = SN_TF_U("zero", 0);
  f[8] = SN_TF_T("short", 5);
  return (struct sn_trace_event){.time_ns = 1500000000,
                                 .host = "h1",
                                 .cat = SN_TC_tcp,
                                 .name = "state",
                                 .nfields = 9,
                                 .fields = f};
}

/* Text: time in seconds with nanoseconds, padded host, category and
 * name, then key=value for each field in its natural notation. */
static void test_text_every_type(void **state) {
  (void)state;
  struct sn_trace_field f[9];
  struct sn_trace_event ev = every_type(f);
  char buf[512];
  const char *want =
      "   1.500000000 h1     tcp   state          n=18446744073709551615 "
      "d=-42 s=plain ip=198.18.0.1 mac=02:00:00:00:00:99 rto=1.234567890 "
      "min=-9223372036854775808 zero=0 short=0.000000005";
  size_t n = sn_trace_format_text(&ev, buf, sizeof buf);
  assert_string_equal(buf, want);
  assert_int_equal(n, strlen(want));
  /* Long times, a missing host, no fields. */
  ev.time_ns = 12345ull * 1000000000ull + 1;
  ev.host = NULL;
  ev.cat = SN_TC_drop;
  ev.name = "no_route";
  ev.nfields = 0;
  n = sn_trace_format_text(&ev, buf, sizeof buf);
  assert_string_equal(buf, "12345.000000001 -      drop  no_route      ");
  assert_int_equal(n, strlen(buf));
}

/* Text strings with a space are quoted; characters that would break the
 * line or the quoting (newlines, other control characters, quotes and
 * backslashes) are escaped, so an event is always one line. */
static void test_text_strings(void **state) {
  (void)state;
  struct sn_trace_field f[1];
  struct sn_trace_event ev = {.time_ns = 0, .host = "a", .cat = SN_TC_app,
                              .name = "x", .nfields = 1, .fields = f};
  char buf[256];
  f[0] = SN_TF_S("why", "two words");
  sn_trace_format_text(&ev, buf, sizeof buf);
  assert_non_null(strstr(buf, " why=\"two words\""));
  f[0] = SN_TF_S("why", NULL);
  sn_trace_format_text(&ev, buf, sizeof buf);
  assert_non_null(strstr(buf, " why="));
  assert_int_equal(buf[strlen(buf) - 1], '=');
  f[0] = SN_TF_S("why", "");
  sn_trace_format_text(&ev, buf, sizeof buf);
  assert_int_equal(buf[strlen(buf) - 1], '=');

  const char *nasty = "line1\nline2\r\t\x01 \"q\" \\";
  f[0] = SN_TF_S("why", nasty);
  size_t n = sn_trace_format_text(&ev, buf, sizeof buf);
  assert_int_equal(n, strlen(buf));
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)buf[i] < 0x20)
      fail_msg("raw control character 0x%02x at %zu in \"%s\"", buf[i], i, buf);
  const char *v = strstr(buf, " why=");
  assert_non_null(v);
  assert_string_equal(v, " why=\"line1\\nline2\\r\\t\\x01 \\\"q\\\" \\\\\"");
}

/* JSON: one object with t, host, cat, ev and one member per field;
 * numbers for integers and times (seconds), strings for text, addresses. */
static void test_json_every_type(void **state) {
  (void)state;
  struct sn_trace_field f[9];
  struct sn_trace_event ev = every_type(f);
  char buf[1024];
  size_t n = sn_trace_format_json(&ev, buf, sizeof buf);
  assert_int_equal(n, strlen(buf));
  struct jobj o;
  if (json_parse(buf, &o) != 0)
    fail_msg("invalid JSON: %s", buf);
  assert_int_equal(o.n, 4 + 9);
  expect_jnum(&o, "t", "1500000000");
  expect_jstr(&o, "host", "h1");
  expect_jstr(&o, "cat", "tcp");
  expect_jstr(&o, "ev", "state");
  expect_jnum(&o, "n", "18446744073709551615");
  expect_jnum(&o, "d", "-42");
  expect_jstr(&o, "s", "plain");
  expect_jstr(&o, "ip", "198.18.0.1");
  expect_jstr(&o, "mac", "02:00:00:00:00:99");
  expect_jnum(&o, "rto", "1.234567890");
  expect_jnum(&o, "min", "-9223372036854775808");
  expect_jnum(&o, "zero", "0");
  expect_jnum(&o, "short", "0.000000005");
  /* The members come in order: t, host, cat, ev, then the fields. */
  assert_string_equal(o.v[0].key, "t");
  assert_string_equal(o.v[4].key, "n");
  assert_string_equal(o.v[12].key, "short");
}

/* JSON strings escape quotes, backslashes and every control character,
 * in values, keys, the host and the event name; other bytes pass through. */
static void test_json_escaping(void **state) {
  (void)state;
  char all[40];
  for (int i = 0; i < 31; i++)
    all[i] = (char)(i + 1); /* 0x01 .. 0x1f */
  all[31] = '"';
  all[32] = '\\';
  all[33] = '/';
  all[34] = 0x7f;
  all[35] = (char)0xc3; /* UTF-8 é */
  all[36] = (char)0xa9;
  all[37] = 'z';
  all[38] = 0;
  struct sn_trace_field f[3] = {SN_TF_S("v", all), SN_TF_S("k\"ey\\", "x"),
                                SN_TF_S("nul", NULL)};
  struct sn_trace_event ev = {.time_ns = 7, .host = "h\"1\n", .cat = SN_TC_udp,
                              .name = "n\\ame", .nfields = 3, .fields = f};
  char buf[1024];
  sn_trace_format_json(&ev, buf, sizeof buf);
  struct jobj o;
  if (json_parse(buf, &o) != 0)
    fail_msg("invalid JSON: %s", buf);
  expect_jstr(&o, "v", all);
  expect_jstr(&o, "k\"ey\\", "x");
  expect_jstr(&o, "nul", "");
  expect_jstr(&o, "host", "h\"1\n");
  expect_jstr(&o, "ev", "n\\ame");
  /* A missing host is an empty string. */
  ev.host = NULL;
  ev.nfields = 0;
  sn_trace_format_json(&ev, buf, sizeof buf);
  assert_int_equal(json_parse(buf, &o), 0);
  expect_jstr(&o, "host", "");
}

/* Both formatters return the full length whatever the buffer size, write
 * at most len bytes including the terminating NUL, and write a prefix of
 * the full text; with len 0 nothing is written. */
static void test_truncation(void **state) {
  (void)state;
  struct sn_trace_field f[9];
  struct sn_trace_event ev = every_type(f);
  f[2] = SN_TF_S("s", "quote\" and \\ and \n");
  for (int json = 0; json < 2; json++) {
    char full[1024];
    size_t n = json ? sn_trace_format_json(&ev, full, sizeof full)
                    : sn_trace_format_text(&ev, full, sizeof full);
    assert_int_equal(strlen(full), n);
    for (size_t len = 0; len <= n + 2; len++) {
      char buf[1100];
      memset(buf, 'Z', sizeof buf);
      size_t r = json ? sn_trace_format_json(&ev, buf, len)
                      : sn_trace_format_text(&ev, buf, len);
      assert_int_equal(r, n);
      if (len == 0) {
        assert_int_equal(buf[0], 'Z');
        continue;
      }
      size_t written = len - 1 < n ? len - 1 : n;
      assert_int_equal(strlen(buf), written);
      assert_memory_equal(buf, full, written);
      for (size_t i = written + 1; i < sizeof buf; i++)
        if (buf[i] != 'Z')
          fail_msg("%s, len %zu: byte %zu written", json ? "json" : "text",
                   len, i);
    }
  }
  /* NULL with len 0 only measures. */
  assert_int_equal(sn_trace_format_text(&ev, NULL, 0),
                   sn_trace_format_text(&ev, (char[1024]){0}, 1024));
}

/* The sinks write one line per event, newline-terminated; JSON lines stay
 * whole (and valid) even when an event is longer than a kilobyte. */
static void test_sinks(void **state) {
  (void)state;
  struct sn_trace_field f[9];
  struct sn_trace_event ev = every_type(f);
  char *out = NULL;
  size_t outlen = 0;
  FILE *mem = open_memstream(&out, &outlen);
  assert_non_null(mem);
  sn_trace_sink_text(mem, &ev);
  sn_trace_sink_json(mem, &ev);
  fclose(mem);
  char text[1024], json[1024];
  sn_trace_format_text(&ev, text, sizeof text);
  sn_trace_format_json(&ev, json, sizeof json);
  char want[2100];
  snprintf(want, sizeof want, "%s\n%s\n", text, json);
  assert_string_equal(out, want);
  free(out);

  char big[3001];
  memset(big, 'b', 3000);
  big[3000] = 0;
  f[2] = SN_TF_S("s", big);
  mem = open_memstream(&out, &outlen);
  assert_non_null(mem);
  sn_trace_sink_json(mem, &ev);
  sn_trace_sink_text(mem, &ev);
  fclose(mem);
  char *nl = strchr(out, '\n');
  assert_non_null(nl);
  *nl = 0;
  struct jobj *o = malloc(sizeof *o);
  assert_non_null(o);
  if (json_parse(out, o) != 0)
    fail_msg("long JSON line is not valid JSON (%zu bytes)", strlen(out));
  expect_jstr(o, "s", big);
  free(o);
  /* The text line is whole too, and one line. */
  char *line2 = nl + 1;
  char *nl2 = strchr(line2, '\n');
  assert_non_null(nl2);
  assert_int_equal(nl2[1], 0);
  *nl2 = 0;
  assert_non_null(strstr(line2, big));
  assert_non_null(strstr(line2, "short=0.000000005"));
  free(out);
}

/* Field lookup, the MAC constructor and category names. */
static void test_fields_and_categories(void **state) {
  (void)state;
  struct sn_trace_field f[9];
  struct sn_trace_event ev = every_type(f);
  assert_ptr_equal(sn_trace_field(&ev, "rto"), &f[5]);
  assert_ptr_equal(sn_trace_field(&ev, "n"), &f[0]);
  assert_null(sn_trace_field(&ev, "missing"));
  assert_null(sn_trace_field(&ev, "rt"));
  assert_int_equal(f[4].type, SN_TF_MAC);
  assert_memory_equal(f[4].v.mac, mac, 6);
  assert_string_equal(f[4].key, "mac");

#define CAT_(n) assert_string_equal(sn_trace_cat_name(SN_TC_##n), #n);
  SN_TRACE_CATS(CAT_)
#undef CAT_
  assert_string_equal(sn_trace_cat_name(SN_TC__COUNT), "?");
  assert_string_equal(sn_trace_cat_name((enum sn_trace_cat)-1), "?");
  assert_int_equal(SN_TRACE_ALL, (1u << SN_TC__COUNT) - 1);
}

/* Dotted quads: formatting and parsing are inverses over the whole
 * range, and malformed text is refused without touching the result. */
static void test_ip4(void **state) {
  (void)state;
  char buf[16];
  assert_string_equal(sn_ip4_fmt(0, buf), "0.0.0.0");
  assert_string_equal(sn_ip4_fmt(0xffffffff, buf), "255.255.255.255");
  assert_string_equal(sn_ip4_fmt(0xc6120001, buf), "198.18.0.1");
  assert_string_equal(sn_ip4_fmt(0x7f000001, buf), "127.0.0.1");
  assert_ptr_equal(sn_ip4_fmt(1, buf), buf);

  uint32_t ip = 0;
  assert_int_equal(sn_ip4_parse("198.18.0.1", &ip), 0);
  assert_int_equal(ip, 0xc6120001);
  assert_int_equal(sn_ip4_parse("255.255.255.255", &ip), 0);
  assert_int_equal(ip, 0xffffffff);
  assert_int_equal(sn_ip4_parse("0.0.0.0", &ip), 0);
  assert_int_equal(ip, 0);

  struct sn_rng r;
  sn_rng_seed(&r, 4);
  for (int i = 0; i < 100000; i++) {
    uint32_t a = sn_rng_u32(&r), b = ~a;
    assert_int_equal(sn_ip4_parse(sn_ip4_fmt(a, buf), &b), 0);
    assert_int_equal(a, b);
  }

  const char *bad[] = {"1.2.3",     "256.1.1.1", "1.2.3.4x",  "",
                       "1.2.3.4.5", "1..2.3",    ".1.2.3",    "1.2.3.",
                       " 1.2.3.4",  "1.2.3.4 ",  "1.2.3.256", "1.2.3.-4",
                       "-1.2.3.4",  "1.2.3.4\n", "0001.2.3.4", "a.b.c.d",
                       "1,2,3,4",   "999.1.1.1", "1.2.3.4/24", "4294967295"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint32_t v = 0xdeadbeef;
    if (sn_ip4_parse(bad[i], &v) != -EINVAL)
      fail_msg("\"%s\" was accepted", bad[i]);
    assert_int_equal(v, 0xdeadbeef);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_every_type),
      cmocka_unit_test(test_text_strings),
      cmocka_unit_test(test_json_every_type),
      cmocka_unit_test(test_json_escaping),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_sinks),
      cmocka_unit_test(test_fields_and_categories),
      cmocka_unit_test(test_ip4),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
