#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "selftest": misbehaves on purpose so that test/vm/selftest.sh
# can check that the host harness reports the failure (qtfs_test.arg):
#   warn   a kernel-log line in WARN format, then a passing result line
#   panic  sysrq crash (kernel panic, qemu exits)
#   watchdog  never finishes (the guest's watchdog powers it off)
#   hang      never finishes, watchdog disabled (host timeout)
#   noresult  exits without a result line
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh

case $QTFS_ARG in
warn)
	echo "WARNING: CPU: 0 PID: 1 at selftest.c:1 qtfs_selftest+0x0/0x0" >/dev/kmsg
	pass "fake warn"
	finish
	;;
panic)
	echo c >/proc/sysrq-trigger
	;;
watchdog | hang)
	while :; do sleep 60; done
	;;
noresult)
	;;
*)
	fail "selftest" "(unknown qtfs_test.arg=$QTFS_ARG)"
	finish
	;;
esac
