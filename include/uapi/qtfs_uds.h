/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * udsproxyd wire protocol: cross-host unix domain socket connections.  The
 * only definition, shared by udsproxyd, libudsproxy.so and the tests; the
 * design is doc/ipc.md.
 *
 * Changelog:
 *   1.0: initial protocol (unreleased): HELLO, CONNECT, DATA, SHUTDOWN
 *        between two udsproxyd; LOCAL_CONNECT from libudsproxy.so.
 *   2.0: %QTFS_UDS_DGRAM associations: a link whose DATA frames are
 *        datagrams and which never carries SHUTDOWN; the reply to a
 *        datagram LOCAL_CONNECT carries the association's address.  A
 *        1.x peer would take such a link for a connection: the major
 *        changes so that the two refuse each other at HELLO.
 *   2.1: the server program's identity comes back: when both HELLOs say
 *        minor 1 or more, a successful stream or seqpacket CONNECT reply
 *        is "dd" (the server program's uid and gid, its SO_PEERCRED) and
 *        a dgram link's DATA from the accepting side is "ddB" (the uid
 *        and gid of the answer's SCM_CREDENTIALS, then the datagram).
 *        With a 2.0 peer both stay as in 2.0.
 *
 * Framing:
 *   Every message is a &struct qtfs_hdr of include/uapi/qtfs_proto.h and
 *   a payload whose layout is given by a format string of the same codec
 *   (common/qtfs_proto.c): the frame header, its checks and the format
 *   characters are qtfs's.  Opcodes are &enum qtfs_uds_op, never qtfs's.
 *
 * A link is one stream connection (vsock; TCP in test mode) between two
 * udsproxyd that carries exactly one proxied unix socket connection:
 *   L->R  HELLO (id 1), as qtfs's with %QTFS_UDS_MAGIC and this version,
 *         with the pre-shared key exchange of qtfs (%QTFS_FEAT_AUTH, two
 *         round trips, labels %QTFS_UDS_LABEL_*) and on TCP tagged frames
 *         (%QTFS_FEAT_FRAME_MAC) under the session key of
 *         %QTFS_UDS_LABEL_SESSION
 *   L->R  CONNECT (id 2): caller credentials, socket type, server path
 *   R->L  CONNECT reply: 0, or -errno of the connect (nothing follows);
 *         from 2.1 on both sides a successful stream or seqpacket reply
 *         carries "dd" the server program's uid and gid
 *   both  DATA (id 0) and SHUTDOWN (id 0) until both sides sent SHUTDOWN,
 *         or either closes the link (the connection is reset)
 *   For %QTFS_UDS_DGRAM each DATA is one datagram (R->L from 2.1 on both
 *   sides "ddB": its sender's uid and gid first), there is no SHUTDOWN,
 *   and the association ends when either side closes the link (idle).
 * A receiver drops the link on anything else.
 *
 * The local protocol between libudsproxy.so and its udsproxyd uses the
 * same frames on the daemon's unix socket: one LOCAL_CONNECT request and
 * its reply, after which the socket carries the connection's bytes (or
 * messages) as they are; the caller's identity is the socket's SO_PEERCRED
 * and SO_PEERGROUPS, never something the caller states.  A %QTFS_UDS_DGRAM
 * LOCAL_CONNECT goes over the seqpacket socket; its reply carries the
 * abstract address of the association's datagram socket in the daemon,
 * to which the program then sends its datagrams, and the seqpacket
 * connection ends.
 */
#ifndef _UAPI_LINUX_QTFS_UDS_H
#define _UAPI_LINUX_QTFS_UDS_H

#include <linux/types.h>
#include "qtfs_proto.h"

#define QTFS_UDS_MAGIC		0x53445551	/* "QUDS" read as LE bytes */
#define QTFS_UDS_MAJOR		2
#define QTFS_UDS_MINOR		1

/*
 * HMAC labels of the key exchange and the session key, as qtfs's
 * QTFS_AUTH_LABEL_* but apart from them: a proof or tag made for one
 * protocol is never valid in the other.
 */
#define QTFS_UDS_LABEL_SERVER	"quds-auth-server"
#define QTFS_UDS_LABEL_CLIENT	"quds-auth-client"
#define QTFS_UDS_LABEL_SESSION	"quds-session"

/* Largest DATA blob; one SOCK_SEQPACKET message at most. */
#define QTFS_UDS_DATA_MAX	(64U << 10)
/* Max message size this implementation announces: DATA plus headers. */
#define QTFS_UDS_MSG_MAX	(QTFS_UDS_DATA_MAX + 4096)
/* Smallest max message size a peer may announce: a CONNECT must fit. */
#define QTFS_UDS_MSG_MIN	(16U << 10)

/*
 * statfs(2) f_type of a qtfs mount (qtfs.ko's super block magic), by
 * which libudsproxy.so tells a socket path on a qtfs mount.
 */
#define QTFS_UDS_FS_MAGIC	0x51544653

/*
 * udsproxyd listens for libudsproxy.so's SOCK_STREAM sockets on its local
 * socket's path, and for SOCK_SEQPACKET ones on that path with this
 * suffix (a unix socket connects only to a listener of its own type).
 */
#define QTFS_UDS_SEQPACKET_SUFFIX	".seqpacket"

/*
 * udsproxyd binds each local socket under its path with this suffix and,
 * once it listens, renames it to the path: so a program never finds the
 * path not yet accepting.  The name a connected program's getpeername()
 * shows is therefore the path with this suffix.
 */
#define QTFS_UDS_BIND_SUFFIX	".new"

/* Socket types of CONNECT and LOCAL_CONNECT (not the host's SOCK_*). */
#define QTFS_UDS_STREAM		1
#define QTFS_UDS_SEQPACKET	2
#define QTFS_UDS_DGRAM		3	/* since 2.0 */

/* The first minor whose CONNECT replies and dgram DATA carry identity. */
#define QTFS_UDS_MINOR_PEER_CREDS	1

/**
 * enum qtfs_uds_op - udsproxyd opcodes; values are fixed and never reused
 * @QTFS_UDS_OP_HELLO:         "dhhddB" magic, major, minor, features, max
 *                             message size, authentication data; the reply
 *                             has the same format (qtfs's HELLO)
 * @QTFS_UDS_OP_CONNECT:       "Cds" caller credentials, %QTFS_UDS_STREAM,
 *                             %QTFS_UDS_SEQPACKET or %QTFS_UDS_DGRAM,
 *                             absolute path of the socket on the receiving
 *                             host; reply: error only, but for a
 *                             stream or seqpacket success between 2.1
 *                             daemons "dd": the server program's uid and
 *                             gid
 * @QTFS_UDS_OP_DATA:          "B" bytes (stream) or one message
 *                             (seqpacket) or one datagram (dgram) of at
 *                             most %QTFS_UDS_DATA_MAX
 *                             and the negotiated size; id 0, no reply.
 *                             A dgram link's DATA from the accepting side
 *                             between 2.1 daemons is "ddB": the uid and
 *                             gid that sent the datagram, then it
 * @QTFS_UDS_OP_SHUTDOWN:      "" the sender sends no more DATA (its end
 *                             read end of file); id 0, no reply
 * @QTFS_UDS_OP_LOCAL_CONNECT: "dhds" %QTFS_UDS_MAGIC, %QTFS_UDS_MAJOR,
 *                             socket type, absolute path of the socket on
 *                             the peer host; libudsproxy.so to udsproxyd
 *                             only; reply: error only, but for a
 *                             %QTFS_UDS_DGRAM success "B": the association's
 *                             sun_path (abstract: a leading NUL), at most
 *                             108 bytes
 * @__QTFS_UDS_OP_MAX:         sentinel
 */
enum qtfs_uds_op {
	QTFS_UDS_OP_HELLO = 1,
	QTFS_UDS_OP_CONNECT = 2,
	QTFS_UDS_OP_DATA = 3,
	QTFS_UDS_OP_SHUTDOWN = 4,
	QTFS_UDS_OP_LOCAL_CONNECT = 16,
	__QTFS_UDS_OP_MAX
};

#define QTFS_UDS_OP_MAX (__QTFS_UDS_OP_MAX - 1)

#endif /* _UAPI_LINUX_QTFS_UDS_H */
