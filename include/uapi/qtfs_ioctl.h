/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * Control interface between the userspace engine and qtfs_server.ko, on the
 * misc device %QTSRV_DEV_PATH.
 *
 * The engine parses /etc/qtfs/whitelist, installs the rules with
 * %QTSRV_IOC_WL_SET, starts the listeners with %QTSRV_IOC_START and then
 * parks each of its worker threads in %QTSRV_IOC_SERVE, where the thread
 * executes client requests inside the module (so the ops run in the engine's
 * mount namespace and root).  %QTSRV_IOC_STOP, or closing the device, stops
 * the server and returns every worker from %QTSRV_IOC_SERVE.
 */
#ifndef _UAPI_LINUX_QTFS_IOCTL_H
#define _UAPI_LINUX_QTFS_IOCTL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define QTSRV_DEV_NAME		"qtfs_server"
#define QTSRV_DEV_PATH		"/dev/qtfs_server"

/**
 * enum qtsrv_wl_class - whitelist sections, one per operation class
 * @QTSRV_WL_OPEN:      [Open]
 * @QTSRV_WL_WRITE:     [Write]
 * @QTSRV_WL_READ:      [Read]
 * @QTSRV_WL_READDIR:   [Readdir]
 * @QTSRV_WL_MKDIR:     [Mkdir]
 * @QTSRV_WL_RMDIR:     [Rmdir]
 * @QTSRV_WL_CREATE:    [Create]
 * @QTSRV_WL_UNLINK:    [Unlink]
 * @QTSRV_WL_RENAME:    [Rename]
 * @QTSRV_WL_SETATTR:   [Setattr]
 * @QTSRV_WL_SETXATTR:  [Setxattr]
 * @QTSRV_WL_MOUNT:     [Mount]
 * @QTSRV_WL_DEVICE:    [Device]
 * @__QTSRV_WL_MAX:     number of classes
 *
 * The names in brackets are the INI section names of /etc/qtfs/whitelist.
 * Values are ABI.
 */
enum qtsrv_wl_class {
	QTSRV_WL_OPEN = 0,
	QTSRV_WL_WRITE = 1,
	QTSRV_WL_READ = 2,
	QTSRV_WL_READDIR = 3,
	QTSRV_WL_MKDIR = 4,
	QTSRV_WL_RMDIR = 5,
	QTSRV_WL_CREATE = 6,
	QTSRV_WL_UNLINK = 7,
	QTSRV_WL_RENAME = 8,
	QTSRV_WL_SETATTR = 9,
	QTSRV_WL_SETXATTR = 10,
	QTSRV_WL_MOUNT = 11,
	QTSRV_WL_DEVICE = 12,
	__QTSRV_WL_MAX
};

#define QTSRV_WL_RULES_MAX	4096

/* &struct qtsrv_export_opts.flags: the options of one [Mount] entry */
#define QTSRV_EXPORT_ROOT_SQUASH	0x01	/* root_squash */
#define QTSRV_EXPORT_NO_ROOT_SQUASH	0x02	/* no_root_squash */
#define QTSRV_EXPORT_ALL_SQUASH		0x04	/* all_squash */
#define QTSRV_EXPORT_ANONUID		0x08	/* anonuid=N: @anonuid is set */
#define QTSRV_EXPORT_ANONGID		0x10	/* anongid=N: @anongid is set */
#define QTSRV_EXPORT_UIDS		0x20	/* uids=MIN-MAX: @uid_min, @uid_max */
#define QTSRV_EXPORT_FLAGS		0x3f	/* all of the above */

/* The largest id an option may name; (__u32)-1 is no id. */
#define QTSRV_EXPORT_ID_MAX		0xfffffffeU

/**
 * struct qtsrv_export_opts - per-export options of a [Mount] rule
 * @flags:    QTSRV_EXPORT_* bits.  Neither %QTSRV_EXPORT_ROOT_SQUASH nor
 *            %QTSRV_EXPORT_NO_ROOT_SQUASH: the module parameter
 *            qtfs_server_root_squash decides.  %QTSRV_EXPORT_NO_ROOT_SQUASH
 *            excludes the other two squash bits.
 * @anonuid:  with %QTSRV_EXPORT_ANONUID, the uid squashed callers act as
 *            (else qtfs_server_squash_uid); at most %QTSRV_EXPORT_ID_MAX,
 *            zero without the bit
 * @anongid:  the same for the gid (qtfs_server_squash_gid)
 * @uid_min:  with %QTSRV_EXPORT_UIDS, the lowest client uid other than 0
 *            that may use the export; zero without the bit
 * @uid_max:  the highest, at least @uid_min and at most
 *            %QTSRV_EXPORT_ID_MAX; zero without the bit
 * @reserved: must be zero
 *
 * Rules of classes other than [Mount] carry all zeroes.
 */
struct qtsrv_export_opts {
	__u32 flags;
	__u32 anonuid;
	__u32 anongid;
	__u32 uid_min;
	__u32 uid_max;
	__u32 reserved;
};

/**
 * struct qtsrv_wl_rule - one whitelist rule
 * @wl_class: &enum qtsrv_wl_class
 * @path_len: length of @path without its NUL
 * @path:     absolute, NUL-terminated path; matches itself and everything
 *            below it on path-component boundaries
 * @export:   export options, for %QTSRV_WL_MOUNT rules only
 */
struct qtsrv_wl_rule {
	__u32 wl_class;
	__u32 path_len;
	char path[4096];
	struct qtsrv_export_opts export;
};

/**
 * struct qtsrv_ioc_whitelist - argument of %QTSRV_IOC_WL_SET
 * @nr_rules:  number of rules at @rules, at most %QTSRV_WL_RULES_MAX
 * @rule_size: sizeof(struct qtsrv_wl_rule) as the caller knows it; the
 *             module refuses any other size (-EINVAL), so an engine built
 *             for another rule layout fails loudly instead of being
 *             misread.  0 was the layout without @export.
 * @rules:     user pointer to an array of &struct qtsrv_wl_rule
 *
 * Replaces the whole rule set atomically; on any invalid rule nothing
 * changes.
 */
struct qtsrv_ioc_whitelist {
	__u32 nr_rules;
	__u32 rule_size;
	__u64 rules;
};

/* Most peers one %QTSRV_IOC_START names. */
#define QTSRV_PEERS_MAX		16

/**
 * struct qtsrv_peer - a client the server serves
 * @family: AF_VSOCK (40) or AF_INET (2, TCP test mode only)
 * @addr:   the client's vsock CID (not 0, not VMADDR_CID_ANY), or its
 *          unicast IPv4 address in network byte order
 */
struct qtsrv_peer {
	__u32 family;
	__u32 addr;
};

/* &struct qtsrv_ioc_start flags */
/*
 * Serve without a peer list and without a key: every peer that reaches a
 * listener is served, unauthenticated.  The module logs a warning at each
 * start; without this flag such a start fails with ENOKEY.
 */
#define QTSRV_START_INSECURE	(1U << 0)
#define QTSRV_START_FLAGS	QTSRV_START_INSECURE

/**
 * struct qtsrv_ioc_start - argument of %QTSRV_IOC_START
 * @flags:    QTSRV_START_* bits
 * @nr_peers: entries of @peers in use, at most %QTSRV_PEERS_MAX
 * @peers:    the only clients served, besides the module parameter
 *            qtfs_server_allowed_cids; unused entries must be zero
 *
 * Listen addresses come from the module parameters.  A connection from a
 * peer that is not listed is closed right after accept.  With no peer
 * listed anywhere, the server serves only clients that prove the module's
 * qtfs_auth_key, or, with neither, anyone if %QTSRV_START_INSECURE is set.
 *
 * Errors: EINVAL for unknown flags, @nr_peers above the maximum, a used
 * entry of an unknown family, CID 0 or VMADDR_CID_ANY, a non-unicast IPv4
 * address, or a non-zero unused entry; EAFNOSUPPORT for an IPv4 peer on a
 * module without TCP; ENOKEY for no peer, no key and no
 * %QTSRV_START_INSECURE.  Nothing is started on any error.
 */
struct qtsrv_ioc_start {
	__u32 flags;
	__u32 nr_peers;
	struct qtsrv_peer peers[QTSRV_PEERS_MAX];
};

/*
 * %QTSRV_IOC_SERVE returns 0 once the server is stopped, -1 with errno EINTR
 * when a signal is pending, and %QTSRV_SERVE_AGAIN when the thread must pass
 * through user mode before serving on: the final close of a file released by
 * a request runs as task work on return to user mode, so a thread that never
 * left the ioctl would keep released files open.  Callers loop on EINTR and
 * %QTSRV_SERVE_AGAIN.  The module sends SIGUSR1 to a worker to end a
 * blocking wait the client abandoned (a lock wait), so workers must have a
 * SIGUSR1 handler installed without SA_RESTART and the signal unblocked.
 */
#define QTSRV_SERVE_AGAIN	1

#define QTSRV_IOC_MAGIC		0xd7
#define QTSRV_IOC_WL_SET	_IOW(QTSRV_IOC_MAGIC, 1, struct qtsrv_ioc_whitelist)
#define QTSRV_IOC_START		_IOW(QTSRV_IOC_MAGIC, 2, struct qtsrv_ioc_start)
#define QTSRV_IOC_SERVE		_IO(QTSRV_IOC_MAGIC, 3)
#define QTSRV_IOC_STOP		_IO(QTSRV_IOC_MAGIC, 4)

#endif /* _UAPI_LINUX_QTFS_IOCTL_H */
