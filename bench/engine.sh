#!/bin/sh
# bench/engine.sh: figures for the engine, on the e2e test bed.
#
#  1. the converged re-run of preflight+base on three LXC containers
#     (reached over SSH, --jobs 3): median of 5 runs, target < 1 s;
#  2. SSH exec round trip: the transport (one session, N execs) against
#     the ssh command (a new connection per command, and multiplexed with
#     ControlMaster, which is the fair comparison).
#
# Needs root and lxc, like tests/e2e/containers.sh.  Run it from a build
# tree without sanitizers for meaningful numbers:
#   top_builddir=/path/to/build sh bench/engine.sh
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
export top_srcdir
. "$top_srcdir/tests/e2e/lib.sh"
N=${BENCH_N:-100}
# Only the first two steps, when the binary has more of them.
ONLY=""
"$top_builddir/dhis2-setup" --help 2>&1 | grep -q -- --only && ONLY="--only preflight,base"
need_root
lxc_usable || skip_all "lxc missing"
make_client_key
bridge_up
for i in 1 2 3; do container_create "$E2E_PREFIX-$i" "1$i" || exit 1; done
for i in 1 2 3; do container_wait "$E2E_PREFIX-$i" "1$i" || exit 1; done
for i in 1 2 3; do container_known_host "$E2E_PREFIX-$i" "1$i"; done > "$E2E_TMP/known_hosts"

P="$E2E_TMP/bench.yaml"
{
	printf 'version: 1\nhosting: datacentre\nisolation: machines\n'
	printf 'fqdn: dhis.bench.test\nadmin_network: %s.0/24\n' "$E2E_NET"
	printf 'timezone: UTC\nknown_hosts: known_hosts\nproxy: nginx\n'
	printf 'tls:\n  mode: self-signed\nmachines:\n'
	for i in 1 2 3; do
		r=$(echo "proxy app database" | cut -d' ' -f$i)
		printf '  - name: m%s\n    address: %s.1%s\n    roles: [%s]\n' \
		    "$i" "$E2E_NET" "$i" "$r"
		printf '    ssh:\n      user: root\n      key: %s/id\n' "$E2E_TMP"
	done
	printf 'instances:\n  - name: hmis\n    version: "2.41"\n'
	printf '    base_path: /hmis\ndatabase:\n  version: 15\nmonitoring: none\n'
	printf 'backups:\n  enabled: false\n'
} > "$P"
"$D2S" -q secrets generate "$P" >/dev/null 2>&1
"$D2S" -q apply $ONLY --jobs 3 "$P" > "$E2E_TMP/first" 2>&1 || { cat "$E2E_TMP/first"; exit 1; }

ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for r in 1 2 3 4 5; do
	a=$(date +%s%N)
	"$D2S" -q apply $ONLY --jobs 3 "$P" > "$E2E_TMP/rerun" 2>&1 || { cat "$E2E_TMP/rerun"; exit 1; }
	b=$(date +%s%N)
	ms "$a" "$b"
done > "$E2E_TMP/reruns"
echo "converged re-run, preflight+base, 3 containers over SSH: median $(median < "$E2E_TMP/reruns") ms (runs: $(tr '\n' ' ' < "$E2E_TMP/reruns"))"

H="$E2E_NET.11"
SSHO="-o UserKnownHostsFile=$E2E_TMP/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes -i $E2E_TMP/id"
a=$(date +%s%N)
"$TOOL" -i "$E2E_TMP/id" -k "$E2E_TMP/known_hosts" "ssh:$H" repeat "$N" true
b=$(date +%s%N)
echo "transport: connect + $N execs of 'true' on one session: $(ms "$a" "$b") ms, $(( $(ms "$a" "$b") * 1000 / N )) us per exec"
a=$(date +%s%N)
"$TOOL" -i "$E2E_TMP/id" -k "$E2E_TMP/known_hosts" "ssh:$H" run true
b=$(date +%s%N)
echo "transport: one process, connect + 1 exec: $(ms "$a" "$b") ms"
a=$(date +%s%N)
for i in $(seq 10); do ssh $SSHO "root@$H" true; done
b=$(date +%s%N)
echo "ssh command, new connection per exec: $(( $(ms "$a" "$b") / 10 )) ms per exec"
ssh $SSHO -o ControlMaster=yes -o ControlPath="$E2E_TMP/cm" -o ControlPersist=120 -fN "root@$H"
at_exit "ssh -o ControlPath='$E2E_TMP/cm' -O exit root@$H"
a=$(date +%s%N)
for i in $(seq "$N"); do ssh $SSHO -o ControlPath="$E2E_TMP/cm" "root@$H" true; done
b=$(date +%s%N)
echo "ssh command multiplexed (ControlMaster): $N execs $(ms "$a" "$b") ms, $(( $(ms "$a" "$b") * 1000 / N )) us per exec"
