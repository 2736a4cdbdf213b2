// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's command line:
 *
 *   engine [OPTIONS] [THREADS UDS_THREADS LOCAL_CID LOCAL_PORT PEER_CID PEER_PORT]
 *
 * PEER_CID of the documented form names the client the server serves (a
 * vsock CID, or an IPv4 address for TCP test mode); --peer names more.
 * Library code: returns a result and a one-line reason, never exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "engine_cli.h"

/* VMADDR_CID_HYPERVISOR and VMADDR_CID_ANY of <linux/vm_sockets.h> */
#define ENGINE_CID_HYPERVISOR	0U
#define ENGINE_CID_ANY		UINT32_MAX

/* long-only options */
enum {
	ENGINE_OPT_PEER = 256,
	ENGINE_OPT_INSECURE,
};

static enum engine_cli_result bad(char *err, size_t errlen, const char *fmt,
				  ...) __attribute__((format(printf, 3, 4)));

static enum engine_cli_result bad(char *err, size_t errlen, const char *fmt,
				  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ENGINE_CLI_BAD;
}

/* A decimal number in [min, max]; 0, or -EINVAL with a reason in @err. */
static int parse_num(const char *s, const char *what, unsigned long min,
		     unsigned long max, unsigned long *v, char *err,
		     size_t errlen)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno == ERANGE || *v < min ||
	    *v > max) {
		snprintf(err, errlen,
			 "invalid %s '%s': expected a number from %lu to %lu (see engine --help)",
			 what, s, min, max);
		return -EINVAL;
	}
	return 0;
}

/**
 * engine_parse_peer() - a peer as PEER_CID or --peer give it
 * @s:      a vsock CID (decimal) or a dotted IPv4 address
 * @p:      set to the peer, as QTSRV_IOC_START takes it
 * @err:    set to the reason on failure
 * @errlen: size of @err
 *
 * CIDs 0 (the hypervisor) and 4294967295 (VMADDR_CID_ANY) name no client;
 * an IPv4 peer must be a unicast address (not 0.0.0.0/8, multicast or
 * 255.255.255.255), as the module checks too.
 *
 * Return: 0 or -EINVAL.
 */
int engine_parse_peer(const char *s, struct qtsrv_peer *p, char *err,
		      size_t errlen)
{
	unsigned long cid;
	struct in_addr in;
	uint32_t host;
	char *end;

	if (strchr(s, '.')) {
		if (inet_pton(AF_INET, s, &in) != 1) {
			snprintf(err, errlen, "'%s' is not an IPv4 address", s);
			return -EINVAL;
		}
		host = ntohl(in.s_addr);
		if ((host >> 24) == 0 || (host >> 28) == 0xe ||
		    host == 0xffffffffU) {
			snprintf(err, errlen,
				 "'%s' is not a unicast IPv4 address", s);
			return -EINVAL;
		}
		p->family = AF_INET;
		p->addr = in.s_addr;
		return 0;
	}
	errno = 0;
	cid = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno == ERANGE ||
	    cid > UINT32_MAX) {
		snprintf(err, errlen,
			 "'%s' is not a vsock CID (0..4294967295) or an IPv4 address",
			 s);
		return -EINVAL;
	}
	if (cid == ENGINE_CID_HYPERVISOR || cid == ENGINE_CID_ANY) {
		snprintf(err, errlen,
			 "'%s' is a reserved CID, not a client (0 is the hypervisor, 4294967295 any)",
			 s);
		return -EINVAL;
	}
	p->family = AF_VSOCK;
	p->addr = (uint32_t)cid;
	return 0;
}

/* Add a peer given as @s unless it is listed already. */
static enum engine_cli_result add_peer(struct engine_opts *o, const char *what,
				       const char *s, char *err, size_t errlen)
{
	struct qtsrv_peer p;
	char why[160];
	unsigned int i;

	if (engine_parse_peer(s, &p, why, sizeof(why)))
		return bad(err, errlen, "invalid %s: %s (see engine --help)",
			   what, why);
	for (i = 0; i < o->nr_peers; i++)
		if (o->peers[i].family == p.family &&
		    o->peers[i].addr == p.addr)
			return ENGINE_CLI_OK;
	if (o->nr_peers == QTSRV_PEERS_MAX)
		return bad(err, errlen, "too many peers: at most %d (PEER_CID and --peer together)",
			   QTSRV_PEERS_MAX);
	o->peers[o->nr_peers++] = p;
	return ENGINE_CLI_OK;
}

/* The six values of the documented form. */
static enum engine_cli_result parse_positional(char **pos,
					       struct engine_opts *o, char *err,
					       size_t errlen)
{
	enum engine_cli_result ret;

	if (parse_num(pos[0], "worker thread count", 1, ENGINE_THREADS_MAX,
		      &o->threads, err, errlen) ||
	    parse_num(pos[1], "uds-proxy thread count", 1,
		      ENGINE_UDS_THREADS_MAX, &o->uds_threads, err, errlen) ||
	    parse_num(pos[2], "local CID", 0, UINT32_MAX, &o->local_cid, err,
		      errlen) ||
	    parse_num(pos[3], "local port", 1, UINT32_MAX - 1, &o->local_port,
		      err, errlen))
		return ENGINE_CLI_BAD;
	ret = add_peer(o, "PEER_CID", pos[4], err, errlen);
	if (ret != ENGINE_CLI_OK)
		return ret;
	if (parse_num(pos[5], "peer port", 1, UINT32_MAX - 1, &o->peer_port,
		      err, errlen))
		return ENGINE_CLI_BAD;
	o->peer = pos[4];
	o->have_uds = true;
	return ENGINE_CLI_OK;
}

/**
 * engine_parse_args() - parse the engine's command line
 * @argc:   argument count
 * @argv:   arguments
 * @o:      filled in (defaults first)
 * @err:    set to a one-line reason for %ENGINE_CLI_BAD
 * @errlen: size of @err
 *
 * May be called more than once in a process (it resets getopt).
 *
 * Return: &enum engine_cli_result.
 */
enum engine_cli_result engine_parse_args(int argc, char **argv,
					 struct engine_opts *o, char *err,
					 size_t errlen)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "whitelist", required_argument, NULL, 'w' },
		{ "device", required_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "peer", required_argument, NULL, ENGINE_OPT_PEER },
		{ "insecure", no_argument, NULL, ENGINE_OPT_INSECURE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	enum engine_cli_result ret;
	const char *threads = NULL;
	int c, npos;

	memset(o, 0, sizeof(*o));
	o->threads = ENGINE_THREADS_DEF;
	o->whitelist = ENGINE_WHITELIST;
	o->device = QTSRV_DEV_PATH;
	o->pidfile = ENGINE_PIDFILE;
	opterr = 0;
	optind = 0;	/* GNU: start over, also for a second call */
	while ((c = getopt_long(argc, argv, "+t:w:d:p:hV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 't':
			threads = optarg;
			break;
		case 'w':
			o->whitelist = optarg;
			break;
		case 'd':
			o->device = optarg;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case ENGINE_OPT_PEER:
			ret = add_peer(o, "--peer", optarg, err, errlen);
			if (ret != ENGINE_CLI_OK)
				return ret;
			break;
		case ENGINE_OPT_INSECURE:
			o->insecure = true;
			break;
		case 'h':
			return ENGINE_CLI_HELP;
		case 'V':
			return ENGINE_CLI_VERSION;
		default:
			if (optopt == ENGINE_OPT_PEER)
				return bad(err, errlen,
					   "option --peer needs a value (see engine --help)");
			if (optopt && optopt < 256)
				return bad(err, errlen,
					   "option -%c %s (see engine --help)",
					   optopt, strchr("twdp", optopt) ?
					   "needs a value" : "is unknown");
			return bad(err, errlen,
				   "unknown or incomplete option '%s' (see engine --help)",
				   argv[optind - 1]);
		}
	}
	npos = argc - optind;
	if (npos != 0 && npos != 6)
		return bad(err, errlen,
			   "expected 0 or 6 positional values (THREADS UDS_THREADS LOCAL_CID LOCAL_PORT PEER_CID PEER_PORT), got %d (see engine --help)",
			   npos);
	if (npos == 6) {
		ret = parse_positional(argv + optind, o, err, errlen);
		if (ret != ENGINE_CLI_OK)
			return ret;
	}
	if (threads && parse_num(threads, "--threads value", 1,
				 ENGINE_THREADS_MAX, &o->threads, err, errlen))
		return ENGINE_CLI_BAD;
	return ENGINE_CLI_OK;
}
