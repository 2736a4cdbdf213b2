// SPDX-License-Identifier: GPL-2.0
/*
 * Killability: a client process waiting on a server that stopped answering
 * (engine SIGSTOPped through the testpeer) dies from SIGKILL within
 * IT_KILL_LIMIT seconds, and the mount works again once the engine runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define IT_KILL_BLOCKED		1.0	/* s the op must stay blocked */
#define IT_KILL_LIMIT		2.0	/* s from SIGKILL to reaped */
#define IT_KILL_REAP_MAX	10.0	/* s we wait for the reap at all */
#define IT_KILL_RECOVER		60.0	/* s for the mount to answer again */
#define IT_KILL_AUTORESUME	120	/* testpeer resumes the engine anyway */

/* First problem seen; the engine must be resumed before failing. */
static char it_kill_verdict[512];

__attribute__((format(printf, 1, 2)))
static void it_kill_note(const char *fmt, ...)
{
	va_list ap;

	if (it_kill_verdict[0])
		return;
	va_start(ap, fmt);
	vsnprintf(it_kill_verdict, sizeof(it_kill_verdict), fmt, ap);
	va_end(ap);
}

/* Stat a never-seen name, so the client must ask the server. */
static void __attribute__((noreturn)) it_kill_victim(void)
{
	struct stat st;

	if (!stat(it_c("never-%d", (int)getpid()), &st))
		_exit(0);
	_exit(errno > 0 && errno < 126 ? errno : 126);
}

/* Wait until the mount answers a lookup again; true on success. */
static bool it_kill_recovered(char *why, size_t len)
{
	double deadline = it_now() + IT_KILL_RECOVER;
	struct stat st;

	for (;;) {
		int err = 0;

		if (stat(it.cdir, &st))
			err = errno;
		else if (!stat(it_c("after-%d", (int)getpid()), &st))
			err = EEXIST;
		else if (errno != ENOENT)
			err = errno;
		if (!err)
			return true;
		if (it_now() >= deadline) {
			snprintf(why, len, "%s", it_errname(err));
			return false;
		}
		usleep(200000);
	}
}

START_TEST(test_sigkill_blocked_op)
{
	double t0, elapsed = 0;
	unsigned int threads = 0;
	char why[64] = "";
	struct stat st;
	int ret, cret, status;
	bool recovered;
	pid_t pid;

	ck_assert_msg(!stat(it.cdir, &st), "mount not usable before the test: %s",
		      strerror(errno));
	ret = peer_stop_engine(&it.peer, IT_KILL_AUTORESUME, &threads);
	ck_assert_msg(!ret, "cannot freeze the server: %s", peer_last(&it.peer));

	/* from here on, resume the engine before any assertion */
	pid = fork();
	if (pid == 0)
		it_kill_victim();
	if (pid < 0)
		it_kill_note("fork: %s", strerror(errno));

	t0 = it_now();
	while (pid > 0 && it_now() - t0 < IT_KILL_BLOCKED) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

			if (code == 0 || code == ENOENT)
				it_kill_note("the lookup was answered (%s) while all %u engine threads were stopped: it must wait for the server",
					     code ? "ENOENT" : "found", threads);
			else
				it_kill_note("the lookup failed with %s %.2f s after the engine stopped, before any kill (request timeout too short? connection dropped?)",
					     code > 0 ? it_errname(code) :
					     "a signal", it_now() - t0);
			pid = 0;
			break;
		}
		usleep(20000);
	}
	if (pid > 0) {
		int state = it_proc_state(pid);

		if (state != 'S' && state != 'D')
			it_kill_note("blocked process is in state '%c', expected S or D",
				     state > 0 ? state : '?');
		kill(pid, SIGKILL);
		t0 = it_now();
		ret = it_wait(pid, &status, IT_KILL_REAP_MAX);
		elapsed = it_now() - t0;
		if (ret)
			it_kill_note("process blocked on the stopped server survived SIGKILL for %.0f s (state '%c')",
				     IT_KILL_REAP_MAX, it_proc_state(pid) > 0 ?
				     it_proc_state(pid) : '?');
		else if (elapsed >= IT_KILL_LIMIT)
			it_kill_note("SIGKILL took %.2f s to end the blocked process (limit %.0f s)",
				     elapsed, IT_KILL_LIMIT);
	}

	cret = peer_cont_engine(&it.peer);
	recovered = !cret && it_kill_recovered(why, sizeof(why));
	if (pid > 0)
		it_wait(pid, &status, IT_KILL_REAP_MAX);

	ck_assert_msg(!it_kill_verdict[0], "%s", it_kill_verdict);
	printf("sigkill: blocked process reaped %.3f s after SIGKILL\n", elapsed);
	ck_assert_msg(!cret, "%s", peer_last(&it.peer));
	ck_assert_msg(recovered,
		      "mount still failing %.0f s after the engine resumed: %s",
		      IT_KILL_RECOVER, why);
}
END_TEST

void it_add_kill_tests(Suite *s)
{
	TCase *tc = it_tcase(s, "sigkill", IT_TMO_SHORT + IT_KILL_AUTORESUME,
			     true);

	tcase_add_test(tc, test_sigkill_blocked_op);
}
