#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "single": client and server modules in one guest, talking over
# vsock loopback (CID 1) or TCP 127.0.0.1 (qtfs_test.trans=vsock|tcp).
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh

case $QTFS_TRANS in
vsock | tcp)
	server_start "$QTFS_TRANS" 127.0.0.1 &&
		client_start "$QTFS_TRANS" 127.0.0.1
	[ "$QTFS_TRANS" = vsock ] && run_conform
	run_itest 127.0.0.1
	[ "$MOUNTED" = 1 ] && server_lifecycle
	client_stop
	server_stop
	;;
*)
	fail "transport" "(unknown qtfs_test.trans=$QTFS_TRANS)"
	;;
esac
finish
