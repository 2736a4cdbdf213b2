# SPDX-License-Identifier: GPL-2.0
# Peer checks of the single-guest suites (busybox ash, sourced after
# common.sh): hostile client and hostile server programs, the vsock CID
# filter and the pre-shared key.
# shellcheck shell=sh

HOSTILE_PORT=12400	# the fake server of qtfs_hostile_server
HOSTILE_MNT=/mnt/hostile
PROC_MNT=/mnt/qproc		# the server's /proc, mounted through qtfs
CORE_PATTERN=/proc/sys/kernel/core_pattern
HOSTILE_CLASSES="escape handles truncated oversized strings opcodes version prehello burst hellotimeout creds limits preauth proc dos"
# Classes that need a whitelist of their own, written by hostile_wl_<class>.
# They run without the mount probe, which their rules may not allow.
HOSTILE_WL_CLASSES="device link"
HOSTILE_SCENARIOS="short long overmax unknown-id dup-id huge-count huge-dirent errno-positive errno-big errno-restartsys error-with-payload reply-to-nothing garbage unsolicited wrong-opcode bad-hello readdir-same-cookie readdir-cookie-cycle setid-devices stop-reading"
# Scenarios of a fake server that knows the key of the client (TCP only):
# a man in the middle who spoils frame tags or strips FRAME_MAC.
HOSTILE_KEYED_SCENARIOS="tag-tampered tag-reflected tag-skipped tag-stripped"
# Test keys: 16 bytes each, in hex.
PSK1=00112233445566778899aabbccddeeff
PSK2=ffeeddccbbaa99887766554433221100

peer_addr() {
	if [ "$1" = vsock ]; then echo 1; else echo 127.0.0.1; fi
}

# log_bound <lines before> <pattern> <max>: at most <max> kernel log lines
# matching <pattern> were added since <lines before> were counted.
log_count() {
	dmesg | grep -c "$1"
}

log_has() {
	dmesg | grep -q -e "$1"
}

log_bound() {
	_now=$(log_count "$2")
	echo "$((_now - $1)) new lines matching '$2' (bound $3)"
	[ $((_now - $1)) -le "$3" ]
}

# [Device] only on hd_ok: CREATE of device nodes outside it
hostile_wl_device() {
	printf '[Mount]\nPath=%s;/proc\n[Device]\nPath=%s/hd_ok\n' "$SHARE" "$SHARE"
}

# [Read] only on hl_r and on hl_q/sub/x: LINK and RENAME into them
hostile_wl_link() {
	printf '[Mount]\nPath=%s;/proc\n[Device]\nPath=%s\n[Read]\nPath=%s/hl_r;%s/hl_q/sub/x\n' \
		"$SHARE" "$SHARE" "$SHARE" "$SHARE"
}

# hostile_wl_run <trans> <class>: the class under its own whitelist, then
# the suite's whitelist again.
hostile_wl_run() {
	_name="hostile client: $2 (own whitelist)"
	cp /etc/qtfs/whitelist /tmp/wl.hostile || { fail "$_name" "(no whitelist)"; return; }
	if "hostile_wl_$2" >/etc/qtfs/whitelist && qtinfo wl reload >/dev/null; then
		run_cases "$_name" 300 qtfs_hostile_client --trans "$1" \
			--addr "$(peer_addr "$1")" --port "$SRV_PORT" \
			--export "$SHARE" "$2"
	else
		fail "$_name" "(cannot install its whitelist)"
	fi
	if ! { cp /tmp/wl.hostile /etc/qtfs/whitelist && qtinfo wl reload >/dev/null; }; then
		fail "$_name" "(cannot restore the suite's whitelist)"
	fi
}

# ls -l of the qtfs mount of /proc shows the magic links' targets as
# readlink(2) on the server does (the same guest here).
proc_links_cmd() {
	_out=$(ls -l "$PROC_MNT/1/" 2>&1)
	_rc=$?
	_cwd=$(readlink "$PROC_MNT/1/cwd")
	_exe=$(readlink "$PROC_MNT/1/exe")
	echo "$_out" | grep -e ' cwd -> ' -e ' exe -> ' -e ' root -> '
	echo "cwd: '$_cwd', exe: '$_exe'"
	[ "$_rc" -eq 0 ] && [ -n "$_exe" ] &&
		[ "$_cwd" = "$(readlink /proc/1/cwd)" ] &&
		[ "$_exe" = "$(readlink /proc/1/exe)" ] &&
		echo "$_out" | grep -q " exe -> $_exe\$"
}

# While the real server and the mount are up: every attack class gets its
# exact error or a closed connection, and the mount keeps working.
hostile_client_steps() {
	heading "hostile client ($1)"
	_all=$(log_count 'qtfs_server: ')
	_pre=$(log_count 'before HELLO')
	for _c in $HOSTILE_CLASSES; do
		run_cases "hostile client: $_c" 300 qtfs_hostile_client \
			--trans "$1" --addr "$(peer_addr "$1")" --port "$SRV_PORT" \
			--export "$SHARE" --mnt "$MNT" "$_c"
	done
	for _c in $HOSTILE_WL_CLASSES; do
		hostile_wl_run "$1" "$_c"
	done
	proc_mount_steps
	# prehello alone provokes over 100 "before HELLO" warnings
	step "server warnings are ratelimited" log_bound "$_pre" 'before HELLO' 40
	step "server log stays bounded" log_bound "$_all" 'qtfs_server: ' 150
}

# as_user <cmd>: run a shell command as qtfs1 (uid/gid 1000) of the guest.
as_user() {
	su qtfs1 -c "$1"
}

# An unprivileged user of the qtfs mount of /proc reads core_pattern but
# cannot write it (the server checks euid); root of the client can.
proc_core_pattern_cmd() {
	_before=$(cat $CORE_PATTERN)
	_seen=$(as_user "cat $PROC_MNT/sys/kernel/core_pattern") &&
		[ "$_seen" = "$_before" ] ||
		{ echo "uid 1000 reads '$_seen', server has '$_before'"; return 1; }
	_out=$(as_user "echo '|/bin/false qtfs' >$PROC_MNT/sys/kernel/core_pattern" 2>&1)
	_rc=$?
	_after=$(cat $CORE_PATTERN)
	[ "$_after" = "$_before" ] ||
		{ echo "uid 1000 changed core_pattern to '$_after'"; echo "$_before" >$CORE_PATTERN; return 1; }
	[ $_rc != 0 ] || { echo "uid 1000 wrote core_pattern"; return 1; }
	case $_out in
	*"ermission denied"*) ;;
	*) echo "uid 1000 write failed, but not with EACCES: $_out"; return 1 ;;
	esac
	echo "$_before" >$PROC_MNT/sys/kernel/core_pattern ||
		{ echo "client root cannot write core_pattern"; return 1; }
}

proc_mount_steps() {
	mkdir -p $PROC_MNT
	step "mount the server's /proc" mount -t qtfs /proc $PROC_MNT || return
	step "uid 1000 cannot write core_pattern through qtfs" proc_core_pattern_cmd
	step "ls -l 1/ through qtfs shows link targets" proc_links_cmd
	step "umount the server's /proc" umount $PROC_MNT
}

# qtfs.ko mounts from a fake server that sends malformed replies.
hostile_server_steps() {
	heading "hostile server ($1)"
	mkdir -p "$HOSTILE_MNT"
	for _s in $HOSTILE_SCENARIOS; do
		run_cases "hostile server: $_s" 120 qtfs_hostile_server \
			--trans "$1" --addr "$(peer_addr "$1")" --port "$HOSTILE_PORT" \
			--mnt "$HOSTILE_MNT" "$_s"
	done
}

# The keyed scenarios, with qtfs.ko loaded with the key <hex>.
hostile_keyed_server_steps() {
	mkdir -p "$HOSTILE_MNT"
	for _s in $HOSTILE_KEYED_SCENARIOS; do
		run_cases "hostile keyed server: $_s" 120 qtfs_hostile_server \
			--trans tcp --addr 127.0.0.1 --port "$HOSTILE_PORT" \
			--mnt "$HOSTILE_MNT" --key "$1" "$_s"
	done
}

# mount_expect <ok|strerror text>: mount the share and check the outcome.
mount_expect() {
	_out=$(mount -t qtfs "$SHARE" "$MNT" 2>&1)
	_rc=$?
	if [ "$1" = ok ]; then
		[ "$_rc" -eq 0 ] || { echo "mount failed: $_out"; return 1; }
		ls "$MNT" >/dev/null && umount "$MNT"
		return
	fi
	if [ "$_rc" -eq 0 ]; then
		umount "$MNT"
		echo "mount succeeded, expected: $1"
		return 1
	fi
	echo "$_out"
	case $_out in
	*"$1"*) return 0 ;;
	esac
	echo "expected: $1"
	return 1
}

server_params() {
	if [ "$1" = vsock ]; then
		echo "qtfs_server_vsock_cid=1 qtfs_server_vsock_port=$SRV_PORT"
	else
		echo "qtfs_server_ip=127.0.0.1 qtfs_server_port=$SRV_PORT"
	fi
}

# peer_server_up <trans> [params...] [-- engine args...]: qtfs_server.ko
# with <params> and an engine (by default the harness's line, which names
# $ENGINE_PEER).
peer_server_up() {
	_t=$1
	shift
	_params=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_params="$_params $1"
		shift
	done
	[ "$1" = -- ] && shift
	# shellcheck disable=SC2046,SC2086 # word lists
	insmod "$EXTRA/qtfs_server.ko" $(server_params "$_t") $_params || return 1
	SERVER_MOD=1
	engine_start_cmd "$@"
}

peer_server_down() {
	engine_stop_cmd
	ENGINE_PID=
	rmmod qtfs_server && SERVER_MOD=0
}

# peer_client_up <trans> [params...]: qtfs.ko pointing at the server.
peer_client_up() {
	_t=$1
	shift
	# shellcheck disable=SC2046 # word list
	insmod "$EXTRA/qtfs.ko" $(server_params "$_t") "$@" || return 1
	CLIENT_MOD=1
}

peer_client_down() {
	rmmod qtfs && CLIENT_MOD=0
}

# peer_case <name> <trans> <mount outcome> <server args...>: a server
# started with <server args> (peer_server_up), a client module, and one
# mount with the expected outcome (mount_expect).
peer_case() {
	_pc_name=$1
	_pc_t=$2
	_pc_want=$3
	shift 3
	step "$_pc_name: server" peer_server_up "$_pc_t" "$@" &&
		step "$_pc_name: client module" peer_client_up "$_pc_t" &&
		step "$_pc_name: mount ${_pc_want}" mount_expect "$_pc_want"
	_pc_rc=$?
	[ "$CLIENT_MOD" = 1 ] && peer_client_down
	[ "$SERVER_MOD" = 1 ] && step "$_pc_name: server down" peer_server_down
	return $_pc_rc
}

insecure_warned() {
	grep "WARNING: --insecure" /tmp/engine.log &&
		log_has 'INSECURE (engine --insecure)'
}

REFUSED="Transport endpoint is not connected"

# vsock: only the peers the engine names (PEER_CID, --peer) and the CIDs of
# qtfs_server_allowed_cids are served; with none of them and no key, only
# an explicit --insecure serves anyone.
peer_vsock_steps() {
	heading "vsock peer restriction"
	step "CID list 'abc' refused" \
		sh -c "! insmod $EXTRA/qtfs_server.ko qtfs_server_allowed_cids=abc"
	step "CID VMADDR_CID_ANY refused" \
		sh -c "! insmod $EXTRA/qtfs_server.ko qtfs_server_allowed_cids=4294967295"
	step "CID 0 refused" \
		sh -c "! insmod $EXTRA/qtfs_server.ko qtfs_server_allowed_cids=0"
	# the documented command line serves its PEER_CID 10, not us (CID 1)
	peer_case "engine 16 1 2 12121 10 12121" vsock "$REFUSED" \
		-- 16 1 2 "$ENGINE_PORT" 10 "$ENGINE_PORT" &&
		step "refusal logged with the CID" log_has 'refusing vsock peer CID 1'
	peer_case "engine 16 1 2 12121 1 12121" vsock ok \
		-- 16 1 2 "$ENGINE_PORT" 1 "$ENGINE_PORT"
	peer_case "engine --peer 3 --peer 4" vsock "$REFUSED" \
		-- --threads 4 --peer 3 --peer 4
	peer_case "engine --peer 3 --peer 1" vsock ok \
		-- --threads 4 --peer 3 --peer 1
	peer_case "qtfs_server_allowed_cids=3,4, no engine peer" vsock "$REFUSED" \
		qtfs_server_allowed_cids=3,4 -- --threads 4
	peer_case "qtfs_server_allowed_cids=2,1, no engine peer" vsock ok \
		qtfs_server_allowed_cids=2,1 -- --threads 4
	_warn=$(log_count 'INSECURE (engine --insecure)')
	peer_case "engine --insecure" vsock ok -- --threads 4 --insecure
	step "--insecure start warned (engine and kernel log)" insecure_warned
	step "the kernel warned at that start" \
		test "$(log_count 'INSECURE (engine --insecure)')" -gt "$_warn"
}

# TCP test mode: PEER_CID and --peer take IPv4 addresses.
peer_tcp_steps() {
	heading "TCP peer restriction"
	peer_case "engine 4 1 1 12121 127.0.0.2 12121" tcp "$REFUSED" \
		-- 4 1 1 "$ENGINE_PORT" 127.0.0.2 "$ENGINE_PORT" &&
		step "refusal logged with the address" \
			log_has 'refusing tcp peer 127.0.0.1'
	peer_case "engine 4 1 1 12121 127.0.0.1 12121" tcp ok \
		-- 4 1 1 "$ENGINE_PORT" 127.0.0.1 "$ENGINE_PORT"
	peer_case "engine --peer 1 (a CID only)" tcp "$REFUSED" \
		-- --threads 4 --peer 1
	peer_case "engine --peer 10.0.0.1 --peer 127.0.0.1" tcp ok \
		-- --threads 4 --peer 10.0.0.1 --peer 127.0.0.1
}

# Every limit parameter refuses 0 and values beyond its range, at load and
# at run time, and keeps its value when a write is refused.  Entries are
# name:default:another valid value.
LIMIT_PARAMS="qtfs_sess_max_handles:4096:9 qtfs_server_max_handles:65536:9
qtfs_conn_max_inflight_bytes:8388608:2097152 qtfs_conn_max_preauth:64:9
qtfs_conn_max_preauth_per_peer:8:9"

limit_param_cmd() {
	_p=${1%%:*}
	_other=${1##*:}
	_def=${1#*:}
	_def=${_def%:*}
	for _v in 0 4294967295 99999999999 -1 abc; do
		if insmod "$EXTRA/qtfs_server.ko" "$_p=$_v" 2>/dev/null; then
			rmmod qtfs_server
			echo "insmod $_p=$_v succeeded"
			return 1
		fi
	done
	insmod "$EXTRA/qtfs_server.ko" || return 1
	_f=/sys/module/qtfs_server/parameters/$_p
	_rc=0
	[ "$(cat "$_f")" = "$_def" ] || { echo "$_p: default $(cat "$_f"), want $_def"; _rc=1; }
	for _v in 0 4294967295 abc; do
		if echo "$_v" >"$_f" 2>/dev/null; then
			echo "writing $_v to $_p succeeded"
			_rc=1
		fi
	done
	[ "$(cat "$_f")" = "$_def" ] || { echo "$_p: changed to $(cat "$_f")"; _rc=1; }
	{ echo "$_other" >"$_f" && [ "$(cat "$_f")" = "$_other" ]; } ||
		{ echo "$_p: $_other not taken"; _rc=1; }
	rmmod qtfs_server || return 1
	return $_rc
}

limit_param_steps() {
	heading "limit parameters"
	for _lp in $LIMIT_PARAMS; do
		step "${_lp%%:*}: 0 and huge values refused" limit_param_cmd "$_lp"
	done
}

key_hidden() {
	[ ! -e /sys/module/qtfs/parameters/qtfs_auth_key ] &&
		[ ! -e /sys/module/qtfs_server/parameters/qtfs_auth_key ] &&
		! dmesg | grep -qi -e "$PSK1" -e "$PSK2"
}

# TCP: the pre-shared key, proven both ways in HELLO, then a tag on every
# frame.
psk_steps() {
	heading "pre-shared key"
	step "key 'xyz' refused" sh -c "! insmod $EXTRA/qtfs.ko qtfs_auth_key=xyz"
	step "server key 'xyz' refused" \
		sh -c "! insmod $EXTRA/qtfs_server.ko qtfs_auth_key=xyz"
	step "key of 4 bytes refused" sh -c "! insmod $EXTRA/qtfs.ko qtfs_auth_key=00112233"
	step "key of odd length refused" sh -c "! insmod $EXTRA/qtfs.ko qtfs_auth_key=${PSK1}0"
	# the key alone is enough: the engine names no peer
	if step "keyed server, no peer named" peer_server_up tcp "qtfs_auth_key=$PSK1" \
		-- --threads 4; then
		step "same key" peer_client_up tcp "qtfs_auth_key=$PSK1" &&
			step "same key: mount works (tagged frames)" mount_expect ok
		run_cases "hostile client: framemac" 300 qtfs_hostile_client \
			--trans tcp --addr 127.0.0.1 --port "$SRV_PORT" \
			--export "$SHARE" --key "$PSK1" framemac
		[ "$CLIENT_MOD" = 1 ] && hostile_keyed_server_steps "$PSK1"
		[ "$CLIENT_MOD" = 1 ] && step "key is not shown" key_hidden
		[ "$CLIENT_MOD" = 1 ] && peer_client_down
		step "other key" peer_client_up tcp "qtfs_auth_key=$PSK2" &&
			step "other key: mount refused (EACCES)" mount_expect "Permission denied"
		[ "$CLIENT_MOD" = 1 ] && peer_client_down
		step "no key" peer_client_up tcp &&
			step "unkeyed client: mount refused (EACCES)" mount_expect "Permission denied"
		[ "$CLIENT_MOD" = 1 ] && peer_client_down
	fi
	[ "$SERVER_MOD" = 1 ] && step "server down" peer_server_down
	if step "unkeyed server" peer_server_up tcp; then
		step "keyed client" peer_client_up tcp "qtfs_auth_key=$PSK1" &&
			step "unauthenticated server refused (EACCES)" mount_expect "Permission denied"
		[ "$CLIENT_MOD" = 1 ] && peer_client_down
	fi
	[ "$SERVER_MOD" = 1 ] && step "server down" peer_server_down
	step "key never logged" key_hidden
}
