#!/bin/sh
# The newt wizard at 80x24, walked as a new user would: F1, Back, invalid
# input, a resize, every screen of a separate-machines layout; then the
# saved profile must hold exactly what was chosen.
. "$(dirname "$0")/lib.sh"
need_tmux


start 80x24 -- wizard --output site.yaml
check "first screen is the hosting model" wait_for "Hosting model"
golden 01-hosting
keys F1
check "F1 opens the hosting help" wait_for "Help: Hosting model"
check "the help comes from the hosting guide" wait_for "in the basement"
golden 02-help-hosting
keys Enter
check "OK closes the help" wait_for "Own server room"
keys Up Enter					# cloud -> colocation
check "Enter on the list goes to isolation" wait_for "Proxy, Tomcat and PostgreSQL"
keys Down Down Enter				# machines
check "machines asks how many" wait_for "How many machines"
keys Tab Enter					# Back
check "Back returns to isolation" wait_for "Proxy, Tomcat and PostgreSQL"
keys Enter					# still machines
check "Next again shows the machines count" wait_for "How many machines"
clear_entry; type_text 1; keys Enter
check "a count of 1 is refused beside the field" wait_for "give a number from 2 to 16"
clear_entry; type_text 4; keys Enter
check "machine 1 of 4" wait_for "Machine 1 of 4"
keys Tab; type_text 999.1.1.1; keys Enter
check "a bad address is refused beside the field" wait_for "an IP address or host na"
golden 03-machine-error
clear_entry; type_text 10.0.0.10; keys Enter	# focus is on the bad field
check "machine 2 of 4" wait_for "Machine 2 of 4"
T resize-window -t w -x 70 -y 20; sleep 0.6
check "a smaller terminal is told to grow" wait_for "Terminal too small (70x20)"
T resize-window -t w -x 80 -y 24; sleep 0.6
check "back at 80x24 the screen is redrawn" wait_for "Machine 2 of 4"
keys Tab; type_text 10.0.0.11; keys Enter
check "machine 3 of 4" wait_for "Machine 3 of 4"
keys Tab; type_text 10.0.0.12
keys Tab Tab Tab Tab; clear_entry; type_text database,backup,redis; keys Enter
check "machine 4 of 4" wait_for "Machine 4 of 4"
keys Tab; type_text 10.0.0.13; keys Enter
check "server name screen" wait_for "Server name:"
type_text dhis.example.org; keys Tab; type_text 192.0.2.0/24
keys Tab; clear_entry; type_text Africa/Kampala; keys Enter
check "TLS screen" wait_for "Users log in with passwords"
keys Down Enter					# provided
check "certificate paths screen" wait_for "Files on the proxy machine"
type_text /etc/ssl/dhis/cert.pem; keys Tab; type_text /etc/ssl/dhis/key.pem
keys Enter
check "proxy screen" wait_for "The proxy ends TLS"
keys Down Enter					# apache2
check "instances screen" wait_for "How many DHIS2 instances"
clear_entry; type_text 2; keys Enter
check "instance 1 of 2" wait_for "DHIS2 instance 1 of 2"
clear_entry; type_text hmis; keys Tab; clear_entry; type_text 2.x; keys Enter
check "a bad version is refused" wait_for "like 2.41 or 2.41.3"
clear_entry; type_text 2.40.4; keys Tab Tab; clear_entry; type_text /hmis
# Tomcat nodes are offered once Redis clustering is built.
if built "clustering: redis"; then keys Tab; clear_entry; type_text 2; fi
keys Tab; clear_entry; type_text 4GB
keys Enter
check "instance 2 of 2" wait_for "DHIS2 instance 2 of 2"
keys Enter
check "database screen" wait_for "PostgreSQL with PostGIS"
clear_entry; type_text 16; keys Enter
if built "clustering: redis"; then
	check "clustering screen with Redis forced on" wait_for "Redis:  [*]"
	keys Space F12
	check "Redis cannot be turned off with two nodes" wait_for "they need Redis"
	keys Space F12
else
	check "clustering is coming: the screen says so" wait_for "Coming, not built yet: Redis"
	check "and asks nothing" sh -c '! screen | grep -q "Redis: "'
	keys Enter				# the focus is on Next
fi
check "monitoring screen" wait_for "Production needs monitoring"
built "monitoring: munin" ||
	check "munin is not offered while it is coming" sh -c '! screen | grep -q "Munin (simple"'
keys Enter
check "alerting screen" wait_for "Who is told"
if built alerting; then
	type_text ops@example.org; keys Tab; type_text smtp.example.org:587
	keys Tab Space Tab; type_text -100123; keys F12
else
	check "alerting is coming: no fields, no test" sh -c '! screen | grep -q "Send test\|Alert email"'
	keys Enter
fi
check "encryption screen" wait_for "Encrypt the database disk"
if built encryption; then
	check "encryption screen warns about erasing" wait_for "WILL BE ERASED"
	type_text /dev/sdb; keys Tab; type_text /dev/sdc; keys F12
	check "a different confirmation is refused" wait_for "type the device name again"
	clear_entry; type_text /dev/sdb; keys Tab Space F12
else
	check "encryption is coming: the screen says so" wait_for "Coming, not built yet: disk encryption"
	keys Enter
fi
check "backups screen" wait_for "Nightly database dumps"
if built backups; then
	keys Tab; clear_entry; type_text "61 * * * *"; keys F12
	check "a bad cron line is refused" wait_for 'a cron schedule like "0 2 * * *" or @daily'
	clear_entry; type_text "0 3 * * *"; keys Tab; clear_entry; type_text 30
	keys Tab; type_text backup@10.0.0.50:/srv/backups; keys F12
else
	check "backups are coming: the screen says so" wait_for "Coming, not built yet: nightly database"
	keys Enter
fi
check "review screen" wait_for "colocation, machines, 2 instances"
# The steps themselves are the planner's: masked in the golden copy, with
# the lines they wrap onto (which steps are built moves the breaks), and
# so is the profile below them, which those lines scroll (the saved
# profile is compared below, key by key).
golden 04-review 's/^\( │   [a-z]* (over SSH):\).*/\1 .../
/(over SSH):/,/^ │ *│$/{/\.\.\.$/!{/^ │ *│$/!d;};}
/The profile:/,/<Back>/{/The profile:/b;/<Back>/b;d;}'
check "the review shows the database machine's steps" \
    wait_for "db (over SSH): preflight base postgres"
check "the review offers Save and apply" wait_for "<Save and apply>"
keys Enter
check "the wizard exits 0 after saving" test "$(wait_rc)" = 0
check "it tells the next commands" wait_for "dhis2-setup secrets generate site.yaml"
check "the saved profile validates" "$bin" -q validate "$tmp/site.yaml"

y="$tmp/site.yaml"
expect() {	# expect DESCRIPTION LINE: the saved YAML has LINE
	if grep -qxF -- "$2" "$y"; then ok "$1"; else not_ok "$1"; fi
}
expect "hosting saved" "hosting: colocation"
expect "isolation saved" "isolation: machines"
expect "fqdn saved" "fqdn: dhis.example.org"
grep -c 'address: 10.0.0.1[0-3]$' "$y" | grep -qx 4 && ok "4 machine addresses saved" || not_ok "4 machine addresses saved"
expect "provided cert saved" "  cert: /etc/ssl/dhis/cert.pem"
expect "proxy saved" "proxy: apache2"
expect "instance version saved" "  version: 2.40.4"
expect "heap saved" "  heap: 4GB"
built "clustering: redis" && expect "redis saved" "  redis: true"
built alerting && expect "telegram saved" "    chat_id: -100123"
built encryption && expect "device saved" "  device: /dev/sdb"
if built backups; then
	expect "retention saved" "  retention_days: 30"
	expect "target saved" "  target: backup@10.0.0.50:/srv/backups"
	expect "schedule saved" "  schedule: 0 3 * * *"
fi
"$bin" validate "$y" > /dev/null 2> "$tmp/plan.err"
! grep -q "not built yet" "$tmp/plan.err" &&
    ok "the saved profile asks for nothing still coming" ||
    not_ok "the saved profile asks for nothing still coming"
[ $failed -eq 0 ] || sed 's/^/# /' "$y"
