// SPDX-License-Identifier: GPL-2.0
/* rm -rf for the test programs, shared by qtfs_itest and qtfs_testpeer. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rmtree.h"

#define QT_RMTREE_DEPTH	64

static int qt_rmtree_depth(int dfd, const char *name, int depth)
{
	struct dirent *de;
	struct stat st;
	int fd, ret = 0;
	DIR *d;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) ? -errno : 0;
	if (depth >= QT_RMTREE_DEPTH)
		return -ELOOP;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			ret = qt_rmtree_depth(fd, de->d_name, depth + 1);
	}
	if (!ret && errno)
		ret = -errno;
	closedir(d);
	if (ret)
		return ret;
	return unlinkat(dfd, name, AT_REMOVEDIR) ? -errno : 0;
}

int qt_rmtree_at(int dfd, const char *name)
{
	return qt_rmtree_depth(dfd, name, 0);
}
