/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel helpers the shared codec uses, mapped onto libc when the
 * codec is built in userspace (unit tests, fuzzer, engine, qtinfo).
 */
#ifndef _QTFS_COMPAT_H
#define _QTFS_COMPAT_H

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/overflow.h>
#include <linux/string.h>
#include <linux/fcntl.h>
#include <asm/byteorder.h>
#include <asm/unaligned.h>
#else
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

#define le16_to_cpu(x)		le16toh(x)
#define le32_to_cpu(x)		le32toh(x)
#define le64_to_cpu(x)		le64toh(x)
#define cpu_to_le16(x)		htole16(x)
#define cpu_to_le32(x)		htole32(x)
#define cpu_to_le64(x)		htole64(x)

/* Wire fields sit at any offset: access them bytewise. */
static inline u16 get_unaligned_le16(const void *p)
{
	__le16 v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline u32 get_unaligned_le32(const void *p)
{
	__le32 v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline u64 get_unaligned_le64(const void *p)
{
	__le64 v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline void put_unaligned_le16(u16 val, void *p)
{
	__le16 v = htole16(val);

	memcpy(p, &v, sizeof(v));
}

static inline void put_unaligned_le32(u32 val, void *p)
{
	__le32 v = htole32(val);

	memcpy(p, &v, sizeof(v));
}

static inline void put_unaligned_le64(u64 val, void *p)
{
	__le64 v = htole64(val);

	memcpy(p, &v, sizeof(v));
}

#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

#endif /* _QTFS_COMPAT_H */
