/*
 * tcp_usr.h - the socket calls on stream sockets, as the socket layer
 * dispatches them (src/api/socket.c). Each returns what the public call
 * documents in include/synack/socket.h.
 */
#ifndef SN_TCP_USR_H
#define SN_TCP_USR_H

#include <stddef.h>
#include <sys/types.h>

#include "synack/socket.h"

struct sn_sock;

int sn_tcp_usr_connect(struct sn_sock *s, uint32_t addr, uint16_t port);
int sn_tcp_usr_listen(struct sn_sock *s, int backlog);
int sn_tcp_usr_accept(struct sn_sock *s, struct sn_sockaddr *peer);
ssize_t sn_tcp_usr_send(struct sn_sock *s, const void *buf, size_t len,
                        int flags);
ssize_t sn_tcp_usr_recv(struct sn_sock *s, void *buf, size_t len, int flags);
int sn_tcp_usr_shutdown(struct sn_sock *s, int how);
/* The socket goes away: the connection closes on its own. */
void sn_tcp_usr_close(struct sn_sock *s);
unsigned sn_tcp_usr_poll(struct sn_sock *s);
int sn_tcp_usr_setsockopt(struct sn_sock *s, int level, int name,
                          const void *val, size_t len);
int sn_tcp_usr_getsockopt(struct sn_sock *s, int level, int name, void *val,
                          size_t *len);
int sn_tcp_usr_info(struct sn_sock *s, struct sn_tcp_info *info);

#endif
