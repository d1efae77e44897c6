#!/bin/sh
# Terminal handling: a too-small terminal is refused, NO_COLOR gives a
# monochrome screen, TERM=dumb falls back to line prompts, F10 quits.
. "$(dirname "$0")/lib.sh"
need_tmux

start 70x20 -- wizard
check "a 70x20 terminal exits 2" test "$(wait_rc)" = 2
check "and says it needs 80x24" wait_for "needs at least 80x24"

start 80x24 -- wizard
wait_for "Hosting model" >/dev/null
T capture-pane -e -p -t w > "$tmp/colour.txt"
check "by default the screen has colours" \
    grep -q "$(printf '\033')\[[0-9;]*4[0-7]m" "$tmp/colour.txt"

start 80x24 NO_COLOR=1 -- wizard
wait_for "Hosting model" >/dev/null
T capture-pane -e -p -t w > "$tmp/mono.txt"
check "NO_COLOR draws no colours" \
    sh -c "! grep -q \"$(printf '\033')\[[0-9;]*[34][0-7]m\" '$tmp/mono.txt'"
check "NO_COLOR still shows the screen" grep -q "Own server room" "$tmp/mono.txt"

# Line drawing: lines where the terminal has them, plain ASCII where its
# description has no line-drawing set (slang alone would draw Unicode
# lines in a UTF-8 locale), or when asked for.
start 80x24 -- wizard
wait_for "Hosting model" >/dev/null
screen | sed -n 2p > "$tmp/line2.txt"
check "xterm gets box lines" grep -q '^ ┌──*┤ Hosting model ├' "$tmp/line2.txt"
start 80x24 TERM=ansi-mini -- wizard
check "a terminal without line drawing gets ASCII boxes" \
    wait_for " +-----------------------------+ Hosting model +---"
golden 05-hosting-ascii
check "and no line-drawing characters at all" sh -c \
    "! tmux -S '$sock' capture-pane -p -t w | grep -q '[│┌─]'"
start 80x24 -- wizard --ascii
check "--ascii gives ASCII boxes on xterm" \
    wait_for " +-----------------------------+ Hosting model +---"
start 80x24 DHIS2_SETUP_ASCII=1 -- wizard
check "DHIS2_SETUP_ASCII=1 too" \
    wait_for " +-----------------------------+ Hosting model +---"
start 80x24 LC_ALL=C -- wizard
wait_for "Hosting model" >/dev/null
T capture-pane -e -p -t w > "$tmp/acs.txt"
# tmux keeps such cells as the set's letters and shifts (SO) into the set.
check "outside UTF-8, xterm's own line-drawing set is used" \
    grep -q "$(printf '\016')lqqq" "$tmp/acs.txt"

start 80x24 -- wizard --output x.yaml
wait_for "Hosting model" >/dev/null
keys F10
check "F10 asks before quitting" wait_for "Nothing is saved"
keys Enter
check "quitting exits 0" test "$(wait_rc)" = 0
check "quitting saves nothing" test ! -e "$tmp/x.yaml"

T kill-server 2>/dev/null
rm -f "$tmp/rc"
sock="$tmp/tmux.dumb.sock"
T -f /dev/null new-session -d -s w -x 80 -y 24 \
    "cd '$tmp' && env TERM=dumb '$bin' wizard --output d.yaml; echo \$? > '$tmp/rc'; sleep 600"
check "TERM=dumb on a terminal gets line prompts" wait_for "Choose 1-5 [cloud]:"
keys 5 Enter
check "and SaaS exits 0 there too" test "$(wait_rc)" = 0
