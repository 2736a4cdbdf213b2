#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "client" of the two-guest suite: qtfs.ko on 192.0.2.2 mounting
# the server guest's /srv/share over TCP, then the integration tests.
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh
# shellcheck source=test/vm/guest/ipc.sh
. /guest/ipc.sh
# shellcheck source=test/vm/guest/libvirt.sh
. /guest/libvirt.sh
# shellcheck source=test/vm/guest/rexec.sh
. /guest/rexec.sh

net_up "$CLIENT_IP" &&
	step "ping server" ping_peer "$SERVER_IP" &&
	client_start tcp "$SERVER_IP"
part conform && run_conform
part itest && run_itest "$SERVER_IP"
if [ "$MOUNTED" = 1 ] && part ipc && ipc_client_side "$CLIENT_IP" "$SERVER_IP"; then
	lv_client_side
	rx_client_side
	step "udsproxyd stop" uds_stop_cmd
fi
client_stop
notify_server
finish
