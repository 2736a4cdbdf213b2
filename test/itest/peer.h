/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client of the qtfs_testpeer line protocol (testpeer_proto.h): the
 * itest's window on the server's own view of the exported tree.
 *
 * Every call returns 0 on an "OK" reply, -errno for an "ERR <errno>" reply
 * (so a test can expect e.g. -ENOENT), and -EPIPE/-EPROTO/-ETIMEDOUT/...
 * when the connection or the reply itself is broken.  peer_last() then
 * describes what happened, for assertion messages.
 */
#ifndef QTFS_ITEST_PEER_H
#define QTFS_ITEST_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "testpeer_proto.h"

/**
 * struct peer - one connection to qtfs_testpeer
 * @fd:    socket, -1 when closed
 * @rlen:  bytes buffered in @rbuf
 * @rbuf:  receive buffer
 * @reply: text after "OK " / "ERR <n> " of the last reply, or an error
 *         description
 * @req:   the last request line, for messages
 */
struct peer {
	int fd;
	size_t rlen;
	char rbuf[TESTPEER_LINE_MAX];
	char reply[TESTPEER_LINE_MAX];
	char req[256];
};

/* Lstat result as reported by STAT. */
struct peer_stat {
	uint32_t mode;
	uint64_t size;
	uint64_t ino;
	uint64_t nlink;
	uint32_t uid;
	uint32_t gid;
};

/* Connect to "IP:PORT" or "[IP6]:PORT"; waits at most @timeout_s per reply. */
int peer_connect(struct peer *p, const char *hostport, unsigned int timeout_s);
void peer_close(struct peer *p);
/* "<request>: <reply or error>" of the last call. */
const char *peer_last(struct peer *p);

/* Send one formatted request line; see the file comment for the result. */
__attribute__((format(printf, 2, 3)))
int peer_cmd(struct peer *p, const char *fmt, ...);

int peer_ping(struct peer *p);
int peer_write(struct peer *p, const char *rel, uint64_t size, uint64_t seed,
	       uint64_t chunk);
int peer_pwrite(struct peer *p, const char *rel, uint64_t off, uint64_t len,
		uint64_t seed);
int peer_hash(struct peer *p, const char *rel, uint64_t *size,
	      uint64_t *hash);
int peer_hashrange(struct peer *p, const char *rel, uint64_t off,
		   uint64_t len, uint64_t *nread, uint64_t *hash);
int peer_stat(struct peer *p, const char *rel, struct peer_stat *st);
int peer_mkdir(struct peer *p, const char *rel, unsigned int mode);
int peer_rmdir(struct peer *p, const char *rel);
int peer_unlink(struct peer *p, const char *rel);
int peer_list(struct peer *p, const char *rel, uint64_t *count);
int peer_mkfiles(struct peer *p, const char *rel, unsigned int count,
		 const char *prefix);
int peer_rmtree(struct peer *p, const char *rel);
int peer_putdata(struct peer *p, const char *rel, const void *buf,
		 size_t len);
int peer_getdata(struct peer *p, const char *rel, void *buf, size_t max,
		 size_t *len);
int peer_stop_engine(struct peer *p, unsigned int resume_after_s,
		     unsigned int *threads);
int peer_cont_engine(struct peer *p);
/* Server-side lgetxattr of @name; value (at most @max bytes) in @buf. */
int peer_getxattr(struct peer *p, const char *rel, const char *name,
		  void *buf, size_t max, size_t *len);
/* The server's faccessat(@mask) verdict for @uid/@gid: 0 or -errno. */
int peer_accessas(struct peer *p, const char *rel, unsigned int uid,
		  unsigned int gid, int mask);
/* Set a qtfs_server parameter until @p is closed (PARAM). */
int peer_param(struct peer *p, const char *name, unsigned int value);
/* Put back the value the parameter had before peer_param(). */
int peer_param_restore(struct peer *p, const char *name);

#endif /* QTFS_ITEST_PEER_H */
