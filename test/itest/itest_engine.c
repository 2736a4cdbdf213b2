// SPDX-License-Identifier: GPL-2.0
/*
 * engine configuration checks: started with a missing whitelist, with one
 * that has no [Mount] section, or with a bad command line, the engine exits
 * non-zero within IT_ENGINE_LIMIT seconds and says why on stderr, before it
 * touches the module.  Registered only when an `engine` binary is in PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define IT_ENGINE		"engine"
#define IT_ENGINE_LIMIT		10.0	/* s until it must have exited */
#define IT_ENGINE_ERRMAX	4096	/* stderr bytes kept */

/* True if an executable `engine` is found in PATH. */
static bool it_engine_in_path(void)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX], file[PATH_MAX + 8];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		if (n && n < sizeof(dir)) {
			memcpy(dir, path, n);
			dir[n] = '\0';
			snprintf(file, sizeof(file), "%s/%s", dir, IT_ENGINE);
			if (!access(file, X_OK))
				return true;
		}
		path += n;
		path += *path == ':';
	}
	return false;
}

/*
 * Run `engine @argv[1]...`.  It must exit within the limit with status
 * @want (any non-zero status if @want is 0) and @msg in its stderr;
 * otherwise describe the problem in @why and return false.  The engine runs
 * in its own process group, so that a daemonising engine is killed along
 * with everything it forked.
 */
static bool it_engine_refuses(char *const argv[], int want, const char *msg,
			      char *why, size_t whylen)
{
	char err[IT_ENGINE_ERRMAX + 1], cmd[512];
	double deadline;
	size_t len = 0;
	int pfd[2], status, devnull;
	bool eof = false;
	pid_t pid;
	int i;

	for (cmd[0] = '\0', i = 0; argv[i]; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s",
			 i ? " " : "", argv[i]);
	if (pipe2(pfd, O_CLOEXEC)) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return false;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return false;
	}
	if (pid == 0) {
		setpgid(0, 0);
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		dup2(pfd[1], STDERR_FILENO);
		execvp(IT_ENGINE, argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", IT_ENGINE,
			strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(pfd[1]);

	deadline = it_now() + IT_ENGINE_LIMIT;
	while (!eof && it_now() < deadline) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int ms = (int)((deadline - it_now()) * 1000) + 1;
		char sink[512];
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			continue;
		if (len < IT_ENGINE_ERRMAX)
			n = read(pfd[0], err + len, IT_ENGINE_ERRMAX - len);
		else
			n = read(pfd[0], sink, sizeof(sink));
		if (n > 0 && len < IT_ENGINE_ERRMAX)
			len += (size_t)n;
		else if (n == 0 || (n < 0 && errno != EINTR))
			eof = true;
	}
	close(pfd[0]);
	while (len && (err[len - 1] == '\n' || err[len - 1] == '\r'))
		len--;
	err[len] = '\0';
	if (it_wait(pid, &status, deadline > it_now() ? deadline - it_now() : 0)) {
		kill(-pid, SIGKILL);
		it_wait(pid, &status, 5);
		snprintf(why, whylen, "%s still running after %.0f s; stderr: %s",
			 cmd, IT_ENGINE_LIMIT, len ? err : "(empty)");
		return false;
	}
	kill(-pid, SIGKILL);	/* anything it left behind */
	if (!WIFEXITED(status)) {
		snprintf(why, whylen, "%s died from signal %d; stderr: %s",
			 cmd, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
			 len ? err : "(empty)");
		return false;
	}
	if (!WEXITSTATUS(status) || (want && WEXITSTATUS(status) != want)) {
		snprintf(why, whylen, "%s exited %d; it must refuse to start (expected status %d, 0: any but 0)",
			 cmd, WEXITSTATUS(status), want);
		return false;
	}
	if (!strcasestr(err, msg)) {
		snprintf(why, whylen, "%s exited %d but stderr does not say \"%s\": %s",
			 cmd, WEXITSTATUS(status), msg, len ? err : "(empty)");
		return false;
	}
	printf("%s: exit %d: %s\n", cmd, WEXITSTATUS(status), err);
	return true;
}

START_TEST(test_engine_missing_whitelist)
{
	char dir[] = "/tmp/qtfs-itest-wl.XXXXXX";
	char wl[sizeof(dir) + 16], why[IT_ENGINE_ERRMAX + 512];
	bool ok;

	ck_assert_msg(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(wl, sizeof(wl), "%s/nonexistent", dir);
	ok = it_engine_refuses((char *[]){ IT_ENGINE, "--whitelist", wl, NULL },
			       0, "whitelist", why, sizeof(why));
	rmdir(dir);
	ck_assert_msg(ok, "%s", why);
}
END_TEST

START_TEST(test_engine_whitelist_without_mount)
{
	static const char body[] = "[Open]\nPath=/srv\n";
	char dir[] = "/tmp/qtfs-itest-wl.XXXXXX";
	char wl[sizeof(dir) + 16], why[IT_ENGINE_ERRMAX + 512];
	bool ok = false;
	FILE *f;

	ck_assert_msg(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(wl, sizeof(wl), "%s/nomount", dir);
	f = fopen(wl, "w");
	if (!f)
		snprintf(why, sizeof(why), "create %s: %s", wl, strerror(errno));
	else if (fputs(body, f) < 0 || fclose(f))
		snprintf(why, sizeof(why), "write %s: %s", wl, strerror(errno));
	else
		ok = it_engine_refuses((char *[]){ IT_ENGINE, "--whitelist", wl,
						   NULL },
				       0, "whitelist", why, sizeof(why));
	unlink(wl);
	rmdir(dir);
	ck_assert_msg(ok, "%s", why);
}
END_TEST

/* Bad command lines: usage errors exit 2 naming the offending value. */
static const struct {
	const char *argv[8];
	const char *msg;
} it_engine_bad_cli[] = {
	{ { IT_ENGINE, "0", "1", "1", "12121", "1", "12121" }, "'0'" },
	{ { IT_ENGINE, "16x", "1", "1", "12121", "1", "12121" }, "'16x'" },
	{ { IT_ENGINE, "4", "1", "1", "port", "1", "12121" }, "'port'" },
	{ { IT_ENGINE, "4", "1", "cid", "12121", "1", "12121" }, "'cid'" },
	{ { IT_ENGINE, "4", "1", "1", "12121", "4294967296", "12121" },
	  "'4294967296'" },
	{ { IT_ENGINE, "--threads", "-3" }, "'-3'" },
	{ { IT_ENGINE, "--threads", "100000" }, "'100000'" },
	{ { IT_ENGINE, "--bogus" }, "--bogus" },
	{ { IT_ENGINE, "1", "2", "3" }, "positional" },
};

START_TEST(test_engine_bad_cli)
{
	char why[IT_ENGINE_ERRMAX + 1024];

	ck_assert_msg(it_engine_refuses((char *const *)it_engine_bad_cli[_i].argv,
					2, it_engine_bad_cli[_i].msg, why,
					sizeof(why)), "%s", why);
}
END_TEST

void it_add_engine_tests(Suite *s)
{
	TCase *tc;

	if (!it_engine_in_path()) {
		printf("qtfs_itest: no `%s` in PATH: engine_cfg tests not registered\n",
		       IT_ENGINE);
		return;
	}
	tc = it_tcase(s, "engine_cfg", IT_TMO_SHORT, false);
	tcase_add_test(tc, test_engine_missing_whitelist);
	tcase_add_test(tc, test_engine_whitelist_without_mount);
	tcase_add_loop_test(tc, test_engine_bad_cli, 0,
			    (int)(sizeof(it_engine_bad_cli) /
				  sizeof(it_engine_bad_cli[0])));
}
