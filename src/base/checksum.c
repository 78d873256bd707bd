/*
 * checksum.c - the Internet checksum, RFC 1071, with the incremental
 * update of RFC 1624.
 *
 * RFC 1071 §2(B): the one's-complement sum does not depend on byte order,
 * so the data is summed as native-order words, 32 bits at a time into
 * 64-bit accumulators (carries collect in the upper half and are folded
 * back at the end), and the result is byte-swapped once when folded.
 * Partial sums therefore are native-order values; only sn_csum_fold()
 * returns a network-order number.
 *
 * Speed. The portable code below is the whole implementation on machines
 * other than x86-64. There, vector versions of the two bulk functions are
 * added: SSE2 (every x86-64 processor has it), AVX2, AVX-512 and AVX-512
 * with VNNI (used only when the processor reports them at run time; see
 * impl_preferred() for when AVX-512 is chosen). They compute the same sum
 * in other ways, described with each kernel below: SSE2 and AVX2 add
 * 64-bit words and separately their upper halves; AVX-512 adds biased
 * 16-bit words with multiply-add instructions. Data is taken in blocks of
 * VEC_BLOCK bytes so that no vector lane can overflow. Buffers shorter than
 * SHORT_LEN bytes (headers, pseudo-headers, options) always take the
 * portable code, which is as fast there and needs no indirect call.
 */
#include "base/checksum.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define SN_CSUM_X86 1
#include <immintrin.h>
#else
#define SN_CSUM_X86 0
#endif

/* Below this many bytes the portable code is used without dispatch. */
#define SHORT_LEN 128
/* Bytes summed into one set of vector accumulators before they are
 * reduced; bounds the lanes (see the kernels). */
#define VEC_BLOCK (1u << 20)

static inline uint16_t native_to_net16(uint16_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return (uint16_t)((v >> 8) | (v << 8));
#else
  return v;
#endif
}

static inline uint32_t fold64(uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  return (uint32_t)acc;
}

static inline uint16_t fold32(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

static inline uint32_t load32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Sum the tail (fewer than 4 bytes), padding an odd byte with zero. */
static inline uint64_t sum_tail(const uint8_t *p, size_t len, uint64_t acc) {
  if (len >= 2) {
    uint16_t h;
    memcpy(&h, p, 2);
    acc += h;
    p += 2;
    len -= 2;
  }
  if (len) {
    uint16_t h = 0;
    memcpy(&h, p, 1); /* the byte stays at the lower address */
    acc += h;
  }
  return acc;
}

/* Portable code ---------------------------------------------------------- */

static uint32_t partial_portable(const void *buf, size_t len, uint32_t sum) {
  const uint8_t *p = buf;
  uint64_t a0 = sum, a1 = 0, a2 = 0, a3 = 0;
  /* Four independent accumulators let the adds run in parallel; each
   * gains less than 2^34 per 64 bytes, so 2^29 rounds cannot overflow. */
  while (len >= 64) {
    a0 += (uint64_t)load32(p) + load32(p + 16) + load32(p + 32) +
          load32(p + 48);
    a1 += (uint64_t)load32(p + 4) + load32(p + 20) + load32(p + 36) +
          load32(p + 52);
    a2 += (uint64_t)load32(p + 8) + load32(p + 24) + load32(p + 40) +
          load32(p + 56);
    a3 += (uint64_t)load32(p + 12) + load32(p + 28) + load32(p + 44) +
          load32(p + 60);
    p += 64;
    len -= 64;
  }
  while (len >= 4) {
    a0 += load32(p);
    p += 4;
    len -= 4;
  }
  a0 = sum_tail(p, len, a0);
  return fold64((uint64_t)fold64(a0) + fold64(a1) + fold64(a2) + fold64(a3));
}

static uint32_t copy_portable(void *dst, const void *src, size_t len,
                              uint32_t sum) {
  const uint8_t *s = src;
  uint8_t *d = dst;
  uint64_t a0 = sum, a1 = 0;
  while (len >= 32) {
    uint32_t w[8];
    memcpy(w, s, 32);
    memcpy(d, w, 32);
    a0 += (uint64_t)w[0] + w[2] + w[4] + w[6];
    a1 += (uint64_t)w[1] + w[3] + w[5] + w[7];
    s += 32;
    d += 32;
    len -= 32;
  }
  while (len >= 4) {
    uint32_t w;
    memcpy(&w, s, 4);
    memcpy(d, &w, 4);
    a0 += w;
    s += 4;
    d += 4;
    len -= 4;
  }
  memcpy(d, s, len);
  a0 = sum_tail(s, len, a0);
  return fold64((uint64_t)fold64(a0) + fold64(a1));
}

/* x86-64 vector code ----------------------------------------------------- */

#if SN_CSUM_X86

/*
 * Each kernel sums (and copies) one block of at most VEC_BLOCK bytes with
 * vectors and returns the exact sum of its native 16- or 32-bit words,
 * below 2^50, so the caller can add it to a folded sum without overflow.
 * Helpers are inlined into the kernels so that they are compiled for the
 * kernel's instruction set; in particular nothing in the legacy SSE
 * encoding runs while the upper halves of AVX registers are in use, which
 * is slow on many processors.
 *
 * SSE2 and AVX2: for each 64-bit lane, one register accumulates the 64-bit
 * words, wrapping modulo 2^64, and another their upper 32-bit halves. With
 * F the wrapped sum and H the sum of the upper halves, the sum of all the
 * 32-bit halves is F - H * (2^32 - 1) modulo 2^64, which is exact because
 * that sum stays below 2^64 (a block's halves sum to less than 2^50). That
 * costs two additions and one shift per vector.
 */
#define SN_ALWAYS_INLINE inline __attribute__((always_inline))
#define SSE2 __attribute__((target("sse2")))
#define AVX2 __attribute__((target("avx2")))
#define AVX512 __attribute__((target("avx512f,avx512bw")))
#define AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

/* Sum fewer than 64 bytes into acc (SSE2 and AVX2 tails). */
static SN_ALWAYS_INLINE uint64_t sum_small(const uint8_t *p, size_t len,
                                           uint64_t acc) {
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    acc += (w & 0xffffffffu) + (w >> 32);
    p += 8;
    len -= 8;
  }
  if (len >= 4) {
    acc += load32(p);
    p += 4;
    len -= 4;
  }
  return sum_tail(p, len, acc);
}

/* From the lane sums F (wrapped word sums) and H (upper-half sums) to the
 * sum of all 32-bit halves; see the top of the file. */
static SN_ALWAYS_INLINE SSE2 uint64_t reduce_sse2(__m128i f, __m128i h) {
  __m128i v = _mm_add_epi64(_mm_sub_epi64(f, _mm_slli_epi64(h, 32)), h);
  v = _mm_add_epi64(v, _mm_unpackhi_epi64(v, v));
  return (uint64_t)_mm_cvtsi128_si64(v);
}

static SN_ALWAYS_INLINE AVX2 uint64_t reduce_avx2(__m256i f, __m256i h) {
  __m256i v =
      _mm256_add_epi64(_mm256_sub_epi64(f, _mm256_slli_epi64(h, 32)), h);
  __m128i x = _mm_add_epi64(_mm256_castsi256_si128(v),
                            _mm256_extracti128_si256(v, 1));
  x = _mm_add_epi64(x, _mm_unpackhi_epi64(x, x));
  return (uint64_t)_mm_cvtsi128_si64(x);
}

/*
 * The SSE2 and AVX2 block kernels, one body for both widths: four vectors
 * at a time into two pairs of accumulators, then one at a time; the
 * whole vectors of n bytes only (the caller sums the rest).
 */
#define BLOCK_KERNEL(V, LOAD, STORE, ADD, SRL, ZERO, REDUCE)                  \
  const size_t W = sizeof(V);                                                 \
  V f0 = ZERO(), f1 = f0, h0 = f0, h1 = f0;                                   \
  size_t i = 0;                                                               \
  for (; i + 4 * W <= n; i += 4 * W) {                                        \
    V v0 = LOAD(s + i), v1 = LOAD(s + i + W);                                 \
    V v2 = LOAD(s + i + 2 * W), v3 = LOAD(s + i + 3 * W);                     \
    if (copy) {                                                               \
      STORE(d + i, v0);                                                       \
      STORE(d + i + W, v1);                                                   \
      STORE(d + i + 2 * W, v2);                                               \
      STORE(d + i + 3 * W, v3);                                               \
    }                                                                         \
    f0 = ADD(f0, v0);                                                         \
    h0 = ADD(h0, SRL(v0, 32));                                                \
    f1 = ADD(f1, v1);                                                         \
    h1 = ADD(h1, SRL(v1, 32));                                                \
    f0 = ADD(f0, v2);                                                         \
    h0 = ADD(h0, SRL(v2, 32));                                                \
    f1 = ADD(f1, v3);                                                         \
    h1 = ADD(h1, SRL(v3, 32));                                                \
  }                                                                           \
  for (; i + W <= n; i += W) {                                                \
    V v0 = LOAD(s + i);                                                       \
    if (copy)                                                                 \
      STORE(d + i, v0);                                                       \
    f0 = ADD(f0, v0);                                                         \
    h0 = ADD(h0, SRL(v0, 32));                                                \
  }                                                                           \
  return REDUCE(ADD(f0, f1), ADD(h0, h1));

#define LOAD128(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STORE128(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))
#define LOAD256(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define STORE256(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))

static SN_ALWAYS_INLINE SSE2 uint64_t block_sse2(uint8_t *d, const uint8_t *s,
                                                 size_t n, int copy) {
  BLOCK_KERNEL(__m128i, LOAD128, STORE128, _mm_add_epi64, _mm_srli_epi64,
               _mm_setzero_si128, reduce_sse2)
}

static SN_ALWAYS_INLINE AVX2 uint64_t block_avx2(uint8_t *d, const uint8_t *s,
                                                 size_t n, int copy) {
  BLOCK_KERNEL(__m256i, LOAD256, STORE256, _mm256_add_epi64,
               _mm256_srli_epi64, _mm256_setzero_si256, reduce_avx2)
}

/*
 * AVX-512 sums 16-bit words instead, with the multiply-add instructions:
 * each word w has its top bit flipped, which turns it into the signed
 * value w - 32768, and VPMADDWD multiplies those by 1 and adds them in
 * pairs into 32-bit lanes; with AVX512-VNNI, VPDPWSSD does the same and
 * accumulates in one instruction. Every word processed contributes w -
 * 32768 exactly, so the block's sum of words is the lanes' sum plus 32768
 * per word. Each accumulator lane changes by at most 65536 per vector, and
 * a block gives each of the eight accumulators at most VEC_BLOCK / 512 + 1
 * vectors, so together they stay below 2^31 in magnitude.
 *
 * The last partial vector is read (and, when copying, written) with a byte
 * mask, which touches no memory outside the buffer; masked-off bytes read
 * as zero, which is exactly the padding of an odd final byte (and zero
 * words count like any other: -32768 in the lanes, +32768 in the
 * correction).
 */
#define AVX512_STEP(ACC, acc, at)                                             \
  do {                                                                        \
    __m512i v_ = _mm512_loadu_si512(s + (at));                                \
    if (copy)                                                                 \
      _mm512_storeu_si512(d + (at), v_);                                      \
    acc = ACC(acc, _mm512_xor_si512(v_, flip), one);                          \
  } while (0)
#define AVX512_REST(ACC, acc)                                                 \
  if (i + 64 <= n) {                                                          \
    AVX512_STEP(ACC, acc, i);                                                 \
    i += 64;                                                                  \
  }
#define AVX512_BLOCK(ACC)                                                     \
  const __m512i flip = _mm512_set1_epi16(INT16_MIN);                          \
  const __m512i one = _mm512_set1_epi16(1);                                   \
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;             \
  __m512i a4 = a0, a5 = a0, a6 = a0, a7 = a0;                                 \
  size_t i = 0;                                                               \
  for (; i + 512 <= n; i += 512) {                                            \
    AVX512_STEP(ACC, a0, i);                                                  \
    AVX512_STEP(ACC, a1, i + 64);                                             \
    AVX512_STEP(ACC, a2, i + 128);                                            \
    AVX512_STEP(ACC, a3, i + 192);                                            \
    AVX512_STEP(ACC, a4, i + 256);                                            \
    AVX512_STEP(ACC, a5, i + 320);                                            \
    AVX512_STEP(ACC, a6, i + 384);                                            \
    AVX512_STEP(ACC, a7, i + 448);                                            \
  }                                                                           \
  /* At most 7 whole vectors and a partial one remain: one to each            \
   * accumulator, which keeps the chains of dependent additions short. */     \
  AVX512_REST(ACC, a0) AVX512_REST(ACC, a1)                                   \
  AVX512_REST(ACC, a2) AVX512_REST(ACC, a3)                                   \
  AVX512_REST(ACC, a4) AVX512_REST(ACC, a5)                                   \
  AVX512_REST(ACC, a6)                                                        \
  if (i < n) {                                                                \
    __mmask64 m = ((__mmask64)1 << (n - i)) - 1;                              \
    __m512i v = _mm512_maskz_loadu_epi8(m, s + i);                            \
    if (copy)                                                                 \
      _mm512_mask_storeu_epi8(d + i, m, v);                                   \
    a7 = ACC(a7, _mm512_xor_si512(v, flip), one);                             \
  }                                                                           \
  __m512i a = _mm512_add_epi32(                                               \
      _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),   \
      _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));  \
  __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(a));             \
  __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(a, 1));        \
  __m512i wide = _mm512_add_epi64(lo, hi);                                    \
  int64_t words = (int64_t)(n + 63) / 64 * 32;                                \
  return (uint64_t)(_mm512_reduce_add_epi64(wide) + words * 32768);

#define MADD_ACC(a, x, one) _mm512_add_epi32((a), _mm512_madd_epi16((x), (one)))
#define VNNI_ACC(a, x, one) _mm512_dpwssd_epi32((a), (x), (one))

static SN_ALWAYS_INLINE AVX512 uint64_t block_avx512(uint8_t *d,
                                                     const uint8_t *s,
                                                     size_t n, int copy) {
  AVX512_BLOCK(MADD_ACC)
}

static SN_ALWAYS_INLINE AVX512VNNI uint64_t block_avx512vnni(uint8_t *d,
                                                             const uint8_t *s,
                                                             size_t n,
                                                             int copy) {
  AVX512_BLOCK(VNNI_ACC)
}

/*
 * The entry points: blocks of VEC_BLOCK bytes while more remain, then the
 * last block, then (SSE2, AVX2) the bytes after its whole vectors.
 */
#define ENTRY(BLOCK, VEC, ZEROUPPER, SMALL)                                   \
  uint64_t total = sum;                                                       \
  while (len > VEC_BLOCK) {                                                   \
    total = (uint64_t)fold64(total) + fold64(BLOCK(d, s, VEC_BLOCK, copy));   \
    s += VEC_BLOCK;                                                           \
    if (copy)                                                                 \
      d += VEC_BLOCK;                                                         \
    len -= VEC_BLOCK;                                                         \
  }                                                                           \
  size_t whole = VEC ? len & ~(size_t)(VEC - 1) : len;                        \
  total = (uint64_t)fold64(total) + BLOCK(d, s, whole, copy);                 \
  ZEROUPPER;                                                                  \
  if (whole < len) {                                                          \
    if (copy)                                                                 \
      memcpy(d + whole, s + whole, len - whole);                              \
    total = SMALL(s + whole, len - whole, total);                             \
  }                                                                           \
  return fold64(total);

SSE2 static uint32_t partial_sse2(const void *buf, size_t len, uint32_t sum) {
  const uint8_t *s = buf;
  uint8_t *d = NULL;
  const int copy = 0;
  ENTRY(block_sse2, 16, (void)0, sum_small)
}

SSE2 static uint32_t copy_sse2(void *dst, const void *src, size_t len,
                               uint32_t sum) {
  const uint8_t *s = src;
  uint8_t *d = dst;
  const int copy = 1;
  ENTRY(block_sse2, 16, (void)0, sum_small)
}

AVX2 static uint32_t partial_avx2(const void *buf, size_t len, uint32_t sum) {
  const uint8_t *s = buf;
  uint8_t *d = NULL;
  const int copy = 0;
  ENTRY(block_avx2, 32, _mm256_zeroupper(), sum_small)
}

AVX2 static uint32_t copy_avx2(void *dst, const void *src, size_t len,
                               uint32_t sum) {
  const uint8_t *s = src;
  uint8_t *d = dst;
  const int copy = 1;
  ENTRY(block_avx2, 32, _mm256_zeroupper(), sum_small)
}

AVX512 static uint32_t partial_avx512(const void *buf, size_t len,
                                      uint32_t sum) {
  const uint8_t *s = buf;
  uint8_t *d = NULL;
  const int copy = 0;
  ENTRY(block_avx512, 0, (void)0, sum_small)
}

AVX512 static uint32_t copy_avx512(void *dst, const void *src, size_t len,
                                   uint32_t sum) {
  const uint8_t *s = src;
  uint8_t *d = dst;
  const int copy = 1;
  ENTRY(block_avx512, 0, (void)0, sum_small)
}

AVX512VNNI static uint32_t partial_avx512vnni(const void *buf, size_t len,
                                              uint32_t sum) {
  const uint8_t *s = buf;
  uint8_t *d = NULL;
  const int copy = 0;
  ENTRY(block_avx512vnni, 0, (void)0, sum_small)
}

AVX512VNNI static uint32_t copy_avx512vnni(void *dst, const void *src,
                                           size_t len, uint32_t sum) {
  const uint8_t *s = src;
  uint8_t *d = dst;
  const int copy = 1;
  ENTRY(block_avx512vnni, 0, (void)0, sum_small)
}

#endif /* SN_CSUM_X86 */

/* Choosing an implementation --------------------------------------------- */

static const struct sn_csum_impl impls[] = {
    {"portable", partial_portable, copy_portable},
#if SN_CSUM_X86
    {"sse2", partial_sse2, copy_sse2},
    {"avx2", partial_avx2, copy_avx2},
    {"avx512", partial_avx512, copy_avx512},
    {"avx512vnni", partial_avx512vnni, copy_avx512vnni},
#endif
};
#define NIMPLS (sizeof impls / sizeof impls[0])

static bool impl_supported(const struct sn_csum_impl *im) {
#if SN_CSUM_X86
  if (im->partial == partial_avx2)
    return __builtin_cpu_supports("avx2");
  if (im->partial == partial_avx512)
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw");
  if (im->partial == partial_avx512vnni)
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni");
#endif
  (void)im;
  return true;
}

/*
 * Whether to prefer im when it is supported. On the first processors with
 * AVX-512 (Skylake-SP, Cascade Lake) 512-bit instructions lower the clock of
 * the whole core for a while, which would slow down everything else to speed
 * up checksums; VBMI2 arrived with the generations that no longer do this
 * (Ice Lake and later, AMD Zen 4), so AVX-512 is chosen only alongside it.
 */
static bool impl_preferred(const struct sn_csum_impl *im) {
#if SN_CSUM_X86
  if (im->partial == partial_avx512 || im->partial == partial_avx512vnni)
    return __builtin_cpu_supports("avx512vbmi2");
#endif
  (void)im;
  return true;
}

const struct sn_csum_impl *sn_csum_impl(size_t i) {
  for (size_t k = 0; k < NIMPLS; k++)
    if (impl_supported(&impls[k]) && i-- == 0)
      return &impls[k];
  return NULL;
}

/* The table is ordered slowest to fastest: the last supported and
 * preferred entry wins. */
const struct sn_csum_impl *sn_csum_impl_selected(void) {
  const struct sn_csum_impl *im = &impls[0];
  for (size_t k = 0; k < NIMPLS; k++)
    if (impl_supported(&impls[k]) && impl_preferred(&impls[k]))
      im = &impls[k];
  return im;
}

/*
 * The bulk functions are called through pointers that start at a resolver,
 * which installs the selected implementation on the first call. Racing
 * first calls from several threads all store the same pointers.
 */
typedef uint32_t (*partial_fn)(const void *, size_t, uint32_t);
typedef uint32_t (*copy_fn)(void *, const void *, size_t, uint32_t);

static uint32_t partial_resolve(const void *buf, size_t len, uint32_t sum);
static uint32_t copy_resolve(void *dst, const void *src, size_t len,
                             uint32_t sum);
static _Atomic(partial_fn) partial_impl = partial_resolve;
static _Atomic(copy_fn) copy_impl = copy_resolve;

static const struct sn_csum_impl *resolve(void) {
  const struct sn_csum_impl *im = sn_csum_impl_selected();
  atomic_store_explicit(&partial_impl, im->partial, memory_order_relaxed);
  atomic_store_explicit(&copy_impl, im->copy, memory_order_relaxed);
  return im;
}

static uint32_t partial_resolve(const void *buf, size_t len, uint32_t sum) {
  return resolve()->partial(buf, len, sum);
}

static uint32_t copy_resolve(void *dst, const void *src, size_t len,
                             uint32_t sum) {
  return resolve()->copy(dst, src, len, sum);
}

/* The public functions --------------------------------------------------- */

uint32_t sn_csum_partial(const void *buf, size_t len, uint32_t sum) {
  if (len < SHORT_LEN)
    return partial_portable(buf, len, sum);
  return atomic_load_explicit(&partial_impl, memory_order_relaxed)(buf, len,
                                                                   sum);
}

uint32_t sn_csum_copy(void *dst, const void *src, size_t len, uint32_t sum) {
  if (len < SHORT_LEN)
    return copy_portable(dst, src, len, sum);
  return atomic_load_explicit(&copy_impl, memory_order_relaxed)(dst, src, len,
                                                                sum);
}

uint32_t sn_csum_combine(uint32_t a, uint32_t b, int b_at_odd_offset) {
  if (b_at_odd_offset) {
    uint16_t f = fold32(b);
    b = (uint16_t)((f >> 8) | (f << 8));
  }
  return fold64((uint64_t)a + b);
}

uint16_t sn_csum_fold(uint32_t sum) {
  return native_to_net16((uint16_t)~fold32(sum));
}

uint32_t sn_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto,
                         uint16_t len) {
  /* The one's-complement sum of the pseudo-header's words in host order,
   * then in the byte order the other partial sums use (RFC 1071 §2(B):
   * the sum is independent of byte order up to a swap). */
  uint32_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
               proto + len;
  return native_to_net16(fold32(s));
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
uint16_t sn_csum_update16(uint16_t hc, uint16_t m, uint16_t m_new) {
  uint32_t sum = (uint32_t)(uint16_t)~hc + (uint16_t)~m + m_new;
  return (uint16_t)~fold32(sum);
}

uint16_t sn_csum_update32(uint16_t hc, uint32_t m, uint32_t m_new) {
  hc = sn_csum_update16(hc, (uint16_t)(m >> 16), (uint16_t)(m_new >> 16));
  return sn_csum_update16(hc, (uint16_t)m, (uint16_t)m_new);
}

uint16_t sn_csum_reference(const void *buf, size_t len) {
  const uint8_t *p = buf;
  uint64_t sum = 0; /* 32 bits would overflow past 128 KiB of data */
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (uint32_t)p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}
