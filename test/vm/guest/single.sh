#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "single": client and server modules in one guest, talking over
# vsock loopback (CID 1) or TCP 127.0.0.1 (qtfs_test.trans=vsock|tcp).
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh
# shellcheck source=test/vm/guest/ops.sh
. /guest/ops.sh

case $QTFS_TRANS in
vsock | tcp)
	server_start "$QTFS_TRANS" 127.0.0.1 &&
		client_start "$QTFS_TRANS" 127.0.0.1
	run_itest 127.0.0.1
	[ "$MOUNTED" = 1 ] && [ "$QTFS_TRANS" = vsock ] && ops_checks
	[ "$MOUNTED" = 1 ] && server_lifecycle
	client_stop
	[ "$QTFS_TRANS" = vsock ] && [ "$CLIENT_MOD" = 0 ] && ops_client_gone
	server_stop
	[ "$QTFS_TRANS" = vsock ] && [ "$SERVER_MOD" = 0 ] && ops_misconfig
	;;
*)
	fail "transport" "(unknown qtfs_test.trans=$QTFS_TRANS)"
	;;
esac
finish
