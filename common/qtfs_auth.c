// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-shared key authentication of a qtfs connection: HMAC-SHA256 proofs
 * over both ends' random nonces (see HELLO in include/uapi/qtfs_proto.h).
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
