#!/bin/sh
# bench/isolation.sh: the three-machine install (isolation: machines;
# proxy, app, database as LXC containers reached over SSH, the stand-in
# WAR) with parallel preparation (--jobs 4) against --jobs 1, each on
# fresh containers, and the converged re-run (median of 3).
#
# Needs root, lxc and a JDK, like tests/e2e/isolation-machines.sh.  Run it
# from a build tree without sanitizers for meaningful numbers:
#   top_builddir=/path/to/build sh bench/isolation.sh
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
export top_srcdir
. "$top_srcdir/tests/e2e/lib.sh"
need_root
lxc_usable || skip_all "lxc missing"
command -v javac >/dev/null 2>&1 || skip_all "no JDK for the stand-in WAR"
FQDN=dhis.bench.test

make_client_key
bridge_up || exit 1
standin_war || exit 1

profile() {	# FILE BASE (host parts BASE+1..BASE+3)
	{
		printf 'version: 1\nhosting: datacentre\nisolation: machines\n'
		printf 'fqdn: %s\nadmin_network: %s.1/32\ntimezone: UTC\n' "$FQDN" "$E2E_NET"
		printf 'known_hosts: known_hosts\nproxy: nginx\ntls:\n  mode: self-signed\nmachines:\n'
		i=1
		for m in proxy:proxy app:app db:database; do
			printf '  - name: %s\n    address: %s.%d\n    roles: [%s]\n' \
			    "${m%%:*}" "$E2E_NET" $(($2 + i)) "${m#*:}"
			printf '    ssh: {user: root, key: %s/id}\n' "$E2E_TMP"
			i=$((i + 1))
		done
		printf 'instances:\n  - name: hmis\n    version: "2.42"\n    heap: 1GB\n'
		printf '    war:\n      url: "%s/dhis2-standin.war"\n      sha256: %s\n' "$WARBASE" "$SUM"
		printf 'database:\n  version: 15\nmonitoring: none\nbackups:\n  enabled: false\n'
	} > "$1"
}

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# round JOBS BASE: fresh containers, then the timed install
round() {
	jobs=$1 base=$2
	for i in 1 2 3; do
		container_create "$E2E_PREFIX-$jobs-$i" $((base + i)) || exit 1
	done
	for i in 1 2 3; do
		container_wait "$E2E_PREFIX-$jobs-$i" $((base + i)) || exit 1
		container_known_host "$E2E_PREFIX-$jobs-$i" $((base + i))
	done >> "$E2E_TMP/known_hosts"
	P="$E2E_TMP/iso$jobs.yaml"
	profile "$P" "$base"
	"$top_builddir/dhis2-setup" -q secrets generate "$P" >/dev/null
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	t0=$(ms)
	DHIS2_SETUP_MIN_RAM_MB=512 "$top_builddir/dhis2-setup" apply --jobs "$jobs" \
	    "$P" > "$E2E_TMP/install$jobs.log" 2>&1 ||
		{ echo "install with --jobs $jobs failed:"; tail -30 "$E2E_TMP/install$jobs.log"; exit 1; }
	echo "install --jobs $jobs: $(( $(ms) - t0 )) ms (load average before: $load)"
}

round 4 40
# the converged re-run, on the --jobs 4 machines
runs=""
for k in 1 2 3; do
	t0=$(ms)
	DHIS2_SETUP_MIN_RAM_MB=512 "$top_builddir/dhis2-setup" apply "$E2E_TMP/iso4.yaml" \
	    > "$E2E_TMP/rerun$k.log" 2>&1
	runs="$runs $(( $(ms) - t0 ))"
	grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/rerun$k.log" ||
		echo "re-run $k changed something: $(grep summary: "$E2E_TMP/rerun$k.log")"
done
echo "converged re-run (ms):$runs; median $(echo $runs | tr ' ' '\n' | sort -n | sed -n 2p)"
for i in 1 2 3; do lxc-destroy -f -n "$E2E_PREFIX-4-$i" >/dev/null 2>&1; done
round 1 50
