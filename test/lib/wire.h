/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw qtfs wire access for the test programs: sockets, whole messages, and
 * hand-built (possibly malformed) payloads.  Well-formed messages are
 * built with the project's own codec (common/qtfs_proto.c).
 */
#ifndef QTFS_TEST_WIRE_H
#define QTFS_TEST_WIRE_H

#include <stdarg.h>
#include <stddef.h>
#include "qtfs_proto.h"

/* How long a peer waits for the other side before calling it stuck. */
#define HW_RECV_TIMEOUT_S	20

/* recv results besides 0 and -errno */
#define HW_CLOSED		1	/* the peer closed or reset the stream */

/**
 * struct hw_addr - where to connect or listen
 * @vsock: use AF_VSOCK (else TCP/IPv4)
 * @cid:   vsock CID
 * @ip:    IPv4 address
 * @port:  port
 */
struct hw_addr {
	int vsock;
	unsigned int cid;
	const char *ip;
	unsigned int port;
};

/**
 * struct hw_raw - a hand-built payload
 * @len:  bytes used
 * @data: the bytes
 */
struct hw_raw {
	size_t len;
	unsigned char data[8192];
};

int hw_parse_addr(struct hw_addr *a, const char *trans, const char *where,
		  const char *port);
int hw_connect(const struct hw_addr *a);
int hw_listen(const struct hw_addr *a);
int hw_send(int fd, const void *buf, size_t len);
int hw_recv_all(int fd, void *buf, size_t len);
int hw_recv(int fd, struct qtfs_msg_hdr *h, void *payload, size_t max);
int hw_wait_closed(int fd, int secs);

void hw_hdr(void *raw, u32 len, u16 opcode, u16 flags, u64 id, s32 error);
int hw_send_raw(int fd, u16 opcode, u16 flags, u64 id, s32 error,
		const struct hw_raw *r, s64 len_adj);
int hw_vbuild(void *buf, u32 size, u16 opcode, u16 flags, u64 id, s32 error,
	      const char *fmt, va_list ap);
int hw_send_msg(int fd, u16 opcode, u16 flags, u64 id, s32 error,
		const char *fmt, ...);

void raw_put(struct hw_raw *r, const void *p, size_t n);
void raw_u16(struct hw_raw *r, u16 v);
void raw_u32(struct hw_raw *r, u32 v);
void raw_u64(struct hw_raw *r, u64 v);
void raw_cred0(struct hw_raw *r);
void raw_str(struct hw_raw *r, const char *s);

void hw_hmac3(const u8 *key, size_t keylen, const char *label, const u8 *cn,
	      const u8 *sn, u8 out[QTFS_AUTH_MAC_SIZE]);
void hw_frame_tag(const u8 *ks, char dir, u64 seq, const void *hdr,
		  size_t hlen, const void *payload, size_t plen,
		  u8 tag[QTFS_FRAME_TAG_SIZE]);

#endif /* QTFS_TEST_WIRE_H */
