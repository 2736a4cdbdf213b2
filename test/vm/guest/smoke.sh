#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "smoke": harness self-test without project artifacts.  Loads
# the vsock loopback and virtio-net modules; with qtfs_test.net=server|client
# the two guests also ping each other.
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh

step "modprobe vsock_loopback" modprobe vsock_loopback
step "modprobe virtio_net" modprobe virtio_net

# Project binaries that made it into the image must find their libraries.
libs_ok() {
	_ok=0
	for _b in /usr/bin/* /usr/lib/lib*.so*; do
		if [ ! -f "$_b" ] || [ -L "$_b" ]; then
			continue
		fi
		_out=$(/lib64/ld-linux-x86-64.so.2 --list "$_b" 2>&1)
		case $_out in
		*"not found"*) echo "$_b: $_out"; _ok=1 ;;
		*) echo "$_b: libraries ok" ;;
		esac
	done
	return $_ok
}
step "project binaries load" libs_ok
case $QTFS_NET in
server)
	net_up "$SERVER_IP" && serve_until_done
	;;
client)
	net_up "$CLIENT_IP" && step "ping server" ping_peer "$SERVER_IP"
	notify_server
	;;
esac
lsmod
finish
