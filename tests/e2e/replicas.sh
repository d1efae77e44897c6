#!/bin/sh
# A PostgreSQL read replica, for real: three LXC containers reached over
# SSH (playing VMs): front (proxy and app), db (the primary) and replica,
# database.replicas: 1.  Checked:
#  - plan shows the allowed pairs (the replica's 5432 from the app node
#    only, the primary's from the app node and the replica) and the
#    replica's rebuild as a destructive action on the replica only;
#  - apply succeeds; on the primary pg_stat_replication shows the replica
#    streaming through its slot, max_slot_wal_keep_size is bounded;
#  - a row written on the primary appears on the replica; the replica
#    refuses writes;
#  - the stand-in WAR answers through the proxy; from the app machine
#    dhis.conf's read1 credentials reach the replica over TLS
#    (sslmode=require), a hot standby; verify proved it too;
#  - the replica's 5432 is refused from the primary and from this host
#    (not app nodes), open from the app machine;
#  - the replication password is in no transcript (which holds every
#    command's argv), output, events file or postgresql.auto.conf; the
#    passfile is 0600 postgres;
#  - a re-run changes nothing;
#  - a replica that is no longer a standby (promoted) is seen by plan as
#    a rebuild and rebuilt by apply, streaming again with the data.
. "$(dirname "$0")/lib.sh"
FQDN=dhis.e2e.test
FR=$E2E_PREFIX-front DB=$E2E_PREFIX-db RP=$E2E_PREFIX-replica
FRA=$E2E_NET.41 DBA=$E2E_NET.42 RPA=$E2E_NET.43

testbed_up jdk
standin_war || { not_ok "build and serve the stand-in WAR"; done_testing; exit 1; }
containers_up -k "$FR:41" "$DB:42" "$RP:43"

P="$E2E_TMP/rep.yaml"
machines_profile "$P" "$(machine front "$FRA" "proxy, app"
    machine db "$DBA" database; machine replica "$RPA" replica)" \
    "$(stack_instance hmis 2.42 1GB "$WARBASE/dhis2-standin.war" "$SUM")" \
    replicas=1
"$D2S" -q secrets generate "$P" >/dev/null
secret() { sed -n "s/^$1: *\"\{0,1\}\([^\"]*\)\"\{0,1\} *\$/\1/p" "$E2E_TMP/rep.secrets.yaml"; }
RPW=$(secret 'replication\.password')
check "the secrets file has a replication.password" [ -n "$RPW" ]

apply() {	# LOG
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --jobs 4 "$P" > "$1" 2>&1
}
in_ct() { c=$1; shift; lxc-attach -n "$c" -- "$@"; }
pgq() {	# CONTAINER SQL: as postgres, in database hmis
	printf '%s\n' "$2" | lxc-attach -n "$1" -- runuser -u postgres -- \
	    psql -XAtq -d hmis 2>&1
}

# --- plan -----------------------------------------------------------------
"$D2S" plan "$P" > "$E2E_TMP/plan.0" 2>&1
check "plan: the replica's 5432 from the app node" \
	grep -Eq "^  front +replica +5432 +postgresql" "$E2E_TMP/plan.0"
check "plan: the primary's 5432 from the app node and the replica" \
	sh -c 'grep -Eq "^  front +db +5432 +postgresql" "$1" &&
	    grep -Eq "^  replica +db +5432 +replication" "$1"' sh "$E2E_TMP/plan.0"
check "plan: nothing else reaches 5432" \
	sh -c '[ "$(grep -Ec "^  [^ ]+ +[^ ]+ +5432 " "$1")" -eq 3 ]' sh "$E2E_TMP/plan.0"
check "plan: the replica's rebuild is named a destructive action on it only" \
	grep -q "REBUILD this replica (destructive, on replica only" "$E2E_TMP/plan.0" ||
	diag "$(grep -n replica "$E2E_TMP/plan.0" | head -20)"

# --- apply ----------------------------------------------------------------
t0=$(date +%s)
apply "$E2E_TMP/1"; rc=$?
diag "three-machine install with a replica: $(( $(date +%s) - t0 )) s"
check "apply installs primary, replica and app (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/1" | grep -v '^\[.*\]   ' | tail -40)"
diag "$(grep -E '\] (replica|replication) ' "$E2E_TMP/1" | head -12)"

st=$(pgq "$DB" "SELECT application_name || ' ' || state || ' ' || coalesce(sync_state, '') FROM pg_stat_replication")
check "the primary's pg_stat_replication shows the replica streaming ($st)" \
	[ "$st" = "replica streaming async" ]
slot=$(pgq "$DB" "SELECT slot_name || ' ' || active FROM pg_replication_slots")
check "through its slot ($slot)" [ "$slot" = "dhis2_replica true" ]
keep=$(pgq "$DB" "SHOW max_slot_wal_keep_size")
check "max_slot_wal_keep_size bounds what a slot holds ($keep)" [ "$keep" = 8GB ]
check "the replication step proved it from the primary, with the lag" \
	grep -q "\] replication *\(ok\|changed\): streaming: replica [0-9]* bytes behind" "$E2E_TMP/1"

# --- the data ---------------------------------------------------------------
mark="row-$$-$(date +%s)"
pgq "$DB" "CREATE TABLE IF NOT EXISTS e2e_replica (v text); INSERT INTO e2e_replica VALUES ('$mark')" >/dev/null
seen() { [ "$(pgq "$RP" "SELECT v FROM e2e_replica WHERE v = '$mark'")" = "$mark" ]; }
check "a row written on the primary appears on the replica" wait_for 30 seen
out=$(pgq "$RP" "INSERT INTO e2e_replica VALUES ('no')")
check "the replica refuses writes ($out)" \
	sh -c 'echo "$1" | grep -q "read-only transaction"' sh "$out"

# --- the application side -------------------------------------------------
out=$(curl -sk --max-time 20 --resolve "$FQDN:443:$FRA" "https://$FQDN/hmis/api/system/info")
check "the stand-in answers through the proxy" \
	sh -c 'echo "$1" | grep -q "\"standIn\": *true"' sh "$out"
conf=/opt/dhis2/hmis/home/dhis.conf
check "dhis.conf names the replica as read1 with TLS" \
	in_ct "$FR" grep -qx "read1.connection.url = jdbc:postgresql://$RPA:5432/hmis?sslmode=require" "$conf"
# psql there with read1's values; the password from the file into the
# environment, never onto a command line.
read1=$(in_ct "$FR" sh -c '
	v() { sed -n "s/^$1 = //p" "$2"; }
	url=$(v read1.connection.url "$1"); user=$(v read1.connection.username "$1")
	PGPASSWORD=$(v read1.connection.password "$1"); export PGPASSWORD
	hp=${url#jdbc:postgresql://}; host=${hp%%:*}; db=${hp#*/}; db=${db%%\?*}
	psql "host=$host dbname=$db user=$user sslmode=require connect_timeout=10" -XAtc \
	    "SELECT pg_is_in_recovery(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"' sh "$conf" 2>&1)
check "from the app machine read1's credentials reach a hot standby over TLS ($read1)" \
	[ "$read1" = "t|t" ]
check "verify proved read1 from the app side" \
	sh -c 'grep -q "\] verify *changed" "$1/1" && grep -q "pg_is_in_recovery" "$1"/log/*.log' sh "$E2E_TMP"

# --- reachability of the replica's 5432 -------------------------------------
check "the replica's 5432 is open from the app machine" \
	in_ct "$FR" timeout 3 bash -c "exec 3<>/dev/tcp/$RPA/5432"
check "and refused from the primary" \
	sh -c '! lxc-attach -n "$1" -- timeout 3 bash -c "exec 3<>/dev/tcp/$2/5432"' sh "$DB" "$RPA"
check "and from this host" sh -c '! timeout 3 bash -c "exec 3<>/dev/tcp/$1/5432"' sh "$RPA"

# --- secrets ------------------------------------------------------------------
check "the replication password is in no output, transcript (argv included), journal or events file" \
	sh -c '! grep -rqF -- "$1" "$2"/1 "$2"/plan.0 "$2"/log "$2"/state' sh "$RPW" "$E2E_TMP"
check "nor in the replica's postgresql.auto.conf (a passfile is named instead)" \
	sh -c 'a=$(lxc-attach -n "$1" -- cat /var/lib/postgresql/15/main/postgresql.auto.conf) &&
	    echo "$a" | grep -q "passfile=" && ! echo "$a" | grep -qF -- "$2"' sh "$RP" "$RPW"
m=$(in_ct "$RP" stat -c '%a %U' /var/lib/postgresql/.dhis2-replication.pass)
check "the passfile is 0600 postgres ($m)" [ "$m" = "600 postgres" ]

# --- converged ----------------------------------------------------------------
t0=$(date +%s%N)
apply "$E2E_TMP/2"; rc=$?
diag "converged re-run: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "a re-run changes nothing (exit $rc)" grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/2" ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/2" | grep -v '^\[.*\]   ' | tail -20)"

# --- a replica that is no standby any more is rebuilt -------------------------
in_ct "$RP" pg_ctlcluster 15 main promote >/dev/null 2>&1
promoted() { [ "$(pgq "$RP" "SELECT pg_is_in_recovery()")" = f ]; }
wait_for 30 promoted
"$D2S" plan "$P" > "$E2E_TMP/plan.1" 2>&1
check "plan sees the promoted replica and would rebuild it" \
	grep -q "REBUILD this replica .* as it is no standby of the primary" "$E2E_TMP/plan.1" ||
	diag "$(grep -n '\] replica' "$E2E_TMP/plan.1" | head)"
check "and nothing destructive anywhere else" \
	sh -c '[ "$(grep -c REBUILD "$1")" -eq 1 ]' sh "$E2E_TMP/plan.1"
apply "$E2E_TMP/3"; rc=$?
check "apply rebuilds it (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/3" | grep -v '^\[.*\]   ' | tail -20)"
check "it is a standby again with the primary's data" \
	sh -c '[ "$(printf "%s\n" "SELECT pg_is_in_recovery()" | lxc-attach -n "$1" -- runuser -u postgres -- psql -XAtq -d hmis)" = t ]' sh "$RP"
check "and the row" seen
check "the password is in no transcript of the rebuild either" \
	sh -c '! grep -rqF -- "$1" "$2"/3 "$2"/plan.1 "$2"/log' sh "$RPW" "$E2E_TMP"
done_testing
