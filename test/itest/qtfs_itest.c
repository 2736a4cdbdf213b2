// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_itest - integration suite run on a qtfs client.
 *
 *   qtfs_itest --client /mnt/qtfs --peer IP:PORT --server-root /srv/share
 *
 * --client is where the export is mounted here, --server-root is the
 * export path on the server (the mount source), and --peer is a
 * qtfs_testpeer whose --root is that same export directory.  Check's
 * environment applies: CK_RUN_SUITE / CK_RUN_CASE select tests,
 * CK_VERBOSITY overrides the default (verbose) output, CK_FORK=no runs
 * in-process, CK_TIMEOUT_MULTIPLIER scales timeouts, CK_XML_LOG_FILE_NAME /
 * CK_TAP_LOG_FILE_NAME write reports.  QTFS_ITEST_STRESS_SECS sets the
 * stress duration (default IT_STRESS_SECS).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"
#include "result.h"

#define IT_STRESS_SECS_MAX	3600

static void it_usage(FILE *f)
{
	fprintf(f,
		"usage: qtfs_itest --client DIR --peer IP:PORT --server-root DIR\n"
		"  --client DIR        where the qtfs export is mounted on this host\n"
		"  --peer IP:PORT      qtfs_testpeer serving the export's server side\n"
		"  --server-root DIR   the export path on the server (mount source)\n"
		"env: QTFS_ITEST_STRESS_SECS (default %d), CK_RUN_CASE, CK_RUN_SUITE,\n"
		"     CK_VERBOSITY, CK_FORK, CK_TIMEOUT_MULTIPLIER\n",
		IT_STRESS_SECS);
}

static int it_parse_stress_secs(void)
{
	const char *s = getenv("QTFS_ITEST_STRESS_SECS");
	unsigned long v;
	char *end;

	it_cfg.stress_secs = IT_STRESS_SECS;
	if (!s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || !v ||
	    v > IT_STRESS_SECS_MAX) {
		fprintf(stderr, "qtfs_itest: QTFS_ITEST_STRESS_SECS=%s: expected 1..%d\n",
			s, IT_STRESS_SECS_MAX);
		return -EINVAL;
	}
	it_cfg.stress_secs = (unsigned int)v;
	return 0;
}

static int it_parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "client", required_argument, NULL, 'c' },
		{ "peer", required_argument, NULL, 'p' },
		{ "server-root", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			it_cfg.client = optarg;
			break;
		case 'p':
			it_cfg.peer = optarg;
			break;
		case 's':
			it_cfg.server_root = optarg;
			break;
		case 'h':
			it_usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			it_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc || !it_cfg.client || !it_cfg.peer ||
	    !it_cfg.server_root) {
		fprintf(stderr, "qtfs_itest: --client, --peer and --server-root are required\n");
		it_usage(stderr);
		return -EINVAL;
	}
	if (it_cfg.server_root[0] != '/' || it_cfg.client[0] != '/') {
		fprintf(stderr, "qtfs_itest: --client and --server-root must be absolute paths\n");
		return -EINVAL;
	}
	return it_parse_stress_secs();
}

/* Remove the run directory, through the testpeer if it answers. */
static void it_cleanup_run(void)
{
	static struct peer p;
	char path[PATH_MAX];
	int ret;

	struct stat st;

	if (!peer_connect(&p, it_cfg.peer, IT_PEER_TIMEOUT))
		peer_rmtree(&p, it_cfg.run_rel);
	peer_close(&p);
	/* still there if the testpeer is unreachable or serves another tree */
	snprintf(path, sizeof(path), "%s/%s", it_cfg.client, it_cfg.run_rel);
	if (lstat(path, &st))
		return;
	ret = it_rmtree(path);
	if (ret && ret != -ENOENT)
		fprintf(stderr, "qtfs_itest: cleanup of %s failed: %s\n", path,
			strerror(-ret));
}

int main(int argc, char **argv)
{
	char run[PATH_MAX];
	SRunner *sr;
	Suite *s;
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (it_parse_args(argc, argv))
		return 2;
	umask(022);
	snprintf(it_cfg.run_rel, sizeof(it_cfg.run_rel), "itest.%d",
		 (int)getpid());
	snprintf(run, sizeof(run), "%s/%s", it_cfg.client, it_cfg.run_rel);
	if (mkdir(run, 0755))
		fprintf(stderr, "qtfs_itest: mkdir %s: %s (tests will fail)\n",
			run, strerror(errno));
	printf("qtfs_itest: client %s, server root %s, peer %s, run dir %s, stress %u s\n",
	       it_cfg.client, it_cfg.server_root, it_cfg.peer, it_cfg.run_rel,
	       it_cfg.stress_secs);

	s = suite_create("qtfs");
	it_add_sanity_tests(s);
	it_add_ops_tests(s);
	it_add_data_tests(s);
	it_add_mmap_tests(s);
	it_add_dir_tests(s);
	it_add_stress_tests(s);
	it_add_mount_tests(s);
	it_add_kill_tests(s);
	it_add_engine_tests(s);
	it_add_ctl_tests(s);
	it_add_perm_tests(s);
	it_add_xattr_tests(s);
	it_add_attr_tests(s);
	it_add_lock_tests(s);

	sr = srunner_create(s);
	fflush(stdout);
	srunner_run_all(sr, getenv("CK_VERBOSITY") ? CK_ENV : CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	tk_count(srunner_ntests_run(sr) - failed, failed);
	srunner_free(sr);

	it_cleanup_run();
	/* Check printed a line per test; the harness reads the summary */
	return tk_summary();
}
