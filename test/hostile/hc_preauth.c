// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-authentication slots: connections that never send HELLO must not
 * keep a real client from mounting.  Each round opens more silent
 * connections than qtfs_conn_max_conn (16) and than one peer's pre-auth
 * share, then HELLO + MOUNT on a new connection must succeed at once (not
 * after the 10 s HELLO timeout), while the oldest silent connections are
 * the ones closed to make room.  A second part lowers the pool itself
 * (qtfs_conn_max_preauth) below one peer's share, so that the pool limit
 * evicts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "hostile.h"

#define PA_PARAMS	"/sys/module/qtfs_server/parameters/"
#define PA_SILENT	40	/* silent connections per round */
#define PA_ROUNDS	3	/* rounds, as an attacker reconnecting */
#define PA_PROMPT_S	5	/* "at once": well below the HELLO timeout */
#define PA_POOL		8	/* qtfs_conn_max_preauth for the second part */

static int pa_param(const char *name, unsigned int *v, int write)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PA_PARAMS "%s", name);
	f = fopen(path, write ? "w" : "r");
	if (!f)
		return -1;
	ok = write ? fprintf(f, "%u\n", *v) > 0 : fscanf(f, "%u", v) == 1;
	return fclose(f) || !ok ? -1 : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Has the server closed @fd?  Waits up to @ms for the news. */
static int pa_closed(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = recv(fd, &c, 1, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/*
 * Open @n silent connections, then mount on a new one.  Checks the mount
 * is prompt and at least @n - @room + 1 silent ones (the oldest first)
 * were closed for it.
 */
static void pa_round(const char *what, int n, int room)
{
	static struct sess silent[PA_SILENT];
	int i, c, opened = 0, closed = 0, oldest_closed = 0;
	char line[160];
	struct sess m;
	double t;

	for (i = 0; i < n; i++) {
		if (sess_open(&silent[i]))
			break;
		opened++;
	}
	t = now_s();
	if (!sess_mount(&m)) {
		t = now_s() - t;
		printf("  %s: HELLO + MOUNT after %d silent connections took %.2f s\n",
		       what, opened, t);
		snprintf(line, sizeof(line),
			 "%s: mount within %d s despite %d silent connections",
			 what, PA_PROMPT_S, opened);
		tk_check(line, t < PA_PROMPT_S);
		expect("the new session serves",
		       call(&m, QTFS_OP_GETATTR, "pq", "", 0ULL), 0);
		sess_close(&m);
	}
	for (i = 0; i < opened; i++) {
		c = pa_closed(silent[i].fd, 200);
		if (!i)
			oldest_closed = c;
		closed += c;
	}
	printf("  %s: %d of %d silent connections closed\n", what, closed,
	       opened);
	snprintf(line, sizeof(line),
		 "%s: the oldest silent connection was closed", what);
	tk_check(line, oldest_closed);
	snprintf(line, sizeof(line),
		 "%s: at least %d silent connections made room", what,
		 n - room + 1);
	tk_check(line, closed >= n - room + 1);
	for (i = 0; i < opened; i++)
		sess_close(&silent[i]);
}

static void class_preauth(void)
{
	unsigned int per_peer, pool, v;
	int r;

	if (pa_param("qtfs_conn_max_preauth_per_peer", &per_peer, 0) ||
	    pa_param("qtfs_conn_max_preauth", &pool, 0)) {
		tk_check("qtfs_conn_max_preauth and _per_peer exist", 0);
		/* the old server: show what a mount gets after the flood */
		per_peer = PA_SILENT;
		pool = PA_SILENT;
	}
	printf("  pre-auth slots: %u per peer, %u in all\n", per_peer, pool);
	for (r = 0; r < PA_ROUNDS; r++)
		pa_round("per-peer share", PA_SILENT, (int)per_peer);

	/* the pool limit: one peer may fill it, and evicts from itself */
	v = 1024;
	if (pa_param("qtfs_conn_max_preauth_per_peer", &v, 1) ||
	    pa_param("qtfs_conn_max_preauth", &(unsigned int){ PA_POOL },
		     1)) {
		tk_check("set qtfs_conn_max_preauth=8 and _per_peer=1024", 0);
		return;
	}
	pa_round("pool of 8", PA_SILENT / 2, PA_POOL);
	tk_check("restore qtfs_conn_max_preauth",
	      !pa_param("qtfs_conn_max_preauth", &pool, 1));
	tk_check("restore qtfs_conn_max_preauth_per_peer",
	      !pa_param("qtfs_conn_max_preauth_per_peer", &per_peer, 1));
}
HOSTILE_CLASS("preauth", class_preauth);
