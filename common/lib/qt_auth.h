/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pre-shared key authentication for the userspace daemons (udsproxyd,
 * rexec to come): the HELLO proofs and the frame tags of qtfs (see
 * "Authentication" and "Tagged frames" in doc/protocol.md), the same
 * construction as the kernel's common/qtfs_auth.c, on GLib's GHmac.  The
 * labels are the caller's, so that each protocol proves and tags under
 * its own.
 */
#ifndef QT_AUTH_H
#define QT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "uapi/qtfs_proto.h"

#define QT_AUTH_KEY_MIN		16
#define QT_AUTH_KEY_MAX		64

/**
 * struct qt_auth_key - a pre-shared key
 * @len: its length in bytes, 0 for none
 * @key: the key
 */
struct qt_auth_key {
	size_t len;
	uint8_t key[QT_AUTH_KEY_MAX];
};

/**
 * struct qt_fmac - tags of the frames of one connection
 * @ks:     session key
 * @tx_seq: tagged frames this end has sent
 * @rx_seq: tagged frames received
 * @tx_dir: direction byte this end signs with ('C' or 'S')
 */
struct qt_fmac {
	uint8_t ks[QTFS_AUTH_MAC_SIZE];
	uint64_t tx_seq;
	uint64_t rx_seq;
	uint8_t tx_dir;
};

int qt_auth_key_parse(const char *hex, size_t len, struct qt_auth_key *k);
int qt_auth_key_load(const char *path, struct qt_auth_key *k, char *err,
		     size_t errlen);
int qt_auth_nonce(uint8_t nonce[QTFS_AUTH_NONCE_SIZE]);
void qt_auth_mac(const struct qt_auth_key *k, const char *label,
		 const uint8_t *cnonce, const uint8_t *snonce,
		 uint8_t mac[QTFS_AUTH_MAC_SIZE]);
bool qt_auth_check(const struct qt_auth_key *k, const char *label,
		   const uint8_t *cnonce, const uint8_t *snonce,
		   const uint8_t *mac);
void qt_fmac_init(struct qt_fmac *m, const struct qt_auth_key *k,
		  const char *label, const uint8_t *cnonce,
		  const uint8_t *snonce, bool server);
void qt_fmac_sign(struct qt_fmac *m, const void *frame, size_t len,
		  uint8_t tag[QTFS_FRAME_TAG_SIZE]);
bool qt_fmac_check(struct qt_fmac *m, const void *frame, size_t len,
		   const uint8_t tag[QTFS_FRAME_TAG_SIZE]);

#endif /* QT_AUTH_H */
