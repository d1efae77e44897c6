#!/bin/sh
# isolation: lxc with the test machine playing the server, safely: the tool
# runs in a network namespace of its own (the "server"), joined to this
# machine's root namespace (the "internet") by a veth pair, so that its
# bridge, forwarding and nftables tables never touch the root namespace
# this machine is controlled through.  The root namespace NATs the
# server's uplink to reach the package archive, and serves the stand-in
# WAR on its end of the veth.
#
# Checked: plan before apply changes nothing; apply makes the containers
# with the planned names and addresses, starting at boot, no sshd; the
# database's files land on the chosen host path; the stand-in answers
# through the proxy over HTTPS from OUTSIDE (root namespace -> uplink
# address:443, DNAT to the proxy container) and reached its database;
# only 80/443 are forwarded; the reachability matrix from outside, the host
# and every container to every port is exactly the allowed pairs (the
# firewall step's rules, loaded in the namespace too); a re-run changes
# nothing; no table of ours in the root namespace.
#
# Not `ip netns exec`: it remounts /sys for the namespace and so hides the
# cgroup mounts lxc-start needs.  in_ns does the same remount but keeps
# /sys/fs/cgroup (LXC finds the bridge through /sys/class/net, so /sys must
# be the namespace's).
. "$(dirname "$0")/lib.sh"
need_root
lxc_usable || skip_all "lxc is not installed and cannot be installed"
[ -x "$D2S" ] || skip_all "build dhis2-setup first"
command -v javac >/dev/null 2>&1 || skip_all "no JDK to build the stand-in WAR"
for c in nsenter unshare iptables curl python3; do
	command -v $c >/dev/null 2>&1 || skip_all "no $c"
done

# lib.sh keeps the firewall off the machine the tests run on; here the
# "server" is the namespace, so its firewall is loaded and tested.
export DHIS2_SETUP_SKIP_LOCAL_FIREWALL=0

NS=d2s-ns-$$
UP=d2su$$			# the root namespace's end of the uplink
UPNET=10.196.$(( $$ % 250 + 1 ))	# uplink: .1 root namespace, .2 server
FQDN=dhis.e2e.test
P=$E2E_PREFIX			# container names: $P-proxy, ...

# in_ns CMD...: run in the server's network namespace with its own /sys.
in_ns() {
	nsenter --net="/run/netns/$NS" unshare --mount --propagation slave \
	    sh -c 'cg=$1; shift
		mount --rbind /sys/fs/cgroup "$cg" && umount -l /sys &&
		mount -t sysfs sysfs /sys && mount --move "$cg" /sys/fs/cgroup ||
		exit 125
		exec "$@"' sh "$E2E_TMP/cg" "$@"
}

# --- the server's namespace and its uplink ----------------------------------
mkdir -p "$E2E_TMP/cg"
ip netns add "$NS" || skip_all "cannot create a network namespace"
at_exit "ip netns del '$NS'"
ip link add "$UP" type veth peer name "${UP}n" || skip_all "cannot create a veth pair"
at_exit "ip link del '$UP'"
ip link set "${UP}n" netns "$NS"
ip addr add "$UPNET.1/24" dev "$UP"
ip link set "$UP" up
in_ns sh -c 'ip link set lo up && ip link set "$1" name uplink0 &&
	ip addr add "$2.2/24" dev uplink0 && ip link set uplink0 up &&
	ip route add default via "$2.1"' sh "${UP}n" "$UPNET" ||
	skip_all "cannot set up the namespace's uplink"
# base on the server sets vm.swappiness, which no namespace holds
old_swap=$(cat /proc/sys/vm/swappiness)
at_exit "echo $old_swap > /proc/sys/vm/swappiness"
old_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
echo 1 > /proc/sys/net/ipv4/ip_forward
at_exit "echo $old_fwd > /proc/sys/net/ipv4/ip_forward"
iptables -t nat -A POSTROUTING -s "$UPNET.0/24" ! -d "$UPNET.0/24" -j MASQUERADE -m comment --comment d2s-e2e
at_exit "iptables -t nat -D POSTROUTING -s '$UPNET.0/24' ! -d '$UPNET.0/24' -j MASQUERADE -m comment --comment d2s-e2e"
iptables -I FORWARD -i "$UP" -j ACCEPT -m comment --comment d2s-e2e
at_exit "iptables -D FORWARD -i '$UP' -j ACCEPT -m comment --comment d2s-e2e"
iptables -I FORWARD -o "$UP" -m state --state RELATED,ESTABLISHED -j ACCEPT -m comment --comment d2s-e2e
at_exit "iptables -D FORWARD -o '$UP' -m state --state RELATED,ESTABLISHED -j ACCEPT -m comment --comment d2s-e2e"

# Files the tool writes on the server: the server is this machine's
# filesystem, so remove those it did not hold before.  (base's files, its
# user and timezone are left: they are what any run of base here makes.)
[ -d /etc/dhis2-setup ] || at_exit "rmdir /etc/dhis2-setup/lxc /etc/dhis2-setup"
for f in /etc/dhis2-setup/lxc/nat.nft /etc/systemd/system/dhis2-setup-lxc-net.service \
    /etc/sysctl.d/90-dhis2-setup-lxc.conf /run/dhis2-setup-lxc-nat.listed \
    /etc/dhis2-setup/firewall.nft; do
	[ -e "$f" ] || at_exit "rm -f '$f' '$f.prev'"
done
at_exit "rm -f /etc/dhis2-setup/lxc/$P-*"
# The containers, whatever happens (LIFO: before the namespace goes).
for c in proxy hmis postgres; do
	at_exit "in_ns lxc-destroy -f -n '$P-$c'"
done

# --- the stand-in WAR, served on the uplink ---------------------------------
standin_war "$UPNET.1" || { not_ok "build and serve the stand-in WAR"; done_testing; exit 1; }

PF="$E2E_TMP/lxc.yaml"
DATA="$E2E_TMP/pgdata"
cat > "$PF" <<EOP
version: 1
hosting: basement
isolation: lxc
fqdn: $FQDN
admin_network: $UPNET.0/24
timezone: UTC
proxy: nginx
tls:
  mode: self-signed
lxc:
  bridge: $E2E_BRIDGE
  subnet: $E2E_NET.0/24
  release: $E2E_RELEASE
  prefix: $P
instances:
$(stack_instance hmis 2.42 1GB "$WARBASE/$WAR" "$SUM")
database:
  version: 15
  data_path: $DATA
monitoring: none
backups:
  enabled: false
EOP
"$D2S" -q secrets generate "$PF" >/dev/null
run() {		# plan|apply LOG [ARGS]: the tool on the server
	what=$1 log=$2; shift 2
	in_ns env DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" "$what" "$@" "$PF" > "$log" 2>&1
}
exists() {	# NAME: is the container defined
	in_ns lxc-info -n "$1" >/dev/null 2>&1
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
    if " local lxc: " not in line:
        continue
    body = line.split(" local lxc: ", 1)[1]
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
	grep -q "create container $P-proxy (debian $E2E_RELEASE) at $E2E_NET.10" "$E2E_TMP/plan.0"
no_bridge() { ! in_ns ip link show "$E2E_BRIDGE" >/dev/null 2>&1; }
no_containers() {
	for c in proxy hmis postgres; do
		! exists "$P-$c" || return 1
	done
}
no_nat() { ! in_ns nft list table ip dhis2_setup_nat >/dev/null 2>&1; }
check "plan made no bridge" no_bridge
check "plan made no container" no_containers
check "plan loaded no NAT table" no_nat

# --- apply ------------------------------------------------------------------
t0=$(date +%s)
run apply "$E2E_TMP/apply.1" --events-fd 3 3> "$E2E_TMP/events.1"; rc=$?
diag "full lxc install: $(( $(date +%s) - t0 )) s"
check "apply makes the containers and the stack in them (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/apply.1" | tail -40)"
diag "$(lxc_times)"

for pair in proxy:10 hmis:100 postgres:20; do
	c=$P-${pair%%:*} a=$E2E_NET.${pair#*:}
	s=$(in_ns lxc-info -n "$c" -sH 2>/dev/null)
	check "$c exists and runs ($s)" [ "$s" = RUNNING ]
	got=$(in_ns lxc-attach -n "$c" -- ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')
	check "$c has its planned address $a ($got)" [ "$got" = "$a/24" ]
	auto=$(in_ns lxc-info -n "$c" -c lxc.start.auto 2>/dev/null | sed 's/.*= *//')
	check "$c starts at boot (lxc.start.auto = $auto)" [ "$auto" = 1 ]
	st=$(in_ns lxc-attach -n "$c" -- systemctl is-active ssh.service 2>/dev/null)
	check "$c runs no sshd ($st)" [ "$st" != active ]
done
veths=$(in_ns ip -o link show master "$E2E_BRIDGE" 2>/dev/null | grep -c veth)
check "lxc-start made the containers' veths in the server's namespace, on its bridge ($veths)" \
	[ "$veths" -eq 3 ]
check "PostgreSQL's files are on the host path $DATA" \
	sh -c 'ls "$1"/15/main/PG_VERSION >/dev/null 2>&1' sh "$DATA"
check "the host's unit re-makes the bridge and NAT at boot" \
	grep -q "nft -f /etc/dhis2-setup/lxc/nat.nft" /etc/systemd/system/dhis2-setup-lxc-net.service

api() {		# from the root namespace, to the server's uplink address
	curl -sk --max-time 20 --resolve "$FQDN:443:$UPNET.2" "https://$FQDN$1"
}
out=$(api /hmis/api/system/info)
check "from outside, /hmis/api/system/info answers through the proxy over HTTPS (DNAT)" \
	sh -c 'echo "$1" | grep -q "\"standIn\": *true"' sh "$out" || diag "$out"
check "and the stand-in reached PostgreSQL in its container" \
	sh -c 'echo "$1" | grep -q "\"spatialSupport\": *true"' sh "$out"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 --resolve "$FQDN:80:$UPNET.2" "http://$FQDN/hmis/")
check "from outside, HTTP on 80 reaches the proxy too ($code)" [ "$code" = 301 ]
closed() { ! tcp_open "$UPNET.2" 5432 && ! tcp_open "$UPNET.2" 8080; }
check "only 80 and 443 are forwarded: 5432 and 8080 on the uplink are closed" closed
root_clean() { ! nft list table ip dhis2_setup_nat >/dev/null 2>&1; }
check "no table of ours in the root namespace" root_clean

# --- the reachability matrix (with the firewall step's rules) -------------
PORTS="22 80 443 5432 8080"
ct_of() { echo "$P-$1"; }
addr_of() {
	case $1 in
	host) echo "$E2E_NET.1";; proxy) echo "$E2E_NET.10";;
	hmis) echo "$E2E_NET.100";; postgres) echo "$E2E_NET.20";;
	uplink) echo "$UPNET.2";;
	esac
}
LISTENER='my $s = IO::Socket::INET->new(LocalPort => $ARGV[0], Listen => 16,
	ReuseAddr => 1, Proto => "tcp") or exit 1; while (my $c = $s->accept) { close $c }'
# A listener on every port of interest nobody holds, on the host and in
# each container, so that "closed" means the firewall, not a free port.
for port in $PORTS; do
	in_ns ss -Hltn "sport = :$port" | grep -q . && continue
	in_ns perl -MIO::Socket::INET -e "$LISTENER" "$port" </dev/null >/dev/null 2>&1 &
	at_exit "kill $!"
done
for c in proxy hmis postgres; do
	for port in $PORTS; do
		in_ns lxc-attach -n "$(ct_of $c)" -- sh -c 'ss -Hltn "sport = :$1" | grep -q . ||
		    setsid perl -MIO::Socket::INET -e "$2" "$1" </dev/null >/dev/null 2>&1 &' \
		    sh "$port" "$LISTENER"
	done
done
held() {	# WHERE: every port of interest is listened on
	for port in $PORTS; do
		if [ "$1" = host ]; then in_ns ss -Hltn "sport = :$port"
		else in_ns lxc-attach -n "$(ct_of "$1")" -- ss -Hltn "sport = :$port"
		fi | grep -q . || return 1
	done
}
for w in host proxy hmis postgres; do
	check "matrix: every port of interest is listened on in $w" wait_for 15 held "$w"
done
# What the topology allows (plan's matrix), and nothing else.
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
	host) in_ns timeout 3 bash -c "exec 3<>/dev/tcp/$a/$3";;
	*) in_ns lxc-attach -n "$(ct_of "$1")" -- timeout 3 bash -c "exec 3<>/dev/tcp/$a/$3";;
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
wait $pids	# not the listeners or the WAR's server, which are children too
for pair in $PAIRS; do
	s=${pair%%:*} d=${pair#*:} want="" got=""
	for port in $PORTS; do
		echo "$ALLOWED" | grep -qx "$s $d $port" && want="$want $port"
		[ "$(cat "$E2E_TMP/m.$s.$d.$port" 2>/dev/null)" = open ] && got="$got $port"
	done
	check "matrix: $s -> $d: open exactly [${want# }] (open: [${got# }])" [ "$want" = "$got" ]
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
in_ns env DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --only lxc "$PF" > "$E2E_TMP/apply.3" 2>&1
diag "converged lxc step alone: $(( ($(date +%s%N) - t0) / 1000000 )) ms for the command ($(lxc_times))"
drift_repaired() {
	in_ns nft flush chain ip dhis2_setup_nat prerouting || return 1
	in_ns env DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --only lxc "$PF" \
	    > "$E2E_TMP/apply.4" 2>&1 || return 1
	grep -q "load the NAT table" "$E2E_TMP/apply.4" &&
	    in_ns nft list chain ip dhis2_setup_nat prerouting |
	    grep -q "dnat to $E2E_NET.10"
}
check "a flushed NAT chain is loaded again by a re-run" drift_repaired
done_testing
