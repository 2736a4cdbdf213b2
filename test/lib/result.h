/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one result style of the guest test programs: a line per check,
 *
 *	  ok   <what>
 *	  FAIL <what>
 *
 * and, at the end, the one summary line test/vm/guest/common.sh parses:
 *
 *	QTFS-CASES: <passed> passed, <failed> failed
 */
#ifndef QTFS_TEST_RESULT_H
#define QTFS_TEST_RESULT_H

void tk_check(const char *what, int ok);
void tk_checkf(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tk_count(int passed, int failed);
int tk_failures(void);
int tk_summary(void);

#endif /* QTFS_TEST_RESULT_H */
