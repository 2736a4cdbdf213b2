// SPDX-License-Identifier: GPL-2.0
/*
 * Check tests of the userspace key authentication (common/lib/auth.c):
 * proofs, session keys and frame tags equal the documented construction
 * (vectors computed independently with Python's hmac module), tags bind
 * direction and sequence number, and bad keys and key files are refused.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "qt_auth.h"

#define KEY_HEX "000102030405060708090a0b0c0d0e0f" \
		"101112131415161718191a1b1c1d1e1f"

static struct qt_auth_key key;
static uint8_t cn[QTFS_AUTH_NONCE_SIZE], sn[QTFS_AUTH_NONCE_SIZE];

static void setup(void)
{
	ck_assert_int_eq(qt_auth_key_parse(KEY_HEX, strlen(KEY_HEX), &key), 0);
	memset(cn, 0x11, sizeof(cn));
	memset(sn, 0x22, sizeof(sn));
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

START_TEST(proof_vector)
{
	uint8_t mac[QTFS_AUTH_MAC_SIZE];
	char s[2 * sizeof(mac) + 1];

	qt_auth_mac(&key, "qtfs-auth-server", cn, sn, mac);
	hex(mac, sizeof(mac), s);
	ck_assert_str_eq(s, "71d5bda6c7950f7203896769f243d169"
			    "fe93c8a38334feba9d0e42e6b43caf51");
	ck_assert(qt_auth_check(&key, "qtfs-auth-server", cn, sn, mac));
	/* the other label, the other nonce order, a flipped bit: no */
	ck_assert(!qt_auth_check(&key, "qtfs-auth-client", cn, sn, mac));
	ck_assert(!qt_auth_check(&key, "qtfs-auth-server", sn, cn, mac));
	mac[31] ^= 1;
	ck_assert(!qt_auth_check(&key, "qtfs-auth-server", cn, sn, mac));
}
END_TEST

START_TEST(frame_tags)
{
	struct qt_fmac c, s, s2;
	uint8_t tag[QTFS_FRAME_TAG_SIZE];
	char t[2 * sizeof(tag) + 1];

	qt_fmac_init(&c, &key, "qtfs-session", cn, sn, false);
	qt_fmac_init(&s, &key, "qtfs-session", cn, sn, true);
	qt_fmac_sign(&c, "frame", 5, tag);
	hex(tag, sizeof(tag), t);
	ck_assert_str_eq(t, "7b1ecac949804eed292e39f2eeb0e0e1");
	ck_assert(qt_fmac_check(&s, "frame", 5, tag));
	/* a replay is the next sequence number: refused */
	ck_assert(!qt_fmac_check(&s, "frame", 5, tag));
	/* the server's second frame */
	s.tx_seq = 1;
	qt_fmac_sign(&s, "frame", 5, tag);
	hex(tag, sizeof(tag), t);
	ck_assert_str_eq(t, "a792eaf438726ed4de4f603be13e4d94");
	/* reflected back to the server: wrong direction */
	s2 = s;
	s2.rx_seq = 1;
	ck_assert(!qt_fmac_check(&s2, "frame", 5, tag));
	/* changed frame */
	c.rx_seq = 1;
	ck_assert(!qt_fmac_check(&c, "framE", 5, tag));
	c.rx_seq = 1;
	ck_assert(qt_fmac_check(&c, "frame", 5, tag));
}
END_TEST

START_TEST(key_parse_refused)
{
	static const char *const bad[] = {
		"", "0", "00112233445566778899aabbccddeef",	/* odd */
		"00112233445566778899aabbccddee",		/* 15 bytes */
		"00112233445566778899aabbccddeeXX",		/* not hex */
	};
	struct qt_auth_key k = { .len = 7 };
	char big[2 * QT_AUTH_KEY_MAX + 3];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(qt_auth_key_parse(bad[i], strlen(bad[i]), &k),
				 -EINVAL);
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(qt_auth_key_parse(big, 2 * QT_AUTH_KEY_MAX + 2, &k),
			 -EINVAL);
	ck_assert_int_eq(k.len, 7);
	ck_assert_int_eq(qt_auth_key_parse(big, 2 * QT_AUTH_KEY_MAX, &k), 0);
	ck_assert_int_eq(k.len, QT_AUTH_KEY_MAX);
}
END_TEST

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

START_TEST(key_file)
{
	char dir[] = "/tmp/check_auth.XXXXXX", path[64], err[256];
	struct qt_auth_key k;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	write_file(path, KEY_HEX "\n", 0600);
	ck_assert_int_eq(qt_auth_key_load(path, &k, err, sizeof(err)), 0);
	ck_assert_uint_eq(k.len, 32);
	ck_assert_mem_eq(k.key, key.key, 32);
	/* readable by others: refused, and the reason says so */
	write_file(path, KEY_HEX, 0644);
	ck_assert_int_eq(qt_auth_key_load(path, &k, err, sizeof(err)),
			 -EACCES);
	ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
	/* garbage: refused without showing it */
	write_file(path, "secretsecretsecretsecretsecret!!\n", 0600);
	ck_assert_int_eq(qt_auth_key_load(path, &k, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_null(strstr(err, "secret"));
	unlink(path);
	ck_assert_int_eq(qt_auth_key_load(path, &k, err, sizeof(err)),
			 -ENOENT);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, proof_vector);
	tcase_add_test(tc, frame_tags);
	tcase_add_test(tc, key_parse_refused);
	tcase_add_test(tc, key_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
