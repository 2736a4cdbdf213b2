#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the debug kernel `make check-kasan` boots: Debian's
# linux-source-6.1 with x86_64_defconfig + kvm_guest.config + KASAN,
# lockdep (PROVE_LOCKING), kmemleak and DEBUG_ATOMIC_SLEEP.  The result is
# cached outside the clone in the layout the harness already uses for
# Debian's image, so that QTFS_KREL=<release> QTFS_KDIR=<tree> point every
# other script at it:
#
#   $cache/<release>/src/                      configured, built source tree (KDIR)
#   $cache/<release>/root/boot/vmlinuz-<release>
#   $cache/<release>/root/lib/modules/<release>/  its modules
#
# Prints "<release> <tree>" on stdout.  Takes ~20 min on 2 idle cores the
# first time; later runs only check that the image exists.
#
# Usage: test/vm/kasan-kernel.sh
set -euo pipefail

# shellcheck source=test/vm/lib.sh
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
localversion=-qtfs-kasan
[[ -f $tarball ]] || qt_die "$tarball missing (run test/vm/setup-host.sh)"

# The release is the source version plus our local version; read the
# version from the tarball's Makefile so that nothing is hard-coded.
ver=$(tar -xJOf "$tarball" linux-source-6.1/Makefile |
	awk -F' = ' 'NR <= 5 && /^VERSION/ {v=$2} NR <= 5 && /^PATCHLEVEL/ {p=$2}
		NR <= 5 && /^SUBLEVEL/ {s=$2} END {print v "." p "." s}')
[[ $ver =~ ^6\.1\.[0-9]+$ ]] || qt_die "cannot read the kernel version from $tarball"
rel=$ver$localversion
base=$(qt_cache_dir)/$rel
tree=$base/src
root=$base/root

if [[ -f $root/boot/vmlinuz-$rel && -f $tree/Module.symvers ]]; then
	printf '%s %s\n' "$rel" "$tree"
	exit 0
fi

mkdir -p "$base"
if [[ ! -f $tree/Makefile ]]; then
	qt_log "unpacking $tarball into $tree"
	rm -rf "$tree" "$base/linux-source-6.1"
	tar -C "$base" -xJf "$tarball"
	mv "$base/linux-source-6.1" "$tree"
fi

cd "$tree"
qt_log "configuring $rel"
make -s x86_64_defconfig
make -s kvm_guest.config
# The guest modules the harness loads stay modules (vsock); virtio is
# built in by kvm_guest.config, which mkinitramfs.sh accepts.
./scripts/config \
	--set-str LOCALVERSION "$localversion" -d LOCALVERSION_AUTO \
	-e KASAN -e KASAN_GENERIC -e KASAN_INLINE \
	-e PROVE_LOCKING -e DEBUG_ATOMIC_SLEEP \
	-e DEBUG_KMEMLEAK --set-val DEBUG_KMEMLEAK_MEM_POOL_SIZE 16000 \
	-d DEBUG_KMEMLEAK_AUTO_SCAN \
	-e DEBUG_FS \
	-m VSOCKETS -m VSOCKETS_LOOPBACK -m VIRTIO_VSOCKETS \
	-e CRYPTO_HMAC -e CRYPTO_SHA256 \
	-e MODULES -e MODULE_UNLOAD -d MODULE_SIG \
	-d DEBUG_INFO -d DEBUG_INFO_BTF -d DEBUG_INFO_DWARF5 \
	-e DEBUG_INFO_NONE -d WERROR
make -s olddefconfig
for opt in KASAN PROVE_LOCKING DEBUG_KMEMLEAK DEBUG_ATOMIC_SLEEP VSOCKETS_LOOPBACK; do
	grep -qE "^CONFIG_$opt=(y|m)$" .config || qt_die "CONFIG_$opt did not survive olddefconfig"
done

qt_log "building $rel (this takes a while)"
make -s -j"$(nproc)" bzImage modules
rm -rf "$root"
mkdir -p "$root/boot"
make -s INSTALL_MOD_PATH="$root" INSTALL_MOD_STRIP=1 modules_install
cp arch/x86/boot/bzImage "$root/boot/vmlinuz-$rel"
qt_log "debug kernel cached in $base"
printf '%s %s\n' "$rel" "$tree"
