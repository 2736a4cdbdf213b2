# SPDX-License-Identifier: GPL-2.0
#
# How a guest test program's Makefile uses libqtfstest.a: set TOP, include
# common/lib/libqtfs.mk and this file, add $(TKLIB_CPPFLAGS) to the compile
# and link $(TKLIB_A) $(TKLIB_LIBS) before libqtfs.a.  test/Makefile builds
# the toolkit before its consumers.

TKLIB_DIR := $(TOP)/test/lib
TKLIB_A := $(TKLIB_DIR)/libqtfstest.a
TKLIB_CPPFLAGS := -I$(TKLIB_DIR)
# the HMACs of the keyed wire (wire_mac.c)
TKLIB_LIBS := -Wl,--as-needed $(shell pkg-config --libs glib-2.0) -Wl,--no-as-needed

tklib_goal := $(.DEFAULT_GOAL)

$(TKLIB_A): tklib-force
	$(MAKE) -C $(TKLIB_DIR)

.PHONY: tklib-force
tklib-force:

.DEFAULT_GOAL := $(tklib_goal)
