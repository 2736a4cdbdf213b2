// SPDX-License-Identifier: GPL-2.0
/*
 * Attacks on the wire format and the session: path escapes, forged
 * handles, truncated, oversized and malformed messages, unknown opcodes,
 * version mismatches, traffic before HELLO, bursts and silent peers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "hostile.h"

#define BURST_N		10000

/* ----- path escapes ----- */

static void raw_lookup(struct hw_raw *r, const char *parent, const char *name)
{
	r->len = 0;
	raw_cred0(r);
	raw_str(r, parent);
	raw_str(r, name);
}

static void raw_getattr(struct hw_raw *r, const char *path)
{
	r->len = 0;
	raw_cred0(r);
	raw_str(r, path);
	raw_u64(r, 0);
}

static void cleanup_escape(struct sess *s)
{
	static const char * const names[] = {
		"hx_abs", "hx_up", "hx_file", "hx_link", "hx_h",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		call(s, QTFS_OP_UNLINK, "pn", "", names[i]);
}

static void class_escape(void)
{
	struct qtfs_attr attr;
	struct hw_raw r;
	struct sess s, m;
	char path[QTFS_PATH_MAX];
	u64 handle;
	u32 cflags;

	/* lexical escapes never get past the codec: connection closed */
	raw_lookup(&r, "", "..");
	attack_raw("LOOKUP name ..", QTFS_OP_LOOKUP, 0, 0, &r, 0);
	raw_getattr(&r, "../etc");
	attack_raw("GETATTR ../etc", QTFS_OP_GETATTR, 0, 0, &r, 0);
	raw_getattr(&r, "a/../../etc");
	attack_raw("GETATTR a/../../etc", QTFS_OP_GETATTR, 0, 0, &r, 0);
	raw_getattr(&r, "/etc/passwd");
	attack_raw("GETATTR /etc/passwd", QTFS_OP_GETATTR, 0, 0, &r, 0);
	raw_lookup(&r, "", "etc/passwd");
	attack_raw("LOOKUP name with /", QTFS_OP_LOOKUP, 0, 0, &r, 0);

	if (sess_mount(&s))
		return;
	cleanup_escape(&s);
	/* symlinks pointing out may be created, as on any filesystem ... */
	expect("SYMLINK hx_abs -> /etc",
	       call(&s, QTFS_OP_SYMLINK, "pns", "", "hx_abs", "/etc"), 0);
	expect("SYMLINK hx_up -> ../../../../../etc",
	       call(&s, QTFS_OP_SYMLINK, "pns", "", "hx_up",
		    "../../../../../etc"), 0);
	/* ... but never followed out of the export */
	expect("OPEN hx_abs/passwd",
	       call(&s, QTFS_OP_OPEN, "pd", "hx_abs/passwd", QTFS_O_RDONLY),
	       -EXDEV);
	expect("OPEN hx_abs (final symlink followed)",
	       call(&s, QTFS_OP_OPEN, "pd", "hx_abs",
		    QTFS_O_RDONLY | QTFS_O_DIRECTORY), -EXDEV);
	expect("OPEN hx_up/passwd",
	       call(&s, QTFS_OP_OPEN, "pd", "hx_up/passwd", QTFS_O_RDONLY),
	       -EXDEV);
	expect("LOOKUP hx_abs passwd",
	       call(&s, QTFS_OP_LOOKUP, "pn", "hx_abs", "passwd"), -EXDEV);
	expect("LOOKUP hx_up passwd",
	       call(&s, QTFS_OP_LOOKUP, "pn", "hx_up", "passwd"), -EXDEV);
	expect("GETATTR hx_up/passwd",
	       call(&s, QTFS_OP_GETATTR, "pq", "hx_up/passwd", 0ULL), -EXDEV);
	expect("CREATE in hx_abs",
	       call(&s, QTFS_OP_CREATE, "pnddd", "hx_abs", "hostile",
		    QTFS_O_RDWR, 0644, 022), -EXDEV);
	expect("MKDIR in hx_up",
	       call(&s, QTFS_OP_MKDIR, "pndd", "hx_up", "hostile", 0755,
		    022),
	       -EXDEV);
	expect("SETATTR hx_abs/passwd",
	       call(&s, QTFS_OP_SETATTR, "pqddddqqdqd", "hx_abs/passwd", 0ULL,
		    QTFS_SETATTR_MODE, 0777, 0, 0, 0ULL, 0ULL, 0, 0ULL, 0),
	       -EXDEV);
	expect("CREATE hx_file",
	       call(&s, QTFS_OP_CREATE, "pnddd", "", "hx_file", QTFS_O_RDWR,
		    0644, 022), 0);
	handle = 0;
	{
		struct qtfs_buf b;

		qtfs_buf_init(&b, rbuf, rlen);
		tk_check("CREATE reply decodes",
		      !qtfs_proto_unpack(&b, "qAd", &handle, &attr, &cflags));
	}
	expect("RELEASE hx_file", call(&s, QTFS_OP_RELEASE, "q", handle), 0);
	expect("RENAME hx_file -> hx_abs/hostile",
	       call(&s, QTFS_OP_RENAME, "pnpnd", "", "hx_file", "hx_abs",
		    "hostile", 0), -EXDEV);
	expect("RENAME hx_abs/passwd -> hx_stolen",
	       call(&s, QTFS_OP_RENAME, "pnpnd", "hx_abs", "passwd", "",
		    "hx_stolen", 0), -EXDEV);
	expect("LINK hx_abs/passwd -> hx_link",
	       call(&s, QTFS_OP_LINK, "ppn", "hx_abs/passwd", "", "hx_link"),
	       -EXDEV);
	expect("LINK hx_file -> hx_up/hostile",
	       call(&s, QTFS_OP_LINK, "ppn", "hx_file", "hx_up", "hostile"),
	       -EXDEV);
	expect("READLINK hx_abs (reading the link itself is fine)",
	       call(&s, QTFS_OP_READLINK, "p", "hx_abs"), 0);

	/* MOUNT of outside paths, on a connection without a session */
	if (!sess_open(&m)) {
		expect("HELLO", hello(&m), 0);
		expect("MOUNT /etc", call(&m, QTFS_OP_MOUNT, "s", "/etc"),
		       -EPERM);
		snprintf(path, sizeof(path), "%s/../../etc", export);
		expect("MOUNT <export>/../../etc",
		       call(&m, QTFS_OP_MOUNT, "s", path), -EPERM);
		snprintf(path, sizeof(path), "%s/hx_abs", export);
		expect("MOUNT <export>/hx_abs (symlink out)",
		       call(&m, QTFS_OP_MOUNT, "s", path), -EPERM);
		expect("MOUNT relative path",
		       call(&m, QTFS_OP_MOUNT, "s", "srv"), -EINVAL);
		sess_close(&m);
	}
	cleanup_escape(&s);
	sess_close(&s);
}
HOSTILE_CLASS("escape", class_escape);

/* ----- handles ----- */

static int read_handle(struct sess *s, u64 handle)
{
	return call(s, QTFS_OP_READ, "qqd", handle, 0ULL, 16);
}

static void class_handles(void)
{
	struct qtfs_attr attr;
	struct qtfs_buf b;
	struct sess a, o;
	u64 h = 0;
	u32 cflags;

	if (sess_mount(&a))
		return;
	call(&a, QTFS_OP_UNLINK, "pn", "", "hx_h");
	expect("CREATE hx_h", call(&a, QTFS_OP_CREATE, "pnddd", "", "hx_h",
				   QTFS_O_RDWR, 0644, 022), 0);
	qtfs_buf_init(&b, rbuf, rlen);
	tk_check("CREATE reply decodes",
	      !qtfs_proto_unpack(&b, "qAd", &h, &attr, &cflags));
	expect("READ own handle", read_handle(&a, h), 0);
	expect("READ handle 0", read_handle(&a, 0), -EBADF);
	expect("READ forged handle 1", read_handle(&a, 1), -EBADF);
	expect("READ handle, other generation",
	       read_handle(&a, h ^ (1ULL << 40)), -EBADF);
	expect("READ handle, next index", read_handle(&a, h + 1), -EBADF);
	expect("READ handle ~0", read_handle(&a, ~0ULL), -EBADF);
	expect("WRITE forged handle",
	       call(&a, QTFS_OP_WRITE, "qqB", h + 7, 0ULL, "x", 1), -EBADF);
	expect("FSYNC forged handle", call(&a, QTFS_OP_FSYNC, "qd", h + 9, 0),
	       -EBADF);
	expect("GETATTR by forged handle",
	       call(&a, QTFS_OP_GETATTR, "pq", "", h + 3), -EBADF);
	expect("RELEASE forged handle", call(&a, QTFS_OP_RELEASE, "q", h + 5),
	       -EBADF);

	if (!sess_mount(&o)) {
		expect("READ handle of another session", read_handle(&o, h),
		       -EBADF);
		expect("GETATTR handle of another session",
		       call(&o, QTFS_OP_GETATTR, "pq", "", h), -EBADF);
		expect("RELEASE handle of another session",
		       call(&o, QTFS_OP_RELEASE, "q", h), -EBADF);
		sess_close(&o);
	}
	expect("READ own handle still works", read_handle(&a, h), 0);
	expect("RELEASE own handle", call(&a, QTFS_OP_RELEASE, "q", h), 0);
	expect("READ released handle", read_handle(&a, h), -EBADF);
	expect("RELEASE released handle", call(&a, QTFS_OP_RELEASE, "q", h),
	       -EBADF);
	expect("UNLINK hx_h", call(&a, QTFS_OP_UNLINK, "pn", "", "hx_h"), 0);
	sess_close(&a);
}
HOSTILE_CLASS("handles", class_handles);

/* ----- truncated messages ----- */

static void class_truncated(void)
{
	unsigned char raw[QTFS_HDR_SIZE];
	struct hw_raw r;
	struct sess s;

	r.len = 0;
	raw_cred0(&r);
	raw_str(&r, "");
	attack_raw("GETATTR without its handle", QTFS_OP_GETATTR, 0, 0, &r, 0);
	r.len = 0;
	raw_cred0(&r);
	raw_u16(&r, 10);
	raw_put(&r, "abc", 3);
	attack_raw("LOOKUP parent cut short", QTFS_OP_LOOKUP, 0, 0, &r, 0);
	r.len = 0;
	raw_put(&r, "\0\0\0", 3);
	attack_raw("credentials cut short", QTFS_OP_UMOUNT, 0, 0, &r, 0);
	r.len = 0;
	raw_cred0(&r);
	raw_u32(&r, 0x10);	/* 16-byte blob promised, 4 given */
	raw_u32(&r, 0);
	attack_raw("WRITE blob cut short", QTFS_OP_WRITE, 0, 0, &r, 0);

	/* the stream ends inside a message */
	if (!sess_mount(&s)) {
		hw_hdr(raw, QTFS_HDR_SIZE + 100, QTFS_OP_GETATTR, 0, 99, 0);
		hw_send(s.fd, raw, sizeof(raw));
		hw_send(s.fd, "0123456789", 10);
		shutdown(s.fd, SHUT_WR);
		expect("payload cut by end of stream",
		       hw_wait_closed(s.fd, HW_RECV_TIMEOUT_S) ? R_BAD : R_CLOSED,
		       R_CLOSED);
		sess_close(&s);
	}
	if (!sess_mount(&s)) {
		hw_send(s.fd, raw, 10);
		shutdown(s.fd, SHUT_WR);
		expect("header cut by end of stream",
		       hw_wait_closed(s.fd, HW_RECV_TIMEOUT_S) ? R_BAD : R_CLOSED,
		       R_CLOSED);
		sess_close(&s);
	}
}
HOSTILE_CLASS("truncated", class_truncated);

/* ----- oversized messages and overflowing lengths ----- */

static void class_oversized(void)
{
	unsigned char raw[QTFS_HDR_SIZE];
	struct hw_raw r;
	struct sess s;
	u32 lens[] = { QTFS_MSG_MAX + 1, 0x7fffffff, 0xffffffff, 0, 10,
		       QTFS_HDR_SIZE - 1 };
	char what[64];
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		if (sess_mount(&s))
			return;
		hw_hdr(raw, lens[i], QTFS_OP_GETATTR, 0, 5, 0);
		hw_send(s.fd, raw, sizeof(raw));
		snprintf(what, sizeof(what), "header len %u", lens[i]);
		expect_closed(&s, what, reply(&s, 5, QTFS_OP_GETATTR));
		sess_close(&s);
	}
	raw_getattr(&r, "");
	raw_u32(&r, 0);
	attack_raw("GETATTR with trailing bytes", QTFS_OP_GETATTR, 0, 0, &r, 0);
	r.len = 0;
	raw_cred0(&r);
	raw_u64(&r, 1);
	raw_u64(&r, 0);
	raw_u32(&r, 0xfffffff0);	/* blob length that overflows */
	raw_put(&r, "abcd", 4);
	attack_raw("WRITE blob length 0xfffffff0", QTFS_OP_WRITE, 0, 0, &r, 0);
	r.len = 0;
	raw_cred0(&r);
	raw_u64(&r, 1);
	raw_u64(&r, 0);
	raw_u32(&r, QTFS_IO_MAX + 1);	/* over the blob cap */
	attack_raw("WRITE blob length over QTFS_IO_MAX", QTFS_OP_WRITE, 0, 0,
		   &r, 0);
	r.len = 0;
	raw_u32(&r, 0);
	raw_u32(&r, 0);
	raw_u16(&r, 0xffff);	/* ngroups far over the cap */
	raw_put(&r, "\0\0\0\0\0\0", 6);
	attack_raw("credentials with 65535 groups", QTFS_OP_UMOUNT, 0, 0, &r,
		   0);
	r.len = 0;
	raw_u32(&r, 0);
	raw_u32(&r, 0);
	raw_u16(&r, QTFS_NGROUPS_MAX + 1);
	raw_put(&r, "\0\0\0\0\0\0", 6);
	for (i = 0; i <= QTFS_NGROUPS_MAX; i++)
		raw_u32(&r, 0);
	attack_raw("credentials with 65 groups", QTFS_OP_UMOUNT, 0, 0, &r, 0);
}
HOSTILE_CLASS("oversized", class_oversized);

/* ----- strings ----- */

static void class_strings(void)
{
	char big[300];
	struct hw_raw r;

	r.len = 0;
	raw_cred0(&r);
	raw_str(&r, "");
	raw_u16(&r, 3);
	raw_put(&r, "abcx", 4);		/* no NUL where it belongs */
	attack_raw("name without its NUL", QTFS_OP_LOOKUP, 0, 0, &r, 0);
	r.len = 0;
	raw_cred0(&r);
	raw_u16(&r, 0xffff);
	raw_put(&r, "abc", 4);
	raw_u64(&r, 0);
	attack_raw("path length 65535", QTFS_OP_GETATTR, 0, 0, &r, 0);
	r.len = 0;
	raw_cred0(&r);
	raw_str(&r, "");
	raw_u16(&r, 3);
	raw_put(&r, "a\0b", 4);
	attack_raw("NUL inside a name", QTFS_OP_LOOKUP, 0, 0, &r, 0);
	raw_getattr(&r, "a//b");
	attack_raw("empty path component", QTFS_OP_GETATTR, 0, 0, &r, 0);
	raw_getattr(&r, "a/./b");
	attack_raw("\".\" path component", QTFS_OP_GETATTR, 0, 0, &r, 0);
	memset(big, 'n', sizeof(big));
	big[QTFS_NAME_MAX + 1] = '\0';
	raw_lookup(&r, "", big);
	attack_raw("name of 256 bytes", QTFS_OP_LOOKUP, 0, 0, &r, 0);
	raw_lookup(&r, "", "");
	attack_raw("empty name", QTFS_OP_LOOKUP, 0, 0, &r, 0);
}
HOSTILE_CLASS("strings", class_strings);

/* ----- opcodes and header fields ----- */

static void class_opcodes(void)
{
	unsigned char raw[QTFS_HDR_SIZE];
	struct qtfs_hdr *h = (struct qtfs_hdr *)raw;
	struct hw_raw r;
	struct sess s;

	if (!sess_mount(&s)) {
		r.len = 0;
		raw_cred0(&r);
		expect("opcode 200", call_raw(&s, 200, 0, 0, &r, 0), -ENOSYS);
		expect("opcode 0", call_raw(&s, 0, 0, 0, &r, 0), -ENOSYS);
		expect("opcode 65535", call_raw(&s, 0xffff, 0, 0, NULL, 0),
		       -ENOSYS);
		expect("opcode QTFS_OP_MAX + 1",
		       call_raw(&s, QTFS_OP_MAX + 1, 0, 0, &r, 0), -ENOSYS);
		expect("HELLO again", hello(&s), -EISCONN);
		expect("MOUNT again", call(&s, QTFS_OP_MOUNT, "s", export),
		       -EBUSY);
		expect("connection still serves: GETATTR",
		       call(&s, QTFS_OP_GETATTR, "pq", "", 0ULL), 0);
		sess_close(&s);
	}
	raw_getattr(&r, "");
	attack_raw("request flagged as reply", QTFS_OP_GETATTR,
		   QTFS_HDR_REPLY, 0, &r, 0);
	attack_raw("unknown header flag", QTFS_OP_GETATTR, 0x8000, 0, &r, 0);
	attack_raw("request carrying an error", QTFS_OP_GETATTR, 0, -EIO, &r,
		   0);
	if (!sess_mount(&s)) {
		hw_hdr(raw, QTFS_HDR_SIZE + r.len, QTFS_OP_GETATTR, 0, 77, 0);
		h->reserved = cpu_to_le32(1);
		hw_send(s.fd, raw, sizeof(raw));
		hw_send(s.fd, r.data, r.len);
		expect_closed(&s, "reserved header field set",
			      reply(&s, 77, QTFS_OP_GETATTR));
		sess_close(&s);
	}
}
HOSTILE_CLASS("opcodes", class_opcodes);

/* ----- HELLO: versions and magic ----- */

static void class_version(void)
{
	u8 nonce[QTFS_AUTH_NONCE_SIZE] = { 0 };
	struct hw_raw r;
	struct sess s;

	if (!sess_open(&s)) {
		expect("HELLO bad magic",
		       hello_fields(&s, 0xdeadbeef, QTFS_PROTO_MAJOR, 0,
				    QTFS_MSG_MAX, NULL, 0), -EPROTONOSUPPORT);
		expect_closed(&s, "closed after bad magic", R_CLOSED);
		sess_close(&s);
	}
	if (!sess_open(&s)) {
		expect("HELLO major + 1",
		       hello_fields(&s, QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR + 1,
				    0, QTFS_MSG_MAX, NULL, 0), -EPROTONOSUPPORT);
		expect_closed(&s, "closed after bad major", R_CLOSED);
		sess_close(&s);
	}
	if (!sess_open(&s)) {
		expect("HELLO major 0",
		       hello_fields(&s, QTFS_PROTO_MAGIC, 0, 0, QTFS_MSG_MAX,
				    NULL, 0), -EPROTONOSUPPORT);
		sess_close(&s);
	}
	if (!sess_open(&s)) {
		/* an old-format HELLO (no blob) still gets the clear refusal */
		r.len = 0;
		raw_u32(&r, 0x12345678);
		raw_u16(&r, 7);
		raw_u16(&r, 0);
		raw_u32(&r, 0);
		raw_u32(&r, QTFS_MSG_MAX);
		expect("old-format HELLO with bad magic",
		       call_raw(&s, QTFS_OP_HELLO, 0, 0, &r, 0),
		       -EPROTONOSUPPORT);
		sess_close(&s);
	}
	if (!sess_open(&s)) {
		expect("HELLO max message 1 KiB",
		       hello_fields(&s, QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR, 0,
				    1024, NULL, 0), -EINVAL);
		expect_closed(&s, "closed after tiny max message", R_CLOSED);
		sess_close(&s);
	}
	if (!sess_open(&s)) {
		expect("HELLO asking for authentication (server has no key)",
		       hello_fields(&s, QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR,
				    QTFS_FEAT_AUTH, QTFS_MSG_MAX, nonce,
				    sizeof(nonce)), -EACCES);
		expect_closed(&s, "closed after refused authentication",
			      R_CLOSED);
		sess_close(&s);
	}
	if (!sess_open(&s)) {
		expect("HELLO with authentication data but no feature bit",
		       hello_fields(&s, QTFS_PROTO_MAGIC, QTFS_PROTO_MAJOR, 0,
				    QTFS_MSG_MAX, nonce, 5), -EACCES);
		sess_close(&s);
	}
	if (!sess_open(&s)) {
		r.len = 0;
		raw_u32(&r, QTFS_PROTO_MAGIC);
		raw_u16(&r, QTFS_PROTO_MAJOR);
		raw_u16(&r, 0);
		expect_closed(&s, "HELLO cut after minor",
			      call_raw(&s, QTFS_OP_HELLO, 0, 0, &r, 0));
		sess_close(&s);
	}
}
HOSTILE_CLASS("version", class_version);

/* ----- requests before HELLO / before MOUNT ----- */

/* Connections that speak before HELLO; also floods that log line. */
#define PREHELLO_FLOOD	100

static void class_prehello(void)
{
	struct hw_raw r;
	struct sess s;
	int i, closed = 0;

	raw_getattr(&r, "");
	if (!sess_open(&s)) {
		expect_closed(&s, "GETATTR before HELLO",
			      call_raw(&s, QTFS_OP_GETATTR, 0, 0, &r, 0));
		sess_close(&s);
	}
	if (!sess_open(&s)) {
		expect_closed(&s, "MOUNT before HELLO",
			      call(&s, QTFS_OP_MOUNT, "s", export));
		sess_close(&s);
	}
	if (!sess_open(&s)) {
		expect("HELLO", hello(&s), 0);
		expect("GETATTR before MOUNT",
		       call(&s, QTFS_OP_GETATTR, "pq", "", 0ULL), -EPERM);
		expect("UMOUNT before MOUNT", call(&s, QTFS_OP_UMOUNT, ""),
		       -EPERM);
		sess_close(&s);
	}
	for (i = 0; i < PREHELLO_FLOOD; i++) {
		if (sess_open(&s))
			break;
		if (call_raw(&s, QTFS_OP_GETATTR, 0, 0, &r, 0) == R_CLOSED ||
		    !hw_wait_closed(s.fd, HW_RECV_TIMEOUT_S))
			closed++;
		sess_close(&s);
	}
	printf("  %d of %d connections speaking before HELLO were closed\n",
	       closed, PREHELLO_FLOOD);
	tk_check("every one of them closed", closed == PREHELLO_FLOOD);
}
HOSTILE_CLASS("prehello", class_prehello);

/* ----- 10,000 requests in a burst ----- */

static void *burst_writer(void *arg)
{
	static unsigned char msg[1024];
	struct sess *s = arg;
	struct qtfs_cred cred;
	struct qtfs_buf b;
	long ret = 0;
	u64 id;

	memset(&cred, 0, sizeof(cred));
	for (id = 1; id <= BURST_N && !ret; id++) {
		qtfs_buf_init(&b, msg, sizeof(msg));
		qtfs_proto_begin(&b, QTFS_OP_GETATTR, 0, id, 0);
		qtfs_proto_pack(&b, "Cpq", &cred, "", 0ULL);
		if (qtfs_proto_end(&b))
			return (void *)-1L;
		ret = hw_send(s->fd, msg, b.pos);
	}
	return (void *)ret;
}

static void class_burst(void)
{
	static unsigned char seen[BURST_N + 1];
	struct qtfs_msg_hdr h;
	int i, ok = 0, bad = 0, ret = 0;
	pthread_t t;
	void *wret;
	struct sess s;

	if (sess_mount(&s))
		return;
	if (pthread_create(&t, NULL, burst_writer, &s)) {
		tk_check("writer thread", 0);
		sess_close(&s);
		return;
	}
	for (i = 0; i < BURST_N; i++) {
		ret = hw_recv(s.fd, &h, rbuf, sizeof(rbuf));
		if (ret)
			break;
		if (!(h.flags & QTFS_HDR_REPLY) || h.opcode != QTFS_OP_GETATTR ||
		    !h.id || h.id > BURST_N || seen[h.id] || h.error) {
			bad++;
			continue;
		}
		seen[h.id] = 1;
		ok++;
	}
	pthread_join(t, &wret);
	printf("  %d of %d replies good, %d bad, receive %s\n", ok, BURST_N,
	       bad, ret ? strerror(ret < 0 ? -ret : ECONNRESET) : "ok");
	tk_check("writer sent all", wret == NULL);
	tk_check("every request of the burst answered once, with success",
	      ok == BURST_N && !bad);
	expect("connection still serves after the burst",
	       call(&s, QTFS_OP_GETATTR, "pq", "", 0ULL), 0);
	sess_close(&s);
}
HOSTILE_CLASS("burst", class_burst);

/* ----- HELLO timeout ----- */

static void class_hellotimeout(void)
{
	unsigned char raw[QTFS_HDR_SIZE];
	struct sess quiet, partial;
	time_t start;
	int ret;

	if (sess_open(&quiet))
		return;
	if (sess_open(&partial)) {
		sess_close(&quiet);
		return;
	}
	start = time(NULL);
	hw_hdr(raw, QTFS_HDR_SIZE + 20, QTFS_OP_HELLO, 0, 1, 0);
	hw_send(partial.fd, raw, 10);
	ret = hw_wait_closed(quiet.fd, 3 * HW_RECV_TIMEOUT_S / 2);
	printf("  silent connection closed after %ld s\n",
	       (long)(time(NULL) - start));
	expect("silent connection closed", ret ? R_BAD : R_CLOSED, R_CLOSED);
	/* the bound is 10 s: not closed at once for some other reason */
	tk_check("not closed before 5 s", time(NULL) - start >= 5);
	ret = hw_wait_closed(partial.fd, HW_RECV_TIMEOUT_S);
	expect("connection stuck inside HELLO closed", ret ? R_BAD : R_CLOSED,
	       R_CLOSED);
	sess_close(&quiet);
	sess_close(&partial);
}
HOSTILE_CLASS("hellotimeout", class_hellotimeout);
