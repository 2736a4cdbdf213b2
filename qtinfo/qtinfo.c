// SPDX-License-Identifier: GPL-2.0
/*
 * qtinfo - show and adjust a running qtfs, client or server side.
 *
 * Reads the modules through the versioned ioctls of
 * include/uapi/qtfs_info.h (/dev/qtfs_server on the server, /dev/qtfs on
 * the client) and the writable module parameter qtfs_log_level; the
 * whitelist commands are in qtinfo_wl.c, udsproxyd's in qtinfo_uds.c.  Every bad argument is refused
 * with one line on stderr and exit status 2 before anything changes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "qtfs_proto.h"
#include "uapi/qtfs_info.h"
#include "uapi/qtfs_ioctl.h"
#include "qt_log.h"
#include "qtinfo.h"

#define QTINFO_VERSION		"0.1.0"
#define QTINFO_CONNS_MAX	4096
#define QTINFO_PARAM_FMT	"/sys/module/%s/parameters/qtfs_log_level"

/**
 * struct qtinfo_side - one module qtinfo can talk to
 * @module: module name (as in /sys/module)
 * @dev:    its info device
 * @ko:     what to load when it is missing
 */
struct qtinfo_side {
	const char *module;
	const char *dev;
	const char *ko;
};

static const struct qtinfo_side qtinfo_server = {
	"qtfs_server", QTSRV_DEV_PATH, "qtfs_server.ko",
};

static const struct qtinfo_side qtinfo_client = {
	"qtfs", QTFS_INFO_DEV_PATH, "qtfs.ko",
};

static const char *const qtinfo_levels[] = {
	"NONE", "ERROR", "WARN", "INFO", "DEBUG",
};

static const char *const qtinfo_states[] = {
	[QTFS_INFO_CONN_DOWN] = "down",
	[QTFS_INFO_CONN_HANDSHAKE] = "handshake",
	[QTFS_INFO_CONN_UP] = "up",
	[QTFS_INFO_CONN_CLOSED] = "closed",
};

/* @s as a JSON string, quotes included. */
void qtinfo_json_str(FILE *out, const char *s)
{
	const unsigned char *p;

	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: qtinfo [OPTIONS] [COMMAND]\n"
		"\n"
		"Show and adjust a running qtfs on this host, client or server side.\n"
		"\n"
		"commands (default: show):\n"
		"  show               version, connections, per-op counters, log level\n"
		"                     (and, on the server, its limits)\n"
		"  version            module and protocol versions\n"
		"  conns              connections: peer, state, protocol, requests in flight\n"
		"  stats              per-op counters: count, errors, mean and max latency\n"
		"  log [LEVEL]        show, or set, the log level: NONE ERROR WARN INFO DEBUG\n"
		"  wl list            whitelist rules in force in qtfs_server.ko, [Mount]\n"
		"                     rules with their export options\n"
		"  wl add CLASS PATH  add PATH to section [CLASS] of the whitelist file and\n"
		"                     reload the engine; a Mount PATH may end in export\n"
		"                     options: '/srv(all_squash,anonuid=1000)'\n"
		"  wl del CLASS PATH  remove it (whatever its options) likewise\n"
		"  wl reload          make the engine reload the whitelist file\n"
		"  CLASS is a section name: Open Write Read Readdir Mkdir Rmdir Create\n"
		"  Unlink Rename Setattr Setxattr Mount Device Udsconnect\n"
		"  uds [stats]        udsproxyd: connections, bytes each way, errors\n"
		"  uds conns          udsproxyd: its live connections\n"
		"  uds log [LEVEL]    udsproxyd: show, or set, its log level: ERR WARN\n"
		"                     INFO DEBUG\n"
		"\n"
		"options:\n"
		"  -s, --server          talk to qtfs_server.ko (%s)\n"
		"  -c, --client          talk to qtfs.ko (%s)\n"
		"                        default: the server if loaded, else the client\n"
		"  -j, --json            JSON output (show, version, conns, stats, log, wl list)\n"
		"  -w, --whitelist FILE  whitelist file (default %s)\n"
		"  -p, --pidfile FILE    engine pidfile (default %s)\n"
		"  -t, --timeout S       seconds to wait for a reload (default 5, 1..600)\n"
		"  -u, --uds-socket PATH udsproxyd's socket (default $%s, else %s);\n"
		"                        uds talks to PATH.ctl\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show qtinfo's version\n"
		"\n"
		"exit status: 0 done, 1 failed (module, engine or file), 2 bad usage\n",
		QTSRV_DEV_PATH, QTFS_INFO_DEV_PATH, QTINFO_WHITELIST,
		QTINFO_PIDFILE, QTINFO_UDS_SOCKET_ENV, QTINFO_UDS_SOCKET);
}

/* Open the side's device; NULL @side picks the loaded one. */
static int qtinfo_open(const struct qtinfo_side **side)
{
	const struct qtinfo_side *s = *side;
	int fd;

	if (!s)
		s = access(qtinfo_server.dev, F_OK) &&
		    !access(qtinfo_client.dev, F_OK) ?
		    &qtinfo_client : &qtinfo_server;
	fd = open(s->dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENXIO || errno == ENODEV) {
			if (*side)
				qt_err("%s module not loaded: %s missing (insmod %s)",
					   s->module, s->dev, s->ko);
			else
				qt_err("no qtfs module loaded: neither %s nor %s exists (insmod qtfs_server.ko or qtfs.ko)",
					   qtinfo_server.dev, qtinfo_client.dev);
		} else {
			qt_err("cannot open %s: %s%s", s->dev,
				   strerror(errno),
				   errno == EACCES || errno == EPERM ?
				   " (run as root)" : "");
		}
		return -1;
	}
	*side = s;
	return fd;
}

static int qtinfo_ioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (!ioctl(fd, cmd, arg))
		return 0;
	qt_err("cannot read %s: %s%s", what, strerror(errno),
		   errno == ENOTTY || errno == EINVAL ?
		   " (module and qtinfo do not match: rebuild both)" : "");
	return -1;
}

static int qtinfo_get_version(int fd, struct qtfs_info_version *v)
{
	memset(v, 0, sizeof(*v));
	v->version = QTFS_INFO_VERSION;
	return qtinfo_ioctl(fd, QTFS_INFO_IOC_VERSION, v, "version");
}

/* Read the log level into @buf (stripped); 0 or -1. */
static int qtinfo_get_level(const struct qtinfo_side *side, char *buf,
			    size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), QTINFO_PARAM_FMT, side->module);
	f = fopen(path, "re");
	if (!f || !fgets(buf, len, f)) {
		qt_err("cannot read %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int qtinfo_set_level(const struct qtinfo_side *side, const char *lvl)
{
	char path[128];
	int fd, ret = 0;
	ssize_t n;

	snprintf(path, sizeof(path), QTINFO_PARAM_FMT, side->module);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		qt_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	n = write(fd, lvl, strlen(lvl));
	if (n != (ssize_t)strlen(lvl)) {
		qt_err("cannot set log level %s in %s: %s", lvl, path,
			   n < 0 ? strerror(errno) : "short write");
		ret = -1;
	}
	close(fd);
	return ret;
}

static void qtinfo_show_version(const struct qtinfo_side *side,
				const struct qtfs_info_version *v, bool json)
{
	if (json) {
		printf("\"module\":");
		qtinfo_json_str(stdout, side->module);
		printf(",\"info_version\":%u,\"protocol\":\"%u.%u\",\"nr_ops\":%u",
		       v->version, v->proto_major, v->proto_minor, v->nr_ops);
		return;
	}
	printf("module %s\n", side->module);
	printf("version info=%u protocol=%u.%u ops=%u qtinfo=%s\n",
	       v->version, v->proto_major, v->proto_minor, v->nr_ops,
	       QTINFO_VERSION);
}

static int qtinfo_show_conns(int fd, bool json)
{
	struct qtfs_info_conns arg = { .version = QTFS_INFO_VERSION };
	struct qtfs_info_conn *c;
	const char *state;
	uint32_t i;

	c = calloc(QTINFO_CONNS_MAX, sizeof(*c));
	if (!c) {
		qt_err("out of memory");
		return -1;
	}
	arg.cap = QTINFO_CONNS_MAX;
	arg.conns = (uintptr_t)c;
	if (qtinfo_ioctl(fd, QTFS_INFO_IOC_CONNS, &arg, "connections")) {
		free(c);
		return -1;
	}
	if (json)
		printf("\"connections\":[");
	else
		printf("connections %u\n", arg.nr);
	for (i = 0; i < arg.filled; i++) {
		c[i].peer[sizeof(c[i].peer) - 1] = '\0';
		c[i].export[sizeof(c[i].export) - 1] = '\0';
		state = c[i].state < sizeof(qtinfo_states) /
				     sizeof(qtinfo_states[0]) ?
			qtinfo_states[c[i].state] : "unknown";
		if (!json) {
			printf("conn id=%u state=%s protocol=%u.%u inflight=%u max_msg=%u peer=%s",
			       c[i].id, state, c[i].proto_major,
			       c[i].proto_minor, c[i].inflight, c[i].max_msg,
			       c[i].peer);
			if (c[i].export[0])
				printf(" export=%s", c[i].export);
			printf("\n");
			continue;
		}
		printf("%s{\"id\":%u,\"state\":\"%s\",\"protocol\":\"%u.%u\",\"inflight\":%u,\"max_msg\":%u,\"peer\":",
		       i ? "," : "", c[i].id, state, c[i].proto_major,
		       c[i].proto_minor, c[i].inflight, c[i].max_msg);
		qtinfo_json_str(stdout, c[i].peer);
		printf(",\"export\":");
		qtinfo_json_str(stdout, c[i].export);
		printf("}");
	}
	if (json)
		printf("]");
	free(c);
	return 0;
}

static int qtinfo_show_stats(int fd, const struct qtfs_info_version *v,
			     bool json)
{
	struct qtfs_info_stats arg = { .version = QTFS_INFO_VERSION };
	const struct qtfs_op_desc *d;
	struct qtfs_info_op_stat *st;
	char unknown[24];
	const char *name;
	bool first = true;
	uint64_t mean;
	uint32_t i;

	st = calloc(v->nr_ops ? v->nr_ops : 1, sizeof(*st));
	if (!st) {
		qt_err("out of memory");
		return -1;
	}
	arg.cap = v->nr_ops;
	arg.ops = (uintptr_t)st;
	if (qtinfo_ioctl(fd, QTFS_INFO_IOC_STATS, &arg, "statistics")) {
		free(st);
		return -1;
	}
	if (json)
		printf("\"ops\":{");
	for (i = 1; i < arg.nr && i < arg.cap; i++) {
		d = qtfs_op_desc(i);
		if (d) {
			name = d->name;
		} else {
			snprintf(unknown, sizeof(unknown), "OP%u", i);
			name = unknown;
		}
		mean = st[i].count ? st[i].total_ns / st[i].count : 0;
		if (json) {
			printf("%s", first ? "" : ",");
			qtinfo_json_str(stdout, name);
			printf(":{\"count\":%llu,\"errors\":%llu,\"total_ns\":%llu,\"mean_ns\":%llu,\"max_ns\":%llu}",
			       (unsigned long long)st[i].count,
			       (unsigned long long)st[i].errors,
			       (unsigned long long)st[i].total_ns,
			       (unsigned long long)mean,
			       (unsigned long long)st[i].max_ns);
			first = false;
		} else if (st[i].count) {
			printf("op %s count=%llu errors=%llu mean_ns=%llu max_ns=%llu\n",
			       name, (unsigned long long)st[i].count,
			       (unsigned long long)st[i].errors,
			       (unsigned long long)mean,
			       (unsigned long long)st[i].max_ns);
		}
	}
	if (json)
		printf("}");
	free(st);
	return 0;
}

static int qtinfo_show_level(const struct qtinfo_side *side, bool json)
{
	char lvl[32];

	if (qtinfo_get_level(side, lvl, sizeof(lvl)))
		return -1;
	if (json) {
		printf("\"log_level\":");
		qtinfo_json_str(stdout, lvl);
	} else {
		printf("log_level %s\n", lvl);
	}
	return 0;
}

/*
 * The server's limits, as its module parameters read now; a parameter this
 * module does not have is left out.  Text: one "limits key=value ..." line.
 */
static void qtinfo_show_limits(bool json)
{
	static const char *const params[][2] = {
		{ "max_conn", "qtfs_conn_max_conn" },
		{ "max_preauth", "qtfs_conn_max_preauth" },
		{ "max_preauth_per_peer", "qtfs_conn_max_preauth_per_peer" },
		{ "max_inflight_bytes", "qtfs_conn_max_inflight_bytes" },
		{ "sess_max_handles", "qtfs_sess_max_handles" },
		{ "max_handles", "qtfs_server_max_handles" },
	};
	unsigned long v;
	bool first = true;
	char path[128];
	size_t i;
	FILE *f;
	int n;

	printf(json ? "\"limits\":{" : "limits");
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s",
			 qtinfo_server.module, params[i][1]);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fscanf(f, "%lu", &v);
		fclose(f);
		if (n != 1)
			continue;
		if (json)
			printf("%s\"%s\":%lu", first ? "" : ",", params[i][0], v);
		else
			printf(" %s=%lu", params[i][0], v);
		first = false;
	}
	printf(json ? "}" : "\n");
}

/* A log level name, case-insensitive; NULL if it is none. */
static const char *qtinfo_level_name(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(qtinfo_levels) / sizeof(qtinfo_levels[0]); i++)
		if (!strcasecmp(s, qtinfo_levels[i]))
			return qtinfo_levels[i];
	return NULL;
}

enum qtinfo_cmd {
	QTINFO_SHOW,
	QTINFO_VERSION_CMD,
	QTINFO_CONNS,
	QTINFO_STATS,
	QTINFO_LOG,
	QTINFO_WL,
	QTINFO_UDS,
};

static int qtinfo_cmd_by_name(const char *s)
{
	static const char *const names[] = {
		[QTINFO_SHOW] = "show", [QTINFO_VERSION_CMD] = "version",
		[QTINFO_CONNS] = "conns", [QTINFO_STATS] = "stats",
		[QTINFO_LOG] = "log", [QTINFO_WL] = "wl", [QTINFO_UDS] = "uds",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static unsigned int parse_timeout(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < 1 || v > 600) {
		qt_err("invalid --timeout '%s': expected seconds from 1 to 600", s);
		exit(QTINFO_EXIT_USAGE);
	}
	return v;
}

/* Output of show-type commands, wrapped in one JSON object with --json. */
static int qtinfo_show(int fd, const struct qtinfo_side *side, int cmd,
		       bool json)
{
	struct qtfs_info_version v;
	int ret = 0;

	if (qtinfo_get_version(fd, &v))
		return -1;
	/* text: the version lines only where asked for; JSON: always */
	if (json)
		printf("{");
	if (json || cmd == QTINFO_SHOW || cmd == QTINFO_VERSION_CMD)
		qtinfo_show_version(side, &v, json);
	if (cmd == QTINFO_SHOW || cmd == QTINFO_CONNS) {
		printf("%s", json ? "," : "");
		ret = qtinfo_show_conns(fd, json);
	}
	if (!ret && (cmd == QTINFO_SHOW || cmd == QTINFO_STATS)) {
		printf("%s", json ? "," : "");
		ret = qtinfo_show_stats(fd, &v, json);
	}
	if (!ret && (cmd == QTINFO_SHOW || cmd == QTINFO_LOG)) {
		printf("%s", json ? "," : "");
		ret = qtinfo_show_level(side, json);
	}
	if (!ret && cmd == QTINFO_SHOW && side == &qtinfo_server) {
		printf("%s", json ? "," : "");
		qtinfo_show_limits(json);
	}
	if (json)
		printf("}\n");
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", no_argument, NULL, 's' },
		{ "client", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "whitelist", required_argument, NULL, 'w' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "uds-socket", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct qtinfo_opts o = {
		.whitelist = QTINFO_WHITELIST,
		.pidfile = QTINFO_PIDFILE,
		.timeout = 5,
		.uds_socket = getenv(QTINFO_UDS_SOCKET_ENV),
	};
	const struct qtinfo_side *side = NULL;
	const char *level = NULL;
	int c, cmd = QTINFO_SHOW, fd, ret;

	qt_log_open("qtinfo", false);
	opterr = 0;
	if (!o.uds_socket || !*o.uds_socket)
		o.uds_socket = QTINFO_UDS_SOCKET;
	while ((c = getopt_long(argc, argv, "+scjw:p:t:u:hV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 's':
		case 'c':
			if (side) {
				qt_err("give at most one of --server and --client");
				return QTINFO_EXIT_USAGE;
			}
			side = c == 's' ? &qtinfo_server : &qtinfo_client;
			break;
		case 'j':
			o.json = true;
			break;
		case 'w':
			o.whitelist = optarg;
			break;
		case 'p':
			o.pidfile = optarg;
			break;
		case 't':
			o.timeout = parse_timeout(optarg);
			break;
		case 'u':
			if (!*optarg) {
				qt_err("invalid --uds-socket '': expected a path");
				return QTINFO_EXIT_USAGE;
			}
			o.uds_socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("qtinfo (qtfs) %s, info ABI %d\n", QTINFO_VERSION,
			       QTFS_INFO_VERSION);
			return 0;
		default:
			if (optopt && strchr("wptu", optopt))
				qt_err("option -%c needs a value (see qtinfo --help)",
					   optopt);
			else
				qt_err("unknown option '%s' (see qtinfo --help)",
					   argv[optind - 1]);
			return QTINFO_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cmd = qtinfo_cmd_by_name(argv[optind]);
		if (cmd < 0) {
			qt_err("unknown command '%s' (see qtinfo --help)",
				   argv[optind]);
			return QTINFO_EXIT_USAGE;
		}
		optind++;
	}
	if (cmd == QTINFO_UDS) {
		if (side) {
			qt_err("uds talks to udsproxyd, not to a module: no --server or --client");
			return QTINFO_EXIT_USAGE;
		}
		return qtinfo_uds_main(&o, argc - optind, argv + optind);
	}
	if (cmd == QTINFO_WL) {
		if (side == &qtinfo_client) {
			qt_err("the whitelist is the server's: wl needs qtfs_server.ko, not --client");
			return QTINFO_EXIT_USAGE;
		}
		side = &qtinfo_server;
	} else if (cmd == QTINFO_LOG && optind < argc) {
		level = qtinfo_level_name(argv[optind]);
		if (!level) {
			qt_err("invalid log level '%s': use NONE, ERROR, WARN, INFO or DEBUG",
				   argv[optind]);
			return QTINFO_EXIT_USAGE;
		}
		optind++;
	}
	if (cmd != QTINFO_WL && optind < argc) {
		qt_err("unexpected argument '%s' (see qtinfo --help)",
			   argv[optind]);
		return QTINFO_EXIT_USAGE;
	}
	if (cmd == QTINFO_WL) {
		/* usage errors are found before the module is needed */
		ret = qtinfo_wl_main(-1, &o, argc - optind, argv + optind);
		if (ret >= 0)
			return ret;
	}

	fd = qtinfo_open(&side);
	if (fd < 0)
		return QTINFO_EXIT_FAIL;
	if (cmd == QTINFO_WL)
		ret = qtinfo_wl_main(fd, &o, argc - optind, argv + optind);
	else if (level)
		ret = qtinfo_set_level(side, level) ? QTINFO_EXIT_FAIL : 0;
	else
		ret = qtinfo_show(fd, side, cmd, o.json) ? QTINFO_EXIT_FAIL : 0;
	close(fd);
	return ret;
}
