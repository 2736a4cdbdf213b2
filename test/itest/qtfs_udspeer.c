// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_udspeer - both ends of a unix socket connection for the guest
 * checks of udsproxyd (test/vm/guest/ipc.sh).
 *
 *   qtfs_udspeer serve PATH [--seqpacket|--dgram] [--mode OCTAL]
 *	Listen on PATH and serve connections one after the other: each gets
 *	one line (stream) or message (seqpacket) "uid=U gid=G" with the
 *	peer's SO_PEERCRED, then every byte or message it sends echoed back
 *	until it shuts down its side.  With --dgram, answer each datagram to
 *	its sender with "uid=U gid=G\n" (its SCM_CREDENTIALS) and the
 *	datagram.  Runs until killed.
 *
 *   qtfs_udspeer connect PATH [--seqpacket|--dgram] [--uid U] [--gid G]
 *                [--hold|--pass-fds]
 *	Become U/G (groups: G alone), connect to PATH (started with
 *	LD_PRELOAD=libudsproxy.so the connect goes through udsproxyd) and
 *	print the server's identity line.  Then check the echo: 4 MiB of a
 *	pattern for a stream, messages of 1 B to 60 KiB with their
 *	boundaries for seqpacket, and EOF after our shutdown.  With --hold,
 *	print "held" and wait instead for the connection to end, then print
 *	"end: eof" or "end: <errno name>".  With --pass-fds, first try to
 *	pass a regular file, a directory, a pipe and a socket (SCM_RIGHTS),
 *	each of which must fail with EOPNOTSUPP and send nothing.  With
 *	--dgram, bind an automatic
 *	name and sendto() PATH datagrams of 0 B to 60 KiB, each answered
 *	whole; print the first answer's identity line.
 *
 * Exit status: 0 when every check passed; 1 with "qtfs_udspeer: <what>"
 * otherwise (a failed connect prints "connect: <errno name>"); 2 on bad
 * usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define UP_STREAM_BYTES	(4u << 20)
#define UP_MSG_MAX	(60u << 10)
#define UP_HOLD_SECS	60

struct up_opts {
	const char *path;
	int type;
	long uid, gid;
	mode_t mode;
	int hold;
	int pass_fds;
};

static int die(const char *what)
{
	printf("qtfs_udspeer: %s: %s\n", what, strerrorname_np(errno) ?: "?");
	return 1;
}

static int fail(const char *what)
{
	printf("qtfs_udspeer: %s\n", what);
	return 1;
}

static int up_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -1;
	strcpy(sun->sun_path, path);
	return 0;
}

/* The byte at @off of the stream check: not periodic in 256 or 4096. */
static unsigned char up_pattern(size_t off)
{
	return (unsigned char)(off * 7 + off / 251);
}

/* Echo everything a connection sends until it shuts down its side. */
static void up_echo(int fd)
{
	static char buf[UP_MSG_MAX + 1];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char line[64];
	ssize_t n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return;
	n = snprintf(line, sizeof(line), "uid=%u gid=%u\n", cred.uid, cred.gid);
	if (send(fd, line, n, MSG_NOSIGNAL) != n)
		return;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		if (send(fd, buf, n, MSG_NOSIGNAL) != n)
			return;
}

/* --dgram: answer every datagram with its sender's identity and itself. */
static int up_serve_dgram(int fd)
{
	static char buf[UP_MSG_MAX + 64];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} u;
	struct sockaddr_un from;
	struct iovec iov;
	struct msghdr mh;
	struct ucred cred;
	struct cmsghdr *cm;
	int on = 1, hl;
	ssize_t n;

	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)))
		return die("SO_PASSCRED");
	for (;;) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_control = u.b;
		mh.msg_controllen = sizeof(u.b);
		iov.iov_base = buf + 64;
		iov.iov_len = UP_MSG_MAX;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = recvmsg(fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return die("recvmsg");
		}
		cm = CMSG_FIRSTHDR(&mh);
		if (!cm || cm->cmsg_type != SCM_CREDENTIALS || !mh.msg_namelen)
			continue;	/* no identity or nowhere to answer */
		memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
		hl = snprintf(buf, 64, "uid=%u gid=%u\n", cred.uid, cred.gid);
		memmove(buf + hl, buf + 64, n);
		sendto(fd, buf, hl + n, MSG_DONTWAIT, (struct sockaddr *)&from,
		       mh.msg_namelen);
	}
}

static int up_serve(const struct up_opts *o)
{
	struct sockaddr_un sun;
	int lfd, fd;

	if (up_addr(o->path, &sun))
		return fail("path too long");
	lfd = socket(AF_UNIX, o->type | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return die("socket");
	unlink(o->path);
	if (bind(lfd, (struct sockaddr *)&sun, sizeof(sun)))
		return die("bind");
	if (chmod(o->path, o->mode))
		return die("chmod");
	if (o->type == SOCK_DGRAM)
		return up_serve_dgram(lfd);
	if (listen(lfd, 16))
		return die("listen");
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return die("accept");
		}
		up_echo(fd);
		close(fd);
	}
}

/* Read the server's identity line (a message of its own for seqpacket). */
static int up_hello(int fd, int type)
{
	char line[64];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(line) - 1) {
		n = recv(fd, line + got, type == SOCK_STREAM ? 1 : sizeof(line) - 1, 0);
		if (n <= 0)
			return n ? die("recv identity") : fail("EOF before identity");
		got += n;
		if (line[got - 1] == '\n')
			break;
	}
	line[got] = '\0';
	printf("%s", line);
	return strchr(line, '\n') ? 0 : fail("identity line too long");
}

/* --hold: how does a connection nobody closes from here end? */
static int up_hold(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	ssize_t n;

	printf("held\n");
	fflush(stdout);
	if (poll(&p, 1, UP_HOLD_SECS * 1000) <= 0)
		return fail("end: still open");
	n = recv(fd, &c, 1, 0);
	if (n > 0)
		return fail("end: unexpected data");
	if (!n)
		printf("end: eof\n");
	else
		printf("end: %s\n", strerrorname_np(errno) ?: "?");
	return 0;
}

/* Send one byte with @fd attached; 0 or the errno. */
static int up_send_fd(int sock, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u = {};
	struct iovec iov = { .iov_base = "F", .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.b, .msg_controllen = sizeof(u.b),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? errno : 0;
}

/*
 * --pass-fds: descriptors cannot cross hosts; each kind is refused with
 * EOPNOTSUPP and nothing of the message is sent (the echo that follows
 * would show a stray "F").
 */
static int up_pass_fds(int sock)
{
	static const char *const kinds[] = { "file", "dir", "pipe", "socket" };
	int fds[2], fd, err, i;

	for (i = 0; i < 4; i++) {
		fds[0] = fds[1] = -1;
		if (i == 0)
			fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		else if (i == 1)
			fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		else if (i == 2)
			fd = pipe(fds) ? -1 : fds[0];
		else
			fd = socketpair(AF_UNIX, SOCK_STREAM, 0, fds) ? -1 : fds[0];
		if (fd < 0)
			return die(kinds[i]);
		err = up_send_fd(sock, fd);
		close(fd);
		if (fds[1] >= 0)
			close(fds[1]);
		if (err != EOPNOTSUPP) {
			printf("pass %s: %s\n", kinds[i],
			       err ? strerrorname_np(err) ?: "?" : "sent");
			return 1;
		}
	}
	printf("pass-fds: file, dir, pipe, socket refused with EOPNOTSUPP\n");
	return 0;
}

/*
 * Stream: write the pattern and read the echo at once (the pipe through
 * both udsproxyd holds far less than 4 MiB), then expect EOF.
 */
static int up_stream(int fd)
{
	static unsigned char out[64 << 10], in[64 << 10];
	size_t sent = 0, rcvd = 0, i;
	struct pollfd p = { .fd = fd };
	ssize_t n;

	while (rcvd < UP_STREAM_BYTES) {
		p.events = POLLIN | (sent < UP_STREAM_BYTES ? POLLOUT : 0);
		if (poll(&p, 1, 30000) <= 0)
			return fail("stream stalled");
		if (p.revents & POLLOUT) {
			size_t len = UP_STREAM_BYTES - sent;

			if (len > sizeof(out))
				len = sizeof(out);
			for (i = 0; i < len; i++)
				out[i] = up_pattern(sent + i);
			n = send(fd, out, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				return die("send");
			if (n > 0)
				sent += n;
			if (sent == UP_STREAM_BYTES && shutdown(fd, SHUT_WR))
				return die("shutdown");
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN)
				return die("recv");
			if (!n)
				return fail("EOF before the whole echo");
			for (i = 0; n > 0 && i < (size_t)n; i++)
				if (in[i] != up_pattern(rcvd + i))
					return fail("echo differs");
			if (n > 0)
				rcvd += n;
		}
	}
	if (recv(fd, in, 1, 0) != 0)
		return fail("no EOF after the echo");
	printf("stream: %u bytes echoed, then EOF\n", UP_STREAM_BYTES);
	return 0;
}

/* Seqpacket: each message comes back whole and alone. */
static int up_seqpacket(int fd)
{
	static const size_t sizes[] = { 1, 100, 4096, 16385, UP_MSG_MAX };
	static unsigned char out[UP_MSG_MAX], in[UP_MSG_MAX + 1];
	size_t i, j;
	ssize_t n;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < sizes[i]; j++)
			out[j] = up_pattern(i + j);
		if (send(fd, out, sizes[i], MSG_NOSIGNAL) != (ssize_t)sizes[i])
			return die("send");
		n = recv(fd, in, sizeof(in), 0);
		if (n < 0)
			return die("recv");
		if ((size_t)n != sizes[i] || memcmp(in, out, n))
			return fail("message boundaries or bytes differ");
	}
	if (shutdown(fd, SHUT_WR))
		return die("shutdown");
	if (recv(fd, in, sizeof(in), 0) != 0)
		return fail("no EOF after shutdown");
	printf("seqpacket: %zu messages echoed whole, then EOF\n", i);
	return 0;
}

/*
 * --dgram: datagrams of every size to PATH, each answered with the
 * server's identity line and the datagram, whole.
 */
static int up_dgram(int fd, const struct sockaddr_un *sun)
{
	static const size_t sizes[] = { 0, 1, 100, 4096, 16385, UP_MSG_MAX };
	static unsigned char out[UP_MSG_MAX], in[UP_MSG_MAX + 64];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	sa_family_t autobind = AF_UNIX;
	size_t i, j;
	char *nl;
	ssize_t n;

	/* a name of our own, so that the answers have somewhere to go */
	if (bind(fd, (struct sockaddr *)&autobind, sizeof(autobind)))
		return die("bind");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < sizes[i]; j++)
			out[j] = up_pattern(i + j);
		if (sendto(fd, out, sizes[i], 0, (const struct sockaddr *)sun,
			   sizeof(*sun)) != (ssize_t)sizes[i])
			return die("sendto");
		if (poll(&p, 1, 30000) != 1)
			return fail("no answer to a datagram");
		n = recv(fd, in, sizeof(in) - 1, 0);
		if (n < 0)
			return die("recv");
		in[n] = '\0';
		nl = memchr(in, '\n', n);
		if (!nl)
			return fail("answer without an identity line");
		if (!i)
			printf("%.*s\n", (int)(nl - (char *)in), in);
		nl++;
		if ((size_t)(n - (nl - (char *)in)) != sizes[i] ||
		    memcmp(nl, out, sizes[i]))
			return fail("datagram boundaries or bytes differ");
	}
	printf("dgram: %zu datagrams answered whole\n", i);
	return 0;
}

static int up_connect(const struct up_opts *o)
{
	struct sockaddr_un sun;
	int fd, ret;

	if (up_addr(o->path, &sun))
		return fail("path too long");
	if (o->gid >= 0 && (setgroups(1, &(gid_t){ o->gid }) || setgid(o->gid)))
		return die("setgid");
	if (o->uid >= 0 && setuid(o->uid))
		return die("setuid");
	fd = socket(AF_UNIX, o->type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return die("socket");
	if (o->type == SOCK_DGRAM) {
		ret = up_dgram(fd, &sun);
		close(fd);
		return ret;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		printf("connect: %s\n", strerrorname_np(errno) ?: "?");
		return 1;
	}
	ret = up_hello(fd, o->type);
	if (!ret && o->pass_fds)
		ret = up_pass_fds(fd);
	if (!ret)
		ret = o->hold ? up_hold(fd) :
		      o->type == SOCK_STREAM ? up_stream(fd) : up_seqpacket(fd);
	close(fd);
	return ret;
}

static int usage(void)
{
	fprintf(stderr, "usage: qtfs_udspeer serve PATH [--seqpacket|--dgram] [--mode OCTAL]\n"
			"       qtfs_udspeer connect PATH [--seqpacket|--dgram] [--uid U] [--gid G]\n"
			"                    [--hold|--pass-fds]\n");
	return 2;
}

static int num(const char *s, int base, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, base);
	return errno || end == s || *end || *v < 0 || *v > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct up_opts o = { .type = SOCK_STREAM, .uid = -1, .gid = -1, .mode = 0666 };
	int serve, i;
	long v;

	if (argc < 3)
		return usage();
	serve = !strcmp(argv[1], "serve");
	if (!serve && strcmp(argv[1], "connect"))
		return usage();
	o.path = argv[2];
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--seqpacket")) {
			o.type = SOCK_SEQPACKET;
		} else if (!strcmp(argv[i], "--dgram")) {
			o.type = SOCK_DGRAM;
		} else if (!strcmp(argv[i], "--hold") && !serve) {
			o.hold = 1;
		} else if (!strcmp(argv[i], "--pass-fds") && !serve) {
			o.pass_fds = 1;
		} else if (i + 1 < argc && !strcmp(argv[i], "--mode") && serve &&
			   !num(argv[i + 1], 8, 07777, &v)) {
			o.mode = v;
			i++;
		} else if (i + 1 < argc && !strcmp(argv[i], "--uid") && !serve &&
			   !num(argv[i + 1], 10, 65535, &o.uid)) {
			i++;
		} else if (i + 1 < argc && !strcmp(argv[i], "--gid") && !serve &&
			   !num(argv[i + 1], 10, 65535, &o.gid)) {
			i++;
		} else {
			return usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	return serve ? up_serve(&o) : up_connect(&o);
}
