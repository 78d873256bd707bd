/*
 * counters.c - names and descriptions generated from the X-macro lists.
 */
#include "synack/counters.h"

#define NAME_(n, d) #n,
#define DESC_(n, d) d,
static const char *const counter_names[] = {SN_COUNTERS(NAME_)};
static const char *const counter_descs[] = {SN_COUNTERS(DESC_)};
static const char *const drop_names[] = {SN_DROP_REASONS(NAME_)};
static const char *const drop_descs[] = {SN_DROP_REASONS(DESC_)};
#undef NAME_
#undef DESC_

const char *sn_counter_name(enum sn_counter c) {
  return (unsigned)c < SN_CTR__COUNT ? counter_names[c] : 0;
}
const char *sn_counter_desc(enum sn_counter c) {
  return (unsigned)c < SN_CTR__COUNT ? counter_descs[c] : 0;
}
const char *sn_drop_name(enum sn_drop_reason r) {
  return (unsigned)r < SN_DROP__COUNT ? drop_names[r] : 0;
}
const char *sn_drop_desc(enum sn_drop_reason r) {
  return (unsigned)r < SN_DROP__COUNT ? drop_descs[r] : 0;
}
