// SPDX-License-Identifier: GPL-2.0
/*
 * Frame authentication over TCP (QTFS_FEAT_FRAME_MAC): after a keyed
 * HELLO every frame carries a tag, and a frame that was changed, replayed,
 * reflected, dropped or left untagged closes the connection.  Needs the
 * server's key (--key) and a TCP server.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "hostile.h"

/**
 * struct fsess - a session whose frames are tagged
 * @s:      the connection
 * @ks:     session key
 * @tx:     tagged frames sent
 * @rx:     tagged frames received
 * @last:   the last frame sent, tag included, for replays
 * @lastlen: its length
 */
struct fsess {
	struct sess s;
	u8 ks[QTFS_AUTH_MAC_SIZE];
	u64 tx;
	u64 rx;
	u8 last[4096];
	size_t lastlen;
};

/* How fsend() spoils a frame. */
enum fm_fault {
	FM_NONE,
	FM_TAMPER,	/* a payload byte changed after tagging */
	FM_REFLECT,	/* tagged as if the server had sent it */
	FM_NOTAG,	/* no tag at all */
	FM_SKIP,	/* tagged with the number after the next */
};

/*
 * Connect and run the keyed HELLO offering @features.  Return: 0 with
 * tagging on, the server's errno for a refused first leg, or R_*.
 */
static int fm_open(struct fsess *f, u32 features)
{
	u8 cn[QTFS_AUTH_NONCE_SIZE], proof[QTFS_AUTH_MAC_SIZE];
	u32 magic, maxmsg, got, bloblen;
	const u8 *blob;
	struct qtfs_buf b;
	u16 major, minor;
	int ret;

	memset(f, 0, sizeof(*f));
	if (sess_open(&f->s))
		return R_BAD;
	if (getrandom(cn, sizeof(cn), 0) != sizeof(cn))
		return R_BAD;
	ret = hello_fields(&f->s, QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR,
			   features, QTFS_MSG_MAX, cn, sizeof(cn));
	if (ret)
		return ret;
	qtfs_buf_init(&b, rbuf, rlen);
	if (qtfs_proto_unpack(&b, "dhhddB", &magic, &major, &minor, &got,
			      &maxmsg, &blob, &bloblen) ||
	    bloblen != QTFS_AUTH_NONCE_SIZE + QTFS_AUTH_MAC_SIZE)
		return R_BAD;
	tk_check("server confirms QTFS_FEAT_FRAME_MAC",
	      got == (QTFS_FEAT_AUTH | QTFS_FEAT_FRAME_MAC));
	hw_hmac3(key, keylen, "qtfs-auth-server", cn, blob, proof);
	tk_check("server proves the key",
	      !memcmp(proof, blob + QTFS_AUTH_NONCE_SIZE, sizeof(proof)));
	hw_hmac3(key, keylen, "qtfs-session", cn, blob, f->ks);
	hw_hmac3(key, keylen, "qtfs-auth-client", cn, blob, proof);
	return hello_fields(&f->s, QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR,
			    QTFS_FEAT_AUTH, QTFS_MSG_MAX, proof, sizeof(proof));
}

/*
 * Send the frame @msg of @len bytes with its tag (room for which follows
 * @msg), spoiled as @fault says.
 */
static int fm_send(struct fsess *f, u8 *msg, size_t len, enum fm_fault fault)
{
	u64 seq = f->tx++;
	int ret;

	if (fault == FM_NOTAG) {
		/* the next frame's first bytes are taken for the missing tag */
		ret = hw_send(f->s.fd, msg, len);
		if (ret)
			return ret;
	}
	hw_frame_tag(f->ks, fault == FM_REFLECT ? 'S' : 'C',
	       fault == FM_SKIP ? seq + 1 : seq, msg, len, NULL, 0, msg + len);
	if (fault == FM_TAMPER)
		msg[len - 1] ^= 0x20;
	len += QTFS_FRAME_TAG_SIZE;
	if (len <= sizeof(f->last)) {
		memcpy(f->last, msg, len);
		f->lastlen = len;
	}
	return hw_send(f->s.fd, msg, len);
}

/* The reply to @id and its tag.  Return: its errno, or R_*. */
static int fm_reply(struct fsess *f, u64 id, u16 opcode)
{
	u8 raw[QTFS_HDR_SIZE], tag[QTFS_FRAME_TAG_SIZE];
	u8 want[QTFS_FRAME_TAG_SIZE];
	struct qtfs_msg_hdr h;
	int ret;

	ret = hw_recv(f->s.fd, &h, rbuf, sizeof(rbuf));
	if (ret == HW_CLOSED)
		return R_CLOSED;
	if (ret || hw_recv_all(f->s.fd, tag, sizeof(tag)) ||
	    h.id != id || h.opcode != opcode)
		return R_BAD;
	rlen = h.len - QTFS_HDR_SIZE;
	/* the tag covers the header as sent: rebuild it */
	hw_hdr(raw, h.len, h.opcode, h.flags, h.id, h.error);
	hw_frame_tag(f->ks, 'S', f->rx++, raw, sizeof(raw), rbuf, rlen, want);
	if (memcmp(want, tag, sizeof(tag))) {
		printf("  reply %llu carries a wrong tag\n",
		       (unsigned long long)id);
		return R_BAD;
	}
	return h.error;
}

/*
 * A request as root built by the codec, sent tagged (and spoiled as
 * @fault says).  Return: the reply's errno, or R_*.
 */
static int fm_call(struct fsess *f, enum fm_fault fault, u16 opcode,
		   const char *fmt, ...)
{
	static const struct qtfs_cred root;
	static u8 msg[QTFS_MSG_MAX + QTFS_FRAME_TAG_SIZE];
	u64 id = f->s.next_id++;
	struct qtfs_buf b;
	va_list ap;
	int ret;

	qtfs_buf_init(&b, msg, QTFS_MSG_MAX);
	qtfs_proto_begin(&b, opcode, 0, id, 0);
	qtfs_proto_pack(&b, "C", &root);
	va_start(ap, fmt);
	qtfs_proto_vpack(&b, fmt, ap);
	va_end(ap);
	if (qtfs_proto_end(&b))
		return R_BAD;
	ret = fm_send(f, msg, b.pos, fault);
	if (ret == HW_CLOSED)
		return R_CLOSED;
	if (ret)
		return R_BAD;
	return fm_reply(f, id, opcode);
}

/* A keyed, tagged session with the export mounted, or -1. */
static int fm_mount(struct fsess *f)
{
	int ret = fm_open(f, QTFS_FEAT_AUTH | QTFS_FEAT_FRAME_MAC);

	if (!ret)
		ret = fm_call(f, FM_NONE, QTFS_OP_MOUNT, "s", export);
	expect("keyed HELLO + tagged MOUNT", ret, 0);
	if (!ret)
		return 0;
	sess_close(&f->s);
	return -1;
}

/* One spoiled GETATTR on a fresh session: the server closes it. */
static void fm_attack(const char *what, enum fm_fault fault)
{
	struct fsess f;

	if (fm_mount(&f))
		return;
	expect_closed(&f.s, what,
		      fm_call(&f, fault, QTFS_OP_GETATTR, "pq", "", 0ULL));
	sess_close(&f.s);
}

static void class_framemac(void)
{
	struct fsess f;
	u8 hello[QTFS_HDR_SIZE + 64];
	int ret;

	if (!keylen) {
		tk_check("--key given", 0);
		return;
	}
	/* a stripped feature bit must not turn tagging off */
	ret = fm_open(&f, QTFS_FEAT_AUTH);
	expect("keyed HELLO without QTFS_FEAT_FRAME_MAC over TCP", ret,
	       -EACCES);
	sess_close(&f.s);

	if (!fm_mount(&f)) {
		expect("tagged GETATTR, tagged reply",
		       fm_call(&f, FM_NONE, QTFS_OP_GETATTR, "pq", "", 0ULL),
		       0);
		expect("second tagged GETATTR",
		       fm_call(&f, FM_NONE, QTFS_OP_GETATTR, "pq", "", 0ULL),
		       0);
		/* the GETATTR again, tag and all: its number is used up */
		ret = hw_send(f.s.fd, f.last, f.lastlen);
		expect_closed(&f.s, "replayed frame", ret ? R_BAD : R_CLOSED);
		sess_close(&f.s);
	}
	fm_attack("payload byte changed after tagging", FM_TAMPER);
	fm_attack("frame tagged in the server's direction", FM_REFLECT);
	fm_attack("frame tagged with a later number (one dropped)", FM_SKIP);
	fm_attack("untagged frame", FM_NOTAG);

	/* HELLO frames are never tagged, and none may follow the last one */
	if (!fm_mount(&f)) {
		memset(hello, 0, sizeof(hello));
		hw_hdr(hello, QTFS_HDR_SIZE + 20, QTFS_OP_HELLO, 0, 99, 0);
		ret = hw_send(f.s.fd, hello, QTFS_HDR_SIZE + 20);
		expect_closed(&f.s, "HELLO after the handshake",
			      ret ? R_BAD : R_CLOSED);
		sess_close(&f.s);
	}
	/* and the server still serves keyed clients */
	if (!fm_mount(&f)) {
		expect("GETATTR after the attacks",
		       fm_call(&f, FM_NONE, QTFS_OP_GETATTR, "pq", "", 0ULL),
		       0);
		sess_close(&f.s);
	}
}
HOSTILE_CLASS("framemac", class_framemac);
