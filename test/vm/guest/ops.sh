# SPDX-License-Identifier: GPL-2.0
# Operations checks of the single-guest vsock suite (sourced by single.sh
# after common.sh): the whitelist per operation class, reloads, qtinfo, and
# the engine's misconfiguration errors.  Client and server share the guest,
# so a check can change the server's whitelist and look at both sides.
#
#   ops_checks       with the engine serving and $MNT mounted
#   ops_client_gone  after rmmod qtfs
#   ops_misconfig    after the server is torn down (module unloaded)

WL=/etc/qtfs/whitelist
WLD=$SHARE/wl			# server view of the test tree
CWD=$MNT/wl			# client view

# denied <cmd...>: the command fails with EPERM ("Operation not permitted").
denied() {
	_out=$("$@" 2>&1 </dev/null) && { echo "allowed: $*"; return 1; }
	case $_out in
	*"not permitted"*) return 0 ;;
	esac
	echo "failed, but not with EPERM: $* -> $_out"
	return 1
}

# allowed <cmd...>: the command succeeds.
allowed() {
	_out=$("$@" 2>&1 </dev/null) && return 0
	echo "refused: $* -> $_out"
	return 1
}

# wl_wait <text>: wait until `qtinfo wl list` has (or with -n, lacks) a line.
wl_wait() {
	_neg=0
	[ "$1" = -n ] && { _neg=1; shift; }
	_i=0
	while :; do
		if qtinfo wl list | grep -qx "$1"; then
			[ $_neg = 0 ] && return 0
		else
			[ $_neg = 1 ] && return 0
		fi
		[ $_i -ge 50 ] && { echo "wl list: $(qtinfo wl list | tr '\n' ' ')"; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
}

# The narrow whitelist: every class on $WLD/ok, a read-only directory ro,
# nothing on no (and okx shares ok's prefix but not its component).
wl_narrow() {
	{
		printf '# ops checks\n[Mount]\nPath=%s\n' "$SHARE"
		printf '[Open]\nPath=%s/ok;%s/ro\n' "$WLD" "$WLD"
		printf '[Read]\nPath=%s/ok;%s/ro\n' "$WLD" "$WLD"
		printf '[Readdir]\nPath=%s/ok;%s/ro\n' "$WLD" "$WLD"
		for _c in Write Create Mkdir Rmdir Unlink Rename Setattr Setxattr; do
			printf '[%s]\nPath=%s/ok\n' "$_c" "$WLD"
		done
		printf '[Device]\nPath=%s/ok/dev\n' "$WLD"
	} >"$1"
}

ops_setup_cmd() {
	rm -rf "$WLD"
	for _d in ok no ro okx; do
		mkdir -p "$WLD/$_d/sub" "$WLD/$_d/gone" || return 1
		echo "data $_d" >"$WLD/$_d/f" || return 1
		echo "link $_d" >"$WLD/$_d/l" || return 1
		echo "move $_d" >"$WLD/$_d/m" || return 1
	done
	cp "$WL" /tmp/wl.orig
	# before the narrow rules, everything below the export is allowed
	allowed cat "$CWD/no/f"
}

ops_reload_narrow_cmd() {
	wl_narrow "$WL" &&
		qtinfo wl reload &&
		qtinfo wl list | grep -qx "Device $WLD/ok/dev"
}

ops_open_read_cmd() {
	allowed cat "$CWD/ok/f" && allowed cat "$CWD/ro/f" &&
		denied cat "$CWD/no/f" &&
		denied cat "$CWD/okx/f"
}

ops_write_cmd() {
	allowed sh -c "echo more >>'$CWD/ok/f'" &&
		denied sh -c "echo more >>'$CWD/ro/f'" &&
		denied sh -c "echo more >>'$CWD/no/f'" &&
		[ "$(cat "$WLD/ro/f")" = "data ro" ]
}

ops_readdir_cmd() {
	allowed ls "$CWD/ok" && allowed ls "$CWD/ro" && denied ls "$CWD/no"
}

# ops without a section of their own still work anywhere in the export
ops_unlisted_cmd() {
	allowed stat "$CWD/no/f" && allowed stat -f "$CWD/no" &&
		allowed readlink -f "$CWD/no/f"
}

ops_create_cmd() {
	allowed touch "$CWD/ok/new" && denied touch "$CWD/no/new" &&
		denied touch "$CWD/ro/new" && [ ! -e "$WLD/no/new" ]
}

ops_mkdir_cmd() {
	allowed mkdir "$CWD/ok/d" && denied mkdir "$CWD/no/d" &&
		[ ! -e "$WLD/no/d" ]
}

ops_rmdir_cmd() {
	allowed rmdir "$CWD/ok/gone" && denied rmdir "$CWD/no/gone" &&
		[ -d "$WLD/no/gone" ]
}

ops_unlink_cmd() {
	allowed rm "$CWD/ok/new" && denied rm "$CWD/no/l" && [ -f "$WLD/no/l" ]
}

ops_setattr_cmd() {
	allowed chmod 600 "$CWD/ok/f" && denied chmod 600 "$CWD/no/f" &&
		denied truncate -s 0 "$CWD/ro/f" &&
		[ "$(stat -c %a "$WLD/no/f")" != 600 ]
}

# rename checks both names: allowed only when both are covered
ops_rename_cmd() {
	allowed mv "$CWD/ok/m" "$CWD/ok/m2" &&
		denied mv "$CWD/ok/m2" "$CWD/no/m2" &&
		denied mv "$CWD/no/m" "$CWD/ok/m3" &&
		[ -f "$WLD/ok/m2" ] && [ -f "$WLD/no/m" ] && [ ! -e "$WLD/no/m2" ]
}

# link checks both names against [Create]
ops_link_cmd() {
	allowed ln "$CWD/ok/l" "$CWD/ok/l2" &&
		denied ln "$CWD/no/l" "$CWD/ok/l3" &&
		denied ln "$CWD/ok/l" "$CWD/no/l4" &&
		[ ! -e "$WLD/ok/l3" ] && [ ! -e "$WLD/no/l4" ]
}

# device nodes: made and opened only under [Device]; qtfs_rawopen speaks
# the protocol itself, since the client kernel opens device nodes locally
ops_device_cmd() {
	mkdir -p "$WLD/ok/dev" &&
		allowed mknod "$CWD/ok/dev/null2" c 1 3 &&
		denied mknod "$CWD/ok/null3" c 1 3 &&
		denied mknod "$CWD/no/null3" c 1 3 &&
		denied ln "$CWD/ok/dev/null2" "$CWD/ok/null4" &&
		mknod "$WLD/ok/null5" c 1 3 &&
		allowed qtfs_rawopen vsock 1 "$SRV_PORT" "$SHARE" wl/ok/dev/null2 &&
		denied qtfs_rawopen vsock 1 "$SRV_PORT" "$SHARE" wl/ok/null5 &&
		allowed qtfs_rawopen vsock 1 "$SRV_PORT" "$SHARE" wl/ok/f
}

# A bad file is refused with its line; the old rules stay in force.
ops_reload_bad_cmd() {
	printf '[Mount]\nPath=%s\n[Open\nPath=/x\n' "$SHARE" >"$WL"
	_out=$(qtinfo wl reload 2>&1) && { echo "bad file reloaded: $_out"; return 1; }
	echo "$_out"
	echo "$_out" | grep -q "line 3" || return 1
	printf '[Mount]\nPath=%s\n\n[Open]\nPath=relative/dir\n' "$SHARE" >"$WL"
	_out=$(qtinfo wl reload 2>&1) && { echo "bad file reloaded: $_out"; return 1; }
	echo "$_out"
	echo "$_out" | grep -q "line 5" || return 1
	# the engine itself, on a plain SIGHUP, says the same and keeps the rules
	kill -HUP "$(cat /run/qtfs/engine.pid)" || return 1
	_i=0
	until grep -q "keeping the previous whitelist" /tmp/engine.log; do
		[ $_i -ge 50 ] && { tail -n 5 /tmp/engine.log; return 1; }
		sleep 0.1
		_i=$((_i + 1))
	done
	grep "line 5" /tmp/engine.log || return 1
	denied cat "$CWD/no/f" && allowed cat "$CWD/ok/f" &&
		qtinfo wl list | grep -qx "Device $WLD/ok/dev"
}

# A good file through a plain SIGHUP takes effect without a remount.
ops_reload_sighup_cmd() {
	cp /tmp/wl.orig "$WL" &&
		kill -HUP "$(cat /run/qtfs/engine.pid)" &&
		wl_wait -n "Device $WLD/ok/dev" &&
		allowed cat "$CWD/no/f"
}

# dropping the export from [Mount] cuts off the mounted session too
ops_mount_revoked_cmd() {
	printf '[Mount]\nPath=/srv/elsewhere\n' >"$WL" &&
		qtinfo wl reload &&
		denied cat "$CWD/ok/f" && denied ls "$CWD/ok" &&
		cp /tmp/wl.orig "$WL" && qtinfo wl reload &&
		allowed cat "$CWD/ok/f"
}

# wl add/del edit the file atomically and reload; bad input changes nothing
ops_wl_edit_cmd() {
	allowed qtinfo wl add Open "$WLD/ok/" &&
		grep -q "^Path=.*$WLD/ok" "$WL" &&
		wl_wait "Open $WLD/ok" &&
		denied cat "$CWD/no/f" && allowed cat "$CWD/ok/f" &&
		allowed qtinfo wl del Open "$WLD/ok" &&
		wl_wait -n "Open $WLD/ok" && allowed cat "$CWD/no/f" || return 1
	cp "$WL" /tmp/wl.before
	for _args in "add Bogus /x" "add Open relative" "add Open /a/../b" \
		"del Open" "frob" "add Open /a;/b"; do
		# shellcheck disable=SC2086 # split on purpose
		qtinfo wl $_args 2>/tmp/qtinfo.err
		_rc=$?
		[ $_rc = 2 ] || { echo "qtinfo wl $_args: exit $_rc, want 2"; return 1; }
		[ "$(wc -l </tmp/qtinfo.err)" = 1 ] ||
			{ echo "not one line:"; cat /tmp/qtinfo.err; return 1; }
	done
	qtinfo wl del Open /never/listed 2>/dev/null && return 1
	cmp "$WL" /tmp/wl.before
}

# stat_of <side> <OP> <field>: a counter from qtinfo's text output
stat_of() {
	qtinfo "$1" stats | sed -n "s/^op $2 .*$3=\([0-9]*\).*/\1/p" | head -n 1
}

ops_counters_cmd() {
	_cs=$(stat_of -c STATFS count) _ss=$(stat_of -s STATFS count)
	_ce=$(stat_of -c MKDIR errors) _se=$(stat_of -s MKDIR errors)
	for _i in 1 2 3 4 5 6 7; do
		stat -f "$MNT" >/dev/null || return 1
	done
	wl_narrow "$WL" && qtinfo wl reload >/dev/null || return 1
	for _i in 1 2 3; do
		mkdir "$CWD/no/e$_i" 2>/dev/null && return 1
	done
	cp /tmp/wl.orig "$WL" && qtinfo wl reload >/dev/null || return 1
	echo "STATFS client ${_cs:-0} -> $(stat_of -c STATFS count), server ${_ss:-0} -> $(stat_of -s STATFS count)"
	echo "MKDIR errors client ${_ce:-0} -> $(stat_of -c MKDIR errors), server ${_se:-0} -> $(stat_of -s MKDIR errors)"
	[ "$(stat_of -c STATFS count)" = $((${_cs:-0} + 7)) ] &&
		[ "$(stat_of -s STATFS count)" = $((${_ss:-0} + 7)) ] &&
		[ "$(stat_of -c MKDIR errors)" = $((${_ce:-0} + 3)) ] &&
		[ "$(stat_of -s MKDIR errors)" = $((${_se:-0} + 3)) ] &&
		[ "$(stat_of -s STATFS max_ns)" -gt 0 ]
}

ops_qtinfo_show_cmd() {
	qtinfo -s && qtinfo -c || return 1
	qtinfo -s version | grep -q "^version info=2 protocol=1\.1 " &&
		qtinfo -c version | grep -q "^version info=2 protocol=1\.1 " &&
		qtinfo -s conns | grep -q "^conn id=[0-9]* state=up protocol=1\.1 inflight=[0-9]* max_msg=[1-9]" &&
		qtinfo -c conns | grep -q "^conn id=[0-9]* state=up protocol=1\.1 .*peer=vsock:1:$SRV_PORT export=$SHARE\$" &&
		qtinfo -s | grep -qx "limits max_conn=16 max_preauth=64 max_preauth_per_peer=8 max_inflight_bytes=8388608 sess_max_handles=4096 max_handles=65536" &&
		! qtinfo -c | grep -q "^limits"
}

ops_qtinfo_json_cmd() {
	_j=$(qtinfo -s --json) || return 1
	echo "$_j" | head -c 300; echo
	_n=$(stat_of -s STATFS count)
	case $_j in
	'{"module":"qtfs_server","info_version":2,"protocol":"1.1",'*'"connections":[{"id":'*'"state":"up"'*) ;;
	*) echo "server JSON lacks fields"; return 1 ;;
	esac
	case $_j in
	*'"STATFS":{"count":'"$_n"',"errors":'*'}},"log_level":"'*'","limits":{"max_conn":16,'*',"max_handles":65536}}') ;;
	*) echo "server JSON: STATFS count $_n, log_level or limits missing"; return 1 ;;
	esac
	_j=$(qtinfo -c --json) || return 1
	case $_j in
	'{"module":"qtfs",'*'"export":"'"$SHARE"'"'*'"ops":{"HELLO":{"count":'*) ;;
	*) echo "client JSON lacks fields: $_j"; return 1 ;;
	esac
	qtinfo wl list --json 2>/dev/null && return 1
	qtinfo --json wl list | grep -q '^{"rules":\[{"class":"Mount","path":"'"$SHARE"'","options":""},{"class":"Mount","path":"/proc","options":""},{"class":"Device","path":"'"$SHARE"'"}\]}$'
}

ops_qtinfo_log_cmd() {
	_p=/sys/module/qtfs_server/parameters/qtfs_log_level
	if ! { qtinfo -s log DEBUG && [ "$(cat $_p)" = DEBUG ] &&
		[ "$(qtinfo -s log)" = "log_level DEBUG" ] &&
		qtinfo -s --json log | grep -q '"log_level":"DEBUG"}$' &&
		qtinfo -c log info &&
		[ "$(cat /sys/module/qtfs/parameters/qtfs_log_level)" = INFO ]; }; then
		echo "log level: server $(cat $_p), qtinfo says: $(qtinfo -s log)"
		return 1
	fi
	qtinfo -s log LOUD 2>/tmp/qtinfo.err
	_rc=$?
	cat /tmp/qtinfo.err
	[ $_rc = 2 ] && [ "$(cat $_p)" = DEBUG ] &&
		grep -q "invalid log level 'LOUD'" /tmp/qtinfo.err &&
		qtinfo -s log WARN && qtinfo -c log WARN
}

ops_checks() {
	heading "operations: whitelist, reload, qtinfo"
	command -v qtinfo >/dev/null || { fail "ops" "(qtinfo not in image)"; return; }
	step "ops setup" ops_setup_cmd || return
	step "qtinfo show, version, conns" ops_qtinfo_show_cmd
	step "qtinfo counters (7 STATFS, 3 MKDIR errors)" ops_counters_cmd
	step "qtinfo --json" ops_qtinfo_json_cmd
	step "qtinfo log level" ops_qtinfo_log_cmd
	step "whitelist reload (narrow)" ops_reload_narrow_cmd || return
	step "whitelist Open/Read" ops_open_read_cmd
	step "whitelist Write" ops_write_cmd
	step "whitelist Readdir" ops_readdir_cmd
	step "whitelist unlisted ops" ops_unlisted_cmd
	step "whitelist Create" ops_create_cmd
	step "whitelist Mkdir" ops_mkdir_cmd
	step "whitelist Rmdir" ops_rmdir_cmd
	step "whitelist Unlink" ops_unlink_cmd
	step "whitelist Setattr" ops_setattr_cmd
	step "whitelist Rename both ends" ops_rename_cmd
	step "whitelist Link both ends" ops_link_cmd
	step "whitelist Device" ops_device_cmd
	step "whitelist bad reload keeps rules" ops_reload_bad_cmd
	step "whitelist SIGHUP reload" ops_reload_sighup_cmd
	step "whitelist [Mount] revoked for a mounted session" ops_mount_revoked_cmd
	step "qtinfo wl add/del/list" ops_wl_edit_cmd
	cp /tmp/wl.orig "$WL"
	rm -rf "$WLD"
}

ops_client_gone() {
	heading "operations: qtinfo without qtfs.ko"
	step "qtinfo -c: module not loaded" ops_not_loaded_cmd -c "qtfs module not loaded"
}

# ops_not_loaded_cmd <qtinfo args> <message>
ops_not_loaded_cmd() {
	_out=$(qtinfo "$1" 2>&1) && { echo "qtinfo $1 succeeded: $_out"; return 1; }
	echo "$_out"
	[ "$(echo "$_out" | wc -l)" = 1 ] && echo "$_out" | grep -q "$2"
}

# engine_refused <message> <engine args...>: exits 1, one line naming it
engine_refused() {
	_msg=$1
	shift
	_out=$(timeout 20 engine "$@" 2>&1 </dev/null)
	_rc=$?
	echo "engine $*: exit $_rc: $_out"
	[ $_rc = 1 ] && echo "$_out" | grep -q "$_msg"
}

ops_bad_cid_cmd() {
	insmod "$EXTRA/qtfs_server.ko" qtfs_server_vsock_cid=77 || return 1
	engine_refused "qtfs_server_vsock_cid" --threads 1 --pidfile "" --peer 1
	_rc=$?
	rmmod qtfs_server && return $_rc
}

ops_port_in_use_cmd() {
	nc -l -p 12399 >/dev/null 2>&1 &
	_nc=$!
	wait_listen 12399 10 || { kill $_nc; return 1; }
	insmod "$EXTRA/qtfs_server.ko" qtfs_server_vsock_cid=1 \
		qtfs_server_ip=127.0.0.1 qtfs_server_port=12399 || { kill $_nc; return 1; }
	engine_refused "port in use" --threads 1 --pidfile "" --peer 1
	_rc=$?
	kill $_nc
	rmmod qtfs_server && return $_rc
}

# Secure by default: no peer, no key and no --insecure is no server at all.
ops_no_peer_cmd() {
	insmod "$EXTRA/qtfs_server.ko" qtfs_server_vsock_cid=1 || return 1
	engine_refused "no peer named and no qtfs_auth_key" --threads 1 --pidfile ""
	_rc=$?
	dmesg | grep -q "refusing to start: no peer named" || _rc=1
	rmmod qtfs_server && return $_rc
}

ops_unreadable_wl_cmd() {
	engine_refused "not a regular file" --whitelist /etc/qtfs --threads 1
}

# A bad export option: the engine names the file, line, option and path.
ops_bad_export_opt_cmd() {
	printf '# bad option\n[Mount]\nPath=/srv/share(root_squash,anonuid=-1)\n' >/tmp/wl.badopt
	engine_refused "whitelist /tmp/wl.badopt line 3: \[Mount\]: anonuid=-1 for /srv/share: not a number" \
		--whitelist /tmp/wl.badopt --threads 1
}

ops_misconfig() {
	heading "operations: misconfiguration"
	command -v qtinfo >/dev/null || return
	step "qtinfo: no module loaded" ops_not_loaded_cmd -s "qtfs_server module not loaded"
	step "qtinfo: neither module" ops_not_loaded_cmd show "no qtfs module loaded"
	step "engine: module missing" engine_refused "insmod qtfs_server.ko" --threads 1
	step "engine: unreadable whitelist" ops_unreadable_wl_cmd
	step "engine: bad export option" ops_bad_export_opt_cmd
	step "engine: bad vsock CID" ops_bad_cid_cmd
	step "engine: port in use" ops_port_in_use_cmd
	step "engine: no peer, no key, no --insecure" ops_no_peer_cmd
}
