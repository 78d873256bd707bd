/*
 * tap_ceiling.c - how many frames a TAP device itself moves: the ceiling
 * any user-space stack on it works under. A helper of bench_tap.sh (run
 * inside its namespace, as root), not a benchmark on its own.
 *
 *   tap_ceiling write IF SECONDS   write 1514-byte frames into the device
 *                                  (the kernel receives each one and drops
 *                                  it: its destination MAC is not the
 *                                  device's) as fast as write(2) goes
 *   tap_ceiling read IF SECONDS    a kernel UDP socket floods 198.18.0.2
 *                                  (sendmmsg of 1472-byte datagrams, 1514-
 *                                  byte frames) out of the device while
 *                                  this reads them
 *
 * Prints "frames_per_s gbit_per_s" (frame bytes, without the FCS).
 */
#if defined(__linux__)

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME 1514
#define PAYLOAD 1472

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int tap_open(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void report(double frames, double secs) {
  printf("%.0f %.3f\n", frames / secs, frames * FRAME * 8 / secs / 1e9);
}

static int do_write(int fd, double secs) {
  uint8_t f[FRAME];
  memset(f, 0, sizeof f);
  const uint8_t dst[6] = {0x02, 0x53, 0x4e, 0xff, 0xff, 0xfe};
  const uint8_t src[6] = {0x02, 0x53, 0x4e, 0x00, 0x00, 0x02};
  memcpy(f, dst, 6);
  memcpy(f + 6, src, 6);
  f[12] = 0x08; /* IPv4; the kernel drops it as not for this host */
  f[14] = 0x45;
  double t0 = now_s(), end = t0 + secs;
  unsigned long long n = 0;
  while ((n & 1023) || now_s() < end) {
    if (write(fd, f, sizeof f) == (ssize_t)sizeof f)
      n++;
  }
  report((double)n, now_s() - t0);
  return 0;
}

static atomic_int stop;

static void *flood(void *arg) {
  (void)arg;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
  inet_pton(AF_INET, "198.18.0.2", &to.sin_addr);
  static char payload[PAYLOAD];
  struct mmsghdr m[64];
  struct iovec iov[64];
  for (int i = 0; i < 64; i++) {
    iov[i] = (struct iovec){payload, sizeof payload};
    memset(&m[i], 0, sizeof m[i]);
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
    m[i].msg_hdr.msg_name = &to;
    m[i].msg_hdr.msg_namelen = sizeof to;
  }
  while (!atomic_load(&stop))
    sendmmsg(s, m, 64, 0);
  close(s);
  return NULL;
}

static int do_read(int fd, double secs) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  pthread_t t;
  if (pthread_create(&t, NULL, flood, NULL) != 0)
    return 1;
  uint8_t f[65536];
  usleep(100000); /* let the flood start */
  double t0 = now_s(), end = t0 + secs;
  unsigned long long n = 0;
  while (now_s() < end) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 100) <= 0)
      continue;
    for (int i = 0; i < 256 && read(fd, f, sizeof f) > 0; i++)
      n++; /* drain what is waiting, as a driver's batch does */
  }
  double dt = now_s() - t0;
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  report((double)n, dt);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[1], "read") && strcmp(argv[1], "write"))) {
    fprintf(stderr, "usage: tap_ceiling read|write IF SECONDS\n");
    return 2;
  }
  int fd = tap_open(argv[2]);
  if (fd < 0) {
    fprintf(stderr, "tap_ceiling: cannot open TAP device %s: %s\n", argv[2],
            strerror(errno));
    return 1;
  }
  double secs = atof(argv[3]);
  return !strcmp(argv[1], "write") ? do_write(fd, secs) : do_read(fd, secs);
}

#else
#include <stdio.h>
int main(void) {
  fprintf(stderr, "tap_ceiling: TAP devices are a Linux feature\n");
  return 1;
}
#endif
