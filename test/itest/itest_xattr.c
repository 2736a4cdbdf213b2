// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes and POSIX ACLs through the client, checked against
 * the server's own view (testpeer GETXATTR, ACCESSAS): values, flags,
 * size probing, errno values, symlinks, ACL storage, inheritance and
 * enforcement.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "itest.h"

/* POSIX ACL xattr format (include/uapi/linux/posix_acl_xattr.h). */
#define IT_ACL_VERSION		2
#define IT_ACL_USER_OBJ		0x01
#define IT_ACL_USER		0x02
#define IT_ACL_GROUP_OBJ	0x04
#define IT_ACL_GROUP		0x08
#define IT_ACL_MASK		0x10
#define IT_ACL_OTHER		0x20
#define IT_ACL_UNDEF_ID		0xffffffffu

struct it_acl_entry {
	uint16_t tag;
	uint16_t perm;
	uint32_t id;
};

struct it_acl {
	uint32_t version;
	struct it_acl_entry e[8];
};

#define IT_ACL_SIZE(n)	(4 + (n) * sizeof(struct it_acl_entry))

/* x86 is little endian, the xattr format too: fill in place. */
static size_t it_acl(struct it_acl *a, const struct it_acl_entry *e, size_t n)
{
	a->version = IT_ACL_VERSION;
	memcpy(a->e, e, n * sizeof(*e));
	return IT_ACL_SIZE(n);
}

static void it_create(const char *path, mode_t mode, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	ck_assert(write(fd, data, strlen(data)) == (ssize_t)strlen(data));
	ck_assert(!close(fd));
}

/* The server's value of @name on @rel equals @val/@len. */
static void it_server_xattr_is(const char *rel, const char *name,
			       const void *val, size_t len)
{
	char buf[TESTPEER_DATA_MAX];
	size_t got;
	int ret;

	ret = peer_getxattr(&it.peer, rel, name, buf, sizeof(buf), &got);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(got == len && !memcmp(buf, val, len),
		      "server holds %zu bytes for %s, expected %zu", got, name,
		      len);
}

static void it_server_xattr_err(const char *rel, const char *name, int err)
{
	char buf[16];
	size_t got;
	int ret = peer_getxattr(&it.peer, rel, name, buf, sizeof(buf), &got);

	ck_assert_msg(ret == -err, "%s, expected %s", peer_last(&it.peer),
		      it_errname(err));
}

/* Does @list (listxattr output of @len bytes) hold @name? */
static bool it_list_has(const char *list, ssize_t len, const char *name)
{
	ssize_t i;

	for (i = 0; i < len; i += (ssize_t)strlen(list + i) + 1)
		if (!strcmp(list + i, name))
			return true;
	return false;
}

/* --- xattr: the full set/get/list/remove matrix on one name ------------- */

static void it_xattr_matrix(const char *cpath, const char *spath,
			    const char *name, bool link)
{
	ssize_t (*get)(const char *, const char *, void *, size_t) =
		link ? lgetxattr : getxattr;
	int (*set)(const char *, const char *, const void *, size_t, int) =
		link ? lsetxattr : setxattr;
	ssize_t (*list)(const char *, char *, size_t) =
		link ? llistxattr : listxattr;
	int (*rm)(const char *, const char *) =
		link ? lremovexattr : removexattr;
	static char big[4000];
	char buf[4096], lbuf[1024];
	ssize_t n;

	memset(big, 'v', sizeof(big));
	IT_EXPECT_ERR(ENODATA, get(cpath, name, buf, sizeof(buf)));
	IT_EXPECT_ERR(ENODATA, set(cpath, name, "x", 1, XATTR_REPLACE));
	IT_EXPECT_ERR(ENODATA, rm(cpath, name));
	ck_assert_msg(!set(cpath, name, "v1", 2, XATTR_CREATE),
		      "set %s CREATE: %s", name, strerror(errno));
	IT_EXPECT_ERR(EEXIST, set(cpath, name, "v2", 2, XATTR_CREATE));
	it_server_xattr_is(spath, name, "v1", 2);
	ck_assert_int_eq(get(cpath, name, NULL, 0), 2);
	IT_EXPECT_ERR(ERANGE, get(cpath, name, buf, 1));
	n = get(cpath, name, buf, sizeof(buf));
	ck_assert_msg(n == 2 && !memcmp(buf, "v1", 2), "get %s: %zd", name, n);

	ck_assert(!set(cpath, name, big, sizeof(big), XATTR_REPLACE));
	it_server_xattr_is(spath, name, big, sizeof(big));
	ck_assert_int_eq(get(cpath, name, NULL, 0), sizeof(big));
	n = get(cpath, name, buf, sizeof(buf));
	ck_assert(n == sizeof(big) && !memcmp(buf, big, sizeof(big)));
	/* an empty value is a value */
	ck_assert(!set(cpath, name, "", 0, 0));
	ck_assert_int_eq(get(cpath, name, buf, sizeof(buf)), 0);

	n = list(cpath, NULL, 0);
	ck_assert_msg(n > 0 && (size_t)n <= sizeof(lbuf), "list probe: %zd %s",
		      n, strerror(errno));
	IT_EXPECT_ERR(ERANGE, list(cpath, lbuf, 1));
	ck_assert_int_eq(list(cpath, lbuf, sizeof(lbuf)), n);
	ck_assert_msg(it_list_has(lbuf, n, name), "%s not listed", name);

	ck_assert(!rm(cpath, name));
	it_server_xattr_err(spath, name, ENODATA);
	IT_EXPECT_ERR(ENODATA, get(cpath, name, NULL, 0));
	n = list(cpath, lbuf, sizeof(lbuf));
	ck_assert(n >= 0 && !it_list_has(lbuf, n, name));
}

START_TEST(test_xattr_trusted_security)
{
	ck_assert(geteuid() == 0);
	it_create(it_c("f"), 0644, "data");
	ck_assert(!mkdir(it_c("d"), 0755));
	it_xattr_matrix(it_c("f"), it_s("f"), "trusted.qtfs", false);
	it_xattr_matrix(it_c("d"), it_s("d"), "trusted.qtfs", false);
	it_xattr_matrix(it_c("f"), it_s("f"), "security.qtfs", false);
	/* on the symlink itself, not its target */
	ck_assert(!symlink("f", it_c("l")));
	it_xattr_matrix(it_c("l"), it_s("l"), "trusted.qtfs", true);
	it_server_xattr_err(it_s("f"), "trusted.qtfs", ENODATA);
}
END_TEST

START_TEST(test_xattr_errno)
{
	char name[300], buf[8];
	static char huge[65537];
	int ret;

	it_create(it_c("f"), 0644, "data");
	/* the server's filesystem answers for user.* (tmpfs < 6.6: none) */
	ret = peer_getxattr(&it.peer, it_s("f"), "user.qtfs", buf,
			    sizeof(buf), &(size_t){ 0 });
	ck_assert_msg(ret == -ENODATA || ret == -EOPNOTSUPP, "%s",
		      peer_last(&it.peer));
	if (ret == -EOPNOTSUPP) {
		IT_EXPECT_ERR(EOPNOTSUPP, setxattr(it_c("f"), "user.qtfs", "x",
						   1, 0));
		IT_EXPECT_ERR(EOPNOTSUPP, getxattr(it_c("f"), "user.qtfs", buf,
						   sizeof(buf)));
	} else {
		it_xattr_matrix(it_c("f"), it_s("f"), "user.qtfs", false);
	}
	/* user.* is for files and directories only */
	ck_assert(!symlink("f", it_c("l")));
	IT_EXPECT_ERR(EPERM, lsetxattr(it_c("l"), "user.qtfs", "x", 1, 0));
	IT_EXPECT_ERR(EOPNOTSUPP, setxattr(it_c("f"), "bogus.qtfs", "x", 1, 0));
	IT_EXPECT_ERR(EOPNOTSUPP, getxattr(it_c("f"), "bogus.qtfs", buf,
					    sizeof(buf)));
	memset(name, 'n', sizeof(name));
	memcpy(name, "trusted.", 8);
	name[sizeof(name) - 1] = '\0';
	IT_EXPECT_ERR(ERANGE, setxattr(it_c("f"), name, "x", 1, 0));
	IT_EXPECT_ERR(E2BIG, setxattr(it_c("f"), "trusted.big", huge,
				      sizeof(huge), 0));
	IT_EXPECT_ERR(EINVAL, setxattr(it_c("f"), "trusted.x", "x", 1,
				       XATTR_CREATE | XATTR_REPLACE | 4));
	IT_EXPECT_ERR(ENOENT, getxattr(it_c("missing"), "trusted.x", buf,
				       sizeof(buf)));
}
END_TEST

/* An ACL equivalent to mode 0644. */
static const struct {
	uint32_t version;
	struct it_acl_entry e[3];
} it_acl_min = { IT_ACL_VERSION, {
	{ IT_ACL_USER_OBJ, 6, IT_ACL_UNDEF_ID },
	{ IT_ACL_GROUP_OBJ, 4, IT_ACL_UNDEF_ID },
	{ IT_ACL_OTHER, 4, IT_ACL_UNDEF_ID },
} };

/* trusted.* needs CAP_SYS_ADMIN on the server: hidden, not settable */
static int it_xattr_unpriv_child(void *arg, char *msg, size_t len)
{
	char buf[8];
	int err;

	(void)arg;
	IT_CHILD(msg, len, ENODATA,
		 getxattr(it_c("f"), "trusted.qtfs", buf, sizeof(buf)));
	IT_CHILD(msg, len, EPERM,
		 setxattr(it_c("f"), "trusted.other", "x", 1, 0));
	/*
	 * security.*: the LSMs decide (capability wants CAP_SYS_ADMIN, but
	 * 6.1 with the BPF LSM enabled skips that check): the answer must
	 * match what then reads back, and the server's state (checked by the
	 * caller).
	 */
	if (setxattr(it_c("f"), "security.qtfs", "x", 1, 0)) {
		err = errno;
		IT_CHILD(msg, len, EPERM, (errno = err, -1));
		IT_CHILD(msg, len, ENODATA, getxattr(it_c("f"), "security.qtfs",
						     buf, sizeof(buf)));
	} else {
		IT_CHILD(msg, len, 0, getxattr(it_c("f"), "security.qtfs", buf,
					       sizeof(buf)) == 1 &&
				      buf[0] == 'x' ? 0 : -1);
	}
	/* not the owner: no ACL change */
	IT_CHILD(msg, len, EPERM,
		 setxattr(it_c("f"), "system.posix_acl_access", &it_acl_min,
			  sizeof(it_acl_min), 0));
	return 0;
}

START_TEST(test_xattr_unpriv)
{
	char buf[8];
	ssize_t n;

	it_create(it_c("f"), 0644, "data");
	ck_assert(!setxattr(it_c("f"), "trusted.qtfs", "t", 1, 0));

	it_run_as(1000, 1000, NULL, 0, it_xattr_unpriv_child, NULL);
	it_server_xattr_err(it_s("f"), "trusted.other", ENODATA);
	n = getxattr(it_c("f"), "security.qtfs", buf, sizeof(buf));
	if (n < 0) {
		ck_assert_int_eq(errno, ENODATA);
		it_server_xattr_err(it_s("f"), "security.qtfs", ENODATA);
	} else {
		it_server_xattr_is(it_s("f"), "security.qtfs", buf, n);
	}
}
END_TEST

/* --- acl: storage, mode interplay, enforcement, inheritance ------------- */

static int it_acl_child(void *arg, char *msg, size_t len)
{
	const char *who = arg;

	if (!strcmp(who, "1000")) {
		IT_CHILD(msg, len, 0, open(it_c("f"), O_RDONLY));
		IT_CHILD(msg, len, EACCES, open(it_c("f"), O_WRONLY));
		IT_CHILD(msg, len, 0, access(it_c("f"), R_OK));
		IT_CHILD(msg, len, EACCES, access(it_c("f"), W_OK));
	} else if (!strcmp(who, "1001")) {
		IT_CHILD(msg, len, EACCES, open(it_c("f"), O_RDONLY));
		IT_CHILD(msg, len, EACCES, access(it_c("f"), R_OK));
	} else {
		/* mask emptied by chmod: the named user loses read */
		IT_CHILD(msg, len, EACCES, open(it_c("f"), O_RDONLY));
	}
	return 0;
}

START_TEST(test_acl_access)
{
	static const struct it_acl_entry ents[] = {
		{ IT_ACL_USER_OBJ, 6, IT_ACL_UNDEF_ID },
		{ IT_ACL_USER, 4, 1000 },
		{ IT_ACL_GROUP_OBJ, 0, IT_ACL_UNDEF_ID },
		{ IT_ACL_MASK, 4, IT_ACL_UNDEF_ID },
		{ IT_ACL_OTHER, 0, IT_ACL_UNDEF_ID },
	};
	struct it_acl acl, got;
	struct peer_stat pst;
	struct stat st;
	size_t len;
	ssize_t n;

	it_create(it_c("f"), 0600, "acl");
	len = it_acl(&acl, ents, 5);
	ck_assert_msg(!setxattr(it_c("f"), "system.posix_acl_access", &acl,
				len, 0),
		      "set ACL: %s", strerror(errno));
	ck_assert_int_eq(getxattr(it_c("f"), "system.posix_acl_access", NULL,
				  0), len);
	n = getxattr(it_c("f"), "system.posix_acl_access", &got, sizeof(got));
	ck_assert_msg(n == (ssize_t)len && !memcmp(&got, &acl, len),
		      "ACL read back differs (%zd bytes)", n);
	it_server_xattr_is(it_s("f"), "system.posix_acl_access", &acl, len);
	/* the mask shows as the group bits, on both sides */
	ck_assert(!stat(it_c("f"), &st));
	ck_assert_msg((st.st_mode & 0777) == 0640, "client mode %04o",
		      st.st_mode & 0777);
	ck_assert(!peer_stat(&it.peer, it_s("f"), &pst));
	ck_assert_msg((pst.mode & 0777) == 0640, "server mode %04o",
		      pst.mode & 0777);

	it_run_as(1000, 1000, NULL, 0, it_acl_child, "1000");
	it_run_as(1001, 1001, NULL, 0, it_acl_child, "1001");
	ck_assert_int_eq(peer_accessas(&it.peer, it_s("f"), 1000, 1000, R_OK),
			 0);
	ck_assert_int_eq(peer_accessas(&it.peer, it_s("f"), 1000, 1000, W_OK),
			 -EACCES);
	ck_assert_int_eq(peer_accessas(&it.peer, it_s("f"), 1001, 1001, R_OK),
			 -EACCES);

	/* chmod rewrites the mask entry, as on the server */
	ck_assert(!chmod(it_c("f"), 0600));
	n = getxattr(it_c("f"), "system.posix_acl_access", &got, sizeof(got));
	ck_assert(n == (ssize_t)len);
	ck_assert_msg(got.e[3].tag == IT_ACL_MASK && got.e[3].perm == 0,
		      "mask after chmod 0600: tag %x perm %o", got.e[3].tag,
		      got.e[3].perm);
	it_server_xattr_is(it_s("f"), "system.posix_acl_access", &got, len);
	it_run_as(1000, 1000, NULL, 0, it_acl_child, "masked");

	/* removing the ACL leaves the mode */
	ck_assert(!removexattr(it_c("f"), "system.posix_acl_access"));
	it_server_xattr_err(it_s("f"), "system.posix_acl_access", ENODATA);
	IT_EXPECT_ERR(ENODATA, getxattr(it_c("f"), "system.posix_acl_access",
					NULL, 0));
	/* a malformed ACL is the server's EINVAL */
	acl.version = 1;
	IT_EXPECT_ERR(EOPNOTSUPP, setxattr(it_c("f"), "system.posix_acl_access",
					   &acl, len, 0));
	acl.version = IT_ACL_VERSION;
	IT_EXPECT_ERR(EINVAL, setxattr(it_c("f"), "system.posix_acl_access",
				       &acl, len - 2, 0));
}
END_TEST

START_TEST(test_acl_default)
{
	static const struct it_acl_entry ents[] = {
		{ IT_ACL_USER_OBJ, 7, IT_ACL_UNDEF_ID },
		{ IT_ACL_USER, 7, 1000 },
		{ IT_ACL_GROUP_OBJ, 5, IT_ACL_UNDEF_ID },
		{ IT_ACL_MASK, 7, IT_ACL_UNDEF_ID },
		{ IT_ACL_OTHER, 5, IT_ACL_UNDEF_ID },
	};
	struct it_acl acl, got;
	char sbuf[TESTPEER_DATA_MAX];
	size_t len, slen;
	struct stat st;
	ssize_t n;

	ck_assert(!mkdir(it_c("d"), 0755));
	len = it_acl(&acl, ents, 5);
	ck_assert_msg(!setxattr(it_c("d"), "system.posix_acl_default", &acl,
				len, 0), "set default ACL: %s", strerror(errno));
	it_server_xattr_is(it_s("d"), "system.posix_acl_default", &acl, len);

	/* a new file's access ACL comes from the default one */
	it_create(it_c("d/f"), 0644, "inherit");
	n = getxattr(it_c("d/f"), "system.posix_acl_access", &got,
		     sizeof(got));
	ck_assert_msg(n > 0, "no inherited ACL: %s", strerror(errno));
	ck_assert(!peer_getxattr(&it.peer, it_s("d/f"),
				 "system.posix_acl_access", sbuf, sizeof(sbuf),
				 &slen));
	ck_assert_msg((size_t)n == slen && !memcmp(sbuf, &got, slen),
		      "client and server ACLs differ");
	ck_assert(!stat(it_c("d/f"), &st));
	ck_assert_msg((st.st_mode & 0777) == 0644, "inherited mode %04o",
		      st.st_mode & 0777);
	/* with a default ACL the umask (022 here) does not apply */
	it_create(it_c("d/g"), 0666, "masked by the ACL, not the umask");
	ck_assert(!stat(it_c("d/g"), &st));
	ck_assert_msg((st.st_mode & 0777) == 0664,
		      "mode %04o under a default ACL, expected 0664",
		      st.st_mode & 0777);
	ck_assert(!mkdir(it_c("d/g2"), 0777));
	ck_assert(!stat(it_c("d/g2"), &st));
	ck_assert_msg((st.st_mode & 0777) == 0775,
		      "dir mode %04o under a default ACL, expected 0775",
		      st.st_mode & 0777);
	/* a subdirectory inherits the default ACL itself */
	ck_assert(!mkdir(it_c("d/sub"), 0755));
	it_server_xattr_is(it_s("d/sub"), "system.posix_acl_default", &acl,
			   len);
	n = getxattr(it_c("d/sub"), "system.posix_acl_default", &got,
		     sizeof(got));
	ck_assert(n == (ssize_t)len && !memcmp(&got, &acl, len));
	/* not on a file */
	IT_EXPECT_ERR(EACCES, setxattr(it_c("d/f"), "system.posix_acl_default",
				       &acl, len, 0));
	/* enforcement equals the server's */
	ck_assert_int_eq(peer_accessas(&it.peer, it_s("d/f"), 1000, 1000, R_OK),
			 0);
	ck_assert_int_eq(peer_accessas(&it.peer, it_s("d/f"), 1000, 1000, W_OK),
			 -EACCES);
	ck_assert_int_eq(peer_accessas(&it.peer, it_s("d"), 1000, 1000, W_OK),
			 -EACCES);
}
END_TEST

void it_add_xattr_tests(Suite *s)
{
	TCase *tc;

	tc = it_tcase(s, "xattr", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_xattr_trusted_security);
	tcase_add_test(tc, test_xattr_errno);
	tcase_add_test(tc, test_xattr_unpriv);

	tc = it_tcase(s, "acl", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_acl_access);
	tcase_add_test(tc, test_acl_default);
}
