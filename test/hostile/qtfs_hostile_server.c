// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_hostile_server: a fake qtfs server that qtfs.ko mounts from.  It
 * answers HELLO and MOUNT properly, then answers the request a test
 * syscall causes (the "trigger") with a malformed reply, and checks the
 * errno that syscall sees on the client, that nothing hangs, and that
 * umount still works.
 *
 *   qtfs_hostile_server --trans tcp|vsock --addr <ip|cid> --port <port>
 *                       --mnt <dir> [--key <hex>] <scenario>
 *
 * The program listens, mounts <dir> from itself with qtfs.ko (transport
 * options from --trans/--addr/--port), runs the scenario's syscall and
 * unmounts.  Exit status 0 only if every check held.
 *
 * With --key <hex> (the qtfs_auth_key of qtfs.ko) the fake server runs the
 * keyed HELLO and tags its frames (QTFS_FEAT_FRAME_MAC), so that the
 * tag-* scenarios can spoil a tag, or strip the feature, the way a man in
 * the middle of a TCP connection would.
 *
 * A few scenarios misbehave in ways that a malformed reply cannot show: a
 * server that stops reading (stop-reading), READDIR cookies that never
 * progress (readdir-same-cookie, readdir-cookie-cycle), and device nodes
 * and set-user-ID files offered to the client (setid-devices), for which
 * the program serves its own executable and runs it from the mount with
 * --print-euid.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>
#include "result.h"
#include "wire.h"

/* Kernel-internal, never valid on the wire; userspace headers lack it. */
#define HS_ERESTARTSYS	512

/* What the fake server does to the trigger request. */
enum hs_bad {
	HS_SHORT,		/* payload shorter than the reply format */
	HS_LONG,		/* longer than the request's reply can be */
	HS_OVERMAX,		/* header len above the max message size */
	HS_UNKNOWN_ID,		/* id the client never sent */
	HS_DUP_ID,		/* the reply to an earlier request again */
	HS_HUGE_COUNT,		/* READ blob length far beyond the message */
	HS_HUGE_DIRENT,		/* READDIR entry with a 65535-byte name */
	HS_ERR_POSITIVE,	/* error +5 */
	HS_ERR_BIG,		/* error below -QTFS_ERRNO_MAX */
	HS_ERR_RESTART,		/* -ERESTARTSYS */
	HS_ERR_PAYLOAD,		/* error reply that carries a payload */
	HS_TO_NOTHING,		/* a reply with id 0 */
	HS_GARBAGE,		/* random bytes instead of a reply */
	HS_UNSOLICITED,		/* id-0 message of an unknown opcode */
	HS_WRONG_OP,		/* reply with another opcode */
	HS_BAD_HELLO,		/* HELLO reply of the wrong size */
	HS_STALL,		/* stop reading the connection */
	HS_DIR_SAME,		/* READDIR: the same cookie for ever */
	HS_DIR_CYCLE,		/* READDIR: cookies A, B, A, B, ... */
	HS_SETID,		/* offer a device node and a set-user-ID file */
	HS_TAG_TAMPER,		/* keyed: a reply byte changed after tagging */
	HS_TAG_REFLECT,		/* keyed: tagged as if the client had sent it */
	HS_TAG_SKIP,		/* keyed: tagged with the number after the next */
	HS_TAG_STRIP,		/* keyed: HELLO answered without FRAME_MAC */
};

/* A READDIR loop is answered at most this often, so old clients end. */
#define HS_LOOP_MAX		50

/* stop-reading: the mount's timeout= and the writers it stops */
#define HS_STALL_TIMEOUT	6
#define HS_STALL_A		8	/* first: one blocks sending */
#define HS_STALL_B		4	/* then: queue behind it, are killed */
#define HS_STALL_C		2	/* last: wait for w0's inode lock, killed */
#define HS_STALL_FDS		(HS_STALL_A + HS_STALL_B + HS_STALL_C)
#define HS_WRITE_SIZE		(1 << 20)

/* setid-devices: argument that makes this program print its euid */
#define HS_PRINT_EUID		"--print-euid"
#define HS_UNPRIV		1000	/* uid and gid that run it */

static void run_bad_reply(const char *mnt);
static void run_bad_mount(const char *mnt);
static void run_stall(const char *mnt);
static void run_setid(const char *mnt);

/*
 * Each scenario is one two-sided case, run by main(): @bad is what the fake
 * server side does (serve()), @client the syscalls and checks on the client
 * side, run on the mount (run_bad_mount() makes the mount itself: the mount
 * is what its scenario breaks).
 * @trigger: opcode the scenario's syscall sends and that gets the bad reply
 * @expect:  errno of that syscall (0: success)
 * @keep:    the reply is well formed, only its content is bad: the request
 *           fails but the connection stays
 * @keyed:   needs --key
 */
static const struct hs_scenario {
	const char *name;
	enum hs_bad bad;
	void (*client)(const char *mnt);
	u16 trigger;
	int expect;
	int keep;
	int keyed;
} scenarios[] = {
	{ "short", HS_SHORT, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "long", HS_LONG, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "overmax", HS_OVERMAX, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "unknown-id", HS_UNKNOWN_ID, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "dup-id", HS_DUP_ID, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "huge-count", HS_HUGE_COUNT, run_bad_reply, QTFS_OP_READ, EPROTO, 0, 0 },
	{ "huge-dirent", HS_HUGE_DIRENT, run_bad_reply, QTFS_OP_READDIR, EPROTO, 1, 0 },
	{ "errno-positive", HS_ERR_POSITIVE, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "errno-big", HS_ERR_BIG, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "errno-restartsys", HS_ERR_RESTART, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "error-with-payload", HS_ERR_PAYLOAD, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "reply-to-nothing", HS_TO_NOTHING, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "garbage", HS_GARBAGE, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "unsolicited", HS_UNSOLICITED, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "wrong-opcode", HS_WRONG_OP, run_bad_reply, QTFS_OP_LOOKUP, EPROTO, 0, 0 },
	{ "bad-hello", HS_BAD_HELLO, run_bad_mount, QTFS_OP_HELLO, EPROTO, 0, 0 },
	{ "stop-reading", HS_STALL, run_stall, QTFS_OP_WRITE, 0, 0, 0 },
	{ "readdir-same-cookie", HS_DIR_SAME, run_bad_reply, QTFS_OP_READDIR, EIO, 1, 0 },
	{ "readdir-cookie-cycle", HS_DIR_CYCLE, run_bad_reply, QTFS_OP_READDIR, EIO, 1, 0 },
	{ "setid-devices", HS_SETID, run_setid, 0, 0, 0, 0 },
	{ "tag-tampered", HS_TAG_TAMPER, run_bad_reply, QTFS_OP_LOOKUP, EBADMSG, 0, 1 },
	{ "tag-reflected", HS_TAG_REFLECT, run_bad_reply, QTFS_OP_LOOKUP, EBADMSG, 0, 1 },
	{ "tag-skipped", HS_TAG_SKIP, run_bad_reply, QTFS_OP_LOOKUP, EBADMSG, 0, 1 },
	{ "tag-stripped", HS_TAG_STRIP, run_bad_mount, QTFS_OP_HELLO, EACCES, 0, 1 },
};

static const struct hs_scenario *sc;
static struct hw_addr addr;
static int lfd;

/* Written by the server thread, read by main (atomics). */
static int nr_conns;
static int closed_conns;
static int triggered;
/* HS_DUP_ID: id of the LOOKUP answered before the trigger (server only) */
static u64 answered_id;
/* READDIR loops: the handle whose walk loops, and the replies it got */
static u64 loop_handle;
static int loop_replies;
/* HS_STALL: set by main to let the stalled connection go */
static int stall_release;
/* handles: OPEN hands out 1, 2, ...; the name each was opened by */
static u64 next_handle = 1;
static char handle_names[64][32];
/* HS_SETID: this program, served as the set-user-ID file */
static int exe_fd = -1;
static off_t exe_size;
/* --key: the pre-shared key */
static u8 key[64];
static size_t keylen;

/**
 * struct hs_fmac - the keyed handshake and frame tags of one connection
 * @cn: the client's nonce
 * @sn: ours
 * @ks: session key, once @on
 * @legs: HELLOs answered (both legs carry 32 bytes: only the order tells)
 * @on: frames are tagged (after the last HELLO reply)
 * @tx: tagged frames sent
 * @rx: tagged frames received
 *
 * Connections are served one at a time, so one is enough; serve() resets
 * it for each.
 */
static struct hs_fmac {
	u8 cn[QTFS_AUTH_NONCE_SIZE];
	u8 sn[QTFS_AUTH_NONCE_SIZE];
	u8 ks[QTFS_AUTH_MAC_SIZE];
	int legs;
	int on;
	u64 tx;
	u64 rx;
} fm;

static void attr_fill(struct qtfs_attr *a, int dir)
{
	memset(a, 0, sizeof(*a));
	a->ino = dir ? 1 : 2;
	a->mode = dir ? (S_IFDIR | 0755) : (S_IFREG | 0644);
	a->nlink = dir ? 2 : 1;
	a->size = dir ? 0 : 100;
	a->blksize = 4096;
}

/* Attributes of @path (relative to the export; "" is the root). */
static void attr_of(struct qtfs_attr *a, const char *path)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	attr_fill(a, !*path);
	/* stop-reading: a file per writer, so that no inode lock joins them */
	if (name[0] == 'w' && name[1] >= '0' && name[1] <= '9')
		a->ino = 100 + atoi(name + 1);
	if (sc->bad != HS_SETID)
		return;
	if (!strcmp(name, "suid")) {
		/* root's set-user-ID program: this one */
		a->ino = 3;
		a->mode = S_IFREG | S_ISUID | 0755;
		a->size = exe_size;
	} else if (!strcmp(name, "dev")) {
		/* a world-writable node for a device of the client's */
		a->ino = 4;
		a->mode = S_IFCHR | 0666;
		a->size = 0;
		a->rdev_major = 1;
		a->rdev_minor = 3;
	}
}

static const char *handle_name(u64 handle)
{
	return handle && handle < next_handle ? handle_names[handle % 64] : "";
}

/* How send_frame() spoils the tag of a frame. */
enum hs_tag_fault {
	HT_NONE,
	HT_TAMPER,	/* a byte of the frame changed after tagging */
	HT_REFLECT,	/* tagged in the client's direction */
	HT_SKIP,	/* tagged with the number after the next */
};

/*
 * Send the frame @msg of @len bytes, followed by its tag once tagging is on
 * (room for it follows @msg), spoiled as @fault says.
 */
static int send_frame(int fd, u8 *msg, size_t len, enum hs_tag_fault fault)
{
	u64 seq;

	if (!fm.on)
		return hw_send(fd, msg, len);
	seq = fm.tx++;
	hw_frame_tag(fm.ks, fault == HT_REFLECT ? 'C' : 'S',
		     fault == HT_SKIP ? seq + 1 : seq, msg, len, NULL, 0,
		     msg + len);
	if (fault == HT_TAMPER)
		msg[len - 1] ^= 0x20;
	return hw_send(fd, msg, len + QTFS_FRAME_TAG_SIZE);
}

/*
 * Read the tag of the frame @h with @payload just received, if tagging is
 * on, and check it as qtfs_server.ko would.  Return: 0, or -1 to drop the
 * connection.
 */
static int recv_tag(int fd, const struct qtfs_msg_hdr *h, const void *payload)
{
	u8 raw[QTFS_HDR_SIZE], tag[QTFS_FRAME_TAG_SIZE];
	u8 want[QTFS_FRAME_TAG_SIZE];

	if (!fm.on)
		return 0;
	if (hw_recv_all(fd, tag, sizeof(tag)))
		return -1;
	/* the tag covers the header as sent: rebuild it */
	hw_hdr(raw, h->len, h->opcode, h->flags, h->id, h->error);
	hw_frame_tag(fm.ks, 'C', fm.rx++, raw, sizeof(raw), payload,
		     h->len - QTFS_HDR_SIZE, want);
	if (!memcmp(tag, want, sizeof(tag)))
		return 0;
	tk_check("the client's frames carry the right tags", 0);
	return -1;
}

/* Send a reply built by the codec, its tag spoiled as @fault says. */
static int vanswer(int fd, const struct qtfs_msg_hdr *h,
		   enum hs_tag_fault fault, s32 error, const char *fmt,
		   va_list ap)
{
	static unsigned char msg[QTFS_MSG_MAX + QTFS_FRAME_TAG_SIZE];
	int len;

	len = hw_vbuild(msg, QTFS_MSG_MAX, h->opcode, QTFS_HDR_REPLY, h->id,
			error, error ? "" : fmt, ap);
	if (len < 0)
		return len;
	return send_frame(fd, msg, len, fault);
}

/* Send a reply built by the codec. */
static int answer(int fd, const struct qtfs_msg_hdr *h, s32 error,
		  const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vanswer(fd, h, HT_NONE, error, fmt, ap);
	va_end(ap);
	return ret;
}

/* A good reply in the format @fmt with a spoiled tag. */
static int answer_spoiled(int fd, const struct qtfs_msg_hdr *h,
			  enum hs_tag_fault fault, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vanswer(fd, h, fault, 0, fmt, ap);
	va_end(ap);
	return ret;
}

/* A READDIR reply holding one entry @name that continues at @cookie. */
static void answer_dirent(int fd, const struct qtfs_msg_hdr *h,
			  const char *name, u64 cookie)
{
	static const unsigned char zeros[8];
	size_t len = strlen(name), pad = (len + 1 + 7) & ~7UL;
	struct hw_raw r = { .len = 0 };

	raw_u32(&r, 0);				/* flags: not EOF */
	raw_u32(&r, sizeof(struct qtfs_wire_dirent) + pad);
	raw_u64(&r, 10 + cookie);		/* ino */
	raw_u64(&r, cookie);			/* off */
	raw_u16(&r, len);
	raw_put(&r, "\x08\0\0\0\0\0", 6);	/* DT_REG, pads */
	raw_put(&r, name, len);
	raw_put(&r, zeros, pad - len);
	hw_send_raw(fd, h->opcode, QTFS_HDR_REPLY, h->id, 0, &r, 0);
}

/*
 * A READDIR of the looping walk: the same cookie again, or A -> B -> A.
 * Return: 0, or 1 when the reply was not a loop (the walk was another).
 */
static int readdir_loop(int fd, const struct qtfs_msg_hdr *h,
			const void *payload)
{
	struct qtfs_cred cred;
	struct qtfs_buf b;
	u64 handle, cookie;
	u32 max;

	qtfs_buf_init(&b, (void *)payload, h->len - QTFS_HDR_SIZE);
	if (qtfs_proto_unpack(&b, "Cqqd", &cred, &handle, &cookie, &max))
		return 1;
	if (!loop_handle)
		loop_handle = handle;
	if (handle != loop_handle || ++loop_replies > HS_LOOP_MAX)
		return 1;
	if (sc->bad == HS_DIR_SAME)
		answer_dirent(fd, h, "same", 7);
	else if (cookie == 0)
		answer_dirent(fd, h, "a", 100);
	else if (cookie == 100)
		answer_dirent(fd, h, "b", 200);
	else
		answer_dirent(fd, h, "c", 100);
	return 0;
}

/*
 * Answer a HELLO: version only, or with --key the server's half of the
 * keyed handshake (doc/protocol.md), offering FRAME_MAC unless @strip.
 * Tagging starts after the reply to the client's proof.
 */
static void answer_hello(int fd, const struct qtfs_msg_hdr *h,
			 const void *payload, int strip)
{
	u8 blob[QTFS_AUTH_NONCE_SIZE + QTFS_AUTH_MAC_SIZE];
	u8 proof[QTFS_AUTH_MAC_SIZE];
	u32 magic, features, maxmsg, len;
	const u8 *got;
	struct qtfs_buf b;
	u16 major, minor;

	qtfs_buf_init(&b, (void *)payload, h->len - QTFS_HDR_SIZE);
	if (qtfs_proto_unpack(&b, "dhhddB", &magic, &major, &minor, &features,
			      &maxmsg, &got, &len)) {
		answer(fd, h, -EPROTO, "");
		return;
	}
	if (!keylen) {
		answer(fd, h, 0, "dhhddB", QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR,
		       QTFS_PROTO_MINOR, 0, QTFS_MSG_MAX, NULL, 0);
		return;
	}
	if (!fm.legs++) {
		/* first leg: the client's nonce; ours and our proof back */
		tk_check("keyed client offers FRAME_MAC",
		      len == QTFS_AUTH_NONCE_SIZE &&
		      (features & QTFS_FEAT_FRAME_MAC));
		memcpy(fm.cn, got, sizeof(fm.cn));
		if (getrandom(fm.sn, sizeof(fm.sn), 0) != sizeof(fm.sn))
			return;
		memcpy(blob, fm.sn, sizeof(fm.sn));
		hw_hmac3(key, keylen, "qtfs-auth-server", fm.cn, fm.sn,
			 blob + QTFS_AUTH_NONCE_SIZE);
		answer(fd, h, 0, "dhhddB", QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR,
		       QTFS_PROTO_MINOR, QTFS_FEAT_AUTH |
		       (strip ? 0 : QTFS_FEAT_FRAME_MAC), QTFS_MSG_MAX, blob,
		       (u32)sizeof(blob));
		return;
	}
	/* second leg: the client's proof */
	hw_hmac3(key, keylen, "qtfs-auth-client", fm.cn, fm.sn, proof);
	tk_check("the client proves the key",
	      len == sizeof(proof) && !memcmp(got, proof, sizeof(proof)));
	answer(fd, h, 0, "dhhddB", QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR,
	       QTFS_PROTO_MINOR, QTFS_FEAT_AUTH, QTFS_MSG_MAX, NULL, 0);
	hw_hmac3(key, keylen, "qtfs-session", fm.cn, fm.sn, fm.ks);
	fm.on = 1;
}

/*
 * The bad reply of the scenario to request @h.
 * Return: 0, or 1 to drop the connection.
 */
static int misbehave(int fd, const struct qtfs_msg_hdr *h,
		     const void *payload)
{
	unsigned char raw[QTFS_HDR_SIZE + 256];
	struct qtfs_attr a;
	struct hw_raw r;
	size_t i;

	attr_fill(&a, 0);
	r.len = 0;
	switch (sc->bad) {
	case HS_SHORT:
		raw_put(&r, "0123456789", 10);
		hw_send_raw(fd, h->opcode, QTFS_HDR_REPLY, h->id, 0, &r, 0);
		break;
	case HS_LONG:
		memset(r.data, 0, 200);
		r.len = 200;	/* LOOKUP's reply is one 96-byte attr */
		hw_send_raw(fd, h->opcode, QTFS_HDR_REPLY, h->id, 0, &r, 0);
		break;
	case HS_OVERMAX:
		hw_hdr(raw, QTFS_MSG_MAX + 1, h->opcode, QTFS_HDR_REPLY, h->id,
		       0);
		hw_send(fd, raw, QTFS_HDR_SIZE);
		break;
	case HS_UNKNOWN_ID:
		hw_send_msg(fd, h->opcode, QTFS_HDR_REPLY, h->id + 1000, 0, "A",
			    &a);
		break;
	case HS_DUP_ID:
		/* the earlier request's reply once more; this one gets none */
		hw_send_msg(fd, h->opcode, QTFS_HDR_REPLY, answered_id, 0, "A",
			    &a);
		break;
	case HS_HUGE_COUNT:
		raw_u32(&r, 0xfffffff0);
		raw_put(&r, "data", 4);
		hw_send_raw(fd, h->opcode, QTFS_HDR_REPLY, h->id, 0, &r, 0);
		break;
	case HS_HUGE_DIRENT:
		raw_u32(&r, QTFS_READDIR_EOF);
		raw_u32(&r, 32);		/* blob: one 24-byte dirent + 8 */
		raw_u64(&r, 5);			/* ino */
		raw_u64(&r, 1);			/* cookie */
		raw_u16(&r, 0xffff);		/* namelen */
		raw_put(&r, "\x08\0\0\0\0\0", 6);	/* type, pads */
		raw_put(&r, "name\0\0\0\0", 8);
		hw_send_raw(fd, h->opcode, QTFS_HDR_REPLY, h->id, 0, &r, 0);
		break;
	case HS_ERR_POSITIVE:
		hw_send_raw(fd, h->opcode, QTFS_HDR_REPLY, h->id, 5, NULL, 0);
		break;
	case HS_ERR_BIG:
		hw_send_raw(fd, h->opcode, QTFS_HDR_REPLY, h->id,
			    -(QTFS_ERRNO_MAX + 100), NULL, 0);
		break;
	case HS_ERR_RESTART:
		hw_send_raw(fd, h->opcode, QTFS_HDR_REPLY, h->id, -HS_ERESTARTSYS, NULL,
			    0);
		break;
	case HS_ERR_PAYLOAD:
		raw_put(&r, "junk", 4);
		hw_send_raw(fd, h->opcode, QTFS_HDR_REPLY, h->id, -ENOENT, &r,
			    0);
		break;
	case HS_TO_NOTHING:
		hw_send_msg(fd, h->opcode, QTFS_HDR_REPLY, 0, 0, "A", &a);
		break;
	case HS_GARBAGE:
		srandom(getpid());
		for (i = 0; i < sizeof(raw); i++)
			raw[i] = random();
		hw_send(fd, raw, sizeof(raw));
		break;
	case HS_UNSOLICITED:
		hw_send_raw(fd, 250, 0, 0, 0, NULL, 0);
		break;
	case HS_WRONG_OP:
		hw_send_msg(fd, QTFS_OP_GETATTR, QTFS_HDR_REPLY, h->id, 0, "A",
			    &a);
		break;
	case HS_BAD_HELLO:
		raw_u32(&r, QTFS_PROTO_MAGIC);
		raw_u16(&r, QTFS_PROTO_MAJOR);
		raw_u16(&r, QTFS_PROTO_MINOR);
		hw_send_raw(fd, h->opcode, QTFS_HDR_REPLY, h->id, 0, &r, 0);
		break;
	case HS_STALL:
		/* read nothing more until main has seen what the client does */
		while (!__atomic_load_n(&stall_release, __ATOMIC_SEQ_CST))
			usleep(50000);
		return 1;
	case HS_TAG_TAMPER:
		answer_spoiled(fd, h, HT_TAMPER, "A", &a);
		break;
	case HS_TAG_REFLECT:
		answer_spoiled(fd, h, HT_REFLECT, "A", &a);
		break;
	case HS_TAG_SKIP:
		answer_spoiled(fd, h, HT_SKIP, "A", &a);
		break;
	case HS_TAG_STRIP:
		answer_hello(fd, h, payload, 1);
		break;
	case HS_DIR_SAME:
	case HS_DIR_CYCLE:
	case HS_SETID:
		break;	/* not a single bad reply: see serve() */
	}
	return 0;
}

/* Answer READ from this program for the set-user-ID file, else empty. */
static void answer_read(int fd, const struct qtfs_msg_hdr *h,
			const void *payload)
{
	static unsigned char data[QTFS_IO_MAX];
	struct qtfs_cred cred;
	struct qtfs_buf b;
	u64 handle, off;
	ssize_t n = 0;
	u32 count;

	qtfs_buf_init(&b, (void *)payload, h->len - QTFS_HDR_SIZE);
	if (qtfs_proto_unpack(&b, "Cqqd", &cred, &handle, &off, &count)) {
		answer(fd, h, -EINVAL, "");
		return;
	}
	if (!strcmp(handle_name(handle), "suid") && exe_fd >= 0)
		n = pread(exe_fd, data, count < sizeof(data) ? count :
			  sizeof(data), off);
	answer(fd, h, 0, "B", data, (u32)(n > 0 ? n : 0));
}

/* Serve one connection until the client goes away. */
static void serve(int fd)
{
	static unsigned char payload[QTFS_MSG_MAX];
	struct qtfs_msg_hdr h;
	struct qtfs_attr a;
	struct qtfs_buf b;
	const char *path, *name;
	struct qtfs_cred cred;
	u64 handle;

	memset(&fm, 0, sizeof(fm));
	while (!hw_recv(fd, &h, payload, sizeof(payload))) {
		if (recv_tag(fd, &h, payload))
			return;
		/* a looping READDIR walk loops on every READDIR of its own */
		if (h.opcode == QTFS_OP_READDIR &&
		    (sc->bad == HS_DIR_SAME || sc->bad == HS_DIR_CYCLE) &&
		    !readdir_loop(fd, &h, payload)) {
			__atomic_add_fetch(&triggered, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		/* misbehave once; later connections get proper answers */
		if (h.opcode == sc->trigger &&
		    (sc->bad != HS_DUP_ID || answered_id) &&
		    !__atomic_fetch_add(&triggered, 1, __ATOMIC_SEQ_CST)) {
			if (misbehave(fd, &h, payload))
				return;
			continue;
		}
		switch (h.opcode) {
		case QTFS_OP_HELLO:
			answer_hello(fd, &h, payload, 0);
			break;
		case QTFS_OP_MOUNT:
			attr_fill(&a, 1);
			answer(fd, &h, 0, "A", &a);
			break;
		case QTFS_OP_GETATTR:
			qtfs_buf_init(&b, payload, h.len - QTFS_HDR_SIZE);
			if (qtfs_proto_unpack(&b, "Cpq", &cred, &path, &handle))
				path = "";
			attr_of(&a, handle ? handle_name(handle) : path);
			answer(fd, &h, 0, "A", &a);
			break;
		case QTFS_OP_LOOKUP:
			qtfs_buf_init(&b, payload, h.len - QTFS_HDR_SIZE);
			if (qtfs_proto_unpack(&b, "Cpn", &cred, &path, &name))
				name = "file";
			attr_of(&a, name);
			answer(fd, &h, 0, "A", &a);
			if (!answered_id)
				answered_id = h.id;
			break;
		case QTFS_OP_OPEN:
			qtfs_buf_init(&b, payload, h.len - QTFS_HDR_SIZE);
			if (qtfs_proto_unpack(&b, "Cp", &cred, &path))
				path = "";
			attr_of(&a, path);
			handle = next_handle++;
			snprintf(handle_names[handle % 64],
				 sizeof(handle_names[0]), "%s", path);
			answer(fd, &h, 0, "qA", handle, &a);
			break;
		case QTFS_OP_READDIR:
			answer(fd, &h, 0, "dB", QTFS_READDIR_EOF, NULL, 0);
			break;
		case QTFS_OP_READ:
			answer_read(fd, &h, payload);
			break;
		case QTFS_OP_GETXATTR:
			answer(fd, &h, -ENODATA, "");
			break;
		case QTFS_OP_RELEASE:
		case QTFS_OP_UMOUNT:
		case QTFS_OP_INTERRUPT:
		case QTFS_OP_ACCESS:
			answer(fd, &h, 0, "");
			break;
		default:
			answer(fd, &h, -ENOSYS, "");
		}
	}
}

/* Accept and serve connections until the listener is shut down. */
static void *server_thread(void *arg)
{
	int fd;

	(void)arg;
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		__atomic_add_fetch(&nr_conns, 1, __ATOMIC_SEQ_CST);
		serve(fd);
		close(fd);
		__atomic_add_fetch(&closed_conns, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* The syscall of the scenario; returns 0 or errno. */
static int run_trigger(const char *mnt, const char *name)
{
	char path[4096], buf[64];
	struct stat st;
	int fd, ret = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", mnt, name);
	if (sc->trigger == QTFS_OP_READDIR) {
		dir = opendir(mnt);
		if (!dir)
			return errno;
		errno = 0;
		while (readdir(dir))
			;
		ret = errno;
		closedir(dir);
		return ret;
	}
	if (sc->trigger != QTFS_OP_READ)
		return stat(path, &st) ? errno : 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	if (read(fd, buf, sizeof(buf)) < 0)
		ret = errno;
	close(fd);
	return ret;
}

static const char *errname(int e)
{
	return e ? strerrorname_np(e) : "success";
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Mount the fake server's export on @mnt with @extra options ("" or ",..."). */
static int do_mount(const char *mnt, const char *extra)
{
	unsigned int timeout = sc->bad == HS_STALL ? HS_STALL_TIMEOUT : 20;
	char opts[256];

	if (addr.vsock)
		snprintf(opts, sizeof(opts), "trans=vsock,cid=%u,port=%u,timeout=%u%s",
			 addr.cid, addr.port, timeout, extra);
	else
		snprintf(opts, sizeof(opts), "trans=tcp,ip=%s,port=%u,timeout=%u%s",
			 addr.ip, addr.port, timeout, extra);
	return mount("/hostile", mnt, "qtfs", 0, opts) ? errno : 0;
}

/* The scenario's HELLO reply is bad: the mount itself must fail. */
static void run_bad_mount(const char *mnt)
{
	char what[160];
	int ret;

	ret = do_mount(mnt, "");
	snprintf(what, sizeof(what), "mount fails with %s (got %s)",
		 errname(sc->expect), errname(ret));
	tk_check(what, ret == sc->expect);
	if (!ret)
		umount(mnt);
}

/*
 * A reply to @sc->trigger is bad: the syscall fails with @sc->expect, the
 * client drops the connection (or keeps it for a reply that is only bad in
 * content) and the next syscall works.
 */
static void run_bad_reply(const char *mnt)
{
	char what[160];
	int ret, i;

	if (sc->bad == HS_DUP_ID) {
		ret = run_trigger(mnt, "answered");
		snprintf(what, sizeof(what), "syscall before the duplicate works (got %s)",
			 errname(ret));
		tk_check(what, !ret);
	}
	ret = run_trigger(mnt, "victim");
	snprintf(what, sizeof(what), "syscall sees %s (got %s)",
		 errname(sc->expect), errname(ret));
	tk_check(what, ret == sc->expect);
	tk_check("the bad reply was sent", triggered > 0);
	if (loop_handle) {
		snprintf(what, sizeof(what), "loop found after %d READDIR replies",
			 loop_replies);
		tk_check(what, loop_replies <= 4);
	}
	/*
	 * The client must have dropped the connection (after the syscall
	 * returned, for a duplicate that came after a good reply); the next
	 * syscall then works over a new one.
	 */
	for (i = 0; i < 100 && !__atomic_load_n(&closed_conns, __ATOMIC_SEQ_CST);
	     i++)
		usleep(100000);
	if (sc->keep)
		tk_check("connection kept", closed_conns == 0);
	else
		tk_check("client dropped the connection", closed_conns == 1);
	ret = run_trigger(mnt, "victim2");
	snprintf(what, sizeof(what), "next syscall reconnects and works (got %s)",
		 errname(ret));
	tk_check(what, !ret && nr_conns == 2 - sc->keep);
}

/* What a stop-reading writer reports through the pipe. */
struct hs_write_result {
	int err;
	double secs;
};

/* Fork a process that writes 1 MiB to @fd at MiB @slot and reports. */
static pid_t stall_writer(int fd, int slot, int pfd)
{
	static const char zeros[HS_WRITE_SIZE];
	struct hs_write_result r;
	double start;
	pid_t pid;

	pid = fork();
	if (pid)
		return pid;
	start = now();
	r.err = pwrite(fd, zeros, sizeof(zeros), (off_t)slot * HS_WRITE_SIZE) <
		0 ? errno : 0;
	r.secs = now() - start;
	if (write(pfd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	_exit(0);
}

/* Reap @n processes of @pids within @secs; returns how many. */
static int reap(pid_t *pids, int n, double secs)
{
	double end = now() + secs;
	int i, left = n;

	while (left && now() < end) {
		for (i = 0; i < n; i++)
			if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) ==
			    pids[i]) {
				pids[i] = 0;
				left--;
			}
		if (left)
			usleep(20000);
	}
	return n - left;
}

/*
 * Start @n writers on @fds (at MiB @slot) behind the stuck ones, kill them
 * and check that every one exits within 2 s: a queued writer must not sit
 * in D state.
 */
static void kill_queued(pid_t *pids, int n, const int *fds, int slot,
			int pfd, const char *who)
{
	char what[160];
	double tk;
	int i;

	for (i = 0; i < n; i++)
		pids[i] = stall_writer(fds[i], slot, pfd);
	usleep(500000);
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	tk = now();
	i = reap(pids, n, 2);
	snprintf(what, sizeof(what), "%d of %d %s exit at SIGKILL within 2 s (%.1f s)",
		 i, n, who, now() - tk);
	tk_check(what, i == n);
}

/*
 * stop-reading: the server reads one WRITE and nothing more.  Writers that
 * queue behind the one blocked sending must die at SIGKILL (not sit in D
 * state), and those not killed must fail once the send timeout declares
 * the connection dead; a new connection then serves the mount again.
 */
static void run_stall(const char *mnt)
{
	int fds[HS_STALL_FDS], fd = -1, p[2], i, got = 0, clean = 1;
	pid_t a[HS_STALL_A], b[HS_STALL_B], c[HS_STALL_C];
	struct hs_write_result r;
	struct pollfd pfd;
	char path[4096], what[160];
	double t0, worst = 0;
	struct stat st;

	for (i = 0; i < HS_STALL_FDS; i++) {
		/* the last ones share w0 and so its writer's inode lock */
		snprintf(path, sizeof(path), "%s/w%d", mnt,
			 i < HS_STALL_A + HS_STALL_B ? i : 0);
		fd = fds[i] = open(path, O_WRONLY);
		if (fd < 0)
			break;
	}
	tk_check("open a file per writer", fd >= 0);
	if (fd < 0 || pipe(p))
		return;
	t0 = now();
	for (i = 0; i < HS_STALL_A; i++)
		a[i] = stall_writer(fds[i], 0, p[1]);
	sleep(2);
	tk_check("the server stopped reading: every writer is still blocked",
	      __atomic_load_n(&triggered, __ATOMIC_SEQ_CST) &&
	      reap(a, HS_STALL_A, 0) == 0);
	kill_queued(b, HS_STALL_B, fds + HS_STALL_A, 0, p[1],
		    "writers queued behind it");
	/* a writer waiting for the inode lock a stuck writer holds */
	kill_queued(c, HS_STALL_C, fds + HS_STALL_A + HS_STALL_B, 1, p[1],
		    "writers waiting for its inode lock");

	/* the rest fail once the send timeout (at most twice over) ran out */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (got < HS_STALL_A &&
	       now() < t0 + 2 * HS_STALL_TIMEOUT + 8 &&
	       poll(&pfd, 1, 500) >= 0) {
		if (!(pfd.revents & POLLIN))
			continue;
		if (read(p[0], &r, sizeof(r)) != sizeof(r))
			break;
		got++;
		if (r.secs > worst)
			worst = r.secs;
		if (r.err != ETIMEDOUT && r.err != ENOTCONN) {
			printf("  a writer got %s after %.1f s\n",
			       errname(r.err), r.secs);
			clean = 0;
		}
	}
	snprintf(what, sizeof(what), "%d of %d blocked writers fail within %d s (last after %.1f s)",
		 got, HS_STALL_A, 2 * HS_STALL_TIMEOUT + 8, worst);
	tk_check(what, got == HS_STALL_A);
	tk_check("with ETIMEDOUT or ENOTCONN", got && clean);
	reap(a, HS_STALL_A, 5);

	/* let the stalled connection go; the next syscall reconnects */
	__atomic_store_n(&stall_release, 1, __ATOMIC_SEQ_CST);
	snprintf(path, sizeof(path), "%s/victim2", mnt);
	for (i = 0; i < 40 && stat(path, &st); i++)
		usleep(250000);
	snprintf(what, sizeof(what), "the mount works again over a new connection (%d connections)",
		 nr_conns);
	tk_check(what, i < 40 && nr_conns == 2);
	for (i = 0; i < HS_STALL_FDS; i++)
		close(fds[i]);
	close(p[0]);
	close(p[1]);
}

/* Run the mount's "suid" as uid 1000; returns the euid it had, or -1. */
static long exec_euid(const char *mnt)
{
	char path[4096], buf[32] = "";
	ssize_t n, got = 0;
	int p[2], status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/suid", mnt);
	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(p[1], STDOUT_FILENO);
		if (setgroups(0, NULL) || setgid(HS_UNPRIV) || setuid(HS_UNPRIV))
			_exit(126);
		execl(path, "suid", HS_PRINT_EUID, (char *)NULL);
		printf("exec: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(p[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("  suid: %s (status %d)\n", buf, status);
		return -1;
	}
	return strtol(buf, NULL, 10);
}

/* Open the mount's "dev" for writing and write a byte; returns errno. */
static int open_dev(const char *mnt)
{
	char path[4096];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/dev", mnt);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, "x", 1) != 1)
		ret = errno;
	close(fd);
	return ret;
}

/*
 * setid-devices: the server offers a world-writable node for the client's
 * /dev/null and a root set-user-ID program.  By default the node does not
 * open and the program runs as its caller (stat still shows the bit);
 * devices=local,setid=allow opt in to both.
 */
static void run_setid(const char *mnt)
{
	char path[4096], what[128];
	struct stat st;
	long euid;
	int ret;

	snprintf(path, sizeof(path), "%s/suid", mnt);
	tk_check("stat shows the set-user-ID bit",
	      !stat(path, &st) && (st.st_mode & S_ISUID) && st.st_uid == 0);
	ret = open_dev(mnt);
	snprintf(what, sizeof(what), "default: the device node does not open (got %s)",
		 errname(ret));
	tk_check(what, ret == EACCES);
	euid = exec_euid(mnt);
	snprintf(what, sizeof(what), "default: uid %d runs the set-user-ID program as itself (euid %ld)",
		 HS_UNPRIV, euid);
	tk_check(what, euid == HS_UNPRIV);

	ret = umount(mnt) ? errno : do_mount(mnt, ",devices=local,setid=allow");
	tk_check("remount with devices=local,setid=allow", !ret);
	if (ret)
		return;
	ret = open_dev(mnt);
	snprintf(what, sizeof(what), "devices=local: the device node opens (got %s)",
		 errname(ret));
	tk_check(what, ret == 0);
	euid = exec_euid(mnt);
	snprintf(what, sizeof(what), "setid=allow: the set-user-ID program runs as root (euid %ld)",
		 euid);
	tk_check(what, euid == 0);
}

/* --key: 16 to 64 bytes in hex.  Return: 0 or -1. */
static int parse_key(const char *hex)
{
	size_t n = strlen(hex), i;
	unsigned int byte;

	if (n % 2 || n / 2 < 16 || n / 2 > sizeof(key))
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (!isxdigit(hex[2 * i]) || !isxdigit(hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -1;
		key[i] = byte;
	}
	keylen = n / 2;
	return 0;
}

int main(int argc, char **argv)
{
	const char *trans = NULL, *where = NULL, *port = NULL, *mnt = NULL;
	const char *hexkey = NULL;
	char what[128];
	struct stat st;
	struct hw_addr listen_addr;
	pthread_t t;
	size_t i;
	int a, ret;

	/* setid-devices runs this program from the mount */
	if (argc == 2 && !strcmp(argv[1], HS_PRINT_EUID)) {
		printf("%u\n", (unsigned int)geteuid());
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (a = 1; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (!strcmp(argv[a], "--trans"))
			trans = argv[a + 1];
		else if (!strcmp(argv[a], "--addr"))
			where = argv[a + 1];
		else if (!strcmp(argv[a], "--port"))
			port = argv[a + 1];
		else if (!strcmp(argv[a], "--mnt"))
			mnt = argv[a + 1];
		else if (!strcmp(argv[a], "--key"))
			hexkey = argv[a + 1];
		else
			goto usage;
	}
	if (a + 1 != argc || !trans || !where || !port || !mnt ||
	    hw_parse_addr(&addr, trans, where, port))
		goto usage;
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(argv[a], scenarios[i].name))
			sc = &scenarios[i];
	if (!sc || (hexkey && parse_key(hexkey)))
		goto usage;
	if (sc->keyed && !keylen) {
		fprintf(stderr, "scenario %s needs --key\n", sc->name);
		return 2;
	}

	listen_addr = addr;
	if (addr.vsock)
		listen_addr.cid = VMADDR_CID_ANY;
	lfd = hw_listen(&listen_addr);
	if (lfd < 0) {
		printf("listen: %s\n", strerror(-lfd));
		return 1;
	}
	/*
	 * stop-reading: a small TCP window (accepted sockets inherit it), so
	 * that the writers fill it and block the client's send at once;
	 * vsock's 256 KiB credit is small enough
	 */
	if (sc->bad == HS_STALL && !addr.vsock)
		setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &(int){ 65536 },
			   sizeof(int));
	if (sc->bad == HS_SETID) {
		exe_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		if (exe_fd < 0 || fstat(exe_fd, &st))
			return 1;
		exe_size = st.st_size;
	}
	if (pthread_create(&t, NULL, server_thread, NULL))
		return 1;
	printf("hostile server: %s over %s\n", sc->name, trans);

	if (sc->client == run_bad_mount) {
		run_bad_mount(mnt);
		goto out;
	}
	ret = do_mount(mnt, "");
	tk_check("mount from the fake server", !ret);
	if (ret) {
		printf("  mount: %s\n", strerror(ret));
		goto out;
	}
	sc->client(mnt);
	ret = umount(mnt) ? errno : 0;
	snprintf(what, sizeof(what), "umount works (got %s)", errname(ret));
	tk_check(what, !ret);
out:
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	printf("hostile server: %s: %d connection(s)\n", sc->name, nr_conns);
	/* the server thread may sit in a blocking recv: just leave */
	return tk_summary();

usage:
	fprintf(stderr, "usage: qtfs_hostile_server --trans tcp|vsock --addr <ip|cid> --port <port>\n"
		"                           --mnt <dir> [--key <hex>] <scenario>\n"
		"--key: 16 to 64 bytes in hex, as qtfs.ko's qtfs_auth_key\nscenarios:");
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		fprintf(stderr, " %s", scenarios[i].name);
	fprintf(stderr, "\n");
	return 2;
}
