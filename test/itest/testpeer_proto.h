/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qtfs_testpeer line protocol, shared by the daemon and its client (peer.c).
 *
 * TCP, one request per line, one reply line per request, '\n' terminated
 * ('\r' before it is ignored).  Tokens are separated by single spaces or
 * tabs, so paths cannot contain blanks.  <rel> is a path relative to the
 * testpeer's --root: non-empty, no leading '/', no ".." component, and it
 * is resolved beneath the root (openat2 RESOLVE_BENEATH, no magic links);
 * the final component is never followed if it is a symlink.  Numbers are
 * unsigned decimal, except <mode> which is octal.  Hashes are pattern.h
 * FNV-1a, printed as 16 lowercase hex digits.
 *
 * Replies: "OK[ fields...]" or "ERR <errno> <reason>" (errno is the positive
 * Linux value, the reason free text for humans).
 *
 *   PING                              -> OK PONG
 *   WRITE <rel> <size> <seed> <chunk> -> OK <size>
 *	create/truncate <rel> (0644) and write pattern bytes [0, size) with
 *	write(2) calls of <chunk> bytes
 *   PWRITE <rel> <off> <len> <seed>   -> OK <len>
 *	create (0644, no truncate) and pwrite pattern bytes [off, off+len)
 *   HASH <rel>                        -> OK <size> <hash>
 *	<size> is the number of bytes read to EOF
 *   HASHRANGE <rel> <off> <len>       -> OK <nread> <hash>
 *	hash of the bytes pread from [off, off+len), short at EOF
 *   STAT <rel>                        -> OK <mode> <size> <ino> <nlink> <uid> <gid>
 *	lstat; <mode> octal including the S_IFMT bits
 *   MKDIR <rel> <mode>                -> OK
 *   RMDIR <rel>                       -> OK
 *   UNLINK <rel>                      -> OK
 *   LIST <rel>                        -> OK <count>  (entries except . and ..)
 *   MKFILES <rel> <count> <prefix>    -> OK <count>
 *	create empty files <rel>/<prefix><index> (TESTPEER_MKFILES_FMT),
 *	index 0 .. count-1, O_EXCL, 0644
 *   RMTREE <rel>                      -> OK   (rm -rf, never follows links;
 *	the root itself is refused)
 *   PUTDATA <rel> [<hex>]             -> OK <len>  (create/truncate, write
 *	the bytes given in hex; at most TESTPEER_DATA_MAX bytes)
 *   GETDATA <rel> <max>               -> OK <len> [<hex>]  (first bytes)
 *   STOP_ENGINE [<secs>]              -> OK <threads>
 *	SIGSTOP --engine-pid, then wait until every thread of it is stopped
 *	(else SIGCONT again and ERR ETIMEDOUT).  The engine is resumed
 *	automatically after <secs> (default 30) and when this connection
 *	closes, so a failing test cannot leave the server frozen.
 *   CONT_ENGINE                       -> OK
 *   QUIT                              -> OK BYE, then the peer closes
 *   TMPFS <rel> <kib>                 -> OK
 *	mount a tmpfs of <kib> KiB (at most 65536) on the directory <rel>
 *   UMOUNT <rel>                      -> OK  (lazy unmount of <rel>)
 *   GETXATTR <rel> <name>             -> OK <len> [<hex>]  (lgetxattr; at
 *	most TESTPEER_DATA_MAX bytes)
 *   ACCESSAS <rel> <uid> <gid> <mask> -> OK 0 or ERR <errno>
 *	faccessat(<mask>, decimal R_OK|W_OK|X_OK) in a child with that uid
 *	and gid and no supplementary groups
 *   PARAM <name> [<value>]            -> OK <value> or OK restored
 *	write a qtfs_server parameter (qtfs_server_root_squash or
 *	qtfs_server_conn_workers; decimal value); the value it had before
 *	comes back on PARAM without a value and when this connection closes
 *   LKOPEN <rel>                      -> OK
 *	open <rel> O_RDWR as this connection's lock file (closing the
 *	previous one); the connection's process owns its POSIX locks
 *   LOCK <kind> <type> <start> <len>  -> OK, or ERR EAGAIN on a conflict
 *	<kind> posix (F_SETLK), ofd (F_OFD_SETLK) or flock (LOCK_NB, range
 *	ignored); <type> rd, wr or un; <len> 0 is "to EOF"; never waits
 *   LKTEST <kind> <type> <start> <len> -> OK <type> <start> <len> <pid>
 *	F_GETLK (posix) or F_OFD_GETLK (ofd) with rd or wr: the first
 *	conflicting lock, or "un" and the probe unchanged
 *   LKCLOSE                           -> OK   (close the lock file)
 */
#ifndef QTFS_TESTPEER_PROTO_H
#define QTFS_TESTPEER_PROTO_H

/* Longest request or reply line, including the '\n'. */
#define TESTPEER_LINE_MAX	16384
/* Payload cap of PUTDATA/GETDATA, in bytes (hex doubles it). */
#define TESTPEER_DATA_MAX	4096
/* Name of file @i created by MKFILES with prefix @p. */
#define TESTPEER_MKFILES_FMT	"%s%05u"
/* Default and maximum auto-resume delay of STOP_ENGINE, seconds. */
#define TESTPEER_STOP_DEFAULT	30
#define TESTPEER_STOP_MAX	3600

#endif /* QTFS_TESTPEER_PROTO_H */
