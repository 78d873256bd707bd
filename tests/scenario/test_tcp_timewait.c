/*
 * test_tcp_timewait.c - TIME-WAIT after the socket is gone: the compact
 * records of tcp_timewait.c, at exact virtual times (linux profile
 * unless a test says otherwise).
 *
 *  - a closed socket's connection becomes a 64-byte record on entering
 *    TIME-WAIT, listed like a connection, and ends 60 s later;
 *  - a socket closed during TIME-WAIT keeps its original end time;
 *  - what a record answers (Linux's tcp_timewait_state_process()): a
 *    bare ACK at RCV.NXT restarts 2MSL silently; other segments get the
 *    last ACK (pure ACKs at most one per tcp_invalid_ratelimit) and, if
 *    they acknowledge something, restart 2MSL; PAWS rejects old TSvals;
 *    a RST at RCV.NXT ends it unless tcp_rfc1337 = 1;
 *  - tcp_max_tw_buckets bounds the records (Linux closes at once);
 *  - thousands of records expire in order, each on time;
 *  - tcp_tw_reuse lets connect() take a record's 4-tuple over.
 *
 * The stack is the client of the scripted peer's port 80 (peer ISN 5000,
 * 100 ms round trip) unless a test says otherwise.
 */
#include "tcpscen.h"

#include <string.h>

#include "tcp/tcb.h"
#include "tcp/tcp_timewait.h"

static const uint64_t SEC = TS_SEC, MS = TS_MS;

static uint64_t ctr(struct sn_stack *st, enum sn_counter c) {
  return sn_stack_counter(st, c);
}

/* close() at 1 s, the peer's ACK and FIN at 1.2 s: TIME-WAIT from 1.2 s
 * with no socket. */
static void close_to_time_wait(struct ts_conn *c) {
  tt_advance(&c->t, 1 * SEC);
  assert_int_equal(sn_close(c->t.st, c->sd), 0);
  TS_EXPECT(&c->t, SN_TCP_FIN | SN_TCP_ACK, c->iss + 1, 5001, 0, 1 * SEC);
  tt_advance(&c->t, 1200 * MS);
  ts_peer(c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c->t, SN_TCP_ACK, c->iss + 2, 5002, 0, 1200 * MS);
  assert_int_equal(ts_state_time(c->log, "S", c->id, "TIME-WAIT"), 1200 * MS);
}

/* The connection listing, as text. */
static char *listing(struct sn_stack *st, int *rows) {
  static char buf[8192];
  FILE *f = fmemopen(buf, sizeof buf, "w");
  assert_non_null(f);
  *rows = sn_stack_dump_connections(st, f);
  fclose(f);
  return buf;
}

static void test_record_is_64_bytes(void **state) {
  (void)state;
  assert_true(sizeof(struct sn_twrec) <= 64);
}

/* The connection leaves its control block for a record when it enters
 * TIME-WAIT with no socket; the record is listed, ends at exactly 60 s,
 * and then nothing is left. */
static void test_orphan_becomes_record(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  close_to_time_wait(&c);
  assert_int_equal(ctr(c.t.st, SN_CTR_SnTcpTimeWaitRecords), 1);
  assert_int_equal(tl_trace_count(&c.t.trace, "timewait-record", "bytes=64",
                                  NULL), 1);
  int rows;
  char *text = listing(c.t.st, &rows);
  assert_int_equal(rows, 1);
  char want[64];
  snprintf(want, sizeof want, "198.18.0.1:%u", c.lport);
  assert_non_null(strstr(text, "TIME-WAIT"));
  assert_non_null(strstr(text, want));
  assert_non_null(strstr(text, "198.18.0.2:80"));
  assert_non_null(strstr(text, "timewait (60.000s) record"));
  tt_advance(&c.t, 61200 * MS - 1);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, 61200 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 61200 * MS);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTW), 1);
  listing(c.t.st, &rows);
  assert_int_equal(rows, 0);
  TS_NONE(&c.t);
  /* Gone: the repeated FIN gets a RST. */
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_RST, c.iss + 2, 0, 0, 61200 * MS);
  ts_conn_free(&c);
}

/* A socket that sees TIME-WAIT (it only shut its sending side) keeps its
 * control block; closed 10 s later, the record ends when TIME-WAIT
 * would have, 60 s after it began. */
static void test_closed_during_time_wait(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_WR), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 1 * SEC);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_TIME_WAIT);
  assert_int_equal(ctr(c.t.st, SN_CTR_SnTcpTimeWaitRecords), 0);
  tt_advance(&c.t, 11 * SEC);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_NONE(&c.t);
  assert_int_equal(ctr(c.t.st, SN_CTR_SnTcpTimeWaitRecords), 1);
  tt_advance(&c.t, 61 * SEC - 1);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, 61 * SEC);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 61 * SEC);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTW), 1);
  ts_conn_free(&c);
}

/* A bare ACK exactly at RCV.NXT is not answered but restarts 2MSL. */
static void test_bare_ack_restarts_silently(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  close_to_time_wait(&c);
  tt_advance(&c.t, 11200 * MS);
  ts_peer(&c, SN_TCP_ACK, 5002, 2, NULL, 0);
  TS_NONE(&c.t);
  tt_advance(&c.t, 71200 * MS - 1);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, 71200 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 71200 * MS);
  TS_NONE(&c.t);
  ts_conn_free(&c);
}

/* The peer repeats its FIN (our last ACK was lost): the record ACKs it
 * again each time and restarts 2MSL. */
static void test_repeated_fin_reacked(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  close_to_time_wait(&c);
  for (int i = 0; i < 3; i++) {
    tt_advance(&c.t, (1500 + 100 * (uint64_t)i) * MS);
    ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
    TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, c.t.now);
  }
  tt_advance(&c.t, 61700 * MS - 1);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, 61700 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 61700 * MS);
  ts_conn_free(&c);
}

/* An old pure ACK is answered with the record's ACK, at most once per
 * tcp_invalid_ratelimit (500 ms); data is always answered. */
static void test_old_ack_rate_limited(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  close_to_time_wait(&c);
  tt_advance(&c.t, 2 * SEC);
  ts_peer(&c, SN_TCP_ACK, 4000, 1, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 2 * SEC);
  tt_advance(&c.t, 2100 * MS);
  ts_peer(&c, SN_TCP_ACK, 4000, 1, NULL, 0);
  TS_NONE(&c.t);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPACKSkippedTimeWait), 1);
  ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, 5002, 2, "late", 4);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 2100 * MS);
  ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, 5002, 2, "late", 4);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 2100 * MS);
  tt_advance(&c.t, 2500 * MS);
  ts_peer(&c, SN_TCP_ACK, 4000, 1, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 2, 5002, 0, 2500 * MS);
  /* Each of them acknowledged something: TIME-WAIT runs from 2.5 s. */
  tt_advance(&c.t, 62500 * MS - 1);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  tt_advance(&c.t, 62500 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 62500 * MS);
  ts_conn_free(&c);
}

/* A RST at RCV.NXT ends the record (tcp_rfc1337 = 0, Linux); another is
 * ignored. With tcp_rfc1337 = 1 (the rfc profile) none does. */
static void test_rst_and_rfc1337(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  close_to_time_wait(&c);
  tt_advance(&c.t, 3 * SEC);
  ts_peer(&c, SN_TCP_RST, 5003, 0, NULL, 0);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), UINT64_MAX);
  ts_peer(&c, SN_TCP_RST, 5002, 0, NULL, 0);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 3 * SEC);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTW), 0);
  TS_NONE(&c.t);
  ts_conn_free(&c);

  struct sn_config cfg;
  ts_config(&cfg, SN_PROFILE_LINUX, "tcp_rfc1337=1", NULL);
  ts_conn_open(&c, &cfg);
  close_to_time_wait(&c);
  tt_advance(&c.t, 3 * SEC);
  ts_peer(&c, SN_TCP_RST, 5002, 0, NULL, 0);
  TS_NONE(&c.t);
  tt_advance(&c.t, 61200 * MS);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 61200 * MS);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTW), 1);
  ts_conn_free(&c);
}

/* tcp_max_tw_buckets = 0: no TIME-WAIT at all (Linux closes at once and
 * counts TCPTimeWaitOverflow); the final ACK still goes out. */
static void test_max_tw_buckets(void **state) {
  (void)state;
  struct sn_config cfg;
  ts_config(&cfg, SN_PROFILE_LINUX, "tcp_max_tw_buckets=0", NULL);
  struct ts_conn c;
  ts_conn_open(&c, &cfg);
  close_to_time_wait(&c);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 1200 * MS);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPTimeWaitOverflow), 1);
  assert_int_equal(ctr(c.t.st, SN_CTR_SnTcpTimeWaitRecords), 0);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_RST, c.iss + 2, 0, 0, 1200 * MS);
  ts_conn_free(&c);
}

/* A passive connection with timestamps (the peer's TSval starts at
 * tsval), accepted at 100 ms. */
static int accept_with_ts(struct tt *t, int lsd, uint16_t pport, uint32_t tsval,
                          uint32_t *iss, uint32_t *our_tsval) {
  struct tt_out syn = {.sport = pport, .dport = 80, .flags = SN_TCP_SYN,
                       .seq = 1000, .win = 65535, .opt = tt_syn_opts(tsval)};
  tt_inject(t, &syn);
  struct tt_seg sa = TS_EXPECT(t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, t->now);
  *iss = sa.s.seq;
  struct tt_out o = {.sport = pport, .dport = 80, .flags = SN_TCP_ACK,
                     .seq = 1001, .ack = *iss + 1, .win = 1000};
  o.opt.ts = true;
  o.opt.tsval = tsval + 1;
  o.opt.tsecr = sa.s.opt.tsval;
  tt_wait(t, 100 * MS);
  tt_inject(t, &o);
  *our_tsval = sa.s.opt.tsval;
  int sd = sn_accept(t->st, lsd, NULL);
  assert_true(sd >= 0);
  return sd;
}

/* With timestamps: the record echoes the peer's last TSval and stamps its
 * own clock; a segment with an older TSval fails PAWS and is answered
 * with an ACK (counted as PAWSTimewait). */
static void test_record_timestamps_and_paws(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 8);
  uint32_t iss, tsv0;
  int sd = accept_with_ts(&t, lsd, 4000, 1000, &iss, &tsv0);
  tt_advance(&t, 1 * SEC);
  assert_int_equal(sn_close(t.st, sd), 0);
  TS_EXPECT(&t, SN_TCP_FIN | SN_TCP_ACK, iss + 1, 1001, 0, 1 * SEC);
  struct tt_out o = {.sport = 4000, .dport = 80,
                     .flags = SN_TCP_FIN | SN_TCP_ACK, .seq = 1001,
                     .ack = iss + 2, .win = 1000};
  o.opt.ts = true;
  o.opt.tsval = 2000;
  tt_inject(&t, &o);
  struct tt_seg a = TS_EXPECT(&t, SN_TCP_ACK, iss + 2, 1002, 0, 1 * SEC);
  assert_int_equal(a.s.opt.tsecr, 2000);
  assert_int_equal(ctr(t.st, SN_CTR_SnTcpTimeWaitRecords), 1);
  /* The repeated FIN, 2 s later: our TSval moved on by 2000 ms. */
  tt_advance(&t, 3 * SEC);
  o.opt.tsval = 2100;
  tt_inject(&t, &o);
  struct tt_seg b = TS_EXPECT(&t, SN_TCP_ACK, iss + 2, 1002, 0, 3 * SEC);
  assert_int_equal(b.s.opt.tsval - a.s.opt.tsval, 2000);
  assert_int_equal(b.s.opt.tsecr, 2000); /* not at RCV.NXT: not taken */
  /* A bare ACK at RCV.NXT updates TS.Recent; a later older TSval fails
   * PAWS. */
  o.flags = SN_TCP_ACK;
  o.seq = 1002;
  o.opt.tsval = 2200;
  tt_inject(&t, &o);
  TS_NONE(&t);
  tt_advance(&t, 4 * SEC);
  o.opt.tsval = 2150;
  tt_inject(&t, &o);
  struct tt_seg p = TS_EXPECT(&t, SN_TCP_ACK, iss + 2, 1002, 0, 4 * SEC);
  assert_int_equal(p.s.opt.tsecr, 2200);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtPAWSTimewait), 1);
  tt_free(&t);
}

/* Forget the frames read so far (the recording link holds 4096). */
static void forget_frames(struct tt *t) {
  TS_NONE(t);
  tl_link_clear(&t->link);
  t->next_frame = 0;
}

/* 3000 connections, closed 10 ms apart, all become records (the pool
 * grows by chunks, the hash table grows), each ends exactly 60 s after it
 * began, in order; then the pool serves a second round. */
static void test_many_records(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  enum { N = 3000 };
  static uint16_t ports[N];
  static uint32_t isss[N];
  for (int round = 0; round < 2; round++) {
    uint64_t t0 = t.now + 1 * SEC;
    for (int i = 0; i < N; i++) {
      int sd = ts_connect(&t, 80, 5000, 1 * MS, &isss[i], &ports[i]);
      tt_advance(&t, t0 + (uint64_t)i * 10 * MS);
      assert_int_equal(sn_close(t.st, sd), 0);
      TS_EXPECT(&t, SN_TCP_FIN | SN_TCP_ACK, isss[i] + 1, 5001, 0, t.now);
      ts_send(&t, 80, ports[i], SN_TCP_FIN | SN_TCP_ACK, 5001, isss[i] + 2,
              NULL, 0);
      TS_EXPECT(&t, SN_TCP_ACK, isss[i] + 2, 5002, 0, t.now);
      forget_frames(&t);
    }
    assert_int_equal(ctr(t.st, SN_CTR_SnTcpTimeWaitRecords), (uint64_t)N * (round + 1));
    int rows;
    listing(t.st, &rows);
    assert_int_equal(rows, N);
    /* Half way through the expiries: exactly the first half is gone. */
    uint64_t end0 = t0 + 60 * SEC;
    tt_advance(&t, end0 + (N / 2 - 1) * 10 * MS);
    assert_int_equal(ctr(t.st, SN_CTR_TcpExtTW), (uint64_t)N * round + N / 2);
    for (int i = 0; i < N; i++) {
      /* A record answers a repeated FIN; a gone one answers with RST. */
      ts_send(&t, 80, ports[i], SN_TCP_FIN | SN_TCP_ACK, 5001, isss[i] + 2,
              NULL, 0);
      if (i < N / 2)
        TS_EXPECT(&t, SN_TCP_RST, isss[i] + 2, 0, 0, t.now);
      else
        TS_EXPECT(&t, SN_TCP_ACK, isss[i] + 2, 5002, 0, t.now);
      forget_frames(&t);
    }
    tt_advance(&t, t.now + 61 * SEC);
    assert_int_equal(ctr(t.st, SN_CTR_TcpExtTW), (uint64_t)N * (round + 1));
    listing(t.st, &rows);
    assert_int_equal(rows, 0);
  }
  tt_free(&t);
}

/* tcp_tw_reuse = 1: connect() may take the 4-tuple of a record whose last
 * TSval came in an earlier second; without timestamps, or with
 * tcp_tw_reuse = 0, the 4-tuple stays taken (EADDRNOTAVAIL). */
static void test_tw_reuse(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, "tcp_tw_reuse=1", NULL);
  /* The stack connects with timestamps; the peer agrees. */
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  struct sn_sockaddr bind_to = {0, 40000};
  assert_int_equal(sn_bind(t.st, sd, &bind_to), 0);
  struct sn_sockaddr dst = {t.peer_ip, 80};
  assert_int_equal(sn_connect(t.st, sd, &dst), -EINPROGRESS);
  struct tt_seg syn = TS_EXPECT(&t, SN_TCP_SYN, TS_ANY, 0, 0, t.now);
  uint32_t iss = syn.s.seq;
  struct tt_out sa = {.sport = 80, .dport = 40000,
                      .flags = SN_TCP_SYN | SN_TCP_ACK, .seq = 5000,
                      .ack = iss + 1, .win = 65535, .opt = tt_syn_opts(700)};
  sa.opt.tsecr = syn.s.opt.tsval;
  tt_inject(&t, &sa);
  TS_EXPECT(&t, SN_TCP_ACK, iss + 1, 5001, 0, t.now);
  tt_advance(&t, 1 * SEC);
  assert_int_equal(sn_close(t.st, sd), 0);
  TS_EXPECT(&t, SN_TCP_FIN | SN_TCP_ACK, iss + 1, 5001, 0, 1 * SEC);
  struct tt_out fin = {.sport = 80, .dport = 40000,
                       .flags = SN_TCP_FIN | SN_TCP_ACK, .seq = 5001,
                       .ack = iss + 2, .win = 1000};
  fin.opt.ts = true;
  fin.opt.tsval = 800;
  tt_inject(&t, &fin);
  TS_EXPECT(&t, SN_TCP_ACK, iss + 2, 5002, 0, 1 * SEC);
  assert_int_equal(ctr(t.st, SN_CTR_SnTcpTimeWaitRecords), 1);
  /* Within the same second: not yet. */
  int again = sn_socket(t.st, SN_SOCK_STREAM);
  assert_int_equal(sn_bind(t.st, again, &bind_to), 0);
  assert_int_equal(sn_connect(t.st, again, &dst), -EADDRNOTAVAIL);
  tt_advance(&t, 2 * SEC);
  assert_int_equal(sn_connect(t.st, again, &dst), -EINPROGRESS);
  struct tt_seg syn2 = TS_EXPECT(&t, SN_TCP_SYN, TS_ANY, 0, 0, 2 * SEC);
  assert_int_equal(syn2.s.sport, 40000);
  assert_int_equal(ctr(t.st, SN_CTR_SnTcpTimeWaitReuse), 1);
  tt_free(&t);
}

/* Without tcp_tw_reuse an ephemeral connect() skips ports whose 4-tuple a
 * record holds, and an explicit one fails. */
static void test_no_reuse_keeps_tuple(void **state) {
  (void)state;
  struct ts_conn c;
  struct sn_config cfg;
  ts_config(&cfg, SN_PROFILE_LINUX, "tcp_tw_reuse=0", NULL);
  ts_conn_open(&c, &cfg);
  close_to_time_wait(&c);
  int sd = sn_socket(c.t.st, SN_SOCK_STREAM);
  struct sn_sockaddr bind_to = {0, c.lport};
  assert_int_equal(sn_bind(c.t.st, sd, &bind_to), 0);
  struct sn_sockaddr dst = {c.t.peer_ip, 80};
  tt_advance(&c.t, 5 * SEC);
  assert_int_equal(sn_connect(c.t.st, sd, &dst), -EADDRNOTAVAIL);
  assert_int_equal(ctr(c.t.st, SN_CTR_SnTcpTimeWaitReuse), 0);
  ts_conn_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_record_is_64_bytes),
      cmocka_unit_test(test_orphan_becomes_record),
      cmocka_unit_test(test_closed_during_time_wait),
      cmocka_unit_test(test_bare_ack_restarts_silently),
      cmocka_unit_test(test_repeated_fin_reacked),
      cmocka_unit_test(test_old_ack_rate_limited),
      cmocka_unit_test(test_rst_and_rfc1337),
      cmocka_unit_test(test_max_tw_buckets),
      cmocka_unit_test(test_record_timestamps_and_paws),
      cmocka_unit_test(test_many_records),
      cmocka_unit_test(test_tw_reuse),
      cmocka_unit_test(test_no_reuse_keeps_tuple),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
