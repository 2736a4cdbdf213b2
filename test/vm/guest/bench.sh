#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest role "bench" (make bench): qtfs_bench over tmpfs (the local
# reference), over NFSv4.2 on loopback, over virtio-9p from the host and
# over qtfs on each transport, one "QTFS-BENCH" line per backend, and
# qtfs_rawbench over the bare transports, one "QTFS-BENCH-RAW" line each,
# for test/bench/run.sh to gather.  qtfs_test.arg gives the MiB of the
# sequential file (default 64).
# shellcheck source=test/vm/guest/common.sh
. /guest/common.sh
# shellcheck source=test/vm/guest/peers.sh
. /guest/peers.sh

BENCH_MIB=${QTFS_ARG:-64}
P9_TAG=qtfsbench	# mount_tag of the host directory (run-suite.sh)
P9_MNT=/mnt/9p
NFS_EXPORT=/srv/nfs
NFS_MNT=/mnt/nfs

# bench_on <label> <dir>: one backend's figures.
bench_on() {
	_line=$(qtfs_bench "$1" "$2" "$BENCH_MIB") || return 1
	echo "QTFS-BENCH $_line"
}

# raw_on <label> vsock|tcp: the bare transport's figures.
raw_on() {
	_line=$(qtfs_rawbench "$1" "$2" "$BENCH_MIB") || return 1
	echo "QTFS-BENCH-RAW $_line"
}

# bench_qtfs <label> <trans> [module params]: both modules, a mount, the
# figures, and everything down again.
bench_qtfs() {
	_label=$1 _trans=$2
	shift 2
	heading "bench: $_label"
	# the engine serves the client of this guest
	if [ "$_trans" = vsock ]; then
		ENGINE_PEER=1
	else
		ENGINE_PEER=127.0.0.1
	fi
	write_whitelist
	if step "$_label: server" peer_server_up "$_trans" "$@" &&
		step "$_label: client" peer_client_up "$_trans" "$@" &&
		step "$_label: mount" mount_retry; then
		MOUNTED=1
		step "$_label: qtfs_bench" bench_on "$_label" "$MNT"
		step "$_label: umount" umount "$MNT" && MOUNTED=0
	fi
	[ "$CLIENT_MOD" = 1 ] && step "$_label: client down" peer_client_down
	[ "$SERVER_MOD" = 1 ] && step "$_label: server down" peer_server_down
}

# 9p: the host directory run-suite.sh hands in as a virtio-9p device.
p9_mount() {
	# no hotplug agent in the guest: load the PCI transport by hand
	modprobe virtio_pci && modprobe 9pnet_virtio && modprobe 9p &&
		mkdir -p "$P9_MNT" &&
		mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 \
			"$P9_TAG" "$P9_MNT"
}

bench_9p() {
	heading "bench: 9p"
	step "9p: mount" p9_mount || return
	step "9p: qtfs_bench" bench_on 9p "$P9_MNT"
	step "9p: umount" umount "$P9_MNT"
}

# NFSv4.2 over loopback: nfsd exports a tmpfs directory; v4 needs only
# rpc.mountd (for nfsd's export upcalls) and rpc.nfsd, no rpcbind.  The
# grace period, at its 10 s minimum, is over before the figures start.
nfs_server_up() {
	modprobe nfsd && mkdir -p "$NFS_EXPORT" /var/lib/nfs/v4recovery &&
		mount -t nfsd nfsd /proc/fs/nfsd || return 1
	echo 10 >/proc/fs/nfsd/nfsv4leasetime &&
		echo 10 >/proc/fs/nfsd/nfsv4gracetime || return 1
	# tmpfs has no UUID to derive a file handle from: fsid= gives one
	echo "$NFS_EXPORT 127.0.0.1(rw,no_root_squash,no_subtree_check,fsid=1)" \
		>/etc/exports
	exportfs -r && rpc.mountd -N 3 --no-udp &&
		rpc.nfsd -N 3 --no-udp -p 2049 4
}

nfs_mount() {
	modprobe nfsv4 && mkdir -p "$NFS_MNT" &&
		mount.nfs "127.0.0.1:$NFS_EXPORT" "$NFS_MNT" -o vers=4.2 &&
		touch "$NFS_MNT/grace-probe" && rm "$NFS_MNT/grace-probe"
}

nfs_server_down() {
	rpc.nfsd 0 && killall rpc.mountd && exportfs -au
}

bench_nfs() {
	heading "bench: nfs4.2"
	if step "nfs4.2: server" nfs_server_up &&
		step "nfs4.2: mount" nfs_mount; then
		step "nfs4.2: qtfs_bench" bench_on nfs4.2 "$NFS_MNT"
		step "nfs4.2: umount" umount "$NFS_MNT"
	fi
	step "nfs4.2: server down" nfs_server_down
}

modprobe vsock_loopback
heading "bench: tmpfs"
mkdir -p "$SHARE"
# /srv is a tmpfs (see /init): the local reference
step "tmpfs: qtfs_bench" bench_on tmpfs "$SHARE"
bench_nfs
bench_9p
bench_qtfs qtfs-vsock vsock
bench_qtfs qtfs-tcp tcp
bench_qtfs qtfs-tcp-key tcp "qtfs_auth_key=$PSK1"
heading "bench: raw transports"
step "raw-vsock" raw_on raw-vsock vsock
step "raw-tcp" raw_on raw-tcp tcp
finish
