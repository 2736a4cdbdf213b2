// SPDX-License-Identifier: GPL-2.0
/*
 * Check tests of the logger of libqtfs.a (common/lib/log.c): the line
 * format on stderr and the level filter.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "qt_log.h"

static char out[1024];

/* Run @fn with stderr going to a temporary file; its text into out[]. */
static void capture(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	size_t n;
	int saved;

	ck_assert_ptr_nonnull(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
	fn();
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void log_all_levels(void)
{
	qt_err("e %d", 1);
	qt_warn("w %s", "2");
	qt_info("i");
	qt_debug("d");
}

START_TEST(format_and_default_level)
{
	qt_log_open("comp", false);
	capture(log_all_levels);
	ck_assert_str_eq(out, "comp: e 1\ncomp: w 2\ncomp: i\n");
}
END_TEST

START_TEST(level_filter)
{
	qt_log_open("comp", false);
	qt_log_set_level(QT_LOG_WARN);
	capture(log_all_levels);
	ck_assert_str_eq(out, "comp: e 1\ncomp: w 2\n");
	qt_log_set_level(QT_LOG_DEBUG);
	capture(log_all_levels);
	ck_assert_str_eq(out, "comp: e 1\ncomp: w 2\ncomp: i\ncomp: d\n");
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, format_and_default_level);
	tcase_add_test(tc, level_filter);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
