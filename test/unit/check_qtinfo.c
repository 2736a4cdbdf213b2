// SPDX-License-Identifier: GPL-2.0
/*
 * Check tests of qtinfo's command line: every kind of bad input exits 2
 * with one line on stderr naming the problem, before any module or file is
 * touched; without a module (as on the build host) it exits 1 with one
 * line saying which module to load.  The module-side behaviour is checked
 * in the guest (test/vm/guest/ops.sh).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define QTINFO_BIN	"../../qtinfo/qtinfo"

/* Run qtinfo with @argv; its exit status and stderr into @err. */
static int run_qtinfo(const char *const *argv, char *err, size_t errlen)
{
	int pfd[2], status, devnull;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		execv(QTINFO_BIN, (char *const *)argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", QTINFO_BIN,
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while (len + 1 < errlen &&
	       (n = read(pfd[0], err + len, errlen - 1 - len)) > 0)
		len += n;
	err[len] = '\0';
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static const struct {
	const char *argv[8];
	const char *msg;
} bad_usage[] = {
	{ { "qtinfo", "bogus" }, "unknown command 'bogus'" },
	{ { "qtinfo", "--bogus" }, "unknown option '--bogus'" },
	{ { "qtinfo", "-w" }, "needs a value" },
	{ { "qtinfo", "-s", "-c" }, "at most one of --server and --client" },
	{ { "qtinfo", "-t", "0" }, "invalid --timeout '0'" },
	{ { "qtinfo", "-t", "5x" }, "invalid --timeout '5x'" },
	{ { "qtinfo", "log", "LOUD" }, "invalid log level 'LOUD'" },
	{ { "qtinfo", "log", "WARN", "x" }, "unexpected argument 'x'" },
	{ { "qtinfo", "stats", "x" }, "unexpected argument 'x'" },
	{ { "qtinfo", "-c", "wl", "list" }, "not --client" },
	{ { "qtinfo", "wl" }, "wl needs a subcommand" },
	{ { "qtinfo", "wl", "frob" }, "unknown wl subcommand 'frob'" },
	{ { "qtinfo", "wl", "list", "x" }, "takes no arguments" },
	{ { "qtinfo", "wl", "add", "Open" }, "needs CLASS and PATH" },
	{ { "qtinfo", "wl", "add", "Bogus", "/x" }, "unknown whitelist class 'Bogus'" },
	{ { "qtinfo", "wl", "del", "Open", "rel" }, "not absolute" },
	{ { "qtinfo", "wl", "add", "Open", "/a/../b" }, "'..' component" },
	{ { "qtinfo", "wl", "add", "Open", "/a;/b" }, "';'" },
	{ { "qtinfo", "wl", "add", "Open", "/a\nb" }, "control characters" },
	{ { "qtinfo", "wl", "add", "Open", " /a" }, "surrounding blanks" },
	{ { "qtinfo", "wl", "del", "Mount", "/a " }, "surrounding blanks" },
	{ { "qtinfo", "uds", "bogus" }, "unknown uds subcommand 'bogus'" },
	{ { "qtinfo", "uds", "log", "LOUD" }, "invalid udsproxyd log level 'LOUD'" },
	{ { "qtinfo", "uds", "log", "debug" }, "invalid udsproxyd log level 'debug'" },
	{ { "qtinfo", "uds", "stats", "x" }, "unexpected argument 'x'" },
	{ { "qtinfo", "uds", "log", "WARN", "x" }, "unexpected argument 'x'" },
	{ { "qtinfo", "-s", "uds" }, "no --server or --client" },
	{ { "qtinfo", "-j", "uds" }, "no JSON output" },
	{ { "qtinfo", "-u" }, "needs a value" },
	{ { "qtinfo", "-u", "", "uds" }, "invalid --uds-socket ''" },
};

START_TEST(usage_errors)
{
	char err[4096];
	int rc;

	rc = run_qtinfo(bad_usage[_i].argv, err, sizeof(err));
	ck_assert_msg(rc == 2, "%s: exit %d, want 2: %s", bad_usage[_i].argv[1],
		      rc, err);
	ck_assert_msg(strstr(err, bad_usage[_i].msg), "stderr lacks \"%s\": %s",
		      bad_usage[_i].msg, err);
	ck_assert_msg(lines(err) == 1, "not one line: %s", err);
	ck_assert_msg(!strncmp(err, "qtinfo: ", 8), "no prefix: %s", err);
}
END_TEST

/* The build host loads no qtfs module. */
START_TEST(module_not_loaded)
{
	static const char *const any[] = { "qtinfo", NULL };
	static const char *const srv[] = { "qtinfo", "-s", "stats", NULL };
	static const char *const cli[] = { "qtinfo", "--client", "--json", NULL };
	char err[4096];

	if (!access("/dev/qtfs_server", F_OK) || !access("/dev/qtfs", F_OK))
		return;		/* a qtfs module is loaded here after all */
	ck_assert_int_eq(run_qtinfo(any, err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "no qtfs module loaded") && lines(err) == 1,
		      "%s", err);
	ck_assert_int_eq(run_qtinfo(srv, err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "insmod qtfs_server.ko") && lines(err) == 1,
		      "%s", err);
	ck_assert_int_eq(run_qtinfo(cli, err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "insmod qtfs.ko") && lines(err) == 1, "%s",
		      err);
}
END_TEST

START_TEST(help_and_version)
{
	static const char *const help[] = { "qtinfo", "--help", NULL };
	static const char *const ver[] = { "qtinfo", "-V", NULL };
	char err[4096];

	ck_assert_int_eq(run_qtinfo(help, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(run_qtinfo(ver, err, sizeof(err)), 0);
}
END_TEST

static Suite *qtinfo_suite(void)
{
	Suite *s = suite_create("qtinfo");
	TCase *tc = tcase_create("cli");

	tcase_add_loop_test(tc, usage_errors, 0,
			    sizeof(bad_usage) / sizeof(bad_usage[0]));
	tcase_add_test(tc, module_not_loaded);
	tcase_add_test(tc, help_and_version);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(qtinfo_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
