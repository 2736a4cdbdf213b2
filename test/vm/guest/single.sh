#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "single": client and server modules in one guest, talking over
# vsock loopback (CID 1) or TCP 127.0.0.1 (qtfs_test.trans=vsock|tcp).
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh

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
	[ "$QTFS_TRANS" = vsock ] && run_conform
	run_itest 127.0.0.1
	if [ "$QTFS_TRANS" = vsock ] && [ "$MOUNTED" = 1 ]; then
		heading "fsx"
		step "qtfs_fsx 100000 ops" fsx_cmd
	fi
	[ "$MOUNTED" = 1 ] && server_lifecycle
	client_stop
	server_stop
	;;
*)
	fail "transport" "(unknown qtfs_test.trans=$QTFS_TRANS)"
	;;
esac
finish
