/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qtfs_conform: a POSIX conformance suite run twice, on a reference
 * directory (a local tmpfs) and on a qtfs mount, so that every difference
 * between qtfs and the filesystem it exports shows up as one failed case.
 *
 * A case is one row of a table (struct cf_case).  The runner gives every
 * run of a case a fresh directory, forks, optionally runs the case's setup
 * as root in that directory, switches to the credentials of the run (root,
 * qtfs1 or qtfs2) and runs the case body.  The CF_* checks below end the
 * case at the first mismatch with "expected ..., got ..." on stdout, which
 * is a pipe the runner reads.
 */
#ifndef QTFS_CONFORM_H
#define QTFS_CONFORM_H

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The guest users (test/vm/mkinitramfs.sh writes /etc/passwd and /etc/group). */
#define CF_UID1 1000		/* qtfs1 */
#define CF_GID1 1000
#define CF_UID2 1001		/* qtfs2 */
#define CF_GID2 1001
#define CF_GID_SHARED 1002	/* qtfsshared: supplementary group of both */

/* Credentials a case runs with: a case runs once per bit of its mask. */
enum cf_cred {
	CF_ROOT = 1 << 0,
	CF_USER1 = 1 << 1,
	CF_USER2 = 1 << 2,
};
#define CF_RU (CF_ROOT | CF_USER1)

/**
 * struct cf_ctx - what a case body knows about its run
 * @dir: absolute path of the fresh directory (also the working directory)
 * @root: true when the body runs as root
 * @uid: uid the body runs as
 * @gid: primary gid the body runs as
 * @other_uid: a uid that is not @uid and not root (owner of "foreign" files)
 * @other_gid: primary gid of @other_uid
 */
struct cf_ctx {
	const char *dir;
	bool root;
	uid_t uid;
	gid_t gid;
	uid_t other_uid;
	gid_t other_gid;
};

/**
 * struct cf_case - one conformance case
 * @group: the syscall (or family) under test, e.g. "rename"
 * @name: short name, unique within @group
 * @creds: mask of enum cf_cred: the credentials it runs with
 * @setup: optional, runs as root in the fresh directory before the switch
 * @run: the case body, runs with the credentials of this run
 */
struct cf_case {
	const char *group;
	const char *name;
	unsigned int creds;
	void (*setup)(struct cf_ctx *c);
	void (*run)(struct cf_ctx *c);
};

/* Case tables, one per file, each ended by an entry with a NULL @group. */
extern const struct cf_case cf_cases_attr[];
extern const struct cf_case cf_cases_name[];
extern const struct cf_case cf_cases_open[];
extern const struct cf_case cf_cases_xattr[];
extern const struct cf_case cf_cases_io[];

/* Failure reporting (cf_util.c); these end the case. */
void cf_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
long cf_chk_ok(long ret, int err, const char *expr, const char *file, int line);
void cf_chk_err(long ret, int err, int want, const char *expr, const char *file,
		int line);
void cf_chk_eq(long long got, long long want, const char *what, const char *file,
	       int line);
void cf_chk_str(const char *got, const char *want, const char *what,
		const char *file, int line);

/*
 * CF_OK: the call returns 0.  CF_RET: it succeeds (>= 0) and yields its
 * value.  CF_ERR: it returns -1 with errno @e.  errno is cleared before the
 * call and read right after it.
 */
#define CF_RET(expr) ({ errno = 0; long _r = (long)(expr); int _e = errno; \
	cf_chk_ok(_r, _e, #expr, __FILE__, __LINE__); })
#define CF_OK(expr) ({ long _v = CF_RET(expr); \
	cf_chk_eq(_v, 0, #expr, __FILE__, __LINE__); })
#define CF_ERR(expr, e) ({ errno = 0; long _r = (long)(expr); int _e = errno; \
	cf_chk_err(_r, _e, (e), #expr, __FILE__, __LINE__); })
#define CF_EQ(got, want) cf_chk_eq((long long)(got), (long long)(want), #got, \
	__FILE__, __LINE__)
#define CF_STR(got, want) cf_chk_str((got), (want), #got, __FILE__, __LINE__)
#define CF_TRUE(cond) CF_EQ(!!(cond), 1)
#define CF_FAIL(...) cf_fail(__FILE__, __LINE__, __VA_ARGS__)

/* Observable results (cf_util.c).  Paths are relative to the case dir. */
struct stat cf_lstat(const char *path, const char *file, int line);
#define CF_LSTAT(p) cf_lstat((p), __FILE__, __LINE__)
#define CF_MODE(p, m) CF_EQ(CF_LSTAT(p).st_mode, (m))
#define CF_NLINK(p, n) CF_EQ(CF_LSTAT(p).st_nlink, (n))
#define CF_SIZE(p, n) CF_EQ(CF_LSTAT(p).st_size, (n))
#define CF_UID(p, u) CF_EQ(CF_LSTAT(p).st_uid, (u))
#define CF_GID(p, g) CF_EQ(CF_LSTAT(p).st_gid, (g))
#define CF_ABSENT(p) CF_ERR(access((p), F_OK) == 0 ? 0 : -1, ENOENT)
void cf_chk_content(const char *path, const char *want, const char *file,
		    int line);
#define CF_CONTENT(p, s) cf_chk_content((p), (s), __FILE__, __LINE__)

/* Fixture helpers: they fail the case when the setup step fails. */
void cf_mkfile(const char *path, mode_t mode, const char *content);
void cf_mkdir(const char *path, mode_t mode);
void cf_chown(const char *path, uid_t uid, gid_t gid);
void cf_chmod(const char *path, mode_t mode);
void cf_symlink(const char *target, const char *path);
/* A name of NAME_MAX + 1 bytes and a path of PATH_MAX bytes (static). */
const char *cf_long_name(void);
const char *cf_long_path(void);
/* A name of exactly NAME_MAX bytes. */
const char *cf_max_name(void);
/* Whether timestamp @a is later than @b; CF_LATER checks it. */
bool cf_ts_later(const struct timespec *a, const struct timespec *b);
#define CF_LATER(a, b) cf_chk_eq(cf_ts_later(&(a), &(b)), 1, \
	#a " later than " #b, __FILE__, __LINE__)
/* Sleep long enough for the coarse clock to tick (timestamp changes). */
void cf_tick(void);
/* Run @fn in a forked child with the same credentials; its exit status. */
int cf_fork(void (*fn)(void *arg), void *arg);

#endif /* QTFS_CONFORM_H */
