// SPDX-License-Identifier: GPL-2.0
/*
 * Lexical path normalisation shared by qtfs_server.ko and userspace (see
 * qtfs_path.h).  ".." cannot be resolved without looking at a filesystem,
 * so a path holding one is refused rather than rewritten.
 */
#include "qtfs_path.h"

/* Length of the component at @p (up to the next '/' or the end). */
static size_t qtfs_path_comp_len(const char *p)
{
	size_t n = 0;

	while (p[n] && p[n] != '/')
		n++;
	return n;
}

static bool qtfs_path_is_dot(const char *p, size_t n)
{
	return n == 1 && p[0] == '.';
}

static bool qtfs_path_is_dotdot(const char *p, size_t n)
{
	return n == 2 && p[0] == '.' && p[1] == '.';
}

/**
 * qtfs_path_normalize() - lexically normalise an absolute path
 * @out:    result buffer; may be @in itself (the result is never longer)
 * @outlen: size of @out
 * @in:     NUL-terminated path
 *
 * Collapses repeated '/', drops "." components and a trailing '/'; "/"
 * stays "/".  The result is what qtfs_path_is_normal() accepts.
 *
 * Return: 0, -EINVAL for a relative or empty path, -EPERM for a ".."
 * component, -ENAMETOOLONG if the result does not fit in @outlen bytes.
 */
int qtfs_path_normalize(char *out, size_t outlen, const char *in)
{
	size_t i, n, o = 0;

	if (*in != '/')
		return -EINVAL;
	while (*in) {
		while (*in == '/')
			in++;
		n = qtfs_path_comp_len(in);
		if (!n || qtfs_path_is_dot(in, n)) {
			in += n;
			continue;
		}
		if (qtfs_path_is_dotdot(in, n))
			return -EPERM;
		if (o + 1 + n >= outlen)
			return -ENAMETOOLONG;
		/* o never passes the read position, so this works in place */
		out[o++] = '/';
		for (i = 0; i < n; i++)
			out[o++] = in[i];
		in += n;
	}
	if (!o) {
		if (outlen < 2)
			return -ENAMETOOLONG;
		out[o++] = '/';
	}
	out[o] = '\0';
	return 0;
}

/**
 * qtfs_path_is_normal() - is a path in the form qtfs_path_normalize() makes?
 * @p:   path, not necessarily NUL-terminated
 * @len: its length
 *
 * Return: true if @p is absolute, has no empty, "." or ".." component and
 * no trailing '/' (unless it is "/").
 */
bool qtfs_path_is_normal(const char *p, size_t len)
{
	size_t i, start;

	if (len == 0 || p[0] != '/')
		return false;
	if (len == 1)
		return true;
	if (p[len - 1] == '/')
		return false;
	for (start = 1, i = 1; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if (i == start || qtfs_path_is_dot(p + start, i - start) ||
		    qtfs_path_is_dotdot(p + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}
