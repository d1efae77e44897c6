# tests/e2e/lib.sh: shared by the end-to-end tests.  Sourced, not run.
#
# TAP output, a cleanup that always runs, bounded waits, and the test bed:
# an sshd on a loopback port and LXC containers on a bridge and subnet
# these tests create (never lxcbr0, never another address).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/deb822.sh"
D2S="$top_builddir/dhis2-setup"
TOOL="$top_builddir/tests/e2e/transport-tool"
# Per run, so that two runs on one machine (developers, CI) do not meet.
E2E_BRIDGE=${E2E_BRIDGE:-d2s$$}
E2E_PREFIX=${E2E_PREFIX:-d2s-e2e-$$}
E2E_RELEASE=${E2E_RELEASE:-bookworm}
E2E_MIRROR=${E2E_MIRROR:-http://deb.debian.org/debian}
E2E_SECURITY_MIRROR=${E2E_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

tap_n=0
tap_failed=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1));
	echo "not ok $tap_n - $*"; }
# check DESCRIPTION COMMAND...: one TAP line from a command's status, and
# that status, so that "check ... || diag ..." explains a failure.
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; return 1; fi; }
diag() { echo "$*" | sed 's/^/# /'; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
# The last check of every test: the machine running it is as it was.
done_testing() {
	if [ -f "$E2E_TMP/machine.before" ]; then
		machine_state > "$E2E_TMP/machine.after"
		check "this machine is as before the test: no user, file, setting or table of dhis2-setup's" \
		    cmp -s "$E2E_TMP/machine.before" "$E2E_TMP/machine.after" ||
		    diag "$(diff "$E2E_TMP/machine.before" "$E2E_TMP/machine.after")"
	fi
	echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root"
}

# Cleanups run last-in first-out, whatever happens.
E2E_CLEANUPS=""
at_exit() { E2E_CLEANUPS="$*
$E2E_CLEANUPS"; }
run_cleanups() {
	echo "$E2E_CLEANUPS" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
}
trap 'run_cleanups' EXIT
trap 'exit 130' INT TERM HUP

# wait_for SECONDS COMMAND...: poll until it succeeds, bounded.
wait_for() {
	t=$1; shift
	end=$(( $(date +%s) + t ))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.5
	done
}

E2E_TMP=$(mktemp -d /tmp/d2s-e2e.XXXXXX)
at_exit "rm -rf '$E2E_TMP'"

# machine_state: what dhis2-setup would change on a machine it installed,
# read on this one.  Every target of these tests is a container; what
# lands here is a step run on the wrong machine, or a test bed leaking.
# Its files by checksum; elsewhere only the names with "dhis" in them, as
# other work on the machine (package installs) may add files beside.
machine_state() {
	getent passwd dhis dhis2backup; getent group dhis
	for f in /etc/sysctl.d/90-dhis2.conf /etc/sysctl.d/90-dhis2-setup-lxc.conf \
	    /etc/security/limits.d/90-dhis2.conf /etc/apt/apt.conf.d/20auto-upgrades \
	    /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources \
	    /etc/timezone /etc/hosts; do
		if [ -e "$f" ]; then echo "$f $(cksum < "$f")"; else echo "$f absent"; fi
	done
	echo "/etc/localtime -> $(readlink /etc/localtime)"
	find /etc /opt /srv /usr/local /var/lib /var/backups /var/cache \
	    /var/log /run -maxdepth 3 -iname '*dhis*' 2>/dev/null | sort
	echo "vm.swappiness $(cat /proc/sys/vm/swappiness)"
	echo "net.core.somaxconn $(cat /proc/sys/net/core/somaxconn)"
	nft list tables 2>/dev/null | grep -i dhis
	return 0
}
machine_state > "$E2E_TMP/machine.before"
# The subnet: reserved with an atomic mkdir, so that tests run side by
# side (make -j2 check-e2e) never share one; a reservation left by a
# killed test only moves the next test on, and /run goes at boot.
if [ -z "${E2E_NET:-}" ]; then
	i=$(( $$ % 250 + 1 )); k=0
	while [ $k -lt 250 ] && ! mkdir "/run/d2s-e2e-net.$i" 2>/dev/null; do
		i=$(( i % 250 + 1 )); k=$((k + 1))
	done
	[ $k -lt 250 ] && at_exit "rmdir '/run/d2s-e2e-net.$i'"
	E2E_NET=10.197.$i
fi
export DHIS2_SETUP_LOGDIR="$E2E_TMP/log" DHIS2_SETUP_STATEDIR="$E2E_TMP/state"
# The machine running the tests is never firewalled by them: a test that
# plays a local server or LXC host must not load a default-deny ruleset
# into this machine's own network (machines over SSH and containers are
# firewalled as usual).
export DHIS2_SETUP_SKIP_LOCAL_FIREWALL=1

# A client key for every test.
make_client_key() {
	ssh-keygen -q -t ed25519 -N '' -f "$E2E_TMP/id" -C d2s-e2e
}

tcp_open() {	# HOST PORT
	timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# sshd on 127.0.0.1:PORT with its own host keys in $E2E_TMP/sshd.
start_loopback_sshd() {
	port=$1
	d="$E2E_TMP/sshd"
	mkdir -p "$d" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519" -C e2e-host
	install -m 600 "$E2E_TMP/id.pub" "$d/authorized_keys"
	cat > "$d/sshd_config" <<EOC
ListenAddress 127.0.0.1:$port
HostKey $d/host_ed25519
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
EOC
	/usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" || return 1
	at_exit "kill \$(cat '$d/sshd.pid')"
	wait_for 10 tcp_open 127.0.0.1 "$port"
}

# --- LXC -----------------------------------------------------------------

lxc_usable() {
	command -v lxc-create >/dev/null 2>&1 && return 0
	[ -n "${E2E_NO_INSTALL:-}" ] && return 1
	command -v apt-get >/dev/null 2>&1 || return 1
	timeout 600 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    lxc lxc-templates debootstrap rsync iptables openssh-client \
	    >/dev/null 2>&1
	command -v lxc-create >/dev/null 2>&1
}

# IPv4 forwarding is one switch for the whole machine, and tests run side
# by side (make -j2 check-e2e) each need it on until their last container
# is gone: a reference count, one file per test in $E2E_FWD, under flock.
# The first holder saves the machine's value, the last puts it back (and
# removes the directory); a holder whose test was killed is dropped once
# its PID is gone, at the next take or give.
E2E_FWD=/run/d2s-e2e-fwd

# fwd_locked FUNCTION: run it in a subshell holding $E2E_FWD's lock.
fwd_locked() {
	fwd_k=0
	while [ $fwd_k -lt 20 ]; do
		mkdir -p "$E2E_FWD" 2>/dev/null
		(
			exec 9< "$E2E_FWD" || exit 3
			flock -w 60 9 || exit 1
			# The last holder removes the directory: a lock taken
			# on one removed meanwhile guards nothing; start again.
			[ "$(stat -c %i "$E2E_FWD" 2>/dev/null)" = \
			    "$(stat -L -c %i /dev/fd/9)" ] || exit 3
			"$1" && exit 0
			exit 1
		)
		fwd_rc=$?
		[ $fwd_rc -eq 3 ] || return $fwd_rc
		fwd_k=$((fwd_k + 1))
	done
	return 1
}

fwd_holders() {	# the live holders' files
	for h in "$E2E_FWD"/held.*; do
		[ -e "$h" ] || continue
		kill -0 "${h##*.}" 2>/dev/null && echo "$h" || rm -f "$h"
	done
}

fwd_take() {
	# Kept while any holder lives, and past a killed last holder: it is
	# the value from before the first test.
	[ -f "$E2E_FWD/saved" ] ||
	    cat /proc/sys/net/ipv4/ip_forward > "$E2E_FWD/saved" || return 1
	: > "$E2E_FWD/held.$$" &&
	    echo 1 > /proc/sys/net/ipv4/ip_forward
}

fwd_give() {
	rm -f "$E2E_FWD/held.$$"
	[ -z "$(fwd_holders)" ] || return 0
	[ -f "$E2E_FWD/saved" ] &&
	    cat "$E2E_FWD/saved" > /proc/sys/net/ipv4/ip_forward
	rm -f "$E2E_FWD/saved" && rmdir "$E2E_FWD"
}

# forward_on: IPv4 forwarding on until this test ends.
forward_on() {
	fwd_locked fwd_take || return 1
	at_exit "fwd_locked fwd_give"
}

# Our own bridge and subnet, NAT to reach the package archive only
# through the host, all undone at exit.
bridge_up() {
	if ! ip link show "$E2E_BRIDGE" >/dev/null 2>&1; then
		ip link add "$E2E_BRIDGE" type bridge || return 1
		at_exit "ip link del '$E2E_BRIDGE'"
	fi
	ip addr replace "$E2E_NET.1/24" dev "$E2E_BRIDGE"
	ip link set "$E2E_BRIDGE" up
	forward_on || return 1
	iptables -t nat -A POSTROUTING -s "$E2E_NET.0/24" ! -d "$E2E_NET.0/24" \
	    -j MASQUERADE -m comment --comment d2s-e2e
	at_exit "iptables -t nat -D POSTROUTING -s '$E2E_NET.0/24' ! -d '$E2E_NET.0/24' -j MASQUERADE -m comment --comment d2s-e2e"
	iptables -I FORWARD -i "$E2E_BRIDGE" -j ACCEPT -m comment --comment d2s-e2e
	at_exit "iptables -D FORWARD -i '$E2E_BRIDGE' -j ACCEPT -m comment --comment d2s-e2e"
	iptables -I FORWARD -o "$E2E_BRIDGE" -m state --state RELATED,ESTABLISHED \
	    -j ACCEPT -m comment --comment d2s-e2e
	at_exit "iptables -D FORWARD -o '$E2E_BRIDGE' -m state --state RELATED,ESTABLISHED -j ACCEPT -m comment --comment d2s-e2e"
}

# testbed_up [jdk]: the test bed, or a skip where it cannot be: root,
# lxc and a built dhis2-setup (with jdk, a JDK for the stand-in WAR
# too), then the client key and the bridge.
testbed_up() {
	need_root
	lxc_usable || skip_all "lxc is not installed and cannot be installed"
	[ -x "$D2S" ] || skip_all "build dhis2-setup first"
	[ "${1:-}" != jdk ] || command -v javac >/dev/null 2>&1 ||
	    skip_all "no JDK to build the stand-in WAR"
	make_client_key
	bridge_up || skip_all "cannot create bridge $E2E_BRIDGE"
}

# apply_timed LOG WHAT CHECK: the script's own apply() into LOG, how long
# it took as "WHAT: N s", the check CHECK that it succeeded, and the last
# lines of LOG when it did not.
apply_timed() {
	t0=$(date +%s)
	apply "$1"; rc=$?
	diag "$2: $(( $(date +%s) - t0 )) s"
	check "$3 (exit $rc)" [ $rc -eq 0 ] || diag "$(tail -40 "$1")"
}

# real_war_from_env: REAL and REAL_VERSION from DHIS2_WAR, its version
# from DHIS2_WAR_VERSION or the file's name (dhis2-stable-2.41.3.war).
# Asked for explicitly, a WAR that cannot be read or has no version is a
# failure, not a skip.  Without DHIS2_WAR the stand-in is built: a JDK.
real_war_from_env() {
	REAL= REAL_VERSION=
	if [ -z "${DHIS2_WAR:-}" ]; then
		command -v javac >/dev/null 2>&1 ||
		    skip_all "no JDK to build the stand-in WAR"
		return 0
	fi
	REAL=$DHIS2_WAR
	REAL_VERSION=${DHIS2_WAR_VERSION:-$(basename "$REAL" |
	    grep -o '2\.[0-9][0-9]*\(\.[0-9][0-9]*\)*' | tail -n 1)}
	if [ ! -f "$REAL" ] || [ ! -r "$REAL" ]; then
		not_ok "DHIS2_WAR=$REAL is not a readable file"; done_testing; exit 1
	fi
	if [ -z "$REAL_VERSION" ]; then
		not_ok "DHIS2_WAR: set DHIS2_WAR_VERSION (not in the name $REAL)"
		done_testing; exit 1
	fi
}

# converged LOG DESCRIPTION COMMAND...: COMMAND, an apply whose output
# goes to LOG, run again on what is already in place: a diag line with how
# long it took, and the check DESCRIPTION that it changed and failed
# nothing (LOG's last lines as diagnostics when it did).
converged() {
	_log=$1 _desc=$2
	shift 2
	_t0=$(date +%s%N)
	"$@"; _rc=$?
	diag "converged re-run: $(( ($(date +%s%N) - _t0) / 1000000 )) ms"
	check "$_desc (exit $_rc)" \
	    grep -q "summary: .* 0 changed, .* 0 failed" "$_log" ||
		diag "$(grep -v '^\s*$' "$_log" | tail -20)"
}

# reach_check LABEL SOURCE TARGET: the check that SOURCE reaches on TARGET
# exactly the ports of $PORTS that $ALLOWED lists ("SOURCE TARGET PORT"
# lines), as the test's probes found them: $E2E_TMP/m.SOURCE.TARGET.PORT
# holds "open" or "closed".
reach_check() {
	_want="" _got=""
	for _port in $PORTS; do
		echo "$ALLOWED" | grep -qx "$2 $3 $_port" && _want="$_want $_port"
		[ "$(cat "$E2E_TMP/m.$2.$3.$_port" 2>/dev/null)" = open ] &&
		    _got="$_got $_port"
	done
	check "$1 $2 -> $3: open exactly [${_want# }] (open: [${_got# }])" \
	    [ "$_want" = "$_got" ]
}

# container_sources ROOTFS: the container's apt sources, written here
# rather than left to the template (tests/lib/deb822.sh says why).
container_sources() {
	deb822_sources "$1" "$E2E_MIRROR" "$E2E_SECURITY_MIRROR" \
	    "$E2E_RELEASE" || return 1
	printf '%s\n' "# The sources are in sources.list.d/debian.sources (written by" \
	    "# the e2e test bed: the template's security suite may not exist)." \
	    > "$1/etc/apt/sources.list"
}

# container_create NAME HOSTPART [CONFIG]: a Debian container with systemd
# and sshd at $E2E_NET.HOSTPART, root reachable with $E2E_TMP/id; CONFIG,
# lines of LXC configuration, ends its config (after the template's
# includes, so that it overrides their lxc.mount.auto and the like).
container_create() {
	name=$1 ip="$E2E_NET.$2"
	cat > "$E2E_TMP/$name.conf" <<EOC
lxc.net.0.type = veth
lxc.net.0.link = $E2E_BRIDGE
lxc.net.0.flags = up
lxc.net.0.ipv4.address = $ip/24
lxc.net.0.ipv4.gateway = $E2E_NET.1
lxc.apparmor.profile = unconfined
EOC
	at_exit "lxc-destroy -f -n '$name'"
	timeout 600 lxc-create -n "$name" -f "$E2E_TMP/$name.conf" -t debian \
	    -- -r "$E2E_RELEASE" --mirror="$E2E_MIRROR" \
	    > "$E2E_TMP/$name.create.log" 2>&1 || return 1
	root=$(lxc-info -n "$name" -c lxc.rootfs.path 2>/dev/null |
	    sed 's/.*= *//; s/^dir://')
	[ -d "$root" ] || root=/var/lib/lxc/$name/rootfs
	container_sources "$root" || return 1
	if [ -n "${3:-}" ]; then
		printf '\n# e2e test bed\n%s\n' "$3" >> "${root%/rootfs}/config" ||
		    return 1
	fi
	# The address is set by LXC; no DHCP client should touch it.
	printf 'auto lo\niface lo inet loopback\n\niface eth0 inet manual\n' \
	    > "$root/etc/network/interfaces"
	cp /etc/resolv.conf "$root/etc/resolv.conf.d2s" 2>/dev/null
	rm -f "$root/etc/resolv.conf"
	mv "$root/etc/resolv.conf.d2s" "$root/etc/resolv.conf"
	mkdir -p -m 700 "$root/root/.ssh"
	install -m 600 "$E2E_TMP/id.pub" "$root/root/.ssh/authorized_keys"
	lxc-start -n "$name" || return 1
}

container_running() {
	s=$(lxc-attach -n "$1" -- systemctl is-system-running 2>/dev/null)
	[ "$s" = running ] || [ "$s" = degraded ]
}

container_wait() {	# NAME HOSTPART
	wait_for 120 container_running "$1" || return 1
	lxc-attach -n "$1" -- sh -c 'test -e /etc/ssh/ssh_host_ed25519_key ||
	    ssh-keygen -A' >/dev/null 2>&1
	lxc-attach -n "$1" -- systemctl restart ssh >/dev/null 2>&1
	wait_for 60 tcp_open "$E2E_NET.$2" 22
}

# A known_hosts line for a container, read from inside it (trusted path).
container_known_host() {	# NAME HOSTPART
	k=$(lxc-attach -n "$1" -- cat /etc/ssh/ssh_host_ed25519_key.pub |
	    cut -d' ' -f1,2)
	echo "$E2E_NET.$2 $k"
}

# containers_up [-k] NAME:HOSTPART...: the containers created, then each
# booted with systemd and sshd, a check each; with -k, their host keys in
# $E2E_TMP/known_hosts.  One that cannot be created fails and ends the test.
containers_up() {
	cu_known=
	[ "$1" = -k ] && { cu_known=1; shift; }
	cu_t0=$(date +%s)
	for cu in "$@"; do
		container_create "${cu%:*}" "${cu##*:}" && continue
		not_ok "create container ${cu%:*}"
		diag "$(tail -20 "$E2E_TMP/${cu%:*}.create.log")"
		done_testing; exit 1
	done
	for cu in "$@"; do
		check "${cu%:*} boots systemd and sshd" \
		    container_wait "${cu%:*}" "${cu##*:}"
		[ -z "$cu_known" ] || container_known_host "${cu%:*}" "${cu##*:}" \
		    >> "$E2E_TMP/known_hosts"
	done
	diag "containers up in $(( $(date +%s) - cu_t0 )) s"
}

# transport_suite LABEL DIR TOOL-ARGS...: run, put and get through one
# transport against a real target; DIR is a scratch folder on the target.
transport_suite() {
	label=$1 dir=$2; shift 2
	out=$("$TOOL" "$@" run echo hello 2>&1)
	check "$label: run echo" [ "$out" = hello ]
	out=$(printf 'line1\nline2' | "$TOOL" "$@" run cat 2>&1)
	check "$label: run passes stdin" [ "$out" = "line1
line2" ]
	"$TOOL" "$@" run sh -c 'exit 7' >/dev/null 2>&1
	check "$label: run returns the exit status" [ $? -eq 7 ]
	out=$("$TOOL" "$@" run printf '%s|' '$(id)' "a b" "it's" '' 2>&1)
	check "$label: argv words reach the command unchanged" \
	    [ "$out" = "\$(id)|a b|it's||" ]
	"$TOOL" "$@" run mkdir -p "$dir" >/dev/null 2>&1
	printf 'first\n' | "$TOOL" "$@" put "$dir/f.conf" 0640 root root
	check "$label: put a new file" [ $? -eq 0 ]
	out=$("$TOOL" "$@" run stat -c '%a %U %G' "$dir/f.conf" 2>&1)
	check "$label: put sets mode, owner and group ($out)" \
	    [ "$out" = "640 root root" ]
	printf 'second\n' | "$TOOL" "$@" put "$dir/f.conf" 0600
	out=$("$TOOL" "$@" get "$dir/f.conf" 2>&1)
	check "$label: get reads what put wrote" [ "$out" = second ]
	out=$("$TOOL" "$@" get "$dir/f.conf.prev" 2>&1)
	check "$label: put keeps the previous version as .prev" \
	    [ "$out" = first ]
	out=$("$TOOL" "$@" run sh -c 'ls -a "$1" | grep -c d2s-put' sh \
	    "$dir" 2>&1)
	check "$label: put leaves no temp file behind" [ "$out" = 0 ]
	"$TOOL" "$@" get "$dir/missing" >/dev/null 2>&1
	check "$label: get of a missing file says so (1)" [ $? -eq 1 ]
	head -c 300000 /dev/urandom > "$E2E_TMP/big"
	"$TOOL" "$@" put "$dir/big" 0600 < "$E2E_TMP/big"
	"$TOOL" "$@" get "$dir/big" > "$E2E_TMP/big.back"
	check "$label: 300 KB of binary survive put and get" \
	    cmp -s "$E2E_TMP/big" "$E2E_TMP/big.back"
	out=$("$TOOL" "$@" facts 2>&1)
	check "$label: facts name the OS" \
	    sh -c 'echo "$1" | grep -q "^os_id=debian$"' sh "$out"
	"$TOOL" "$@" run rm -rf "$dir" >/dev/null 2>&1
}

# --- isolation: machines (containers.sh, replicas.sh and others) --------

# machine NAME ADDRESS ROLES: a machines: entry, reached over SSH as root
# with the test's key; ROLES as in the profile ("proxy, app").
machine() {
	printf '  - name: %s\n    address: %s\n    roles: [%s]\n' "$1" "$2" "$3"
	printf '    ssh: {user: root, key: %s}\n' "$E2E_TMP/id"
}

# machines_profile FILE MACHINES INSTANCES [KEY=VALUE...]: a profile of
# isolation: machines for $FQDN (dhis.e2e.test by default), nginx with a
# self-signed certificate, PostgreSQL 15, no backups.  MACHINES: machine
# lines; INSTANCES: the instances: block (stack_instance).  KEY=VALUE
# sets admin_network ($E2E_NET.1/32 by default), timezone (UTC),
# monitoring (none) or replicas (database.replicas, none by default).
machines_profile() {
	mp_file=$1 mp_machines=$2 mp_instances=$3; shift 3
	mp_admin=$E2E_NET.1/32 mp_tz=UTC mp_mon=none mp_rep=
	for mp; do
		case $mp in
		admin_network=*) mp_admin=${mp#*=} ;;
		timezone=*) mp_tz=${mp#*=} ;;
		monitoring=*) mp_mon=${mp#*=} ;;
		replicas=*) mp_rep="
  replicas: ${mp#*=}" ;;
		*) echo "machines_profile: no key $mp" >&2; return 1 ;;
		esac
	done
	cat > "$mp_file" <<EOP
version: 1
hosting: datacentre
isolation: machines
fqdn: ${FQDN:-dhis.e2e.test}
admin_network: $mp_admin
timezone: $mp_tz
known_hosts: known_hosts
proxy: nginx
tls:
  mode: self-signed
machines:
$mp_machines
instances:
$mp_instances
database:
  version: 15$mp_rep
monitoring: $mp_mon
backups:
  enabled: false
EOP
}

# --- the DHIS2 stack (stack.sh, letsencrypt.sh, bench/stack.sh) ----------

# stack_profile FILE ADDRESS PROXY TLS-BLOCK INSTANCES-BLOCK [ISOLATION-BLOCK
# [DATABASE-LINES]]: a single server profile for $FQDN, the server reached
# over SSH as root; single-host unless ISOLATION-BLOCK says otherwise
# (lxc_isolation), DATABASE-LINES added to its database.
stack_profile() {
	cat > "$1" <<EOP
version: 1
hosting: basement
${6:-isolation: single-host}
fqdn: $FQDN
timezone: UTC
known_hosts: known_hosts
proxy: $3
tls:
$4
machines:
  - name: server
    address: $2
    roles: [proxy, app, database]
    ssh:
      user: root
      key: $E2E_TMP/id
instances:
$5
database:
  version: 15${7:+
$7}
monitoring: none
backups:
  enabled: false
EOP
}

# lxc_isolation BRIDGE NET PREFIX: stack_profile's ISOLATION-BLOCK for
# isolation: lxc, SSH from this machine only, the containers PREFIX-... on
# BRIDGE in NET.0/24, from the test bed's mirrors.
lxc_isolation() {
	cat <<EOI
isolation: lxc
admin_network: $E2E_NET.1/32
lxc:
  bridge: $1
  subnet: $2.0/24
  release: $E2E_RELEASE
  prefix: $3
  mirror: $E2E_MIRROR
  security_mirror: $E2E_SECURITY_MIRROR
EOI
}

# stack_instance NAME VERSION HEAP URL SHA256 | NAME VERSION HEAP FILE
stack_instance() {
	printf '  - name: %s\n    version: "%s"\n    heap: %s\n    war:\n' \
	    "$1" "$2" "$3"
	if [ $# -ge 5 ]; then
		printf '      url: "%s"\n      sha256: %s\n' "$4" "$5"
	else
		printf '      file: "%s"\n' "$4"
	fi
}

# standin_serve DIR [ADDR]: serve DIR over HTTP from ADDR (default the
# bridge's .1: the WARs' origin); sets WARBASE to its URL.
standin_serve() {
	addr=${2:-$E2E_NET.1}
	port=$((20000 + $$ % 10000))
	(cd "$1" && exec python3 -m http.server "$port" --bind "$addr") \
	    > "$E2E_TMP/http.log" 2>&1 &
	at_exit "kill $!"
	WARBASE="http://$addr:$port"
	wait_for 20 tcp_open "$addr" "$port"
}

# standin_war [ADDR]: the WAR a test installs, in WARDIR and served by
# standin_serve: the real one where the test set REAL (from DHIS2_WAR),
# else the stand-in of tests/standin built as 2.42.0.  Sets WARDIR, WAR,
# SUM and WARBASE.  Fails, the build's last lines as diagnostics, when
# the stand-in does not build or is not served.
standin_war() {
	WARDIR="$E2E_TMP/wars"
	mkdir -p "$WARDIR"
	if [ -n "${REAL:-}" ]; then
		ln -sf "$(cd "$(dirname "$REAL")" && pwd)/$(basename "$REAL")" \
		    "$WARDIR/dhis2.war"
		WAR=dhis2.war
	elif sh "$top_srcdir/tests/standin/build.sh" "$WARDIR" 2.42.0 \
	    > "$E2E_TMP/war.log" 2>&1; then
		WAR=dhis2-standin.war
	else
		diag "$(tail "$E2E_TMP/war.log")"
		return 1
	fi
	SUM=$(sha256sum < "$WARDIR/$WAR" | cut -d' ' -f1)
	standin_serve "$WARDIR" "$@"
}

# container_trust NAME PEM LABEL: add a CA to the container's system
# store, as an operator adds a private CA's root.
container_trust() {
	lxc-attach -n "$1" -- sh -c 'command -v update-ca-certificates ||
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ca-certificates; }' \
	    >/dev/null 2>&1
	lxc-attach -n "$1" -- sh -c 'mkdir -p /usr/local/share/ca-certificates &&
	    cat > "/usr/local/share/ca-certificates/$1.crt" &&
	    update-ca-certificates' sh "$3" < "$2" >/dev/null 2>&1
}

container_distrust() {	# NAME LABEL
	lxc-attach -n "$1" -- sh -c 'rm -f "/usr/local/share/ca-certificates/$1.crt" &&
	    update-ca-certificates --fresh' sh "$2" >/dev/null 2>&1
}
