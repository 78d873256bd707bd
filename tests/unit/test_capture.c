/*
 * test_capture.c - the pcap and pcapng writers and the capture tee: files
 * parse back (strictly) to what was written, byte layouts follow the
 * formats, write errors are reported, the tee records and forwards.
 */
#include "testlib.h"

#include "simlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synack/capture.h"

struct tmp {
  char path[96];
};

static void tmp_name(struct tmp *t, const char *what, const char *ext) {
  snprintf(t->path, sizeof t->path, "/tmp/sn_test_capture_%d_%s.%s",
           (int)getpid(), what, ext);
}

static uint8_t *frame_of(size_t len, uint8_t seed) {
  uint8_t *f = malloc(len);
  for (size_t i = 0; i < len; i++)
    f[i] = (uint8_t)(seed + i * 13);
  return f;
}

/* pcap: header, nanosecond timestamps, lengths and bytes come back; frames
 * beyond 65535 bytes are cut to the snap length. */
static void test_pcap_roundtrip(void **state) {
  (void)state;
  struct tmp t;
  tmp_name(&t, "rt", "pcap");
  assert_int_equal(sn_capture_format_for(t.path), SN_CAPTURE_PCAP);
  int err = 1;
  struct sn_capture *c = sn_capture_open(t.path, SN_CAPTURE_PCAP, &err);
  assert_non_null(c);
  assert_int_equal(err, 0);
  assert_int_equal(sn_capture_add_interface(c, "A:eth1"), 0);
  assert_int_equal(sn_capture_add_interface(c, "B:eth1"), 0);
  const size_t lens[3] = {60, 1514, 70000};
  const uint64_t ts[3] = {0, 1500000007ull, 4999999999ull};
  uint8_t *frames[3];
  for (int i = 0; i < 3; i++) {
    frames[i] = frame_of(lens[i], (uint8_t)i);
    assert_int_equal(sn_capture_write(c, 0, ts[i], frames[i], lens[i],
                                      SN_CAP_OUT, "ignored in pcap"),
                     0);
  }
  assert_int_equal(sn_capture_write(c, 1, 0, frames[0], 60, SN_CAP_IN, NULL),
                   -EINVAL);
  assert_int_equal(sn_capture_close(c), 0);

  struct sl_cap r;
  sl_cap_read(&r, t.path);
  assert_int_equal(r.fmt, SN_CAPTURE_PCAP);
  assert_int_equal(r.snaplen, 65535);
  assert_int_equal(r.npkts, 3);
  for (int i = 0; i < 3; i++) {
    const struct sl_cap_pkt *k = &r.pkts[i];
    assert_int_equal(k->ts, ts[i]);
    assert_int_equal(k->origlen, lens[i]);
    assert_int_equal(k->caplen, lens[i] > 65535 ? 65535 : lens[i]);
    assert_memory_equal(k->data, frames[i], k->caplen);
    assert_null(k->comment);
    free(frames[i]);
  }
  assert_int_equal(r.len, 24 + 3 * 16 + 60 + 1514 + 65535);
  sl_cap_free(&r);
  unlink(t.path);
}

/* pcapng: one IDB per interface (if_name, if_tsresol 9), EPBs with the
 * comment and the direction flags, every block padded to 32 bits. */
static void test_pcapng_roundtrip(void **state) {
  (void)state;
  struct tmp t;
  tmp_name(&t, "rt", "pcapng");
  assert_int_equal(sn_capture_format_for(t.path), SN_CAPTURE_PCAPNG);
  int err = 1;
  struct sn_capture *c = sn_capture_open(t.path, SN_CAPTURE_PCAPNG, &err);
  assert_non_null(c);
  assert_int_equal(err, 0);
  assert_int_equal(sn_capture_add_interface(c, "A:eth1"), 0);
  struct {
    int iface;
    size_t len;
    uint64_t ts;
    enum sn_capture_dir dir;
    const char *comment;
  } in[] = {
      {0, 61, 5, SN_CAP_OUT, "sent by A: ARP request: resolving the next hop"},
      {0, 62, 1ull << 33 | 7, SN_CAP_IN, NULL},
      {1, 63, 9000000000ull, SN_CAP_UNKNOWN, NULL},
      {1, 64, 9000000001ull, SN_CAP_UNKNOWN, "dropped by link: random loss"},
      {0, 1514, 9000000002ull, SN_CAP_OUT, "abc"},
  };
  uint8_t *frames[5];
  for (int i = 0; i < 5; i++) {
    if (i == 2) /* an interface may be declared after packets */
      assert_int_equal(sn_capture_add_interface(c, "B:eth1"), 1);
    frames[i] = frame_of(in[i].len, (uint8_t)(i * 50));
    assert_int_equal(sn_capture_write(c, in[i].iface, in[i].ts, frames[i],
                                      in[i].len, in[i].dir, in[i].comment),
                     0);
  }
  assert_int_equal(sn_capture_write(c, 2, 0, frames[0], 60, SN_CAP_IN, NULL),
                   -EINVAL);
  assert_int_equal(sn_capture_write(c, -1, 0, frames[0], 60, SN_CAP_IN, NULL),
                   -EINVAL);
  assert_int_equal(sn_capture_flush(c), 0);
  assert_int_equal(sn_capture_close(c), 0);

  struct sl_cap r;
  sl_cap_read(&r, t.path);
  assert_int_equal(r.fmt, SN_CAPTURE_PCAPNG);
  assert_non_null(r.appl);
  assert_true(strncmp(r.appl, "synack ", 7) == 0);
  assert_int_equal(r.nifaces, 2);
  assert_string_equal(r.ifname[0], "A:eth1");
  assert_string_equal(r.ifname[1], "B:eth1");
  assert_int_equal(r.tsresol[0], 9);
  assert_int_equal(r.tsresol[1], 9);
  assert_int_equal(r.snaplen, 65535);
  assert_int_equal(r.npkts, 5);
  for (int i = 0; i < 5; i++) {
    const struct sl_cap_pkt *k = &r.pkts[i];
    assert_int_equal(k->iface, (uint32_t)in[i].iface);
    assert_int_equal(k->ts, in[i].ts);
    assert_int_equal(k->caplen, in[i].len);
    assert_int_equal(k->origlen, in[i].len);
    assert_memory_equal(k->data, frames[i], in[i].len);
    if (in[i].comment)
      assert_string_equal(k->comment, in[i].comment);
    else
      assert_null(k->comment);
    assert_int_equal(k->has_flags, in[i].dir != SN_CAP_UNKNOWN);
    if (k->has_flags)
      assert_int_equal(k->flags, in[i].dir == SN_CAP_IN ? 1 : 2);
    free(frames[i]);
  }
  /* The third packet has no options at all: its block is 32 bytes plus
   * the padded frame, and it directly follows the second IDB. */
  const uint8_t *epb = r.pkts[2].data - 28;
  assert_int_equal(epb[4] | epb[5] << 8, 32 + 64);
  assert_int_equal(r.len % 4, 0);
  sl_cap_free(&r);
  unlink(t.path);
}

static void test_format_for(void **state) {
  (void)state;
  assert_int_equal(sn_capture_format_for("x.pcapng"), SN_CAPTURE_PCAPNG);
  assert_int_equal(sn_capture_format_for("/a/b.c.pcapng"), SN_CAPTURE_PCAPNG);
  assert_int_equal(sn_capture_format_for("x.pcap"), SN_CAPTURE_PCAP);
  assert_int_equal(sn_capture_format_for("pcapng"), SN_CAPTURE_PCAP);
  assert_int_equal(sn_capture_format_for("x.pcapng.gz"), SN_CAPTURE_PCAP);
  assert_int_equal(sn_capture_format_for(""), SN_CAPTURE_PCAP);
}

/* Opening reports the errno of the failure. */
static void test_open_errors(void **state) {
  (void)state;
  int err = 0;
  assert_null(sn_capture_open("/nonexistent-dir/x.pcap", SN_CAPTURE_PCAP,
                              &err));
  assert_int_equal(err, -ENOENT);
  err = 0;
  assert_null(sn_capture_open(NULL, SN_CAPTURE_PCAP, &err));
  assert_int_equal(err, -EINVAL);
  assert_int_equal(sn_capture_close(NULL), 0);
}

/* Writing to a full device: the failure surfaces as -ENOSPC, from the
 * write that hits it, every later call, the flush and the close. */
static void test_write_errors(void **state) {
  (void)state;
  if (access("/dev/full", W_OK) != 0)
    skip();
  int err = 1;
  for (int fmt = 0; fmt < 2; fmt++) {
    struct sn_capture *c =
        sn_capture_open("/dev/full", (enum sn_capture_format)fmt, &err);
    assert_non_null(c);
    assert_int_equal(sn_capture_add_interface(c, "A:eth1"), 0);
    uint8_t *f = frame_of(1500, 1);
    int rc = 0, writes = 0;
    while (rc == 0 && writes < 1000) {
      rc = sn_capture_write(c, 0, 1, f, 1500, SN_CAP_OUT, "x");
      writes++;
    }
    assert_int_equal(rc, -ENOSPC);
    assert_true(writes > 1); /* buffered: the first writes succeed */
    assert_int_equal(sn_capture_write(c, 0, 1, f, 60, SN_CAP_OUT, NULL),
                     -ENOSPC);
    assert_int_equal(sn_capture_add_interface(c, "B:eth1"), -ENOSPC);
    assert_int_equal(sn_capture_flush(c), -ENOSPC);
    assert_int_equal(sn_capture_close(c), -ENOSPC);
    free(f);
  }
  /* A small capture fails only when flushed. */
  struct sn_capture *c = sn_capture_open("/dev/full", SN_CAPTURE_PCAP, &err);
  assert_non_null(c);
  uint8_t f[60] = {0};
  assert_int_equal(sn_capture_write(c, 0, 1, f, 60, SN_CAP_OUT, NULL), 0);
  assert_int_equal(sn_capture_close(c), -ENOSPC);
}

/* The tee records each transmitted frame with the stack's reason and time,
 * passes it on unchanged, and records input frames as inbound. */
static void test_tee(void **state) {
  (void)state;
  struct tmp t;
  tmp_name(&t, "tee", "pcapng");
  int err;
  struct sn_capture *c = sn_capture_open(t.path, SN_CAPTURE_PCAPNG, &err);
  assert_non_null(c);
  static struct tl_link inner;
  struct sn_capture_tee tee;
  struct sn_link none = {0};
  assert_int_equal(sn_capture_tee_init(&tee, c, "A:eth0", none), -EINVAL);
  assert_int_equal(sn_capture_tee_init(&tee, c, "A:eth0", tl_link(&inner)),
                   0);
  struct sn_stack *st = sn_stack_new("A", NULL, 1);
  struct sn_netif_params p = {.name = "eth0", .mac = {2, 0, 0, 0, 0, 1},
                              .mtu = 1500, .link = sn_capture_tee_link(&tee)};
  int ifi = sn_netif_add(st, &p);
  assert_true(ifi > 0);
  sn_stack_poll(st, 777);
  assert_int_equal(sn_netif_add_addr(st, ifi, tl_ip("198.18.0.1"), 24), 0);
  sn_stack_poll(st, 1000);
  assert_int_equal(sn_stack_ping(st, tl_ip("198.18.0.2"), 1, 1, 8), 0);
  assert_int_equal(inner.n, 2);
  uint8_t reply[42];
  memcpy(reply, inner.frames[1].data, 42);
  sn_capture_tee_input(&tee, 2000, reply, sizeof reply);
  assert_int_equal(sn_capture_close(c), 0);

  struct sl_cap r;
  sl_cap_read(&r, t.path);
  assert_int_equal(r.nifaces, 1);
  assert_string_equal(r.ifname[0], "A:eth0");
  assert_int_equal(r.npkts, 3);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(r.pkts[i].caplen, inner.frames[i].len);
    assert_memory_equal(r.pkts[i].data, inner.frames[i].data,
                        inner.frames[i].len);
    assert_string_equal(r.pkts[i].comment, inner.frames[i].why);
    assert_int_equal(r.pkts[i].flags, 2);
  }
  assert_int_equal(r.pkts[0].ts, 777);
  assert_int_equal(r.pkts[1].ts, 1000);
  assert_string_equal(r.pkts[1].comment,
                      "ARP request: resolving the next hop");
  assert_int_equal(r.pkts[2].ts, 2000);
  assert_int_equal(r.pkts[2].flags, 1);
  assert_null(r.pkts[2].comment);
  sl_cap_free(&r);
  tl_link_clear(&inner);
  sn_stack_free(st);
  unlink(t.path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pcap_roundtrip),
      cmocka_unit_test(test_pcapng_roundtrip),
      cmocka_unit_test(test_format_for),
      cmocka_unit_test(test_open_errors),
      cmocka_unit_test(test_write_errors),
      cmocka_unit_test(test_tee),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
