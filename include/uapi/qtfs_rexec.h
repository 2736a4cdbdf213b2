/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * rexec wire protocol: rexec runs a binary on the other host, served by
 * rexec_server there.  The only definition, shared by rexec, rexec_server
 * and the tests; the design is doc/rexec.md.
 *
 * Changelog:
 *   1.0: initial protocol (unreleased): HELLO, EXEC, DATA, EOF, SIGNAL,
 *        WINSIZE, EXIT.
 *   1.1: EXEC flag %QTFS_REXEC_PTY: the binary runs on a pseudo-terminal
 *        whose window size WINSIZE sets; EXEC's rows and columns must be
 *        0 unless a terminal flag is set, WINSIZE comes only after such
 *        an EXEC.  A 1.1 client sets %QTFS_REXEC_PTY only if the
 *        server's HELLO said minor >= 1, a server accepts it only if the
 *        client's did.
 *
 * Framing:
 *   Every message is a &struct qtfs_hdr of include/uapi/qtfs_proto.h and a
 *   payload whose layout is the format string of its opcode below, in the
 *   format characters of the same codec (common/qtfs_proto.c): header,
 *   header checks and field encodings are qtfs's (little endian, strings
 *   NUL-terminated within bounds).  Opcodes are &enum qtfs_rexec_op.
 *
 * A connection is one unix stream connection from rexec to rexec_server
 * (on the client host through udsproxyd, see doc/ipc.md) and runs one
 * binary:
 *   C->S  HELLO (id 1); S->C its reply, same format.  A bad magic or
 *         another major closes the connection.
 *   C->S  EXEC (id 2); S->C its reply: the remote pid, or -errno (the
 *         connection then ends).
 *   C->S  DATA (stdin), EOF (stdin), SIGNAL, WINSIZE, all id 0
 *   S->C  DATA (stdout, stderr), EOF (stdout, stderr), all id 0, and last
 *         EXIT (id 0), after which the server closes the connection.  On
 *         a pseudo-terminal (%QTFS_REXEC_PTY) stdout carries everything
 *         the terminal outputs and there is no stderr.
 * The identity the binary runs as is the connection's SO_PEERCRED and
 * SO_PEERGROUPS, never anything in a message.  A receiver closes the
 * connection on anything else; the server kills the binary then.
 */
#ifndef _UAPI_LINUX_QTFS_REXEC_H
#define _UAPI_LINUX_QTFS_REXEC_H

#include <linux/types.h>
#include "qtfs_proto.h"

#define QTFS_REXEC_MAGIC	0x58455251	/* "QREX" read as LE bytes */
#define QTFS_REXEC_MAJOR	1
#define QTFS_REXEC_MINOR	1

/* Largest DATA blob. */
#define QTFS_REXEC_DATA_MAX	(64U << 10)
/* Largest argv or environment blob of EXEC. */
#define QTFS_REXEC_ARGS_MAX	(256U << 10)
/* Most arguments and most environment entries of EXEC, each. */
#define QTFS_REXEC_ARGC_MAX	4096
/*
 * Largest message either side sends or accepts: an EXEC with both blobs
 * full, a path and the fixed fields.
 */
#define QTFS_REXEC_MSG_MAX	(2 * QTFS_REXEC_ARGS_MAX + QTFS_PATH_MAX + 64)

/* Streams of DATA and EOF. */
#define QTFS_REXEC_STDIN	0
#define QTFS_REXEC_STDOUT	1
#define QTFS_REXEC_STDERR	2

/* EXEC flags */
#define QTFS_REXEC_TTY		0x0001	/* rexec's stdin is a terminal */
#define QTFS_REXEC_PTY		0x0002	/* run on a pseudo-terminal (1.1) */
#define QTFS_REXEC_FLAGS_MASK	(QTFS_REXEC_TTY | QTFS_REXEC_PTY)

/* EXIT kinds */
#define QTFS_REXEC_EXITED	0	/* value: exit status 0..255 */
#define QTFS_REXEC_KILLED	1	/* value: signal number 1..64 */

/**
 * enum qtfs_rexec_op - rexec opcodes; values are fixed and never reused
 * @QTFS_REXEC_OP_HELLO:   "dhhd" %QTFS_REXEC_MAGIC, major, minor, max
 *                         message size; the reply has the same format
 * @QTFS_REXEC_OP_EXEC:    "dhhsBB" %QTFS_REXEC_* flags, terminal rows and
 *                         columns (both 0 unless %QTFS_REXEC_TTY or
 *                         %QTFS_REXEC_PTY is set), absolute working
 *                         directory on the server, argv and environment as
 *                         NUL-terminated strings back to back (argv[0] is
 *                         the binary's absolute path; entries "NAME=value");
 *                         reply: "d" the remote pid
 * @QTFS_REXEC_OP_DATA:    "bB" stream, bytes (1 .. %QTFS_REXEC_DATA_MAX);
 *                         stdin from the client, stdout and stderr from
 *                         the server; no reply
 * @QTFS_REXEC_OP_EOF:     "b" stream: the sender sends no more DATA on it;
 *                         no reply
 * @QTFS_REXEC_OP_SIGNAL:  "d" signal number: SIGHUP, SIGINT, SIGQUIT or
 *                         SIGTERM, delivered to the binary's process group;
 *                         no reply
 * @QTFS_REXEC_OP_WINSIZE: "hh" rows, columns of rexec's terminal, changed,
 *                         only after an EXEC with %QTFS_REXEC_TTY or
 *                         %QTFS_REXEC_PTY: the pseudo-terminal gets the
 *                         size (and the kernel sends SIGWINCH), or without
 *                         one the binary's process group gets SIGWINCH;
 *                         no reply
 * @QTFS_REXEC_OP_EXIT:    "dd" %QTFS_REXEC_EXITED or %QTFS_REXEC_KILLED and
 *                         the status or signal; the server's last message
 * @__QTFS_REXEC_OP_MAX:   sentinel
 */
enum qtfs_rexec_op {
	QTFS_REXEC_OP_HELLO = 1,
	QTFS_REXEC_OP_EXEC = 2,
	QTFS_REXEC_OP_DATA = 3,
	QTFS_REXEC_OP_EOF = 4,
	QTFS_REXEC_OP_SIGNAL = 5,
	QTFS_REXEC_OP_WINSIZE = 6,
	QTFS_REXEC_OP_EXIT = 7,
	__QTFS_REXEC_OP_MAX
};

#define QTFS_REXEC_OP_MAX (__QTFS_REXEC_OP_MAX - 1)

#endif /* _UAPI_LINUX_QTFS_REXEC_H */
