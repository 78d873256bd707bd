/*
 * pdrill_lex.c - the lexer of packetdrill scripts (GRAMMAR §1): cuts the
 * text into numbers, words, strings, backquoted commands, code blocks,
 * ellipses, options and single characters, each with its line and its
 * place in the text. Comments (// and / * * /) and white space only
 * separate tokens.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pdrill.h"

struct lexer {
  const char *s;          /* the text */
  size_t pos;             /* current offset */
  int line;               /* line of pos */
  struct pd_tokens *out;
  size_t cap;             /* room in out->v */
  char *err;
  size_t errlen;
};

static int lex_error(struct lexer *lx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int lex_error(struct lexer *lx, int line, const char *fmt, ...) {
  int n = snprintf(lx->err, lx->errlen, "line %d: ", line);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < lx->errlen)
    vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

static struct pd_token *push(struct lexer *lx, enum pd_tok_kind kind,
                             size_t start, int line) {
  if (lx->out->n == lx->cap) {
    size_t cap = lx->cap ? lx->cap * 2 : 256;
    struct pd_token *v = realloc(lx->out->v, cap * sizeof *v);
    if (!v)
      return NULL;
    lx->out->v = v;
    lx->cap = cap;
  }
  struct pd_token *t = &lx->out->v[lx->out->n++];
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->start = start;
  t->end = lx->pos;
  t->line = line;
  return t;
}

static char *dup_range(const char *s, size_t a, size_t b) {
  char *p = malloc(b - a + 1);
  if (p) {
    memcpy(p, s + a, b - a);
    p[b - a] = 0;
  }
  return p;
}

/* Advance over n characters, counting newlines. */
static void skip(struct lexer *lx, size_t n) {
  for (size_t i = 0; i < n && lx->s[lx->pos]; i++)
    if (lx->s[lx->pos++] == '\n')
      lx->line++;
}

/* White space and comments. Returns -1 on an unterminated comment. */
static int skip_space(struct lexer *lx) {
  for (;;) {
    const char *p = lx->s + lx->pos;
    if (isspace((unsigned char)*p)) {
      skip(lx, 1);
    } else if (p[0] == '/' && p[1] == '/') {
      while (lx->s[lx->pos] && lx->s[lx->pos] != '\n')
        lx->pos++;
    } else if (p[0] == '/' && p[1] == '*') {
      int line = lx->line;
      const char *e = strstr(p + 2, "*/");
      if (!e)
        return lex_error(lx, line, "unterminated /* comment");
      skip(lx, (size_t)(e + 2 - p));
    } else {
      return 0;
    }
  }
}

/* Text between two delimiters (backquotes, %{ }%): a token of `kind`. */
static int lex_delimited(struct lexer *lx, enum pd_tok_kind kind,
                         const char *open, const char *close) {
  int line = lx->line;
  size_t start = lx->pos;
  const char *body = lx->s + lx->pos + strlen(open);
  const char *e = strstr(body, close);
  if (!e)
    return lex_error(lx, line, "unterminated %s", open);
  skip(lx, (size_t)(e + strlen(close) - (lx->s + lx->pos)));
  struct pd_token *t = push(lx, kind, start, line);
  if (!t || !(t->text = dup_range(lx->s, (size_t)(body - lx->s), (size_t)(e - lx->s))))
    return lex_error(lx, line, "out of memory");
  return 0;
}

static int lex_string(struct lexer *lx) {
  int line = lx->line;
  size_t start = lx->pos++;
  char *buf = malloc(strlen(lx->s + lx->pos) + 1);
  size_t n = 0;
  if (!buf)
    return lex_error(lx, line, "out of memory");
  for (;;) {
    char c = lx->s[lx->pos];
    if (c == 0 || c == '\n') {
      free(buf);
      return lex_error(lx, line, "unterminated string");
    }
    lx->pos++;
    if (c == '"')
      break;
    if (c == '\\' && lx->s[lx->pos]) {
      char e = lx->s[lx->pos++];
      c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == '0' ? 0 : e;
    }
    buf[n++] = c;
  }
  buf[n] = 0;
  struct pd_token *t = push(lx, PD_TK_STRING, start, line);
  if (!t) {
    free(buf);
    return lex_error(lx, line, "out of memory");
  }
  t->text = buf;
  return 0;
}

/* Digits '.' digits '.' digits '.' digits: an IPv4 address. */
static size_t ipv4_len(const char *p) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    if (!isdigit((unsigned char)p[i]))
      return 0;
    while (isdigit((unsigned char)p[i]))
      i++;
    if (part < 3) {
      if (p[i] != '.')
        return 0;
      i++;
    }
  }
  return isalnum((unsigned char)p[i]) || p[i] == '.' ? 0 : i;
}

/* Times beyond this many microseconds (about 31 years) are held at it;
 * the parser rejects them. */
#define MAX_USECS 1000000000000000LL

/* Seconds written as digits[.digits] to microseconds, exactly. */
static int64_t to_usecs(const char *p, size_t n) {
  int64_t whole = 0, frac = 0;
  size_t i = 0;
  while (i < n && isdigit((unsigned char)p[i])) {
    if (whole < MAX_USECS / 1000000)
      whole = whole * 10 + (p[i] - '0');
    i++;
  }
  if (whole >= MAX_USECS / 1000000)
    return MAX_USECS;
  if (i < n && p[i] == '.')
    i++;
  int digits = 0;
  while (i < n && isdigit((unsigned char)p[i])) {
    if (digits < 6) {
      frac = frac * 10 + (p[i] - '0');
      digits++;
    }
    i++;
  }
  while (digits++ < 6)
    frac *= 10;
  return whole * 1000000 + frac;
}

/* A number: hex, decimal integer (with a leading '-'), or float. */
static int lex_number(struct lexer *lx) {
  int line = lx->line;
  size_t start = lx->pos;
  const char *p = lx->s + lx->pos;
  bool neg = *p == '-';
  const char *d = p + neg;
  size_t n;
  if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X') && isxdigit((unsigned char)d[2])) {
    n = 2;
    while (isxdigit((unsigned char)d[n]))
      n++;
    lx->pos += (size_t)(d - p) + n;
    struct pd_token *t = push(lx, PD_TK_INT, start, line);
    if (!t)
      return lex_error(lx, line, "out of memory");
    int64_t v = (int64_t)strtoull(d, NULL, 16);
    t->ival = neg ? -v : v;
    t->fval = (double)t->ival;
    t->usecs = t->ival > MAX_USECS / 1000000 || t->ival < -MAX_USECS / 1000000
                   ? MAX_USECS
                   : t->ival * 1000000;
    return 0;
  }
  n = 0;
  while (isdigit((unsigned char)d[n]))
    n++;
  bool is_float = d[n] == '.' && isdigit((unsigned char)d[n + 1]);
  if (is_float) {
    n++;
    while (isdigit((unsigned char)d[n]))
      n++;
  }
  lx->pos += (size_t)(d - p) + n;
  struct pd_token *t = push(lx, is_float ? PD_TK_FLOAT : PD_TK_INT, start, line);
  if (!t)
    return lex_error(lx, line, "out of memory");
  t->fval = strtod(d, NULL) * (neg ? -1 : 1);
  t->usecs = to_usecs(d, n) * (neg ? -1 : 1);
  t->ival = is_float ? (int64_t)t->fval : strtoll(p, NULL, 10);
  return 0;
}

static int lex_word(struct lexer *lx, enum pd_tok_kind kind, size_t skip_n) {
  int line = lx->line;
  size_t start = lx->pos;
  lx->pos += skip_n;
  size_t a = lx->pos;
  if (kind == PD_TK_OPTION) {
    while (lx->s[lx->pos] && !isspace((unsigned char)lx->s[lx->pos]))
      lx->pos++;
  } else {
    while (isalnum((unsigned char)lx->s[lx->pos]) || lx->s[lx->pos] == '_')
      lx->pos++;
  }
  struct pd_token *t = push(lx, kind, start, line);
  if (!t || !(t->text = dup_range(lx->s, a, lx->pos)))
    return lex_error(lx, line, "out of memory");
  return 0;
}

static int lex_one(struct lexer *lx) {
  const char *p = lx->s + lx->pos;
  size_t n;
  if (*p == '`')
    return lex_delimited(lx, PD_TK_SHELL, "`", "`");
  if (p[0] == '%' && p[1] == '{')
    return lex_delimited(lx, PD_TK_CODE, "%{", "}%");
  if (*p == '"')
    return lex_string(lx);
  if (p[0] == '.' && p[1] == '.' && p[2] == '.') {
    lx->pos += 3;
    return push(lx, PD_TK_ELLIPSIS, lx->pos - 3, lx->line) ? 0 : -1;
  }
  if (p[0] == '-' && p[1] == '-' && isalpha((unsigned char)p[2]))
    return lex_word(lx, PD_TK_OPTION, 2);
  if ((n = ipv4_len(p)) > 0) {
    int line = lx->line;
    size_t start = lx->pos;
    lx->pos += n;
    struct pd_token *t = push(lx, PD_TK_IPV4, start, line);
    if (!t || !(t->text = dup_range(lx->s, start, lx->pos)))
      return lex_error(lx, line, "out of memory");
    return 0;
  }
  if (isdigit((unsigned char)p[0]) || (p[0] == '.' && isdigit((unsigned char)p[1])) ||
      (p[0] == '-' && isdigit((unsigned char)p[1])))
    return lex_number(lx);
  if (isalpha((unsigned char)*p) || *p == '_')
    return lex_word(lx, PD_TK_WORD, 0);
  if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
    return lex_error(lx, lx->line, "unexpected character 0x%02x", (unsigned char)*p);
  lx->pos++;
  struct pd_token *t = push(lx, PD_TK_CHAR, lx->pos - 1, lx->line);
  if (!t)
    return lex_error(lx, lx->line, "out of memory");
  t->ch = *p;
  return 0;
}

int pd_lex(const char *src, struct pd_tokens *out, char *err, size_t errlen) {
  struct lexer lx = {.s = src, .line = 1, .out = out, .err = err, .errlen = errlen};
  memset(out, 0, sizeof *out);
  out->src = src;
  for (;;) {
    if (skip_space(&lx) != 0)
      return -1;
    if (!src[lx.pos])
      break;
    if (lex_one(&lx) != 0)
      return -1;
  }
  if (!push(&lx, PD_TK_EOF, lx.pos, lx.line))
    return lex_error(&lx, lx.line, "out of memory");
  return 0;
}

void pd_tokens_free(struct pd_tokens *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->v[i].text);
  free(t->v);
  memset(t, 0, sizeof *t);
}
