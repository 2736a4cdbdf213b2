/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libudsproxy.so: connect(2) of a unix socket on a qtfs mount goes to the
 * other host through the local udsproxyd (doc/ipc.md).  Preloaded, it
 * needs no call from the program; these are the routines behind it, for
 * programs and tests that want them directly.
 */
#ifndef LIBUDSPROXY_H
#define LIBUDSPROXY_H

#include <stddef.h>
#include <sys/types.h>

/* Where udsproxyd listens, unless $QTFS_UDSPROXYD_SOCKET says otherwise. */
#define UDSPROXY_SOCK_DEFAULT	"/run/qtfs/udsproxyd.sock"
#define UDSPROXY_SOCK_ENV	"QTFS_UDSPROXYD_SOCKET"

int udsproxy_map_path(const char *mountinfo, const char *path, char *out,
		      size_t outlen);
int udsproxy_connect(int fd, const char *server_path);
struct msghdr;
ssize_t udsproxy_sendmsg(int fd, const char *server_path,
			 const struct msghdr *msg, int flags);

#endif /* LIBUDSPROXY_H */
