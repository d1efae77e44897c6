#!/bin/sh
# isolation: lxc on a fresh server that is not this machine.  The server
# (the LXC host) is a privileged container that nests, made here from a
# fresh Debian (no distro-info, sources written by the test bed) and
# removed at exit, with sshd; the tool reaches it over SSH as the one
# `machines:` entry of the profile, like any server.  The product's lxc
# step installs LXC on it and makes its containers inside it, on a bridge
# and subnet of its own.  This machine plays the outside world: the test
# bridge, NAT to the package archive, the stand-in WAR on the bridge's .1.
#
# Checked: plan before apply changes nothing; apply makes the containers
# with the planned names and addresses, starting at boot, no sshd, with
# sources naming the -security suite and a working apt-get update; the
# database's files land on the chosen path on the server; the stand-in
# answers through the proxy over HTTPS from OUTSIDE (this machine -> the
# server's address:443, DNAT to the proxy container) and reached its
# database; only 80/443 are forwarded; the reachability matrix from
# outside, the server and every container to every port is exactly the
# allowed pairs (the firewall step's rules, loaded on the server); a
# re-run changes nothing; a flushed NAT chain is repaired; and nothing of
# it lands on this machine (lib.sh's last check).
#
# The server's LXC configuration, and why:
#  - nesting.conf: /proc and /sys mounted again under /dev/.lxc, which
#    lxc-start inside needs to mount them for its containers;
#  - apparmor unconfined: nesting.conf names an AppArmor profile, and
#    this machine runs no AppArmor;
#  - lxc.mount.auto = cgroup:mixed:force: without it LXC leaves the cgroup
#    mounts to systemd in the container, which mounts cpu and cpuacct only
#    as one "cpu,cpuacct" hierarchy; here the kernel has them apart, so
#    they were missing and lxc-start inside failed ("Failed to open
#    9/cpuacct").  Forced, LXC mounts every hierarchy, the container's own
#    cgroup writable and the rest read-only;
#  - proc:mixed and sys:mixed stay (debian.common.conf): /proc/sys is
#    read-only but for the container's own /proc/sys/net, so base's
#    vm.swappiness cannot reach this machine's kernel, while the lxc step
#    can switch on forwarding in the server's network namespace.
. "$(dirname "$0")/lib.sh"
need_root
lxc_usable || skip_all "lxc is not installed and cannot be installed"
[ -x "$D2S" ] || skip_all "build dhis2-setup first"
command -v javac >/dev/null 2>&1 || skip_all "no JDK to build the stand-in WAR"
for c in iptables curl python3; do
	command -v $c >/dev/null 2>&1 || skip_all "no $c"
done
[ -f /usr/share/lxc/config/nesting.conf ] || skip_all "no LXC nesting.conf"

FQDN=dhis.e2e.test
P=$E2E_PREFIX			# the product's containers: $P-proxy, ...
H=$E2E_PREFIX-server		# the server, a container of this machine
HA=$E2E_NET.2			# its address on the test bridge
# The server's own bridge and subnet for the product's containers: not
# the test bridge's; 10.198.x beside the test bed's 10.197.x.
IBR=d2sinner
INET=10.198.${E2E_NET##*.}
NEST="lxc.include = /usr/share/lxc/config/nesting.conf
lxc.apparmor.profile = unconfined
lxc.mount.auto = cgroup:mixed:force"

on_host() { lxc-attach -n "$H" -- "$@"; }
in_ct() { c=$1; shift; lxc-attach -n "$H" -- lxc-attach -n "$c" -- "$@"; }

make_client_key
bridge_up || skip_all "cannot create bridge $E2E_BRIDGE"
standin_war || { not_ok "build and serve the stand-in WAR"; done_testing; exit 1; }

# --- the server: a fresh Debian 12 that nests -------------------------------
t0=$(date +%s)
container_create "$H" 2 "$NEST" ||
	{ not_ok "create the server container"; diag "$(tail "$E2E_TMP/$H.create.log")"; done_testing; exit 1; }
check "the server boots systemd and sshd" container_wait "$H" 2 ||
	{ done_testing; exit 1; }
container_known_host "$H" 2 > "$E2E_TMP/known_hosts"
diag "server up in $(( $(date +%s) - t0 )) s"
no_distro_info() {
	! on_host dpkg-query -W -f='${Status}\n' distro-info 2>/dev/null |
	    grep -q "ok installed"
}
check "the server starts without distro-info" no_distro_info
# The test bed's own sources (lib.sh's container_sources), not the template's.
upd=$(on_host timeout 300 apt-get update 2>&1); rc=$?
check "and its apt-get update succeeds (exit $rc)" \
    sh -c '[ "$1" -eq 0 ] && ! echo "$2" | grep -q "^[WE]:"' sh "$rc" "$upd" ||
    diag "$(echo "$upd" | grep "^[WE]:")"

PF="$E2E_TMP/lxc.yaml"
DATA=/srv/d2s-e2e-pgdata	# on the server
stack_profile "$PF" "$HA" nginx "  mode: self-signed" \
    "$(stack_instance hmis 2.42 1GB "$WARBASE/$WAR" "$SUM")" \
    "$(lxc_isolation "$IBR" "$INET" "$P")" "  data_path: $DATA"
"$D2S" -q secrets generate "$PF" >/dev/null
run() {		# plan|apply LOG [ARGS]: the tool, here, on the server
	what=$1 log=$2; shift 2
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" "$what" "$@" "$PF" > "$log" 2>&1
}
exists() {	# NAME: is the container defined on the server
	on_host lxc-info -n "$1" >/dev/null 2>&1
}

# lxc_times: the lxc step's times in the newest transcript (for the notes)
lxc_times() {
	python3 - "$(ls -t "$E2E_TMP"/log/*.log | head -1)" <<'EOF'
import datetime, re, sys
def at(line):
    return datetime.datetime.fromisoformat(line.split("Z ", 1)[0])
start = end = wait = after_wait = made = None
create = 0.0
for line in open(sys.argv[1], errors="replace"):
    if " server lxc: " not in line:
        continue
    body = line.split(" server lxc: ", 1)[1]
    if body.startswith("start"):
        start = at(line)
    elif re.match(r"(ok|changed|failed)", body):
        end = at(line)
    elif body.startswith("$ timeout 1800 lxc-create"):
        made = at(line)
    elif body.startswith("$ lxc-start") and made is not None:
        create += (at(line) - made).total_seconds()
        made = None
    elif body.startswith("$ sh -c 'end="):
        wait = at(line)
    elif body.startswith("$ ") and wait is not None and after_wait is None:
        after_wait = at(line)
if start is None or end is None:
    print("lxc step: not found")
    sys.exit(0)
out = "lxc step: %.1f s" % (end - start).total_seconds()
if create:
    out += "; lxc-create and set-up of the containers: %.1f s" % create
if wait and after_wait:
    out += "; systemd up in them: %.1f s" % (after_wait - wait).total_seconds()
print(out)
EOF
}

# --- plan first: reads only -------------------------------------------------
run plan "$E2E_TMP/plan.0"; rc=$?
check "plan before apply succeeds (exit $rc)" [ $rc -eq 0 ] || diag "$(tail -20 "$E2E_TMP/plan.0")"
check "plan says the lxc step would make the containers" \
	grep -q "create container $P-proxy (debian $E2E_RELEASE) at $INET.10" "$E2E_TMP/plan.0"
no_bridge() { ! on_host ip link show "$IBR" >/dev/null 2>&1; }
no_containers() {
	for c in proxy hmis postgres; do
		! exists "$P-$c" || return 1
	done
}
no_nat() { ! on_host nft list table ip dhis2_setup_nat >/dev/null 2>&1; }
no_lxc() { ! on_host sh -c 'command -v lxc-create' >/dev/null 2>&1; }
check "plan made no bridge" no_bridge
check "plan made no container" no_containers
check "plan loaded no NAT table" no_nat
check "plan installed nothing (no LXC on the server yet)" no_lxc

# --- apply ------------------------------------------------------------------
t0=$(date +%s)
run apply "$E2E_TMP/apply.1" --events-fd 3 3> "$E2E_TMP/events.1"; rc=$?
diag "full lxc install: $(( $(date +%s) - t0 )) s"
check "apply makes the containers and the stack in them (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/apply.1" | tail -40)"
diag "$(lxc_times)"

for pair in proxy:10 hmis:100 postgres:20; do
	c=$P-${pair%%:*} a=$INET.${pair#*:}
	s=$(on_host lxc-info -n "$c" -sH 2>/dev/null)
	check "$c exists and runs ($s)" [ "$s" = RUNNING ]
	got=$(in_ct "$c" ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')
	check "$c has its planned address $a ($got)" [ "$got" = "$a/24" ]
	auto=$(on_host lxc-info -n "$c" -c lxc.start.auto 2>/dev/null | sed 's/.*= *//')
	check "$c starts at boot (lxc.start.auto = $auto)" [ "$auto" = 1 ]
	st=$(in_ct "$c" systemctl is-active ssh.service 2>/dev/null)
	check "$c runs no sshd ($st)" [ "$st" != active ]
	m=$(on_host sh -c 'awk "NR == 1 {print \$1, \$2}" /proc/$(lxc-info -n "$1" -pH)/uid_map' sh "$c")
	check "$c is unprivileged: root in it is uid ${m#0 } on the server" \
	    sh -c '[ -n "$1" ] && [ "$1" != "0 0" ]' sh "$m"
	check "$c: debian.sources names $E2E_RELEASE-security" in_ct "$c" \
	    grep -Eq "^Suites:.*[[:space:]]$E2E_RELEASE-security([[:space:]]|\$)" \
	    /etc/apt/sources.list.d/debian.sources
	upd=$(in_ct "$c" timeout 300 apt-get update 2>&1); rc=$?
	check "$c: apt-get update succeeds (exit $rc)" \
	    sh -c '[ "$1" -eq 0 ] && ! echo "$2" | grep -q "^[WE]:"' sh "$rc" "$upd" ||
	    diag "$(echo "$upd" | grep "^[WE]:")"
done
check "the server still has no distro-info: the lxc step does not need it" no_distro_info
veths=$(on_host ip -o link show master "$IBR" 2>/dev/null | grep -c veth)
check "the containers' veths are on the server's bridge $IBR ($veths)" [ "$veths" -eq 3 ]
check "PostgreSQL's files are on the server's path $DATA" \
	on_host sh -c 'ls "$1"/15/main/PG_VERSION >/dev/null 2>&1' sh "$DATA"
check "the server's unit re-makes the bridge and NAT at boot" \
	on_host grep -q "nft -f /etc/dhis2-setup/lxc/nat.nft" /etc/systemd/system/dhis2-setup-lxc-net.service

api() {		# from this machine, to the server's address
	curl -sk --max-time 20 --resolve "$FQDN:443:$HA" "https://$FQDN$1"
}
out=$(api /hmis/api/system/info)
check "from outside, /hmis/api/system/info answers through the proxy over HTTPS (DNAT)" \
	sh -c 'echo "$1" | grep -q "\"standIn\": *true"' sh "$out" || diag "$out"
check "and the stand-in reached PostgreSQL in its container" \
	sh -c 'echo "$1" | grep -q "\"spatialSupport\": *true"' sh "$out"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 --resolve "$FQDN:80:$HA" "http://$FQDN/hmis/")
check "from outside, HTTP on 80 reaches the proxy too ($code)" [ "$code" = 301 ]
closed() { ! tcp_open "$HA" 5432 && ! tcp_open "$HA" 8080; }
check "only 80 and 443 are forwarded: 5432 and 8080 on the server's address are closed" closed
here_clean() { ! nft list table ip dhis2_setup_nat >/dev/null 2>&1; }
check "no NAT table of ours on this machine" here_clean

# --- the reachability matrix (with the firewall step's rules) -------------
PORTS="22 80 443 5432 8080"
ct_of() { echo "$P-$1"; }
addr_of() {
	case $1 in
	host) echo "$INET.1";; proxy) echo "$INET.10";;
	hmis) echo "$INET.100";; postgres) echo "$INET.20";;
	uplink) echo "$HA";;
	esac
}
LISTENER='my $s = IO::Socket::INET->new(LocalPort => $ARGV[0], Listen => 16,
	ReuseAddr => 1, Proto => "tcp") or exit 1; while (my $c = $s->accept) { close $c }'
# A listener on every port of interest nobody holds, on the server and in
# each container, so that "closed" means the firewall, not a free port.
# They go with the server.
LISTEN='ss -Hltn "sport = :$1" | grep -q . ||
	setsid perl -MIO::Socket::INET -e "$2" "$1" </dev/null >/dev/null 2>&1 &'
for port in $PORTS; do
	on_host sh -c "$LISTEN" sh "$port" "$LISTENER"
	for c in proxy hmis postgres; do
		in_ct "$(ct_of $c)" sh -c "$LISTEN" sh "$port" "$LISTENER"
	done
done
held() {	# WHERE: every port of interest is listened on
	for port in $PORTS; do
		if [ "$1" = host ]; then on_host ss -Hltn "sport = :$port"
		else in_ct "$(ct_of "$1")" ss -Hltn "sport = :$port"
		fi | grep -q . || return 1
	done
}
for w in host proxy hmis postgres; do
	check "matrix: every port of interest is listened on in $w" wait_for 15 held "$w"
done
# What the topology allows (plan's matrix), and nothing else.  "outside"
# is this machine, in the profile's admin network; "uplink" the server's
# address on the test bridge; "host" the server from its own bridge.
ALLOWED="outside uplink 22
outside uplink 80
outside uplink 443
host proxy 80
host proxy 443
hmis proxy 80
hmis proxy 443
postgres proxy 80
postgres proxy 443
proxy hmis 8080
hmis postgres 5432"
reach() {	# SOURCE TARGET PORT -> m.SOURCE.TARGET.PORT: open|closed
	a=$(addr_of "$2")
	case $1 in
	outside) timeout 3 bash -c "exec 3<>/dev/tcp/$a/$3";;
	host) on_host timeout 3 bash -c "exec 3<>/dev/tcp/$a/$3";;
	*) in_ct "$(ct_of "$1")" timeout 3 bash -c "exec 3<>/dev/tcp/$a/$3";;
	esac >/dev/null 2>&1 && echo open > "$E2E_TMP/m.$1.$2.$3" ||
	    echo closed > "$E2E_TMP/m.$1.$2.$3"
}
PAIRS="outside:uplink"
for s in host proxy hmis postgres; do
	for d in host proxy hmis postgres; do
		[ "$s" = "$d" ] || PAIRS="$PAIRS $s:$d"
	done
done
pids=""
for pair in $PAIRS; do
	for port in $PORTS; do
		reach "${pair%%:*}" "${pair#*:}" "$port" & pids="$pids $!"
	done
done
wait $pids	# not the WAR's server, which is a child too
for pair in $PAIRS; do
	reach_check "matrix:" "${pair%%:*}" "${pair#*:}"
done

# --- converged ---------------------------------------------------------------
t0=$(date +%s%N)
run apply "$E2E_TMP/apply.2" --events-fd 3 3> "$E2E_TMP/events.2"; rc=$?
diag "converged re-run: $(( ($(date +%s%N) - t0) / 1000000 )) ms ($(lxc_times))"
check "the re-run succeeds (exit $rc)" [ $rc -eq 0 ]
check "the re-run changes nothing" grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/apply.2" ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/apply.2" | tail -20)"
check "the events say so too (0 changed at run-end)" python3 -c '
import json, sys
ends = [e for e in map(json.loads, open(sys.argv[1])) if e.get("event") == "run-end"]
sys.exit(0 if ends and ends[-1]["counts"].get("changed", -1) == 0 else 1)' "$E2E_TMP/events.2"
t0=$(date +%s%N)
run apply "$E2E_TMP/apply.3" --only lxc
diag "converged lxc step alone: $(( ($(date +%s%N) - t0) / 1000000 )) ms for the command ($(lxc_times))"
drift_repaired() {
	on_host nft flush chain ip dhis2_setup_nat prerouting || return 1
	run apply "$E2E_TMP/apply.4" --only lxc || return 1
	grep -q "load the NAT table" "$E2E_TMP/apply.4" &&
	    on_host nft list chain ip dhis2_setup_nat prerouting |
	    grep -q "dnat to $INET.10"
}
check "a flushed NAT chain is loaded again by a re-run" drift_repaired
done_testing
