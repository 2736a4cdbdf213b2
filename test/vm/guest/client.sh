#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "client" of the two-guest suite: qtfs.ko on 192.0.2.2 mounting
# the server guest's /srv/share over TCP, then the integration tests.
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh
# shellcheck source=test/vm/guest/ipc.sh
. /guest/ipc.sh

net_up "$CLIENT_IP" &&
	step "ping server" ping_peer "$SERVER_IP" &&
	client_start tcp "$SERVER_IP"
run_conform
run_itest "$SERVER_IP"
[ "$MOUNTED" = 1 ] && ipc_client_side "$CLIENT_IP" "$SERVER_IP"
client_stop
notify_server
finish
