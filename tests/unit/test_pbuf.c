/*
 * test_pbuf.c - packet buffer pools (base/pbuf.c): the three size classes,
 * headroom with push and pull, the pool's byte limit (allocation fails
 * cleanly), reuse through the free lists, chains, and that buffers never
 * overlap.
 */
#include "testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/pbuf.h"

#define BIG_LIMIT (1ull << 30)

static void check_invariant(const struct sn_pbuf *p) {
  assert_true(p->data >= p->buf);
  assert_true(p->data + p->len <= p->buf + p->cap);
  assert_int_equal(sn_pbuf_headroom(p) + p->len + sn_pbuf_tailroom(p), p->cap);
}

/* Each size class: the smallest buffer that fits is taken, data starts
 * headroom bytes in, and every byte of the buffer can be written. */
static void test_size_classes(void **state) {
  (void)state;
  struct sn_pbuf_pool pool;
  sn_pbuf_pool_init(&pool, BIG_LIMIT);
  const struct {
    size_t headroom, len;
    int klass;
  } cases[] = {
      {SN_PBUF_HEADROOM, 0, 0},
      {SN_PBUF_HEADROOM, 1500, 0},
      {0, 1, 0},
      {SN_PBUF_HEADROOM, 9000, 1},
      {SN_PBUF_HEADROOM, 65535, 2},
      {SN_PBUF_HEADROOM, 65536 + SN_PBUF_HEADROOM, 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct sn_pbuf *p = sn_pbuf_alloc(&pool, cases[i].headroom, cases[i].len);
    assert_non_null(p);
    assert_int_equal(p->klass, cases[i].klass);
    assert_int_equal(p->cap, pool.cls[cases[i].klass].size);
    assert_ptr_equal(p->data, p->buf + cases[i].headroom);
    assert_int_equal(p->len, cases[i].len);
    assert_int_equal(sn_pbuf_headroom(p), cases[i].headroom);
    assert_int_equal(sn_pbuf_tailroom(p),
                     p->cap - cases[i].headroom - cases[i].len);
    assert_null(p->next);
    assert_non_null(p->why);
    assert_int_equal(p->meta, 0);
    check_invariant(p);
    memset(p->buf, 0x5a, p->cap); /* the whole buffer is usable */
    assert_int_equal(pool.cls[cases[i].klass].in_use, 1);
    sn_pbuf_free(&pool, p);
    assert_int_equal(pool.cls[cases[i].klass].in_use, 0);
  }
  /* The largest request fits; one byte more does not. */
  struct sn_pbuf *p = sn_pbuf_alloc(&pool, 0, SN_PBUF_MAX_BYTES);
  assert_non_null(p);
  assert_int_equal(p->klass, 2);
  sn_pbuf_free(&pool, p);
  assert_null(sn_pbuf_alloc(&pool, 0, SN_PBUF_MAX_BYTES + 1));
  assert_null(sn_pbuf_alloc(&pool, SN_PBUF_MAX_BYTES, 1));
  sn_pbuf_pool_destroy(&pool);
}

/* A request exactly the size of a class stays in it; one byte more moves
 * to the next class. */
static void test_class_boundaries(void **state) {
  (void)state;
  struct sn_pbuf_pool pool;
  sn_pbuf_pool_init(&pool, BIG_LIMIT);
  for (int k = 0; k < SN_PBUF_CLASSES - 1; k++) {
    size_t size = pool.cls[k].size;
    struct sn_pbuf *a = sn_pbuf_alloc(&pool, 100, size - 100);
    struct sn_pbuf *b = sn_pbuf_alloc(&pool, 100, size - 99);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->klass, k);
    assert_int_equal(b->klass, k + 1);
    assert_int_equal(sn_pbuf_tailroom(a), 0);
    sn_pbuf_free(&pool, a);
    sn_pbuf_free(&pool, b);
  }
  /* Class sizes grow and the first holds a full Ethernet frame with
   * the standard headroom. */
  assert_true(pool.cls[0].size >= SN_PBUF_HEADROOM + 1514);
  assert_true(pool.cls[0].size < pool.cls[1].size);
  assert_true(pool.cls[1].size < pool.cls[2].size);
  assert_int_equal(pool.cls[2].size, SN_PBUF_MAX_BYTES);
  sn_pbuf_pool_destroy(&pool);
}

/* A request whose headroom + len overflows size_t is refused, not wrapped
 * around into a small buffer. */
static void test_overflowing_request(void **state) {
  (void)state;
  struct sn_pbuf_pool pool;
  sn_pbuf_pool_init(&pool, BIG_LIMIT);
  assert_null(sn_pbuf_alloc(&pool, SIZE_MAX, 2));
  assert_null(sn_pbuf_alloc(&pool, 2, SIZE_MAX));
  assert_null(sn_pbuf_alloc(&pool, SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1));
  assert_int_equal(pool.cls[0].in_use, 0);
  sn_pbuf_pool_destroy(&pool);
}

/* Push prepends headers in the headroom and pull strips them again; data,
 * len and the room on both sides stay consistent. */
static void test_push_pull(void **state) {
  (void)state;
  struct sn_pbuf_pool pool;
  sn_pbuf_pool_init(&pool, BIG_LIMIT);
  struct sn_pbuf *p = sn_pbuf_alloc(&pool, SN_PBUF_HEADROOM, 5);
  assert_non_null(p);
  memcpy(p->data, "hello", 5);
  size_t tail = sn_pbuf_tailroom(p);

  uint8_t *udp = sn_pbuf_push(p, 8);
  memset(udp, 0x11, 8);
  uint8_t *ip = sn_pbuf_push(p, 20);
  memset(ip, 0x45, 20);
  uint8_t *eth = sn_pbuf_push(p, 14);
  memset(eth, 0xee, 14);
  assert_ptr_equal(eth, p->data);
  assert_ptr_equal(ip, eth + 14);
  assert_ptr_equal(udp, ip + 20);
  assert_int_equal(p->len, 5 + 8 + 20 + 14);
  assert_int_equal(sn_pbuf_headroom(p), SN_PBUF_HEADROOM - 42);
  assert_int_equal(sn_pbuf_tailroom(p), tail);
  check_invariant(p);
  assert_memory_equal(p->data + 42, "hello", 5);

  assert_ptr_equal(sn_pbuf_pull(p, 14), ip);
  assert_ptr_equal(sn_pbuf_pull(p, 20), udp);
  assert_ptr_equal(sn_pbuf_pull(p, 8), p->buf + SN_PBUF_HEADROOM);
  assert_int_equal(p->len, 5);
  assert_memory_equal(p->data, "hello", 5);
  /* All the headroom can be used. */
  sn_pbuf_push(p, SN_PBUF_HEADROOM);
  assert_ptr_equal(p->data, p->buf);
  assert_int_equal(sn_pbuf_headroom(p), 0);
  check_invariant(p);
  sn_pbuf_free(&pool, p);
  sn_pbuf_pool_destroy(&pool);
}

/* The byte limit is respected: with room for exactly one chunk of
 * class-0 buffers, that chunk's buffers can be had and the next request
 * fails with NULL (no crash, counts unchanged); a freed buffer can be had
 * again. A class whose chunk alone exceeds the limit always fails. */
static void test_pool_limit(void **state) {
  (void)state;
  struct sn_pbuf_pool probe;
  sn_pbuf_pool_init(&probe, BIG_LIMIT);
  struct sn_pbuf *one = sn_pbuf_alloc(&probe, 0, 100);
  assert_non_null(one);
  uint64_t chunk = probe.bytes; /* one class-0 chunk */
  uint32_t per_chunk = probe.cls[0].per_chunk;
  assert_int_equal(probe.cls[0].total, per_chunk);
  sn_pbuf_free(&probe, one);
  sn_pbuf_pool_destroy(&probe);

  struct sn_pbuf_pool pool;
  sn_pbuf_pool_init(&pool, chunk);
  struct sn_pbuf **got = calloc(per_chunk, sizeof *got);
  assert_non_null(got);
  for (uint32_t i = 0; i < per_chunk; i++) {
    got[i] = sn_pbuf_alloc(&pool, SN_PBUF_HEADROOM, 1000);
    assert_non_null(got[i]);
  }
  assert_true(pool.bytes <= pool.limit);
  assert_null(sn_pbuf_alloc(&pool, SN_PBUF_HEADROOM, 1000));
  assert_null(sn_pbuf_alloc(&pool, SN_PBUF_HEADROOM, 1000));
  assert_null(sn_pbuf_alloc(&pool, SN_PBUF_HEADROOM, 9000)); /* class 1 */
  assert_int_equal(pool.cls[0].in_use, per_chunk);
  assert_int_equal(pool.cls[1].in_use, 0);
  assert_int_equal(pool.bytes, chunk);

  sn_pbuf_free(&pool, got[7]);
  struct sn_pbuf *again = sn_pbuf_alloc(&pool, 0, 10);
  assert_ptr_equal(again, got[7]);
  assert_null(sn_pbuf_alloc(&pool, 0, 10));
  got[7] = again;
  for (uint32_t i = 0; i < per_chunk; i++)
    sn_pbuf_free(&pool, got[i]);
  assert_int_equal(pool.cls[0].in_use, 0);
  free(got);
  sn_pbuf_pool_destroy(&pool);

  /* Too small for any chunk. */
  sn_pbuf_pool_init(&pool, 1000);
  assert_null(sn_pbuf_alloc(&pool, 0, 1));
  assert_int_equal(pool.bytes, 0);
  sn_pbuf_pool_destroy(&pool);
}

/* Freed buffers are reused (last freed, first handed out) before any new
 * memory is taken; alloc resets the fields a previous user changed. */
static void test_reuse(void **state) {
  (void)state;
  struct sn_pbuf_pool pool;
  sn_pbuf_pool_init(&pool, BIG_LIMIT);
  struct sn_pbuf *a = sn_pbuf_alloc(&pool, 64, 64);
  struct sn_pbuf *b = sn_pbuf_alloc(&pool, 64, 64);
  assert_non_null(a);
  assert_non_null(b);
  assert_ptr_not_equal(a, b);
  uint64_t bytes = pool.bytes, total = pool.cls[0].total;
  a->why = "retransmission";
  a->meta = 42;
  a->next = b;
  sn_pbuf_pull(a, 10);
  sn_pbuf_free(&pool, a);
  struct sn_pbuf *c = sn_pbuf_alloc(&pool, 32, 100);
  assert_ptr_equal(c, a);
  assert_null(c->next);
  assert_int_equal(c->meta, 0);
  assert_string_equal(c->why, "");
  assert_ptr_equal(c->data, c->buf + 32);
  assert_int_equal(c->len, 100);
  assert_int_equal(pool.bytes, bytes);
  assert_int_equal(pool.cls[0].total, total);
  /* Many rounds of alloc/free take no new memory. */
  for (int i = 0; i < 10000; i++) {
    struct sn_pbuf *p = sn_pbuf_alloc(&pool, SN_PBUF_HEADROOM, (size_t)i % 1800);
    assert_non_null(p);
    sn_pbuf_free(&pool, p);
  }
  assert_int_equal(pool.bytes, bytes);
  sn_pbuf_free(&pool, b);
  sn_pbuf_free(&pool, c);
  sn_pbuf_free(&pool, NULL); /* harmless */
  assert_int_equal(pool.cls[0].in_use, 0);
  sn_pbuf_pool_destroy(&pool);
}

/* sn_pbuf_free_chain frees a whole ->next chain across classes. */
static void test_free_chain(void **state) {
  (void)state;
  struct sn_pbuf_pool pool;
  sn_pbuf_pool_init(&pool, BIG_LIMIT);
  struct sn_pbuf *head = NULL;
  for (int i = 0; i < 30; i++) {
    struct sn_pbuf *p = sn_pbuf_alloc(&pool, 0, i % 3 == 2 ? 10000 : 100);
    assert_non_null(p);
    p->next = head;
    head = p;
  }
  assert_int_equal(pool.cls[0].in_use, 20);
  assert_int_equal(pool.cls[1].in_use, 10);
  sn_pbuf_free_chain(&pool, head);
  assert_int_equal(pool.cls[0].in_use, 0);
  assert_int_equal(pool.cls[1].in_use, 0);
  sn_pbuf_free_chain(&pool, NULL);
  sn_pbuf_pool_destroy(&pool);
}

/* Buffers handed out at the same time never overlap and are cache-line
 * aligned: fill each completely with its own pattern, then check. */
static void test_no_overlap(void **state) {
  (void)state;
  struct sn_pbuf_pool pool;
  sn_pbuf_pool_init(&pool, BIG_LIMIT);
  enum { N = 300 };
  struct sn_pbuf *p[N];
  for (int i = 0; i < N; i++) {
    size_t len = i % 50 == 49 ? 60000 : (i % 10 == 9 ? 12000 : 1400);
    p[i] = sn_pbuf_alloc(&pool, SN_PBUF_HEADROOM, len);
    assert_non_null(p[i]);
    assert_int_equal((uintptr_t)p[i] % 64, 0);
    memset(p[i]->buf, i & 0xff, p[i]->cap);
  }
  for (int i = 0; i < N; i++)
    for (uint32_t j = 0; j < p[i]->cap; j += 97)
      assert_int_equal(p[i]->buf[j], i & 0xff);
  for (int i = 0; i < N; i++)
    sn_pbuf_free(&pool, p[i]);
  for (int k = 0; k < SN_PBUF_CLASSES; k++) {
    assert_int_equal(pool.cls[k].in_use, 0);
    assert_true(pool.cls[k].total >= (k == 0 ? 270u : k == 1 ? 24u : 6u));
  }
  assert_true(pool.bytes <= pool.limit);
  sn_pbuf_pool_destroy(&pool);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_size_classes),
      cmocka_unit_test(test_class_boundaries),
      cmocka_unit_test(test_overflowing_request),
      cmocka_unit_test(test_push_pull),
      cmocka_unit_test(test_pool_limit),
      cmocka_unit_test(test_reuse),
      cmocka_unit_test(test_free_chain),
      cmocka_unit_test(test_no_overlap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
