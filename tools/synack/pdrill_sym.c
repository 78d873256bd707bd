/*
 * pdrill_sym.c - the constant names scripts use in system calls (address
 * families, socket types, option levels and names, fcntl and ioctl
 * requests, poll bits, message flags, congestion states, errno names),
 * with Linux's values, and which socket options synack implements.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pdrill.h"

struct sym {
  const char *name;
  int64_t value;
};

static const struct sym syms[] = {
    {"AF_UNSPEC", 0}, {"AF_INET", 2}, {"AF_INET6", 10}, {"PF_INET", 2},
    {"PF_INET6", 10}, {"INADDR_ANY", 0}, {"NULL", 0},
    {"SOCK_STREAM", 1}, {"SOCK_DGRAM", 2}, {"SOCK_RAW", 3},
    {"SOCK_NONBLOCK", 04000}, {"SOCK_CLOEXEC", 02000000},
    {"IPPROTO_IP", 0}, {"IPPROTO_ICMP", 1}, {"IPPROTO_TCP", 6},
    {"IPPROTO_UDP", 17}, {"IPPROTO_IPV6", 41}, {"IPPROTO_UDPLITE", 136},
    {"IPPROTO_SCTP", 132},
    {"SOL_IP", 0}, {"SOL_SOCKET", 1}, {"SOL_TCP", 6}, {"SOL_UDP", 17},
    {"SOL_IPV6", 41},
    {"SO_DEBUG", 1}, {"SO_REUSEADDR", 2}, {"SO_TYPE", 3}, {"SO_ERROR", 4},
    {"SO_DONTROUTE", 5}, {"SO_BROADCAST", 6}, {"SO_SNDBUF", 7},
    {"SO_RCVBUF", 8}, {"SO_KEEPALIVE", 9}, {"SO_OOBINLINE", 10},
    {"SO_NO_CHECK", 11}, {"SO_PRIORITY", 12}, {"SO_LINGER", 13},
    {"SO_REUSEPORT", 15}, {"SO_RCVLOWAT", 18}, {"SO_SNDLOWAT", 19},
    {"SO_RCVTIMEO", 20}, {"SO_SNDTIMEO", 21}, {"SO_BINDTODEVICE", 25},
    {"SO_TIMESTAMP", 29}, {"SO_ACCEPTCONN", 30}, {"SO_SNDBUFFORCE", 32},
    {"SO_RCVBUFFORCE", 33}, {"SO_MARK", 36}, {"SO_TIMESTAMPING", 37},
    {"SO_MAX_PACING_RATE", 47}, {"SO_INCOMING_CPU", 49}, {"SO_ZEROCOPY", 60},
    {"TCP_NODELAY", 1}, {"TCP_MAXSEG", 2}, {"TCP_CORK", 3},
    {"TCP_KEEPIDLE", 4}, {"TCP_KEEPINTVL", 5}, {"TCP_KEEPCNT", 6},
    {"TCP_SYNCNT", 7}, {"TCP_LINGER2", 8}, {"TCP_DEFER_ACCEPT", 9},
    {"TCP_WINDOW_CLAMP", 10}, {"TCP_INFO", 11}, {"TCP_QUICKACK", 12},
    {"TCP_CONGESTION", 13}, {"TCP_MD5SIG", 14}, {"TCP_THIN_LINEAR_TIMEOUTS", 16},
    {"TCP_USER_TIMEOUT", 18}, {"TCP_REPAIR", 19}, {"TCP_FASTOPEN", 23},
    {"TCP_TIMESTAMP", 24}, {"TCP_NOTSENT_LOWAT", 25}, {"TCP_CC_INFO", 26},
    {"TCP_SAVE_SYN", 27}, {"TCP_SAVED_SYN", 28}, {"TCP_FASTOPEN_CONNECT", 30},
    {"TCP_FASTOPEN_KEY", 33}, {"TCP_FASTOPEN_NO_COOKIE", 34},
    {"TCP_ZEROCOPY_RECEIVE", 35}, {"TCP_INQ", 36}, {"TCP_TX_DELAY", 37},
    {"IP_TOS", 1}, {"IP_TTL", 2}, {"IP_MTU_DISCOVER", 10}, {"IP_MTU", 14},
    {"IP_PMTUDISC_DONT", 0}, {"IP_PMTUDISC_WANT", 1}, {"IP_PMTUDISC_DO", 2},
    {"IP_PMTUDISC_PROBE", 3},
    {"F_GETFD", 1}, {"F_SETFD", 2}, {"F_GETFL", 3}, {"F_SETFL", 4},
    {"FD_CLOEXEC", 1}, {"O_RDONLY", 0}, {"O_WRONLY", 1}, {"O_RDWR", 2},
    {"O_NONBLOCK", 04000}, {"O_CLOEXEC", 02000000},
    {"SHUT_RD", 0}, {"SHUT_WR", 1}, {"SHUT_RDWR", 2},
    {"SIOCINQ", 0x541B}, {"FIONREAD", 0x541B}, {"SIOCOUTQ", 0x5411},
    {"TIOCOUTQ", 0x5411}, {"SIOCOUTQNSD", 0x894B}, {"FIONBIO", 0x5421},
    {"POLLIN", 0x1}, {"POLLPRI", 0x2}, {"POLLOUT", 0x4}, {"POLLERR", 0x8},
    {"POLLHUP", 0x10}, {"POLLNVAL", 0x20}, {"POLLRDNORM", 0x40},
    {"POLLRDBAND", 0x80}, {"POLLWRNORM", 0x100}, {"POLLWRBAND", 0x200},
    {"POLLMSG", 0x400}, {"POLLRDHUP", 0x2000},
    {"MSG_OOB", 0x1}, {"MSG_PEEK", 0x2}, {"MSG_DONTROUTE", 0x4},
    {"MSG_TRUNC", 0x20}, {"MSG_DONTWAIT", 0x40}, {"MSG_EOR", 0x80},
    {"MSG_WAITALL", 0x100}, {"MSG_ERRQUEUE", 0x2000}, {"MSG_NOSIGNAL", 0x4000},
    {"MSG_MORE", 0x8000}, {"MSG_ZEROCOPY", 0x4000000},
    {"MSG_FASTOPEN", 0x20000000},
    {"TCP_CA_Open", 0}, {"TCP_CA_Disorder", 1}, {"TCP_CA_CWR", 2},
    {"TCP_CA_Recovery", 3}, {"TCP_CA_Loss", 4},
    {"TCP_ESTABLISHED", 1}, {"TCP_SYN_SENT", 2}, {"TCP_SYN_RECV", 3},
    {"TCP_FIN_WAIT1", 4}, {"TCP_FIN_WAIT2", 5}, {"TCP_TIME_WAIT", 6},
    {"TCP_CLOSE", 7}, {"TCP_CLOSE_WAIT", 8}, {"TCP_LAST_ACK", 9},
    {"TCP_LISTEN", 10}, {"TCP_CLOSING", 11},
};

#define ERRNO_(e) {#e, e}
static const struct sym errnos[] = {
    ERRNO_(EPERM), ERRNO_(ENOENT), ERRNO_(EINTR), ERRNO_(EIO), ERRNO_(EBADF),
    ERRNO_(EAGAIN), ERRNO_(ENOMEM), ERRNO_(EACCES), ERRNO_(EFAULT),
    ERRNO_(EBUSY), ERRNO_(EEXIST), ERRNO_(ENODEV), ERRNO_(EINVAL),
    ERRNO_(EMFILE), ERRNO_(ENOSPC), ERRNO_(EPIPE), ERRNO_(ERANGE),
    ERRNO_(ENOSYS), ERRNO_(ENOTSOCK), ERRNO_(EDESTADDRREQ), ERRNO_(EMSGSIZE),
    ERRNO_(EPROTOTYPE), ERRNO_(ENOPROTOOPT), ERRNO_(EPROTONOSUPPORT),
    ERRNO_(ESOCKTNOSUPPORT), ERRNO_(EOPNOTSUPP), ERRNO_(EAFNOSUPPORT),
    ERRNO_(EADDRINUSE), ERRNO_(EADDRNOTAVAIL), ERRNO_(ENETDOWN),
    ERRNO_(ENETUNREACH), ERRNO_(ENETRESET), ERRNO_(ECONNABORTED),
    ERRNO_(ECONNRESET), ERRNO_(ENOBUFS), ERRNO_(EISCONN), ERRNO_(ENOTCONN),
    ERRNO_(ESHUTDOWN), ERRNO_(ETIMEDOUT), ERRNO_(ECONNREFUSED),
    ERRNO_(EHOSTDOWN), ERRNO_(EHOSTUNREACH), ERRNO_(EALREADY),
    ERRNO_(EINPROGRESS), {"EWOULDBLOCK", EAGAIN},
};
#undef ERRNO_

static bool lookup(const struct sym *t, size_t n, const char *name, int64_t *out) {
  for (size_t k = 0; k < n; k++)
    if (!strcmp(t[k].name, name)) {
      *out = t[k].value;
      return true;
    }
  return false;
}

bool pd_sym_value(const char *name, int64_t *out) {
  return lookup(syms, sizeof syms / sizeof syms[0], name, out) ||
         lookup(errnos, sizeof errnos / sizeof errnos[0], name, out);
}

const char *pd_errno_name(int e) {
  for (size_t k = 0; k < sizeof errnos / sizeof errnos[0]; k++)
    if (errnos[k].value == e)
      return errnos[k].name;
  return NULL;
}

/* The options synack's socket layer implements (socket.h). */
static const struct {
  int64_t level, name;
} supported[] = {
    {1, 2}, {1, 3}, {1, 4}, {1, 7}, {1, 8}, {1, 9}, {1, 13}, {1, 15},
    {6, 1}, {6, 2}, {6, 3}, {6, 4}, {6, 5}, {6, 6}, {6, 12}, {6, 13}, {6, 18},
};

bool pd_sockopt_supported(int64_t level, int64_t name) {
  for (size_t k = 0; k < sizeof supported / sizeof supported[0]; k++)
    if (supported[k].level == level && supported[k].name == name)
      return true;
  return false;
}

const char *pd_sockopt_name(int64_t level, int64_t name, char *buf, size_t len) {
  const char *prefix = level == 1 ? "SO_" : level == 6 ? "TCP_" : level == 0 ? "IP_" : NULL;
  for (size_t k = 0; prefix && k < sizeof syms / sizeof syms[0]; k++)
    if (syms[k].value == name && !strncmp(syms[k].name, prefix, strlen(prefix)) &&
        strncmp(syms[k].name, "TCP_CA_", 7) && strncmp(syms[k].name, "IP_PMTU", 7)) {
      snprintf(buf, len, "%s", syms[k].name);
      return buf;
    }
  snprintf(buf, len, "option %lld at level %lld", (long long)name, (long long)level);
  return buf;
}
