#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot the bench guest (test/vm/guest/bench.sh) and print its
# figures side by side: the filesystems (the local tmpfs, the peers qtfs is
# compared with, qtfs on each transport) in one table, the bare transports
# under qtfs in another.
# Figures from a TCG guest compare backends with each other; they are not
# absolute speeds.
#
# Usage: test/bench/run.sh [MiB]   (size of the sequential file, default 64)
set -euo pipefail

# shellcheck source=test/vm/lib.sh
. "$(dirname "$0")/../vm/lib.sh"

mib=${1:-64}
[[ $mib =~ ^[0-9]+$ ]] && ((mib >= 1 && mib <= 4096)) ||
	qt_die "MiB must be a number from 1 to 4096"
QTFS_BENCH_MIB=$mib "$QT_VM_DIR/run-suite.sh" bench >&2 || status=$?
printf '%-22s %10s %10s %12s %10s %14s\n' backend "write MiB/s" \
	"read MiB/s" "4k pread/s" "stat/s" "create+unl/s"
qt_clean_log "$QT_OUT/bench.log" | sed -n 's/^QTFS-BENCH //p'
echo
printf '%-22s %10s %10s %10s %10s\n' transport "MiB/s" "64B rtt/s" \
	"p50 us" "p99 us"
qt_clean_log "$QT_OUT/bench.log" | sed -n 's/^QTFS-BENCH-RAW //p'
exit "${status:-0}"
