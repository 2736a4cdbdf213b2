#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole qtfs test run behind `make check`:
#   1. prepare the host (test/vm/setup-host.sh: packages, guest kernel image)
#   2. build everything with QTFS_TEST_MODE=1 against the guest kernel's headers
#   3. make checkpatch (checkpatch --strict, kernel-doc) and make sparse
#   4. host unit tests (make -C test unit-check, Check)
#   5. guest suites under qemu: vsock (one guest, vsock loopback),
#      tcp (one guest, TCP loopback), two (two guests over TCP)
# and ends with exactly one line "<passed> passed, <failed> failed".  The exit
# status is non-zero when anything failed.
#
# Usage: test/run-all.sh
# Environment:
#   QTFS_SUITES="vsock tcp two"   guest suites to run ("" for none)
#   QTFS_SUITE_TIMEOUT=1200       bound per guest suite, in seconds
set -euo pipefail

# shellcheck source=test/vm/lib.sh
. "$(dirname "$0")/vm/lib.sh"

# We drive make ourselves; do not inherit the caller's jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL
suites=${QTFS_SUITES-vsock tcp two}
# A bound for hung guests, well above the vsock suite's normal run (the
# longest: conformance, fsx, itest, hostile peers, ops checks); a normal
# make check of all three suites stays inside its 45 min budget.
export QTFS_SUITE_TIMEOUT=${QTFS_SUITE_TIMEOUT:-1200}

passed=0
failed=0
summary=()

# count <label> <passed> <failed>
count() {
	passed=$((passed + $2))
	failed=$((failed + $3))
	summary+=("$(printf '%-22s %4d passed, %4d failed' "$1:" "$2" "$3")")
}

section() {
	printf '\n===== %s =====\n' "$*"
}

mkdir -p "$QT_OUT"
start=$SECONDS

# Build output must never be tracked: any ELF file or archive in the index
# fails the run.
section "tracked files"
if "$QT_ROOT/test/check-tracked.sh"; then
	count "tracked files" 1 0
else
	count "tracked files" 0 1
fi

section "host setup"
"$QT_VM_DIR/setup-host.sh"
kdir=$(qt_kdir)
jobs=$(nproc)

section "build (KDIR=$kdir QTFS_TEST_MODE=1)"
built=1
if make -C "$QT_ROOT" -j"$jobs" KDIR="$kdir" QTFS_TEST_MODE=1 all 2>&1 |
	tee "$QT_OUT/build.log"; then
	count build 0 0
else
	built=0
	count build 0 1
fi

# Kernel style: checkpatch --strict and kernel-doc (the scripts come from
# linux-source-6.1, which setup-host installs), then sparse over the modules
# just built.
section "checkpatch, kernel-doc"
if make -C "$QT_ROOT" checkpatch >"$QT_OUT/checkpatch.log" 2>&1; then
	grep '^kernel-doc:' "$QT_OUT/checkpatch.log" || true
	echo "checkpatch: clean"
	count checkpatch 1 0
else
	grep -E -A 3 '^(ERROR|WARNING|CHECK):|: warning: |\*\*\*' "$QT_OUT/checkpatch.log" | head -n 60 || true
	count checkpatch 0 1
fi

if [[ $built -eq 1 ]]; then
	section "sparse"
	if make -C "$QT_ROOT" KDIR="$kdir" QTFS_TEST_MODE=1 sparse 2>&1 | tee "$QT_OUT/sparse.log" | tail -n 40; then
		count sparse 1 0
	else
		count sparse 0 1
	fi
fi

section "unit tests"
rc=0
make -C "$QT_ROOT/test" -j"$jobs" unit-check 2>&1 | tee "$QT_OUT/unit.log" || rc=$?
# test/unit prints its own total (it also counts binaries that crash and
# valgrind runs); without it, sum the Check summary lines.
r=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2 1/p' "$QT_OUT/unit.log" | tail -n1)
[[ -n $r ]] || r=$(qt_check_counts "$QT_OUT/unit.log")
read -r p f n <<<"$r"
if ((rc != 0 && f == 0)); then
	qt_log "unit tests: make exited with status $rc"
	f=1
fi
((n > 0 || rc != 0)) || qt_log "unit tests: no Check output"
count unit "$p" "$f"

# A bounded libFuzzer pass over the protocol decoder (ASan + UBSan); any
# crash fails it.  QTFS_FUZZ=0 leaves it out.
if [[ ${QTFS_FUZZ:-1} != 0 ]]; then
	section "fuzz (20 s, protocol decoder)"
	if make -C "$QT_ROOT/test/unit" fuzz-short 2>&1 | tee "$QT_OUT/fuzz.log" | tail -n 8; then
		count fuzz 1 0
	else
		count fuzz 0 1
	fi
fi

initrd=
if [[ -n $suites && $built -eq 1 ]]; then
	section "guest initramfs"
	# one image for every suite; the two-guest suite runs libvirt and QEMU
	if initrd=$("$QT_VM_DIR/mkinitramfs.sh" --libvirt -o "$QT_OUT/initramfs.cpio"); then
		count initramfs 0 0
	else
		initrd=
		count initramfs 0 1
	fi
fi

for s in $suites; do
	section "guest suite $s"
	if [[ -z $initrd ]]; then
		qt_log "suite $s: skipped (no build or initramfs)"
		continue
	fi
	"$QT_VM_DIR/run-suite.sh" --initrd "$initrd" "$s" 2>&1 | tee "$QT_OUT/suite-$s.out" || true
	r=$(sed -n "s/^suite $s: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p" "$QT_OUT/suite-$s.out" | tail -n1)
	[[ -n $r ]] || r="0 1"
	read -r p f <<<"$r"
	count "guest $s" "$p" "$f"
done

section "summary ($((SECONDS - start)) s; logs in $QT_OUT)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
((failed == 0))
