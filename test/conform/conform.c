// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_conform: run the conformance cases on a reference directory and on
 * a target directory (the qtfs mount) and compare.
 *
 *   qtfs_conform [--case SUBSTR] REFERENCE_DIR TARGET_DIR
 *
 * Prints one line per case run and directory, then a result line per case
 * run and the summary line of test/lib/result.h, where a case run counts
 * as passed only when it passes on both directories.  Exit status: 0 when
 * every case passed on both, 1 when any failed, 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"
#include "result.h"
#include "rmtree.h"

/* A case that does not finish in this time fails (and is killed). */
#define CF_CASE_TIMEOUT_MS (30 * 1000)
/* Enough for one failure line; the rest is cut. */
#define CF_MSG_MAX 512

static const struct cf_case *const cf_tables[] = {
	cf_cases_attr, cf_cases_name, cf_cases_open, cf_cases_xattr, cf_cases_io,
};

/* One run of one case with one set of credentials. */
struct cf_run {
	const struct cf_case *tc;
	enum cf_cred cred;
	bool pass[2];		/* reference, target */
	char msg[2][CF_MSG_MAX];
};

static const char *const cf_dir_label[2] = { "reference", "qtfs" };

static const char *cf_cred_name(enum cf_cred cred)
{
	switch (cred) {
	case CF_ROOT:
		return "root";
	case CF_USER1:
		return "qtfs1";
	case CF_USER2:
		return "qtfs2";
	}
	return "?";
}

static void cf_ctx_init(struct cf_ctx *c, enum cf_cred cred)
{
	c->root = cred == CF_ROOT;
	c->uid = cred == CF_USER2 ? CF_UID2 : cred == CF_USER1 ? CF_UID1 : 0;
	c->gid = cred == CF_USER2 ? CF_GID2 : cred == CF_USER1 ? CF_GID1 : 0;
	c->other_uid = cred == CF_USER2 ? CF_UID1 : CF_UID2;
	c->other_gid = cred == CF_USER2 ? CF_GID1 : CF_GID2;
}

/* In the case's process: become the run's user for good. */
static void cf_become(const struct cf_ctx *c)
{
	gid_t shared = CF_GID_SHARED;

	if (c->root) {
		if (setgroups(0, NULL))
			CF_FAIL("setgroups: %m");
		return;
	}
	if (setgroups(1, &shared) || setresgid(c->gid, c->gid, c->gid) ||
	    setresuid(c->uid, c->uid, c->uid))
		CF_FAIL("switching to uid %u: %m", (unsigned int)c->uid);
}

static void cf_child(const struct cf_case *tc, struct cf_ctx *c, int out)
{
	setpgid(0, 0);
	if (dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
		_exit(3);
	close(out);
	umask(0);
	if (chdir(c->dir))
		CF_FAIL("chdir %s: %m", c->dir);
	if (tc->setup)
		tc->setup(c);
	cf_become(c);
	tc->run(c);
	fflush(stdout);
	_exit(0);
}

/* rm -rf of a case directory; one that is not there is fine. */
static int cf_rmtree(const char *path)
{
	int ret = qt_rmtree_at(AT_FDCWD, path);

	if (ret == -ENOENT)
		return 0;
	errno = -ret;
	return ret;
}

/* Read the child's report until EOF or the deadline; kill it on timeout. */
static bool cf_collect(pid_t pid, int fd, char *msg)
{
	struct timespec start, now;
	size_t len = 0;
	bool timed_out = false;
	int st = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long left;
		ssize_t n;
		char sink[256];

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = CF_CASE_TIMEOUT_MS - ((now.tv_sec - start.tv_sec) * 1000 +
					     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			break;
		if (!pfd.revents)
			continue;
		if (len < CF_MSG_MAX - 1)
			n = read(fd, msg + len, CF_MSG_MAX - 1 - len);
		else
			n = read(fd, sink, sizeof(sink));
		if (n <= 0)
			break;
		if (len < CF_MSG_MAX - 1)
			len += n;
	}
	msg[len] = '\0';
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	/* the case's whole process group: it may have forked helpers */
	if (timed_out)
		kill(-pid, SIGKILL);
	waitpid(pid, &st, 0);
	kill(-pid, SIGKILL);
	if (timed_out) {
		snprintf(msg + len, CF_MSG_MAX - len, "%stimed out after %d s",
			 len ? "; " : "", CF_CASE_TIMEOUT_MS / 1000);
		return false;
	}
	if (WIFSIGNALED(st)) {
		snprintf(msg + len, CF_MSG_MAX - len, "%skilled by signal %d",
			 len ? "; " : "", WTERMSIG(st));
		return false;
	}
	if (WEXITSTATUS(st) && !len)
		snprintf(msg, CF_MSG_MAX, "exit status %d", WEXITSTATUS(st));
	return WEXITSTATUS(st) == 0;
}

static bool cf_run_one(struct cf_run *r, const char *base, int which)
{
	char dir[PATH_MAX];
	struct cf_ctx c;
	int pipefd[2];
	pid_t pid;
	bool ok;

	cf_ctx_init(&c, r->cred);
	if (snprintf(dir, sizeof(dir), "%s/%s.%s.%s", base, r->tc->group,
		     r->tc->name, cf_cred_name(r->cred)) >= (int)sizeof(dir)) {
		snprintf(r->msg[which], CF_MSG_MAX, "fixture dir name too long");
		return false;
	}
	c.dir = dir;
	if (mkdir(dir, 0755) || chown(dir, c.uid, c.gid)) {
		snprintf(r->msg[which], CF_MSG_MAX, "fixture dir %.200s: %m", dir);
		return false;
	}
	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(r->msg[which], CF_MSG_MAX, "pipe: %m");
		return false;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(r->msg[which], CF_MSG_MAX, "fork: %m");
		close(pipefd[0]);
		close(pipefd[1]);
		return false;
	}
	if (pid == 0) {
		close(pipefd[0]);
		cf_child(r->tc, &c, pipefd[1]);
	}
	setpgid(pid, pid);
	close(pipefd[1]);
	ok = cf_collect(pid, pipefd[0], r->msg[which]);
	close(pipefd[0]);
	if (cf_rmtree(dir))
		printf("warning: %s: cannot remove %s: %m\n",
		       cf_dir_label[which], dir);
	return ok;
}

static unsigned int cf_count(const char *filter, struct cf_run *runs)
{
	unsigned int n = 0, t, bit;
	const struct cf_case *tc;
	char full[128];

	for (t = 0; t < sizeof(cf_tables) / sizeof(cf_tables[0]); t++) {
		for (tc = cf_tables[t]; tc->group; tc++) {
			snprintf(full, sizeof(full), "%s/%s", tc->group, tc->name);
			if (filter && !strstr(full, filter))
				continue;
			for (bit = CF_ROOT; bit <= CF_USER2; bit <<= 1) {
				if (!(tc->creds & bit))
					continue;
				if (runs) {
					runs[n].tc = tc;
					runs[n].cred = bit;
				}
				n++;
			}
		}
	}
	return n;
}

/* Run every case on one directory; returns the number of passes. */
static unsigned int cf_run_dir(struct cf_run *runs, unsigned int n,
			       const char *top, int which)
{
	struct timespec start, end;
	char base[PATH_MAX];
	unsigned int i, passed = 0;

	snprintf(base, sizeof(base), "%s/qtfs_conform", top);
	if (cf_rmtree(base) || mkdir(base, 0755)) {
		printf("%s: cannot prepare %s: %m\n", cf_dir_label[which], base);
		return 0;
	}
	printf("\n== %s: %s ==\n", cf_dir_label[which], top);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < n; i++) {
		struct cf_run *r = &runs[i];
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r->pass[which] = cf_run_one(r, base, which);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		passed += r->pass[which];
		printf("%s %s %s/%s [%s] (%ld ms)%s%s\n",
		       r->pass[which] ? "PASS" : "FAIL", cf_dir_label[which],
		       r->tc->group, r->tc->name, cf_cred_name(r->cred),
		       (long)((t1.tv_sec - t0.tv_sec) * 1000 +
			      (t1.tv_nsec - t0.tv_nsec) / 1000000),
		       r->pass[which] ? "" : ": ", r->msg[which]);
		fflush(stdout);
	}
	if (cf_rmtree(base))
		printf("warning: %s: cannot remove %s: %m\n", cf_dir_label[which],
		       base);
	clock_gettime(CLOCK_MONOTONIC, &end);
	printf("%s: %u case runs in %ld s\n", cf_dir_label[which], n,
	       (long)(end.tv_sec - start.tv_sec));
	return passed;
}

static void cf_usage(FILE *f)
{
	fprintf(f, "usage: qtfs_conform [--case SUBSTR] REFERENCE_DIR TARGET_DIR\n"
		"  runs every case (group/name containing SUBSTR) as root and the\n"
		"  test users in fresh directories below both dirs and compares\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int n, i, passed[2], regress = 0;
	const char *filter = NULL;
	struct cf_run *runs;
	struct stat st;
	int opt, d;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			filter = optarg;
			break;
		case 'h':
			cf_usage(stdout);
			return 0;
		default:
			cf_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		cf_usage(stderr);
		return 2;
	}
	for (d = 0; d < 2; d++) {
		const char *p = argv[optind + d];

		if (p[0] != '/' || stat(p, &st) || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "qtfs_conform: %s: not an absolute path to a directory\n",
				p);
			return 2;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "qtfs_conform: must run as root (it switches users per case)\n");
		return 2;
	}
	n = cf_count(filter, NULL);
	if (!n) {
		fprintf(stderr, "qtfs_conform: no case matches \"%s\"\n", filter);
		return 2;
	}
	runs = calloc(n, sizeof(*runs));
	if (!runs) {
		perror("qtfs_conform");
		return 1;
	}
	cf_count(filter, runs);
	/* a closed reader of a case's fifo must fail the write, not kill us */
	signal(SIGPIPE, SIG_IGN);

	for (d = 0; d < 2; d++)
		passed[d] = cf_run_dir(runs, n, argv[optind + d], d);

	printf("\n== comparison ==\n");
	for (i = 0; i < n; i++) {
		struct cf_run *r = &runs[i];

		if (r->pass[0] && r->pass[1]) {
			tk_checkf(1, "%s/%s [%s]", r->tc->group, r->tc->name,
				  cf_cred_name(r->cred));
			continue;
		}
		if (r->pass[0])
			regress++;
		tk_checkf(0, "%s/%s [%s]: %s: %s", r->tc->group, r->tc->name,
			  cf_cred_name(r->cred),
			  r->pass[0] ? "fails only on qtfs" : "fails on the reference",
			  r->pass[0] ? r->msg[1] : r->msg[0]);
	}
	printf("reference: %u passed, %u failed; qtfs: %u passed, %u failed\n",
	       passed[0], n - passed[0], passed[1], n - passed[1]);
	printf("%u case runs fail only on qtfs, %u fail on the reference\n",
	       regress, n - passed[0]);
	free(runs);
	return tk_summary();
}
