// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs client: module parameters, mount options, super block.
 *
 *   mount -t qtfs [-o trans=vsock|tcp,timeout=S,cid=N,ip=A,port=P,
 *                    devices=none|local,setid=ignore|allow] \
 *         /server/path /mountpoint
 *
 * The source is the absolute export path on the server; the server admits
 * it only under a [Mount] whitelist entry.
 *
 * Device numbers and set-id bits come from the server, which the client
 * does not trust (see doc/operations.md): by default device nodes of the
 * mount cannot be opened (devices=none) and set-user-ID, set-group-ID and
 * file capabilities of its files give nothing at execve() (setid=ignore).
 * The nodev and nosuid flags of mount(8) never reach a filesystem (the VFS
 * applies them to the vfsmount, on top of these options), so a forgotten
 * "nodev,nosuid" cannot open the client to a hostile server.
 */
#include <linux/atomic.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/statfs.h>
#include <linux/vm_sockets.h>
#include "qtfs_auth.h"
#include "qtfs_i.h"

#define QTFS_SUPER_MAGIC	0x51544653
#define QTFS_DEFAULT_TIMEOUT	60	/* seconds */

static unsigned int qtfs_server_vsock_cid = VMADDR_CID_HOST;
module_param(qtfs_server_vsock_cid, uint, 0444);
MODULE_PARM_DESC(qtfs_server_vsock_cid,
		 "vsock CID of the server (default 2, the host)");

static unsigned int qtfs_server_vsock_port = 12345;
module_param(qtfs_server_vsock_port, uint, 0444);
MODULE_PARM_DESC(qtfs_server_vsock_port, "vsock port of the server");

#ifdef QTFS_TEST_MODE
static char *qtfs_server_ip = "";
module_param(qtfs_server_ip, charp, 0444);
MODULE_PARM_DESC(qtfs_server_ip,
		 "test mode: IPv4 address of the server; makes tcp the default transport");

static unsigned short qtfs_server_port = 12345;
module_param(qtfs_server_port, ushort, 0444);
MODULE_PARM_DESC(qtfs_server_port, "test mode: TCP port of the server");
#endif

static unsigned int qtfs_conn_max_conn = 16;
module_param(qtfs_conn_max_conn, uint, 0444);
MODULE_PARM_DESC(qtfs_conn_max_conn,
		 "maximum number of qtfs mounts (one connection each)");

/*
 * Number of live connections, bounded by qtfs_conn_max_conn.  Besides the
 * transport registry this is the module's only mutable global.
 */
static atomic_t qtfs_nr_conns = ATOMIC_INIT(0);

/**
 * struct qtfs_fs_context - mount options being parsed
 * @trans:   transport name
 * @addr:    server address
 * @timeout: reply and send timeout in seconds, 0 for none
 * @flags:   QTFS_MNT_* bits
 */
struct qtfs_fs_context {
	char *trans;
	struct qtfs_trans_addr addr;
	unsigned int timeout;
	unsigned int flags;
};

enum {
	QTFS_OPT_TRANS, QTFS_OPT_TIMEOUT, QTFS_OPT_CID, QTFS_OPT_IP,
	QTFS_OPT_PORT, QTFS_OPT_DEVICES, QTFS_OPT_SETID,
};

/* Values of devices= and setid=: the flag they set, or 0. */
static const struct constant_table qtfs_devices_vals[] = {
	{ "none",	0 },
	{ "local",	QTFS_MNT_DEVICES },
	{}
};

static const struct constant_table qtfs_setid_vals[] = {
	{ "ignore",	0 },
	{ "allow",	QTFS_MNT_SETID },
	{}
};

static const struct fs_parameter_spec qtfs_fs_params[] = {
	fsparam_string("trans", QTFS_OPT_TRANS),
	fsparam_u32("timeout", QTFS_OPT_TIMEOUT),
	fsparam_u32("cid", QTFS_OPT_CID),
	fsparam_string("ip", QTFS_OPT_IP),
	fsparam_u32("port", QTFS_OPT_PORT),
	fsparam_enum("devices", QTFS_OPT_DEVICES, qtfs_devices_vals),
	fsparam_enum("setid", QTFS_OPT_SETID, qtfs_setid_vals),
	{}
};

static int qtfs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct qtfs_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, qtfs_fs_params, param, &result);
	if (opt < 0)
		return opt;
	switch (opt) {
	case QTFS_OPT_TRANS:
		kfree(ctx->trans);
		ctx->trans = param->string;
		param->string = NULL;
		break;
	case QTFS_OPT_TIMEOUT:
		if (result.uint_32 > INT_MAX / HZ)
			return invalfc(fc, "timeout %u is too large",
				       result.uint_32);
		ctx->timeout = result.uint_32;
		break;
	case QTFS_OPT_CID:
		ctx->addr.vsock_cid = result.uint_32;
		break;
	case QTFS_OPT_IP:
		if (strscpy(ctx->addr.ip, param->string,
			    sizeof(ctx->addr.ip)) < 0)
			return invalfc(fc, "ip %s is not an IPv4 address",
				       param->string);
		break;
	case QTFS_OPT_PORT:
		if (result.uint_32 > U16_MAX)
			return invalfc(fc, "port %u out of range",
				       result.uint_32);
		ctx->addr.vsock_port = result.uint_32;
		ctx->addr.tcp_port = result.uint_32;
		break;
	case QTFS_OPT_DEVICES:
		ctx->flags = (ctx->flags & ~QTFS_MNT_DEVICES) | result.uint_32;
		break;
	case QTFS_OPT_SETID:
		ctx->flags = (ctx->flags & ~QTFS_MNT_SETID) | result.uint_32;
		break;
	}
	return 0;
}

static int qtfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct qtfs_conn *conn = qtfs_conn(dentry->d_sb);
	u32 bsize, namelen, frsize, flags;
	struct qtfs_req *req;
	u64 fsid;
	int ret;

	req = qtfs_req_new(conn, QTFS_OP_STATFS, 0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req, "");
	ret = qtfs_req_run(req);
	if (!ret)
		ret = qtfs_req_result(req, &buf->f_blocks, &buf->f_bfree,
				      &buf->f_bavail, &buf->f_files,
				      &buf->f_ffree, &fsid, &bsize, &namelen,
				      &frsize, &flags);
	qtfs_req_put(req);
	if (ret)
		return ret;
	buf->f_type = QTFS_SUPER_MAGIC;
	buf->f_bsize = bsize;
	buf->f_namelen = namelen;
	buf->f_frsize = frsize;
	buf->f_flags = flags;
	buf->f_fsid.val[0] = lower_32_bits(fsid);
	buf->f_fsid.val[1] = upper_32_bits(fsid);
	return 0;
}

static void qtfs_umount_begin(struct super_block *sb)
{
	qtfs_conn_abort(qtfs_conn(sb));
}

static int qtfs_show_options(struct seq_file *m, struct dentry *root)
{
	struct qtfs_conn *conn = qtfs_conn(root->d_sb);

	seq_printf(m, ",trans=%s", conn->trans->name);
	if (conn->timeout != MAX_SCHEDULE_TIMEOUT)
		seq_printf(m, ",timeout=%lu", conn->timeout / HZ);
	if (conn->flags & QTFS_MNT_DEVICES)
		seq_puts(m, ",devices=local");
	if (conn->flags & QTFS_MNT_SETID)
		seq_puts(m, ",setid=allow");
	return 0;
}

static void qtfs_evict_inode(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
}

static struct kmem_cache *qtfs_inode_cachep;

static struct inode *qtfs_alloc_inode(struct super_block *sb)
{
	struct qtfs_inode *qi;

	qi = alloc_inode_sb(sb, qtfs_inode_cachep, GFP_KERNEL);
	if (!qi)
		return NULL;
	spin_lock_init(&qi->lock);
	INIT_LIST_HEAD(&qi->files);
	qi->cache_mtime = (struct timespec64){};
	qi->cache_ctime = (struct timespec64){};
	qi->cache_size = 0;
	qi->setid = 0;
	return &qi->vfs_inode;
}

static void qtfs_free_inode(struct inode *inode)
{
	kmem_cache_free(qtfs_inode_cachep, QTFS_I(inode));
}

static void qtfs_inode_init_once(void *p)
{
	struct qtfs_inode *qi = p;

	inode_init_once(&qi->vfs_inode);
}

/*
 * ->sync_fs: sync(2) and syncfs(2) have written our dirty pages back by
 * now; the server syncs the filesystem the export lives on.
 */
static int qtfs_sync_fs(struct super_block *sb, int wait)
{
	struct qtfs_req *req;
	int ret;

	if (!wait)
		return 0;
	req = qtfs_req_new(qtfs_conn(sb), QTFS_OP_SYNCFS, 0, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	qtfs_req_args(req);
	ret = qtfs_req_run(req);
	qtfs_req_put(req);
	return ret;
}

static const struct super_operations qtfs_super_ops = {
	.alloc_inode = qtfs_alloc_inode,
	.free_inode = qtfs_free_inode,
	.sync_fs = qtfs_sync_fs,
	.statfs = qtfs_statfs,
	.evict_inode = qtfs_evict_inode,
	.umount_begin = qtfs_umount_begin,
	.show_options = qtfs_show_options,
};

static int qtfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct qtfs_fs_context *ctx = fc->fs_private;
	const struct qtfs_trans_ops *trans;
	struct qtfs_attr root_attr;
	struct qtfs_conn *conn;
	struct inode *root;
	long timeout;
	int ret;

	trans = qtfs_trans_get(ctx->trans);
	if (!trans)
		return invalfc(fc, "unknown transport %s", ctx->trans);
	if (atomic_inc_return(&qtfs_nr_conns) > qtfs_conn_max_conn) {
		qtfs_trans_put(trans);
		atomic_dec(&qtfs_nr_conns);
		return invalfc(fc, "already %u mounts (qtfs_conn_max_conn)",
			       qtfs_conn_max_conn);
	}
	timeout = ctx->timeout ? ctx->timeout * HZ : MAX_SCHEDULE_TIMEOUT;
	conn = qtfs_conn_create(trans, &ctx->addr, fc->source, timeout);
	if (IS_ERR(conn)) {
		qtfs_trans_put(trans);
		atomic_dec(&qtfs_nr_conns);
		return PTR_ERR(conn);
	}
	conn->flags = ctx->flags;
	sb->s_fs_info = conn;
	sb->s_magic = QTFS_SUPER_MAGIC;
	/* may_open() refuses the device nodes of the mount with EACCES */
	if (!(conn->flags & QTFS_MNT_DEVICES))
		sb->s_iflags |= SB_I_NODEV;
	sb->s_op = &qtfs_super_ops;
	sb->s_d_op = &qtfs_dentry_ops;
	sb->s_xattr = qtfs_xattr_handlers;
	/* the server applies the umask, or a default ACL instead */
	sb->s_flags |= SB_POSIXACL;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_time_gran = 1;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	/* a writeback-capable bdi, or dirty mmap pages are never written */
	ret = super_setup_bdi(sb);
	if (ret)
		return ret;

	ret = qtfs_conn_start(conn, &root_attr);
	if (ret) {
		if (ret == -ECONNREFUSED || ret == -ECONNRESET ||
		    ret == -ENETUNREACH || ret == -ETIMEDOUT)
			errorfc(fc, "server unreachable over %s: %d",
				trans->name, ret);
		return ret;
	}
	root = qtfs_iget(sb, &root_attr);
	if (IS_ERR(root))
		return PTR_ERR(root);
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	return 0;
}

static int qtfs_get_tree(struct fs_context *fc)
{
	if (!fc->source || fc->source[0] != '/')
		return invalfc(fc, "source must be an absolute path on the server");
	if (strlen(fc->source) >= QTFS_PATH_MAX)
		return invalfc(fc, "source path too long");
	return get_tree_nodev(fc, qtfs_fill_super);
}

static void qtfs_free_fc(struct fs_context *fc)
{
	struct qtfs_fs_context *ctx = fc->fs_private;

	if (ctx) {
		kfree(ctx->trans);
		kfree(ctx);
	}
}

static const struct fs_context_operations qtfs_context_ops = {
	.parse_param = qtfs_parse_param,
	.get_tree = qtfs_get_tree,
	.free = qtfs_free_fc,
};

static int qtfs_init_fs_context(struct fs_context *fc)
{
	struct qtfs_fs_context *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	const char *trans = "vsock";

	if (!ctx)
		return -ENOMEM;
	ctx->addr.vsock_cid = qtfs_server_vsock_cid;
	ctx->addr.vsock_port = qtfs_server_vsock_port;
#ifdef QTFS_TEST_MODE
	strscpy(ctx->addr.ip, qtfs_server_ip, sizeof(ctx->addr.ip));
	ctx->addr.tcp_port = qtfs_server_port;
	if (qtfs_server_ip[0])
		trans = "tcp";
#endif
	ctx->timeout = QTFS_DEFAULT_TIMEOUT;
	ctx->trans = kstrdup(trans, GFP_KERNEL);
	if (!ctx->trans) {
		kfree(ctx);
		return -ENOMEM;
	}
	fc->fs_private = ctx;
	fc->ops = &qtfs_context_ops;
	return 0;
}

static void qtfs_kill_sb(struct super_block *sb)
{
	struct qtfs_conn *conn = qtfs_conn(sb);

	kill_anon_super(sb);
	if (conn) {
		qtfs_conn_destroy(conn);
		atomic_dec(&qtfs_nr_conns);
	}
}

static struct file_system_type qtfs_fs_type = {
	.owner = THIS_MODULE,
	.name = "qtfs",
	.init_fs_context = qtfs_init_fs_context,
	.parameters = qtfs_fs_params,
	.kill_sb = qtfs_kill_sb,
};
MODULE_ALIAS_FS("qtfs");

static int __init qtfs_init(void)
{
	int ret;

	ret = qtfs_auth_init();
	if (ret)
		return ret;
	qtfs_inode_cachep = kmem_cache_create("qtfs_inode_cache",
					      sizeof(struct qtfs_inode), 0,
					      SLAB_RECLAIM_ACCOUNT |
					      SLAB_MEM_SPREAD | SLAB_ACCOUNT,
					      qtfs_inode_init_once);
	if (!qtfs_inode_cachep)
		return -ENOMEM;
	ret = qtfs_trans_init();
	if (ret)
		goto out_cache;
	ret = qtfs_info_init();
	if (ret)
		goto out_trans;
	ret = register_filesystem(&qtfs_fs_type);
	if (ret)
		goto out_info;
	return 0;

out_info:
	qtfs_info_exit();
out_trans:
	qtfs_trans_exit();
out_cache:
	kmem_cache_destroy(qtfs_inode_cachep);
	return ret;
}

static void __exit qtfs_exit(void)
{
	unregister_filesystem(&qtfs_fs_type);
	qtfs_info_exit();
	qtfs_trans_exit();
	/* free_inode callbacks still in flight must finish first */
	rcu_barrier();
	kmem_cache_destroy(qtfs_inode_cachep);
}

module_init(qtfs_init);
module_exit(qtfs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qtfs: shared filesystem client over vsock");
