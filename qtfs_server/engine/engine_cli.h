/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's command line, parsed without side effects so that the
 * unit tests (test/unit/check_engine_cli.c) can run every bad input.
 */
#ifndef _ENGINE_CLI_H
#define _ENGINE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include "uapi/qtfs_ioctl.h"

#define ENGINE_WHITELIST	"/etc/qtfs/whitelist"
#define ENGINE_PIDFILE		"/run/qtfs/engine.pid"
#define ENGINE_THREADS_DEF	16
#define ENGINE_THREADS_MAX	1024
#define ENGINE_UDS_THREADS_MAX	64

/**
 * struct engine_opts - the command line
 * @threads:     worker threads in QTSRV_IOC_SERVE
 * @uds_threads: uds-proxy threads (recorded for the uds proxy)
 * @local_cid:   uds-proxy local vsock CID (recorded)
 * @local_port:  uds-proxy local port (recorded)
 * @peer:        PEER_CID as given: the positional peer (also recorded for
 *               the uds proxy)
 * @peer_port:   uds-proxy peer port (recorded)
 * @have_uds:    the six positional values were given
 * @whitelist:   whitelist file
 * @device:      control device
 * @pidfile:     file to write our pid to once serving ("" for none)
 * @insecure:    --insecure: may serve anyone when no peer and no key are set
 * @nr_peers:    entries of @peers: PEER_CID and every --peer, without
 *               duplicates
 * @peers:       the clients to serve, as QTSRV_IOC_START takes them
 */
struct engine_opts {
	unsigned long threads;
	unsigned long uds_threads;
	unsigned long local_cid;
	unsigned long local_port;
	const char *peer;
	unsigned long peer_port;
	bool have_uds;
	const char *whitelist;
	const char *device;
	const char *pidfile;
	bool insecure;
	unsigned int nr_peers;
	struct qtsrv_peer peers[QTSRV_PEERS_MAX];
};

/* engine_parse_args() results */
enum engine_cli_result {
	ENGINE_CLI_OK,		/* serve with the options */
	ENGINE_CLI_HELP,	/* print the usage, exit 0 */
	ENGINE_CLI_VERSION,	/* print the version, exit 0 */
	ENGINE_CLI_BAD,		/* print the reason, exit 2 */
};

enum engine_cli_result engine_parse_args(int argc, char **argv,
					 struct engine_opts *o, char *err,
					 size_t errlen);
int engine_parse_peer(const char *s, struct qtsrv_peer *p, char *err,
		      size_t errlen);

#endif /* _ENGINE_CLI_H */
