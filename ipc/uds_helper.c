// SPDX-License-Identifier: GPL-2.0
/*
 * Connecting to a server program's socket as the client caller.
 *
 * udsproxyd runs as root; a connect must be checked against the caller's
 * rights instead, and the server program's SO_PEERCRED must show the
 * caller.  So a helper thread takes the caller's groups, gid and uid (a
 * non-root uid drops every capability), resolves the path beneath the
 * export with openat2(RESOLVE_BENEATH), connects through /proc/self/fd
 * and passes the socket back over a socketpair with SCM_RIGHTS.
 *
 * It is a thread, not a forked process, for the server program's sake:
 * SO_PEERCRED's pid is the connecting process, and programs look it up
 * (libvirtd reads its start time from /proc) when they accept, after a
 * forked helper would have exited.  A thread's pid is udsproxyd's own,
 * which lives on.  Linux keeps credentials per thread; the raw system
 * calls change only the calling thread's, where the libc wrappers would
 * change every thread's.  The thread never switches back: it exits.
 *
 * The helper's socket is non-blocking, so it never waits on the server
 * program; a helper stuck on a hung filesystem is abandoned by the daemon
 * after UDS_HELPER_TIMEOUT_MS, and closes what it made once it returns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include "qtfs_path.h"
#include "udsproxyd.h"

#define UDS_ANON_ID	65534

/**
 * uds_squash() - apply a [Mount] entry's export options to a caller
 * @o: the options of the most specific [Mount] rule covering the path
 * @c: the caller; changed in place
 *
 * The options mean what they mean for qtfs's file operations (see
 * doc/operations.md): all_squash maps everyone, root_squash uid and gid 0,
 * to the anon ids (65534 unless anonuid=/anongid= say otherwise), and
 * uids=MIN-MAX refuses other non-root callers.  Without root_squash client
 * root stays root.
 *
 * Return: 0, or -EACCES for a uid outside uids=.
 */
int uds_squash(const struct qtsrv_export_opts *o, struct qtfs_cred *c)
{
	uint32_t anonuid = o->flags & QTSRV_EXPORT_ANONUID ? o->anonuid :
							     UDS_ANON_ID;
	uint32_t anongid = o->flags & QTSRV_EXPORT_ANONGID ? o->anongid :
							     UDS_ANON_ID;
	uint32_t i;

	if ((o->flags & QTSRV_EXPORT_UIDS) && c->fsuid &&
	    (c->fsuid < o->uid_min || c->fsuid > o->uid_max))
		return -EACCES;
	if (o->flags & QTSRV_EXPORT_ALL_SQUASH) {
		c->fsuid = anonuid;
		c->fsgid = anongid;
		c->ngroups = 0;
		return 0;
	}
	if (!(o->flags & QTSRV_EXPORT_ROOT_SQUASH))
		return 0;
	if (!c->fsuid)
		c->fsuid = anonuid;
	if (!c->fsgid)
		c->fsgid = anongid;
	for (i = 0; i < c->ngroups; i++)
		if (!c->groups[i])
			c->groups[i] = anongid;
	return 0;
}

/**
 * struct uds_helper_job - one connect as the caller, owned by its thread
 * @creds:   the caller, squashed
 * @export:  the export's path; @root is its directory
 * @path:    the socket's absolute path beneath it
 * @type:    %QTFS_UDS_STREAM or %QTFS_UDS_SEQPACKET
 * @wl:      the daemon's whitelist, for the recheck (under @wl_lock)
 * @wl_lock: &uds_daemon.wl_lock
 * @root:    the export directory, opened by the daemon
 * @fd:      the thread's end of the socketpair
 */
struct uds_helper_job {
	struct qtfs_cred creds;
	char export[QTFS_PATH_MAX];
	char path[QTFS_PATH_MAX];
	uint32_t type;
	const struct qtsrv_wl_set *wl;
	pthread_rwlock_t *wl_lock;
	int root;
	int fd;
};

/*
 * Become the caller, in this thread only: groups first, the uid last (it
 * drops the right to change the others).
 */
static int uds_helper_become(const struct qtfs_cred *c)
{
	gid_t groups[QTFS_NGROUPS_MAX];
	uint32_t i;

	for (i = 0; i < c->ngroups; i++)
		groups[i] = c->groups[i];
	if (syscall(SYS_setgroups, (size_t)c->ngroups, groups) ||
	    syscall(SYS_setresgid, c->fsgid, c->fsgid, c->fsgid) ||
	    syscall(SYS_setresuid, c->fsuid, c->fsuid, c->fsuid))
		return -errno;
	return 0;
}

/*
 * Is the socket behind @fd, as it resolved, still beneath a [Udsconnect]
 * rule?  A symlink beneath the export may lead to a part of it that the
 * rules do not open.
 */
static int uds_helper_recheck(int fd, const struct uds_helper_job *job)
{
	char link[64], real[QTFS_PATH_MAX];
	bool allowed;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(real) - 1)
		return -ENAMETOOLONG;
	real[n] = '\0';
	if (!qtfs_path_is_normal(real, n))
		return -EPERM;
	pthread_rwlock_rdlock(job->wl_lock);
	allowed = qtsrv_wl_match(job->wl, QT_WL_UDSCONNECT, real);
	pthread_rwlock_unlock(job->wl_lock);
	return allowed ? 0 : -EPERM;
}

/* The helper's work; returns the connected socket or -errno. */
static int uds_helper_connect(const struct uds_helper_job *req, int root)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	const char *rel = req->path + strlen(req->export);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, s, ret, type;
	struct stat st;

	while (*rel == '/')
		rel++;
	if (!*rel)
		return -ECONNREFUSED;	/* the export itself: a directory */
	ret = uds_helper_become(&req->creds);
	if (ret)
		return ret;
	fd = syscall(SYS_openat2, root, rel, &how, sizeof(how));
	if (fd < 0)
		return errno == EXDEV ? -ELOOP : -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out_fd;
	}
	if (!S_ISSOCK(st.st_mode)) {
		ret = -ECONNREFUSED;
		goto out_fd;
	}
	ret = uds_helper_recheck(fd, req);
	if (ret)
		goto out_fd;
	type = req->type == QTFS_UDS_SEQPACKET ? SOCK_SEQPACKET :
	       req->type == QTFS_UDS_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
	s = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		ret = -errno;
		goto out_fd;
	}
	/*
	 * A datagram socket gets an (abstract, automatic) name, so that the
	 * server program has an address to answer to, as it would for a
	 * bound local client.
	 */
	if (type == SOCK_DGRAM &&
	    bind(s, (struct sockaddr *)&sun, sizeof(sa_family_t))) {
		ret = -errno;
		goto out_sock;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d", fd);
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) &&
	    errno != EINPROGRESS) {
		ret = -errno;
		goto out_sock;
	}
	close(fd);
	return s;

out_sock:
	close(s);
out_fd:
	close(fd);
	return ret;
}

/* Send the outcome: a negative errno, and the socket if there is one. */
static void uds_helper_send(int fd, int32_t result, int sock)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u = {};
	struct iovec iov = { &result, sizeof(result) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (sock >= 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &sock, sizeof(int));
	}
	while (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* The helper thread: connect, answer, clean up after itself. */
static void *uds_helper_thread(void *arg)
{
	struct uds_helper_job *job = arg;
	int ret;

	ret = uds_helper_connect(job, job->root);
	uds_helper_send(job->fd, ret < 0 ? ret : 0, ret);
	if (ret >= 0)
		close(ret);
	close(job->fd);
	close(job->root);
	free(job);
	return NULL;
}

/**
 * uds_helper_start() - start a helper thread that connects as the caller
 * @d:   the daemon (its whitelist, for the helper's recheck)
 * @req: what to connect to, and as whom
 * @hfd: result: the daemon's end of the helper's socketpair, readable
 *       when the helper is done (see uds_helper_result()); closing it
 *       abandons the helper
 *
 * The export directory is opened here, by the daemon, as the engine
 * mounts it; everything beneath it is resolved as the caller.  The thread
 * has every signal blocked: the daemon takes its signals in the loop.
 *
 * Return: 0 or -errno (the export cannot be opened, or no thread).
 */
int uds_helper_start(struct uds_daemon *d, const struct uds_helper_req *req,
		     int *hfd)
{
	struct uds_helper_job *job;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	int sp[2], ret;

	job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	job->creds = req->creds;
	job->type = req->type;
	job->wl = &d->wl;
	job->wl_lock = &d->wl_lock;
	if (strlen(req->export) >= sizeof(job->export) ||
	    strlen(req->path) >= sizeof(job->path)) {
		ret = -ENAMETOOLONG;
		goto out_free;
	}
	strcpy(job->export, req->export);
	strcpy(job->path, req->path);
	job->root = open(req->export, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (job->root < 0) {
		ret = -errno;
		goto out_free;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
		ret = -errno;
		goto out_root;
	}
	job->fd = sp[1];
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&t, &attr, uds_helper_thread, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (ret)
		goto out_sp;
	*hfd = sp[0];
	return 0;

out_sp:
	close(sp[0]);
	close(sp[1]);
out_root:
	close(job->root);
out_free:
	free(job);
	return ret;
}

/**
 * uds_helper_result() - collect what a helper sent
 * @hfd:  the daemon's end of its socketpair (readable)
 * @sock: result: the connected socket, non-blocking, on success
 *
 * Return: 0, the helper's -errno, or -EIO if it died without answering.
 */
int uds_helper_result(int hfd, int *sock)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	int32_t result = -EIO;
	struct iovec iov = { &result, sizeof(result) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;
	int fd = -1;

	n = recvmsg(hfd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n != sizeof(result))
		return -EIO;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (result == 0 && fd >= 0) {
		*sock = fd;
		return 0;
	}
	if (fd >= 0)
		close(fd);
	return result < 0 && result >= -QTFS_ERRNO_MAX ? result : -EIO;
}
