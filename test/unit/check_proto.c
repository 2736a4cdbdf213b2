// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the qtfs codec, common/qtfs_proto.c.
 *
 *  - a round trip of every opcode 1..QTFS_OP_MAX, request and reply, with
 *    distinctive, smallest and largest values for every field (the
 *    generator walks the format strings of the descriptor table);
 *  - boundary values of each field kind: attributes, credentials, strings,
 *    blobs, READDIR entries;
 *  - a table of malformed messages that must be rejected with a specific
 *    error, and the pack-side rejections;
 *  - open flag translation.
 *
 * "check_proto --corpus DIR" writes one encoded message per opcode and
 * direction into DIR to seed the fuzzer (fuzz_proto.c) and exits.
 */
#include "qtfs_proto.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Longest format string the generator handles; the descriptors use up to 12. */
#define MAX_FIELDS	16
/* Unpack arguments: two per 'B', one per other field. */
#define MAX_ARGS	(2 * MAX_FIELDS)

#define NSEC_PER_SEC	1000000000U

/* Scratch message buffer and generator state, set up per test. */
static u8 *msg;

/* ------------------------------------------------------------------ */
/* Value generator                                                     */
/* ------------------------------------------------------------------ */

enum gen_mode {
	GEN_TYPICAL,	/* distinctive values, short strings and blobs */
	GEN_MIN,	/* the smallest encoding of every field, zero values */
	GEN_MAX,	/* the largest encoding of every field, all-ones values */
};

static const char *const gen_mode_name[] = {
	[GEN_TYPICAL] = "typical", [GEN_MIN] = "min", [GEN_MAX] = "max",
};

/* One field of a message: the value packed and, after unpacking, the value read. */
struct field {
	char c;
	u64 num;			/* b h d q */
	struct qtfs_cred cred;		/* C */
	struct qtfs_attr attr;		/* A */
	char str[QTFS_PATH_MAX];	/* s p n */
	u8 *blob;			/* B, malloc'd or NULL */
	u32 bloblen;

	struct {
		u8 b;
		u16 h;
		u32 d;
		u64 q;
		struct qtfs_cred cred;
		struct qtfs_attr attr;
		const char *str;
		const void *blob;
		u32 bloblen;
	} out;
};

struct gen_msg {
	u16 opcode;
	bool reply;
	const char *fmt;
	unsigned int nfields;
	struct field f[MAX_FIELDS];
};

static struct gen_msg *gm;

/* splitmix64: distinct, well-spread values from a small seed. */
static u64 mix(u32 seed, u32 k)
{
	u64 x = ((u64)seed << 32 | k) + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A name byte: anything but NUL, '/' and '.' (so never "." or ".."). */
static char name_char(u32 seed, u32 k)
{
	char c = (char)(1 + mix(seed, k) % 255);

	return c == '/' || c == '.' ? '_' : c;
}

static void fill_name(char *s, u32 len, u32 seed)
{
	u32 i;

	for (i = 0; i < len; i++)
		s[i] = name_char(seed, i);
	s[len] = '\0';
}

/* A path of @len bytes made of @comp-byte components joined by '/'. */
static void fill_path(char *s, u32 len, u32 comp, u32 seed)
{
	u32 i, c = 0;

	for (i = 0; i < len; i++) {
		if (c == comp) {
			s[i] = '/';
			c = 0;
		} else {
			s[i] = name_char(seed, i);
			c++;
		}
	}
	s[len] = '\0';
}

/* Any bytes but NUL, so '/', "." and ".." sequences included. */
static void fill_any(char *s, u32 len, u32 seed)
{
	u32 i;

	for (i = 0; i < len; i++)
		s[i] = (char)(1 + mix(seed, i) % 255);
	s[len] = '\0';
}

static void gen_cred(struct qtfs_cred *c, enum gen_mode mode, u32 seed)
{
	u32 i;

	memset(c, 0, sizeof(*c));
	if (mode == GEN_MIN)
		return;
	c->ngroups = mode == GEN_MAX ? QTFS_NGROUPS_MAX :
				       seed % (QTFS_NGROUPS_MAX + 1);
	c->fsuid = mode == GEN_MAX ? UINT32_MAX : (u32)mix(seed, 1);
	c->fsgid = mode == GEN_MAX ? UINT32_MAX - 1 : (u32)mix(seed, 2);
	for (i = 0; i < c->ngroups; i++)
		c->groups[i] = mode == GEN_MAX ? UINT32_MAX - 2 - i :
						 (u32)mix(seed, 10 + i);
}

static void gen_attr(struct qtfs_attr *a, enum gen_mode mode, u32 seed)
{
	memset(a, 0, sizeof(*a));
	switch (mode) {
	case GEN_MIN:
		a->atime_sec = INT64_MIN;
		a->mtime_sec = -1;
		return;
	case GEN_MAX:
		a->ino = a->size = a->blocks = UINT64_MAX;
		a->atime_sec = a->mtime_sec = a->ctime_sec = INT64_MAX;
		a->atime_nsec = a->mtime_nsec = a->ctime_nsec = NSEC_PER_SEC - 1;
		a->mode = a->nlink = a->uid = a->gid = UINT32_MAX;
		a->rdev_major = a->rdev_minor = a->blksize = UINT32_MAX;
		return;
	case GEN_TYPICAL:
		a->ino = mix(seed, 1);
		a->size = mix(seed, 2);
		a->blocks = mix(seed, 3);
		a->atime_sec = -(s64)(mix(seed, 4) >> 2) - 1;
		a->mtime_sec = (s64)(mix(seed, 5) >> 2);
		a->ctime_sec = -(s64)(mix(seed, 6) & 0xffffffff) - 1;
		a->atime_nsec = mix(seed, 7) % NSEC_PER_SEC;
		a->mtime_nsec = mix(seed, 8) % NSEC_PER_SEC;
		a->ctime_nsec = mix(seed, 9) % NSEC_PER_SEC;
		a->mode = (u32)mix(seed, 10);
		a->nlink = (u32)mix(seed, 11);
		a->uid = (u32)mix(seed, 12);
		a->gid = (u32)mix(seed, 13);
		a->rdev_major = (u32)mix(seed, 14);
		a->rdev_minor = (u32)mix(seed, 15);
		a->blksize = (u32)mix(seed, 16);
		return;
	}
}

static void gen_str(char *s, char kind, enum gen_mode mode, u32 seed)
{
	switch (mode) {
	case GEN_MIN:
		strcpy(s, kind == 'n' ? "m" : "");
		return;
	case GEN_MAX:
		if (kind == 'n')
			fill_name(s, QTFS_NAME_MAX, seed);
		else if (kind == 'p')
			/* 16 components of 255 bytes and 15 slashes: 4095 */
			fill_path(s, QTFS_PATH_MAX - 1, QTFS_NAME_MAX, seed);
		else
			fill_any(s, QTFS_PATH_MAX - 1, seed);
		return;
	case GEN_TYPICAL:
		if (kind == 'n')
			snprintf(s, QTFS_PATH_MAX, "n%08x", seed);
		else if (kind == 'p')
			snprintf(s, QTFS_PATH_MAX, "d%x/e%08x/f", seed >> 16, seed);
		else
			snprintf(s, QTFS_PATH_MAX, "/export/s%08x", seed);
		return;
	}
}

static int gen_blob(struct field *f, enum gen_mode mode, u32 seed)
{
	u32 i;

	f->bloblen = mode == GEN_MIN ? 0 :
		     mode == GEN_MAX ? QTFS_IO_MAX : 1 + mix(seed, 0) % 3000;
	f->blob = NULL;
	if (!f->bloblen)
		return 0;
	f->blob = malloc(f->bloblen);
	if (!f->blob)
		return -ENOMEM;
	for (i = 0; i < f->bloblen; i++)
		f->blob[i] = (u8)mix(seed, i / 8) ^ (u8)i;
	return 0;
}

static void gen_free(struct gen_msg *m)
{
	unsigned int i;

	for (i = 0; i < MAX_FIELDS; i++) {
		free(m->f[i].blob);
		m->f[i].blob = NULL;
	}
}

/*
 * Fill @m with values for every character of @fmt.  Each field gets its own
 * seed so no two fields of any message share a value.
 */
static int gen_fields(struct gen_msg *m, u16 opcode, bool reply,
		      const char *fmt, enum gen_mode mode)
{
	static const u64 max_num[] = { ['b'] = UINT8_MAX, ['h'] = UINT16_MAX,
				       ['d'] = UINT32_MAX, ['q'] = UINT64_MAX };
	unsigned int i;

	gen_free(m);
	m->opcode = opcode;
	m->reply = reply;
	m->fmt = fmt;
	m->nfields = strlen(fmt);
	if (m->nfields > MAX_FIELDS)
		return -E2BIG;
	for (i = 0; i < m->nfields; i++) {
		struct field *f = &m->f[i];
		u32 seed = (u32)opcode << 16 | (u32)reply << 8 | i;

		memset(&f->out, 0xa5, sizeof(f->out));
		f->c = fmt[i];
		switch (f->c) {
		case 'b':
		case 'h':
		case 'd':
		case 'q':
			f->num = mode == GEN_MIN ? 0 :
				 mode == GEN_MAX ? max_num[(int)f->c] :
				 mix(seed, 0) & max_num[(int)f->c];
			break;
		case 'C':
			gen_cred(&f->cred, mode, seed);
			break;
		case 'A':
			gen_attr(&f->attr, mode, seed);
			break;
		case 's':
		case 'p':
		case 'n':
			gen_str(f->str, f->c, mode, seed);
			break;
		case 'B':
			if (gen_blob(f, mode, seed))
				return -ENOMEM;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/* Pack one field with a one-character format. */
static int pack_field(struct qtfs_buf *b, const struct field *f)
{
	const char fmt[2] = { f->c, '\0' };

	switch (f->c) {
	case 'b':
	case 'h':
	case 'd':
		return qtfs_proto_pack(b, fmt, (u32)f->num);
	case 'q':
		return qtfs_proto_pack(b, fmt, f->num);
	case 'C':
		return qtfs_proto_pack(b, fmt, &f->cred);
	case 'A':
		return qtfs_proto_pack(b, fmt, &f->attr);
	case 'B':
		return qtfs_proto_pack(b, fmt, (const void *)f->blob, f->bloblen);
	default:
		return qtfs_proto_pack(b, fmt, f->str);
	}
}

/* Build the message described by @m into @buf; returns its length or -errno. */
static int build_msg(const struct gen_msg *m, u8 *buf, u32 cap, u64 id)
{
	struct qtfs_buf b;
	unsigned int i;
	int ret;

	qtfs_buf_init(&b, buf, cap);
	qtfs_proto_begin(&b, m->opcode, m->reply ? QTFS_HDR_REPLY : 0, id, 0);
	for (i = 0; i < m->nfields; i++) {
		ret = pack_field(&b, &m->f[i]);
		if (ret)
			return ret;
	}
	ret = qtfs_proto_end(&b);
	return ret ? ret : (int)b.pos;
}

/*
 * Every unpack argument is a pointer, so one call with MAX_ARGS of them
 * decodes any format in a single qtfs_proto_unpack(); the codec stops at the
 * end of @fmt and ignores the rest.  The slots are void * and the codec reads
 * them as u32 * etc.: all object pointers share one representation on the
 * ABIs Linux supports.
 */
static int unpack_slots(struct qtfs_buf *b, const char *fmt, void *const a[MAX_ARGS])
{
	return qtfs_proto_unpack(b, fmt, a[0], a[1], a[2], a[3], a[4], a[5],
				 a[6], a[7], a[8], a[9], a[10], a[11], a[12],
				 a[13], a[14], a[15], a[16], a[17], a[18],
				 a[19], a[20], a[21], a[22], a[23], a[24],
				 a[25], a[26], a[27], a[28], a[29], a[30],
				 a[31]);
}

static int unpack_fields(struct gen_msg *m, struct qtfs_buf *b)
{
	void *a[MAX_ARGS] = { NULL };
	unsigned int i, n = 0;

	for (i = 0; i < m->nfields; i++) {
		struct field *f = &m->f[i];

		switch (f->c) {
		case 'b': a[n++] = &f->out.b; break;
		case 'h': a[n++] = &f->out.h; break;
		case 'd': a[n++] = &f->out.d; break;
		case 'q': a[n++] = &f->out.q; break;
		case 'C': a[n++] = &f->out.cred; break;
		case 'A': a[n++] = &f->out.attr; break;
		case 'B':
			a[n++] = &f->out.blob;
			a[n++] = &f->out.bloblen;
			break;
		default: a[n++] = &f->out.str; break;
		}
	}
	return unpack_slots(b, m->fmt, a);
}

#define FIELD_EQ(ctx, i, c, got, want)						\
	ck_assert_msg((got) == (want), "%s field %u '%c': %s = %#llx, want %#llx", \
		      ctx, i, c, #got, (unsigned long long)(got),		\
		      (unsigned long long)(want))

static void check_attr(const char *ctx, unsigned int i,
		       const struct qtfs_attr *got, const struct qtfs_attr *want)
{
	FIELD_EQ(ctx, i, 'A', got->ino, want->ino);
	FIELD_EQ(ctx, i, 'A', got->size, want->size);
	FIELD_EQ(ctx, i, 'A', got->blocks, want->blocks);
	FIELD_EQ(ctx, i, 'A', got->atime_sec, want->atime_sec);
	FIELD_EQ(ctx, i, 'A', got->mtime_sec, want->mtime_sec);
	FIELD_EQ(ctx, i, 'A', got->ctime_sec, want->ctime_sec);
	FIELD_EQ(ctx, i, 'A', got->atime_nsec, want->atime_nsec);
	FIELD_EQ(ctx, i, 'A', got->mtime_nsec, want->mtime_nsec);
	FIELD_EQ(ctx, i, 'A', got->ctime_nsec, want->ctime_nsec);
	FIELD_EQ(ctx, i, 'A', got->mode, want->mode);
	FIELD_EQ(ctx, i, 'A', got->nlink, want->nlink);
	FIELD_EQ(ctx, i, 'A', got->uid, want->uid);
	FIELD_EQ(ctx, i, 'A', got->gid, want->gid);
	FIELD_EQ(ctx, i, 'A', got->rdev_major, want->rdev_major);
	FIELD_EQ(ctx, i, 'A', got->rdev_minor, want->rdev_minor);
	FIELD_EQ(ctx, i, 'A', got->blksize, want->blksize);
}

static void check_cred(const char *ctx, unsigned int i,
		       const struct qtfs_cred *got, const struct qtfs_cred *want)
{
	unsigned int g;

	FIELD_EQ(ctx, i, 'C', got->fsuid, want->fsuid);
	FIELD_EQ(ctx, i, 'C', got->fsgid, want->fsgid);
	FIELD_EQ(ctx, i, 'C', got->ngroups, want->ngroups);
	for (g = 0; g < want->ngroups; g++)
		FIELD_EQ(ctx, i, 'C', got->groups[g], want->groups[g]);
}

/* Compare what was unpacked from @buf (@len bytes) with what was packed. */
static void check_fields(const char *ctx, const struct gen_msg *m,
			 const u8 *buf, u32 len)
{
	unsigned int i;

	for (i = 0; i < m->nfields; i++) {
		const struct field *f = &m->f[i];

		switch (f->c) {
		case 'b':
			FIELD_EQ(ctx, i, f->c, f->out.b, f->num);
			break;
		case 'h':
			FIELD_EQ(ctx, i, f->c, f->out.h, f->num);
			break;
		case 'd':
			FIELD_EQ(ctx, i, f->c, f->out.d, f->num);
			break;
		case 'q':
			FIELD_EQ(ctx, i, f->c, f->out.q, f->num);
			break;
		case 'C':
			check_cred(ctx, i, &f->out.cred, &f->cred);
			break;
		case 'A':
			check_attr(ctx, i, &f->out.attr, &f->attr);
			break;
		case 'B':
			FIELD_EQ(ctx, i, f->c, f->out.bloblen, f->bloblen);
			ck_assert_msg((const u8 *)f->out.blob >= buf &&
				      (const u8 *)f->out.blob + f->bloblen <= buf + len,
				      "%s field %u: blob outside the message", ctx, i);
			ck_assert_msg(!f->bloblen ||
				      !memcmp(f->out.blob, f->blob, f->bloblen),
				      "%s field %u: blob bytes differ", ctx, i);
			break;
		default:
			ck_assert_msg((const u8 *)f->out.str >= buf &&
				      (const u8 *)f->out.str + strlen(f->str) < buf + len,
				      "%s field %u: string outside the message", ctx, i);
			ck_assert_msg(!strcmp(f->out.str, f->str),
				      "%s field %u '%c': string differs (len %zu, want %zu)",
				      ctx, i, f->c, strlen(f->out.str), strlen(f->str));
			break;
		}
	}
}

/* The ids used for generated messages: distinct per opcode and direction. */
static u64 gen_id(u16 opcode, bool reply)
{
	return 0x8000000000000000ULL | (u64)opcode << 32 | reply << 16 | 0x1234;
}

static void *xmemdup(const void *p, size_t len)
{
	void *q = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(q);
	memcpy(q, p, len);
	return q;
}

static void setup(void)
{
	msg = malloc(QTFS_MSG_MAX);
	gm = calloc(1, sizeof(*gm));
	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(gm);
}

static void teardown(void)
{
	if (gm)
		gen_free(gm);
	free(gm);
	free(msg);
	gm = NULL;
	msg = NULL;
}

/* ------------------------------------------------------------------ */
/* Round trip of every opcode                                          */
/* ------------------------------------------------------------------ */

static void roundtrip(u16 opcode, bool reply, enum gen_mode mode)
{
	const struct qtfs_op_desc *desc = qtfs_op_desc(opcode);
	struct qtfs_msg_hdr h;
	struct qtfs_buf b;
	u32 min, max, plen;
	char ctx[64];
	const char *fmt;
	int len;
	u8 *copy;

	ck_assert_msg(desc != NULL, "opcode %u has no descriptor", opcode);
	fmt = reply ? desc->rsp_fmt : desc->req_fmt;
	snprintf(ctx, sizeof(ctx), "%s %s (%s) %s", desc->name,
		 reply ? "reply" : "request", fmt, gen_mode_name[mode]);
	ck_assert_msg(!gen_fields(gm, opcode, reply, fmt, mode),
		      "%s: cannot generate values", ctx);

	len = build_msg(gm, msg, QTFS_MSG_MAX, gen_id(opcode, reply));
	ck_assert_msg(len > 0, "%s: packing failed: %d", ctx, len);
	/* An exact-size copy, so valgrind sees any read past the end. */
	copy = xmemdup(msg, len);

	ck_assert_int_eq(qtfs_proto_decode_hdr(copy, &h), 0);
	ck_assert_uint_eq(h.len, len);
	ck_assert_uint_eq(h.opcode, opcode);
	ck_assert_uint_eq(h.flags, reply ? QTFS_HDR_REPLY : 0);
	ck_assert(h.id == gen_id(opcode, reply));
	ck_assert_int_eq(h.error, 0);

	plen = len - QTFS_HDR_SIZE;
	ck_assert_int_eq(qtfs_fmt_bounds(fmt, &min, &max), 0);
	ck_assert_msg(min <= plen && plen <= max, "%s: payload %u outside [%u, %u]",
		      ctx, plen, min, max);
	if (mode == GEN_MIN)
		ck_assert_msg(plen == min, "%s: payload %u, min %u", ctx, plen, min);
	if (mode == GEN_MAX)
		ck_assert_msg(plen == max, "%s: payload %u, max %u", ctx, plen, max);
	ck_assert_msg(qtfs_proto_validate(&h, copy + QTFS_HDR_SIZE) == 0,
		      "%s: validate rejects a packed message", ctx);

	qtfs_buf_init(&b, copy + QTFS_HDR_SIZE, plen);
	ck_assert_msg(unpack_fields(gm, &b) == 0, "%s: unpack failed", ctx);
	ck_assert_msg(b.pos == plen, "%s: unpack used %u of %u bytes", ctx,
		      b.pos, plen);
	check_fields(ctx, gm, copy + QTFS_HDR_SIZE, plen);
	free(copy);
}

START_TEST(test_roundtrip_req)
{
	roundtrip(_i, false, GEN_TYPICAL);
}
END_TEST

START_TEST(test_roundtrip_rsp)
{
	roundtrip(_i, true, GEN_TYPICAL);
}
END_TEST

START_TEST(test_roundtrip_req_min)
{
	roundtrip(_i, false, GEN_MIN);
}
END_TEST

START_TEST(test_roundtrip_rsp_min)
{
	roundtrip(_i, true, GEN_MIN);
}
END_TEST

START_TEST(test_roundtrip_req_max)
{
	roundtrip(_i, false, GEN_MAX);
}
END_TEST

START_TEST(test_roundtrip_rsp_max)
{
	roundtrip(_i, true, GEN_MAX);
}
END_TEST

/*
 * A payload-only format using every character, 'b' included (no opcode
 * uses it yet); _i is the enum gen_mode.
 */
START_TEST(test_roundtrip_all_chars)
{
	static const char fmt[] = "bhdqCAspnBbqhd";
	struct qtfs_buf b;
	u32 min, max, len;
	unsigned int i;

	ck_assert_int_eq(gen_fields(gm, 0, false, fmt, _i), 0);
	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	for (i = 0; i < gm->nfields; i++)
		ck_assert_int_eq(pack_field(&b, &gm->f[i]), 0);
	len = b.pos;
	ck_assert_int_eq(qtfs_fmt_bounds(fmt, &min, &max), 0);
	if (_i == GEN_MIN)
		ck_assert_uint_eq(len, min);
	if (_i == GEN_MAX)
		ck_assert_uint_eq(len, max);

	qtfs_buf_init(&b, msg, len);
	ck_assert_int_eq(unpack_fields(gm, &b), 0);
	ck_assert_uint_eq(b.pos, len);
	check_fields(gen_mode_name[_i], gm, msg, len);
}
END_TEST

/*
 * The generic round trip packs one field per call.  These whole-format
 * calls check that qtfs_proto_pack() walks a multi-field argument list the
 * same way, for formats covering every argument class next to every other.
 */
#define U32(i)	((u32)f[i].num)
#define U64(i)	(f[i].num)
#define CRED(i)	(&f[i].cred)
#define ATTR(i)	(&f[i].attr)
#define STR(i)	(f[i].str)
#define BLOB(i)	((const void *)f[i].blob), f[i].bloblen
#define WHOLE(op, rep, format, ...)					\
	case QTFS_OP_##op << 1 | (rep):					\
		ck_assert_str_eq(m->fmt, format);			\
		return qtfs_proto_pack(b, format, __VA_ARGS__)

/* Returns 1 for an opcode and direction without a whole-format case. */
static int pack_whole(struct qtfs_buf *b, const struct gen_msg *m)
{
	const struct field *f = m->f;

	switch (m->opcode << 1 | m->reply) {
	WHOLE(HELLO, 0, "dhhddB", U32(0), U32(1), U32(2), U32(3), U32(4),
	      BLOB(5));
	WHOLE(HELLO, 1, "dhhddB", U32(0), U32(1), U32(2), U32(3), U32(4),
	      BLOB(5));
	WHOLE(MOUNT, 0, "Cs", CRED(0), STR(1));
	WHOLE(LOOKUP, 0, "Cpn", CRED(0), STR(1), STR(2));
	WHOLE(SETATTR, 0, "Cpqddddqqdqd", CRED(0), STR(1), U64(2), U32(3),
	      U32(4), U32(5), U32(6), U64(7), U64(8), U32(9), U64(10), U32(11));
	WHOLE(OPEN, 1, "qA", U64(0), ATTR(1));
	WHOLE(WRITE, 0, "CqqB", CRED(0), U64(1), U64(2), BLOB(3));
	WHOLE(WRITE, 1, "dA", U32(0), ATTR(1));
	WHOLE(MKNOD, 0, "Cpndddd", CRED(0), STR(1), STR(2), U32(3), U32(4),
	      U32(5), U32(6));
	WHOLE(RENAME, 0, "Cpnpnd", CRED(0), STR(1), STR(2), STR(3), STR(4),
	      U32(5));
	WHOLE(SYMLINK, 0, "Cpns", CRED(0), STR(1), STR(2), STR(3));
	WHOLE(READDIR, 1, "dB", U32(0), BLOB(1));
	WHOLE(STATFS, 1, "qqqqqqdddd", U64(0), U64(1), U64(2), U64(3), U64(4),
	      U64(5), U32(6), U32(7), U32(8), U32(9));
	WHOLE(SETXATTR, 0, "CpsBd", CRED(0), STR(1), STR(2), BLOB(3), U32(4));
	WHOLE(LOCK, 0, "Cqqddqqd", CRED(0), U64(1), U64(2), U32(3), U32(4),
	      U64(5), U64(6), U32(7));
	WHOLE(LOCK, 1, "dqqd", U32(0), U64(1), U64(2), U32(3));
	WHOLE(EVENT, 0, "qd", U64(0), U32(1));
	WHOLE(FALLOCATE, 0, "Cqdqq", CRED(0), U64(1), U32(2), U64(3), U64(4));
	default:
		return 1;
	}
}

#undef U32
#undef U64
#undef CRED
#undef ATTR
#undef STR
#undef BLOB
#undef WHOLE

static void whole_pack(u16 opcode, bool reply)
{
	const struct qtfs_op_desc *desc = qtfs_op_desc(opcode);
	u8 *whole = malloc(QTFS_MSG_MAX);
	struct qtfs_buf b;
	int len, ret;

	ck_assert_ptr_nonnull(whole);
	ck_assert_ptr_nonnull(desc);
	ck_assert_int_eq(gen_fields(gm, opcode, reply,
				    reply ? desc->rsp_fmt : desc->req_fmt,
				    GEN_TYPICAL), 0);
	len = build_msg(gm, msg, QTFS_MSG_MAX, 7);
	ck_assert_int_gt(len, 0);

	qtfs_buf_init(&b, whole, QTFS_MSG_MAX);
	qtfs_proto_begin(&b, opcode, reply ? QTFS_HDR_REPLY : 0, 7, 0);
	ret = pack_whole(&b, gm);
	if (ret != 1) {
		ck_assert_int_eq(ret, 0);
		ck_assert_int_eq(qtfs_proto_end(&b), 0);
		ck_assert_uint_eq(b.pos, len);
		ck_assert_msg(!memcmp(whole, msg, len),
			      "%s: whole-format and per-field packing differ",
			      desc->name);
	}
	free(whole);
}

START_TEST(test_whole_pack_req)
{
	whole_pack(_i, false);
}
END_TEST

START_TEST(test_whole_pack_rsp)
{
	whole_pack(_i, true);
}
END_TEST

START_TEST(test_op_desc_table)
{
	const struct qtfs_op_desc *d;
	u32 op, min, max, other;

	for (op = 1; op <= QTFS_OP_MAX; op++) {
		d = qtfs_op_desc(op);
		ck_assert_msg(d != NULL, "opcode %u has no descriptor", op);
		ck_assert(d->name && d->name[0]);
		for (other = 1; other < op; other++)
			ck_assert_str_ne(d->name, qtfs_op_desc(other)->name);
		ck_assert_int_eq(qtfs_fmt_bounds(d->req_fmt, &min, &max), 0);
		ck_assert_msg(QTFS_HDR_SIZE + max <= QTFS_MSG_MAX,
			      "%s request can exceed QTFS_MSG_MAX", d->name);
		ck_assert_int_eq(qtfs_fmt_bounds(d->rsp_fmt, &min, &max), 0);
		ck_assert_msg(QTFS_HDR_SIZE + max <= QTFS_MSG_MAX,
			      "%s reply can exceed QTFS_MSG_MAX", d->name);
		/* every request but HELLO and the unsolicited EVENT has C */
		if (op != QTFS_OP_HELLO && op != QTFS_OP_EVENT)
			ck_assert_msg(d->req_fmt[0] == 'C',
				      "%s request lacks credentials", d->name);
	}
	ck_assert_str_eq(qtfs_op_desc(QTFS_OP_LOOKUP)->name, "LOOKUP");
	ck_assert_ptr_null(qtfs_op_desc(0));
	ck_assert_ptr_null(qtfs_op_desc(QTFS_OP_MAX + 1));
	ck_assert_ptr_null(qtfs_op_desc(0xffff));
	ck_assert_ptr_null(qtfs_op_desc(UINT32_MAX));
}
END_TEST

START_TEST(test_fmt_bounds)
{
	u32 min, max;

	ck_assert_int_eq(qtfs_fmt_bounds("", &min, &max), 0);
	ck_assert_uint_eq(min, 0);
	ck_assert_uint_eq(max, 0);
	ck_assert_int_eq(qtfs_fmt_bounds("bhdq", &min, &max), 0);
	ck_assert_uint_eq(min, 15);
	ck_assert_uint_eq(max, 15);
	ck_assert_int_eq(qtfs_fmt_bounds("C", &min, &max), 0);
	ck_assert_uint_eq(min, sizeof(struct qtfs_wire_cred));
	ck_assert_uint_eq(max, sizeof(struct qtfs_wire_cred) +
			       QTFS_NGROUPS_MAX * 4);
	ck_assert_int_eq(qtfs_fmt_bounds("A", &min, &max), 0);
	ck_assert_uint_eq(min, sizeof(struct qtfs_wire_attr));
	ck_assert_uint_eq(max, sizeof(struct qtfs_wire_attr));
	ck_assert_int_eq(qtfs_fmt_bounds("n", &min, &max), 0);
	ck_assert_uint_eq(min, 2 + 1 + 1);
	ck_assert_uint_eq(max, 2 + QTFS_NAME_MAX + 1);
	ck_assert_int_eq(qtfs_fmt_bounds("p", &min, &max), 0);
	ck_assert_uint_eq(min, 2 + 0 + 1);
	ck_assert_uint_eq(max, 2 + QTFS_PATH_MAX - 1 + 1);
	ck_assert_int_eq(qtfs_fmt_bounds("B", &min, &max), 0);
	ck_assert_uint_eq(min, 4);
	ck_assert_uint_eq(max, 4 + QTFS_IO_MAX);
	ck_assert_int_eq(qtfs_fmt_bounds("dx", &min, &max), -EINVAL);
	ck_assert_int_eq(qtfs_fmt_bounds("%", &min, &max), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Header                                                              */
/* ------------------------------------------------------------------ */

static u32 get_le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static u64 get_le64(const u8 *p)
{
	return get_le32(p) | (u64)get_le32(p + 4) << 32;
}

static const struct hdr_case {
	u16 opcode;
	u16 flags;
	u64 id;
	s32 error;
} hdr_cases[] = {
	{ QTFS_OP_LOOKUP, QTFS_HDR_REPLY, 0x0123456789abcdefULL, -ENOENT },
	{ QTFS_OP_LOOKUP, 0, 1, 0 },
	{ QTFS_OP_HELLO, QTFS_HDR_REPLY, 1, 0 },
	{ QTFS_OP_EVENT, 0, 0, 0 },
	{ QTFS_OP_READ, QTFS_HDR_REPLY, UINT64_MAX, -1 },
	{ QTFS_OP_WRITE, QTFS_HDR_REPLY, 42, -QTFS_ERRNO_MAX },
	{ QTFS_OP_FALLOCATE, QTFS_HDR_REPLY, 43, -EOPNOTSUPP },
	/* decode_hdr leaves the opcode to qtfs_op_desc(): it round-trips */
	{ 0xffff, 0, 44, 0 },
};

START_TEST(test_hdr_roundtrip)
{
	const struct hdr_case *t = &hdr_cases[_i];
	struct qtfs_msg_hdr h;
	struct qtfs_buf b;
	u8 *copy;

	memset(msg, 0xee, QTFS_HDR_SIZE);
	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	qtfs_proto_begin(&b, t->opcode, t->flags, t->id, t->error);
	ck_assert_int_eq(qtfs_proto_end(&b), 0);
	ck_assert_uint_eq(b.pos, QTFS_HDR_SIZE);

	/* the wire layout: little endian, reserved zeroed */
	ck_assert_uint_eq(get_le32(msg), QTFS_HDR_SIZE);
	ck_assert_uint_eq(msg[4] | msg[5] << 8, t->opcode);
	ck_assert_uint_eq(msg[6] | msg[7] << 8, t->flags);
	ck_assert(get_le64(msg + 8) == t->id);
	ck_assert_uint_eq(get_le32(msg + 16), (u32)t->error);
	ck_assert_uint_eq(get_le32(msg + 20), 0);

	copy = xmemdup(msg, QTFS_HDR_SIZE);
	ck_assert_int_eq(qtfs_proto_decode_hdr(copy, &h), 0);
	ck_assert_uint_eq(h.len, QTFS_HDR_SIZE);
	ck_assert_uint_eq(h.opcode, t->opcode);
	ck_assert_uint_eq(h.flags, t->flags);
	ck_assert(h.id == t->id);
	ck_assert_int_eq(h.error, t->error);
	/* error replies carry no payload; other empty payloads per format */
	if (h.error)
		ck_assert_int_eq(qtfs_proto_validate(&h, copy + QTFS_HDR_SIZE), 0);
	else if (t->opcode > QTFS_OP_MAX)
		ck_assert_int_eq(qtfs_proto_validate(&h, copy + QTFS_HDR_SIZE),
				 -ENOSYS);
	free(copy);
}
END_TEST

START_TEST(test_errno_valid)
{
	ck_assert(qtfs_proto_errno_valid(0));
	ck_assert(qtfs_proto_errno_valid(-1));
	ck_assert(qtfs_proto_errno_valid(-ENOENT));
	ck_assert(qtfs_proto_errno_valid(-QTFS_ERRNO_MAX));
	ck_assert(!qtfs_proto_errno_valid(-QTFS_ERRNO_MAX - 1));
	ck_assert(!qtfs_proto_errno_valid(-512));	/* ERESTARTSYS */
	ck_assert(!qtfs_proto_errno_valid(-4095));
	ck_assert(!qtfs_proto_errno_valid(1));
	ck_assert(!qtfs_proto_errno_valid(INT32_MIN));
	ck_assert(!qtfs_proto_errno_valid(INT32_MAX));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Field kinds at their boundaries                                     */
/* ------------------------------------------------------------------ */

START_TEST(test_attr)
{
	const struct qtfs_attr want = {
		.ino = 0x0102030405060708ULL,
		.size = 0x1112131415161718ULL,
		.blocks = 0x2122232425262728ULL,
		.atime_sec = -1,
		.mtime_sec = INT64_MIN,
		.ctime_sec = -1234567890123LL,
		.atime_nsec = 0,
		.mtime_nsec = NSEC_PER_SEC - 1,
		.ctime_nsec = 123456789,
		.mode = 0100644,
		.nlink = 0x31323334,
		.uid = 0x41424344,
		.gid = 0x51525354,
		.rdev_major = 0x61626364,
		.rdev_minor = 0x71727374,
		.blksize = 0x81828384,
	};
	const u8 *w = msg;
	struct qtfs_attr got;
	struct qtfs_buf b;

	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	ck_assert_int_eq(qtfs_proto_pack(&b, "A", &want), 0);
	ck_assert_uint_eq(b.pos, sizeof(struct qtfs_wire_attr));

	/* each field lands where struct qtfs_wire_attr says, little endian */
#define AT(f) (w + offsetof(struct qtfs_wire_attr, f))
	ck_assert(get_le64(AT(ino)) == want.ino);
	ck_assert(get_le64(AT(size)) == want.size);
	ck_assert(get_le64(AT(blocks)) == want.blocks);
	ck_assert(get_le64(AT(atime_sec)) == (u64)want.atime_sec);
	ck_assert(get_le64(AT(mtime_sec)) == (u64)want.mtime_sec);
	ck_assert(get_le64(AT(ctime_sec)) == (u64)want.ctime_sec);
	ck_assert_uint_eq(get_le32(AT(atime_nsec)), want.atime_nsec);
	ck_assert_uint_eq(get_le32(AT(mtime_nsec)), want.mtime_nsec);
	ck_assert_uint_eq(get_le32(AT(ctime_nsec)), want.ctime_nsec);
	ck_assert_uint_eq(get_le32(AT(mode)), want.mode);
	ck_assert_uint_eq(get_le32(AT(nlink)), want.nlink);
	ck_assert_uint_eq(get_le32(AT(uid)), want.uid);
	ck_assert_uint_eq(get_le32(AT(gid)), want.gid);
	ck_assert_uint_eq(get_le32(AT(rdev_major)), want.rdev_major);
	ck_assert_uint_eq(get_le32(AT(rdev_minor)), want.rdev_minor);
	ck_assert_uint_eq(get_le32(AT(blksize)), want.blksize);
	ck_assert_uint_eq(get_le32(AT(reserved)), 0);
	ck_assert_uint_eq(get_le32(AT(reserved) + 4), 0);
#undef AT

	memset(&got, 0xa5, sizeof(got));
	qtfs_buf_init(&b, msg, sizeof(struct qtfs_wire_attr));
	ck_assert_int_eq(qtfs_proto_unpack(&b, "A", &got), 0);
	check_attr("attr", 0, &got, &want);
}
END_TEST

static const u32 cred_ngroups[] = { 0, 1, QTFS_NGROUPS_MAX };

START_TEST(test_cred)
{
	struct qtfs_cred want, got;
	struct qtfs_buf b;
	u32 i, n = cred_ngroups[_i];

	memset(&want, 0, sizeof(want));
	want.fsuid = 1000 + _i;
	want.fsgid = 0xfffffffe;
	want.ngroups = n;
	for (i = 0; i < n; i++)
		want.groups[i] = 0x80000000u + i * 7919;

	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	ck_assert_int_eq(qtfs_proto_pack(&b, "C", &want), 0);
	ck_assert_uint_eq(b.pos, sizeof(struct qtfs_wire_cred) + 4 * n);
	ck_assert_uint_eq(get_le32(msg), want.fsuid);
	ck_assert_uint_eq(get_le32(msg + 4), want.fsgid);
	ck_assert_uint_eq(msg[8] | msg[9] << 8, n);
	for (i = 10; i < sizeof(struct qtfs_wire_cred); i++)
		ck_assert_uint_eq(msg[i], 0);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(get_le32(msg + 16 + 4 * i), want.groups[i]);

	memset(&got, 0xa5, sizeof(got));
	qtfs_buf_init(&b, msg, sizeof(struct qtfs_wire_cred) + 4 * n);
	ck_assert_int_eq(qtfs_proto_unpack(&b, "C", &got), 0);
	ck_assert_uint_eq(b.pos, b.size);
	check_cred("cred", 0, &got, &want);
}
END_TEST

/*
 * Strings: @fill builds @len bytes: 'x' repeated (FILL_NAME), components of
 * @comp bytes joined by '/' (FILL_PATH), or the literal @lit.
 */
enum str_fill { FILL_LIT, FILL_NAME, FILL_PATH };

static const struct str_case {
	char kind;
	enum str_fill fill;
	const char *lit;
	u32 len;
	u32 comp;
	int pack_err;
} str_cases[] = {
	{ 'n', FILL_NAME, NULL, QTFS_NAME_MAX, 0, 0 },
	{ 'n', FILL_NAME, NULL, QTFS_NAME_MAX + 1, 0, -EINVAL },
	{ 'n', FILL_LIT, "x", 0, 0, 0 },
	{ 'n', FILL_LIT, "...", 0, 0, 0 },
	{ 'n', FILL_LIT, ".hidden", 0, 0, 0 },
	{ 'n', FILL_LIT, "", 0, 0, -EINVAL },
	{ 'p', FILL_PATH, NULL, QTFS_PATH_MAX - 1, QTFS_NAME_MAX, 0 },
	{ 'p', FILL_PATH, NULL, QTFS_PATH_MAX, QTFS_NAME_MAX, -EINVAL },
	{ 'p', FILL_PATH, NULL, QTFS_NAME_MAX + 1, QTFS_NAME_MAX + 1, -EINVAL },
	{ 'p', FILL_LIT, "", 0, 0, 0 },
	{ 'p', FILL_LIT, "a/b/c", 0, 0, 0 },
	{ 'p', FILL_LIT, "a/.b/...", 0, 0, 0 },
	{ 's', FILL_NAME, NULL, QTFS_PATH_MAX - 1, 0, 0 },
	{ 's', FILL_NAME, NULL, QTFS_PATH_MAX, 0, -EINVAL },
	{ 's', FILL_LIT, "", 0, 0, 0 },
	{ 's', FILL_LIT, "/", 0, 0, 0 },
	{ 's', FILL_LIT, "..", 0, 0, 0 },
	{ 's', FILL_LIT, "/abs//x/../y/", 0, 0, 0 },
};

START_TEST(test_string)
{
	const struct str_case *t = &str_cases[_i];
	const char fmt[2] = { t->kind, '\0' };
	char *s = malloc(QTFS_PATH_MAX + 2);
	const char *got = NULL;
	struct qtfs_buf b;
	u32 len;

	ck_assert_ptr_nonnull(s);
	if (t->fill == FILL_LIT)
		strcpy(s, t->lit);
	else if (t->fill == FILL_NAME)
		fill_name(s, t->len, _i);
	else
		fill_path(s, t->len, t->comp, _i);
	len = strlen(s);

	memset(msg, 0xee, 8);
	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	ck_assert_int_eq(qtfs_proto_pack(&b, fmt, s), t->pack_err);
	if (t->pack_err) {
		ck_assert_uint_eq(b.pos, 0);
		ck_assert_int_eq(b.err, t->pack_err);
		free(s);
		return;
	}
	ck_assert_uint_eq(b.pos, 2 + len + 1);
	ck_assert_uint_eq(msg[0] | msg[1] << 8, len);
	ck_assert_uint_eq(msg[2 + len], 0);

	qtfs_buf_init(&b, msg, 2 + len + 1);
	ck_assert_int_eq(qtfs_proto_unpack(&b, fmt, &got), 0);
	ck_assert_ptr_eq(got, (const char *)msg + 2);
	ck_assert_str_eq(got, s);
	free(s);
}
END_TEST

static const u32 blob_lens[] = { 0, 1, 7, 4096, QTFS_IO_MAX - 1, QTFS_IO_MAX };

START_TEST(test_blob)
{
	u32 len = blob_lens[_i], got_len = 0xa5a5a5a5, i;
	u8 *data = malloc(len ? len : 1);
	const void *got = NULL;
	struct qtfs_buf b;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < len; i++)
		data[i] = (u8)(0xa5 ^ (i * 31 + (i >> 8)));
	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	ck_assert_int_eq(qtfs_proto_pack(&b, "B", data, len), 0);
	ck_assert_uint_eq(b.pos, 4 + len);
	ck_assert_uint_eq(get_le32(msg), len);

	qtfs_buf_init(&b, msg, 4 + len);
	ck_assert_int_eq(qtfs_proto_unpack(&b, "B", &got, &got_len), 0);
	ck_assert_uint_eq(got_len, len);
	ck_assert_ptr_eq(got, msg + 4);
	ck_assert(!memcmp(got, data, len));
	free(data);
}
END_TEST

START_TEST(test_blob_push_trim)
{
	const void *got;
	struct qtfs_buf b;
	u32 got_len;
	u8 *p, *q;

	qtfs_buf_init(&b, msg, 256);
	ck_assert_ptr_nonnull(qtfs_buf_push(&b, 8));
	p = qtfs_buf_push_blob(&b, 100);
	ck_assert_ptr_eq(p, msg + 12);
	ck_assert_uint_eq(b.pos, 112);
	memset(p, 'z', 100);

	qtfs_buf_trim_blob(&b, p, 10);
	ck_assert_uint_eq(b.pos, 22);
	ck_assert_uint_eq(get_le32(msg + 8), 10);
	/* longer than reserved: ignored */
	qtfs_buf_trim_blob(&b, p, 11);
	ck_assert_uint_eq(b.pos, 22);
	ck_assert_uint_eq(get_le32(msg + 8), 10);

	qtfs_buf_init(&b, msg + 8, 14);
	ck_assert_int_eq(qtfs_proto_unpack(&b, "B", &got, &got_len), 0);
	ck_assert_uint_eq(got_len, 10);
	ck_assert_uint_eq(b.pos, 14);

	/* not the last field any more: ignored */
	qtfs_buf_init(&b, msg, 256);
	p = qtfs_buf_push_blob(&b, 16);
	q = qtfs_buf_push(&b, 4);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	qtfs_buf_trim_blob(&b, p, 4);
	ck_assert_uint_eq(b.pos, 24);
	ck_assert_uint_eq(get_le32(msg), 16);

	/* to zero */
	qtfs_buf_init(&b, msg, 256);
	p = qtfs_buf_push_blob(&b, 16);
	qtfs_buf_trim_blob(&b, p, 0);
	ck_assert_uint_eq(b.pos, 4);
	ck_assert_uint_eq(get_le32(msg), 0);

	/* a cursor in error is left alone */
	qtfs_buf_init(&b, msg, 256);
	p = qtfs_buf_push_blob(&b, 16);
	b.err = -EMSGSIZE;
	qtfs_buf_trim_blob(&b, p, 0);
	ck_assert_uint_eq(b.pos, 20);
	ck_assert_uint_eq(get_le32(msg), 16);

	/* zero-length blob */
	qtfs_buf_init(&b, msg, 256);
	ck_assert_ptr_nonnull(qtfs_buf_push_blob(&b, 0));
	ck_assert_uint_eq(b.pos, 4);
}
END_TEST

/* 'B' with NULL data reserves zeroed bytes to fill in place. */
START_TEST(test_blob_reserve)
{
	struct qtfs_buf b;
	u32 i;
	u8 *p;

	memset(msg, 0xee, 64);
	qtfs_buf_init(&b, msg, 64);
	ck_assert_int_eq(qtfs_proto_pack(&b, "dB", 7u, NULL, 16u), 0);
	ck_assert_uint_eq(b.pos, 4 + 4 + 16);
	ck_assert_uint_eq(get_le32(msg + 4), 16);
	for (i = 8; i < b.pos; i++)
		ck_assert_uint_eq(msg[i], 0);
	p = msg + b.pos - 16;
	memcpy(p, "0123456789", 10);
	qtfs_buf_trim_blob(&b, p, 10);
	ck_assert_uint_eq(b.pos, 4 + 4 + 10);
	ck_assert_uint_eq(get_le32(msg + 4), 10);
}
END_TEST

START_TEST(test_blob_too_big)
{
	struct qtfs_buf b;
	u8 *big;

	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	ck_assert_ptr_null(qtfs_buf_push_blob(&b, QTFS_IO_MAX + 1));
	ck_assert_int_eq(b.err, -EMSGSIZE);
	ck_assert_uint_eq(b.pos, 0);

	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	ck_assert_ptr_null(qtfs_buf_push_blob(&b, UINT32_MAX));
	ck_assert_int_eq(b.err, -EMSGSIZE);

	big = calloc(1, QTFS_IO_MAX + 1);
	ck_assert_ptr_nonnull(big);
	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	ck_assert_int_eq(qtfs_proto_pack(&b, "dB", 5u, big, QTFS_IO_MAX + 1),
			 -EMSGSIZE);
	ck_assert_uint_eq(b.pos, 4);
	free(big);

	/* an exact fit, then one byte short */
	qtfs_buf_init(&b, msg, 4 + 10);
	ck_assert_ptr_nonnull(qtfs_buf_push_blob(&b, 10));
	qtfs_buf_init(&b, msg, 4 + 9);
	ck_assert_ptr_null(qtfs_buf_push_blob(&b, 10));
	ck_assert_int_eq(b.err, -EMSGSIZE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Pack-side rejections                                                */
/* ------------------------------------------------------------------ */

static const struct bad_pack {
	char kind;
	const char *str;
} bad_packs[] = {
	{ 'n', "." }, { 'n', ".." }, { 'n', "a/b" }, { 'n', "/" },
	{ 'n', "" }, { 'n', NULL },
	{ 'p', "/abs" }, { 'p', "a//b" }, { 'p', "a/../b" }, { 'p', "a/" },
	{ 'p', "/" }, { 'p', "." }, { 'p', "./a" }, { 'p', "a/." },
	{ 'p', ".." }, { 'p', NULL },
	{ 's', NULL },
};

START_TEST(test_pack_bad_string)
{
	const struct bad_pack *t = &bad_packs[_i];
	const char fmt[4] = { 'd', t->kind, 'd', '\0' };
	struct qtfs_buf b;

	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	qtfs_proto_begin(&b, QTFS_OP_LOOKUP, 0, 1, 0);
	ck_assert_msg(qtfs_proto_pack(&b, fmt, 1u, t->str, 2u) == -EINVAL,
		      "'%c' \"%s\" packed", t->kind, t->str ? t->str : "(null)");
	ck_assert_uint_eq(b.pos, QTFS_HDR_SIZE + 4);
	/* sticky: later fields and the end of the message fail too */
	ck_assert_int_eq(qtfs_proto_pack(&b, "d", 3u), -EINVAL);
	ck_assert_uint_eq(b.pos, QTFS_HDR_SIZE + 4);
	ck_assert_int_eq(qtfs_proto_end(&b), -EINVAL);
}
END_TEST

START_TEST(test_pack_overflow)
{
	struct qtfs_cred cred = { .ngroups = 2 };
	struct qtfs_buf b;

	/* the header fits, a u64 after it does not */
	memset(msg, 0xee, 64);
	qtfs_buf_init(&b, msg, QTFS_HDR_SIZE + 7);
	qtfs_proto_begin(&b, QTFS_OP_RELEASE, 0, 1, 0);
	ck_assert_int_eq(qtfs_proto_pack(&b, "q", 1ULL), -EMSGSIZE);
	ck_assert_uint_eq(b.pos, QTFS_HDR_SIZE);
	ck_assert_uint_eq(msg[QTFS_HDR_SIZE], 0xee);
	/* sticky, even for a field that would fit */
	ck_assert_int_eq(qtfs_proto_pack(&b, "b", 1u), -EMSGSIZE);
	ck_assert_uint_eq(b.pos, QTFS_HDR_SIZE);
	ck_assert_int_eq(qtfs_proto_end(&b), -EMSGSIZE);

	/* the header itself does not fit */
	qtfs_buf_init(&b, msg, QTFS_HDR_SIZE - 1);
	qtfs_proto_begin(&b, QTFS_OP_RELEASE, 0, 1, 0);
	ck_assert_int_eq(b.err, -EMSGSIZE);
	ck_assert_int_eq(qtfs_proto_end(&b), -EMSGSIZE);

	/* a string: its length fits, its bytes do not */
	qtfs_buf_init(&b, msg, 4);
	ck_assert_int_eq(qtfs_proto_pack(&b, "s", "abc"), -EMSGSIZE);
	/* credentials: the groups do not fit */
	qtfs_buf_init(&b, msg, sizeof(struct qtfs_wire_cred) + 4);
	ck_assert_int_eq(qtfs_proto_pack(&b, "C", &cred), -EMSGSIZE);
	/* attributes */
	qtfs_buf_init(&b, msg, sizeof(struct qtfs_wire_attr) - 1);
	ck_assert_int_eq(qtfs_proto_pack(&b, "A", &(struct qtfs_attr){ 0 }),
			 -EMSGSIZE);
	/* exact fit */
	qtfs_buf_init(&b, msg, 15);
	ck_assert_int_eq(qtfs_proto_pack(&b, "bhdq", 1u, 2u, 3u, 4ULL), 0);
	ck_assert_uint_eq(b.pos, 15);
}
END_TEST

START_TEST(test_pack_bad_cred)
{
	struct qtfs_cred cred = { .ngroups = QTFS_NGROUPS_MAX + 1 };
	struct qtfs_buf b;

	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	ck_assert_int_eq(qtfs_proto_pack(&b, "C", &cred), -EINVAL);
	ck_assert_uint_eq(b.pos, 0);
	cred.ngroups = UINT32_MAX;
	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	ck_assert_int_eq(qtfs_proto_pack(&b, "C", &cred), -EINVAL);
}
END_TEST

START_TEST(test_bad_format_char)
{
	const char *s = NULL;
	struct qtfs_buf b;
	u32 d = 0;

	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	ck_assert_int_eq(qtfs_proto_pack(&b, "dx", 1u, 2u), -EINVAL);
	ck_assert_uint_eq(b.pos, 4);
	memset(msg, 0, 16);
	qtfs_buf_init(&b, msg, 16);
	ck_assert_int_eq(qtfs_proto_unpack(&b, "dz", &d, &s), -EINVAL);
	qtfs_buf_init(&b, msg, 16);
	ck_assert_int_eq(qtfs_proto_unpack(&b, "d", &d), 0);
}
END_TEST

START_TEST(test_buf_pull)
{
	struct qtfs_buf b;

	qtfs_buf_init(&b, msg, 8);
	ck_assert_ptr_eq(qtfs_buf_pull(&b, 8), msg);
	ck_assert_ptr_nonnull(qtfs_buf_pull(&b, 0));
	ck_assert_ptr_null(qtfs_buf_pull(&b, 1));
	ck_assert_int_eq(b.err, -EPROTO);
	/* sticky */
	ck_assert_ptr_null(qtfs_buf_pull(&b, 0));

	qtfs_buf_init(&b, msg, 8);
	ck_assert_ptr_nonnull(qtfs_buf_pull(&b, 4));
	ck_assert_ptr_null(qtfs_buf_pull(&b, UINT32_MAX));
	ck_assert_int_eq(b.err, -EPROTO);
	ck_assert_uint_eq(b.pos, 4);

	qtfs_buf_init(&b, msg, 8);
	ck_assert_ptr_null(qtfs_buf_push(&b, 9));
	ck_assert_int_eq(b.err, -EMSGSIZE);
}
END_TEST

/* Unpacking a short buffer fails with -EPROTO at every field kind. */
START_TEST(test_unpack_short)
{
	static const char *const fmts[] = { "b", "h", "d", "q", "C", "A", "s",
					    "p", "n", "B" };
	struct qtfs_attr attr;
	struct qtfs_cred cred;
	const void *blob;
	const char *s;
	struct qtfs_buf b;
	u8 b8;
	u16 h16;
	u32 d32, bl, full;
	u64 q64;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fmts); i++) {
		struct qtfs_buf w;
		const char c = fmts[i][0];

		qtfs_buf_init(&w, msg, QTFS_MSG_MAX);
		switch (c) {
		case 'b': case 'h': case 'd':
			qtfs_proto_pack(&w, fmts[i], 1u);
			break;
		case 'q':
			qtfs_proto_pack(&w, fmts[i], 1ULL);
			break;
		case 'C':
			qtfs_proto_pack(&w, fmts[i],
					&(struct qtfs_cred){ .ngroups = 3 });
			break;
		case 'A':
			qtfs_proto_pack(&w, fmts[i], &(struct qtfs_attr){ 0 });
			break;
		case 'B':
			qtfs_proto_pack(&w, fmts[i], "abcdef", 6u);
			break;
		default:
			qtfs_proto_pack(&w, fmts[i], "abc");
			break;
		}
		ck_assert_int_eq(w.err, 0);
		full = w.pos;
		for (u32 len = 0; len < full; len++) {
			qtfs_buf_init(&b, msg, len);
			switch (c) {
			case 'b': qtfs_proto_unpack(&b, fmts[i], &b8); break;
			case 'h': qtfs_proto_unpack(&b, fmts[i], &h16); break;
			case 'd': qtfs_proto_unpack(&b, fmts[i], &d32); break;
			case 'q': qtfs_proto_unpack(&b, fmts[i], &q64); break;
			case 'C': qtfs_proto_unpack(&b, fmts[i], &cred); break;
			case 'A': qtfs_proto_unpack(&b, fmts[i], &attr); break;
			case 'B': qtfs_proto_unpack(&b, fmts[i], &blob, &bl); break;
			default: qtfs_proto_unpack(&b, fmts[i], &s); break;
			}
			ck_assert_msg(b.err == -EPROTO,
				      "'%c' unpacked from %u of %u bytes", c, len,
				      full);
		}
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Malformed messages                                                  */
/* ------------------------------------------------------------------ */

/* Raw payload bytes; adjacent literals keep escapes from running on. */
#define Z2	"\0\0"
#define Z4	Z2 Z2
#define Z8	Z4 Z4
#define Z16	Z8 Z8
#define Z32	Z16 Z16
#define Z96	Z32 Z32 Z32
/* credentials with @ng (two LE bytes) groups, none of them following */
#define RCRED(ng)	Z4 Z4 ng Z2 Z4
#define RCRED0		RCRED(Z2)
/* a string of @n (one byte, < 256) bytes */
#define RSTR(n, s)	n "\0" s "\0"
#define RAW(x)		.raw = (x), .rawlen = sizeof(x) - 1
#define TAIL(x)		.tail = (x), .taillen = sizeof(x) - 1
#define POKE(off, size, val) .poke_off = (off), .poke_size = (size), .poke_val = (val)
/* offsets in a message whose payload starts with credentials or attributes */
#define AT_CRED(f)	(QTFS_HDR_SIZE + offsetof(struct qtfs_wire_cred, f))
#define AT_ATTR(f)	(QTFS_HDR_SIZE + offsetof(struct qtfs_wire_attr, f))

/* Raw fields too long to spell out. */
static void raw_le(struct qtfs_buf *b, u64 v, u32 size)
{
	u8 *p = qtfs_buf_push(b, size);
	u32 i;

	for (i = 0; p && i < size; i++)
		p[i] = (u8)(v >> (8 * i));
}

static void raw_str_fill(struct qtfs_buf *b, u32 len)
{
	u8 *p;

	raw_le(b, len, 2);
	p = qtfs_buf_push(b, len + 1);
	if (p)
		memset(p, 'x', len);
}

static void raw_cred_groups(struct qtfs_buf *b, u32 ngroups, u32 present)
{
	u8 *p = qtfs_buf_push(b, sizeof(struct qtfs_wire_cred));

	if (p) {
		p[8] = (u8)ngroups;
		p[9] = (u8)(ngroups >> 8);
	}
	qtfs_buf_push(b, present * 4);
}

static void gen_str4095(struct qtfs_buf *b) { raw_str_fill(b, QTFS_PATH_MAX - 1); }
static void gen_str4096(struct qtfs_buf *b) { raw_str_fill(b, QTFS_PATH_MAX); }
static void gen_str255(struct qtfs_buf *b) { raw_str_fill(b, QTFS_NAME_MAX); }
static void gen_str256(struct qtfs_buf *b) { raw_str_fill(b, QTFS_NAME_MAX + 1); }
static void gen_groups64(struct qtfs_buf *b) { raw_cred_groups(b, 64, 64); }
static void gen_groups65(struct qtfs_buf *b) { raw_cred_groups(b, 65, 65); }
static void gen_groups3of2(struct qtfs_buf *b) { raw_cred_groups(b, 3, 2); }
static void gen_groupsffff(struct qtfs_buf *b) { raw_cred_groups(b, 0xffff, 64); }
static void gen_zero300(struct qtfs_buf *b) { qtfs_buf_push(b, 300); }

/*
 * One malformed (or, for the controls, well-formed) message: header fields,
 * then the payload @raw, @gen and @tail; the header's len is the bytes
 * written plus @len_adj (a positive @len_adj appends that many garbage
 * bytes); finally @poke_size bytes at @poke_off are set to @poke_val (LE).
 */
struct bad_msg {
	const char *name;
	u16 op;
	u16 flags;
	s32 error;
	const char *raw;
	u32 rawlen;
	void (*gen)(struct qtfs_buf *b);
	const char *tail;
	u32 taillen;
	s32 len_adj;
	u32 poke_off;
	u32 poke_size;
	u32 poke_val;
	int hdr_err;	/* from qtfs_proto_decode_hdr() */
	int val_err;	/* from qtfs_proto_validate(), if the header passed */
};

#define RPL QTFS_HDR_REPLY
#define OP(x) QTFS_OP_##x

static const struct bad_msg bad_msgs[] = {
	/* controls: the mutations below start from these */
	{ "ok UMOUNT", OP(UMOUNT), 0, 0, RAW(RCRED0) },
	{ "ok LOOKUP a b", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\1", "a") RSTR("\1", "b")) },
	{ "ok LOOKUP root ...", OP(LOOKUP), 0, 0, RAW(RCRED0 Z2 "\0" RSTR("\3", "...")) },
	{ "ok LOOKUP a/.b/c .x", OP(LOOKUP), 0, 0,
	  RAW(RCRED0 RSTR("\6", "a/.b/c") RSTR("\2", ".x")) },
	{ "ok LOOKUP n 255", OP(LOOKUP), 0, 0, RAW(RCRED0 Z2 "\0"), .gen = gen_str255 },
	{ "ok 64 groups", OP(UMOUNT), 0, 0, .gen = gen_groups64 },
	{ "ok reply -1", OP(LOOKUP), RPL, -1, .hdr_err = 0 },
	{ "ok reply -QTFS_ERRNO_MAX", OP(LOOKUP), RPL, -QTFS_ERRNO_MAX, .hdr_err = 0 },
	{ "ok MOUNT s 4095", OP(MOUNT), 0, 0, RAW(RCRED0), .gen = gen_str4095 },
	{ "ok READ reply empty blob", OP(READ), RPL, 0, RAW(Z4) },
	{ "ok attr nsec 999999999", OP(GETATTR), RPL, 0, RAW(Z96),
	  POKE(AT_ATTR(ctime_nsec), 4, NSEC_PER_SEC - 1) },
	{ "ok EVENT", OP(EVENT), 0, 0, RAW(Z8 Z4) },

	/* truncated header */
	{ "hdr len 0", OP(UMOUNT), 0, 0, .len_adj = -QTFS_HDR_SIZE, .hdr_err = -EPROTO },
	{ "hdr len 1", OP(UMOUNT), 0, 0, .len_adj = 1 - QTFS_HDR_SIZE, .hdr_err = -EPROTO },
	{ "hdr len 23", OP(UMOUNT), 0, 0, .len_adj = -1, .hdr_err = -EPROTO },
	{ "hdr len 23, payload follows", OP(UMOUNT), 0, 0, RAW(RCRED0),
	  .len_adj = -17, .hdr_err = -EPROTO },

	/* length mismatch */
	{ "trailing garbage", OP(UMOUNT), 0, 0, RAW(RCRED0), .len_adj = 4, .val_err = -EPROTO },
	{ "trailing byte", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\1", "a") RSTR("\1", "b")),
	  .len_adj = 1, .val_err = -EPROTO },
	{ "trailing byte after reply", OP(GETATTR), RPL, 0, RAW(Z96), .len_adj = 1,
	  .val_err = -EPROTO },
	{ "payload 1 short", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\1", "a") RSTR("\1", "b")),
	  .len_adj = -1, .val_err = -EPROTO },
	{ "payload empty", OP(UMOUNT), 0, 0, .val_err = -EPROTO },
	{ "HELLO 1 short", OP(HELLO), 0, 0, RAW(Z16 Z4), .len_adj = -1, .val_err = -EPROTO },
	{ "HELLO without blob", OP(HELLO), 0, 0, RAW(Z16), .val_err = -EPROTO },
	{ "groups missing", OP(UMOUNT), 0, 0, .gen = gen_groups3of2, .val_err = -EPROTO },
	{ "blob short", OP(READ), RPL, 0, RAW("\12" "\0\0\0" "abcde"), .val_err = -EPROTO },
	{ "string short", OP(MOUNT), 0, 0, RAW(RCRED0 "\5\0" "abc"), .val_err = -EPROTO },
	{ "string NUL cut", OP(MOUNT), 0, 0, RAW(RCRED0 RSTR("\3", "abc")), .len_adj = -1,
	  .val_err = -EPROTO },
	{ "request shaped as reply", OP(GETATTR), RPL, 0, RAW(RCRED0 Z2 "\0" Z8),
	  .val_err = -EPROTO },

	/* oversize */
	{ "blob IO_MAX + 1", OP(READ), RPL, 0, RAW("\1\0\20\0"), .val_err = -EPROTO },
	{ "blob 0xffffffff", OP(READ), RPL, 0, RAW("\377\377\377\377"), .val_err = -EPROTO },
	{ "s len 4096", OP(MOUNT), 0, 0, RAW(RCRED0), .gen = gen_str4096, .val_err = -EPROTO },
	{ "s len 0xffff", OP(MOUNT), 0, 0, RAW(RCRED0 "\377\377" "abc"), .val_err = -EPROTO },
	{ "len > format max", OP(UMOUNT), 0, 0, RAW(RCRED0), .gen = gen_zero300,
	  .val_err = -EPROTO },

	/* missing NUL */
	{ "s without NUL", OP(MOUNT), 0, 0, RAW(RCRED0 "\3\0" "abcX"), .val_err = -EPROTO },
	{ "s embedded NUL", OP(MOUNT), 0, 0, RAW(RCRED0 "\3\0" "a" "\0" "c" "\0"),
	  .val_err = -EPROTO },
	{ "n without NUL", OP(LOOKUP), 0, 0, RAW(RCRED0 Z2 "\0" "\1\0" "bb"), .val_err = -EPROTO },
	{ "p embedded NUL", OP(LOOKUP), 0, 0, RAW(RCRED0 "\2\0" "a" "\0" "\0" RSTR("\1", "b")),
	  .val_err = -EPROTO },

	/* unknown opcode */
	{ "opcode 0", 0, 0, 0, RAW(RCRED0), .val_err = -ENOSYS },
	{ "opcode MAX + 1", QTFS_OP_MAX + 1, 0, 0, RAW(RCRED0), .val_err = -ENOSYS },
	{ "opcode 0xffff", 0xffff, 0, 0, RAW(RCRED0), .val_err = -ENOSYS },
	{ "opcode 0 error reply", 0, RPL, -EIO, .val_err = -ENOSYS },

	/* errno out of range */
	{ "reply -ERESTARTSYS", OP(LOOKUP), RPL, -512, .hdr_err = -EPROTO },
	{ "reply -4095", OP(LOOKUP), RPL, -4095, .hdr_err = -EPROTO },
	{ "reply +1", OP(LOOKUP), RPL, 1, .hdr_err = -EPROTO },
	{ "reply INT32_MIN", OP(LOOKUP), RPL, INT32_MIN, .hdr_err = -EPROTO },
	{ "request error -1", OP(UMOUNT), 0, -1, RAW(RCRED0), .hdr_err = -EPROTO },
	{ "request error +1", OP(UMOUNT), 0, 1, RAW(RCRED0), .hdr_err = -EPROTO },
	{ "error reply with payload", OP(LOOKUP), RPL, -ENOENT, RAW(Z4), .val_err = -EPROTO },
	{ "error reply with full payload", OP(GETATTR), RPL, -ENOENT, RAW(Z96),
	  .val_err = -EPROTO },

	/* reserved header bits, unknown flags */
	{ "hdr reserved bit 0", OP(UMOUNT), 0, 0, RAW(RCRED0), POKE(20, 4, 1),
	  .hdr_err = -EPROTO },
	{ "hdr reserved bit 31", OP(UMOUNT), 0, 0, RAW(RCRED0), POKE(20, 4, 0x80000000),
	  .hdr_err = -EPROTO },
	{ "flags 0x0002", OP(UMOUNT), 0x0002, 0, RAW(RCRED0), .hdr_err = -EPROTO },
	{ "flags 0x8000", OP(UMOUNT), 0x8000, 0, RAW(RCRED0), .hdr_err = -EPROTO },
	{ "flags 0xffff", OP(LOOKUP), 0xffff, 0, .hdr_err = -EPROTO },

	/* counts */
	{ "ngroups 65", OP(UMOUNT), 0, 0, .gen = gen_groups65, .val_err = -EPROTO },
	/* within the format's bounds, so only the count check can catch it */
	{ "ngroups 65, LOOKUP", OP(LOOKUP), 0, 0, .gen = gen_groups65,
	  TAIL(Z2 "\0" RSTR("\1", "x")), .val_err = -EPROTO },
	{ "ngroups 0xffff", OP(UMOUNT), 0, 0, .gen = gen_groupsffff, .val_err = -EPROTO },
	{ "ngroups 0xffff, none follow", OP(UMOUNT), 0, 0, RAW(RCRED("\377\377")),
	  .val_err = -EPROTO },

	/* bad names and paths, LOOKUP "Cpn" */
	{ "n .", OP(LOOKUP), 0, 0, RAW(RCRED0 Z2 "\0" RSTR("\1", ".")), .val_err = -EPROTO },
	{ "n ..", OP(LOOKUP), 0, 0, RAW(RCRED0 Z2 "\0" RSTR("\2", "..")), .val_err = -EPROTO },
	{ "n a/b", OP(LOOKUP), 0, 0, RAW(RCRED0 Z2 "\0" RSTR("\3", "a/b")), .val_err = -EPROTO },
	{ "n /", OP(LOOKUP), 0, 0, RAW(RCRED0 Z2 "\0" RSTR("\1", "/")), .val_err = -EPROTO },
	{ "n empty", OP(LOOKUP), 0, 0, RAW(RCRED0 Z2 "\0" Z2 "\0"), .val_err = -EPROTO },
	{ "n 256", OP(LOOKUP), 0, 0, RAW(RCRED0 Z2 "\0"), .gen = gen_str256,
	  .val_err = -EPROTO },
	{ "p /abs", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\4", "/abs") RSTR("\1", "x")),
	  .val_err = -EPROTO },
	{ "p a//b", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\4", "a//b") RSTR("\1", "x")),
	  .val_err = -EPROTO },
	{ "p a/../b", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\6", "a/../b") RSTR("\1", "x")),
	  .val_err = -EPROTO },
	{ "p a/./b", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\5", "a/./b") RSTR("\1", "x")),
	  .val_err = -EPROTO },
	{ "p a/", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\2", "a/") RSTR("\1", "x")),
	  .val_err = -EPROTO },
	{ "p /", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\1", "/") RSTR("\1", "x")),
	  .val_err = -EPROTO },
	{ "p .", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\1", ".") RSTR("\1", "x")),
	  .val_err = -EPROTO },
	{ "p ..", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\2", "..") RSTR("\1", "x")),
	  .val_err = -EPROTO },
	{ "p ./a", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\3", "./a") RSTR("\1", "x")),
	  .val_err = -EPROTO },
	{ "p a/..", OP(LOOKUP), 0, 0, RAW(RCRED0 RSTR("\4", "a/..") RSTR("\1", "x")),
	  .val_err = -EPROTO },
	{ "p component 256", OP(LOOKUP), 0, 0, RAW(RCRED0), .gen = gen_str256,
	  TAIL(RSTR("\1", "x")), .val_err = -EPROTO },

	/* reserved fields of wire structs */
	{ "cred reserved[0]", OP(UMOUNT), 0, 0, RAW(RCRED0), POKE(AT_CRED(reserved), 2, 1),
	  .val_err = -EPROTO },
	{ "cred reserved[1]", OP(UMOUNT), 0, 0, RAW(RCRED0),
	  POKE(AT_CRED(reserved) + 2, 2, 0x100), .val_err = -EPROTO },
	{ "cred reserved[2]", OP(UMOUNT), 0, 0, RAW(RCRED0),
	  POKE(AT_CRED(reserved) + 4, 2, 0x8000), .val_err = -EPROTO },
	{ "attr reserved[0]", OP(GETATTR), RPL, 0, RAW(Z96), POKE(AT_ATTR(reserved), 4, 1),
	  .val_err = -EPROTO },
	{ "attr reserved[1]", OP(GETATTR), RPL, 0, RAW(Z96),
	  POKE(AT_ATTR(reserved) + 4, 4, 0x80000000), .val_err = -EPROTO },
	{ "attr atime_nsec 1e9", OP(GETATTR), RPL, 0, RAW(Z96),
	  POKE(AT_ATTR(atime_nsec), 4, NSEC_PER_SEC), .val_err = -EPROTO },
	{ "attr mtime_nsec 1e9", OP(GETATTR), RPL, 0, RAW(Z96),
	  POKE(AT_ATTR(mtime_nsec), 4, NSEC_PER_SEC), .val_err = -EPROTO },
	{ "attr ctime_nsec ~0", OP(GETATTR), RPL, 0, RAW(Z96),
	  POKE(AT_ATTR(ctime_nsec), 4, UINT32_MAX), .val_err = -EPROTO },
};

#undef RPL
#undef OP

/* Build @t into msg; returns the bytes available to the receiver. */
static u32 build_bad(const struct bad_msg *t)
{
	struct qtfs_buf b;
	u32 avail, len, i;
	u8 *p;

	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	qtfs_proto_begin(&b, t->op, t->flags, 99, t->error);
	p = qtfs_buf_push(&b, t->rawlen);
	if (p && t->rawlen)
		memcpy(p, t->raw, t->rawlen);
	if (t->gen)
		t->gen(&b);
	p = qtfs_buf_push(&b, t->taillen);
	if (p && t->taillen)
		memcpy(p, t->tail, t->taillen);
	ck_assert_int_eq(qtfs_proto_end(&b), 0);
	len = b.pos + t->len_adj;
	avail = b.pos;
	if (t->len_adj > 0) {
		p = qtfs_buf_push(&b, t->len_adj);
		ck_assert_ptr_nonnull(p);
		memset(p, 0x5a, t->len_adj);
		avail = b.pos;
	}
	for (i = 0; i < 4; i++)
		msg[i] = (u8)(len >> (8 * i));
	for (i = 0; i < t->poke_size; i++)
		msg[t->poke_off + i] = (u8)(t->poke_val >> (8 * i));
	return avail;
}

START_TEST(test_malformed)
{
	const struct bad_msg *t = &bad_msgs[_i];
	struct qtfs_msg_hdr h;
	u32 avail = build_bad(t);
	u8 *copy = xmemdup(msg, avail);
	int ret;

	ret = qtfs_proto_decode_hdr(copy, &h);
	ck_assert_msg(ret == t->hdr_err, "%s: decode_hdr %d, want %d", t->name,
		      ret, t->hdr_err);
	if (!ret) {
		ck_assert_uint_le(h.len, avail);
		ret = qtfs_proto_validate(&h, copy + QTFS_HDR_SIZE);
		ck_assert_msg(ret == t->val_err, "%s: validate %d, want %d",
			      t->name, ret, t->val_err);
	}
	free(copy);
}
END_TEST

/* ------------------------------------------------------------------ */
/* READDIR entries                                                     */
/* ------------------------------------------------------------------ */

#define DIRENT_BUF	(64 << 10)

static u32 dirent_rec(u32 namelen)
{
	return ((u32)sizeof(struct qtfs_wire_dirent) + namelen + 1 + 7) & ~7U;
}

START_TEST(test_dirent_roundtrip)
{
	char names[QTFS_NAME_MAX + 2][QTFS_NAME_MAX + 1];
	unsigned int n = 0, i, bad = 0;
	struct qtfs_dirent ent;
	struct qtfs_buf b;
	u32 used = 0;
	u8 *copy;
	int ret;

	/* every length 1..255, then one name of every byte but NUL and '/' */
	for (i = 1; i <= QTFS_NAME_MAX; i++, n++)
		fill_name(names[n], i, i);
	for (i = 1; i < 256; i++)
		if (i != '/')
			names[n][used++] = (char)i;
	names[n++][used] = '\0';

	memset(msg, 0xee, DIRENT_BUF);
	qtfs_buf_init(&b, msg, DIRENT_BUF);
	for (i = 0, used = 0; i < n; i++) {
		ret = qtfs_proto_dirent_put(&b, 0x1000000000ULL + i, i + 1,
					    (u8)(i % 15), names[i], strlen(names[i]));
		ck_assert_msg(ret == 0, "entry %u: %d", i, ret);
		used += dirent_rec(strlen(names[i]));
		ck_assert_uint_eq(b.pos, used);
	}
	/* padding is zeroed */
	ck_assert_uint_eq(msg[used - 1], 0);

	copy = xmemdup(msg, used);
	qtfs_buf_init(&b, copy, used);
	for (i = 0; i < n; i++) {
		memset(&ent, 0xa5, sizeof(ent));
		ret = qtfs_proto_dirent_next(&b, &ent);
		ck_assert_msg(ret == 1, "entry %u: %d", i, ret);
		bad += ent.ino != 0x1000000000ULL + i || ent.off != i + 1 ||
		       ent.type != i % 15 || ent.namelen != strlen(names[i]) ||
		       strcmp(ent.name, names[i]) ||
		       (const u8 *)ent.name < copy ||
		       (const u8 *)ent.name + ent.namelen >= copy + used;
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_int_eq(qtfs_proto_dirent_next(&b, &ent), 0);
	ck_assert_int_eq(qtfs_proto_dirent_next(&b, &ent), 0);
	free(copy);
}
END_TEST

START_TEST(test_dirent_full)
{
	const char *name = "abcdefghij";
	u32 rec = dirent_rec(10), cap = 3 * rec + rec - 1, i;
	struct qtfs_buf b;

	memset(msg, 0xee, cap + 64);
	qtfs_buf_init(&b, msg, cap);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(qtfs_proto_dirent_put(&b, i, i, 0, name, 10), 0);
	ck_assert_uint_eq(b.pos, 3 * rec);
	ck_assert_int_eq(qtfs_proto_dirent_put(&b, 9, 9, 0, name, 10), -EMSGSIZE);
	/* nothing written */
	ck_assert_uint_eq(b.pos, 3 * rec);
	for (i = 3 * rec; i < cap + 64; i++)
		ck_assert_uint_eq(msg[i], 0xee);
	/* a shorter entry that fits still goes in */
	ck_assert_int_eq(qtfs_proto_dirent_put(&b, 9, 9, 0, "abc", 3), 0);
	ck_assert_uint_eq(b.pos, 3 * rec + dirent_rec(3));

	/* exact fit */
	qtfs_buf_init(&b, msg, rec);
	ck_assert_int_eq(qtfs_proto_dirent_put(&b, 1, 1, 0, name, 10), 0);
	ck_assert_int_eq(qtfs_proto_dirent_put(&b, 1, 1, 0, "a", 1), -EMSGSIZE);

	/* only the first @namelen bytes of @name go out */
	qtfs_buf_init(&b, msg, rec);
	ck_assert_int_eq(qtfs_proto_dirent_put(&b, 1, 1, 0, name, 3), 0);
	ck_assert_uint_eq(b.pos, dirent_rec(3));
	ck_assert_uint_eq(msg[sizeof(struct qtfs_wire_dirent) + 3], 0);
}
END_TEST

static const struct bad_dirent_name {
	const char *name;
	u32 len;
} bad_dirent_names[] = {
	{ "", 0 }, { "a/b", 3 }, { "/", 1 }, { "a\0b", 3 }, { "\0", 1 },
	{ NULL, QTFS_NAME_MAX + 1 },
};

START_TEST(test_dirent_put_bad)
{
	const struct bad_dirent_name *t = &bad_dirent_names[_i];
	char longname[QTFS_NAME_MAX + 2];
	const char *name = t->name;
	struct qtfs_buf b;

	if (!name) {
		fill_name(longname, t->len, 1);
		name = longname;
	}
	qtfs_buf_init(&b, msg, DIRENT_BUF);
	ck_assert_int_eq(qtfs_proto_dirent_put(&b, 1, 1, 0, name, t->len), -EINVAL);
	ck_assert_uint_eq(b.pos, 0);
}
END_TEST

/* One raw entry: ino 1, off 2, @nl (two LE bytes), type 4, @pad, @pad2, name part. */
#define DE(nl, pad, pad2, namepart) "\1\0\0\0\0\0\0\0" "\2\0\0\0\0\0\0\0" nl "\4" pad pad2 namepart
#define DE_OK	DE("\1\0", "\0", Z4, "a" "\0" "\0\0\0\0\0\0")

static const struct bad_dirent {
	const char *name;
	const char *raw;
	u32 rawlen;
	int good;	/* entries returned before the end */
	int last;	/* then this */
} bad_dirents[] = {
	{ "ok one", RAW(DE_OK), 1, 0 },
	{ "ok two", RAW(DE_OK DE("\7\0", "\0", Z4, "abcdefg" "\0")), 2, 0 },
	{ "ok empty", "", 0, 0, 0 },
	{ "truncated header", RAW(Z16 Z4 "\0\0\0"), 0, -EPROTO },
	{ "namelen 0xffff", RAW(DE("\377\377", "\0", Z4, "abc" "\0" Z4)), 0, -EPROTO },
	{ "namelen 0", RAW(DE(Z2, "\0", Z4, Z8)), 0, -EPROTO },
	{ "namelen past end", RAW(DE("\10\0", "\0", Z4, "abcdefg" "\0")), 0, -EPROTO },
	{ "no NUL", RAW(DE("\1\0", "\0", Z4, "ab" "\0\0\0\0\0\0")), 0, -EPROTO },
	{ "embedded NUL", RAW(DE("\3\0", "\0", Z4, "a" "\0" "b" "\0" Z4)), 0, -EPROTO },
	{ "pad", RAW(DE("\1\0", "\1", Z4, "a" "\0" "\0\0\0\0\0\0")), 0, -EPROTO },
	{ "pad2", RAW(DE("\1\0", "\0", "\0\0\0\1", "a" "\0" "\0\0\0\0\0\0")), 0, -EPROTO },
	/* "." and ".." are sent: their cookies are the server's */
	{ "ok .", RAW(DE("\1\0", "\0", Z4, "." "\0" "\0\0\0\0\0\0")), 1, 0 },
	{ "ok ..", RAW(DE("\2\0", "\0", Z4, ".." "\0" "\0\0\0\0\0")), 1, 0 },
	{ "a/b", RAW(DE("\3\0", "\0", Z4, "a/b" "\0" Z4)), 0, -EPROTO },
	{ "ok then truncated", RAW(DE_OK Z16), 1, -EPROTO },
	{ "ok then garbage", RAW(DE_OK "\1"), 1, -EPROTO },
};

START_TEST(test_dirent_malformed)
{
	const struct bad_dirent *t = &bad_dirents[_i];
	u8 *copy = xmemdup(t->raw, t->rawlen);
	struct qtfs_dirent ent;
	struct qtfs_buf b;
	int i, ret;

	qtfs_buf_init(&b, copy, t->rawlen);
	for (i = 0; i < t->good; i++)
		ck_assert_msg(qtfs_proto_dirent_next(&b, &ent) == 1,
			      "%s: entry %d rejected", t->name, i);
	ret = qtfs_proto_dirent_next(&b, &ent);
	ck_assert_msg(ret == t->last, "%s: %d, want %d", t->name, ret, t->last);
	/* the end and errors are sticky */
	ck_assert_int_eq(qtfs_proto_dirent_next(&b, &ent), t->last);
	free(copy);
}
END_TEST

START_TEST(test_dirent_namelen_256)
{
	u32 rec = dirent_rec(QTFS_NAME_MAX + 1);
	struct qtfs_dirent ent;
	struct qtfs_buf b;
	u8 *blob = calloc(1, rec);

	ck_assert_ptr_nonnull(blob);
	blob[16] = (QTFS_NAME_MAX + 1) & 0xff;
	blob[17] = (QTFS_NAME_MAX + 1) >> 8;
	memset(blob + sizeof(struct qtfs_wire_dirent), 'x', QTFS_NAME_MAX + 1);
	qtfs_buf_init(&b, blob, rec);
	ck_assert_int_eq(qtfs_proto_dirent_next(&b, &ent), -EPROTO);
	free(blob);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Open flags                                                          */
/* ------------------------------------------------------------------ */

static const struct oflag_case {
	int host;
	u32 wire;
} oflag_cases[] = {
	{ O_RDONLY, QTFS_O_RDONLY },
	{ O_WRONLY, QTFS_O_WRONLY },
	{ O_RDWR, QTFS_O_RDWR },
	{ O_CREAT, QTFS_O_CREAT },
	{ O_EXCL, QTFS_O_EXCL },
	{ O_TRUNC, QTFS_O_TRUNC },
	{ O_APPEND, QTFS_O_APPEND },
	{ O_NONBLOCK, QTFS_O_NONBLOCK },
	{ O_DIRECTORY, QTFS_O_DIRECTORY },
	{ O_NOFOLLOW, QTFS_O_NOFOLLOW },
	/* O_SYNC includes O_DSYNC's bit */
	{ O_SYNC, QTFS_O_SYNC | QTFS_O_DSYNC },
	{ O_DSYNC, QTFS_O_DSYNC },
	{ O_DIRECT, QTFS_O_DIRECT },
	{ O_NOATIME, QTFS_O_NOATIME },
	{ O_LARGEFILE, QTFS_O_LARGEFILE },
	{ O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW,
	  QTFS_O_RDWR | QTFS_O_CREAT | QTFS_O_EXCL | QTFS_O_NOFOLLOW },
};

START_TEST(test_oflags)
{
	const struct oflag_case *t = &oflag_cases[_i];
	int host = 0x5a5a5a5a;

	/*
	 * O_LARGEFILE is 0 in 64-bit userspace (the kernel forces it), so only
	 * a kernel build can carry it; here the wire bit must still decode.
	 */
	if (t->wire != QTFS_O_LARGEFILE || O_LARGEFILE)
		ck_assert_msg(qtfs_oflags_to_wire(t->host) == t->wire,
			      "host %#o -> wire %#x, want %#x", t->host,
			      qtfs_oflags_to_wire(t->host), t->wire);
	ck_assert_int_eq(qtfs_oflags_from_wire(t->wire, &host), 0);
	ck_assert_msg(host == t->host, "wire %#x -> host %#o, want %#o",
		      t->wire, host, t->host);
}
END_TEST

START_TEST(test_oflags_cover)
{
	u32 all = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(oflag_cases); i++)
		all |= oflag_cases[i].wire;
	ck_assert_uint_eq(all, QTFS_O_ALL);
}
END_TEST

START_TEST(test_oflags_sync)
{
	int host;

	ck_assert(O_SYNC != O_DSYNC);
	ck_assert_uint_eq(qtfs_oflags_to_wire(O_DSYNC) & QTFS_O_SYNC, 0);
	ck_assert_uint_ne(qtfs_oflags_to_wire(O_SYNC) & QTFS_O_SYNC, 0);
	ck_assert_int_eq(qtfs_oflags_from_wire(QTFS_O_DSYNC, &host), 0);
	ck_assert_int_eq(host, O_DSYNC);
	ck_assert_int_ne(host & O_SYNC, O_SYNC);
	ck_assert_int_eq(qtfs_oflags_from_wire(QTFS_O_SYNC, &host), 0);
	ck_assert_int_eq(host & O_SYNC, O_SYNC);
}
END_TEST

START_TEST(test_oflags_invalid)
{
	int host = 0x5a5a5a5a;
	u32 bit;

	for (bit = 0; bit < 32; bit++) {
		if (QTFS_O_ALL & (1U << bit))
			continue;
		ck_assert_msg(qtfs_oflags_from_wire(1U << bit, &host) == -EINVAL,
			      "wire bit %u accepted", bit);
		ck_assert_msg(qtfs_oflags_from_wire(QTFS_O_RDWR | QTFS_O_CREAT |
						    1U << bit, &host) == -EINVAL,
			      "wire bit %u accepted", bit);
	}
	ck_assert_int_eq(qtfs_oflags_from_wire(QTFS_O_ACCMODE, &host), -EINVAL);
	ck_assert_int_eq(qtfs_oflags_from_wire(QTFS_O_ACCMODE | QTFS_O_CREAT, &host),
			 -EINVAL);
	ck_assert_int_eq(qtfs_oflags_from_wire(UINT32_MAX, &host), -EINVAL);
	ck_assert_int_eq(host, 0x5a5a5a5a);

	/* host bits with no wire meaning are dropped */
	ck_assert_uint_eq(qtfs_oflags_to_wire(O_CLOEXEC | O_NOCTTY | O_ASYNC), 0);
}
END_TEST

/* Every valid wire value survives wire -> host -> wire. */
START_TEST(test_oflags_exhaustive)
{
	u32 wire, want, got, bad = 0, first = 0;
	int host;

	for (wire = 0; wire <= 0xffff; wire++) {
		if ((wire & ~QTFS_O_ALL) ||
		    (wire & QTFS_O_ACCMODE) == QTFS_O_ACCMODE)
			continue;
		want = wire;
		if (want & QTFS_O_SYNC)
			want |= QTFS_O_DSYNC;
		if (!O_LARGEFILE)
			want &= ~QTFS_O_LARGEFILE;
		if (qtfs_oflags_from_wire(wire, &host))
			got = UINT32_MAX;
		else
			got = qtfs_oflags_to_wire(host);
		if (got != want && !bad++)
			first = wire;
	}
	ck_assert_msg(!bad, "%u wire values change, first %#x", bad, first);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Fuzzer seed corpus                                                  */
/* ------------------------------------------------------------------ */

static int write_file(const char *dir, const char *name, const void *data,
		      size_t len)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	ok = fwrite(data, 1, len, f) == len;
	if (fclose(f) || !ok) {
		perror(path);
		return -1;
	}
	return 0;
}

/* A READDIR reply whose blob holds real entries. */
static int corpus_readdir(const char *dir, u8 *buf)
{
	static const char *const names[] = { "a", "file.txt", "..x", "dir" };
	struct qtfs_buf b;
	u8 *blob;
	u32 i, len = 0;

	qtfs_buf_init(&b, buf, QTFS_MSG_MAX);
	qtfs_proto_begin(&b, QTFS_OP_READDIR, QTFS_HDR_REPLY, 3, 0);
	qtfs_proto_pack(&b, "d", QTFS_READDIR_EOF);
	blob = qtfs_buf_push_blob(&b, 256);
	if (blob) {
		struct qtfs_buf d;

		qtfs_buf_init(&d, blob, 256);
		for (i = 0; i < ARRAY_SIZE(names); i++)
			qtfs_proto_dirent_put(&d, 100 + i, i + 1, 4, names[i],
					      strlen(names[i]));
		len = d.pos;
		qtfs_buf_trim_blob(&b, blob, len);
	}
	if (qtfs_proto_end(&b))
		return -1;
	return write_file(dir, "READDIR-rsp-dirents", buf, b.pos) ||
	       write_file(dir, "dirents", blob, len);
}

static int write_corpus(const char *dir)
{
	u8 *buf = malloc(QTFS_MSG_MAX);
	struct gen_msg *m = calloc(1, sizeof(*m));
	const struct qtfs_op_desc *d;
	enum gen_mode mode;
	struct qtfs_buf b;
	char name[64];
	int len, ret = -1;
	u32 op, reply;

	if (!buf || !m)
		goto out;
	for (op = 1; op <= QTFS_OP_MAX; op++) {
		d = qtfs_op_desc(op);
		for (reply = 0; reply <= 1; reply++) {
			for (mode = GEN_TYPICAL; mode <= GEN_MIN; mode++) {
				if (gen_fields(m, op, reply,
					       reply ? d->rsp_fmt : d->req_fmt, mode))
					goto out;
				len = build_msg(m, buf, QTFS_MSG_MAX, gen_id(op, reply));
				snprintf(name, sizeof(name), "%s-%s-%s", d->name,
					 reply ? "rsp" : "req", gen_mode_name[mode]);
				if (len < 0 || write_file(dir, name, buf, len))
					goto out;
			}
		}
		/* an error reply */
		qtfs_buf_init(&b, buf, QTFS_MSG_MAX);
		qtfs_proto_begin(&b, op, QTFS_HDR_REPLY, op, -ENOENT);
		snprintf(name, sizeof(name), "%s-rsp-error", d->name);
		if (qtfs_proto_end(&b) || write_file(dir, name, buf, b.pos))
			goto out;
	}
	ret = corpus_readdir(dir, buf);
out:
	if (m)
		gen_free(m);
	free(m);
	free(buf);
	return ret;
}

/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* LOCK arguments                                                       */
/* ------------------------------------------------------------------ */

static const struct lock_case {
	uint32_t cmd, type;
	uint64_t start, end;
	uint32_t pid;
	int want;
} lock_cases[] = {
	{ QTFS_LOCK_SET, QTFS_LCK_WR, 0, QTFS_LOCK_END_MAX, 1, 0 },
	{ QTFS_LOCK_SETW | QTFS_LOCK_OFD, QTFS_LCK_RD, 5, 5, 0, 0 },
	{ QTFS_LOCK_SET | QTFS_LOCK_FLOCK, QTFS_LCK_UN, 0, QTFS_LOCK_END_MAX,
	  QTFS_LOCK_PID_MAX, 0 },
	{ QTFS_LOCK_GET, QTFS_LCK_RD, 0, 9, 1, 0 },
	{ QTFS_LOCK_GET | QTFS_LOCK_OFD, QTFS_LCK_WR, 0, 9, 1, 0 },
	/* bad command: unknown operation, unknown flag, two kinds */
	{ 3, QTFS_LCK_WR, 0, 9, 1, -EINVAL },
	{ QTFS_LOCK_SET | 0x400, QTFS_LCK_WR, 0, 9, 1, -EINVAL },
	{ QTFS_LOCK_SET | QTFS_LOCK_FLOCK | QTFS_LOCK_OFD, QTFS_LCK_WR, 0, 9, 1,
	  -EINVAL },
	/* bad type, or a type GET cannot test, or flock GET */
	{ QTFS_LOCK_SET, 3, 0, 9, 1, -EINVAL },
	{ QTFS_LOCK_SET, UINT32_MAX, 0, 9, 1, -EINVAL },
	{ QTFS_LOCK_GET, QTFS_LCK_UN, 0, 9, 1, -EINVAL },
	{ QTFS_LOCK_GET | QTFS_LOCK_FLOCK, QTFS_LCK_WR, 0, 9, 1, -EINVAL },
	/* bad range: reversed, beyond the largest offset */
	{ QTFS_LOCK_SET, QTFS_LCK_WR, 10, 9, 1, -EINVAL },
	{ QTFS_LOCK_SET, QTFS_LCK_WR, 0, QTFS_LOCK_END_MAX + 1, 1, -EINVAL },
	{ QTFS_LOCK_SET, QTFS_LCK_WR, UINT64_MAX, UINT64_MAX, 1, -EINVAL },
	/* bad pid */
	{ QTFS_LOCK_SET, QTFS_LCK_WR, 0, 9, QTFS_LOCK_PID_MAX + 1, -EINVAL },
	{ QTFS_LOCK_SET, QTFS_LCK_WR, 0, 9, QTFS_LOCK_NOPID, -EINVAL },
};

START_TEST(test_lock_check)
{
	const struct lock_case *c = &lock_cases[_i];

	ck_assert_int_eq(qtfs_proto_lock_check(c->cmd, c->type, c->start,
					       c->end, c->pid), c->want);
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("qtfs_proto");
	TCase *tc;

	tc = tcase_create("roundtrip");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_op_desc_table);
	tcase_add_test(tc, test_fmt_bounds);
	tcase_add_loop_test(tc, test_roundtrip_req, 1, QTFS_OP_MAX + 1);
	tcase_add_loop_test(tc, test_roundtrip_rsp, 1, QTFS_OP_MAX + 1);
	tcase_add_loop_test(tc, test_roundtrip_req_min, 1, QTFS_OP_MAX + 1);
	tcase_add_loop_test(tc, test_roundtrip_rsp_min, 1, QTFS_OP_MAX + 1);
	tcase_add_loop_test(tc, test_roundtrip_req_max, 1, QTFS_OP_MAX + 1);
	tcase_add_loop_test(tc, test_roundtrip_rsp_max, 1, QTFS_OP_MAX + 1);
	tcase_add_loop_test(tc, test_roundtrip_all_chars, GEN_TYPICAL, GEN_MAX + 1);
	tcase_add_loop_test(tc, test_whole_pack_req, 1, QTFS_OP_MAX + 1);
	tcase_add_loop_test(tc, test_whole_pack_rsp, 1, QTFS_OP_MAX + 1);
	suite_add_tcase(s, tc);

	tc = tcase_create("fields");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_hdr_roundtrip, 0, ARRAY_SIZE(hdr_cases));
	tcase_add_test(tc, test_errno_valid);
	tcase_add_test(tc, test_attr);
	tcase_add_loop_test(tc, test_cred, 0, ARRAY_SIZE(cred_ngroups));
	tcase_add_loop_test(tc, test_string, 0, ARRAY_SIZE(str_cases));
	tcase_add_loop_test(tc, test_blob, 0, ARRAY_SIZE(blob_lens));
	tcase_add_test(tc, test_blob_push_trim);
	tcase_add_test(tc, test_blob_reserve);
	tcase_add_test(tc, test_blob_too_big);
	suite_add_tcase(s, tc);

	tc = tcase_create("pack");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_pack_bad_string, 0, ARRAY_SIZE(bad_packs));
	tcase_add_test(tc, test_pack_overflow);
	tcase_add_test(tc, test_pack_bad_cred);
	tcase_add_test(tc, test_bad_format_char);
	tcase_add_test(tc, test_buf_pull);
	tcase_add_test(tc, test_unpack_short);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_malformed, 0, ARRAY_SIZE(bad_msgs));
	suite_add_tcase(s, tc);

	tc = tcase_create("dirent");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dirent_roundtrip);
	tcase_add_test(tc, test_dirent_full);
	tcase_add_loop_test(tc, test_dirent_put_bad, 0, ARRAY_SIZE(bad_dirent_names));
	tcase_add_loop_test(tc, test_dirent_malformed, 0, ARRAY_SIZE(bad_dirents));
	tcase_add_test(tc, test_dirent_namelen_256);
	suite_add_tcase(s, tc);

	tc = tcase_create("oflags");
	tcase_add_loop_test(tc, test_oflags, 0, ARRAY_SIZE(oflag_cases));
	tcase_add_test(tc, test_oflags_cover);
	tcase_add_test(tc, test_oflags_sync);
	tcase_add_test(tc, test_oflags_invalid);
	tcase_add_test(tc, test_oflags_exhaustive);
	suite_add_tcase(s, tc);

	tc = tcase_create("lock");
	tcase_add_loop_test(tc, test_lock_check, 0, ARRAY_SIZE(lock_cases));
	suite_add_tcase(s, tc);

	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		return write_corpus(argv[2]) ? EXIT_FAILURE : EXIT_SUCCESS;
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--corpus DIR]\n", argv[0]);
		return EXIT_FAILURE;
	}
	sr = srunner_create(proto_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
