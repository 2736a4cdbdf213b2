/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What request handlers see: decoded arguments, a context, the reply
 * cursor, and the helpers they share (handlers.c, handlers_dir.c).
 */
#ifndef _QTSRV_HANDLERS_H
#define _QTSRV_HANDLERS_H

#include <linux/path.h>
#include "qtsrv.h"

#define QTSRV_ARGS_Q	4
#define QTSRV_ARGS_D	6
#define QTSRV_ARGS_S	4

/**
 * struct qtsrv_args - a request's arguments, decoded by the one prologue
 * @cred:     caller credentials (the leading 'C')
 * @q:        'q' fields in order
 * @d:        'd' fields in order
 * @s:        's', 'p' and 'n' fields in order, NUL-terminated, pointing
 *            into the request payload
 * @blob:     the 'B' field, if any
 * @blob_len: its length
 *
 * The codec has checked every field against the opcode's format (lengths,
 * NUL termination, relative path and name rules) before a handler runs.
 * Each handler's comment names the slots of its fields.
 */
struct qtsrv_args {
	struct qtfs_cred cred;
	u64 q[QTSRV_ARGS_Q];
	u32 d[QTSRV_ARGS_D];
	const char *s[QTSRV_ARGS_S];
	const void *blob;
	u32 blob_len;
};

/**
 * struct qtsrv_ctx - what a running request has at hand
 * @srv:      server
 * @conn:     connection the request came on
 * @req:      the request being run
 * @sess:     its mount session (referenced); NULL only for MOUNT
 * @blob_max: largest reply blob the handler may produce: the size the
 *            request asked for, capped by the opcode and the negotiated
 *            message size
 */
struct qtsrv_ctx {
	struct qtsrv *srv;
	struct qtsrv_conn *conn;
	struct qtsrv_req *req;
	struct qtsrv_sess *sess;
	u32 blob_max;
};

typedef int (*qtsrv_handler_t)(struct qtsrv_ctx *ctx,
			       const struct qtsrv_args *a,
			       struct qtfs_buf *rsp);

/* handlers.c */
int qtsrv_resolve(struct qtsrv_ctx *ctx, const char *rel, const char *name,
		  unsigned int flags, struct path *out);
int qtsrv_wl_check(struct qtsrv_ctx *ctx, enum qtsrv_wl_class cls,
		   const struct path *path, const char *name);
int qtsrv_wl_check_move(struct qtsrv_ctx *ctx, const struct path *src,
			const char *src_name, const struct path *dst,
			const char *dst_name);
int qtsrv_wl_check_device(struct qtsrv_ctx *ctx, const struct path *path,
			  const char *name);
int qtsrv_pack_attr(struct qtfs_buf *rsp, const struct path *path);
int qtsrv_create_mode(const struct path *parent, u32 umask, umode_t *mode);
struct file *qtsrv_handle_get(struct qtsrv_ctx *ctx, u64 handle);
void qtsrv_rsp_set_d(struct qtfs_buf *rsp, u32 pos, u32 val);

/* handlers_dir.c */
int qtsrv_lookup(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		 struct qtfs_buf *rsp);
int qtsrv_mkdir(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		struct qtfs_buf *rsp);
int qtsrv_mknod(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		struct qtfs_buf *rsp);
int qtsrv_unlink(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		 struct qtfs_buf *rsp);
int qtsrv_rmdir(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		struct qtfs_buf *rsp);
int qtsrv_rename(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		 struct qtfs_buf *rsp);
int qtsrv_link(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
	       struct qtfs_buf *rsp);
int qtsrv_symlink(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		  struct qtfs_buf *rsp);
int qtsrv_readlink(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		   struct qtfs_buf *rsp);
int qtsrv_readdir(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		  struct qtfs_buf *rsp);

/* handlers_lock.c */
int qtsrv_lock(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
	       struct qtfs_buf *rsp);

#endif /* _QTSRV_HANDLERS_H */
