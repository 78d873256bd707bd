/*
 * arch/cc.h - platform definitions lwIP asks of a port, for synack's lwIP
 * anchor benchmark: Linux with glibc, gcc or clang, NO_SYS (one thread).
 */
#ifndef BENCH_LWIP_ARCH_CC_H
#define BENCH_LWIP_ARCH_CC_H

/* Byte order from glibc's <endian.h>. lwIP's arch.h defines LITTLE_ENDIAN
 * and BIG_ENDIAN itself when no system header has yet; drop those so the
 * system's definitions are the only ones (no redefinition warnings when a
 * system header is included later). */
#ifndef _ENDIAN_H
#undef LITTLE_ENDIAN
#undef BIG_ENDIAN
#endif
#include <endian.h>

#include <stdio.h>
#include <stdlib.h>

/* Byte swaps as compiler builtins rather than lwIP's generic functions. */
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))
#endif
/* The program includes no system networking headers, but keep lwIP's
 * htons()/htonl() macro names out of the way all the same. */
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1

/* Random numbers (initial local port, ISN perturbation if enabled). */
unsigned int bench_lwip_rand(void);
#define LWIP_RAND() ((u32_t)bench_lwip_rand())

/* Diagnostics go to stderr: stdout carries the benchmark's JSON lines. */
int bench_lwip_diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
    bench_lwip_diag x;        \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                          \
  do {                                                                   \
    fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", (x),     \
            __FILE__, __LINE__);                                         \
    abort();                                                             \
  } while (0)

#define LWIP_ERRNO_STDINCLUDE 1

typedef int sys_prot_t;

#endif /* BENCH_LWIP_ARCH_CC_H */
