#!/bin/sh
# What the wizard finds out while asking: versions from a stable.json,
# the PostgreSQL tuning from this machine's RAM, its disks for
# encryption, a test alert by email to a local SMTP listener, the plan on
# the review and "save and apply", workshop mode; and, in tmux at 80x24,
# the SSH connection test against an sshd on a loopback port, with the
# host key fingerprint to confirm and the confirmed key in the profile's
# known_hosts.
. "$(dirname "$0")/lib.sh"

# Absolute (before the cd): the wizard runs in $tmp, and top_srcdir may
# be relative to the build folder.
fixture="$(cd "$top_srcdir" && pwd)/tests/releases/stable.json"
cd "$tmp" || exit 1
export DHIS2_SETUP_STATEDIR="$tmp/state" DHIS2_SETUP_LOGDIR="$tmp/log"

# The text frontend through a pipe.  $1: name; NAME.in holds the answers.
walk() {
	"$bin" wizard --frontend text --output "$1.yaml" < "$1.in" \
	    > "$1.out" 2> "$1.err"
	echo $? > "$1.rc"
}
e() { i=0; while [ $i -lt "$1" ]; do echo; i=$((i + 1)); done; }
# Answers by screen.  A single server: hosting, isolation, server name,
# admin network, time zone, TLS (self-signed), proxy, instance count.
head1() { printf '%s\n' 1 1 dhis.example.org '' '' 3 1 1; }
# Screens and fields of features still coming ask nothing (lib.sh built).
# database (version, tuning, [replicas]), [redis], monitoring; [alerting
# x5, send a test? (no)]
to_alerting() {
	e 2; built "database: replicas" && e 1
	built "clustering: redis" && e 1
	e 1
}
middle() { to_alerting; built alerting && { e 5; echo no; }; }
# [encryption x3], [backups x4], the review's answer ($1)
tail1() { built encryption && e 3; built backups && e 4; echo "$1"; }
# The instance's Tomcat nodes, asked once Redis clustering is built.
nodes() { built "clustering: redis" && e 1; }
# instance: look up versions? (no), name, version, WAR, path, [nodes], heap
inst() { echo no; e 4; nodes; e 1; }

# --- versions from a local stable.json; a version not in it is refused
{ head1; echo "$fixture"; printf '%s\n' yes '' 2.38 '' ''; nodes
  printf '%s\n' '' 2.40; middle; tail1 yes; } > v.in
walk v
check "versions: the wizard saves" test "$(cat v.rc)" = 0
# The text frontend wraps at 80 columns where the path's length puts the
# break, so the paragraph is compared without its white space.
paragraph() {	# paragraph FILE PREFIX: from PREFIX to a blank line or a
		# prompt, unwrapped
	awk -v p="$2" 'index($0, p) == 1 { f = 1 } f && /^$|: $/ { exit } f' "$1" |
	    tr -d ' \n'
}
versions_info=$(printf 'Versions in %s: 2.42 (2.42.1)  2.41 (2.41.10)  2.40 (2.40.10.1)  2.39 (2.39.6)' "$fixture" | tr -d ' ')
check "versions are listed from the stable.json" \
    test "$(paragraph v.out "Versions in")" = "$versions_info"
check "the Versions button lists them with their latest patch" \
    grep -q "^2.42 (2.42.1)  2.41 (2.41.10)  2.40 (2.40.10.1)  2.39 (2.39.6)$" v.out
check "a version not in the list is refused beside the field" \
    grep -q "! DHIS2 version: not in the list" v.out
check "the listed version is saved" grep -qxF "  version: 2.40" v.yaml
check "and where the versions come from" grep -qxF "  file: $fixture" v.yaml

# --- a local WAR file instead of a download
: > my.war
{ head1; echo; printf '%s\n' no '' '' /nonexistent.war "$tmp/my.war" ''
  nodes; echo; middle; tail1 yes; } > war.in
walk war
check "war: the wizard saves" test "$(cat war.rc)" = 0
check "a missing WAR file is refused" grep -q "! or WAR file: no such file here" war.out
check "the WAR file is saved as the instance's source" \
    grep -qxF "    file: $tmp/my.war" war.yaml

# --- the tuning from this machine's RAM
check "the database screen shows the tuning" \
    grep -q "^Tuning from [0-9]* MB RAM (this machine), [0-9]* MB for PostgreSQL:" v.out
ram=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
check "from the RAM this machine has" grep -q "^Tuning from $ram MB RAM" v.out
db=$(sed -n 's/^Tuning from .* MB RAM (this machine), \([0-9]*\) MB for PostgreSQL:$/\1/p' v.out)
sb=$((db / 4)); [ $sb -lt 128 ] && sb=128; [ $sb -gt 32768 ] && sb=32768
[ $sb -ge 64 ] && sb=$((sb - sb % 64))
check "shared_buffers is a quarter of the database's share ($sb MB)" \
    grep -q "^shared_buffers ${sb}MB  work_mem" v.out

# --- disks for encryption: this machine's, a mounted one refused
if ! built encryption; then
	# Not offered: no disks probed, no device asked for, none saved.
	check "encryption is coming: its screen says so" \
	    grep -q "^Coming, not built yet: disk encryption with LUKS" v.out
	check "and neither lists disks nor asks for one" \
	    sh -c '! grep -q "^Disks of this machine\|Data disk" v.out'
	check "and the profile has no device" sh -c '! grep -q "device:" v.yaml'
elif lsblk -J -o NAME,PATH,SIZE,TYPE,MOUNTPOINT >/dev/null 2>&1; then
	check "the encryption screen lists this machine's disks" \
	    grep -q "^Disks of this machine: /dev/" v.out
	{ head1; echo; inst; middle; printf '%s\n' /dev/nosuchdisk \
	    /dev/nosuchdisk '' - '' ''; e 4; echo yes; } > enc.in
	walk enc
	check "a device that is not a disk there is refused" \
	    grep -q "! Data disk: not a disk of that machine" enc.out
	root=$(lsblk -J -o PATH,TYPE,MOUNTPOINT | python3 -c '
import json, sys
def used(d):
    return d.get("mountpoint") or any(used(c) for c in d.get("children", []))
for d in json.load(sys.stdin)["blockdevices"]:
    if d["type"] == "disk" and used(d):
        print(d["path"]); break')
	if [ -n "$root" ]; then
		sed "s|/dev/nosuchdisk|$root|g" enc.in > enc2.in
		walk enc2
		check "a disk in use ($root) is refused" \
		    grep -q "! Data disk: in use (mounted): pick another" enc2.out
	fi
else
	ok "# SKIP lsblk cannot list disks here"
fi

# --- a test alert by email through a local SMTP listener
cat > smtp.py <<'EOF'
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(30)
c, _ = s.accept(); c.settimeout(10); f = c.makefile("rwb")
def say(t): f.write(t.encode() + b"\r\n"); f.flush()
say("220 test ESMTP")
out = open(sys.argv[2], "w")
while True:
    l = f.readline().decode().rstrip("\r\n")
    if not l: break
    out.write(l + "\n")
    v = l.split(" ")[0].upper()
    if v in ("EHLO", "HELO"): say("250 test")
    elif v == "DATA":
        say("354 go on")
        while True:
            d = f.readline().decode().rstrip("\r\n")
            out.write(d + "\n")
            if d == ".": break
        say("250 queued")
    elif v == "QUIT": say("221 bye"); break
    else: say("250 ok")
out.close()
EOF
if ! built alerting; then
	check "alerting is coming: its screen says so" \
	    grep -q "^Coming, not built yet: alerting by mail" v.out
	check "and offers no test message" sh -c '! grep -q "Send test" v.out'
elif command -v python3 >/dev/null 2>&1; then
	python3 smtp.py smtp.port smtp.log &
	i=0; while [ ! -s smtp.port ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
	port=$(cat smtp.port)
	{ head1; echo; inst; to_alerting; printf '%s\n' ops@example.org \
	    "127.0.0.1:$port" no '' no yes; tail1 yes; } > mail.in
	walk mail
	wait
	check "the test alert says it was sent" \
	    grep -q "^Email to ops@example.org through 127.0.0.1:$port: sent." mail.out
	check "the listener got it for the right address" \
	    grep -q "^RCPT TO:<ops@example.org>" smtp.log
	check "with the test text" grep -q "test message from the dhis2-setup wizard" smtp.log
	cp mail.in nomail.in
	walk nomail
	check "with no listener the alert says it was not sent" \
	    grep -q "^Email to ops@example.org through 127.0.0.1:$port: not sent" nomail.out
else
	ok "# SKIP python3 is not installed"
fi

# --- the review shows the plan; "apply" saves and applies
check "the review shows the plan for this machine" \
    grep -q "^  local (this machine): preflight base" v.out
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# A separate-machines layout whose machines do not answer: apply runs and
# reports them unreachable (exit 3); nothing on this machine changes.
{ printf '%s\n' 3 3 2 \
    '' 127.0.0.1 '' "$free_port" '' 'proxy,app,monitor' no \
    '' 127.0.0.2 '' "$free_port" '' 'database,backup' no \
    dhis.example.org '' '' 3 1 1 ''; inst; middle; tail1 apply; } > apply.in
walk apply
check "save and apply: the profile is saved" test -s apply.yaml
check "its secrets are generated, mode 0600" \
    test "$(stat -c %a apply.secrets.yaml 2>/dev/null)" = 600
check "apply ran and found the machines unreachable (exit 3)" \
    test "$(cat apply.rc)" = 3
check "apply said so" grep -q "127.0.0.2" apply.err

# --- workshop mode
{ e 40; echo yes; } > ws.in
"$bin" wizard --workshop --frontend text --output ws.yaml < ws.in > ws.out 2>&1
check "workshop: the wizard saves with Enter everywhere" test $? = 0
check "workshop says what it chose" grep -q "^Workshop mode: a practice server on THIS machine" ws.out
for l in "isolation: lxc" "fqdn: dhis2.workshop.test" "  mode: self-signed" \
    "  heap: 1GB" "monitoring: none"; do
	check "workshop: $l" grep -qxF -- "$l" ws.yaml
done

# --- the SSH connection test, in tmux at 80x24
need_sshd() {
	[ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ] && command -v ssh-keygen \
	    >/dev/null 2>&1 && command -v tmux >/dev/null 2>&1
}
if ! need_sshd; then
	ok "# SKIP the SSH connection test needs root, sshd, ssh-keygen and tmux"
	exit 0
fi
sshd_dir="$tmp/sshd"   # not $d: check() in lib.sh sets d
mkdir -p "$sshd_dir" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$sshd_dir/host_ed25519" -C test-host
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" -C test-user
install -m 600 "$tmp/id.pub" "$sshd_dir/authorized_keys"
sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$sshd_dir/sshd_config" <<EOC
ListenAddress 127.0.0.1:$sport
HostKey $sshd_dir/host_ed25519
PidFile $sshd_dir/sshd.pid
AuthorizedKeysFile $sshd_dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOC
/usr/sbin/sshd -f "$sshd_dir/sshd_config" -E "$sshd_dir/sshd.log"
i=0; while [ ! -s "$sshd_dir/sshd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
sshd_pid=$(cat "$sshd_dir/sshd.pid" 2>/dev/null)
trap 'echo "1..$n"; [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null; cleanup' EXIT
fp=$(ssh-keygen -lf "$sshd_dir/host_ed25519.pub" | awk '{ print $2 }')

start 80x24 -- wizard --output ssh.yaml
wait_for "Hosting model" >/dev/null
keys Up Enter					# colocation
wait_for "Proxy, Tomcat and PostgreSQL" >/dev/null
keys Down Down Enter				# machines
wait_for "How many machines" >/dev/null
clear_entry; type_text 2; keys Enter
check "machine 1 of 2" wait_for "Machine 1 of 2"
keys Tab; type_text 127.0.0.1; keys Tab Tab; clear_entry; type_text "$sport"
keys Tab; type_text "$tmp/id"
keys Tab Tab Tab Enter				# Roles, Back, Test connection
check "the host key is shown for confirmation" wait_for "$fp"
golden 06-host-key "s|$fp|SHA256:FINGERPRINT|; s|$sport|PORT|"
keys BTab Enter					# Yes (No has the focus)
check "the connection test reports the machine" wait_for "Connection test: OK"
check "with its memory" wait_for "memory"
check "the key is recorded in the profile's known_hosts" \
    grep -q "^\[127.0.0.1\]:$sport ssh-ed25519 " "$tmp/known_hosts"
keys Enter
check "back on the machine screen" wait_for "Machine 1 of 2"
keys BTab Enter					# Test again: no question now
check "a known key is not asked about again" wait_for "Connection test: OK"
keys Enter

# A key that changed is refused, showing both fingerprints.
ssh-keygen -q -t ed25519 -N '' -f "$tmp/other" -C other
sed -i "s|ssh-ed25519 [^ ]*|$(cut -d' ' -f1-2 "$tmp/other.pub")|" "$tmp/known_hosts"
wait_for "Machine 1 of 2" >/dev/null
keys BTab Enter
check "a changed host key is refused" wait_for "CHANGED"
keys Enter
T kill-server 2>/dev/null

# No: nothing recorded.
rm -f "$tmp/known_hosts"
start 80x24 -- wizard --output ssh2.yaml
wait_for "Hosting model" >/dev/null
keys Up Enter
wait_for "Proxy, Tomcat and PostgreSQL" >/dev/null
keys Down Down Enter
wait_for "How many machines" >/dev/null
clear_entry; type_text 2; keys Enter
wait_for "Machine 1 of 2" >/dev/null
keys Tab; type_text 127.0.0.1; keys Tab Tab; clear_entry; type_text "$sport"
keys Tab; type_text "$tmp/id"
keys Tab Tab Tab Enter
wait_for "$fp" >/dev/null
keys Enter					# No
check "a key not confirmed fails the test" wait_for "Connection test failed"
check "and is not recorded" test ! -s "$tmp/known_hosts"
