/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lexical path normalisation, one source for both worlds: qtfs_server.ko
 * normalises MOUNT paths and checks the whitelist rules it is given with
 * it, and the engine and qtinfo normalise the whitelist with it (through
 * libqtfs.a), so that a rule is spelled the same on both sides.  It uses
 * no kernel or libc function.
 */
#ifndef _QTFS_PATH_H
#define _QTFS_PATH_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#endif

int qtfs_path_normalize(char *out, size_t outlen, const char *in);
bool qtfs_path_is_normal(const char *p, size_t len);

#endif /* _QTFS_PATH_H */
