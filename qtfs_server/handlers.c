// SPDX-License-Identifier: GPL-2.0
/*
 * Request execution: the one prologue and epilogue around every handler,
 * the handler table, and the handlers for sessions, attributes, open files
 * and xattrs (namespace operations are in handlers_dir.c).
 *
 * A worker runs qtsrv_dispatch() for each request.  The prologue decodes the
 * payload by the opcode's request format into &struct qtsrv_args, takes the
 * mount session, sizes and starts the reply and switches to the caller's
 * credentials; the handler does one VFS operation and packs the reply
 * fields; the epilogue checks the reply against the opcode's reply format
 * and sends it, or sends the handler's error.  Handlers return the errno
 * the VFS gave them; nothing invents one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/errno.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/key.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/statfs.h>
#include <linux/uidgid.h>
#include <linux/xattr.h>
#include "compat.h"
#include "handlers.h"
#include "qtfs_path.h"
#include "qtfs_stats.h"

/* &struct qtsrv_op flags */
#define QTSRV_OP_NO_SESS	0x1	/* runs without a mount session */
#define QTSRV_OP_BLOB		0x2	/* reply ends in a blob of at most d[0] */
#define QTSRV_OP_ANY_UID	0x4	/* only frees session state: exempt
					 * from the export's uids= range
					 */

/**
 * struct qtsrv_op - how the server runs one opcode
 * @fn:       handler; NULL answers %QTSRV_ERR_UNKNOWN_OP
 * @flags:    QTSRV_OP_* bits
 * @blob_max: with %QTSRV_OP_BLOB, the largest reply blob
 */
struct qtsrv_op {
	qtsrv_handler_t fn;
	u32 flags;
	u32 blob_max;
};

static const struct qtsrv_op qtsrv_ops[QTFS_OP_MAX + 1];

/* Largest reply payload without its blob, per opcode, filled at load. */
static u32 qtsrv_rsp_fixed[QTFS_OP_MAX + 1];

/* ----- helpers shared by the handlers ----- */

/**
 * qtsrv_resolve() - resolve a request path below the session's export root
 * @ctx:   request context
 * @rel:   relative path from the request ("" is the root)
 * @name:  a final component to append, or NULL
 * @flags: extra LOOKUP_* flags (LOOKUP_FOLLOW, LOOKUP_DIRECTORY)
 * @out:   the result, to be released with path_put()
 *
 * vfs_path_lookup() presets the walk's root to the export root
 * (ND_ROOT_PRESET; path_init() in Linux 6.1 fs/namei.c starts there), and
 * LOOKUP_BENEATH scopes the walk to it: ".." at the root
 * (follow_dotdot()), an absolute symlink (nd_jump_root()) or a relative
 * one climbing above the root all fail with -EXDEV, and complete_walk()
 * re-checks path_is_under() on the result.  LOOKUP_NO_MAGICLINKS makes
 * /proc-style magic links fail with -ELOOP (nd_jump_link()).  Mounts below
 * the root are crossed.  The codec has already refused absolute paths and
 * "." or ".." components, so only symlinks could try to leave.
 *
 * Return: 0 or -errno.
 */
int qtsrv_resolve(struct qtsrv_ctx *ctx, const char *rel, const char *name,
		  unsigned int flags, struct path *out)
{
	const struct path *root = &ctx->sess->root;
	size_t rlen, nlen;
	char *buf = NULL;
	int ret;

	if (name) {
		rlen = strlen(rel);
		nlen = strlen(name);
		if (rlen + 1 + nlen >= PATH_MAX)
			return -ENAMETOOLONG;
		buf = __getname();
		if (!buf)
			return -ENOMEM;
		memcpy(buf, rel, rlen);
		if (rlen)
			buf[rlen++] = '/';
		memcpy(buf + rlen, name, nlen + 1);
		rel = buf;
	}
	ret = vfs_path_lookup(root->dentry, root->mnt, rel,
			      flags | LOOKUP_BENEATH | LOOKUP_NO_MAGICLINKS, out);
	if (buf)
		__putname(buf);
	return ret;
}

/*
 * The server-side absolute path of @path, or of @name below it, in @buf
 * (PATH_MAX bytes): d_path() in the engine's root, so that symlinks inside
 * the export cannot dodge a rule.
 */
static char *qtsrv_wl_path(const struct path *path, const char *name,
			   char *buf)
{
	size_t len, nlen;
	char *p;

	p = d_path(path, buf, PATH_MAX);
	if (IS_ERR(p) || !name)
		return p;
	len = strlen(p);
	nlen = strlen(name);
	if (len + 1 + nlen >= PATH_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	memmove(buf, p, len + 1);
	if (len > 1)
		buf[len++] = '/';
	memcpy(buf + len, name, nlen + 1);
	return buf;
}

/*
 * The check behind qtsrv_wl_check() and qtsrv_wl_check_device(): with
 * @strict, a class without rules allows nothing instead of everything.
 */
static int qtsrv_wl_check_cls(struct qtsrv_ctx *ctx, enum qtsrv_wl_class cls,
			      const struct path *path, const char *name,
			      bool strict)
{
	struct qtsrv_wl *wl = qtsrv_wl_get(ctx->srv);
	char *buf, *p;
	int ret = 0;

	if (qtsrv_wl_empty(wl, cls)) {
		ret = strict ? -EPERM : 0;
		goto out_put_wl;
	}
	ret = -ENOMEM;
	buf = __getname();
	if (!buf)
		goto out_put_wl;
	p = qtsrv_wl_path(path, name, buf);
	if (IS_ERR(p)) {
		ret = PTR_ERR(p);
		goto out_free;
	}
	ret = qtsrv_wl_match(wl, cls, p) < 0 ? -EPERM : 0;
	if (ret)
		qtsrv_dbg_rl("conn %u: %s: no whitelist rule of class %u\n",
			     ctx->conn->id, p, cls);
out_free:
	__putname(buf);
out_put_wl:
	qtsrv_wl_put(wl);
	return ret;
}

/**
 * qtsrv_wl_check() - is an operation of class @cls allowed on a path?
 * @ctx:  request context
 * @cls:  whitelist class
 * @path: the object, or the parent directory when @name is given
 * @name: final component below @path, or NULL
 *
 * Checks the server-side absolute path (d_path() in the engine's root, so
 * symlinks inside the export cannot dodge a rule).  A class without rules
 * allows everything below the export root.
 *
 * Return: 0, -EPERM if no rule covers the path, or another -errno.
 */
int qtsrv_wl_check(struct qtsrv_ctx *ctx, enum qtsrv_wl_class cls,
		   const struct path *path, const char *name)
{
	return qtsrv_wl_check_cls(ctx, cls, path, name, false);
}

/**
 * qtsrv_wl_check_device() - may a device node at a path be opened or made?
 * @ctx:  request context
 * @path: the node, or the parent directory when @name is given
 * @name: final component below @path, or NULL
 *
 * Opening a character or block device runs its driver on the server, so
 * unlike every other class [Device] is closed by default: only paths a
 * [Device] rule covers qualify.
 *
 * Return: 0, -EPERM if no [Device] rule covers the path, or another -errno.
 */
int qtsrv_wl_check_device(struct qtsrv_ctx *ctx, const struct path *path,
			  const char *name)
{
	return qtsrv_wl_check_cls(ctx, QTSRV_WL_DEVICE, path, name, true);
}

/**
 * qtsrv_wl_check_move() - may an object get a new name?
 * @ctx:      request context
 * @src:      the object, or its parent directory when @src_name is given
 * @src_name: its final component below @src, or NULL
 * @dst:      parent directory of the new name
 * @dst_name: the new name
 *
 * For LINK and RENAME, on top of their own classes: every class whose
 * rules cover the new name (or anything below it, for a directory) must
 * cover the old one too, see qtsrv_wl_move_ok().  Otherwise renaming a
 * tree from where [Read] does not reach to where it does, or linking a
 * file there, would read it.
 *
 * Return: 0, -EPERM, or another -errno.
 */
int qtsrv_wl_check_move(struct qtsrv_ctx *ctx, const struct path *src,
			const char *src_name, const struct path *dst,
			const char *dst_name)
{
	struct qtsrv_wl *wl = qtsrv_wl_get(ctx->srv);
	char *sbuf, *dbuf, *sp, *dp;
	int ret = -ENOMEM;

	if (!wl)
		return 0;
	sbuf = __getname();
	if (!sbuf)
		goto out_put_wl;
	dbuf = __getname();
	if (!dbuf)
		goto out_free_sbuf;
	sp = qtsrv_wl_path(src, src_name, sbuf);
	dp = qtsrv_wl_path(dst, dst_name, dbuf);
	if (IS_ERR(sp))
		ret = PTR_ERR(sp);
	else if (IS_ERR(dp))
		ret = PTR_ERR(dp);
	else
		ret = qtsrv_wl_move_ok(wl, sp, dp);
	if (ret == -EPERM)
		qtsrv_dbg_rl("conn %u: %s -> %s would gain whitelist classes\n",
			     ctx->conn->id, sp, dp);
	__putname(dbuf);
out_free_sbuf:
	__putname(sbuf);
out_put_wl:
	qtsrv_wl_put(wl);
	return ret;
}

/**
 * qtsrv_pack_attr() - append the attributes of @path to the reply
 * @rsp:  reply cursor
 * @path: object
 *
 * Return: 0 or -errno from vfs_getattr() or the codec.
 */
int qtsrv_pack_attr(struct qtfs_buf *rsp, const struct path *path)
{
	struct user_namespace *ns = current_user_ns();
	struct qtfs_attr a = {};
	struct kstat st;
	int ret;

	ret = vfs_getattr(path, &st, STATX_BASIC_STATS, AT_STATX_SYNC_AS_STAT);
	if (ret)
		return ret;
	a.ino = st.ino;
	a.size = st.size;
	a.blocks = st.blocks;
	a.atime_sec = st.atime.tv_sec;
	a.atime_nsec = st.atime.tv_nsec;
	a.mtime_sec = st.mtime.tv_sec;
	a.mtime_nsec = st.mtime.tv_nsec;
	a.ctime_sec = st.ctime.tv_sec;
	a.ctime_nsec = st.ctime.tv_nsec;
	a.mode = st.mode;
	a.nlink = st.nlink;
	a.uid = from_kuid_munged(ns, st.uid);
	a.gid = from_kgid_munged(ns, st.gid);
	a.rdev_major = MAJOR(st.rdev);
	a.rdev_minor = MINOR(st.rdev);
	a.blksize = st.blksize;
	return qtfs_proto_pack(rsp, "A", &a);
}

/**
 * qtsrv_rsp_set_d() - fill in a 'd' field packed earlier as a placeholder
 * @rsp: reply cursor
 * @pos: offset the field was packed at
 * @val: value
 *
 * For replies whose leading count is known only after the blob behind it
 * is filled (READDIR flags, xattr sizes).
 */
void qtsrv_rsp_set_d(struct qtfs_buf *rsp, u32 pos, u32 val)
{
	struct qtfs_buf b = *rsp;

	b.pos = pos;
	b.size = pos + sizeof(__le32);
	qtfs_proto_pack(&b, "d", val);
}

/* ----- file handles ----- */

/* Handles open in all sessions, at most qtfs_server_max_handles. */
static atomic_t qtsrv_nr_handles = ATOMIC_INIT(0);

/*
 * Reserve a handle of @sess before its file is opened, so that a client
 * over a limit opens (or creates) nothing: qtfs_sess_max_handles per
 * session, qtfs_server_max_handles in all.  The engine is root, so the
 * host's file-max does not stop it; these limits do.
 *
 * Return: 0, -EMFILE or -ENFILE.
 */
static int qtsrv_handle_charge(struct qtsrv_sess *sess)
{
	if (atomic_inc_return(&sess->nr_files) >
	    qtsrv_limit(qtsrv_sess_max_handles)) {
		atomic_dec(&sess->nr_files);
		qtsrv_dbg_rl("session %s: qtfs_sess_max_handles reached\n",
			     sess->export);
		return -EMFILE;
	}
	if (atomic_inc_return(&qtsrv_nr_handles) >
	    qtsrv_limit(qtsrv_max_handles)) {
		atomic_dec(&qtsrv_nr_handles);
		atomic_dec(&sess->nr_files);
		qtsrv_warn_rl("qtfs_server_max_handles (%u) reached\n",
			      qtsrv_limit(qtsrv_max_handles));
		return -ENFILE;
	}
	return 0;
}

/**
 * qtsrv_handles_uncharge() - give back handles reserved by qtsrv_handle_charge()
 * @sess: session
 * @nr:   how many
 */
void qtsrv_handles_uncharge(struct qtsrv_sess *sess, unsigned int nr)
{
	atomic_sub(nr, &sess->nr_files);
	atomic_sub(nr, &qtsrv_nr_handles);
}

static int qtsrv_handle_new(struct qtsrv_ctx *ctx, struct file *file,
			    u64 *handle)
{
	u32 idx;
	int ret;

	ret = xa_alloc(&ctx->sess->files, &idx, file,
		       XA_LIMIT(1, QTSRV_HANDLES_MAX), GFP_KERNEL);
	if (ret == -EBUSY)
		return -EMFILE;
	if (ret)
		return ret;
	*handle = (u64)ctx->sess->gen << 32 | idx;
	return 0;
}

static bool qtsrv_handle_idx(struct qtsrv_ctx *ctx, u64 handle, u32 *idx)
{
	*idx = lower_32_bits(handle);
	return upper_32_bits(handle) == ctx->sess->gen && *idx &&
	       *idx <= QTSRV_HANDLES_MAX;
}

/**
 * qtsrv_handle_get() - the open file behind a handle of this session
 * @ctx:    request context
 * @handle: handle from the request
 *
 * Return: the file with a reference (release with fput()), or
 * ERR_PTR(-EBADF) for a handle this session never gave out or released.
 */
struct file *qtsrv_handle_get(struct qtsrv_ctx *ctx, u64 handle)
{
	struct xarray *files = &ctx->sess->files;
	struct file *file;
	u32 idx;

	if (!qtsrv_handle_idx(ctx, handle, &idx))
		return ERR_PTR(-EBADF);
	xa_lock(files);
	file = xa_load(files, idx);
	if (file)
		get_file(file);
	xa_unlock(files);
	return file ?: ERR_PTR(-EBADF);
}

/*
 * Register @file (whose reference the session takes) in the handle the
 * caller charged, and reply "qA" (OPEN), or "qAd" with the QTFS_CREATE_*
 * flags (CREATE).  On an error the file and the charge are released.
 */
static int qtsrv_reply_open(struct qtsrv_ctx *ctx, struct file *file,
			    struct qtfs_buf *rsp, bool create)
{
	u32 cflags = file->f_mode & FMODE_CREATED ? QTFS_CREATE_CREATED : 0;
	u64 handle;
	u32 idx;
	int ret;

	ret = qtsrv_handle_new(ctx, file, &handle);
	if (ret) {
		fput(file);
		qtsrv_handles_uncharge(ctx->sess, 1);
		return ret;
	}
	ret = qtfs_proto_pack(rsp, "q", handle);
	if (!ret)
		ret = qtsrv_pack_attr(rsp, &file->f_path);
	if (!ret && create)
		ret = qtfs_proto_pack(rsp, "d", cflags);
	if (ret && qtsrv_handle_idx(ctx, handle, &idx) &&
	    xa_erase(&ctx->sess->files, idx)) {
		fput(file);
		qtsrv_handles_uncharge(ctx->sess, 1);
	}
	return ret;
}

/* ----- sessions ----- */

/*
 * MOUNT "Cs": s[0] absolute export path -> root attributes.
 *
 * The lexically normalised path must be covered by a [Mount] rule
 * (-EPERM before anything is looked up, so nothing outside the whitelist
 * leaks through ENOENT).  The rule's directory is then resolved and the
 * rest of the path is walked from it with LOOKUP_BENEATH: a symlink that
 * leads out of the rule gives -EXDEV, reported as -EPERM.  The resolved
 * directory becomes the session's export root.
 */
static int qtsrv_mount(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		       struct qtfs_buf *rsp)
{
	struct qtsrv_export_opts opts;
	struct path rule_root, root;
	struct qtsrv_sess *sess;
	char *buf, *rule, *rest;
	struct qtsrv_wl *wl;
	size_t elen;
	int len, ret;

	sess = qtsrv_sess_get(ctx->conn);
	if (sess) {
		qtsrv_sess_put(sess);
		return -EBUSY;
	}
	buf = __getname();
	if (!buf)
		return -ENOMEM;
	strscpy(buf, a->s[0], PATH_MAX);
	ret = qtfs_path_normalize(buf, PATH_MAX, buf);
	if (ret)
		goto out_free_buf;
	wl = qtsrv_wl_get(ctx->srv);
	len = qtsrv_wl_match(wl, QTSRV_WL_MOUNT, buf);
	qtsrv_wl_put(wl);
	if (len < 0) {
		qtsrv_info_rl("conn %u (%s): MOUNT %s refused: not in [Mount]\n",
			      ctx->conn->id, ctx->conn->peer, buf);
		ret = -EPERM;
		goto out_free_buf;
	}
	ret = -ENOMEM;
	rule = kstrndup(buf, len, GFP_KERNEL);
	if (!rule)
		goto out_free_buf;
	rest = buf + len;
	if (*rest == '/')
		rest++;

	ret = kern_path(rule, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &rule_root);
	if (ret)
		goto out_free_rule;
	ret = vfs_path_lookup(rule_root.dentry, rule_root.mnt, rest,
			      LOOKUP_FOLLOW | LOOKUP_DIRECTORY | LOOKUP_BENEATH |
			      LOOKUP_NO_MAGICLINKS, &root);
	path_put(&rule_root);
	if (ret == -EXDEV) {
		qtsrv_info_rl("conn %u (%s): MOUNT %s refused: a symlink leads out of %s\n",
			      ctx->conn->id, ctx->conn->peer, buf, rule);
		ret = -EPERM;
	}
	if (ret)
		goto out_free_rule;

	ret = -ENOMEM;
	elen = strlen(buf);
	sess = kzalloc(struct_size(sess, export, elen + 1), GFP_KERNEL);
	if (!sess)
		goto out_put_root;
	refcount_set(&sess->ref, 1);
	memcpy(sess->export, buf, elen + 1);
	sess->root = root;
	xa_init_flags(&sess->files, XA_FLAGS_ALLOC1);
	atomic_set(&sess->nr_files, 0);
	sess->gen = get_random_u32();
	seqlock_init(&sess->opts_lock);
	/* the export's options; a reload in between may have dropped it */
	ret = qtsrv_wl_sess_export(ctx->srv, sess, &opts);
	if (!ret)
		ret = qtsrv_pack_attr(rsp, &root);
	if (!ret)
		ret = qtsrv_sess_install(ctx->conn, sess);
	if (ret)
		qtsrv_sess_put(sess);	/* puts the root too */
	else
		qtsrv_info("conn %u (%s): mounted %s\n", ctx->conn->id,
			   ctx->conn->peer, buf);
	goto out_free_rule;

out_put_root:
	path_put(&root);
out_free_rule:
	kfree(rule);
out_free_buf:
	__putname(buf);
	return ret;
}

/* UMOUNT "C": drop the session and every file open in it. */
static int qtsrv_umount(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			struct qtfs_buf *rsp)
{
	struct qtsrv_sess *sess = qtsrv_sess_detach(ctx->conn);

	if (!sess)
		return -EINVAL;
	qtsrv_sess_put(sess);
	return 0;
}

/* ----- attributes ----- */

/* GETATTR "Cpq": s[0] path, q[0] handle (0: by path) -> attributes */
static int qtsrv_getattr(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			 struct qtfs_buf *rsp)
{
	struct file *file;
	struct path path;
	int ret;

	if (a->q[0]) {
		file = qtsrv_handle_get(ctx, a->q[0]);
		if (IS_ERR(file))
			return PTR_ERR(file);
		ret = qtsrv_pack_attr(rsp, &file->f_path);
		fput(file);
		return ret;
	}
	ret = qtsrv_resolve(ctx, a->s[0], NULL, 0, &path);
	if (ret)
		return ret;
	ret = qtsrv_pack_attr(rsp, &path);
	path_put(&path);
	return ret;
}

/* ftruncate() on an open file, as do_sys_ftruncate() does it. */
static int qtsrv_ftruncate(struct file *file, loff_t size)
{
	struct inode *inode = file_inode(file);
	struct iattr ia = {
		.ia_valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME | ATTR_FILE,
		.ia_size = size,
		.ia_file = file,
	};
	int kill, ret;

	if (!S_ISREG(inode->i_mode) || !(file->f_mode & FMODE_WRITE))
		return -EINVAL;
	if (IS_APPEND(inode))
		return -EPERM;
	sb_start_write(inode->i_sb);
	inode_lock(inode);
	kill = qtsrv_drop_suidgid(&file->f_path);
	if (kill)
		ia.ia_valid |= kill | ATTR_FORCE;
	ret = qtsrv_notify_change(&file->f_path, &ia);
	inode_unlock(inode);
	sb_end_write(inode->i_sb);
	return ret;
}

/* One notify_change() under the inode lock and mount write access. */
static int qtsrv_setattr_one(const struct path *path, struct iattr *ia)
{
	struct inode *inode = d_inode(path->dentry);
	int ret;

	ret = mnt_want_write(path->mnt);
	if (ret)
		return ret;
	inode_lock(inode);
	if (ia->ia_valid & ATTR_MODE)
		ia->ia_mode = (ia->ia_mode & S_IALLUGO) |
			      (inode->i_mode & ~S_IALLUGO);
	if ((ia->ia_valid & (ATTR_UID | ATTR_GID)) && !S_ISDIR(inode->i_mode))
		ia->ia_valid |= ATTR_KILL_SUID | ATTR_KILL_PRIV |
				qtsrv_drop_sgid(path);
	ret = qtsrv_notify_change(path, ia);
	inode_unlock(inode);
	mnt_drop_write(path->mnt);
	return ret;
}

/*
 * Owner, mode and times as chown(), chmod() and utimensat() apply them, in
 * that order, each as its own notify_change() (the VFS forbids a mode
 * change next to the ATTR_KILL_S*ID bits a chown brings).
 */
static int qtsrv_setattr_path(const struct path *path,
			      const struct qtsrv_args *a, u32 valid)
{
	struct user_namespace *ns = current_user_ns();
	struct iattr ia;
	int ret;

	if (valid & (QTFS_SETATTR_UID | QTFS_SETATTR_GID)) {
		memset(&ia, 0, sizeof(ia));
		ia.ia_valid = ATTR_CTIME;
		if ((valid & QTFS_SETATTR_UID) &&
		    !qtsrv_iattr_set_uid(&ia, make_kuid(ns, a->d[2])))
			return -EINVAL;
		if ((valid & QTFS_SETATTR_GID) &&
		    !qtsrv_iattr_set_gid(&ia, make_kgid(ns, a->d[3])))
			return -EINVAL;
		ret = qtsrv_setattr_one(path, &ia);
		if (ret)
			return ret;
	}
	if (valid & QTFS_SETATTR_MODE) {
		memset(&ia, 0, sizeof(ia));
		ia.ia_valid = ATTR_MODE | ATTR_CTIME;
		ia.ia_mode = a->d[1];
		ret = qtsrv_setattr_one(path, &ia);
		if (ret)
			return ret;
	}
	if (!(valid & (QTFS_SETATTR_ATIME | QTFS_SETATTR_MTIME |
		       QTFS_SETATTR_ATIME_NOW | QTFS_SETATTR_MTIME_NOW)))
		return 0;
	memset(&ia, 0, sizeof(ia));
	ia.ia_valid = ATTR_CTIME;
	if ((valid & QTFS_SETATTR_ATIME_NOW) && (valid & QTFS_SETATTR_MTIME_NOW)) {
		/* utimensat(NULL): write permission is enough */
		ia.ia_valid |= ATTR_ATIME | ATTR_MTIME | ATTR_TOUCH;
		return qtsrv_setattr_one(path, &ia);
	}
	if (valid & QTFS_SETATTR_ATIME) {
		ia.ia_valid |= ATTR_ATIME | ATTR_ATIME_SET;
		ia.ia_atime.tv_sec = (s64)a->q[2];
		ia.ia_atime.tv_nsec = a->d[4];
	} else if (valid & QTFS_SETATTR_ATIME_NOW) {
		ia.ia_valid |= ATTR_ATIME;
	}
	if (valid & QTFS_SETATTR_MTIME) {
		ia.ia_valid |= ATTR_MTIME | ATTR_MTIME_SET;
		ia.ia_mtime.tv_sec = (s64)a->q[3];
		ia.ia_mtime.tv_nsec = a->d[5];
	} else if (valid & QTFS_SETATTR_MTIME_NOW) {
		ia.ia_valid |= ATTR_MTIME;
	}
	ia.ia_valid |= ATTR_TIMES_SET;
	return qtsrv_setattr_one(path, &ia);
}

/*
 * SETATTR "Cpqddddqqdqd": s[0] path, q[0] handle (0: by path), d[0] valid
 * mask, d[1] mode, d[2] uid, d[3] gid, q[1] size, q[2] atime sec, d[4]
 * atime nsec, q[3] mtime sec, d[5] mtime nsec -> attributes.
 * The size is applied first, as truncate() or, by handle, ftruncate().
 */
static int qtsrv_setattr(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			 struct qtfs_buf *rsp)
{
	u32 valid = a->d[0];
	struct file *file = NULL;
	struct path path;
	int ret;

	if ((valid & ~QTFS_SETATTR_ALL) ||
	    ((valid & QTFS_SETATTR_ATIME) && (valid & QTFS_SETATTR_ATIME_NOW)) ||
	    ((valid & QTFS_SETATTR_MTIME) && (valid & QTFS_SETATTR_MTIME_NOW)) ||
	    ((valid & QTFS_SETATTR_ATIME) && a->d[4] >= NSEC_PER_SEC) ||
	    ((valid & QTFS_SETATTR_MTIME) && a->d[5] >= NSEC_PER_SEC) ||
	    ((valid & QTFS_SETATTR_SIZE) && a->q[1] > LLONG_MAX))
		return -EINVAL;
	if (a->q[0]) {
		file = qtsrv_handle_get(ctx, a->q[0]);
		if (IS_ERR(file))
			return PTR_ERR(file);
		path = file->f_path;
		path_get(&path);
	} else {
		ret = qtsrv_resolve(ctx, a->s[0], NULL, 0, &path);
		if (ret)
			return ret;
	}
	ret = qtsrv_wl_check(ctx, QTSRV_WL_SETATTR, &path, NULL);
	if (!ret && (valid & QTFS_SETATTR_SIZE)) {
		ret = file ? qtsrv_ftruncate(file, a->q[1]) :
			     vfs_truncate(&path, a->q[1]);
		/*
		 * "Now" times next to a size are the truncation's own, which
		 * it has set; alone they are utimensat()'s explicit ones
		 * (ATTR_TIMES_SET: owner only), and a group member's
		 * ftruncate() would fail with EPERM.
		 */
		valid &= ~(QTFS_SETATTR_ATIME_NOW | QTFS_SETATTR_MTIME_NOW);
	}
	if (!ret)
		ret = qtsrv_setattr_path(&path, a, valid);
	if (!ret)
		ret = qtsrv_pack_attr(rsp, &path);
	path_put(&path);
	if (file)
		fput(file);
	return ret;
}

/* STATFS "Cp": s[0] path -> blocks, bfree, bavail, files, ffree, fsid,
 * bsize, namelen, frsize, flags
 */
static int qtsrv_statfs(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			struct qtfs_buf *rsp)
{
	struct kstatfs st;
	struct path path;
	u64 fsid;
	int ret;

	ret = qtsrv_resolve(ctx, a->s[0], NULL, LOOKUP_FOLLOW, &path);
	if (ret)
		return ret;
	ret = vfs_statfs(&path, &st);
	path_put(&path);
	if (ret)
		return ret;
	fsid = (u64)(u32)st.f_fsid.val[1] << 32 | (u32)st.f_fsid.val[0];
	return qtfs_proto_pack(rsp, "qqqqqqdddd", st.f_blocks, st.f_bfree,
			       st.f_bavail, st.f_files, st.f_ffree, fsid,
			       (u32)st.f_bsize, (u32)st.f_namelen,
			       (u32)st.f_frsize, (u32)st.f_flags);
}

/* ----- open files ----- */

/*
 * Whitelist checks of an open: the class of the operation, [Read] for
 * reading a non-directory, [Write] for writing or truncating.
 */
static int qtsrv_wl_check_open(struct qtsrv_ctx *ctx,
			       enum qtsrv_wl_class cls, int flags,
			       const struct path *path, const char *name,
			       bool is_dir)
{
	int acc = flags & O_ACCMODE;
	int ret;

	ret = qtsrv_wl_check(ctx, cls, path, name);
	if (!ret && acc != O_WRONLY && !is_dir)
		ret = qtsrv_wl_check(ctx, QTSRV_WL_READ, path, name);
	if (!ret && (acc != O_RDONLY || (flags & O_TRUNC)))
		ret = qtsrv_wl_check(ctx, QTSRV_WL_WRITE, path, name);
	return ret;
}

/* Host open flags from the wire, minus what the server does not honour. */
static int qtsrv_open_flags(u32 wire, int *flags)
{
	if (qtfs_oflags_from_wire(wire, flags))
		return -EINVAL;
	/*
	 * The server reads and writes through kernel buffers, which direct
	 * I/O cannot use; the client bypasses its own cache for O_DIRECT.
	 */
	*flags &= ~O_DIRECT;
	return 0;
}

/*
 * Special files (FIFOs, devices) are opened non-blocking whatever the
 * client asked: opening a FIFO waits for its other end, and reading or
 * writing a FIFO or a character device waits for other processes, and
 * none of that may hold a worker.  The client gets -ENXIO (a FIFO opened
 * for writing with no reader) or -EAGAIN instead.  qtfs.ko never sends
 * these opens (its FIFOs and devices are local to the client); a peer
 * that does gets the non-blocking semantics.
 */
static int qtsrv_open_flags_for(umode_t mode, int flags)
{
	return special_file(mode) ? flags | O_NONBLOCK : flags;
}

/*
 * file_open_root() for a file that becomes a handle: the handle is charged
 * to the session first and given back if the open fails;
 * qtsrv_reply_open() takes the charge over.
 */
static struct file *qtsrv_file_open(struct qtsrv_ctx *ctx,
				    const struct path *path, const char *name,
				    int flags, umode_t mode)
{
	struct file *file;
	int ret;

	ret = qtsrv_handle_charge(ctx->sess);
	if (ret)
		return ERR_PTR(ret);
	file = file_open_root(path, name, flags, mode);
	if (IS_ERR(file))
		qtsrv_handles_uncharge(ctx->sess, 1);
	return file;
}

/*
 * Open an existing object for a client: every check an OPEN makes, in one
 * place for OPEN and for CREATE of a name that exists.  file_open_root()
 * on the object and an empty name runs the full open path of the VFS on
 * it: may_open() permission checks, O_TRUNC, O_DIRECTORY, O_NOATIME,
 * -ELOOP for a symlink under O_NOFOLLOW.  Special files open
 * non-blocking (qtsrv_open_flags_for()).
 */
static struct file *qtsrv_open_path(struct qtsrv_ctx *ctx,
				    const struct path *path, int flags)
{
	struct inode *inode = d_inode(path->dentry);
	int ret;

	if (WARN_ON_ONCE(flags & O_CREAT))
		return ERR_PTR(-EINVAL);
	ret = qtsrv_wl_check_open(ctx, QTSRV_WL_OPEN, flags, path, NULL,
				  d_is_dir(path->dentry));
	if (!ret && (S_ISCHR(inode->i_mode) || S_ISBLK(inode->i_mode)))
		ret = qtsrv_wl_check_device(ctx, path, NULL);
	if (ret)
		return ERR_PTR(ret);
	flags = qtsrv_open_flags_for(inode->i_mode, flags);
	return qtsrv_file_open(ctx, path, "", flags, 0);
}

/*
 * OPEN "Cpd": s[0] path, d[0] wire open flags -> handle, attributes.
 *
 * The object is resolved below the export root (following a final symlink
 * unless O_NOFOLLOW) and opened by qtsrv_open_path().  Creating is
 * CREATE's job.
 */
static int qtsrv_open(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		      struct qtfs_buf *rsp)
{
	struct file *file;
	struct path path;
	int flags, ret;

	ret = qtsrv_open_flags(a->d[0], &flags);
	if (ret)
		return ret;
	if (flags & O_CREAT)
		return -EINVAL;
	ret = qtsrv_resolve(ctx, a->s[0], NULL,
			    (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &path);
	if (ret)
		return ret;
	file = qtsrv_open_path(ctx, &path, flags);
	path_put(&path);
	if (IS_ERR(file))
		return PTR_ERR(file);
	return qtsrv_reply_open(ctx, file, rsp, false);
}

/**
 * qtsrv_create_mode() - the mode a new object is created with
 * @parent: directory it is created in
 * @umask:  the client caller's umask
 * @mode:   requested mode; the umask is stripped from it
 *
 * As the VFS and posix_acl_create() do it locally: the umask applies
 * unless @parent has a default ACL, which then sets the permissions.  The
 * engine runs with umask 0, so posix_acl_create() strips nothing more.
 *
 * Return: 0, or -EINVAL for a umask with more than permission bits.
 */
int qtsrv_create_mode(const struct path *parent, u32 umask, umode_t *mode)
{
	struct inode *dir = d_inode(parent->dentry);
	struct posix_acl *acl;

	if (umask & ~0777U)
		return -EINVAL;
	if (IS_POSIXACL(dir)) {
		acl = qtsrv_get_default_acl(dir);
		if (!IS_ERR_OR_NULL(acl)) {
			posix_acl_release(acl);
			return 0;
		}
	}
	*mode &= ~umask;
	return 0;
}

/*
 * Attempts of CREATE: a name another process makes between our lookup and
 * our O_EXCL create sends us back to the open path, and that fails only if
 * the name is gone again, so a second attempt is needed only against a
 * name someone keeps creating and removing on the server.
 */
#define QTSRV_CREATE_TRIES	4

/*
 * One attempt of CREATE: open @name in @parent with qtsrv_open_path() if
 * it exists, else create and open it with O_EXCL, which fails with
 * -EEXIST if the name appeared in the meantime.
 */
static struct file *qtsrv_create_once(struct qtsrv_ctx *ctx,
				      const struct path *parent,
				      const char *name, int flags,
				      umode_t mode)
{
	struct file *file;
	struct path path;
	int ret;

	/* one component, not followed: LOOKUP_BENEATH has nothing to stop */
	ret = vfs_path_lookup(parent->dentry, parent->mnt, name,
			      LOOKUP_BENEATH | LOOKUP_NO_MAGICLINKS, &path);
	if (!ret) {
		/* as open(2) with O_CREAT answers for an existing name */
		if (flags & O_EXCL)
			file = ERR_PTR(-EEXIST);
		else if (d_is_dir(path.dentry))
			file = ERR_PTR(-EISDIR);
		else
			file = qtsrv_open_path(ctx, &path, flags);
		path_put(&path);
		return file;
	}
	if (ret != -ENOENT)
		return ERR_PTR(ret);
	ret = qtsrv_wl_check_open(ctx, QTSRV_WL_CREATE, flags, parent, name,
				  false);
	if (ret)
		return ERR_PTR(ret);
	return qtsrv_file_open(ctx, parent, name, flags | O_CREAT | O_EXCL,
			       mode);
}

/*
 * CREATE "Cpnddd": s[0] parent, s[1] name, d[0] wire open flags, d[1] mode,
 * d[2] umask -> handle, attributes, QTFS_CREATE_* flags.
 *
 * A name that exists is opened as OPEN opens it (-EEXIST under O_EXCL,
 * -EISDIR for a directory), with every check of the open path: [Open],
 * [Read], [Write] and, for a device node, [Device].  Opening it with
 * O_CREAT on the parent would bypass them.  The sticky directory rules for
 * such an open (protected_regular, protected_fifos) protect the caller
 * from names others planted; the client's VFS applies them when the reply
 * says the file was not created.
 *
 * A missing name needs [Create] (and [Read] or [Write] for the access
 * mode) and is made by file_open_root() with O_CREAT | O_EXCL on the
 * parent, the VFS create-and-open path (may_o_create(), FMODE_CREATED).
 * The caller's umask is applied here, by qtsrv_create_mode(): the engine
 * runs with umask 0.
 *
 * A final symlink is not followed (-ELOOP), since following it from the
 * parent could not honour absolute links; the client only creates names
 * it has just seen missing.
 */
static int qtsrv_create(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			struct qtfs_buf *rsp)
{
	umode_t mode = a->d[1];
	struct file *file;
	struct path parent;
	int flags, ret, i;

	ret = qtsrv_open_flags(a->d[0], &flags);
	if (ret)
		return ret;
	if ((mode & S_IFMT) && !S_ISREG(mode))
		return -EINVAL;
	flags = (flags & ~O_CREAT) | O_NOFOLLOW;
	ret = qtsrv_resolve(ctx, a->s[0], NULL, LOOKUP_FOLLOW | LOOKUP_DIRECTORY,
			    &parent);
	if (ret)
		return ret;
	ret = qtsrv_create_mode(&parent, a->d[2], &mode);
	if (ret)
		goto out_put;
	for (i = 0; i < QTSRV_CREATE_TRIES; i++) {
		file = qtsrv_create_once(ctx, &parent, a->s[1], flags,
					 mode & S_IALLUGO);
		/* under O_EXCL, -EEXIST is the answer */
		if (file != ERR_PTR(-EEXIST) || (flags & O_EXCL))
			break;
	}
	ret = PTR_ERR_OR_ZERO(file);
	if (!ret)
		ret = qtsrv_reply_open(ctx, file, rsp, true);
out_put:
	path_put(&parent);
	return ret;
}

/* RELEASE "Cq": q[0] handle */
static int qtsrv_release(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			 struct qtfs_buf *rsp)
{
	struct file *file;
	u32 idx;

	if (!qtsrv_handle_idx(ctx, a->q[0], &idx))
		return -EBADF;
	file = xa_erase(&ctx->sess->files, idx);
	if (!file)
		return -EBADF;
	qtsrv_handles_uncharge(ctx->sess, 1);
	qtsrv_lock_forget_file(file);
	fput(file);
	return 0;
}

/*
 * What vfs_read()/vfs_write() check before kernel_read()/kernel_write()
 * may be called (those WARN on a file not open for the access), and
 * read(2)'s -EISDIR for directories, whose ->read the kernel helpers
 * cannot use.
 */
static int qtsrv_rw_check(struct file *file, fmode_t mode)
{
	if (!(file->f_mode & mode))
		return -EBADF;
	if (S_ISDIR(file_inode(file)->i_mode))
		return -EISDIR;
	return 0;
}

/* READ "Cqqd": q[0] handle, q[1] offset, d[0] count -> data */
static int qtsrv_read(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		      struct qtfs_buf *rsp)
{
	loff_t pos = (loff_t)a->q[1];
	struct file *file;
	ssize_t n;
	void *buf;

	if (pos < 0)
		return -EINVAL;
	buf = qtfs_buf_push_blob(rsp, ctx->blob_max);
	if (!buf)
		return rsp->err;
	file = qtsrv_handle_get(ctx, a->q[0]);
	if (IS_ERR(file))
		return PTR_ERR(file);
	n = qtsrv_rw_check(file, FMODE_READ);
	if (!n)
		n = kernel_read(file, buf, ctx->blob_max, &pos);
	fput(file);
	if (n < 0)
		return n;
	qtfs_buf_trim_blob(rsp, buf, n);
	return 0;
}

/* WRITE "CqqB": q[0] handle, q[1] offset, data -> bytes written, attributes */
static int qtsrv_write(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		       struct qtfs_buf *rsp)
{
	loff_t pos = (loff_t)a->q[1];
	struct file *file;
	ssize_t n;
	int ret;

	if (pos < 0)
		return -EINVAL;
	file = qtsrv_handle_get(ctx, a->q[0]);
	if (IS_ERR(file))
		return PTR_ERR(file);
	/* an O_APPEND file writes at its end whatever @pos says */
	n = qtsrv_rw_check(file, FMODE_WRITE);
	if (!n)
		n = kernel_write(file, a->blob, a->blob_len, &pos);
	ret = n < 0 ? n : qtfs_proto_pack(rsp, "d", (u32)n);
	if (!ret)
		ret = qtsrv_pack_attr(rsp, &file->f_path);
	fput(file);
	return ret;
}

/* FSYNC "Cqd": q[0] handle, d[0] datasync */
static int qtsrv_fsync(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		       struct qtfs_buf *rsp)
{
	struct file *file = qtsrv_handle_get(ctx, a->q[0]);
	int ret;

	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = vfs_fsync(file, !!a->d[0]);
	fput(file);
	return ret;
}

/* SYNCFS "C": sync the filesystem the export lives on, as syncfs() does */
static int qtsrv_syncfs(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			struct qtfs_buf *rsp)
{
	struct super_block *sb = ctx->sess->root.dentry->d_sb;
	int ret;

	down_read(&sb->s_umount);
	ret = sync_filesystem(sb);
	up_read(&sb->s_umount);
	return ret;
}

/*
 * ACCESS "Cpd": s[0] path, d[0] QTFS_ACCESS_* mask.  The permission check
 * access() and execve() make, with the caller's credentials, for what the
 * client cannot decide from cached attributes (ACLs, the server's LSM).
 */
static int qtsrv_access(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			struct qtfs_buf *rsp)
{
	struct path path;
	int mask = 0, ret;

	if (a->d[0] & ~QTFS_ACCESS_ALL)
		return -EINVAL;
	if (a->d[0] & QTFS_ACCESS_X)
		mask |= MAY_EXEC;
	if (a->d[0] & QTFS_ACCESS_W)
		mask |= MAY_WRITE;
	if (a->d[0] & QTFS_ACCESS_R)
		mask |= MAY_READ;
	ret = qtsrv_resolve(ctx, a->s[0], NULL, 0, &path);
	if (ret)
		return ret;
	ret = inode_permission(qtsrv_mnt_idmap(path.mnt), d_inode(path.dentry),
			       mask);
	path_put(&path);
	return ret;
}

/* LLSEEK "Cqqd": q[0] handle, q[1] offset, d[0] whence -> new offset */
static int qtsrv_llseek(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			struct qtfs_buf *rsp)
{
	struct file *file;
	loff_t pos;

	if (a->d[0] > SEEK_MAX)
		return -EINVAL;
	file = qtsrv_handle_get(ctx, a->q[0]);
	if (IS_ERR(file))
		return PTR_ERR(file);
	mutex_lock(&file->f_pos_lock);
	pos = vfs_llseek(file, (loff_t)a->q[1], a->d[0]);
	mutex_unlock(&file->f_pos_lock);
	fput(file);
	if (pos < 0)
		return pos;
	return qtfs_proto_pack(rsp, "q", (u64)pos);
}

/* FALLOCATE "Cqdqq": q[0] handle, d[0] FALLOC_FL_* mode, q[1] offset,
 * q[2] length
 */
static int qtsrv_fallocate(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			   struct qtfs_buf *rsp)
{
	struct file *file = qtsrv_handle_get(ctx, a->q[0]);
	int ret;

	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = vfs_fallocate(file, a->d[0], (loff_t)a->q[1], (loff_t)a->q[2]);
	fput(file);
	return ret;
}

/* ----- xattrs ----- */

static int qtsrv_xattr_name_ok(const char *name)
{
	size_t len = strlen(name);

	/* as setxattr(): an empty or too long name is -ERANGE */
	return len && len <= XATTR_NAME_MAX ? 0 : -ERANGE;
}

/* GETXATTR "Cpsd": s[0] path, s[1] name, d[0] size (0: probe)
 * -> value size, value.  Under [Read], as LISTXATTR.
 */
static int qtsrv_getxattr(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			  struct qtfs_buf *rsp)
{
	struct path path;
	u32 size_pos = rsp->pos;
	ssize_t n;
	void *buf;
	int ret;

	ret = qtsrv_xattr_name_ok(a->s[1]);
	if (ret)
		return ret;
	qtfs_proto_pack(rsp, "d", 0);
	buf = qtfs_buf_push_blob(rsp, ctx->blob_max);
	if (!buf)
		return rsp->err;
	ret = qtsrv_resolve(ctx, a->s[0], NULL, 0, &path);
	if (ret)
		return ret;
	/* reading xattrs is reading the object */
	n = qtsrv_wl_check(ctx, QTSRV_WL_READ, &path, NULL);
	if (!n)
		n = qtsrv_vfs_getxattr(&path, a->s[1],
				       ctx->blob_max ? buf : NULL,
				       ctx->blob_max);
	path_put(&path);
	if (n < 0)
		return n;
	qtsrv_rsp_set_d(rsp, size_pos, n);
	qtfs_buf_trim_blob(rsp, buf, ctx->blob_max ? n : 0);
	return 0;
}

/* LISTXATTR "Cpd": s[0] path, d[0] size (0: probe) -> list size, names */
static int qtsrv_listxattr(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			   struct qtfs_buf *rsp)
{
	struct path path;
	u32 size_pos = rsp->pos;
	ssize_t n;
	void *buf;
	int ret;

	qtfs_proto_pack(rsp, "d", 0);
	buf = qtfs_buf_push_blob(rsp, ctx->blob_max);
	if (!buf)
		return rsp->err;
	ret = qtsrv_resolve(ctx, a->s[0], NULL, 0, &path);
	if (ret)
		return ret;
	n = qtsrv_wl_check(ctx, QTSRV_WL_READ, &path, NULL);
	if (!n)
		n = vfs_listxattr(path.dentry, ctx->blob_max ? buf : NULL,
				  ctx->blob_max);
	path_put(&path);
	if (n < 0)
		return n;
	qtsrv_rsp_set_d(rsp, size_pos, n);
	qtfs_buf_trim_blob(rsp, buf, ctx->blob_max ? n : 0);
	return 0;
}

/* SETXATTR "CpsBd": s[0] path, s[1] name, value, d[0] QTFS_XATTR_* flags */
static int qtsrv_setxattr(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			  struct qtfs_buf *rsp)
{
	struct path path;
	int flags = 0;
	int ret;

	if (a->d[0] & ~(QTFS_XATTR_CREATE | QTFS_XATTR_REPLACE))
		return -EINVAL;
	if (a->d[0] & QTFS_XATTR_CREATE)
		flags |= XATTR_CREATE;
	if (a->d[0] & QTFS_XATTR_REPLACE)
		flags |= XATTR_REPLACE;
	ret = qtsrv_xattr_name_ok(a->s[1]);
	if (ret)
		return ret;
	if (a->blob_len > XATTR_SIZE_MAX)
		return -E2BIG;
	ret = qtsrv_resolve(ctx, a->s[0], NULL, 0, &path);
	if (ret)
		return ret;
	ret = qtsrv_wl_check(ctx, QTSRV_WL_SETXATTR, &path, NULL);
	if (ret)
		goto out_put;
	ret = mnt_want_write(path.mnt);
	if (ret)
		goto out_put;
	ret = qtsrv_vfs_setxattr(&path, a->s[1], a->blob, a->blob_len, flags);
	mnt_drop_write(path.mnt);
out_put:
	path_put(&path);
	return ret;
}

/* REMOVEXATTR "Cps": s[0] path, s[1] name */
static int qtsrv_removexattr(struct qtsrv_ctx *ctx,
			     const struct qtsrv_args *a, struct qtfs_buf *rsp)
{
	struct path path;
	int ret;

	ret = qtsrv_xattr_name_ok(a->s[1]);
	if (ret)
		return ret;
	ret = qtsrv_resolve(ctx, a->s[0], NULL, 0, &path);
	if (ret)
		return ret;
	ret = qtsrv_wl_check(ctx, QTSRV_WL_SETXATTR, &path, NULL);
	if (ret)
		goto out_put;
	ret = mnt_want_write(path.mnt);
	if (ret)
		goto out_put;
	ret = qtsrv_vfs_removexattr(&path, a->s[1]);
	mnt_drop_write(path.mnt);
out_put:
	path_put(&path);
	return ret;
}

/* ----- the table, prologue and epilogue ----- */

static const struct qtsrv_op qtsrv_ops[QTFS_OP_MAX + 1] = {
	[QTFS_OP_MOUNT]		= { qtsrv_mount, QTSRV_OP_NO_SESS },
	[QTFS_OP_UMOUNT]	= { qtsrv_umount, QTSRV_OP_ANY_UID },
	[QTFS_OP_LOOKUP]	= { qtsrv_lookup },
	[QTFS_OP_GETATTR]	= { qtsrv_getattr },
	[QTFS_OP_SETATTR]	= { qtsrv_setattr },
	[QTFS_OP_OPEN]		= { qtsrv_open },
	[QTFS_OP_RELEASE]	= { qtsrv_release, QTSRV_OP_ANY_UID },
	[QTFS_OP_READ]		= { qtsrv_read, QTSRV_OP_BLOB, QTFS_IO_MAX },
	[QTFS_OP_WRITE]		= { qtsrv_write },
	[QTFS_OP_CREATE]	= { qtsrv_create },
	[QTFS_OP_MKDIR]		= { qtsrv_mkdir },
	[QTFS_OP_MKNOD]		= { qtsrv_mknod },
	[QTFS_OP_UNLINK]	= { qtsrv_unlink },
	[QTFS_OP_RMDIR]		= { qtsrv_rmdir },
	[QTFS_OP_RENAME]	= { qtsrv_rename },
	[QTFS_OP_LINK]		= { qtsrv_link },
	[QTFS_OP_SYMLINK]	= { qtsrv_symlink },
	[QTFS_OP_READLINK]	= { qtsrv_readlink },
	[QTFS_OP_READDIR]	= { qtsrv_readdir, QTSRV_OP_BLOB, QTFS_IO_MAX },
	[QTFS_OP_STATFS]	= { qtsrv_statfs },
	[QTFS_OP_FSYNC]		= { qtsrv_fsync },
	[QTFS_OP_GETXATTR]	= { qtsrv_getxattr, QTSRV_OP_BLOB,
				    QTFS_XATTR_SIZE_MAX },
	[QTFS_OP_SETXATTR]	= { qtsrv_setxattr },
	[QTFS_OP_LISTXATTR]	= { qtsrv_listxattr, QTSRV_OP_BLOB,
				    QTFS_XATTR_SIZE_MAX },
	[QTFS_OP_REMOVEXATTR]	= { qtsrv_removexattr },
	[QTFS_OP_LLSEEK]	= { qtsrv_llseek },
	[QTFS_OP_LOCK]		= { qtsrv_lock },
	/* INTERRUPT is answered by the receive thread (conn.c) */
	[QTFS_OP_FALLOCATE]	= { qtsrv_fallocate },
	[QTFS_OP_ACCESS]	= { qtsrv_access },
	[QTFS_OP_SYNCFS]	= { qtsrv_syncfs },
	/* POLL: QTSRV_ERR_UNKNOWN_OP until it is implemented */
};

/*
 * Decode a validated payload by the request format into @a.  Fails only if
 * a format does not fit &struct qtsrv_args, which qtsrv_handlers_init()
 * rules out at load.
 */
static int qtsrv_args_unpack(const struct qtfs_msg_hdr *h, void *payload,
			     struct qtsrv_args *a)
{
	const char *fmt = qtfs_op_desc(h->opcode)->req_fmt;
	unsigned int nq = 0, nd = 0, ns = 0;
	char one[2] = "";
	struct qtfs_buf b;
	int ret = 0;

	memset(a, 0, sizeof(*a));
	qtfs_buf_init(&b, payload, h->len - QTFS_HDR_SIZE);
	for (; *fmt && !ret; fmt++) {
		one[0] = *fmt;
		switch (*fmt) {
		case 'C':
			ret = qtfs_proto_unpack(&b, one, &a->cred);
			break;
		case 'q':
			if (nq == QTSRV_ARGS_Q)
				return -E2BIG;
			ret = qtfs_proto_unpack(&b, one, &a->q[nq++]);
			break;
		case 'd':
			if (nd == QTSRV_ARGS_D)
				return -E2BIG;
			ret = qtfs_proto_unpack(&b, one, &a->d[nd++]);
			break;
		case 's':
		case 'p':
		case 'n':
			if (ns == QTSRV_ARGS_S)
				return -E2BIG;
			ret = qtfs_proto_unpack(&b, one, &a->s[ns++]);
			break;
		case 'B':
			if (a->blob)
				return -E2BIG;
			ret = qtfs_proto_unpack(&b, one, &a->blob, &a->blob_len);
			break;
		default:
			return -EINVAL;
		}
	}
	return ret;
}

/* No keyring of the engine may be reachable from a request. */
static void qtsrv_cred_drop_keys(struct cred *cred)
{
#ifdef CONFIG_KEYS
	key_put(cred->session_keyring);
	key_put(cred->process_keyring);
	key_put(cred->thread_keyring);
	key_put(cred->request_key_auth);
	cred->session_keyring = NULL;
	cred->process_keyring = NULL;
	cred->thread_keyring = NULL;
	cred->request_key_auth = NULL;
#endif
}

/*
 * The identity a request runs as.  This is the one place where the client's
 * ids meet the export's options; handlers never look at either.
 *
 * Like nfsd_setuser(), the ids come from the client as it states them
 * (AUTH_SYS: the key authenticates the machine, not its users), then:
 *   - uids=MIN-MAX: a client uid other than 0 outside the range is refused
 *     with -EACCES, except for ops that only free state (RELEASE, UMOUNT);
 *     root is governed by the squash options instead;
 *   - all_squash: every uid and gid becomes the anon ids, with no
 *     supplementary groups;
 *   - root_squash (the module parameter when the export says neither):
 *     uid 0 and gid 0 (also as a supplementary group) become the anon ids;
 *   - anonuid=/anongid= name the anon ids, else qtfs_server_squash_uid/gid.
 * The result is that identity in every field (uid, euid, suid, fsuid and
 * the gid equivalents: procfs and sysctl check euid), without the engine's
 * keyrings, and with no capabilities at all unless it is the caller's
 * (unsquashed) root, which keeps the engine's as nfsd's root does.  nfsd
 * drops only the filesystem capabilities; we drop everything, which e.g.
 * also guards trusted.* xattrs (CAP_SYS_ADMIN).  cred->user (the
 * user_struct, for rlimit accounting) stays the engine's: nothing a module
 * may call builds one, and nfsd keeps its threads' too.
 */
static struct cred *qtsrv_cred_new(const struct qtfs_cred *c,
				   const struct qtsrv_export_opts *o,
				   u32 op_flags)
{
	struct user_namespace *ns = current_user_ns();
	bool all_squash = o->flags & QTSRV_EXPORT_ALL_SQUASH;
	bool root_squash = READ_ONCE(qtsrv_root_squash);
	u32 anonuid = READ_ONCE(qtsrv_squash_uid);
	u32 anongid = READ_ONCE(qtsrv_squash_gid);
	u32 i, ngroups = all_squash ? 0 : c->ngroups;
	struct group_info *gi;
	struct cred *cred;
	kuid_t uid;
	kgid_t gid;

	if ((o->flags & QTSRV_EXPORT_UIDS) && !(op_flags & QTSRV_OP_ANY_UID) &&
	    c->fsuid && (c->fsuid < o->uid_min || c->fsuid > o->uid_max))
		return ERR_PTR(-EACCES);
	if (o->flags & QTSRV_EXPORT_ROOT_SQUASH)
		root_squash = true;
	else if (o->flags & QTSRV_EXPORT_NO_ROOT_SQUASH)
		root_squash = false;
	if (o->flags & QTSRV_EXPORT_ANONUID)
		anonuid = o->anonuid;
	if (o->flags & QTSRV_EXPORT_ANONGID)
		anongid = o->anongid;

	uid = make_kuid(ns, all_squash || (root_squash && !c->fsuid) ?
			anonuid : c->fsuid);
	gid = make_kgid(ns, all_squash || (root_squash && !c->fsgid) ?
			anongid : c->fsgid);
	if (!uid_valid(uid) || !gid_valid(gid))
		return ERR_PTR(-EINVAL);
	cred = prepare_creds();
	if (!cred)
		return ERR_PTR(-ENOMEM);
	gi = groups_alloc(ngroups);
	if (!gi)
		goto out_abort;
	for (i = 0; i < ngroups; i++) {
		gi->gid[i] = make_kgid(ns, root_squash && !c->groups[i] ?
					     anongid : c->groups[i]);
		if (!gid_valid(gi->gid[i])) {
			put_group_info(gi);
			abort_creds(cred);
			return ERR_PTR(-EINVAL);
		}
	}
	groups_sort(gi);
	set_groups(cred, gi);
	put_group_info(gi);
	cred->uid = uid;
	cred->euid = uid;
	cred->suid = uid;
	cred->fsuid = uid;
	cred->gid = gid;
	cred->egid = gid;
	cred->sgid = gid;
	cred->fsgid = gid;
	qtsrv_cred_drop_keys(cred);
	if (!uid_eq(uid, make_kuid(ns, 0))) {
		cap_clear(cred->cap_effective);
		cap_clear(cred->cap_permitted);
		cap_clear(cred->cap_inheritable);
		cap_clear(cred->cap_ambient);
		cap_clear(cred->cap_bset);
	}
	return cred;

out_abort:
	abort_creds(cred);
	return ERR_PTR(-ENOMEM);
}

/* Reply size: header, fixed fields, and the blob the request may get. */
static u32 qtsrv_rsp_size(const struct qtsrv_op *op, u16 opcode,
			  const struct qtsrv_args *a,
			  const struct qtsrv_conn *conn, u32 *blob_max)
{
	u32 fixed = QTFS_HDR_SIZE + qtsrv_rsp_fixed[opcode];
	u32 room;

	*blob_max = 0;
	if (!(op->flags & QTSRV_OP_BLOB))
		return fixed;
	room = conn->max_msg > fixed ? conn->max_msg - fixed : 0;
	*blob_max = min3(a->d[0], op->blob_max, room);
	return fixed + *blob_max;
}

static bool qtsrv_err_restart(int err)
{
	return err == -ERESTARTSYS || err == -ERESTARTNOINTR ||
	       err == -ERESTARTNOHAND || err == -ERESTART_RESTARTBLOCK;
}

/* Errors as the client's caller would see them from a local syscall. */
static int qtsrv_wire_errno(int err)
{
	if (qtsrv_err_restart(err))
		return -EINTR;
	switch (err) {
	case -ENOTSUPP:
		return -EOPNOTSUPP;
	case -EOPENSTALE:
		return -ESTALE;
	}
	if (WARN_ON_ONCE(err >= 0 || !qtfs_proto_errno_valid(err)))
		return -EIO;
	return err;
}

/* Finish a successful reply and check it against the reply format. */
static int qtsrv_rsp_finish(struct qtfs_buf *rsp)
{
	struct qtfs_msg_hdr h;
	int ret;

	ret = qtfs_proto_end(rsp);
	if (!ret)
		ret = qtfs_proto_decode_hdr(rsp->data, &h);
	if (!ret)
		ret = qtfs_proto_validate(&h, rsp->data + QTFS_HDR_SIZE);
	if (WARN_ON_ONCE(ret))
		return -EIO;
	return 0;
}

/**
 * qtsrv_rsp_max() - the largest reply a request can get
 * @conn:    connection it came on, after HELLO
 * @h:       its validated header
 * @payload: its validated payload
 *
 * What qtsrv_execute() allocates for the reply, so that the receive
 * thread can reserve it before it admits the request.
 *
 * Return: bytes, header included.
 */
u32 qtsrv_rsp_max(const struct qtsrv_conn *conn, const struct qtfs_msg_hdr *h,
		  void *payload)
{
	const struct qtsrv_op *op = &qtsrv_ops[h->opcode];
	struct qtsrv_args a;
	u32 blob_max;

	if (!op->fn)
		return QTFS_HDR_SIZE;
	if (!(op->flags & QTSRV_OP_BLOB))
		return QTFS_HDR_SIZE + qtsrv_rsp_fixed[h->opcode];
	/* the worker fails the request the same way (-EIO) */
	if (WARN_ON_ONCE(qtsrv_args_unpack(h, payload, &a)))
		return QTFS_HDR_SIZE;
	return qtsrv_rsp_size(op, h->opcode, &a, conn, &blob_max);
}

/*
 * The prologue, the handler and the reply check.  On success @rsp holds the
 * finished reply in a kvmalloc'd buffer; on error the buffer is freed and
 * @rsp->data is NULL.
 */
static int qtsrv_execute(struct qtsrv *srv, struct qtsrv_req *req,
			 struct qtfs_buf *rsp)
{
	const struct qtfs_msg_hdr *h = &req->hdr;
	const struct qtsrv_op *op = &qtsrv_ops[h->opcode];
	struct qtsrv_ctx ctx = { .srv = srv, .conn = req->conn, .req = req };
	struct qtsrv_export_opts opts = {};
	const struct cred *old;
	struct qtsrv_args a;
	struct cred *cred;
	void *buf;
	u32 size;
	int err;

	rsp->data = NULL;
	if (!op->fn)
		return QTSRV_ERR_UNKNOWN_OP;
	err = qtsrv_args_unpack(h, req->payload, &a);
	if (WARN_ON_ONCE(err))
		return -EIO;
	if (!(op->flags & QTSRV_OP_NO_SESS)) {
		ctx.sess = qtsrv_sess_get(req->conn);
		if (!ctx.sess)
			return -EPERM;
		/* the export must still be in [Mount] after a reload */
		err = qtsrv_wl_sess_export(srv, ctx.sess, &opts);
		if (err) {
			qtsrv_dbg_rl("conn %u: %s no longer in [Mount]\n",
				     req->conn->id, ctx.sess->export);
			goto out_put_sess;
		}
	}
	cred = qtsrv_cred_new(&a.cred, &opts, op->flags);
	if (IS_ERR(cred)) {
		err = PTR_ERR(cred);
		if (err == -EACCES)
			qtsrv_dbg_rl("conn %u: %s: uid %u is outside the export's uids= range\n",
				     req->conn->id, ctx.sess->export,
				     a.cred.fsuid);
		goto out_put_sess;
	}
	size = qtsrv_rsp_size(op, h->opcode, &a, req->conn, &ctx.blob_max);
	err = -ENOMEM;
	buf = kvmalloc(size, GFP_KERNEL);
	if (!buf)
		goto out_put_cred;
	qtfs_buf_init(rsp, buf, size);
	qtfs_proto_begin(rsp, h->opcode, QTFS_HDR_REPLY, h->id, 0);

	old = override_creds(cred);
	err = op->fn(&ctx, &a, rsp);
	revert_creds(old);
	if (!err)
		err = qtsrv_rsp_finish(rsp);
	if (err) {
		kvfree(buf);
		rsp->data = NULL;
	}
out_put_cred:
	put_cred(cred);
out_put_sess:
	qtsrv_sess_put(ctx.sess);
	return err;
}

/**
 * qtsrv_dispatch() - run one request and reply to it
 * @srv: server
 * @req: request taken off the queue; answered (which hands it to the
 *       connection's send path), freed, or put back on the queue
 *
 * Called by engine threads in QTSRV_IOC_SERVE.  A request a signal to the
 * engine thread interrupted (-ERESTART*) goes back on the queue to run
 * again after the thread has taken the signal, as a system call restarts;
 * the client never sees errors that belong to the engine.  A request the
 * client interrupted (INTERRUPT) is answered -EINTR instead, and one whose
 * connection died is dropped.
 */
void qtsrv_dispatch(struct qtsrv *srv, struct qtsrv_req *req)
{
	const struct qtfs_msg_hdr *h = &req->hdr;
	struct qtsrv_conn *conn = req->conn;
	u16 opcode = h->opcode;
	struct qtfs_buf rsp;
	u64 start;
	int err;

	if (test_bit(QTSRV_CONN_DEAD, &conn->flags)) {
		qtsrv_req_free(req);
		return;
	}
	start = qtfs_stats_start();
	qtsrv_req_watch(req);
	err = qtsrv_execute(srv, req, &rsp);
	qtsrv_req_unwatch(req);
	if (qtsrv_err_restart(err) && signal_pending(current) &&
	    !READ_ONCE(req->interrupted) && qtsrv_requeue_req(srv, req))
		return;
	if (!err) {
		qtsrv_req_reply(req, rsp.data, rsp.pos);
	} else {
		err = qtsrv_wire_errno(err);
		qtsrv_dbg_rl("conn %u: %s id %llu: %d\n", conn->id,
			     qtfs_op_desc(opcode)->name, h->id, err);
		qtsrv_req_reply_error(req, err);
	}
	qtfs_stats_account(opcode, start, err);
}

/* Does every field of @fmt have a slot in &struct qtsrv_args? */
static bool qtsrv_fmt_fits(const char *fmt)
{
	unsigned int nq = 0, nd = 0, ns = 0, nb = 0;

	if (*fmt++ != 'C')
		return false;
	for (; *fmt; fmt++) {
		switch (*fmt) {
		case 'q':
			nq++;
			break;
		case 'd':
			nd++;
			break;
		case 's':
		case 'p':
		case 'n':
			ns++;
			break;
		case 'B':
			nb++;
			break;
		default:
			return false;
		}
	}
	return nq <= QTSRV_ARGS_Q && nd <= QTSRV_ARGS_D &&
	       ns <= QTSRV_ARGS_S && nb <= 1;
}

/**
 * qtsrv_handlers_init() - check the handler table against the wire formats
 *
 * Context: module load.  Computes the fixed reply sizes and makes sure every
 * handled request format decodes into &struct qtsrv_args and every
 * blob-sized reply takes its size from d[0].
 *
 * Return: 0, or -EINVAL if the table and the protocol header disagree.
 */
int qtsrv_handlers_init(void)
{
	const struct qtfs_op_desc *desc;
	u32 min, max, op;

	for (op = 1; op <= QTFS_OP_MAX; op++) {
		desc = qtfs_op_desc(op);
		if (!desc)
			continue;
		if (qtfs_fmt_bounds(desc->rsp_fmt, &min, &max))
			goto bad;
		if (strchr(desc->rsp_fmt, 'B'))
			max -= QTFS_IO_MAX;
		qtsrv_rsp_fixed[op] = max;
		if (!qtsrv_ops[op].fn)
			continue;
		if (!qtsrv_fmt_fits(desc->req_fmt))
			goto bad;
		if (!(qtsrv_ops[op].flags & QTSRV_OP_BLOB) !=
		    !strchr(desc->rsp_fmt, 'B'))
			goto bad;
		if ((qtsrv_ops[op].flags & QTSRV_OP_BLOB) &&
		    !strchr(desc->req_fmt, 'd'))
			goto bad;
	}
	return 0;
bad:
	pr_err("handler table does not match the protocol for opcode %u\n",
	       op);
	return -EINVAL;
}
