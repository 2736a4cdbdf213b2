// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_fsx: a randomized file exerciser in the style of fsx.
 *
 *   qtfs_fsx [--seed N] [--ops N] [--size BYTES] [--maxop BYTES]
 *            [--check PATH] [--verbose] FILE
 *
 * Runs --ops random operations on FILE (created or truncated) and keeps an
 * in-memory model of what FILE must hold: read(2), write(2), ftruncate,
 * fallocate (default mode; FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE),
 * reads through a private mapping, and writes through a shared mapping
 * followed by msync.  Every read, and the size after every size-changing
 * operation, is compared with the model; at the end the whole file is, and
 * with --check also PATH (the same file seen directly on the server).
 *
 * The seed is printed at start and on failure; --seed replays a run.  On a
 * mismatch the last operations and the differing bytes are printed and the
 * exit status is 1 (2 for bad arguments or an unexpected syscall error).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FSX_LOG		32	/* operations kept for a failure report */
#define FSX_DIFFS	16	/* differing bytes printed at most */

enum fsx_op {
	FSX_READ, FSX_WRITE, FSX_MAPREAD, FSX_MAPWRITE, FSX_TRUNCATE,
	FSX_FALLOC, FSX_PUNCH, FSX_NOPS
};

static const char *const fsx_op_names[FSX_NOPS] = {
	"read", "write", "mapread", "mapwrite", "truncate", "fallocate",
	"punch_hole",
};

/* Relative frequency of each operation, out of 100. */
static const unsigned int fsx_weights[FSX_NOPS] = {
	28, 28, 10, 10, 10, 7, 7,
};

/* One logged operation: size is the model's size after it. */
struct fsx_rec {
	uint64_t n;
	enum fsx_op op;
	uint64_t off;
	uint64_t len;
	uint64_t size;
};

static struct {
	uint64_t seed;
	uint64_t ops;
	uint64_t maxsize;
	uint64_t maxop;
	const char *file;
	const char *check;
	bool verbose;
	int fd;
	long pagesize;
	uint64_t rng;
	unsigned char *model;	/* maxsize bytes: the file's content */
	unsigned char *buf;	/* maxop bytes of scratch */
	unsigned char *map;	/* long-lived shared mapping, or NULL */
	uint64_t size;		/* the file's size */
	uint64_t n;		/* operations done */
	struct fsx_rec log[FSX_LOG];
	uint64_t count[FSX_NOPS];	/* operations of each kind */
	double secs[FSX_NOPS];		/* ... and their time */
} fsx;

static double fsx_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* xorshift64*: fast, and the same sequence for the same seed everywhere. */
static uint64_t fsx_rand(void)
{
	fsx.rng ^= fsx.rng >> 12;
	fsx.rng ^= fsx.rng << 25;
	fsx.rng ^= fsx.rng >> 27;
	return fsx.rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t fsx_below(uint64_t n)
{
	return n ? fsx_rand() % n : 0;
}

static void fsx_dump_log(void)
{
	uint64_t first = fsx.n >= FSX_LOG ? fsx.n - FSX_LOG + 1 : 1;

	fprintf(stderr, "last operations (size after each):\n");
	for (uint64_t i = first; i <= fsx.n; i++) {
		const struct fsx_rec *r = &fsx.log[i % FSX_LOG];

		fprintf(stderr, "  #%" PRIu64 " %-10s off %#" PRIx64
			" len %#" PRIx64 " -> size %#" PRIx64 "\n", r->n,
			fsx_op_names[r->op], r->off, r->len, r->size);
	}
}

__attribute__((noreturn, format(printf, 2, 3)))
static void fsx_fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "qtfs_fsx: FAILED at operation %" PRIu64 ": ",
		fsx.n);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fsx_dump_log();
	fprintf(stderr, "qtfs_fsx: seed %" PRIu64
		" (replay with --seed %" PRIu64 " --ops %" PRIu64
		" --size %" PRIu64 " --maxop %" PRIu64 ")\n", fsx.seed,
		fsx.seed, fsx.ops, fsx.maxsize, fsx.maxop);
	exit(status);
}

#define fsx_sysfail(what)						\
	fsx_fail(2, "%s: %s", what, strerror(errno))

/* Compare @got (file bytes at @off) with the model. */
static void fsx_compare(const char *what, uint64_t off,
			const unsigned char *got, uint64_t len)
{
	unsigned int shown = 0;
	uint64_t bad = 0;

	if (!memcmp(got, fsx.model + off, len))
		return;
	fprintf(stderr, "qtfs_fsx: %s of [%#" PRIx64 ", +%#" PRIx64
		") differs from the model:\n", what, off, len);
	for (uint64_t i = 0; i < len; i++) {
		if (got[i] == fsx.model[off + i])
			continue;
		bad++;
		if (shown++ < FSX_DIFFS)
			fprintf(stderr, "  offset %#" PRIx64
				": file %#04x, expected %#04x\n", off + i,
				got[i], fsx.model[off + i]);
	}
	fsx_fail(1, "%s: %" PRIu64 " bytes differ", what, bad);
}

/* Size after a size-changing operation; checked every 4th time (cost). */
static void fsx_check_size(const char *what)
{
	struct stat st;

	if (fsx.n % 4)
		return;
	if (fstat(fsx.fd, &st))
		fsx_sysfail("fstat");
	if ((uint64_t)st.st_size != fsx.size)
		fsx_fail(1, "after %s: size %#llx, expected %#" PRIx64, what,
			 (unsigned long long)st.st_size, fsx.size);
}

static void fsx_pread_all(int fd, unsigned char *dst, uint64_t off,
			  uint64_t len)
{
	ssize_t n;

	while (len) {
		n = pread(fd, dst, len, off);
		if (n < 0)
			fsx_sysfail("pread");
		if (!n)
			fsx_fail(1, "pread: end of file at %#" PRIx64
				 ", expected size %#" PRIx64, off, fsx.size);
		dst += n;
		off += n;
		len -= n;
	}
}

/* A random range inside [0, limit), at most maxop long, never empty. */
static void fsx_range(uint64_t limit, uint64_t *off, uint64_t *len)
{
	*off = fsx_below(limit);
	*len = 1 + fsx_below(fsx.maxop);
	if (*len > limit - *off)
		*len = limit - *off;
}

static void fsx_set_size(uint64_t size)
{
	if (size > fsx.size)
		memset(fsx.model + fsx.size, 0, size - fsx.size);
	fsx.size = size;
}

static void fsx_do_read(uint64_t off, uint64_t len)
{
	fsx_pread_all(fsx.fd, fsx.buf, off, len);
	fsx_compare("read", off, fsx.buf, len);
}

static void fsx_fill(uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		fsx.buf[i] = (unsigned char)(fsx.n * 7 + i * 13 + 1);
}

static void fsx_do_write(uint64_t off, uint64_t len)
{
	uint64_t done = 0;
	ssize_t n;

	fsx_fill(len);
	while (done < len) {
		n = pwrite(fsx.fd, fsx.buf + done, len - done, off + done);
		if (n <= 0)
			fsx_sysfail("pwrite");
		done += n;
	}
	if (off + len > fsx.size)
		fsx_set_size(off + len);
	memcpy(fsx.model + off, fsx.buf, len);
}

/* Map [off, off + len) (page-aligned around it); returns the byte at off. */
static unsigned char *fsx_map(uint64_t off, uint64_t len, int prot,
			      int flags, void **base, size_t *maplen)
{
	uint64_t start = off & ~((uint64_t)fsx.pagesize - 1);

	*maplen = off + len - start;
	*base = mmap(NULL, *maplen, prot, flags, fsx.fd, start);
	if (*base == MAP_FAILED)
		fsx_sysfail("mmap");
	return (unsigned char *)*base + (off - start);
}

/*
 * Most mapped operations go through one long-lived shared mapping of the
 * whole range, only accessed below the file's size; every FSX_REMAP-th
 * uses a mapping of its own (a private one for reads), which also
 * exercises mmap and munmap themselves.
 */
#define FSX_REMAP	8

static unsigned char *fsx_shared_map(void)
{
	if (!fsx.map) {
		fsx.map = mmap(NULL, fsx.maxsize, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fsx.fd, 0);
		if (fsx.map == MAP_FAILED)
			fsx_sysfail("mmap (long-lived)");
	}
	return fsx.map;
}

static void fsx_do_mapread(uint64_t off, uint64_t len)
{
	unsigned char *p;
	size_t maplen;
	void *base;

	if (fsx.n % FSX_REMAP) {
		fsx_compare("mapped read", off, fsx_shared_map() + off, len);
		return;
	}
	p = fsx_map(off, len, PROT_READ, MAP_PRIVATE, &base, &maplen);
	fsx_compare("private mapped read", off, p, len);
	if (munmap(base, maplen))
		fsx_sysfail("munmap");
}

static void fsx_do_mapwrite(uint64_t off, uint64_t len)
{
	uint64_t start = off & ~((uint64_t)fsx.pagesize - 1);
	unsigned char *p;
	size_t maplen;
	void *base;

	/* a mapping cannot extend the file: grow it first, as fsx does */
	if (off + len > fsx.size) {
		if (ftruncate(fsx.fd, off + len))
			fsx_sysfail("ftruncate (extending for mapwrite)");
		fsx_set_size(off + len);
	}
	fsx_fill(len);
	if (fsx.n % FSX_REMAP) {
		base = fsx_shared_map() + start;
		maplen = off + len - start;
		p = fsx.map + off;
	} else {
		p = fsx_map(off, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			    &base, &maplen);
	}
	memcpy(p, fsx.buf, len);
	if (msync(base, maplen, MS_SYNC))
		fsx_sysfail("msync");
	if (base != fsx.map + start && munmap(base, maplen))
		fsx_sysfail("munmap");
	memcpy(fsx.model + off, fsx.buf, len);
}

static void fsx_do_truncate(uint64_t size)
{
	if (ftruncate(fsx.fd, size))
		fsx_sysfail("ftruncate");
	if (size < fsx.size)
		memset(fsx.model + size, 0, fsx.size - size);
	fsx_set_size(size);
	fsx_check_size("ftruncate");
}

static void fsx_do_falloc(uint64_t off, uint64_t len)
{
	if (fallocate(fsx.fd, 0, off, len))
		fsx_sysfail("fallocate");
	if (off + len > fsx.size)
		fsx_set_size(off + len);
	fsx_check_size("fallocate");
}

static void fsx_do_punch(uint64_t off, uint64_t len)
{
	if (fallocate(fsx.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
		      len))
		fsx_sysfail("fallocate(PUNCH_HOLE | KEEP_SIZE)");
	memset(fsx.model + off, 0, len);
	fsx_check_size("punch hole");
}

static enum fsx_op fsx_pick(void)
{
	unsigned int r = fsx_below(100);

	for (int op = 0; op < FSX_NOPS; op++) {
		if (r < fsx_weights[op])
			return op;
		r -= fsx_weights[op];
	}
	return FSX_READ;
}

static void fsx_step(void)
{
	enum fsx_op op = fsx_pick();
	uint64_t off = 0, len = 0;
	double t;

	/* operations on the content need content */
	if (!fsx.size && (op == FSX_READ || op == FSX_MAPREAD ||
			  op == FSX_PUNCH))
		op = FSX_WRITE;
	switch (op) {
	case FSX_READ:
	case FSX_MAPREAD:
	case FSX_PUNCH:
		fsx_range(fsx.size, &off, &len);
		break;
	case FSX_WRITE:
	case FSX_MAPWRITE:
	case FSX_FALLOC:
		fsx_range(fsx.maxsize, &off, &len);
		break;
	case FSX_TRUNCATE:
		off = fsx_below(fsx.maxsize + 1);
		break;
	default:
		break;
	}
	fsx.log[fsx.n % FSX_LOG] = (struct fsx_rec){
		.n = fsx.n, .op = op, .off = off, .len = len,
	};
	if (fsx.verbose)
		printf("#%" PRIu64 " %s %#" PRIx64 " %#" PRIx64 "\n", fsx.n,
		       fsx_op_names[op], off, len);
	t = fsx_now();
	switch (op) {
	case FSX_READ:
		fsx_do_read(off, len);
		break;
	case FSX_WRITE:
		fsx_do_write(off, len);
		break;
	case FSX_MAPREAD:
		fsx_do_mapread(off, len);
		break;
	case FSX_MAPWRITE:
		fsx_do_mapwrite(off, len);
		break;
	case FSX_TRUNCATE:
		fsx_do_truncate(off);
		break;
	case FSX_FALLOC:
		fsx_do_falloc(off, len);
		break;
	case FSX_PUNCH:
		fsx_do_punch(off, len);
		break;
	default:
		break;
	}
	fsx.log[fsx.n % FSX_LOG].size = fsx.size;
	fsx.count[op]++;
	fsx.secs[op] += fsx_now() - t;
}

/* The whole file (through @fd, named @what) must equal the model. */
static void fsx_check_all(int fd, const char *what)
{
	unsigned char *all = malloc(fsx.size + 1);
	struct stat st;

	if (!all)
		fsx_fail(2, "out of memory");
	if (fstat(fd, &st))
		fsx_sysfail("fstat");
	if ((uint64_t)st.st_size != fsx.size)
		fsx_fail(1, "%s: size %#llx, expected %#" PRIx64, what,
			 (unsigned long long)st.st_size, fsx.size);
	fsx_pread_all(fd, all, 0, fsx.size);
	fsx_compare(what, 0, all, fsx.size);
	free(all);
}

static bool fsx_num(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || x < min || x > max)
		return false;
	*v = x;
	return true;
}

static void fsx_usage(void)
{
	fprintf(stderr,
		"usage: qtfs_fsx [--seed N] [--ops N] [--size BYTES] [--maxop BYTES]\n"
		"                [--check PATH] [--verbose] FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 'z' },
		{ "maxop", required_argument, NULL, 'm' },
		{ "check", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool have_seed = false;
	struct timespec t0, t1;
	int c, fd;

	fsx.ops = 100000;
	fsx.maxsize = 256 << 10;
	fsx.maxop = 16 << 10;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!fsx_num(optarg, 0, UINT64_MAX, &fsx.seed))
				fsx_usage();
			have_seed = true;
			break;
		case 'o':
			if (!fsx_num(optarg, 1, UINT64_MAX, &fsx.ops))
				fsx_usage();
			break;
		case 'z':
			if (!fsx_num(optarg, 1, 1ULL << 30, &fsx.maxsize))
				fsx_usage();
			break;
		case 'm':
			if (!fsx_num(optarg, 1, 1ULL << 24, &fsx.maxop))
				fsx_usage();
			break;
		case 'c':
			fsx.check = optarg;
			break;
		case 'v':
			fsx.verbose = true;
			break;
		default:
			fsx_usage();
		}
	}
	if (optind != argc - 1)
		fsx_usage();
	fsx.file = argv[optind];
	if (!have_seed) {
		clock_gettime(CLOCK_REALTIME, &t0);
		fsx.seed = (uint64_t)t0.tv_nsec ^ ((uint64_t)t0.tv_sec << 20) ^
			   (uint64_t)getpid();
	}
	/* xorshift must not start at 0 */
	fsx.rng = fsx.seed * 0x9e3779b97f4a7c15ULL + 0x1234567;
	if (!fsx.rng)
		fsx.rng = 1;
	fsx.pagesize = sysconf(_SC_PAGESIZE);
	fsx.model = calloc(1, fsx.maxsize);
	fsx.buf = malloc(fsx.maxop);
	if (!fsx.model || !fsx.buf)
		fsx_fail(2, "out of memory");
	printf("qtfs_fsx: seed %" PRIu64 ", %" PRIu64 " ops, file size up to %"
	       PRIu64 ", op size up to %" PRIu64 ", %s\n", fsx.seed, fsx.ops,
	       fsx.maxsize, fsx.maxop, fsx.file);
	fflush(stdout);

	fsx.fd = open(fsx.file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fsx.fd < 0)
		fsx_sysfail(fsx.file);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (fsx.n = 1; fsx.n <= fsx.ops; fsx.n++)
		fsx_step();
	fsx.n--;
	fsx_check_all(fsx.fd, "final read");
	if (fsx.map) {
		fsx_compare("final mapped read", 0, fsx.map, fsx.size);
		if (munmap(fsx.map, fsx.maxsize))
			fsx_sysfail("munmap");
	}
	if (close(fsx.fd))
		fsx_sysfail("close");
	if (fsx.check) {
		fd = open(fsx.check, O_RDONLY);
		if (fd < 0)
			fsx_sysfail(fsx.check);
		fsx_check_all(fd, "server copy");
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("qtfs_fsx: seed %" PRIu64 ": %" PRIu64
	       " ops, 0 mismatches, %.1f s\n", fsx.seed, fsx.n,
	       (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (int op = 0; op < FSX_NOPS; op++)
		printf("qtfs_fsx:   %-10s %8" PRIu64 " ops, %.2f ms each\n",
		       fsx_op_names[op], fsx.count[op],
		       fsx.count[op] ? fsx.secs[op] * 1e3 / fsx.count[op] : 0);
	return 0;
}
