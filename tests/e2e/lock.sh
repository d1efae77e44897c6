#!/bin/sh
# The lock on the targets (issue 11, M4), against one container over SSH:
# two profiles for one server (same file name, two folders) cannot apply
# at once: the second exits 4 naming the first, and nothing is changed;
# the same profile by another path is the same profile (the local lock);
# a run killed with its lock held is taken over by the next (same control
# machine: its PID is gone); a lock from another control machine is taken
# over when its SSH session is gone on the target, and held, with the file
# to remove named, when nothing proves it stale.  The runs are apply
# --only preflight (read-only); the first is held still, with its lock,
# by an events pipe nobody reads.
. "$(dirname "$0")/lib.sh"
testbed_up
C=$E2E_PREFIX-lock
containers_up -k "$C:61"
IP=$E2E_NET.61
L=/run/lock/dhis2-setup.lock
export DHIS2_SETUP_MIN_RAM_MB=1 DHIS2_SETUP_MIN_DISK_MB=1
ONLY="--only preflight"

mk() {	# FOLDER: FOLDER/site.yaml for the container, its secrets
	mkdir -p "$1"
	cp "$E2E_TMP/known_hosts" "$1/"
	machines_profile "$1/site.yaml" "$(machine srv "$IP" "proxy, app, database")" \
	    '  - name: hmis
    version: "2.41"
    base_path: /hmis'
	"$D2S" -q secrets generate "$1/site.yaml" >/dev/null 2>&1
}
mk "$E2E_TMP/a"
mk "$E2E_TMP/b"
A=$E2E_TMP/a/site.yaml B=$E2E_TMP/b/site.yaml
locked() { lxc-attach -n "$C" -- test -e "$L"; }
lockfile() { lxc-attach -n "$C" -- cat "$L" 2>/dev/null; }

# held_apply PROFILE OUT: apply in the background, held still after it has
# taken its locks (its first event waits on a full pipe); sets $held.
held_apply() {
	rm -f "$E2E_TMP/ev"
	mkfifo "$E2E_TMP/ev"
	exec 7<>"$E2E_TMP/ev"
	timeout 3 cat /dev/zero >&7 2>/dev/null
	"$D2S" apply $ONLY --no-dashboard --events-fd 8 "$1" 8>"$E2E_TMP/ev" \
	    > "$2" 2>&1 &
	held=$!
	at_exit "kill -9 $held"
	wait_for 120 locked
}
# unhold: the pipe read, the run goes on.
unhold() {
	cat "$E2E_TMP/ev" > /dev/null &
	exec 7>&-
}

# --- two profiles, one server -----------------------------------------------
check "a held run has the lock on the server" held_apply "$A" "$E2E_TMP/a.out"
diag "$(lockfile)"
check "the lock names the holder, its pid, start and real profile path" \
    sh -c 'echo "$1" | grep -q "^pid $2$" && echo "$1" | grep -q "^started " &&
        echo "$1" | grep -q "^profile $3$" && echo "$1" | grep -q "^conn [0-9]* [0-9]*$"' \
    sh "$(lockfile)" "$held" "$(realpath "$A")"
out=$("$D2S" apply $ONLY --no-dashboard "$B" 2>&1); rc=$?
diag "$out"
check "another profile for the same server is refused (exit 4)" [ $rc -eq 4 ]
check "the refusal names the machine and the holder's pid and profile" \
    sh -c 'echo "$1" | grep -q "srv is being changed by another run: .*pid $2 .*profile $3" &&
        echo "$1" | grep -q "nothing was changed"' sh "$out" "$held" "$(realpath "$A")"
check "the refused run did not start: no step in its output" \
    sh -c '! echo "$1" | grep -q "preflight"' sh "$out"
out=$(cd "$E2E_TMP/a" && "$D2S" apply $ONLY --no-dashboard ./site.yaml 2>&1); rc=$?
check "the same profile by another path: refused by the local lock (exit 4)" \
    sh -c '[ $1 -eq 4 ] && echo "$2" | grep -q "another run of this profile"' sh $rc "$out"
check "the holder's lock is still there, still its own" \
    sh -c 'lxc-attach -n "$1" -- grep -q "^pid $2$" "$3"' sh "$C" "$held" "$L"
unhold
wait "$held"; rc=$?
check "the held run then finishes (exit $rc)" [ $rc -eq 0 ] || diag "$(tail -20 "$E2E_TMP/a.out")"
check "and gives its lock back" sh -c '! lxc-attach -n "$1" -- test -e "$2"' sh "$C" "$L"
"$D2S" apply $ONLY --no-dashboard "$B" > "$E2E_TMP/b.out" 2>&1; rc=$?
check "the other profile applies now (exit $rc)" [ $rc -eq 0 ] || diag "$(tail -20 "$E2E_TMP/b.out")"
check "two site.yaml in two folders keep two state folders" \
    [ "$(ls "$DHIS2_SETUP_STATEDIR" | grep -c '^site-')" -eq 2 ]

# --- stale: the holder killed ---------------------------------------------
held_apply "$A" "$E2E_TMP/a2.out"
kill -9 "$held"
wait "$held" 2>/dev/null
exec 7>&-
check "a killed run leaves its lock" locked
"$D2S" apply $ONLY --no-dashboard "$B" > "$E2E_TMP/b2.out" 2>&1; rc=$?
check "the next run takes the killed run's lock over (exit $rc)" [ $rc -eq 0 ] ||
    diag "$(tail -20 "$E2E_TMP/b2.out")"
check "and says so" grep -q "the lock of a run that is gone was taken over" "$E2E_TMP/b2.out"
check "and gives it back" sh -c '! lxc-attach -n "$1" -- test -e "$2"' sh "$C" "$L"

# --- another control machine ----------------------------------------------
plant() {	# CONN: a lock of another control machine
	printf 'holder op@elsewhere\npid 4242\npid-start 1\nhost elsewhere\nboot other-boot\nstarted 2026-01-01T00:00:00Z\nprofile /srv/site.yaml\nconn %s\ntoken feedbeef\n' "$1" |
	    lxc-attach -n "$C" -- sh -c "cat > $L"
}
# A process of the container that is gone: its SSH session, say.
gone=$(lxc-attach -n "$C" -- sh -c 'sh -c "echo \$\$"')
plant "$gone 999"
"$D2S" apply $ONLY --no-dashboard "$B" > "$E2E_TMP/b3.out" 2>&1; rc=$?
check "a lock whose SSH session is gone on the server is taken over (exit $rc)" [ $rc -eq 0 ] ||
    diag "$(tail -20 "$E2E_TMP/b3.out")"
check "and the run says whose it was" grep -q "op@elsewhere.*whose run is gone" "$E2E_TMP/b3.out"
plant -
out=$("$D2S" apply $ONLY --no-dashboard "$B" 2>&1); rc=$?
diag "$out"
check "a lock nothing proves stale is held (exit 4)" [ $rc -eq 4 ]
check "the message names the holder and the file to remove" \
    sh -c 'echo "$1" | grep -q "op@elsewhere (pid 4242 on elsewhere, since 2026-01-01T00:00:00Z, profile /srv/site.yaml).*remove /run/lock/dhis2-setup.lock on srv"' sh "$out"
check "the lock is left as it was" sh -c 'lxc-attach -n "$1" -- grep -q "^token feedbeef$" "$2"' sh "$C" "$L"
done_testing
