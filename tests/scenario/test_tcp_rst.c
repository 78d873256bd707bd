/*
 * test_tcp_rst.c - resets, at exact virtual times (linux profile):
 *
 *  - close() with unread data sends RST instead of FIN (RFC 2525 §2.17);
 *    data arriving after close() is answered with RST; SO_LINGER {1, 0}
 *    resets at once; close() in SYN-SENT sends nothing, and the late
 *    SYN-ACK gets a RST;
 *  - a RST exactly at RCV.NXT resets an established connection; RFC 5961:
 *    one elsewhere in the window gets a challenge ACK, one outside it is
 *    ignored, a SYN gets a challenge ACK, and challenge ACKs are limited
 *    per socket (tcp_invalid_ratelimit) and per stack
 *    (tcp_challenge_ack_limit); an ACK of data never sent gets an ACK;
 *  - TIME-WAIT: a RST at RCV.NXT ends it (tcp_rfc1337 = 0), a new SYN
 *    with a higher sequence number (or newer timestamp) opens a new
 *    connection.
 *
 * The stack is the client (connected to the peer's port 80, peer ISN
 * 5000, 100 ms round trip) unless a test says otherwise.
 */
#include "tcpscen.h"

#include "tcp/tcb.h"

static const uint64_t SEC = TS_SEC, MS = TS_MS;

static uint64_t ctr(struct sn_stack *st, enum sn_counter c) {
  return sn_stack_counter(st, c);
}

/* 11. Resets from close() ----------------------------------------------- */

/*
 * close() with received data unread: <SEQ=SND.NXT><ACK=RCV.NXT><RST,ACK>
 * and no FIN (RFC 2525 §2.17; packetdrill close-unread-data-rst, with the
 * stack as the server).
 */
static void test_close_with_unread_data(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  struct ts_log *log = ts_log_new();
  ts_log_tt(log, &t);
  int lsd = tt_listen(&t, 80, 1);
  tt_advance(&t, 100 * MS);
  uint32_t iss;
  int sd = ts_accept(&t, lsd, 80, 4000, 0, 100 * MS, &iss);
  uint32_t id = ts_conn_id(t.st, sd);
  char data[1000];
  memset(data, 'u', sizeof data);
  tt_advance(&t, 210 * MS);
  ts_send(&t, 4000, 80, SN_TCP_ACK | SN_TCP_PSH, 1, iss + 1, data, 1000);
  TS_EXPECT(&t, SN_TCP_ACK, iss + 1, 1001, 0, 210 * MS);
  tt_advance(&t, 250 * MS);
  assert_int_equal(sn_send(t.st, sd, data, 1000, 0), 1000);
  TS_EXPECT(&t, SN_TCP_ACK | SN_TCP_PSH, iss + 1, 1001, 1000, 250 * MS);
  tt_advance(&t, 300 * MS);
  ts_send(&t, 4000, 80, SN_TCP_ACK, 1001, iss + 1001, NULL, 0);
  tt_advance(&t, 610 * MS);
  ts_send(&t, 4000, 80, SN_TCP_FIN | SN_TCP_ACK, 1001, iss + 1001, NULL, 0);
  tt_advance(&t, 700 * MS);
  TS_EXPECT(&t, SN_TCP_ACK, iss + 1001, 1002, 0, 650 * MS); /* delayed */
  assert_int_equal(sn_close(t.st, sd), 0);
  TS_EXPECT(&t, SN_TCP_RST | SN_TCP_ACK, iss + 1001, 1002, 0, 700 * MS);
  TS_NONE(&t);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtTCPAbortOnClose), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpOutRsts), 1);
  assert_int_equal(ts_state_time(log, "S", id, "CLOSED"), 700 * MS);
  /* Gone: nothing more, ever. */
  tt_advance(&t, 100 * SEC);
  TS_NONE(&t);
  tt_free(&t);
  free(log);
}

/* All data read (or the only data a duplicate): close() sends a FIN and
 * no RST (packetdrill tcp_close_no_rst). */
static void test_close_after_reading_sends_fin(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  char data[1000], buf[1000];
  memset(data, 'r', sizeof data);
  ts_peer(&c, SN_TCP_ACK, 5001, 1, data, 1000);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 6001, 0, 1 * SEC);
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 1000);
  ts_peer(&c, SN_TCP_FIN | SN_TCP_ACK, 5001, 1, data, 1000); /* old data + FIN */
  struct tt_seg a = TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 6002, 0, TS_ANY);
  assert_true(a.time >= 1 * SEC && a.time <= 1040 * MS);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 6002, 0, c.t.now);
  TS_NONE(&c.t);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpOutRsts), 0);
  ts_conn_free(&c);
}

/*
 * Data arriving after close() will never be read: the stack answers it
 * with a RST as for a closed port, <SEQ=SEG.ACK><CTL=RST> (Linux), and the
 * connection is gone (TcpExtTCPAbortOnData). In FIN-WAIT-1 and in
 * FIN-WAIT-2 alike.
 */
static void data_after_close(bool fin_acked) {
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  uint32_t rack = fin_acked ? 2 : 1;
  tt_advance(&c.t, 1100 * MS);
  if (fin_acked)
    ts_peer(&c, SN_TCP_ACK, 5001, 2, NULL, 0);
  ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, 5001, rack, "too late", 8);
  struct tt_seg r = TS_EXPECT(&c.t, SN_TCP_RST, c.iss + rack, 0, 0, 1100 * MS);
  assert_int_equal(r.s.wnd, 0);
  TS_NONE(&c.t);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPAbortOnData), 1);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 1100 * MS);
  /* No FIN retransmission follows; the next segment finds nothing. */
  tt_advance(&c.t, 5 * SEC);
  TS_NONE(&c.t);
  ts_peer(&c, SN_TCP_ACK, 5009, rack, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_RST, c.iss + rack, 0, 0, 5 * SEC);
  ts_conn_free(&c);
}

static void test_data_after_close_fin_wait_1(void **state) {
  (void)state;
  data_after_close(false);
}

static void test_data_after_close_fin_wait_2(void **state) {
  (void)state;
  data_after_close(true);
}

/* The same after shutdown(SHUT_RDWR) (both directions shut, as Linux);
 * after SHUT_WR alone the data is taken (half-close). */
static void test_data_after_shutdown_rdwr(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_shutdown(c.t.st, c.sd, SN_SHUT_RDWR), 0);
  TS_EXPECT(&c.t, SN_TCP_FIN | SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  ts_peer(&c, SN_TCP_ACK, 5001, 2, NULL, 0);
  ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, 5001, 2, "x", 1);
  TS_EXPECT(&c.t, SN_TCP_RST, c.iss + 2, 0, 0, 1 * SEC);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_CLOSED);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPAbortOnData), 1);
  ts_conn_free(&c);
}

/* SO_LINGER {1, 0}: close() resets at once, <SEQ=SND.NXT><ACK=RCV.NXT>. */
static void test_linger_zero(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  struct sn_linger l = {1, 0};
  assert_int_equal(sn_setsockopt(c.t.st, c.sd, SN_SOL_SOCKET, SN_SO_LINGER, &l,
                                 sizeof l), 0);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(sn_send(c.t.st, c.sd, "abc", 3, 0), 3);
  TS_EXPECT(&c.t, SN_TCP_ACK | SN_TCP_PSH, c.iss + 1, 5001, 3, 1 * SEC);
  assert_int_equal(sn_close(c.t.st, c.sd), 0);
  TS_EXPECT(&c.t, SN_TCP_RST | SN_TCP_ACK, c.iss + 4, 5001, 0, 1 * SEC);
  TS_NONE(&c.t);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpOutRsts), 1);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpCurrEstab), 0);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 1 * SEC);
  tt_advance(&c.t, 10 * SEC); /* no retransmission of the data */
  TS_NONE(&c.t);
  ts_conn_free(&c);
}

/* close() in SYN-SENT sends nothing; the SYN-ACK that comes later gets
 * <SEQ=SEG.ACK><CTL=RST> (packetdrill close-on-syn-sent). */
static void test_close_in_syn_sent(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  struct sn_sockaddr dst = {t.peer_ip, 80};
  assert_int_equal(sn_connect(t.st, sd, &dst), -EINPROGRESS);
  struct tt_seg syn = TS_EXPECT(&t, SN_TCP_SYN, TS_ANY, 0, 0, 0);
  assert_int_equal(sn_close(t.st, sd), 0);
  TS_NONE(&t);
  assert_int_equal(ctr(t.st, SN_CTR_TcpAttemptFails), 1);
  tt_advance(&t, 100 * MS);
  struct tt_out sa = {.sport = 80, .dport = syn.s.sport,
                      .flags = SN_TCP_SYN | SN_TCP_ACK, .seq = 0,
                      .ack = syn.s.seq + 1, .win = 32000};
  sa.opt = (struct sn_tcp_optspec){.syn = true, .mss = true, .mss_val = 1460,
                                   .ws = true, .ws_val = 7};
  tt_inject(&t, &sa);
  TS_EXPECT(&t, SN_TCP_RST, syn.s.seq + 1, 0, 0, 100 * MS);
  tt_advance(&t, 10 * SEC); /* and no SYN retransmission */
  TS_NONE(&t);
  tt_free(&t);
}

/* 12. RST on an established connection (RFC 5961 §3) --------------------- */

enum how { BY_RECV, BY_SEND };

/* A RST exactly at RCV.NXT resets: ECONNRESET, TcpEstabResets; nothing is
 * sent in reply. */
static void rst_resets(enum how how, uint8_t flags) {
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  struct ts_events ev = {0};
  assert_int_equal(sn_set_event_cb(c.t.st, c.sd, ts_event_cb, &ev), 0);
  tt_advance(&c.t, 1 * SEC);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpCurrEstab), 1);
  ts_peer(&c, flags, 5001, 1, NULL, 0);
  TS_NONE(&c.t);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_CLOSED);
  assert_true(ev.last & SN_POLLERR);
  assert_int_equal(sn_poll(c.t.st, c.sd) & (SN_POLLERR | SN_POLLHUP),
                   SN_POLLERR | SN_POLLHUP);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpEstabResets), 1);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpCurrEstab), 0);
  char buf[8];
  if (how == BY_RECV)
    assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), -ECONNRESET);
  else
    assert_int_equal(sn_send(c.t.st, c.sd, "x", 1, 0), -ECONNRESET);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 1 * SEC);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpOutRsts), 0);
  ts_conn_free(&c);
}

static void test_rst_at_rcv_nxt_recv(void **state) {
  (void)state;
  rst_resets(BY_RECV, SN_TCP_RST);
}

static void test_rst_at_rcv_nxt_send(void **state) {
  (void)state;
  rst_resets(BY_SEND, SN_TCP_RST | SN_TCP_ACK);
}

/* In the window but not at RCV.NXT: a challenge ACK <SEQ=SND.NXT>
 * <ACK=RCV.NXT>, and the connection survives (RFC 5961 §3.2). */
static void test_rst_in_window_challenge(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  ts_peer(&c, SN_TCP_RST, 5001 + 1000, 1, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_ESTABLISHED);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPChallengeACK), 1);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpEstabResets), 0);
  /* The connection works on. */
  ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, 5001, 1, "ok", 2);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5003, 0, 1 * SEC);
  /* A peer that really reset answers the challenge ACK with a RST at
   * exactly RCV.NXT, which is accepted. */
  tt_advance(&c.t, 1100 * MS);
  ts_peer(&c, SN_TCP_RST, 5003, 1, NULL, 0);
  TS_NONE(&c.t);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_CLOSED);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpEstabResets), 1);
  ts_conn_free(&c);
}

/* Outside the window (old, or beyond it): dropped without a word. */
static void test_rst_out_of_window_ignored(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  const uint32_t seqs[] = {5001 - 1, 5001 - 70000, 5001 + 1000000, 5001 + 0x80000000u};
  for (int i = 0; i < 4; i++) {
    ts_peer(&c, SN_TCP_RST, seqs[i], 1, NULL, 0);
    ts_peer(&c, SN_TCP_RST | SN_TCP_ACK, seqs[i], 1, NULL, 0);
  }
  TS_NONE(&c.t);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_ESTABLISHED);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPChallengeACK), 0);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpEstabResets), 0);
  ts_conn_free(&c);
}

/* A SYN on an established connection, in the window or not: a challenge
 * ACK (RFC 5961 §4), TcpExtTCPSYNChallenge, and the connection lives. */
static void test_syn_on_established(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  ts_peer(&c, SN_TCP_SYN, 5001 + 10, 0, NULL, 0);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  tt_advance(&c.t, 2 * SEC);
  ts_peer(&c, SN_TCP_SYN, 4000, 0, NULL, 0); /* an old ISN: out of window */
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5001, 0, 2 * SEC);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPSYNChallenge), 2);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPChallengeACK), 2);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_ESTABLISHED);
  assert_int_equal(sn_send(c.t.st, c.sd, "alive", 5, 0), 5);
  TS_EXPECT(&c.t, SN_TCP_ACK | SN_TCP_PSH, c.iss + 1, 5001, 5, 2 * SEC);
  ts_conn_free(&c);
}

/* Challenge ACKs of one socket: at most one per tcp_invalid_ratelimit
 * (500 ms); the others are counted in TcpExtTCPACKSkippedChallenge. */
static void test_challenge_ack_socket_limit(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  const uint64_t at[] = {1000, 1100, 1499, 1500, 1700, 2100};
  const bool answered[] = {true, false, false, true, false, true};
  for (int i = 0; i < 6; i++) {
    tt_advance(&c.t, at[i] * MS);
    ts_peer(&c, (i & 1) ? SN_TCP_SYN : SN_TCP_RST, 5001 + 100, 1, NULL, 0);
    if (answered[i])
      TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5001, 0, at[i] * MS);
    TS_NONE(&c.t);
  }
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPChallengeACK), 3);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTCPACKSkippedChallenge), 3);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_ESTABLISHED);
  ts_conn_free(&c);
}

/* The stack-wide budget: tcp_challenge_ack_limit per second over all
 * connections (set to 1 here). */
static void test_challenge_ack_stack_limit(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, "tcp_challenge_ack_limit=1", NULL);
  uint32_t iss[2];
  uint16_t lport[2];
  int sd[2];
  sd[0] = ts_connect(&t, 80, 5000, 100 * MS, &iss[0], &lport[0]);
  sd[1] = ts_connect(&t, 81, 7000, 100 * MS, &iss[1], &lport[1]);
  const struct {
    uint64_t at;
    int conn;
    bool answered;
  } step[] = {{1000, 0, true}, {1100, 1, false}, {1999, 1, false},
              {2000, 1, true}, {2600, 0, false}, {3000, 0, true}};
  for (size_t i = 0; i < sizeof step / sizeof step[0]; i++) {
    tt_advance(&t, step[i].at * MS);
    int k = step[i].conn;
    uint32_t irs = k ? 7000 : 5000;
    ts_send(&t, (uint16_t)(80 + k), lport[k], SN_TCP_RST, irs + 1 + 100, 0, NULL, 0);
    if (step[i].answered)
      TS_EXPECT(&t, SN_TCP_ACK, iss[k] + 1, irs + 1, 0, step[i].at * MS);
    TS_NONE(&t);
  }
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtTCPChallengeACK), 3);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtTCPACKSkippedChallenge), 3);
  assert_int_equal(tt_state(&t, sd[0]), SN_TCP_ESTABLISHED);
  assert_int_equal(tt_state(&t, sd[1]), SN_TCP_ESTABLISHED);
  tt_free(&t);
}

/* An ACK of data never sent: the segment is dropped (its data is not
 * taken) and answered with an ACK (RFC 9293 §3.10.7.4, RFC 5961 §5). */
static void test_ack_of_unsent_data(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  tt_advance(&c.t, 1 * SEC);
  ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, 5001, 1 + 1000, "bogus", 5);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5001, 0, 1 * SEC);
  TS_NONE(&c.t);
  char buf[8];
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), -EAGAIN);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_ESTABLISHED);
  /* The same bytes with a sane ACK are taken. */
  ts_peer(&c, SN_TCP_ACK | SN_TCP_PSH, 5001, 1, "valid", 5);
  TS_EXPECT(&c.t, SN_TCP_ACK, c.iss + 1, 5006, 0, 1 * SEC);
  assert_int_equal(sn_recv(c.t.st, c.sd, buf, sizeof buf, 0), 5);
  assert_memory_equal(buf, "valid", 5);
  ts_conn_free(&c);
}

/* TIME-WAIT ------------------------------------------------------------- */

/* TIME-WAIT with the socket kept (shutdown(SHUT_WR), the peer's ACK and
 * FIN), entered at 1 s. */
static void to_time_wait(struct ts_conn *c) {
  tt_advance(&c->t, 1 * SEC);
  assert_int_equal(sn_shutdown(c->t.st, c->sd, SN_SHUT_WR), 0);
  TS_EXPECT(&c->t, SN_TCP_FIN | SN_TCP_ACK, c->iss + 1, 5001, 0, 1 * SEC);
  ts_peer(c, SN_TCP_FIN | SN_TCP_ACK, 5001, 2, NULL, 0);
  TS_EXPECT(&c->t, SN_TCP_ACK, c->iss + 2, 5002, 0, 1 * SEC);
  assert_int_equal(tt_state(&c->t, c->sd), SN_TCP_TIME_WAIT);
}

/* A RST at exactly RCV.NXT ends TIME-WAIT (Linux, tcp_rfc1337 = 0); any
 * other RST is ignored; none is answered. */
static void test_rst_in_time_wait(void **state) {
  (void)state;
  struct ts_conn c;
  ts_conn_open(&c, NULL);
  to_time_wait(&c);
  tt_advance(&c.t, 5 * SEC);
  ts_peer(&c, SN_TCP_RST, 5002 + 10, 0, NULL, 0);
  ts_peer(&c, SN_TCP_RST, 5001, 0, NULL, 0);
  TS_NONE(&c.t);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_TIME_WAIT);
  ts_peer(&c, SN_TCP_RST, 5002, 0, NULL, 0);
  TS_NONE(&c.t);
  assert_int_equal(tt_state(&c.t, c.sd), SN_TCP_CLOSED);
  assert_int_equal(ts_state_time(c.log, "S", c.id, "CLOSED"), 5 * SEC);
  /* Killed, not run out: TcpExtTW counts only the latter. */
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpExtTW), 0);
  assert_int_equal(ctr(c.t.st, SN_CTR_TcpOutRsts), 0);
  ts_conn_free(&c);
}

/*
 * A new SYN for a connection in TIME-WAIT (the stack is the server and
 * closed first): with a sequence number above the old connection's, it
 * opens a new connection at once, whose ISN is above anything the old
 * one used (Linux: its SND.NXT + 65535 + 2). An older SYN is answered as
 * TIME-WAIT answers anything, with an ACK.
 */
static void test_syn_in_time_wait(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  struct ts_log *log = ts_log_new();
  ts_log_tt(log, &t);
  int lsd = tt_listen(&t, 80, 8);
  uint32_t iss;
  int sd = ts_accept(&t, lsd, 80, 4000, 1000, 100 * MS, &iss);
  uint32_t id = ts_conn_id(t.st, sd);
  tt_advance(&t, 1 * SEC);
  assert_int_equal(sn_send(t.st, sd, "data", 4, 0), 4);
  TS_EXPECT(&t, SN_TCP_ACK | SN_TCP_PSH, iss + 1, 1001, 4, 1 * SEC);
  assert_int_equal(sn_close(t.st, sd), 0);
  TS_EXPECT(&t, SN_TCP_FIN | SN_TCP_ACK, iss + 5, 1001, 0, 1 * SEC);
  ts_send(&t, 4000, 80, SN_TCP_FIN | SN_TCP_ACK, 1001, iss + 6, NULL, 0);
  TS_EXPECT(&t, SN_TCP_ACK, iss + 6, 1002, 0, 1 * SEC);
  assert_int_equal(ts_state_time(log, "S", id, "TIME-WAIT"), 1 * SEC);
  /* An old SYN: only the TIME-WAIT ACK. */
  tt_advance(&t, 2 * SEC);
  ts_send(&t, 4000, 80, SN_TCP_SYN, 500, 0, NULL, 0);
  TS_EXPECT(&t, SN_TCP_ACK, iss + 6, 1002, 0, 2 * SEC);
  assert_int_equal(ts_state_time(log, "S", id, "CLOSED"), UINT64_MAX);
  /* A new one. */
  tt_advance(&t, 3 * SEC);
  ts_send(&t, 4000, 80, SN_TCP_SYN, 200000, 0, NULL, 0);
  struct tt_seg sa = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, iss + 6 + 65537,
                               200001, 0, 3 * SEC);
  assert_int_equal(ts_state_time(log, "S", id, "CLOSED"), 3 * SEC);
  assert_int_equal(ctr(t.st, SN_CTR_SnTcpTimeWaitReuse), 1);
  assert_int_equal(ctr(t.st, SN_CTR_TcpExtTW), 0);
  tt_advance(&t, 3100 * MS);
  ts_send(&t, 4000, 80, SN_TCP_ACK, 200001, sa.s.seq + 1, NULL, 0);
  struct sn_sockaddr peer;
  int ns = sn_accept(t.st, lsd, &peer);
  assert_true(ns >= 0);
  assert_int_equal(peer.port, 4000);
  assert_int_equal(tt_state(&t, ns), SN_TCP_ESTABLISHED);
  assert_int_equal(ctr(t.st, SN_CTR_TcpPassiveOpens), 2);
  tt_free(&t);
  free(log);
}

/* With timestamps, a SYN whose TSval is newer opens a new connection even
 * with a lower sequence number; one whose TSval is older does not, even
 * with a higher one (RFC 6191; Linux). */
static void test_syn_in_time_wait_timestamps(void **state) {
  (void)state;
  struct tt t;
  ts_init(&t, NULL);
  int lsd = tt_listen(&t, 80, 8);
  struct tt_out syn = {.sport = 4000, .dport = 80, .flags = SN_TCP_SYN,
                       .seq = 1000, .win = 65535, .opt = tt_syn_opts(1000)};
  tt_inject(&t, &syn);
  struct tt_seg sa = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, TS_ANY, 1001, 0, 0);
  uint32_t iss = sa.s.seq;
  struct tt_out o = {.sport = 4000, .dport = 80, .flags = SN_TCP_ACK,
                     .seq = 1001, .ack = iss + 1, .win = 1000};
  o.opt.ts = true;
  o.opt.tsval = 1001;
  o.opt.tsecr = sa.s.opt.tsval;
  tt_advance(&t, 100 * MS);
  tt_inject(&t, &o);
  int sd = sn_accept(t.st, lsd, NULL);
  assert_true(sd >= 0);
  tt_advance(&t, 1 * SEC);
  assert_int_equal(sn_close(t.st, sd), 0);
  TS_EXPECT(&t, SN_TCP_FIN | SN_TCP_ACK, iss + 1, 1001, 0, 1 * SEC);
  o.flags = SN_TCP_FIN | SN_TCP_ACK;
  o.ack = iss + 2;
  o.opt.tsval = 2000;
  tt_inject(&t, &o);
  TS_EXPECT(&t, SN_TCP_ACK, iss + 2, 1002, 0, 1 * SEC);
  /* Higher sequence number, older TSval: an old duplicate. */
  tt_advance(&t, 2 * SEC);
  syn.seq = 900000;
  syn.opt = tt_syn_opts(1500);
  tt_inject(&t, &syn);
  TS_EXPECT(&t, SN_TCP_ACK, iss + 2, 1002, 0, 2 * SEC);
  /* Lower sequence number, newer TSval: a new connection. */
  tt_advance(&t, 3 * SEC);
  syn.seq = 10;
  syn.opt = tt_syn_opts(3000);
  tt_inject(&t, &syn);
  sa = TS_EXPECT(&t, SN_TCP_SYN | SN_TCP_ACK, iss + 2 + 65537, 11, 0, 3 * SEC);
  assert_int_equal(sa.s.opt.tsecr, 3000);
  assert_int_equal(ctr(t.st, SN_CTR_SnTcpTimeWaitReuse), 1);
  tt_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_close_with_unread_data),
      cmocka_unit_test(test_close_after_reading_sends_fin),
      cmocka_unit_test(test_data_after_close_fin_wait_1),
      cmocka_unit_test(test_data_after_close_fin_wait_2),
      cmocka_unit_test(test_data_after_shutdown_rdwr),
      cmocka_unit_test(test_linger_zero),
      cmocka_unit_test(test_close_in_syn_sent),
      cmocka_unit_test(test_rst_at_rcv_nxt_recv),
      cmocka_unit_test(test_rst_at_rcv_nxt_send),
      cmocka_unit_test(test_rst_in_window_challenge),
      cmocka_unit_test(test_rst_out_of_window_ignored),
      cmocka_unit_test(test_syn_on_established),
      cmocka_unit_test(test_challenge_ack_socket_limit),
      cmocka_unit_test(test_challenge_ack_stack_limit),
      cmocka_unit_test(test_ack_of_unsent_data),
      cmocka_unit_test(test_rst_in_time_wait),
      cmocka_unit_test(test_syn_in_time_wait),
      cmocka_unit_test(test_syn_in_time_wait_timestamps),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
