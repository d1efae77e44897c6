#!/bin/sh
# Backups on one server, for real: an LXC container plays the server (the
# whole stack with the stand-in WAR), a second one the off-host target, the
# vault (an sshd with a "dhis2backup" user, rsync's rrsync as the key's
# forced command).  The profile asks for backups on weekdays at 01:30, kept
# 7 days, encrypted with age to a key only the test holds (in the vault's
# /root, never on the server), copied to the vault whose SSH host key it
# pins.  Checks: the timer is enabled with the profile's schedule; while
# the vault answers with another host key (a man in the middle at first
# contact) the copy fails loudly and nothing reaches it; starting the
# service makes a dump per instance, encrypted (not pg_dump's format), that
# decrypts with the test's key and restores (docs/backups.md's commands)
# into a new database with the tables and rows we put in, the audit table
# untouched; the dump lands on the vault over SSH with the key the step
# made, authorised with the line apply printed, which lets the server
# neither read, delete nor run a command there; a dump that fails (the
# database stopped) fails the service and leaves no partial dump;
# retention removes an old dump but never the newest; a re-run changes
# nothing; no secret (database password, the private key) in any log and
# nothing of the backups readable by others.
. "$(dirname "$0")/lib.sh"
testbed_up jdk
S=$E2E_PREFIX-srv V=$E2E_PREFIX-vault
FQDN=dhis.e2e.test

standin_war || { not_ok "build and serve the stand-in WAR"; done_testing; exit 1; }

container_create "$S" 41 && container_create "$V" 42 ||
	{ not_ok "create containers"; done_testing; exit 1; }
check "the server boots" container_wait "$S" 41
check "the backup target boots" container_wait "$V" 42

in_s() { lxc-attach -n "$S" -- "$@"; }
in_v() { lxc-attach -n "$V" -- "$@"; }
psql_s() {	# DB SQL: as postgres on the server, one value out
	in_s runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# The target: a user with a folder, rsync, and (later) the server's key.
# (Debian has a system user "backup" already, with no shell.)  rrsync is a
# python3 script that Debian's rsync only suggests python3 for.  age for the
# test's own key: the restore key, kept on the vault's root, not the server.
in_v sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync python3 age' \
	> "$E2E_TMP/vault-apt.log" 2>&1
in_v sh -c 'useradd -m -s /bin/sh dhis2backup && install -d -m 700 -o dhis2backup \
	-g dhis2backup /srv/backups /home/dhis2backup/.ssh' >/dev/null 2>&1
check "the target has rsync and a dhis2backup user" \
	sh -c 'lxc-attach -n "$1" -- sh -c "command -v rsync && test -d /home/dhis2backup/.ssh" >/dev/null' sh "$V"

in_v sh -c 'umask 077 && age-keygen -o /root/restore.key' 2>/dev/null
recipient=$(in_v age-keygen -y /root/restore.key)
check "the test's age key ($recipient)" sh -c 'echo "$1" | grep -q "^age1"' sh "$recipient"
# The vault's host key, read from inside it (the trusted path an operator
# has: its console), pinned in the profile.
hostkey=$(in_v cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f1,2)

P="$E2E_TMP/p.yaml"
stack_profile "$P" "$E2E_NET.41" nginx "  mode: self-signed" \
	"$(stack_instance hmis 2.42 1GB "$WARBASE/$WAR" "$SUM")"
# stack_profile ends with backups off: this test's own backups instead.
sed -i '/^backups:/,$d' "$P"
cat >> "$P" <<EOP
backups:
  enabled: true
  schedule: "30 1 * * 1-5"
  retention_days: 7
  target: dhis2backup@$E2E_NET.42:/srv/backups
  target_host_key: "$hostkey"
  encrypt_to: $recipient
EOP
"$D2S" -q secrets generate "$P" >/dev/null
apply() {	# PROFILE LOG
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --accept-new-host-keys "$1" > "$2" 2>&1
}

t0=$(date +%s)
apply "$P" "$E2E_TMP/apply.1"; rc=$?
diag "install with backups: $(( $(date +%s) - t0 )) s"
check "apply installs the stack with backups (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(tail -40 "$E2E_TMP/apply.1")"
check "the backup step ran on the server" grep -q "\] backup *changed" "$E2E_TMP/apply.1"

# --- the timer ---------------------------------------------------------------
check "dhis2-backup.timer is enabled" [ "$(in_s systemctl is-enabled dhis2-backup.timer)" = enabled ]
check "and active" [ "$(in_s systemctl is-active dhis2-backup.timer)" = active ]
cal=$(in_s systemctl show -P TimersCalendar dhis2-backup.timer)
check "its schedule is the profile's 30 1 * * 1-5 ($cal)" \
	sh -c 'echo "$1" | grep -q "OnCalendar=Mon..Fri \*-\*-\* 01:30:00"' sh "$cal"
next=$(in_s systemctl show -P NextElapseUSecRealtime dhis2-backup.timer)
check "the next run is a weekday at 01:30 ($next)" \
	sh -c 'echo "$1" | grep -Eq "^(Mon|Tue|Wed|Thu|Fri) .* 01:30:00"' sh "$next"

# --- the key: shown, authorised on the target as apply says ----------------
pub=$(in_s cat /var/lib/dhis2-backup/id_ed25519.pub)
line=$(sed -n 's/.*(see docs\/backups.md): \(restrict,.*\)$/\1/p' "$E2E_TMP/apply.1" | head -n 1)
check "apply showed the key to authorise, for rrsync write-only ($line)" \
	[ "$line" = "restrict,command=\"/usr/bin/rrsync -wo -no-del /srv/backups\" $pub" ]
echo "$line" | in_v sh -c 'cat > /home/dhis2backup/.ssh/authorized_keys &&
	chown dhis2backup: /home/dhis2backup/.ssh/authorized_keys &&
	chmod 600 /home/dhis2backup/.ssh/authorized_keys'
check "the pinned host key is the only one the copy trusts" \
	sh -c '[ "$(lxc-attach -n "$1" -- grep -v "^#" /etc/dhis2-setup/backup_known_hosts)" = "$2 $3" ]' \
	sh "$S" "$E2E_NET.42" "$hostkey"

# --- a man in the middle at first contact: another host key -----------------
# The vault's host keys put aside and new ones made: what answers is not
# the machine the profile pins.  The copy must fail, loudly, and send
# nothing (with accept-new, the first contact would record this key).
in_v sh -c 'mkdir -p -m 700 /root/hostkeys && mv /etc/ssh/ssh_host_* /root/hostkeys/ &&
	ssh-keygen -A && systemctl restart ssh' >/dev/null 2>&1
in_s systemctl start dhis2-backup.service 2>>"$E2E_TMP/start.log"; rc=$?
check "with another host key on the vault the service fails (exit $rc)" [ $rc -ne 0 ]
in_s journalctl -u dhis2-backup.service --no-pager > "$E2E_TMP/mitm.log" 2>&1
check "and says why in the journal" sh -c 'grep -q "Host key verification failed" "$1" &&
	grep -q "the copy to .* FAILED: no SSH to .* host key the profile pins" "$1"' sh "$E2E_TMP/mitm.log"
check "nothing reached the impostor" [ -z "$(in_v find /srv/backups -type f)" ]
in_v sh -c 'rm -f /etc/ssh/ssh_host_* && mv /root/hostkeys/* /etc/ssh/ && systemctl restart ssh' >/dev/null 2>&1
in_s sh -c 'rm -f /var/backups/dhis2/hmis/*; systemctl reset-failed dhis2-backup.service'

# --- data to back up: a table with rows, and an audit table ----------------
psql_s hmis "SET ROLE hmis;
CREATE TABLE organisationunit (id int PRIMARY KEY, name text);
INSERT INTO organisationunit VALUES (1, 'Sierra Leone'), (2, 'Bo'), (3, 'Bombali');
CREATE TABLE audit (auditid bigint, data text);
INSERT INTO audit SELECT g, 'row ' || g FROM generate_series(1, 1000) g;" >/dev/null
check "the stand-in's database has our table" [ "$(psql_s hmis 'SELECT count(*) FROM organisationunit')" = 3 ]

# --- a backup ----------------------------------------------------------------
t0=$(date +%s%N)
in_s systemctl start dhis2-backup.service 2>>"$E2E_TMP/start.log"; rc=$?
diag "one backup run (dump and copy): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "starting dhis2-backup.service succeeds (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(in_s journalctl -u dhis2-backup.service --no-pager | tail -20)"
dumps() { in_s sh -c 'ls /var/backups/dhis2/hmis/ 2>/dev/null | grep "^hmis-.*\.dump\.age$" | sort'; }
first=$(dumps | tail -n 1)
check "an encrypted dump of hmis in /var/backups/dhis2/hmis ($first)" \
	sh -c 'echo "$1" | grep -Eq "^hmis-[0-9]{8}T[0-9]{6}\.dump\.age$"' sh "$first"
F=/var/backups/dhis2/hmis/$first
check "it is age's format, not pg_dump's" \
	sh -c '[ "$(lxc-attach -n "$1" -- head -c 21 "$2")" = age-encryption.org/v1 ] &&
	! lxc-attach -n "$1" -- grep -qa PGDMP "$2" &&
	! lxc-attach -n "$1" -- runuser -u postgres -- pg_restore --list "$2" >/dev/null 2>&1' sh "$S" "$F"
# The test's key decrypts it, where the key is; the clear dump goes by pipe.
decrypt() {	# FILE on the server: the clear dump on stdout
	in_s cat "$1" | in_v age -d -i /root/restore.key
}
list=$(decrypt "$F" | in_s runuser -u postgres -- pg_restore --list 2>&1)
check "decrypted with the test's key, pg_restore --list reads it" \
	sh -c 'echo "$1" | grep -q "TABLE public organisationunit"' sh "$list"
m=$(in_s stat -c '%a %U' /var/backups/dhis2 /var/backups/dhis2/hmis "$F" | tr '\n' ' ')
check "folders 0700 and the dump 0600, the postgres user's ($m)" \
	[ "$m" = "700 postgres 700 postgres 600 postgres " ]
# The restore, as docs/backups.md says it.
in_s runuser -u postgres -- createdb -T template0 -O hmis hmis_restored &&
decrypt "$F" | in_s runuser -u postgres -- pg_restore --exit-on-error -d hmis_restored \
	> "$E2E_TMP/restore.log" 2>&1; rc=$?
check "the dump restores into a new database (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(tail -5 "$E2E_TMP/restore.log")"
check "with the table's rows" [ "$(psql_s hmis_restored "SELECT string_agg(name, ',' ORDER BY id) FROM organisationunit")" = "Sierra Leone,Bo,Bombali" ]
check "the audit table's rows" [ "$(psql_s hmis_restored 'SELECT count(*) FROM audit')" = 1000 ]
check "and PostGIS" [ "$(psql_s hmis_restored "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")" = 1 ]
check "the audit table is untouched on the server" [ "$(psql_s hmis 'SELECT count(*) FROM audit')" = 1000 ]
psql_s postgres 'DROP DATABASE hmis_restored' >/dev/null

# --- the off-host copy --------------------------------------------------------
rsum=$(in_v sh -c "sha256sum < /srv/backups/hmis/$first" 2>/dev/null | cut -d' ' -f1)
lsum=$(in_s sh -c "sha256sum < $F" | cut -d' ' -f1)
check "the dump reached the target over SSH, whole" \
	sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' sh "$rsum" "$lsum"

# --- the vault's forced command: the server can add, nothing else ----------
# As the backups' user on the server, with its key and the pinned host key:
# what ransomware with root there could try.
vssh="ssh -i /var/lib/dhis2-backup/id_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null -o UserKnownHostsFile=/etc/dhis2-setup/backup_known_hosts"
vh=dhis2backup@$E2E_NET.42
as_pg() { in_s runuser -u postgres -- sh -c "$@"; }
as_pg 'd=$(mktemp -d) && rsync -r --delete -e "$1" "$d/" "$2:/hmis/"' sh "$vssh" "$vh" \
	> "$E2E_TMP/vault-delete.log" 2>&1; rc=$?
check "the vault refuses rsync --delete from the server (exit $rc)" \
	sh -c '[ "$1" -ne 0 ] && lxc-attach -n "$2" -- test -s "/srv/backups/hmis/$3"' sh $rc "$V" "$first" ||
	diag "$(cat "$E2E_TMP/vault-delete.log")"
as_pg 'd=$(mktemp -d) && rsync -r -e "$1" "$2:/hmis/" "$d/"; rc=$?; n=$(ls -A "$d" | wc -l); rm -rf "$d"; echo "files=$n"; exit $rc' \
	sh "$vssh" "$vh" > "$E2E_TMP/vault-read.log" 2>&1; rc=$?
check "the vault refuses to let the server read the copies (exit $rc)" \
	sh -c '[ "$1" -ne 0 ] && grep -q "^files=0$" "$2"' sh $rc "$E2E_TMP/vault-read.log" ||
	diag "$(cat "$E2E_TMP/vault-read.log")"
as_pg '$1 "$2" rm -f "/srv/backups/hmis/$3"' sh "$vssh" "$vh" "$first" \
	> "$E2E_TMP/vault-rm.log" 2>&1; rc=$?
check "and runs no other command for the server's key (exit $rc)" \
	sh -c '[ "$1" -ne 0 ] && lxc-attach -n "$2" -- test -s "/srv/backups/hmis/$3"' sh $rc "$V" "$first"
check "no age secret key anywhere on the server" \
	sh -c '! lxc-attach -n "$1" -- grep -rqs AGE-SECRET-KEY /etc /var/lib/dhis2-backup /var/backups /root /var/lib/postgresql' sh "$S"

# --- retention: an old dump goes, the rest stay --------------------------------
in_s sh -c "cp -p '$F' /var/backups/dhis2/hmis/hmis-20200101T000000.dump.age &&
	touch -d '30 days ago' /var/backups/dhis2/hmis/hmis-20200101T000000.dump.age"
sleep 1	# a new second, a new name
in_s systemctl start dhis2-backup.service 2>>"$E2E_TMP/start.log"
n=$(dumps | wc -l)
check "a second run: the 30-day-old dump removed, two kept ($n)" \
	sh -c '[ "$1" = 2 ] && ! echo "$2" | grep -q 20200101' sh "$n" "$(dumps)"
second=$(dumps | tail -n 1)

# --- a dump that fails -----------------------------------------------------
# Every dump is now older than retention_days, and the next one fails: the
# newest must stay, and no partial dump may appear.
in_s sh -c "touch -d '30 days ago' /var/backups/dhis2/hmis/*.dump.age"
in_s pg_ctlcluster 15 main stop
in_s systemctl start dhis2-backup.service 2>>"$E2E_TMP/start.log"; rc=$?
check "with the database stopped the service fails (exit $rc)" [ $rc -ne 0 ]
check "systemctl shows it failed" [ "$(in_s systemctl is-failed dhis2-backup.service)" = failed ]
check "and says why in the journal" \
	sh -c 'lxc-attach -n "$1" -- journalctl -u dhis2-backup.service --no-pager | grep -q "dump of hmis FAILED"' sh "$S"
check "no partial dump left" [ "$(in_s sh -c 'ls -A /var/backups/dhis2/hmis | grep -vc "^hmis-.*\.dump\.age$"')" = 0 ]
check "retention kept only the newest good dump ($(dumps | tr '\n' ' '))" [ "$(dumps)" = "$second" ]
in_s pg_ctlcluster 15 main start
"$D2S" plan "$P" > "$E2E_TMP/plan.failed" 2>&1
check "plan notes that the last backup failed" grep -q "backup .*the last backup failed" "$E2E_TMP/plan.failed"
in_s systemctl reset-failed dhis2-backup.service

# --- a converged re-run -------------------------------------------------------
converged "$E2E_TMP/apply.2" "a re-run changes nothing" \
    apply "$P" "$E2E_TMP/apply.2"
check "and the backup step is ok" grep -q "\] backup *ok" "$E2E_TMP/apply.2"

# --- a new schedule: only the timer changes ----------------------------------
sed 's/schedule: "30 1 \* \* 1-5"/schedule: "@daily"/' "$P" > "$E2E_TMP/daily.yaml"
cp "$E2E_TMP/p.secrets.yaml" "$E2E_TMP/daily.secrets.yaml"
apply "$E2E_TMP/daily.yaml" "$E2E_TMP/apply.3"; rc=$?
cal=$(in_s systemctl show -P TimersCalendar dhis2-backup.timer)
check "a new schedule reschedules the timer ($cal)" \
	sh -c '[ "$1" -eq 0 ] && echo "$2" | grep -q "OnCalendar=\*-\*-\* 00:00:00"' sh $rc "$cal"
check "and changes only the backup step" sh -c 'grep -q "\] backup *changed" "$1" &&
	! grep -q "\] \(postgres\|tomcat\|war\|tls\|proxy\|base\) *changed" "$1"' sh "$E2E_TMP/apply.3"

# --- secrets -----------------------------------------------------------------
logs="$E2E_TMP/apply.1 $E2E_TMP/apply.2 $E2E_TMP/apply.3 $(find "$DHIS2_SETUP_LOGDIR" "$DHIS2_SETUP_STATEDIR" -type f)"
in_s journalctl -u dhis2-backup.service --no-pager > "$E2E_TMP/journal.log" 2>&1
leaks=0 nv=0
for v in $(sed -n 's/^[^:]*: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$E2E_TMP/p.secrets.yaml"); do
	[ ${#v} -ge 16 ] || continue
	nv=$((nv + 1))
	grep -qF -- "$v" $logs "$E2E_TMP/journal.log" && leaks=$((leaks + 1))
done
check "no secret value ($nv of them) in the transcripts, logs, events or the service's journal" \
	[ $nv -ge 2 ] && [ $leaks -eq 0 ]
in_s sed -n '2,3p' /var/lib/dhis2-backup/id_ed25519 > "$E2E_TMP/keypart"
check "the private key appears in no log" sh -c '[ -s "$1" ] && ! grep -qF -f "$1" $2' sh "$E2E_TMP/keypart" "$logs $E2E_TMP/journal.log"
rm -f "$E2E_TMP/keypart"
m=$(in_s stat -c '%a %U' /var/lib/dhis2-backup /var/lib/dhis2-backup/id_ed25519 | tr '\n' ' ')
check "the key's folder 0700 and the key 0600, the postgres user's ($m)" \
	[ "$m" = "700 postgres 600 postgres " ]
# (the public key and the target's host key may be; the folder is 0700)
open=$(in_s find /var/backups/dhis2 /var/lib/dhis2-backup -perm /o+r ! -name '*.pub' ! -name known_hosts)
check "nothing else under the backups' folders is readable by others ($open)" [ -z "$open" ]
check "the settings file holds no password" \
	sh -c '! lxc-attach -n "$1" -- grep -qi password /etc/dhis2-setup/backup.conf' sh "$S"

done_testing
