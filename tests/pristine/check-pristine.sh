#!/bin/sh
# tests/pristine/check-pristine.sh: `make check-pristine`.  Run as root.
#
# The README's two commands, `./bootstrap run --help` and `./bootstrap
# test`, on a Debian 12 machine that starts empty: a privileged LXC
# container whose root is a fresh debootstrap from the archive (no
# template cache, no apt lists or archives, no package installed by hand),
# holding `git archive HEAD` of this tree and nothing generated.  A
# developer's machine hides a missing install step behind packages put
# there by hand; this cannot.  The e2e tests inside make their own nested
# containers, bridges and NAT, so the container allows nesting.
#
# Its own bridge and subnet (10.199.X.0/24, X reserved with an atomic
# mkdir under /run), NAT through this machine to reach the archive; all of
# it undone at exit, last made first undone, on failure and Ctrl-C too.
#
# Prints the wall time of each phase, then the inner summary line
# "N passed, N failed, N skipped" last.  Exit 0 only when that says 0
# failed and more than 0 passed; 1 when anything fails, before the suite
# too (saying what); 77 when it cannot run here (not root, no lxc).
# The inner logs are kept in $top_builddir/pristine-logs.
#
# Environment: PRISTINE_MIRROR (default http://deb.debian.org/debian),
# PRISTINE_SECURITY_MIRROR (http://deb.debian.org/debian-security),
# PRISTINE_WORKDIR (where the container's root goes, default /var/tmp;
# it needs some 10 GB), PRISTINE_TIMEOUT (seconds for ./bootstrap test,
# default 9000).
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
. "$top_srcdir/tests/lib/deb822.sh"
RELEASE=bookworm
MIRROR=${PRISTINE_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${PRISTINE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE_TIMEOUT=${PRISTINE_TIMEOUT:-9000}
LOGS=$top_builddir/pristine-logs
SRC=/root/dhis2-setup		# where a user's fresh clone would be
# The container's environment is a login's, not ours (no PATH of this
# machine's tools, no DEBIAN_FRONTEND or proxy settings set by hand).
CT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "check-pristine: $*"; }
REPORTED=
failed_msg() { REPORTED=1; echo "check-pristine: FAILED: $*" >&2; }
fail() { failed_msg "$*"; exit 1; }
skip() { REPORTED=1; echo "check-pristine: SKIP: $*" >&2; exit 77; }
# What it is doing, for the message when a command stops it unforeseen.
STEP="checking what it needs"
now() { date +%s; }
# mins SECONDS: 1234 -> "20m34s"
mins() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
# tail_of FILE: its last lines, indented, for a failure message
tail_of() { tail -n "${2:-15}" "$1" 2>/dev/null | sed 's/^/    /' >&2; }

# --- can it run here at all? ------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root (it makes a container, a bridge and NAT rules)"
[ "$(uname -s)" = Linux ] || skip "needs Linux"
if ! command -v git >/dev/null 2>&1 ||
    ! git -c safe.directory="$top_srcdir" -C "$top_srcdir" rev-parse --verify -q HEAD >/dev/null; then
	skip "$top_srcdir is not a git checkout with a commit: the check tests what is committed (git archive HEAD)"
fi

rm -rf "$LOGS"
mkdir -p "$LOGS"
: > "$LOGS/times.txt"
T_START=$(now)
# phase NAME SECONDS: one line of the wall-time table
phase() {
	printf '%-34s %8s\n' "$1" "$(mins "$2")" >> "$LOGS/times.txt"
	say "$1: $(mins "$2")"
}

# What this needs on the machine running it; installed when missing.
pkgs=
command -v lxc-start >/dev/null 2>&1 || pkgs="$pkgs lxc"
command -v debootstrap >/dev/null 2>&1 || pkgs="$pkgs debootstrap"
command -v iptables >/dev/null 2>&1 || pkgs="$pkgs iptables"
command -v ip >/dev/null 2>&1 || pkgs="$pkgs iproute2"
[ -r /usr/share/keyrings/debian-archive-keyring.gpg ] || pkgs="$pkgs debian-archive-keyring"
if [ -n "$pkgs" ]; then
	say "installing$pkgs on this machine"
	command -v apt-get >/dev/null 2>&1 || skip "needs$pkgs and there is no apt-get to install them"
	# shellcheck disable=SC2086
	{ timeout 600 apt-get update -q &&
	  timeout 900 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $pkgs; } > "$LOGS/host-install.log" 2>&1 ||
	    skip "cannot install$pkgs here (see $LOGS/host-install.log)"
fi
for c in lxc-start lxc-stop lxc-attach lxc-destroy lxc-info debootstrap iptables ip; do
	command -v $c >/dev/null 2>&1 || skip "no $c after installing its package"
done

# --- teardown: last made, first undone; whatever happens -------------------
CLEANUPS=""
at_exit() { CLEANUPS="$*
$CLEANUPS"; }
# Every undo runs even when one before it failed; a failed one is named
# (and fails the check: a leftover bridge or rule is not a pass).
teardown() {
	list=$CLEANUPS
	CLEANUPS=""
	printf '%s\n' "$list" | {
		bad=0
		while IFS= read -r c; do
			[ -n "$c" ] || continue
			echo "+ $c" >> "$LOGS/teardown.log"
			if ! eval "$c" >> "$LOGS/teardown.log" 2>&1; then
				echo "check-pristine: teardown: failed: $c" >&2
				bad=1
			fi
		done
		exit $bad
	}
}
on_exit() {
	rc=$?
	# Never a quiet failure: a command that stopped the script (set -e)
	# without a message of ours is named by the step it was in.
	[ "$rc" -eq 0 ] || [ -n "$REPORTED" ] ||
	    echo "check-pristine: FAILED (exit $rc) while $STEP" >&2
	# A second Ctrl-C must not leave the teardown half done; every
	# undo is bounded by its own timeout.
	trap '' INT TERM HUP
	if [ -n "$CLEANUPS" ]; then
		teardown || { [ "$rc" -ne 0 ] || rc=1; }
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'REPORTED=1; echo "check-pristine: interrupted, tearing down" >&2; exit 130' INT TERM HUP

# --- subnet, names, work folder -------------------------------------------
STEP="reserving a subnet and a work folder"
# 10.199.X.0/24 reserved with an atomic mkdir (as tests/e2e/lib.sh does
# for 10.197.X): two checks on one machine never share one; a reservation
# left by a killed run only moves the next run on, and /run goes at boot.
# A subnet some interface here already routes is passed over too.
i=$(( $$ % 250 + 1 )); k=0
while [ $k -lt 250 ]; do
	if mkdir "/run/d2s-pristine-net.$i" 2>/dev/null; then
		[ -z "$(ip -4 route show "10.199.$i.0/24" 2>/dev/null)" ] && break
		rmdir "/run/d2s-pristine-net.$i"
	fi
	i=$(( i % 250 + 1 )); k=$((k + 1))
done
[ $k -lt 250 ] || fail "no free subnet: /run/d2s-pristine-net.1-250 all reserved or routed"
at_exit "rmdir '/run/d2s-pristine-net.$i'"
NET=10.199.$i
BR=d2sp$i			# never lxcbr0: ours, and gone at exit
NAME=d2s-pristine-$i
TAG=d2s-pristine-$i		# the comment on each of our iptables rules

base=${PRISTINE_WORKDIR:-/var/tmp}
avail=$(df -Pk "$base" | awk 'NR == 2 { print int($4 / 1048576) }')
[ "${avail:-0}" -ge 10 ] ||
    fail "$base has ${avail:-0} GB free; the container with the build and the nested test containers needs some 10 (PRISTINE_WORKDIR=another place)"
WORK=$(mktemp -d "$base/d2s-pristine.XXXXXX")
# Removed only when nothing is mounted under it any more (a container
# that would not stop keeps its root; better a folder left than the
# remove going through a mount into this machine's own files).
remove_work() {
	if grep -q " ${WORK}[/ ]" /proc/self/mountinfo; then
		echo "still mounted under $WORK: left in place" >&2
		return 1
	fi
	rm -rf --one-file-system "$WORK"
}
at_exit "remove_work"
ROOT=$WORK/$NAME/rootfs
mkdir -p "$ROOT"
say "$NAME on $BR ($NET.0/24), root in $WORK; logs in $LOGS"

# --- the network: our bridge, forwarding, NAT -------------------------------
STEP="setting up the bridge $BR and NAT"
ip link add "$BR" type bridge || fail "cannot create the bridge $BR"
at_exit "ip link del '$BR'"
ip addr add "$NET.1/24" dev "$BR"
ip link set "$BR" up
# ip_forward is one switch for the whole machine.  It goes back to what
# it was, unless a test run of this tree (its /run reservation) still
# needs it; another run's cleanup switching it off under us is watched
# for while the suite runs (keep_forwarding).
old_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
others_running() {
	for d in /run/d2s-e2e-net.* /run/d2s-pristine-net.*; do
		[ -d "$d" ] && [ "$d" != "/run/d2s-pristine-net.$i" ] && return 0
	done
	return 1
}
put_back_forwarding() {
	if [ "$old_fwd" = 0 ] && others_running; then
		echo "ip_forward left at 1: other test runs hold subnets"
	else
		echo "$old_fwd" > /proc/sys/net/ipv4/ip_forward
	fi
}
echo 1 > /proc/sys/net/ipv4/ip_forward
at_exit "put_back_forwarding"
FWD_RESETS=0
keep_forwarding() {
	if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 1 ]; then
		FWD_RESETS=$((FWD_RESETS + 1))
		say "ip_forward was switched off by something else on this machine; on again"
		echo 1 > /proc/sys/net/ipv4/ip_forward
	fi
}
iptables -t nat -A POSTROUTING -s "$NET.0/24" ! -d "$NET.0/24" -j MASQUERADE \
    -m comment --comment "$TAG"
at_exit "iptables -t nat -D POSTROUTING -s '$NET.0/24' ! -d '$NET.0/24' -j MASQUERADE -m comment --comment '$TAG'"
iptables -I FORWARD -i "$BR" -j ACCEPT -m comment --comment "$TAG"
at_exit "iptables -D FORWARD -i '$BR' -j ACCEPT -m comment --comment '$TAG'"
iptables -I FORWARD -o "$BR" -m state --state RELATED,ESTABLISHED -j ACCEPT \
    -m comment --comment "$TAG"
at_exit "iptables -D FORWARD -o '$BR' -m state --state RELATED,ESTABLISHED -j ACCEPT -m comment --comment '$TAG'"

# --- the root file system: debootstrap from the archive ---------------------
STEP="making the root file system"
# The default variant (Priority required + important): what the Debian
# installer puts on a machine with every task deselected, so systemd as
# init, ifupdown, procps, iproute2 are there as on any fresh Debian 12;
# anything else the suite needs must come from ./bootstrap.  Not cached:
# it costs 1-3 minutes, and a cache is one more thing that could be stale.
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
say "debootstrap $RELEASE ($arch) from $MIRROR"
t=$(now)
timeout 1800 debootstrap --arch="$arch" \
    --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    "$RELEASE" "$ROOT" "$MIRROR" > "$LOGS/debootstrap.log" 2>&1 || {
	rc=$?
	failed_msg "debootstrap $RELEASE from $MIRROR exited $rc ($LOGS/debootstrap.log):"
	tail_of "$LOGS/debootstrap.log"
	exit 1
}
phase "debootstrap" $(( $(now) - t ))

# A cold start for apt too: no package lists, no .debs, no caches left
# by debootstrap; the first `apt-get update` inside fetches everything.
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin
find "$ROOT/var/cache/apt/archives" -name '*.deb' -delete
# The sources as deb822 (tests/lib/deb822.sh): bookworm and
# bookworm-updates from the mirror, bookworm-security from the security
# archive.
rm -f "$ROOT/etc/apt/sources.list"
deb822_sources "$ROOT" "$MIRROR" "$SECMIRROR" "$RELEASE" ||
    fail "writing the apt sources into $ROOT"
echo "$NAME" > "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
    "$NAME" > "$ROOT/etc/hosts"
# LXC sets the address; no DHCP client may touch eth0.
printf 'auto lo\niface lo inet loopback\n' > "$ROOT/etc/network/interfaces"
# DNS: this machine's upstream resolvers (a stub on loopback, such as
# systemd-resolved's 127.0.0.53, means nothing inside the container).
upstream() { grep '^nameserver' "$1" 2>/dev/null | grep -qv ' 127\.\| ::1$'; }
resolv=/etc/resolv.conf
upstream "$resolv" || resolv=/run/systemd/resolve/resolv.conf
upstream "$resolv" ||
    fail "no upstream DNS resolver in /etc/resolv.conf or $resolv to give the container"
rm -f "$ROOT/etc/resolv.conf"
cat "$resolv" > "$ROOT/etc/resolv.conf"
dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f '${Package} ${Version}\n' \
    > "$LOGS/packages-fresh.txt"

# --- the container ----------------------------------------------------------
STEP="configuring and starting the container"
# Privileged, so that the tests inside can do what they do on a real
# machine: make bridges, veths, network namespaces, iptables and nftables
# rules, and LXC containers of their own.
#  - apparmor unconfined: nested LXC needs mounts a confined profile
#    refuses (and this machine may have no AppArmor at all).
#  - cgroup:mixed:force: LXC mounts each cgroup v1 hierarchy as this
#    machine has it (cpu and cpuacct apart) in the container's cgroup
#    namespace.  Without :force LXC leaves the mounts to systemd, which
#    mounts "cpu,cpuacct" as one, fails on a host that has them apart,
#    and then the nested lxc-start fails ("Failed to open 9/cpuacct").
#  - proc:mixed sys:mixed, LXC's defaults: /proc/sys read-only but for
#    /proc/sys/net (per network namespace: the tests' ip_forward is the
#    container's own), so a test's sysctl (vm.swappiness, ...) cannot
#    change this machine's kernel.  Not nesting.conf: all it adds besides
#    an AppArmor profile are uncovered proc and sysfs mounts under
#    /dev/.lxc, which only unprivileged (user namespace) nesting needs,
#    and which would hand the tests a writable /proc/sys of this kernel.
cat > "$WORK/$NAME/config" <<EOF
# written by tests/pristine/check-pristine.sh
lxc.include = /usr/share/lxc/config/debian.common.conf
lxc.arch = $arch
lxc.uts.name = $NAME
lxc.rootfs.path = dir:$ROOT
lxc.apparmor.profile = unconfined
lxc.mount.auto =
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed:force
lxc.net.0.type = veth
lxc.net.0.link = $BR
lxc.net.0.flags = up
lxc.net.0.name = eth0
lxc.net.0.ipv4.address = $NET.2/24
lxc.net.0.ipv4.gateway = $NET.1
EOF

# in_ct SECONDS COMMAND: a root shell command in the container, bounded,
# with a login's environment and no terminal.
in_ct() {
	timeout "$1" lxc-attach -P "$WORK" -n "$NAME" --clear-env \
	    --set-var "PATH=$CT_PATH" --set-var HOME=/root \
	    --set-var LANG=C.UTF-8 --set-var TERM=xterm --set-var USER=root \
	    --set-var LOGNAME=root -- sh -c "$2" < /dev/null
}
ct_running() {
	s=$(in_ct 20 'systemctl is-system-running' 2>/dev/null) || true
	[ "$s" = running ] || [ "$s" = degraded ]
}
# wait_for SECONDS COMMAND...: poll until it succeeds, bounded.
wait_for() {
	w=$(( $(now) + $1 )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(now)" -ge "$w" ] && return 1
		sleep 1
	done
}
# Stopping the container ends everything in it: the nested containers,
# their bridges and NAT live in its namespaces and go with it.
destroy_ct() {
	timeout 120 lxc-stop -P "$WORK" -n "$NAME" -k 2>/dev/null || true
	s=$(lxc-info -P "$WORK" -n "$NAME" -s 2>/dev/null | awk '{ print $2 }')
	[ "$s" = STOPPED ] || [ -z "$s" ] || { echo "$NAME is $s after lxc-stop -k"; return 1; }
	# LXC removes its cgroups; any it left would pile up, one per run.
	for d in /sys/fs/cgroup/*/"lxc.payload.$NAME" /sys/fs/cgroup/*/"lxc.monitor.$NAME"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} +
	done
	timeout 600 lxc-destroy -P "$WORK" -n "$NAME" -f
}
at_exit "destroy_ct"
say "starting the container"
t=$(now)
timeout 120 lxc-start -P "$WORK" -n "$NAME" -l INFO -o "$LOGS/lxc-start.log" || {
	failed_msg "lxc-start of $NAME ($LOGS/lxc-start.log):"
	grep -i 'error' "$LOGS/lxc-start.log" | tail -n 10 | sed 's/^/    /' >&2
	exit 1
}
wait_for 180 ct_running || {
	s=$(in_ct 20 'systemctl is-system-running; systemctl --failed --no-legend; systemctl list-jobs --no-legend' 2>&1) || true
	fail "systemd in $NAME did not reach running or degraded within 180 s: $s"
}
wait_for 60 in_ct 10 'getent ahostsv4 deb.debian.org' ||
    fail "no DNS in $NAME: deb.debian.org does not resolve through $(grep -m1 '^nameserver' "$ROOT/etc/resolv.conf")"
phase "container start" $(( $(now) - t ))
in_ct 20 'systemctl --failed --no-legend; uname -r; cat /proc/self/cgroup' \
    > "$LOGS/container-boot.txt" 2>&1 || true

# --- the source: what is committed, nothing generated -----------------------
STEP="copying git archive HEAD in"
head=$(git -c safe.directory="$top_srcdir" -C "$top_srcdir" rev-parse --short HEAD)
dirty=$(git -c safe.directory="$top_srcdir" -C "$top_srcdir" status --porcelain \
    --untracked-files=no | wc -l)
[ "$dirty" -eq 0 ] ||
    say "note: $dirty changed file(s) in $top_srcdir are not in the test: it is HEAD ($head)"
mkdir -p "$ROOT$SRC"
git -c safe.directory="$top_srcdir" -C "$top_srcdir" archive --format=tar HEAD |
    tar -x -C "$ROOT$SRC" || fail "git archive HEAD of $top_srcdir into the container"
say "HEAD $head in $SRC"

# --- the README's commands --------------------------------------------------
STEP="running the README's commands"
# run_watched SECONDS OUT COMMAND [NAME=PATH...]: COMMAND in the container
# in the background, its output in OUT.  Every 5 s: ip_forward kept on;
# each marker PATH (in the container) stamped with when it first
# appeared, which times the phases inside ./bootstrap; a line every 5
# minutes that says it is still going.  Sets RC (124: timed out).
JOB=
kill_job() { [ -z "$JOB" ] || kill "$JOB" 2>/dev/null || true; }
at_exit "kill_job"
run_watched() {
	limit=$1 out=$2 cmd=$3; shift 3
	in_ct "$limit" "$cmd" > "$out" 2>&1 &
	JOB=$!
	started=$(now); next=$((started + 300))
	while kill -0 "$JOB" 2>/dev/null; do
		keep_forwarding
		stamp_marks "$@"
		if [ "$(now)" -ge "$next" ]; then
			say "... $(mins $(( $(now) - started ))) into $cmd"
			next=$((next + 300))
		fi
		sleep 5
	done
	RC=0
	wait "$JOB" || RC=$?
	JOB=
	END=$(now)
	stamp_marks "$@"
}
stamp_marks() {
	for m in "$@"; do
		[ -e "$WORK/mark.${m%%=*}" ] || [ ! -e "$ROOT${m#*=}" ] ||
		    now > "$WORK/mark.${m%%=*}"
	done
}
# stamp MARK: when a marker appeared (or MARK itself, a time)
stamp() {
	case $1 in
	*[!0-9]*) cat "$WORK/mark.$1" 2>/dev/null || true ;;
	*) echo "$1" ;;
	esac
}
# span_phase LABEL FROM TO: a phase between two stamps; "-" when a
# marker never appeared (the run stopped before that phase)
span_phase() {
	a=$(stamp "$2") b=$(stamp "$3")
	if [ -n "$a" ] && [ -n "$b" ]; then phase "$1" $((b - a))
	else printf '%-34s %8s\n' "$1" "-" >> "$LOGS/times.txt"; fi
}

STEP="running apt-get update in the container"
t=$(now)
rc=0
in_ct 900 'apt-get update' > "$LOGS/apt-get-update.out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || grep -q '^[EW]: ' "$LOGS/apt-get-update.out"; then
	failed_msg "apt-get update in $NAME exited $rc ($LOGS/apt-get-update.out):"
	tail_of "$LOGS/apt-get-update.out"
	exit 1
fi
phase "apt-get update" $(( $(now) - t ))

# ./bootstrap run --help: the build dependencies, a build, the usage.
say "./bootstrap run --help"
STEP="running ./bootstrap run --help in the container"
t=$(now)
run_watched 1800 "$LOGS/bootstrap-run-help.out" "cd $SRC && ./bootstrap run --help" \
    "build=$SRC/build"
if [ "$RC" -ne 0 ] || ! grep -q '^usage: dhis2-setup' "$LOGS/bootstrap-run-help.out"; then
	failed_msg "./bootstrap run --help exited $RC without the usage ($LOGS/bootstrap-run-help.out):"
	tail_of "$LOGS/bootstrap-run-help.out"
	exit 1
fi
span_phase "  run: build dependencies" "$t" build
span_phase "  run: build" build "$END"
phase "./bootstrap run --help" $((END - t))

# ./bootstrap test: the build and test dependencies, the sanitizer build,
# make check, make -j2 check-e2e, the summary.
say "./bootstrap test (the suite: some 25 minutes on 2 CPUs)"
STEP="running ./bootstrap test in the container"
t=$(now)
run_watched "$SUITE_TIMEOUT" "$LOGS/bootstrap-test.out" "cd $SRC && ./bootstrap test" \
    "deps=$SRC/build-test" "check=$SRC/build-test/check.out" \
    "e2e=$SRC/build-test/check-e2e.out"
span_phase "  test: dependencies + autoreconf" "$t" deps
span_phase "  test: configure + build (ASan)" deps check
span_phase "  test: make check" check e2e
span_phase "  test: make -j2 check-e2e" e2e "$END"
phase "./bootstrap test" $((END - t))

# --- the logs out, before the container goes --------------------------------
STEP="copying the logs out"
B=$ROOT$SRC/build-test
if [ -d "$B" ]; then
	mkdir -p "$LOGS/build-test"
	(cd "$B" && find . -type f \( -name '*.log' -o -name '*.trs' -o -name '*.out' \) |
	    tar -cf - -T -) | tar -xf - -C "$LOGS/build-test"
fi
cp "$ROOT/var/log/apt/history.log" "$LOGS/apt-history.log" 2>/dev/null || true
dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f '${Package} ${Version}\n' \
    > "$LOGS/packages-after.txt" 2>/dev/null || true

summary=$(tail -n 1 "$LOGS/bootstrap-test.out")
if ! echo "$summary" | grep -Eq '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'; then
	if [ "$RC" -eq 124 ]; then
		failed_msg "./bootstrap test did not finish within $SUITE_TIMEOUT s (PRISTINE_TIMEOUT); its last lines:"
	else
		failed_msg "./bootstrap test exited $RC with no summary line ($LOGS/bootstrap-test.out):"
	fi
	tail_of "$LOGS/bootstrap-test.out" 25
	exit 1
fi
passed=${summary%% passed*}
failed=${summary#*passed, }; failed=${failed%% failed*}

# Each failing test with its first failure, for the reader to start from.
if [ -d "$LOGS/build-test" ] && [ "$failed" -gt 0 ]; then
	say "failing tests (count, first failure; logs in $LOGS/build-test):"
	find "$LOGS/build-test" -name '*.trs' -exec grep -l '^:test-result: \(FAIL\|XPASS\|ERROR\)' {} + |
	    sort | while read -r trs; do
		log=${trs%.trs}.log
		n=$(grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)' "$trs")
		first=$(grep -m1 '^not ok\|^Bail out\|^ERROR' "$log" 2>/dev/null || true)
		echo "  ${log#"$LOGS/build-test/"}: $n; ${first:-(no TAP failure line)}"
	done
fi

# --- teardown now, so that the summary stays the last line ------------------
STEP="tearing down"
t=$(now)
td=0
teardown || td=1
phase "teardown" $(( $(now) - t ))
[ "$FWD_RESETS" -eq 0 ] ||
    say "note: ip_forward was switched off $FWD_RESETS time(s) by something else during the run"
[ "$td" -eq 0 ] || say "teardown left something behind (above; $LOGS/teardown.log)"
phase "total" $(( $(now) - T_START ))
echo "check-pristine: wall time per phase (also $LOGS/times.txt):"
sed 's/^/  /' "$LOGS/times.txt"
echo "$summary" > "$LOGS/summary.txt"
REPORTED=1	# the summary is the report: nothing may follow it
echo "$summary"
[ "$td" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
