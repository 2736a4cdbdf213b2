# SPDX-License-Identifier: GPL-2.0
#
# qtfs top-level Makefile.  It only delegates: kernel modules to kbuild,
# userspace to each directory's own Makefile, tests to test/.
#
#   make [KDIR=...] [QTFS_TEST_MODE=1]   modules, engine, tools, test programs
#   make check        everything in test mode + unit tests + guest suites
#   make check-kasan  the same on a KASAN + lockdep + kmemleak guest kernel
#   make demo         narrated qtfs session in a qemu guest
#   make bench        [BENCH_MIB=64] figures of qtfs per transport, in a guest
#   make install      [INSTALL_MOD_PATH=...] [DESTDIR=...] [PREFIX=/usr/local]
#                     [MODULE_SIGN=1]
#   make checkpatch   checkpatch.pl --strict and kernel-doc over the kernel
#                     code, and check-tracked
#   make kernel-doc   fail on any kernel-doc warning in the kernel code
#   make sparse       [KDIR=...] [QTFS_TEST_MODE=1] sparse over both modules;
#                     fail on any report about our sources
#   make check-tracked fail if git tracks an ELF file or archive
#   make clean

# Build against the running kernel when it has a build tree, else against
# the Debian headers that linux-headers-amd64 pulls in (the kernel the test
# guests boot).  Both are resolved only when KDIR is not given.
HOST_KDIR = /lib/modules/$(shell uname -r)/build
DEB_KREL = $(shell dpkg-query -W -f='$${Depends}' linux-headers-amd64 2>/dev/null | \
	sed -n 's/.*linux-headers-\([^ ,]*-amd64\).*/\1/p')
KDIR ?= $(if $(wildcard $(HOST_KDIR)/Makefile),$(HOST_KDIR),/usr/src/linux-headers-$(DEB_KREL))

# 1 adds the TCP transport (qtfs_server_ip=/qtfs_server_port=) to both modules.
QTFS_TEST_MODE ?= 0
PREFIX ?= /usr/local
# Modules go to $(INSTALL_MOD_PATH)/lib/modules/<release>/extra.
INSTALL_MOD_PATH ?= $(DESTDIR)
# Sign modules on install only when asked (needs the kernel's signing key,
# which distribution header packages do not ship).
MODULE_SIGN ?= 0
# (Debian's include/config/kernel.release holds the upstream version, not the
# release modules install under; utsrelease.h has the real one.)
KRELEASE = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

KBUILD = $(MAKE) -C $(KDIR) QTFS_TEST_MODE=$(QTFS_TEST_MODE)
MODULE_DIRS := qtfs qtfs_server
# libqtfs.a first: everything else links it.  The other userspace parts are
# built once their Makefiles exist.
USER_DIRS = common/lib qtfs_server/engine $(patsubst %/Makefile,%,$(wildcard qtinfo/Makefile ipc/Makefile rexec/Makefile))
CLEAN_DIRS = $(patsubst %/Makefile,%,$(wildcard common/lib/Makefile qtfs_server/engine/Makefile qtinfo/Makefile ipc/Makefile rexec/Makefile)) test

CHECKPATCH_SRC ?= /usr/src/linux-source-6.1
CHECKPATCH ?= $(CHECKPATCH_SRC)/scripts/checkpatch.pl
KERNELDOC ?= $(CHECKPATCH_SRC)/scripts/kernel-doc
CHECKPATCH_FILES = $(filter-out %.mod.c,$(wildcard qtfs/*.[ch] qtfs_server/*.[ch] common/*.[ch] include/uapi/*.h))

.PHONY: all modules userspace tests check check-kasan fuzz demo bench install clean checkpatch \
	check-tracked kdir kernel-doc kernel-scripts sparse

all: modules userspace tests

kdir:
	@test -f $(KDIR)/Makefile || { \
		echo "no kernel build tree at KDIR=$(KDIR);" \
		     "install linux-headers-amd64 or pass KDIR=" >&2; exit 1; }

modules: kdir
	$(foreach d,$(MODULE_DIRS),$(KBUILD) M=$(CURDIR)/$(d) modules && ) true

userspace:
	$(foreach d,$(USER_DIRS),$(MAKE) -C $(d) QTFS_TEST_MODE=$(QTFS_TEST_MODE) && ) true

# The unit tests link qtinfo's objects: building both at once under -j
# had two makes write the same .o files.
tests: userspace
	$(MAKE) -C test

check:
	test/run-all.sh

# The same tests on a KASAN + lockdep + kmemleak guest kernel, built once
# from linux-source-6.1 and cached outside the clone.
check-kasan:
	test/vm/check-kasan.sh

# libFuzzer over the shared decoder, seeded from the round-trip tests;
# FUZZ_SECS (default 60) bounds the run.
fuzz:
	$(MAKE) -C test/unit fuzz

demo:
	test/vm/demo.sh

# Speed is measured here, never asserted by tests.  Builds in test mode
# (the TCP rows need it).
BENCH_MIB ?= 64
bench:
	test/vm/setup-host.sh
	$(MAKE) QTFS_TEST_MODE=1 all
	test/bench/run.sh $(BENCH_MIB)

install: kdir
	$(foreach d,$(MODULE_DIRS),$(KBUILD) M=$(CURDIR)/$(d) \
		INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) INSTALL_MOD_DIR=extra \
		$(if $(filter 1,$(MODULE_SIGN)),,CONFIG_MODULE_SIG_ALL=) modules_install && ) true
	depmod -b $(or $(INSTALL_MOD_PATH),/) $(KRELEASE)
	install -D -m 755 qtfs_server/engine/engine $(DESTDIR)$(PREFIX)/bin/engine
	if [ -x qtinfo/qtinfo ]; then install -D -m 755 qtinfo/qtinfo $(DESTDIR)$(PREFIX)/bin/qtinfo; fi
	install -D -m 755 ipc/udsproxyd $(DESTDIR)$(PREFIX)/bin/udsproxyd
	install -D -m 755 ipc/libudsproxy.so $(DESTDIR)$(PREFIX)/lib/libudsproxy.so
	if [ ! -e $(DESTDIR)/etc/qtfs/whitelist ]; then \
		install -D -m 644 config/qtfs/whitelist $(DESTDIR)/etc/qtfs/whitelist; fi
	install -D -m 755 rexec/rexec $(DESTDIR)$(PREFIX)/bin/rexec
	install -D -m 755 rexec/rexec_server $(DESTDIR)$(PREFIX)/bin/rexec_server
	if [ ! -e $(DESTDIR)/etc/rexec/whitelist ]; then \
		install -D -m 644 config/rexec/whitelist $(DESTDIR)/etc/rexec/whitelist; fi

clean:
	$(if $(wildcard $(KDIR)/Makefile),$(foreach d,$(MODULE_DIRS),\
		$(if $(wildcard $(d)/Kbuild),$(KBUILD) M=$(CURDIR)/$(d) clean && )) true)
	$(foreach d,$(CLEAN_DIRS),$(MAKE) -C $(d) clean && ) true
	rm -rf test/vm/out

# ENOSYS is ignored on purpose: the protocol answers an unknown opcode with
# ENOSYS (as FUSE and virtiofsd do), which checkpatch reserves for syscalls.
checkpatch: check-tracked kernel-doc
	$(if $(CHECKPATCH_FILES),$(CHECKPATCH) --no-tree --strict --ignore ENOSYS -f $(CHECKPATCH_FILES),@echo "checkpatch: no kernel sources yet")

# kernel-doc -v adds the check for a missing "Return:" section; 6.1's
# script exits 0 on warnings with -none, so any output but its "info:"
# lines (or a missing script) fails.
kernel-doc: kernel-scripts
	@out=$$($(KERNELDOC) -none -v $(CHECKPATCH_FILES) 2>&1 | grep -v ': info: '); \
	if [ -n "$$out" ]; then printf '%s\n' "$$out" >&2; exit 1; fi; \
	echo "kernel-doc: $(words $(CHECKPATCH_FILES)) files clean"

# sparse through kbuild, C=2 so that every file is checked, built or not
# (QTFS_TEST_MODE=1 includes the TCP transport).  Only reports about our
# own sources count; sparse 0.6.4 prints none about the 6.1 headers our
# files include, so nothing else is filtered.
sparse: kdir
	+@log=$$(mktemp) || exit 1; trap 'rm -f "$$log"' EXIT; \
	for d in $(MODULE_DIRS); do \
		$(KBUILD) M=$(CURDIR)/$$d C=2 modules >>"$$log" 2>&1 || \
			{ cat "$$log" >&2; exit 1; }; \
	done; \
	out=$$(grep -E '^$(CURDIR)/[^:]+:[0-9]+:[0-9]+: (warning|error):' "$$log"); \
	if [ -n "$$out" ]; then printf '%s\n' "$$out" >&2; exit 1; fi; \
	echo "sparse: $$(grep -c '^  CHECK ' "$$log") files clean"

# Both scripts come from Debian's linux-source tarball; unpack them once.
kernel-scripts:
	@test -f $(CHECKPATCH) -a -f $(KERNELDOC) || \
		tar -C $(dir $(CHECKPATCH_SRC)) -xJf $(CHECKPATCH_SRC).tar.xz \
		$(notdir $(CHECKPATCH_SRC))/scripts

# Build output must never be tracked (test/run-all.sh runs this too).
check-tracked:
	@test/check-tracked.sh
