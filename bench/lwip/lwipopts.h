/*
 * lwipopts.h - the lwIP configuration of synack's lwIP anchor benchmark
 * (bench_lwip.c). lwIP itself is not part of this repository: build.sh
 * compiles Debian's lwIP source package with this file and arch/cc.h.
 *
 * Two flavours come from this one file:
 *   default                  bench_lwip: bulk, loss and memory figures.
 *                            Every pool allocation is a malloc() (so heap
 *                            use is visible to mallinfo2()), which also
 *                            means MEMP_NUM_TCP_PCB is not enforced.
 *   -DBENCH_LWIP_1024=1      bench_lwip_1024: the short-connection figure.
 *                            Static pools, so MEMP_NUM_TCP_PCB 1024 really
 *                            is the limit, as in an embedded lwIP build.
 */
#ifndef BENCH_LWIPOPTS_H
#define BENCH_LWIPOPTS_H

/* ---- system: no OS, one thread, raw API only ---- */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_TIMERS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_ALTCP 0
#define LWIP_CALLBACK_API 1

/* ---- protocols: IPv4, ARP, Ethernet, ICMP, TCP; nothing else ---- */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 0
#define LWIP_TCP 1
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define IP_REASSEMBLY 0
#define IP_FRAG 0
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_HAVE_LOOPIF 0
#define ARP_QUEUEING 1
#define ARP_TABLE_SIZE 16

/* ---- checksums: all computed and verified in software; the checksum of
 * data written with TCP_WRITE_FLAG_COPY is summed while it is copied (as
 * Debian's own port configures lwIP, and as synack does) ---- */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1
#define LWIP_CHECKSUM_CTRL_PER_NETIF 0
#define LWIP_CHECKSUM_ON_COPY 1
#define LWIP_CHKSUM_ALGORITHM 3

/* ---- TCP: MSS 1460 on MTU 1500, 1 MiB window and send buffer ---- */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
/* 1 MiB >> 5 = 32768 fits the 16-bit window field; scale 4 would not. */
#define TCP_RCV_SCALE 5
/* The window and the send buffer may be changed for an experiment with
 * -DBENCH_TCP_WND=BYTES (in CFLAGS); the figures' conditions say which. */
#ifndef BENCH_TCP_WND
#define BENCH_TCP_WND (1024 * 1024)
#endif
#define TCP_WND BENCH_TCP_WND
#define TCP_SND_BUF BENCH_TCP_WND
/* One pbuf per segment with copied writes; lwIP's usual 4x margin. */
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
/* Only the netconn/socket layers read the low-water marks; lwIP's sanity
 * checks want them below 64 KiB. */
#define TCP_SNDLOWAT (32 * 1024)
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 2)
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 0
#define LWIP_TCP_TIMESTAMPS 0
#define LWIP_TCP_KEEPALIVE 0
#define TCP_LISTEN_BACKLOG 0
#define TCP_OVERSIZE TCP_MSS

/* ---- memory ---- */
#define MEM_ALIGNMENT 8
#define MEM_LIBC_MALLOC 1
#define MEM_USE_POOLS 0
#define PBUF_POOL_BUFSIZE 1536

#if defined(BENCH_LWIP_1024) && BENCH_LWIP_1024
/* Static pools: the pcb limit is real. The other pools are sized so that
 * they never are the limit (a full 1 MiB window of segments and frames). */
#define MEMP_MEM_MALLOC 0
#define MEMP_NUM_TCP_PCB 1024
#define MEMP_NUM_TCP_PCB_LISTEN 4
#define MEMP_NUM_TCP_SEG 4096
#define MEMP_NUM_PBUF 256
#define MEMP_NUM_ARP_QUEUE 64
#define PBUF_POOL_SIZE 2048
#else
/* Every pool element is its own malloc(); the counts below are nominal. */
#define MEMP_MEM_MALLOC 1
#define MEMP_NUM_TCP_PCB 65535
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_TCP_SEG 65535
#define MEMP_NUM_PBUF 65535
#define MEMP_NUM_ARP_QUEUE 1024
#define PBUF_POOL_SIZE 65535
#endif

/* ---- no statistics, no debug output, no asserts ---- */
#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0
#define MIB2_STATS 0
#define LWIP_NOASSERT 1
#define LWIP_DBG_TYPES_ON 0

/* ---- both hosts live in one lwIP instance on the same /24, so the route
 * of a segment is chosen by its source address (bench_lwip.c) ---- */
struct ip4_addr;
struct netif;
struct netif *bench_route_src(const struct ip4_addr *src,
                              const struct ip4_addr *dest);
#define LWIP_HOOK_IP4_ROUTE_SRC(src, dest) bench_route_src((src), (dest))

#endif /* BENCH_LWIPOPTS_H */
