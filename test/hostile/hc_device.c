// SPDX-License-Identifier: GPL-2.0
/*
 * CREATE of names that exist: it must open them as OPEN does, with every
 * open check, so that a device node outside [Device] (a twin of /dev/null
 * or /dev/kmsg made in the share) never reaches the server's driver;
 * O_EXCL and directories answer as open(2) with O_CREAT does.
 *
 * Needs the whitelist peers.sh writes for this class: [Device] covers
 * <export>/hd_ok and nothing else.  The class runs in the server's guest
 * and makes its fixtures directly in the export.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "hostile.h"
#include "rmtree.h"

/* fixtures, below the export */
static int dev_setup(int dfd)
{
	qt_rmtree_at(dfd, "hd");
	qt_rmtree_at(dfd, "hd_ok");
	if (mkdirat(dfd, "hd", 0755) || mkdirat(dfd, "hd_ok", 0755) ||
	    mkdirat(dfd, "hd/sub", 0755) ||
	    mknodat(dfd, "hd/null", S_IFCHR | 0666, makedev(1, 3)) ||
	    mknodat(dfd, "hd/kmsg", S_IFCHR | 0644, makedev(1, 11)) ||
	    mknodat(dfd, "hd_ok/null", S_IFCHR | 0666, makedev(1, 3)) ||
	    symlinkat("null", dfd, "hd/lnk")) {
		perror("  device fixtures");
		tk_check("device fixtures", 0);
		return -1;
	}
	return 0;
}

/*
 * CREATE @name in @dir with wire flags @oflags: the errno, and on success
 * whether the reply says the file was created; the handle is released.
 */
static int create(struct sess *s, const char *dir, const char *name,
		  u32 oflags, int *created)
{
	struct qtfs_attr attr;
	struct qtfs_buf b;
	u32 cflags = 0;
	u64 handle = 0;
	int ret;

	ret = call(s, QTFS_OP_CREATE, "pnddd", dir, name, oflags, 0640, 022);
	if (ret)
		return ret;
	qtfs_buf_init(&b, rbuf, rlen);
	if (qtfs_proto_unpack(&b, "qAd", &handle, &attr, &cflags))
		return R_BAD;
	*created = !!(cflags & QTFS_CREATE_CREATED);
	if (call(s, QTFS_OP_RELEASE, "q", handle))
		return R_BAD;
	return 0;
}

static void class_device(void)
{
	int dfd, created = -1;
	struct sess s;

	dfd = open(export, O_DIRECTORY | O_RDONLY);
	if (dfd < 0 || dev_setup(dfd)) {
		tk_check("open the export", dfd >= 0);
		goto out_close;
	}
	if (sess_mount(&s))
		goto out_clean;
	/* an existing device node: OPEN's checks, [Device] among them */
	expect("OPEN hd/null (outside [Device])",
	       call(&s, QTFS_OP_OPEN, "pd", "hd/null", QTFS_O_RDWR), -EPERM);
	expect("CREATE hd null (existing, outside [Device])",
	       create(&s, "hd", "null", QTFS_O_RDWR, &created), -EPERM);
	expect("CREATE hd kmsg (existing, outside [Device])",
	       create(&s, "hd", "kmsg", QTFS_O_RDONLY, &created), -EPERM);
	expect("CREATE hd_ok null (existing, in [Device])",
	       create(&s, "hd_ok", "null", QTFS_O_RDWR, &created), 0);
	tk_check("CREATE hd_ok null: not created", created == 0);
	/* as open(2) with O_CREAT */
	expect("CREATE O_EXCL hd null (existing)",
	       create(&s, "hd", "null", QTFS_O_RDWR | QTFS_O_EXCL, &created),
	       -EEXIST);
	expect("CREATE hd sub (a directory)",
	       create(&s, "hd", "sub", QTFS_O_RDONLY, &created), -EISDIR);
	expect("CREATE hd lnk (a symlink to null, not followed)",
	       create(&s, "hd", "lnk", QTFS_O_RDWR, &created), -ELOOP);
	/* a missing name is created exclusively */
	created = -1;
	expect("CREATE O_EXCL hd new (missing)",
	       create(&s, "hd", "new", QTFS_O_RDWR | QTFS_O_EXCL, &created), 0);
	tk_check("CREATE O_EXCL hd new: created", created == 1);
	expect("CREATE O_EXCL hd new again",
	       create(&s, "hd", "new", QTFS_O_RDWR | QTFS_O_EXCL, &created),
	       -EEXIST);
	created = -1;
	expect("CREATE hd new again (opens it)",
	       create(&s, "hd", "new", QTFS_O_RDWR, &created), 0);
	tk_check("CREATE hd new again: not created", created == 0);
	sess_close(&s);
out_clean:
	qt_rmtree_at(dfd, "hd");
	qt_rmtree_at(dfd, "hd_ok");
out_close:
	if (dfd >= 0)
		close(dfd);
}
HOSTILE_CLASS("device", class_device);
