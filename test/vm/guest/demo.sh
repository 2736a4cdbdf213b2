#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "demo": a narrated tour of qtfs in one guest.  Both modules
# are loaded; /srv/share is the server side, /mnt/qtfs the client side
# (transport from qtfs_test.trans, vsock loopback by default).
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh
# shellcheck source=test/vm/guest/ipc.sh
. /guest/ipc.sh
# shellcheck source=test/vm/guest/libvirt.sh
. /guest/libvirt.sh
# shellcheck source=test/vm/guest/rexec.sh
. /guest/rexec.sh

T=${QTFS_TRANS:-vsock}
[ "$T" = none ] && T=vsock

# show <command...>: echo a command like a shell prompt, then run it.
show() {
	echo "# $*"
	"$@"
}

# expect_file <path> <content>: cat a file and compare it.
expect_file() {
	show cat "$1" >/tmp/demo.out 2>&1
	cat /tmp/demo.out
	[ "$(tail -n1 /tmp/demo.out)" = "$2" ]
}

denied_mount() {
	mkdir -p /mnt/x
	echo "# mount -t qtfs /etc /mnt/x"
	if mount -t qtfs /etc /mnt/x 2>/tmp/demo.err; then
		echo "(unexpectedly mounted)"
		umount /mnt/x
		return 1
	fi
	cat /tmp/demo.err
	# busybox words EPERM as "permission denied (are you root?)"
	grep -qiE "not permitted|permission denied" /tmp/demo.err &&
		echo "(refused by the server with EPERM: /etc is under no [Mount] entry)"
}

heading "kernel $(uname -r), transport $T"
if [ "$T" = vsock ]; then
	step "modprobe vsock_loopback" show modprobe vsock_loopback
	srv_args="qtfs_server_vsock_cid=1 qtfs_server_vsock_port=$SRV_PORT"
	cli_args="qtfs_server_vsock_cid=1 qtfs_server_vsock_port=$SRV_PORT"
	ENGINE_PEER=1	# the client: this guest over vsock loopback
else
	srv_args="qtfs_server_ip=127.0.0.1 qtfs_server_port=$SRV_PORT"
	cli_args="qtfs_server_ip=127.0.0.1 qtfs_server_port=$SRV_PORT"
	ENGINE_PEER=127.0.0.1
fi

heading "server: load qtfs_server.ko"
# shellcheck disable=SC2086 # module parameters are separate words
step "insmod qtfs_server" show insmod_with_deps "$EXTRA/qtfs_server.ko" $srv_args &&
	SERVER_MOD=1

heading "server: whitelist and engine"
mkdir -p "$SHARE" /etc/qtfs "$LV_RUN" "$RX_RUN"
{
	for s in Open Write Read Readdir Mkdir Rmdir Create Unlink Rename Setattr Setxattr; do
		printf '[%s]\nPath=%s\n' "$s" "$SHARE"
	done
	# libvirtd's and rexec_server's sockets are shared too (below)
	printf '[Mount]\nPath=%s;%s;%s\n' "$SHARE" "$LV_RUN" "$RX_RUN"
} >/etc/qtfs/whitelist
show cat /etc/qtfs/whitelist
step "engine start" engine_start_cmd

heading "client: load qtfs.ko and mount the server's $SHARE"
# shellcheck disable=SC2086
step "insmod qtfs" show insmod_with_deps "$EXTRA/qtfs.ko" $cli_args && CLIENT_MOD=1
echo "# mount -t qtfs $SHARE $MNT"
step "mount" mount_retry && MOUNTED=1
show grep qtfs /proc/mounts

heading "client writes, server reads"
show sh -c "echo 'hello from the client' > $MNT/from-client.txt"
step "server sees client's file" expect_file "$SHARE/from-client.txt" "hello from the client"

heading "server writes, client reads"
show sh -c "echo 'hello from the server' > $SHARE/from-server.txt"
step "client sees server's file" expect_file "$MNT/from-server.txt" "hello from the server"

heading "client makes a directory and renames a file"
show mkdir "$MNT/dir"
show mv "$MNT/from-client.txt" "$MNT/dir/moved.txt"
step "server sees the rename" expect_file "$SHARE/dir/moved.txt" "hello from the client"

heading "ls -l on the client ($MNT)"
show ls -lR "$MNT"
heading "ls -l on the server ($SHARE)"
show ls -lR "$SHARE"

heading "a path outside the whitelist cannot be mounted"
step "mount of /etc refused" denied_mount

if command -v qtinfo >/dev/null; then
	heading "qtinfo"
	show qtinfo
fi

# virsh: libvirt's client, preloaded with libudsproxy.so, on the client side
demo_virsh() {
	show env LD_PRELOAD="$PRELOAD" virsh -c "qemu:///system?socket=$LV_MNT/libvirt-sock" "$@"
}

if command -v libvirtd >/dev/null; then
	heading "unix sockets across: virsh on the client drives libvirtd on the server"
	UDS_EXPORTS="$SHARE;$LV_RUN;$RX_RUN"
	UDS_ALLOWED="$LV_RUN;$RX_RUN"
	if [ "$T" = vsock ]; then
		_a=1
	else
		_a=127.0.0.1
	fi
	step "server: libvirtd, sockets in $LV_RUN" lv_start_cmd
	step "server: rexec_server, socket in $RX_RUN" rx_start_cmd
	echo "# udsproxyd 1 $_a $UDS_PORT $_a $UDS_PORT   (one daemon is both sides here)"
	step "udsproxyd" uds_start_cmd "$_a" "$_a"
	echo "# mount -t qtfs $LV_RUN $LV_MNT"
	step "client: mount the server's $LV_RUN" lv_mount_cmd
	step "virsh version" demo_virsh version
	step "virsh nodeinfo" demo_virsh nodeinfo
	step "virsh pool-define-as (a directory in the share)" \
		demo_virsh pool-define-as demo dir --target "$SHARE/pool"
	step "virsh pool-build" demo_virsh pool-build demo
	step "virsh pool-start" demo_virsh pool-start demo
	step "virsh vol-create-as" demo_virsh vol-create-as demo disk.img 1M
	step "virsh vol-list" demo_virsh vol-list demo
	show ls -l "$MNT/pool"
	demo_virsh pool-destroy demo && demo_virsh pool-undefine demo

	heading "rexec: run a binary on the server, from the client"
	echo "# mount -t qtfs $RX_RUN $RX_MNT"
	mkdir -p "$RX_MNT"
	step "client: mount the server's $RX_RUN" mount -t qtfs "$RX_RUN" "$RX_MNT"
	show cd "$MNT"
	step "rexec qemu-img create" \
		show rexec -T --socket "$RX_MNT/rexec.sock" /usr/bin/qemu-img create -f qcow2 disk.qcow2 16M
	step "rexec qemu-img info" \
		show rexec -T --socket "$RX_MNT/rexec.sock" /usr/bin/qemu-img info disk.qcow2
	cd /
	show ls -l "$SHARE/disk.qcow2"
	umount "$RX_MNT" "$LV_MNT"
	step "udsproxyd stop" uds_stop_cmd
	step "libvirtd stop" lv_stop_cmd
fi

heading "teardown"
if [ "$MOUNTED" = 1 ]; then
	step "umount" show umount "$MNT" && MOUNTED=0
fi
[ "$CLIENT_MOD" = 1 ] && step "rmmod qtfs" show rmmod qtfs
[ -n "$ENGINE_PID" ] && step "engine stop" engine_stop_cmd
[ "$SERVER_MOD" = 1 ] && step "rmmod qtfs_server" show rmmod qtfs_server
finish
