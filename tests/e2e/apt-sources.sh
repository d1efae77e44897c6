#!/bin/sh
# A machine whose apt sources hold a line that apt-get update fails on:
# the line LXC's debian template writes without distro-info
# ("bookworm/updates", a security suite gone since Debian 11), planted in
# a fresh Debian 12 container reached over SSH.  plan and apply name the
# file, the line and apt's reason, change nothing on the machine, and once
# the line is gone a re-run installs what base wants.
. "$(dirname "$0")/lib.sh"
testbed_up
S=$E2E_PREFIX-s
FQDN=dhis.e2e.test
container_create "$S" 31 || { not_ok "create the container"; done_testing; exit 1; }
check "the server boots" container_wait "$S" 31
container_known_host "$S" 31 > "$E2E_TMP/known_hosts"

PF="$E2E_TMP/s.yaml"
stack_profile "$PF" "$E2E_NET.31" nginx "  mode: self-signed" \
    "$(stack_instance hmis 2.42 1GB "http://$E2E_NET.1/dhis2.war" \
    "$(printf '%064d' 0)")"
"$D2S" -q secrets generate "$PF" >/dev/null
d2s() {		# plan|apply LOG: preflight and base on the server
	what=$1 log=$2
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" "$what" --only preflight,base "$PF" \
	    > "$log" 2>&1
}
in_s() { lxc-attach -n "$S" -- "$@"; }
# What base would change, and apt's own state: the same before and after.
state() {
	in_s sh -c 'dpkg-query -W -f="\${Package} \${Status}\n" | sha256sum
	    ls -l /var/lib/apt/lists | sha256sum
	    getent passwd dhis; ls /etc/apt/apt.conf.d /etc/sysctl.d'
}
LINE="deb http://security.debian.org/debian-security $E2E_RELEASE/updates main"
in_s sh -c 'printf "# planted by the test\n%s\n" "$1" > /etc/apt/sources.list.d/broken.list' sh "$LINE"
before=$(state)
WANT="apt source /etc/apt/sources.list.d/broken.list:2 ($LINE) fails: 404"

d2s plan "$E2E_TMP/plan.1"; rc=$?
check "plan fails on the broken source (exit $rc)" [ $rc -ne 0 ] ||
	diag "$(tail -20 "$E2E_TMP/plan.1")"
check "plan names the file, line, text and apt's reason" \
	grep -qF "$WANT" "$E2E_TMP/plan.1" || diag "$(grep -i apt "$E2E_TMP/plan.1" | head)"
check "and says what the security suite is called now" \
	grep -qF "$E2E_RELEASE-security" "$E2E_TMP/plan.1"
check "plan changed nothing on the server" [ "$(state)" = "$before" ]

d2s apply "$E2E_TMP/apply.1"; rc=$?
check "apply fails on it too (exit $rc)" [ $rc -eq 1 ]
check "apply names the line" grep -qF "$WANT" "$E2E_TMP/apply.1" ||
	diag "$(tail -20 "$E2E_TMP/apply.1")"
check "apply changed nothing on the server (no package, user or file of base)" \
	[ "$(state)" = "$before" ]

in_s rm -f /etc/apt/sources.list.d/broken.list
d2s apply "$E2E_TMP/apply.2"; rc=$?
check "with the line gone, apply installs base (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(tail -20 "$E2E_TMP/apply.2")"
check "and apt-get update works on the server" in_s apt-get -q update
t0=$(date +%s%N)
d2s plan "$E2E_TMP/plan.2"; rc=$?
diag "converged plan with the sources check: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "a converged plan passes (exit $rc)" [ $rc -eq 0 ]
done_testing
