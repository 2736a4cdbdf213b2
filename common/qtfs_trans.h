/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qtfs transports: the ops table every transport implements, the registry,
 * and the stream framing shared by client and server.
 *
 * The core never asks which transport it runs on; a transport that needs
 * something new gets a new op.  Stream transports (vsock, TCP) share the
 * socket helpers in qtfs_trans.c.
 */
#ifndef _QTFS_TRANS_H
#define _QTFS_TRANS_H

#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/uio.h>
#include "qtfs_proto.h"

/**
 * struct qtfs_trans_addr - where to connect or listen
 * @vsock_cid:  vsock context id (VMADDR_CID_ANY to listen on all)
 * @vsock_port: vsock port
 * @ip:         IPv4 address in dotted form (TCP test mode)
 * @tcp_port:   TCP port
 */
struct qtfs_trans_addr {
	u32 vsock_cid;
	u32 vsock_port;
	char ip[16];
	u16 tcp_port;
};

/**
 * struct qtfs_trans_peer - identity of the peer of a connection
 * @family: AF_VSOCK or AF_INET
 * @addr:   vsock context id, or IPv4 address in network byte order
 *
 * What the server's peer restriction compares; the port is not part of it.
 */
struct qtfs_trans_peer {
	u32 family;
	u32 addr;
};

/**
 * struct qtfs_tconn - one transport endpoint (connected or listening)
 * @ops:  transport it belongs to
 * @sock: the socket of stream transports
 * @fmac: frame authentication once a keyed HELLO turned it on, else NULL;
 *        set by qtfs_frame_auth_start() and freed by
 *        qtfs_frame_auth_stop() when nothing sends or receives any more
 * @send_timeout: seconds one @send may wait for room in the stream (a
 *        peer that stopped reading) before it fails with -ETIMEDOUT, 0 for
 *        no bound; set by the owner before @connect, which applies it
 * @send_lock: the owner's lock that serialises sends on a connected @tc
 *        (the client's and the server's &send_lock); set by the owner, so
 *        that the qtfs_frame_*() calls that need it can assert it is held
 */
struct qtfs_tconn {
	const struct qtfs_trans_ops *ops;
	struct socket *sock;
	struct qtfs_fmac *fmac;
	unsigned int send_timeout;
	struct mutex *send_lock;	/* see above */
};

/**
 * struct qtfs_trans_ops - a transport
 * @name:     name used by the trans= mount option and in logs
 * @owner:    module providing the transport
 * @maxsize:  largest message the transport can carry
 * @frame_mac: others can reach the path (TCP), so a keyed connection must
 *            authenticate every frame, not only HELLO; vsock's path is the
 *            hypervisor's
 * @connect:  connect @tc to @addr; may sleep, returns -errno
 * @listen:   bind and listen on @addr
 * @accept:   wait for a connection on @listener and set up @tc for it;
 *            returns -EINTR/-ERESTARTSYS on a signal, -EINVAL after
 *            @shutdown
 * @shutdown: make blocked @recv/@accept/@send calls on @tc return
 *            (callable from any context that may sleep, concurrently with
 *            them); a vsock listener ignores it, so an @accept there is
 *            ended with a signal
 * @close:    release @tc; nothing may use it any more
 * @send:     send exactly @len bytes from @vec; may sleep, at most
 *            @tc->send_timeout seconds without progress (-ETIMEDOUT); a
 *            signal ends the wait; a short send leaves the stream
 *            undefined, so callers drop the connection
 * @send_part: send up to @len bytes from @vec, waiting at most @timeout
 *            jiffies for room (0: not at all); returns the bytes sent,
 *            -EAGAIN if none fit in time, or -errno; the server's
 *            replies use it so that no peer can hold a sender for long
 * @recv:     receive exactly @len bytes into @buf; -ECONNRESET on EOF
 * @show:     print the peer address into @buf (at most @len bytes)
 * @peer:     identity of the peer of connected @tc (&struct
 *            qtfs_trans_peer), for the server's peer restriction
 * @list:     registry linkage, protected by the registry mutex
 *
 * A transport lives in its own file, which defines its ops and registers
 * them from qtfs_trans_<name>_init(), declared below.
 */
struct qtfs_trans_ops {
	const char *name;
	struct module *owner;
	u32 maxsize;
	bool frame_mac;
	int (*connect)(struct qtfs_tconn *tc, const struct qtfs_trans_addr *addr);
	int (*listen)(struct qtfs_tconn *tc, const struct qtfs_trans_addr *addr);
	int (*accept)(struct qtfs_tconn *listener, struct qtfs_tconn *tc);
	void (*shutdown)(struct qtfs_tconn *tc);
	void (*close)(struct qtfs_tconn *tc);
	int (*send)(struct qtfs_tconn *tc, struct kvec *vec, size_t nr,
		    size_t len);
	int (*send_part)(struct qtfs_tconn *tc, struct kvec *vec, size_t nr,
			 size_t len, long timeout);
	int (*recv)(struct qtfs_tconn *tc, void *buf, size_t len);
	int (*show)(struct qtfs_tconn *tc, char *buf, size_t len);
	int (*peer)(struct qtfs_tconn *tc, struct qtfs_trans_peer *peer);
	struct list_head list;
};

int qtfs_trans_register(struct qtfs_trans_ops *ops);
void qtfs_trans_unregister(struct qtfs_trans_ops *ops);
int qtfs_trans_init(void);
void qtfs_trans_exit(void);
const struct qtfs_trans_ops *qtfs_trans_get(const char *name);
void qtfs_trans_put(const struct qtfs_trans_ops *ops);

int qtfs_sock_open(struct qtfs_tconn *tc, int family, int proto,
		   struct sockaddr *sa, int salen, bool listen);
int qtfs_sock_send(struct qtfs_tconn *tc, struct kvec *vec, size_t nr,
		   size_t len);
int qtfs_sock_send_part(struct qtfs_tconn *tc, struct kvec *vec, size_t nr,
			size_t len, long timeout);
int qtfs_sock_recv(struct qtfs_tconn *tc, void *buf, size_t len);
void qtfs_sock_shutdown(struct qtfs_tconn *tc);
void qtfs_sock_close(struct qtfs_tconn *tc);
int qtfs_sock_accept(struct qtfs_tconn *listener, struct qtfs_tconn *tc);

int qtfs_frame_tag(struct qtfs_tconn *tc, const struct kvec *vec, size_t nr,
		   u8 *tag);
int qtfs_frame_send(struct qtfs_tconn *tc, struct kvec *vec, size_t nr,
		    size_t len);
int qtfs_frame_recv(struct qtfs_tconn *tc, void *buf, u32 len);
int qtfs_frame_end(struct qtfs_tconn *tc);
void qtfs_frame_auth_start(struct qtfs_tconn *tc, struct qtfs_fmac *m);
void qtfs_frame_auth_stop(struct qtfs_tconn *tc);
int qtfs_frame_recv_hdr(struct qtfs_tconn *tc, struct qtfs_msg_hdr *h,
			void *raw, u32 maxlen);
int qtfs_frame_skip(struct qtfs_tconn *tc, u32 len);

/* The transports: each file registers its own ops. */
int qtfs_trans_vsock_init(void);
void qtfs_trans_vsock_exit(void);
#ifdef QTFS_TEST_MODE
int qtfs_trans_tcp_init(void);
void qtfs_trans_tcp_exit(void);
#else
/* TCP is built in test mode only. */
static inline int qtfs_trans_tcp_init(void)
{
	return 0;
}

static inline void qtfs_trans_tcp_exit(void)
{
}
#endif

#endif /* _QTFS_TRANS_H */
