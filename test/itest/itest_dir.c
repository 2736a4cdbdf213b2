// SPDX-License-Identifier: GPL-2.0
/*
 * readdir of large directories: every name exactly once, "." and ".."
 * present, in both directions of creation.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"

#define IT_DIR_N	5000
#define IT_DIR_PREFIX	"f"
/* Names are TESTPEER_MKFILES_FMT on both sides: index padded to 5 digits. */
#define IT_DIR_DIGITS	5

/* Index encoded in @name, or -1 if it is not one of ours. */
static long it_dir_index(const char *name, unsigned int n)
{
	size_t plen = strlen(IT_DIR_PREFIX);
	const char *num = name + plen;
	unsigned long v;
	char *end;

	if (strncmp(name, IT_DIR_PREFIX, plen) ||
	    strlen(num) != IT_DIR_DIGITS || num[0] < '0' || num[0] > '9')
		return -1;
	v = strtoul(num, &end, 10);
	if (*end || v >= n)
		return -1;
	return (long)v;
}

/* One full pass over @d: all @n names once, plus "." and "..". */
static void it_dir_pass(DIR *d, const char *path, unsigned int n, int pass)
{
	unsigned char *seen = calloc(n, 1);
	unsigned int count = 0, dot = 0, dotdot = 0;
	struct dirent *de;

	ck_assert(seen);
	for (;;) {
		long idx;

		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (!strcmp(de->d_name, ".")) {
			dot++;
			continue;
		}
		if (!strcmp(de->d_name, "..")) {
			dotdot++;
			continue;
		}
		idx = it_dir_index(de->d_name, n);
		ck_assert_msg(idx >= 0, "pass %d: unexpected entry \"%s\" in %s",
			      pass, de->d_name, path);
		ck_assert_msg(!seen[idx], "pass %d: \"%s\" returned twice",
			      pass, de->d_name);
		seen[idx] = 1;
		count++;
	}
	ck_assert_msg(!errno, "pass %d: readdir %s after %u entries: %s",
		      pass, path, count, strerror(errno));
	ck_assert_msg(dot == 1 && dotdot == 1,
		      "pass %d: \".\" returned %u times, \"..\" %u times",
		      pass, dot, dotdot);
	if (count != n) {
		unsigned int i;

		for (i = 0; i < n && seen[i]; i++)
			;
		ck_abort_msg("pass %d: %u of %u entries returned; first missing is "
			     IT_DIR_PREFIX "%0*u", pass, count, n,
			     IT_DIR_DIGITS, i);
	}
	free(seen);
}

static void it_check_readdir(const char *path, unsigned int n)
{
	DIR *d = opendir(path);

	ck_assert_msg(d, "opendir %s: %s", path, strerror(errno));
	it_dir_pass(d, path, n, 1);
	rewinddir(d);
	it_dir_pass(d, path, n, 2);
	closedir(d);
}

START_TEST(test_readdir_client_created)
{
	uint64_t count;
	unsigned int i;
	int ret;

	ck_assert_msg(!mkdir(it_c("d"), 0755), "mkdir: %s", strerror(errno));
	for (i = 0; i < IT_DIR_N; i++) {
		const char *p = it_c("d/" TESTPEER_MKFILES_FMT, IT_DIR_PREFIX,
				     i);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		ck_assert_msg(fd >= 0, "create %s: %s", p, strerror(errno));
		close(fd);
	}
	it_check_readdir(it_c("d"), IT_DIR_N);
	ret = peer_list(&it.peer, it_s("d"), &count);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ck_assert_msg(count == IT_DIR_N, "server lists %llu entries, expected %u",
		      (unsigned long long)count, IT_DIR_N);
}
END_TEST

START_TEST(test_readdir_server_created)
{
	int ret;

	ret = peer_mkdir(&it.peer, it_s("d"), 0755);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	ret = peer_mkfiles(&it.peer, it_s("d"), IT_DIR_N, IT_DIR_PREFIX);
	ck_assert_msg(!ret, "%s", peer_last(&it.peer));
	it_check_readdir(it_c("d"), IT_DIR_N);
}
END_TEST

void it_add_dir_tests(Suite *s)
{
	TCase *tc = it_tcase(s, "readdir", IT_TMO_LONG, true);

	tcase_add_test(tc, test_readdir_client_created);
	tcase_add_test(tc, test_readdir_server_created);
}
