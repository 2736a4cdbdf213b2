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

# the engine serves the client guest only
ENGINE_PEER=$CLIENT_IP
if net_up "$SERVER_IP" && server_start tcp "$SERVER_IP"; then
	ipc_server_side "$SERVER_IP" "$CLIENT_IP"
	serve_until_done
	step "udsproxyd stop" uds_stop_cmd
else
	echo "QTFS-SERVER-FAILED"
fi
server_stop
finish
