/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event loop of the userspace daemons (udsproxyd and rexec_server to
 * come): file descriptor readiness, timers and signals dispatched to
 * callbacks in one thread.  A thin layer over GLib's GMainLoop, on a
 * context of its own, so that the daemons need not know GLib.
 */
#ifndef QT_EVLOOP_H
#define QT_EVLOOP_H

#include <stdbool.h>

struct qt_evloop;

/* events of qt_evloop_add_fd() and its callback */
#define QT_EV_IN	0x1	/* readable (or a listener has a connection) */
#define QT_EV_OUT	0x2	/* writable */
#define QT_EV_ERR	0x4	/* error or hang-up; always reported */

/* Callbacks return true to stay registered, false to be removed. */
typedef bool (*qt_ev_fd_fn)(void *ctx, int fd, unsigned int events);
typedef bool (*qt_ev_fn)(void *ctx);

struct qt_evloop *qt_evloop_new(void);
void qt_evloop_free(struct qt_evloop *loop);
int qt_evloop_add_fd(struct qt_evloop *loop, int fd, unsigned int events,
		     qt_ev_fd_fn fn, void *ctx);
int qt_evloop_add_timer(struct qt_evloop *loop, unsigned int ms,
			qt_ev_fn fn, void *ctx);
int qt_evloop_add_signal(struct qt_evloop *loop, int signo, qt_ev_fn fn,
			 void *ctx);
void qt_evloop_del(struct qt_evloop *loop, int id);
void qt_evloop_run(struct qt_evloop *loop);
void qt_evloop_quit(struct qt_evloop *loop);

#endif /* QT_EVLOOP_H */
