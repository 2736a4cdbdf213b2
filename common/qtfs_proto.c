// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs codec: the only place where wire bytes become host values and back.
 *
 * Built into qtfs.ko and qtfs_server.ko (through a one-line wrapper in each
 * module directory) and into userspace, so the unit tests and the fuzzer
 * exercise exactly the decoder the kernel runs.
 *
 * All reads go through qtfs_buf_pull(), all writes through qtfs_buf_push();
 * both are bounds-checked and record the first error in the cursor.  Fields
 * sit at any offset, so integers go through get/put_unaligned_le*() and wire
 * structs are copied in and out with memcpy().  Message
 * payloads are described by the format strings of QTFS_OPS(), walked by a
 * single function for packing and one for unpacking and validation.
 */
#include "qtfs_proto.h"

static_assert(sizeof(struct qtfs_hdr) == QTFS_HDR_SIZE, "header size");
static_assert(sizeof(struct qtfs_wire_cred) == 16, "cred size");
static_assert(sizeof(struct qtfs_wire_attr) == 96, "attr size");
static_assert(sizeof(struct qtfs_wire_dirent) == 24, "dirent size");
static_assert(QTFS_ERRNO_MAX < 512, "errno range below ERESTARTSYS");

/*
 * The wire layout of every message: request and reply payload formats (see
 * the format characters in include/uapi/qtfs_proto.h).  Both ends validate
 * against this table before any handler runs.
 */
#define QTFS_DESC(op, req, rsp) \
	[QTFS_OP_##op] = { .name = #op, .req_fmt = req, .rsp_fmt = rsp }

static const struct qtfs_op_desc qtfs_op_descs[QTFS_OP_MAX + 1] = {
	/*
	 * magic, major, minor, features, max message size, authentication
	 * data (empty without QTFS_FEAT_AUTH)
	 */
	QTFS_DESC(HELLO, "dhhddB", "dhhddB"),
	/* absolute export path -> root attributes */
	QTFS_DESC(MOUNT, "Cs", "A"),
	QTFS_DESC(UMOUNT, "C", ""),
	/* parent, name -> attributes */
	QTFS_DESC(LOOKUP, "Cpn", "A"),
	/* path, handle (0: by path) -> attributes */
	QTFS_DESC(GETATTR, "Cpq", "A"),
	/*
	 * path, handle, valid, mode, uid, gid, size, atime sec, atime nsec,
	 * mtime sec, mtime nsec -> attributes
	 */
	QTFS_DESC(SETATTR, "Cpqddddqqdqd", "A"),
	/* path, wire open flags -> handle, attributes */
	QTFS_DESC(OPEN, "Cpd", "qA"),
	/* handle */
	QTFS_DESC(RELEASE, "Cq", ""),
	/* handle, offset, count -> data */
	QTFS_DESC(READ, "Cqqd", "B"),
	/* handle, offset, data -> bytes written, attributes */
	QTFS_DESC(WRITE, "CqqB", "dA"),
	/*
	 * parent, name, wire open flags, mode, umask -> handle, attributes,
	 * QTFS_CREATE_*
	 */
	QTFS_DESC(CREATE, "Cpnddd", "qAd"),
	/* parent, name, mode, umask -> attributes */
	QTFS_DESC(MKDIR, "Cpndd", "A"),
	/* parent, name, mode, rdev major, rdev minor, umask -> attributes */
	QTFS_DESC(MKNOD, "Cpndddd", "A"),
	/* parent, name */
	QTFS_DESC(UNLINK, "Cpn", ""),
	QTFS_DESC(RMDIR, "Cpn", ""),
	/* old parent, old name, new parent, new name, QTFS_RENAME_* */
	QTFS_DESC(RENAME, "Cpnpnd", ""),
	/* existing path, new parent, new name -> attributes */
	QTFS_DESC(LINK, "Cppn", "A"),
	/* parent, name, target -> attributes */
	QTFS_DESC(SYMLINK, "Cpns", "A"),
	/* path -> target */
	QTFS_DESC(READLINK, "Cp", "s"),
	/* handle, cookie, max blob bytes -> QTFS_READDIR_*, dirents */
	QTFS_DESC(READDIR, "Cqqd", "dB"),
	/*
	 * path -> blocks, bfree, bavail, files, ffree, fsid, bsize, namelen,
	 * frsize, flags
	 */
	QTFS_DESC(STATFS, "Cp", "qqqqqqdddd"),
	/* handle, datasync */
	QTFS_DESC(FSYNC, "Cqd", ""),
	/* path, name, size (0: probe) -> value size, value */
	QTFS_DESC(GETXATTR, "Cpsd", "dB"),
	/* path, name, value, QTFS_XATTR_* */
	QTFS_DESC(SETXATTR, "CpsBd", ""),
	/* path, size (0: probe) -> list size, names */
	QTFS_DESC(LISTXATTR, "Cpd", "dB"),
	/* path, name */
	QTFS_DESC(REMOVEXATTR, "Cps", ""),
	/* handle, offset, whence -> new offset */
	QTFS_DESC(LLSEEK, "Cqqd", "q"),
	/*
	 * handle, owner, cmd, type, start, end, pid -> type, start, end,
	 * pid
	 */
	QTFS_DESC(LOCK, "Cqqddqqd", "dqqd"),
	/* handle, events -> revents */
	QTFS_DESC(POLL, "Cqd", "d"),
	/* unsolicited (id 0): handle, revents */
	QTFS_DESC(EVENT, "qd", ""),
	/* id of an abandoned request */
	QTFS_DESC(INTERRUPT, "Cq", ""),
	/* handle, mode, offset, length */
	QTFS_DESC(FALLOCATE, "Cqdqq", ""),
	/* path, QTFS_ACCESS_* mask */
	QTFS_DESC(ACCESS, "Cpd", ""),
	/* sync the filesystem of the export */
	QTFS_DESC(SYNCFS, "C", ""),
};

/**
 * qtfs_op_desc() - look up the descriptor of an opcode
 * @opcode: value from the wire
 *
 * Return: the descriptor, or NULL for an unknown opcode.
 */
const struct qtfs_op_desc *qtfs_op_desc(u32 opcode)
{
	if (opcode == 0 || opcode > QTFS_OP_MAX || !qtfs_op_descs[opcode].name)
		return NULL;
	return &qtfs_op_descs[opcode];
}

/**
 * qtfs_buf_init() - set up a cursor
 * @b:    cursor
 * @data: buffer
 * @size: capacity for writing, or number of valid bytes for reading
 */
void qtfs_buf_init(struct qtfs_buf *b, void *data, u32 size)
{
	b->data = data;
	b->size = size;
	b->pos = 0;
	b->err = 0;
}

/**
 * qtfs_buf_pull() - take @len bytes from the cursor
 * @b:   cursor
 * @len: bytes wanted
 *
 * Return: pointer to the bytes, or NULL (and @b->err set to -EPROTO) if fewer
 * than @len bytes remain or an earlier access failed.
 */
const void *qtfs_buf_pull(struct qtfs_buf *b, u32 len)
{
	const void *p;

	if (b->err)
		return NULL;
	if (len > b->size - b->pos) {
		b->err = -EPROTO;
		return NULL;
	}
	p = b->data + b->pos;
	b->pos += len;
	return p;
}

/**
 * qtfs_buf_push() - reserve @len zeroed bytes at the cursor
 * @b:   cursor
 * @len: bytes wanted
 *
 * Return: pointer to the bytes, or NULL (and @b->err set to -EMSGSIZE) if the
 * buffer is too small or an earlier access failed.
 */
void *qtfs_buf_push(struct qtfs_buf *b, u32 len)
{
	void *p;

	if (b->err)
		return NULL;
	if (len > b->size - b->pos) {
		b->err = -EMSGSIZE;
		return NULL;
	}
	p = b->data + b->pos;
	memset(p, 0, len);
	b->pos += len;
	return p;
}

/**
 * qtfs_buf_push_blob() - reserve a 'B' field of @len bytes to fill in place
 * @b:   cursor
 * @len: blob length, at most %QTFS_IO_MAX
 *
 * Lets READ replies and WRITE requests copy data straight into the message.
 * qtfs_buf_trim_blob() shortens the blob afterwards if less was produced.
 *
 * Return: pointer to the blob bytes, or NULL with @b->err set.
 */
void *qtfs_buf_push_blob(struct qtfs_buf *b, u32 len)
{
	void *lenp;

	if (len > QTFS_IO_MAX) {
		if (!b->err)
			b->err = -EMSGSIZE;
		return NULL;
	}
	lenp = qtfs_buf_push(b, sizeof(__le32));
	if (!lenp)
		return NULL;
	put_unaligned_le32(len, lenp);
	return qtfs_buf_push(b, len);
}

/**
 * qtfs_buf_trim_blob() - shorten the last blob reserved by qtfs_buf_push_blob()
 * @b:    cursor
 * @blob: pointer returned by qtfs_buf_push_blob(); must be the last field
 * @len:  new length, not more than the reserved one
 */
void qtfs_buf_trim_blob(struct qtfs_buf *b, void *blob, u32 len)
{
	u8 *p = blob;
	u32 old;

	if (!p || b->err)
		return;
	old = get_unaligned_le32(p - sizeof(__le32));
	if (len > old || p + old != b->data + b->pos)
		return;
	put_unaligned_le32(len, p - sizeof(__le32));
	b->pos -= old - len;
}

/* Bytes that one format character occupies: [*min, *max]. */
static int qtfs_fmt_char_bounds(char c, u32 *min, u32 *max)
{
	switch (c) {
	case 'b':
		*min = *max = 1;
		return 0;
	case 'h':
		*min = *max = 2;
		return 0;
	case 'd':
		*min = *max = 4;
		return 0;
	case 'q':
		*min = *max = 8;
		return 0;
	case 'C':
		*min = sizeof(struct qtfs_wire_cred);
		*max = *min + QTFS_NGROUPS_MAX * sizeof(__le32);
		return 0;
	case 'A':
		*min = *max = sizeof(struct qtfs_wire_attr);
		return 0;
	case 's':
	case 'p':
		*min = 3;
		*max = 2 + QTFS_PATH_MAX;
		return 0;
	case 'n':
		*min = 4;
		*max = 3 + QTFS_NAME_MAX;
		return 0;
	case 'B':
		*min = 4;
		*max = 4 + QTFS_IO_MAX;
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * qtfs_fmt_bounds() - smallest and largest payload a format allows
 * @fmt: format string
 * @min: smallest payload in bytes
 * @max: largest payload in bytes
 *
 * Return: 0, or -EINVAL for an unknown format character.
 */
int qtfs_fmt_bounds(const char *fmt, u32 *min, u32 *max)
{
	u32 lo, hi;

	*min = 0;
	*max = 0;
	for (; *fmt; fmt++) {
		if (qtfs_fmt_char_bounds(*fmt, &lo, &hi))
			return -EINVAL;
		*min += lo;
		*max += hi;
	}
	return 0;
}

static bool qtfs_is_dot_or_dotdot(const char *s, u32 len)
{
	return (len == 1 && s[0] == '.') ||
	       (len == 2 && s[0] == '.' && s[1] == '.');
}

/*
 * Semantic check of a string field of kind @kind ('s', 'p' or 'n') holding
 * @len bytes (no NUL inside, NUL already checked after them).
 */
static bool qtfs_str_valid(char kind, const char *s, u32 len)
{
	u32 i, start;

	switch (kind) {
	case 's':
		return len < QTFS_PATH_MAX;
	case 'n':
		return len >= 1 && len <= QTFS_NAME_MAX &&
		       !memchr(s, '/', len) && !qtfs_is_dot_or_dotdot(s, len);
	case 'p':
		if (len >= QTFS_PATH_MAX)
			return false;
		for (start = 0, i = 0; i <= len; i++) {
			if (i < len && s[i] != '/')
				continue;
			if (len == 0)
				return true;
			if (i == start || i - start > QTFS_NAME_MAX ||
			    qtfs_is_dot_or_dotdot(s + start, i - start))
				return false;
			start = i + 1;
		}
		return true;
	}
	return false;
}

static int qtfs_put_str(struct qtfs_buf *b, char kind, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	void *lenp;
	u8 *p;

	if (!s || len >= QTFS_PATH_MAX || !qtfs_str_valid(kind, s, len)) {
		if (!b->err)
			b->err = -EINVAL;
		return b->err;
	}
	lenp = qtfs_buf_push(b, sizeof(__le16));
	p = qtfs_buf_push(b, len + 1);
	if (!p)
		return b->err;
	put_unaligned_le16(len, lenp);
	memcpy(p, s, len);
	return 0;
}

static int qtfs_get_str(struct qtfs_buf *b, char kind, const char **out)
{
	const void *lenp = qtfs_buf_pull(b, sizeof(__le16));
	const char *s;
	u32 len;

	if (!lenp)
		return b->err;
	len = get_unaligned_le16(lenp);
	s = qtfs_buf_pull(b, len + 1);
	if (!s)
		return b->err;
	if (s[len] != '\0' || memchr(s, '\0', len) ||
	    !qtfs_str_valid(kind, s, len)) {
		b->err = -EPROTO;
		return b->err;
	}
	if (out)
		*out = s;
	return 0;
}

static int qtfs_put_cred(struct qtfs_buf *b, const struct qtfs_cred *cred)
{
	struct qtfs_wire_cred w = {};
	u8 *wp, *g;
	u32 i;

	if (cred->ngroups > QTFS_NGROUPS_MAX) {
		if (!b->err)
			b->err = -EINVAL;
		return b->err;
	}
	wp = qtfs_buf_push(b, sizeof(w));
	g = qtfs_buf_push(b, cred->ngroups * sizeof(__le32));
	if (!g)
		return b->err;
	w.fsuid = cpu_to_le32(cred->fsuid);
	w.fsgid = cpu_to_le32(cred->fsgid);
	w.ngroups = cpu_to_le16(cred->ngroups);
	memcpy(wp, &w, sizeof(w));
	for (i = 0; i < cred->ngroups; i++)
		put_unaligned_le32(cred->groups[i], g + i * sizeof(__le32));
	return 0;
}

static int qtfs_get_cred(struct qtfs_buf *b, struct qtfs_cred *cred)
{
	const void *wp = qtfs_buf_pull(b, sizeof(struct qtfs_wire_cred));
	struct qtfs_wire_cred w;
	const u8 *g;
	u32 i, n, bytes;

	if (!wp)
		return b->err;
	memcpy(&w, wp, sizeof(w));
	n = le16_to_cpu(w.ngroups);
	if (n > QTFS_NGROUPS_MAX || w.reserved[0] || w.reserved[1] ||
	    w.reserved[2] || check_mul_overflow(n, (u32)sizeof(__le32), &bytes)) {
		b->err = -EPROTO;
		return b->err;
	}
	g = qtfs_buf_pull(b, bytes);
	if (!g)
		return b->err;
	if (!cred)
		return 0;
	cred->fsuid = le32_to_cpu(w.fsuid);
	cred->fsgid = le32_to_cpu(w.fsgid);
	cred->ngroups = n;
	for (i = 0; i < n; i++)
		cred->groups[i] = get_unaligned_le32(g + i * sizeof(__le32));
	return 0;
}

static int qtfs_put_attr(struct qtfs_buf *b, const struct qtfs_attr *a)
{
	void *wp = qtfs_buf_push(b, sizeof(struct qtfs_wire_attr));
	struct qtfs_wire_attr w = {};

	if (!wp)
		return b->err;
	w.ino = cpu_to_le64(a->ino);
	w.size = cpu_to_le64(a->size);
	w.blocks = cpu_to_le64(a->blocks);
	w.atime_sec = cpu_to_le64((u64)a->atime_sec);
	w.mtime_sec = cpu_to_le64((u64)a->mtime_sec);
	w.ctime_sec = cpu_to_le64((u64)a->ctime_sec);
	w.atime_nsec = cpu_to_le32(a->atime_nsec);
	w.mtime_nsec = cpu_to_le32(a->mtime_nsec);
	w.ctime_nsec = cpu_to_le32(a->ctime_nsec);
	w.mode = cpu_to_le32(a->mode);
	w.nlink = cpu_to_le32(a->nlink);
	w.uid = cpu_to_le32(a->uid);
	w.gid = cpu_to_le32(a->gid);
	w.rdev_major = cpu_to_le32(a->rdev_major);
	w.rdev_minor = cpu_to_le32(a->rdev_minor);
	w.blksize = cpu_to_le32(a->blksize);
	memcpy(wp, &w, sizeof(w));
	return 0;
}

#define QTFS_NSEC_PER_SEC 1000000000U

static int qtfs_get_attr(struct qtfs_buf *b, struct qtfs_attr *a)
{
	const void *wp = qtfs_buf_pull(b, sizeof(struct qtfs_wire_attr));
	struct qtfs_wire_attr w;

	if (!wp)
		return b->err;
	memcpy(&w, wp, sizeof(w));
	if (le32_to_cpu(w.atime_nsec) >= QTFS_NSEC_PER_SEC ||
	    le32_to_cpu(w.mtime_nsec) >= QTFS_NSEC_PER_SEC ||
	    le32_to_cpu(w.ctime_nsec) >= QTFS_NSEC_PER_SEC ||
	    w.reserved[0] || w.reserved[1]) {
		b->err = -EPROTO;
		return b->err;
	}
	if (!a)
		return 0;
	a->ino = le64_to_cpu(w.ino);
	a->size = le64_to_cpu(w.size);
	a->blocks = le64_to_cpu(w.blocks);
	a->atime_sec = (s64)le64_to_cpu(w.atime_sec);
	a->mtime_sec = (s64)le64_to_cpu(w.mtime_sec);
	a->ctime_sec = (s64)le64_to_cpu(w.ctime_sec);
	a->atime_nsec = le32_to_cpu(w.atime_nsec);
	a->mtime_nsec = le32_to_cpu(w.mtime_nsec);
	a->ctime_nsec = le32_to_cpu(w.ctime_nsec);
	a->mode = le32_to_cpu(w.mode);
	a->nlink = le32_to_cpu(w.nlink);
	a->uid = le32_to_cpu(w.uid);
	a->gid = le32_to_cpu(w.gid);
	a->rdev_major = le32_to_cpu(w.rdev_major);
	a->rdev_minor = le32_to_cpu(w.rdev_minor);
	a->blksize = le32_to_cpu(w.blksize);
	return 0;
}

/**
 * qtfs_proto_vpack() - append fields described by @fmt
 * @b:   cursor
 * @fmt: format; arguments by character: b h d (u32), q (u64), C (const
 *       struct qtfs_cred *), A (const struct qtfs_attr *), s p n (const
 *       char *), B (const void *, u32 length; a NULL pointer reserves
 *       zeroed bytes, the last ones written, to be filled in place)
 * @ap:  arguments
 *
 * Return: 0, -EMSGSIZE if the buffer is too small or a blob exceeds
 * %QTFS_IO_MAX, -EINVAL for a value the format does not allow (a bad name,
 * too many groups).
 */
int qtfs_proto_vpack(struct qtfs_buf *b, const char *fmt, va_list ap)
{
	const void *data;
	void *p;
	u32 len;

	for (; *fmt && !b->err; fmt++) {
		switch (*fmt) {
		case 'b':
			p = qtfs_buf_push(b, 1);
			if (p)
				*(u8 *)p = (u8)va_arg(ap, u32);
			break;
		case 'h':
			p = qtfs_buf_push(b, 2);
			if (p)
				put_unaligned_le16((u16)va_arg(ap, u32), p);
			break;
		case 'd':
			p = qtfs_buf_push(b, 4);
			if (p)
				put_unaligned_le32(va_arg(ap, u32), p);
			break;
		case 'q':
			p = qtfs_buf_push(b, 8);
			if (p)
				put_unaligned_le64(va_arg(ap, u64), p);
			break;
		case 'C':
			qtfs_put_cred(b, va_arg(ap, const struct qtfs_cred *));
			break;
		case 'A':
			qtfs_put_attr(b, va_arg(ap, const struct qtfs_attr *));
			break;
		case 's':
		case 'p':
		case 'n':
			qtfs_put_str(b, *fmt, va_arg(ap, const char *));
			break;
		case 'B':
			data = va_arg(ap, const void *);
			len = va_arg(ap, u32);
			p = qtfs_buf_push_blob(b, len);
			/* NULL data: reserved for the caller to fill in place */
			if (p && data && len)
				memcpy(p, data, len);
			break;
		default:
			b->err = -EINVAL;
		}
	}
	return b->err;
}

/**
 * qtfs_proto_pack() - append fields described by @fmt
 * @b:   cursor
 * @fmt: format, see qtfs_proto_vpack()
 *
 * Return: as qtfs_proto_vpack().
 */
int qtfs_proto_pack(struct qtfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = qtfs_proto_vpack(b, fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * The one decoding walk.  With @ap NULL it only validates; otherwise it
 * stores each field through the next pointer argument.
 */
static int qtfs_walk(struct qtfs_buf *b, const char *fmt, va_list *ap)
{
	const void *p;
	u32 len;

#define QTFS_OUT(type) (ap ? va_arg(*ap, type) : NULL)
	for (; *fmt && !b->err; fmt++) {
		switch (*fmt) {
		case 'b': {
			u8 *out = QTFS_OUT(u8 *);

			p = qtfs_buf_pull(b, 1);
			if (p && out)
				*out = *(const u8 *)p;
			break;
		}
		case 'h': {
			u16 *out = QTFS_OUT(u16 *);

			p = qtfs_buf_pull(b, 2);
			if (p && out)
				*out = get_unaligned_le16(p);
			break;
		}
		case 'd': {
			u32 *out = QTFS_OUT(u32 *);

			p = qtfs_buf_pull(b, 4);
			if (p && out)
				*out = get_unaligned_le32(p);
			break;
		}
		case 'q': {
			u64 *out = QTFS_OUT(u64 *);

			p = qtfs_buf_pull(b, 8);
			if (p && out)
				*out = get_unaligned_le64(p);
			break;
		}
		case 'C':
			qtfs_get_cred(b, QTFS_OUT(struct qtfs_cred *));
			break;
		case 'A':
			qtfs_get_attr(b, QTFS_OUT(struct qtfs_attr *));
			break;
		case 's':
		case 'p':
		case 'n':
			qtfs_get_str(b, *fmt, QTFS_OUT(const char **));
			break;
		case 'B': {
			const void **out = QTFS_OUT(const void **);
			u32 *outlen = QTFS_OUT(u32 *);

			p = qtfs_buf_pull(b, 4);
			if (!p)
				break;
			len = get_unaligned_le32(p);
			if (len > QTFS_IO_MAX) {
				b->err = -EPROTO;
				break;
			}
			p = qtfs_buf_pull(b, len);
			if (p && out)
				*out = p;
			if (p && outlen)
				*outlen = len;
			break;
		}
		default:
			b->err = -EINVAL;
		}
	}
#undef QTFS_OUT
	return b->err;
}

/**
 * qtfs_proto_vunpack() - decode fields described by @fmt
 * @b:   cursor
 * @fmt: format; arguments are pointers: u8 *, u16 *, u32 *, u64 *, struct
 *       qtfs_cred *, struct qtfs_attr *, const char ** (pointing into the
 *       buffer), and for B a const void ** and a u32 *
 * @ap:  arguments
 *
 * Return: 0 or -EPROTO.  On error the outputs are partly written.
 */
int qtfs_proto_vunpack(struct qtfs_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int ret;

	va_copy(cp, ap);
	ret = qtfs_walk(b, fmt, &cp);
	va_end(cp);
	return ret;
}

/**
 * qtfs_proto_unpack() - decode fields described by @fmt
 * @b:   cursor
 * @fmt: format, see qtfs_proto_vunpack()
 *
 * Return: 0 or -EPROTO.
 */
int qtfs_proto_unpack(struct qtfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = qtfs_walk(b, fmt, &ap);
	va_end(ap);
	return ret;
}

/**
 * qtfs_proto_begin() - start a message: write its header with length 0
 * @b:      cursor at the start of an empty buffer
 * @opcode: &enum qtfs_op
 * @flags:  QTFS_HDR_* flags
 * @id:     request id
 * @error:  0 or a negative errno (replies only)
 */
void qtfs_proto_begin(struct qtfs_buf *b, u16 opcode, u16 flags, u64 id,
		      s32 error)
{
	void *hp = qtfs_buf_push(b, sizeof(struct qtfs_hdr));
	struct qtfs_hdr h = {};

	if (!hp)
		return;
	h.opcode = cpu_to_le16(opcode);
	h.flags = cpu_to_le16(flags);
	h.id = cpu_to_le64(id);
	h.error = cpu_to_le32((u32)error);
	memcpy(hp, &h, sizeof(h));
}

/**
 * qtfs_proto_end() - finish a message: store its length in the header
 * @b: cursor used since qtfs_proto_begin()
 *
 * Return: 0, or the first error any packing step hit.
 */
int qtfs_proto_end(struct qtfs_buf *b)
{
	if (b->err)
		return b->err;
	put_unaligned_le32(b->pos, b->data + offsetof(struct qtfs_hdr, len));
	return 0;
}

/**
 * qtfs_proto_errno_valid() - is @error acceptable in a reply?
 * @error: value from the wire
 *
 * Return: true for 0 and -1 .. -%QTFS_ERRNO_MAX.
 */
bool qtfs_proto_errno_valid(s32 error)
{
	return error <= 0 && error >= -QTFS_ERRNO_MAX;
}

/**
 * qtfs_proto_lock_check() - are the arguments of a LOCK request valid?
 * @cmd:   %QTFS_LOCK_GET, _SET or _SETW, with at most one of
 *         %QTFS_LOCK_FLOCK and %QTFS_LOCK_OFD
 * @type:  %QTFS_LCK_RD, _WR or _UN (not _UN for GET)
 * @start: first byte
 * @end:   last byte, at least @start, at most %QTFS_LOCK_END_MAX
 * @pid:   caller's pid, at most %QTFS_LOCK_PID_MAX
 *
 * flock() requests (%QTFS_LOCK_FLOCK) cannot be tested (GET) and their
 * range is ignored, but must still be well-formed.
 *
 * Return: 0 or -EINVAL.
 */
int qtfs_proto_lock_check(u32 cmd, u32 type, u64 start, u64 end, u32 pid)
{
	u32 kind = cmd & (QTFS_LOCK_FLOCK | QTFS_LOCK_OFD);
	u32 op = cmd & ~(QTFS_LOCK_FLOCK | QTFS_LOCK_OFD);

	if (op > QTFS_LOCK_SETW || kind == (QTFS_LOCK_FLOCK | QTFS_LOCK_OFD))
		return -EINVAL;
	if (type > QTFS_LCK_UN ||
	    (op == QTFS_LOCK_GET &&
	     (type == QTFS_LCK_UN || kind == QTFS_LOCK_FLOCK)))
		return -EINVAL;
	if (start > end || end > QTFS_LOCK_END_MAX || pid > QTFS_LOCK_PID_MAX)
		return -EINVAL;
	return 0;
}

/**
 * qtfs_proto_decode_hdr() - decode and sanity-check a message header
 * @raw: %QTFS_HDR_SIZE bytes as received
 * @h:   decoded header
 *
 * Checks what does not depend on the connection: the length covers the
 * header, reserved bits are clear, a request carries no error and a reply an
 * errno in range.  The caller checks @h->len against its own limits and the
 * opcode against qtfs_op_desc().
 *
 * Return: 0 or -EPROTO.
 */
int qtfs_proto_decode_hdr(const void *raw, struct qtfs_msg_hdr *h)
{
	struct qtfs_hdr w;

	memcpy(&w, raw, sizeof(w));
	h->len = le32_to_cpu(w.len);
	h->opcode = le16_to_cpu(w.opcode);
	h->flags = le16_to_cpu(w.flags);
	h->id = le64_to_cpu(w.id);
	h->error = (s32)le32_to_cpu(w.error);

	if (h->len < QTFS_HDR_SIZE || w.reserved ||
	    (h->flags & ~QTFS_HDR_FLAGS_MASK))
		return -EPROTO;
	if (h->flags & QTFS_HDR_REPLY)
		return qtfs_proto_errno_valid(h->error) ? 0 : -EPROTO;
	return h->error ? -EPROTO : 0;
}

/**
 * qtfs_proto_validate() - check a whole payload against its opcode's format
 * @h:       header decoded by qtfs_proto_decode_hdr()
 * @payload: the @h->len - %QTFS_HDR_SIZE bytes that follow the header
 *
 * Run before any handler sees the message: every field must be well formed
 * and the fields must use up the payload exactly.  Error replies carry no
 * payload.
 *
 * Return: 0, -ENOSYS for an unknown opcode, -EPROTO for a malformed payload.
 */
int qtfs_proto_validate(const struct qtfs_msg_hdr *h, const void *payload)
{
	const struct qtfs_op_desc *desc = qtfs_op_desc(h->opcode);
	u32 plen = h->len - QTFS_HDR_SIZE;
	bool reply = h->flags & QTFS_HDR_REPLY;
	const char *fmt;
	struct qtfs_buf b;
	u32 min, max;

	if (!desc)
		return -ENOSYS;
	if (h->len < QTFS_HDR_SIZE)
		return -EPROTO;
	if (reply && h->error)
		return plen ? -EPROTO : 0;
	fmt = reply ? desc->rsp_fmt : desc->req_fmt;
	if (qtfs_fmt_bounds(fmt, &min, &max) || plen < min || plen > max)
		return -EPROTO;
	qtfs_buf_init(&b, (void *)payload, plen);
	if (qtfs_walk(&b, fmt, NULL))
		return -EPROTO;
	return b.pos == plen ? 0 : -EPROTO;
}

/* Bytes one dirent takes: header, name, NUL, padding to 8 bytes. */
static u32 qtfs_dirent_size(u32 namelen)
{
	return (sizeof(struct qtfs_wire_dirent) + namelen + 1 + 7) & ~7U;
}

/**
 * qtfs_proto_dirent_put() - append one entry to a READDIR blob
 * @b:       cursor over the blob space
 * @ino:     inode number
 * @off:     cookie continuing after this entry
 * @type:    DT_* value
 * @name:    entry name (need not be NUL-terminated)
 * @namelen: length of @name
 *
 * Return: 0, -EMSGSIZE when the entry does not fit (nothing is written), or
 * -EINVAL for a name the wire cannot carry.
 */
int qtfs_proto_dirent_put(struct qtfs_buf *b, u64 ino, u64 off, u8 type,
			  const char *name, u32 namelen)
{
	u32 rec = qtfs_dirent_size(namelen);
	struct qtfs_wire_dirent d = {};
	u8 *p;

	if (namelen == 0 || namelen > QTFS_NAME_MAX ||
	    memchr(name, '/', namelen) || memchr(name, '\0', namelen))
		return -EINVAL;
	if (b->err || rec > b->size - b->pos)
		return -EMSGSIZE;
	p = qtfs_buf_push(b, rec);
	d.ino = cpu_to_le64(ino);
	d.off = cpu_to_le64(off);
	d.namelen = cpu_to_le16(namelen);
	d.type = type;
	memcpy(p, &d, sizeof(d));
	memcpy(p + sizeof(d), name, namelen);
	return 0;
}

/**
 * qtfs_proto_dirent_next() - decode the next entry of a READDIR blob
 * @b:   cursor over the blob
 * @ent: decoded entry; @ent->name points into the blob
 *
 * Return: 1 for an entry, 0 at the end of the blob, -EPROTO if malformed.
 */
int qtfs_proto_dirent_next(struct qtfs_buf *b, struct qtfs_dirent *ent)
{
	const void *dp;
	struct qtfs_wire_dirent d;
	const char *name;
	u32 namelen, rest, i;

	if (b->err)
		return b->err;
	if (b->pos == b->size)
		return 0;
	dp = qtfs_buf_pull(b, sizeof(d));
	if (!dp)
		return b->err;
	memcpy(&d, dp, sizeof(d));
	namelen = le16_to_cpu(d.namelen);
	rest = qtfs_dirent_size(namelen) - sizeof(d);
	name = qtfs_buf_pull(b, rest);
	if (!name)
		return b->err;
	/* "." and ".." are sent too: their cookies are the server's */
	if (d.pad || d.pad2 || namelen == 0 || namelen > QTFS_NAME_MAX ||
	    memchr(name, '\0', namelen) || memchr(name, '/', namelen))
		goto bad;
	for (i = namelen; i < rest; i++)	/* NUL and padding */
		if (name[i])
			goto bad;
	ent->ino = le64_to_cpu(d.ino);
	ent->off = le64_to_cpu(d.off);
	ent->type = d.type;
	ent->namelen = namelen;
	ent->name = name;
	return 1;
bad:
	b->err = -EPROTO;
	return b->err;
}

static const struct {
	int host;
	u32 wire;
} qtfs_oflag_map[] = {
	{ O_CREAT, QTFS_O_CREAT },	{ O_EXCL, QTFS_O_EXCL },
	{ O_TRUNC, QTFS_O_TRUNC },	{ O_APPEND, QTFS_O_APPEND },
	{ O_NONBLOCK, QTFS_O_NONBLOCK }, { O_DIRECTORY, QTFS_O_DIRECTORY },
	{ O_NOFOLLOW, QTFS_O_NOFOLLOW }, { O_DSYNC, QTFS_O_DSYNC },
	{ O_DIRECT, QTFS_O_DIRECT },	{ O_NOATIME, QTFS_O_NOATIME },
	{ O_LARGEFILE, QTFS_O_LARGEFILE },
};

/**
 * qtfs_oflags_to_wire() - translate host open flags to QTFS_O_* bits
 * @flags: O_* flags; bits without a wire meaning are dropped
 *
 * Return: the wire flags.
 */
u32 qtfs_oflags_to_wire(int flags)
{
	u32 wire = flags & O_ACCMODE;	/* 0, 1, 2 on every architecture */
	size_t i;

	for (i = 0; i < ARRAY_SIZE(qtfs_oflag_map); i++)
		if (flags & qtfs_oflag_map[i].host)
			wire |= qtfs_oflag_map[i].wire;
	/* O_SYNC is __O_SYNC | O_DSYNC: test all of its bits */
	if ((flags & O_SYNC) == O_SYNC)
		wire |= QTFS_O_SYNC;
	return wire;
}

/**
 * qtfs_oflags_from_wire() - translate QTFS_O_* bits to host open flags
 * @wire:  flags from the wire
 * @flags: host O_* flags
 *
 * Return: 0, or -EINVAL for unknown bits or an invalid access mode.
 */
int qtfs_oflags_from_wire(u32 wire, int *flags)
{
	size_t i;
	int f;

	if ((wire & ~QTFS_O_ALL) || (wire & QTFS_O_ACCMODE) == QTFS_O_ACCMODE)
		return -EINVAL;
	f = wire & QTFS_O_ACCMODE;
	for (i = 0; i < ARRAY_SIZE(qtfs_oflag_map); i++)
		if (wire & qtfs_oflag_map[i].wire)
			f |= qtfs_oflag_map[i].host;
	if (wire & QTFS_O_SYNC)
		f |= O_SYNC;
	*flags = f;
	return 0;
}
