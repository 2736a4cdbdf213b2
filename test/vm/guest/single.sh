#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "single": client and server modules in one guest, talking over
# vsock loopback (CID 1) or TCP 127.0.0.1 (qtfs_test.trans=vsock|tcp).
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh
# shellcheck source=test/vm/guest/peers.sh
. /guest/peers.sh

case $QTFS_TRANS in
vsock | tcp)
	server_start "$QTFS_TRANS" 127.0.0.1 &&
		client_start "$QTFS_TRANS" 127.0.0.1
	run_itest 127.0.0.1
	if [ "$MOUNTED" = 1 ]; then
		hostile_client_steps "$QTFS_TRANS"
		hostile_server_steps "$QTFS_TRANS"
		server_lifecycle
	fi
	client_stop
	server_stop
	if [ "$SERVER_MOD" = 0 ] && [ "$CLIENT_MOD" = 0 ]; then
		if [ "$QTFS_TRANS" = vsock ]; then
			cid_filter_steps
		else
			psk_steps
		fi
	fi
	;;
*)
	fail "transport" "(unknown qtfs_test.trans=$QTFS_TRANS)"
	;;
esac
finish
