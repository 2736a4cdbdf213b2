/* SPDX-License-Identifier: GPL-2.0 */
/*
 * udsproxyd internals: the daemon's state, one proxied connection, and the
 * helper that connects as the caller.  The design is doc/ipc.md, the wire
 * format include/uapi/qtfs_uds.h.
 */
#ifndef UDSPROXYD_H
#define UDSPROXYD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "qt_auth.h"
#include "qt_evloop.h"
#include "qt_log.h"
#include "qt_whitelist.h"
#include "qtfs_proto.h"
#include "uapi/qtfs_uds.h"

/* A link or a local request that has not reached the relay by then dies. */
#define UDS_SETUP_TIMEOUT_MS	30000
/* How long the helper may take to connect as the caller. */
#define UDS_HELPER_TIMEOUT_MS	10000
/* Largest LOCAL_CONNECT: header, magic, major, type and a path. */
#define UDS_LOCAL_MSG_MAX	(QTFS_HDR_SIZE + 12 + QTFS_PATH_MAX + 3)
/* A link buffer: one frame of the largest size and its tag. */
#define UDS_BUF_SIZE		(QTFS_UDS_MSG_MAX + QTFS_FRAME_TAG_SIZE)

/**
 * struct uds_addr - a vsock or (test mode) IPv4 endpoint
 * @family: AF_VSOCK or AF_INET
 * @addr:   CID, or IPv4 address in network byte order
 * @port:   port
 */
struct uds_addr {
	int family;
	uint32_t addr;
	uint32_t port;
};

/* Control requests (doc/ipc.md, "Diagnostics"): at once, and their time. */
#define UDS_CTL_MAX		4
#define UDS_CTL_TIMEOUT_MS	5000
/* The control socket is the local socket's path with this suffix. */
#define UDS_CTL_SUFFIX		".ctl"

/**
 * struct uds_stats - the daemon's counters since it started
 * @conns:     connections (and datagram associations) set up or begun,
 *             both sides
 * @refused:   connections turned away at once (--max-conns, shares)
 * @errors:    connections that ended in an error: refused connects,
 *             resets, malformed frames, timeouts
 * @bytes_out: DATA payload bytes sent to the peer daemon
 * @bytes_in:  DATA payload bytes received from the peer daemon
 * @dropped:   datagrams dropped (doc/ipc.md, SOCK_DGRAM)
 */
struct uds_stats {
	uint64_t conns;
	uint64_t refused;
	uint64_t errors;
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t dropped;
};

/**
 * struct uds_daemon - what the whole daemon shares; one instance, owned by
 * main() and reached through each connection
 * @loop:      event loop
 * @local:     where it listens for the peer's links
 * @peer:      where the peer listens; its address is also the only one
 *             whose links are accepted
 * @key:       pre-shared key (@key.len 0: none)
 * @wl:        whitelist: [Mount] and [Udsconnect] rules; the event loop
 *             thread replaces it under @wl_lock, helper threads read it
 *             under @wl_lock
 * @wl_lock:   protects @wl against a reload while a helper reads it
 * @wl_path:   its file
 * @sock_path: the local socket for libudsproxy.so's stream sockets (its
 *             seqpacket sockets use the same path with ".seqpacket")
 * @max_conns: most connections at once; each local uid, and the peer's
 *             links together, may hold at most half of them (rounded up)
 * @dgram_idle_ms: a datagram association without a datagram either way
 *             for this long is closed (--dgram-idle)
 * @nr_conns:  connections now
 * @next_id:   id of the next connection, for logs
 * @conns:     every connection, for the shares of @max_conns
 * @stats:     counters, for the control socket
 * @level:     the log level in force
 * @nr_ctl:    control connections now
 */
struct uds_daemon {
	struct qt_evloop *loop;
	struct uds_addr local;
	struct uds_addr peer;
	struct qt_auth_key key;
	struct qtsrv_wl_set wl;
	pthread_rwlock_t wl_lock;
	const char *wl_path;
	const char *sock_path;
	unsigned int max_conns;
	unsigned int dgram_idle_ms;
	unsigned int nr_conns;
	uint64_t next_id;
	struct uds_conn *conns;
	struct uds_stats stats;
	enum qt_log_level level;
	unsigned int nr_ctl;
};

/* Where a connection is in its life; see uds_conn.c. */
enum uds_state {
	UDS_L_REQUEST,		/* local: reading LOCAL_CONNECT */
	UDS_L_DIAL,		/* local: connecting the link */
	UDS_L_HELLO,		/* local: first HELLO sent */
	UDS_L_PROOF,		/* local: our proof sent */
	UDS_L_CONNECT,		/* local: CONNECT sent */
	UDS_R_HELLO,		/* remote: waiting for the first HELLO */
	UDS_R_PROOF,		/* remote: waiting for the client's proof */
	UDS_R_CONNECT,		/* remote: waiting for CONNECT */
	UDS_R_HELPER,		/* remote: the helper is connecting */
	UDS_RELAY,		/* both: carrying the connection */
	UDS_DRAIN,		/* both: sending a last frame, then closing */
};

/**
 * struct uds_rx - a frame being received
 * @buf:  UDS_BUF_SIZE bytes
 * @have: bytes in @buf
 * @need: bytes the frame (and its tag) takes; %QTFS_HDR_SIZE until the
 *        header is in
 * @hdr:  its decoded header, once @have reached %QTFS_HDR_SIZE
 * @off:  DATA: payload bytes already written to the unix socket
 */
struct uds_rx {
	uint8_t *buf;
	uint32_t have;
	uint32_t need;
	struct qtfs_msg_hdr hdr;
	uint32_t off;
};

/**
 * struct uds_tx - frames queued for the link (at most one DATA at a time)
 * @buf:  UDS_BUF_SIZE bytes
 * @len:  bytes queued
 * @off:  bytes already written
 */
struct uds_tx {
	uint8_t *buf;
	uint32_t len;
	uint32_t off;
};

/**
 * struct uds_conn - one proxied connection and its link
 * @d:          the daemon
 * @next:       next in @d->conns
 * @prev:       previous in @d->conns
 * @id:         number for log lines
 * @state:      &enum uds_state
 * @local:      true on the side the program connected through
 * @uid:        local side: the program's uid at accept, for its share
 * @tcp:        the link is TCP (frames are tagged when keyed)
 * @type:       %QTFS_UDS_STREAM, %QTFS_UDS_SEQPACKET or %QTFS_UDS_DGRAM
 * @ufd:        the unix socket: the program's connection (local side) or
 *              the server program's (remote side, from the helper); -1.
 *              A datagram association's local side: first the program's
 *              request, then the association's datagram socket
 * @lfd:        the link; -1
 * @uwatch:     event loop id of @ufd's watch, 0 for none
 * @uwatch_ev:  its QT_EV_* events
 * @lwatch:     the same for @lfd
 * @lwatch_ev:  its events
 * @timer:      setup or helper timeout, 0 for none
 * @hfd:        the helper's end of its socketpair; -1
 * @hwatch:     its watch
 * @max_msg:    negotiated max message size of the link
 * @peer_creds: both HELLOs said minor %QTFS_UDS_MINOR_PEER_CREDS or more:
 *              the accepting side sends the server program's identity
 * @back_uid:   that identity: from SO_PEERCRED (remote side) or from the
 *              CONNECT reply or the last DATA (local side)
 * @back_gid:   its gid
 * @back_set:   @back_uid and @back_gid are known: the local side states
 *              them in SCM_CREDENTIALS of what it writes to the program
 * @keyed:      HELLO authenticated the link
 * @tagged:     frames carry tags (@fmac is set up)
 * @fmac:       frame tag state
 * @cnonce:     the connecting side's nonce
 * @snonce:     the accepting side's nonce
 * @rx:         frame coming from the link (or, local side, LOCAL_CONNECT
 *              from the program)
 * @tx:         frames going to the link
 * @u_eof:      the unix socket read end of file; SHUTDOWN is queued
 * @l_eof:      SHUTDOWN came from the link; the unix socket is shut down
 *              for writing once the data before it is delivered
 * @u_shut:     that shutdown is done
 * @dg_peer:    datagram, local side: @ufd is connected to the program's
 *              socket (its first datagram came from a bound socket), so
 *              replies have somewhere to go
 * @active_ms:  datagram: when the last datagram went either way
 *              (CLOCK_MONOTONIC), for --dgram-idle
 * @start_ms:   when the connection began (CLOCK_MONOTONIC)
 * @bytes_out:  DATA payload bytes sent to the peer daemon
 * @bytes_in:   DATA payload bytes received from it
 * @req_id:     id of the program's LOCAL_CONNECT, echoed in the reply
 * @creds:      the caller: the program (local side) or CONNECT's
 * @path:       the socket's path on the remote host
 */
struct uds_conn {
	struct uds_daemon *d;
	struct uds_conn *next;
	struct uds_conn *prev;
	uint64_t id;
	enum uds_state state;
	bool local;
	uint32_t uid;
	bool tcp;
	uint32_t type;
	int ufd;
	int lfd;
	int uwatch;
	unsigned int uwatch_ev;
	int lwatch;
	unsigned int lwatch_ev;
	int timer;
	int hfd;
	int hwatch;
	uint32_t max_msg;
	bool peer_creds;
	uint32_t back_uid;
	uint32_t back_gid;
	bool back_set;
	bool keyed;
	bool tagged;
	struct qt_fmac fmac;
	uint8_t cnonce[QTFS_AUTH_NONCE_SIZE];
	uint8_t snonce[QTFS_AUTH_NONCE_SIZE];
	struct uds_rx rx;
	struct uds_tx tx;
	bool u_eof;
	bool l_eof;
	bool u_shut;
	bool dg_peer;
	uint64_t active_ms;
	uint64_t start_ms;
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t req_id;
	struct qtfs_cred creds;
	char path[QTFS_PATH_MAX];
};

void uds_conn_accept_local(struct uds_daemon *d, int fd, uint32_t type);
void uds_conn_accept_link(struct uds_daemon *d, int fd);
const char *uds_conn_state_name(enum uds_state state);
uint64_t uds_now_ms(void);

int uds_listen_unix(const char *path, int type, mode_t mode);
int uds_ctl_listen(struct uds_daemon *d, const char *sock_path);
const char *uds_level_name(enum qt_log_level level);
int uds_level_parse(const char *s, enum qt_log_level *level);
void uds_set_level(struct uds_daemon *d, enum qt_log_level level);

/**
 * struct uds_helper_req - what the helper needs to connect as the caller
 * @creds:  the identity to connect as, after squashing
 * @export: the export directory of the most specific [Mount] rule
 * @path:   the socket's absolute, normalised path beneath @export
 * @type:   %QTFS_UDS_STREAM, %QTFS_UDS_SEQPACKET or %QTFS_UDS_DGRAM
 * @wl:     the whitelist, for the check of the resolved path
 */
struct uds_helper_req {
	struct qtfs_cred creds;
	const char *export;
	const char *path;
	uint32_t type;
	const struct qtsrv_wl_set *wl;
};

int uds_helper_start(struct uds_daemon *d, const struct uds_helper_req *req,
		     int *hfd);
int uds_helper_result(int hfd, int *sock);
int uds_squash(const struct qtsrv_export_opts *o, struct qtfs_cred *c);

bool uds_log_ratelimit(void);

/* A log line about something a peer or a local program caused. */
#define uds_peer_log(level, ...)			\
	do {						\
		if (uds_log_ratelimit())		\
			qt_log(level, __VA_ARGS__);	\
	} while (0)

#endif /* UDSPROXYD_H */
