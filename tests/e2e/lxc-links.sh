#!/bin/sh
# H1 of the security audit: root in a container plants symbolic links in
# its root folder, and the next routine apply must not follow them into
# the host.  The server (the LXC host) is a privileged container that
# nests, as in isolation-lxc.sh, reached over SSH; the lxc step alone
# (--only lxc) makes its containers.  Then, in two of them:
#  - running ($P-proxy): /etc/network and /etc/systemd become absolute
#    links to a stand-in folder the test makes on the server (from the
#    server they lead there; in the container to a decoy of the same
#    path).  apply writes interfaces and masks sshd inside the container,
#    so the decoy gets them and the server's stand-in does not;
#  - stopped ($P-hmis): the same links; apply refuses to write through
#    them from the host, says why, and fails.
# Each time the stand-in files, the server's own network configuration
# and its sshd are as before.  The containers are unprivileged, and one
# made privileged (as by an older version) is converted by a restart.  Without the fix the stand-in's interfaces
# is replaced (kept as .prev) and its ssh.service masked.
. "$(dirname "$0")/lib.sh"
need_root
lxc_usable || skip_all "lxc is not installed and cannot be installed"
[ -x "$D2S" ] || skip_all "build dhis2-setup first"
command -v iptables >/dev/null 2>&1 || skip_all "no iptables"
[ -f /usr/share/lxc/config/nesting.conf ] || skip_all "no LXC nesting.conf"

P=$E2E_PREFIX			# the product's containers: $P-proxy, ...
H=$E2E_PREFIX-server		# the server, a container of this machine
HA=$E2E_NET.2
IBR=d2slinks
INET=10.198.${E2E_NET##*.}
NEST="lxc.include = /usr/share/lxc/config/nesting.conf
lxc.apparmor.profile = unconfined
lxc.mount.auto = cgroup:mixed:force"
SI=/srv/d2s-standin		# the stand-in of the host's /etc, on the server

on_host() { lxc-attach -n "$H" -- "$@"; }
in_ct() { c=$1; shift; lxc-attach -n "$H" -- lxc-attach -n "$c" -- "$@"; }

make_client_key
bridge_up || skip_all "cannot create bridge $E2E_BRIDGE"
container_create "$H" 2 "$NEST" ||
	{ not_ok "create the server container"; diag "$(tail "$E2E_TMP/$H.create.log")"; done_testing; exit 1; }
check "the server boots systemd and sshd" container_wait "$H" 2 ||
	{ done_testing; exit 1; }
container_known_host "$H" 2 > "$E2E_TMP/known_hosts"

PF="$E2E_TMP/links.yaml"
FQDN=dhis.e2e.test
stack_profile "$PF" "$HA" nginx "  mode: self-signed" \
    "$(stack_instance hmis 2.42 1GB "http://$E2E_NET.1:9/dhis.war" \
    0000000000000000000000000000000000000000000000000000000000000000)" \
    "$(lxc_isolation "$IBR" "$INET" "$P")"
"$D2S" -q secrets generate "$PF" >/dev/null
run() {		# LOG [ARGS]: apply --only lxc, here, on the server
	log=$1; shift
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --only lxc "$@" "$PF" > "$log" 2>&1
}

# The template's cache from this machine, when it has one: what is proven
# here is not a fresh server's debootstrap (isolation-lxc.sh does that).
SROOT=$(lxc-info -n "$H" -c lxc.rootfs.path | sed 's/.*= *//; s/^dir://')
CACHE=/var/cache/lxc/debian/rootfs-$E2E_RELEASE-$(dpkg --print-architecture)
if [ -d "$CACHE" ] && [ -d "$SROOT" ]; then
	mkdir -p "$SROOT/var/cache/lxc/debian" &&
	    cp -a "$CACHE" "$SROOT/var/cache/lxc/debian/" &&
	    diag "the server has this machine's template cache"
fi
t0=$(date +%s)
run "$E2E_TMP/apply.1"; rc=$?
diag "lxc step on a fresh server: $(( $(date +%s) - t0 )) s"
check "apply --only lxc makes the containers (exit $rc)" [ $rc -eq 0 ] ||
	{ diag "$(grep -v '^\s*$' "$E2E_TMP/apply.1" | tail -30)"; done_testing; exit 1; }
unprivileged() {	# root in each container is not root on the server
	for c in proxy hmis postgres; do
		m=$(on_host sh -c 'awk "NR == 1 {print \$1, \$2}" /proc/$(lxc-info -n "$1" -pH)/uid_map' sh "$P-$c")
		[ "$m" != "0 0" ] && [ -n "$m" ] || return 1
	done
}
check "the containers are unprivileged (lxc.idmap, root's /etc/subuid range)" unprivileged
check "root's ranges are reserved in /etc/subuid and /etc/subgid" \
    on_host sh -c 'grep -q "^root:[0-9]*:65536$" /etc/subuid && grep -q "^root:[0-9]*:65536$" /etc/subgid'
ROOT=$(on_host lxc-info -n "$P-proxy" -c lxc.rootfs.path | sed 's/.*= *//; s/^dir://')
ROOT2=$(on_host lxc-info -n "$P-hmis" -c lxc.rootfs.path | sed 's/.*= *//; s/^dir://')
check "the containers' root folders are known ($ROOT, $ROOT2)" \
    on_host test -d "$ROOT/etc" -a -d "$ROOT2/etc"

# The stand-in: what the host's /etc/network and /etc/systemd hold.
on_host sh -c 'mkdir -p "$1/etc/network" "$1/etc/systemd/system/multi-user.target.wants" &&
    printf "auto eth0\niface eth0 inet static # the host stand-in\n" > "$1/etc/network/interfaces" &&
    ln -sfn /lib/systemd/system/ssh.service "$1/etc/systemd/system/multi-user.target.wants/ssh.service"' \
    sh "$SI"
# host_state: the stand-in's files and the server's own, for before/after
host_state() {
	on_host sh -c 'cd "$1" && find . -printf "%p %y %l\n" | sort &&
	    sha256sum etc/network/interfaces;
	    sha256sum /etc/network/interfaces /etc/resolv.conf 2>&1;
	    ls -l /etc/systemd/system/ssh.service 2>&1;
	    ls /etc/systemd/system/multi-user.target.wants/ 2>&1' sh "$SI"
}
# plant ROOT: root of a container makes /etc/network and /etc/systemd
# absolute links to the stand-in's path; in the container itself that path
# is a decoy folder of its own (a copy of its /etc/systemd, sshd not
# masked there).
plant() {
	on_host sh -c 'r=$1 si=$2
	    mkdir -p "$r$si/etc/network" "$r$si/etc/systemd/system" &&
	    mv "$r/etc/network" "$r/etc/network.real" &&
	    ln -s "$si/etc/network" "$r/etc/network" &&
	    cp -a "$r/etc/systemd/." "$r$si/etc/systemd/" &&
	    rm -f "$r$si/etc/systemd/system/ssh.service" &&
	    rm -rf "$r/etc/systemd" && ln -s "$si/etc/systemd" "$r/etc/systemd"' \
	    sh "$1" "$SI"
}
before=$(host_state)
diag "$before"

# --- a running container -----------------------------------------------------
check "links planted in the running $P-proxy" plant "$ROOT"
out=$(DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" plan --only lxc "$PF" 2>&1)
check "plan sees what the container's own files need" \
    sh -c 'echo "$1" | grep -q "$2: set /etc/network/interfaces" &&
        echo "$1" | grep -q "$2: disable sshd"' sh "$out" "$P-proxy" ||
    diag "$out"
run "$E2E_TMP/apply.2"; rc=$?
check "apply with the links in a running container succeeds (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/apply.2" | tail -30)"
after=$(host_state)
check "the host's stand-in files are untouched, the host is unchanged" [ "$before" = "$after" ] ||
	diag "$(printf '%s\n' "$before" > "$E2E_TMP/b"; printf '%s\n' "$after" > "$E2E_TMP/a"; diff "$E2E_TMP/b" "$E2E_TMP/a")"
decoy_has() {
	in_ct "$P-proxy" grep -q "dhis2-setup" "$SI/etc/network/interfaces" &&
	    [ "$(in_ct "$P-proxy" readlink "$SI/etc/systemd/system/ssh.service")" = /dev/null ]
}
check "the writes went into the container (its decoy has them)" decoy_has

# --- a privileged container, as an older version made them --------------------
# Its fragment without the id map: privileged, with a file of a user of
# its own.  apply converts it by a restart, and the file keeps its owner.
uidmap() { on_host sh -c 'awk "NR == 1 {print \$1, \$2}" /proc/$(lxc-info -n "$1" -pH)/uid_map' sh "$1"; }
PG=$P-postgres
on_host lxc-stop -n "$PG" -t 60 >/dev/null 2>&1
on_host sed -i '/^# unprivileged/,/^lxc.rootfs.options/d; s/,idmap=container//' \
    "/etc/dhis2-setup/lxc/$PG.conf"
on_host lxc-start -n "$PG" >/dev/null 2>&1
check "$PG runs privileged again ($(uidmap "$PG"))" [ "$(uidmap "$PG")" = "0 0" ]
in_ct "$PG" sh -c 'useradd -r d2sowner && touch /var/tmp/d2s-owned &&
    chown d2sowner /var/tmp/d2s-owned' >/dev/null 2>&1
out=$(DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" plan --only lxc "$PF" 2>&1)
check "plan says it becomes unprivileged, with a restart" \
    sh -c 'echo "$1" | grep -q "$2: make it unprivileged .*: a restart" &&
        echo "$1" | grep -q "restart container $2 for its new configuration"' sh "$out" "$PG" ||
    diag "$out"
run "$E2E_TMP/apply.conv"; rc=$?
check "apply converts it (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/apply.conv" | tail -20)"
m=$(uidmap "$PG")
check "$PG is unprivileged now ($m)" sh -c '[ -n "$1" ] && [ "$1" != "0 0" ]' sh "$m"
check "and its files kept their owners (idmapped, not shifted)" \
    sh -c '[ "$(lxc-attach -n "$1" -- lxc-attach -n "$2" -- stat -c %U /var/tmp/d2s-owned)" = d2sowner ]' \
    sh "$H" "$PG"

# --- a stopped container -------------------------------------------------------
on_host lxc-stop -n "$P-hmis" -t 60 >/dev/null 2>&1
check "$P-hmis is stopped" sh -c '[ "$(lxc-attach -n "$1" -- lxc-info -n "$2" -sH)" = STOPPED ]' \
    sh "$H" "$P-hmis"
check "links planted in the stopped $P-hmis" plant "$ROOT2"
run "$E2E_TMP/apply.3"; rc=$?
check "apply refuses to write through them (exit $rc)" [ $rc -ne 0 ]
check "and says why" grep -q "symbolic link: refused" "$E2E_TMP/apply.3" ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/apply.3" | tail -20)"
after=$(host_state)
check "the host's stand-in files are still untouched, the host unchanged" [ "$before" = "$after" ] ||
	diag "$(printf '%s\n' "$before" > "$E2E_TMP/b"; printf '%s\n' "$after" > "$E2E_TMP/a"; diff "$E2E_TMP/b" "$E2E_TMP/a")"
done_testing
