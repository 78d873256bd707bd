/*
 * test_config.c - run-time configuration (base/config.c): the defaults of
 * the `linux` and `rfc` profiles, setting and reading knobs by their
 * sysctl names (scalar and vector knobs), the errors for unknown names,
 * bad text and out-of-range values (with the configuration left as it
 * was), and the knob listing.
 *
 * Expectations per knob are generated from the same X-macro lists as the
 * code, so knobs added later are covered too; a few documented values are
 * also spelled out.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/config.h"

#define UNPAREN_(...) __VA_ARGS__

#define COUNT_S_(name, l, r, lo, hi, unit, desc) +1
#define COUNT_V_(name, n, l, r, lo, hi, unit, desc) +1
#ifdef SN_SKNOBS /* text knobs, where the configuration has them */
#define COUNT_T_(name, l, r, desc) +1
#define N_TEXT_KNOBS (0 SN_SKNOBS(COUNT_T_))
#else
#define N_TEXT_KNOBS 0
#endif
static const size_t n_knobs =
    0 SN_KNOBS(COUNT_S_) SN_VKNOBS(COUNT_V_) + N_TEXT_KNOBS;

static void get(const struct sn_config *cfg, const char *name, char *buf,
                size_t len) {
  int rc = sn_config_get(cfg, name, buf, len);
  if (rc != 0)
    fail_msg("sn_config_get(%s) = %d", name, rc);
}

/* The values the documentation names. */
static void test_documented_defaults(void **state) {
  (void)state;
  struct sn_config lx, rfc;
  sn_config_default(&lx, SN_PROFILE_LINUX);
  sn_config_default(&rfc, SN_PROFILE_RFC);
  assert_int_equal(lx.profile, SN_PROFILE_LINUX);
  assert_int_equal(rfc.profile, SN_PROFILE_RFC);
  assert_int_equal(lx.ip_default_ttl, 64);
  assert_int_equal(rfc.ip_default_ttl, 64);
  assert_int_equal(lx.ipfrag_time, 30);
  assert_int_equal(rfc.ipfrag_time, 60);
  assert_int_equal(lx.ip_local_port_range[0], 32768);
  assert_int_equal(lx.ip_local_port_range[1], 60999);
  assert_int_equal(rfc.ip_local_port_range[0], 49152);
  assert_int_equal(rfc.ip_local_port_range[1], 65535);
  char buf[64];
  get(&lx, "ip_default_ttl", buf, sizeof buf);
  assert_string_equal(buf, "64");
  get(&lx, "ipfrag_time", buf, sizeof buf);
  assert_string_equal(buf, "30");
  get(&rfc, "ipfrag_time", buf, sizeof buf);
  assert_string_equal(buf, "60");
  get(&lx, "ip_local_port_range", buf, sizeof buf);
  assert_string_equal(buf, "32768 60999");
  get(&rfc, "ip_local_port_range", buf, sizeof buf);
  assert_string_equal(buf, "49152 65535");
}

/* Every knob's default in both profiles, in the struct and as text,
 * equals its entry in the lists; every default lies within its range. */
static void test_all_defaults(void **state) {
  (void)state;
  struct sn_config lx, rfc;
  sn_config_default(&lx, SN_PROFILE_LINUX);
  sn_config_default(&rfc, SN_PROFILE_RFC);
  char buf[128], want[128];
#define CHECK_S_(name, l, r, lo, hi, unit, desc)                               \
  assert_true(lx.name == (l) && rfc.name == (r));                              \
  assert_true((l) >= (lo) && (l) <= (hi) && (r) >= (lo) && (r) <= (hi));       \
  get(&lx, #name, buf, sizeof buf);                                            \
  snprintf(want, sizeof want, "%lld", (long long)(l));                         \
  assert_string_equal(buf, want);                                              \
  get(&rfc, #name, buf, sizeof buf);                                           \
  snprintf(want, sizeof want, "%lld", (long long)(r));                         \
  assert_string_equal(buf, want);
  SN_KNOBS(CHECK_S_)
#undef CHECK_S_
#define CHECK_V_(name, n, l, r, lo, hi, unit, desc)                            \
  {                                                                            \
    const int64_t lv[3] = {UNPAREN_ l}, rv[3] = {UNPAREN_ r};                  \
    char *pl = want;                                                           \
    for (int i = 0; i < (n); i++) {                                            \
      assert_true(lx.name[i] == lv[i] && rfc.name[i] == rv[i]);                \
      assert_true(lv[i] >= (lo) && lv[i] <= (hi));                             \
      assert_true(rv[i] >= (lo) && rv[i] <= (hi));                             \
      pl += sprintf(pl, "%s%lld", i ? " " : "", (long long)lv[i]);             \
    }                                                                          \
    get(&lx, #name, buf, sizeof buf);                                          \
    assert_string_equal(buf, want);                                            \
  }
  SN_VKNOBS(CHECK_V_)
#undef CHECK_V_
#ifdef SN_SKNOBS
#define CHECK_T_(name, l, r, desc)                                             \
  assert_string_equal(lx.name, l);                                             \
  assert_string_equal(rfc.name, r);                                            \
  get(&lx, #name, buf, sizeof buf);                                            \
  assert_string_equal(buf, l);                                                 \
  get(&rfc, #name, buf, sizeof buf);                                           \
  assert_string_equal(buf, r);
  SN_SKNOBS(CHECK_T_)
#undef CHECK_T_
#endif
}

/* Set and read back by name, at the ends of the range too. */
static void test_set_get_scalar(void **state) {
  (void)state;
  struct sn_config cfg;
  sn_config_default(&cfg, SN_PROFILE_LINUX);
  char buf[64];
  assert_int_equal(sn_config_set(&cfg, "ip_default_ttl", "128"), 0);
  assert_int_equal(cfg.ip_default_ttl, 128);
  get(&cfg, "ip_default_ttl", buf, sizeof buf);
  assert_string_equal(buf, "128");
  assert_int_equal(sn_config_set(&cfg, "ip_default_ttl", "1"), 0);
  assert_int_equal(cfg.ip_default_ttl, 1);
  assert_int_equal(sn_config_set(&cfg, "ip_default_ttl", "255"), 0);
  assert_int_equal(cfg.ip_default_ttl, 255);
  /* Trailing blanks are fine. */
  assert_int_equal(sn_config_set(&cfg, "ipfrag_time", "45 "), 0);
  assert_int_equal(cfg.ipfrag_time, 45);
  /* Values past 32 bits. */
  assert_int_equal(sn_config_set(&cfg, "pbuf_max_bytes", "68719476736"), 0);
  assert_true(cfg.pbuf_max_bytes == 68719476736ll);
  get(&cfg, "pbuf_max_bytes", buf, sizeof buf);
  assert_string_equal(buf, "68719476736");
  /* Other knobs were not touched. */
  struct sn_config def;
  sn_config_default(&def, SN_PROFILE_LINUX);
  assert_int_equal(cfg.icmp_msgs_burst, def.icmp_msgs_burst);
  assert_int_equal(cfg.ip_local_port_range[0], def.ip_local_port_range[0]);
}

/* The vector knob ip_local_port_range takes and gives two numbers. */
static void test_set_get_vector(void **state) {
  (void)state;
  struct sn_config cfg;
  sn_config_default(&cfg, SN_PROFILE_LINUX);
  char buf[64];
  get(&cfg, "ip_local_port_range", buf, sizeof buf);
  assert_string_equal(buf, "32768 60999");
  assert_int_equal(sn_config_set(&cfg, "ip_local_port_range", "1024 65000"), 0);
  assert_int_equal(cfg.ip_local_port_range[0], 1024);
  assert_int_equal(cfg.ip_local_port_range[1], 65000);
  get(&cfg, "ip_local_port_range", buf, sizeof buf);
  assert_string_equal(buf, "1024 65000");
  assert_int_equal(sn_config_set(&cfg, "ip_local_port_range", "40000\t50000"), 0);
  get(&cfg, "ip_local_port_range", buf, sizeof buf);
  assert_string_equal(buf, "40000 50000");
  assert_int_equal(sn_config_set(&cfg, "ip_local_port_range", "1 65535"), 0);
  get(&cfg, "ip_local_port_range", buf, sizeof buf);
  assert_string_equal(buf, "1 65535");
}

static void expect_error(const char *name, const char *value, int err) {
  struct sn_config cfg, before;
  sn_config_default(&cfg, SN_PROFILE_RFC);
  memcpy(&before, &cfg, sizeof cfg);
  int rc = sn_config_set(&cfg, name, value);
  if (rc != err)
    fail_msg("sn_config_set(%s, \"%s\") = %d, want %d", name, value, rc, err);
  assert_memory_equal(&cfg, &before, sizeof cfg);
}

/* Unknown names, bad text and out-of-range values are refused with the
 * documented errors and leave the configuration unchanged. */
static void test_errors(void **state) {
  (void)state;
  expect_error("no_such_knob", "1", -ENOENT);
  expect_error("", "1", -ENOENT);
  expect_error("IP_DEFAULT_TTL", "64", -ENOENT);
  expect_error("ip_default_ttl ", "64", -ENOENT);
  expect_error("ip_default", "64", -ENOENT);

  expect_error("ip_default_ttl", "", -EINVAL);
  expect_error("ip_default_ttl", " ", -EINVAL);
  expect_error("ip_default_ttl", "abc", -EINVAL);
  expect_error("ip_default_ttl", "12abc", -EINVAL);
  expect_error("ip_default_ttl", "64 65", -EINVAL);
  expect_error("ip_default_ttl", "6.4", -EINVAL);
  expect_error("ip_local_port_range", "1024", -EINVAL);
  expect_error("ip_local_port_range", "1024 x", -EINVAL);
  expect_error("ip_local_port_range", "1024 2048 4096", -EINVAL);
  expect_error("ip_local_port_range", "", -EINVAL);

  expect_error("ip_default_ttl", "0", -ERANGE);
  expect_error("ip_default_ttl", "256", -ERANGE);
  expect_error("ip_default_ttl", "-1", -ERANGE);
  expect_error("ip_default_ttl", "99999999999999999999999", -ERANGE);
  expect_error("ip_default_ttl", "-99999999999999999999999", -ERANGE);
  expect_error("pbuf_max_bytes", "68719476737", -ERANGE);
  expect_error("ip_local_port_range", "1 70000", -ERANGE);
  expect_error("ip_local_port_range", "0 100", -ERANGE);
  expect_error("ip_local_port_range", "70000 1", -ERANGE);
}

/* Reading: unknown names, and buffers too small for the text (truncated
 * and terminated like snprintf, or untouched when empty). */
static void test_get_errors(void **state) {
  (void)state;
  struct sn_config cfg;
  sn_config_default(&cfg, SN_PROFILE_LINUX);
  char buf[64];
  assert_int_equal(sn_config_get(&cfg, "nope", buf, sizeof buf), -ENOENT);
  /* "32768 60999" is 11 characters. */
  assert_int_equal(sn_config_get(&cfg, "ip_local_port_range", buf, 12), 0);
  assert_string_equal(buf, "32768 60999");
  memset(buf, 'x', sizeof buf);
  assert_int_equal(sn_config_get(&cfg, "ip_local_port_range", buf, 11), -ENOSPC);
  assert_string_equal(buf, "32768 6099");
  memset(buf, 'x', sizeof buf);
  assert_int_equal(sn_config_get(&cfg, "ip_local_port_range", buf, 3), -ENOSPC);
  assert_string_equal(buf, "32");
  assert_int_equal(buf[3], 'x');
  buf[0] = 'Z';
  assert_int_equal(sn_config_get(&cfg, "ip_default_ttl", buf, 0), -ENOSPC);
  assert_int_equal(buf[0], 'Z');
  assert_int_equal(sn_config_get(&cfg, "ip_default_ttl", buf, 2), -ENOSPC);
  assert_string_equal(buf, "6");
}

/* The listing: every knob once, with name, unit, description, a sane range
 * and count, readable and writable by its name (what is read back can be
 * set again, changing nothing); NULL past the end. */
static void test_listing(void **state) {
  (void)state;
  struct sn_config cfg;
  sn_config_default(&cfg, SN_PROFILE_LINUX);
  size_t n = 0;
  int saw_ttl = 0, saw_range = 0;
  while (sn_config_knob(n))
    n++;
  assert_int_equal(n, n_knobs);
  assert_null(sn_config_knob(n));
  assert_null(sn_config_knob(n + 1000));
  for (size_t i = 0; i < n; i++) {
    const struct sn_knob_info *k = sn_config_knob(i);
    assert_non_null(k->name);
    assert_true(strlen(k->name) > 0);
    assert_non_null(k->unit);
    assert_true(strlen(k->unit) > 0);
    assert_non_null(k->desc);
    assert_true(strlen(k->desc) > 0);
    assert_true(k->min <= k->max);
    /* 1 for scalars, 2 or 3 for vectors, 0 for text knobs. */
    assert_true(k->count >= (N_TEXT_KNOBS ? 0 : 1) && k->count <= 3);
    for (size_t j = 0; j < i; j++)
      assert_string_not_equal(k->name, sn_config_knob(j)->name);
    char buf[128];
    get(&cfg, k->name, buf, sizeof buf);
    /* Setting the text read back is accepted and changes nothing. */
    struct sn_config copy;
    memcpy(&copy, &cfg, sizeof cfg);
    assert_int_equal(sn_config_set(&copy, k->name, buf), 0);
    assert_memory_equal(&copy, &cfg, sizeof cfg);
    /* Each number read lies within the knob's range. */
    char *p = buf;
    for (int v = 0; v < k->count; v++) {
      char *end;
      long long x = strtoll(p, &end, 10);
      assert_true(end != p);
      assert_true(x >= k->min && x <= k->max);
      p = end;
    }
    if (strcmp(k->name, "ip_default_ttl") == 0) {
      saw_ttl = 1;
      assert_int_equal(k->count, 1);
      assert_int_equal(k->min, 1);
      assert_int_equal(k->max, 255);
    }
    if (strcmp(k->name, "ip_local_port_range") == 0) {
      saw_range = 1;
      assert_int_equal(k->count, 2);
      assert_string_equal(k->unit, "port");
    }
  }
  assert_true(saw_ttl && saw_range);
}

/* Profile names. */
static void test_profiles(void **state) {
  (void)state;
  enum sn_profile p = SN_PROFILE_RFC;
  assert_int_equal(sn_profile_parse("linux", &p), 0);
  assert_int_equal(p, SN_PROFILE_LINUX);
  assert_int_equal(sn_profile_parse("rfc", &p), 0);
  assert_int_equal(p, SN_PROFILE_RFC);
  assert_int_equal(sn_profile_parse("bsd", &p), -EINVAL);
  assert_int_equal(sn_profile_parse("", &p), -EINVAL);
  assert_int_equal(sn_profile_parse("Linux", &p), -EINVAL);
  assert_int_equal(p, SN_PROFILE_RFC);
  assert_string_equal(sn_profile_name(SN_PROFILE_LINUX), "linux");
  assert_string_equal(sn_profile_name(SN_PROFILE_RFC), "rfc");
  for (int i = 0; i < 2; i++) {
    enum sn_profile q;
    assert_int_equal(sn_profile_parse(sn_profile_name((enum sn_profile)i), &q), 0);
    assert_int_equal(q, i);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_documented_defaults),
      cmocka_unit_test(test_all_defaults),
      cmocka_unit_test(test_set_get_scalar),
      cmocka_unit_test(test_set_get_vector),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_get_errors),
      cmocka_unit_test(test_listing),
      cmocka_unit_test(test_profiles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
