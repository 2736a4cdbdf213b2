#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "server" of the two-guest suite: qtfs_server.ko on 192.0.2.1
# (TCP), engine and qtfs_testpeer.  Prints QTFS-SERVER-READY, serves until the
# client guest reports it is done, then tears down and reports.
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh
# shellcheck source=test/vm/guest/ipc.sh
. /guest/ipc.sh
# shellcheck source=test/vm/guest/libvirt.sh
. /guest/libvirt.sh
# shellcheck source=test/vm/guest/rexec.sh
. /guest/rexec.sh

# the engine serves the client guest only
ENGINE_PEER=$CLIENT_IP
# libvirtd's and rexec_server's socket directories are exported too, and
# their sockets reachable
WL_EXPORTS="$LV_RUN;$RX_RUN"
UDS_EXPORTS="$SHARE;$LV_RUN;$RX_RUN"
UDS_ALLOWED="$UDS_DIR;$LV_RUN;$RX_RUN"
mkdir -p "$LV_RUN" "$RX_RUN"
if net_up "$SERVER_IP" && server_start tcp "$SERVER_IP"; then
	lv_server_side
	rx_server_side
	ipc_server_side "$SERVER_IP" "$CLIENT_IP"
	serve_until_done
	step "udsproxyd stop" uds_stop_cmd
	step "libvirtd stop" lv_stop_cmd
else
	echo "QTFS-SERVER-FAILED"
fi
server_stop
finish
