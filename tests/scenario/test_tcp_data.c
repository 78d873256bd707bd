/*
 * test_tcp_data.c - the data path at segment level: segmentation to the
 * effective MSS and PSH; cumulative ACKs, the out-of-order queue, SACK
 * (RFC 2018) and DSACK (RFC 2883) blocks; Linux's delayed and quick ACKs;
 * and byte-exact transfers across loss, reordering and duplication on the
 * simulator.
 */
#include "tcpflow.h"

#include "base/util.h"
#include "simlib.h"
#include "tcp/tcb.h"

static uint32_t rel(const struct tf *f, uint32_t seq) { return tf_sq(f, seq); }

static int getint(struct tt *t, int sd, int level, int name) {
  int v = -1;
  size_t l = sizeof v;
  assert_int_equal(sn_getsockopt(t->st, sd, level, name, &v, &l), 0);
  return v;
}

/* Read everything readable from sd and check it is the peer's stream
 * from offset *off on. */
static uint32_t drain(struct tt *t, int sd, uint64_t *off) {
  static uint8_t buf[1 << 17];
  uint32_t total = 0;
  for (;;) {
    ssize_t n = sn_recv(t->st, sd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    assert_true(tf_check(buf, *off, (uint32_t)n));
    *off += (uint64_t)n;
    total += (uint32_t)n;
  }
  return total;
}

/* 1. Segmentation ---------------------------------------------------------- */

/* Peer MSS 1100 with timestamps: 1088 bytes of payload per segment
 * (12 go to the timestamp option), which TCP_MAXSEG reports; PSH only on
 * the segment that empties the send queue. */
static void test_mss_with_timestamps(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  struct tf_opts o = TF_LINUX;
  o.mss = 1100;
  tf_accept(&f, &t, -1, o, 10 * TT_MS);
  assert_true(f.ts);
  assert_int_equal(getint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_MAXSEG), 1088);
  assert_int_equal(tf_info(&f).tcpi_snd_mss, 1088);
  assert_int_equal(tf_app_send(&f, 0, 5000), 5000);
  uint32_t off = 0;
  for (int i = 0; i < 5; i++) {
    struct tt_seg s = tf_expect(&f);
    uint32_t want = i < 4 ? 1088 : 5000 - 4 * 1088;
    assert_int_equal(s.s.len, want);
    assert_int_equal(rel(&f, s.s.seq), off);
    assert_int_equal(!!(s.s.flags & SN_TCP_PSH), i == 4);
    assert_true(s.s.opt.has_ts);
    assert_true(tf_check(s.s.data, off, s.s.len));
    assert_int_equal(s.time, t.now);
    off += s.s.len;
  }
  tt_expect_none(&t);
  tt_free(&t);
}

/* TCP_MAXSEG before connect() lowers the MSS we advertise, and the first
 * flight is ten segments of that size (10 x 1100 = 11000 bytes). */
static void test_maxseg_before_connect(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  int v = 1100;
  assert_int_equal(sn_setsockopt(t.st, sd, SN_IPPROTO_TCP, SN_TCP_MAXSEG, &v, sizeof v), 0);
  assert_int_equal(getint(&t, sd, SN_IPPROTO_TCP, SN_TCP_MAXSEG), 1100);
  struct tf f;
  tf_connect(&f, &t, sd, TF_PLAIN, 10 * TT_MS);
  assert_int_equal(f.stack_mss, 1100);
  assert_int_equal(getint(&t, sd, SN_IPPROTO_TCP, SN_TCP_MAXSEG), 1100);
  assert_int_equal(tf_app_send(&f, 0, 20000), 20000);
  uint32_t bytes = 0;
  for (int i = 0; i < 10; i++) {
    struct tt_seg s = tf_expect(&f);
    assert_int_equal(s.s.len, 1100);
    assert_int_equal(rel(&f, s.s.seq), bytes);
    bytes += s.s.len;
  }
  assert_int_equal(bytes, 11000);
  tt_expect_none(&t);
  tt_free(&t);
}

/* The same on a listener: the SYN-ACK carries MSS 1100. */
static void test_maxseg_before_listen(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  int ls = sn_socket(t.st, SN_SOCK_STREAM);
  int v = 1100;
  assert_int_equal(sn_setsockopt(t.st, ls, SN_IPPROTO_TCP, SN_TCP_MAXSEG, &v, sizeof v), 0);
  struct sn_sockaddr a = {0, 80};
  assert_int_equal(sn_bind(t.st, ls, &a), 0);
  assert_int_equal(sn_listen(t.st, ls, 8), 0);
  struct tf f;
  tf_accept(&f, &t, ls, TF_PLAIN, 10 * TT_MS);
  assert_int_equal(f.stack_mss, 1100);
  assert_int_equal(getint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_MAXSEG), 1100);
  assert_int_equal(tf_app_send(&f, 0, 3000), 3000);
  assert_int_equal(tf_expect(&f).s.len, 1100);
  assert_int_equal(tf_expect(&f).s.len, 1100);
  struct tt_seg last = tf_expect(&f);
  assert_int_equal(last.s.len, 800);
  assert_true(last.s.flags & SN_TCP_PSH);
  tt_free(&t);
}

/* A peer that sends no MSS option gets RFC 9293's default, 536. */
static void test_no_mss_option_means_536(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  struct tf_opts o = {0, false, false, -1, 65535};
  tf_accept(&f, &t, -1, o, 10 * TT_MS);
  assert_int_equal(getint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_MAXSEG), 536);
  assert_int_equal(tf_app_send(&f, 0, 2000), 2000);
  uint32_t lens[] = {536, 536, 536, 392};
  for (int i = 0; i < 4; i++) {
    struct tt_seg s = tf_expect(&f);
    assert_int_equal(s.s.len, lens[i]);
    assert_int_equal(!!(s.s.flags & SN_TCP_PSH), i == 3);
  }
  tt_expect_none(&t);
  tt_free(&t);
}

/* 2. ACKs, the out-of-order queue, SACK and DSACK -------------------------- */

static void expect_ack(struct tf *f, uint32_t ack_off, unsigned nsack,
                       const uint32_t *blocks) {
  struct tt_seg a = tf_expect(f);
  assert_int_equal(a.s.len, 0);
  assert_int_equal(a.s.flags, SN_TCP_ACK);
  assert_int_equal(tf_ak(f, a.s.ack), ack_off);
  assert_int_equal(a.time, f->t->now);
  assert_int_equal(a.s.opt.nsack, nsack);
  for (unsigned i = 0; i < nsack; i++) {
    assert_int_equal(tf_ak(f, a.s.opt.sack[i].start), blocks[2 * i]);
    assert_int_equal(tf_ak(f, a.s.opt.sack[i].end), blocks[2 * i + 1]);
  }
}

/* Out-of-order segments are ACKed at once with SACK blocks, the most
 * recent first, at most 3 beside timestamps; filling a hole makes the
 * data readable and is ACKed at once. */
static void test_ooo_sack_blocks_with_ts(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_LINUX, 10 * TT_MS);
  assert_true(f.ts && f.sack);
  tf_data_at(&f, 0, 1000);
  expect_ack(&f, 1000, 0, NULL);
  tt_wait(&t, TT_MS);
  tf_data_at(&f, 2000, 1000);
  expect_ack(&f, 1000, 1, (uint32_t[]){2000, 3000});
  tt_wait(&t, TT_MS);
  tf_data_at(&f, 4000, 1000);
  expect_ack(&f, 1000, 2, (uint32_t[]){4000, 5000, 2000, 3000});
  tt_wait(&t, TT_MS);
  tf_data_at(&f, 6000, 1000);
  expect_ack(&f, 1000, 3, (uint32_t[]){6000, 7000, 4000, 5000, 2000, 3000});
  tt_wait(&t, TT_MS);
  tf_data_at(&f, 8000, 1000);
  expect_ack(&f, 1000, 3, (uint32_t[]){8000, 9000, 6000, 7000, 4000, 5000});
  /* A segment that extends an older range makes that range the most
   * recent (RFC 2018 §4: the block holding the latest arrival first). */
  tt_wait(&t, TT_MS);
  tf_data_at(&f, 3000, 500);
  expect_ack(&f, 1000, 3, (uint32_t[]){2000, 3500, 8000, 9000, 6000, 7000});
  /* Fill the first hole: 3500 bytes readable, ACKed at once. */
  tt_wait(&t, TT_MS);
  tf_data_at(&f, 1000, 1000);
  expect_ack(&f, 3500, 3, (uint32_t[]){8000, 9000, 6000, 7000, 4000, 5000});
  uint64_t off = 0;
  assert_int_equal(drain(&t, f.sd, &off), 3500);
  tt_wait(&t, TT_MS);
  tf_data_at(&f, 3500, 500);
  expect_ack(&f, 5000, 2, (uint32_t[]){8000, 9000, 6000, 7000});
  tf_data_at(&f, 5000, 1000);
  expect_ack(&f, 7000, 1, (uint32_t[]){8000, 9000});
  tf_data_at(&f, 7000, 1000);
  expect_ack(&f, 9000, 0, NULL);
  assert_int_equal(drain(&t, f.sd, &off), 5500);
  assert_true(sn_stack_counter(t.st, SN_CTR_TcpExtTCPOFOQueue) >= 5);
  tt_free(&t);
}

/* Without timestamps four SACK blocks fit. */
static void test_ooo_four_blocks_without_ts(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  struct tf_opts o = TF_LINUX;
  o.ts = false;
  tf_accept(&f, &t, -1, o, 10 * TT_MS);
  assert_true(!f.ts && f.sack);
  for (uint32_t i = 1; i <= 5; i++) {
    tt_wait(&t, TT_MS);
    tf_data_at(&f, 2000 * i, 1000);
  }
  uint32_t want[] = {10000, 11000, 8000, 9000, 6000, 7000, 4000, 5000};
  /* The four ACKs before the last have 1..4 blocks; check the last. */
  for (int i = 0; i < 4; i++)
    tf_expect(&f);
  expect_ack(&f, 0, 4, want);
  tt_free(&t);
}

/* A duplicate segment is dropped and re-ACKed with a DSACK block first
 * (RFC 2883); with tcp_dsack = 0 the ACK carries no block. */
static void run_duplicate(bool dsack) {
  struct sn_config c;
  sn_config_default(&c, SN_PROFILE_LINUX);
  tf_cfg_set(&c, "tcp_dsack", dsack ? "1" : "0");
  struct tt t;
  tt_init(&t, &c);
  struct tf f;
  tf_accept(&f, &t, -1, TF_LINUX, 10 * TT_MS);
  tf_data(&f, 1000);
  expect_ack(&f, 1000, 0, NULL);
  tf_data(&f, 1000);
  expect_ack(&f, 2000, 0, NULL);
  /* The whole first segment again. */
  tt_wait(&t, 5 * TT_MS);
  tf_data_at(&f, 0, 1000);
  if (dsack)
    expect_ack(&f, 2000, 1, (uint32_t[]){0, 1000});
  else
    expect_ack(&f, 2000, 0, NULL);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPDSACKOldSent), dsack ? 1 : 0);
  /* A duplicate of out-of-order data: the DSACK block, then the SACK
   * block that holds it. */
  tf_data_at(&f, 3000, 1000);
  expect_ack(&f, 2000, 1, (uint32_t[]){3000, 4000});
  tt_wait(&t, 5 * TT_MS);
  tf_data_at(&f, 3000, 1000);
  if (dsack)
    expect_ack(&f, 2000, 2, (uint32_t[]){3000, 4000, 3000, 4000});
  else
    expect_ack(&f, 2000, 1, (uint32_t[]){3000, 4000});
  /* A segment half old, half new: DSACK for the old half. */
  tf_data_at(&f, 1500, 1000);
  if (dsack)
    expect_ack(&f, 2500, 2, (uint32_t[]){1500, 2000, 3000, 4000});
  else
    expect_ack(&f, 2500, 1, (uint32_t[]){3000, 4000});
  uint64_t off = 0;
  assert_int_equal(drain(&t, f.sd, &off), 2500);
  tt_free(&t);
}

static void test_duplicate_dsack(void **state) {
  (void)state;
  run_duplicate(true);
}

static void test_duplicate_no_dsack(void **state) {
  (void)state;
  run_duplicate(false);
}

/* The out-of-order queue holds at most SN_OOO_MAX separate ranges; a
 * segment that would need one more is dropped (TcpExtTCPOFODrop) and has
 * to be sent again. */
static void test_ooo_queue_bounded(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_LINUX, 10 * TT_MS);
  for (uint32_t i = 0; i <= SN_OOO_MAX; i++) {
    tf_data_at(&f, 200 * (i + 1), 100);
    tf_expect(&f);
  }
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPOFODrop), 1);
  /* Fill the holes before the ranges that were kept, in order. */
  struct tt_seg a;
  for (uint32_t i = 0; i < SN_OOO_MAX; i++) {
    tf_data_at(&f, 200 * i + (i ? 100 : 0), i ? 100 : 200);
    a = tf_expect(&f);
  }
  uint32_t dropped = 200 * (SN_OOO_MAX + 1); /* its offset */
  assert_int_equal(tf_ak(&f, a.s.ack), dropped - 100);
  /* The range after the dropped one, then the hole before it: the ACK
   * stops where the dropped segment began. */
  tf_data_at(&f, dropped + 100, 100);
  a = tf_expect(&f);
  assert_int_equal(tf_ak(&f, a.s.ack), dropped - 100);
  tf_data_at(&f, dropped - 100, 100);
  a = tf_expect(&f);
  assert_int_equal(tf_ak(&f, a.s.ack), dropped);
  assert_int_equal(a.s.opt.nsack, 1);
  /* Its retransmission fills the last hole. */
  tf_data_at(&f, dropped, 100);
  a = tf_expect(&f);
  assert_int_equal(tf_ak(&f, a.s.ack), dropped + 200);
  uint64_t off = 0;
  assert_int_equal(drain(&t, f.sd, &off), 200 * (SN_OOO_MAX + 2));
  tt_free(&t);
}

/* Data beyond the advertised window is not kept: a segment wholly past
 * the right edge is answered with an ACK and dropped; one that straddles
 * it is trimmed to the window (RFC 9293 §3.10.7.4). */
static void test_data_beyond_window_not_kept(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  int ls = sn_socket(t.st, SN_SOCK_STREAM);
  int v = 10000;
  assert_int_equal(sn_setsockopt(t.st, ls, SN_SOL_SOCKET, SN_SO_RCVBUF, &v, sizeof v), 0);
  struct sn_sockaddr a = {0, 80};
  assert_int_equal(sn_bind(t.st, ls, &a), 0);
  assert_int_equal(sn_listen(t.st, ls, 8), 0);
  struct tf f;
  struct tf_opts o = TF_LINUX;
  o.ts = false;
  tf_accept(&f, &t, ls, o, 10 * TT_MS);
  assert_int_equal(f.stack_ws, 0);
  uint32_t wnd = 10000 - 10000 % 1460; /* 8760: whole segments */
  tf_data_at(&f, 0, 1000);
  struct tt_seg s = tf_expect(&f);
  assert_int_equal(s.s.wnd, wnd);
  uint32_t edge = 1000 + wnd;
  /* Wholly beyond. */
  tf_data_at(&f, edge, 500);
  s = tf_expect(&f);
  assert_int_equal(tf_ak(&f, s.s.ack), 1000);
  assert_int_equal(s.s.opt.nsack, 0);
  /* Straddling the edge: only the part inside is kept. */
  tf_data_at(&f, edge - 300, 1000);
  s = tf_expect(&f);
  assert_int_equal(s.s.opt.nsack, 1);
  assert_int_equal(tf_ak(&f, s.s.opt.sack[0].start), edge - 300);
  assert_int_equal(tf_ak(&f, s.s.opt.sack[0].end), edge);
  /* Fill the hole: everything up to the edge, nothing past it. */
  for (uint32_t off = 1000; off < edge - 300; off += 1000) {
    uint32_t n = edge - 300 - off < 1000 ? edge - 300 - off : 1000;
    tf_data_at(&f, off, n);
    s = tf_expect(&f);
  }
  assert_int_equal(tf_ak(&f, s.s.ack), edge);
  uint64_t off = 0;
  assert_int_equal(drain(&t, f.sd, &off), edge);
  tt_free(&t);
}

/* 3. Delayed ACK (Linux) ---------------------------------------------------- */

/* Quick-ACK mode at the start: each of the first 16 data segments is
 * ACKed at once; then an ACK every second full-sized segment, or after
 * the delayed-ACK timeout (40 ms), counted in TcpExtDelayedACKs. */
static void test_quickack_then_delayed(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_LINUX, 10 * TT_MS);
  uint32_t mss = 1448;
  uint64_t off = 0;
  for (int i = 0; i < 16; i++) {
    tt_wait(&t, TT_MS);
    tf_data(&f, mss);
    expect_ack(&f, (uint32_t)(i + 1) * mss, 0, NULL);
    drain(&t, f.sd, &off);
  }
  /* Segment 17: held; segment 18: two full segments, ACK now. */
  tt_wait(&t, TT_MS);
  tf_data(&f, mss);
  tt_expect_none(&t);
  tt_wait(&t, TT_MS);
  tf_data(&f, mss);
  expect_ack(&f, 18 * mss, 0, NULL);
  drain(&t, f.sd, &off);
  /* One segment alone: ACKed by the delayed-ACK timer, 40 ms later. */
  tt_wait(&t, TT_MS);
  tf_data(&f, mss);
  uint64_t at = t.now;
  tt_wait(&t, 39 * TT_MS);
  tt_expect_none(&t);
  tt_wait(&t, 10 * TT_MS);
  struct tt_seg a = tf_expect(&f);
  assert_int_equal(a.time, at + 40 * TT_MS);
  assert_int_equal(tf_ak(&f, a.s.ack), 19 * mss);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtDelayedACKs), 1);
  /* Short segments are not full-sized: two of them still wait. */
  tt_wait(&t, TT_MS);
  tf_data(&f, 100);
  tf_data(&f, 100);
  tt_expect_none(&t);
  tt_wait(&t, 40 * TT_MS);
  a = tf_expect(&f);
  assert_int_equal(tf_ak(&f, a.s.ack), 19 * mss + 200);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtDelayedACKs), 2);
  tt_free(&t);
}

/* After out-of-order data the ACKs are immediate (the hole and its
 * filling), and a sender that pauses longer than the RTO finds the
 * receiver in quick-ACK mode again (Linux's tcp_event_data_recv). */
static void test_quickack_again(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_LINUX, 10 * TT_MS);
  uint32_t mss = 1448;
  uint64_t off = 0;
  /* Use up the quick ACKs. */
  for (int i = 0; i < 16; i++) {
    tt_wait(&t, TT_MS);
    tf_data(&f, mss);
    tf_expect(&f);
  }
  drain(&t, f.sd, &off);
  tt_wait(&t, TT_MS);
  tf_data(&f, mss);
  tt_expect_none(&t);
  tt_wait(&t, 40 * TT_MS);
  tf_expect(&f);
  /* A hole: the segment after it is ACKed at once, and so is the one
   * that fills it. */
  uint32_t base = 17 * mss;
  tt_wait(&t, TT_MS);
  tf_data_at(&f, base + mss, mss);
  expect_ack(&f, base, 1, (uint32_t[]){base + mss, base + 2 * mss});
  tt_wait(&t, TT_MS);
  tf_data_at(&f, base, mss);
  expect_ack(&f, base + 2 * mss, 0, NULL);
  f.snd_nxt = f.irs + 1 + base + 2 * mss;
  drain(&t, f.sd, &off);
  /* A pause longer than the RTO: the next segment is ACKed at once. */
  tt_wait(&t, 3 * TT_SEC);
  tf_data(&f, mss);
  expect_ack(&f, base + 3 * mss, 0, NULL);
  tt_wait(&t, TT_MS);
  tf_data(&f, mss);
  expect_ack(&f, base + 4 * mss, 0, NULL);
  tt_free(&t);
}

/* A retransmission of data already received (the sender is recovering
 * from a loss) puts the receiver back in quick-ACK mode, as Linux's
 * tcp_enter_quickack_mode() does. */
static void test_quickack_after_duplicate(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_LINUX, 10 * TT_MS);
  uint32_t mss = 1448;
  uint64_t off = 0;
  for (int i = 0; i < 16; i++) {
    tt_wait(&t, TT_MS);
    tf_data(&f, mss);
    tf_expect(&f);
  }
  drain(&t, f.sd, &off);
  tt_wait(&t, TT_MS);
  tf_data(&f, mss);
  tt_expect_none(&t);
  tt_wait(&t, 40 * TT_MS);
  tf_expect(&f);
  /* The peer sends the last segment again: DSACK, at once. */
  tt_wait(&t, TT_MS);
  tf_data_at(&f, 16 * mss, mss);
  expect_ack(&f, 17 * mss, 1, (uint32_t[]){16 * mss, 17 * mss});
  /* New data: ACKed at once again. */
  for (uint32_t i = 17; i < 20; i++) {
    tt_wait(&t, TT_MS);
    tf_data(&f, mss);
    expect_ack(&f, (i + 1) * mss, 0, NULL);
  }
  tt_free(&t);
}

/* 9. Transfers on the simulator ------------------------------------------- */

struct xfer {
  struct sn_sim *sim;
  struct sn_stack *a, *b;
  int a_sd, b_lsd, b_sd;
  uint64_t size, sent, received;
  bool a_closed, done, bad;
  int err;
};

static void a_write(struct xfer *x) {
  static uint8_t buf[65536];
  while (x->sent < x->size) {
    uint32_t n = (uint32_t)SN_MIN(x->size - x->sent, (uint64_t)sizeof buf);
    tf_fill(buf, x->sent, n);
    ssize_t w = sn_send(x->a, x->a_sd, buf, n, 0);
    if (w <= 0) {
      if (w < 0 && w != -EAGAIN)
        x->err = (int)w;
      return;
    }
    x->sent += (uint64_t)w;
  }
  if (!x->a_closed) {
    x->a_closed = true;
    sn_close(x->a, x->a_sd);
  }
}

static void a_event(void *ctx, int sd, unsigned ev) {
  struct xfer *x = ctx;
  (void)sd;
  if ((ev & SN_POLLOUT) && !x->a_closed)
    a_write(x);
}

static void b_event(void *ctx, int sd, unsigned ev) {
  struct xfer *x = ctx;
  static uint8_t buf[65536];
  (void)ev;
  if (sd == x->b_lsd) {
    int c = sn_accept(x->b, x->b_lsd, NULL);
    if (c >= 0) {
      x->b_sd = c;
      sn_set_event_cb(x->b, c, b_event, x);
    }
    return;
  }
  for (;;) {
    ssize_t n = sn_recv(x->b, sd, buf, sizeof buf, 0);
    if (n > 0) {
      if (!tf_check(buf, x->received, (uint32_t)n))
        x->bad = true;
      x->received += (uint64_t)n;
      continue;
    }
    if (n == 0 && !x->done) {
      x->done = true;
      sn_close(x->b, sd);
    } else if (n < 0 && n != -EAGAIN) {
      x->err = (int)n;
    }
    return;
  }
}

static bool xfer_over(void *ctx) {
  struct xfer *x = ctx;
  return x->done || x->err;
}

/* Move size bytes from A to B over a link with imp both ways; check every
 * byte arrived once and in order. */
static void run_transfer(uint64_t seed, uint64_t size,
                         const struct sn_sim_impair *imp) {
  struct xfer x = {.size = size, .b_sd = -1};
  struct sn_config c;
  sn_config_default(&c, SN_PROFILE_LINUX);
  tf_cfg_set(&c, "tcp_rmem", "4096 1048576 4194304");
  tf_cfg_set(&c, "tcp_wmem", "4096 1048576 4194304");
  x.sim = sn_sim_new(seed);
  x.a = sn_sim_add_host(x.sim, "A", &c);
  x.b = sn_sim_add_host(x.sim, "B", &c);
  struct sn_sim_link *l = sn_sim_connect(x.sim, x.a, SL_CIDR_A, x.b, SL_CIDR_B, 0, NULL);
  assert_non_null(l);
  assert_int_equal(sn_sim_link_impair(l, SN_SIM_BOTH, imp), 0);
  x.b_lsd = sn_socket(x.b, SN_SOCK_STREAM);
  struct sn_sockaddr any = {0, 5001};
  assert_int_equal(sn_bind(x.b, x.b_lsd, &any), 0);
  assert_int_equal(sn_listen(x.b, x.b_lsd, 4), 0);
  sn_set_event_cb(x.b, x.b_lsd, b_event, &x);
  x.a_sd = sn_socket(x.a, SN_SOCK_STREAM);
  sn_set_event_cb(x.a, x.a_sd, a_event, &x);
  struct sn_sockaddr to = {tl_ip("198.18.0.2"), 5001};
  assert_int_equal(sn_connect(x.a, x.a_sd, &to), -EINPROGRESS);
  assert_true(sn_sim_run_while_not(x.sim, xfer_over, &x, 600 * TT_SEC));
  assert_int_equal(x.err, 0);
  assert_false(x.bad);
  assert_true(x.done);
  assert_int_equal(x.sent, size);
  assert_int_equal(x.received, size);
  assert_true(sn_stack_counter(x.a, SN_CTR_TcpRetransSegs) > 0 ||
              imp->loss == 0);
  sn_sim_free(x.sim);
}

static void test_transfer_under_loss(void **state) {
  (void)state;
  struct sn_sim_impair imp = {.delay_ns = 10 * TT_MS, .loss = 0.02};
  for (uint64_t seed = 1; seed <= 4; seed++)
    run_transfer(seed, 2u << 20, &imp);
}

static void test_transfer_reorder_duplicate(void **state) {
  (void)state;
  struct sn_sim_impair imp = {.delay_ns = 10 * TT_MS, .reorder = 0.05,
                              .reorder_ns = 3 * TT_MS, .duplicate = 0.01};
  for (uint64_t seed = 1; seed <= 2; seed++)
    run_transfer(seed, 3u << 20, &imp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mss_with_timestamps),
      cmocka_unit_test(test_maxseg_before_connect),
      cmocka_unit_test(test_maxseg_before_listen),
      cmocka_unit_test(test_no_mss_option_means_536),
      cmocka_unit_test(test_ooo_sack_blocks_with_ts),
      cmocka_unit_test(test_ooo_four_blocks_without_ts),
      cmocka_unit_test(test_duplicate_dsack),
      cmocka_unit_test(test_duplicate_no_dsack),
      cmocka_unit_test(test_ooo_queue_bounded),
      cmocka_unit_test(test_data_beyond_window_not_kept),
      cmocka_unit_test(test_quickack_then_delayed),
      cmocka_unit_test(test_quickack_again),
      cmocka_unit_test(test_quickack_after_duplicate),
      cmocka_unit_test(test_transfer_under_loss),
      cmocka_unit_test(test_transfer_reorder_duplicate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
