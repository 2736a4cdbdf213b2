/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What rexec and rexec_server share (doc/rexec.md): framing of the
 * protocol of include/uapi/qtfs_rexec.h over a non-blocking unix socket,
 * the environment allow-list and the binary whitelist.
 */
#ifndef REXEC_H
#define REXEC_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include "qt_log.h"
#include "qtfs_proto.h"
#include "uapi/qtfs_rexec.h"

/* Where rexec_server listens, and where rexec looks for it. */
#define REXEC_SOCK_DEFAULT	"/run/rexec/rexec.sock"
#define REXEC_WL_DEFAULT	"/etc/rexec/whitelist"
#define REXEC_PID_DIR_DEFAULT	"/var/run/rexec/pids"
/* Environment variables forwarded unless --env says otherwise. */
#define REXEC_ENV_DEFAULT	"TERM,LANG,LANGUAGE,LC_*,TZ"
/* Stop reading a data source while this much waits to be sent. */
#define REXEC_TX_HIGH		(256U << 10)

/* Exit codes of rexec when the binary did not run or exit itself. */
#define REXEC_EXIT_DENIED	126	/* refused: whitelist, identity */
#define REXEC_EXIT_NOTFOUND	127	/* the binary does not exist */
#define REXEC_EXIT_FAILURE	255	/* rexec's own failure, lost server */

/**
 * struct rexec_conn - one framed connection
 * @fd:    the non-blocking socket
 * @rx:    bytes of the frame being received (header, then all of it)
 * @rxlen: bytes of @rx filled
 * @hdr:   @rx's decoded header, once @rxlen covers it
 * @tx:    frames waiting to be written
 */
struct rexec_conn {
	int fd;
	uint8_t *rx;
	uint32_t rxlen;
	struct qtfs_msg_hdr hdr;
	GByteArray *tx;
};

int rexec_conn_init(struct rexec_conn *c, int fd);
void rexec_conn_destroy(struct rexec_conn *c);
int rexec_send(struct rexec_conn *c, uint16_t op, uint16_t flags,
	       uint64_t id, int32_t error, const char *fmt, ...);
int rexec_send_data(struct rexec_conn *c, uint8_t stream, const void *data,
		    uint32_t len);
int rexec_flush(struct rexec_conn *c);
int rexec_recv(struct rexec_conn *c);
void rexec_recv_done(struct rexec_conn *c);
int rexec_args(const struct rexec_conn *c, const char *fmt, ...);
const char *rexec_op_name(uint16_t op);

int rexec_strv_parse(const void *blob, uint32_t len, unsigned int max,
		     GPtrArray *out);

int rexec_envlist_parse(const char *list, GPtrArray **out);
bool rexec_envlist_match(const GPtrArray *allow, const char *entry);

int rexec_whitelist_load(const char *path, GPtrArray **out, char *why,
			 size_t whylen);
bool rexec_whitelist_allows(const GPtrArray *wl, const char *binary);

int rexec_log_file(const char *path);
int rexec_set_nonblock(int fd);
int rexec_parse_level(const char *s, enum qt_log_level *level);

#endif /* REXEC_H */
