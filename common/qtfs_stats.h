/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-opcode request statistics and the version/statistics ioctls of
 * include/uapi/qtfs_info.h, shared by qtfs.ko and qtfs_server.ko (kernel
 * only; the codec is the part of common/ that also builds in userspace).
 */
#ifndef _QTFS_STATS_H
#define _QTFS_STATS_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/ktime.h>
#include <linux/types.h>
#include "qtfs_proto.h"

/**
 * struct qtfs_op_stats - counters of one opcode
 * @count:    requests completed
 * @errors:   completed with an error
 * @total_ns: sum of latencies
 * @max_ns:   largest latency
 *
 * Plain atomics: a request costs four uncontended atomic operations on
 * cache lines of its own opcode, far below the cost of the request itself.
 */
struct qtfs_op_stats {
	atomic64_t count;
	atomic64_t errors;
	atomic64_t total_ns;
	atomic64_t max_ns;
};

void qtfs_stats_account(u16 opcode, u64 start_ns, int error);
long qtfs_info_ioctl_common(unsigned int cmd, void __user *uarg);

/* Timestamp to pass to qtfs_stats_account() later. */
static inline u64 qtfs_stats_start(void)
{
	return ktime_get_ns();
}

#endif /* _QTFS_STATS_H */
