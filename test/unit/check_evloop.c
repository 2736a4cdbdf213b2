// SPDX-License-Identifier: GPL-2.0
/*
 * Check tests of the event loop of libqtfs.a (common/lib/evloop.c): fd
 * readiness with its events, timers that end themselves, unregistering,
 * signals delivered in the loop, and refused arguments.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "qt_evloop.h"

static struct qt_evloop *loop;
static int calls;
static unsigned int seen;

static void setup(void)
{
	loop = qt_evloop_new();
	ck_assert_ptr_nonnull(loop);
	calls = 0;
	seen = 0;
}

static void teardown(void)
{
	qt_evloop_free(loop);
}

static bool on_fd(void *ctx, int fd, unsigned int events)
{
	char c;

	(void)ctx;
	seen |= events;
	if (events & QT_EV_IN)
		ck_assert_int_eq(read(fd, &c, 1), 1);
	if (++calls == 2)
		qt_evloop_quit(loop);
	return true;
}

START_TEST(fd_readable)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_gt(qt_evloop_add_fd(loop, p[0], QT_EV_IN, on_fd, NULL),
			 0);
	ck_assert_int_eq(write(p[1], "ab", 2), 2);
	qt_evloop_run(loop);
	ck_assert_int_eq(calls, 2);
	ck_assert_uint_eq(seen, QT_EV_IN);
	close(p[0]);
	close(p[1]);
}
END_TEST

static bool on_hup(void *ctx, int fd, unsigned int events)
{
	(void)fd;
	*(unsigned int *)ctx = events;
	qt_evloop_quit(loop);
	return false;
}

START_TEST(fd_hangup)
{
	unsigned int ev = 0;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_gt(qt_evloop_add_fd(loop, p[0], QT_EV_IN, on_hup, &ev),
			 0);
	close(p[1]);
	qt_evloop_run(loop);
	ck_assert_uint_ne(ev & QT_EV_ERR, 0);
	close(p[0]);
}
END_TEST

static bool on_tick(void *ctx)
{
	(void)ctx;
	if (++calls < 3)
		return true;
	qt_evloop_quit(loop);
	return false;
}

static bool on_never(void *ctx)
{
	(void)ctx;
	ck_abort_msg("a deleted callback ran");
	return false;
}

START_TEST(timer_and_del)
{
	int id;

	id = qt_evloop_add_timer(loop, 1, on_never, NULL);
	ck_assert_int_gt(id, 0);
	qt_evloop_del(loop, id);
	qt_evloop_del(loop, id);	/* already gone: ignored */
	ck_assert_int_gt(qt_evloop_add_timer(loop, 1, on_tick, NULL), 0);
	qt_evloop_run(loop);
	ck_assert_int_eq(calls, 3);
}
END_TEST

static bool on_signal(void *ctx)
{
	(void)ctx;
	calls++;
	qt_evloop_quit(loop);
	return true;
}

START_TEST(signal_in_loop)
{
	ck_assert_int_gt(qt_evloop_add_signal(loop, SIGUSR1, on_signal, NULL),
			 0);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	qt_evloop_run(loop);
	ck_assert_int_eq(calls, 1);
}
END_TEST

START_TEST(bad_arguments)
{
	ck_assert_int_eq(qt_evloop_add_fd(loop, -1, QT_EV_IN, on_fd, NULL),
			 -EINVAL);
	ck_assert_int_eq(qt_evloop_add_fd(loop, 0, 0x80, on_fd, NULL),
			 -EINVAL);
	ck_assert_int_eq(qt_evloop_add_fd(loop, 0, QT_EV_IN, NULL, NULL),
			 -EINVAL);
	ck_assert_int_eq(qt_evloop_add_timer(loop, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(qt_evloop_add_signal(loop, SIGKILL, on_signal, NULL),
			 -EINVAL);
	ck_assert_int_eq(qt_evloop_add_signal(loop, SIGSEGV, on_signal, NULL),
			 -EINVAL);
}
END_TEST

static Suite *evloop_suite(void)
{
	Suite *s = suite_create("evloop");
	TCase *tc = tcase_create("evloop");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fd_readable);
	tcase_add_test(tc, fd_hangup);
	tcase_add_test(tc, timer_and_del);
	tcase_add_test(tc, signal_in_loop);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(evloop_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
