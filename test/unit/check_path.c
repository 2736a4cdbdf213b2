// SPDX-License-Identifier: GPL-2.0
/*
 * Check tests of the path normaliser shared by qtfs_server.ko and
 * userspace (common/qtfs_path.c): a table of inputs with their normal
 * form or error, in a separate buffer and in place, and the agreement of
 * qtfs_path_is_normal() (what the module accepts in a rule) with
 * qtfs_path_normalize() (what the engine writes).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qtfs_path.h"

static const struct {
	const char *in;
	int ret;
	const char *out;	/* the normal form when ret is 0 */
} path_cases[] = {
	{ "/", 0, "/" },
	{ "//", 0, "/" },
	{ "/.", 0, "/" },
	{ "/./.", 0, "/" },
	{ "/a", 0, "/a" },
	{ "/a/", 0, "/a" },
	{ "//a//b/", 0, "/a/b" },
	{ "/a/./b/.", 0, "/a/b" },
	{ "/srv///share/", 0, "/srv/share" },
	{ "/..x/.y/x..", 0, "/..x/.y/x.." },
	{ "/a b/c", 0, "/a b/c" },
	{ "", -EINVAL, NULL },
	{ "a", -EINVAL, NULL },
	{ "./a", -EINVAL, NULL },
	{ " /a", -EINVAL, NULL },
	{ "/..", -EPERM, NULL },
	{ "/a/../b", -EPERM, NULL },
	{ "/a/..", -EPERM, NULL },
	{ "/a/../", -EPERM, NULL },
};

START_TEST(normalize_table)
{
	char out[64], inplace[64];
	int ret;

	ret = qtfs_path_normalize(out, sizeof(out), path_cases[_i].in);
	ck_assert_msg(ret == path_cases[_i].ret, "'%s': %d, want %d",
		      path_cases[_i].in, ret, path_cases[_i].ret);
	if (!ret)
		ck_assert_str_eq(out, path_cases[_i].out);

	/* the kernel normalises in place */
	strcpy(inplace, path_cases[_i].in);
	ck_assert_int_eq(qtfs_path_normalize(inplace, sizeof(inplace),
					     inplace), path_cases[_i].ret);
	if (!ret)
		ck_assert_str_eq(inplace, path_cases[_i].out);
}
END_TEST

/* A path is normal exactly when normalising leaves it as it is. */
START_TEST(is_normal_agrees)
{
	const char *in = path_cases[_i].in;
	char out[64];
	bool same;

	same = !qtfs_path_normalize(out, sizeof(out), in) && !strcmp(out, in);
	ck_assert_msg(qtfs_path_is_normal(in, strlen(in)) == same,
		      "'%s': is_normal %d, normalises to itself %d", in,
		      !same, same);
	if (path_cases[_i].out)
		ck_assert(qtfs_path_is_normal(path_cases[_i].out,
					      strlen(path_cases[_i].out)));
}
END_TEST

START_TEST(is_normal_length)
{
	/* only @len bytes count, no NUL needed */
	ck_assert(qtfs_path_is_normal("/a/b/", 4));
	ck_assert(!qtfs_path_is_normal("/a/b/", 5));
	ck_assert(!qtfs_path_is_normal("/a", 0));
	ck_assert(qtfs_path_is_normal("/a", 1));
}
END_TEST

START_TEST(too_long)
{
	char out[8];

	/* 7 bytes and the NUL fit, 8 do not */
	ck_assert_int_eq(qtfs_path_normalize(out, sizeof(out), "/abcdef"), 0);
	ck_assert_str_eq(out, "/abcdef");
	ck_assert_int_eq(qtfs_path_normalize(out, sizeof(out), "/abcdefg"),
			 -ENAMETOOLONG);
	/* what counts is the result, not the input */
	ck_assert_int_eq(qtfs_path_normalize(out, sizeof(out),
					     "//ab//./cd//"), 0);
	ck_assert_str_eq(out, "/ab/cd");
	ck_assert_int_eq(qtfs_path_normalize(out, 2, "/"), 0);
	ck_assert_int_eq(qtfs_path_normalize(out, 1, "/"), -ENAMETOOLONG);
	ck_assert_int_eq(qtfs_path_normalize(out, 0, "/a"), -ENAMETOOLONG);
}
END_TEST

static Suite *path_suite(void)
{
	Suite *s = suite_create("qtfs_path");
	TCase *tc = tcase_create("path");
	int n = sizeof(path_cases) / sizeof(path_cases[0]);

	tcase_add_loop_test(tc, normalize_table, 0, n);
	tcase_add_loop_test(tc, is_normal_agrees, 0, n);
	tcase_add_test(tc, is_normal_length);
	tcase_add_test(tc, too_long);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(path_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
