# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the qtfs VM test harness (sourced, not executed).
#
# Every host-side script in test/vm/ sources this file.  It resolves the
# Debian kernel the guests boot (from the installed linux-headers-amd64
# package, never a hard-coded ABI number), locates the cached kernel image,
# builds the qemu command line and scans guest consoles for kernel splats.

# shellcheck shell=bash
# Variables here are used by the scripts that source this file.
# shellcheck disable=SC2034

QT_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QT_ROOT=$(cd "$QT_VM_DIR/../.." && pwd)
QT_OUT=${QTFS_VM_OUT:-$QT_VM_DIR/out}

# Packages the harness needs on a fresh Debian 12 host.
QT_HOST_PKGS=(make gcc libc6-dev perl xz-utils qemu-system-x86 busybox-static
	linux-headers-amd64 kmod cpio check pkg-config libglib2.0-dev clang
	libclang-rt-14-dev linux-source-6.1 valgrind sparse
	libvirt-daemon libvirt-clients qemu-utils
	nfs-kernel-server nfs-common)

# Kernel splats that fail a suite.  Extended regular expressions, matched
# anywhere in a console line so that output interleaved with user space
# output on the serial console is still caught.
QT_SPLAT_RE='Oops: |WARNING: CPU: [0-9]+ PID: |BUG: |kernel BUG at |INFO: task .* blocked for more than |Kernel panic - not syncing|KASAN: |UBSAN: |possible circular locking dependency|possible recursive locking detected|inconsistent lock state|suspicious RCU usage|general protection fault|detected stall|unreferenced object 0x'

qt_log() {
	printf '[qtfs-vm] %s\n' "$*" >&2
}

qt_die() {
	qt_log "error: $*"
	exit 1
}

# Kernel release of the guest kernel, e.g. "6.1.0-56-amd64", taken from the
# dependency of the installed linux-headers-amd64 meta package.
qt_krel() {
	local dep
	if [[ -n ${QTFS_KREL:-} ]]; then
		printf '%s\n' "$QTFS_KREL"
		return
	fi
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null) ||
		qt_die "linux-headers-amd64 is not installed (run test/vm/setup-host.sh)"
	dep=$(sed -n 's/.*linux-headers-\([^ ,]*-amd64\).*/\1/p' <<<"$dep")
	[[ -n $dep ]] || qt_die "cannot resolve kernel version from linux-headers-amd64"
	printf '%s\n' "$dep"
}

# Build tree of the guest kernel: Debian's headers package, or the tree
# given in QTFS_KDIR (the debug kernel of make check-kasan).
qt_kdir() {
	if [[ -n ${QTFS_KDIR:-} ]]; then
		printf '%s\n' "$QTFS_KDIR"
		return
	fi
	printf '/usr/src/linux-headers-%s\n' "$(qt_krel)"
}

# Cache for downloaded kernel images; lives outside the clone.
qt_cache_dir() {
	if [[ -n ${QTFS_CACHE_DIR:-} ]]; then
		printf '%s\n' "$QTFS_CACHE_DIR"
	elif [[ $(id -u) -eq 0 ]] || [[ -w /var/cache ]]; then
		printf '/var/cache/qtfs-test\n'
	else
		printf '%s/qtfs-test\n' "${XDG_CACHE_HOME:-$HOME/.cache}"
	fi
}

# Root of the extracted linux-image package for the guest kernel.
qt_kimage_root() {
	printf '%s/%s/root\n' "$(qt_cache_dir)" "$(qt_krel)"
}

qt_vmlinuz() {
	printf '%s/boot/vmlinuz-%s\n' "$(qt_kimage_root)" "$(qt_krel)"
}

# Directory holding the guest kernel's modules inside the extracted image
# (Debian 12 ships /lib/modules, later releases /usr/lib/modules).
qt_kmod_dir() {
	local root krel d
	root=$(qt_kimage_root)
	krel=$(qt_krel)
	for d in "$root/lib/modules/$krel" "$root/usr/lib/modules/$krel"; do
		if [[ -d $d ]]; then
			printf '%s\n' "$d"
			return
		fi
	done
	qt_die "no modules for $krel under $root (run test/vm/setup-host.sh)"
}

# A TCP port on 127.0.0.1 that nothing is bound to right now.  The caller
# still retries on EADDRINUSE because another process may take it.
qt_free_port() {
	local port used
	used=$(awk 'NR > 1 { split($2, a, ":"); print a[2] }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
	while :; do
		port=$((20000 + RANDOM % 40000))
		grep -qxi "$(printf '%04X' "$port")" <<<"$used" || break
	done
	printf '%s\n' "$port"
}

# qt_qemu_cmd <array-name> <initrd> <append> [extra qemu args...]
# Fills the named array with a complete qemu command line.  The console goes
# to stdout of qemu; callers redirect it to a log file.
qt_qemu_cmd() {
	local -n _cmd=$1
	local initrd=$2 append=$3
	shift 3
	_cmd=(qemu-system-x86_64 -M pc -accel tcg -cpu max
		-m "${QTFS_VM_MEM:-1536}" -smp "${QTFS_VM_SMP:-2}"
		-nodefaults -no-user-config -nographic -no-reboot
		-serial stdio -monitor none
		-kernel "$(qt_vmlinuz)" -initrd "$initrd"
		-append "console=ttyS0 loglevel=7 panic=-1 oops=panic softlockup_panic=1 hung_task_panic=1 sysctl.kernel.hung_task_timeout_secs=30 $append"
		"$@")
}

# qt_guest_args key=value...: kernel command line parameters for the guest's
# /init (role, trans, net, arg, timeout, watchdog, slow); see test/vm/init.
qt_guest_args() {
	local kv out="qtfs_test.timeout=${QTFS_GUEST_TIMEOUT:-900}"
	out+=" qtfs_test.watchdog=${QTFS_GUEST_WATCHDOG:-0}"
	out+=" qtfs_test.slow=${QTFS_GUEST_SLOW:-1}"
	for kv in "$@"; do
		out+=" qtfs_test.$kv"
	done
	printf '%s\n' "$out"
}

# Console logs contain CRs from the serial line; strip them for matching.
qt_clean_log() {
	tr -d '\r' <"$1"
}

# qt_scan_log <log> <label>: report the first kernel splat with ~40 lines of
# context.  Returns 0 when the log is clean, 1 when a splat was found.
qt_scan_log() {
	local log=$1 label=$2 line
	line=$(qt_clean_log "$log" | grep -naE -m1 -- "$QT_SPLAT_RE" | cut -d: -f1) || true
	[[ -z $line ]] && return 0
	qt_log "$label: kernel splat at line $line of $log:"
	qt_clean_log "$log" | sed -n "$((line > 10 ? line - 10 : 1)),$((line + 30))p" |
		sed 's/^/    | /' >&2
	return 1
}

# qt_guest_result <log>: print "passed failed" from the guest's last
# QTFS-RESULT line; returns 1 when there is none.
qt_guest_result() {
	local r
	r=$(qt_clean_log "$1" |
		sed -n 's/.*QTFS-RESULT: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\1 \2/p' |
		tail -n1)
	[[ -n $r ]] || return 1
	printf '%s\n' "$r"
}

# Print the failed steps of a guest log so the summary explains itself.
qt_failed_steps() {
	qt_clean_log "$1" | grep -aE 'QTFS-STEP FAIL|^  FAIL |^[^:]*:[0-9]+:[EF]:' | sed "s/^/    $2: /" >&2 || true
}

# Sum "NN%: Checks: N, Failures: F, Errors: E" lines of Check output.
# Prints "passed failed lines".
qt_check_counts() {
	awk '/[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+/ {
		match($0, /Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+/)
		split(substr($0, RSTART, RLENGTH), f, /[^0-9]+/)
		n += f[2]; bad += f[3] + f[4]; lines++
	} END { printf "%d %d %d\n", n - bad, bad, lines }' "$@"
}

# --- guest processes -------------------------------------------------------

QT_PIDS=()

# Kill the qemu instances (and console streamers) this script started.
qt_kill_started() {
	local p
	for p in "${QT_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
}

# qt_start_guest <log> <timeout secs> <append> [qemu args...]
# Boots $QT_INITRD in the background under timeout(1); sets QT_PID.  The
# exit status collected by qt_wait_pid is 124 when the timeout hit.
qt_start_guest() {
	local log=$1 t=$2 append=$3
	local -a cmd
	shift 3
	qt_qemu_cmd cmd "$QT_INITRD" "$append" "$@"
	printf '%s\n' "${cmd[*]}" >"$log.cmd"
	timeout -k 10 "$t" "${cmd[@]}" </dev/null >"$log" 2>&1 &
	QT_PID=$!
	QT_PIDS+=("$QT_PID")
}

# qt_wait_pid <pid> [secs]: wait for a background job, at most secs seconds
# (forever without).  Returns 0 and sets QT_RC once it exited, 1 otherwise.
qt_wait_pid() {
	local pid=$1 secs=${2:-} i=0
	if [[ -n $secs ]]; then
		while kill -0 "$pid" 2>/dev/null; do
			((i++ >= secs)) && return 1
			sleep 1
		done
	fi
	QT_RC=0
	wait "$pid" || QT_RC=$?
	return 0
}

# qt_stream <log> <pid> <label> <steps|all|demo>: copy the console to stdout
# while <pid> runs, in the background; sets QT_STREAM_PID.
#   steps  only harness lines (steps, headings, Check summaries, results)
#   all    everything
#   demo   everything except ordinary kernel messages (splats still shown)
qt_stream() {
	local log=$1 pid=$2 label=$3 mode=$4
	local steps_re='QTFS-|^== |Checks: [0-9]+, Failures:|:[0-9]+:[EF]:'
	local kmsg_re='^\[ *[0-9]+\.[0-9]+\] '
	tail -n +1 -s 0.3 -f --pid="$pid" "$log" 2>/dev/null |
		while IFS= read -r line; do
			line=${line%$'\r'}
			case $mode in
			steps) [[ $line =~ $steps_re ]] || continue ;;
			demo) [[ $line =~ $kmsg_re && ! $line =~ $QT_SPLAT_RE ]] && continue ;;
			esac
			printf '%s%s\n' "$label" "$line"
		done &
	QT_STREAM_PID=$!
	QT_PIDS+=("$QT_STREAM_PID")
}

# qt_find_line <log> <regex>: true once the console shows a matching line.
qt_find_line() {
	tr -d '\r' <"$1" | grep -qaE -- "$2"
}
