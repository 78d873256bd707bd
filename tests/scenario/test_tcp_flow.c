/*
 * test_tcp_flow.c - flow control and the sender's choices: the window we
 * advertise (receive buffer, RFC 7323 scaling, receiver SWS avoidance,
 * window updates), the peer's window (sender SWS avoidance, zero-window
 * probes on the persist timer, the lost-window-update deadlock), and
 * Nagle (Minshall's variant), TCP_NODELAY and TCP_CORK.
 */
#include "tcpflow.h"

#include "simlib.h"

#define RTT (100 * TT_MS)

static int getint(struct tt *t, int sd, int level, int name) {
  int v = -1;
  size_t l = sizeof v;
  assert_int_equal(sn_getsockopt(t->st, sd, level, name, &v, &l), 0);
  return v;
}

static void setint(struct tt *t, int sd, int level, int name, int v) {
  assert_int_equal(sn_setsockopt(t->st, sd, level, name, &v, sizeof v), 0);
}

/* A listener on port 80 with SO_RCVBUF v (0: default). */
static int listener(struct tt *t, int rcvbuf) {
  int ls = sn_socket(t->st, SN_SOCK_STREAM);
  if (rcvbuf)
    setint(t, ls, SN_SOL_SOCKET, SN_SO_RCVBUF, rcvbuf);
  struct sn_sockaddr a = {0, 80};
  assert_int_equal(sn_bind(t->st, ls, &a), 0);
  assert_int_equal(sn_listen(t->st, ls, 8), 0);
  return ls;
}

static uint32_t readn(struct tt *t, int sd, uint32_t n, uint64_t *off) {
  static uint8_t buf[1 << 17];
  assert_true(n <= sizeof buf);
  ssize_t r = sn_recv(t->st, sd, buf, n, 0);
  assert_true(r > 0);
  assert_true(tf_check(buf, *off, (uint32_t)r));
  *off += (uint64_t)r;
  return (uint32_t)r;
}

/* 5. The window we advertise --------------------------------------------- */

/* SO_RCVBUF is doubled like Linux's; the window is the free space (half
 * of it), whole segments of it, and a locked 20000-byte buffer needs no
 * window scaling. */
static void test_window_from_rcvbuf(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  int ls = listener(&t, 20000);
  assert_int_equal(getint(&t, ls, SN_SOL_SOCKET, SN_SO_RCVBUF), 40000);
  struct tf f;
  tf_accept(&f, &t, ls, TF_LINUX, 10 * TT_MS);
  assert_true(f.ws);
  assert_int_equal(f.stack_ws, 0);
  tf_data(&f, 1448);
  struct tt_seg a = tf_expect(&f);
  uint32_t free1 = 20000 - 1448;
  assert_int_equal(a.s.wnd, free1 - free1 % 1448);
  for (int i = 0; i < 3; i++) {
    tf_data(&f, 1448);
    a = tf_expect(&f);
  }
  uint32_t free4 = 20000 - 4 * 1448;
  assert_int_equal(a.s.wnd, free4 - free4 % 1448);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_rcv_wscale, 0);
  assert_int_equal(i.tcpi_snd_wscale, 7);
  assert_int_equal(i.tcpi_rcv_wnd, a.s.wnd);
  tt_free(&t);
}

/* RFC 7323 §2.3: the shift is the least that covers the largest buffer
 * (max of tcp_rmem[2] and rmem_max): 15 MiB -> 8, 32 MiB -> 10, Linux's
 * default 6 MiB -> 7; both on the SYN (active) and the SYN-ACK. */
static void check_wscale(const char *rmem, int want) {
  struct sn_config c;
  sn_config_default(&c, SN_PROFILE_LINUX);
  if (rmem)
    tf_cfg_set(&c, "tcp_rmem", rmem);
  struct tt t;
  tt_init(&t, &c);
  struct tf f;
  tf_accept(&f, &t, -1, TF_LINUX, 10 * TT_MS);
  assert_int_equal(f.stack_ws, want);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_rcv_wscale, want);
  assert_int_equal(i.tcpi_options & 7, SN_TCPI_OPT_TIMESTAMPS | SN_TCPI_OPT_SACK |
                                           SN_TCPI_OPT_WSCALE);
  /* The window field is scaled from here on. */
  tf_data(&f, 1000);
  struct tt_seg a = tf_expect(&f);
  i = tf_info(&f);
  assert_int_equal(a.s.wnd, i.tcpi_rcv_wnd >> want);
  assert_int_equal(i.tcpi_rcv_wnd % (1u << want), 0);
  struct tf g;
  tf_connect(&g, &t, -1, TF_LINUX, 10 * TT_MS);
  assert_int_equal(g.stack_ws, want);
  tt_free(&t);
}

static void test_wscale_choice(void **state) {
  (void)state;
  check_wscale("4096 540000 15728640", 8);
  check_wscale("4096 131072 33554432", 10);
  check_wscale(NULL, 7);
}

/* A peer without window scaling: neither side scales. */
static void test_no_wscale_from_peer(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, 10 * TT_MS);
  struct sn_tcp_info i = tf_info(&f);
  assert_int_equal(i.tcpi_rcv_wscale, 0);
  assert_int_equal(i.tcpi_snd_wscale, 0);
  assert_int_equal(i.tcpi_options, 0);
  tt_free(&t);
}

/* Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): a full buffer advertises
 * zero; reading a little does not open a tiny window; reading a segment's
 * worth sends a window update at once. The right edge never moves left. */
static void test_receiver_sws_and_window_update(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  int ls = listener(&t, 5000);
  struct tf f;
  tf_accept(&f, &t, ls, TF_PLAIN, 10 * TT_MS);
  uint32_t wnd = 5000 - 5000 % 1460; /* 4380 */
  uint64_t off = 0;
  for (int k = 0; k < 3; k++)
    tf_data(&f, 1460);
  tt_wait(&t, 40 * TT_MS); /* the delayed ACK, if any */
  struct tt_seg a;
  uint32_t n = 0;
  while (tt_next(&t, &a)) {
    /* The right edge stays where the SYN-ACK put it. */
    assert_int_equal(a.s.wnd, wnd - tf_ak(&f, a.s.ack));
    n++;
  }
  assert_true(n >= 1);
  assert_int_equal(tf_ak(&f, a.s.ack), 4380);
  assert_int_equal(a.s.wnd, 0);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPToZeroWindowAdv), 1);
  /* 620 bytes free: less than a segment, less than half the buffer. */
  tt_wait(&t, 5 * TT_MS);
  readn(&t, f.sd, 500, &off);
  tt_expect_none(&t);
  /* 2120 free: a whole segment's worth opens the window. */
  tt_wait(&t, 5 * TT_MS);
  readn(&t, f.sd, 1000, &off);
  struct tt_seg u = tf_expect(&f);
  assert_int_equal(u.time, t.now);
  assert_int_equal(u.s.len, 0);
  assert_int_equal(tf_ak(&f, u.s.ack), 4380);
  assert_int_equal(u.s.wnd, 1460);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPFromZeroWindowAdv), 1);
  tt_free(&t);
}

/* The window update is lost; the peer's zero-window probe (SEG.SEQ =
 * RCV.NXT - 1, no data) is answered with the open window, and data flows
 * again: the deadlock of the notes does not happen. */
static void test_lost_window_update_probe_answered(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  int ls = listener(&t, 5000);
  struct tf f;
  tf_accept(&f, &t, ls, TF_PLAIN, 10 * TT_MS);
  uint64_t off = 0;
  for (int k = 0; k < 3; k++)
    tf_data(&f, 1460);
  tt_wait(&t, 40 * TT_MS);
  struct tt_seg a;
  while (tt_next(&t, &a))
    ;
  assert_int_equal(a.s.wnd, 0);
  readn(&t, f.sd, 4380, &off);
  struct tt_seg u = tf_expect(&f); /* the update: "lost" */
  assert_true(u.s.wnd > 0);
  tt_wait(&t, 300 * TT_MS);
  struct tt_out probe = tf_out(&f);
  probe.seq = f.snd_nxt - 1;
  tf_put(&f, &probe);
  a = tf_expect(&f);
  assert_int_equal(a.time, t.now);
  assert_int_equal(tf_ak(&f, a.s.ack), 4380);
  assert_int_equal(a.s.wnd, u.s.wnd);
  tf_data(&f, 1460);
  a = tf_expect(&f);
  assert_int_equal(tf_ak(&f, a.s.ack), 5840);
  tt_free(&t);
}

/* 5. The peer's window ------------------------------------------------------ */

/* Sender SWS avoidance (RFC 9293 §3.8.6.2.1): with a 10000-byte window
 * six full segments go, and the 1240 bytes left of the window are not
 * used for a runt; the send window is min(cwnd, rwnd). */
static void test_sender_sws(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  struct tf_opts o = TF_PLAIN;
  o.win = 10000;
  tf_accept(&f, &t, -1, o, RTT);
  assert_int_equal(tf_app_send(&f, 0, 30000), 30000);
  for (int k = 0; k < 6; k++)
    assert_int_equal(tf_expect(&f).s.len, 1460);
  tt_expect_none(&t);
  tt_wait(&t, RTT);
  tf_ack(&f, 8760, 10000);
  for (int k = 0; k < 6; k++)
    assert_int_equal(tf_expect(&f).s.len, 1460);
  tt_expect_none(&t);
  assert_int_equal(tf_info(&f).tcpi_snd_wnd, 10000);
  tt_free(&t);
}

/* Zero window: the persist timer sends probes (SEQ = SND.UNA - 1, no
 * data) one RTO (300 ms after a 100 ms RTT) after the zero window, then
 * backs off .6, 1.2 s; an answer that keeps the window shut restarts the
 * interval from the answer (Linux's tcp_ack_probe()); when the window
 * opens, data flows at once. */
static void test_zero_window_probes(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, RTT);
  assert_int_equal(tf_app_send(&f, 0, 1000), 1000);
  tf_expect(&f);
  tt_wait(&t, RTT);
  tf_ack(&f, 1000, 65535);
  assert_int_equal(tf_info(&f).tcpi_rto, 300000);
  assert_int_equal(tf_app_send(&f, 1000, 1000), 1000);
  tf_expect(&f);
  tt_wait(&t, RTT);
  tf_ack(&f, 2000, 0); /* all acknowledged, window shut */
  uint64_t z = t.now;
  assert_int_equal(tf_app_send(&f, 2000, 3000), 3000);
  tt_expect_none(&t);
  uint64_t at[] = {300, 900, 2100};
  for (int k = 0; k < 3; k++) {
    tf_advance(&f, z + at[k] * TT_MS - 1);
    tt_expect_none(&t);
    tf_advance(&f, z + at[k] * TT_MS);
    struct tt_seg p = tf_expect(&f);
    assert_int_equal(p.time, z + at[k] * TT_MS);
    assert_int_equal(p.s.len, 0);
    assert_int_equal(p.s.flags, SN_TCP_ACK);
    assert_int_equal(tf_sq(&f, p.s.seq), 1999); /* SND.UNA - 1 */
    assert_int_equal(tf_info(&f).tcpi_probes, k + 1);
  }
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPWinProbe), 3);
  /* The peer answers 50 ms later, window still 0: next probe 2.4 s after
   * the answer. */
  tt_wait(&t, 50 * TT_MS);
  tf_ack(&f, 2000, 0);
  uint64_t ans = t.now;
  assert_int_equal(tf_info(&f).tcpi_probes, 0);
  tf_advance(&f, ans + 2400 * TT_MS - 1);
  tt_expect_none(&t);
  tf_advance(&f, ans + 2400 * TT_MS);
  assert_int_equal(tf_expect(&f).time, ans + 2400 * TT_MS);
  /* The window opens: the queued data goes at once. */
  tt_wait(&t, 10 * TT_MS);
  tf_ack(&f, 2000, 65535);
  struct tt_seg d = tf_expect(&f);
  assert_int_equal(d.time, t.now);
  assert_int_equal(tf_sq(&f, d.s.seq), 2000);
  assert_int_equal(d.s.len, 1460);
  assert_int_equal(tf_expect(&f).s.len, 1460);
  assert_int_equal(tf_expect(&f).s.len, 80);
  tt_free(&t);
}

/* A peer that answers every probe keeps the connection for as long as it
 * likes (RFC 1122 §4.2.2.17): far more probes than tcp_retries2. */
static void test_answered_probes_never_give_up(void **state) {
  (void)state;
  struct sn_config c;
  sn_config_default(&c, SN_PROFILE_LINUX);
  tf_cfg_set(&c, "tcp_retries2", "3");
  struct tt t;
  tt_init(&t, &c);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, RTT);
  tf_ack(&f, 0, 0);
  assert_int_equal(tf_app_send(&f, 0, 100), 100);
  for (int k = 0; k < 10; k++) {
    struct tt_seg p;
    while (!tt_next(&t, &p)) {
      uint64_t d = sn_stack_next_deadline(t.st);
      assert_true(d != SN_TIME_NEVER);
      tf_advance(&f, d > t.now ? d : t.now + 1);
    }
    assert_int_equal(p.s.len, 0);
    assert_int_equal(tf_sq(&f, p.s.seq), (uint32_t)-1);
    tt_wait(&t, 5 * TT_MS);
    tf_ack(&f, 0, 0);
  }
  assert_int_equal(tt_state(&t, f.sd), 4);
  tf_ack(&f, 0, 65535);
  assert_int_equal(tf_expect(&f).s.len, 100);
  tt_free(&t);
}

/* Unanswered probes give up after tcp_retries2 (15): the 16th persist
 * timeout ends the connection with ETIMEDOUT, at the same times as
 * retransmissions would (.3 s doubling up to the 120 s cap). */
static void test_unanswered_probes_give_up(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, RTT);
  assert_int_equal(tf_app_send(&f, 0, 1000), 1000);
  tf_expect(&f);
  tt_wait(&t, RTT);
  tf_ack(&f, 1000, 0);
  uint64_t z = t.now;
  assert_int_equal(tf_app_send(&f, 1000, 100), 100);
  uint64_t at = z, rto = 300 * TT_MS;
  for (int k = 0; k < 15; k++) {
    at += rto;
    rto = rto * 2 > 120 * TT_SEC ? 120 * TT_SEC : rto * 2;
    tf_advance(&f, at);
    struct tt_seg p = tf_expect(&f);
    assert_int_equal(p.time, at);
    assert_int_equal(p.s.len, 0);
  }
  tf_advance(&f, at + rto - 1);
  assert_int_equal(tt_state(&t, f.sd), 4);
  tf_advance(&f, at + rto);
  assert_int_equal(tt_state(&t, f.sd), 0);
  assert_int_equal(getint(&t, f.sd, SN_SOL_SOCKET, SN_SO_ERROR), ETIMEDOUT);
  assert_int_equal(sn_stack_counter(t.st, SN_CTR_TcpExtTCPWinProbe), 15);
  tt_free(&t);
}

/* The deadlock end to end on the simulator: B's buffer fills, A probes;
 * B reads, and its window update is dropped by the link; A's next probe
 * brings the open window back and the transfer completes. */
struct dl {
  struct sn_sim *sim;
  struct sn_stack *a, *b;
  struct sn_sim_link *link;
  int a_sd, b_lsd, b_sd;
  uint64_t size, sent, received;
  bool reading, bad;
};

static void dl_write(struct dl *x) {
  static uint8_t buf[16384];
  while (x->sent < x->size) {
    uint32_t n = (uint32_t)(x->size - x->sent < sizeof buf ? x->size - x->sent : sizeof buf);
    tf_fill(buf, x->sent, n);
    ssize_t w = sn_send(x->a, x->a_sd, buf, n, 0);
    if (w <= 0)
      return;
    x->sent += (uint64_t)w;
  }
}

static void dl_a_event(void *ctx, int sd, unsigned ev) {
  (void)sd;
  if (ev & SN_POLLOUT)
    dl_write(ctx);
}

static void dl_read(struct dl *x) {
  static uint8_t buf[65536];
  if (!x->reading || x->b_sd < 0)
    return;
  for (;;) {
    ssize_t n = sn_recv(x->b, x->b_sd, buf, sizeof buf, 0);
    if (n <= 0)
      return;
    if (!tf_check(buf, x->received, (uint32_t)n))
      x->bad = true;
    x->received += (uint64_t)n;
  }
}

static void dl_b_event(void *ctx, int sd, unsigned ev) {
  struct dl *x = ctx;
  (void)ev;
  if (sd == x->b_lsd) {
    int c = sn_accept(x->b, x->b_lsd, NULL);
    if (c >= 0) {
      x->b_sd = c;
      sn_set_event_cb(x->b, c, dl_b_event, x);
    }
    return;
  }
  dl_read(x);
}

static void dl_start_reading(void *ctx, uint64_t now) {
  struct dl *x = ctx;
  (void)now;
  /* The next pure ACK from B is the window update: lose it. */
  assert_int_equal(sn_sim_link_drop_nth(x->link, SN_SIM_BA, "ack", 1), 0);
  x->reading = true;
  dl_read(x);
}

static bool dl_done(void *ctx) {
  struct dl *x = ctx;
  return x->received == x->size;
}

static void test_deadlock_lost_window_update_sim(void **state) {
  (void)state;
  struct dl x = {.size = 200000, .b_sd = -1};
  x.sim = sn_sim_new(11);
  x.a = sn_sim_add_host(x.sim, "A", NULL);
  x.b = sn_sim_add_host(x.sim, "B", NULL);
  x.link = sn_sim_connect(x.sim, x.a, SL_CIDR_A, x.b, SL_CIDR_B, 0, NULL);
  assert_non_null(x.link);
  struct sn_sim_impair imp = {.delay_ns = 10 * TT_MS};
  sn_sim_link_impair(x.link, SN_SIM_BOTH, &imp);
  x.b_lsd = sn_socket(x.b, SN_SOCK_STREAM);
  int v = 16384;
  assert_int_equal(sn_setsockopt(x.b, x.b_lsd, SN_SOL_SOCKET, SN_SO_RCVBUF, &v, sizeof v), 0);
  struct sn_sockaddr any = {0, 5001};
  assert_int_equal(sn_bind(x.b, x.b_lsd, &any), 0);
  assert_int_equal(sn_listen(x.b, x.b_lsd, 4), 0);
  sn_set_event_cb(x.b, x.b_lsd, dl_b_event, &x);
  x.a_sd = sn_socket(x.a, SN_SOCK_STREAM);
  sn_set_event_cb(x.a, x.a_sd, dl_a_event, &x);
  struct sn_sockaddr to = {tl_ip("198.18.0.2"), 5001};
  assert_int_equal(sn_connect(x.a, x.a_sd, &to), -EINPROGRESS);
  /* Let B's buffer fill and A start probing. */
  sn_sim_run_until(x.sim, 2 * TT_SEC);
  uint64_t probes = sn_stack_counter(x.a, SN_CTR_TcpExtTCPWinProbe);
  assert_true(probes >= 1);
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(x.a, x.a_sd, &i), 0);
  assert_int_equal(i.tcpi_snd_wnd, 0);
  assert_int_equal(sn_sim_at(x.sim, 2 * TT_SEC, dl_start_reading, &x), 0);
  assert_true(sn_sim_run_while_not(x.sim, dl_done, &x, 60 * TT_SEC));
  assert_false(x.bad);
  assert_int_equal(sn_sim_link_stats(x.link, SN_SIM_BA).dropped_script, 1);
  /* What broke the silence was a probe sent after the lost update. */
  assert_true(sn_stack_counter(x.a, SN_CTR_TcpExtTCPWinProbe) > probes);
  sn_sim_free(x.sim);
}

/* 6. Nagle, TCP_NODELAY, TCP_CORK ------------------------------------------ */

/* Minshall's Nagle (as Linux): a short segment waits only while an
 * earlier short segment is unacknowledged; full segments never wait. */
static void test_nagle_minshall(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, RTT);
  assert_int_equal(getint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_NODELAY), 0);
  assert_int_equal(tf_app_send(&f, 0, 100), 100);
  struct tt_seg s = tf_expect(&f);
  assert_int_equal(s.s.len, 100);
  assert_true(s.s.flags & SN_TCP_PSH);
  /* A second short write waits for the first's ACK... */
  assert_int_equal(tf_app_send(&f, 100, 100), 100);
  tt_expect_none(&t);
  /* ...but full segments do not; the short tail still waits. */
  assert_int_equal(tf_app_send(&f, 200, 3000), 3000);
  assert_int_equal(tf_expect(&f).s.len, 1460);
  assert_int_equal(tf_expect(&f).s.len, 1460);
  tt_expect_none(&t);
  tt_wait(&t, RTT);
  tf_ack(&f, 100, 65535);
  /* The short segment in flight was acked: the 180-byte tail goes, though
   * full segments are still in flight (classic Nagle would wait). */
  s = tf_expect(&f);
  assert_int_equal(tf_sq(&f, s.s.seq), 3020);
  assert_int_equal(s.s.len, 180);
  assert_true(s.s.flags & SN_TCP_PSH);
  /* Now that one is the short segment in flight. */
  assert_int_equal(tf_app_send(&f, 3200, 50), 50);
  tt_expect_none(&t);
  tt_wait(&t, 10 * TT_MS);
  tf_ack(&f, 3020, 65535);
  tt_expect_none(&t);
  tf_ack(&f, 3200, 65535);
  s = tf_expect(&f);
  assert_int_equal(s.s.len, 50);
  tt_free(&t);
}

/* Minshall's check compares sequence numbers: with an ISN in the upper
 * half of the space the first short segment must still go at once. */
static void test_nagle_first_segment_any_isn(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  /* The ISN clock runs at 250000 a second: 8600 s moves it by about
   * 2^31 from where it starts. */
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, RTT);
  uint32_t first = f.iss;
  tt_free(&t);
  tt_init(&t, NULL);
  tt_wait(&t, 8600 * TT_SEC);
  /* The peer's ARP entry expired meanwhile: teach it again. */
  tl_learn_peer(t.st, t.ifi, &t.link, "198.18.0.2", "198.18.0.1", t.now);
  t.next_frame = 0;
  tf_accept(&f, &t, -1, TF_PLAIN, RTT);
  assert_true((first ^ f.iss) & 0x80000000u);
  assert_int_equal(tf_app_send(&f, 0, 100), 100);
  struct tt_seg s = tf_expect(&f);
  assert_int_equal(s.s.len, 100);
  assert_int_equal(s.time, t.now);
  tt_free(&t);
}

/* A window open but too small to use with nothing in flight (sender SWS
 * avoidance waits for more): the persist timer's override sends what
 * fits after an RTO (RFC 9293 §3.8.6.2.1), so a lost window update cannot
 * stall the connection. */
static void test_small_window_override(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  struct tf_opts o = TF_PLAIN;
  o.win = 10000;
  tf_accept(&f, &t, -1, o, RTT);
  assert_int_equal(tf_app_send(&f, 0, 20000), 20000);
  for (int k = 0; k < 6; k++)
    tf_expect(&f);
  tt_wait(&t, RTT);
  tf_ack(&f, 8760, 1000); /* right edge 9760: 1000 usable, < 10000 / 2 */
  uint64_t at = t.now;
  tt_expect_none(&t);
  tf_advance(&f, at + 300 * TT_MS - 1);
  tt_expect_none(&t);
  tf_advance(&f, at + 300 * TT_MS);
  struct tt_seg s = tf_expect(&f);
  assert_int_equal(s.time, at + 300 * TT_MS);
  assert_int_equal(tf_sq(&f, s.s.seq), 8760);
  assert_int_equal(s.s.len, 1000);
  tt_free(&t);
}

/* TCP_NODELAY: every write goes at once. */
static void test_nodelay(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, RTT);
  setint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_NODELAY, 1);
  assert_int_equal(getint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_NODELAY), 1);
  assert_int_equal(tf_app_send(&f, 0, 51), 51);
  assert_int_equal(tf_app_send(&f, 51, 2002), 2002);
  assert_int_equal(tf_app_send(&f, 2053, 10), 10);
  uint32_t lens[] = {51, 1460, 542, 10};
  for (int k = 0; k < 4; k++) {
    struct tt_seg s = tf_expect(&f);
    assert_int_equal(s.s.len, lens[k]);
    assert_int_equal(s.time, t.now);
  }
  tt_free(&t);
}

/* TCP_CORK holds partial segments (full ones still go) until uncorked;
 * closing a corked socket sends the rest with the FIN. */
static void test_cork(void **state) {
  (void)state;
  struct tt t;
  tt_init(&t, NULL);
  struct tf f;
  tf_accept(&f, &t, -1, TF_PLAIN, RTT);
  setint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_CORK, 1);
  assert_int_equal(getint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_CORK), 1);
  assert_int_equal(tf_app_send(&f, 0, 100), 100);
  assert_int_equal(tf_app_send(&f, 100, 1000), 1000);
  tt_wait(&t, 150 * TT_MS);
  tt_expect_none(&t);
  assert_int_equal(tf_app_send(&f, 1100, 1000), 1000);
  struct tt_seg s = tf_expect(&f);
  assert_int_equal(s.s.len, 1460);
  tt_wait(&t, 150 * TT_MS);
  tt_expect_none(&t);
  setint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_CORK, 0);
  s = tf_expect(&f);
  assert_int_equal(s.time, t.now);
  assert_int_equal(tf_sq(&f, s.s.seq), 1460);
  assert_int_equal(s.s.len, 640);
  assert_true(s.s.flags & SN_TCP_PSH);
  /* Corked again, then closed: the partial data leaves with the FIN. */
  tf_ack(&f, 2100, 65535);
  setint(&t, f.sd, SN_IPPROTO_TCP, SN_TCP_CORK, 1);
  assert_int_equal(tf_app_send(&f, 2100, 300), 300);
  tt_expect_none(&t);
  assert_int_equal(sn_shutdown(t.st, f.sd, SN_SHUT_WR), 0);
  s = tf_expect(&f);
  assert_int_equal(s.s.len, 300);
  assert_int_equal(s.s.flags, SN_TCP_ACK | SN_TCP_PSH | SN_TCP_FIN);
  tt_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_window_from_rcvbuf),
      cmocka_unit_test(test_wscale_choice),
      cmocka_unit_test(test_no_wscale_from_peer),
      cmocka_unit_test(test_receiver_sws_and_window_update),
      cmocka_unit_test(test_lost_window_update_probe_answered),
      cmocka_unit_test(test_sender_sws),
      cmocka_unit_test(test_zero_window_probes),
      cmocka_unit_test(test_answered_probes_never_give_up),
      cmocka_unit_test(test_unanswered_probes_give_up),
      cmocka_unit_test(test_deadlock_lost_window_update_sim),
      cmocka_unit_test(test_nagle_minshall),
      cmocka_unit_test(test_nagle_first_segment_any_isn),
      cmocka_unit_test(test_small_window_override),
      cmocka_unit_test(test_nodelay),
      cmocka_unit_test(test_cork),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
