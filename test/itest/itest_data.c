// SPDX-License-Identifier: GPL-2.0
/*
 * Data path tests: byte-exact transfer client->server and server->client
 * with various write/read chunk sizes, offsets beyond 4 GiB in sparse
 * files, and visibility of the other side's overwrites.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"
#include "pattern.h"

#define KiB	(1ULL << 10)
#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)

/**
 * struct it_data_case - one transfer
 * @name:  for messages
 * @size:  file size
 * @chunk: size of every write(2) and read(2) call (the last may be shorter)
 */
struct it_data_case {
	const char *name;
	uint64_t size;
	size_t chunk;
};

static const struct it_data_case it_data_cases[] = {
	{ "64 MiB in 1 MiB chunks",          64 * MiB, 1 * MiB },
	{ "64 KiB in 1-byte chunks",         64 * KiB, 1 },
	{ "8 MiB in 4 KiB chunks",           8 * MiB,  4 * KiB },
	{ "8 MiB in 1 MiB chunks",           8 * MiB,  1 * MiB },
	{ "1000003 B in 65537-byte chunks",  1000003,  65537 },
	{ "empty file",                      0,        4 * KiB },
};

#define IT_NDATA (int)(sizeof(it_data_cases) / sizeof(it_data_cases[0]))

/* Client writes, the server hashes, the client reads back. */
START_TEST(test_data_client_to_server)
{
	const struct it_data_case *dc = &it_data_cases[_i];
	uint64_t seed = 0xc25000 + (uint64_t)_i, size, hash, want;
	const char *path = it_c("c2s");
	int ret;

	ret = it_write_pattern(path, O_TRUNC, dc->size, seed, dc->chunk);
	ck_assert_msg(!ret, "%s: client write: %s", dc->name, it_msg());

	ret = peer_hash(&it.peer, it_s("c2s"), &size, &hash);
	ck_assert_msg(!ret, "%s: %s", dc->name, peer_last(&it.peer));
	ck_assert_msg(size == dc->size,
		      "%s: server file has %llu bytes after close, client wrote %llu",
		      dc->name, (unsigned long long)size,
		      (unsigned long long)dc->size);
	want = pat_hash_pattern(seed, 0, dc->size);
	ck_assert_msg(hash == want,
		      "%s: server content hash %016llx, expected %016llx",
		      dc->name, (unsigned long long)hash,
		      (unsigned long long)want);

	ret = it_verify_pattern(path, dc->size, seed, dc->chunk);
	ck_assert_msg(!ret, "%s: client read-back: %s", dc->name, it_msg());
	ck_assert_msg(!unlink(path), "unlink %s: %s", path, strerror(errno));
}
END_TEST

/* The server writes, the client reads with the same chunk size. */
START_TEST(test_data_server_to_client)
{
	const struct it_data_case *dc = &it_data_cases[_i];
	uint64_t seed = 0x52c000 + (uint64_t)_i;
	const char *path = it_c("s2c");
	struct stat st;
	int ret;

	ret = peer_write(&it.peer, it_s("s2c"), dc->size, seed, dc->chunk);
	ck_assert_msg(!ret, "%s: %s", dc->name, peer_last(&it.peer));

	ck_assert_msg(!stat(path, &st), "stat %s: %s", path, strerror(errno));
	ck_assert_msg(S_ISREG(st.st_mode), "%s: mode %o is not a regular file",
		      path, st.st_mode);
	ck_assert_msg((uint64_t)st.st_size == dc->size,
		      "%s: client stat size %lld, server wrote %llu", dc->name,
		      (long long)st.st_size, (unsigned long long)dc->size);
	ret = it_verify_pattern(path, dc->size, seed, dc->chunk);
	ck_assert_msg(!ret, "%s: client read: %s", dc->name, it_msg());
	ck_assert_msg(!unlink(path), "unlink %s: %s", path, strerror(errno));
}
END_TEST

/*
 * Sparse layout used in both directions: a block straddling the 4 GiB
 * boundary (catches 32-bit offset truncation) and a tail at 5 GiB.
 */
#define IT_EDGE_OFF	(4 * GiB - 4 * KiB)
#define IT_EDGE_LEN	(8 * KiB)
#define IT_TAIL_OFF	(5 * GiB)
#define IT_TAIL_LEN	12345
#define IT_HOLE_OFF	(4 * GiB + 512 * MiB)
#define IT_HOLE_LEN	(64 * KiB)
#define IT_SPARSE_SIZE	(IT_TAIL_OFF + IT_TAIL_LEN)

/* Server's HASHRANGE of [off, off + len) must be @want. */
static void it_check_server_range(const char *rel, uint64_t off, uint64_t len,
				  uint64_t want, const char *what)
{
	uint64_t nread, hash;
	int ret = peer_hashrange(&it.peer, rel, off, len, &nread, &hash);

	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(nread == len,
		      "server read %llu of %llu bytes of the %s at offset %llu",
		      (unsigned long long)nread, (unsigned long long)len, what,
		      (unsigned long long)off);
	ck_assert_msg(hash == want,
		      "server hash of the %s at offset %llu is %016llx, expected %016llx",
		      what, (unsigned long long)off, (unsigned long long)hash,
		      (unsigned long long)want);
}

/* Check the sparse layout through the client: size, data, holes, EOF. */
static void it_check_client_sparse(const char *path, uint64_t seed)
{
	unsigned char byte;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_msg(!fstat(fd, &st), "fstat: %s", strerror(errno));
	ck_assert_msg((uint64_t)st.st_size == IT_SPARSE_SIZE,
		      "client sees size %lld, expected %llu",
		      (long long)st.st_size, (unsigned long long)IT_SPARSE_SIZE);
	ret = it_pread_pattern(fd, IT_TAIL_OFF, IT_TAIL_LEN, seed);
	ck_assert_msg(!ret, "tail at 5 GiB: %s", it_msg());
	ret = it_pread_pattern(fd, IT_EDGE_OFF, IT_EDGE_LEN, seed);
	ck_assert_msg(!ret, "block across 4 GiB: %s", it_msg());
	ret = it_pread_zeros(fd, IT_HOLE_OFF, IT_HOLE_LEN);
	ck_assert_msg(!ret, "hole at 4.5 GiB: %s", it_msg());
	ret = it_pread_zeros(fd, 0, IT_HOLE_LEN);
	ck_assert_msg(!ret, "hole at 0: %s", it_msg());
	errno = 0;
	ck_assert_msg(pread(fd, &byte, 1, (off_t)IT_SPARSE_SIZE) == 0,
		      "pread at EOF (%llu) did not return 0: %s",
		      (unsigned long long)IT_SPARSE_SIZE, strerror(errno));
	close(fd);
}

static void it_check_server_sparse(const char *rel, uint64_t seed)
{
	struct peer_stat ps;
	int ret = peer_stat(&it.peer, rel, &ps);

	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(ps.size == IT_SPARSE_SIZE,
		      "server sees size %llu, expected %llu",
		      (unsigned long long)ps.size,
		      (unsigned long long)IT_SPARSE_SIZE);
	it_check_server_range(rel, IT_TAIL_OFF, IT_TAIL_LEN,
			      pat_hash_pattern(seed, IT_TAIL_OFF, IT_TAIL_LEN),
			      "tail at 5 GiB");
	it_check_server_range(rel, IT_EDGE_OFF, IT_EDGE_LEN,
			      pat_hash_pattern(seed, IT_EDGE_OFF, IT_EDGE_LEN),
			      "block across 4 GiB");
	it_check_server_range(rel, IT_HOLE_OFF, IT_HOLE_LEN,
			      pat_hash_zeros(IT_HOLE_LEN), "hole at 4.5 GiB");
}

START_TEST(test_sparse_client_to_server)
{
	const char *path = it_c("sparse");
	uint64_t seed = 0x5a1;
	int fd, ret;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ret = it_pwrite_pattern(fd, IT_EDGE_OFF, IT_EDGE_LEN, seed);
	ck_assert_msg(!ret, "%s", it_msg());
	ret = it_pwrite_pattern(fd, IT_TAIL_OFF, IT_TAIL_LEN, seed);
	ck_assert_msg(!ret, "%s", it_msg());
	ck_assert_msg(!close(fd), "close: %s", strerror(errno));

	it_check_server_sparse(it_s("sparse"), seed);
	it_check_client_sparse(path, seed);
	ck_assert_msg(!unlink(path), "unlink %s: %s", path, strerror(errno));
}
END_TEST

START_TEST(test_sparse_server_to_client)
{
	const char *rel = it_s("sparse");
	uint64_t seed = 0x5a2;
	int ret;

	ret = peer_pwrite(&it.peer, rel, IT_EDGE_OFF, IT_EDGE_LEN, seed);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ret = peer_pwrite(&it.peer, rel, IT_TAIL_OFF, IT_TAIL_LEN, seed);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));

	it_check_client_sparse(it_c("sparse"), seed);
	ck_assert_msg(!unlink(it_c("sparse")), "unlink: %s", strerror(errno));
}
END_TEST

#define IT_OW_SIZE	(256 * KiB)
#define IT_OW_SHORT	(100 * KiB + 7)

/*
 * A client that has read a file sees the server's later rewrite on its next
 * open (same size and a new size), and the server sees the client's.
 */
START_TEST(test_overwrite_visible)
{
	const char *path = it_c("ow"), *rel = it_s("ow");
	uint64_t size, hash;
	int ret;

	ret = peer_write(&it.peer, rel, IT_OW_SIZE, 1, 64 * KiB);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ret = it_verify_pattern(path, IT_OW_SIZE, 1, 64 * KiB);
	ck_assert_msg(!ret, "first read: %s", it_msg());

	ret = peer_write(&it.peer, rel, IT_OW_SIZE, 2, 64 * KiB);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ret = it_verify_pattern(path, IT_OW_SIZE, 2, 64 * KiB);
	ck_assert_msg(!ret, "after the server rewrote it (same size): %s",
		      it_msg());

	ret = peer_write(&it.peer, rel, IT_OW_SHORT, 3, 64 * KiB);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ret = it_verify_pattern(path, IT_OW_SHORT, 3, 64 * KiB);
	ck_assert_msg(!ret, "after the server rewrote it shorter: %s",
		      it_msg());

	ret = it_write_pattern(path, O_TRUNC, IT_OW_SIZE, 4, 64 * KiB);
	ck_assert_msg(!ret, "client rewrite: %s", it_msg());
	ret = peer_hash(&it.peer, rel, &size, &hash);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(size == IT_OW_SIZE &&
		      hash == pat_hash_pattern(4, 0, IT_OW_SIZE),
		      "server does not see the client's rewrite (size %llu)",
		      (unsigned long long)size);
}
END_TEST

void it_add_data_tests(Suite *s)
{
	TCase *tc;

	tc = it_tcase(s, "data_c2s", IT_TMO_LONG, true);
	tcase_add_loop_test(tc, test_data_client_to_server, 0, IT_NDATA);
	tc = it_tcase(s, "data_s2c", IT_TMO_LONG, true);
	tcase_add_loop_test(tc, test_data_server_to_client, 0, IT_NDATA);
	tc = it_tcase(s, "sparse", IT_TMO_LONG, true);
	tcase_add_test(tc, test_sparse_client_to_server);
	tcase_add_test(tc, test_sparse_server_to_client);
	tc = it_tcase(s, "coherence", IT_TMO_SHORT, true);
	tcase_add_test(tc, test_overwrite_visible);
}
