// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_bench: a few figures of one mounted filesystem, for `make bench`
 * to put side by side (qtfs over each transport, the local filesystem
 * under it, ...).  Not a test: it asserts nothing and times everything.
 *
 *   qtfs_bench <label> <dir> [MiB]
 *
 * Prints one line: label, sequential write and read in MiB/s (1 MiB
 * requests, the file fsynced and the page cache dropped in between),
 * 4 KiB pread and stat calls per second, and create+unlink pairs per
 * second.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK		(1 << 20)
#define SMALL_OPS	2000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "qtfs_bench: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		if (write(fd, "3", 1) != 1)
			perror("qtfs_bench: drop_caches");
		close(fd);
	}
}

int main(int argc, char **argv)
{
	char path[4096], name[4200];
	double t, wr, rd, pr, st, cu;
	struct stat sb;
	long mib, i;
	char *buf;
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: qtfs_bench <label> <dir> [MiB]\n");
		return 2;
	}
	mib = argc == 4 ? strtol(argv[3], NULL, 10) : 64;
	if (mib < 1 || mib > 4096) {
		fprintf(stderr, "qtfs_bench: MiB must be 1 to 4096\n");
		return 2;
	}
	buf = malloc(CHUNK);
	if (!buf)
		return 1;
	memset(buf, 0x5a, CHUNK);
	snprintf(path, sizeof(path), "%s/qtfs_bench.data", argv[2]);

	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		die("create", path);
	t = now();
	for (i = 0; i < mib; i++)
		if (write(fd, buf, CHUNK) != CHUNK)
			die("write", path);
	if (fsync(fd))
		die("fsync", path);
	wr = mib / (now() - t);
	close(fd);

	drop_caches();
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open", path);
	t = now();
	for (i = 0; i < mib; i++)
		if (read(fd, buf, CHUNK) != CHUNK)
			die("read", path);
	rd = mib / (now() - t);

	drop_caches();
	t = now();
	for (i = 0; i < SMALL_OPS; i++)
		if (pread(fd, buf, 4096, (i * 7919 % (mib * 256)) * 4096) != 4096)
			die("pread", path);
	pr = SMALL_OPS / (now() - t);
	close(fd);

	t = now();
	for (i = 0; i < SMALL_OPS; i++)
		if (stat(path, &sb))
			die("stat", path);
	st = SMALL_OPS / (now() - t);

	t = now();
	for (i = 0; i < SMALL_OPS / 4; i++) {
		snprintf(name, sizeof(name), "%s/qtfs_bench.%ld", argv[2], i);
		fd = open(name, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0)
			die("create", name);
		close(fd);
		if (unlink(name))
			die("unlink", name);
	}
	cu = SMALL_OPS / 4 / (now() - t);
	unlink(path);

	printf("%-22s %10.1f %10.1f %12.0f %10.0f %14.0f\n", argv[1], wr, rd,
	       pr, st, cu);
	free(buf);
	return 0;
}
