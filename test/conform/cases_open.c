// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_conform: open (creation, truncation, access checks, privilege
 * clearing on write, special files) and readdir/telldir.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "conform.h"

/*
 * "f" a file of the user ("hello"), "d" a dir, "r" mode 0400, "w" mode 0200,
 * "none" mode 0, "ro" a 0555 dir, "ns" a 0644 dir with "ns/f", all the
 * user's; "a" <-> "b" a loop, "l" -> "f", "dangling" -> "new".
 */
static void setup_open(struct cf_ctx *c)
{
	static const char *const own[] = {
		"f", "d", "r", "w", "none", "ro", "ns", "ns/f", "a", "b", "l",
		"dangling",
	};
	unsigned int i;

	cf_mkfile("f", 0644, "hello");
	cf_mkdir("d", 0755);
	cf_mkfile("r", 0400, "r");
	cf_mkfile("w", 0200, "w");
	cf_mkfile("none", 0, "n");
	cf_mkdir("ro", 0555);
	cf_mkdir("ns", 0755);
	cf_mkfile("ns/f", 0644, "ns");
	cf_symlink("b", "a");
	cf_symlink("a", "b");
	cf_symlink("f", "l");
	cf_symlink("new", "dangling");
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		cf_chown(own[i], c->uid, c->gid);
	cf_chmod("ns", 0644);
}

static void open_creat(struct cf_ctx *c)
{
	struct stat st;
	int fd;

	fd = CF_RET(open("n", O_CREAT | O_WRONLY, 0640));
	CF_OK(fstat(fd, &st));
	CF_EQ(st.st_mode, S_IFREG | 0640);
	CF_EQ(st.st_uid, c->uid);
	CF_EQ(st.st_gid, c->gid);
	CF_EQ(st.st_size, 0);
	CF_EQ(st.st_nlink, 1);
	CF_EQ(write(fd, "xyz", 3), 3);
	close(fd);
	CF_CONTENT("n", "xyz");
	/* an existing file is opened, its mode is not touched */
	fd = CF_RET(open("n", O_CREAT | O_RDWR, 0600));
	close(fd);
	CF_MODE("n", S_IFREG | 0640);
	CF_CONTENT("n", "xyz");
	/* the mode asked for applies to later opens, not this one */
	fd = CF_RET(open("ro_new", O_CREAT | O_RDWR, 0444));
	CF_EQ(write(fd, "w", 1), 1);
	close(fd);
	CF_MODE("ro_new", S_IFREG | 0444);
	umask(027);
	fd = CF_RET(open("um", O_CREAT | O_WRONLY, 0777));
	close(fd);
	CF_MODE("um", S_IFREG | 0750);
	/* through a dangling symlink, the target is created */
	fd = CF_RET(open("dangling", O_CREAT | O_WRONLY, 0600));
	close(fd);
	CF_MODE("new", S_IFREG | 0600);
	CF_MODE("dangling", S_IFLNK | 0777);
	fd = CF_RET(open(cf_max_name(), O_CREAT | O_WRONLY, 0600));
	close(fd);
	CF_SIZE(cf_max_name(), 0);
}

static void open_excl(struct cf_ctx *c)
{
	int fd;

	(void)c;
	CF_ERR(open("f", O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST);
	CF_ERR(open("d", O_CREAT | O_EXCL | O_RDONLY, 0600), EEXIST);
	CF_ERR(open("l", O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST);
	CF_ERR(open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST);
	CF_ABSENT("new");
	CF_CONTENT("f", "hello");
	fd = CF_RET(open("x", O_CREAT | O_EXCL | O_WRONLY, 0600));
	close(fd);
	CF_MODE("x", S_IFREG | 0600);
}

static void open_trunc(struct cf_ctx *c)
{
	struct stat a, b;
	int fd;

	(void)c;
	a = CF_LSTAT("f");
	cf_tick();
	fd = CF_RET(open("f", O_WRONLY | O_TRUNC));
	CF_OK(fstat(fd, &b));
	CF_EQ(b.st_size, 0);
	close(fd);
	CF_SIZE("f", 0);
	CF_LATER(b.st_mtim, a.st_mtim);
	/* O_CREAT|O_TRUNC on an existing file truncates it too */
	cf_mkfile("g", 0644, "content");
	fd = CF_RET(open("g", O_CREAT | O_TRUNC | O_RDWR, 0600));
	close(fd);
	CF_SIZE("g", 0);
	CF_MODE("g", S_IFREG | 0644);
	CF_ERR(open("d", O_RDONLY | O_TRUNC), EISDIR);
}

static void trunc_rdonly_setup(struct cf_ctx *c)
{
	cf_mkfile("mine", 0644, "hello");
	cf_chown("mine", c->uid, c->gid);
	cf_mkfile("mine_ro", 0444, "hello");
	cf_chown("mine_ro", c->uid, c->gid);
	cf_mkfile("foreign", 0644, "hello");
	cf_chown("foreign", c->other_uid, c->other_gid);
}

/*
 * O_RDONLY|O_TRUNC truncates when the caller may write the file (Linux
 * checks write permission for O_TRUNC whatever the access mode), and the
 * descriptor stays read-only.
 */
static void open_trunc_rdonly(struct cf_ctx *c)
{
	int fd;

	fd = CF_RET(open("mine", O_RDONLY | O_TRUNC));
	CF_ERR(write(fd, "x", 1), EBADF);
	close(fd);
	CF_SIZE("mine", 0);
	if (c->root) {
		close(CF_RET(open("mine_ro", O_RDONLY | O_TRUNC)));
		CF_SIZE("mine_ro", 0);
		close(CF_RET(open("foreign", O_RDONLY | O_TRUNC)));
		CF_SIZE("foreign", 0);
		return;
	}
	CF_ERR(open("mine_ro", O_RDONLY | O_TRUNC), EACCES);
	CF_SIZE("mine_ro", 5);
	CF_ERR(open("foreign", O_RDONLY | O_TRUNC), EACCES);
	CF_SIZE("foreign", 5);
}

static void open_errors(struct cf_ctx *c)
{
	(void)c;
	CF_ERR(open("missing", O_RDONLY), ENOENT);
	CF_ERR(open("missing/x", O_CREAT | O_WRONLY, 0644), ENOENT);
	CF_ERR(open("f/x", O_RDONLY), ENOTDIR);
	CF_ERR(open("f/x", O_CREAT | O_WRONLY, 0644), ENOTDIR);
	CF_ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CF_ERR(open("f/", O_RDONLY), ENOTDIR);
	CF_ERR(open("d", O_WRONLY), EISDIR);
	CF_ERR(open("d", O_RDWR), EISDIR);
	CF_ERR(open("d", O_CREAT | O_RDONLY, 0644), EISDIR);
	CF_ERR(open("a", O_RDONLY), ELOOP);
	CF_ERR(open("l", O_RDONLY | O_NOFOLLOW), ELOOP);
	CF_ERR(open(cf_long_name(), O_RDONLY), ENAMETOOLONG);
	CF_ERR(open(cf_long_name(), O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
	CF_ERR(open(cf_long_path(), O_RDONLY), ENAMETOOLONG);
	close(CF_RET(open("d", O_RDONLY | O_DIRECTORY)));
	close(CF_RET(open("l", O_RDONLY | O_NOFOLLOW | O_PATH)));
}

static void open_perm(struct cf_ctx *c)
{
	if (c->root) {
		close(CF_RET(open("r", O_RDWR)));
		close(CF_RET(open("w", O_RDWR)));
		close(CF_RET(open("none", O_RDWR)));
		close(CF_RET(open("ro/x", O_CREAT | O_WRONLY, 0644)));
		close(CF_RET(open("ns/f", O_RDONLY)));
		return;
	}
	close(CF_RET(open("r", O_RDONLY)));
	CF_ERR(open("r", O_WRONLY), EACCES);
	CF_ERR(open("r", O_RDWR), EACCES);
	CF_ERR(open("r", O_WRONLY | O_TRUNC), EACCES);
	CF_SIZE("r", 1);
	close(CF_RET(open("w", O_WRONLY)));
	CF_ERR(open("w", O_RDONLY), EACCES);
	CF_ERR(open("none", O_RDONLY), EACCES);
	CF_ERR(open("ro/x", O_CREAT | O_WRONLY, 0644), EACCES);
	CF_ABSENT("ro/x");
	CF_ERR(open("ns/f", O_RDONLY), EACCES);
}

static void perm_other_setup(struct cf_ctx *c)
{
	cf_mkfile("g", 0640, "g");
	cf_chown("g", c->other_uid, CF_GID_SHARED);
	cf_mkfile("o", 0604, "o");
	cf_chown("o", c->other_uid, c->other_gid);
	cf_mkfile("mine", 0060, "m");
	cf_chown("mine", c->uid, CF_GID_SHARED);
}

/* Group permission comes from supplementary groups; owner bits win. */
static void open_perm_other(struct cf_ctx *c)
{
	(void)c;
	close(CF_RET(open("g", O_RDONLY)));
	CF_ERR(open("g", O_WRONLY), EACCES);
	close(CF_RET(open("o", O_RDONLY)));
	CF_ERR(open("o", O_WRONLY), EACCES);
	CF_ERR(open("mine", O_RDONLY), EACCES);
}

/* The listening socket of special_setup(), kept open for the case body. */
static int special_sock = -1;

static void special_addr(struct cf_ctx *c, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/sock", c->dir);
}

/*
 * Root's mode 0600 FIFO, character device (null's numbers) and listening
 * socket, and a FIFO of mode 0660 in the group both users are in.
 */
static void special_setup(struct cf_ctx *c)
{
	struct sockaddr_un sa;

	if (mkfifo("fifo", 0600) || mkfifo("gfifo", 0660) ||
	    mknod("chr", S_IFCHR | 0600, makedev(1, 3)))
		CF_FAIL("setup: mkfifo/mknod: %m");
	cf_chown("gfifo", 0, CF_GID_SHARED);
	special_addr(c, &sa);
	special_sock = socket(AF_UNIX, SOCK_STREAM, 0);
	if (special_sock < 0 ||
	    bind(special_sock, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(special_sock, 4) || chmod("sock", 0600))
		CF_FAIL("setup: socket: %m");
}

/*
 * FIFOs, device nodes and sockets are opened by the pipe, driver or
 * socket code of the opener's kernel, yet their mode bits still decide
 * who may: the permission check comes first (EACCES, not ENXIO for a
 * writer without reader).
 */
static void open_special_perm(struct cf_ctx *c)
{
	struct sockaddr_un sa;
	int fd, s;

	special_addr(c, &sa);
	s = CF_RET(socket(AF_UNIX, SOCK_STREAM, 0));
	if (c->root) {
		close(CF_RET(open("fifo", O_RDONLY | O_NONBLOCK)));
		CF_ERR(open("fifo", O_WRONLY | O_NONBLOCK), ENXIO);
		fd = CF_RET(open("chr", O_RDWR));
		CF_EQ(write(fd, "abc", 3), 3);
		close(fd);
		CF_OK(connect(s, (struct sockaddr *)&sa, sizeof(sa)));
	} else {
		CF_ERR(open("fifo", O_RDONLY | O_NONBLOCK), EACCES);
		CF_ERR(open("fifo", O_WRONLY | O_NONBLOCK), EACCES);
		CF_ERR(open("fifo", O_RDWR), EACCES);
		CF_ERR(open("chr", O_RDONLY), EACCES);
		CF_ERR(open("chr", O_WRONLY), EACCES);
		CF_ERR(connect(s, (struct sockaddr *)&sa, sizeof(sa)), EACCES);
		CF_ERR(access("fifo", R_OK), EACCES);
	}
	close(s);
	close(CF_RET(open("gfifo", O_RDONLY | O_NONBLOCK)));
	CF_OK(access("gfifo", R_OK | W_OK));
}

static void open_append(struct cf_ctx *c)
{
	int fd;

	(void)c;
	fd = CF_RET(open("f", O_WRONLY | O_APPEND));
	CF_EQ(write(fd, " world", 6), 6);
	CF_EQ(lseek(fd, 0, SEEK_CUR), 11);
	CF_OK(lseek(fd, 0, SEEK_SET));
	CF_EQ(write(fd, "!", 1), 1);
	close(fd);
	CF_CONTENT("f", "hello world!");
}

static void suid_write_setup(struct cf_ctx *c)
{
	(void)c;
	cf_mkfile("s", 06777, "suid");
	cf_mkfile("g", 02767, "sgid");
	cf_mkfile("ng", 02666, "no group exec");
	cf_mkfile("ngm", 02666, "member");
	cf_chown("ngm", 0, CF_GID_SHARED);
	cf_chmod("ngm", 02666);
}

/*
 * A write by a process without CAP_FSETID drops set-user-ID, and
 * set-group-ID when the group may execute or the writer is not a member.
 */
static void open_suid_write(struct cf_ctx *c)
{
	int fd;

	fd = CF_RET(open("s", O_WRONLY));
	CF_EQ(write(fd, "x", 1), 1);
	close(fd);
	CF_MODE("s", S_IFREG | (c->root ? 06777 : 0777));
	fd = CF_RET(open("g", O_WRONLY | O_APPEND));
	CF_EQ(write(fd, "x", 1), 1);
	close(fd);
	CF_MODE("g", S_IFREG | (c->root ? 02767 : 0767));
	fd = CF_RET(open("ng", O_WRONLY | O_APPEND));
	CF_EQ(write(fd, "x", 1), 1);
	close(fd);
	CF_MODE("ng", S_IFREG | (c->root ? 02666 : 0666));
	CF_CONTENT("ng", "no group execx");
	fd = CF_RET(open("ngm", O_WRONLY | O_APPEND));
	CF_EQ(write(fd, "x", 1), 1);
	close(fd);
	CF_MODE("ngm", S_IFREG | 02666);
}

static void open_rw(struct cf_ctx *c)
{
	char buf[16] = "";
	struct stat a, b;
	int w, r;

	(void)c;
	w = CF_RET(open("f", O_WRONLY));
	r = CF_RET(open("f", O_RDONLY));
	a = CF_LSTAT("f");
	cf_tick();
	CF_EQ(pwrite(w, "J", 1, 0), 1);
	/* a write changes mtime and ctime */
	b = CF_LSTAT("f");
	CF_LATER(b.st_mtim, a.st_mtim);
	CF_LATER(b.st_ctim, a.st_ctim);
	CF_EQ(pread(r, buf, sizeof(buf), 0), 5);
	CF_STR(buf, "Jello");
	CF_EQ(pwrite(w, "!", 1, 9), 1);
	CF_EQ(pread(r, buf, sizeof(buf), 0), 10);
	CF_TRUE(!memcmp(buf, "Jello\0\0\0\0!", 10));
	CF_ERR(write(r, "x", 1), EBADF);
	CF_ERR(read(w, buf, 1), EBADF);
	close(w);
	close(r);
}

/* readdir */

static void readdir_setup(struct cf_ctx *c)
{
	(void)c;
	cf_mkfile("file", 0644, NULL);
	cf_mkdir("dir", 0755);
	cf_symlink("file", "link");
	if (mkfifo("fifo", 0644))
		CF_FAIL("setup: mkfifo: %m");
}

static void readdir_entries(struct cf_ctx *c)
{
	static const struct {
		const char *name;
		unsigned char type;
	} want[] = {
		{ ".", DT_DIR }, { "..", DT_DIR }, { "file", DT_REG },
		{ "dir", DT_DIR }, { "link", DT_LNK }, { "fifo", DT_FIFO },
	};
	unsigned int seen = 0, i;
	struct dirent *de;
	DIR *d;

	(void)c;
	d = opendir(".");
	if (!d)
		CF_FAIL("opendir: %m");
	while ((de = readdir(d))) {
		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (!strcmp(de->d_name, want[i].name))
				break;
		if (i == sizeof(want) / sizeof(want[0]))
			CF_FAIL("unexpected entry \"%s\"", de->d_name);
		if (seen & (1u << i))
			CF_FAIL("entry \"%s\" seen twice", de->d_name);
		seen |= 1u << i;
		CF_EQ(de->d_type, want[i].type);
		if (i >= 2)
			CF_EQ(de->d_ino, CF_LSTAT(de->d_name).st_ino);
	}
	closedir(d);
	CF_EQ(seen, (1u << (sizeof(want) / sizeof(want[0]))) - 1);
}

/*
 * Long names make the entries big enough that a 32 KiB getdents64 (glibc)
 * and a READDIR reply hold only part of them.
 */
#define READDIR_MANY 160
#define READDIR_NAME_LEN 200

static unsigned int readdir_count(DIR *d, char *seen)
{
	struct dirent *de;
	unsigned int n = 0;
	int i;

	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		i = atoi(de->d_name + 1);
		if (i < 0 || i >= READDIR_MANY || seen[i] ||
		    strlen(de->d_name) != READDIR_NAME_LEN)
			CF_FAIL("bad or repeated entry \"%.20s...\"", de->d_name);
		seen[i] = 1;
		n++;
	}
	return n;
}

/* Many entries (several batches); telldir/seekdir resume where they were. */
static void readdir_many(struct cf_ctx *c)
{
	char name[READDIR_NAME_LEN + 1], seen[READDIR_MANY];
	char again[READDIR_MANY];
	unsigned int first = 0;
	struct dirent *de;
	long pos;
	DIR *d;
	int i;

	(void)c;
	memset(name, 'x', READDIR_NAME_LEN);
	name[READDIR_NAME_LEN] = '\0';
	for (i = 0; i < READDIR_MANY; i++) {
		/* "e<number>xxx...": atoi() stops at the first x */
		name[snprintf(name, sizeof(name), "e%d", i)] = 'x';
		CF_OK(mknod(name, S_IFREG | 0644, 0));
	}
	d = opendir(".");
	if (!d)
		CF_FAIL("opendir: %m");
	memset(seen, 0, sizeof(seen));
	/* read some entries, remember the position, read the rest twice */
	while (first < READDIR_MANY / 2 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		i = atoi(de->d_name + 1);
		if (i < 0 || i >= READDIR_MANY || seen[i])
			CF_FAIL("bad or repeated entry \"%s\"", de->d_name);
		seen[i] = 1;
		first++;
	}
	pos = telldir(d);
	CF_TRUE(pos >= 0);
	memcpy(again, seen, sizeof(seen));
	CF_EQ(first + readdir_count(d, seen), READDIR_MANY);
	seekdir(d, pos);
	CF_EQ(first + readdir_count(d, again), READDIR_MANY);
	rewinddir(d);
	memset(seen, 0, sizeof(seen));
	CF_EQ(readdir_count(d, seen), READDIR_MANY);
	closedir(d);
}

/*
 * Removing each entry as it is read ("rm -r") still returns every entry
 * that was not removed yet, across getdents64 batches.
 */
static void readdir_unlink(struct cf_ctx *c)
{
	char name[READDIR_NAME_LEN + 1];
	unsigned int n = 0;
	struct dirent *de;
	DIR *d;
	int i;

	(void)c;
	CF_OK(mkdir("d", 0755));
	memset(name, 'x', READDIR_NAME_LEN);
	name[READDIR_NAME_LEN] = '\0';
	for (i = 0; i < READDIR_MANY; i++) {
		name[snprintf(name, sizeof(name), "d/e%d", i)] = 'x';
		CF_OK(mknod(name, S_IFREG | 0644, 0));
	}
	d = opendir("d");
	if (!d)
		CF_FAIL("opendir: %m");
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		CF_OK(unlinkat(dirfd(d), de->d_name, 0));
		n++;
	}
	closedir(d);
	CF_EQ(n, READDIR_MANY);
	CF_OK(rmdir("d"));
}

const struct cf_case cf_cases_open[] = {
	{ "open", "creat", CF_RU, setup_open, open_creat },
	{ "open", "creat_excl", CF_RU, setup_open, open_excl },
	{ "open", "trunc", CF_RU, setup_open, open_trunc },
	{ "open", "trunc_rdonly", CF_ROOT | CF_USER1 | CF_USER2,
	  trunc_rdonly_setup, open_trunc_rdonly },
	{ "open", "errors", CF_RU, setup_open, open_errors },
	{ "open", "perm", CF_RU, setup_open, open_perm },
	{ "open", "perm_group_other", CF_USER1 | CF_USER2, perm_other_setup,
	  open_perm_other },
	{ "open", "special_perm", CF_ROOT | CF_USER1 | CF_USER2, special_setup,
	  open_special_perm },
	{ "open", "append", CF_RU, setup_open, open_append },
	{ "open", "write_clears_suid", CF_RU, suid_write_setup, open_suid_write },
	{ "open", "read_write", CF_RU, setup_open, open_rw },
	{ "readdir", "entries", CF_RU, readdir_setup, readdir_entries },
	/* big fixtures, and nothing that depends on the user: root only */
	{ "readdir", "many_telldir", CF_ROOT, NULL, readdir_many },
	{ "readdir", "unlink_while_reading", CF_ROOT, NULL, readdir_unlink },
	{ NULL, NULL, 0, NULL, NULL },
};
