#!/bin/sh
# monitoring: prometheus with isolation: machines, two LXC containers over
# SSH playing VMs: "web" (proxy, app and the monitor) and "db" (the
# database).  Only the steps monitoring needs are applied (--only), no
# WAR.  Prometheus on web scrapes db's node and PostgreSQL exporters
# across db's firewall, which lets the monitor in and nobody else.
. "$(dirname "$0")/lib.sh"
FQDN=dhis.e2e.test
WEB=$E2E_PREFIX-web DB=$E2E_PREFIX-db
WEBA=$E2E_NET.41 DBA=$E2E_NET.42
STEPS=base,firewall,postgres,exporters,prometheus

testbed_up
containers_up -k "$WEB:41" "$DB:42"

P="$E2E_TMP/mon.yaml"
machines_profile "$P" \
    "$(machine web "$WEBA" "proxy, app, monitor"; machine db "$DBA" database)" \
    '  - name: hmis
    version: "2.42"' monitoring=prometheus
"$D2S" -q secrets generate "$P" >/dev/null
apply() {	# LOG
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --only "$STEPS" "$P" > "$1" 2>&1
}

"$D2S" plan "$P" > "$E2E_TMP/plan" 2>&1
check "plan allows the exporters from the monitor only" sh -c '
	grep -Eq "^  web +db +9100 +node-exporter" "$1" &&
	grep -Eq "^  web +db +9187 +postgres-exporter" "$1" &&
	[ "$(grep -Ec " (9100|9187) " "$1")" -eq 2 ]' sh "$E2E_TMP/plan"

t0=$(date +%s)
apply "$E2E_TMP/1"; rc=$?
diag "two machines, monitoring's steps: $(( $(date +%s) - t0 )) s"
check "apply (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/1" | grep -v '^\[.*\]   ' | tail -30)"
pe=$(grep -n "^\[db\] exporters *changed" "$E2E_TMP/1" | cut -d: -f1)
pp=$(grep -n "^\[web\] prometheus " "$E2E_TMP/1" | head -1 | cut -d: -f1)
check "prometheus starts after db's exporters are done (line $pe < $pp)" \
	sh -c '[ -n "$1" ] && [ -n "$2" ] && [ "$1" -lt "$2" ]' sh "$pe" "$pp"

targets=$(lxc-attach -n "$WEB" -- curl -s --max-time 5 'http://127.0.0.1:9090/api/v1/targets?state=active' |
	python3 -c 'import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
print(" ".join(sorted("%s@%s=%s" % (x["labels"]["job"], x["labels"]["instance"], x["health"]) for x in t)))')
check "Prometheus on web has every target up ($targets)" \
	[ "$targets" = "node@$DBA:9100=up node@127.0.0.1:9100=up postgres@$DBA:9187=up prometheus@127.0.0.1:9090=up" ]
check "the monitor reads pg_up 1 from db across the firewall" \
	sh -c 'lxc-attach -n "$1" -- curl -sf --max-time 5 "http://$2:9187/metrics" | grep -q "^pg_up 1"' sh "$WEB" "$DBA"
check "db's exporters listen on every address (the firewall decides)" \
	sh -c '[ "$(lxc-attach -n "$1" -- ss -Hltn | awk "{print \$4}" | grep -Ec "^(\*|0\.0\.0\.0|\[::\]):(9100|9187)$")" -ge 2 ]' sh "$DB"
check "the host (admin, not the monitor) cannot reach db's exporters" \
	sh -c 'tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
	    ! tcp_open "$1" 9100 && ! tcp_open "$1" 9187' sh "$DBA"
check "web's node exporter and Prometheus stay on loopback" \
	sh -c '! lxc-attach -n "$1" -- ss -Hltn | awk "{print \$4}" |
	    grep -E ":(9100|9090)$" | grep -vq "^127\.0\.0\.1:"' sh "$WEB"

converged "$E2E_TMP/2" "a re-run changes nothing" \
    apply "$E2E_TMP/2"
done_testing
