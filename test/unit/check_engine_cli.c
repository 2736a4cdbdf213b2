// SPDX-License-Identifier: GPL-2.0
/*
 * Check tests of the engine's command line (qtfs_server/engine/engine_cli.c):
 * the documented positional form, --peer, --insecure, and one table row
 * per class of bad input, each of which must be refused with a reason
 * naming the offending value.
 *
 * Build: cc check_engine_cli.c ../../qtfs_server/engine/engine_cli.c
 *        $(pkg-config --cflags --libs check)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "engine_cli.h"

#define ARGV_MAX	48

static struct engine_opts o;
static char err[512];

/* Parse the NULL-terminated @args after an "engine" argv[0]. */
static enum engine_cli_result parse(const char *const *args)
{
	char *argv[ARGV_MAX] = { "engine" };
	int argc = 1;

	while (*args) {
		ck_assert_int_lt(argc, ARGV_MAX - 1);
		argv[argc++] = (char *)*args++;
	}
	err[0] = '\0';
	return engine_parse_args(argc, argv, &o, err, sizeof(err));
}

#define PARSE(...) parse((const char *const[]){ __VA_ARGS__, NULL })

static void assert_peer(unsigned int i, unsigned int family, const char *a)
{
	struct qtsrv_peer p = {};

	ck_assert_uint_lt(i, o.nr_peers);
	ck_assert_uint_eq(o.peers[i].family, family);
	if (family == AF_INET) {
		ck_assert_int_eq(inet_pton(AF_INET, a, &p.addr), 1);
		ck_assert_uint_eq(o.peers[i].addr, p.addr);
	} else {
		ck_assert_uint_eq(o.peers[i].addr, strtoul(a, NULL, 10));
	}
}

START_TEST(test_defaults)
{
	ck_assert_int_eq(parse((const char *const[]){ NULL }), ENGINE_CLI_OK);
	ck_assert_uint_eq(o.threads, ENGINE_THREADS_DEF);
	ck_assert_uint_eq(o.nr_peers, 0);
	ck_assert(!o.insecure);
	ck_assert(!o.have_uds);
	ck_assert_str_eq(o.whitelist, ENGINE_WHITELIST);
	ck_assert_str_eq(o.pidfile, ENGINE_PIDFILE);
}
END_TEST

/* The line of the original documentation: its PEER_CID is the peer. */
START_TEST(test_documented_line)
{
	ck_assert_int_eq(PARSE("16", "1", "2", "12121", "10", "12121"),
			 ENGINE_CLI_OK);
	ck_assert_uint_eq(o.threads, 16);
	ck_assert(o.have_uds);
	ck_assert_uint_eq(o.local_cid, 2);
	ck_assert_str_eq(o.peer, "10");
	ck_assert_uint_eq(o.nr_peers, 1);
	assert_peer(0, AF_VSOCK, "10");
	ck_assert(!o.insecure);
}
END_TEST

START_TEST(test_positional_ipv4)
{
	ck_assert_int_eq(PARSE("4", "1", "1", "12121", "192.0.2.2", "12121"),
			 ENGINE_CLI_OK);
	ck_assert_uint_eq(o.nr_peers, 1);
	assert_peer(0, AF_INET, "192.0.2.2");
}
END_TEST

/* --peer is repeatable, mixes with PEER_CID, and duplicates count once. */
START_TEST(test_peers)
{
	ck_assert_int_eq(PARSE("--peer", "3", "--peer", "127.0.0.1",
			       "--peer", "3", "--insecure", "-t", "2", "4",
			       "1", "1", "12121", "127.0.0.1", "12121"),
			 ENGINE_CLI_OK);
	ck_assert_uint_eq(o.nr_peers, 2);
	assert_peer(0, AF_VSOCK, "3");
	assert_peer(1, AF_INET, "127.0.0.1");
	ck_assert(o.insecure);
	ck_assert_uint_eq(o.threads, 2);
}
END_TEST

START_TEST(test_peer_cid_bounds)
{
	ck_assert_int_eq(PARSE("--peer", "1", "--peer", "4294967294"),
			 ENGINE_CLI_OK);
	assert_peer(0, AF_VSOCK, "1");
	assert_peer(1, AF_VSOCK, "4294967294");
}
END_TEST

START_TEST(test_max_peers)
{
	static char vals[QTSRV_PEERS_MAX + 1][12];
	const char *args[2 * (QTSRV_PEERS_MAX + 1) + 1];
	int i, n = 0;

	for (i = 0; i <= QTSRV_PEERS_MAX; i++) {
		snprintf(vals[i], sizeof(vals[i]), "%d", i + 3);
		args[n++] = "--peer";
		args[n++] = vals[i];
	}
	args[n - 2] = NULL;	/* exactly QTSRV_PEERS_MAX */
	ck_assert_int_eq(parse(args), ENGINE_CLI_OK);
	ck_assert_uint_eq(o.nr_peers, QTSRV_PEERS_MAX);
	args[n - 2] = "--peer";
	args[n] = NULL;		/* one more */
	ck_assert_int_eq(parse(args), ENGINE_CLI_BAD);
	ck_assert_msg(strstr(err, "too many peers"), "%s", err);
}
END_TEST

/* The parser can run twice in one process (getopt is reset). */
START_TEST(test_reparse)
{
	ck_assert_int_eq(PARSE("--bogus"), ENGINE_CLI_BAD);
	ck_assert_int_eq(PARSE("--peer", "5"), ENGINE_CLI_OK);
	assert_peer(0, AF_VSOCK, "5");
}
END_TEST

START_TEST(test_help_version)
{
	ck_assert_int_eq(PARSE("--help"), ENGINE_CLI_HELP);
	ck_assert_int_eq(PARSE("-h"), ENGINE_CLI_HELP);
	ck_assert_int_eq(PARSE("--version"), ENGINE_CLI_VERSION);
	ck_assert_int_eq(PARSE("-V"), ENGINE_CLI_VERSION);
}
END_TEST

/* Bad peers, each refused both as --peer and as PEER_CID. */
static const char *const bad_peers[] = {
	"0",			/* the hypervisor's CID */
	"4294967295",		/* VMADDR_CID_ANY */
	"4294967296",		/* beyond 32 bits */
	"99999999999999999999999",	/* beyond unsigned long */
	"-1",
	"+5",
	"5x",
	" 5",
	"",
	"abc",
	"1.2.3",		/* IPv4 with three parts */
	"1.2.3.4.5",
	"256.1.1.1",
	"1.2.3.4 ",
	"0x7f.0.0.1",
	"0.0.0.0",		/* not unicast */
	"0.1.2.3",
	"224.0.0.1",
	"239.255.255.255",
	"255.255.255.255",
};

START_TEST(test_bad_peer_option)
{
	const char *v = bad_peers[_i];

	ck_assert_int_eq(PARSE("--peer", v), ENGINE_CLI_BAD);
	ck_assert_msg(strstr(err, "--peer"), "%s", err);
	if (*v)
		ck_assert_msg(strstr(err, v), "'%s' not named in: %s", v, err);
}
END_TEST

START_TEST(test_bad_peer_positional)
{
	const char *v = bad_peers[_i];

	ck_assert_int_eq(PARSE("4", "1", "1", "12121", v, "12121"),
			 ENGINE_CLI_BAD);
	ck_assert_msg(strstr(err, "PEER_CID"), "%s", err);
	if (*v)
		ck_assert_msg(strstr(err, v), "'%s' not named in: %s", v, err);
}
END_TEST

/* Other bad command lines: the reason names the offending value. */
static const struct {
	const char *argv[10];
	const char *msg;
} bad_cli[] = {
	{ { "--peer" }, "--peer needs a value" },
	{ { "--threads" }, "-t needs a value" },
	{ { "-w" }, "-w needs a value" },
	{ { "-x" }, "-x is unknown" },
	{ { "--bogus" }, "'--bogus'" },
	{ { "--insecure=yes" }, "'--insecure=yes'" },
	{ { "--threads", "0" }, "'0'" },
	{ { "--threads", "-3" }, "'-3'" },
	{ { "--threads", "1025" }, "'1025'" },
	{ { "--threads", "2x" }, "'2x'" },
	{ { "1" }, "got 1" },
	{ { "4", "1", "1", "12121", "10" }, "got 5" },
	{ { "4", "1", "1", "12121", "10", "12121", "7" }, "got 7" },
	{ { "0", "1", "1", "12121", "10", "12121" }, "'0'" },
	{ { "16x", "1", "1", "12121", "10", "12121" }, "'16x'" },
	{ { "4", "0", "1", "12121", "10", "12121" }, "'0'" },
	{ { "4", "65", "1", "12121", "10", "12121" }, "'65'" },
	{ { "4", "1", "cid", "12121", "10", "12121" }, "'cid'" },
	{ { "4", "1", "1", "port", "10", "12121" }, "'port'" },
	{ { "4", "1", "1", "0", "10", "12121" }, "local port '0'" },
	{ { "4", "1", "1", "12121", "10", "4294967295" }, "'4294967295'" },
	{ { "4", "1", "1", "12121", "10", "0" }, "peer port '0'" },
};

START_TEST(test_bad_cli)
{
	ck_assert_int_eq(parse(bad_cli[_i].argv), ENGINE_CLI_BAD);
	ck_assert_msg(strstr(err, bad_cli[_i].msg), "want '%s' in: %s",
		      bad_cli[_i].msg, err);
}
END_TEST

static Suite *engine_cli_suite(void)
{
	Suite *s = suite_create("engine_cli");
	TCase *tc = tcase_create("good");
	TCase *bad = tcase_create("bad");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_documented_line);
	tcase_add_test(tc, test_positional_ipv4);
	tcase_add_test(tc, test_peers);
	tcase_add_test(tc, test_peer_cid_bounds);
	tcase_add_test(tc, test_max_peers);
	tcase_add_test(tc, test_reparse);
	tcase_add_test(tc, test_help_version);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(bad, test_bad_peer_option, 0,
			    sizeof(bad_peers) / sizeof(bad_peers[0]));
	tcase_add_loop_test(bad, test_bad_peer_positional, 0,
			    sizeof(bad_peers) / sizeof(bad_peers[0]));
	tcase_add_loop_test(bad, test_bad_cli, 0,
			    sizeof(bad_cli) / sizeof(bad_cli[0]));
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(engine_cli_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
