// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_conform: extended attributes and POSIX ACLs.  The ACLs are written
 * in the kernel's binary xattr format (include/uapi/linux/posix_acl_xattr.h)
 * so that no libacl is needed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "conform.h"

/* xattr */

static void setup_file(struct cf_ctx *c)
{
	cf_mkfile("f", 0644, "data");
	cf_chown("f", c->uid, c->gid);
}

/* Look for @name in a listxattr result. */
static bool in_list(const char *list, ssize_t len, const char *name)
{
	ssize_t off;

	for (off = 0; off < len; off += strlen(list + off) + 1)
		if (!strcmp(list + off, name))
			return true;
	return false;
}

static void xattr_basic(struct cf_ctx *c)
{
	char buf[64] = "";
	int fd;

	(void)c;
	CF_OK(setxattr("f", "trusted.a", "value", 5, 0));
	CF_EQ(getxattr("f", "trusted.a", NULL, 0), 5);
	CF_EQ(getxattr("f", "trusted.a", buf, sizeof(buf)), 5);
	CF_TRUE(!memcmp(buf, "value", 5));
	CF_ERR(getxattr("f", "trusted.a", buf, 2), ERANGE);
	CF_ERR(setxattr("f", "trusted.a", "x", 1, XATTR_CREATE), EEXIST);
	CF_ERR(setxattr("f", "trusted.b", "x", 1, XATTR_REPLACE), ENODATA);
	CF_ERR(getxattr("f", "trusted.b", buf, sizeof(buf)), ENODATA);
	CF_OK(setxattr("f", "trusted.a", "v2", 2, XATTR_REPLACE));
	memset(buf, 0, sizeof(buf));
	CF_EQ(getxattr("f", "trusted.a", buf, sizeof(buf)), 2);
	CF_STR(buf, "v2");
	CF_OK(setxattr("f", "trusted.b", "", 0, XATTR_CREATE));
	CF_EQ(getxattr("f", "trusted.b", buf, sizeof(buf)), 0);
	CF_ERR(setxattr("f", "trusted.c", "x", 1, 4), EINVAL);
	CF_OK(removexattr("f", "trusted.a"));
	CF_ERR(getxattr("f", "trusted.a", buf, sizeof(buf)), ENODATA);
	CF_ERR(removexattr("f", "trusted.a"), ENODATA);
	/* the fd and the directory variants */
	fd = CF_RET(open("f", O_RDONLY));
	CF_OK(fsetxattr(fd, "trusted.fd", "12", 2, 0));
	CF_EQ(fgetxattr(fd, "trusted.fd", buf, sizeof(buf)), 2);
	CF_OK(fremovexattr(fd, "trusted.fd"));
	close(fd);
	cf_mkdir("d", 0755);
	CF_OK(setxattr("d", "trusted.dir", "dv", 2, 0));
	CF_EQ(getxattr("d", "trusted.dir", buf, sizeof(buf)), 2);
}

static void xattr_list(struct cf_ctx *c)
{
	char list[256];
	ssize_t len;

	(void)c;
	CF_EQ(listxattr("f", NULL, 0), 0);
	CF_OK(setxattr("f", "trusted.one", "1", 1, 0));
	CF_OK(setxattr("f", "trusted.second", "22", 2, 0));
	len = sizeof("trusted.one") + sizeof("trusted.second");
	CF_EQ(listxattr("f", NULL, 0), len);
	CF_ERR(listxattr("f", list, len - 1), ERANGE);
	CF_EQ(listxattr("f", list, sizeof(list)), len);
	CF_TRUE(in_list(list, len, "trusted.one"));
	CF_TRUE(in_list(list, len, "trusted.second"));
	CF_OK(removexattr("f", "trusted.one"));
	CF_EQ(listxattr("f", list, sizeof(list)), sizeof("trusted.second"));
	CF_STR(list, "trusted.second");
}

static void xattr_sizes(struct cf_ctx *c)
{
	static char big[8000], back[8000], name[300], huge[65537];

	(void)c;
	for (unsigned int i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	CF_OK(setxattr("f", "trusted.big", big, sizeof(big), 0));
	CF_EQ(getxattr("f", "trusted.big", NULL, 0), sizeof(big));
	CF_EQ(getxattr("f", "trusted.big", back, sizeof(back)), sizeof(big));
	CF_TRUE(!memcmp(big, back, sizeof(big)));
	CF_ERR(getxattr("f", "trusted.big", back, sizeof(big) - 1), ERANGE);
	CF_ERR(setxattr("f", "trusted.huge", huge, sizeof(huge), 0), E2BIG);
	/* names: empty, longer than XATTR_NAME_MAX, unknown namespace */
	CF_ERR(setxattr("f", "", "x", 1, 0), ERANGE);
	snprintf(name, sizeof(name), "trusted.");
	memset(name + 8, 'x', 260);
	CF_ERR(setxattr("f", name, "x", 1, 0), ERANGE);
	CF_ERR(getxattr("f", name, back, sizeof(back)), ERANGE);
	name[255] = '\0';
	CF_OK(setxattr("f", name, "x", 1, 0));
	CF_EQ(getxattr("f", name, back, sizeof(back)), 1);
	CF_ERR(setxattr("f", "nonsense.x", "x", 1, 0), EOPNOTSUPP);
	CF_ERR(getxattr("f", "nonsense.x", back, sizeof(back)), EOPNOTSUPP);
}

static void xattr_errors(struct cf_ctx *c)
{
	char buf[8];

	(void)c;
	CF_ERR(setxattr("missing", "trusted.a", "x", 1, 0), ENOENT);
	CF_ERR(getxattr("missing", "trusted.a", buf, sizeof(buf)), ENOENT);
	CF_ERR(listxattr("missing", buf, sizeof(buf)), ENOENT);
	CF_ERR(getxattr("f/x", "trusted.a", buf, sizeof(buf)), ENOTDIR);
	CF_ERR(setxattr(cf_long_name(), "trusted.a", "x", 1, 0), ENAMETOOLONG);
}

static void xattr_symlink(struct cf_ctx *c)
{
	char buf[8];

	(void)c;
	cf_symlink("f", "l");
	CF_OK(lsetxattr("l", "trusted.link", "L", 1, 0));
	CF_EQ(lgetxattr("l", "trusted.link", buf, sizeof(buf)), 1);
	CF_ERR(getxattr("l", "trusted.link", buf, sizeof(buf)), ENODATA);
	CF_OK(setxattr("l", "trusted.target", "T", 1, 0));
	CF_EQ(getxattr("f", "trusted.target", buf, sizeof(buf)), 1);
	CF_ERR(lgetxattr("l", "trusted.target", buf, sizeof(buf)), ENODATA);
}

static void xattr_trusted_setup(struct cf_ctx *c)
{
	setup_file(c);
	if (setxattr("f", "trusted.root", "r", 1, 0))
		CF_FAIL("setup: setxattr: %m");
}

/* trusted.* is invisible and unwritable without CAP_SYS_ADMIN. */
static void xattr_trusted_user(struct cf_ctx *c)
{
	char buf[32];

	(void)c;
	CF_ERR(setxattr("f", "trusted.a", "x", 1, 0), EPERM);
	CF_ERR(getxattr("f", "trusted.root", buf, sizeof(buf)), ENODATA);
	CF_ERR(removexattr("f", "trusted.root"), EPERM);
	CF_EQ(listxattr("f", buf, sizeof(buf)), 0);
}

/* security.* for root; user.* is not supported by the export (tmpfs 6.1). */
static void xattr_namespaces(struct cf_ctx *c)
{
	char buf[8];

	if (c->root) {
		CF_OK(setxattr("f", "security.qtfs", "s", 1, 0));
		CF_EQ(getxattr("f", "security.qtfs", buf, sizeof(buf)), 1);
	}
	CF_ERR(setxattr("f", "user.qtfs", "u", 1, 0), EOPNOTSUPP);
	CF_ERR(getxattr("f", "user.qtfs", buf, sizeof(buf)), EOPNOTSUPP);
}

/* ACLs */

#define ACL_XATTR "system.posix_acl_access"
#define ACL_DEFAULT_XATTR "system.posix_acl_default"
#define ACL_VERSION 2
#define ACL_UNDEF 0xffffffffu
enum { AT_USER_OBJ = 1, AT_USER = 2, AT_GROUP_OBJ = 4, AT_GROUP = 8,
       AT_MASK = 0x10, AT_OTHER = 0x20 };

/* An ACL in the xattr format: a le32 version, then 8-byte entries. */
struct acl_buf {
	unsigned char b[4 + 8 * 8];
	size_t len;
};

static void acl_put32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void acl_init(struct acl_buf *a)
{
	acl_put32(a->b, ACL_VERSION);
	a->len = 4;
}

static void acl_add(struct acl_buf *a, unsigned int tag, unsigned int perm,
		    uint32_t id)
{
	unsigned char *e = a->b + a->len;

	e[0] = tag;
	e[1] = tag >> 8;
	e[2] = perm;
	e[3] = 0;
	acl_put32(e + 4, id);
	a->len += 8;
}

/* user::rw- user:<who>:<uperm> group::r-- [group:<g>:r--] mask other::--- */
static void acl_named(struct acl_buf *a, uid_t who, unsigned int uperm,
		      unsigned int mask)
{
	acl_init(a);
	acl_add(a, AT_USER_OBJ, 6, ACL_UNDEF);
	acl_add(a, AT_USER, uperm, who);
	acl_add(a, AT_GROUP_OBJ, 4, ACL_UNDEF);
	acl_add(a, AT_MASK, mask, ACL_UNDEF);
	acl_add(a, AT_OTHER, 0, ACL_UNDEF);
}

static void acl_check(const char *path, const char *name,
		      const struct acl_buf *want, const char *file, int line)
{
	unsigned char got[sizeof(want->b) + 64];
	ssize_t n;

	n = getxattr(path, name, got, sizeof(got));
	if (n < 0)
		cf_fail(file, line, "getxattr(%s, %s): %m", path, name);
	if ((size_t)n != want->len || memcmp(got, want->b, n))
		cf_fail(file, line, "%s of %s: %zd bytes, not the %zu expected",
			name, path, n, want->len);
}

#define ACL_CHECK(p, n, w) acl_check((p), (n), (w), __FILE__, __LINE__)

static void acl_set_get(struct cf_ctx *c)
{
	struct acl_buf a;

	acl_named(&a, c->other_uid, 6, 6);
	CF_OK(setxattr("f", ACL_XATTR, a.b, a.len, 0));
	ACL_CHECK("f", ACL_XATTR, &a);
	/* the group bits of the mode show the mask */
	CF_MODE("f", S_IFREG | 0660);
	CF_EQ(getxattr("f", ACL_XATTR, NULL, 0), a.len);
	/* chmod rewrites the mask, not the named entry */
	CF_OK(chmod("f", 0600));
	acl_named(&a, c->other_uid, 6, 0);
	ACL_CHECK("f", ACL_XATTR, &a);
	CF_OK(removexattr("f", ACL_XATTR));
	CF_ERR(getxattr("f", ACL_XATTR, NULL, 0), ENODATA);
	CF_MODE("f", S_IFREG | 0600);
}

/* An ACL that a mode can say is stored as the mode. */
static void acl_equiv_mode(struct cf_ctx *c)
{
	struct acl_buf a;

	(void)c;
	acl_init(&a);
	acl_add(&a, AT_USER_OBJ, 7, ACL_UNDEF);
	acl_add(&a, AT_GROUP_OBJ, 4, ACL_UNDEF);
	acl_add(&a, AT_OTHER, 1, ACL_UNDEF);
	CF_OK(setxattr("f", ACL_XATTR, a.b, a.len, 0));
	CF_MODE("f", S_IFREG | 0741);
	CF_ERR(getxattr("f", ACL_XATTR, NULL, 0), ENODATA);
}

static void acl_invalid(struct cf_ctx *c)
{
	struct acl_buf a;

	(void)c;
	/* a named user needs a mask */
	acl_init(&a);
	acl_add(&a, AT_USER_OBJ, 6, ACL_UNDEF);
	acl_add(&a, AT_USER, 6, c->other_uid);
	acl_add(&a, AT_GROUP_OBJ, 4, ACL_UNDEF);
	acl_add(&a, AT_OTHER, 0, ACL_UNDEF);
	CF_ERR(setxattr("f", ACL_XATTR, a.b, a.len, 0), EINVAL);
	/* not a whole number of entries */
	acl_named(&a, c->other_uid, 6, 6);
	CF_ERR(setxattr("f", ACL_XATTR, a.b, a.len - 3, 0), EINVAL);
	/* unknown version */
	acl_put32(a.b, 1);
	CF_ERR(setxattr("f", ACL_XATTR, a.b, a.len, 0), EOPNOTSUPP);
	/* no default ACL on a file */
	acl_named(&a, c->other_uid, 6, 6);
	CF_ERR(setxattr("f", ACL_DEFAULT_XATTR, a.b, a.len, 0), EACCES);
	CF_ERR(getxattr("f", ACL_XATTR, NULL, 0), ENODATA);
	CF_MODE("f", S_IFREG | 0644);
}

static void acl_foreign_setup(struct cf_ctx *c)
{
	cf_mkfile("f", 0644, "data");
	cf_chown("f", c->other_uid, c->other_gid);
}

static void acl_not_owner(struct cf_ctx *c)
{
	struct acl_buf a;

	acl_named(&a, c->uid, 6, 6);
	if (c->root) {
		CF_OK(setxattr("f", ACL_XATTR, a.b, a.len, 0));
		return;
	}
	CF_ERR(setxattr("f", ACL_XATTR, a.b, a.len, 0), EPERM);
	CF_ERR(getxattr("f", ACL_XATTR, NULL, 0), ENODATA);
}

/*
 * Files of another user, mode 0600: "r" grants the running user r-- by
 * ACL, "rw" grants rw- under a mask of r--, "plain" has no ACL.
 */
static void acl_enforce_setup(struct cf_ctx *c)
{
	struct acl_buf a;

	cf_mkfile("r", 0600, "r");
	cf_mkfile("rw", 0600, "rw");
	cf_mkfile("plain", 0600, "p");
	cf_chown("r", c->other_uid, c->other_gid);
	cf_chown("rw", c->other_uid, c->other_gid);
	cf_chown("plain", c->other_uid, c->other_gid);
	acl_named(&a, c->uid, 4, 4);
	if (setxattr("r", ACL_XATTR, a.b, a.len, 0))
		CF_FAIL("setup: set ACL: %m");
	acl_named(&a, c->uid, 6, 4);
	if (setxattr("rw", ACL_XATTR, a.b, a.len, 0))
		CF_FAIL("setup: set ACL: %m");
}

static void acl_enforce(struct cf_ctx *c)
{
	(void)c;
	close(CF_RET(open("r", O_RDONLY)));
	CF_ERR(open("r", O_WRONLY), EACCES);
	close(CF_RET(open("rw", O_RDONLY)));
	CF_ERR(open("rw", O_WRONLY), EACCES);
	CF_ERR(open("plain", O_RDONLY), EACCES);
	CF_EQ(access("r", R_OK), 0);
	CF_ERR(access("r", W_OK), EACCES);
}

/* A default ACL is inherited and replaces the umask. */
static void acl_default(struct cf_ctx *c)
{
	struct acl_buf def, want;

	cf_mkdir("dd", 0755);
	acl_init(&def);
	acl_add(&def, AT_USER_OBJ, 7, ACL_UNDEF);
	acl_add(&def, AT_USER, 5, c->other_uid);
	acl_add(&def, AT_GROUP_OBJ, 5, ACL_UNDEF);
	acl_add(&def, AT_MASK, 5, ACL_UNDEF);
	acl_add(&def, AT_OTHER, 0, ACL_UNDEF);
	CF_OK(setxattr("dd", ACL_DEFAULT_XATTR, def.b, def.len, 0));
	ACL_CHECK("dd", ACL_DEFAULT_XATTR, &def);
	CF_ERR(getxattr("dd", ACL_XATTR, NULL, 0), ENODATA);
	umask(077);
	close(CF_RET(open("dd/f", O_CREAT | O_WRONLY, 0666)));
	CF_MODE("dd/f", S_IFREG | 0640);
	acl_init(&want);
	acl_add(&want, AT_USER_OBJ, 6, ACL_UNDEF);
	acl_add(&want, AT_USER, 5, c->other_uid);
	acl_add(&want, AT_GROUP_OBJ, 5, ACL_UNDEF);
	acl_add(&want, AT_MASK, 4, ACL_UNDEF);
	acl_add(&want, AT_OTHER, 0, ACL_UNDEF);
	ACL_CHECK("dd/f", ACL_XATTR, &want);
	CF_ERR(getxattr("dd/f", ACL_DEFAULT_XATTR, NULL, 0), ENODATA);
	CF_OK(mkdir("dd/sub", 0777));
	CF_MODE("dd/sub", S_IFDIR | 0750);
	ACL_CHECK("dd/sub", ACL_DEFAULT_XATTR, &def);
	ACL_CHECK("dd/sub", ACL_XATTR, &def);
	CF_OK(removexattr("dd", ACL_DEFAULT_XATTR));
	close(CF_RET(open("dd/g", O_CREAT | O_WRONLY, 0666)));
	CF_MODE("dd/g", S_IFREG | 0600);
}

const struct cf_case cf_cases_xattr[] = {
	{ "xattr", "set_get_flags", CF_ROOT, setup_file, xattr_basic },
	{ "xattr", "list", CF_ROOT, setup_file, xattr_list },
	{ "xattr", "sizes_names", CF_ROOT, setup_file, xattr_sizes },
	{ "xattr", "errors", CF_RU, setup_file, xattr_errors },
	{ "xattr", "symlink", CF_ROOT, setup_file, xattr_symlink },
	{ "xattr", "trusted_user", CF_USER1, xattr_trusted_setup,
	  xattr_trusted_user },
	{ "xattr", "namespaces", CF_RU, setup_file, xattr_namespaces },
	{ "acl", "set_get_chmod", CF_RU, setup_file, acl_set_get },
	{ "acl", "equiv_mode", CF_RU, setup_file, acl_equiv_mode },
	{ "acl", "invalid", CF_RU, setup_file, acl_invalid },
	{ "acl", "not_owner", CF_RU, acl_foreign_setup, acl_not_owner },
	{ "acl", "enforce", CF_USER1 | CF_USER2, acl_enforce_setup, acl_enforce },
	{ "acl", "default_inherit", CF_RU, NULL, acl_default },
	{ NULL, NULL, 0, NULL, NULL },
};
