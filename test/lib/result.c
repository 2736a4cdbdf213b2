// SPDX-License-Identifier: GPL-2.0
/*
 * Result lines of the guest test programs (see result.h).  Checks may run
 * in several threads: the counters are atomic and each line is printed
 * with one stdio call, so lines never interleave.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include "result.h"

static int tk_passed;
static int tk_failed;

/**
 * tk_check() - report one check
 * @what: what was checked
 * @ok:   whether it held
 */
void tk_check(const char *what, int ok)
{
	printf("  %s %s\n", ok ? "ok  " : "FAIL", what);
	tk_count(!!ok, !ok);
}

/**
 * tk_checkf() - report one check described printf style
 * @ok:  whether it held
 * @fmt: what was checked
 */
void tk_checkf(int ok, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tk_check(what, ok);
}

/**
 * tk_count() - add results counted elsewhere (a Check runner's)
 * @passed: checks that held
 * @failed: checks that did not
 */
void tk_count(int passed, int failed)
{
	__atomic_add_fetch(&tk_passed, passed, __ATOMIC_RELAXED);
	__atomic_add_fetch(&tk_failed, failed, __ATOMIC_RELAXED);
}

/** tk_failures() - failed checks so far, in every thread */
int tk_failures(void)
{
	return __atomic_load_n(&tk_failed, __ATOMIC_RELAXED);
}

/**
 * tk_summary() - print the summary line
 *
 * Return: the exit status for the program: 0 when no check failed, else 1.
 */
int tk_summary(void)
{
	int failed = tk_failures();

	printf("QTFS-CASES: %d passed, %d failed\n",
	       __atomic_load_n(&tk_passed, __ATOMIC_RELAXED), failed);
	fflush(stdout);
	return failed ? 1 : 0;
}
