# SPDX-License-Identifier: GPL-2.0
# Cross-host unix socket checks (sourced after common.sh): udsproxyd and
# libudsproxy.so carry connections made on the qtfs mount to the server's
# sockets, with the caller's identity, the whitelist and the server's own
# permission checks.
#
#   ipc_single        one guest: one udsproxyd is both sides (vsock CID 1
#                     or 127.0.0.1), the socket programs run in the share
#   ipc_server_side   two guests, server: udsproxyd and the socket programs
#   ipc_client_side   two guests, client: udsproxyd and the connect checks
#                     (the caller stops udsproxyd)

UDS_PORT=12123
UDS_SOCK=/run/qtfs/udsproxyd.sock
UDS_WL=/etc/qtfs/uds.whitelist
UDS_PID=
UDS_ARGS=
UDS_DIR=$SHARE/uds		# reachable: [Udsconnect]
UDS_NO=$SHARE/udsno		# beneath the export, not in [Udsconnect]
UDS_EXPORTS=$SHARE		# udsproxyd's [Mount] (the two-guest server adds
UDS_ALLOWED=$UDS_DIR		# ... libvirt's directory to both)
PRELOAD=/usr/lib/libudsproxy.so

# uds_start_cmd LOCAL PEER: udsproxyd with the documented positional line.
uds_start_cmd() {
	command -v udsproxyd >/dev/null || { echo "udsproxyd not in image"; return 1; }
	printf '[Mount]\nPath=%s\n[Udsconnect]\nPath=%s\n' "$UDS_EXPORTS" "$UDS_ALLOWED" >"$UDS_WL"
	UDS_ARGS="--whitelist $UDS_WL 1 $1 $UDS_PORT $2 $UDS_PORT"
	# shellcheck disable=SC2086
	udsproxyd $UDS_ARGS >>/tmp/udsproxyd.log 2>&1 &
	UDS_PID=$!
	_i=0
	until [ -S "$UDS_SOCK" ]; do
		if [ "$_i" -ge 50 ] || ! proc_alive "$UDS_PID"; then
			cat /tmp/udsproxyd.log
			return 1
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
}

uds_stop_cmd() {
	[ -n "$UDS_PID" ] || return 0
	stop_pid "$UDS_PID" || return 1
	wait "$UDS_PID"
	UDS_PID=
}

# serve_sock PATH [serve options]: a socket program on PATH, until the end.
serve_sock() {
	qtfs_udspeer serve "$@" >>/tmp/udspeer.log 2>&1 &
	_i=0
	until [ -S "$1" ]; do
		[ "$_i" -ge 50 ] && { cat /tmp/udspeer.log; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
}

# The server's sockets: stream, seqpacket and dgram for everyone, one only
# root may connect to, one outside [Udsconnect], and a file that is no
# socket.
uds_sockets_cmd() {
	mkdir -p "$UDS_DIR" "$UDS_NO" && chmod 755 "$UDS_DIR" "$UDS_NO" &&
		serve_sock "$UDS_DIR/s.sock" &&
		serve_sock "$UDS_DIR/q.sock" --seqpacket &&
		serve_sock "$UDS_DIR/g.sock" --dgram &&
		serve_sock "$UDS_DIR/priv.sock" --mode 600 &&
		serve_sock "$UDS_NO/d.sock" &&
		echo plain >"$UDS_DIR/plain"
}

# udspeer <expect...> -- <connect args...>: run a preloaded connect and
# require every expected text in its output.
udspeer() {
	_want=
	while [ "$1" != -- ]; do
		_want="$_want
$1"
		shift
	done
	shift
	_out=$(LD_PRELOAD=$PRELOAD qtfs_udspeer connect "$@" 2>&1)
	echo "$_out"
	printf '%s\n' "$_want" | while IFS= read -r _w; do
		[ -z "$_w" ] && continue
		case $_out in
		*"$_w"*) ;;
		*) echo "missing: $_w"; exit 1 ;;
		esac
	done
}

local_connect_cmd() {
	_out=$(qtfs_udspeer connect "$MNT/uds/s.sock" 2>&1)
	echo "$_out"
	[ "$_out" = "connect: ECONNREFUSED" ]
}

# A held connection ends (EOF or ECONNRESET, never a hang) when the
# udsproxyd carrying it stops; a restarted one serves new connections.
uds_restart_cmd() {
	LD_PRELOAD=$PRELOAD qtfs_udspeer connect "$MNT/uds/s.sock" --hold \
		>/tmp/hold.out 2>&1 &
	_h=$!
	_i=0
	until grep -q held /tmp/hold.out; do
		[ "$_i" -ge 100 ] && { cat /tmp/hold.out; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
	uds_stop_cmd || return 1
	_i=0
	while proc_alive "$_h"; do
		[ "$_i" -ge 100 ] && { echo "held connection still open"; kill "$_h"; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
	cat /tmp/hold.out
	grep -Eq '^end: (eof|ECONNRESET)$' /tmp/hold.out || return 1
	# shellcheck disable=SC2086
	set -- $UDS_ARGS
	uds_start_cmd "$4" "$6" &&
		udspeer "uid=0 gid=0" "stream: " -- "$MNT/uds/s.sock"
}

# The connect checks of the client side; the sockets are in the share.
ipc_connect_checks() {
	_s=$MNT/uds/s.sock
	step "uds stream as uid 1000: its identity, 4 MiB echoed" \
		udspeer "uid=1000 gid=1000" "stream: 4194304 bytes" -- "$_s" --uid 1000 --gid 1000
	step "uds stream as root" udspeer "uid=0 gid=0" "stream: " -- "$_s"
	step "uds seqpacket as uid 1001: boundaries kept" \
		udspeer "uid=1001 gid=1001" "seqpacket: 5 messages" -- \
		"$MNT/uds/q.sock" --seqpacket --uid 1001 --gid 1001
	step "uds dgram as uid 1000: its identity, datagrams kept whole" \
		udspeer "uid=1000 gid=1000" "dgram: 6 datagrams" -- \
		"$MNT/uds/g.sock" --dgram --uid 1000 --gid 1000
	step "uds SCM_RIGHTS of a file, dir, pipe, socket: EOPNOTSUPP, nothing sent" \
		udspeer "pass-fds: file, dir, pipe, socket refused" "stream: 4194304 bytes" -- \
		"$_s" --pass-fds
	step "uds stream socket by seqpacket: EPROTOTYPE" \
		udspeer "connect: EPROTOTYPE" -- "$_s" --seqpacket
	step "uds 0600 root socket: uid 1000 gets EACCES" \
		udspeer "connect: EACCES" -- "$MNT/uds/priv.sock" --uid 1000 --gid 1000
	step "uds 0600 root socket: root connects" \
		udspeer "uid=0 gid=0" -- "$MNT/uds/priv.sock"
	step "uds outside [Udsconnect]: EPERM" \
		udspeer "connect: EPERM" -- "$MNT/udsno/d.sock"
	step "uds a file that is no socket: ECONNREFUSED" \
		udspeer "connect: ECONNREFUSED" -- "$MNT/uds/plain"
	step "uds missing socket: ENOENT" \
		udspeer "connect: ENOENT" -- "$MNT/uds/none.sock"
	step "uds without the preload: the local kernel's ECONNREFUSED" local_connect_cmd
}

ipc_single() {
	heading "cross-host unix sockets ($QTFS_TRANS)"
	if [ "$QTFS_TRANS" = vsock ]; then
		_a=1
	else
		_a=127.0.0.1
	fi
	step "udsproxyd 1 $_a $UDS_PORT $_a $UDS_PORT" uds_start_cmd "$_a" "$_a" || return 1
	step "uds server sockets in the share" uds_sockets_cmd || return 1
	ipc_connect_checks
	step "uds udsproxyd restart: held connection ends, new ones work" uds_restart_cmd
	step "udsproxyd stop" uds_stop_cmd
}

# ipc_server_side LOCAL PEER: the server guest's half of the two-guest run.
ipc_server_side() {
	heading "cross-host unix sockets: server side"
	step "udsproxyd 1 $1 $UDS_PORT $2 $UDS_PORT" uds_start_cmd "$1" "$2" &&
		step "uds server sockets in the share" uds_sockets_cmd
}

# ipc_client_side LOCAL PEER: the connect checks across the two guests;
# udsproxyd keeps running for the libvirt checks.
ipc_client_side() {
	heading "cross-host unix sockets: client side"
	step "udsproxyd 1 $1 $UDS_PORT $2 $UDS_PORT" uds_start_cmd "$1" "$2" || return 1
	ipc_connect_checks
	step "uds udsproxyd restart: held connection ends, new ones work" uds_restart_cmd
	return 0
}
