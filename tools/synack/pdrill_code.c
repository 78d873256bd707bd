/*
 * pdrill_code.c - the %{ ... }% code blocks of scripts (GRAMMAR §8), in
 * the subset the TCP tests use: `assert tcpi_X OP VALUE[, message]`
 * statements separated by newlines or ';'. The runner takes a TCP_INFO
 * snapshot of the connection under test when the block's event runs; the
 * asserts are evaluated against it after the script ends, as upstream
 * does. Anything else in a block is reported as unsupported.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdrill.h"

/* Linux's TCP state numbers, indexed by synack's (RFC order). */
static const uint8_t linux_state[] = {7, 10, 2, 3, 1, 4, 5, 8, 11, 9, 6};

#define U8_(f) {#f, offsetof(struct sn_tcp_info, f), 1}
#define U32_(f) {#f, offsetof(struct sn_tcp_info, f), 4}
#define U64_(f) {#f, offsetof(struct sn_tcp_info, f), 8}
static const struct {
  const char *name;
  size_t off;
  int size;
} fields[] = {
    U8_(tcpi_state), U8_(tcpi_ca_state), U8_(tcpi_retransmits), U8_(tcpi_probes),
    U8_(tcpi_backoff), U8_(tcpi_options), U8_(tcpi_snd_wscale), U8_(tcpi_rcv_wscale),
    U32_(tcpi_rto), U32_(tcpi_ato), U32_(tcpi_snd_mss), U32_(tcpi_advmss),
    U32_(tcpi_unacked), U32_(tcpi_sacked), U32_(tcpi_lost), U32_(tcpi_retrans),
    U32_(tcpi_rtt), U32_(tcpi_rttvar), U32_(tcpi_min_rtt), U32_(tcpi_snd_ssthresh),
    U32_(tcpi_snd_cwnd), U32_(tcpi_reordering), U32_(tcpi_total_retrans),
    U32_(tcpi_snd_wnd), U32_(tcpi_rcv_wnd), U32_(tcpi_notsent_bytes),
    U64_(tcpi_bytes_acked), U64_(tcpi_bytes_received),
};
#undef U8_
#undef U32_
#undef U64_

static int field_index(const char *name) {
  for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
    if (!strcmp(fields[k].name, name))
      return (int)k;
  return -1;
}

static int64_t field_value(const struct sn_tcp_info *info, int k) {
  const uint8_t *p = (const uint8_t *)info + fields[k].off;
  if (fields[k].size == 1) {
    if (!strcmp(fields[k].name, "tcpi_state") && *p < sizeof linux_state)
      return linux_state[*p];
    return *p;
  }
  if (fields[k].size == 4) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
  }
  uint64_t v;
  memcpy(&v, p, 8);
  return (int64_t)v;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = 0;
  return s;
}

/* One statement: assert FIELD OP VALUE [, message]. */
static int parse_assert(char *st, struct pd_assert *a, char *why, size_t len) {
  char field[40], op[4], value[48];
  int used = 0;
  if (sscanf(st, "assert %39[A-Za-z0-9_] %3[=!<>] %47[A-Za-z0-9_-]%n", field, op, value,
             &used) != 3) {
    snprintf(why, len, "code block statement '%.60s' is not 'assert tcpi_X OP N'", st);
    return 1;
  }
  const char *rest = trim(st + used);
  if (*rest && *rest != ',') {
    snprintf(why, len, "code block: '%.60s' is more than a simple comparison", st);
    return 1;
  }
  if (field_index(field) < 0) {
    snprintf(why, len, "code block: %s is not a TCP_INFO field this interpreter knows", field);
    return 1;
  }
  static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
  bool op_ok = false;
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
    op_ok |= !strcmp(op, ops[k]);
  char *end;
  long long v = strtoll(value, &end, 0);
  int64_t sv;
  if (*end && !pd_sym_value(value, &sv)) {
    snprintf(why, len, "code block: unknown value %s", value);
    return 1;
  }
  if (!op_ok) {
    snprintf(why, len, "code block: unknown comparison %s", op);
    return 1;
  }
  snprintf(a->field, sizeof a->field, "%s", field);
  snprintf(a->op, sizeof a->op, "%s", op);
  a->value = *end ? sv : v;
  snprintf(a->text, sizeof a->text, "assert %s %s %s", field, op, value);
  return 0;
}

int pd_code_parse(const char *code, struct pd_snap *out, char *why, size_t len) {
  char *copy = strdup(code), *save = NULL;
  int rc = 0;
  if (!copy) {
    snprintf(why, len, "out of memory");
    return 1;
  }
  out->nasserts = 0;
  for (char *st = strtok_r(copy, "\n;", &save); st && rc == 0;
       st = strtok_r(NULL, "\n;", &save)) {
    st = trim(st);
    if (!*st || *st == '#')
      continue;
    if (out->nasserts == PD_MAX_ASSERTS) {
      snprintf(why, len, "code block: more than %d asserts", PD_MAX_ASSERTS);
      rc = 1;
    } else {
      rc = parse_assert(st, &out->a[out->nasserts], why, len);
      out->nasserts += rc == 0;
    }
  }
  free(copy);
  return rc;
}

static bool holds(int64_t v, const char *op, int64_t want) {
  if (!strcmp(op, "=="))
    return v == want;
  if (!strcmp(op, "!="))
    return v != want;
  if (!strcmp(op, "<"))
    return v < want;
  if (!strcmp(op, "<="))
    return v <= want;
  if (!strcmp(op, ">"))
    return v > want;
  return v >= want;
}

int pd_code_eval(const struct pd_snap *s, struct pd_result *r) {
  for (int k = 0; k < s->nasserts; k++) {
    const struct pd_assert *a = &s->a[k];
    r->line = s->line;
    r->at_us = s->at_us;
    snprintf(r->expected, sizeof r->expected, "%s", a->text);
    if (!s->have_info) {
      r->verdict = PD_FAIL;
      snprintf(r->msg, sizeof r->msg, "error executing code: no TCP_INFO snapshot: %s",
               s->why);
      return -1;
    }
    int64_t v = field_value(&s->info, field_index(a->field));
    if (!holds(v, a->op, a->value)) {
      r->verdict = PD_FAIL;
      snprintf(r->msg, sizeof r->msg, "error executing code: AssertionError: %s (%s is %lld)",
               a->text, a->field, (long long)v);
      snprintf(r->actual, sizeof r->actual, "%s = %lld", a->field, (long long)v);
      return -1;
    }
  }
  r->expected[0] = 0;
  return 0;
}
