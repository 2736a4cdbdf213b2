/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qtinfo internals: the module side (qtinfo.c: devices, ioctls, output)
 * and the whitelist side (qtinfo_wl.c: list, edit, reload).
 */
#ifndef QTINFO_H
#define QTINFO_H

#include <stdbool.h>
#include <stdio.h>

/* Exit statuses: 0 done, 1 failed (module, engine, file), 2 bad usage. */
#define QTINFO_EXIT_FAIL	1
#define QTINFO_EXIT_USAGE	2

#define QTINFO_WHITELIST	"/etc/qtfs/whitelist"
#define QTINFO_PIDFILE		"/run/qtfs/engine.pid"
/* udsproxyd's socket, as libudsproxy.so finds it; its control socket
 * adds ".ctl" */
#define QTINFO_UDS_SOCKET	"/run/qtfs/udsproxyd.sock"
#define QTINFO_UDS_SOCKET_ENV	"QTFS_UDSPROXYD_SOCKET"

/**
 * struct qtinfo_opts - the command line
 * @json:      print JSON instead of text
 * @whitelist: whitelist file edited by wl add/del
 * @pidfile:   the engine's pidfile, for reloads
 * @timeout:   seconds to wait for a reload to show in the module
 * @uds_socket: udsproxyd's socket, for uds
 */
struct qtinfo_opts {
	bool json;
	const char *whitelist;
	const char *pidfile;
	unsigned int timeout;
	const char *uds_socket;
};

void qtinfo_json_str(FILE *out, const char *s);
int qtinfo_wl_main(int dev_fd, const struct qtinfo_opts *o, int argc,
		   char **argv);
int qtinfo_uds_main(const struct qtinfo_opts *o, int argc, char **argv);

#endif /* QTINFO_H */
