// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_testpeer - server-side helper of the qtfs integration tests.
 *
 *   qtfs_testpeer --root DIR --listen IP:PORT [--engine-pid PID]
 *
 * Lets qtfs_itest, running on the client, observe and modify the server's
 * own view of the exported tree (never through qtfs) and freeze the engine.
 * The line protocol is described in testpeer_proto.h.  Each connection is
 * served by a forked process, so one stuck or idle test connection never
 * blocks the next one; the listener exits on SIGTERM or SIGINT.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <linux/openat2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"
#include "rmtree.h"
#include "testpeer_proto.h"

#define TP_MAX_ARGS		4		/* arguments after the command */
#define TP_MAX_CHILDREN		64		/* concurrent connections */
#define TP_IO_BLOCK		(1U << 20)	/* read/pwrite buffer */
#define TP_CHUNK_MAX		(16U << 20)	/* WRITE <chunk> cap */
#define TP_SIZE_MAX		(1ULL << 40)	/* WRITE/HASHRANGE size cap */
#define TP_PWRITE_MAX		(64ULL << 20)	/* PWRITE <len> cap */
#define TP_MKFILES_MAX		1000000ULL
#define TP_STOP_WAIT_MS		5000		/* wait for threads to stop */
#define TP_POLL_MS		20

/**
 * struct tp_conn - one client connection, owned by its serving process
 * @fd:      the connected socket
 * @rlen:    bytes buffered in @rbuf
 * @discard: dropping the rest of an over-long line
 * @rbuf:    receive buffer
 * @out:     reply being assembled
 */
struct tp_conn {
	int fd;
	size_t rlen;
	bool discard;
	char rbuf[TESTPEER_LINE_MAX];
	char out[TESTPEER_LINE_MAX];
};

/*
 * Process-wide state.  The listener only sets them up; each connection
 * process owns its copy.  The sig_atomic_t ones are shared with handlers.
 */
static int tp_rootfd = -1;
static pid_t tp_engine_pid;			/* 0: no --engine-pid */
static volatile sig_atomic_t tp_engine_stopped;	/* by this connection */
static volatile sig_atomic_t tp_term;		/* listener: SIGTERM seen */

/* --- replies ------------------------------------------------------------ */

static int tp_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int tp_vreply(struct tp_conn *c, const char *prefix, const char *fmt,
		     va_list ap)
{
	size_t cap = sizeof(c->out) - 1;	/* room for '\n' */
	int n = snprintf(c->out, cap, "%s", prefix);

	if (fmt && n >= 0 && (size_t)n < cap) {
		int m = vsnprintf(c->out + n, cap - (size_t)n, fmt, ap);

		if (m > 0)
			n += m;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n >= cap)
		n = (int)cap - 1;
	c->out[n++] = '\n';
	return tp_write_all(c->fd, c->out, (size_t)n);
}

/* "OK" or "OK <formatted fields>" */
__attribute__((format(printf, 2, 3)))
static int tp_ok(struct tp_conn *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = tp_vreply(c, fmt ? "OK " : "OK", fmt, ap);
	va_end(ap);
	return ret;
}

/* "ERR <err> <formatted reason>" */
__attribute__((format(printf, 3, 4)))
static int tp_err(struct tp_conn *c, int err, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;
	int ret;

	snprintf(prefix, sizeof(prefix), "ERR %d ", err);
	va_start(ap, fmt);
	ret = tp_vreply(c, prefix, fmt, ap);
	va_end(ap);
	return ret;
}

/* "ERR <err> <what> <rel>: <strerror>" for a failed system call. */
static int tp_syserr(struct tp_conn *c, int err, const char *what,
		     const char *rel)
{
	return tp_err(c, err, "%s %s: %s", what, rel, strerror(err));
}

/* --- input validation --------------------------------------------------- */

/*
 * Parse an unsigned number in @base (10 or 8) no larger than @max.  Only
 * digits are accepted: strtoull alone would take "-1", " 1" or "0x1".
 */
static int tp_parse_u64(const char *s, int base, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	const char *p;
	char *end;

	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > (base == 8 ? '7' : '9'))
			return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Reply ERR and return false unless @s parses; @name goes in the reason. */
static bool tp_num(struct tp_conn *c, const char *name, const char *s,
		   int base, uint64_t max, uint64_t *out)
{
	int ret = tp_parse_u64(s, base, max, out);

	if (!ret)
		return true;
	if (ret == -ERANGE)
		tp_err(c, ERANGE, "%s %s out of range (max %llu)", name, s,
		       (unsigned long long)max);
	else
		tp_err(c, EINVAL, "%s %s is not an unsigned %s number", name,
		       s, base == 8 ? "octal" : "decimal");
	return false;
}

static bool tp_has_ctrl(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

/* NULL if @rel is acceptable, else why not. */
static const char *tp_rel_invalid(const char *rel)
{
	size_t len = strlen(rel);
	const char *p;

	if (!len)
		return "empty path";
	if (len >= PATH_MAX)
		return "path too long";
	if (rel[0] == '/')
		return "path must be relative";
	if (tp_has_ctrl(rel))
		return "control character in path";
	for (p = rel; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "\"..\" component in path";
		p += n;
		p += strspn(p, "/");
	}
	return NULL;
}

/* True if @rel names the root itself ("." components only). */
static bool tp_rel_is_root(const char *rel)
{
	for (const char *p = rel; *p; p++) {
		if (*p != '.' && *p != '/')
			return false;
	}
	return true;
}

/* Reply ERR and return false unless @rel is acceptable. */
static bool tp_rel(struct tp_conn *c, const char *rel)
{
	const char *why = tp_rel_invalid(rel);

	if (!why)
		return true;
	tp_err(c, EINVAL, "bad path: %s", why);
	return false;
}

/* --- path resolution beneath the root ----------------------------------- */

/*
 * Open (O_PATH) the directory that holds the last component of @rel,
 * resolved beneath the root, and copy that component into @base.
 * Returns the fd or -errno.
 */
static int tp_open_parent(const char *rel, char base[NAME_MAX + 1])
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	char dir[PATH_MAX];
	const char *b, *dirpath;
	size_t len = strlen(rel);
	char *slash;
	long fd;

	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, rel, len + 1);
	while (len > 1 && dir[len - 1] == '/')
		dir[--len] = '\0';
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		b = slash + 1;
		dirpath = dir;
	} else {
		b = dir;
		dirpath = ".";
	}
	if (strlen(b) > NAME_MAX)
		return -ENAMETOOLONG;
	strcpy(base, b);
	fd = syscall(SYS_openat2, tp_rootfd, dirpath, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* openat() of @rel beneath the root, never following a final symlink. */
static int tp_open(const char *rel, int flags, mode_t mode)
{
	char base[NAME_MAX + 1];
	int pfd, fd, err;

	pfd = tp_open_parent(rel, base);
	if (pfd < 0)
		return pfd;
	fd = openat(pfd, base, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	err = errno;
	close(pfd);
	return fd < 0 ? -err : fd;
}

/* --- commands ----------------------------------------------------------- */

static int tp_cmd_ping(struct tp_conn *c, char **argv)
{
	(void)argv;
	return tp_ok(c, "PONG");
}

static int tp_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int tp_close(int fd)
{
	return close(fd) ? -errno : 0;
}

/* WRITE <rel> <size> <seed> <chunk> */
static int tp_cmd_write(struct tp_conn *c, char **argv)
{
	uint64_t size, seed, chunk, off;
	unsigned char *buf;
	int fd, ret = 0;

	if (!tp_rel(c, argv[0]) ||
	    !tp_num(c, "size", argv[1], 10, TP_SIZE_MAX, &size) ||
	    !tp_num(c, "seed", argv[2], 10, UINT64_MAX, &seed) ||
	    !tp_num(c, "chunk", argv[3], 10, TP_CHUNK_MAX, &chunk))
		return 0;
	if (!chunk)
		return tp_err(c, EINVAL, "chunk must be at least 1");
	buf = malloc(chunk);
	if (!buf)
		return tp_err(c, ENOMEM, "no memory for a %llu byte chunk",
			      (unsigned long long)chunk);
	fd = tp_open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		free(buf);
		return tp_syserr(c, -fd, "open", argv[0]);
	}
	for (off = 0; off < size && !ret; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;

		pat_fill(buf, seed, off, n);
		ret = tp_write_all(fd, buf, n);
	}
	free(buf);
	if (ret) {
		close(fd);
		return tp_syserr(c, -ret, "write", argv[0]);
	}
	ret = tp_close(fd);
	if (ret)
		return tp_syserr(c, -ret, "close", argv[0]);
	return tp_ok(c, "%llu", (unsigned long long)size);
}

/* PWRITE <rel> <off> <len> <seed> */
static int tp_cmd_pwrite(struct tp_conn *c, char **argv)
{
	uint64_t off, len, seed, done;
	unsigned char *buf;
	int fd, ret = 0;

	if (!tp_rel(c, argv[0]) ||
	    !tp_num(c, "offset", argv[1], 10, INT64_MAX, &off) ||
	    !tp_num(c, "length", argv[2], 10, TP_PWRITE_MAX, &len) ||
	    !tp_num(c, "seed", argv[3], 10, UINT64_MAX, &seed))
		return 0;
	if (off > (uint64_t)INT64_MAX - len)
		return tp_err(c, EFBIG, "offset + length overflows off_t");
	buf = malloc(TP_IO_BLOCK);
	if (!buf)
		return tp_err(c, ENOMEM, "no memory");
	fd = tp_open(argv[0], O_WRONLY | O_CREAT, 0644);
	if (fd < 0) {
		free(buf);
		return tp_syserr(c, -fd, "open", argv[0]);
	}
	for (done = 0; done < len && !ret; done += TP_IO_BLOCK) {
		size_t n = len - done < TP_IO_BLOCK ? len - done : TP_IO_BLOCK;

		pat_fill(buf, seed, off + done, n);
		ret = tp_pwrite_all(fd, buf, n, off + done);
	}
	free(buf);
	if (ret) {
		close(fd);
		return tp_syserr(c, -ret, "pwrite", argv[0]);
	}
	ret = tp_close(fd);
	if (ret)
		return tp_syserr(c, -ret, "close", argv[0]);
	return tp_ok(c, "%llu", (unsigned long long)len);
}

/*
 * Hash up to @len bytes of @fd from @off (or to EOF when @to_eof); the
 * count read goes to *@nread.  Returns 0 or -errno.
 */
static int tp_hash_fd(int fd, uint64_t off, uint64_t len, bool to_eof,
		      uint64_t *nread, uint64_t *hash)
{
	unsigned char *buf = malloc(TP_IO_BLOCK);
	struct pat_hash ph;
	uint64_t done = 0;

	if (!buf)
		return -ENOMEM;
	pat_hash_init(&ph);
	while (to_eof || done < len) {
		size_t want = TP_IO_BLOCK;
		ssize_t n;

		if (!to_eof && len - done < want)
			want = len - done;
		n = pread(fd, buf, want, (off_t)(off + done));
		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			free(buf);
			return -err;
		}
		if (n == 0)
			break;
		pat_hash_update(&ph, buf, (size_t)n);
		done += (uint64_t)n;
	}
	free(buf);
	*nread = done;
	*hash = pat_hash_final(&ph);
	return 0;
}

/* HASH <rel> */
static int tp_cmd_hash(struct tp_conn *c, char **argv)
{
	uint64_t size, hash;
	int fd, ret;

	if (!tp_rel(c, argv[0]))
		return 0;
	fd = tp_open(argv[0], O_RDONLY, 0);
	if (fd < 0)
		return tp_syserr(c, -fd, "open", argv[0]);
	ret = tp_hash_fd(fd, 0, 0, true, &size, &hash);
	close(fd);
	if (ret)
		return tp_syserr(c, -ret, "read", argv[0]);
	return tp_ok(c, "%llu %016llx", (unsigned long long)size,
		     (unsigned long long)hash);
}

/* HASHRANGE <rel> <off> <len> */
static int tp_cmd_hashrange(struct tp_conn *c, char **argv)
{
	uint64_t off, len, nread, hash;
	int fd, ret;

	if (!tp_rel(c, argv[0]) ||
	    !tp_num(c, "offset", argv[1], 10, INT64_MAX, &off) ||
	    !tp_num(c, "length", argv[2], 10, TP_SIZE_MAX, &len))
		return 0;
	if (off > (uint64_t)INT64_MAX - len)
		return tp_err(c, EFBIG, "offset + length overflows off_t");
	fd = tp_open(argv[0], O_RDONLY, 0);
	if (fd < 0)
		return tp_syserr(c, -fd, "open", argv[0]);
	ret = tp_hash_fd(fd, off, len, false, &nread, &hash);
	close(fd);
	if (ret)
		return tp_syserr(c, -ret, "pread", argv[0]);
	return tp_ok(c, "%llu %016llx", (unsigned long long)nread,
		     (unsigned long long)hash);
}

/* STAT <rel> */
static int tp_cmd_stat(struct tp_conn *c, char **argv)
{
	char base[NAME_MAX + 1];
	struct stat st;
	int pfd, ret;

	if (!tp_rel(c, argv[0]))
		return 0;
	pfd = tp_open_parent(argv[0], base);
	if (pfd < 0)
		return tp_syserr(c, -pfd, "lookup", argv[0]);
	ret = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) ? errno : 0;
	close(pfd);
	if (ret)
		return tp_syserr(c, ret, "stat", argv[0]);
	return tp_ok(c, "%o %llu %llu %llu %u %u", (unsigned int)st.st_mode,
		     (unsigned long long)st.st_size,
		     (unsigned long long)st.st_ino,
		     (unsigned long long)st.st_nlink, (unsigned int)st.st_uid,
		     (unsigned int)st.st_gid);
}

/* MKDIR <rel> <mode> */
static int tp_cmd_mkdir(struct tp_conn *c, char **argv)
{
	char base[NAME_MAX + 1];
	uint64_t mode;
	int pfd, ret;

	if (!tp_rel(c, argv[0]) ||
	    !tp_num(c, "mode", argv[1], 8, 07777, &mode))
		return 0;
	pfd = tp_open_parent(argv[0], base);
	if (pfd < 0)
		return tp_syserr(c, -pfd, "lookup", argv[0]);
	ret = mkdirat(pfd, base, (mode_t)mode) ? errno : 0;
	close(pfd);
	if (ret)
		return tp_syserr(c, ret, "mkdir", argv[0]);
	return tp_ok(c, NULL);
}

static int tp_unlink_common(struct tp_conn *c, const char *rel, int flags)
{
	const char *what = flags ? "rmdir" : "unlink";
	char base[NAME_MAX + 1];
	int pfd, ret;

	if (!tp_rel(c, rel))
		return 0;
	pfd = tp_open_parent(rel, base);
	if (pfd < 0)
		return tp_syserr(c, -pfd, "lookup", rel);
	ret = unlinkat(pfd, base, flags) ? errno : 0;
	close(pfd);
	if (ret)
		return tp_syserr(c, ret, what, rel);
	return tp_ok(c, NULL);
}

/* RMDIR <rel> */
static int tp_cmd_rmdir(struct tp_conn *c, char **argv)
{
	return tp_unlink_common(c, argv[0], AT_REMOVEDIR);
}

/* UNLINK <rel> */
static int tp_cmd_unlink(struct tp_conn *c, char **argv)
{
	return tp_unlink_common(c, argv[0], 0);
}

static bool tp_is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* LIST <rel> */
static int tp_cmd_list(struct tp_conn *c, char **argv)
{
	unsigned long long count = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	if (!tp_rel(c, argv[0]))
		return 0;
	fd = tp_open(argv[0], O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return tp_syserr(c, -fd, "open", argv[0]);
	d = fdopendir(fd);
	if (!d) {
		int err = errno;

		close(fd);
		return tp_syserr(c, err, "fdopendir", argv[0]);
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (!tp_is_dot(de->d_name))
			count++;
	}
	if (errno) {
		int err = errno;

		closedir(d);
		return tp_syserr(c, err, "readdir", argv[0]);
	}
	closedir(d);
	return tp_ok(c, "%llu", count);
}

/* MKFILES <rel> <count> <prefix> */
static int tp_cmd_mkfiles(struct tp_conn *c, char **argv)
{
	const char *prefix = argv[2];
	char name[NAME_MAX + 1];
	uint64_t count, i;
	int dfd;

	if (!tp_rel(c, argv[0]) ||
	    !tp_num(c, "count", argv[1], 10, TP_MKFILES_MAX, &count))
		return 0;
	if (strchr(prefix, '/') || tp_rel_invalid(prefix) ||
	    strlen(prefix) > NAME_MAX - 10 || tp_is_dot(prefix))
		return tp_err(c, EINVAL, "bad prefix %s", prefix);
	dfd = tp_open(argv[0], O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0)
		return tp_syserr(c, -dfd, "open", argv[0]);
	for (i = 0; i < count; i++) {
		int fd;

		snprintf(name, sizeof(name), TESTPEER_MKFILES_FMT, prefix,
			 (unsigned int)i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0644);
		if (fd < 0) {
			int err = errno;

			close(dfd);
			return tp_err(c, err, "create %s/%s: %s", argv[0],
				      name, strerror(err));
		}
		close(fd);
	}
	close(dfd);
	return tp_ok(c, "%llu", (unsigned long long)count);
}

/* RMTREE <rel> */
static int tp_cmd_rmtree(struct tp_conn *c, char **argv)
{
	char base[NAME_MAX + 1];
	int pfd, ret;

	if (!tp_rel(c, argv[0]))
		return 0;
	if (tp_rel_is_root(argv[0]))
		return tp_err(c, EINVAL, "refusing to remove the root");
	pfd = tp_open_parent(argv[0], base);
	if (pfd < 0)
		return tp_syserr(c, -pfd, "lookup", argv[0]);
	ret = qt_rmtree_at(pfd, base);
	close(pfd);
	if (ret)
		return tp_syserr(c, -ret, "rmtree", argv[0]);
	return tp_ok(c, NULL);
}

static int tp_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* PUTDATA <rel> [<hex>] */
static int tp_cmd_putdata(struct tp_conn *c, char **argv)
{
	unsigned char data[TESTPEER_DATA_MAX];
	const char *hex = argv[1] ? argv[1] : "";
	size_t hlen = strlen(hex), len = hlen / 2, i;
	int fd, ret;

	if (!tp_rel(c, argv[0]))
		return 0;
	if (hlen % 2 || len > sizeof(data))
		return tp_err(c, EINVAL, "data must be an even number of hex digits, at most %d bytes",
			      TESTPEER_DATA_MAX);
	for (i = 0; i < len; i++) {
		int hi = tp_hexval(hex[2 * i]), lo = tp_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return tp_err(c, EINVAL, "bad hex digit at %zu", 2 * i);
		data[i] = (unsigned char)(hi << 4 | lo);
	}
	fd = tp_open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return tp_syserr(c, -fd, "open", argv[0]);
	ret = tp_write_all(fd, data, len);
	if (ret) {
		close(fd);
		return tp_syserr(c, -ret, "write", argv[0]);
	}
	ret = tp_close(fd);
	if (ret)
		return tp_syserr(c, -ret, "close", argv[0]);
	return tp_ok(c, "%zu", len);
}

/* GETDATA <rel> <max> */
static int tp_cmd_getdata(struct tp_conn *c, char **argv)
{
	char hex[2 * TESTPEER_DATA_MAX + 1];
	unsigned char data[TESTPEER_DATA_MAX];
	size_t len = 0, i;
	uint64_t max;
	int fd;

	if (!tp_rel(c, argv[0]) ||
	    !tp_num(c, "max", argv[1], 10, TESTPEER_DATA_MAX, &max))
		return 0;
	fd = tp_open(argv[0], O_RDONLY, 0);
	if (fd < 0)
		return tp_syserr(c, -fd, "open", argv[0]);
	while (len < max) {
		ssize_t n = read(fd, data + len, max - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			close(fd);
			return tp_syserr(c, err, "read", argv[0]);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", data[i]);
	hex[2 * len] = '\0';
	if (!len)
		return tp_ok(c, "0");
	return tp_ok(c, "%zu %s", len, hex);
}

/*
 * Count the threads of @pid and how many of them are stopped ('T' or 't'
 * in /proc/<pid>/task/<tid>/stat).  Returns 0 or -errno.
 */
static int tp_thread_states(pid_t pid, unsigned int *total,
			    unsigned int *stopped)
{
	char path[64], buf[512];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	*total = *stopped = 0;
	while ((de = readdir(d))) {
		char *rp;
		ssize_t n;
		int fd;

		if (tp_is_dot(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat",
			 (int)pid, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;	/* thread exited meanwhile */
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		rp = strrchr(buf, ')');
		(*total)++;
		if (rp && (rp[1] == ' ') && (rp[2] == 'T' || rp[2] == 't'))
			(*stopped)++;
	}
	closedir(d);
	return *total ? 0 : -ESRCH;
}

static void tp_resume_engine(void)
{
	if (tp_engine_stopped) {
		kill(tp_engine_pid, SIGCONT);
		tp_engine_stopped = 0;
	}
}

/* STOP_ENGINE [<secs>] */
static int tp_cmd_stop_engine(struct tp_conn *c, char **argv)
{
	unsigned int total = 0, stopped = 0;
	uint64_t secs = TESTPEER_STOP_DEFAULT;
	int waited, ret = 0;

	if (argv[0] && !tp_num(c, "secs", argv[0], 10, TESTPEER_STOP_MAX,
			       &secs))
		return 0;
	if (!secs)
		return tp_err(c, EINVAL, "secs must be at least 1");
	if (!tp_engine_pid)
		return tp_err(c, ESRCH, "no --engine-pid given to qtfs_testpeer");
	if (kill(tp_engine_pid, SIGSTOP))
		return tp_err(c, errno, "SIGSTOP engine pid %d: %s",
			      (int)tp_engine_pid, strerror(errno));
	tp_engine_stopped = 1;
	alarm((unsigned int)secs);
	for (waited = 0; waited <= TP_STOP_WAIT_MS; waited += TP_POLL_MS) {
		ret = tp_thread_states(tp_engine_pid, &total, &stopped);
		if (ret || stopped == total)
			break;
		usleep(TP_POLL_MS * 1000);
	}
	if (!ret && stopped == total)
		return tp_ok(c, "%u", total);
	alarm(0);
	tp_resume_engine();
	if (ret)
		return tp_err(c, -ret, "engine pid %d threads: %s",
			      (int)tp_engine_pid, strerror(-ret));
	return tp_err(c, ETIMEDOUT,
		      "only %u of %u engine threads stopped within %d ms (are worker waits interruptible?)",
		      stopped, total, TP_STOP_WAIT_MS);
}

/* CONT_ENGINE */
static int tp_cmd_cont_engine(struct tp_conn *c, char **argv)
{
	(void)argv;
	if (!tp_engine_pid)
		return tp_err(c, ESRCH, "no --engine-pid given to qtfs_testpeer");
	alarm(0);
	tp_engine_stopped = 0;
	if (kill(tp_engine_pid, SIGCONT))
		return tp_err(c, errno, "SIGCONT engine pid %d: %s",
			      (int)tp_engine_pid, strerror(errno));
	return tp_ok(c, NULL);
}

/* GETXATTR <rel> <name>: lgetxattr, the value in hex */
static int tp_cmd_getxattr(struct tp_conn *c, char **argv)
{
	char hex[2 * TESTPEER_DATA_MAX + 1];
	unsigned char val[TESTPEER_DATA_MAX];
	char base[NAME_MAX + 1], path[64 + NAME_MAX];
	ssize_t n, i;
	int pfd, err;

	if (!tp_rel(c, argv[0]))
		return 0;
	pfd = tp_open_parent(argv[0], base);
	if (pfd < 0)
		return tp_syserr(c, -pfd, "lookup", argv[0]);
	/* the parent through its fd, the final component not followed */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, base);
	n = lgetxattr(path, argv[1], val, sizeof(val));
	err = errno;
	close(pfd);
	if (n < 0)
		return tp_syserr(c, err, "lgetxattr", argv[0]);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", val[i]);
	hex[2 * n] = '\0';
	return n ? tp_ok(c, "%zd %s", n, hex) : tp_ok(c, "0");
}

/*
 * ACCESSAS <rel> <uid> <gid> <mask>: faccessat(<mask>) in a child running
 * as <uid>/<gid> without supplementary groups: the server's own verdict.
 */
static int tp_cmd_accessas(struct tp_conn *c, char **argv)
{
	uint64_t uid, gid, mask;
	char base[NAME_MAX + 1];
	int pfd, status;
	pid_t pid;

	if (!tp_rel(c, argv[0]) || !tp_num(c, "uid", argv[1], 10, 65535, &uid) ||
	    !tp_num(c, "gid", argv[2], 10, 65535, &gid) ||
	    !tp_num(c, "mask", argv[3], 10, 7, &mask))
		return 0;
	pfd = tp_open_parent(argv[0], base);
	if (pfd < 0)
		return tp_syserr(c, -pfd, "lookup", argv[0]);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(255);
		_exit(faccessat(pfd, base, (int)mask, AT_SYMLINK_NOFOLLOW) ?
		      errno : 0);
	}
	close(pfd);
	if (pid < 0)
		return tp_syserr(c, errno, "fork", argv[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) == 255)
		return tp_err(c, EIO, "ACCESSAS child failed");
	if (WEXITSTATUS(status))
		return tp_err(c, WEXITSTATUS(status), "access denied");
	return tp_ok(c, "0");
}

/*
 * Server module parameters a test may change.  Each PARAM saves the value
 * first, and the connection's end (also by a signal) writes it back, so a
 * failed test leaves the server as it found it.
 */
#define TP_PARAM_DIR	"/sys/module/qtfs_server/parameters/"
#define TP_PARAM_VALUE	32

static struct tp_param {
	const char *name;
	char saved[TP_PARAM_VALUE];	/* "" until this connection sets it */
} tp_params[] = {
	{ .name = "qtfs_server_root_squash" },
	{ .name = "qtfs_server_conn_workers" },
};

#define TP_NR_PARAMS	(sizeof(tp_params) / sizeof(tp_params[0]))

static int tp_param_io(const char *name, char *buf, size_t len, bool wr)
{
	char path[128];
	ssize_t n;
	int fd, ret = 0;

	snprintf(path, sizeof(path), TP_PARAM_DIR "%s", name);
	fd = open(path, (wr ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = wr ? write(fd, buf, len) : read(fd, buf, len - 1);
	if (n < 0)
		ret = -errno;
	else if (!wr)
		buf[n] = '\0';
	close(fd);
	return ret;
}

/* Undo this connection's PARAMs. */
static void tp_params_restore(void)
{
	size_t i;

	for (i = 0; i < TP_NR_PARAMS; i++) {
		if (!tp_params[i].saved[0])
			continue;
		tp_param_io(tp_params[i].name, tp_params[i].saved,
			    strlen(tp_params[i].saved), true);
		tp_params[i].saved[0] = '\0';
	}
}

/*
 * PARAM <name> [<value>]: set a server parameter until this connection
 * ends; without a value, put back the one it had before.
 */
static int tp_cmd_param(struct tp_conn *c, char **argv)
{
	struct tp_param *p = NULL;
	uint64_t v;
	char buf[TP_PARAM_VALUE];
	size_t i;
	int ret;

	for (i = 0; i < TP_NR_PARAMS; i++)
		if (!strcmp(argv[0], tp_params[i].name))
			p = &tp_params[i];
	if (!p)
		return tp_err(c, EINVAL, "parameter %s may not be set", argv[0]);
	if (!argv[1]) {
		if (p->saved[0]) {
			ret = tp_param_io(p->name, p->saved, strlen(p->saved),
					  true);
			if (ret)
				return tp_syserr(c, -ret, "write", p->name);
			p->saved[0] = '\0';
		}
		return tp_ok(c, "restored");
	}
	if (!tp_num(c, "value", argv[1], 10, 4096, &v))
		return 0;
	if (!p->saved[0]) {
		ret = tp_param_io(p->name, p->saved, sizeof(p->saved), false);
		if (ret) {
			p->saved[0] = '\0';
			return tp_syserr(c, -ret, "read", p->name);
		}
	}
	snprintf(buf, sizeof(buf), "%u\n", (unsigned int)v);
	ret = tp_param_io(p->name, buf, strlen(buf), true);
	if (ret)
		return tp_syserr(c, -ret, "write", p->name);
	return tp_ok(c, "%u", (unsigned int)v);
}

/* --- locks --------------------------------------------------------------- */

/* The file LKOPEN opened for the lock commands of this connection. */
static int tp_lock_fd = -1;

/* LKOPEN <rel> */
static int tp_cmd_lkopen(struct tp_conn *c, char **argv)
{
	int fd;

	if (!tp_rel(c, argv[0]))
		return 0;
	fd = tp_open(argv[0], O_RDWR, 0);
	if (fd < 0)
		return tp_syserr(c, -fd, "open", argv[0]);
	if (tp_lock_fd >= 0)
		close(tp_lock_fd);
	tp_lock_fd = fd;
	return tp_ok(c, NULL);
}

/* LKCLOSE */
static int tp_cmd_lkclose(struct tp_conn *c, char **argv)
{
	(void)argv;
	if (tp_lock_fd < 0)
		return tp_err(c, EBADF, "no LKOPEN file");
	close(tp_lock_fd);
	tp_lock_fd = -1;
	return tp_ok(c, NULL);
}

/* Parse "<kind> <type> <start> <len>" into @fl; false after a reply. */
static bool tp_lock_args(struct tp_conn *c, char **argv, int *kind,
			 struct flock *fl)
{
	static const char *const kinds[] = { "posix", "ofd", "flock" };
	static const char *const types[] = { "rd", "wr", "un" };
	static const short ftypes[] = { F_RDLCK, F_WRLCK, F_UNLCK };
	uint64_t start, len;
	int i;

	if (tp_lock_fd < 0) {
		tp_err(c, EBADF, "no LKOPEN file");
		return false;
	}
	*kind = -1;
	for (i = 0; i < 3; i++)
		if (!strcmp(argv[0], kinds[i]))
			*kind = i;
	memset(fl, 0, sizeof(*fl));
	fl->l_type = -1;
	for (i = 0; i < 3; i++)
		if (!strcmp(argv[1], types[i]))
			fl->l_type = ftypes[i];
	if (*kind < 0 || fl->l_type == -1) {
		tp_err(c, EINVAL, "kind must be posix, ofd or flock, type rd, wr or un");
		return false;
	}
	if (!tp_num(c, "start", argv[2], 10, INT64_MAX, &start) ||
	    !tp_num(c, "len", argv[3], 10, INT64_MAX, &len))
		return false;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)start;
	fl->l_len = (off_t)len;
	return true;
}

/* LOCK <posix|ofd|flock> <rd|wr|un> <start> <len>  (never waits) */
static int tp_cmd_lock(struct tp_conn *c, char **argv)
{
	static const int flock_ops[] = { [F_RDLCK] = LOCK_SH,
					 [F_WRLCK] = LOCK_EX,
					 [F_UNLCK] = LOCK_UN };
	struct flock fl;
	int kind, ret;

	if (!tp_lock_args(c, argv, &kind, &fl))
		return 0;
	if (kind == 2)
		ret = flock(tp_lock_fd, flock_ops[fl.l_type] | LOCK_NB);
	else
		ret = fcntl(tp_lock_fd, kind ? F_OFD_SETLK : F_SETLK, &fl);
	if (ret)
		return tp_syserr(c, errno, "lock", argv[0]);
	return tp_ok(c, NULL);
}

/* LKTEST <posix|ofd> <rd|wr> <start> <len> */
static int tp_cmd_lktest(struct tp_conn *c, char **argv)
{
	static const char *const names[] = { [F_RDLCK] = "rd",
					      [F_WRLCK] = "wr",
					      [F_UNLCK] = "un" };
	struct flock fl;
	int kind;

	if (!tp_lock_args(c, argv, &kind, &fl))
		return 0;
	if (kind == 2 || fl.l_type == F_UNLCK)
		return tp_err(c, EINVAL, "LKTEST takes posix or ofd, rd or wr");
	if (fcntl(tp_lock_fd, kind ? F_OFD_GETLK : F_GETLK, &fl))
		return tp_syserr(c, errno, "getlk", argv[0]);
	return tp_ok(c, "%s %lld %lld %d", names[fl.l_type],
		     (long long)fl.l_start, (long long)fl.l_len, (int)fl.l_pid);
}

#define TP_QUIT 1

/* QUIT */
static int tp_cmd_quit(struct tp_conn *c, char **argv)
{
	(void)argv;
	return tp_ok(c, "BYE") ? -EPIPE : TP_QUIT;
}

/* Largest TMPFS size, KiB: the guest's memory is small. */
#define TP_TMPFS_MAX_KIB	(64 * 1024)

/*
 * TMPFS <rel> <kib>: mount a tmpfs of <kib> KiB on the directory <rel>, so
 * that writes below it run out of space (ENOSPC tests).
 */
static int tp_cmd_tmpfs(struct tp_conn *c, char **argv)
{
	char fdpath[64], opts[64];
	uint64_t kib;
	int fd, ret;

	if (!tp_rel(c, argv[0]) ||
	    !tp_num(c, "kib", argv[1], 10, TP_TMPFS_MAX_KIB, &kib))
		return 0;
	if (!kib)
		return tp_err(c, EINVAL, "size must be at least 1 KiB");
	fd = tp_open(argv[0], O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return tp_syserr(c, -fd, "open", argv[0]);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	snprintf(opts, sizeof(opts), "size=%lluk,mode=0777",
		 (unsigned long long)kib);
	ret = mount("tmpfs", fdpath, "tmpfs", MS_NOSUID | MS_NODEV, opts) ?
	      errno : 0;
	close(fd);
	if (ret)
		return tp_syserr(c, ret, "mount tmpfs on", argv[0]);
	return tp_ok(c, NULL);
}

/* UMOUNT <rel>: detach what is mounted on the directory <rel>. */
static int tp_cmd_umount(struct tp_conn *c, char **argv)
{
	char fdpath[64];
	int fd, ret;

	if (!tp_rel(c, argv[0]))
		return 0;
	fd = tp_open(argv[0], O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return tp_syserr(c, -fd, "open", argv[0]);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	ret = umount2(fdpath, MNT_DETACH) ? errno : 0;
	close(fd);
	if (ret)
		return tp_syserr(c, ret, "umount", argv[0]);
	return tp_ok(c, NULL);
}

/**
 * struct tp_cmd - one protocol command
 * @name:     command word
 * @min_args: arguments required after the command word
 * @max_args: arguments allowed
 * @fn:       handler; sends exactly one reply.  Returns 0 to go on,
 *            TP_QUIT to close after the reply, -errno if the reply failed.
 *            Unused argv slots are NULL.
 * @usage:    argument synopsis for error replies
 */
struct tp_cmd {
	const char *name;
	int min_args;
	int max_args;
	int (*fn)(struct tp_conn *c, char **argv);
	const char *usage;
};

static const struct tp_cmd tp_cmds[] = {
	{ "PING",        0, 0, tp_cmd_ping,        "" },
	{ "WRITE",       4, 4, tp_cmd_write,       "<rel> <size> <seed> <chunk>" },
	{ "PWRITE",      4, 4, tp_cmd_pwrite,      "<rel> <off> <len> <seed>" },
	{ "HASH",        1, 1, tp_cmd_hash,        "<rel>" },
	{ "HASHRANGE",   3, 3, tp_cmd_hashrange,   "<rel> <off> <len>" },
	{ "STAT",        1, 1, tp_cmd_stat,        "<rel>" },
	{ "MKDIR",       2, 2, tp_cmd_mkdir,       "<rel> <octal mode>" },
	{ "RMDIR",       1, 1, tp_cmd_rmdir,       "<rel>" },
	{ "UNLINK",      1, 1, tp_cmd_unlink,      "<rel>" },
	{ "LIST",        1, 1, tp_cmd_list,        "<rel>" },
	{ "MKFILES",     3, 3, tp_cmd_mkfiles,     "<rel> <count> <prefix>" },
	{ "RMTREE",      1, 1, tp_cmd_rmtree,      "<rel>" },
	{ "PUTDATA",     1, 2, tp_cmd_putdata,     "<rel> [<hex>]" },
	{ "GETDATA",     2, 2, tp_cmd_getdata,     "<rel> <max>" },
	{ "STOP_ENGINE", 0, 1, tp_cmd_stop_engine, "[<secs>]" },
	{ "CONT_ENGINE", 0, 0, tp_cmd_cont_engine, "" },
	{ "QUIT",        0, 0, tp_cmd_quit,        "" },
	{ "TMPFS",       2, 2, tp_cmd_tmpfs,       "<rel> <kib>" },
	{ "UMOUNT",      1, 1, tp_cmd_umount,      "<rel>" },
	{ "GETXATTR",    2, 2, tp_cmd_getxattr,    "<rel> <name>" },
	{ "ACCESSAS",    4, 4, tp_cmd_accessas,    "<rel> <uid> <gid> <mask>" },
	{ "PARAM",       1, 2, tp_cmd_param,       "<name> [<value>]" },
	{ "LKOPEN",      1, 1, tp_cmd_lkopen,      "<rel>" },
	{ "LOCK",        4, 4, tp_cmd_lock,        "<posix|ofd|flock> <rd|wr|un> <start> <len>" },
	{ "LKTEST",      4, 4, tp_cmd_lktest,      "<posix|ofd> <rd|wr> <start> <len>" },
	{ "LKCLOSE",     0, 0, tp_cmd_lkclose,     "" },
};

/* Parse and run one request line; same return convention as tp_cmd.fn. */
static int tp_dispatch(struct tp_conn *c, char *line)
{
	char *argv[TP_MAX_ARGS + 2] = { NULL };
	char *save = NULL, *tok;
	const struct tp_cmd *cmd = NULL;
	int argc = 0;
	size_t i;

	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (argc == TP_MAX_ARGS + 1)
			return tp_err(c, E2BIG, "too many arguments");
		argv[argc++] = tok;
	}
	if (!argc)
		return tp_err(c, EINVAL, "empty request");
	for (i = 0; i < sizeof(tp_cmds) / sizeof(tp_cmds[0]); i++) {
		if (!strcmp(argv[0], tp_cmds[i].name)) {
			cmd = &tp_cmds[i];
			break;
		}
	}
	if (!cmd)
		return tp_err(c, ENOSYS, "unknown command %.64s",
			      tp_has_ctrl(argv[0]) ? "(unprintable)" : argv[0]);
	if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args)
		return tp_err(c, EINVAL, "usage: %s %s", cmd->name, cmd->usage);
	return cmd->fn(c, argv + 1);
}

/*
 * Read one line into @line (NUL-terminated, '\n' and a trailing '\r'
 * removed).  Returns 1 for a line, 2 for an over-long line that was
 * dropped, 0 on EOF, -errno on error.
 */
static int tp_readline(struct tp_conn *c, char line[TESTPEER_LINE_MAX])
{
	for (;;) {
		char *nl = memchr(c->rbuf, '\n', c->rlen);
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - c->rbuf);
			int ret = c->discard ? 2 : 1;

			memcpy(line, c->rbuf, len);
			line[len] = '\0';
			if (len && line[len - 1] == '\r')
				line[len - 1] = '\0';
			c->rlen -= len + 1;
			memmove(c->rbuf, nl + 1, c->rlen);
			c->discard = false;
			return ret;
		}
		if (c->rlen == sizeof(c->rbuf)) {
			c->discard = true;
			c->rlen = 0;
		}
		n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c->rlen += (size_t)n;
	}
}

static void tp_conn_sig(int sig)
{
	tp_resume_engine();
	if (sig != SIGALRM) {
		tp_params_restore();
		_exit(0);
	}
}

/* Serve one connection until EOF or QUIT (runs in a forked process). */
static void tp_serve(int fd)
{
	static struct tp_conn conn;
	static char line[TESTPEER_LINE_MAX];
	struct sigaction sa = { .sa_handler = tp_conn_sig,
				.sa_flags = SA_RESTART };
	int one = 1, ret;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	conn.fd = fd;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		ret = tp_readline(&conn, line);
		if (ret <= 0)
			break;
		if (ret == 2)
			ret = tp_err(&conn, EINVAL, "line longer than %d bytes",
				     TESTPEER_LINE_MAX - 1);
		else
			ret = tp_dispatch(&conn, line);
		if (ret)
			break;
	}
	alarm(0);
	tp_resume_engine();
	tp_params_restore();
	close(fd);
}

/* --- listener ----------------------------------------------------------- */

static void tp_listener_sig(int sig)
{
	if (sig != SIGCHLD)
		tp_term = 1;
}

/* Split "IP:PORT" or "[IP6]:PORT"; returns 0 or -EINVAL. */
static int tp_split_hostport(const char *arg, char *host, size_t hsz,
			     const char **port)
{
	const char *colon, *h = arg;
	size_t hlen;

	if (arg[0] == '[') {
		const char *rb = strchr(arg, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = arg + 1;
		hlen = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(arg, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - arg);
	}
	if (!hlen || hlen >= hsz || !colon[1])
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = colon + 1;
	return 0;
}

static int tp_listen(const char *arg)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	struct addrinfo *ai;
	const char *port;
	char host[256];
	int fd, one = 1, ret;

	if (tp_split_hostport(arg, host, sizeof(host), &port)) {
		fprintf(stderr, "qtfs_testpeer: --listen %s: expected IP:PORT\n",
			arg);
		return -1;
	}
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret) {
		fprintf(stderr, "qtfs_testpeer: --listen %s: %s\n", arg,
			gai_strerror(ret));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
		fprintf(stderr, "qtfs_testpeer: --listen %s: %s\n", arg,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void tp_usage(FILE *f)
{
	fprintf(f,
		"usage: qtfs_testpeer --root DIR --listen IP:PORT [--engine-pid PID]\n"
		"Serves the qtfs itest line protocol (testpeer_proto.h) for DIR.\n");
}

struct tp_children {
	pid_t pid[TP_MAX_CHILDREN];
	unsigned int n;
};

static void tp_reap(struct tp_children *ch)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (unsigned int i = 0; i < ch->n; i++) {
			if (ch->pid[i] == pid) {
				ch->pid[i] = ch->pid[--ch->n];
				break;
			}
		}
	}
}

static void tp_accept_one(int lfd, struct tp_children *ch,
			  const sigset_t *childmask)
{
	static const char busy[] = "ERR 24 too many connections\n";
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	pid_t pid;

	if (fd < 0)
		return;
	if (ch->n == TP_MAX_CHILDREN) {
		tp_write_all(fd, busy, sizeof(busy) - 1);
		close(fd);
		return;
	}
	pid = fork();
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, childmask, NULL);
		close(lfd);
		tp_serve(fd);
		_exit(0);
	}
	if (pid < 0)
		fprintf(stderr, "qtfs_testpeer: fork: %s\n", strerror(errno));
	else
		ch->pid[ch->n++] = pid;
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "listen", required_argument, NULL, 'l' },
		{ "engine-pid", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = tp_listener_sig };
	const char *root = NULL, *listen_arg = NULL;
	struct tp_children ch = { .n = 0 };
	sigset_t block, orig;
	uint64_t pid;
	int opt, lfd;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			root = optarg;
			break;
		case 'l':
			listen_arg = optarg;
			break;
		case 'e':
			if (tp_parse_u64(optarg, 10, INT32_MAX, &pid) || !pid) {
				fprintf(stderr, "qtfs_testpeer: --engine-pid %s: expected a positive pid\n",
					optarg);
				return 2;
			}
			tp_engine_pid = (pid_t)pid;
			break;
		case 'h':
			tp_usage(stdout);
			return 0;
		default:
			tp_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !root || !listen_arg) {
		fprintf(stderr, "qtfs_testpeer: --root and --listen are required\n");
		tp_usage(stderr);
		return 2;
	}
	tp_rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tp_rootfd < 0) {
		fprintf(stderr, "qtfs_testpeer: --root %s: %s\n", root,
			strerror(errno));
		return 1;
	}
	lfd = tp_listen(listen_arg);
	if (lfd < 0)
		return 1;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);

	printf("qtfs_testpeer: serving %s on %s%s\n", root, listen_arg,
	       tp_engine_pid ? "" : " (no --engine-pid)");
	fflush(stdout);

	while (!tp_term) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };

		tp_reap(&ch);
		/* ppoll unblocks the signals only while waiting: no lost wakeup */
		if (ppoll(&pfd, 1, NULL, &orig) > 0 && (pfd.revents & POLLIN))
			tp_accept_one(lfd, &ch, &orig);
	}

	close(lfd);
	for (unsigned int i = 0; i < ch.n; i++)
		kill(ch.pid[i], SIGTERM);
	while (waitpid(-1, NULL, 0) > 0)
		;
	return 0;
}
