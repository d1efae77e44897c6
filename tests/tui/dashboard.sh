#!/bin/sh
# The run dashboard at 80x24 in tmux, fed by 'attach' from events files
# written here the way a run writes them (its lock held by flock(1) while
# it "runs"): the condensed view of 3 machines x 9 steps, the failure
# panel, the live output, the log; colour and NO_COLOR; Unicode and ASCII
# rules; resize; a terminal too small; q detaches; the run's end and a run
# that stops without one.  The real apply is tests/e2e/dashboard.sh.
. "$(dirname "$0")/lib.sh"
need_tmux
command -v flock >/dev/null 2>&1 || { echo "1..0 # SKIP no flock(1)"; exit 0; }

st="$tmp/state"
# A profile's state folder: NAME-KEY, KEY from its real path (journal.c).
sd() { echo "$st/$1-$(printf %s "$(cd "$tmp" && pwd -P)/$1.yaml" |
	sha256sum | cut -c1-12)"; }
holder=""
release() {	# end the fake run: its lock goes
	[ -n "$holder" ] || return 0
	pkill -P "$holder" sleep 2>/dev/null
	wait "$holder" 2>/dev/null
	holder=""
}
hold() {	# NAME: a run of NAME.yaml is under way
	touch "$(sd "$1")/lock"
	flock -o "$(sd "$1")/lock" sleep 120 &
	holder=$!
	i=0
	while [ $i -lt 50 ] && flock -n "$(sd "$1")/lock" true; do
		sleep 0.1; i=$((i + 1))
	done
}
# outputs MACHINE N TEXT: N output events of MACHINE's base step, TEXT's @
# the event's number.
outputs() {
	i=0
	while [ $i -lt "$2" ]; do
		printf '{"event":"output","machine":"%s","step":"base","stream":1,"text":"%s"}\n' \
		    "$1" "$(printf '%s' "$3" | sed "s/@/$i/")"
		i=$((i + 1))
	done
}
trap 'release; echo "1..$n"; cleanup' EXIT
now=$(date +%s)

# --- a big run: 3 machines, 9 steps each, one failed, one running ---------
mkdir -p "$(sd big)" "$(sd small)"
{
	for m in proxy app db; do
		for s in preflight base postgres tomcat war tls proxy certbot verify; do
			echo "{\"event\":\"plan\",\"machine\":\"$m\",\"step\":\"$s\"}"
		done
	done
	echo "{\"event\":\"run-start\",\"text\":\"big.yaml\",\"done\":0,\"total\":27,\"log\":\"/var/log/dhis2-setup/big-1.log\",\"time\":$((now - 75))}"
	for m in proxy app db; do
		echo "{\"event\":\"machine\",\"machine\":\"$m\",\"text\":\"debian 12, 1024 MB, 2 CPUs, systemd, virt lxc\"}"
		echo "{\"event\":\"step-start\",\"machine\":\"$m\",\"step\":\"preflight\"}"
		echo "{\"event\":\"step-result\",\"machine\":\"$m\",\"step\":\"preflight\",\"result\":\"ok\"}"
	done
	echo '{"event":"step-start","machine":"proxy","step":"base"}'
	echo '{"event":"step-result","machine":"proxy","step":"base","result":"changed"}'
	echo '{"event":"step-start","machine":"db","step":"base"}'
	outputs db 12 'Setting up pkg@ (1.2) \u001b[1mdone\u001b[0m'
	echo '{"event":"step-result","machine":"db","step":"base","result":"failed","text":"no timezone Africa/Atlantis on db"}'
	echo '{"event":"step-start","machine":"app","step":"base"}'
	outputs app 30 'Unpacking lib@ (2.0)'
	echo '{"event":"progress","done":6,"total":27}'
} > "$(sd big)/events"

hold big
start 80x24 LANG=C.UTF-8 DHIS2_SETUP_STATEDIR="$st" -- attach big.yaml
check "attach shows the run" wait_for "6/27 steps"
s=$(screen)
echo "$s" | sed 's/^/# /'
check "elapsed time from the run's start" \
    sh -c 'echo "$1" | head -1 | grep -q "elapsed 00:01:[0-9][0-9]"' sh "$s"
check "the bar at 6 of 27" sh -c 'echo "$1" | grep -q "^\[#*-*\] 6/27 steps  22%$"' sh "$s"
check "the counts" sh -c 'echo "$1" | grep -q "running 1  ok 3  changed 1  skipped 0  failed 1  pending 21"' sh "$s"
check "27 steps do not fit in full: one line per machine, with a legend" \
    sh -c 'echo "$1" | grep -q "pending > running = ok + changed - skipped ! failed" &&
        echo "$1" | grep -q "^proxy  *=+\.\.\.\.\.\.\.$" &&
        echo "$1" | grep -q "^app  *=>\.\.\.\.\.\.\. base$" &&
        echo "$1" | grep -q "^db  *=!\.\.\.\.\.\.\. failed base$"' sh "$s"
check "the live output of the running step, its last lines" \
    sh -c 'echo "$1" | grep -q "output: app base" &&
        echo "$1" | grep -q "^ Unpacking lib29 (2.0)$"' sh "$s"
check "the failure: step, message, last lines (escape codes gone)" \
    sh -c 'echo "$1" | grep -q "FAILED: db base" &&
        echo "$1" | grep -q "^ no timezone Africa/Atlantis on db$" &&
        echo "$1" | grep -q "^   Setting up pkg11 (1.2) done$"' sh "$s"
check "the log's path on the last line" \
    sh -c 'echo "$1" | tail -1 | grep -q "^log: /var/log/dhis2-setup/big-1.log"' sh "$s"
check "rules in Unicode in a UTF-8 locale" \
    sh -c 'echo "$1" | grep -q "^── output: app base ──"' sh "$s"
esc=$(printf '\033')
check "colours" sh -c 'echo "$1" | grep -q "$2\[[0-9;]*3[1-6]m"' sh \
    "$(T capture-pane -e -p -t w)" "$esc"
T resize-window -t w -x 100 -y 30
sleep 0.6
s=$(screen)
check "redrawn at 100x30 after a resize" \
    sh -c 'echo "$1" | grep -q "^\[#*-*\] 6/27 steps  22%$" &&
        [ "$(echo "$1" | grep "6/27" | awk "{ print length }")" -eq 100 ]' sh "$s"
keys q
check "q detaches and exits 0" [ "$(wait_rc)" = 0 ]
check "saying the run goes on" wait_for "detached; the run goes on"

start 80x24 LANG=C.UTF-8 NO_COLOR=1 DHIS2_SETUP_STATEDIR="$st" -- attach big.yaml
wait_for "6/27 steps" >/dev/null 2>&1
check "NO_COLOR: no colour, the states still there" \
    sh -c '! echo "$1" | grep -q "$2\[[0-9;]*3[1-7]m" &&
        echo "$1" | grep -q "FAILED: db base"' sh \
    "$(T capture-pane -e -p -t w)" "$esc"

# A terminal without line drawing (xterm's entry less acsc and the
# alternate charset, which tic would fill in with vt100's), C locale.
if command -v tic >/dev/null 2>&1 && command -v infocmp >/dev/null 2>&1 &&
    infocmp -x xterm 2>/dev/null | sed -e 's/^xterm|[^,]*,/xterm-noacs|no acs,/' \
    -e 's/acsc=[^,]*, *//' -e 's/[sr]macs=[^,]*, *//g' \
    -e 's/enacs=[^,]*, *//' > "$tmp/noacs.src" &&
    tic -x -o "$tmp/ti" "$tmp/noacs.src" 2>/dev/null; then
	start 80x24 LANG=C LC_ALL=C TERMINFO="$tmp/ti" TERM=xterm-noacs \
	    DHIS2_SETUP_STATEDIR="$st" -- attach big.yaml
	# lib.sh's start sets TERM=xterm first; ours comes after it.
	wait_for "6/27 steps" >/dev/null 2>&1
	check "plain ASCII rules where the terminal has no line drawing" \
	    sh -c 'echo "$1" | grep -q "^-- output: app base ---"' sh "$(screen)"
else
	ok "plain ASCII rules # SKIP no tic/infocmp"
fi

start 80x24 LANG=C.UTF-8 DHIS2_SETUP_ASCII=1 DHIS2_SETUP_STATEDIR="$st" -- \
    attach big.yaml
wait_for "6/27 steps" >/dev/null 2>&1
check "DHIS2_SETUP_ASCII=1: ASCII rules even in a UTF-8 locale" \
    sh -c 'echo "$1" | grep -q "^-- output: app base ---"' sh "$(screen)"

start 30x8 DHIS2_SETUP_STATEDIR="$st" -- attach big.yaml
check "a terminal too small says so" wait_for "terminal too small"

# --- a small run followed to its end --------------------------------------
{
	echo '{"event":"plan","machine":"app","step":"preflight"}'
	echo '{"event":"plan","machine":"app","step":"base"}'
	echo "{\"event\":\"run-start\",\"text\":\"small.yaml\",\"done\":0,\"total\":2,\"log\":\"/var/log/dhis2-setup/small-1.log\",\"time\":$now}"
	echo '{"event":"machine","machine":"app","text":"debian 12, 1024 MB, 2 CPUs, systemd, virt lxc"}'
	echo '{"event":"step-start","machine":"app","step":"preflight"}'
	echo '{"event":"step-result","machine":"app","step":"preflight","result":"ok"}'
	echo '{"event":"progress","done":1,"total":2}'
	echo '{"event":"step-start","machine":"app","step":"base"}'
	echo '{"event":"command","machine":"app","step":"base","text":"apt-get install -y acl"}'
	echo '{"event":"output","machine":"app","step":"base","stream":1,"text":"Setting up acl (2.3.1-3) ..."}'
} > "$(sd small)/events"
release
hold small
start 80x24 LANG=C.UTF-8 DHIS2_SETUP_STATEDIR="$st" -- attach small.yaml
check "a small run: each step on its own" wait_for "base       running"
s=$(screen)
check "the machine, its facts, preflight ok" \
    sh -c 'echo "$1" | grep -q "^app  debian 12, 1024 MB" &&
        echo "$1" | grep -q "preflight  ok"' sh "$s"
{
	echo '{"event":"output","machine":"app","step":"base","stream":2,"text":"E: Unable to locate package nothing"}'
	echo '{"event":"step-result","machine":"app","step":"base","result":"failed","text":"cannot install acl"}'
	echo '{"event":"progress","done":2,"total":2}'
	echo "{\"event\":\"run-end\",\"text\":\"summary: 1 ok, 0 changed, 0 skipped, 1 failed\",\"counts\":{\"ok\":1,\"changed\":0,\"skipped\":0,\"failed\":1},\"time\":$((now + 42))}"
} >> "$(sd small)/events"
check "attach ends with the run and exits 1 for its failure" [ "$(wait_rc)" = 1 ]
# The exit status can be written before tmux has drawn the report.
wait_for "log: /var/log/dhis2-setup/small-1.log" >/dev/null 2>&1
wait_for "summary: 1 ok, 0 changed" >/dev/null 2>&1
s=$(screen)
echo "$s" | sed 's/^/# /'
check "its report: results, the failed step's last lines, summary, log" \
    sh -c 'echo "$1" | grep -q "^\[app\] preflight    ok$" &&
        echo "$1" | grep -q "^\[app\] base         failed: cannot install acl$" &&
        echo "$1" | grep -q "^      | E: Unable to locate package nothing$" &&
        echo "$1" | grep -q "^summary: 1 ok, 0 changed, 0 skipped, 1 failed$" &&
        echo "$1" | grep -q "^log: /var/log/dhis2-setup/small-1.log$"' sh "$s"

# --- a run that stops without an end (killed) -------------------------------
head -8 "$(sd small)/events" > "$(sd small)/events.new"
mv "$(sd small)/events.new" "$(sd small)/events"
start 80x24 DHIS2_SETUP_STATEDIR="$st" -- attach small.yaml
wait_for "base       running" >/dev/null 2>&1
release
check "a run killed under attach: attach says so and exits 1" [ "$(wait_rc)" = 1 ]
check "and how to finish it" wait_for "the run stopped before it finished"

# --- no terminal, no file ----------------------------------------------------
out=$(cd "$tmp" && DHIS2_SETUP_STATEDIR="$st" "$bin" attach small.yaml 2>&1 | cat)
check "attach with no terminal: plain lines" \
    sh -c 'echo "$1" | grep -q "^\[app\] preflight    ok$" &&
        echo "$1" | grep -q "stopped before it finished"' sh "$out"
DHIS2_SETUP_STATEDIR="$st" "$bin" attach none.yaml >/dev/null 2>&1
check "attach to a profile never run: exit 2" [ $? -eq 2 ]
