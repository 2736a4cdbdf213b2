# SPDX-License-Identifier: GPL-2.0
# rexec across the two guests (sourced after common.sh and ipc.sh):
# rexec_server listens in /run/rexec on the server, which the engine
# exports and udsproxyd may reach; the client mounts it and runs rexec,
# whose connect goes through udsproxyd as the caller.
#
#   rx_server_side   server guest: rexec_server and its whitelist
#   rx_client_side   client guest: the rexec checks (udsproxyd running)

RX_RUN=/run/rexec		# rexec_server's socket directory (server)
RX_MNT=/mnt/rexec		# ... mounted on the client
RX_PROBE=/usr/local/bin/qtfs-rexec-probe
SPROC=/mnt/sproc		# the server's /proc, mounted on the client

# The probe copies stdin to stdout, says who runs it on stderr and exits
# 42: every stream, the identity and the status in one run.
rx_probe() {
	cat <<'EOF'
#!/bin/sh
cat
echo "stderr: uid=$(id -u) gid=$(id -g)" >&2
exit 42
EOF
}

rx_start_cmd() {
	command -v rexec_server >/dev/null || { echo "rexec_server not in image"; return 1; }
	mkdir -p /usr/local/bin /etc/rexec "$RX_RUN" || return 1
	rx_probe >"$RX_PROBE" || return 1
	chmod 755 "$RX_PROBE" || return 1
	printf '%s\n' /usr/bin/qemu-img "$RX_PROBE" /bin/sleep >/etc/rexec/whitelist
	rexec_server >/tmp/rexec_server.log 2>&1 &
	_i=0
	until [ -S "$RX_RUN/rexec.sock" ]; do
		if [ "$_i" -ge 100 ]; then
			cat /tmp/rexec_server.log
			return 1
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
}

rx_server_side() {
	heading "rexec: server side"
	step "rexec_server in $RX_RUN" rx_start_cmd
}

# rx <rexec args...>: rexec through the mount of the server's /run/rexec,
# from the client's mount of the share (the working directory's server
# path is the share).
rx() {
	(cd "$MNT" && rexec -T --socket "$RX_MNT/rexec.sock" "$@")
}

rx_mount_cmd() {
	mkdir -p "$RX_MNT" "$SPROC" && mount -t qtfs "$RX_RUN" "$RX_MNT" &&
		mount -t qtfs /proc "$SPROC" && [ -S "$RX_MNT/rexec.sock" ]
}

rx_qemu_img_create_cmd() {
	rm -f "$MNT/disk.qcow2"
	rx /usr/bin/qemu-img create -f qcow2 disk.qcow2 16M &&
		[ -s "$MNT/disk.qcow2" ]
}

rx_qemu_img_info_cmd() {
	_out=$(rx /usr/bin/qemu-img info disk.qcow2)
	_rc=$?
	echo "$_out"
	[ "$_rc" -eq 0 ] && echo "$_out" | grep -q 'file format: qcow2' &&
		echo "$_out" | grep -q 'virtual size: 16 MiB'
}

# stdin reaches the binary, stdout and stderr come back apart, and its
# status is rexec's; as uid 1000 it runs as uid 1000.
rx_stdio_cmd() {
	printf 'line one\nline two\n' >/tmp/rx.in
	su qtfs1 -c "cd $MNT && rexec -T --socket $RX_MNT/rexec.sock $RX_PROBE" \
		</tmp/rx.in >/tmp/rx.out 2>/tmp/rx.err
	_rc=$?
	echo "status $_rc; stdout: $(cat /tmp/rx.out); stderr: $(cat /tmp/rx.err)"
	[ "$_rc" -eq 42 ] && cmp -s /tmp/rx.in /tmp/rx.out &&
		grep -qx 'stderr: uid=1000 gid=1000' /tmp/rx.err
}

rx_denied_cmd() {
	rx /bin/cat </dev/null >/tmp/rx.out 2>&1
	_rc=$?
	cat /tmp/rx.out
	[ "$_rc" -eq 126 ]
}

# kill -TERM of rexec ends the remote process: its pid-map file names it,
# and the server's /proc (mounted here) shows it gone.
rx_kill_cmd() {
	# not through rx(): a backgrounded function is one more subshell
	(cd "$MNT" && exec rexec -T --socket "$RX_MNT/rexec.sock" /bin/sleep 600) </dev/null &
	_p=$!
	_i=0
	until [ -s "/var/run/rexec/pids/$_p" ]; do
		[ "$_i" -ge 100 ] && { echo "no pid-map file for $_p"; kill "$_p"; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
	_r=$(cat "/var/run/rexec/pids/$_p")
	echo "rexec $_p runs server pid $_r"
	[ -d "$SPROC/$_r" ] || { echo "$SPROC/$_r missing"; kill "$_p"; return 1; }
	kill -TERM "$_p"
	wait "$_p"
	_rc=$?
	_i=0
	while [ -d "$SPROC/$_r" ]; do
		[ "$_i" -ge 100 ] && { echo "server pid $_r still there"; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "rexec exit status $_rc"
	[ "$_rc" -eq 143 ] && ! [ -e "/var/run/rexec/pids/$_p" ]
}

rx_client_side() {
	heading "rexec: client side"
	step "mount the server's $RX_RUN and /proc" rx_mount_cmd || return 1
	step "rexec qemu-img create: the image is on the server" rx_qemu_img_create_cmd
	step "rexec qemu-img info" rx_qemu_img_info_cmd
	step "rexec as uid 1000: stdin, stdout, stderr, exit 42" rx_stdio_cmd
	step "rexec of a binary not in the whitelist: 126" rx_denied_cmd
	step "kill -TERM of rexec kills the server's process" rx_kill_cmd
	step "umount $RX_MNT and $SPROC" umount "$RX_MNT" "$SPROC"
}
