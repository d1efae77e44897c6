#!/bin/sh
# isolation: machines, for real: proxy, app and database on three LXC
# containers reached over SSH (playing VMs), on a bridge and subnet this
# test creates; the tool connects from the host's bridge address, which
# is the profile's admin_network.  After apply:
#  (a) the stand-in WAR answers /api/system/info through the proxy over
#      HTTPS (so proxy -> app:8080 and app -> db:5432 work through the
#      firewalls);
#  (b) PostgreSQL has ssl on, pg_hba hostssl lines for the app machine,
#      and dhis.conf asks for sslmode=require;
#  (c) the reachability matrix: from the host and every machine to every
#      port of interest on every other machine, exactly the allowed pairs
#      connect.  A throwaway listener first holds every port of interest
#      nothing listens on, so that only the firewall decides;
#  (d) a re-run changes nothing;
#  (e) the lock-out guard: a profile whose admin_network leaves out the
#      host is refused with a message and nothing changes;
#  (f) the rules come back when a machine reboots;
# and the cross-machine order holds in the transcript (war after the
# database's postgres, verify after every other step).
. "$(dirname "$0")/lib.sh"
PORTS="22 80 443 8080 5432 6379 9100"
FQDN=dhis.e2e.test
PX=$E2E_PREFIX-proxy APP=$E2E_PREFIX-app DB=$E2E_PREFIX-db
PXA=$E2E_NET.31 APPA=$E2E_NET.32 DBA=$E2E_NET.33

testbed_up jdk
standin_war || { not_ok "build and serve the stand-in WAR"; done_testing; exit 1; }
containers_up -k "$PX:31" "$APP:32" "$DB:33"

profile() {	# FILE ADMIN-NETWORK
	machines_profile "$1" "$(machine proxy "$PXA" proxy
	    machine app "$APPA" app; machine db "$DBA" database)" \
	    "$(stack_instance hmis 2.42 1GB "$WARBASE/dhis2-standin.war" "$SUM")" \
	    admin_network="$2"
}
apply() {	# PROFILE LOG [ARGS]
	p=$1 l=$2; shift 2
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply "$@" "$p" > "$l" 2>&1
}

P="$E2E_TMP/iso.yaml"
profile "$P" "$E2E_NET.1/32"
"$D2S" -q secrets generate "$P" >/dev/null

# --- plan shows the matrix ------------------------------------------------
"$D2S" plan "$P" > "$E2E_TMP/plan" 2>&1
check "plan shows the allowed pairs" sh -c 'grep -q "^Allowed connections" "$1" &&
	grep -Eq "^  app +db +5432 +postgresql" "$1"' sh "$E2E_TMP/plan"

# --- apply ----------------------------------------------------------------
t0=$(date +%s)
apply "$P" "$E2E_TMP/1" --jobs 4; rc=$?
diag "three-machine install: $(( $(date +%s) - t0 )) s"
check "apply installs the three machines (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/1" | grep -v '^\[.*\]   ' | tail -40)"

# The cross-machine order, from the transcript: a step's first line (a
# change its check found, or its result) comes after it started.
last() { grep -n "^\[$1\] $2 *\(changed\|ok\)" "$E2E_TMP/1" | tail -1 | cut -d: -f1; }
first() { grep -n "^\[$1\] $2 " "$E2E_TMP/1" | head -1 | cut -d: -f1; }
before() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" -lt "$2" ]; }
pg=$(last db postgres) war=$(first app war) ver=$(first "[a-z]*" verify)
check "war starts after postgres is done on the db machine (line $pg < $war)" before "$pg" "$war"
n=$(grep -n "^\[[a-z]*\] [a-z]* *\(changed\|ok\|failed\|skipped\)" "$E2E_TMP/1" |
	grep -v "\] verify " | tail -1 | cut -d: -f1)
check "verify starts after every other step is done (line $n < $ver)" before "$n" "$ver"

# (a) the stand-in through the proxy
out=$(curl -sk --max-time 20 --resolve "$FQDN:443:$PXA" "https://$FQDN/hmis/api/system/info")
check "(a) /hmis/api/system/info answers through the proxy over HTTPS" \
	sh -c 'echo "$1" | grep -q "\"standIn\": *true"' sh "$out"
check "(a) and the stand-in reached PostgreSQL on the db machine" \
	sh -c 'echo "$1" | grep -q "\"spatialSupport\": *true"' sh "$out"

# (b) TLS between app and database
ssl=$(lxc-attach -n "$DB" -- su postgres -c "psql -XAtc 'show ssl'" 2>/dev/null)
check "(b) PostgreSQL on db has ssl on ($ssl)" [ "$ssl" = on ]
check "(b) pg_hba has hostssl lines for the app machine" \
	sh -c 'lxc-attach -n "$1" -- sh -c "cat /etc/postgresql/*/main/pg_hba.conf" |
	grep -Eq "^hostssl[[:space:]].*$2/32"' sh "$DB" "$APPA"
check "(b) and no plain host line for it" \
	sh -c '! lxc-attach -n "$1" -- sh -c "cat /etc/postgresql/*/main/pg_hba.conf" |
	grep -Eq "^host[[:space:]].*$2/32"' sh "$DB" "$APPA"
check "(b) dhis.conf on app asks for sslmode=require" \
	lxc-attach -n "$APP" -- grep -q "sslmode=require" /opt/dhis2/hmis/home/dhis.conf

# (c) the reachability matrix
listen_all() {	# CONTAINER: a listener on every port of interest left free
	for port in $PORTS; do
		lxc-attach -n "$1" -- sh -c 'ss -Hltn "sport = :$1" | grep -q . ||
		    setsid perl -MIO::Socket::INET -e "
			my \$s = IO::Socket::INET->new(LocalPort => $1, Listen => 16,
			    ReuseAddr => 1, Proto => q(tcp)) or exit 1;
			while (my \$c = \$s->accept) { close \$c }" \
		    </dev/null >/dev/null 2>&1 &' sh "$port"
	done
}
for c in "$PX" "$APP" "$DB"; do listen_all "$c"; done
held() {	# CONTAINER: every port of interest is listened on
	for port in $PORTS; do
		lxc-attach -n "$1" -- ss -Hltn "sport = :$port" | grep -q . || return 1
	done
}
for c in "$PX" "$APP" "$DB"; do
	check "every port of interest is listened on in $c" wait_for 10 held "$c"
done

# What the profile allows, and nothing else: "SOURCE TARGET PORT".
ALLOWED="host proxy 22
host app 22
host db 22
host proxy 80
host proxy 443
app proxy 80
app proxy 443
db proxy 80
db proxy 443
proxy app 8080
app db 5432"
addr_of() { case $1 in proxy) echo "$PXA";; app) echo "$APPA";; db) echo "$DBA";; esac; }
ct_of() { case $1 in proxy) echo "$PX";; app) echo "$APP";; db) echo "$DB";; esac; }
probe() {	# SOURCE TARGET PORT -> writes open/closed
	a=$(addr_of "$2")
	if [ "$1" = host ]; then
		timeout 3 bash -c "exec 3<>/dev/tcp/$a/$3" 2>/dev/null
	else
		lxc-attach -n "$(ct_of "$1")" -- timeout 3 bash -c "exec 3<>/dev/tcp/$a/$3" 2>/dev/null
	fi && echo open > "$E2E_TMP/m.$1.$2.$3" || echo closed > "$E2E_TMP/m.$1.$2.$3"
}
pids=""
for s in host proxy app db; do
	for d in proxy app db; do
		[ "$s" = "$d" ] && continue
		for port in $PORTS; do probe "$s" "$d" "$port" & pids="$pids $!"; done
	done
done
wait $pids	# not the WAR's HTTP server, which is a child too
for s in host proxy app db; do
	for d in proxy app db; do
		[ "$s" = "$d" ] || reach_check "(c)" "$s" "$d"
	done
done

# (d) a re-run changes nothing
converged "$E2E_TMP/2" "(d) the re-run changes nothing" \
    apply "$P" "$E2E_TMP/2"

# (e) the lock-out guard
state() {	# what is loaded and written on the three machines
	for c in "$PX" "$APP" "$DB"; do
		lxc-attach -n "$c" -- sh -c 'nft list table inet dhis2_setup | grep "comment \"dhis2"; sha256sum /etc/dhis2-setup/firewall.nft'
	done
}
state > "$E2E_TMP/state.before"
PL="$E2E_TMP/lockout.yaml"
profile "$PL" "192.0.2.0/24"
cp "$E2E_TMP/iso.secrets.yaml" "$E2E_TMP/lockout.secrets.yaml"
apply "$PL" "$E2E_TMP/3"; rc=$?
check "(e) an admin_network without this host fails the run (exit $rc)" [ $rc -eq 1 ]
check "(e) and says why" grep -q "refusing to load the firewall on .*$E2E_NET.1.*admin_network 192.0.2.0/24" "$E2E_TMP/3" ||
	diag "$(grep firewall "$E2E_TMP/3" | head -5)"
state > "$E2E_TMP/state.after"
check "(e) nothing changed on the machines" cmp -s "$E2E_TMP/state.before" "$E2E_TMP/state.after"
check "(e) SSH still answers" tcp_open "$DBA" 22

# (f) the firewall comes back at boot (dhis2-setup-firewall.service)
tag=$(lxc-attach -n "$DB" -- nft list table inet dhis2_setup | grep "comment \"dhis2")
lxc-stop -r -n "$DB" -t 60 >/dev/null 2>&1
wait_for 120 container_running "$DB"
check "(f) after a reboot the db machine has its rules again" \
	sh -c '[ -n "$2" ] && [ "$(lxc-attach -n "$1" -- nft list table inet dhis2_setup | grep "comment \"dhis2")" = "$2" ]' sh "$DB" "$tag"
done_testing
