/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hostile client's toolkit: sessions with the server, well-formed and
 * raw requests, and the result lines the guest harness reads.  Each attack
 * class lives in a file of its own and registers itself with
 * HOSTILE_CLASS(), so adding a class touches no shared table.
 */
#ifndef _QTFS_HOSTILE_H
#define _QTFS_HOSTILE_H

#include "result.h"
#include "wire.h"

/* call() results that are not a server errno */
#define R_CLOSED	1000	/* connection closed, no reply */
#define R_BAD		1001	/* local failure or a reply that is wrong */

/**
 * struct sess - one connection to the server
 * @fd:      socket
 * @next_id: id of the next request
 */
struct sess {
	int fd;
	u64 next_id;
};

/**
 * struct hostile_class - one attack class
 * @name: the name given on the command line
 * @fn:   runs the attacks; reports through expect() and tk_check()
 */
struct hostile_class {
	const char *name;
	void (*fn)(void);
};

/*
 * Classes are collected by the linker into one section, which main()
 * walks through the __start_/__stop_ symbols the linker provides.
 */
#define HOSTILE_CLASS(n, f)						\
	static const struct hostile_class hostile_class_##f		\
	__attribute__((used, section("hostile_classes"),		\
		       aligned(sizeof(void *)))) = { (n), (f) }

extern const struct hostile_class __start_hostile_classes[];
extern const struct hostile_class __stop_hostile_classes[];

/* Set by main() from the command line. */
extern struct hw_addr addr;
extern const char *export;
extern const char *mnt;
/* The server's pre-shared key (--key), for classes that authenticate. */
extern u8 key[64];
extern size_t keylen;

/* Last reply payload of the calling thread. */
extern __thread unsigned char rbuf[QTFS_MSG_MAX];
extern __thread u32 rlen;

void expect(const char *what, int got, int want);

int reply(struct sess *s, u64 id, u16 opcode);
int call(struct sess *s, u16 opcode, const char *fmt, ...);
int call_as(struct sess *s, const struct qtfs_cred *cred, u16 opcode,
	    const char *fmt, ...);
int call_raw(struct sess *s, u16 opcode, u16 flags, s32 error,
	     const struct hw_raw *r, s64 len_adj);
int hello_fields(struct sess *s, u32 magic, u16 major, u32 features,
		 u32 maxmsg, const void *blob, u32 bloblen);
int hello(struct sess *s);
int sess_open(struct sess *s);
int sess_mount(struct sess *s);
void sess_close(struct sess *s);
void expect_closed(struct sess *s, const char *what, int got);
void attack_raw(const char *what, u16 opcode, u16 flags, s32 error,
		const struct hw_raw *r, s64 len_adj);

#endif /* _QTFS_HOSTILE_H */
