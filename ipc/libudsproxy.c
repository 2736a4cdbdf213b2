// SPDX-License-Identifier: GPL-2.0
/*
 * libudsproxy.so (doc/ipc.md): preloaded with LD_PRELOAD, it interposes
 * connect(2), and sendmsg(2)/sendmmsg(2) to refuse descriptors on a
 * proxied socket.  An AF_UNIX connect to a path whose file is on a qtfs mount
 * (statfs(2) says so) is translated to the server's path through the
 * mount's line in /proc/self/mountinfo and handed to the local udsproxyd;
 * every other connect is libc's, untouched.  No syscall is hooked: a
 * program not started with the preload is not affected at all.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>
#include "libudsproxy.h"
#include "qtfs_path.h"
#include "qtfs_proto.h"
#include "uapi/qtfs_uds.h"

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

/* libc's connect(2), whoever else defines one. */
static int real_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	static connect_fn fn;

	if (!fn)
		fn = (connect_fn)dlsym(RTLD_NEXT, "connect");
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	return fn(fd, sa, len);
}

/* Undo mountinfo's octal escapes (\040 for a blank) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (s[1] - '0') << 6 | (s[2] - '0') << 3 |
			       (s[3] - '0');
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Does mount point @mnt cover @path on a component boundary? */
static size_t covers(const char *mnt, const char *path)
{
	size_t n = strlen(mnt);

	if (n == 1 && mnt[0] == '/')
		return 1;
	if (strncmp(mnt, path, n) || (path[n] && path[n] != '/'))
		return 0;
	return n;
}

/**
 * struct uds_mnt - the fields of one mountinfo line that matter here
 * @root:   the mount's root within its filesystem
 * @point:  its mount point
 * @fstype: filesystem type
 * @source: mount source: for qtfs, the server's export path
 */
struct uds_mnt {
	char *root;
	char *point;
	char *fstype;
	char *source;
};

/* Split one mountinfo line (modified); return: 0 or -EINVAL. */
static int parse_line(char *line, struct uds_mnt *m)
{
	char *f[6], *sep, *save = NULL, *tok;
	int i;

	for (i = 0, tok = strtok_r(line, " \n", &save); tok && i < 6;
	     tok = strtok_r(NULL, " \n", &save))
		f[i++] = tok;
	if (i < 6)
		return -EINVAL;
	/* optional fields up to "-", then type and source */
	for (sep = tok; sep && strcmp(sep, "-"); sep = strtok_r(NULL, " \n", &save))
		;
	m->fstype = sep ? strtok_r(NULL, " \n", &save) : NULL;
	m->source = m->fstype ? strtok_r(NULL, " \n", &save) : NULL;
	if (!m->source)
		return -EINVAL;
	m->root = f[3];
	m->point = f[4];
	unescape(m->root);
	unescape(m->point);
	unescape(m->source);
	return 0;
}

/**
 * udsproxy_map_path() - the server's path of a path on a qtfs mount
 * @mountinfo: a mountinfo file, /proc/self/mountinfo in use
 * @path:      absolute path without symlinks (realpath(3)'s result)
 * @out:       result: the normalised path of the same file on the server
 * @outlen:    size of @out
 *
 * The mount that holds @path is the one with the longest mount point
 * covering it (the last one listed of equal length: mounted on top); it
 * must be a qtfs mount.  Its source is the server's export, its root the
 * part of it that is mounted (a bind mount of a subdirectory).
 *
 * Return: 0, -ENOENT if @path is not on a qtfs mount, -EINVAL for a
 * source that is not an absolute path, -ENAMETOOLONG, or -errno of
 * reading @mountinfo.
 */
int udsproxy_map_path(const char *mountinfo, const char *path, char *out,
		      size_t outlen)
{
	char *line = NULL, *best = NULL, *joined = NULL;
	size_t cap = 0, n, best_len = 0;
	struct uds_mnt m, bm = {};
	int ret = -ENOENT;
	FILE *f;

	f = fopen(mountinfo, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (parse_line(line, &m))
			continue;
		n = covers(m.point, path);
		if (!n || n < best_len)
			continue;
		free(best);
		best = malloc(cap);
		if (!best) {
			ret = -ENOMEM;
			goto out;
		}
		/* keep the line's fields: re-point them into the copy */
		memcpy(best, line, cap);
		bm.root = best + (m.root - line);
		bm.point = best + (m.point - line);
		bm.fstype = best + (m.fstype - line);
		bm.source = best + (m.source - line);
		best_len = n;
	}
	if (!best || strcmp(bm.fstype, "qtfs"))
		goto out;
	ret = -EINVAL;
	if (bm.source[0] != '/')
		goto out;
	ret = -ENOMEM;
	if (asprintf(&joined, "%s/%s/%s", bm.source,
		     strcmp(bm.root, "/") ? bm.root : "",
		     path + (best_len > 1 ? best_len : 0)) < 0) {
		joined = NULL;
		goto out;
	}
	ret = qtfs_path_normalize(out, outlen, joined);
	if (ret == -EPERM)
		ret = -EINVAL;
out:
	free(joined);
	free(best);
	free(line);
	fclose(f);
	return ret;
}

/* Write all of @buf, or fail with errno set. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly @len bytes; end of file is ECONNRESET. */
static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = ECONNRESET;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* The request and its answer; return: 0 or -errno. */
static int local_connect(int fd, uint32_t type, const char *server_path)
{
	uint8_t buf[QTFS_HDR_SIZE + 12 + QTFS_PATH_MAX + 3];
	struct qtfs_msg_hdr h;
	struct qtfs_buf b;

	qtfs_buf_init(&b, buf, sizeof(buf));
	qtfs_proto_begin(&b, QTFS_UDS_OP_LOCAL_CONNECT, 0, 1, 0);
	qtfs_proto_pack(&b, "dhds", QTFS_UDS_MAGIC, QTFS_UDS_MAJOR, type,
			server_path);
	if (qtfs_proto_end(&b))
		return -ENAMETOOLONG;
	/*
	 * A daemon that refuses at once (too many connections) answers and
	 * closes before it reads: the answer is still there to read.
	 */
	if ((write_all(fd, buf, b.pos) && errno != EPIPE &&
	     errno != ECONNRESET) || read_all(fd, buf, QTFS_HDR_SIZE))
		return -errno;
	if (qtfs_proto_decode_hdr(buf, &h) || h.len != QTFS_HDR_SIZE ||
	    !(h.flags & QTFS_HDR_REPLY) ||
	    h.opcode != QTFS_UDS_OP_LOCAL_CONNECT || h.id != 1)
		return -EPROTO;
	return h.error;
}

/* The local socket of udsproxyd for @type, in @sun. Return: 0 or -1. */
static int daemon_addr(int type, struct sockaddr_un *sun)
{
	const char *sock = getenv(UDSPROXY_SOCK_ENV);

	if (!sock || !*sock)
		sock = UDSPROXY_SOCK_DEFAULT;
	if (snprintf(sun->sun_path, sizeof(sun->sun_path), "%s%s", sock,
		     type == SOCK_STREAM ? "" : QTFS_UDS_SEQPACKET_SUFFIX) >=
	    (int)sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Give @fd back as a fresh socket of its type and flags, so that the
 * program may retry the connect on it as on a local failure.
 */
static void renew(int fd, int type, int fl)
{
	int fdfl = fcntl(fd, F_GETFD);
	int s = socket(AF_UNIX, type | (fl & O_NONBLOCK ? SOCK_NONBLOCK : 0),
		       0);

	if (s < 0)
		return;
	dup3(s, fd, fdfl > 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0);
	close(s);
}

/*
 * Ask udsproxyd for a datagram association with @server_path, over a
 * request connection of its own to the seqpacket socket; the answer is
 * the address of the association's socket in the daemon, in @sun and
 * @alen.  Return: 0 or -errno.
 */
static int dgram_request(const char *server_path, struct sockaddr_un *sun,
			 socklen_t *alen)
{
	uint8_t buf[QTFS_HDR_SIZE + 12 + QTFS_PATH_MAX + 3];
	struct sockaddr_un d = { .sun_family = AF_UNIX };
	const void *addr;
	struct qtfs_msg_hdr h;
	struct qtfs_buf b;
	uint32_t len;
	ssize_t n;
	int s, ret;

	if (daemon_addr(SOCK_SEQPACKET, &d))
		return -errno;
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	qtfs_buf_init(&b, buf, sizeof(buf));
	qtfs_proto_begin(&b, QTFS_UDS_OP_LOCAL_CONNECT, 0, 1, 0);
	qtfs_proto_pack(&b, "dhds", QTFS_UDS_MAGIC, QTFS_UDS_MAJOR,
			QTFS_UDS_DGRAM, server_path);
	ret = -ENAMETOOLONG;
	if (qtfs_proto_end(&b))
		goto out;
	if (real_connect(s, (struct sockaddr *)&d, sizeof(d))) {
		ret = errno == ENOENT ? -ECONNREFUSED : -errno;
		goto out;
	}
	/* a daemon that refuses at once answers before it reads */
	if (write_all(s, buf, b.pos) && errno != EPIPE && errno != ECONNRESET) {
		ret = -errno;
		goto out;
	}
	do {
		n = recv(s, buf, sizeof(buf), MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	ret = n < 0 ? -errno : -ECONNRESET;
	if (n <= 0)
		goto out;
	ret = -EPROTO;
	if (n < QTFS_HDR_SIZE || (size_t)n > sizeof(buf) ||
	    qtfs_proto_decode_hdr(buf, &h) || h.len != n ||
	    !(h.flags & QTFS_HDR_REPLY) ||
	    h.opcode != QTFS_UDS_OP_LOCAL_CONNECT || h.id != 1)
		goto out;
	if (h.error) {
		ret = h.len == QTFS_HDR_SIZE ? h.error : -EPROTO;
		goto out;
	}
	qtfs_buf_init(&b, buf + QTFS_HDR_SIZE, n - QTFS_HDR_SIZE);
	/* an abstract name, as the daemon makes them */
	if (qtfs_proto_unpack(&b, "B", &addr, &len) || b.pos != b.size ||
	    len < 2 || len > sizeof(sun->sun_path) ||
	    ((const char *)addr)[0])
		goto out;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, addr, len);
	*alen = offsetof(struct sockaddr_un, sun_path) + len;
	ret = 0;
out:
	close(s);
	return ret;
}

/*
 * Datagram associations this process uses, by socket (its inode) and the
 * path it sends to, so that a sendto() finds the association's address
 * without asking the daemon or reading mountinfo again.  A connect()ed
 * socket's entry has an empty path.  The oldest entry makes room.
 */
#define ASSOC_SLOTS	32

struct assoc {
	dev_t dev;
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct sockaddr_un addr;
	socklen_t alen;
};

static struct assoc assocs[ASSOC_SLOTS];
static unsigned int assoc_next;
static pthread_mutex_t assoc_lock = PTHREAD_MUTEX_INITIALIZER;

static struct assoc *assoc_find(const struct stat *st, const char *path)
{
	unsigned int i;

	for (i = 0; i < ASSOC_SLOTS; i++)
		if (assocs[i].alen && assocs[i].dev == st->st_dev &&
		    assocs[i].ino == st->st_ino && !strcmp(assocs[i].path, path))
			return &assocs[i];
	return NULL;
}

/* The association of @fd for @path ("": connected) into @a; if known. */
static bool assoc_get(int fd, const char *path, struct assoc *a)
{
	struct assoc *e;
	struct stat st;

	if (fstat(fd, &st))
		return false;
	pthread_mutex_lock(&assoc_lock);
	e = assoc_find(&st, path);
	if (e)
		*a = *e;
	pthread_mutex_unlock(&assoc_lock);
	return e;
}

/* Remember (@addr non-NULL) or forget the association of @fd for @path. */
static void assoc_set(int fd, const char *path, const struct sockaddr_un *addr,
		      socklen_t alen)
{
	struct assoc *e;
	struct stat st;

	if (fstat(fd, &st) || strlen(path) >= sizeof(e->path))
		return;
	pthread_mutex_lock(&assoc_lock);
	e = assoc_find(&st, path);
	if (!e && addr) {
		e = &assocs[assoc_next];
		assoc_next = (assoc_next + 1) % ASSOC_SLOTS;
	}
	if (e && addr) {
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		strcpy(e->path, path);
		e->addr = *addr;
		e->alen = alen;
	} else if (e) {
		e->alen = 0;
	}
	pthread_mutex_unlock(&assoc_lock);
}

/**
 * udsproxy_connect() - connect a unix socket to a socket of the other host
 * @fd:          the program's socket (AF_UNIX, SOCK_STREAM or
 *               SOCK_SEQPACKET, unconnected)
 * @server_path: the socket's absolute, normalised path on the other host
 *
 * Connects @fd to the local udsproxyd ($QTFS_UDSPROXYD_SOCKET or
 * %UDSPROXY_SOCK_DEFAULT, with ".seqpacket" appended for a seqpacket
 * socket) and asks it for the connection.  This waits for
 * the answer even on a non-blocking socket (its flags are restored).  On
 * success @fd carries the connection; on failure it is a fresh socket
 * again.
 *
 * A SOCK_DGRAM socket is connected to a datagram association with the
 * socket instead (see udsproxy_sendmsg()); send(2) then reaches it.
 *
 * Return: 0, or -1 with errno set: the other host's connect(2) errno,
 * EPROTOTYPE for another socket type, ECONNREFUSED when udsproxyd is not
 * running; doc/ipc.md lists them all.
 */
int udsproxy_connect(int fd, const char *server_path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t tlen = sizeof(int);
	int type, fl, ret;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen))
		return -1;
	if (type == SOCK_DGRAM) {
		/* send() then goes to the association's socket */
		ret = dgram_request(server_path, &sun, &tlen);
		if (!ret && real_connect(fd, (struct sockaddr *)&sun, tlen))
			ret = -errno;
		if (ret) {
			errno = -ret;
			return -1;
		}
		assoc_set(fd, "", &sun, tlen);
		return 0;
	}
	if (type != SOCK_STREAM && type != SOCK_SEQPACKET) {
		errno = EPROTOTYPE;
		return -1;
	}
	if (daemon_addr(type, &sun))
		return -1;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	if ((fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK))
		return -1;
	if (real_connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		ret = errno == ENOENT ? -ECONNREFUSED : -errno;
	else
		ret = local_connect(fd, type == SOCK_STREAM ? QTFS_UDS_STREAM :
				    QTFS_UDS_SEQPACKET, server_path);
	if (ret)
		renew(fd, type, fl);
	else if (fl & O_NONBLOCK)
		fcntl(fd, F_SETFL, fl);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/*
 * Is @fd a socket connected through udsproxyd?  Its peer is then the
 * daemon's local socket, named as it was bound (%QTFS_UDS_BIND_SUFFIX);
 * asked of the kernel, so that it holds for a descriptor dup()ed or
 * inherited across exec too.  A datagram socket with an association is
 * one too.
 */
static bool is_proxied(int fd)
{
	struct sockaddr_un peer = {}, sun = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(peer) - 1, tlen = sizeof(int);
	char bound[sizeof(sun.sun_path) + sizeof(QTFS_UDS_BIND_SUFFIX)];
	int saved = errno, type;
	struct assoc a;
	bool ret;

	ret = assoc_get(fd, "", &a) ||
	      (!getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) &&
	       !daemon_addr(type, &sun) &&
	       !getpeername(fd, (struct sockaddr *)&peer, &len) &&
	       peer.sun_family == AF_UNIX &&
	       len > offsetof(struct sockaddr_un, sun_path) &&
	       snprintf(bound, sizeof(bound), "%s%s", sun.sun_path,
			QTFS_UDS_BIND_SUFFIX) > 0 &&
	       !strncmp(peer.sun_path, bound, sizeof(peer.sun_path)));
	errno = saved;
	return ret;
}

/* Does @msg pass descriptors? */
static bool has_rights(const struct msghdr *msg)
{
	struct msghdr *m = (struct msghdr *)msg;
	struct cmsghdr *cm;

	if (!msg || !msg->msg_control ||
	    msg->msg_controllen < sizeof(struct cmsghdr))
		return false;
	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			return true;
	return false;
}

typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned int, int);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int,
			     const struct sockaddr *, socklen_t);

/* libc's sendmsg(2). */
static ssize_t real_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static sendmsg_fn fn;

	if (!fn)
		fn = (sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	return fn(fd, msg, flags);
}

/**
 * udsproxy_sendmsg() - send a datagram to a socket of the other host
 * @fd:          the program's SOCK_DGRAM unix socket
 * @server_path: the socket's absolute, normalised path on the other host
 * @msg:         the datagram; its msg_name is not used
 * @flags:       sendmsg(2) flags
 *
 * The datagram goes to the association of @fd with @server_path in the
 * local udsproxyd, asked for on first use and again when the daemon has
 * closed it as idle.  Replies come back to @fd if it has a name (bound),
 * from the association's address, as a local server answers only a
 * client that has one.
 *
 * Return: bytes sent, or -1 with errno set: EMSGSIZE beyond 64 KiB,
 * EOPNOTSUPP for SCM_RIGHTS, a connect(2) errno of the other host for the
 * association, or sendmsg(2)'s.
 */
ssize_t udsproxy_sendmsg(int fd, const char *server_path,
			 const struct msghdr *msg, int flags)
{
	struct msghdr m = *msg;
	struct assoc a;
	size_t i, len = 0;
	int tries, ret;
	ssize_t n = -1;

	for (i = 0; i < msg->msg_iovlen; i++)
		len += msg->msg_iov[i].iov_len;
	if (len > QTFS_UDS_DATA_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (has_rights(msg)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	for (tries = 0; tries < 2; tries++) {
		if (!assoc_get(fd, server_path, &a)) {
			ret = dgram_request(server_path, &a.addr, &a.alen);
			if (ret) {
				errno = -ret;
				return -1;
			}
			assoc_set(fd, server_path, &a.addr, a.alen);
		}
		m.msg_name = &a.addr;
		m.msg_namelen = a.alen;
		n = real_sendmsg(fd, &m, flags);
		/*
		 * The daemon closed the association as idle (refused), or
		 * the address is now another socket's (EPERM: it takes
		 * datagrams from its own program only): a new one.
		 */
		if (n >= 0 || (errno != ECONNREFUSED && errno != ENOENT &&
			       errno != EPERM))
			break;
		assoc_set(fd, server_path, NULL, 0);
	}
	return n;
}

/*
 * The server's path, in @server, of the AF_UNIX address @addr of @len
 * bytes if its file is on a qtfs mount.  Return: true if so.
 */
static bool qtfs_server_path(const struct sockaddr *addr, socklen_t len,
			     char *server, size_t size)
{
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	char canon[PATH_MAX];
	int saved = errno;
	struct statfs st;
	size_t n;
	bool ret;

	if (!addr || addr->sa_family != AF_UNIX || len <= off)
		return false;
	n = len - off < sizeof(path) - 1 ? len - off : sizeof(path) - 1;
	memcpy(path, (const char *)addr + off, n);
	path[n] = '\0';
	/* abstract sockets and anything not on qtfs stay local */
	ret = path[0] && realpath(path, canon) && !statfs(canon, &st) &&
	      st.f_type == QTFS_UDS_FS_MAGIC &&
	      !udsproxy_map_path("/proc/self/mountinfo", canon, server, size);
	errno = saved;
	return ret;
}

/* Is @fd a datagram socket? */
static bool is_dgram(int fd)
{
	socklen_t tlen = sizeof(int);
	int saved = errno, type;
	bool ret;

	ret = !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) &&
	      type == SOCK_DGRAM;
	errno = saved;
	return ret;
}

/*
 * A datagram to an address on a qtfs mount goes through udsproxyd.
 * Return: true if it did (*@n is the result), false for libc's way.
 */
static bool dgram_to_qtfs(int fd, const struct msghdr *msg, int flags,
			  ssize_t *n)
{
	char server[QTFS_PATH_MAX];

	if (!msg || !msg->msg_name ||
	    ((const struct sockaddr *)msg->msg_name)->sa_family != AF_UNIX ||
	    !is_dgram(fd) ||
	    !qtfs_server_path(msg->msg_name, msg->msg_namelen, server,
			      sizeof(server)))
		return false;
	*n = udsproxy_sendmsg(fd, server, msg, flags);
	return true;
}

/**
 * sendmsg() - sendmsg(2); descriptors refused on a proxied socket
 * @fd:    socket
 * @msg:   message
 * @flags: flags
 *
 * A descriptor is a reference into this host's kernel and cannot cross
 * to the other: SCM_RIGHTS on a socket connected through udsproxyd fails
 * with EOPNOTSUPP, and nothing of the message is sent.
 *
 * Return: as sendmsg(2).
 */
ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t n;

	if (dgram_to_qtfs(fd, msg, flags, &n))
		return n;
	if (has_rights(msg) && !msg->msg_name && is_proxied(fd)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return real_sendmsg(fd, msg, flags);
}

/**
 * sendto() - sendto(2), through udsproxyd to a datagram socket on qtfs
 * @fd:    socket
 * @buf:   data
 * @len:   its length
 * @flags: flags
 * @addr:  destination
 * @alen:  its length
 *
 * Return: as sendto(2).
 */
ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *addr, socklen_t alen)
{
	static sendto_fn fn;
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = {
		.msg_name = (void *)addr, .msg_namelen = alen,
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	if (dgram_to_qtfs(fd, &m, flags, &n))
		return n;
	if (!fn)
		fn = (sendto_fn)dlsym(RTLD_NEXT, "sendto");
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	return fn(fd, buf, len, flags, addr, alen);
}

/**
 * sendmmsg() - sendmmsg(2); as sendmsg() if any message passes descriptors
 * @fd:    socket
 * @vec:   messages
 * @vlen:  their number
 * @flags: flags
 *
 * Return: as sendmmsg(2); -1 with EOPNOTSUPP, nothing sent, when one of
 * the messages passes descriptors on a proxied socket.
 */
int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	static sendmmsg_fn fn;
	unsigned int i;

	if (!fn)
		fn = (sendmmsg_fn)dlsym(RTLD_NEXT, "sendmmsg");
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	for (i = 0; vec && i < vlen; i++) {
		if (has_rights(&vec[i].msg_hdr) && !vec[i].msg_hdr.msg_name &&
		    is_proxied(fd)) {
			errno = EOPNOTSUPP;
			return -1;
		}
	}
	return fn(fd, vec, vlen, flags);
}

/**
 * connect() - connect(2), through udsproxyd for a socket on a qtfs mount
 * @fd:   socket
 * @addr: address
 * @len:  its length
 *
 * Return: as connect(2).
 */
int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	char server[QTFS_PATH_MAX];

	if (!qtfs_server_path(addr, len, server, sizeof(server)))
		return real_connect(fd, addr, len);
	return udsproxy_connect(fd, server);
}
