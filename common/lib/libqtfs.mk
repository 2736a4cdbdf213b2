# SPDX-License-Identifier: GPL-2.0
#
# How a userspace Makefile uses libqtfs.a: set TOP to the source root,
# include this file, add $(QTLIB_CPPFLAGS) to the compile and link
# $(QTLIB_A) $(QTLIB_LIBS).  The library is built once, by its own
# directory's Makefile; a consumer asks that Makefile to bring it up to date
# before linking (the top-level Makefile builds it first, so under make -j
# nothing else writes it at the same time).

QTLIB_DIR := $(TOP)/common/lib
QTLIB_A := $(QTLIB_DIR)/libqtfs.a
# The shared headers: include/uapi/ ("uapi/qtfs_proto.h"), common/ and
# the library ("qt_whitelist.h").
QTLIB_CPPFLAGS := -I$(TOP)/include -I$(TOP)/common -I$(QTLIB_DIR)
# Only programs that use the event loop end up needing GLib.
QTLIB_LIBS := -Wl,--as-needed $(shell pkg-config --libs glib-2.0) -Wl,--no-as-needed

# The rules below must not become the including Makefile's default goal.
qtlib_goal := $(.DEFAULT_GOAL)

$(QTLIB_A): qtlib-force
	$(MAKE) -C $(QTLIB_DIR)

.PHONY: qtlib-force
qtlib-force:

.DEFAULT_GOAL := $(qtlib_goal)
