#!/bin/sh
# monitoring: prometheus on one server (single-host), in an LXC container
# playing the server, with one instance of the stand-in WAR: the node and
# PostgreSQL exporters answer on loopback only, Prometheus (127.0.0.1:9090)
# reports every target up, pg_up is 1 as the pg_monitor role, the role's
# password is nowhere it should not be, and a re-run changes nothing; a
# run killed between a service's files and its restart is finished later.
. "$(dirname "$0")/lib.sh"
testbed_up jdk
A=$E2E_PREFIX-mon
FQDN=dhis.e2e.test

standin_war || { not_ok "build and serve the stand-in WAR"; done_testing; exit 1; }

container_create "$A" 31 || { not_ok "create the container"; done_testing; exit 1; }
check "the server boots" container_wait "$A" 31

P="$E2E_TMP/mon.yaml"
stack_profile "$P.in" "$E2E_NET.31" nginx "  mode: self-signed" \
	"$(stack_instance hmis 2.42 1GB "$WARBASE/$WAR" "$SUM")"
sed 's/^monitoring: none$/monitoring: prometheus/' "$P.in" > "$P"
"$D2S" -q secrets generate "$P" >/dev/null
PW=$(sed -n 's/^monitoring\.password: *//p' "$E2E_TMP/mon.secrets.yaml" | tr -d "\"'")
check "the secrets file holds a generated monitoring.password" [ ${#PW} -ge 24 ]

in_a() { lxc-attach -n "$A" -- "$@"; }
apply() {	# LOG
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --accept-new-host-keys "$P" > "$1" 2>&1
}

out=$("$D2S" plan --explain --accept-new-host-keys "$P" 2>&1)
check "plan --explain names the exporters and prometheus steps" \
	sh -c 'echo "$1" | grep -q "exporters .*node exporter" &&
	    echo "$1" | grep -q "prometheus .*127.0.0.1:9090"' sh "$out"

apply_timed "$E2E_TMP/a.1" "install with monitoring" "apply installs the stack with monitoring"
diag "$(grep -E '\] (exporters|prometheus) ' "$E2E_TMP/a.1")"

check "the node exporter answers on 127.0.0.1:9100" \
	sh -c 'lxc-attach -n "$1" -- curl -sf http://127.0.0.1:9100/metrics | grep -q "^node_exporter_build_info"' sh "$A"
check "the PostgreSQL exporter reaches PostgreSQL: pg_up 1" \
	sh -c 'lxc-attach -n "$1" -- curl -sf http://127.0.0.1:9187/metrics | grep -q "^pg_up 1"' sh "$A"
check "neither exporter nor Prometheus listens beyond loopback" \
	sh -c '! lxc-attach -n "$1" -- ss -Hltn | awk "{print \$4}" |
	    grep -E ":(9100|9187|9090)$" | grep -vq "^127\.0\.0\.1:"' sh "$A"
check "Prometheus is not reachable from outside the server" \
	sh -c '! timeout 2 bash -c "exec 3<>/dev/tcp/$1/9090" 2>/dev/null' sh "$E2E_NET.31"

targets() { in_a curl -s --max-time 5 'http://127.0.0.1:9090/api/v1/targets?state=active'; }
targets > "$E2E_TMP/targets.json"
summary=$(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["data"]["activeTargets"]
print(" ".join(sorted("%s=%s" % (x["labels"]["job"], x["health"]) for x in t)))' "$E2E_TMP/targets.json" 2>&1)
check "Prometheus reports every target up ($summary)" \
	[ "$summary" = "node=up postgres=up prometheus=up" ]
q=$(in_a curl -s --max-time 5 'http://127.0.0.1:9090/api/v1/query?query=pg_up')
check "and has scraped pg_up 1 from the PostgreSQL exporter" \
	sh -c 'echo "$1" | grep -q "\"value\":\[[0-9.]*,\"1\"\]"' sh "$q"

role=$(echo "SELECT rolsuper, rolcreaterole, rolcreatedb, pg_has_role('dhis2_monitor', 'pg_monitor', 'MEMBER') FROM pg_roles WHERE rolname = 'dhis2_monitor';" |
	in_a runuser -u postgres -- psql -XAtq -d postgres)
check "the exporter's role is a pg_monitor member and nothing more ($role)" [ "$role" = "f|f|f|t" ]
check "its pg_hba lines name loopback only" \
	sh -c 'lxc-attach -n "$1" -- grep dhis2_monitor /etc/postgresql/15/main/pg_hba.conf |
	    awk "{print \$4}" | sort | tr "\n" " " | grep -qx "127.0.0.1/32 ::1/128 "' sh "$A"

mode=$(in_a stat -c '%a %U' /etc/dhis2-setup/monitoring/postgres-exporter.pass)
check "the password file is 0600 and the exporter's ($mode)" [ "$mode" = "600 prometheus" ]
check "the exporter's environment file holds no password" \
	sh -c '! lxc-attach -n "$1" -- grep -qF -- "$2" /etc/default/prometheus-postgres-exporter' sh "$A" "$PW"
# Every file on the server that holds the password, and who may read it.
found=$(in_a sh -c 'grep -rlsF -- "$1" /etc /var/log /var/lib/prometheus /opt /tmp /run /root 2>/dev/null |
	while read -r f; do stat -c "%a %U %n" "$f"; done' sh "$PW")
diag "files holding it: $(echo "$found" | tr '\n' ';')"
check "no file others can read holds the password" \
	sh -c '! echo "$1" | grep -q "^[0-7][0-7][4-7] "' sh "$found"
check "no process has it on its command line" \
	sh -c '! lxc-attach -n "$1" -- sh -c "cat /proc/[0-9]*/cmdline 2>/dev/null | tr \"\\0\" \" \"" | grep -qF -- "$2"' sh "$A" "$PW"
check "the output, transcript, journal and events never show it" \
	sh -c '! grep -rqF -- "$1" "$2/a.1" "$DHIS2_SETUP_LOGDIR" "$DHIS2_SETUP_STATEDIR"' sh "$PW" "$E2E_TMP"
check "the scrape configuration holds no credentials" \
	sh -c '! lxc-attach -n "$1" -- grep -qiE "password|district|basic_auth" /etc/prometheus/prometheus.yml' sh "$A"

converged "$E2E_TMP/a.2" "a re-run changes nothing" \
    apply "$E2E_TMP/a.2"
check "and the prometheus step says every target is up" \
	grep -q "prometheus *ok.*every target up" "$E2E_TMP/a.2"

# A stopped exporter is a failed check, not an ok monitoring.
in_a systemctl stop prometheus-postgres-exporter
sleep 20
"$D2S" plan --accept-new-host-keys "$P" > "$E2E_TMP/plan.down" 2>&1
check "plan notices a stopped exporter" grep -q "start and enable prometheus-postgres-exporter" "$E2E_TMP/plan.down"
check "and Prometheus's target down" grep -q "postgres on server (127.0.0.1:9187)" "$E2E_TMP/plan.down" ||
	diag "$(grep -E 'exporters|prometheus' "$E2E_TMP/plan.down")"
apply "$E2E_TMP/a.3"; rc=$?
check "apply starts it again and every target is up (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(tail -20 "$E2E_TMP/a.3")"

# A run killed (kill -9) between writing a service's files and restarting
# or reloading it (security audit M3).  systemctl on the server holds the
# first of nginx's reload or the node exporter's restart until the run is
# killed; the files are then as wanted, the running service is not: the
# next plan must still owe the restart or reload, and the next apply do it.
in_a sh -c 'cat > /usr/local/sbin/systemctl <<"END"
#!/bin/sh
echo "$*" >> /run/e2e-systemctl.log
case "$*" in
"reload nginx"|"restart prometheus-node-exporter")
	if [ -e /run/e2e-hold ]; then
		rm -f /run/e2e-hold
		echo "$$ $*" > /run/e2e-held
		exec sleep 600
	fi;;
esac
exec /usr/bin/systemctl "$@"
END
chmod 0755 /usr/local/sbin/systemctl; touch /run/e2e-hold'
in_a sh -c 'echo "# drift" >> /etc/nginx/sites-available/dhis2;
	echo "# drift" >> /etc/default/prometheus-node-exporter'
apply "$E2E_TMP/a.4" & apid=$!
wait_for 600 lxc-attach -n "$A" -- test -s /run/e2e-held
held=$(in_a cat /run/e2e-held 2>/dev/null)
kill -9 "$apid" 2>/dev/null; wait "$apid" 2>/dev/null
in_a sh -c 'kill "${1%% *}"; : > /run/e2e-systemctl.log' sh "$held"
action=${held#* }
check "a run is killed before it would: $action" [ -n "$action" ]
"$D2S" plan --accept-new-host-keys "$P" > "$E2E_TMP/plan.killed" 2>&1; rc=$?
check "the next plan still owes it, not converged (exit $rc)" \
	grep -q "$action: an earlier run changed its files and stopped before that" "$E2E_TMP/plan.killed" ||
	diag "$(grep -E '(proxy|exporters) ' "$E2E_TMP/plan.killed")"
apply "$E2E_TMP/a.5"; rc=$?
check "the next apply does it (exit $rc)" \
	sh -c '[ "$1" -eq 0 ] && lxc-attach -n "$2" -- grep -qx "$3" /run/e2e-systemctl.log' sh "$rc" "$A" "$action" ||
	diag "$(tail -20 "$E2E_TMP/a.5"; in_a cat /run/e2e-systemctl.log)"
in_a rm -f /usr/local/sbin/systemctl /run/e2e-systemctl.log /run/e2e-held
apply "$E2E_TMP/a.6"; rc=$?
check "then a re-run changes nothing and owes nothing (exit $rc)" \
	sh -c 'grep -q "summary: .* 0 changed, .* 0 failed" "$1" &&
	    [ -z "$(lxc-attach -n "$2" -- ls -A /var/lib/dhis2-setup/pending)" ]' sh "$E2E_TMP/a.6" "$A" ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/a.6" | tail -20)"
done_testing
