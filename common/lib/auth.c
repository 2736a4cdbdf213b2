// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-shared key authentication of the userspace daemons (see qt_auth.h):
 *
 *   proof = HMAC-SHA256(K, label || cnonce || snonce)
 *   Ks    = HMAC-SHA256(K, session label || cnonce || snonce)
 *   tag   = HMAC-SHA256(Ks, dir || le64 seq || frame)[0..16)
 *
 * byte for byte what common/qtfs_auth.c computes in the kernel.  Proofs
 * and tags are compared in constant time; keys and intermediate MACs are
 * wiped after use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include "qt_auth.h"

/* A key file holds hex digits and at most a trailing newline. */
#define QT_AUTH_FILE_MAX	(2 * QT_AUTH_KEY_MAX + 2)

static int qt_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * qt_auth_key_parse() - a key from its hex spelling
 * @hex: hex digits, as qtfs_auth_key takes them
 * @len: their number (a trailing newline is not counted by the caller)
 * @k:   result; untouched on error
 *
 * Return: 0, or -EINVAL unless @hex is an even number of hex digits
 * encoding %QT_AUTH_KEY_MIN to %QT_AUTH_KEY_MAX bytes.
 */
int qt_auth_key_parse(const char *hex, size_t len, struct qt_auth_key *k)
{
	struct qt_auth_key tmp = { .len = len / 2 };
	size_t i;
	int hi, lo;

	if (len % 2 || len < 2 * QT_AUTH_KEY_MIN || len > 2 * QT_AUTH_KEY_MAX)
		return -EINVAL;
	for (i = 0; i < tmp.len; i++) {
		hi = qt_hexval(hex[2 * i]);
		lo = qt_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			explicit_bzero(&tmp, sizeof(tmp));
			return -EINVAL;
		}
		tmp.key[i] = hi << 4 | lo;
	}
	*k = tmp;
	explicit_bzero(&tmp, sizeof(tmp));
	return 0;
}

/**
 * qt_auth_key_load() - read a key file
 * @path:   file holding the key in hex, as qtfs_auth_key takes it, and at
 *          most a trailing newline
 * @k:      result
 * @err:    buffer for a one-line reason on error (never showing the key)
 * @errlen: its size
 *
 * The file must be a regular file that neither group nor others can
 * access: a key others can read authenticates nobody.
 *
 * Return: 0 or -errno.
 */
int qt_auth_key_load(const char *path, struct qt_auth_key *k, char *err,
		     size_t errlen)
{
	char buf[QT_AUTH_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot read key file %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		close(fd);
		snprintf(err, errlen,
			 "key file %s must be a regular file no one but its owner can access (chmod 600)",
			 path);
		return -EACCES;
	}
	n = read(fd, buf, sizeof(buf));
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (!ret && (n < 0 || (size_t)n > QT_AUTH_FILE_MAX ||
		     qt_auth_key_parse(buf, n, k)))
		ret = -EINVAL;
	explicit_bzero(buf, sizeof(buf));
	if (ret)
		snprintf(err, errlen,
			 "key file %s: want %u to %u bytes as an even number of hex digits",
			 path, QT_AUTH_KEY_MIN, QT_AUTH_KEY_MAX);
	return ret;
}

/**
 * qt_auth_nonce() - a fresh random challenge
 * @nonce: receives %QTFS_AUTH_NONCE_SIZE random bytes
 *
 * Return: 0 or -errno of getrandom(2).
 */
int qt_auth_nonce(uint8_t nonce[QTFS_AUTH_NONCE_SIZE])
{
	size_t got = 0;
	ssize_t n;

	while (got < QTFS_AUTH_NONCE_SIZE) {
		n = getrandom(nonce + got, QTFS_AUTH_NONCE_SIZE - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += n;
	}
	return 0;
}

/* HMAC-SHA256 of key @key over the pieces, into @out. */
static void qt_hmac(const uint8_t *key, size_t keylen, const void *a,
		    size_t alen, const void *b, size_t blen, const void *c,
		    size_t clen, uint8_t out[QTFS_AUTH_MAC_SIZE])
{
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, keylen);
	gsize len = QTFS_AUTH_MAC_SIZE;

	g_hmac_update(h, a, alen);
	g_hmac_update(h, b, blen);
	g_hmac_update(h, c, clen);
	g_hmac_get_digest(h, out, &len);
	g_hmac_unref(h);
}

/**
 * qt_auth_mac() - one side's proof of the key, or a derived key
 * @k:      key (with @k->len != 0)
 * @label:  the proof's or key's label
 * @cnonce: the connecting side's %QTFS_AUTH_NONCE_SIZE byte nonce
 * @snonce: the accepting side's nonce
 * @mac:    receives HMAC-SHA256(key, label || cnonce || snonce)
 */
void qt_auth_mac(const struct qt_auth_key *k, const char *label,
		 const uint8_t *cnonce, const uint8_t *snonce,
		 uint8_t mac[QTFS_AUTH_MAC_SIZE])
{
	qt_hmac(k->key, k->len, label, strlen(label), cnonce,
		QTFS_AUTH_NONCE_SIZE, snonce, QTFS_AUTH_NONCE_SIZE, mac);
}

/* Constant-time comparison of @len bytes. */
static bool qt_memeq(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint8_t diff = 0;
	size_t i;

	for (i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

/**
 * qt_auth_check() - verify the peer's proof of the key
 * @k:      key
 * @label:  the label the peer used
 * @cnonce: the connecting side's nonce
 * @snonce: the accepting side's nonce
 * @mac:    %QTFS_AUTH_MAC_SIZE bytes received from the peer
 *
 * Return: true if @mac is right.
 */
bool qt_auth_check(const struct qt_auth_key *k, const char *label,
		   const uint8_t *cnonce, const uint8_t *snonce,
		   const uint8_t *mac)
{
	uint8_t want[QTFS_AUTH_MAC_SIZE];
	bool ok;

	qt_auth_mac(k, label, cnonce, snonce, want);
	ok = qt_memeq(want, mac, sizeof(want));
	explicit_bzero(want, sizeof(want));
	return ok;
}

/**
 * qt_fmac_init() - set up frame tags after a keyed HELLO
 * @m:      state to set up
 * @k:      the pre-shared key
 * @label:  label of the session key
 * @cnonce: the connecting side's nonce of the exchange
 * @snonce: the accepting side's nonce
 * @server: true on the accepting side (it signs with 'S')
 */
void qt_fmac_init(struct qt_fmac *m, const struct qt_auth_key *k,
		  const char *label, const uint8_t *cnonce,
		  const uint8_t *snonce, bool server)
{
	memset(m, 0, sizeof(*m));
	qt_auth_mac(k, label, cnonce, snonce, m->ks);
	m->tx_dir = server ? 'S' : 'C';
}

/* The tag of @frame sent in direction @dir as number @seq. */
static void qt_fmac_tag(const struct qt_fmac *m, uint8_t dir, uint64_t seq,
			const void *frame, size_t len,
			uint8_t tag[QTFS_FRAME_TAG_SIZE])
{
	uint8_t full[QTFS_AUTH_MAC_SIZE];
	uint64_t lseq = GUINT64_TO_LE(seq);

	qt_hmac(m->ks, sizeof(m->ks), &dir, 1, &lseq, sizeof(lseq), frame,
		len, full);
	memcpy(tag, full, QTFS_FRAME_TAG_SIZE);
	explicit_bzero(full, sizeof(full));
}

/**
 * qt_fmac_sign() - tag the next frame this end sends
 * @m:     state
 * @frame: the whole frame, header first
 * @len:   its length
 * @tag:   receives the tag to send right after it
 *
 * Takes the next sequence number: the frame must be sent, after every
 * frame signed before it, or the connection dropped.
 */
void qt_fmac_sign(struct qt_fmac *m, const void *frame, size_t len,
		  uint8_t tag[QTFS_FRAME_TAG_SIZE])
{
	qt_fmac_tag(m, m->tx_dir, m->tx_seq++, frame, len, tag);
}

/**
 * qt_fmac_check() - is a received frame's tag right?
 * @m:     state
 * @frame: the whole frame as received
 * @len:   its length
 * @tag:   the %QTFS_FRAME_TAG_SIZE bytes that followed it
 *
 * Takes the next receive sequence number whatever the outcome; a caller
 * drops the connection on a wrong tag.
 *
 * Return: true if the frame is authentic.
 */
bool qt_fmac_check(struct qt_fmac *m, const void *frame, size_t len,
		   const uint8_t tag[QTFS_FRAME_TAG_SIZE])
{
	uint8_t want[QTFS_FRAME_TAG_SIZE];
	bool ok;

	qt_fmac_tag(m, m->tx_dir == 'S' ? 'C' : 'S', m->rx_seq++, frame, len,
		    want);
	ok = qt_memeq(want, tag, sizeof(want));
	explicit_bzero(want, sizeof(want));
	return ok;
}
