/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared declarations of the qtfs integration suite (qtfs_itest).
 *
 * Layout of a run: main() creates <client>/itest.<pid> (the run dir) and
 * every test gets its own sub-directory t<pid>.<n> in it from the checked
 * fixture it_setup(), so tests never see each other's files.  The same
 * directory is it.rel relative to the export root on the server side,
 * which is what qtfs_testpeer (--root = the export root) resolves.
 */
#ifndef QTFS_ITEST_H
#define QTFS_ITEST_H

#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "peer.h"

/* Per-test timeouts (seconds), generous for TCG-emulated guests. */
#define IT_TMO_SHORT	120
#define IT_TMO_LONG	600
/* Testpeer reply timeout (a server-side HASH of 64 MiB under TCG). */
#define IT_PEER_TIMEOUT	300
/* Default stress duration; env QTFS_ITEST_STRESS_SECS overrides it. */
#define IT_STRESS_SECS	30

/**
 * struct it_cfg - command line and run-wide settings, set before forking
 * @client:      --client, where the export is mounted on this host
 * @peer:        --peer, qtfs_testpeer address (IP:PORT)
 * @server_root: --server-root, the export path on the server (mount source)
 * @stress_secs: duration of the stress test
 * @run_rel:     this run's directory, relative to the export root
 */
struct it_cfg {
	const char *client;
	const char *peer;
	const char *server_root;
	unsigned int stress_secs;
	char run_rel[64];
};

extern struct it_cfg it_cfg;

/**
 * struct it_ctx - per-test state set up by it_setup()
 * @peer: connection to qtfs_testpeer
 * @rel:  the test's directory relative to the export root (server view)
 * @cdir: the same directory through the client mount
 */
struct it_ctx {
	struct peer peer;
	char rel[PATH_MAX];
	char cdir[PATH_MAX];
};

extern struct it_ctx it;

/* Checked fixture: connect to the testpeer and create the test dir. */
void it_setup(void);
void it_teardown(void);

/* Add a test case named @name with @timeout seconds to @s. */
TCase *it_tcase(Suite *s, const char *name, unsigned int timeout,
		bool with_fixture);

/*
 * Paths inside the test dir: it_c() through the client mount, it_s()
 * relative to the export root for the testpeer.  Results live in a small
 * ring of static buffers (valid for the next few calls).
 */
__attribute__((format(printf, 1, 2)))
const char *it_c(const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
const char *it_s(const char *fmt, ...);

/* Message describing the last failing helper below. */
const char *it_msg(void);
/* Symbolic errno name ("ENOENT"), or the number if unknown. */
const char *it_errname(int err);

/*
 * Create @path (open flags O_WRONLY|O_CREAT|@oflags, mode 0644) and write
 * pattern bytes [0, @size) for @seed with write(2) calls of @chunk bytes.
 * Returns 0 or -errno (-EIO for a short write); see it_msg().
 */
int it_write_pattern(const char *path, int oflags, uint64_t size,
		     uint64_t seed, size_t chunk);
/*
 * Read @path to EOF with read(2) calls of @chunk bytes and check it holds
 * exactly pattern bytes [0, @size) for @seed.  0, -errno or -EILSEQ.
 */
int it_verify_pattern(const char *path, uint64_t size, uint64_t seed,
		      size_t chunk);
/* pwrite pattern bytes [@off, @off + @len) of @seed to @fd. */
int it_pwrite_pattern(int fd, uint64_t off, size_t len, uint64_t seed);
/* pread [@off, @off + @len) of @fd and compare with the pattern / zeros. */
int it_pread_pattern(int fd, uint64_t off, size_t len, uint64_t seed);
int it_pread_zeros(int fd, uint64_t off, size_t len);

/* Remove @path recursively on the client side; 0 or -errno. */
int it_rmtree(const char *path);

/* Monotonic clock in seconds. */
double it_now(void);
/* waitpid(@pid) for at most @secs; 0 once reaped, -ETIMEDOUT otherwise. */
int it_wait(pid_t pid, int *status, double secs);
/* State letter of @pid from /proc/<pid>/stat, or -errno. */
int it_proc_state(pid_t pid);

/*
 * Fail the test unless a call returned < 0 with errno @want.  Use through
 * IT_EXPECT_ERR(want, call) so errno is captured right after the call.
 */
void it_expect_err(long ret, int err, int want, const char *call,
		   const char *file, int line);
#define IT_EXPECT_ERR(want, call)					\
	do {								\
		long ret_;						\
		errno = 0;						\
		ret_ = (long)(call);					\
		it_expect_err(ret_, errno, (want), #call, __FILE__,	\
			      __LINE__);				\
	} while (0)

/*
 * Run @fn in a child with @uid, @gid and supplementary @groups; the test
 * fails with the child's message unless @fn returns 0.  @fn must not use
 * ck_assert (it runs in a grandchild of the runner): it checks with
 * IT_CHILD(), which returns 1 from @fn with a message on a mismatch.
 */
typedef int (*it_child_fn)(void *arg, char *msg, size_t len);
void it_run_as(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
	       it_child_fn fn, void *arg);
/* 0 if @ret/@err match @want (0: success), else 1 with @msg filled. */
int it_child_expect(char *msg, size_t len, int line, long ret, int err,
		    int want, const char *call);
#define IT_CHILD(msg, len, want, call)					\
	do {								\
		long r_;						\
		int e_;							\
		errno = 0;						\
		r_ = (long)(call);					\
		e_ = errno;						\
		if (it_child_expect((msg), (len), __LINE__, r_, e_,	\
				    (want), #call))			\
			return 1;					\
	} while (0)

/* Suite parts, one per file. */
void it_add_sanity_tests(Suite *s);
void it_add_data_tests(Suite *s);
void it_add_dir_tests(Suite *s);
void it_add_ops_tests(Suite *s);
void it_add_stress_tests(Suite *s);
void it_add_mount_tests(Suite *s);
void it_add_kill_tests(Suite *s);
void it_add_engine_tests(Suite *s);
void it_add_ctl_tests(Suite *s);
void it_add_mmap_tests(Suite *s);
void it_add_perm_tests(Suite *s);
void it_add_xattr_tests(Suite *s);
void it_add_attr_tests(Suite *s);
void it_add_lock_tests(Suite *s);

#endif /* QTFS_ITEST_H */
