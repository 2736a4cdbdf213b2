/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * qtfs wire protocol: the only definition, shared by qtfs.ko, qtfs_server.ko,
 * the engine, qtinfo and the tests.
 *
 * Changelog:
 *   1.0: initial protocol (unreleased; formats may still change until the
 *        first tagged release).
 *   1.1: HELLO ends with a blob carrying the pre-shared key exchange
 *        (%QTFS_FEAT_AUTH); still unreleased, so no 1.0 compat size.
 *   1.1 + %QTFS_FEAT_FRAME_MAC: authenticated frames after a keyed HELLO
 *        (a feature bit: no message changes layout).
 *
 * Negotiation:
 *   A connection starts with HELLO from the client (id 1, no credentials);
 *   nothing else is accepted before it.  The server answers with its own
 *   HELLO.  A bad magic or a different major closes the connection; the two
 *   ends then use the smaller minor, the intersection of the feature bits and
 *   the smaller max message size (never below %QTFS_MSG_MIN).  New fields are
 *   appended to the end of a message and gated by the minor version.
 *
 * Authentication (%QTFS_FEAT_AUTH, both ends configured with one key K):
 *   C->S  HELLO features=AUTH, blob = cnonce
 *   S->C  HELLO features=AUTH, blob = snonce || HMAC(K, "qtfs-auth-server"
 *         || cnonce || snonce)
 *   C->S  HELLO features=AUTH, blob = HMAC(K, "qtfs-auth-client" || cnonce
 *         || snonce)
 *   S->C  HELLO features=AUTH, empty blob: the connection is open
 *   HMAC is HMAC-SHA256, nonces are %QTFS_AUTH_NONCE_SIZE random bytes.
 *   Each side checks the other's proof, so both prove they know K; a
 *   failed proof, or a keyed peer meeting an unkeyed one, ends the
 *   exchange with -EACCES.  Without AUTH every HELLO blob is empty.
 *
 * Frame authentication (%QTFS_FEAT_FRAME_MAC, with AUTH):
 *   The HELLO proofs show both ends know K, but on a transport others can
 *   reach (TCP) they do not stop a host on the path from changing, adding,
 *   dropping or replaying later frames.  A client offers FRAME_MAC in its
 *   first HELLO next to AUTH, and the server's answer confirms it; on TCP
 *   both ends require it, so a stripped bit ends the exchange (-EACCES).
 *   Both ends then derive the session key
 *     Ks = HMAC(K, "qtfs-session" || cnonce || snonce)
 *   and every frame after the last HELLO, in both directions, is followed
 *   by a %QTFS_FRAME_TAG_SIZE byte tag that the header's length does not
 *   count:
 *     tag = first 16 bytes of HMAC(Ks, dir || seq || header || payload)
 *   dir is one byte, 'C' for client to server and 'S' for server to client
 *   (a frame cannot be reflected); seq is the __le64 number of tagged
 *   frames sent before this one in that direction (frames cannot be
 *   dropped, reordered or replayed).  HELLO frames are never tagged: once
 *   frames are, a HELLO, a wrong tag or a missing one closes the
 *   connection.
 *
 * Framing:
 *   Every message is a &struct qtfs_hdr followed by a payload whose layout is
 *   given by the opcode's format string in the descriptor table of
 *   common/qtfs_proto.c (listed in doc/protocol.md).  All integers
 *   are little endian.  Replies echo the request id and carry a negative
 *   errno in @error; a reply with a non-zero error has no payload.  Messages
 *   with id 0 are unsolicited (server to client events).
 *
 * Format characters (see common/qtfs_proto.c, the only codec):
 *   b h d q  u8, __le16, __le32, __le64
 *   C        caller credentials: &struct qtfs_wire_cred then ngroups __le32
 *   A        attributes: &struct qtfs_wire_attr
 *   s        string: __le16 length n, n bytes without NUL, one NUL byte;
 *            n < %QTFS_PATH_MAX
 *   p        relative path below the export root: as 's', no leading '/',
 *            no empty, "." or ".." component; "" is the root itself
 *   n        name: as 's', 1 <= n <= %QTFS_NAME_MAX, no '/', not "." or ".."
 *   B        blob: __le32 length n, n bytes, n <= %QTFS_IO_MAX
 */
#ifndef _UAPI_LINUX_QTFS_PROTO_H
#define _UAPI_LINUX_QTFS_PROTO_H

#include <linux/types.h>

#define QTFS_PROTO_MAGIC	0x53465451	/* "QTFS" read as LE bytes */
#define QTFS_PROTO_MAJOR	1
#define QTFS_PROTO_MINOR	1

/* HELLO feature bits */
#define QTFS_FEAT_AUTH		0x0001	/* pre-shared key exchange, see above */
#define QTFS_FEAT_FRAME_MAC	0x0002	/* tagged frames after HELLO, see above */

/* Sizes of the authentication fields in HELLO blobs. */
#define QTFS_AUTH_NONCE_SIZE	32
#define QTFS_AUTH_MAC_SIZE	32
/* Size of the tag after each frame with %QTFS_FEAT_FRAME_MAC. */
#define QTFS_FRAME_TAG_SIZE	16

/* Largest data payload of one READ/WRITE and largest blob of any kind. */
#define QTFS_IO_MAX		(1U << 20)
/* Room for header, credentials and fixed arguments next to a blob. */
#define QTFS_MSG_OVERHEAD	(16U << 10)
/* Max message size this implementation announces. */
#define QTFS_MSG_MAX		(QTFS_IO_MAX + QTFS_MSG_OVERHEAD)
/* Smallest max message size a peer may announce in HELLO. */
#define QTFS_MSG_MIN		(64U << 10)

#define QTFS_NAME_MAX		255
#define QTFS_PATH_MAX		4096
#define QTFS_NGROUPS_MAX	64
#define QTFS_XATTR_NAME_MAX	255
#define QTFS_XATTR_SIZE_MAX	65536

/*
 * Replies carry -errno with 0 <= errno <= QTFS_ERRNO_MAX.  Values are the
 * asm-generic numbering; everything from ERESTARTSYS (512) up is internal to
 * the kernel and never valid on the wire.
 */
#define QTFS_ERRNO_MAX		511

/**
 * struct qtfs_hdr - header of every message
 * @len:      total length in bytes, header included
 * @opcode:   &enum qtfs_op
 * @flags:    QTFS_HDR_* bits
 * @id:       request id, echoed by the reply; 0 for unsolicited messages
 * @error:    replies: 0 or a negative errno (see %QTFS_ERRNO_MAX);
 *            requests: 0
 * @reserved: must be zero
 */
struct qtfs_hdr {
	__le32 len;
	__le16 opcode;
	__le16 flags;
	__le64 id;
	__le32 error;
	__le32 reserved;
};

#define QTFS_HDR_SIZE		24
#define QTFS_HDR_REPLY		0x0001	/* message is a reply */
#define QTFS_HDR_FLAGS_MASK	QTFS_HDR_REPLY

/**
 * struct qtfs_wire_cred - credentials of the calling client process
 * @fsuid:    filesystem uid
 * @fsgid:    filesystem gid
 * @ngroups:  number of supplementary group ids that follow, at most
 *            %QTFS_NGROUPS_MAX
 * @reserved: must be zero
 *
 * Followed by @ngroups __le32 gids.
 */
struct qtfs_wire_cred {
	__le32 fsuid;
	__le32 fsgid;
	__le16 ngroups;
	__le16 reserved[3];
};

/**
 * struct qtfs_wire_attr - inode attributes as the server sees them
 * @ino:        server inode number
 * @size:       file size in bytes
 * @blocks:     512-byte blocks allocated
 * @atime_sec:  access time, seconds
 * @mtime_sec:  modification time, seconds
 * @ctime_sec:  change time, seconds
 * @atime_nsec: access time, nanoseconds
 * @mtime_nsec: modification time, nanoseconds
 * @ctime_nsec: change time, nanoseconds
 * @mode:       file type and permission bits (S_IF* and 07777)
 * @nlink:      link count
 * @uid:        owner uid
 * @gid:        owner gid
 * @rdev_major: device major for character and block nodes
 * @rdev_minor: device minor
 * @blksize:    preferred I/O size
 * @reserved:   must be zero
 */
struct qtfs_wire_attr {
	__le64 ino;
	__le64 size;
	__le64 blocks;
	__le64 atime_sec;
	__le64 mtime_sec;
	__le64 ctime_sec;
	__le32 atime_nsec;
	__le32 mtime_nsec;
	__le32 ctime_nsec;
	__le32 mode;
	__le32 nlink;
	__le32 uid;
	__le32 gid;
	__le32 rdev_major;
	__le32 rdev_minor;
	__le32 blksize;
	__le32 reserved[2];
};

/**
 * struct qtfs_wire_dirent - one entry in a READDIR reply blob
 * @ino:     inode number
 * @off:     cookie to pass to READDIR to continue after this entry
 * @namelen: length of the name that follows, without its NUL
 * @type:    DT_* value
 * @pad:     zero
 * @pad2:    zero
 *
 * Followed by the name, a NUL, and zero padding to an 8-byte boundary.
 * "." and ".." are included, so that every cookie is the server's own
 * directory position (ext4 hash cookies leave no room for made-up ones).
 */
struct qtfs_wire_dirent {
	__le64 ino;
	__le64 off;
	__le16 namelen;
	__u8 type;
	__u8 pad;
	__le32 pad2;
};

/* Wire open flags: O_* values differ between architectures (arm64 DPUs). */
#define QTFS_O_RDONLY		0x0000
#define QTFS_O_WRONLY		0x0001
#define QTFS_O_RDWR		0x0002
#define QTFS_O_ACCMODE		0x0003
#define QTFS_O_CREAT		0x0010
#define QTFS_O_EXCL		0x0020
#define QTFS_O_TRUNC		0x0040
#define QTFS_O_APPEND		0x0080
#define QTFS_O_NONBLOCK		0x0100
#define QTFS_O_DIRECTORY	0x0200
#define QTFS_O_NOFOLLOW		0x0400
#define QTFS_O_SYNC		0x0800
#define QTFS_O_DSYNC		0x1000
#define QTFS_O_DIRECT		0x2000
#define QTFS_O_NOATIME		0x4000
#define QTFS_O_LARGEFILE	0x8000
#define QTFS_O_ALL		0xfff3

/* SETATTR valid mask */
#define QTFS_SETATTR_MODE	0x0001
#define QTFS_SETATTR_UID	0x0002
#define QTFS_SETATTR_GID	0x0004
#define QTFS_SETATTR_SIZE	0x0008
#define QTFS_SETATTR_ATIME	0x0010	/* set to the given time */
#define QTFS_SETATTR_MTIME	0x0020
#define QTFS_SETATTR_ATIME_NOW	0x0040	/* set to the server's now */
#define QTFS_SETATTR_MTIME_NOW	0x0080
#define QTFS_SETATTR_ALL	0x00ff

/* CREATE reply flags */
#define QTFS_CREATE_CREATED	0x0001	/* the file did not exist before */

/* ACCESS mask, same values as access() */
#define QTFS_ACCESS_X		0x0001
#define QTFS_ACCESS_W		0x0002
#define QTFS_ACCESS_R		0x0004
#define QTFS_ACCESS_ALL		0x0007

/* READDIR reply flags */
#define QTFS_READDIR_EOF	0x0001

/* RENAME flags, same meaning as renameat2() */
#define QTFS_RENAME_NOREPLACE	0x0001
#define QTFS_RENAME_EXCHANGE	0x0002
#define QTFS_RENAME_WHITEOUT	0x0004

/* XATTR flags, same meaning as setxattr() */
#define QTFS_XATTR_CREATE	0x0001
#define QTFS_XATTR_REPLACE	0x0002

/* LOCK commands and types */
#define QTFS_LOCK_GET		0	/* F_GETLK-like test */
#define QTFS_LOCK_SET		1	/* non-blocking set */
#define QTFS_LOCK_SETW		2	/* blocking set */
#define QTFS_LOCK_FLOCK		0x100	/* flag: flock() semantics */
#define QTFS_LOCK_OFD		0x200	/* flag: open file description lock */
#define QTFS_LCK_RD		0
#define QTFS_LCK_WR		1
#define QTFS_LCK_UN		2
/* LOCK ranges are first and last byte; this last byte means "to EOF". */
#define QTFS_LOCK_END_MAX	0x7fffffffffffffffULL
/* Largest pid a LOCK carries; a GET reply's pid is this or QTFS_LOCK_NOPID */
#define QTFS_LOCK_PID_MAX	4194304
#define QTFS_LOCK_NOPID		0xffffffffU	/* OFD lock: no pid */

/* POLL events, same values as POLLIN etc. in asm-generic */
#define QTFS_POLLIN		0x0001
#define QTFS_POLLPRI		0x0002
#define QTFS_POLLOUT		0x0004
#define QTFS_POLLERR		0x0008
#define QTFS_POLLHUP		0x0010

/**
 * enum qtfs_op - opcodes; values are fixed forever and never reused
 * @QTFS_OP_HELLO:        negotiate version, features, max message size and key proof
 * @QTFS_OP_MOUNT:        start the session at an export path
 * @QTFS_OP_UMOUNT:       end the session
 * @QTFS_OP_LOOKUP:       attributes of a name in a directory
 * @QTFS_OP_GETATTR:      attributes of a path or an open handle
 * @QTFS_OP_SETATTR:      change mode, owner, size or times
 * @QTFS_OP_OPEN:         open a file, returning a handle
 * @QTFS_OP_RELEASE:      close a handle
 * @QTFS_OP_READ:         read from a handle
 * @QTFS_OP_WRITE:        write to a handle
 * @QTFS_OP_CREATE:       create and open a regular file
 * @QTFS_OP_MKDIR:        make a directory
 * @QTFS_OP_MKNOD:        make a device node, FIFO or socket
 * @QTFS_OP_UNLINK:       remove a name
 * @QTFS_OP_RMDIR:        remove a directory
 * @QTFS_OP_RENAME:       rename, with renameat2() flags
 * @QTFS_OP_LINK:         make a hard link
 * @QTFS_OP_SYMLINK:      make a symbolic link
 * @QTFS_OP_READLINK:     read a symbolic link
 * @QTFS_OP_READDIR:      read directory entries from a cookie
 * @QTFS_OP_STATFS:       filesystem statistics
 * @QTFS_OP_FSYNC:        flush a handle
 * @QTFS_OP_GETXATTR:     read an extended attribute
 * @QTFS_OP_SETXATTR:     set an extended attribute
 * @QTFS_OP_LISTXATTR:    list extended attribute names
 * @QTFS_OP_REMOVEXATTR:  remove an extended attribute
 * @QTFS_OP_LLSEEK:       seek a handle (SEEK_DATA, SEEK_HOLE, ...)
 * @QTFS_OP_LOCK:         POSIX record lock: get, set or wait
 * @QTFS_OP_POLL:         readiness of a handle (reserved: ENOSYS)
 * @QTFS_OP_EVENT:        server to client, id 0: a handle became ready (reserved)
 * @QTFS_OP_INTERRUPT:    cancel a request the client gave up on
 * @QTFS_OP_FALLOCATE:    allocate or punch a range
 * @QTFS_OP_ACCESS:       permission check of a path for the caller
 * @QTFS_OP_SYNCFS:       flush the export's filesystem
 * @__QTFS_OP_MAX:        one past the last opcode
 *
 * The payload layout of each request and reply is the format string of
 * its entry in the descriptor table (common/qtfs_proto.c), documented in
 * doc/protocol.md.  Every request but HELLO and EVENT starts with the
 * caller's credentials.  Handles are server file handles from OPEN or
 * CREATE, valid only on the connection that opened them.
 */
enum qtfs_op {
	QTFS_OP_HELLO = 1,
	QTFS_OP_MOUNT = 2,
	QTFS_OP_UMOUNT = 3,
	QTFS_OP_LOOKUP = 4,
	QTFS_OP_GETATTR = 5,
	QTFS_OP_SETATTR = 6,
	QTFS_OP_OPEN = 7,
	QTFS_OP_RELEASE = 8,
	QTFS_OP_READ = 9,
	QTFS_OP_WRITE = 10,
	QTFS_OP_CREATE = 11,
	QTFS_OP_MKDIR = 12,
	QTFS_OP_MKNOD = 13,
	QTFS_OP_UNLINK = 14,
	QTFS_OP_RMDIR = 15,
	QTFS_OP_RENAME = 16,
	QTFS_OP_LINK = 17,
	QTFS_OP_SYMLINK = 18,
	QTFS_OP_READLINK = 19,
	QTFS_OP_READDIR = 20,
	QTFS_OP_STATFS = 21,
	QTFS_OP_FSYNC = 22,
	QTFS_OP_GETXATTR = 23,
	QTFS_OP_SETXATTR = 24,
	QTFS_OP_LISTXATTR = 25,
	QTFS_OP_REMOVEXATTR = 26,
	QTFS_OP_LLSEEK = 27,
	QTFS_OP_LOCK = 28,
	QTFS_OP_POLL = 29,
	QTFS_OP_EVENT = 30,
	QTFS_OP_INTERRUPT = 31,
	QTFS_OP_FALLOCATE = 32,
	QTFS_OP_ACCESS = 33,
	QTFS_OP_SYNCFS = 34,
	__QTFS_OP_MAX
};

#define QTFS_OP_MAX (__QTFS_OP_MAX - 1)

#endif /* _UAPI_LINUX_QTFS_PROTO_H */
