/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deterministic test data and its hash, shared by qtfs_itest (client side)
 * and qtfs_testpeer (server side) so both compute the very same bytes.
 *
 * Byte at absolute file offset @off for seed @seed is byte (off & 7) of the
 * little-endian 64-bit word pat_word(pat_key(seed), off >> 3).  Because the
 * value depends on the absolute offset, a chunk written at the wrong place
 * or twice is detected, not only a wrong byte.
 *
 * The hash is 64-bit FNV-1a over the byte stream: it does not depend on how
 * the stream was chunked, so a file hashed in 1 MiB reads on the server
 * matches the hash of the pattern generated in any block size here.
 */
#ifndef QTFS_ITEST_PATTERN_H
#define QTFS_ITEST_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PAT_FNV_OFFSET	0xcbf29ce484222325ULL
#define PAT_FNV_PRIME	0x100000001b3ULL
#define PAT_GOLDEN	0x9e3779b97f4a7c15ULL
/* Scratch size used when hashing a generated range. */
#define PAT_BLOCK	16384

/* splitmix64 finaliser: a bijective 64-bit mixer. */
static inline uint64_t pat_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Per-seed key, computed once per fill. */
static inline uint64_t pat_key(uint64_t seed)
{
	return pat_mix64(seed + PAT_GOLDEN);
}

static inline uint64_t pat_word(uint64_t key, uint64_t idx)
{
	return pat_mix64(key ^ (idx * PAT_GOLDEN + PAT_GOLDEN));
}

/* Fill @buf with the @len pattern bytes that live at file offset @off. */
static inline void pat_fill(void *buf, uint64_t seed, uint64_t off, size_t len)
{
	unsigned char *p = buf;
	uint64_t key = pat_key(seed);

	while (len) {
		uint64_t w = pat_word(key, off >> 3);
		unsigned int s = off & 7;

		for (; s < 8 && len; s++, off++, len--)
			*p++ = (unsigned char)(w >> (8 * s));
	}
}

struct pat_hash {
	uint64_t h;
};

static inline void pat_hash_init(struct pat_hash *ph)
{
	ph->h = PAT_FNV_OFFSET;
}

static inline void pat_hash_update(struct pat_hash *ph, const void *buf,
				   size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = ph->h;

	while (len--) {
		h ^= *p++;
		h *= PAT_FNV_PRIME;
	}
	ph->h = h;
}

static inline uint64_t pat_hash_final(const struct pat_hash *ph)
{
	return ph->h;
}

/* Hash of the pattern bytes [off, off + len) for @seed. */
static inline uint64_t pat_hash_pattern(uint64_t seed, uint64_t off,
					uint64_t len)
{
	unsigned char blk[PAT_BLOCK];
	struct pat_hash ph;

	pat_hash_init(&ph);
	while (len) {
		size_t n = len < sizeof(blk) ? (size_t)len : sizeof(blk);

		pat_fill(blk, seed, off, n);
		pat_hash_update(&ph, blk, n);
		off += n;
		len -= n;
	}
	return pat_hash_final(&ph);
}

/* Hash of @len zero bytes (a hole in a sparse file). */
static inline uint64_t pat_hash_zeros(uint64_t len)
{
	unsigned char blk[PAT_BLOCK];
	struct pat_hash ph;

	memset(blk, 0, sizeof(blk));
	pat_hash_init(&ph);
	while (len) {
		size_t n = len < sizeof(blk) ? (size_t)len : sizeof(blk);

		pat_hash_update(&ph, blk, n);
		len -= n;
	}
	return pat_hash_final(&ph);
}

#endif /* QTFS_ITEST_PATTERN_H */
