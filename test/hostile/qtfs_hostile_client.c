// SPDX-License-Identifier: GPL-2.0
/*
 * qtfs_hostile_client: attacks qtfs_server.ko over the wire, without
 * qtfs.ko, and checks that every attack gets the exact error reply or a
 * closed connection while a well-behaved mount keeps being served.
 *
 *   qtfs_hostile_client --trans tcp|vsock --addr <ip|cid> --port <port>
 *                       --export <server path> [--mnt <qtfs mount>]
 *                       [--key <hex>] <class>
 *
 * The classes (hc_*.c) register themselves; usage lists them.  Each check
 * prints one line, and the program exits 0 only if all of them held (and,
 * with --mnt, the mount still works after).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hostile.h"

/* ----- the well-behaved client ----- */

static void probe_mount(const char *mnt)
{
	char path[4096], buf[16] = "";
	struct stat st;
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/.hostile-probe", mnt);
	tk_check("mount still answers stat", !stat(mnt, &st) && S_ISDIR(st.st_mode));
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd >= 0) {
		n = write(fd, "served", 6);
		close(fd);
	}
	tk_check("mount still writes", n == 6);
	fd = open(path, O_RDONLY);
	n = -1;
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	tk_check("mount still reads", n == 6 && !memcmp(buf, "served", 6));
	tk_check("mount still unlinks", !unlink(path));
}


static void usage(void)
{
	const struct hostile_class *c;

	fprintf(stderr, "usage: qtfs_hostile_client --trans tcp|vsock --addr <ip|cid> --port <port>\n"
		"                           --export <path> [--mnt <dir>] [--key <hex>] <class>\nclasses:");
	for (c = __start_hostile_classes; c < __stop_hostile_classes; c++)
		fprintf(stderr, " %s", c->name);
	fprintf(stderr, "\n");
	exit(2);
}

/* --key: the server's qtfs_auth_key, 16 to 64 bytes in hex. */
static void parse_key(const char *hex)
{
	size_t n = strlen(hex);
	unsigned int byte;

	if (n % 2 || n < 32 || n > 2 * sizeof(key))
		usage();
	for (keylen = 0; keylen < n / 2; keylen++) {
		if (!isxdigit(hex[2 * keylen]) ||
		    !isxdigit(hex[2 * keylen + 1]) ||
		    sscanf(hex + 2 * keylen, "%2x", &byte) != 1)
			usage();
		key[keylen] = byte;
	}
}

int main(int argc, char **argv)
{
	const char *trans = NULL, *where = NULL, *port = NULL;
	const struct hostile_class *c;
	int a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (a = 1; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (!strcmp(argv[a], "--trans"))
			trans = argv[a + 1];
		else if (!strcmp(argv[a], "--addr"))
			where = argv[a + 1];
		else if (!strcmp(argv[a], "--port"))
			port = argv[a + 1];
		else if (!strcmp(argv[a], "--export"))
			export = argv[a + 1];
		else if (!strcmp(argv[a], "--mnt"))
			mnt = argv[a + 1];
		else if (!strcmp(argv[a], "--key"))
			parse_key(argv[a + 1]);
		else
			usage();
	}
	if (a + 1 != argc || !trans || !where || !port || !export ||
	    hw_parse_addr(&addr, trans, where, port))
		usage();
	for (c = __start_hostile_classes; c < __stop_hostile_classes; c++)
		if (!strcmp(argv[a], c->name))
			break;
	if (c == __stop_hostile_classes)
		usage();

	printf("hostile client: %s over %s\n", c->name, trans);
	c->fn();
	if (mnt)
		probe_mount(mnt);
	return tk_summary();
}
