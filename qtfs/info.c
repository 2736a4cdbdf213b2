// SPDX-License-Identifier: GPL-2.0
/*
 * Diagnostics of the client: the read-only misc device /dev/qtfs, which
 * answers the ioctls of include/uapi/qtfs_info.h (version, per-op
 * statistics, one entry per mount connection) for qtinfo.
 *
 * The connection list is the module's only list of all mounts; it exists
 * for this file alone.  qtfs_info_lock protects qtfs_info_conns and
 * qtfs_info_next_id; it nests outside the xa_lock of a connection's
 * request table and is never taken with another qtfs lock held.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "qtfs_i.h"
#include "qtfs_stats.h"
#include "uapi/qtfs_info.h"

static DEFINE_MUTEX(qtfs_info_lock);
static LIST_HEAD(qtfs_info_conns);
static u32 qtfs_info_next_id;

/* Largest &struct qtfs_info_conns.cap honoured per call. */
#define QTFS_INFO_CONNS_MAX	4096

/**
 * qtfs_info_add_conn() - list a new mount connection
 * @conn: connection, not yet visible to anyone else
 */
void qtfs_info_add_conn(struct qtfs_conn *conn)
{
	mutex_lock(&qtfs_info_lock);
	conn->info_id = ++qtfs_info_next_id;
	list_add_tail(&conn->info_node, &qtfs_info_conns);
	mutex_unlock(&qtfs_info_lock);
}

/**
 * qtfs_info_del_conn() - unlist a connection before it is freed
 * @conn: connection listed by qtfs_info_add_conn()
 */
void qtfs_info_del_conn(struct qtfs_conn *conn)
{
	mutex_lock(&qtfs_info_lock);
	list_del(&conn->info_node);
	mutex_unlock(&qtfs_info_lock);
}

static u32 qtfs_info_state(int state)
{
	switch (state) {
	case QTFS_CONN_HANDSHAKE:
		return QTFS_INFO_CONN_HANDSHAKE;
	case QTFS_CONN_UP:
		return QTFS_INFO_CONN_UP;
	case QTFS_CONN_ABORTED:
		return QTFS_INFO_CONN_CLOSED;
	default:
		return QTFS_INFO_CONN_DOWN;
	}
}

/* One entry; the fields are read racily, as a snapshot for humans. */
static void qtfs_info_conn_fill(struct qtfs_conn *conn,
				struct qtfs_info_conn *ic)
{
	struct qtfs_req *req;
	unsigned long id;

	memset(ic, 0, sizeof(*ic));
	ic->id = conn->info_id;
	xa_lock(&conn->reqs);
	ic->state = qtfs_info_state(conn->state);
	xa_for_each(&conn->reqs, id, req)
		ic->inflight++;
	xa_unlock(&conn->reqs);
	if (ic->state == QTFS_INFO_CONN_UP ||
	    ic->state == QTFS_INFO_CONN_HANDSHAKE) {
		ic->proto_major = QTFS_PROTO_MAJOR;
		ic->proto_minor = READ_ONCE(conn->proto_minor);
		ic->max_msg = READ_ONCE(conn->max_msg);
	}
	if (conn->addr.ip[0])
		snprintf(ic->peer, sizeof(ic->peer), "%s:%s:%u",
			 conn->trans->name, conn->addr.ip, conn->addr.tcp_port);
	else
		snprintf(ic->peer, sizeof(ic->peer), "%s:%u:%u",
			 conn->trans->name, conn->addr.vsock_cid,
			 conn->addr.vsock_port);
	strscpy(ic->export, conn->export, sizeof(ic->export));
}

static long qtfs_info_ioc_conns(void __user *uarg)
{
	struct qtfs_info_conn *buf = NULL;
	struct qtfs_info_conns arg;
	struct qtfs_conn *conn;
	u32 cap, nr = 0;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.version != QTFS_INFO_VERSION)
		return -EINVAL;
	cap = min_t(u32, arg.cap, QTFS_INFO_CONNS_MAX);
	if (cap) {
		buf = kvcalloc(cap, sizeof(*buf), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	mutex_lock(&qtfs_info_lock);
	list_for_each_entry(conn, &qtfs_info_conns, info_node) {
		if (nr < cap)
			qtfs_info_conn_fill(conn, &buf[nr]);
		nr++;
	}
	mutex_unlock(&qtfs_info_lock);
	arg.nr = nr;
	arg.filled = min(nr, cap);
	if (arg.filled &&
	    copy_to_user(u64_to_user_ptr(arg.conns), buf,
			 array_size(arg.filled, sizeof(*buf))))
		ret = -EFAULT;
	else if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	kvfree(buf);
	return ret;
}

static long qtfs_info_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (cmd == QTFS_INFO_IOC_CONNS)
		return qtfs_info_ioc_conns(uarg);
	return qtfs_info_ioctl_common(cmd, uarg);
}

static int qtfs_info_open(struct inode *inode, struct file *file)
{
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

static const struct file_operations qtfs_info_fops = {
	.owner = THIS_MODULE,
	.open = qtfs_info_open,
	.unlocked_ioctl = qtfs_info_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice qtfs_info_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = QTFS_INFO_DEV_NAME,
	.fops = &qtfs_info_fops,
	.mode = 0400,
};

/**
 * qtfs_info_init() - register /dev/qtfs
 *
 * Return: 0 or -errno.
 */
int qtfs_info_init(void)
{
	int ret = misc_register(&qtfs_info_misc);

	if (ret)
		pr_err("cannot register /dev/%s: %d\n", QTFS_INFO_DEV_NAME,
		       ret);
	return ret;
}

/**
 * qtfs_info_exit() - unregister /dev/qtfs
 */
void qtfs_info_exit(void)
{
	misc_deregister(&qtfs_info_misc);
}
