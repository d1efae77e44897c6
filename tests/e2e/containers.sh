#!/bin/sh
# The engine against three real LXC containers (systemd and sshd inside)
# on a bridge and subnet this test creates: the LXC transport, plan changes
# nothing, apply preflight+base over SSH, kill -9 half-way then re-run
# converges, the next re-run changes nothing, secrets never reach a log,
# the lock, SIGHUP, unknown host keys refused.
. "$(dirname "$0")/lib.sh"
# The engine's machinery, on the first two steps; the stack's own steps
# are proven by stack.sh.
ONLY="--only preflight,base"
[ -x "$TOOL" ] || skip_all "build tests/e2e/transport-tool first (make check-e2e)"
testbed_up
C1=$E2E_PREFIX-1 C2=$E2E_PREFIX-2 C3=$E2E_PREFIX-3
containers_up "$C1:11" "$C2:12" "$C3:13"

# --- the LXC transport ---------------------------------------------------
transport_suite lxc /root/d2s-lxc-test "lxc:$C1"
out=$("$TOOL" "lxc:$C1" run sh -c 'echo "${HOME:-unset}:${E2E_LEAK:-none}"' 2>&1)
check "lxc: the container does not inherit our environment" \
    sh -c 'echo "$1" | grep -q ":none$"' sh "$out"

# --- the profile ------------------------------------------------------------
P="$E2E_TMP/e2e.yaml"
machines_profile "$P" "$(machine proxy "$E2E_NET.11" proxy
    machine app "$E2E_NET.12" app; machine db "$E2E_NET.13" database)" \
    '  - name: hmis
    version: "2.41"
    base_path: /hmis' admin_network="$E2E_NET.0/24" timezone=Africa/Kampala
"$D2S" -q secrets generate "$P" >/dev/null 2>&1
check "secrets generated" [ -s "$E2E_TMP/e2e.secrets.yaml" ]

# --- host keys: unknown refused --------------------------------------------
out=$("$D2S" plan $ONLY "$P" 2>&1); rc=$?
check "plan refuses unknown host keys (exit 3)" [ $rc -eq 3 ]
check "and says how to accept them" \
    sh -c 'echo "$1" | grep -q "not a known host.*--accept-new-host-keys"' sh "$out"

# --- plan changes nothing ---------------------------------------------------
snapshot() {
	for c in $C1 $C2 $C3; do
		lxc-attach -n "$c" -- sh -c 'dpkg-query -W; getent passwd;
		    find /etc /opt -xdev \( -type f -o -type l \) -printf "%p %s %T@ %m\n" 2>/dev/null |
		    sort' | md5sum
	done
}
before=$(snapshot)
out=$("$D2S" plan $ONLY --accept-new-host-keys "$P" 2>&1); rc=$?
diag "$(echo "$out" | grep -v '^\[.*+ ' | head -20)"
check "plan on fresh containers succeeds" [ $rc -eq 0 ]
check "plan shows what base would change" \
    sh -c 'echo "$1" | grep -q "base .*would change" &&
        echo "$1" | grep -q "+ install package unattended-upgrades" &&
        echo "$1" | grep -q "+ create /etc/sysctl.d/90-dhis2.conf"' sh "$out"
check "the accepted host keys were recorded" [ "$(wc -l < "$E2E_TMP/known_hosts")" -eq 3 ]
after=$(snapshot)
check "plan changed nothing on the containers" [ "$before" = "$after" ]
"$D2S" plan $ONLY --json "$P" > "$E2E_TMP/plan.json" 2>/dev/null
check "plan --json lists every machine and step" \
    sh -c '[ "$(grep -c "\"step\":" "$1")" -eq 6 ] && grep -q "\"would-change\"" "$1"' sh "$E2E_TMP/plan.json"

# --- apply, SIGHUP, kill -9 half-way -----------------------------------------
EV="$E2E_TMP/events.1"
"$D2S" apply $ONLY --jobs 3 --events-fd 3 "$P" 3>"$EV" > "$E2E_TMP/apply.1" 2>&1 &
pid=$!
wait_for 120 grep -q '"event":"command".*"step":"base".*apt-get' "$EV"
kill -HUP "$pid" 2>/dev/null
sleep 1
check "apply survives SIGHUP (a dropped SSH session)" kill -0 "$pid"
"$D2S" apply $ONLY "$P" > "$E2E_TMP/apply.locked" 2>&1; rc=$?
check "a second apply of the same profile is refused (exit 4)" [ $rc -eq 4 ]
sleep 2
kill -9 "$pid"
wait "$pid" 2>/dev/null
out=$("$D2S" status "$P" 2>&1)
check "status says the killed run was interrupted" \
    sh -c 'echo "$1" | grep -q "interrupted"' sh "$out"
diag "$out"

t1=$(date +%s)
"$D2S" apply $ONLY --jobs 3 --events-fd 3 "$P" 3>"$E2E_TMP/events.2" > "$E2E_TMP/apply.2" 2>&1; rc=$?
diag "$(cat "$E2E_TMP/apply.2")"
check "re-run after kill -9 converges (exit 0)" [ $rc -eq 0 ]
if [ $rc -ne 0 ]; then
	[ $rc -gt 128 ] && diag "apply was killed by signal $((rc - 128)) from outside this test"
	diag "$(tail -40 "$(ls -t "$DHIS2_SETUP_LOGDIR"/* | head -1)" | cut -c1-200)"
fi
diag "converging apply took $(( $(date +%s) - t1 )) s"

t1=$(date +%s%N)
"$D2S" apply $ONLY --jobs 3 --events-fd 3 "$P" 3>"$E2E_TMP/events.3" > "$E2E_TMP/apply.3" 2>&1; rc=$?
t2=$(date +%s%N)
check "the next re-run succeeds" [ $rc -eq 0 ]
check "the next re-run reports 0 changed" grep -q "summary: 6 ok, 0 changed, 0 skipped, 0 failed" "$E2E_TMP/apply.3"
diag "converged re-run of preflight+base on 3 containers: $(( (t2 - t1) / 1000000 )) ms"
check "the converged run ran no apt-get, useradd or put" \
    sh -c '! grep -q "apt-get\|useradd\|\"event\":\"command\",[^}]*\"text\":\"/etc" "$1"' sh "$E2E_TMP/events.3"

out=$("$D2S" apply $ONLY --dry-run "$P" 2>&1); rc=$?
check "apply --dry-run on the converged machines: 6 ok, nothing would change" \
    sh -c '[ $1 -eq 0 ] && echo "$2" | grep -q "plan: 6 ok, 0 would change"' sh "$rc" "$out"

for c in $C1 $C2 $C3; do
	out=$(lxc-attach -n "$c" -- sh -c 'cat /etc/timezone; id -u dhis >/dev/null && echo user;
	    dpkg-query -W -f="\${db:Status-Abbrev}" unattended-upgrades; echo;
	    stat -c %a /etc/sysctl.d/90-dhis2.conf')
	check "$c: timezone, user, unattended-upgrades and sysctl file are there" \
	    [ "$out" = "Africa/Kampala
user
ii 
644" ]
done

# --- drift: a file's mode and another's content changed by hand ---------------
lxc-attach -n "$C2" -- sh -c 'chmod 600 /etc/sysctl.d/90-dhis2.conf;
    echo "dhis soft nofile 1024" > /etc/security/limits.d/90-dhis2.conf'
out=$("$D2S" plan $ONLY "$P" 2>&1)
check "plan shows the drift: a mode to set and a diff" \
    sh -c 'echo "$1" | grep -q "set /etc/sysctl.d/90-dhis2.conf to mode 0644" &&
        echo "$1" | grep -q -- "-dhis soft nofile 1024" &&
        echo "$1" | grep -q -- "+dhis hard nofile 65536"' sh "$out"
out=$("$D2S" apply $ONLY "$P" 2>&1); rc=$?
check "apply repairs the drift on one machine only" \
    sh -c '[ $1 -eq 0 ] && echo "$2" | grep -q "summary: 5 ok, 1 changed"' sh "$rc" "$out"
out=$(lxc-attach -n "$C2" -- sh -c 'stat -c %a /etc/sysctl.d/90-dhis2.conf;
    grep -c 65536 /etc/security/limits.d/90-dhis2.conf;
    cat /etc/security/limits.d/90-dhis2.conf.prev')
check "mode and content are back, the hand-edited file kept as .prev" \
    [ "$out" = "644
2
dhis soft nofile 1024" ]

# --- no secret in any log or event ---------------------------------------------
sed -n 's/^[^:]*: *//p' "$E2E_TMP/e2e.secrets.yaml" | tr -d '"'"'" > "$E2E_TMP/secret.values"
leaks=$(cat "$DHIS2_SETUP_LOGDIR"/* "$E2E_TMP"/events.* "$E2E_TMP"/apply.* |
    grep -c -F -f "$E2E_TMP/secret.values")
check "no secret value in any log, event or output ($(wc -l < "$E2E_TMP/secret.values") secrets)" [ "$leaks" -eq 0 ]
check "transcripts are mode 0600" \
    sh -c '[ -z "$(find "$1" -type f ! -perm 0600)" ]' sh "$DHIS2_SETUP_LOGDIR"

# --- a changed host key is refused ---------------------------------------------
lxc-attach -n "$C3" -- sh -c 'rm -f /etc/ssh/ssh_host_*; ssh-keygen -A >/dev/null; systemctl restart ssh'
wait_for 20 tcp_open "$E2E_NET.13" 22
out=$("$D2S" apply $ONLY --accept-new-host-keys "$P" 2>&1); rc=$?
check "apply refuses a changed host key even with --accept-new-host-keys (exit 3)" [ $rc -eq 3 ]
check "the other machines still converge (4 ok)" \
    sh -c 'echo "$1" | grep -q "summary: 4 ok, 0 changed, 1 skipped, 1 failed"' sh "$out"
check "and both fingerprints are shown" \
    sh -c '[ "$(echo "$1" | grep CHANGED | grep -o "SHA256:[A-Za-z0-9+/]*" | sort -u | wc -l)" -eq 2 ]' sh "$out"
done_testing
