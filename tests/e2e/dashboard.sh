#!/bin/sh
# The run dashboard over a real apply (--only preflight,base) on a test-bed
# LXC container, driven in a private tmux server at 80x24: the screen shows
# the machine, its steps and their states, the progress bar, elapsed time,
# the live output and the log; closing the terminal (the tmux session is
# killed: its pty hangs up) does not stop the run, which finishes and logs;
# 'attach' in a new tmux window follows it to its end; a step that fails
# (base, with a time zone the machine does not have) leaves its last output
# lines and the log's path on the screen.
. "$(dirname "$0")/lib.sh"
ONLY="--only preflight,base"
command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"
testbed_up
C1=$E2E_PREFIX-1
containers_up "$C1:11"

SOCK="$E2E_TMP/tmux.sock"
T() { tmux -S "$SOCK" "$@"; }
at_exit "tmux -S '$SOCK' kill-server"
# shown TARGET: the pane's text; shows TARGET SECONDS TEXT: wait for it.
shown() { T capture-pane -p -t "$1" 2>/dev/null; }
shows() {
	end=$(( $(date +%s) + $2 ))
	until shown "$1" | grep -qF -- "$3"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.3
	done
}
# in_tmux SESSION COMMAND: a new 80x24 session running COMMAND, its exit
# status left in $E2E_TMP/rc.SESSION.
in_tmux() {
	rm -f "$E2E_TMP/rc.$1"
	T -f /dev/null new-session -d -s "$1" -x 80 -y 24 \
	    "cd '$E2E_TMP' && env TERM=xterm LANG=C.UTF-8 \
	    DHIS2_SETUP_LOGDIR='$DHIS2_SETUP_LOGDIR' \
	    DHIS2_SETUP_STATEDIR='$DHIS2_SETUP_STATEDIR' $2; \
	    echo \$? > '$E2E_TMP/rc.$1'; sleep 900"
}
has() { echo "$1" | grep -qF -- "$2"; }
has_re() { echo "$1" | grep -qE -- "$2"; }

P="$E2E_TMP/dash.yaml"
machines_profile "$P" "$(machine app "$E2E_NET.11" "proxy, app, database")" \
    '  - name: hmis
    version: "2.41"
    base_path: /hmis' admin_network="$E2E_NET.0/24" timezone=Africa/Kampala
"$D2S" -q secrets generate "$P" >/dev/null 2>&1
check "secrets generated" [ -s "$E2E_TMP/dash.secrets.yaml" ]
# Its state folder: NAME-KEY, KEY from the profile's real path.
ST="$DHIS2_SETUP_STATEDIR/dash-$(printf %s "$(realpath "$P")" | sha256sum | cut -c1-12)"

# --- the dashboard during a real apply --------------------------------------
in_tmux run "'$D2S' apply $ONLY --accept-new-host-keys '$P'"
check "the dashboard shows base running and its output" \
    shows run 300 "output: app base"
scr=$(shown run)
diag "$scr"
check "title and profile" has "$scr" "dhis2-setup: applying $P"
check "the machine and its steps with their states" \
    has_re "$scr" "^app .*debian 12"
check "preflight ok, base running" \
    sh -c 'echo "$1" | grep -qE "preflight +ok" &&
        echo "$1" | grep -qE "base +running"' sh "$scr"
check "a progress bar at 1 of 2 steps" has_re "$scr" '^\[#+-+\] 1/2 steps +50%'
check "elapsed time" has_re "$scr" "elapsed 00:[0-9][0-9]:[0-9][0-9]"
check "the counts" has "$scr" "running 1  ok 1  changed 0  skipped 0  failed 0"
check "the log's path on the last line" \
    has_re "$(echo "$scr" | tail -1)" "^log: $DHIS2_SETUP_LOGDIR/dash-.*\.log"
check "fits 80x24" sh -c '[ "$(echo "$1" | wc -l)" -le 24 ] &&
    [ "$(echo "$1" | sed "s/─/-/g" |
        awk "{ if (length > 80) n++ } END { print n + 0 }")" -eq 0 ]' sh "$scr"
sleep 1.5
scr2=$(shown run)
check "the elapsed time moves" [ "$(echo "$scr" | head -1)" != "$(echo "$scr2" | head -1)" ]

# --- close the terminal mid-run ----------------------------------------------
pid=$(sed -n 's/^pid //p' "$ST/status")
check "the run's pid is in its status file" [ -n "$pid" ]
T kill-session -t run
ended_before=$(grep -c '"event":"run-end"' "$ST/events")
check "the terminal was closed before the run ended" [ "$ended_before" -eq 0 ]
sleep 2
check "the run goes on after its terminal closed" kill -0 "$pid"
out=$("$D2S" status "$P" 2>&1)
check "status says a run is under way and names attach" \
    has "$out" "a run is under way; 'dhis2-setup attach $P' follows it"

in_tmux att "'$D2S' attach '$P'"
check "attach in a new tmux window shows the running dashboard" \
    shows att 20 "dhis2-setup: attached to $P"
# The title comes first; the run's state follows once attach has read
# its events (seen: "0/2 steps, pending" in the first capture at a load
# of 9).  Wait for it, bounded.
att_state() {
	shown att > "$E2E_TMP/att.scr"
	grep -qE "preflight +ok" "$E2E_TMP/att.scr" &&
	    grep -qE "base +(running|changed)" "$E2E_TMP/att.scr" &&
	    grep -qE "^\[#+" "$E2E_TMP/att.scr"
}
check "attach shows the machine, steps and the bar" wait_for 20 att_state
diag "$(cat "$E2E_TMP/att.scr")"

wait_for 600 sh -c '! kill -0 "$1" 2>/dev/null' sh "$pid"
check "the run finished on its own" sh -c '! kill -0 "$1" 2>/dev/null' sh "$pid"
out=$("$D2S" status "$P" 2>&1)
diag "$out"
check "status: the last run finished, base changed" \
    sh -c 'echo "$1" | grep -q "the last run finished" &&
        echo "$1" | grep -q "app base changed"' sh "$out"
log=$(ls "$DHIS2_SETUP_LOGDIR"/dash-*.log | head -1)
check "the transcript went on to the end" \
    grep -q "end: summary: 1 ok, 1 changed, 0 skipped, 0 failed" "$log"
check "attach ends with the run: its summary and log stay on the screen" \
    shows att 20 "summary: 1 ok, 1 changed, 0 skipped, 0 failed"
scr=$(shown att)
diag "$scr"
check "attach's report: each step's result and the log" \
    sh -c 'echo "$1" | grep -q "^\[app\] base *changed" &&
        echo "$1" | grep -q "^log: $2"' sh "$scr" "$log"
wait_for 10 test -s "$E2E_TMP/rc.att"
check "attach exits 0 after a run without failure" [ "$(cat "$E2E_TMP/rc.att")" = 0 ]
check "the events file is 0600" [ "$(stat -c %a "$ST/events")" = 600 ]
check "the events file holds the run from plan to end" \
    sh -c 'head -1 "$1" | grep -q "\"event\":\"plan\"" &&
        tail -1 "$1" | grep -q "\"event\":\"run-end\""' sh "$ST/events"

# --- a step that fails --------------------------------------------------------
# Packages to install again (output lines before the failure), then a time
# zone the machine does not have.
lxc-attach -n "$C1" -- env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
    unattended-upgrades acl >/dev/null 2>&1
BAD="$E2E_TMP/bad.yaml"
sed 's|^timezone: .*|timezone: Africa/Atlantis|' "$P" > "$BAD"
install -m 600 "$E2E_TMP/dash.secrets.yaml" "$E2E_TMP/bad.secrets.yaml"
in_tmux bad "'$D2S' apply $ONLY '$BAD'"
wait_for 600 test -s "$E2E_TMP/rc.bad"
check "the failing apply exits 1" [ "$(cat "$E2E_TMP/rc.bad" 2>/dev/null)" = 1 ]
scr=$(shown bad)
diag "$scr"
check "the failed step and its message" \
    has_re "$scr" "^\[app\] base +failed: no timezone Africa/Atlantis on app"
check "the failed step's last output lines" \
    sh -c '[ "$(echo "$1" | grep -c "^      | ")" -ge 3 ]' sh "$scr"
badlog=$(ls "$DHIS2_SETUP_LOGDIR"/bad-*.log | head -1)
check "the log's path" has "$scr" "log: $badlog"
check "the summary counts the failure" has "$scr" "summary: 1 ok, 0 changed, 0 skipped, 1 failed"
tailline=$(echo "$scr" | sed -n 's/^      | //p' | tail -1)
check "those lines are the step's own, from its log ($tailline)" \
    sh -c '[ -n "$1" ] && grep -qF -- "$1" "$2"' sh "$tailline" "$badlog"

in_tmux again "'$D2S' attach '$BAD'"
wait_for 20 test -s "$E2E_TMP/rc.again"
scr=$(shown again)
check "attach to the finished failed run shows it again, and exits 1" \
    sh -c '[ "$(cat "$2")" = 1 ] &&
        echo "$1" | grep -q "failed: no timezone Africa/Atlantis" &&
        echo "$1" | grep -q "^log: $3"' sh "$scr" "$E2E_TMP/rc.again" "$badlog"

# --- secrets -------------------------------------------------------------------
sed -n 's/^[^:]*: *//p' "$E2E_TMP/dash.secrets.yaml" | tr -d '"'"'" > "$E2E_TMP/secret.values"
leaks=$(cat "$DHIS2_SETUP_STATEDIR"/*/events "$DHIS2_SETUP_LOGDIR"/* |
    grep -c -F -f "$E2E_TMP/secret.values")
check "no secret value in the events files or logs" [ "$leaks" -eq 0 ]
done_testing
