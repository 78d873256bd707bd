/*
 * test_sim_capture.c - captures of simulated links: every frame offered to
 * a link is recorded (outbound, on the sender's interface, commented with
 * the sender's reason), every frame the link drops is recorded again with
 * the link's reason; and tshark, when installed, reads the simulator's
 * pcapng and pcap files without a malformed packet or a bad checksum and
 * sees the same packets, times, interfaces, directions and comments as the
 * test's own reader.
 */
#include "testlib.h"

#include "simlib.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/checksum.h"
#include "base/util.h"

#define MS SN_NSEC_PER_MSEC
#define SEC SN_NSEC_PER_SEC

struct scenario {
  struct sn_sim_link_stats ab, ba; /* statistics while capturing */
};

static struct sn_sim_link_stats minus(struct sn_sim_link_stats a,
                                      const struct sn_sim_link_stats *b) {
  a.offered -= b->offered;
  a.delivered -= b->delivered;
  a.lost_random -= b->lost_random;
  a.lost_burst -= b->lost_burst;
  a.dropped_queue -= b->dropped_queue;
  a.dropped_mtu -= b->dropped_mtu;
  a.dropped_script -= b->dropped_script;
  a.duplicated -= b->duplicated;
  a.corrupted -= b->corrupted;
  a.reordered -= b->reordered;
  a.bytes_delivered -= b->bytes_delivered;
  return a;
}

static uint64_t drops_of(const struct sn_sim_link_stats *s) {
  return s->lost_random + s->lost_burst + s->dropped_queue + s->dropped_mtu +
         s->dropped_script;
}

/* Pings, UDP both ways (some fragmented, some to a closed port, which
 * draws ICMP errors), under loss, duplication, corruption, reordering, a
 * queue and a scripted drop, captured into path. */
static void run_captured(const char *path, enum sn_capture_format fmt,
                         struct scenario *out) {
  struct sl_pair p;
  sl_pair_init(&p, 77, 0);
  int err;
  struct sn_capture *cap = sn_capture_open(path, fmt, &err);
  assert_non_null(cap);
  struct sn_sim_link_stats ab0 = sn_sim_link_stats(p.link, SN_SIM_AB);
  struct sn_sim_link_stats ba0 = sn_sim_link_stats(p.link, SN_SIM_BA);
  sn_sim_link_capture(p.link, cap);
  struct sn_sim_impair imp = {.delay_ns = MS, .jitter_ns = 200000,
                              .loss = 0.1, .duplicate = 0.1, .corrupt = 0.1,
                              .reorder = 0.1, .rate_bps = 100000000,
                              .queue_limit = 8};
  assert_int_equal(sn_sim_link_impair(p.link, SN_SIM_BOTH, &imp), 0);
  assert_int_equal(sn_sim_link_drop_nth(p.link, SN_SIM_AB, "udp", 2), 0);
  struct sl_sink sink;
  struct sl_source to_b, to_closed, to_a;
  sl_sink_open(&sink, p.b, 9000);
  sl_source_open(&to_b, p.a, p.ip_b, 9000);
  sl_source_open(&to_closed, p.a, p.ip_b, 9999);
  sl_source_open(&to_a, p.b, p.ip_a, 9001);
  for (int i = 0; i < 60; i++) {
    sn_stack_ping(p.a, p.ip_b, 1, (uint16_t)i, 56);
    sl_source_send(&to_b, p.sim, i % 3 ? 200 : 3000);
    sl_source_send(&to_a, p.sim, 500);
    if (i % 10 == 0)
      sl_source_send(&to_closed, p.sim, 20);
    if (i % 20 == 0) /* a burst that overflows the queue */
      for (int j = 0; j < 12; j++)
        sl_source_send(&to_b, p.sim, 1400);
    sn_sim_run_until(p.sim, sn_sim_now(p.sim) + 5 * MS);
  }
  sn_sim_run_until(p.sim, sn_sim_now(p.sim) + SEC);
  out->ab = minus(sn_sim_link_stats(p.link, SN_SIM_AB), &ab0);
  out->ba = minus(sn_sim_link_stats(p.link, SN_SIM_BA), &ba0);
  sl_source_close(&to_b);
  sl_source_close(&to_closed);
  sl_source_close(&to_a);
  sl_sink_close(&sink);
  sl_pair_free(&p);
  assert_int_equal(sn_capture_close(cap), 0);
}

static void tmp_name(char *buf, size_t len, const char *ext) {
  snprintf(buf, len, "/tmp/sn_test_sim_capture_%d.%s", (int)getpid(), ext);
}

/* The records and their comments account for every frame offered to and
 * dropped by the link, in time order, and hold the frames as sent. */
static void test_link_capture_records(void **state) {
  (void)state;
  char path[96];
  tmp_name(path, sizeof path, "pcapng");
  struct scenario s;
  run_captured(path, SN_CAPTURE_PCAPNG, &s);
  assert_true(drops_of(&s.ab) > 0 && drops_of(&s.ba) > 0);
  assert_true(s.ab.dropped_queue > 0 && s.ab.dropped_script == 1);
  assert_true(s.ab.corrupted > 0 && s.ab.duplicated > 0);

  struct sl_cap r;
  sl_cap_read(&r, path);
  assert_int_equal(r.nifaces, 2);
  assert_string_equal(r.ifname[0], "A:eth1");
  assert_string_equal(r.ifname[1], "B:eth1");
  uint64_t sent[2] = {0}, dropped[2] = {0};
  for (size_t i = 0; i < r.npkts; i++) {
    const struct sl_cap_pkt *k = &r.pkts[i];
    assert_true(k->iface < 2);
    assert_non_null(k->comment);
    if (i)
      assert_true(k->ts >= r.pkts[i - 1].ts);
    if (strncmp(k->comment, "dropped by link: ", 17) == 0) {
      /* Right after the record of the same frame being sent. */
      const struct sl_cap_pkt *o = &r.pkts[i - 1];
      assert_false(k->has_flags);
      assert_int_equal(o->iface, k->iface);
      assert_int_equal(o->ts, k->ts);
      assert_int_equal(o->caplen, k->caplen);
      assert_memory_equal(o->data, k->data, k->caplen);
      dropped[k->iface]++;
      continue;
    }
    const char *who = k->iface == 0 ? "sent by A: " : "sent by B: ";
    assert_true(strncmp(k->comment, who, strlen(who)) == 0);
    assert_true(strlen(k->comment) > strlen(who));
    assert_true(k->has_flags);
    assert_int_equal(k->flags, 2);
    /* As sent: IPv4 headers check out, whatever the link did later. */
    if (sn_get16(k->data + 12) == 0x0800)
      assert_int_equal(sn_csum_fold(sn_csum_partial(k->data + 14, 20, 0)), 0);
    sent[k->iface]++;
  }
  assert_int_equal(sent[0], s.ab.offered);
  assert_int_equal(sent[1], s.ba.offered);
  assert_int_equal(dropped[0], drops_of(&s.ab));
  assert_int_equal(dropped[1], drops_of(&s.ba));
  sl_cap_free(&r);
  unlink(path);
}

/* tshark ------------------------------------------------------------------ */

static bool have_tshark(void) {
  return system("tshark --version >/dev/null 2>&1") == 0;
}

/* Run a shell command; return its output (stderr included, tshark's
 * warning about running as root left out). */
static char *run(const char *cmd) {
  char *out = NULL;
  size_t len = 0;
  FILE *o = open_memstream(&out, &len);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char line[4096];
  while (fgets(line, sizeof line, p))
    if (!strstr(line, "Running as user"))
      fputs(line, o);
  assert_int_equal(pclose(p), 0);
  fclose(o);
  return out;
}

static const char *const tshark_checks =
    "-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "
    "-o tcp.check_checksum:TRUE";

/* tshark finds no malformed packet, no error and no bad checksum. */
static void assert_tshark_clean(const char *path) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "tshark -r %s %s -Y '_ws.malformed || _ws.expert.severity == "
           "error || ip.checksum.status == \"Bad\" || udp.checksum.status == "
           "\"Bad\" || icmp.checksum.status == \"Bad\"' 2>&1",
           path, tshark_checks);
  char *out = run(cmd);
  if (out[0])
    fail_msg("tshark flags packets in %s:\n%s", path, out);
  free(out);
  snprintf(cmd, sizeof cmd, "tshark -r %s %s -z expert -q 2>&1", path,
           tshark_checks);
  out = run(cmd);
  if (strstr(out, "Errors") || strstr(out, "Malformed") ||
      strstr(out, "damaged") || strstr(out, "corrupt"))
    fail_msg("tshark expert info for %s:\n%s", path, out);
  free(out);
}

/* tshark sees the same packets as the test's reader: one line per packet
 * with its time, and for pcapng its interface, direction and comment. */
static void assert_tshark_agrees(const char *path) {
  struct sl_cap r;
  sl_cap_read(&r, path);
  assert_true(r.npkts > 100);
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "tshark -r %s -T fields -E separator=/t -e frame.time_epoch "
           "-e frame.interface_name -e frame.packet_flags_direction "
           "-e frame.comment 2>&1",
           path);
  char *out = run(cmd);
  char *save = NULL;
  size_t i = 0;
  for (char *l = strtok_r(out, "\n", &save); l;
       l = strtok_r(NULL, "\n", &save), i++) {
    assert_true(i < r.npkts);
    const struct sl_cap_pkt *k = &r.pkts[i];
    char want[512];
    if (r.fmt == SN_CAPTURE_PCAP)
      snprintf(want, sizeof want, "%llu.%09llu\t\t\t",
               (unsigned long long)(k->ts / SEC),
               (unsigned long long)(k->ts % SEC));
    else
      snprintf(want, sizeof want, "%llu.%09llu\t%s\t%s\t%s",
               (unsigned long long)(k->ts / SEC),
               (unsigned long long)(k->ts % SEC), r.ifname[k->iface],
               k->has_flags ? "0x00000002" : "", k->comment);
    assert_string_equal(l, want);
  }
  assert_int_equal(i, r.npkts);
  free(out);
  sl_cap_free(&r);
}

static void test_tshark_reads_sim_captures(void **state) {
  (void)state;
  if (!have_tshark()) {
    print_message("tshark is not installed: skipping\n");
    skip();
  }
  char ng[96], pc[96];
  tmp_name(ng, sizeof ng, "ts.pcapng");
  tmp_name(pc, sizeof pc, "ts.pcap");
  struct scenario s1, s2;
  run_captured(ng, SN_CAPTURE_PCAPNG, &s1);
  run_captured(pc, SN_CAPTURE_PCAP, &s2);
  assert_memory_equal(&s1, &s2, sizeof s1);
  assert_tshark_clean(ng);
  assert_tshark_clean(pc);
  assert_tshark_agrees(ng);
  assert_tshark_agrees(pc);
  unlink(ng);
  unlink(pc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_link_capture_records),
      cmocka_unit_test(test_tshark_reads_sim_captures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
