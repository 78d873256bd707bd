/*
 * test_tcp_ecn.c - Explicit Congestion Notification (RFC 3168): the
 * ECN-setup SYN and SYN-ACK, ECT(0) on new data only, the receiver
 * echoing a CE mark with ECE until the sender's CWR, and the sender's
 * reduction (once, like a loss but with nothing lost).
 */
#include "tcpflow.h"
#include "base/util.h"

#define MS 1000000ull
#define ECE SN_TCP_ECE
#define CWR SN_TCP_CWR

static uint8_t ip_ecn(const struct tt *t, size_t frame) {
  return t->link.frames[frame].data[14 + 1] & 3;
}

/* Index of the frame holding the segment tt_next() returned last. */
static size_t last_frame(const struct tt *t) { return t->next_frame - 1; }

static void init_ecn(struct tt *t, const char *mode) {
  struct sn_config c;
  sn_config_default(&c, SN_PROFILE_LINUX);
  assert_int_equal(sn_config_set(&c, "tcp_ecn", mode), 0);
  tt_init(t, &c);
}

/* Active open with tcp_ecn=1; the peer agrees. */
static int ecn_connect(struct tt *t, uint32_t *iss, uint16_t *lport) {
  int sd = sn_socket(t->st, SN_SOCK_STREAM);
  struct sn_sockaddr dst = {t->peer_ip, 80};
  assert_int_equal(sn_connect(t->st, sd, &dst), -EINPROGRESS);
  struct tt_seg syn = tt_expect(t);
  assert_int_equal(syn.s.flags, SN_TCP_SYN | ECE | CWR); /* "SEW" */
  assert_int_equal(ip_ecn(t, last_frame(t)), 0);        /* SYNs: not ECT */
  *iss = syn.s.seq;
  *lport = syn.s.sport;
  struct tt_out sa = {.sport = 80, .dport = *lport,
                      .flags = SN_TCP_SYN | SN_TCP_ACK | ECE, .seq = 5000,
                      .ack = *iss + 1, .win = 32767};
  sa.opt.syn = true;
  sa.opt.mss = true;
  sa.opt.mss_val = 1000;
  tt_inject(t, &sa);
  struct tt_seg a = tt_expect(t);
  assert_int_equal(a.s.flags, SN_TCP_ACK);
  assert_int_equal(ip_ecn(t, last_frame(t)), 0); /* pure ACK: not ECT */
  return sd;
}

static void test_negotiation_and_ect(void **state) {
  (void)state;
  struct tt t;
  init_ecn(&t, "1");
  uint32_t iss;
  uint16_t lport;
  int sd = ecn_connect(&t, &iss, &lport);
  static uint8_t buf[1000];
  assert_int_equal(sn_send(t.st, sd, buf, 1000, 0), 1000);
  struct tt_seg d = tt_expect(&t);
  assert_int_equal(d.s.flags, SN_TCP_ACK | SN_TCP_PSH);
  assert_int_equal(ip_ecn(&t, last_frame(&t)), 2); /* ECT(0) */
  /* A retransmission is not ECT (RFC 3168 §6.1.5). */
  tt_wait(&t, 1500 * MS);
  struct tt_seg r = tt_expect(&t);
  assert_int_equal(r.s.seq, d.s.seq);
  assert_int_equal(ip_ecn(&t, last_frame(&t)), 0);
  tt_free(&t);
}

static void test_not_negotiated(void **state) {
  (void)state;
  struct tt t;
  init_ecn(&t, "1");
  int sd = sn_socket(t.st, SN_SOCK_STREAM);
  struct sn_sockaddr dst = {t.peer_ip, 80};
  sn_connect(t.st, sd, &dst);
  struct tt_seg syn = tt_expect(&t);
  /* The peer answers without ECE: no ECN. */
  struct tt_out sa = {.sport = 80, .dport = syn.s.sport,
                      .flags = SN_TCP_SYN | SN_TCP_ACK, .seq = 1,
                      .ack = syn.s.seq + 1, .win = 32767};
  tt_inject(&t, &sa);
  tt_expect(&t);
  static uint8_t buf[100];
  sn_send(t.st, sd, buf, 100, 0);
  tt_expect(&t);
  assert_int_equal(ip_ecn(&t, last_frame(&t)), 0);
  tt_free(&t);
}

static void test_passive_modes(void **state) {
  (void)state;
  for (int mode = 0; mode <= 2; mode++) {
    struct tt t;
    char m[2] = {(char)('0' + mode), 0};
    init_ecn(&t, m);
    tt_listen(&t, 80, 4);
    struct tt_out syn = {.sport = 4000, .dport = 80,
                         .flags = SN_TCP_SYN | ECE | CWR, .seq = 1, .win = 65535};
    tt_inject(&t, &syn);
    struct tt_seg sa = tt_expect(&t);
    /* Modes 1 and 2 accept ECN (Linux's default is 2): "SE." */
    uint8_t want = SN_TCP_SYN | SN_TCP_ACK | (mode ? ECE : 0);
    assert_int_equal(sa.s.flags, want);
    tt_free(&t);
  }
  /* A SYN with only ECE is not an ECN-setup SYN. */
  struct tt t;
  init_ecn(&t, "2");
  tt_listen(&t, 80, 4);
  struct tt_out syn = {.sport = 4000, .dport = 80, .flags = SN_TCP_SYN | ECE,
                       .seq = 1, .win = 65535};
  tt_inject(&t, &syn);
  assert_int_equal(tt_expect(&t).s.flags, SN_TCP_SYN | SN_TCP_ACK);
  tt_free(&t);
}

/* The receiver side: CE on data -> ECE on ACKs (at once) until CWR. */
static void test_echo_until_cwr(void **state) {
  (void)state;
  struct tt t;
  init_ecn(&t, "1");
  uint32_t iss;
  uint16_t lport;
  ecn_connect(&t, &iss, &lport);
  static uint8_t data[100];
  struct tt_out d = {.sport = 80, .dport = lport, .flags = SN_TCP_ACK,
                     .seq = 5001, .ack = iss + 1, .win = 32767, .data = data,
                     .len = 100, .tos = 3 /* CE */};
  tt_inject(&t, &d);
  assert_int_equal(tt_expect(&t).s.flags, SN_TCP_ACK | ECE);
  d.seq += 100;
  d.tos = 2; /* ECT(0): no new mark, but no CWR yet either */
  tt_inject(&t, &d);
  tt_wait(&t, 200 * MS);
  assert_int_equal(tt_expect(&t).s.flags, SN_TCP_ACK | ECE);
  d.seq += 100;
  d.flags |= CWR;
  tt_inject(&t, &d);
  tt_wait(&t, 200 * MS);
  assert_int_equal(tt_expect(&t).s.flags, SN_TCP_ACK); /* echo stops */
  tt_free(&t);
}

/* The sender side: ECE -> reduce once (CWR state), CWR on new data. */
static void test_sender_reduces(void **state) {
  (void)state;
  struct tt t;
  init_ecn(&t, "1");
  uint32_t iss;
  uint16_t lport;
  int sd = ecn_connect(&t, &iss, &lport);
  static uint8_t buf[30000];
  assert_int_equal(sn_send(t.st, sd, buf, sizeof buf, 0), (ssize_t)sizeof buf);
  int n = 0;
  struct tt_seg s;
  while (tt_next(&t, &s))
    n++;
  assert_int_equal(n, 10);
  tt_wait(&t, 100 * MS);
  struct tt_out a = {.sport = 80, .dport = lport, .flags = SN_TCP_ACK | ECE,
                     .seq = 5001, .ack = iss + 1 + 1000, .win = 32767};
  tt_inject(&t, &a);
  struct sn_tcp_info i;
  assert_int_equal(sn_tcp_info(t.st, sd, &i), 0);
  assert_int_equal(i.tcpi_ca_state, 2);       /* CWR */
  assert_int_equal(i.tcpi_snd_ssthresh, 7);   /* CUBIC: 10 x 0.7 */
  /* PRR pacing, then CWR on the first new data segment. */
  a.ack += 1000;
  tt_inject(&t, &a);
  a.ack += 1000;
  tt_inject(&t, &a);
  struct tt_seg first;
  assert_true(tt_next(&t, &first));
  assert_true(first.s.flags & CWR);
  assert_int_equal(ip_ecn(&t, last_frame(&t)), 2);
  while (tt_next(&t, &s))
    assert_false(s.s.flags & CWR); /* once */
  /* A second ECE in the same window does not reduce again. */
  a.ack += 1000;
  tt_inject(&t, &a);
  assert_int_equal(sn_tcp_info(t.st, sd, &i), 0);
  assert_int_equal(i.tcpi_snd_ssthresh, 7);
  tt_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_negotiation_and_ect),
      cmocka_unit_test(test_not_negotiated),
      cmocka_unit_test(test_passive_modes),
      cmocka_unit_test(test_echo_until_cwr),
      cmocka_unit_test(test_sender_reduces),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
