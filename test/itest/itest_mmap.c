// SPDX-License-Identifier: GPL-2.0
/*
 * Data path tests beyond plain read/write, each checked against what the
 * server's own filesystem holds (through qtfs_testpeer):
 *   mmap_*      shared and private mappings, writeback on msync, fsync,
 *               munmap, and coherence of mappings with read(2)/write(2)
 *               and with the server's changes
 *   unlinked    fstat/read/write/ftruncate of an open, unlinked file
 *   sync        fsync, fdatasync, syncfs
 *   oflags      O_APPEND, O_TRUNC, O_DIRECT, O_SYNC, O_DSYNC
 *   fallocate   default mode, punch hole, the server's errno for others
 *   splice      copy_file_range, sendfile, splice
 *   enospc      the server's ENOSPC reaches write(2), msync and fsync
 *   two_writer  a server process and a client process alternate writes
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"
#include "pattern.h"

#define KiB	(1ULL << 10)
#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)
#define PG	4096

/* Hash of a buffer, as the testpeer's HASHRANGE computes it. */
static uint64_t it_hash_buf(const void *buf, size_t len)
{
	struct pat_hash ph;

	pat_hash_init(&ph);
	pat_hash_update(&ph, buf, len);
	return pat_hash_final(&ph);
}

/* Fail unless the server's [off, off + len) of @rel hashes like @buf. */
static void it_server_has(const char *rel, uint64_t off, const void *buf,
			  size_t len, const char *when)
{
	uint64_t nread, hash;
	int ret;

	ret = peer_hashrange(&it.peer, rel, off, len, &nread, &hash);
	ck_assert_msg(!ret, "%s: %s", when, peer_last(&it.peer));
	ck_assert_msg(nread == len, "%s: server read %llu of %zu bytes at %llu",
		      when, (unsigned long long)nread, len,
		      (unsigned long long)off);
	ck_assert_msg(hash == it_hash_buf(buf, len),
		      "%s: server bytes [%llu, +%zu) differ from the client's",
		      when, (unsigned long long)off, len);
}

/* Server size of @rel. */
static uint64_t it_server_size(const char *rel)
{
	struct peer_stat st;
	int ret;

	ret = peer_stat(&it.peer, rel, &st);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	return st.size;
}

/* Open @path with @flags (mode 0644), failing the test on error. */
static int it_open(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

static void *it_map(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	ck_assert_msg(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

/* Pattern bytes @seed at [off, off + len) in a fresh buffer. */
static unsigned char *it_pat(uint64_t seed, uint64_t off, size_t len)
{
	unsigned char *b = malloc(len);

	ck_assert(b);
	pat_fill(b, seed, off, len);
	return b;
}

#define IT_MAP_SIZE	(64 * KiB)

/* Shared mapping: stores reach the server on msync, fsync and munmap. */
START_TEST(test_mmap_shared_writeback)
{
	const char *path = it_c("m"), *rel = it_s("m");
	unsigned char *map, *want;
	int fd, ret;

	ret = it_write_pattern(path, O_TRUNC, IT_MAP_SIZE, 11, 16 * KiB);
	ck_assert_msg(!ret, "%s", it_msg());
	fd = it_open(path, O_RDWR);
	map = it_map(fd, IT_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	want = it_pat(11, 0, IT_MAP_SIZE);
	ck_assert_msg(!memcmp(map, want, IT_MAP_SIZE),
		      "mapping does not show the file's bytes");

	/* msync */
	memset(map + 3 * PG + 100, 0xa5, 5000);
	memset(want + 3 * PG + 100, 0xa5, 5000);
	ck_assert_msg(!msync(map, IT_MAP_SIZE, MS_SYNC), "msync: %s",
		      strerror(errno));
	it_server_has(rel, 0, want, IT_MAP_SIZE, "after msync");

	/* fsync */
	memset(map + 10 * PG, 0x5a, 2 * PG);
	memset(want + 10 * PG, 0x5a, 2 * PG);
	ck_assert_msg(!fsync(fd), "fsync: %s", strerror(errno));
	it_server_has(rel, 0, want, IT_MAP_SIZE, "after fsync");

	/* munmap writes back without msync */
	memset(map + IT_MAP_SIZE - 10, 0x77, 10);
	memset(want + IT_MAP_SIZE - 10, 0x77, 10);
	ck_assert(!munmap(map, IT_MAP_SIZE));
	it_server_has(rel, 0, want, IT_MAP_SIZE, "after munmap");
	ck_assert_msg(it_server_size(rel) == IT_MAP_SIZE,
		      "the mapping changed the size");
	ck_assert(!close(fd));

	/* a mapping that outlives its fd is written back at munmap */
	fd = it_open(path, O_RDWR);
	map = it_map(fd, IT_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ck_assert(!close(fd));
	memset(map, 0x33, PG);
	memset(want, 0x33, PG);
	ck_assert(!munmap(map, IT_MAP_SIZE));
	it_server_has(rel, 0, want, IT_MAP_SIZE, "after close, then munmap");
	free(want);
}
END_TEST

/* Private mapping: reads the file, stores stay private. */
START_TEST(test_mmap_private)
{
	const char *path = it_c("p"), *rel = it_s("p");
	unsigned char *map, *want;
	int fd, ret;

	ret = peer_write(&it.peer, rel, IT_MAP_SIZE + 123, 12, 64 * KiB);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	fd = it_open(path, O_RDONLY);
	map = it_map(fd, IT_MAP_SIZE + PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE, 0);
	want = it_pat(12, 0, IT_MAP_SIZE + 123);
	ck_assert_msg(!memcmp(map, want, IT_MAP_SIZE + 123),
		      "private mapping does not show the server's bytes");
	for (int i = 123; i < PG; i++)
		ck_assert_msg(!map[IT_MAP_SIZE + i],
			      "byte %d past EOF in the last page is not 0", i);
	memset(map, 0xee, 2 * PG);
	ck_assert(!munmap(map, IT_MAP_SIZE + PG));
	ck_assert(!close(fd));
	it_server_has(rel, 0, want, IT_MAP_SIZE + 123,
		      "after private stores");
	free(want);
}
END_TEST

/*
 * A mapping and read(2)/write(2) on the client agree: dirty pages are seen
 * by pread, and pwrite is seen by the mapping.
 */
START_TEST(test_mmap_rw_coherence)
{
	const char *path = it_c("rw"), *rel = it_s("rw");
	unsigned char *map, *want, buf[3 * PG];
	int fd;

	fd = it_open(path, O_RDWR | O_CREAT | O_TRUNC);
	ck_assert(!ftruncate(fd, IT_MAP_SIZE));
	map = it_map(fd, IT_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	want = calloc(1, IT_MAP_SIZE);
	ck_assert(want);

	/* a store through the mapping is what pread returns */
	memset(map + PG + 10, 0x42, 100);
	memset(want + PG + 10, 0x42, 100);
	ck_assert(pread(fd, buf, 3 * PG, 0) == 3 * PG);
	ck_assert_msg(!memcmp(buf, want, 3 * PG),
		      "pread does not see the mapping's store");

	/* pwrite is what the mapping shows */
	pat_fill(buf, 13, 2 * PG + 5, 2 * PG);
	ck_assert(pwrite(fd, buf, 2 * PG, 2 * PG + 5) == 2 * PG);
	memcpy(want + 2 * PG + 5, buf, 2 * PG);
	ck_assert_msg(!memcmp(map, want, IT_MAP_SIZE),
		      "the mapping does not see pwrite");

	/* ftruncate shrinks, then grows: the tail reads as zeros */
	ck_assert(!ftruncate(fd, PG + 50));
	ck_assert(!ftruncate(fd, IT_MAP_SIZE));
	memset(want + PG + 50, 0, IT_MAP_SIZE - PG - 50);
	ck_assert_msg(!memcmp(map, want, IT_MAP_SIZE),
		      "the mapping does not see the truncation");
	ck_assert(!munmap(map, IT_MAP_SIZE));
	ck_assert(!close(fd));
	it_server_has(rel, 0, want, IT_MAP_SIZE, "at the end");
	free(want);
}
END_TEST

/* A mapping made after the server changed the file shows the change. */
START_TEST(test_mmap_sees_server_changes)
{
	const char *path = it_c("s"), *rel = it_s("s");
	unsigned char *map, *want;
	int fd, ret;

	ret = peer_write(&it.peer, rel, IT_MAP_SIZE, 14, 64 * KiB);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	fd = it_open(path, O_RDONLY);
	map = it_map(fd, IT_MAP_SIZE, PROT_READ, MAP_SHARED, 0);
	want = it_pat(14, 0, IT_MAP_SIZE);
	ck_assert(!memcmp(map, want, IT_MAP_SIZE));	/* now cached */
	ck_assert(!munmap(map, IT_MAP_SIZE));
	ck_assert(!close(fd));

	/* same size: only the times tell (they tick in jiffies) */
	usleep(20000);
	ret = peer_pwrite(&it.peer, rel, PG, 2 * PG, 15);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	pat_fill(want + PG, 15, PG, 2 * PG);
	fd = it_open(path, O_RDONLY);
	map = it_map(fd, IT_MAP_SIZE, PROT_READ, MAP_SHARED, 0);
	ck_assert_msg(!memcmp(map, want, IT_MAP_SIZE),
		      "a new mapping shows stale cached pages");
	ck_assert(!munmap(map, IT_MAP_SIZE));
	ck_assert(!close(fd));
	free(want);
}
END_TEST

/* A mapping at an offset beyond 4 GiB. */
START_TEST(test_mmap_beyond_4g)
{
	const char *path = it_c("big"), *rel = it_s("big");
	const off_t off = 5 * GiB;
	unsigned char *map, *want;
	int fd;

	fd = it_open(path, O_RDWR | O_CREAT | O_TRUNC);
	ck_assert(!ftruncate(fd, off + 2 * PG));
	map = it_map(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, off);
	want = it_pat(16, off, 2 * PG);
	memcpy(map, want, 2 * PG);
	ck_assert(!msync(map, 2 * PG, MS_SYNC));
	ck_assert(!munmap(map, 2 * PG));
	ck_assert(!close(fd));
	ck_assert(it_server_size(rel) == (uint64_t)off + 2 * PG);
	it_server_has(rel, off, want, 2 * PG, "beyond 4 GiB");
	free(want);
}
END_TEST

/* Open, unlink, then keep using the file by its descriptor. */
START_TEST(test_unlinked_open_file)
{
	const char *path = it_c("u"), *rel = it_s("u");
	unsigned char buf[100], want[100];
	struct stat st;
	int fd, fd2;

	fd = it_open(path, O_RDWR | O_CREAT | O_TRUNC);
	pat_fill(want, 17, 0, sizeof(want));
	ck_assert(write(fd, want, sizeof(want)) == sizeof(want));
	ck_assert_msg(!unlink(path), "unlink: %s", strerror(errno));
	ck_assert_msg(!fstat(fd, &st), "fstat after unlink: %s",
		      strerror(errno));
	ck_assert_msg(st.st_size == sizeof(want) && st.st_nlink == 0,
		      "fstat after unlink: size %lld nlink %lu",
		      (long long)st.st_size, (unsigned long)st.st_nlink);
	ck_assert(pread(fd, buf, sizeof(buf), 0) == sizeof(buf));
	ck_assert(!memcmp(buf, want, sizeof(buf)));
	ck_assert(pwrite(fd, want, 10, 1000) == 10);
	ck_assert_msg(!ftruncate(fd, 500), "ftruncate after unlink: %s",
		      strerror(errno));
	ck_assert_msg(!fchmod(fd, 0600), "fchmod after unlink: %s",
		      strerror(errno));
	ck_assert(!fstat(fd, &st));
	ck_assert_msg(st.st_size == 500 && (st.st_mode & 0777) == 0600,
		      "after ftruncate/fchmod: size %lld mode %o",
		      (long long)st.st_size, st.st_mode & 0777);
	ck_assert(!close(fd));

	/* unlinked by the server: fstat goes by the handle too */
	fd = it_open(path, O_RDWR | O_CREAT | O_TRUNC);
	ck_assert(write(fd, want, 50) == 50);
	ck_assert_msg(!peer_unlink(&it.peer, rel), "%s", peer_last(&it.peer));
	fd2 = open(path, O_RDONLY);
	ck_assert_msg(fd2 < 0 && errno == ENOENT,
		      "the name still opens after the server unlinked it");
	ck_assert_msg(!fstat(fd, &st), "fstat after server unlink: %s",
		      strerror(errno));
	ck_assert(st.st_size == 50 && st.st_nlink == 0);
	ck_assert(pread(fd, buf, 50, 0) == 50);
	ck_assert(!memcmp(buf, want, 50));
	ck_assert(!close(fd));
}
END_TEST

/* fsync, fdatasync and syncfs succeed and the data is on the server. */
START_TEST(test_sync_calls)
{
	const char *path = it_c("f"), *rel = it_s("f");
	unsigned char *want = it_pat(18, 0, 3 * PG);
	int fd;

	fd = it_open(path, O_RDWR | O_CREAT | O_TRUNC);
	ck_assert(write(fd, want, 3 * PG) == 3 * PG);
	ck_assert_msg(!fsync(fd), "fsync: %s", strerror(errno));
	ck_assert_msg(!fdatasync(fd), "fdatasync: %s", strerror(errno));
	ck_assert_msg(!syncfs(fd), "syncfs: %s", strerror(errno));
	it_server_has(rel, 0, want, 3 * PG, "after the syncs");
	/* per-write sync flags go through ->fsync as well */
	ck_assert(pwritev2(fd, &(struct iovec){ want, PG }, 1, 0,
			   RWF_DSYNC) == PG);
	ck_assert(pwritev2(fd, &(struct iovec){ want, PG }, 1, 0,
			   RWF_SYNC) == PG);
	ck_assert(!close(fd));
	free(want);
}
END_TEST

/* O_APPEND appends at the server's end, also after a server append. */
START_TEST(test_oflag_append)
{
	const char *path = it_c("a"), *rel = it_s("a");
	unsigned char a[100], b[100], *map;
	int fd, ret;

	memset(a, 'a', sizeof(a));
	fd = it_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
	ck_assert(write(fd, a, 100) == 100);
	ret = peer_pwrite(&it.peer, rel, 100, 100, 19);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert(write(fd, a, 100) == 100);
	ck_assert_msg(lseek(fd, 0, SEEK_CUR) == 300,
		      "offset after the second append: %lld",
		      (long long)lseek(fd, 0, SEEK_CUR));
	ck_assert(!close(fd));
	ck_assert(it_server_size(rel) == 300);
	it_server_has(rel, 200, a, 100, "the append after the server's");
	pat_fill(b, 19, 100, 100);
	it_server_has(rel, 100, b, 100, "the server's append");
	/* a shared writable mapping needs a handle that is not O_APPEND */
	fd = it_open(path, O_RDWR | O_APPEND);
	ck_assert(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
		  MAP_FAILED && errno == EACCES);
	map = it_map(fd, PG, PROT_READ, MAP_SHARED, 0);
	ck_assert_msg(!memcmp(map, a, 100), "read-only mapping of O_APPEND");
	IT_EXPECT_ERR(EACCES, mprotect(map, PG, PROT_READ | PROT_WRITE));
	ck_assert(!munmap(map, PG));
	ck_assert(!close(fd));
}
END_TEST

/* O_TRUNC empties the file on the server and in a cached mapping. */
START_TEST(test_oflag_trunc)
{
	const char *path = it_c("t"), *rel = it_s("t");
	unsigned char *map, first;
	int fd, ret;

	ret = it_write_pattern(path, O_TRUNC, 3 * PG, 20, PG);
	ck_assert_msg(!ret, "%s", it_msg());
	fd = it_open(path, O_RDONLY);
	map = it_map(fd, PG, PROT_READ, MAP_SHARED, 0);
	pat_fill(&first, 20, 0, 1);
	ck_assert(map[0] == first);
	ck_assert(!munmap(map, PG));
	ck_assert(!close(fd));
	fd = it_open(path, O_RDWR | O_TRUNC);
	ck_assert(it_server_size(rel) == 0);
	ck_assert(write(fd, "xyz", 3) == 3);
	map = it_map(fd, PG, PROT_READ, MAP_SHARED, 0);
	ck_assert_msg(!memcmp(map, "xyz", 3) && !map[3],
		      "mapping after O_TRUNC shows old bytes");
	ck_assert(!munmap(map, PG));
	ck_assert(!close(fd));
}
END_TEST

/* O_DIRECT (aligned I/O), O_SYNC and O_DSYNC writes land on the server. */
START_TEST(test_oflag_direct_sync)
{
	static const int flags[] = { O_DIRECT, O_SYNC, O_DSYNC };
	const char *path = it_c("d"), *rel = it_s("d");
	unsigned char *buf, *want;
	int fd;

	ck_assert(!posix_memalign((void **)&buf, PG, 4 * PG));
	for (unsigned int i = 0; i < 3; i++) {
		want = it_pat(21 + i, 0, 4 * PG);
		memcpy(buf, want, 4 * PG);
		fd = it_open(path, O_RDWR | O_CREAT | O_TRUNC | flags[i]);
		ck_assert_msg((fcntl(fd, F_GETFL) & flags[i]) == flags[i],
			      "flag %#x lost", flags[i]);
		ck_assert_msg(write(fd, buf, 4 * PG) == 4 * PG,
			      "write with flag %#x: %s", flags[i],
			      strerror(errno));
		it_server_has(rel, 0, want, 4 * PG, "before close");
		memset(buf, 0, 4 * PG);
		ck_assert(pread(fd, buf, 4 * PG, 0) == 4 * PG);
		ck_assert_msg(!memcmp(buf, want, 4 * PG),
			      "read back with flag %#x", flags[i]);
		ck_assert(!close(fd));
		free(want);
	}
	free(buf);
}
END_TEST

/* Default allocation, punching a hole, and the server's errno. */
START_TEST(test_fallocate)
{
	const char *path = it_c("fa"), *rel = it_s("fa");
	unsigned char *want, *map;
	struct stat st;
	int fd, ret;

	ret = it_write_pattern(path, O_TRUNC, 8 * PG, 24, 8 * PG);
	ck_assert_msg(!ret, "%s", it_msg());
	fd = it_open(path, O_RDWR);
	ck_assert_msg(!fallocate(fd, 0, 6 * PG, 6 * PG), "fallocate: %s",
		      strerror(errno));
	ck_assert(!fstat(fd, &st) && st.st_size == 12 * PG);
	ck_assert(it_server_size(rel) == 12 * PG);

	want = calloc(1, 12 * PG);
	ck_assert(want);
	pat_fill(want, 24, 0, 8 * PG);
	memset(want + PG + 100, 0, 2 * PG);
	ck_assert_msg(!fallocate(fd, FALLOC_FL_PUNCH_HOLE |
				 FALLOC_FL_KEEP_SIZE, PG + 100, 2 * PG),
		      "punch hole: %s", strerror(errno));
	ck_assert(!fstat(fd, &st) && st.st_size == 12 * PG);
	it_server_has(rel, 0, want, 12 * PG, "after punching a hole");
	ck_assert_msg(lseek(fd, PG * 2, SEEK_HOLE) == 2 * PG,
		      "SEEK_HOLE in the punched range");
	/* a store through a mapping fills the hole before SEEK_DATA looks */
	map = it_map(fd, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	map[2 * PG + 1] = 1;
	want[2 * PG + 1] = 1;
	ck_assert_msg(lseek(fd, PG * 2, SEEK_DATA) == 2 * PG,
		      "SEEK_DATA misses a page dirtied through a mapping");
	ck_assert(!munmap(map, 3 * PG));
	it_server_has(rel, 0, want, 12 * PG, "after the mapped store");

	/* tmpfs cannot collapse ranges: its errno comes back */
	IT_EXPECT_ERR(EOPNOTSUPP,
		      fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, PG));
	IT_EXPECT_ERR(EINVAL, fallocate(fd, 0, 0, 0));
	ck_assert(!close(fd));
	fd = it_open(path, O_RDONLY);
	IT_EXPECT_ERR(EBADF, fallocate(fd, 0, 0, PG));
	ck_assert(!close(fd));
	free(want);
}
END_TEST

/* copy_file_range, sendfile and splice between qtfs files. */
START_TEST(test_splice_copy)
{
	const char *src = it_c("src"), *rel = it_s("src");
	size_t size = 300 * KiB + 7;
	unsigned char *want = it_pat(25, 0, size);
	int in, out, pfd[2], ret;
	loff_t off_in = 0, off_out = 0;
	ssize_t n, total;

	ret = peer_write(&it.peer, rel, size, 25, 64 * KiB);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	in = it_open(src, O_RDONLY);

	out = it_open(it_c("cfr"), O_WRONLY | O_CREAT | O_TRUNC);
	for (total = 0; total < (ssize_t)size; total += n) {
		n = copy_file_range(in, &off_in, out, &off_out, size - total,
				    0);
		ck_assert_msg(n > 0, "copy_file_range: %s", strerror(errno));
	}
	ck_assert(!close(out));
	it_server_has(it_s("cfr"), 0, want, size, "copy_file_range");

	out = it_open(it_c("sf"), O_WRONLY | O_CREAT | O_TRUNC);
	off_in = 0;
	for (total = 0; total < (ssize_t)size; total += n) {
		n = sendfile(out, in, &off_in, size - total);
		ck_assert_msg(n > 0, "sendfile: %s", strerror(errno));
	}
	ck_assert(!close(out));
	it_server_has(it_s("sf"), 0, want, size, "sendfile");

	out = it_open(it_c("spl"), O_WRONLY | O_CREAT | O_TRUNC);
	ck_assert(!pipe(pfd));
	off_in = 0;
	for (total = 0; total < (ssize_t)size; total += n) {
		n = splice(in, &off_in, pfd[1], NULL, 16 * KiB, 0);
		ck_assert_msg(n > 0, "splice from qtfs: %s", strerror(errno));
		ck_assert_msg(splice(pfd[0], NULL, out, NULL, n, 0) == n,
			      "splice to qtfs: %s", strerror(errno));
	}
	ck_assert(!close(pfd[0]) && !close(pfd[1]));
	ck_assert(!close(out));
	ck_assert(!close(in));
	it_server_has(it_s("spl"), 0, want, size, "splice");
	free(want);
}
END_TEST

#define IT_SMALL_KIB	256

/* Writes into a full server filesystem fail with its ENOSPC. */
START_TEST(test_enospc)
{
	const char *dir = it_c("small"), *rel = it_s("small");
	size_t len = 1 * MiB;
	unsigned char *buf = calloc(1, len), *map;
	int fd, ret, werr, serr, uret;
	ssize_t n = 0, w;

	ck_assert(buf);
	ck_assert(!mkdir(dir, 0755));
	ret = peer_cmd(&it.peer, "TMPFS %s %d", rel, IT_SMALL_KIB);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));

	memset(buf, 0x11, len);
	fd = open(it_c("small/w"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	werr = fd < 0 ? errno : 0;
	while (!werr && n < (ssize_t)len) {
		w = write(fd, buf + n, len - n);
		if (w < 0)
			werr = errno;
		else
			n += w;
	}
	if (fd >= 0)
		close(fd);
	unlink(it_c("small/w"));

	/* the same through a mapping: msync reports it */
	serr = 0;
	fd = open(it_c("small/m"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, len)) {
		serr = -errno;
	} else {
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			   0);
		if (map == MAP_FAILED) {
			serr = -errno;
		} else {
			memset(map, 0x22, len);
			serr = msync(map, len, MS_SYNC) ? errno : 0;
			munmap(map, len);
		}
	}
	if (fd >= 0)
		close(fd);
	unlink(it_c("small/m"));
	uret = peer_cmd(&it.peer, "UMOUNT %s", rel);
	free(buf);

	ck_assert_msg(!uret, "%s", peer_last(&it.peer));
	ck_assert_msg(werr == ENOSPC,
		      "write(2) into a full server fs: %s after %zd bytes",
		      werr ? it_errname(werr) : "no error", n);
	ck_assert_msg(serr == ENOSPC, "msync into a full server fs: %s",
		      serr > 0 ? it_errname(serr) :
		      serr ? strerror(-serr) : "no error");
}
END_TEST

#define IT_TW_ROUNDS	6
#define IT_TW_SIZE	(16 * PG)

/*
 * A server process (the testpeer) and a client process take turns writing
 * one file, with read(2)/write(2) and through a shared mapping on the
 * client; each sees the other's completed writes.  The client notices the
 * server's changes to a mapped file when it fetches fresh attributes
 * (fstat), as NFS does.
 */
START_TEST(test_two_writer)
{
	const char *path = it_c("tw"), *rel = it_s("tw");
	unsigned char *map, *want, buf[2 * PG];
	uint64_t off;
	struct stat st;
	int fd, ret;

	fd = it_open(path, O_RDWR | O_CREAT | O_TRUNC);
	ck_assert(!ftruncate(fd, IT_TW_SIZE));
	map = it_map(fd, IT_TW_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	want = calloc(1, IT_TW_SIZE);
	ck_assert(want);
	for (int r = 0; r < IT_TW_ROUNDS; r++) {
		off = (uint64_t)(r % 7) * PG + 123 * r;

		/* the server writes; read(2) and the mapping see it */
		usleep(20000);	/* file times tick in jiffies */
		ret = peer_pwrite(&it.peer, rel, off, 2 * PG, 100 + r);
		ck_assert_msg(!ret, "%s", peer_last(&it.peer));
		pat_fill(want + off, 100 + r, off, 2 * PG);
		ck_assert(pread(fd, buf, 2 * PG, off) == 2 * PG);
		ck_assert_msg(!memcmp(buf, want + off, 2 * PG),
			      "round %d: pread misses the server's write", r);
		ck_assert(!fstat(fd, &st));
		ck_assert_msg(!memcmp(map, want, IT_TW_SIZE),
			      "round %d: the mapping misses the server's write",
			      r);

		/* the client writes with pwrite; the server sees it */
		pat_fill(buf, 200 + r, 0, PG);
		ck_assert(pwrite(fd, buf, PG, off + PG / 2) == PG);
		memcpy(want + off + PG / 2, buf, PG);
		it_server_has(rel, 0, want, IT_TW_SIZE, "after pwrite");

		/* ... and through the mapping */
		memset(map + IT_TW_SIZE - PG * (r + 1), r + 1, 300);
		memset(want + IT_TW_SIZE - PG * (r + 1), r + 1, 300);
		ck_assert(!msync(map, IT_TW_SIZE, MS_SYNC));
		it_server_has(rel, 0, want, IT_TW_SIZE, "after msync");
	}
	ck_assert(!munmap(map, IT_TW_SIZE));
	ck_assert(!close(fd));
	free(want);
}
END_TEST

void it_add_mmap_tests(Suite *s)
{
	TCase *tc;

	tc = it_tcase(s, "mmap", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_mmap_shared_writeback);
	tcase_add_test(tc, test_mmap_private);
	tcase_add_test(tc, test_mmap_rw_coherence);
	tcase_add_test(tc, test_mmap_sees_server_changes);
	tcase_add_test(tc, test_mmap_beyond_4g);
	tc = it_tcase(s, "unlinked", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_unlinked_open_file);
	tc = it_tcase(s, "sync", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_sync_calls);
	tc = it_tcase(s, "oflags", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_oflag_append);
	tcase_add_test(tc, test_oflag_trunc);
	tcase_add_test(tc, test_oflag_direct_sync);
	tc = it_tcase(s, "fallocate", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_fallocate);
	tc = it_tcase(s, "splice", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_splice_copy);
	tc = it_tcase(s, "enospc", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_enospc);
	tc = it_tcase(s, "two_writer", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_two_writer);
}
