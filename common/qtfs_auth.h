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
#include "uapi/qtfs_proto.h"

/* Labels that make the two proofs of one exchange differ. */
#define QTFS_AUTH_LABEL_SERVER	"qtfs-auth-server"
#define QTFS_AUTH_LABEL_CLIENT	"qtfs-auth-client"
/* Label of the session key that authenticates frames after HELLO. */
#define QTFS_AUTH_LABEL_SESSION	"qtfs-session"

struct kvec;
struct crypto_shash;
struct shash_desc;

/**
 * struct qtfs_fmac - authentication of the frames of one connection
 * @tfm:    HMAC-SHA256 keyed with the connection's session key
 * @rx:     state of the frame being received
 * @tx_seq: frames this end has sent since HELLO; under the connection's
 *          send lock (only its holder signs)
 * @rx_seq: frames received since HELLO; only the receive thread uses it
 *          and @rx
 * @tx_dir: direction byte this end signs with
 *
 * The tag of a frame is HMAC-SHA256(session key, direction || sequence
 * number || frame) cut to %QTFS_FRAME_TAG_SIZE bytes; see
 * include/uapi/qtfs_proto.h.
 */
struct qtfs_fmac {
	struct crypto_shash *tfm;
	struct shash_desc *rx;
	u64 tx_seq;
	u64 rx_seq;
	u8 tx_dir;
};

int qtfs_auth_init(void);
bool qtfs_auth_keyed(void);
void qtfs_auth_nonce(u8 nonce[QTFS_AUTH_NONCE_SIZE]);
int qtfs_auth_mac(const char *label, const u8 *cnonce, const u8 *snonce,
		  u8 mac[QTFS_AUTH_MAC_SIZE]);
int qtfs_auth_check(const char *label, const u8 *cnonce, const u8 *snonce,
		    const u8 *mac);

struct qtfs_fmac *qtfs_fmac_new(const u8 *cnonce, const u8 *snonce,
				bool server);
void qtfs_fmac_free(struct qtfs_fmac *m);
int qtfs_fmac_sign(struct qtfs_fmac *m, const struct kvec *vec, size_t nr,
		   u8 tag[QTFS_FRAME_TAG_SIZE]);
int qtfs_fmac_rx_begin(struct qtfs_fmac *m);
int qtfs_fmac_rx_update(struct qtfs_fmac *m, const void *data, size_t len);
int qtfs_fmac_rx_check(struct qtfs_fmac *m,
		       const u8 tag[QTFS_FRAME_TAG_SIZE]);

#endif /* _QTFS_AUTH_H */
