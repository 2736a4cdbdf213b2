// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_conform: name operations: link, mkdir, mkfifo, mknod, rename, rmdir,
 * symlink, unlink.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "conform.h"

/*
 * Common fixture: "f" a file of the user ("data"), "d" an empty dir of the
 * user, "ro" a dir of the user without write permission (0555) holding
 * "ro/f" and "ro/d", "ns" a dir of the user without search permission
 * (0644) holding "ns/f", "a" <-> "b" a symlink loop.
 */
static void setup_tree(struct cf_ctx *c)
{
	cf_mkfile("f", 0644, "data");
	cf_mkdir("d", 0755);
	cf_mkdir("ro", 0755);
	cf_mkfile("ro/f", 0644, "ro");
	cf_mkdir("ro/d", 0755);
	cf_mkdir("ns", 0755);
	cf_mkfile("ns/f", 0644, "ns");
	cf_symlink("b", "a");
	cf_symlink("a", "b");
	cf_chown("f", c->uid, c->gid);
	cf_chown("d", c->uid, c->gid);
	cf_chown("ro/f", c->uid, c->gid);
	cf_chown("ro/d", c->uid, c->gid);
	cf_chown("ns/f", c->uid, c->gid);
	cf_chown("ro", c->uid, c->gid);
	cf_chown("ns", c->uid, c->gid);
	cf_chown("a", c->uid, c->gid);
	cf_chown("b", c->uid, c->gid);
	cf_chmod("ro", 0555);
	cf_chmod("ns", 0644);
}

/*
 * Sticky fixture: "st" a root-owned 01777 dir holding "st/mine" (the
 * user's) and "st/theirs", "st/theirdir" (another user's); "ust" a 01777
 * dir owned by the user holding "ust/theirs".
 */
static void setup_sticky(struct cf_ctx *c)
{
	cf_mkdir("st", 01777);
	cf_mkfile("st/mine", 0644, NULL);
	cf_chown("st/mine", c->uid, c->gid);
	cf_mkfile("st/theirs", 0666, NULL);
	cf_chown("st/theirs", c->other_uid, c->other_gid);
	cf_mkdir("st/theirdir", 0777);
	cf_chown("st/theirdir", c->other_uid, c->other_gid);
	cf_mkdir("ust", 01777);
	cf_chown("ust", c->uid, c->gid);
	cf_chmod("ust", 01777);
	cf_mkfile("ust/theirs", 0666, NULL);
	cf_chown("ust/theirs", c->other_uid, c->other_gid);
}

/* The errors every call that creates "name" shares. */
#define CF_CREATE_ERRORS(call_of) do { \
	CF_ERR(call_of("missing/x"), ENOENT); \
	CF_ERR(call_of("f/x"), ENOTDIR); \
	CF_ERR(call_of(cf_long_name()), ENAMETOOLONG); \
	CF_ERR(call_of(cf_long_path()), ENAMETOOLONG); \
	CF_ERR(call_of("a/x"), ELOOP); \
	if (c->root) { \
		CF_OK(call_of("ro/new")); \
		CF_OK(call_of("ns/new")); \
	} else { \
		CF_ERR(call_of("ro/new"), EACCES); \
		CF_ERR(call_of("ns/new"), EACCES); \
		CF_ABSENT("ro/new"); \
	} \
} while (0)

/* link */

static void link_basic(struct cf_ctx *c)
{
	struct stat a, b;

	(void)c;
	CF_OK(link("f", "g"));
	a = CF_LSTAT("f");
	b = CF_LSTAT("g");
	CF_EQ(a.st_ino, b.st_ino);
	CF_EQ(a.st_nlink, 2);
	CF_CONTENT("g", "data");
	CF_OK(link("g", "d/h"));
	CF_NLINK("f", 3);
	CF_OK(unlink("f"));
	CF_NLINK("g", 2);
	CF_CONTENT("d/h", "data");
	CF_OK(unlink("g"));
	CF_NLINK("d/h", 1);
	/* a symlink is linked itself, not its target */
	cf_symlink("d/h", "l");
	CF_OK(link("l", "l2"));
	CF_MODE("l2", S_IFLNK | 0777);
	CF_NLINK("d/h", 1);
	CF_OK(linkat(AT_FDCWD, "l", AT_FDCWD, "h2", AT_SYMLINK_FOLLOW));
	CF_NLINK("d/h", 2);
}

#define LINK_F(n) link("f", (n))
static void link_errors(struct cf_ctx *c)
{
	CF_CREATE_ERRORS(LINK_F);
	CF_ERR(link("f", "d"), EEXIST);
	CF_ERR(link("f", "f"), EEXIST);
	CF_ERR(link("f", "a"), EEXIST);
	CF_ERR(link("missing", "x"), ENOENT);
	CF_ERR(link("d", "x"), EPERM);
	CF_ERR(link("f/x", "x"), ENOTDIR);
	CF_ERR(linkat(AT_FDCWD, "a", AT_FDCWD, "x", AT_SYMLINK_FOLLOW), ELOOP);
	CF_ERR(linkat(AT_FDCWD, "f", AT_FDCWD, "x", 0x8000), EINVAL);
	CF_ABSENT("x");
}

/* mkdir */

static void mkdir_basic(struct cf_ctx *c)
{
	struct stat st;

	CF_OK(mkdir("n", 0755));
	st = CF_LSTAT("n");
	CF_EQ(st.st_mode, S_IFDIR | 0755);
	CF_EQ(st.st_uid, c->uid);
	CF_EQ(st.st_gid, c->gid);
	CF_EQ(st.st_nlink, 2);
	CF_NLINK(".", 3);
	CF_OK(mkdir("n/m", 0700));
	CF_NLINK("n", 3);
	/* the sticky bit is kept, set-user-ID is not */
	CF_OK(mkdir("s", 01777));
	CF_MODE("s", S_IFDIR | 01777);
	CF_OK(mkdir("u", 04755));
	CF_MODE("u", S_IFDIR | 0755);
	umask(022);
	CF_OK(mkdir("um", 0777));
	CF_MODE("um", S_IFDIR | 0755);
	CF_OK(mkdir(cf_max_name(), 0700));
	CF_MODE(cf_max_name(), S_IFDIR | 0700);
}

#define MKDIR(n) mkdir((n), 0755)
static void mkdir_errors(struct cf_ctx *c)
{
	CF_CREATE_ERRORS(MKDIR);
	CF_ERR(mkdir("f", 0755), EEXIST);
	CF_ERR(mkdir("d", 0755), EEXIST);
	CF_ERR(mkdir("a", 0755), EEXIST);
	cf_symlink("nowhere", "dangling");
	CF_ERR(mkdir("dangling", 0755), EEXIST);
	CF_ABSENT("nowhere");
}

static void mkdir_times(struct cf_ctx *c)
{
	struct stat a, b;

	(void)c;
	a = CF_LSTAT(".");
	cf_tick();
	CF_OK(mkdir("n", 0755));
	b = CF_LSTAT(".");
	CF_LATER(b.st_mtim, a.st_mtim);
}

/* A set-group-ID dir of the shared group: new entries inherit the group. */
static void setup_sgid(struct cf_ctx *c)
{
	(void)c;
	cf_mkdir("g", 0777);
	cf_chown("g", 0, CF_GID_SHARED);
	cf_chmod("g", 02777);
}

static void mkdir_sgid(struct cf_ctx *c)
{
	int fd;

	CF_OK(mkdir("g/sub", 0755));
	CF_MODE("g/sub", S_IFDIR | 02755);
	CF_GID("g/sub", CF_GID_SHARED);
	CF_UID("g/sub", c->uid);
	fd = CF_RET(open("g/file", O_CREAT | O_WRONLY, 0644));
	close(fd);
	CF_MODE("g/file", S_IFREG | 0644);
	CF_GID("g/file", CF_GID_SHARED);
	CF_OK(mkdir("g/sub/deeper", 0700));
	CF_MODE("g/sub/deeper", S_IFDIR | 02700);
	CF_GID("g/sub/deeper", CF_GID_SHARED);
	/* the creator is in the group: a set-group-ID bit asked for stays */
	fd = CF_RET(open("g/sgfile", O_CREAT | O_WRONLY, 02755));
	close(fd);
	CF_GID("g/sgfile", CF_GID_SHARED);
	CF_MODE("g/sgfile", S_IFREG | 02755);
	CF_OK(mknod("g/fifo", S_IFIFO | 0600, 0));
	CF_GID("g/fifo", CF_GID_SHARED);
	CF_OK(symlink("x", "g/l"));
	CF_GID("g/l", CF_GID_SHARED);
}

/* mkfifo */

static void mkfifo_basic(struct cf_ctx *c)
{
	char buf[8] = "";
	struct stat st;
	int r, w;

	CF_OK(mkfifo("p", 0640));
	st = CF_LSTAT("p");
	CF_EQ(st.st_mode, S_IFIFO | 0640);
	CF_EQ(st.st_uid, c->uid);
	CF_EQ(st.st_gid, c->gid);
	CF_EQ(st.st_size, 0);
	CF_ERR(open("p", O_WRONLY | O_NONBLOCK), ENXIO);
	r = CF_RET(open("p", O_RDONLY | O_NONBLOCK));
	w = CF_RET(open("p", O_WRONLY | O_NONBLOCK));
	CF_EQ(write(w, "abc", 3), 3);
	CF_EQ(read(r, buf, sizeof(buf)), 3);
	CF_STR(buf, "abc");
	CF_ERR(read(r, buf, sizeof(buf)), EAGAIN);
	close(w);
	CF_EQ(read(r, buf, sizeof(buf)), 0);
	close(r);
}

#define MKFIFO(n) mkfifo((n), 0644)
static void mkfifo_errors(struct cf_ctx *c)
{
	CF_CREATE_ERRORS(MKFIFO);
	CF_ERR(mkfifo("f", 0644), EEXIST);
	CF_ERR(mkfifo("d", 0644), EEXIST);
	CF_ERR(mkfifo("a", 0644), EEXIST);
}

/* mknod */

static void mknod_types(struct cf_ctx *c)
{
	struct stat st;

	CF_OK(mknod("fifo", S_IFIFO | 0600, 0));
	CF_MODE("fifo", S_IFIFO | 0600);
	CF_OK(mknod("sock", S_IFSOCK | 0640, 0));
	CF_MODE("sock", S_IFSOCK | 0640);
	CF_OK(mknod("reg", S_IFREG | 0604, 0));
	CF_MODE("reg", S_IFREG | 0604);
	CF_OK(mknod("zero", 0644, 0));
	CF_MODE("zero", S_IFREG | 0644);
	CF_UID("zero", c->uid);
	CF_ERR(mknod("dir", S_IFDIR | 0755, 0), EPERM);
	CF_ERR(mknod("lnk", S_IFLNK | 0755, 0), EINVAL);
	CF_ERR(mknod("f", S_IFIFO | 0644, 0), EEXIST);
	if (!c->root) {
		CF_ERR(mknod("chr", S_IFCHR | 0644, makedev(1, 3)), EPERM);
		CF_ERR(mknod("blk", S_IFBLK | 0644, makedev(7, 0)), EPERM);
		CF_ABSENT("chr");
		return;
	}
	CF_OK(mknod("chr", S_IFCHR | 0644, makedev(1, 3)));
	st = CF_LSTAT("chr");
	CF_EQ(st.st_mode, S_IFCHR | 0644);
	CF_EQ(major(st.st_rdev), 1);
	CF_EQ(minor(st.st_rdev), 3);
	CF_OK(mknod("blk", S_IFBLK | 0600, makedev(7, 0)));
	st = CF_LSTAT("blk");
	CF_EQ(st.st_mode, S_IFBLK | 0600);
	CF_EQ(st.st_rdev, makedev(7, 0));
	CF_OK(mknod("big", S_IFCHR | 0600, makedev(4095, 1048575)));
	CF_EQ(CF_LSTAT("big").st_rdev, makedev(4095, 1048575));
}

#define MKNOD(n) mknod((n), S_IFIFO | 0644, 0)
static void mknod_errors(struct cf_ctx *c)
{
	CF_CREATE_ERRORS(MKNOD);
}

/* A char device node made on the fs opens the device (here: null). */
static void mknod_chr_open(struct cf_ctx *c)
{
	char buf[4];
	int fd;

	(void)c;
	CF_OK(mknod("null", S_IFCHR | 0666, makedev(1, 3)));
	fd = CF_RET(open("null", O_RDWR));
	CF_EQ(write(fd, "abc", 3), 3);
	CF_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	CF_SIZE("null", 0);
}

/* bind() creates the socket node; connect() through it reaches it. */
static void mknod_socket(struct cf_ctx *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8] = "";
	int s, cl, a;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", c->dir);
	s = CF_RET(socket(AF_UNIX, SOCK_STREAM, 0));
	CF_OK(bind(s, (struct sockaddr *)&sa, sizeof(sa)));
	CF_EQ(CF_LSTAT("s").st_mode & S_IFMT, S_IFSOCK);
	CF_UID("s", c->uid);
	CF_OK(listen(s, 1));
	cl = CF_RET(socket(AF_UNIX, SOCK_STREAM, 0));
	CF_OK(connect(cl, (struct sockaddr *)&sa, sizeof(sa)));
	a = CF_RET(accept(s, NULL, NULL));
	CF_EQ(write(cl, "hi", 2), 2);
	CF_EQ(read(a, buf, sizeof(buf)), 2);
	CF_STR(buf, "hi");
	close(a);
	close(cl);
	close(s);
	CF_ERR(bind(CF_RET(socket(AF_UNIX, SOCK_STREAM, 0)),
		    (struct sockaddr *)&sa, sizeof(sa)), EADDRINUSE);
}

/* rename */

static void rename_file(struct cf_ctx *c)
{
	char buf[8];
	struct stat a;
	int fd;

	(void)c;
	a = CF_LSTAT("f");
	CF_OK(rename("f", "g"));
	CF_ABSENT("f");
	CF_EQ(CF_LSTAT("g").st_ino, a.st_ino);
	CF_CONTENT("g", "data");
	CF_OK(rename("g", "d/g"));
	CF_CONTENT("d/g", "data");
	CF_ABSENT("g");
	/* replacing a file: the old one loses a link */
	cf_mkfile("old", 0644, "old");
	CF_OK(link("old", "keep"));
	CF_OK(rename("d/g", "old"));
	CF_EQ(CF_LSTAT("old").st_ino, a.st_ino);
	CF_CONTENT("old", "data");
	CF_NLINK("keep", 1);
	CF_CONTENT("keep", "old");
	/* two links of one inode: nothing happens */
	CF_OK(link("old", "same"));
	CF_OK(rename("old", "same"));
	CF_NLINK("old", 2);
	CF_NLINK("same", 2);
	CF_OK(rename("old", "old"));
	/* an open file that is replaced keeps its content for its opener */
	cf_mkfile("repl", 0644, "new");
	fd = CF_RET(open("keep", O_RDONLY));
	CF_OK(rename("repl", "keep"));
	CF_EQ(pread(fd, buf, sizeof(buf), 0), 3);
	CF_TRUE(!memcmp(buf, "old", 3));
	close(fd);
	CF_CONTENT("keep", "new");
	CF_ABSENT("repl");
	/* a symlink is renamed itself */
	cf_symlink("same", "l");
	CF_OK(rename("l", "l2"));
	CF_MODE("l2", S_IFLNK | 0777);
	CF_CONTENT("same", "data");
}

static void rename_dir(struct cf_ctx *c)
{
	(void)c;
	CF_OK(mkdir("d/sub", 0755));
	CF_OK(mkdir("e", 0755));
	CF_NLINK(".", 6);
	CF_NLINK("d", 3);
	CF_OK(rename("d/sub", "e/sub"));
	CF_NLINK("d", 2);
	CF_NLINK("e", 3);
	CF_OK(rename("e/sub", "sub"));
	CF_NLINK(".", 7);
	CF_NLINK("e", 2);
	/* onto an empty dir */
	CF_OK(rename("sub", "e"));
	CF_ABSENT("sub");
	CF_NLINK(".", 6);
	CF_MODE("e", S_IFDIR | 0755);
	/* ".." follows the move */
	CF_OK(mkdir("e/x", 0700));
	CF_OK(rename("e/x", "d/x"));
	CF_EQ(CF_LSTAT("d/x/..").st_ino, CF_LSTAT("d").st_ino);
}

static void rename_errors(struct cf_ctx *c)
{
	CF_OK(mkdir("full", 0755));
	CF_OK(mkdir("full/x", 0755));
	CF_ERR(rename("d", "full"), ENOTEMPTY);
	CF_ERR(rename("d", "f"), ENOTDIR);
	CF_ERR(rename("f", "d"), EISDIR);
	CF_ERR(rename("d", "d/in"), EINVAL);
	CF_ERR(rename("full", "full/x/y"), EINVAL);
	CF_ERR(rename("full/x", "full"), ENOTEMPTY);
	CF_ERR(rename("missing", "x"), ENOENT);
	CF_ERR(rename("f", "missing/x"), ENOENT);
	CF_ERR(rename("f/x", "x"), ENOTDIR);
	CF_ERR(rename("f", "f/x"), ENOTDIR);
	CF_ERR(rename("f", cf_long_name()), ENAMETOOLONG);
	CF_ERR(rename(cf_long_name(), "x"), ENAMETOOLONG);
	CF_ERR(rename("f", cf_long_path()), ENAMETOOLONG);
	CF_ERR(rename("a/x", "x"), ELOOP);
	CF_ERR(rename(".", "x"), EBUSY);
	CF_ERR(rename("d/.", "x"), EBUSY);
	CF_ERR(rename("d", "d/."), EBUSY);
	if (c->root) {
		CF_OK(rename("ro/f", "rof"));
		CF_OK(rename("f", "ro/f2"));
		CF_OK(rename("ns/f", "nsf"));
	} else {
		CF_ERR(rename("ro/f", "rof"), EACCES);
		CF_ERR(rename("f", "ro/f2"), EACCES);
		CF_ERR(rename("ns/f", "nsf"), EACCES);
		CF_ERR(rename("f", "ns/f2"), EACCES);
		CF_CONTENT("ro/f", "ro");
		CF_CONTENT("f", "data");
		/* moving a dir to another parent rewrites its ".." */
		CF_OK(chmod("ro", 0755));
		CF_OK(chmod("ro/d", 0555));
		CF_ERR(rename("ro/d", "d/moved"), EACCES);
		CF_OK(rename("ro/d", "ro/renamed"));
	}
}

static void rename_sticky(struct cf_ctx *c)
{
	if (c->root) {
		CF_OK(rename("st/theirs", "st/t2"));
		CF_OK(rename("st/theirdir", "st/td2"));
		return;
	}
	CF_ERR(rename("st/theirs", "st/t2"), EPERM);
	CF_ERR(rename("st/mine", "st/theirs"), EPERM);
	CF_ERR(rename("st/theirdir", "st/td2"), EPERM);
	CF_OK(rename("st/mine", "st/mine2"));
	CF_OK(rename("ust/theirs", "ust/t2"));
	CF_UID("ust/t2", c->other_uid);
}

static void rename_flags(struct cf_ctx *c)
{
	struct stat f, d;

	(void)c;
	cf_mkfile("g", 0644, "other");
	f = CF_LSTAT("f");
	d = CF_LSTAT("d");
	CF_ERR(renameat2(AT_FDCWD, "f", AT_FDCWD, "g", RENAME_NOREPLACE), EEXIST);
	CF_ERR(renameat2(AT_FDCWD, "f", AT_FDCWD, "a", RENAME_NOREPLACE), EEXIST);
	CF_CONTENT("g", "other");
	CF_OK(renameat2(AT_FDCWD, "f", AT_FDCWD, "h", RENAME_NOREPLACE));
	CF_ABSENT("f");
	CF_CONTENT("h", "data");
	CF_OK(renameat2(AT_FDCWD, "h", AT_FDCWD, "g", RENAME_EXCHANGE));
	CF_CONTENT("h", "other");
	CF_CONTENT("g", "data");
	/* a file and a dir trade places */
	CF_OK(renameat2(AT_FDCWD, "g", AT_FDCWD, "d", RENAME_EXCHANGE));
	CF_EQ(CF_LSTAT("d").st_ino, f.st_ino);
	CF_EQ(CF_LSTAT("g").st_ino, d.st_ino);
	CF_MODE("g", S_IFDIR | 0755);
	CF_ERR(renameat2(AT_FDCWD, "h", AT_FDCWD, "missing", RENAME_EXCHANGE),
	       ENOENT);
	CF_ERR(renameat2(AT_FDCWD, "h", AT_FDCWD, "x",
			 RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
	CF_ERR(renameat2(AT_FDCWD, "h", AT_FDCWD, "x", 0x80), EINVAL);
	CF_ERR(renameat2(AT_FDCWD, "g", AT_FDCWD, "g/x", RENAME_EXCHANGE),
	       ENOENT);
	CF_CONTENT("h", "other");
	/* a dir and a file in different parents: the link counts follow */
	CF_OK(mkdir("g/sub", 0700));
	CF_NLINK("g", 3);
	CF_NLINK(".", 5);
	CF_OK(renameat2(AT_FDCWD, "g/sub", AT_FDCWD, "h", RENAME_EXCHANGE));
	CF_NLINK("g", 2);
	CF_NLINK(".", 6);
	CF_MODE("h", S_IFDIR | 0700);
	CF_MODE("g/sub", S_IFREG | 0644);
	CF_EQ(CF_LSTAT("h/..").st_ino, CF_LSTAT(".").st_ino);
}

static void rename_times(struct cf_ctx *c)
{
	struct stat a, b, f, g;

	(void)c;
	a = CF_LSTAT("d");
	f = CF_LSTAT("f");
	cf_tick();
	CF_OK(rename("f", "d/f"));
	b = CF_LSTAT("d");
	CF_LATER(b.st_mtim, a.st_mtim);
	/* the renamed inode's ctime changes, its mtime does not */
	g = CF_LSTAT("d/f");
	CF_LATER(g.st_ctim, f.st_ctim);
	CF_EQ(g.st_mtim.tv_nsec, f.st_mtim.tv_nsec);
}

/* rmdir */

static void rmdir_basic(struct cf_ctx *c)
{
	(void)c;
	CF_NLINK(".", 5);
	CF_OK(rmdir("d"));
	CF_ABSENT("d");
	CF_NLINK(".", 4);
	CF_OK(mkdir("x", 0700));
	CF_OK(mkdir("x/y", 0700));
	CF_ERR(rmdir("x"), ENOTEMPTY);
	CF_OK(rmdir("x/y"));
	CF_NLINK("x", 2);
	CF_OK(rmdir("x/"));
	CF_ABSENT("x");
}

static void rmdir_errors(struct cf_ctx *c)
{
	CF_OK(mkdir("full", 0755));
	cf_mkfile("full/x", 0644, NULL);
	CF_ERR(rmdir("full"), ENOTEMPTY);
	CF_ERR(rmdir("f"), ENOTDIR);
	CF_ERR(rmdir("missing"), ENOENT);
	CF_ERR(rmdir("f/x"), ENOTDIR);
	CF_ERR(rmdir("d/."), EINVAL);
	CF_ERR(rmdir("d/.."), ENOTEMPTY);
	CF_ERR(rmdir(cf_long_name()), ENAMETOOLONG);
	CF_ERR(rmdir(cf_long_path()), ENAMETOOLONG);
	CF_ERR(rmdir("a/x"), ELOOP);
	cf_symlink("d", "ld");
	CF_ERR(rmdir("ld"), ENOTDIR);
	if (c->root) {
		CF_OK(rmdir("ro/d"));
	} else {
		CF_ERR(rmdir("ro/d"), EACCES);
		CF_MODE("ro/d", S_IFDIR | 0755);
	}
}

static void rmdir_sticky(struct cf_ctx *c)
{
	if (c->root) {
		CF_OK(rmdir("st/theirdir"));
		return;
	}
	CF_ERR(rmdir("st/theirdir"), EPERM);
	CF_MODE("st/theirdir", S_IFDIR | 0777);
}

/* symlink */

static void symlink_basic(struct cf_ctx *c)
{
	char buf[64];
	struct stat st;

	CF_OK(symlink("f", "l"));
	st = CF_LSTAT("l");
	CF_EQ(st.st_mode, S_IFLNK | 0777);
	CF_EQ(st.st_size, 1);
	CF_EQ(st.st_uid, c->uid);
	CF_EQ(st.st_gid, c->gid);
	CF_EQ(readlink("l", buf, sizeof(buf)), 1);
	CF_CONTENT("l", "data");
	CF_OK(symlink("../x/./y//z", "rel"));
	CF_EQ(readlink("rel", buf, sizeof(buf)), 11);
	CF_TRUE(!memcmp(buf, "../x/./y//z", 11));
	/* a short buffer gets a truncated target, not an error */
	CF_EQ(readlink("rel", buf, 3), 3);
	CF_TRUE(!memcmp(buf, "../", 3));
	CF_OK(symlink("nowhere", "dangling"));
	CF_ERR(open("dangling", O_RDONLY), ENOENT);
	CF_ERR(readlink("f", buf, sizeof(buf)), EINVAL);
	CF_ERR(readlink("missing", buf, sizeof(buf)), ENOENT);
	CF_OK(symlink("d", "ld"));
	CF_OK(mkdir("ld/sub", 0700));
	CF_MODE("d/sub", S_IFDIR | 0700);
}

static void symlink_long(struct cf_ctx *c)
{
	static char target[PATH_MAX + 1], buf[PATH_MAX + 1];

	(void)c;
	memset(target, 't', PATH_MAX - 1);
	CF_OK(symlink(target, "l"));
	CF_SIZE("l", PATH_MAX - 1);
	CF_EQ(readlink("l", buf, sizeof(buf)), PATH_MAX - 1);
	CF_TRUE(!memcmp(buf, target, PATH_MAX - 1));
	target[PATH_MAX - 1] = 't';
	CF_ERR(symlink(target, "l2"), ENAMETOOLONG);
	CF_ABSENT("l2");
	CF_ERR(symlink("", "l3"), ENOENT);
}

/* MAXSYMLINKS (40) links may be followed, the 41st is a loop. */
static void symlink_chain(struct cf_ctx *c)
{
	char from[16], to[16];
	int i;

	(void)c;
	for (i = 0; i < 41; i++) {
		snprintf(from, sizeof(from), "l%d", i);
		if (i == 40)
			snprintf(to, sizeof(to), "f");
		else
			snprintf(to, sizeof(to), "l%d", i + 1);
		CF_OK(symlink(to, from));
	}
	CF_CONTENT("l1", "data");
	CF_ERR(open("l0", O_RDONLY), ELOOP);
	CF_ERR(open("a", O_RDONLY), ELOOP);
}

#define SYMLINK(n) symlink("target", (n))
static void symlink_errors(struct cf_ctx *c)
{
	CF_CREATE_ERRORS(SYMLINK);
	CF_ERR(symlink("x", "f"), EEXIST);
	CF_ERR(symlink("x", "d"), EEXIST);
	CF_ERR(symlink("x", "a"), EEXIST);
	CF_CONTENT("f", "data");
}

/* unlink */

static void unlink_basic(struct cf_ctx *c)
{
	char buf[8] = "";
	struct stat st;
	int fd;

	(void)c;
	CF_OK(link("f", "g"));
	CF_OK(unlink("g"));
	CF_ABSENT("g");
	CF_NLINK("f", 1);
	fd = CF_RET(open("f", O_RDWR));
	CF_OK(unlink("f"));
	CF_ABSENT("f");
	CF_OK(fstat(fd, &st));
	CF_EQ(st.st_nlink, 0);
	CF_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	CF_STR(buf, "data");
	CF_EQ(pwrite(fd, "more", 4, 4), 4);
	CF_OK(fstat(fd, &st));
	CF_EQ(st.st_size, 8);
	close(fd);
	cf_symlink("d", "ld");
	CF_OK(unlink("ld"));
	CF_MODE("d", S_IFDIR | 0755);
	CF_OK(unlink("a"));
	CF_MODE("b", S_IFLNK | 0777);
	CF_OK(mkfifo("p", 0644));
	CF_OK(unlink("p"));
	CF_ABSENT("p");
}

static void unlink_errors(struct cf_ctx *c)
{
	CF_ERR(unlink("d"), EISDIR);
	CF_ERR(unlink("missing"), ENOENT);
	CF_ERR(unlink("f/x"), ENOTDIR);
	CF_ERR(unlink("missing/x"), ENOENT);
	CF_ERR(unlink(cf_long_name()), ENAMETOOLONG);
	CF_ERR(unlink(cf_long_path()), ENAMETOOLONG);
	CF_ERR(unlink("a/x"), ELOOP);
	if (c->root) {
		CF_OK(unlink("ro/f"));
		CF_OK(unlink("ns/f"));
	} else {
		CF_ERR(unlink("ro/f"), EACCES);
		CF_ERR(unlink("ns/f"), EACCES);
		CF_CONTENT("ro/f", "ro");
	}
}

static void unlink_sticky(struct cf_ctx *c)
{
	CF_OK(unlink("st/mine"));
	CF_OK(unlink("ust/theirs"));
	if (c->root) {
		CF_OK(unlink("st/theirs"));
	} else {
		CF_ERR(unlink("st/theirs"), EPERM);
		CF_UID("st/theirs", c->other_uid);
	}
}

static void unlink_times(struct cf_ctx *c)
{
	struct stat a, b;

	(void)c;
	CF_OK(link("f", "g"));
	a = CF_LSTAT("f");
	cf_tick();
	CF_OK(unlink("g"));
	b = CF_LSTAT("f");
	CF_LATER(b.st_ctim, a.st_ctim);
}

const struct cf_case cf_cases_name[] = {
	{ "link", "basic", CF_RU, setup_tree, link_basic },
	{ "link", "errors", CF_RU, setup_tree, link_errors },
	{ "mkdir", "basic", CF_RU, NULL, mkdir_basic },
	{ "mkdir", "errors", CF_RU, setup_tree, mkdir_errors },
	{ "mkdir", "parent_times", CF_RU, NULL, mkdir_times },
	{ "mkdir", "sgid_inherit", CF_RU, setup_sgid, mkdir_sgid },
	{ "mkfifo", "basic", CF_RU, NULL, mkfifo_basic },
	{ "mkfifo", "errors", CF_RU, setup_tree, mkfifo_errors },
	{ "mknod", "types", CF_RU, setup_tree, mknod_types },
	{ "mknod", "errors", CF_RU, setup_tree, mknod_errors },
	{ "mknod", "chr_open", CF_ROOT, NULL, mknod_chr_open },
	{ "mknod", "socket_bind", CF_RU, NULL, mknod_socket },
	{ "rename", "file", CF_RU, setup_tree, rename_file },
	{ "rename", "dir", CF_RU, setup_tree, rename_dir },
	{ "rename", "errors", CF_RU, setup_tree, rename_errors },
	{ "rename", "sticky", CF_RU, setup_sticky, rename_sticky },
	{ "rename", "noreplace_exchange", CF_RU, setup_tree, rename_flags },
	{ "rename", "parent_times", CF_RU, setup_tree, rename_times },
	{ "rmdir", "basic", CF_RU, setup_tree, rmdir_basic },
	{ "rmdir", "errors", CF_RU, setup_tree, rmdir_errors },
	{ "rmdir", "sticky", CF_RU, setup_sticky, rmdir_sticky },
	{ "symlink", "basic", CF_RU, setup_tree, symlink_basic },
	{ "symlink", "long_target", CF_RU, NULL, symlink_long },
	{ "symlink", "eloop_chain", CF_RU, setup_tree, symlink_chain },
	{ "symlink", "errors", CF_RU, setup_tree, symlink_errors },
	{ "unlink", "basic", CF_RU, setup_tree, unlink_basic },
	{ "unlink", "errors", CF_RU, setup_tree, unlink_errors },
	{ "unlink", "sticky", CF_RU, setup_sticky, unlink_sticky },
	{ "unlink", "parent_times", CF_RU, setup_tree, unlink_times },
	{ NULL, NULL, 0, NULL, NULL },
};
