// SPDX-License-Identifier: GPL-2.0
/*
 * Handle limits: a client that opens files without end gets EMFILE at
 * qtfs_sess_max_handles in its session and ENFILE once all sessions
 * together hold qtfs_server_max_handles, and a RELEASE makes room again.
 * The limits are lowered through /sys/module/qtfs_server/parameters for
 * the test (thousands of opens would take long under emulation) and put
 * back after.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hostile.h"

#define LIM_PARAMS	"/sys/module/qtfs_server/parameters/"
#define LIM_SESS	40	/* qtfs_sess_max_handles for the test */
#define LIM_SPARE	10	/* room left for the global limit */
#define LIM_FILE	"hl_file"

static int param_read(const char *name, unsigned int *v)
{
	char path[128];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), LIM_PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%u", v);
	fclose(f);
	return n == 1 ? 0 : -1;
}

static int param_write(const char *name, unsigned int v)
{
	char path[128];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), LIM_PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	bad = fprintf(f, "%u\n", v) < 0;
	return fclose(f) || bad ? -1 : 0;
}

/* OPEN the test file once; its handle in *@h. */
static int open_one(struct sess *s, u64 *h)
{
	struct qtfs_attr attr;
	struct qtfs_buf b;
	int ret;

	ret = call(s, QTFS_OP_OPEN, "pd", LIM_FILE, QTFS_O_RDONLY);
	if (ret)
		return ret;
	qtfs_buf_init(&b, rbuf, rlen);
	return qtfs_proto_unpack(&b, "qA", h, &attr) ? R_BAD : 0;
}

/*
 * OPEN until the server refuses (at most @max times); the handles go to
 * @h.  Return: how many opened; the refusal in *@err.
 */
static int open_until_refused(struct sess *s, u64 *h, int max, int *err)
{
	int n = 0;

	*err = 0;
	while (n < max) {
		*err = open_one(s, &h[n]);
		if (*err)
			break;
		n++;
	}
	return n;
}

static void class_limits(void)
{
	static u64 h1[LIM_SESS + 1], h2[LIM_SESS + 1], h3[1];
	unsigned int sess_max, total_max;
	struct sess s1, s2, s3;
	struct qtfs_attr attr;
	int n1, n2, err;
	struct qtfs_buf b;
	u32 cflags;
	u64 h;

	if (param_read("qtfs_sess_max_handles", &sess_max) ||
	    param_read("qtfs_server_max_handles", &total_max)) {
		tk_check("qtfs_sess_max_handles and qtfs_server_max_handles exist",
		      0);
		return;
	}
	printf("  limits in force: %u per session, %u in all\n", sess_max,
	       total_max);
	if (sess_mount(&s1))
		return;
	call(&s1, QTFS_OP_UNLINK, "pn", "", LIM_FILE);
	err = call(&s1, QTFS_OP_CREATE, "pnddd", "", LIM_FILE, QTFS_O_RDWR,
		   0644, 022);
	expect("CREATE " LIM_FILE, err, 0);
	qtfs_buf_init(&b, rbuf, rlen);
	if (!err && !qtfs_proto_unpack(&b, "qAd", &h, &attr, &cflags))
		call(&s1, QTFS_OP_RELEASE, "q", h);

	tk_check("lower qtfs_sess_max_handles",
	      !param_write("qtfs_sess_max_handles", LIM_SESS));

	/* per session: exactly LIM_SESS, then EMFILE, until a RELEASE */
	n1 = open_until_refused(&s1, h1, LIM_SESS + 1, &err);
	printf("  session 1 opened %d handles\n", n1);
	tk_check("session 1 opened exactly qtfs_sess_max_handles", n1 == LIM_SESS);
	expect("OPEN beyond qtfs_sess_max_handles", err, -EMFILE);
	expect("RELEASE one", call(&s1, QTFS_OP_RELEASE, "q", h1[--n1]), 0);
	expect("OPEN after the RELEASE", open_one(&s1, &h1[n1]), 0);
	n1++;
	expect("OPEN beyond the limit again", open_one(&s1, &h), -EMFILE);

	/* all sessions: another session still opens, until the global cap */
	if (sess_mount(&s2))
		goto out_restore;
	expect("session 2 opens its own files", open_one(&s2, &h2[0]), 0);
	tk_check("lower qtfs_server_max_handles",
	      !param_write("qtfs_server_max_handles",
			   LIM_SESS + 1 + LIM_SPARE));
	n2 = 1 + open_until_refused(&s2, h2 + 1, LIM_SESS, &err);
	printf("  session 2 opened %d handles\n", n2);
	expect("OPEN beyond qtfs_server_max_handles", err, -ENFILE);
	tk_check("session 2 stopped by the global limit, below its own",
	      n2 <= 1 + LIM_SPARE);
	if (!sess_mount(&s3)) {
		expect("a third session gets ENFILE too", open_one(&s3, &h3[0]),
		       -ENFILE);
		expect("RELEASE in session 1",
		       call(&s1, QTFS_OP_RELEASE, "q", h1[--n1]), 0);
		expect("the third session opens in the room made",
		       open_one(&s3, &h3[0]), 0);
		sess_close(&s3);
	}
	sess_close(&s2);

out_restore:
	tk_check("restore qtfs_server_max_handles",
	      !param_write("qtfs_server_max_handles", total_max));
	tk_check("restore qtfs_sess_max_handles",
	      !param_write("qtfs_sess_max_handles", sess_max));
	/* the sessions' handles were given back when they closed */
	if (!sess_mount(&s2)) {
		expect("a new session opens after the others closed",
		       open_one(&s2, &h), 0);
		sess_close(&s2);
	}
	expect("session 1 opens again with the limit restored",
	       open_one(&s1, &h), 0);
	expect("UNLINK " LIM_FILE,
	       call(&s1, QTFS_OP_UNLINK, "pn", "", LIM_FILE), 0);
	sess_close(&s1);
}
HOSTILE_CLASS("limits", class_limits);
