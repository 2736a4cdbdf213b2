#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of the VM harness; needs no project artifacts (~1.5 min).
# Boots the smoke guests, which must pass, and guests that misbehave on
# purpose (fake WARN in the kernel log, kernel panic, no result line, hang),
# which run-suite.sh must judge failed without hanging.
#
# Usage: test/vm/selftest.sh
set -euo pipefail

# shellcheck source=test/vm/lib.sh
. "$(dirname "$0")/lib.sh"

"$QT_VM_DIR/setup-host.sh"
initrd=$("$QT_VM_DIR/mkinitramfs.sh" --allow-missing -o "$QT_OUT/initramfs-selftest.cpio" 2>/dev/null)
bad=0

expect() {
	local want=$1 suite=$2 got=pass
	shift 2
	"$QT_VM_DIR/run-suite.sh" --initrd "$initrd" "$@" "$suite" >"$QT_OUT/selftest-$suite.out" 2>&1 ||
		got=fail
	if [[ $got == "$want" ]]; then
		echo "ok: $suite judged $got ($(tail -n1 "$QT_OUT/selftest-$suite.out"))"
	else
		echo "NOT OK: $suite judged $got, expected $want; see $QT_OUT/selftest-$suite.out"
		bad=1
	fi
}

expect pass smoke
expect pass smoke-two
expect fail selftest-warn
expect fail selftest-panic
expect fail selftest-noresult
expect fail selftest-watchdog --timeout 40
expect fail selftest-hang --timeout 40
exit $bad
