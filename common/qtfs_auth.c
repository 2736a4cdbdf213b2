// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-shared key authentication of a qtfs connection: HMAC-SHA256 proofs
 * over both ends' random nonces, then, where the transport asks for it,
 * tags on every frame under a key derived for the connection (see HELLO
 * in include/uapi/qtfs_proto.h).
 *
 * The key is the qtfs_auth_key module parameter, given as hex at load time
 * only.  Its permissions are 0 so that it never shows in sysfs, and it is
 * never logged.  Nothing writes it after the module has loaded, so it is
 * read without locking.
 */
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/string.h>
#include "qtfs_auth.h"

#define QTFS_AUTH_KEY_MIN	16
#define QTFS_AUTH_KEY_MAX	64

/* Written only by qtfs_auth_key_set() while the module loads. */
static u8 qtfs_auth_key[QTFS_AUTH_KEY_MAX];
static unsigned int qtfs_auth_keylen;
static bool qtfs_auth_key_bad;

/*
 * A bad key is only noted here, and qtfs_auth_init() fails the load: an
 * error from a parameter's set op makes the kernel log the value, and even
 * a mistyped key must not end up in the log.
 */
static int qtfs_auth_key_set(const char *val, const struct kernel_param *kp)
{
	size_t len = strcspn(val, "\n");

	memzero_explicit(qtfs_auth_key, sizeof(qtfs_auth_key));
	qtfs_auth_keylen = 0;
	qtfs_auth_key_bad = len % 2 || len < 2 * QTFS_AUTH_KEY_MIN ||
			    len > 2 * QTFS_AUTH_KEY_MAX ||
			    hex2bin(qtfs_auth_key, val, len / 2);
	if (qtfs_auth_key_bad)
		memzero_explicit(qtfs_auth_key, sizeof(qtfs_auth_key));
	else
		qtfs_auth_keylen = len / 2;
	return 0;
}

static const struct kernel_param_ops qtfs_auth_key_ops = {
	.set = qtfs_auth_key_set,
};
module_param_cb(qtfs_auth_key, &qtfs_auth_key_ops, NULL, 0);
MODULE_PARM_DESC(qtfs_auth_key,
		 "pre-shared key, 16 to 64 bytes in hex; both ends must have the same (default: none)");

/**
 * qtfs_auth_init() - check the key given at load
 *
 * Return: 0, or -EINVAL (logged, without the value) for a malformed key.
 */
int qtfs_auth_init(void)
{
	if (!qtfs_auth_key_bad)
		return 0;
	pr_err("invalid qtfs_auth_key: want %u to %u bytes as an even number of hex digits\n",
	       QTFS_AUTH_KEY_MIN, QTFS_AUTH_KEY_MAX);
	return -EINVAL;
}

/**
 * qtfs_auth_keyed() - is a pre-shared key configured?
 *
 * Return: true if connections of this module must authenticate.
 */
bool qtfs_auth_keyed(void)
{
	return qtfs_auth_keylen != 0;
}

/**
 * qtfs_auth_nonce() - a fresh random challenge
 * @nonce: receives %QTFS_AUTH_NONCE_SIZE random bytes
 */
void qtfs_auth_nonce(u8 nonce[QTFS_AUTH_NONCE_SIZE])
{
	get_random_bytes(nonce, QTFS_AUTH_NONCE_SIZE);
}

/**
 * qtfs_auth_mac() - compute one side's proof of the key
 * @label:  %QTFS_AUTH_LABEL_SERVER or %QTFS_AUTH_LABEL_CLIENT
 * @cnonce: the client's %QTFS_AUTH_NONCE_SIZE byte nonce
 * @snonce: the server's nonce
 * @mac:    receives HMAC-SHA256(key, label || cnonce || snonce)
 *
 * Return: 0, -ENOKEY without a key, or the crypto API's error.
 */
int qtfs_auth_mac(const char *label, const u8 *cnonce, const u8 *snonce,
		  u8 mac[QTFS_AUTH_MAC_SIZE])
{
	struct crypto_shash *tfm;
	int ret;

	if (!qtfs_auth_keylen)
		return -ENOKEY;
	/* one exchange per connection: not worth keeping a transform */
	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	ret = crypto_shash_setkey(tfm, qtfs_auth_key, qtfs_auth_keylen);
	if (!ret) {
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		ret = crypto_shash_init(desc) ?:
		      crypto_shash_update(desc, label, strlen(label)) ?:
		      crypto_shash_update(desc, cnonce, QTFS_AUTH_NONCE_SIZE) ?:
		      crypto_shash_update(desc, snonce, QTFS_AUTH_NONCE_SIZE) ?:
		      crypto_shash_final(desc, mac);
		shash_desc_zero(desc);
	}
	crypto_free_shash(tfm);
	return ret;
}

/**
 * qtfs_auth_check() - verify the peer's proof of the key
 * @label:  the label the peer used
 * @cnonce: the client's nonce
 * @snonce: the server's nonce
 * @mac:    %QTFS_AUTH_MAC_SIZE bytes received from the peer
 *
 * Return: 0 if @mac is right, -EACCES if not, or another -errno if it
 * could not be computed.
 */
int qtfs_auth_check(const char *label, const u8 *cnonce, const u8 *snonce,
		    const u8 *mac)
{
	u8 want[QTFS_AUTH_MAC_SIZE];
	int ret;

	ret = qtfs_auth_mac(label, cnonce, snonce, want);
	if (!ret && crypto_memneq(want, mac, QTFS_AUTH_MAC_SIZE))
		ret = -EACCES;
	memzero_explicit(want, sizeof(want));
	return ret;
}

/**
 * qtfs_fmac_new() - set up frame authentication after a keyed HELLO
 * @cnonce: the client's nonce of the exchange
 * @snonce: the server's nonce
 * @server: true on the server's end of the connection
 *
 * Derives the session key from the pre-shared key and both nonces, so
 * each connection authenticates its frames with a key of its own.
 *
 * Return: the state to hang on the connection, or an ERR_PTR().
 */
struct qtfs_fmac *qtfs_fmac_new(const u8 *cnonce, const u8 *snonce,
				bool server)
{
	u8 key[QTFS_AUTH_MAC_SIZE];
	struct qtfs_fmac *m;
	int ret;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->tx_dir = server ? 'S' : 'C';
	m->tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(m->tfm)) {
		ret = PTR_ERR(m->tfm);
		goto out_free;
	}
	m->rx = kzalloc(sizeof(*m->rx) + crypto_shash_descsize(m->tfm),
			GFP_KERNEL);
	if (!m->rx) {
		ret = -ENOMEM;
		goto out_tfm;
	}
	m->rx->tfm = m->tfm;
	ret = qtfs_auth_mac(QTFS_AUTH_LABEL_SESSION, cnonce, snonce, key);
	if (!ret)
		ret = crypto_shash_setkey(m->tfm, key, sizeof(key));
	memzero_explicit(key, sizeof(key));
	if (ret)
		goto out_rx;
	return m;

out_rx:
	kfree(m->rx);
out_tfm:
	crypto_free_shash(m->tfm);
out_free:
	kfree(m);
	return ERR_PTR(ret);
}

/**
 * qtfs_fmac_free() - release frame authentication state
 * @m: state from qtfs_fmac_new(), or NULL
 */
void qtfs_fmac_free(struct qtfs_fmac *m)
{
	if (!m)
		return;
	kfree_sensitive(m->rx);
	crypto_free_shash(m->tfm);
	kfree(m);
}

/* Start a tag: direction and sequence number come before the frame. */
static int qtfs_fmac_begin(struct shash_desc *desc, u8 dir, u64 seq)
{
	__le64 lseq = cpu_to_le64(seq);

	return crypto_shash_init(desc) ?:
	       crypto_shash_update(desc, &dir, 1) ?:
	       crypto_shash_update(desc, (const u8 *)&lseq, sizeof(lseq));
}

/* Finish a tag into @tag, cut to its wire size. */
static int qtfs_fmac_final(struct shash_desc *desc,
			   u8 tag[QTFS_FRAME_TAG_SIZE])
{
	u8 full[QTFS_AUTH_MAC_SIZE];
	int ret;

	ret = crypto_shash_final(desc, full);
	memcpy(tag, full, QTFS_FRAME_TAG_SIZE);
	memzero_explicit(full, sizeof(full));
	return ret;
}

/**
 * qtfs_fmac_sign() - tag the next frame this end sends
 * @m:   frame authentication state
 * @vec: the frame, header first
 * @nr:  pieces in @vec
 * @tag: receives the tag to send right after the frame
 *
 * Takes the next sequence number, so the caller must send the frame and
 * the tag, in the order of the calls, or drop the connection.  Only
 * qtfs_frame_tag() calls this, under the connection's send lock, which it
 * asserts (@m does not know the lock).
 *
 * Return: 0 or the crypto API's error.
 */
int qtfs_fmac_sign(struct qtfs_fmac *m, const struct kvec *vec, size_t nr,
		   u8 tag[QTFS_FRAME_TAG_SIZE])
{
	SHASH_DESC_ON_STACK(desc, m->tfm);
	size_t i;
	int ret;

	desc->tfm = m->tfm;
	ret = qtfs_fmac_begin(desc, m->tx_dir, m->tx_seq++);
	for (i = 0; !ret && i < nr; i++)
		ret = crypto_shash_update(desc, vec[i].iov_base,
					  vec[i].iov_len);
	if (!ret)
		ret = qtfs_fmac_final(desc, tag);
	shash_desc_zero(desc);
	return ret;
}

/**
 * qtfs_fmac_rx_begin() - start checking the next received frame
 * @m: frame authentication state; receive thread only
 *
 * Return: 0 or the crypto API's error.
 */
int qtfs_fmac_rx_begin(struct qtfs_fmac *m)
{
	return qtfs_fmac_begin(m->rx, m->tx_dir == 'S' ? 'C' : 'S',
			       m->rx_seq++);
}

/**
 * qtfs_fmac_rx_update() - add received frame bytes to the running tag
 * @m:    frame authentication state; receive thread only
 * @data: bytes of the frame, in order
 * @len:  their number
 *
 * Return: 0 or the crypto API's error.
 */
int qtfs_fmac_rx_update(struct qtfs_fmac *m, const void *data, size_t len)
{
	return crypto_shash_update(m->rx, data, len);
}

/**
 * qtfs_fmac_rx_check() - compare the received tag with the frame's
 * @m:   frame authentication state; receive thread only
 * @tag: the %QTFS_FRAME_TAG_SIZE bytes that followed the frame
 *
 * Return: 0 if the frame is authentic, -EBADMSG if not, or the crypto
 * API's error.
 */
int qtfs_fmac_rx_check(struct qtfs_fmac *m,
		       const u8 tag[QTFS_FRAME_TAG_SIZE])
{
	u8 want[QTFS_FRAME_TAG_SIZE];
	int ret;

	ret = qtfs_fmac_final(m->rx, want);
	if (!ret && crypto_memneq(want, tag, QTFS_FRAME_TAG_SIZE))
		ret = -EBADMSG;
	memzero_explicit(want, sizeof(want));
	return ret;
}
