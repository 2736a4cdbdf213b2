/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qtfs pre-shared key authentication, shared by qtfs.ko and qtfs_server.ko
 * (each module compiles common/qtfs_auth.c and gets its own qtfs_auth_key
 * module parameter).  The exchange itself is described with HELLO in
 * include/uapi/qtfs_proto.h.
 */
#ifndef _QTFS_AUTH_H
#define _QTFS_AUTH_H

#include <linux/types.h>
#include "../include/uapi/qtfs_proto.h"

/* Labels that make the two proofs of one exchange differ. */
#define QTFS_AUTH_LABEL_SERVER	"qtfs-auth-server"
#define QTFS_AUTH_LABEL_CLIENT	"qtfs-auth-client"

int qtfs_auth_init(void);
bool qtfs_auth_keyed(void);
void qtfs_auth_nonce(u8 nonce[QTFS_AUTH_NONCE_SIZE]);
int qtfs_auth_mac(const char *label, const u8 *cnonce, const u8 *snonce,
		  u8 mac[QTFS_AUTH_MAC_SIZE]);
int qtfs_auth_check(const char *label, const u8 *cnonce, const u8 *snonce,
		    const u8 *mac);

#endif /* _QTFS_AUTH_H */
