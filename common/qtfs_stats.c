// SPDX-License-Identifier: GPL-2.0
/*
 * Per-opcode statistics of one module, kept from module load to unload,
 * and the ioctls that read them (include/uapi/qtfs_info.h).
 *
 * The table is module-wide rather than per connection or per server
 * instance: an operator asks "what has this host's qtfs been doing", and
 * the counters survive engine restarts and remounts.  Besides the module
 * parameters it is the module's only other mutable global; it needs no
 * lock, every field being an atomic.
 */
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include "qtfs_stats.h"
#include "uapi/qtfs_info.h"

static struct qtfs_op_stats qtfs_op_stats[QTFS_OP_MAX + 1];

/**
 * qtfs_stats_account() - count one completed request
 * @opcode:   its opcode; out-of-range values are ignored
 * @start_ns: qtfs_stats_start() taken when it started
 * @error:    0 or -errno it ended with
 */
void qtfs_stats_account(u16 opcode, u64 start_ns, int error)
{
	struct qtfs_op_stats *st;
	s64 ns = ktime_get_ns() - start_ns;
	s64 max;

	if (opcode > QTFS_OP_MAX)
		return;
	st = &qtfs_op_stats[opcode];
	atomic64_inc(&st->count);
	if (error)
		atomic64_inc(&st->errors);
	atomic64_add(ns, &st->total_ns);
	max = atomic64_read(&st->max_ns);
	while (ns > max && !atomic64_try_cmpxchg(&st->max_ns, &max, ns))
		;
}

static long qtfs_info_version(void __user *uarg)
{
	struct qtfs_info_version v;

	if (copy_from_user(&v, uarg, sizeof(v)))
		return -EFAULT;
	if (v.version != QTFS_INFO_VERSION)
		return -EINVAL;
	v.proto_major = QTFS_PROTO_MAJOR;
	v.proto_minor = QTFS_PROTO_MINOR;
	v.nr_ops = QTFS_OP_MAX + 1;
	v.reserved = 0;
	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long qtfs_info_stats(void __user *uarg)
{
	struct qtfs_info_op_stat __user *uops;
	struct qtfs_info_op_stat one;
	struct qtfs_info_stats arg;
	u32 i;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.version != QTFS_INFO_VERSION || arg.reserved)
		return -EINVAL;
	uops = u64_to_user_ptr(arg.ops);
	for (i = 0; i < arg.cap && i <= QTFS_OP_MAX; i++) {
		one.count = atomic64_read(&qtfs_op_stats[i].count);
		one.errors = atomic64_read(&qtfs_op_stats[i].errors);
		one.total_ns = atomic64_read(&qtfs_op_stats[i].total_ns);
		one.max_ns = atomic64_read(&qtfs_op_stats[i].max_ns);
		if (copy_to_user(&uops[i], &one, sizeof(one)))
			return -EFAULT;
	}
	arg.nr = QTFS_OP_MAX + 1;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/**
 * qtfs_info_ioctl_common() - the info ioctls both modules answer alike
 * @cmd:  ioctl command
 * @uarg: user argument
 *
 * Return: 0, -errno, or -ENOTTY for a command that is not one of them.
 */
long qtfs_info_ioctl_common(unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
	case QTFS_INFO_IOC_VERSION:
		return qtfs_info_version(uarg);
	case QTFS_INFO_IOC_STATS:
		return qtfs_info_stats(uarg);
	default:
		return -ENOTTY;
	}
}
