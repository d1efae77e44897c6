#!/bin/sh
# bench/stack.sh: the full single-server install against its floor, in
# one run, on two identical fresh LXC containers of the e2e test bed:
#
#  1. tool:  `dhis2-setup apply` of a single-server profile (nginx,
#            self-signed, one instance of the stand-in WAR), everything
#            from an empty container to a verified answer over HTTPS;
#  2. floor: one plain `apt-get install` of the very packages the tool
#            installed (read from its transcript), then starting
#            postgresql, tomcat10 and nginx: what no installer can beat;
#  3. the converged re-run of the tool (median of 3).
#
# It prints the times and the ratio tool/floor (target: at most 1.2x) and
# asserts nothing.  Needs root, lxc, a JDK for the stand-in; run it from
# a build tree without sanitizers for meaningful numbers:
#   top_builddir=/path/to/build sh bench/stack.sh
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
export top_srcdir
. "$top_srcdir/tests/e2e/lib.sh"
need_root
lxc_usable || skip_all "lxc missing"
[ -x "$D2S" ] || skip_all "build dhis2-setup first"
command -v javac >/dev/null 2>&1 || skip_all "no JDK to build the stand-in WAR"
make_client_key
bridge_up || exit 1
T=$E2E_PREFIX-tool F=$E2E_PREFIX-floor
FQDN=dhis.bench.test

standin_war || exit 1

# Both from the same template cache, started together, idle when timed.
container_create "$T" 41 && container_create "$F" 42 || exit 1
container_wait "$T" 41 && container_wait "$F" 42 || exit 1
for c in "$T" "$F"; do
	wait_for 120 sh -c '! lxc-attach -n "$1" -- pgrep -x "apt|apt-get|dpkg" >/dev/null' sh "$c"
done

ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

P="$E2E_TMP/bench.yaml"
stack_profile "$P" "$E2E_NET.41" nginx "  mode: self-signed" \
	"$(stack_instance hmis 2.42 1GB "$WARBASE/dhis2-standin.war" "$SUM")"
"$D2S" -q secrets generate "$P" >/dev/null

a=$(date +%s%N)
DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --accept-new-host-keys "$P" \
	> "$E2E_TMP/tool.1" 2>&1 || { tail -40 "$E2E_TMP/tool.1"; exit 1; }
b=$(date +%s%N)
tool=$(ms "$a" "$b")

# The packages the tool asked apt-get for, from its own transcript.
PKGS=$(grep -ho 'apt-get -q -y --no-install-recommends .* install .*' \
	"$DHIS2_SETUP_LOGDIR"/*.log | sed 's/.* install //' | tr ' ' '\n' |
	grep -v '^$' | sort -u | tr '\n' ' ')
[ -n "$PKGS" ] || { echo "no package installs found in the transcript"; exit 1; }

a=$(date +%s%N)
lxc-attach -n "$F" -- sh -c 'apt-get -q update &&
	DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends install "$@" &&
	systemctl start postgresql tomcat10 nginx' sh $PKGS > "$E2E_TMP/floor" 2>&1 ||
	{ tail -20 "$E2E_TMP/floor"; exit 1; }
b=$(date +%s%N)
floor=$(ms "$a" "$b")

for r in 1 2 3; do
	a=$(date +%s%N)
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply "$P" > "$E2E_TMP/rerun" 2>&1 ||
		{ tail -20 "$E2E_TMP/rerun"; exit 1; }
	b=$(date +%s%N)
	grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/rerun" ||
		echo "warning: re-run $r changed something"
	ms "$a" "$b"
done > "$E2E_TMP/reruns"

echo "packages: $PKGS"
echo "floor (apt-get install + start postgresql tomcat10 nginx): $floor ms"
echo "dhis2-setup apply, single server, empty to verified:      $tool ms"
awk -v t="$tool" -v f="$floor" 'BEGIN { printf "ratio tool/floor: %.2fx (target <= 1.2x)\n", t / f }'
# Where the tool's time went: each step's first to last line in the
# first apply's transcript (the re-runs have their own).
echo "tool, per step (s):"
grep -h '^[0-9T:.-]*Z server [a-z]*:' "$(ls "$DHIS2_SETUP_LOGDIR"/*.log | head -n 1)" |
	awk 'function t(s) { split(substr(s, 12, 12), a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
	{ st = $3; sub(/:$/, "", st)
	  if (!(st in b)) { b[st] = t($1); order[++n] = st }; e[st] = t($1) }
	END { for (i = 1; i <= n; i++) printf "  %-10s %6.1f\n", order[i], e[order[i]] - b[order[i]] }'
echo "converged re-run: median $(median < "$E2E_TMP/reruns") ms (runs: $(tr '\n' ' ' < "$E2E_TMP/reruns"))"
