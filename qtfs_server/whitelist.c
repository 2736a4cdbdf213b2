// SPDX-License-Identifier: GPL-2.0
/*
 * The whitelist: per operation class, the absolute server paths clients may
 * act on.  The engine parses /etc/qtfs/whitelist and installs the rules with
 * QTSRV_IOC_WL_SET; the set is immutable once built and replaced as a whole
 * (RCU pointer plus reference count), so a reload never shows a half-built
 * set and a handler keeps a consistent one for its whole run.
 *
 * A rule matches its own path and every path below it on a component
 * boundary: "/srv/share" matches "/srv/share" and "/srv/share/x" but not
 * "/srv/sharex"; "/" matches everything.  A class without rules restricts
 * nothing beyond the export root of the session, except [Mount], which
 * without rules allows no mount at all, and [Device], which without rules
 * lets no device node be opened or created.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "qtsrv.h"
#include "../include/uapi/qtfs_info.h"

/**
 * struct qtsrv_wl_ent - one rule
 * @wl_class: &enum qtsrv_wl_class
 * @len:      strlen(@path)
 * @path:     normalised absolute path (kmalloc)
 */
struct qtsrv_wl_ent {
	u32 wl_class;
	u32 len;
	char *path;
};

/**
 * struct qtsrv_wl - an immutable rule set
 * @ref:   references: &qtsrv.wl and every qtsrv_wl_get() caller
 * @rcu:   frees the set after the last reference, once readers that found
 *         it through &qtsrv.wl are done
 * @gen:   unique, increasing number of this set (see qtsrv_wl_mount_ok())
 * @nr:    entries in @ent
 * @count: rules per class
 * @ent:   the rules
 */
struct qtsrv_wl {
	refcount_t ref;
	struct rcu_head rcu;
	u64 gen;
	u32 nr;
	u32 count[__QTSRV_WL_MAX];
	struct qtsrv_wl_ent ent[];
};

/*
 * Generation of the next rule set, so that sessions can tell whether the
 * set changed since they were last admitted.  Module-wide (a counter, no
 * lock needed) so that numbers never repeat across server instances.
 */
static atomic64_t qtsrv_wl_next_gen = ATOMIC64_INIT(0);

static void qtsrv_wl_free(struct qtsrv_wl *wl)
{
	u32 i;

	for (i = 0; i < wl->nr; i++)
		kfree(wl->ent[i].path);
	kvfree(wl);
}

static void qtsrv_wl_free_rcu(struct rcu_head *rcu)
{
	qtsrv_wl_free(container_of(rcu, struct qtsrv_wl, rcu));
}

/**
 * qtsrv_wl_put() - drop a reference to a rule set
 * @wl: rule set, may be NULL
 */
void qtsrv_wl_put(struct qtsrv_wl *wl)
{
	if (wl && refcount_dec_and_test(&wl->ref))
		call_rcu(&wl->rcu, qtsrv_wl_free_rcu);
}

/**
 * qtsrv_wl_get() - take a reference to the current rule set
 * @srv: server
 *
 * Return: the rule set, or NULL if none was ever installed.
 */
struct qtsrv_wl *qtsrv_wl_get(struct qtsrv *srv)
{
	struct qtsrv_wl *wl;

	rcu_read_lock();
	do {
		wl = rcu_dereference(srv->wl);
		/* a set at zero has just been replaced: read the new one */
	} while (wl && !refcount_inc_not_zero(&wl->ref));
	rcu_read_unlock();
	return wl;
}

/**
 * qtsrv_wl_empty() - does a class have no rules?
 * @wl:  rule set or NULL
 * @cls: class
 *
 * Return: true if @cls has no rule.
 */
bool qtsrv_wl_empty(const struct qtsrv_wl *wl, enum qtsrv_wl_class cls)
{
	return !wl || !wl->count[cls];
}

/**
 * qtsrv_wl_match() - find the most specific rule covering a path
 * @wl:   rule set or NULL
 * @cls:  class
 * @path: normalised absolute path
 *
 * Return: the length of the longest rule of @cls that covers @path, or
 * -EPERM if none does.
 */
int qtsrv_wl_match(const struct qtsrv_wl *wl, enum qtsrv_wl_class cls,
		   const char *path)
{
	const struct qtsrv_wl_ent *e;
	int best = -EPERM;
	u32 i;

	if (!wl)
		return -EPERM;
	for (i = 0; i < wl->nr; i++) {
		e = &wl->ent[i];
		if (e->wl_class != cls || (int)e->len <= best)
			continue;
		if ((e->len == 1 && path[0] == '/') ||
		    (!strncmp(path, e->path, e->len) &&
		     (path[e->len] == '\0' || path[e->len] == '/')))
			best = e->len;
	}
	return best;
}

/**
 * qtsrv_wl_mount_ok() - does [Mount] still admit a session's export?
 * @srv:  server
 * @path: normalised export path of the session
 * @gen:  the session's cache: generation of the last set that admitted
 *        @path, updated when the current one does too
 *
 * A reload that drops an export from [Mount] must cut off the sessions
 * already mounted there, not just new mounts.  The path is matched once
 * per session and rule set; after that the check is a comparison under
 * RCU, cheap enough for every request.
 *
 * Return: true if the current rule set admits @path.
 */
bool qtsrv_wl_mount_ok(struct qtsrv *srv, const char *path, u64 *gen)
{
	struct qtsrv_wl *wl;
	bool ok;

	rcu_read_lock();
	wl = rcu_dereference(srv->wl);
	if (wl && wl->gen == READ_ONCE(*gen)) {
		ok = true;
	} else {
		ok = qtsrv_wl_match(wl, QTSRV_WL_MOUNT, path) >= 0;
		if (ok)
			WRITE_ONCE(*gen, wl->gen);
	}
	rcu_read_unlock();
	return ok;
}

/**
 * qtsrv_wl_normalize() - lexically normalise an absolute path in place
 * @path: NUL-terminated path
 *
 * Collapses repeated '/', drops "." components and a trailing '/'.  ".."
 * cannot be resolved without looking at the filesystem, so a path holding
 * one is refused.
 *
 * Return: 0, -EINVAL for a relative path, -EPERM for a ".." component.
 */
int qtsrv_wl_normalize(char *path)
{
	char *in = path, *out = path;
	size_t n;

	if (*in != '/')
		return -EINVAL;
	while (*in) {
		while (*in == '/')
			in++;
		if (!*in)
			break;
		n = strchrnul(in, '/') - in;
		if (n == 1 && in[0] == '.') {
			in += n;
			continue;
		}
		if (n == 2 && in[0] == '.' && in[1] == '.')
			return -EPERM;
		*out++ = '/';
		memmove(out, in, n);
		out += n;
		in += n;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
	return 0;
}

/* Is @p (of length @len) an absolute path in the form qtsrv_wl_normalize()
 * produces?
 */
static bool qtsrv_wl_path_ok(const char *p, u32 len)
{
	u32 i, start;

	if (len == 0 || p[0] != '/')
		return false;
	if (len == 1)
		return true;
	if (p[len - 1] == '/')
		return false;
	for (start = 1, i = 1; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if (i == start)
			return false;
		if ((i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

/*
 * Copy and check rule @i.  Rules are copied one at a time so that a large
 * set never needs a large contiguous copy of user memory.
 */
static int qtsrv_wl_copy_rule(struct qtsrv_wl *wl, struct qtsrv_wl_rule *tmp,
			      const struct qtsrv_wl_rule __user *urule, u32 i)
{
	struct qtsrv_wl_ent *e = &wl->ent[i];

	if (copy_from_user(tmp, urule, sizeof(*tmp)))
		return -EFAULT;
	if (tmp->wl_class >= __QTSRV_WL_MAX ||
	    tmp->path_len >= sizeof(tmp->path) ||
	    tmp->path[tmp->path_len] != '\0' ||
	    strlen(tmp->path) != tmp->path_len ||
	    !qtsrv_wl_path_ok(tmp->path, tmp->path_len)) {
		qtsrv_err("whitelist rule %u is invalid (class %u, path length %u): paths must be absolute and normalised\n",
			  i, tmp->wl_class, tmp->path_len);
		return -EINVAL;
	}
	e->path = kmemdup(tmp->path, tmp->path_len + 1, GFP_KERNEL);
	if (!e->path)
		return -ENOMEM;
	e->wl_class = tmp->wl_class;
	e->len = tmp->path_len;
	wl->count[e->wl_class]++;
	wl->nr = i + 1;
	return 0;
}

/**
 * qtsrv_wl_set() - QTSRV_IOC_WL_SET: replace the rule set
 * @srv:  server
 * @uarg: user's &struct qtsrv_ioc_whitelist
 *
 * Builds the new set completely, then swaps it in; on any error the old
 * set stays.
 *
 * Return: 0 or -errno.
 */
int qtsrv_wl_set(struct qtsrv *srv,
		 const struct qtsrv_ioc_whitelist __user *uarg)
{
	const struct qtsrv_wl_rule __user *urules;
	struct qtsrv_ioc_whitelist arg;
	struct qtsrv_wl_rule *tmp;
	struct qtsrv_wl *wl, *old;
	u32 i;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved || arg.nr_rules > QTSRV_WL_RULES_MAX)
		return -EINVAL;
	urules = u64_to_user_ptr(arg.rules);

	wl = kvzalloc(struct_size(wl, ent, arg.nr_rules), GFP_KERNEL);
	if (!wl)
		return -ENOMEM;
	refcount_set(&wl->ref, 1);
	wl->gen = atomic64_inc_return(&qtsrv_wl_next_gen);
	tmp = kmalloc(sizeof(*tmp), GFP_KERNEL);
	if (!tmp) {
		ret = -ENOMEM;
		goto out_free_wl;
	}
	for (i = 0; i < arg.nr_rules; i++) {
		ret = qtsrv_wl_copy_rule(wl, tmp, urules + i, i);
		if (ret)
			goto out_free_tmp;
	}
	kfree(tmp);

	mutex_lock(&srv->ctl_lock);
	old = rcu_replace_pointer(srv->wl, wl, lockdep_is_held(&srv->ctl_lock));
	mutex_unlock(&srv->ctl_lock);
	qtsrv_wl_put(old);
	qtsrv_info("whitelist: %u rules installed, %u for [Mount]\n",
		   wl->nr, wl->count[QTSRV_WL_MOUNT]);
	return 0;

out_free_tmp:
	kfree(tmp);
out_free_wl:
	qtsrv_wl_free(wl);
	return ret;
}

/**
 * qtsrv_wl_copy_out() - QTFS_INFO_IOC_WL_GET: copy rules to user space
 * @wl:   rule set, or NULL when none is installed
 * @uarg: user's &struct qtfs_info_wl
 *
 * Return: 0 or -errno.
 */
long qtsrv_wl_copy_out(const struct qtsrv_wl *wl, void __user *uarg)
{
	struct qtsrv_wl_rule __user *urules;
	struct qtsrv_wl_rule *tmp;
	struct qtfs_info_wl arg;
	long ret = 0;
	u32 i;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.version != QTFS_INFO_VERSION)
		return -EINVAL;
	arg.nr = wl ? wl->nr : 0;
	arg.filled = min(arg.nr, arg.cap);
	urules = u64_to_user_ptr(arg.rules);
	tmp = kzalloc(sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	for (i = 0; i < arg.filled; i++) {
		memset(tmp, 0, sizeof(*tmp));
		tmp->wl_class = wl->ent[i].wl_class;
		tmp->path_len = wl->ent[i].len;
		memcpy(tmp->path, wl->ent[i].path, wl->ent[i].len);
		if (copy_to_user(&urules[i], tmp, sizeof(*tmp))) {
			ret = -EFAULT;
			goto out_free;
		}
	}
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
out_free:
	kfree(tmp);
	return ret;
}

/**
 * qtsrv_wl_release() - drop the server's rule set
 * @srv: server being freed; nobody else uses it any more
 */
void qtsrv_wl_release(struct qtsrv *srv)
{
	qtsrv_wl_put(rcu_replace_pointer(srv->wl, NULL, true));
}
