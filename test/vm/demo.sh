#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Demonstrate qtfs in a qemu guest: build in test mode, boot one guest
# holding both modules and narrate loading, mounting, reading and writing
# across the two sides, a refused mount and teardown.  The guest console is
# streamed live without ordinary kernel messages (kernel splats still show);
# the full console is in test/vm/out/demo.log.  Takes a couple of minutes.
#
# Usage: test/vm/demo.sh [vsock|tcp]     (default vsock)
set -euo pipefail

# shellcheck source=test/vm/lib.sh
. "$(dirname "$0")/lib.sh"

case ${1:-vsock} in
vsock) suite=demo ;;
tcp) suite=demo-tcp ;;
*) qt_die "usage: $0 [vsock|tcp]" ;;
esac

unset MAKEFLAGS MFLAGS MAKELEVEL
mkdir -p "$QT_OUT"
"$QT_VM_DIR/setup-host.sh"
qt_log "building (QTFS_TEST_MODE=1)"
make -C "$QT_ROOT" -j"$(nproc)" KDIR="$(qt_kdir)" QTFS_TEST_MODE=1 all >"$QT_OUT/demo-build.log" 2>&1 ||
	{ tail -n 30 "$QT_OUT/demo-build.log"; qt_die "build failed; see $QT_OUT/demo-build.log"; }
exec "$QT_VM_DIR/run-suite.sh" --stream demo --timeout 600 "$suite"
