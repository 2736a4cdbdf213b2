#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the busybox initramfs the qtfs test guests boot.
#
# Usage: test/vm/mkinitramfs.sh [--allow-missing] [--libvirt] [--bench] [-o OUTPUT]
#
# Contents (guest paths):
#   /bin/busybox + applet links      busybox-static
#   /lib/modules/<krel>/kernel/...   vsock loopback + virtio-net and their deps,
#                                    from the cached Debian kernel image
#   /lib/modules/<krel>/extra/       qtfs.ko, qtfs_server.ko (depmod'ed)
#   /usr/bin/                        engine, qtinfo, every file listed in
#                                    test/itest/GUEST_BINARIES (+ shared libs;
#                                    lib*.so* entries go to /usr/lib)
#   /guest/*.sh                      role scripts from test/vm/guest/
#   /etc/qtfs/whitelist.sample       config/qtfs/whitelist
#   /usr/share/qtfs/itest.whitelist  test/itest/whitelist, if present
#   /init                            test/vm/init
#   with --libvirt: Debian's libvirtd, virsh, their qemu and storage
#   drivers (directory pools) and qemu-img, unmodified, from the host
#   with --bench: the peers make bench compares qtfs with: the 9p, 9pnet_virtio,
#   nfsd and nfsv4 modules, and Debian's rpc.nfsd, rpc.mountd, exportfs and
#   mount.nfs (NFSv4 only: no rpcbind, statd or idmapd)
#
# Without --allow-missing every project artifact (modules, engine) must exist;
# with it, missing ones are skipped (harness self-tests).  The staging tree
# is kept next to the archive when QTFS_KEEP_STAGE=1.  Prints the path of
# the uncompressed newc cpio archive (default test/vm/out/initramfs.cpio).
set -euo pipefail

# shellcheck source=test/vm/lib.sh
. "$(dirname "$0")/lib.sh"

allow_missing=0
libvirt=0
bench=0
out=$QT_OUT/initramfs.cpio
while [[ $# -gt 0 ]]; do
	case $1 in
	--allow-missing) allow_missing=1 ;;
	--libvirt) libvirt=1 ;;
	--bench) bench=1 ;;
	-o) out=$2; shift ;;
	*) qt_die "usage: $0 [--allow-missing] [--libvirt] [--bench] [-o OUTPUT]" ;;
	esac
	shift
done

krel=$(qt_krel)
kmods=$(qt_kmod_dir)
stage=$out.d
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,usr/lib,lib,etc/qtfs,usr/share/qtfs,dev,proc,sys,tmp,srv,mnt,run,root,guest}
mkdir -p "$stage/lib/modules/$krel/extra" "$stage/var"
ln -s lib "$stage/lib64"
ln -s ../run "$stage/var/run"

missing() {
	if [[ $allow_missing -eq 1 ]]; then
		qt_log "skipping missing $1"
	else
		qt_die "missing $1 (build first: make QTFS_TEST_MODE=1)"
	fi
}

# copy_libs <elf>: copy the shared libraries and the dynamic loader an ELF
# file needs, at the same paths they have on the host.
copy_libs() {
	local lib
	# ldd fails on static binaries; that is fine, there is nothing to copy.
	while read -r lib; do
		[[ -e $stage$lib ]] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done < <(ldd "$1" 2>/dev/null | grep -oE '/[^ ]+' | sort -u || true)
}

# install_bin <host path> <guest dir>
install_bin() {
	install -m 755 "$1" "$stage$2/${1##*/}"
	copy_libs "$1"
}

# busybox and its applets.
bb=$(command -v busybox) || qt_die "busybox not installed"
install_bin "$bb" /bin
while read -r applet; do
	[[ -e $stage/$applet ]] || ln -s /bin/busybox "$stage/$applet"
done < <("$bb" --list-full)

# Kernel modules: the roots below plus everything they depend on.
declare -A modpath=()
while read -r f; do
	n=${f##*/}
	n=${n%%.ko*}
	modpath[${n//-/_}]=$f
done < <(find "$kmods/kernel" -name '*.ko*')

declare -A builtin=()
if [[ -f $kmods/modules.builtin ]]; then
	while read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		builtin[${n//-/_}]=1
	done <"$kmods/modules.builtin"
fi

declare -A copied=()
add_module() {
	local name=${1//-/_} f dep
	[[ -n ${copied[$name]:-} ]] && return 0
	f=${modpath[$name]:-}
	# built into the kernel (the debug kernel of check-kasan builds virtio in)
	[[ -z $f && -n ${builtin[$name]:-} ]] && return 0
	[[ -n $f ]] || qt_die "kernel module $name not found in $kmods"
	copied[$name]=1
	mkdir -p "$stage/lib/modules/$krel/$(dirname "${f#"$kmods"/}")"
	cp "$f" "$stage/lib/modules/$krel/${f#"$kmods"/}"
	for dep in $(modinfo -F depends "$f" | tr ',' ' '); do
		add_module "$dep"
	done
}
for m in vsock_loopback vmw_vsock_virtio_transport_common vsock \
	virtio_pci virtio_pci_modern_dev virtio_pci_legacy_dev virtio virtio_ring \
	virtio_net net_failover failover; do
	add_module "$m"
done
# make bench: the 9p client of QEMU's virtio-9p, the NFS server and client
if [[ $bench -eq 1 ]]; then
	for m in 9p 9pnet_virtio nfsd nfsv4; do
		add_module "$m"
	done
fi

# Project modules; their in-tree dependencies come along too.
for ko in qtfs/qtfs.ko qtfs_server/qtfs_server.ko; do
	if [[ ! -f $QT_ROOT/$ko ]]; then
		missing "$ko"
		continue
	fi
	vm=$(modinfo -F vermagic "$QT_ROOT/$ko")
	[[ $vm == "$krel "* ]] ||
		qt_die "$ko was built for '${vm%% *}', the guests boot $krel (build with KDIR=$(qt_kdir))"
	cp "$QT_ROOT/$ko" "$stage/lib/modules/$krel/extra/"
	for dep in $(modinfo -F depends "$QT_ROOT/$ko" | tr ',' ' '); do
		add_module "$dep"
	done
done

for f in modules.builtin modules.builtin.modinfo modules.order; do
	[[ -f $kmods/$f ]] && cp "$kmods/$f" "$stage/lib/modules/$krel/"
done
depmod -b "$stage" "$krel"

# Project binaries.
if [[ -x $QT_ROOT/qtfs_server/engine/engine ]]; then
	install_bin "$QT_ROOT/qtfs_server/engine/engine" /usr/bin
else
	missing qtfs_server/engine/engine
fi
[[ -x $QT_ROOT/qtinfo/qtinfo ]] && install_bin "$QT_ROOT/qtinfo/qtinfo" /usr/bin

list=$QT_ROOT/test/itest/GUEST_BINARIES
if [[ -f $list ]]; then
	while read -r rel; do
		rel=${rel%%#*}
		rel=${rel//[[:space:]]/}
		[[ -z $rel ]] && continue
		if [[ ! -f $QT_ROOT/$rel ]]; then
			missing "$rel (listed in test/itest/GUEST_BINARIES)"
			continue
		fi
		case $(basename "$rel") in
		lib*.so*) install_bin "$QT_ROOT/$rel" /usr/lib ;;
		*) install_bin "$QT_ROOT/$rel" /usr/bin ;;
		esac
	done <"$list"
fi

# libvirt for the two-guest suite: the daemon loads its drivers as modules
# at these paths and finds its CPU maps in /usr/share/libvirt.
if [[ $libvirt -eq 1 ]]; then
	lvlib=/usr/lib/x86_64-linux-gnu/libvirt
	# qemu-system-x86_64 (and its TCG module): the qemu driver's
	# capabilities come from it
	for f in /usr/sbin/libvirtd /usr/bin/virsh /usr/bin/qemu-img \
		/usr/bin/qemu-system-x86_64 /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so \
		"$lvlib"/connection-driver/libvirt_driver_{qemu,storage}.so \
		"$lvlib"/storage-backend/libvirt_storage_backend_fs.so; do
		[[ -f $f ]] || qt_die "$f missing (run test/vm/setup-host.sh)"
		mkdir -p "$stage$(dirname "$f")"
		install_bin "$f" "$(dirname "$f")"
	done
	mkdir -p "$stage/usr/share/libvirt" "$stage/etc/libvirt" \
		"$stage/usr/share/seabios" "$stage/usr/share/qemu"
	cp -r /usr/share/libvirt/cpu_map "$stage/usr/share/libvirt/"
	# the firmware a QEMU "pc" machine loads, for virsh start
	cp -L /usr/share/seabios/bios-256k.bin "$stage/usr/share/seabios/"
	cp -L /usr/share/qemu/kvmvapic.bin "$stage/usr/share/qemu/"
fi

# NFSv4 userspace for make bench: nfsd needs rpc.mountd to answer its
# export upcalls, and libtirpc reads /etc/netconfig.
if [[ $bench -eq 1 ]]; then
	for f in /usr/sbin/rpc.nfsd /usr/sbin/rpc.mountd /usr/sbin/exportfs \
		/sbin/mount.nfs; do
		[[ -f $f ]] || qt_die "$f missing (run test/vm/setup-host.sh)"
		mkdir -p "$stage$(dirname "$f")"
		install_bin "$f" "$(dirname "$f")"
	done
	cp /etc/netconfig "$stage/etc/"
	mkdir -p "$stage/var/lib/nfs"
fi

# Configuration and guest scripts.
[[ -f $QT_ROOT/config/qtfs/whitelist ]] &&
	cp "$QT_ROOT/config/qtfs/whitelist" "$stage/etc/qtfs/whitelist.sample"
[[ -f $QT_ROOT/test/itest/whitelist ]] &&
	cp "$QT_ROOT/test/itest/whitelist" "$stage/usr/share/qtfs/itest.whitelist"
install -m 755 "$QT_VM_DIR/init" "$stage/init"
install -m 755 "$QT_VM_DIR"/guest/*.sh "$stage/guest/"

cat >"$stage/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
qtfs1:x:1000:1000:qtfs test user 1:/tmp:/bin/sh
qtfs2:x:1001:1001:qtfs test user 2:/tmp:/bin/sh
libvirt-qemu:x:64055:64055:libvirt qemu user:/nonexistent:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$stage/etc/group" <<'EOF'
root:x:0:
qtfs1:x:1000:
qtfs2:x:1001:
qtfsshared:x:1002:qtfs1,qtfs2
kvm:x:64056:
libvirt-qemu:x:64055:
nogroup:x:65534:
EOF
printf '127.0.0.1 localhost\n192.0.2.1 qtfs-server\n192.0.2.2 qtfs-client\n' >"$stage/etc/hosts"

# Without an initial console the kernel starts /init with no stdio; /init
# reopens /dev/console after mounting devtmpfs, so the node is optional.
[[ $(id -u) -eq 0 ]] && mknod -m 600 "$stage/dev/console" c 5 1

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --owner=0:0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
[[ -n ${QTFS_KEEP_STAGE:-} ]] || rm -rf "$stage"
printf '%s\n' "$out"
