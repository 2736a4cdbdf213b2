// SPDX-License-Identifier: GPL-2.0
/*
 * The keyed parts of the wire for the test programs (see wire.h): the
 * HMACs of the QTFS_FEAT_AUTH handshake and the tags of QTFS_FEAT_FRAME_MAC
 * frames, computed here independently of common/qtfs_auth.c so that a test
 * does not trust the code it tests.
 */
#include <string.h>
#include <glib.h>
#include "wire.h"

/**
 * hw_hmac3() - HMAC-SHA256(@key, @label || @cn || @sn)
 * @key:    the pre-shared key (or any key of the handshake)
 * @keylen: its length
 * @label:  "qtfs-auth-client", "qtfs-auth-server" or "qtfs-session"
 * @cn:     the client's nonce
 * @sn:     the server's nonce
 * @out:    the result
 */
void hw_hmac3(const u8 *key, size_t keylen, const char *label, const u8 *cn,
	      const u8 *sn, u8 out[QTFS_AUTH_MAC_SIZE])
{
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, keylen);
	gsize n = QTFS_AUTH_MAC_SIZE;

	g_hmac_update(h, (const guchar *)label, strlen(label));
	g_hmac_update(h, cn, QTFS_AUTH_NONCE_SIZE);
	g_hmac_update(h, sn, QTFS_AUTH_NONCE_SIZE);
	g_hmac_get_digest(h, out, &n);
	g_hmac_unref(h);
}

/**
 * hw_frame_tag() - the tag of a frame
 * @ks:      session key
 * @dir:     'C' for a frame from the client, 'S' from the server
 * @seq:     number of tagged frames sent before it in that direction
 * @hdr:     the frame's first @hlen bytes (the header as sent)
 * @hlen:    their length
 * @payload: the other @plen bytes
 * @plen:    their length
 * @tag:     the result
 */
void hw_frame_tag(const u8 *ks, char dir, u64 seq, const void *hdr,
		  size_t hlen, const void *payload, size_t plen,
		  u8 tag[QTFS_FRAME_TAG_SIZE])
{
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, ks, QTFS_AUTH_MAC_SIZE);
	u8 full[QTFS_AUTH_MAC_SIZE], le[8];
	gsize n = sizeof(full);
	int i;

	for (i = 0; i < 8; i++)
		le[i] = seq >> (8 * i);
	g_hmac_update(h, (const guchar *)&dir, 1);
	g_hmac_update(h, le, sizeof(le));
	g_hmac_update(h, hdr, hlen);
	g_hmac_update(h, payload, plen);
	g_hmac_get_digest(h, full, &n);
	g_hmac_unref(h);
	memcpy(tag, full, QTFS_FRAME_TAG_SIZE);
}
