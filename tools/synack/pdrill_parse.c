/*
 * pdrill_parse.c - the parser of packetdrill scripts (GRAMMAR §2-§6):
 * options, the init and cleanup commands, and the timed events (packets,
 * system calls, commands and code blocks) with the checks upstream makes
 * before running anything (consistent start:end(len), a window on every
 * inbound packet, padded options, time forms allowed where they are).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pdrill.h"

struct parser {
  const struct pd_tokens *tk;
  size_t i;                /* next token */
  struct pd_script *sc;
  int *errline;
  char *err;
  size_t errlen;
};

static const struct pd_token *peek(const struct parser *p, size_t k) {
  size_t j = p->i + k;
  return &p->tk->v[j < p->tk->n ? j : p->tk->n - 1];
}
static const struct pd_token *next(struct parser *p) {
  const struct pd_token *t = peek(p, 0);
  if (t->kind != PD_TK_EOF)
    p->i++;
  return t;
}
static bool is_char(const struct pd_token *t, char c) {
  return t->kind == PD_TK_CHAR && t->ch == c;
}
static bool is_word(const struct pd_token *t, const char *w) {
  return t->kind == PD_TK_WORD && !strcmp(t->text, w);
}
static bool is_num(const struct pd_token *t) {
  return t->kind == PD_TK_INT || t->kind == PD_TK_FLOAT;
}

static int perr(struct parser *p, const struct pd_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct parser *p, const struct pd_token *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err, p->errlen, fmt, ap);
  va_end(ap);
  *p->errline = t->line;
  return -1;
}

/* A short description of a token for error messages. */
static const char *tok_desc(const struct pd_token *t, char *buf, size_t len) {
  switch (t->kind) {
  case PD_TK_EOF: return "the end of the script";
  case PD_TK_CHAR: snprintf(buf, len, "'%c'", t->ch); return buf;
  case PD_TK_ELLIPSIS: return "'...'";
  case PD_TK_SHELL: return "a `command`";
  case PD_TK_CODE: return "a %{ code }% block";
  case PD_TK_INT:
  case PD_TK_FLOAT:
    snprintf(buf, len, "number %g", t->fval);
    return buf;
  default: snprintf(buf, len, "'%s'", t->text ? t->text : "?"); return buf;
  }
}

static int expect_char(struct parser *p, char c, const char *what) {
  const struct pd_token *t = peek(p, 0);
  char b[64];
  if (!is_char(t, c))
    return perr(p, t, "expected '%c' %s, found %s", c, what, tok_desc(t, b, sizeof b));
  next(p);
  return 0;
}

static int expect_uint(struct parser *p, uint32_t *out, const char *what) {
  const struct pd_token *t = peek(p, 0);
  char b[64];
  if (t->kind != PD_TK_INT || t->ival < 0 || t->ival > UINT32_MAX)
    return perr(p, t, "expected %s (an integer from 0 to 4294967295), found %s",
                what, tok_desc(t, b, sizeof b));
  *out = (uint32_t)t->ival;
  next(p);
  return 0;
}

/* The tokens [a, b) as written, on one line with single spaces. */
static char *join_tokens(const struct pd_tokens *tk, size_t a, size_t b) {
  size_t len = 1;
  for (size_t k = a; k < b; k++)
    len += tk->v[k].end - tk->v[k].start + 1;
  char *s = malloc(len), *o = s;
  if (!s)
    return NULL;
  for (size_t k = a; k < b; k++) {
    if (k > a && tk->v[k].start > tk->v[k - 1].end)
      *o++ = ' ';
    for (size_t c = tk->v[k].start; c < tk->v[k].end; c++)
      *o++ = isspace((unsigned char)tk->src[c]) ? ' ' : tk->src[c];
  }
  *o = 0;
  return s;
}

/* Times ----------------------------------------------------------------------- */

static int parse_seconds(struct parser *p, int64_t *us) {
  const struct pd_token *t = peek(p, 0);
  char b[64];
  if (!is_num(t) || t->usecs < 0)
    return perr(p, t, "expected a time in seconds, found %s", tok_desc(t, b, sizeof b));
  if (t->usecs >= 1000000000000000LL)
    return perr(p, t, "time %s is too large", tok_desc(t, b, sizeof b));
  *us = t->usecs;
  next(p);
  return 0;
}

static int parse_time(struct parser *p, struct pd_time *tm) {
  memset(tm, 0, sizeof *tm);
  if (is_char(peek(p, 0), '*')) {
    next(p);
    tm->kind = PD_TIME_ANY;
    return 0;
  }
  bool rel = is_char(peek(p, 0), '+');
  if (rel)
    next(p);
  if (parse_seconds(p, &tm->t))
    return -1;
  tm->kind = rel ? PD_TIME_REL : PD_TIME_ABS;
  if (is_char(peek(p, 0), '~')) {
    next(p);
    bool rel2 = is_char(peek(p, 0), '+');
    if (rel2 != rel)
      return perr(p, peek(p, 0), "both ends of a time range need a '+', or neither");
    if (rel2)
      next(p);
    if (parse_seconds(p, &tm->t_end))
      return -1;
    if (tm->t_end < tm->t)
      return perr(p, peek(p, 0), "a time range must not end before it starts");
    tm->kind = rel ? PD_TIME_REL_RANGE : PD_TIME_ABS_RANGE;
  } else if (peek(p, 0)->kind == PD_TK_ELLIPSIS) {
    next(p);
    if (is_char(peek(p, 0), '+'))
      next(p);
    if (parse_seconds(p, &tm->block_end))
      return -1;
    tm->blocking = true;
  }
  return 0;
}

/* Packets --------------------------------------------------------------------- */

/* [ect0], (tos 0x10), [noecn], (ttl 64), (flowlabel 0x1): IP fields. */
static bool ip_info_next(const struct parser *p) {
  const struct pd_token *a = peek(p, 0), *b = peek(p, 1);
  static const char *const words[] = {"ect0", "ect1", "ect01", "ce", "noecn",
                                      "tos", "ttl", "flowlabel", "id"};
  if (!is_char(a, '[') && !is_char(a, '('))
    return false;
  for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
    if (is_word(b, words[k]))
      return true;
  return false;
}

static int parse_ip_info(struct parser *p, struct pd_packet *pk) {
  char close = peek(p, 0)->ch == '[' ? ']' : ')';
  next(p);
  while (!is_char(peek(p, 0), close)) {
    const struct pd_token *t = next(p);
    uint32_t v = 0;
    if (is_word(t, "ect0"))
      pk->ecn = PD_ECN_ECT0;
    else if (is_word(t, "ect1"))
      pk->ecn = PD_ECN_ECT1;
    else if (is_word(t, "ect01"))
      pk->ecn = PD_ECN_ECT01;
    else if (is_word(t, "ce"))
      pk->ecn = PD_ECN_CE;
    else if (is_word(t, "noecn"))
      pk->ecn = PD_ECN_NOT;
    else if (is_word(t, "tos") || is_word(t, "ttl") || is_word(t, "flowlabel") ||
             is_word(t, "id")) {
      if (expect_uint(p, &v, t->text))
        return -1;
      if (is_word(t, "tos"))
        pk->tos = (int)(v & 0xff);
      else if (is_word(t, "ttl"))
        pk->ttl = (int)(v & 0xff);
      else if (is_word(t, "flowlabel"))
        pk->flowlabel = true;
    } else if (!is_char(t, ',')) {
      char b[64];
      return perr(p, t, "unexpected %s in IP fields", tok_desc(t, b, sizeof b));
    }
  }
  next(p);
  return 0;
}

/* start:end(len), with end == start + len. */
static int parse_range(struct parser *p, uint32_t *start, uint32_t *len) {
  uint32_t a, e, n;
  const struct pd_token *t = peek(p, 0);
  if (expect_uint(p, &a, "a sequence number") || expect_char(p, ':', "in start:end(len)") ||
      expect_uint(p, &e, "an end sequence number") ||
      expect_char(p, '(', "in start:end(len)") || expect_uint(p, &n, "a length") ||
      expect_char(p, ')', "in start:end(len)"))
    return -1;
  if ((uint32_t)(e - a) != n)
    return perr(p, t, "inconsistent sequence range %u:%u(%u): end must be start + length",
                a, e, n);
  *start = a;
  *len = n;
  return 0;
}

static int parse_flags(struct parser *p, struct pd_packet *pk) {
  const struct pd_token *t = peek(p, 0);
  if (is_char(t, '-')) {
    next(p);
    return 0;
  }
  if (is_char(t, '.')) {
    next(p);
    pk->flags = PD_F_ACK;
    return 0;
  }
  char b[64];
  if (t->kind != PD_TK_WORD && t->kind != PD_TK_INT)
    return perr(p, t, "expected TCP flags (S, S., P., F., R, ., - ...), found %s",
                tok_desc(t, b, sizeof b));
  char txt[32];
  if (t->kind == PD_TK_INT)
    snprintf(txt, sizeof txt, "%lld", (long long)t->ival);
  else
    snprintf(txt, sizeof txt, "%s", t->text);
  for (const char *c = txt; *c; c++) {
    switch (*c) {
    case 'S': pk->flags |= PD_F_SYN; break;
    case 'F': pk->flags |= PD_F_FIN; break;
    case 'R': pk->flags |= PD_F_RST; break;
    case 'P': pk->flags |= PD_F_PSH; break;
    case 'U': pk->flags |= PD_F_URG; break;
    case 'E': pk->flags |= PD_F_ECE; break;
    case 'W': pk->flags |= PD_F_CWR; break;
    case 'A': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
      pk->accecn = true;
      break;
    default:
      return perr(p, t, "unknown TCP flag '%c' in '%s'", *c, txt);
    }
  }
  next(p);
  const struct pd_token *d = peek(p, 0);
  if (is_char(d, '.') && d->start == t->end) {
    pk->flags |= PD_F_ACK;
    next(p);
  }
  return 0;
}

/* Options this interpreter does not build, as static names. */
static const char *other_opt_name(const char *w) {
  static const char *const names[] = {"md5", "FO", "FOEXP", "ECN", "exp", "mpcapable", "mptcp"};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (!strcmp(w, names[k]))
      return names[k];
  return NULL;
}

/* An option we do not build: skip to the next ',' or '>'. */
static int skip_other_opt(struct parser *p, struct pd_tcpopt *o, const char *name) {
  o->kind = PD_OPT_OTHER;
  o->name = name;
  while (!is_char(peek(p, 0), ',') && !is_char(peek(p, 0), '>')) {
    if (peek(p, 0)->kind == PD_TK_EOF)
      return perr(p, peek(p, 0), "unterminated TCP option list");
    next(p);
  }
  return 0;
}

static int parse_sack(struct parser *p, struct pd_tcpopt *o) {
  o->kind = PD_OPT_SACK;
  while (peek(p, 0)->kind == PD_TK_INT) {
    uint32_t l, r;
    if (o->nsack == PD_MAX_SACK)
      return perr(p, peek(p, 0), "at most %d SACK blocks", PD_MAX_SACK);
    if (expect_uint(p, &l, "a SACK left edge") || expect_char(p, ':', "in a SACK block") ||
        expect_uint(p, &r, "a SACK right edge"))
      return -1;
    o->sack[o->nsack][0] = l;
    o->sack[o->nsack][1] = r;
    o->nsack++;
  }
  o->len = (uint8_t)(2 + 8 * o->nsack);
  return 0;
}

static int parse_opt(struct parser *p, struct pd_tcpopt *o) {
  const struct pd_token *t = next(p);
  char b[64];
  memset(o, 0, sizeof *o);
  if (t->kind != PD_TK_WORD)
    return perr(p, t, "expected a TCP option, found %s", tok_desc(t, b, sizeof b));
  if (!strcmp(t->text, "nop") || !strcmp(t->text, "eol")) {
    o->kind = t->text[0] == 'n' ? PD_OPT_NOP : PD_OPT_EOL;
    o->len = 1;
  } else if (!strcmp(t->text, "mss")) {
    o->kind = PD_OPT_MSS;
    o->len = 4;
    return expect_uint(p, &o->a, "an MSS");
  } else if (!strcmp(t->text, "wscale")) {
    o->kind = PD_OPT_WSCALE;
    o->len = 3;
    return expect_uint(p, &o->a, "a window scale");
  } else if (!strcmp(t->text, "sackOK")) {
    o->kind = PD_OPT_SACKOK;
    o->len = 2;
  } else if (!strcmp(t->text, "sack")) {
    return parse_sack(p, o);
  } else if (!strcmp(t->text, "TS")) {
    o->kind = PD_OPT_TS;
    o->len = 10;
    if (!is_word(peek(p, 0), "val"))
      return perr(p, peek(p, 0), "expected 'val' after TS");
    next(p);
    if (expect_uint(p, &o->a, "a TS val"))
      return -1;
    if (!is_word(peek(p, 0), "ecr"))
      return perr(p, peek(p, 0), "expected 'ecr' after the TS val");
    next(p);
    return expect_uint(p, &o->b, "a TS ecr");
  } else if (other_opt_name(t->text)) {
    return skip_other_opt(p, o, other_opt_name(t->text));
  } else {
    return perr(p, t, "unknown TCP option '%s'", t->text);
  }
  return 0;
}

static int parse_options(struct parser *p, struct pd_packet *pk) {
  const struct pd_token *start = next(p); /* '<' */
  if (peek(p, 0)->kind == PD_TK_ELLIPSIS) {
    next(p);
    pk->opts_any = true;
    return expect_char(p, '>', "after <...");
  }
  bool other = false;
  for (;;) {
    if (pk->nopts == PD_MAX_OPTS)
      return perr(p, peek(p, 0), "too many TCP options");
    struct pd_tcpopt *o = &pk->opts[pk->nopts++];
    if (parse_opt(p, o))
      return -1;
    other |= o->kind == PD_OPT_OTHER;
    pk->optlen += o->len;
    if (is_char(peek(p, 0), ','))
      next(p);
    else if (is_char(peek(p, 0), '>'))
      break;
    else {
      char b[64];
      return perr(p, peek(p, 0), "expected ',' or '>' in TCP options, found %s",
                  tok_desc(peek(p, 0), b, sizeof b));
    }
  }
  next(p);
  if (!other && pk->optlen % 4)
    return perr(p, start, "TCP options take %u bytes, not a multiple of 4: pad them with nop",
                pk->optlen);
  if (!other && pk->optlen > 40)
    return perr(p, start, "TCP options take %u bytes, more than the 40 a header holds",
                pk->optlen);
  return 0;
}

static int parse_icmp_quote(struct parser *p, struct pd_packet *pk) {
  next(p); /* '[' */
  pk->has_quote = true;
  if (parse_range(p, &pk->qseq, &pk->qlen))
    return -1;
  return expect_char(p, ']', "after the quoted sequence range");
}

static int parse_icmp(struct parser *p, struct pd_packet *pk) {
  pk->proto = PD_PROTO_ICMP;
  const struct pd_token *t = next(p);
  if (t->kind != PD_TK_WORD)
    return perr(p, t, "expected an ICMP type after 'icmp'");
  snprintf(pk->icmp_type, sizeof pk->icmp_type, "%s", t->text);
  if (peek(p, 0)->kind == PD_TK_WORD && !is_word(peek(p, 0), "mtu"))
    snprintf(pk->icmp_code, sizeof pk->icmp_code, "%s", next(p)->text);
  if (is_word(peek(p, 0), "mtu")) {
    next(p);
    if (expect_uint(p, &pk->mtu, "an MTU"))
      return -1;
  }
  if (is_char(peek(p, 0), '[') && peek(p, 1)->kind == PD_TK_INT)
    return parse_icmp_quote(p, pk);
  return 0;
}

static int parse_tcp_fields(struct parser *p, struct pd_packet *pk) {
  if (parse_flags(p, pk) || parse_range(p, &pk->seq, &pk->len))
    return -1;
  pk->end = pk->seq + pk->len;
  for (;;) {
    const struct pd_token *t = peek(p, 0);
    if (is_word(t, "ack") && !pk->has_ack) {
      next(p);
      pk->has_ack = true;
      if (expect_uint(p, &pk->ack, "an ack number"))
        return -1;
    } else if (is_word(t, "win") && !pk->has_win) {
      next(p);
      pk->has_win = true;
      if (expect_uint(p, &pk->win, "a window"))
        return -1;
      if (pk->win > 65535)
        return perr(p, t, "window %u does not fit in 16 bits", pk->win);
    } else if (is_word(t, "urg") && !pk->has_urg) {
      next(p);
      pk->has_urg = true;
      if (expect_uint(p, &pk->urg, "an urgent pointer"))
        return -1;
    } else if (is_char(t, '<') && !pk->opts_any && !pk->nopts) {
      if (parse_options(p, pk))
        return -1;
    } else {
      return 0;
    }
  }
}

static int parse_packet(struct parser *p, struct pd_event *ev) {
  struct pd_packet *pk = &ev->pkt;
  const struct pd_token *dir = next(p);
  pk->dir = dir->ch;
  pk->ecn = PD_ECN_ANY;
  pk->tos = pk->ttl = -1;
  while (ip_info_next(p))
    if (parse_ip_info(p, pk))
      return -1;
  if (is_char(peek(p, 0), '[') && peek(p, 1)->kind == PD_TK_INT) {
    /* The older form: < [1:1461(1460)] icmp unreachable ... */
    if (parse_icmp_quote(p, pk))
      return -1;
    if (!is_word(peek(p, 0), "icmp"))
      return perr(p, peek(p, 0), "expected 'icmp' after a quoted sequence range");
  }
  if (is_word(peek(p, 0), "icmp")) {
    next(p);
    return parse_icmp(p, pk);
  }
  if (is_word(peek(p, 0), "udp")) {
    pk->proto = PD_PROTO_UDP;
    next(p);
    return expect_char(p, '(', "after udp") || expect_uint(p, &pk->len, "a length") ||
           expect_char(p, ')', "after the UDP length");
  }
  if (peek(p, 0)->kind == PD_TK_INT && is_char(peek(p, 1), '>')) {
    uint32_t a, b;
    expect_uint(p, &a, "a port");
    next(p);
    if (expect_uint(p, &b, "a port"))
      return -1;
    pk->has_ports = true;
    pk->sport = (uint16_t)a;
    pk->dport = (uint16_t)b;
  }
  if (parse_tcp_fields(p, pk))
    return -1;
  if (pk->dir == '<' && !pk->has_win)
    return perr(p, dir, "an inbound TCP packet needs 'win N'");
  if (pk->dir == '<' && pk->opts_any)
    return perr(p, dir, "<...> is allowed on outbound packets only");
  return 0;
}

/* System calls ------------------------------------------------------------------ */

static void expr_free(struct pd_expr *e);

static struct pd_expr *expr_new(enum pd_expr_kind kind) {
  struct pd_expr *e = calloc(1, sizeof *e);
  if (e)
    e->kind = kind;
  return e;
}

static int expr_add(struct pd_expr *e, struct pd_expr *item) {
  struct pd_expr **v = realloc(e->items, (size_t)(e->nitems + 1) * sizeof *v);
  if (!v)
    return -1;
  e->items = v;
  v[e->nitems++] = item;
  return 0;
}

static struct pd_expr *parse_expr(struct parser *p);

/* Elements of [..], {..} or name(..) up to the closing character. */
static int parse_items(struct parser *p, struct pd_expr *e, char close) {
  while (!is_char(peek(p, 0), close)) {
    struct pd_expr *item = parse_expr(p);
    if (!item)
      return -1;
    if (is_char(peek(p, 0), '=') && (item->kind == PD_E_SYM || item->kind == PD_E_CALL)) {
      next(p);
      struct pd_expr *val = parse_expr(p);
      if (!val) {
        expr_free(item);
        return -1;
      }
      val->field = item->text;
      item->text = NULL;
      expr_free(item);
      item = val;
    }
    if (expr_add(e, item)) {
      expr_free(item);
      return perr(p, peek(p, 0), "out of memory");
    }
    if (is_char(peek(p, 0), ','))
      next(p);
    else if (!is_char(peek(p, 0), close)) {
      char b[64];
      return perr(p, peek(p, 0), "expected ',' or '%c', found %s", close,
                  tok_desc(peek(p, 0), b, sizeof b));
    }
  }
  next(p);
  return 0;
}

static struct pd_expr *parse_primary(struct parser *p) {
  const struct pd_token *t = next(p);
  struct pd_expr *e = NULL;
  char b[64];
  if (t->kind == PD_TK_INT) {
    if ((e = expr_new(PD_E_INT)))
      e->ival = t->ival;
  } else if (t->kind == PD_TK_ELLIPSIS) {
    e = expr_new(PD_E_ELLIPSIS);
  } else if (t->kind == PD_TK_STRING || t->kind == PD_TK_IPV4) {
    if ((e = expr_new(PD_E_STRING)))
      e->text = strdup(t->text);
  } else if (t->kind == PD_TK_WORD && is_char(peek(p, 0), '(')) {
    next(p);
    if ((e = expr_new(PD_E_CALL)) && (e->text = strdup(t->text)) &&
        parse_items(p, e, ')')) {
      expr_free(e);
      return NULL;
    }
  } else if (t->kind == PD_TK_WORD) {
    if ((e = expr_new(PD_E_SYM)))
      e->text = strdup(t->text);
  } else if (is_char(t, '[') || is_char(t, '{')) {
    e = expr_new(is_char(t, '[') ? PD_E_LIST : PD_E_STRUCT);
    if (e && parse_items(p, e, is_char(t, '[') ? ']' : '}')) {
      expr_free(e);
      return NULL;
    }
  } else {
    perr(p, t, "expected a system call argument, found %s", tok_desc(t, b, sizeof b));
    return NULL;
  }
  if (!e)
    perr(p, t, "out of memory");
  return e;
}

static struct pd_expr *parse_expr(struct parser *p) {
  struct pd_expr *e = parse_primary(p);
  if (!e || !is_char(peek(p, 0), '|'))
    return e;
  struct pd_expr *or = expr_new(PD_E_OR);
  if (!or || expr_add(or, e)) {
    expr_free(e);
    free(or);
    return NULL;
  }
  while (is_char(peek(p, 0), '|')) {
    next(p);
    struct pd_expr *r = parse_primary(p);
    if (!r || expr_add(or, r)) {
      expr_free(r);
      expr_free(or);
      return NULL;
    }
  }
  return or;
}

static void expr_free(struct pd_expr *e) {
  if (!e)
    return;
  for (int k = 0; k < e->nitems; k++)
    expr_free(e->items[k]);
  free(e->items);
  free(e->text);
  free(e->field);
  free(e);
}

/* The expected result: an integer, or constants joined with '|'. */
static int parse_result(struct parser *p, int64_t *out) {
  const struct pd_token *t = peek(p, 0);
  struct pd_expr *e = parse_expr(p);
  if (!e)
    return -1;
  int64_t v = 0;
  bool ok = true;
  int n = e->kind == PD_E_OR ? e->nitems : 1;
  for (int k = 0; k < n && ok; k++) {
    const struct pd_expr *x = e->kind == PD_E_OR ? e->items[k] : e;
    int64_t xv = 0;
    if (x->kind == PD_E_INT)
      xv = x->ival;
    else if (x->kind != PD_E_SYM || !pd_sym_value(x->text, &xv))
      ok = false;
    v = n == 1 ? xv : (v | xv);
  }
  expr_free(e);
  if (!ok)
    return perr(p, t, "expected an integer result after '='");
  *out = v;
  return 0;
}

/* A parenthesised remark after the result: skipped. */
static int skip_note(struct parser *p) {
  int depth = 0;
  do {
    const struct pd_token *t = next(p);
    if (t->kind == PD_TK_EOF)
      return perr(p, t, "unterminated '(' after a system call");
    depth += is_char(t, '(') - is_char(t, ')');
  } while (depth > 0);
  return 0;
}

static int parse_syscall(struct parser *p, struct pd_event *ev) {
  struct pd_syscall *c = &ev->call;
  c->name = strdup(next(p)->text);
  next(p); /* '(' */
  struct pd_expr tmp = {.kind = PD_E_CALL};
  if (!c->name || parse_items(p, &tmp, ')')) {
    c->args = tmp.items;
    c->nargs = tmp.nitems;
    return -1;
  }
  c->args = tmp.items;
  c->nargs = tmp.nitems;
  if (expect_char(p, '=', "after the system call's arguments") ||
      parse_result(p, &c->result))
    return -1;
  if (peek(p, 0)->kind == PD_TK_WORD)
    c->errno_name = strdup(next(p)->text);
  if (is_char(peek(p, 0), '('))
    return skip_note(p);
  return 0;
}

/* Events -------------------------------------------------------------------------- */

static int check_time_form(struct parser *p, const struct pd_token *t,
                           const struct pd_event *ev) {
  bool outbound = ev->kind == PD_EV_PACKET && ev->pkt.dir == '>';
  enum pd_time_kind k = ev->time.kind;
  if (!outbound && (k == PD_TIME_ANY || k == PD_TIME_ABS_RANGE || k == PD_TIME_REL_RANGE))
    return perr(p, t, "a time range or '*' is allowed on outbound packets only");
  if (ev->time.blocking && ev->kind != PD_EV_SYSCALL)
    return perr(p, t, "S...E times are for system calls only");
  if (ev->time.blocking && ev->time.block_end < ev->time.t && k == PD_TIME_ABS)
    return perr(p, t, "a blocking call cannot return before it starts");
  return 0;
}

static int parse_action(struct parser *p, struct pd_event *ev) {
  const struct pd_token *t = peek(p, 0);
  char b[64];
  if (is_char(t, '<') || is_char(t, '>')) {
    ev->kind = PD_EV_PACKET;
    return parse_packet(p, ev);
  }
  if (t->kind == PD_TK_SHELL || t->kind == PD_TK_CODE) {
    ev->kind = t->kind == PD_TK_SHELL ? PD_EV_SHELL : PD_EV_CODE;
    ev->text = strdup(t->text);
    next(p);
    return ev->text ? 0 : perr(p, t, "out of memory");
  }
  if (t->kind == PD_TK_WORD && is_char(peek(p, 1), '(')) {
    ev->kind = PD_EV_SYSCALL;
    return parse_syscall(p, ev);
  }
  return perr(p, t, "expected a packet, a system call, a `command` or a %%{ code }%% "
                    "block, found %s", tok_desc(t, b, sizeof b));
}

static int add_event(struct parser *p) {
  struct pd_script *sc = p->sc;
  struct pd_event *v = realloc(sc->ev, (size_t)(sc->nev + 1) * sizeof *v);
  if (!v)
    return perr(p, peek(p, 0), "out of memory");
  sc->ev = v;
  struct pd_event *ev = &v[sc->nev++];
  memset(ev, 0, sizeof *ev);
  const struct pd_token *t = peek(p, 0);
  ev->line = t->line;
  if (parse_time(p, &ev->time))
    return -1;
  size_t a = p->i;
  if (parse_action(p, ev))
    return -1;
  ev->src = join_tokens(p->tk, a, p->i);
  if (!ev->src)
    return perr(p, t, "out of memory");
  return check_time_form(p, t, ev);
}

/* The checks over the whole list: time 0 first, absolute times in order. */
static int check_events(struct parser *p) {
  const struct pd_script *sc = p->sc;
  if (sc->nev == 0)
    return perr(p, peek(p, 0), "the script has no events");
  const struct pd_event *first = &sc->ev[0];
  if (first->time.t != 0 || first->time.kind == PD_TIME_ANY) {
    *p->errline = first->line;
    snprintf(p->err, p->errlen, "the first event must be at time 0");
    return -1;
  }
  for (int k = 1; k < sc->nev; k++) {
    const struct pd_event *a = &sc->ev[k - 1], *b = &sc->ev[k];
    bool abs_a = a->time.kind == PD_TIME_ABS || a->time.kind == PD_TIME_ABS_RANGE;
    bool abs_b = b->time.kind == PD_TIME_ABS || b->time.kind == PD_TIME_ABS_RANGE;
    if (abs_a && abs_b && b->time.t < a->time.t) {
      *p->errline = b->line;
      snprintf(p->err, p->errlen, "time goes backwards: %.6f after %.6f",
               (double)b->time.t / 1e6, (double)a->time.t / 1e6);
      return -1;
    }
  }
  return 0;
}

static int parse_top(struct parser *p) {
  struct pd_script *sc = p->sc;
  while (peek(p, 0)->kind == PD_TK_OPTION || (peek(p, 0)->kind == PD_TK_SHELL && !sc->init_cmd)) {
    const struct pd_token *t = next(p);
    if (t->kind == PD_TK_SHELL) {
      sc->init_cmd = strdup(t->text);
      sc->init_line = t->line;
    } else if (pd_config_option(&sc->cfg, t->text, t->line, p->err, p->errlen)) {
      *p->errline = t->line;
      return -1;
    }
  }
  while (peek(p, 0)->kind != PD_TK_EOF) {
    const struct pd_token *t = peek(p, 0);
    if (t->kind == PD_TK_SHELL && peek(p, 1)->kind == PD_TK_EOF) {
      sc->cleanup_cmd = strdup(t->text);
      sc->cleanup_line = t->line;
      next(p);
      break;
    }
    if (t->kind == PD_TK_SHELL)
      return perr(p, t, "a `command` between events needs a time (e.g. +0 `...`)");
    if (add_event(p))
      return -1;
  }
  return check_events(p);
}

int pd_parse(const char *src, const char *path, const struct pd_config *base,
             struct pd_script *out, int *line, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  out->path = path;
  out->cfg = *base;
  *line = 0;
  struct pd_tokens tk;
  if (pd_lex(src, &tk, err, errlen) != 0) {
    /* The lexer's message starts with "line N: ". */
    *line = (int)strtol(err + 5, NULL, 10);
    const char *colon = strchr(err, ':');
    if (colon)
      memmove(err, colon + 2, strlen(colon + 2) + 1);
    pd_tokens_free(&tk);
    return -1;
  }
  struct parser p = {.tk = &tk, .sc = out, .errline = line, .err = err, .errlen = errlen};
  int rc = parse_top(&p);
  pd_tokens_free(&tk);
  return rc;
}

void pd_script_free(struct pd_script *s) {
  for (int k = 0; k < s->nev; k++) {
    struct pd_event *ev = &s->ev[k];
    free(ev->src);
    free(ev->text);
    free(ev->call.name);
    free(ev->call.errno_name);
    for (int a = 0; a < ev->call.nargs; a++)
      expr_free(ev->call.args[a]);
    free(ev->call.args);
  }
  free(s->ev);
  free(s->init_cmd);
  free(s->cleanup_cmd);
  memset(s, 0, sizeof *s);
}
