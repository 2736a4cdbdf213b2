# SPDX-License-Identifier: GPL-2.0
# Shared functions of the guest role scripts (busybox ash, sourced).
# Variables here are used by the scripts that source this file.
# shellcheck disable=SC2034
#
# Result protocol on the console, parsed by test/vm/run-suite.sh:
#   QTFS-STEP RUN <name>: <command>   a lifecycle step starts
#   QTFS-STEP PASS <name>             ... and passed (counts 1 passed)
#   QTFS-STEP FAIL <name> [reason]    ... or failed (counts 1 failed)
#   QTFS-STEP SKIP <name> [reason]    not run because an earlier step failed
#   QTFS-RESULT: <p> passed, <f> failed   once, at the end: lifecycle steps
#                                     plus the Check counts of the itest

KREL=$(uname -r)
EXTRA=/lib/modules/$KREL/extra
SRV_PORT=12345		# qtfs_server listening port (vsock and tcp)
ENGINE_PORT=12121	# engine uds-proxy port
PEER_PORT=7000		# qtfs_testpeer control port
DONE_PORT=7099		# two guests: client tells server it is finished
SERVER_IP=192.0.2.1
CLIENT_IP=192.0.2.2
SHARE=/srv/share
MNT=/mnt/qtfs

PASSED=0
FAILED=0
SERVER_MOD=0
CLIENT_MOD=0
MOUNTED=0
ENGINE_PID=
PEER_PID=
ENGINE_PEER=	# the client the engine serves; server_start sets a default
WL_EXPORTS=	# more [Mount] paths of the engine's whitelist, ;-separated

echo "qtfs-guest: start of role $QTFS_ROLE" >/dev/kmsg

# Debug kernels (make check-kasan) have kmemleak: forget what boot left
# behind, so that the scan in finish() reports only what this role leaked.
KMEMLEAK=/sys/kernel/debug/kmemleak
if [ -w "$KMEMLEAK" ]; then
	echo scan >"$KMEMLEAK" && echo clear >"$KMEMLEAK"
fi

pass() {
	PASSED=$((PASSED + 1))
	echo "QTFS-STEP PASS $1"
}

fail() {
	FAILED=$((FAILED + 1))
	echo "QTFS-STEP FAIL $*"
}

skip() {
	echo "QTFS-STEP SKIP $*"
}

# part <name>: is this part of the suite to run?  qtfs_test.arg (set from
# QTFS_GUEST_PARTS on the host) names the parts for a focused run; empty
# runs them all.  Parts: conform itest fsx hostile-client hostile-server ops
# ipc lifecycle misconfig peers (single guest); conform itest ipc (the
# client of two guests; ipc includes libvirt).
part() {
	[ -z "$QTFS_ARG" ] && return 0
	case ",$QTFS_ARG," in
	*",$1,"*) return 0 ;;
	esac
	return 1
}

# step <name> <command...>: run a command as one counted step.
step() {
	_name=$1
	shift
	echo "QTFS-STEP RUN $_name: $*"
	if "$@"; then
		pass "$_name"
		return 0
	fi
	fail "$_name"
	return 1
}

heading() {
	echo
	echo "== $* =="
}

# proc_alive <pid>: true while the process exists and is not a zombie.
proc_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# wait_listen <port> <seconds>: wait for a TCP listener on <port>.
wait_listen() {
	_hex=$(printf ':%04X' "$1")
	_i=0
	while [ "$_i" -lt "$2" ]; do
		if awk -v p="$_hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
			END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
			return 0
		fi
		sleep 1
		_i=$((_i + 1))
	done
	return 1
}

# load_deps <ko>: load the modules <ko> needs so that a plain insmod works.
load_deps() {
	for _d in $(modinfo -F depends "$1" 2>/dev/null | tr ',' ' '); do
		modprobe "$_d" || return 1
	done
}

insmod_with_deps() {
	load_deps "$1" && insmod "$@"
}

# net_up <ip>: virtio-net eth0 with <ip>/24, waiting for the link.
net_up_cmd() {
	modprobe virtio_pci && modprobe virtio_net || return 1
	_i=0
	while [ ! -e /sys/class/net/eth0 ] && [ "$_i" -lt 10 ]; do
		sleep 1
		_i=$((_i + 1))
	done
	ip link set eth0 up && ip addr add "$1/24" dev eth0 || return 1
	_i=0
	while [ "$(cat /sys/class/net/eth0/operstate 2>/dev/null)" != up ]; do
		[ "$_i" -ge 20 ] && return 1
		sleep 1
		_i=$((_i + 1))
	done
}

net_up() {
	step "network eth0 $1" net_up_cmd "$1"
}

ping_peer() {
	_i=0
	until ping -c 1 -W 2 "$1" >/dev/null 2>&1; do
		[ "$_i" -ge 15 ] && return 1
		_i=$((_i + 1))
	done
	ping -c 3 "$1"
}

# The whitelist the engine serves from: test/itest/whitelist when the test
# engineer ships one, else the minimal one exporting $SHARE and /proc (the
# hostile checks attack the server through an exported /proc, as real
# deployments export it).  [Device] lets the conformance suite make and open
# device nodes in the share as on a local filesystem; the ops checks
# (ops.sh) test the class closed.
write_whitelist() {
	mkdir -p "$SHARE" /etc/qtfs
	if [ -f /usr/share/qtfs/itest.whitelist ]; then
		cp /usr/share/qtfs/itest.whitelist /etc/qtfs/whitelist
	else
		printf '[Mount]\nPath=%s;/proc%s\n[Device]\nPath=%s\n' "$SHARE" \
			"${WL_EXPORTS:+;$WL_EXPORTS}" "$SHARE" >/etc/qtfs/whitelist
	fi
}

# engine_start_cmd [engine args...]: start the engine in the background,
# by default with the documented positional line naming $ENGINE_PEER (the
# client: CID 1 over vsock loopback, its IPv4 address over TCP) as the one
# peer it serves.
engine_start_cmd() {
	command -v engine >/dev/null || { echo "engine not in image"; return 1; }
	[ $# -gt 0 ] || set -- 4 1 1 "$ENGINE_PORT" "$ENGINE_PEER" "$ENGINE_PORT"
	echo "engine $*"
	engine "$@" >/tmp/engine.log 2>&1 &
	ENGINE_PID=$!
	sleep 2
	if ! proc_alive "$ENGINE_PID"; then
		cat /tmp/engine.log
		return 1
	fi
}

testpeer_start_cmd() {
	command -v qtfs_testpeer >/dev/null || { echo "qtfs_testpeer not in image"; return 1; }
	qtfs_testpeer --root "$SHARE" --listen "$1:$PEER_PORT" --engine-pid "$ENGINE_PID" \
		>/tmp/testpeer.log 2>&1 &
	PEER_PID=$!
	if ! wait_listen "$PEER_PORT" 30; then
		cat /tmp/testpeer.log
		return 1
	fi
}

# server_start <vsock|tcp> <ip>: qtfs_server.ko, whitelist, engine, testpeer.
# The testpeer listens on <ip> (127.0.0.1 in single-guest runs).  The engine
# serves $ENGINE_PEER, by default the client of a single guest: CID 1 over
# vsock loopback, <ip> over TCP.
server_start() {
	_ip=$2
	heading "server setup ($1)"
	if [ "$1" = vsock ]; then
		step "modprobe vsock_loopback" modprobe vsock_loopback || return 1
		set -- "qtfs_server_vsock_cid=1" "qtfs_server_vsock_port=$SRV_PORT"
		: "${ENGINE_PEER:=1}"
	else
		set -- "qtfs_server_ip=$_ip" "qtfs_server_port=$SRV_PORT"
		: "${ENGINE_PEER:=$_ip}"
	fi
	step "insmod qtfs_server" insmod_with_deps "$EXTRA/qtfs_server.ko" "$@" || return 1
	SERVER_MOD=1
	write_whitelist
	step "engine start" engine_start_cmd || return 1
	step "testpeer start" testpeer_start_cmd "$_ip" || return 1
}

stop_pid() {
	kill -TERM "$1" 2>/dev/null
	_i=0
	while proc_alive "$1"; do
		if [ "$_i" -ge 15 ]; then
			echo "pid $1 ignored SIGTERM for 15 s"
			kill -KILL "$1" 2>/dev/null
			return 1
		fi
		sleep 1
		_i=$((_i + 1))
	done
}

# Stop the engine we started and any engine qtfs_testpeer restarted.  The
# exit status only counts when we are the ones stopping it: the testpeer may
# have killed it on purpose (server restart tests).
engine_stop_cmd() {
	_rc=0
	if proc_alive "$ENGINE_PID"; then
		stop_pid "$ENGINE_PID" || _rc=1
		wait "$ENGINE_PID"
		_st=$?
		if [ "$_st" -ne 0 ] && [ "$_st" -ne 143 ]; then
			echo "engine exited with status $_st on SIGTERM"
			_rc=1
		fi
	else
		wait "$ENGINE_PID"
	fi
	for _p in $(pidof engine); do
		stop_pid "$_p" || _rc=1
	done
	return $_rc
}

server_stop() {
	heading "server teardown"
	if [ -n "$PEER_PID" ]; then
		stop_pid "$PEER_PID" || fail "testpeer stop"
	fi
	if [ -n "$ENGINE_PID" ]; then
		step "engine stop" engine_stop_cmd
	fi
	if [ "$SERVER_MOD" = 1 ]; then
		step "rmmod qtfs_server" rmmod qtfs_server && SERVER_MOD=0
	fi
}

# The engine goes away and comes back: the mount must reconnect by itself
# and serve new operations (nothing is remounted).
engine_restart_cmd() {
	engine_stop_cmd || return 1
	echo before-restart >"$SHARE/restart-probe" || return 1
	engine_start_cmd
}

reconnect_cmd() {
	_i=0
	until [ "$(cat "$MNT/restart-probe" 2>/dev/null)" = before-restart ]; do
		[ "$_i" -ge 20 ] && return 1
		sleep 1
		_i=$((_i + 1))
	done
	echo after-restart >"$MNT/restart-probe" &&
		[ "$(cat "$SHARE/restart-probe")" = after-restart ] &&
		rm "$MNT/restart-probe"
}

# With the engine stopped and the module unloaded, operations fail (rather
# than hang) and the client still unmounts and unloads.
no_server_cmd() {
	! ls "$MNT" >/dev/null 2>&1
}

server_lifecycle() {
	heading "server restart and loss"
	step "engine restart" engine_restart_cmd || return 1
	step "client reconnects" reconnect_cmd
	step "engine stop (server gone)" engine_stop_cmd && ENGINE_PID=
	step "rmmod qtfs_server (client still mounted)" rmmod qtfs_server &&
		SERVER_MOD=0
	step "operations fail without a server" no_server_cmd
}

# devices=local: the conformance suite compares the mount with a local
# tmpfs, where device nodes open; the itest checks the default (none).
mount_retry() {
	mkdir -p "$MNT"
	_i=0
	until mount -t qtfs -o devices=local "$SHARE" "$MNT"; do
		[ "$_i" -ge 20 ] && return 1
		sleep 1
		_i=$((_i + 1))
	done
}

# client_start <vsock|tcp> <server ip>: qtfs.ko and the mount.
client_start() {
	heading "client setup ($1)"
	if [ "$1" = vsock ]; then
		set -- "qtfs_server_vsock_cid=1" "qtfs_server_vsock_port=$SRV_PORT"
	else
		set -- "qtfs_server_ip=$2" "qtfs_server_port=$SRV_PORT"
	fi
	step "insmod qtfs" insmod_with_deps "$EXTRA/qtfs.ko" "$@" || return 1
	CLIENT_MOD=1
	step "mount $SHARE $MNT" mount_retry || return 1
	MOUNTED=1
}

client_stop() {
	heading "client teardown"
	if [ "$MOUNTED" = 1 ]; then
		step "umount $MNT" umount "$MNT" && MOUNTED=0
	fi
	if [ "$CLIENT_MOD" = 1 ]; then
		step "rmmod qtfs" rmmod qtfs && CLIENT_MOD=0
	fi
}

# run_cases <name> <seconds> <command...>: run a test program that reports
# in test/lib's result style (a line per check and a last line
# "QTFS-CASES: <p> passed, <f> failed"); its counts join the guest's.  No
# summary line, or a failing exit status without failed checks, fails
# <name>.  Returns 0 when nothing failed.
run_cases() {
	_name=$1
	_secs=$2
	shift 2
	echo "QTFS-STEP RUN $_name: $*"
	rm -f /tmp/cases.rc
	{
		timeout "$_secs" "$@"
		echo $? >/tmp/cases.rc
	} 2>&1 | tee /tmp/cases.log
	_rc=$(cat /tmp/cases.rc 2>/dev/null || echo 255)
	# shellcheck disable=SC2046 # two numbers
	set -- $(sed -n 's/^QTFS-CASES: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
		/tmp/cases.log)
	if [ $# -ne 2 ]; then
		fail "$_name" "(no QTFS-CASES summary, exit status $_rc)"
		return 1
	fi
	PASSED=$((PASSED + $1))
	FAILED=$((FAILED + $2))
	if [ "$_rc" -ne 0 ] && [ "$2" -eq 0 ]; then
		fail "$_name" "(exit status $_rc without failed checks)"
		return 1
	fi
	[ "$2" -eq 0 ]
}

# run_itest <peer ip>: the Check integration suite.
run_itest() {
	heading "integration tests"
	if [ "$MOUNTED" != 1 ]; then
		fail "itest" "(not run: no mount)"
		return
	fi
	if ! command -v qtfs_itest >/dev/null; then
		fail "itest" "(qtfs_itest not in image)"
		return
	fi
	if ! run_cases itest "$QTFS_TIMEOUT" qtfs_itest --client "$MNT" \
		--peer "$1:$PEER_PORT" --server-root "$SHARE" &&
		! grep -q '^QTFS-CASES: ' /tmp/cases.log; then
		echo "blocked tasks:"
		echo w >/proc/sysrq-trigger
	fi
}

# Each class of bad arguments gets exit status 2 and changes nothing.
conform_bad_args_cmd() {
	for _args in "relative $MNT" "/nonexistent $MNT" "/etc/passwd $MNT" \
		"/tmp" "--bogus /tmp $MNT" "--case no-such-case /tmp $MNT"; do
		# shellcheck disable=SC2086 # split into arguments on purpose
		qtfs_conform $_args >/dev/null 2>&1
		_st=$?
		if [ "$_st" -ne 2 ]; then
			echo "qtfs_conform $_args: exit status $_st, not 2"
			return 1
		fi
	done
	! [ -e /tmp/qtfs_conform ] && ! [ -e "$MNT/qtfs_conform" ]
}

# run_conform: the POSIX conformance cases (test/conform) on a fresh local
# tmpfs, the reference (the export is a tmpfs too), and on the mount.  A
# case run counts as passed when it passes on both, so every difference
# between qtfs and tmpfs, and any case that fails on the reference, fails
# the suite.
run_conform() {
	heading "conformance (qtfs_conform)"
	if [ "$MOUNTED" != 1 ]; then
		fail "conform" "(not run: no mount)"
		return
	fi
	if ! command -v qtfs_conform >/dev/null; then
		fail "conform" "(qtfs_conform not in image)"
		return
	fi
	step "qtfs_conform rejects bad arguments" conform_bad_args_cmd
	mkdir -p /tmp/conform-ref
	if ! mount -t tmpfs -o mode=0755 tmpfs /tmp/conform-ref; then
		fail "conform" "(cannot mount the reference tmpfs)"
		return
	fi
	run_cases conform "$QTFS_TIMEOUT" qtfs_conform /tmp/conform-ref "$MNT"
	umount /tmp/conform-ref
}

# kmemleak_check: on a kmemleak kernel, scan and print every object leaked
# since the role started; the host fails the suite on "unreferenced object"
# lines.  (The objects of an unloaded module show bare addresses.)
kmemleak_check() {
	[ -w "$KMEMLEAK" ] || return 0
	heading "kmemleak"
	# an object must be unreferenced for a while before it is reported
	sleep 6
	# kmemleak reports an object only when two scans in a row find it
	# unreferenced
	echo scan >"$KMEMLEAK"
	echo scan >"$KMEMLEAK"
	_n=$(grep -c '^unreferenced object' "$KMEMLEAK")
	if [ "$_n" -gt 0 ]; then
		cat "$KMEMLEAK"
		fail "kmemleak" "($_n leaked objects)"
	else
		pass "kmemleak"
	fi
}

# Print logs of the daemons, the result line and the kernel log of this run.
finish() {
	kmemleak_check
	for _f in /tmp/engine.log /tmp/testpeer.log /tmp/udsproxyd.log /tmp/udspeer.log \
		/tmp/libvirtd.log /tmp/rexec_server.log; do
		if [ -s "$_f" ]; then
			heading "tail of $_f"
			tail -n 60 "$_f"
		fi
	done
	echo
	echo "QTFS-RESULT: $PASSED passed, $FAILED failed"
	heading "dmesg since start of role"
	dmesg | sed -n '/qtfs-guest: start of role/,$p'
}

# Two guests: tell the server guest that the client is finished.
notify_server() {
	_i=0
	until echo "done" | nc -w 5 "$SERVER_IP" "$DONE_PORT"; do
		[ "$_i" -ge 5 ] && { echo "could not notify the server guest"; return 1; }
		sleep 1
		_i=$((_i + 1))
	done
}

# Two guests: block until the client guest says it is finished.
serve_until_done() {
	nc -l -p "$DONE_PORT" >/tmp/done.msg &
	_nc=$!
	echo "QTFS-SERVER-READY"
	wait "$_nc"
	echo "client guest reported: $(cat /tmp/done.msg)"
}
