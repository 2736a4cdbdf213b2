// SPDX-License-Identifier: GPL-2.0
/*
 * Whitelist rules belong to names: LINK and RENAME must not give an object
 * a name that grants what its old name did not, READLINK, GETXATTR and
 * LISTXATTR read under [Read], and LINK keeps linkat(2)'s hard link rules
 * (protected_hardlinks): a non-owner links only safe sources.
 *
 * Needs the whitelist peers.sh writes for this class: [Read] covers
 * <export>/hl_r and <export>/hl_q/sub/x only.  The class runs in the
 * server's guest and makes its fixtures directly in the export.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hostile.h"
#include "rmtree.h"

#define OWNER	1000
#define OTHER	1001

static const char * const link_dirs[] = { "hl_n", "hl_r", "hl_q" };

/* A regular file @name in @dfd with @mode, owned by @uid. */
static int mkfile(int dfd, const char *name, mode_t mode, uid_t uid)
{
	int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY, 0600);

	if (fd < 0)
		return -1;
	close(fd);
	/* after chown, which clears the set-id bits */
	if (fchownat(dfd, name, uid, uid, 0) || fchmodat(dfd, name, mode, 0))
		return -1;
	return 0;
}

/*
 * hl_n: no [Read]; hl_r: [Read], with files of OWNER to hard link into
 * the world-writable hl_r/w; hl_q: [Read] only on hl_q/sub/x, below a
 * name that does not exist yet.
 */
static int link_setup(int dfd)
{
	size_t i;

	for (i = 0; i < sizeof(link_dirs) / sizeof(link_dirs[0]); i++)
		qt_rmtree_at(dfd, link_dirs[i]);
	if (mkdirat(dfd, "hl_n", 0755) || mkdirat(dfd, "hl_n/d", 0755) ||
	    mkfile(dfd, "hl_n/d/x", 0644, 0) ||
	    mkfile(dfd, "hl_n/secret", 0644, 0) ||
	    symlinkat("secret", dfd, "hl_n/lnk") ||
	    mkdirat(dfd, "hl_r", 0755) || mkdirat(dfd, "hl_r/d2", 0755) ||
	    mkfile(dfd, "hl_r/d2/x", 0644, 0) ||
	    mkfile(dfd, "hl_r/f", 0644, 0) || mkfile(dfd, "hl_r/g", 0644, 0) ||
	    symlinkat("f", dfd, "hl_r/lnk") ||
	    mkdirat(dfd, "hl_r/w", 0777) || fchmodat(dfd, "hl_r/w", 0777, 0) ||
	    mkfile(dfd, "hl_r/suid", 04755, OWNER) ||
	    mkfile(dfd, "hl_r/sgid", 02755, OWNER) ||
	    mkfile(dfd, "hl_r/sgnx", 02666, OWNER) ||
	    mkfile(dfd, "hl_r/priv", 0600, OWNER) ||
	    mkfile(dfd, "hl_r/pub", 0666, OWNER) ||
	    mkfifoat(dfd, "hl_r/fifo", 0666) ||
	    fchownat(dfd, "hl_r/fifo", OWNER, OWNER, 0) ||
	    mkdirat(dfd, "hl_q", 0755)) {
		perror("  link fixtures");
		tk_check("link fixtures", 0);
		return -1;
	}
	return 0;
}

static int link_as(struct sess *s, uid_t uid, const char *old,
		   const char *name)
{
	const struct qtfs_cred cred = { .fsuid = uid, .fsgid = uid };

	return call_as(s, &cred, QTFS_OP_LINK, "ppn", old, "hl_r/w", name);
}

static int rename2(struct sess *s, const char *odir, const char *oname,
		   const char *ndir, const char *nname, u32 flags)
{
	return call(s, QTFS_OP_RENAME, "pnpnd", odir, oname, ndir, nname,
		    flags);
}

/* A new name must not grant what the old one did not. */
static void link_move_checks(struct sess *s, int dfd)
{
	struct stat st;

	expect("LINK hl_n/secret -> hl_r/s1 (gains [Read])",
	       call(s, QTFS_OP_LINK, "ppn", "hl_n/secret", "hl_r", "s1"),
	       -EPERM);
	expect("LINK hl_n/secret -> hl_n/s2 (same rules)",
	       call(s, QTFS_OP_LINK, "ppn", "hl_n/secret", "hl_n", "s2"), 0);
	expect("LINK hl_r/f -> hl_n/f1 (loses [Read])",
	       call(s, QTFS_OP_LINK, "ppn", "hl_r/f", "hl_n", "f1"), 0);
	expect("RENAME hl_n/secret -> hl_r/secret (gains [Read])",
	       rename2(s, "hl_n", "secret", "hl_r", "secret", 0), -EPERM);
	expect("RENAME hl_n/d -> hl_r/d (a tree gains [Read])",
	       rename2(s, "hl_n", "d", "hl_r", "d", 0), -EPERM);
	expect("RENAME hl_n/d -> hl_q/sub (d/x gains the [Read] of sub/x)",
	       rename2(s, "hl_n", "d", "hl_q", "sub", 0), -EPERM);
	expect("RENAME EXCHANGE hl_n/secret <-> hl_r/f",
	       rename2(s, "hl_n", "secret", "hl_r", "f",
		       QTFS_RENAME_EXCHANGE), -EPERM);
	tk_check("refused moves left the files in place",
	      !fstatat(dfd, "hl_n/secret", &st, 0) &&
	      !fstatat(dfd, "hl_n/d/x", &st, 0) &&
	      fstatat(dfd, "hl_r/s1", &st, 0) && fstatat(dfd, "hl_q/sub", &st, 0));
	expect("RENAME hl_r/d2 -> hl_q/sub (d2/x was readable already)",
	       rename2(s, "hl_r", "d2", "hl_q", "sub", 0), 0);
	expect("RENAME hl_r/g -> hl_n/g (loses [Read])",
	       rename2(s, "hl_r", "g", "hl_n", "g", 0), 0);
}

/* Reading a link or xattrs is reading. */
static void link_read_checks(struct sess *s)
{
	expect("READLINK hl_n/lnk (no [Read])",
	       call(s, QTFS_OP_READLINK, "p", "hl_n/lnk"), -EPERM);
	expect("READLINK hl_r/lnk", call(s, QTFS_OP_READLINK, "p", "hl_r/lnk"),
	       0);
	expect("GETXATTR hl_n/secret (no [Read])",
	       call(s, QTFS_OP_GETXATTR, "psd", "hl_n/secret",
		    "trusted.hostile", 64), -EPERM);
	expect("GETXATTR hl_r/f (no such attribute)",
	       call(s, QTFS_OP_GETXATTR, "psd", "hl_r/f", "trusted.hostile",
		    64), -ENODATA);
	expect("LISTXATTR hl_n/secret (no [Read])",
	       call(s, QTFS_OP_LISTXATTR, "pd", "hl_n/secret", 256), -EPERM);
	expect("LISTXATTR hl_r/f", call(s, QTFS_OP_LISTXATTR, "pd", "hl_r/f", 256),
	       0);
}

/* may_linkat(): the owner links anything, others only safe sources. */
static void link_hardlink_checks(struct sess *s)
{
	expect("LINK setuid file as a non-owner",
	       link_as(s, OTHER, "hl_r/suid", "a"), -EPERM);
	expect("LINK setgid executable as a non-owner",
	       link_as(s, OTHER, "hl_r/sgid", "b"), -EPERM);
	expect("LINK unreadable file as a non-owner",
	       link_as(s, OTHER, "hl_r/priv", "c"), -EPERM);
	expect("LINK fifo as a non-owner", link_as(s, OTHER, "hl_r/fifo", "d"),
	       -EPERM);
	expect("LINK read-write file as a non-owner (safe source)",
	       link_as(s, OTHER, "hl_r/pub", "e"), 0);
	expect("LINK setgid non-executable as a non-owner (safe source)",
	       link_as(s, OTHER, "hl_r/sgnx", "f"), 0);
	expect("LINK setuid file as its owner",
	       link_as(s, OWNER, "hl_r/suid", "g"), 0);
	expect("LINK fifo as its owner", link_as(s, OWNER, "hl_r/fifo", "h"),
	       0);
	expect("LINK setuid file as root", link_as(s, 0, "hl_r/suid", "i"), 0);
}

static void class_link(void)
{
	struct sess s;
	size_t i;
	int dfd;

	dfd = open(export, O_DIRECTORY | O_RDONLY);
	if (dfd < 0) {
		tk_check("open the export", 0);
		return;
	}
	if (link_setup(dfd) || sess_mount(&s))
		goto out_clean;
	link_move_checks(&s, dfd);
	link_read_checks(&s);
	link_hardlink_checks(&s);
	sess_close(&s);
out_clean:
	for (i = 0; i < sizeof(link_dirs) / sizeof(link_dirs[0]); i++)
		qt_rmtree_at(dfd, link_dirs[i]);
	close(dfd);
}
HOSTILE_CLASS("link", class_link);
