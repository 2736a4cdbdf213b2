#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one guest suite under qemu (TCG) and judge it.
#
# Usage: test/vm/run-suite.sh [options] SUITE
#   SUITE   vsock      one guest, client + server over vsock loopback (CID 1)
#           tcp        one guest, client + server over TCP 127.0.0.1
#           two        two guests over TCP (server 192.0.2.1, client 192.0.2.2)
#           smoke      harness self-test: one guest, no project artifacts
#           smoke-two  harness self-test: two guests pinging each other
#           selftest-{warn,panic,noresult,watchdog,hang}  misbehaving guests
#                      that must be judged failed
#           demo, demo-tcp  the guest half of test/vm/demo.sh
#           bench      the figures of make bench (test/bench/run.sh);
#                      $QTFS_BENCH_MIB sizes its file
#   --initrd FILE      use this initramfs instead of building one
#   --allow-missing    build the initramfs without project artifacts
#   --timeout SECS     overall bound (default $QTFS_SUITE_TIMEOUT or 1200)
#   --live             stream the whole console instead of only step lines
#   --stream MODE      console streaming: steps (default), all, demo (no
#                      ordinary kernel messages)
# Environment: QTFS_GUEST_PARTS=part,part... runs only those parts of the
# vsock/tcp suites and of the client of two (see part() in
# test/vm/guest/common.sh), for focused runs while developing; make check
# runs them all.
#
# Consoles go to test/vm/out/<suite>[-server|-client].log.  The suite fails
# on any kernel splat (Oops, WARN, BUG, lockdep, KASAN, hung task, panic...),
# on a timeout and when a guest prints no QTFS-RESULT line.  The last line of
# output is "suite <name>: <passed> passed, <failed> failed"; the exit status
# is 0 only when nothing failed.
set -euo pipefail

# shellcheck source=test/vm/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	sed -n '4,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}

initrd=
mk_args=()
timeout_s=${QTFS_SUITE_TIMEOUT:-1200}
mode=steps
while [[ $# -gt 0 ]]; do
	case $1 in
	--initrd) initrd=$2; shift ;;
	--allow-missing) mk_args+=(--allow-missing) ;;
	--timeout) timeout_s=$2; shift ;;
	--live) mode=all ;;
	--stream) mode=$2; shift ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[[ $# -eq 1 ]] || usage
suite=$1

mkdir -p "$QT_OUT"
trap qt_kill_started EXIT
[[ -f $(qt_vmlinuz) ]] || qt_die "no kernel image; run test/vm/setup-host.sh"
if [[ -z $initrd ]]; then
	# only the two-guest suite and the demo run libvirt (130 MB with QEMU
	# and their libraries)
	[[ $suite == two || $suite == demo* ]] && mk_args+=(--libvirt)
	# the bench compares qtfs with its peers (9p, NFS)
	[[ $suite == bench ]] && mk_args+=(--bench)
	initrd=$("$QT_VM_DIR/mkinitramfs.sh" "${mk_args[@]}" -o "$QT_OUT/initramfs-$suite.cpio")
fi
QT_INITRD=$initrd
# The guest bounds its test program so that it can still tear down and
# report before the host gives up on it.
export QTFS_GUEST_TIMEOUT=${QTFS_GUEST_TIMEOUT:-$((timeout_s > 300 ? timeout_s - 180 : timeout_s / 2))}
# ... and powers itself off with a dump of blocked tasks shortly before the
# host would kill it.
export QTFS_GUEST_WATCHDOG=${QTFS_GUEST_WATCHDOG:-$((timeout_s > 240 ? timeout_s - 60 : timeout_s * 3 / 4))}

passed=0
failed=0
start=$SECONDS

# judge <log> <label> <qemu status>: add the guest's counts and failures.
judge() {
	local log=$1 label=$2 rc=$3 r p f
	if r=$(qt_guest_result "$log"); then
		read -r p f <<<"$r"
		passed=$((passed + p))
		failed=$((failed + f))
		((f == 0)) || qt_failed_steps "$log" "$label"
	else
		failed=$((failed + 1))
		qt_failed_steps "$log" "$label"
		qt_log "$label: no QTFS-RESULT line in $log"
		qt_find_line "$log" 'QTFS-GUEST-BOOTED' || qt_log "$label: the guest did not boot"
		if ((rc != 124)); then
			qt_log "$label: last console lines:"
			qt_clean_log "$log" | tail -n 40 | sed 's/^/    | /' >&2
		fi
	fi
	if ((rc == 124)); then
		qt_log "$label: timed out"
		r=$(qt_guest_result "$log") && failed=$((failed + 1))
		qt_clean_log "$log" | tail -n 40 | sed 's/^/    | /' >&2
	elif ((rc != 0)); then
		qt_log "$label: qemu exited with status $rc"
	fi
	qt_scan_log "$log" "$label" || failed=$((failed + 1))
}

# One guest running the role with the given cmdline parameters, and the
# qemu arguments in $guest_qemu.
guest_qemu=()
one_guest() {
	local log=$QT_OUT/$suite.log
	qt_log "suite $suite: booting one guest ($*), console in $log"
	qt_start_guest "$log" "$timeout_s" "$(qt_guest_args "$@")" "${guest_qemu[@]}"
	qt_stream "$log" "$QT_PID" "[$suite] " "$mode"
	qt_wait_pid "$QT_PID"
	wait "$QT_STREAM_PID" || true
	judge "$log" "$suite" "$QT_RC"
}

# Two guests joined by a qemu socket netdev.  The server guest boots first;
# the client boots once the server prints QTFS-SERVER-READY.  When the client
# is done it tells the server, which tears down, reports and powers off.
two_guests() {
	local srole=$1 crole=$2 slog=$QT_OUT/$suite-server.log clog=$QT_OUT/$suite-client.log
	local port tries spid cpid left
	for tries in 1 2 3 4 5; do
		port=$(qt_free_port)
		qt_log "suite $suite: booting server guest (netdev port $port), console in $slog"
		qt_start_guest "$slog" "$timeout_s" "$(qt_guest_args "role=$srole" trans=tcp net=server)" \
			-device virtio-net-pci,netdev=n0,mac=52:54:00:51:00:01 \
			-netdev "socket,id=n0,listen=127.0.0.1:$port"
		spid=$QT_PID
		sleep 1
		if ! kill -0 "$spid" 2>/dev/null && qt_find_line "$slog" 'Address already in use'; then
			wait "$spid" || true
			((tries < 5)) && continue
		fi
		break
	done
	qt_stream "$slog" "$spid" "[$suite server] " "$mode"
	local sstream=$QT_STREAM_PID
	while kill -0 "$spid" 2>/dev/null &&
		! qt_find_line "$slog" 'QTFS-SERVER-(READY|FAILED)' &&
		((SECONDS - start < timeout_s)); do
		sleep 1
	done
	if qt_find_line "$slog" 'QTFS-SERVER-READY' && kill -0 "$spid" 2>/dev/null; then
		left=$((timeout_s - (SECONDS - start)))
		qt_log "suite $suite: server ready after $((SECONDS - start)) s; booting client guest, console in $clog"
		qt_start_guest "$clog" "$left" "$(qt_guest_args "role=$crole" trans=tcp net=client \
			${QTFS_GUEST_PARTS:+"arg=$QTFS_GUEST_PARTS"})" \
			-device virtio-net-pci,netdev=n0,mac=52:54:00:51:00:02 \
			-netdev "socket,id=n0,connect=127.0.0.1:$port"
		cpid=$QT_PID
		qt_stream "$clog" "$cpid" "[$suite client] " "$mode"
		qt_wait_pid "$cpid"
		wait "$QT_STREAM_PID" || true
		judge "$clog" "$suite client" "$QT_RC"
	else
		qt_log "suite $suite: server guest not ready; client not run"
		failed=$((failed + 1))
	fi
	if ! qt_wait_pid "$spid" 120; then
		qt_log "suite $suite: server guest still running 120 s after the client; killing it"
		kill "$spid" 2>/dev/null || true
		qt_wait_pid "$spid"
	fi
	wait "$sstream" || true
	judge "$slog" "$suite server" "$QT_RC"
}

case $suite in
vsock | tcp) one_guest role=single "trans=$suite" ${QTFS_GUEST_PARTS:+"arg=$QTFS_GUEST_PARTS"} ;;
two) two_guests server client ;;
smoke) one_guest role=smoke ;;
smoke-two) two_guests smoke smoke ;;
selftest-warn | selftest-panic | selftest-noresult | selftest-watchdog)
	one_guest role=selftest "arg=${suite#selftest-}" ;;
selftest-hang) QTFS_GUEST_WATCHDOG=0 one_guest role=selftest arg=hang ;;
demo) one_guest role=demo trans=vsock ;;
demo-tcp) one_guest role=demo trans=tcp ;;
bench)
	# a host directory for the guest's 9p row, gone when the suite ends
	p9dir=$(mktemp -d "${TMPDIR:-/tmp}/qtfs-bench-9p.XXXXXX")
	trap 'qt_kill_started; rm -rf "$p9dir"' EXIT
	# shellcheck disable=SC2054 # commas separate qemu's suboptions
	guest_qemu=(-fsdev "local,id=p9,path=$p9dir,security_model=none"
		-device virtio-9p-pci,fsdev=p9,mount_tag=qtfsbench)
	one_guest role=bench trans=vsock ${QTFS_BENCH_MIB:+"arg=$QTFS_BENCH_MIB"}
	;;
*) usage ;;
esac

qt_log "suite $suite: finished in $((SECONDS - start)) s"
echo "suite $suite: $passed passed, $failed failed"
((failed == 0))
