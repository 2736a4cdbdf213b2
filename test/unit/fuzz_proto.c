// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the qtfs codec, common/qtfs_proto.c: the decoder
 * both kernel modules run on every message from the peer.
 *
 * Each input is taken as a message.  If its header decodes and its len fits
 * the input, the payload is validated against the opcode's format; a valid
 * payload must then unpack into real outputs, use up exactly len bytes and
 * pack back into the same bytes (the encoding is canonical).  READDIR reply
 * blobs, and independently the whole input, are walked as dirent blobs.
 *
 * Build and run with "make fuzz" in this directory.
 */
#include "qtfs_proto.h"

#include <stdint.h>
#include <stdlib.h>

/* Longest format string handled; the descriptor table uses up to 12. */
#define MAX_FIELDS	16
/* Unpack arguments: two per 'B', one per other field. */
#define MAX_ARGS	(2 * MAX_FIELDS)

#define NSEC_PER_SEC	1000000000U

/* An invariant broke: trap, and libFuzzer saves the input. */
#define CHECK(cond)				\
	do {					\
		if (!(cond))			\
			__builtin_trap();	\
	} while (0)

struct out {
	u8 b;
	u16 h;
	u32 d;
	u64 q;
	struct qtfs_cred cred;
	struct qtfs_attr attr;
	const char *str;
	const void *blob;
	u32 bloblen;
};

/* One call with enough pointer arguments decodes any format. */
static int unpack_slots(struct qtfs_buf *b, const char *fmt, void *const a[MAX_ARGS])
{
	return qtfs_proto_unpack(b, fmt, a[0], a[1], a[2], a[3], a[4], a[5],
				 a[6], a[7], a[8], a[9], a[10], a[11], a[12],
				 a[13], a[14], a[15], a[16], a[17], a[18],
				 a[19], a[20], a[21], a[22], a[23], a[24],
				 a[25], a[26], a[27], a[28], a[29], a[30],
				 a[31]);
}

/* Walk @len bytes as a READDIR blob; every entry must lie inside it. */
static void walk_dirents(const u8 *data, u32 len)
{
	u8 rec[sizeof(struct qtfs_wire_dirent) + QTFS_NAME_MAX + 1 + 7];
	struct qtfs_dirent ent;
	struct qtfs_buf b, w;
	u32 start = 0;
	int ret;

	qtfs_buf_init(&b, (void *)data, len);
	while ((ret = qtfs_proto_dirent_next(&b, &ent)) == 1) {
		CHECK((const u8 *)ent.name == data + start +
					     sizeof(struct qtfs_wire_dirent));
		CHECK((const u8 *)ent.name + ent.namelen < data + b.pos);
		CHECK(ent.namelen >= 1 && ent.namelen <= QTFS_NAME_MAX);
		CHECK(strlen(ent.name) == ent.namelen);
		CHECK(!memchr(ent.name, '/', ent.namelen));
		CHECK((b.pos - start) % 8 == 0);

		/* put encodes the same header, name and NUL */
		qtfs_buf_init(&w, rec, sizeof(rec));
		CHECK(qtfs_proto_dirent_put(&w, ent.ino, ent.off, ent.type,
					    ent.name, ent.namelen) == 0);
		CHECK(w.pos == b.pos - start);
		CHECK(!memcmp(rec, data + start, sizeof(struct qtfs_wire_dirent) +
						ent.namelen + 1));
		start = b.pos;
	}
	CHECK(ret == 0 || ret == -EPROTO);
	CHECK(ret != 0 || b.pos == len);
}

/* Pack @o back, one field per call, and compare with @payload. */
static void repack(const char *fmt, const struct out *o, const u8 *payload,
		   u32 plen)
{
	u8 *buf = malloc(plen ? plen : 1);
	struct qtfs_buf b;
	unsigned int i;

	CHECK(buf);
	qtfs_buf_init(&b, buf, plen);
	for (i = 0; fmt[i]; i++) {
		const char one[2] = { fmt[i], '\0' };

		switch (fmt[i]) {
		case 'b':
			qtfs_proto_pack(&b, one, (u32)o[i].b);
			break;
		case 'h':
			qtfs_proto_pack(&b, one, (u32)o[i].h);
			break;
		case 'd':
			qtfs_proto_pack(&b, one, o[i].d);
			break;
		case 'q':
			qtfs_proto_pack(&b, one, o[i].q);
			break;
		case 'C':
			qtfs_proto_pack(&b, one, &o[i].cred);
			break;
		case 'A':
			qtfs_proto_pack(&b, one, &o[i].attr);
			break;
		case 'B':
			qtfs_proto_pack(&b, one, o[i].blob, o[i].bloblen);
			break;
		default:
			qtfs_proto_pack(&b, one, o[i].str);
			break;
		}
	}
	CHECK(b.err == 0);
	CHECK(b.pos == plen);
	CHECK(!memcmp(buf, payload, plen));
	free(buf);
}

/* A payload that validated: it must decode, stay in bounds and re-encode. */
static void check_payload(const struct qtfs_msg_hdr *h, const char *fmt,
			  const u8 *payload, u32 plen)
{
	struct out o[MAX_FIELDS];
	void *a[MAX_ARGS] = { NULL };
	unsigned int i, n = 0;
	struct qtfs_buf b;

	CHECK(strlen(fmt) <= MAX_FIELDS);
	memset(o, 0xa5, sizeof(o));
	for (i = 0; fmt[i]; i++) {
		switch (fmt[i]) {
		case 'b': a[n++] = &o[i].b; break;
		case 'h': a[n++] = &o[i].h; break;
		case 'd': a[n++] = &o[i].d; break;
		case 'q': a[n++] = &o[i].q; break;
		case 'C': a[n++] = &o[i].cred; break;
		case 'A': a[n++] = &o[i].attr; break;
		case 'B':
			a[n++] = &o[i].blob;
			a[n++] = &o[i].bloblen;
			break;
		default: a[n++] = &o[i].str; break;
		}
	}
	qtfs_buf_init(&b, (void *)payload, plen);
	CHECK(unpack_slots(&b, fmt, a) == 0);
	CHECK(b.pos == plen);

	for (i = 0; fmt[i]; i++) {
		switch (fmt[i]) {
		case 'C':
			CHECK(o[i].cred.ngroups <= QTFS_NGROUPS_MAX);
			break;
		case 'A':
			CHECK(o[i].attr.atime_nsec < NSEC_PER_SEC);
			CHECK(o[i].attr.mtime_nsec < NSEC_PER_SEC);
			CHECK(o[i].attr.ctime_nsec < NSEC_PER_SEC);
			break;
		case 's':
		case 'p':
		case 'n':
			CHECK((const u8 *)o[i].str >= payload);
			CHECK((const u8 *)o[i].str + strlen(o[i].str) < payload + plen);
			CHECK(fmt[i] != 'n' || (strlen(o[i].str) >= 1 &&
						strlen(o[i].str) <= QTFS_NAME_MAX));
			CHECK(strlen(o[i].str) < QTFS_PATH_MAX);
			break;
		case 'B':
			CHECK(o[i].bloblen <= QTFS_IO_MAX);
			CHECK((const u8 *)o[i].blob >= payload);
			CHECK((const u8 *)o[i].blob + o[i].bloblen <= payload + plen);
			if (h->opcode == QTFS_OP_READDIR)
				walk_dirents(o[i].blob, o[i].bloblen);
			break;
		}
	}
	repack(fmt, o, payload, plen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct qtfs_op_desc *desc;
	struct qtfs_msg_hdr h;
	bool reply;
	u8 *msg;
	int ret;

	if (size > QTFS_MSG_MAX)
		return 0;
	walk_dirents(data, size);

	if (size < QTFS_HDR_SIZE || qtfs_proto_decode_hdr(data, &h))
		return 0;
	reply = h.flags & QTFS_HDR_REPLY;
	CHECK(h.len >= QTFS_HDR_SIZE);
	CHECK(reply ? qtfs_proto_errno_valid(h.error) : h.error == 0);
	if (h.len > size)
		return 0;

	/* exactly len bytes, so ASan catches a read past the message */
	msg = malloc(h.len);
	CHECK(msg);
	memcpy(msg, data, h.len);
	desc = qtfs_op_desc(h.opcode);
	ret = qtfs_proto_validate(&h, msg + QTFS_HDR_SIZE);
	CHECK(ret == 0 || ret == -EPROTO || ret == -ENOSYS);
	CHECK((ret == -ENOSYS) == !desc);
	if (ret == 0 && reply && h.error)
		CHECK(h.len == QTFS_HDR_SIZE);
	else if (ret == 0)
		check_payload(&h, reply ? desc->rsp_fmt : desc->req_fmt,
			      msg + QTFS_HDR_SIZE, h.len - QTFS_HDR_SIZE);
	free(msg);
	return 0;
}
