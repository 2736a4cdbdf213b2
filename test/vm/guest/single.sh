#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "single": client and server modules in one guest, talking over
# vsock loopback (CID 1) or TCP 127.0.0.1 (qtfs_test.trans=vsock|tcp).
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh
# shellcheck source=test/vm/guest/peers.sh
. /guest/peers.sh
# shellcheck source=test/vm/guest/ops.sh
. /guest/ops.sh
# shellcheck source=test/vm/guest/ipc.sh
. /guest/ipc.sh

# qtfs_fsx: 100,000 random operations on one file of the mount (read, write,
# truncate, fallocate, mapped read and write), checked against its model
# and at the end against the server's own copy of the file.
fsx_cmd() {
	qtfs_fsx --ops "${QTFS_FSX_OPS:-100000}" --check "$SHARE/fsx.file" "$MNT/fsx.file" &&
		rm "$MNT/fsx.file"
}

case $QTFS_TRANS in
vsock | tcp)
	server_start "$QTFS_TRANS" 127.0.0.1 &&
		client_start "$QTFS_TRANS" 127.0.0.1
	[ "$QTFS_TRANS" = vsock ] && part conform && run_conform
	part itest && run_itest 127.0.0.1
	if [ "$MOUNTED" = 1 ]; then
		if [ "$QTFS_TRANS" = vsock ] && part fsx; then
			heading "fsx"
			step "qtfs_fsx 100000 ops" fsx_cmd
		fi
		part hostile-client && hostile_client_steps "$QTFS_TRANS"
		part hostile-server && hostile_server_steps "$QTFS_TRANS"
		[ "$QTFS_TRANS" = vsock ] && part ops && ops_checks
		part ipc && ipc_single
		part lifecycle && server_lifecycle
	fi
	client_stop
	[ "$QTFS_TRANS" = vsock ] && [ "$CLIENT_MOD" = 0 ] && part ops && ops_client_gone
	server_stop
	if [ "$SERVER_MOD" = 0 ] && [ "$CLIENT_MOD" = 0 ]; then
		if [ "$QTFS_TRANS" = vsock ]; then
			part misconfig && ops_misconfig
			part peers && { peer_vsock_steps; limit_param_steps; }
		else
			part peers && { peer_tcp_steps; psk_steps; }
		fi
	fi
	;;
*)
	fail "transport" "(unknown qtfs_test.trans=$QTFS_TRANS)"
	;;
esac
finish
