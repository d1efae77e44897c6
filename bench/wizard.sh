#!/bin/sh
# bench/wizard.sh [BUILDDIR]: start-to-first-screen time of the newt
# wizard at 80x24 (in tmux, until "Hosting model" is drawn) and its peak
# RSS (GNU time, through a full text-frontend walk and a newt start).
# Targets from issue 6: under 50 ms, under 10 MB.  Build without
# sanitizers for meaningful figures.
b=${1:-.}
bin="$b/dhis2-setup"
tmp=$(mktemp -d)
sock="$tmp/s"
trap 'tmux -S "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
now() { date +%s%N; }
best=
for i in 1 2 3 4 5; do
	t0=$(now)
	tmux -S "$sock" -f /dev/null new-session -d -x 80 -y 24 \
	    "TERM=xterm '$bin' wizard; sleep 5"
	until tmux -S "$sock" capture-pane -p 2>/dev/null | grep -q "Hosting model"
	do :; done
	t1=$(now)
	tmux -S "$sock" kill-server
	ms=$(( (t1 - t0) / 1000000 ))
	[ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
done
echo "first screen: best of 5 ${best} ms (includes tmux start and polling)"
tmux -S "$sock" -f /dev/null new-session -d -x 80 -y 24 \
    "TERM=xterm /usr/bin/time -f %M -o '$tmp/rss' '$bin' wizard"
until tmux -S "$sock" capture-pane -p 2>/dev/null | grep -q "Hosting model"; do :; done
tmux -S "$sock" send-keys F10 Enter
sleep 0.5
echo "newt peak RSS: $(cat "$tmp/rss") KB"
printf '5\n' | /usr/bin/time -f %M -o "$tmp/rss2" "$bin" wizard --frontend text >/dev/null
echo "text frontend peak RSS: $(cat "$tmp/rss2") KB"
