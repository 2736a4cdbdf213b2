# SPDX-License-Identifier: GPL-2.0
# Debian's libvirt, unmodified, driven across the two guests (sourced after
# common.sh and ipc.sh): libvirtd runs on the server with its sockets in
# /run/libvirt, which the engine exports; the client mounts that directory
# with qtfs and runs virsh with libudsproxy.so preloaded, so that its
# connect(2) to the socket on the mount reaches the server's libvirtd
# through udsproxyd, as the calling user.
#
#   lv_server_side   server guest: libvirtd (before udsproxyd and engine)
#   lv_client_side   client guest: the virsh checks (udsproxyd running)

LV_RUN=/run/libvirt		# libvirtd's socket directory (server)
LV_MNT=/mnt/libvirt		# ... mounted on the client
LV_POOL=pool			# the storage pool's directory, in the share

# The sockets' permissions are libvirt's only check here (no polkit in the
# guests): read-write for root alone, read-only for everyone.
lv_conf() {
	cat <<'EOF'
unix_sock_group = "root"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "2:file:/tmp/libvirtd.log"
EOF
}

# The QEMU driver: QEMU as root (the guest has no libvirt-qemu files to
# own), no private /dev namespace, and its stdio to files (no virtlogd).
lv_qemu_conf() {
	cat <<'EOF'
user = "root"
group = "root"
namespaces = [ ]
stdio_handler = "file"
EOF
}

# A domain that needs nothing but QEMU and its firmware: no disk, no
# network, no display; it sits in the BIOS until destroyed.
lv_domain_xml() {
	cat <<'EOF'
<domain type='qemu'>
  <name>qtfsdom</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

lv_start_cmd() {
	command -v libvirtd >/dev/null || { echo "libvirtd not in image"; return 1; }
	mkdir -p /etc/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt \
		"$SHARE/$LV_POOL" || return 1
	lv_conf >/etc/libvirt/libvirtd.conf
	lv_qemu_conf >/etc/libvirt/qemu.conf
	qemu-system-x86_64 -version | head -n 1
	libvirtd -d || return 1
	_i=0
	until [ -S "$LV_RUN/libvirt-sock" ]; do
		if [ "$_i" -ge 120 ]; then
			tail -n 20 /tmp/libvirtd.log
			return 1
		fi
		sleep 1
		_i=$((_i + 1))
	done
}

lv_stop_cmd() {
	[ -f /run/libvirtd.pid ] || return 0
	stop_pid "$(cat /run/libvirtd.pid)"
}

# The reference for the client's check: libvirt's own refusal of uid 1000
# on the server itself.
lv_local_refused_cmd() {
	_out=$(su qtfs1 -c "virsh -c qemu:///system pool-list --all" 2>&1)
	_rc=$?
	echo "$_out"
	[ "$_rc" -ne 0 ] && echo "$_out" | grep -q 'Permission denied'
}

lv_server_side() {
	heading "libvirt: server side"
	step "libvirtd with its sockets in $LV_RUN" lv_start_cmd &&
		step "uid 1000 is refused the read-write socket locally" lv_local_refused_cmd
}

# lv_virsh <virsh args...>: virsh on the server's read-write socket.
lv_virsh() {
	LD_PRELOAD=$PRELOAD virsh -c "qemu:///system?socket=$LV_MNT/libvirt-sock" "$@"
}

# lv_expect <text> <virsh args...>: virsh succeeds and prints <text>.
lv_expect() {
	_want=$1
	shift
	_out=$(lv_virsh "$@" 2>&1)
	_rc=$?
	echo "$_out" | head -n 20
	[ "$_rc" -eq 0 ] || { echo "virsh $*: exit status $_rc"; return 1; }
	case $_out in
	*"$_want"*) return 0 ;;
	esac
	echo "missing: $_want"
	return 1
}

lv_mount_cmd() {
	mkdir -p "$LV_MNT" && mount -t qtfs "$LV_RUN" "$LV_MNT" &&
		[ -S "$LV_MNT/libvirt-sock" ]
}

# The volume is a file of the server's disk: the client sees it through
# the mount of the share, with the size virsh gave it.
lv_vol_seen_cmd() {
	_f=$MNT/$LV_POOL/v1.img
	ls -l "$_f" && [ "$(stat -c %s "$_f")" -eq 1048576 ]
}

lv_vol_gone_cmd() {
	! [ -e "$MNT/$LV_POOL/v1.img" ]
}

# A user other than root cannot open the read-write socket, across hosts as
# on the server itself: udsproxyd connects as that user.
lv_user_refused_cmd() {
	_out=$(su qtfs1 -c "LD_PRELOAD=$PRELOAD virsh -c 'qemu:///system?socket=$LV_MNT/libvirt-sock' pool-list --all" 2>&1)
	_rc=$?
	echo "$_out"
	[ "$_rc" -ne 0 ] && echo "$_out" | grep -q 'Permission denied'
}

# ... but the read-only socket serves it.
lv_user_ro_cmd() {
	_out=$(su qtfs1 -c "LD_PRELOAD=$PRELOAD virsh -r -c 'qemu:///system?socket=$LV_MNT/libvirt-sock-ro' nodeinfo" 2>&1)
	_rc=$?
	echo "$_out"
	[ "$_rc" -eq 0 ] && echo "$_out" | grep -q 'CPU(s):'
}

lv_client_side() {
	heading "libvirt: virsh on the client, libvirtd on the server"
	step "mount the server's $LV_RUN on $LV_MNT" lv_mount_cmd || return 1
	step "virsh version" lv_expect "Running hypervisor: QEMU" version
	step "virsh nodeinfo" lv_expect "CPU(s):" nodeinfo
	step "virsh capabilities" lv_expect "<capabilities>" capabilities
	step "virsh pool-define-as (dir, in the share)" lv_expect "defined" \
		pool-define-as qtfspool dir --target "$SHARE/$LV_POOL"
	step "virsh pool-build" lv_expect "built" pool-build qtfspool
	step "virsh pool-start" lv_expect "started" pool-start qtfspool
	step "virsh vol-create-as" lv_expect "created" vol-create-as qtfspool v1.img 1M
	step "virsh vol-list" lv_expect "$SHARE/$LV_POOL/v1.img" vol-list qtfspool
	step "the volume is on the server's disk" lv_vol_seen_cmd
	step "virsh vol-delete" lv_expect "deleted" vol-delete v1.img --pool qtfspool
	step "the volume is gone from the server" lv_vol_gone_cmd
	step "virsh pool-destroy" lv_expect "destroyed" pool-destroy qtfspool
	step "virsh pool-undefine" lv_expect "undefined" pool-undefine qtfspool
	lv_domain_xml >/tmp/qtfsdom.xml
	step "virsh define (a minimal domain)" lv_expect "defined" define /tmp/qtfsdom.xml
	step "virsh start: QEMU runs on the server" lv_expect "started" start qtfsdom
	step "virsh domstate" lv_expect "running" domstate qtfsdom
	step "virsh destroy" lv_expect "destroyed" destroy qtfsdom
	step "virsh undefine" lv_expect "undefined" undefine qtfsdom
	step "uid 1000 is refused the read-write socket" lv_user_refused_cmd
	step "uid 1000 reads through the read-only socket" lv_user_ro_cmd
	step "umount $LV_MNT" umount "$LV_MNT"
}
