// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop of libqtfs.a (see qt_evloop.h), on GLib's GMainLoop:
 * GLib already does poll bookkeeping, timers and async-signal-safe signal
 * delivery, and the project uses it.  Every source is attached to the
 * loop's own GMainContext, and its callback and context travel in a small
 * allocation freed with the source.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <glib.h>
#include <glib-unix.h>
#include "qt_evloop.h"

/**
 * struct qt_evloop - an event loop
 * @ctx:  the GLib context every source of the loop is attached to
 * @main: the loop running @ctx
 */
struct qt_evloop {
	GMainContext *ctx;
	GMainLoop *main;
};

/* What a GLib source calls back: one of the two callback kinds. */
struct qt_ev_cb {
	qt_ev_fd_fn fd_fn;
	qt_ev_fn fn;
	void *ctx;
};

/**
 * qt_evloop_new() - create an event loop
 *
 * Return: the loop, or NULL if out of memory.
 */
struct qt_evloop *qt_evloop_new(void)
{
	struct qt_evloop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->ctx = g_main_context_new();
	loop->main = g_main_loop_new(loop->ctx, FALSE);
	return loop;
}

/**
 * qt_evloop_free() - destroy a loop that is not running, and its sources
 * @loop: loop, may be NULL
 */
void qt_evloop_free(struct qt_evloop *loop)
{
	if (!loop)
		return;
	/* the context's last reference destroys the sources still attached */
	g_main_loop_unref(loop->main);
	g_main_context_unref(loop->ctx);
	free(loop);
}

static gboolean qt_ev_fd_dispatch(gint fd, GIOCondition cond, gpointer data)
{
	struct qt_ev_cb *cb = data;
	unsigned int ev = 0;

	if (cond & G_IO_IN)
		ev |= QT_EV_IN;
	if (cond & G_IO_OUT)
		ev |= QT_EV_OUT;
	if (cond & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))
		ev |= QT_EV_ERR;
	return cb->fd_fn(cb->ctx, fd, ev) ? G_SOURCE_CONTINUE :
					    G_SOURCE_REMOVE;
}

static gboolean qt_ev_dispatch(gpointer data)
{
	struct qt_ev_cb *cb = data;

	return cb->fn(cb->ctx) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Attach @src with callback @cb (consumed); return the source id. */
static int qt_evloop_attach(struct qt_evloop *loop, GSource *src,
			    GSourceFunc dispatch, struct qt_ev_cb *cb)
{
	unsigned int id;

	g_source_set_callback(src, dispatch, cb, free);
	id = g_source_attach(src, loop->ctx);
	g_source_unref(src);
	return id;
}

/**
 * qt_evloop_add_fd() - call back when a file descriptor is ready
 * @loop:   loop
 * @fd:     descriptor (the caller keeps it open while registered)
 * @events: QT_EV_IN and/or QT_EV_OUT; errors are always reported
 * @fn:     callback, called with the events that happened
 * @ctx:    its argument
 *
 * Return: an id for qt_evloop_del() (> 0), or -errno.
 */
int qt_evloop_add_fd(struct qt_evloop *loop, int fd, unsigned int events,
		     qt_ev_fd_fn fn, void *ctx)
{
	GIOCondition cond = G_IO_ERR | G_IO_HUP | G_IO_NVAL;
	struct qt_ev_cb *cb;

	if (fd < 0 || !fn || (events & ~(QT_EV_IN | QT_EV_OUT | QT_EV_ERR)))
		return -EINVAL;
	cb = calloc(1, sizeof(*cb));
	if (!cb)
		return -ENOMEM;
	cb->fd_fn = fn;
	cb->ctx = ctx;
	if (events & QT_EV_IN)
		cond |= G_IO_IN;
	if (events & QT_EV_OUT)
		cond |= G_IO_OUT;
	return qt_evloop_attach(loop, g_unix_fd_source_new(fd, cond),
				G_SOURCE_FUNC(qt_ev_fd_dispatch), cb);
}

static int qt_evloop_add(struct qt_evloop *loop, GSource *src, qt_ev_fn fn,
			 void *ctx)
{
	struct qt_ev_cb *cb = calloc(1, sizeof(*cb));

	if (!cb) {
		g_source_unref(src);
		return -ENOMEM;
	}
	cb->fn = fn;
	cb->ctx = ctx;
	return qt_evloop_attach(loop, src, qt_ev_dispatch, cb);
}

/**
 * qt_evloop_add_timer() - call back every @ms milliseconds
 * @loop: loop
 * @ms:   period
 * @fn:   callback; returning false ends the timer
 * @ctx:  its argument
 *
 * Return: an id for qt_evloop_del() (> 0), or -errno.
 */
int qt_evloop_add_timer(struct qt_evloop *loop, unsigned int ms, qt_ev_fn fn,
			void *ctx)
{
	if (!fn)
		return -EINVAL;
	return qt_evloop_add(loop, g_timeout_source_new(ms), fn, ctx);
}

/**
 * qt_evloop_add_signal() - call back, in the loop, when a signal arrives
 * @loop:  loop
 * @signo: SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2 or SIGWINCH; it must
 *         not be blocked in every thread
 * @fn:    callback
 * @ctx:   its argument
 *
 * Return: an id for qt_evloop_del() (> 0), or -errno (-EINVAL for another
 * signal).
 */
int qt_evloop_add_signal(struct qt_evloop *loop, int signo, qt_ev_fn fn,
			 void *ctx)
{
	switch (signo) {
	case SIGHUP:
	case SIGINT:
	case SIGTERM:
	case SIGUSR1:
	case SIGUSR2:
	case SIGWINCH:
		break;
	default:
		return -EINVAL;
	}
	if (!fn)
		return -EINVAL;
	return qt_evloop_add(loop, g_unix_signal_source_new(signo), fn, ctx);
}

/**
 * qt_evloop_del() - unregister a callback
 * @loop: loop
 * @id:   what qt_evloop_add_*() returned; an id already gone is ignored
 */
void qt_evloop_del(struct qt_evloop *loop, int id)
{
	GSource *src;

	if (id <= 0)
		return;
	src = g_main_context_find_source_by_id(loop->ctx, id);
	if (src)
		g_source_destroy(src);
}

/**
 * qt_evloop_run() - dispatch callbacks until qt_evloop_quit()
 * @loop: loop
 */
void qt_evloop_run(struct qt_evloop *loop)
{
	g_main_loop_run(loop->main);
}

/**
 * qt_evloop_quit() - make qt_evloop_run() return
 * @loop: loop; callable from a callback
 */
void qt_evloop_quit(struct qt_evloop *loop)
{
	g_main_loop_quit(loop->main);
}
