#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-kasan: the whole test run of make check (test/run-all.sh), with
# every guest booting a KASAN + lockdep + kmemleak + DEBUG_ATOMIC_SLEEP
# kernel built from Debian's linux-source-6.1 (test/vm/kasan-kernel.sh,
# cached outside the clone) and the modules built against it.  A KASAN,
# lockdep or kmemleak report fails the suite like any other splat.  Not
# part of make check: the first build takes ~20 min and the guests run
# several times slower.
#
# Usage: test/vm/check-kasan.sh
# Environment: as test/run-all.sh; QTFS_SUITE_TIMEOUT defaults to 4800 here.
set -euo pipefail

# shellcheck source=test/vm/lib.sh
. "$(dirname "$0")/lib.sh"

# packages first: the host's, plus what a kernel build needs
"$QT_VM_DIR/setup-host.sh" flex bison bc libelf-dev libssl-dev

read -r rel tree < <("$QT_VM_DIR/kasan-kernel.sh" | tail -n 1)
export QTFS_KREL=$rel QTFS_KDIR=$tree
export QTFS_SUITE_TIMEOUT=${QTFS_SUITE_TIMEOUT:-4800}
# KASAN's shadow memory comes out of the guest's RAM
export QTFS_VM_MEM=${QTFS_VM_MEM:-2048}
export QTFS_FUZZ=${QTFS_FUZZ:-0}
# KASAN under TCG runs the integration tests ~10 times slower (a first
# run timed out three Check tests at their normal bounds).
export QTFS_GUEST_SLOW=${QTFS_GUEST_SLOW:-10}
qt_log "check-kasan: guests boot $rel, modules build against $tree"
exec "$QT_ROOT/test/run-all.sh"
