#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare a Debian 12 host for the qtfs VM tests: install the packages the
# build and the harness need, then download and extract the Debian kernel
# image matching the installed linux-headers-amd64 into the cache
# ($QTFS_CACHE_DIR, default /var/cache/qtfs-test/<kernel release>/).
#
# Idempotent: when everything is present it only runs dpkg-query and stat,
# so it never touches apt on a prepared machine.
#
# Usage: test/vm/setup-host.sh [PACKAGE...]   (extra packages to install)
set -euo pipefail

# shellcheck source=test/vm/lib.sh
. "$(dirname "$0")/lib.sh"

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || qt_die "not root and no sudo: cannot install packages"
	SUDO=(sudo)
fi

apt_updated=0
apt_update() {
	if [[ $apt_updated -eq 0 ]]; then
		qt_log "apt-get update"
		"${SUDO[@]}" apt-get update -qq
		apt_updated=1
	fi
}

missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			printf '%s\n' "$p"
	done
}

install_pkgs() {
	local missing
	mapfile -t missing < <(missing_pkgs "$@")
	[[ ${#missing[@]} -eq 0 ]] && return 0
	apt_update
	qt_log "installing ${missing[*]}"
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_pkgs "${QT_HOST_PKGS[@]}" "$@"

krel=$(qt_krel)
kdir=$(qt_kdir)
[[ -f $kdir/Makefile ]] || install_pkgs "linux-headers-$krel"

# Fetch the image from the same source version as the headers so that the
# modules' vermagic and symbol CRCs match the kernel the guests boot.
root=$(qt_kimage_root)
if [[ ! -f $(qt_vmlinuz) ]]; then
	cache=$(qt_cache_dir)
	"${SUDO[@]}" mkdir -p "$cache"
	[[ -w $cache ]] || "${SUDO[@]}" chown "$(id -u):$(id -g)" "$cache"
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	chmod 755 "$tmp"
	# apt-get download drops privileges to _apt when it can write here.
	if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then
		chown _apt "$tmp"
	fi
	ver=$(dpkg-query -W -f='${Version}' "linux-headers-$krel")
	pkg=linux-image-$krel
	qt_log "downloading $pkg ($ver)"
	if ! (cd "$tmp" && apt-get download -qq "$pkg=$ver" 2>/dev/null) &&
		! (cd "$tmp" && apt-get download -qq "$pkg" 2>/dev/null); then
		apt_update
		(cd "$tmp" && { apt-get download -qq "$pkg=$ver" || apt-get download -qq "$pkg"; }) ||
			qt_die "cannot download $pkg; try: apt-get install --only-upgrade linux-headers-amd64"
	fi
	dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/root"
	[[ -f $tmp/root/boot/vmlinuz-$krel ]] || qt_die "$pkg has no /boot/vmlinuz-$krel"
	rm -rf "$root"
	mkdir -p "$(dirname "$root")"
	mv "$tmp/root" "$root"
	qt_log "kernel image cached in $root"
fi

# checkpatch.pl comes from the linux-source tarball; unpack its scripts once.
src=/usr/src/linux-source-6.1
if [[ ! -f $src/scripts/checkpatch.pl && -f $src.tar.xz ]]; then
	qt_log "unpacking scripts/ of $src.tar.xz"
	"${SUDO[@]}" tar -C /usr/src -xJf "$src.tar.xz" linux-source-6.1/scripts
fi
