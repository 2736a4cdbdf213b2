/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qtfs codec API: the bounds-checked cursor and the format-driven
 * marshalling shared by both modules and userspace.  The wire format itself
 * is defined in include/uapi/qtfs_proto.h.
 */
#ifndef _QTFS_COMMON_PROTO_H
#define _QTFS_COMMON_PROTO_H

#include "qtfs_compat.h"
#include "uapi/qtfs_proto.h"

#ifdef __KERNEL__
#include <linux/stdarg.h>
#else
#include <stdarg.h>
#endif

/**
 * struct qtfs_buf - cursor over one message buffer
 * @data: start of the buffer
 * @size: bytes available: capacity when writing, valid length when reading
 * @pos:  current offset
 * @err:  first error hit (sticky): -EMSGSIZE on a write overrun, -EPROTO on a
 *        read overrun or malformed field; 0 while all is well
 *
 * Every access goes through qtfs_buf_pull()/qtfs_buf_push(), which never
 * return a pointer outside [@data, @data + @size).
 */
struct qtfs_buf {
	u8 *data;
	u32 size;
	u32 pos;
	int err;
};

/**
 * struct qtfs_cred - decoded caller credentials (host order)
 * @fsuid:   filesystem uid
 * @fsgid:   filesystem gid
 * @ngroups: valid entries in @groups
 * @groups:  supplementary gids
 */
struct qtfs_cred {
	u32 fsuid;
	u32 fsgid;
	u32 ngroups;
	u32 groups[QTFS_NGROUPS_MAX];
};

/**
 * struct qtfs_attr - decoded inode attributes (host order)
 * @ino:        server inode number
 * @size:       file size in bytes
 * @blocks:     512-byte blocks allocated
 * @atime_sec:  access time, seconds
 * @mtime_sec:  modification time, seconds
 * @ctime_sec:  change time, seconds
 * @atime_nsec: access time, nanoseconds
 * @mtime_nsec: modification time, nanoseconds
 * @ctime_nsec: change time, nanoseconds
 * @mode:       file type and permission bits
 * @nlink:      link count
 * @uid:        owner uid
 * @gid:        owner gid
 * @rdev_major: device major for character and block nodes
 * @rdev_minor: device minor
 * @blksize:    preferred I/O size
 *
 * The fields of &struct qtfs_wire_attr, converted to host order.
 */
struct qtfs_attr {
	u64 ino;
	u64 size;
	u64 blocks;
	s64 atime_sec;
	s64 mtime_sec;
	s64 ctime_sec;
	u32 atime_nsec;
	u32 mtime_nsec;
	u32 ctime_nsec;
	u32 mode;
	u32 nlink;
	u32 uid;
	u32 gid;
	u32 rdev_major;
	u32 rdev_minor;
	u32 blksize;
};

/**
 * struct qtfs_dirent - one decoded directory entry
 * @ino:     inode number
 * @off:     cookie that continues after this entry
 * @type:    DT_* value
 * @namelen: length of @name
 * @name:    NUL-terminated name, pointing into the reply buffer
 */
struct qtfs_dirent {
	u64 ino;
	u64 off;
	u8 type;
	u16 namelen;
	const char *name;
};

/**
 * struct qtfs_msg_hdr - decoded message header (host order)
 * @len:    total length in bytes, header included
 * @opcode: &enum qtfs_op
 * @flags:  QTFS_HDR_* bits
 * @id:     request id; 0 for unsolicited messages
 * @error:  replies: 0 or a negative errno; requests: 0
 *
 * The fields of &struct qtfs_hdr, converted to host order.
 */
struct qtfs_msg_hdr {
	u32 len;
	u16 opcode;
	u16 flags;
	u64 id;
	s32 error;
};

/**
 * struct qtfs_op_desc - what each opcode looks like on the wire
 * @name:    opcode name for logs and qtinfo
 * @req_fmt: request payload format (see include/uapi/qtfs_proto.h)
 * @rsp_fmt: reply payload format
 */
struct qtfs_op_desc {
	const char *name;
	const char *req_fmt;
	const char *rsp_fmt;
};

void qtfs_buf_init(struct qtfs_buf *b, void *data, u32 size);
const void *qtfs_buf_pull(struct qtfs_buf *b, u32 len);
void *qtfs_buf_push(struct qtfs_buf *b, u32 len);
void *qtfs_buf_push_blob(struct qtfs_buf *b, u32 len);
void qtfs_buf_trim_blob(struct qtfs_buf *b, void *blob, u32 len);

const struct qtfs_op_desc *qtfs_op_desc(u32 opcode);
int qtfs_fmt_bounds(const char *fmt, u32 *min, u32 *max);

int qtfs_proto_pack(struct qtfs_buf *b, const char *fmt, ...);
int qtfs_proto_vpack(struct qtfs_buf *b, const char *fmt, va_list ap);
int qtfs_proto_unpack(struct qtfs_buf *b, const char *fmt, ...);
int qtfs_proto_vunpack(struct qtfs_buf *b, const char *fmt, va_list ap);

void qtfs_proto_begin(struct qtfs_buf *b, u16 opcode, u16 flags, u64 id,
		      s32 error);
int qtfs_proto_end(struct qtfs_buf *b);
int qtfs_proto_decode_hdr(const void *raw, struct qtfs_msg_hdr *h);
int qtfs_proto_validate(const struct qtfs_msg_hdr *h, const void *payload);
bool qtfs_proto_errno_valid(s32 error);
int qtfs_proto_lock_check(u32 cmd, u32 type, u64 start, u64 end, u32 pid);

int qtfs_proto_dirent_put(struct qtfs_buf *b, u64 ino, u64 off, u8 type,
			  const char *name, u32 namelen);
int qtfs_proto_dirent_next(struct qtfs_buf *b, struct qtfs_dirent *ent);

u32 qtfs_oflags_to_wire(int flags);
int qtfs_oflags_from_wire(u32 wire, int *flags);

#endif /* _QTFS_COMMON_PROTO_H */
