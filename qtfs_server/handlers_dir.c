// SPDX-License-Identifier: GPL-2.0
/*
 * Namespace handlers: lookups, directory changes, symlinks and READDIR.
 *
 * Operations on a name inside a directory resolve the directory below the
 * export root, take write access to its mount, lock it as the parent
 * (I_MUTEX_PARENT) and look the name up under that lock before calling the
 * vfs_* helper, as nfsd and ksmbd do.  The vfs_* helpers do the permission
 * checks (may_create(), may_delete()) with the caller's credentials.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/delayed_call.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/uaccess.h>
#include <asm/unaligned.h>
#include "compat.h"
#include "handlers.h"

/* LOOKUP "Cpn": s[0] parent, s[1] name -> attributes of the child, not
 * following it if it is a symlink
 */
int qtsrv_lookup(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		 struct qtfs_buf *rsp)
{
	struct path path;
	int ret;

	ret = qtsrv_resolve(ctx, a->s[0], a->s[1], 0, &path);
	if (ret)
		return ret;
	ret = qtsrv_pack_attr(rsp, &path);
	path_put(&path);
	return ret;
}

/**
 * struct qtsrv_child - a name looked up under its locked parent
 * @parent: the directory, with mount write access and its inode locked
 * @dentry: the name in it, positive or negative
 */
struct qtsrv_child {
	struct path parent;
	struct dentry *dentry;
};

/*
 * Resolve directory @rel, check whitelist class @cls for @name in it, and
 * look @name up with the directory locked.  Undone by qtsrv_child_end().
 */
static int qtsrv_child_start(struct qtsrv_ctx *ctx, const char *rel,
			     const char *name, enum qtsrv_wl_class cls,
			     struct qtsrv_child *c)
{
	int ret;

	ret = qtsrv_resolve(ctx, rel, NULL, LOOKUP_FOLLOW | LOOKUP_DIRECTORY,
			    &c->parent);
	if (ret)
		return ret;
	ret = qtsrv_wl_check(ctx, cls, &c->parent, name);
	if (ret)
		goto out_put;
	ret = mnt_want_write(c->parent.mnt);
	if (ret)
		goto out_put;
	inode_lock_nested(d_inode(c->parent.dentry), I_MUTEX_PARENT);
	c->dentry = qtsrv_lookup_one(&c->parent, name);
	if (IS_ERR(c->dentry)) {
		ret = PTR_ERR(c->dentry);
		goto out_unlock;
	}
	return 0;

out_unlock:
	inode_unlock(d_inode(c->parent.dentry));
	mnt_drop_write(c->parent.mnt);
out_put:
	path_put(&c->parent);
	return ret;
}

static void qtsrv_child_end(struct qtsrv_child *c)
{
	dput(c->dentry);
	inode_unlock(d_inode(c->parent.dentry));
	mnt_drop_write(c->parent.mnt);
	path_put(&c->parent);
}

/*
 * Attributes of a child just created.  Some filesystems leave the dentry
 * passed to ->mkdir() unhashed or negative and instantiate another one
 * (nfsd_create_locked() copes the same way): look the name up again.
 */
static int qtsrv_child_attr(struct qtsrv_child *c, const char *name,
			    struct qtfs_buf *rsp)
{
	struct dentry *d;
	struct path path;

	if (d_unhashed(c->dentry) || d_really_is_negative(c->dentry)) {
		d = qtsrv_lookup_one(&c->parent, name);
		if (IS_ERR(d))
			return PTR_ERR(d);
		dput(c->dentry);
		c->dentry = d;
		if (d_really_is_negative(d))
			return -ENOENT;
	}
	path.mnt = c->parent.mnt;
	path.dentry = c->dentry;
	return qtsrv_pack_attr(rsp, &path);
}

/*
 * MKDIR "Cpndd": s[0] parent, s[1] name, d[0] mode, d[1] umask
 * -> attributes
 */
int qtsrv_mkdir(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		struct qtfs_buf *rsp)
{
	/* permission bits and the sticky bit, as mkdir(2) */
	umode_t mode = a->d[0] & 01777;
	struct qtsrv_child c;
	int ret;

	ret = qtsrv_child_start(ctx, a->s[0], a->s[1], QTSRV_WL_MKDIR, &c);
	if (ret)
		return ret;
	ret = -EEXIST;
	if (d_really_is_positive(c.dentry))
		goto out_end;
	ret = qtsrv_create_mode(&c.parent, a->d[1], &mode);
	if (ret)
		goto out_end;
	ret = qtsrv_vfs_mkdir(&c.parent, c.dentry, mode);
	if (!ret)
		ret = qtsrv_child_attr(&c, a->s[1], rsp);
out_end:
	qtsrv_child_end(&c);
	return ret;
}

/*
 * MKNOD "Cpndddd": s[0] parent, s[1] name, d[0] mode (type and permission
 * bits), d[1] rdev major, d[2] rdev minor, d[3] umask -> attributes.  File types as
 * mknod(2): regular (or 0), character, block, fifo, socket.
 */
int qtsrv_mknod(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		struct qtfs_buf *rsp)
{
	umode_t mode = a->d[0] & (S_IFMT | S_IALLUGO);
	struct qtsrv_child c;
	int ret;

	if (mode != a->d[0])
		return -EINVAL;
	switch (mode & S_IFMT) {
	case 0:
		mode |= S_IFREG;
		break;
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFCHR:
	case S_IFBLK:
		if (a->d[1] >= 1U << (32 - MINORBITS) ||
		    a->d[2] >= 1U << MINORBITS)
			return -EINVAL;
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	ret = qtsrv_child_start(ctx, a->s[0], a->s[1], QTSRV_WL_CREATE, &c);
	if (ret)
		return ret;
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		ret = qtsrv_wl_check_device(ctx, &c.parent, a->s[1]);
		if (ret)
			goto out_end;
	}
	ret = -EEXIST;
	if (d_really_is_positive(c.dentry))
		goto out_end;
	ret = qtsrv_create_mode(&c.parent, a->d[3], &mode);
	if (ret)
		goto out_end;
	if (S_ISREG(mode))
		ret = qtsrv_vfs_create(&c.parent, c.dentry, mode);
	else
		ret = qtsrv_vfs_mknod(&c.parent, c.dentry, mode,
				      (S_ISCHR(mode) || S_ISBLK(mode)) ?
				      MKDEV(a->d[1], a->d[2]) : 0);
	if (!ret)
		ret = qtsrv_child_attr(&c, a->s[1], rsp);
out_end:
	qtsrv_child_end(&c);
	return ret;
}

/* UNLINK and RMDIR "Cpn": s[0] parent, s[1] name */
static int qtsrv_remove(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
			enum qtsrv_wl_class wl_class,
			int (*remove)(const struct path *parent,
				      struct dentry *dentry))
{
	struct qtsrv_child c;
	int ret;

	ret = qtsrv_child_start(ctx, a->s[0], a->s[1], wl_class, &c);
	if (ret)
		return ret;
	ret = -ENOENT;
	if (d_really_is_positive(c.dentry))
		ret = remove(&c.parent, c.dentry);
	qtsrv_child_end(&c);
	return ret;
}

int qtsrv_unlink(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		 struct qtfs_buf *rsp)
{
	return qtsrv_remove(ctx, a, QTSRV_WL_UNLINK, qtsrv_vfs_unlink);
}

int qtsrv_rmdir(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		struct qtfs_buf *rsp)
{
	return qtsrv_remove(ctx, a, QTSRV_WL_RMDIR, qtsrv_vfs_rmdir);
}

/* The locked part of RENAME, with do_renameat2()'s checks. */
static int qtsrv_rename_locked(const struct path *oldp, const char *oldname,
			       const struct path *newp, const char *newname,
			       unsigned int flags)
{
	struct dentry *old, *new, *trap;
	int ret;

	trap = lock_rename(newp->dentry, oldp->dentry);
	old = qtsrv_lookup_one(oldp, oldname);
	ret = PTR_ERR(old);
	if (IS_ERR(old))
		goto out_unlock;
	ret = -ENOENT;
	if (d_really_is_negative(old))
		goto out_put_old;
	new = qtsrv_lookup_one(newp, newname);
	ret = PTR_ERR(new);
	if (IS_ERR(new))
		goto out_put_old;
	ret = -EEXIST;
	if ((flags & RENAME_NOREPLACE) && d_really_is_positive(new))
		goto out_put_new;
	ret = -ENOENT;
	if ((flags & RENAME_EXCHANGE) && d_really_is_negative(new))
		goto out_put_new;
	/* source must not be an ancestor of the target, nor the reverse */
	ret = -EINVAL;
	if (old == trap)
		goto out_put_new;
	if (!(flags & RENAME_EXCHANGE))
		ret = -ENOTEMPTY;
	if (new == trap)
		goto out_put_new;
	ret = qtsrv_vfs_rename(oldp, old, newp, new, flags);
out_put_new:
	dput(new);
out_put_old:
	dput(old);
out_unlock:
	unlock_rename(newp->dentry, oldp->dentry);
	return ret;
}

/*
 * RENAME "Cpnpnd": s[0] old parent, s[1] old name, s[2] new parent, s[3]
 * new name, d[0] QTFS_RENAME_* flags.  Both ends are in this session; they
 * must be on one mount, as for rename(2).  [Rename] is checked on both
 * names, and the new name must not grant what the old one does not
 * (qtsrv_wl_check_move()).
 */
int qtsrv_rename(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		 struct qtfs_buf *rsp)
{
	unsigned int flags = 0;
	struct path oldp, newp;
	int ret;

	if (a->d[0] & ~(QTFS_RENAME_NOREPLACE | QTFS_RENAME_EXCHANGE |
			QTFS_RENAME_WHITEOUT))
		return -EINVAL;
	if (a->d[0] & QTFS_RENAME_NOREPLACE)
		flags |= RENAME_NOREPLACE;
	if (a->d[0] & QTFS_RENAME_EXCHANGE)
		flags |= RENAME_EXCHANGE;
	if (a->d[0] & QTFS_RENAME_WHITEOUT)
		flags |= RENAME_WHITEOUT;
	if ((flags & RENAME_EXCHANGE) &&
	    (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
		return -EINVAL;
	if ((flags & RENAME_WHITEOUT) && !capable(CAP_MKNOD))
		return -EPERM;

	ret = qtsrv_resolve(ctx, a->s[0], NULL,
			    LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &oldp);
	if (ret)
		return ret;
	ret = qtsrv_resolve(ctx, a->s[2], NULL,
			    LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &newp);
	if (ret)
		goto out_put_old;
	ret = -EXDEV;
	if (oldp.mnt != newp.mnt)
		goto out_put_new;
	ret = qtsrv_wl_check(ctx, QTSRV_WL_RENAME, &oldp, a->s[1]);
	if (!ret)
		ret = qtsrv_wl_check(ctx, QTSRV_WL_RENAME, &newp, a->s[3]);
	if (!ret)
		ret = qtsrv_wl_check_move(ctx, &oldp, a->s[1], &newp, a->s[3]);
	/* an exchange moves the other object the other way */
	if (!ret && (flags & RENAME_EXCHANGE))
		ret = qtsrv_wl_check_move(ctx, &newp, a->s[3], &oldp, a->s[1]);
	if (ret)
		goto out_put_new;
	ret = mnt_want_write(oldp.mnt);
	if (ret)
		goto out_put_new;
	ret = qtsrv_rename_locked(&oldp, a->s[1], &newp, a->s[3], flags);
	mnt_drop_write(oldp.mnt);
out_put_new:
	path_put(&newp);
out_put_old:
	path_put(&oldp);
	return ret;
}

/*
 * may_linkat(), which linkat(2) runs and vfs_link() leaves to its callers
 * (nfsd and ksmbd skip it), with protected_hardlinks always on: a file
 * whose owner ids do not map cannot be linked (-EOVERFLOW), and one the
 * caller neither owns nor has CAP_FOWNER over only if it is a safe
 * source: a regular file, not setuid, not setgid-executable, that the
 * caller may read and write (safe_hardlink_source()).  Otherwise anyone
 * could pin a setuid binary in place past its owner's update, or take
 * another user's quota.  Neither helper is exported, so this follows
 * fs/namei.c of Linux 6.1.
 */
static int qtsrv_may_link(const struct path *old)
{
	struct inode *inode = d_inode(old->dentry);
	umode_t mode = inode->i_mode;

	if (!qtsrv_ids_mapped(old))
		return -EOVERFLOW;
	if (inode_owner_or_capable(qtsrv_mnt_idmap(old->mnt), inode))
		return 0;
	/* 0010 is S_IXGRP, in the octal checkpatch asks for */
	if (!S_ISREG(mode) || (mode & S_ISUID) ||
	    ((mode & S_ISGID) && (mode & 0010)) ||
	    inode_permission(qtsrv_mnt_idmap(old->mnt), inode,
			     MAY_READ | MAY_WRITE))
		return -EPERM;
	return 0;
}

/*
 * LINK "Cppn": s[0] existing path (not followed), s[1] new parent, s[2] new
 * name -> attributes.  [Create] is checked on both names, [Device] on the
 * new one when linking a device node, and the new name must not grant
 * what the old one does not (qtsrv_wl_check_move()).  The hard link rules
 * of linkat(2) apply (qtsrv_may_link()).
 */
int qtsrv_link(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
	       struct qtfs_buf *rsp)
{
	struct qtsrv_child c;
	struct path old;
	int ret;

	ret = qtsrv_resolve(ctx, a->s[0], NULL, 0, &old);
	if (ret)
		return ret;
	/* a link is a new name for @old: [Create] must cover both names */
	ret = qtsrv_wl_check(ctx, QTSRV_WL_CREATE, &old, NULL);
	if (ret)
		goto out_put_old;
	ret = qtsrv_child_start(ctx, a->s[1], a->s[2], QTSRV_WL_CREATE, &c);
	if (ret)
		goto out_put_old;
	ret = qtsrv_wl_check_move(ctx, &old, NULL, &c.parent, a->s[2]);
	if (ret)
		goto out_end;
	/* ... and a device node gets no new name outside [Device] */
	if (d_is_special(old.dentry) &&
	    (S_ISCHR(d_inode(old.dentry)->i_mode) ||
	     S_ISBLK(d_inode(old.dentry)->i_mode))) {
		ret = qtsrv_wl_check_device(ctx, &c.parent, a->s[2]);
		if (ret)
			goto out_end;
	}
	ret = -EXDEV;
	if (old.mnt != c.parent.mnt)
		goto out_end;
	ret = -EEXIST;
	if (d_really_is_positive(c.dentry))
		goto out_end;
	ret = qtsrv_may_link(&old);
	if (ret)
		goto out_end;
	ret = qtsrv_vfs_link(old.dentry, &c.parent, c.dentry);
	if (!ret)
		ret = qtsrv_child_attr(&c, a->s[2], rsp);
out_end:
	qtsrv_child_end(&c);
out_put_old:
	path_put(&old);
	return ret;
}

/* SYMLINK "Cpns": s[0] parent, s[1] name, s[2] target -> attributes */
int qtsrv_symlink(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		  struct qtfs_buf *rsp)
{
	struct qtsrv_child c;
	int ret;

	/* symlinkat() refuses an empty target as an empty path */
	if (!*a->s[2])
		return -ENOENT;
	ret = qtsrv_child_start(ctx, a->s[0], a->s[1], QTSRV_WL_CREATE, &c);
	if (ret)
		return ret;
	ret = -EEXIST;
	if (d_really_is_positive(c.dentry))
		goto out_end;
	ret = qtsrv_vfs_symlink(&c.parent, c.dentry, a->s[2]);
	if (!ret)
		ret = qtsrv_child_attr(&c, a->s[1], rsp);
out_end:
	qtsrv_child_end(&c);
	return ret;
}

/*
 * The target of an ordinary symlink.  vfs_get_link() runs the LSM's
 * inode_readlink hook, as readlink(2) does; that hook is not exported, so
 * this is the only way a module gets it.
 */
static int qtsrv_readlink_plain(struct dentry *dentry, struct qtfs_buf *rsp)
{
	DEFINE_DELAYED_CALL(done);
	const char *target;
	int ret;

	target = vfs_get_link(dentry, &done);
	if (IS_ERR(target))
		return PTR_ERR(target);
	ret = -ENAMETOOLONG;
	if (strlen(target) < QTFS_PATH_MAX)
		ret = qtfs_proto_pack(rsp, "s", target);
	do_delayed_call(&done);
	return ret;
}

/*
 * The target of a link whose inode has its own ->readlink: the procfs
 * magic links (/proc/<pid>/cwd, exe, root, fd/N, map_files/..., ns/...).
 * Their ->get_link moves the caller's path walk (nd_jump_link()) and
 * oopses without one, so vfs_get_link() must never reach them; ->readlink
 * is what readlink(2) runs instead (proc_pid_readlink() with its ptrace
 * access check under the caller's credentials, proc_ns_readlink()).
 *
 * vfs_readlink() copies to a __user buffer and, with set_fs() gone, a
 * kernel buffer cannot pose as one.  Handlers run in an engine thread
 * inside QTSRV_IOC_SERVE, so the engine's mm is current: the target goes
 * through an anonymous mapping there, made and removed by this call, and
 * is copied out of it.  The alternatives are worse: re-implementing
 * ->readlink needs procfs internals, and following the link to d_path()
 * its target walks out of the export, which LOOKUP_BENEATH is there to
 * prevent.
 */
static int qtsrv_readlink_magic(struct dentry *dentry, struct qtfs_buf *rsp)
{
	unsigned long ubuf;
	char *kbuf;
	int n, ret;

	if (WARN_ON_ONCE(!current->mm))
		return -EOPNOTSUPP;
	kbuf = kmalloc(QTFS_PATH_MAX, GFP_KERNEL);
	if (!kbuf)
		return -ENOMEM;
	ubuf = vm_mmap(NULL, 0, QTFS_PATH_MAX, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(ubuf)) {
		ret = (long)ubuf;
		goto out_free;
	}
	n = vfs_readlink(dentry, (char __user *)ubuf, QTFS_PATH_MAX);
	if (n < 0) {
		ret = n;
		goto out_unmap;
	}
	/* a target filling the buffer may have been cut short */
	ret = -ENAMETOOLONG;
	if (n >= QTFS_PATH_MAX)
		goto out_unmap;
	ret = -EFAULT;
	if (copy_from_user(kbuf, (const char __user *)ubuf, n))
		goto out_unmap;
	kbuf[n] = '\0';
	ret = qtfs_proto_pack(rsp, "s", kbuf);
out_unmap:
	vm_munmap(ubuf, QTFS_PATH_MAX);
out_free:
	kfree(kbuf);
	return ret;
}

/* READLINK "Cp": s[0] path -> target.  Reading a link is [Read]. */
int qtsrv_readlink(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		   struct qtfs_buf *rsp)
{
	struct path path;
	int ret;

	ret = qtsrv_resolve(ctx, a->s[0], NULL, 0, &path);
	if (ret)
		return ret;
	ret = -EINVAL;
	if (!d_is_symlink(path.dentry))
		goto out_put;
	ret = qtsrv_wl_check(ctx, QTSRV_WL_READ, &path, NULL);
	if (ret)
		goto out_put;
	if (d_inode(path.dentry)->i_op->readlink)
		ret = qtsrv_readlink_magic(path.dentry, rsp);
	else
		ret = qtsrv_readlink_plain(path.dentry, rsp);
	if (!ret)
		touch_atime(&path);
out_put:
	path_put(&path);
	return ret;
}

/**
 * struct qtsrv_rd - READDIR state
 * @ctx:     the dir_context iterate_dir() drives
 * @b:       cursor over the reply blob
 * @entries: entries written to @b
 * @full:    @b could not take an entry; the walk stopped
 * @last:    offset in @b of the last entry written, whose cookie is not
 *           known yet (valid when @entries is not 0)
 *
 * An entry's cookie is the position from which the next READDIR resumes
 * right after it.  In Linux 6.1 the filldir actor gets each entry's own
 * position (dcache_readdir() passes ctx->pos before incrementing it, ext4
 * sets ctx->pos to the entry's offset or hash before dir_emit()), which
 * resumes *at* that entry; filldir64() therefore stores it as the d_off of
 * the previous dirent and the final ctx->pos as the last one's.  We do the
 * same by patching each entry's cookie when the next one (or the end of
 * the walk) tells it.  An entry that does not fit stops the walk *before*
 * it, so the directory's own position is then exactly the last cookie
 * sent: a READDIR continuing from it seeks nowhere.  That matters for
 * libfs directories (tmpfs), whose positions are ordinals: a real seek
 * rescans by count and would repeat entries when others were created in
 * the meantime.
 */
struct qtsrv_rd {
	struct dir_context ctx;
	struct qtfs_buf b;
	u32 entries;
	bool full;
	u32 last;
};

/* Set the cookie of the last entry written to @cookie. */
static void qtsrv_rd_cookie(struct qtsrv_rd *rd, u64 cookie)
{
	if (rd->entries)
		put_unaligned_le64(cookie, rd->b.data + rd->last +
				   offsetof(struct qtfs_wire_dirent, off));
}

static bool qtsrv_filldir(struct dir_context *dctx, const char *name,
			  int namelen, loff_t offset, u64 ino,
			  unsigned int type)
{
	struct qtsrv_rd *rd = container_of(dctx, struct qtsrv_rd, ctx);
	u32 pos = rd->b.pos;
	int ret;

	if (rd->full)
		return false;
	/*
	 * "." and ".." go out too, so that every cookie is a position of
	 * ours; the client puts its own inode numbers on them.
	 */
	if (namelen <= 0 || namelen > QTFS_NAME_MAX) {
		qtsrv_warn_rl("readdir: skipping an entry the protocol cannot carry (length %d)\n",
			      namelen);
		return true;
	}
	ret = qtfs_proto_dirent_put(&rd->b, ino, 0, type, name, namelen);
	if (ret == -EMSGSIZE) {
		rd->full = true;
		return false;
	}
	if (ret) {
		qtsrv_warn_rl("readdir: skipping an entry the protocol cannot carry (length %d)\n",
			      namelen);
		return true;
	}
	qtsrv_rd_cookie(rd, offset);
	rd->last = pos;
	rd->entries++;
	return true;
}

/*
 * READDIR "Cqqd": q[0] handle of an open directory, q[1] cookie (0: start),
 * d[0] max blob bytes -> QTFS_READDIR_* flags, entries.
 */
int qtsrv_readdir(struct qtsrv_ctx *ctx, const struct qtsrv_args *a,
		  struct qtfs_buf *rsp)
{
	struct qtsrv_rd *rd;
	u32 flags_pos = rsp->pos;
	struct file *file;
	loff_t pos;
	void *blob;
	bool eof;
	int ret;

	qtfs_proto_pack(rsp, "d", 0);
	blob = qtfs_buf_push_blob(rsp, ctx->blob_max);
	if (!blob)
		return rsp->err;
	file = qtsrv_handle_get(ctx, a->q[0]);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = qtsrv_wl_check(ctx, QTSRV_WL_READDIR, &file->f_path, NULL);
	if (ret)
		goto out_put;
	ret = -ENOMEM;
	rd = kzalloc(sizeof(*rd), GFP_KERNEL);
	if (!rd)
		goto out_put;
	rd->ctx.actor = qtsrv_filldir;
	qtfs_buf_init(&rd->b, blob, ctx->blob_max);

	/* the seek and the walk must not interleave with another READDIR */
	mutex_lock(&file->f_pos_lock);
	pos = vfs_llseek(file, (loff_t)a->q[1], SEEK_SET);
	if (pos < 0) {
		ret = pos;
	} else {
		ret = iterate_dir(file, &rd->ctx);
		/* where the walk stopped, after an error too */
		qtsrv_rd_cookie(rd, rd->ctx.pos);
	}
	mutex_unlock(&file->f_pos_lock);

	eof = !ret && !rd->full;
	if (rd->entries)
		ret = 0;	/* as getdents(): entries before an error count */
	else if (!ret && rd->full)
		ret = -EINVAL;	/* not one entry fits, as getdents() */
	if (!ret) {
		qtfs_buf_trim_blob(rsp, blob, rd->b.pos);
		qtsrv_rsp_set_d(rsp, flags_pos, eof ? QTFS_READDIR_EOF : 0);
	}
	kfree(rd);
out_put:
	fput(file);
	return ret;
}
