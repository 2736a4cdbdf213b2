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
 *
 * [Mount] rules carry export options (root_squash, all_squash, anonuid,
 * anongid, uids=MIN-MAX).  A session takes the options of the most
 * specific [Mount] rule covering its export, at MOUNT and again whenever a
 * new set is installed (qtsrv_wl_sess_export()); handlers.c applies them
 * where it builds a request's credentials.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include "qtfs_path.h"
#include "qtsrv.h"
#include "uapi/qtfs_info.h"

/**
 * struct qtsrv_wl_ent - one rule
 * @wl_class: &enum qtsrv_wl_class
 * @len:      strlen(@path)
 * @path:     normalised absolute path (kmalloc)
 * @opts:     export options, validated; zero for classes other than [Mount]
 */
struct qtsrv_wl_ent {
	u32 wl_class;
	u32 len;
	char *path;
	struct qtsrv_export_opts opts;
};

/**
 * struct qtsrv_wl - an immutable rule set
 * @ref:   references: &qtsrv.wl and every qtsrv_wl_get() caller
 * @rcu:   frees the set after the last reference, once readers that found
 *         it through &qtsrv.wl are done
 * @gen:   unique, increasing number of this set (see qtsrv_wl_sess_export())
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

/* The most specific rule of @cls covering @path, or NULL. */
static const struct qtsrv_wl_ent *qtsrv_wl_find(const struct qtsrv_wl *wl,
						enum qtsrv_wl_class cls,
						const char *path)
{
	const struct qtsrv_wl_ent *e, *best = NULL;
	u32 i;

	if (!wl)
		return NULL;
	for (i = 0; i < wl->nr; i++) {
		e = &wl->ent[i];
		if (e->wl_class != cls || (best && e->len <= best->len))
			continue;
		if ((e->len == 1 && path[0] == '/') ||
		    (!strncmp(path, e->path, e->len) &&
		     (path[e->len] == '\0' || path[e->len] == '/')))
			best = e;
	}
	return best;
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
	const struct qtsrv_wl_ent *e = qtsrv_wl_find(wl, cls, path);

	return e ? e->len : -EPERM;
}

/*
 * Record that rule set @gen admits @sess with options @opts, unless a
 * worker holding a newer set got there first (generations only grow).
 */
static void qtsrv_sess_export_store(struct qtsrv_sess *sess, u64 gen,
				    const struct qtsrv_export_opts *opts)
	__must_hold(&sess->opts_lock.lock)
{
	lockdep_assert_held(&sess->opts_lock.lock);
	if (gen <= sess->wl_gen)
		return;
	sess->wl_gen = gen;
	sess->opts = *opts;
}

/* Is @e strictly below @dir (of length @dlen, normalised)? */
static bool qtsrv_wl_below(const struct qtsrv_wl_ent *e, const char *dir,
			   size_t dlen)
{
	if (dlen == 1)		/* "/": everything else is below */
		return e->len > 1;
	return e->len > dlen && !strncmp(e->path, dir, dlen) &&
	       e->path[dlen] == '/';
}

/**
 * qtsrv_wl_move_ok() - may an object take a new name without gaining rights?
 * @wl:  rule set or NULL
 * @src: normalised absolute path of the object now
 * @dst: the new name (a hard link to it, or where it is renamed)
 *
 * Rules apply to names, so a new name must not become a way around them:
 * for every path p in the object (p empty for a file, any path below for
 * a directory) and every class, if @dst/p is covered, @src/p must be.  A
 * rule covering @dst covers every @dst/p, so @src must be covered; a rule
 * below @dst, at @dst/r, covers @dst/r/..., so @src/r must be covered.  A
 * class without rules is the same everywhere and never refuses.
 *
 * Return: 0, -EPERM if the new name would grant more, -ENAMETOOLONG or
 * -ENOMEM.
 */
int qtsrv_wl_move_ok(const struct qtsrv_wl *wl, const char *src,
		     const char *dst)
{
	size_t slen = strlen(src), dlen = strlen(dst);
	const struct qtsrv_wl_ent *e;
	char *buf = NULL;
	int ret = 0;
	u32 cls, i;

	if (!wl)
		return 0;
	for (cls = 0; cls < __QTSRV_WL_MAX; cls++) {
		if (qtsrv_wl_match(wl, cls, dst) >= 0 &&
		    qtsrv_wl_match(wl, cls, src) < 0)
			return -EPERM;
	}
	for (i = 0; i < wl->nr; i++) {
		e = &wl->ent[i];
		if (!qtsrv_wl_below(e, dst, dlen))
			continue;
		if (!buf) {
			buf = kmalloc(PATH_MAX, GFP_KERNEL);
			if (!buf)
				return -ENOMEM;
		}
		/* @src with the part of the rule below @dst ("/" is empty) */
		ret = snprintf(buf, PATH_MAX, "%s%s", slen == 1 ? "" : src,
			       e->path + (dlen == 1 ? 0 : dlen));
		if (ret >= PATH_MAX) {
			ret = -ENAMETOOLONG;
			break;
		}
		ret = 0;
		if (qtsrv_wl_match(wl, e->wl_class, buf) < 0) {
			ret = -EPERM;
			break;
		}
	}
	kfree(buf);
	return ret;
}

/**
 * qtsrv_wl_sess_export() - the export options of a session, if still admitted
 * @srv:  server
 * @sess: session; @sess->export is its normalised export path
 * @opts: result: the options of the [Mount] rule that admits the export
 *
 * A reload that drops an export from [Mount] must cut off the sessions
 * already mounted there, and a reload that changes an export's options
 * must apply to them, not just to new mounts.  The path is matched once
 * per session and rule set, and the result kept in the session under its
 * seqlock; after that the call is a comparison and a copy, cheap enough
 * for every request.
 *
 * Return: 0, or -EPERM if the current rule set does not admit the export.
 */
int qtsrv_wl_sess_export(struct qtsrv *srv, struct qtsrv_sess *sess,
			 struct qtsrv_export_opts *opts)
{
	const struct qtsrv_wl_ent *e;
	struct qtsrv_wl *wl;
	unsigned int seq;
	int ret = 0;
	u64 gen;

	rcu_read_lock();
	wl = rcu_dereference(srv->wl);
	do {
		seq = read_seqbegin(&sess->opts_lock);
		gen = sess->wl_gen;
		*opts = sess->opts;
	} while (read_seqretry(&sess->opts_lock, seq));
	if (wl && wl->gen == gen)
		goto out_unlock;
	e = qtsrv_wl_find(wl, QTSRV_WL_MOUNT, sess->export);
	if (!e) {
		ret = -EPERM;
		goto out_unlock;
	}
	*opts = e->opts;
	write_seqlock(&sess->opts_lock);
	qtsrv_sess_export_store(sess, wl->gen, opts);
	write_sequnlock(&sess->opts_lock);
out_unlock:
	rcu_read_unlock();
	return ret;
}

/* Is @id (an anonuid or anongid) an id of the engine's user namespace? */
static bool qtsrv_wl_anon_ok(u32 id, bool is_uid)
{
	struct user_namespace *ns = current_user_ns();

	if (id > QTSRV_EXPORT_ID_MAX)
		return false;
	return is_uid ? uid_valid(make_kuid(ns, id)) :
			gid_valid(make_kgid(ns, id));
}

/* Are @o valid export options for a rule of class @cls? */
static bool qtsrv_wl_opts_ok(u32 cls, const struct qtsrv_export_opts *o)
{
	u32 f = o->flags;

	if (cls != QTSRV_WL_MOUNT)
		return !memchr_inv(o, 0, sizeof(*o));
	if ((f & ~QTSRV_EXPORT_FLAGS) || o->reserved)
		return false;
	/* no_root_squash contradicts the other two squash options */
	if ((f & QTSRV_EXPORT_NO_ROOT_SQUASH) &&
	    (f & (QTSRV_EXPORT_ROOT_SQUASH | QTSRV_EXPORT_ALL_SQUASH)))
		return false;
	if (f & QTSRV_EXPORT_ANONUID ? !qtsrv_wl_anon_ok(o->anonuid, true) :
				       o->anonuid)
		return false;
	if (f & QTSRV_EXPORT_ANONGID ? !qtsrv_wl_anon_ok(o->anongid, false) :
				       o->anongid)
		return false;
	if (f & QTSRV_EXPORT_UIDS)
		return o->uid_min <= o->uid_max &&
		       o->uid_max <= QTSRV_EXPORT_ID_MAX;
	return !o->uid_min && !o->uid_max;
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
	    !qtfs_path_is_normal(tmp->path, tmp->path_len)) {
		qtsrv_err("whitelist rule %u is invalid (class %u, path length %u): paths must be absolute and normalised\n",
			  i, tmp->wl_class, tmp->path_len);
		return -EINVAL;
	}
	if (!qtsrv_wl_opts_ok(tmp->wl_class, &tmp->export)) {
		qtsrv_err("whitelist rule %u (%s) has invalid export options (flags %#x): unknown or conflicting options, ids out of range or an inverted uid range, or options outside [Mount]\n",
			  i, tmp->path, tmp->export.flags);
		return -EINVAL;
	}
	e->path = kmemdup(tmp->path, tmp->path_len + 1, GFP_KERNEL);
	if (!e->path)
		return -ENOMEM;
	e->wl_class = tmp->wl_class;
	e->len = tmp->path_len;
	e->opts = tmp->export;
	wl->count[e->wl_class]++;
	wl->nr = i + 1;
	return 0;
}

/*
 * The same [Mount] path twice with different options leaves no answer to
 * which options apply; refuse the set.
 */
static int qtsrv_wl_check_exports(const struct qtsrv_wl *wl)
{
	const struct qtsrv_wl_ent *a, *b;
	u32 i, j;

	for (i = 0; i < wl->nr; i++) {
		a = &wl->ent[i];
		if (a->wl_class != QTSRV_WL_MOUNT)
			continue;
		for (j = i + 1; j < wl->nr; j++) {
			b = &wl->ent[j];
			if (b->wl_class != QTSRV_WL_MOUNT ||
			    strcmp(a->path, b->path) ||
			    !memcmp(&a->opts, &b->opts, sizeof(a->opts)))
				continue;
			qtsrv_err("whitelist rules %u and %u give [Mount] %s different export options\n",
				  i, j, a->path);
			return -EINVAL;
		}
	}
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
	if (arg.rule_size != sizeof(struct qtsrv_wl_rule)) {
		qtsrv_err("whitelist rules of %u bytes, this module takes %zu: engine and module are from different builds\n",
			  arg.rule_size, sizeof(struct qtsrv_wl_rule));
		return -EINVAL;
	}
	if (arg.nr_rules > QTSRV_WL_RULES_MAX)
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
	ret = qtsrv_wl_check_exports(wl);
	if (ret)
		goto out_free_wl;

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
		tmp->export = wl->ent[i].opts;
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
