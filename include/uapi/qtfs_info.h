/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * Diagnostics interface of both qtfs modules, read by qtinfo.
 *
 * The same ioctls work on the server's control device %QTSRV_DEV_PATH
 * (qtfs_server.ko) and on the client's read-only info device
 * %QTFS_INFO_DEV_PATH (qtfs.ko).  Every call is versioned: the caller puts
 * %QTFS_INFO_VERSION in @version and the module refuses (-EINVAL) any
 * other value, so a future layout is a new version, never a silent change.
 * Arrays are passed as a user pointer plus a capacity; the module fills at
 * most @cap entries and reports in @nr how many exist, so a caller whose
 * array was too small learns the size it needs.
 *
 * The log level is not here: it is the writable module parameter
 * /sys/module/<qtfs|qtfs_server>/parameters/qtfs_log_level.
 *
 * Changelog:
 *   1: version, per-op statistics, connections, whitelist rules in force
 *   2: whitelist rules carry their export options (&struct qtsrv_wl_rule
 *      grew &struct qtsrv_export_opts)
 */
#ifndef _UAPI_LINUX_QTFS_INFO_H
#define _UAPI_LINUX_QTFS_INFO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define QTFS_INFO_VERSION	2

#define QTFS_INFO_DEV_NAME	"qtfs"
#define QTFS_INFO_DEV_PATH	"/dev/qtfs"

/**
 * struct qtfs_info_version - argument of %QTFS_INFO_IOC_VERSION
 * @version:     in: %QTFS_INFO_VERSION
 * @proto_major: out: wire protocol major version of the module
 * @proto_minor: out: wire protocol minor version of the module
 * @nr_ops:      out: size of the per-op statistics table (highest opcode + 1)
 * @reserved:    zero
 */
struct qtfs_info_version {
	__u32 version;
	__u16 proto_major;
	__u16 proto_minor;
	__u32 nr_ops;
	__u32 reserved;
};

/**
 * struct qtfs_info_op_stat - counters of one opcode since the module loaded
 * @count:    requests completed (answered, failed or abandoned)
 * @errors:   of those, the ones that ended with an error
 * @total_ns: sum of their latencies, in nanoseconds
 * @max_ns:   the largest latency, in nanoseconds
 *
 * The server measures from a worker taking the request to its reply being
 * queued for sending; the client from sending the request to the waiter seeing its result.
 */
struct qtfs_info_op_stat {
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	__u64 max_ns;
};

/**
 * struct qtfs_info_stats - argument of %QTFS_INFO_IOC_STATS
 * @version:  in: %QTFS_INFO_VERSION
 * @cap:      in: entries at @ops
 * @nr:       out: entries that exist (indexed by opcode)
 * @reserved: zero
 * @ops:      in: user pointer to an array of &struct qtfs_info_op_stat
 */
struct qtfs_info_stats {
	__u32 version;
	__u32 cap;
	__u32 nr;
	__u32 reserved;
	__u64 ops;
};

/* &struct qtfs_info_conn.state values */
enum qtfs_info_conn_state {
	QTFS_INFO_CONN_DOWN = 0,	/* not connected (client: reconnects) */
	QTFS_INFO_CONN_HANDSHAKE = 1,	/* connected, HELLO or MOUNT pending */
	QTFS_INFO_CONN_UP = 2,		/* serving requests */
	QTFS_INFO_CONN_CLOSED = 3,	/* shut down / unmounting */
};

/**
 * struct qtfs_info_conn - one connection
 * @id:          server: connection number used in its log lines;
 *               client: mount number, in mount order
 * @state:       &enum qtfs_info_conn_state
 * @proto_major: negotiated protocol major version (0 before HELLO)
 * @proto_minor: negotiated protocol minor version
 * @inflight:    requests sent and not answered (client) or queued and
 *               running (server)
 * @max_msg:     negotiated largest message, in bytes
 * @reserved:    zero
 * @peer:        NUL-terminated peer address: "vsock:CID:PORT" or
 *               "tcp:A.B.C.D:PORT"
 * @export:      client: NUL-terminated export path; server: empty
 */
struct qtfs_info_conn {
	__u32 id;
	__u32 state;
	__u16 proto_major;
	__u16 proto_minor;
	__u32 inflight;
	__u32 max_msg;
	__u32 reserved;
	char peer[64];
	char export[256];
};

/**
 * struct qtfs_info_conns - argument of %QTFS_INFO_IOC_CONNS
 * @version: in: %QTFS_INFO_VERSION
 * @cap:     in: entries at @conns
 * @nr:      out: connections that exist
 * @filled:  out: entries written, min(@cap, @nr)
 * @conns:   in: user pointer to an array of &struct qtfs_info_conn
 */
struct qtfs_info_conns {
	__u32 version;
	__u32 cap;
	__u32 nr;
	__u32 filled;
	__u64 conns;
};

/**
 * struct qtfs_info_wl - argument of %QTFS_INFO_IOC_WL_GET (server only)
 * @version: in: %QTFS_INFO_VERSION
 * @cap:     in: entries at @rules
 * @nr:      out: rules in force (0: none installed)
 * @filled:  out: entries written, min(@cap, @nr)
 * @rules:   in: user pointer to an array of &struct qtsrv_wl_rule
 *           (qtfs_ioctl.h)
 */
struct qtfs_info_wl {
	__u32 version;
	__u32 cap;
	__u32 nr;
	__u32 filled;
	__u64 rules;
};

#define QTFS_INFO_IOC_MAGIC	0xd8
#define QTFS_INFO_IOC_VERSION	_IOWR(QTFS_INFO_IOC_MAGIC, 1, struct qtfs_info_version)
#define QTFS_INFO_IOC_STATS	_IOWR(QTFS_INFO_IOC_MAGIC, 2, struct qtfs_info_stats)
#define QTFS_INFO_IOC_CONNS	_IOWR(QTFS_INFO_IOC_MAGIC, 3, struct qtfs_info_conns)
#define QTFS_INFO_IOC_WL_GET	_IOWR(QTFS_INFO_IOC_MAGIC, 4, struct qtfs_info_wl)

#endif /* _UAPI_LINUX_QTFS_INFO_H */
