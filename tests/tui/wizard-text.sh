#!/bin/sh
# The plain-text frontend through a pipe: the same questions, "?" help,
# "<" back, a refused answer asked again, and the end of the input.
. "$(dirname "$0")/lib.sh"

cd "$tmp" || exit 1
# hosting, isolation, (server name: bad, then good), admin network,
# time zone, tls, email, proxy, instances x2 (count, versions from),
# instance (look up versions? then name, version, WAR, path, [nodes],
# heap), database ([version, tuning, replicas]), [redis], monitoring,
# [alerting x5 and send a test?], [encryption x3], [backups x4], save.
# A screen whose feature is still coming asks nothing.
mon=none
built "monitoring: munin" && mon=munin
answers() {
	printf '%s\n' 4 '?' lxc '<' lxc 'not a name!' dhis.example.org \
	    198.51.100.0/24 Europe/Oslo 1 admin@example.org 2 1 '' \
	    '' '' 2.42 '' ''
	built "clustering: redis" && echo ''
	printf '%s\n' 3GB 16 no
	built "database: replicas" && echo 0
	built "clustering: redis" && echo ''
	echo "$mon"
	built alerting && printf '%s\n' ops@example.org smtp.example.org:587 no \
	    @channel '' yes no
	built encryption && printf '%s\n' '' '' no
	built backups && printf '%s\n' yes '@daily' 7 backup@10.0.0.50:/srv/d
	echo yes
}
answers | "$bin" wizard --frontend text --output text.yaml > out.txt 2> err.txt
check "text wizard exits 0" test $? = 0
check "? shows the screen's help" grep -q "WHY SEPARATE THE PARTS" out.txt
check "< goes back to the isolation screen" \
    sh -c 'test "$(grep -c "== Isolation ==" out.txt)" = 2'
check "a bad name is refused and asked again" \
    grep -q "! Server name: a fully qualified domain name like dhis.example.org" out.txt
built alerting && check "a chat the profile cannot hold is refused (@channel)" \
    grep -q "! Telegram chat: a Telegram chat id (a number" out.txt
check "the review shows the checker's verdict" grep -q "Warnings:\|The checks found nothing" out.txt
check "it tells the next commands" grep -q "dhis2-setup apply text.yaml" out.txt
# No admin network: the review says loudly that SSH is open (audit L4).
answers | sed 's|^198\.51\.100\.0/24$||' |
    "$bin" wizard --frontend text --output open.yaml > open.txt 2>&1
check "without an admin network the review warns that SSH is open" \
    grep -q "warning: no admin_network: SSH (port 22) will be open to the whole" open.txt
check "the saved profile validates" "$bin" -q validate text.yaml
for l in "hosting: cloud" "isolation: lxc" "fqdn: dhis.example.org" \
    "admin_network: 198.51.100.0/24" "timezone: Europe/Oslo" \
    "proxy: apache2" "  version: 2.42" "  heap: 3GB" "monitoring: $mon"; do
	check "saved: $l" grep -qxF -- "$l" text.yaml
done
if built backups; then
	for l in "  schedule: '@daily'" "  retention_days: 7" \
	    "  target: backup@10.0.0.50:/srv/d"; do
		check "saved: $l" grep -qxF -- "$l" text.yaml
	done
else
	check "backups: the screen says they are coming" \
	    grep -q "^Coming, not built yet: nightly database backups" out.txt
	check "and the profile has them off" \
	    grep -q "^  enabled: false" text.yaml
fi
if built encryption; then :; else
	check "encryption: the screen says it is coming and asks nothing" \
	    sh -c '! grep -q "Data disk" out.txt && grep -q "^Coming, not built yet: disk encryption" out.txt'
fi
# Nothing it saves is refused by apply as not built yet.
"$bin" validate text.yaml > /dev/null 2> plan.err
check "the saved profile asks for nothing still coming" \
    sh -c '! grep -q "not built yet" plan.err'
check "tuning off saved" grep -q "tuning:" text.yaml

# --from: the saved profile gives every default; Enter keeps them all.
yes '' | head -60 > enter.txt
echo yes >> enter.txt
"$bin" wizard --frontend text --from text.yaml --output again.yaml \
    < enter.txt > out2.txt 2>&1
check "--from: Enter everywhere saves" test $? = 0
check "--from: the same profile comes out" \
    sh -c 'grep -v "^#" text.yaml > a; grep -v "^#" again.yaml > b; cmp a b'

# SaaS: advice, nothing saved.
printf '5\n' | "$bin" wizard --frontend text --output saas.yaml > saas.txt
check "SaaS ends with advice and exit 0" test $? = 0
check "SaaS advice is printed" grep -q "nothing to install" saas.txt
check "SaaS saves no profile" test ! -e saas.yaml

# Input that ends early: an error, nothing saved.
printf '4\n' | "$bin" wizard --frontend text --output short.yaml \
    > /dev/null 2> short.err
check "input ending early exits 2" test $? = 2
check "and says so" grep -q "input ended" short.err
check "and saves nothing" test ! -e short.yaml

# No terminal, no --frontend: a clear error.
"$bin" wizard < /dev/null > /dev/null 2> noterm.err
check "no terminal exits 2" test $? = 2
check "no terminal says what to do" grep -q "needs a terminal" noterm.err
"$bin" wizard --frontend newt < /dev/null > /dev/null 2>&1
check "--frontend newt without a terminal exits 2" test $? = 2
"$bin" wizard --from /nonexistent.yaml --frontend text < /dev/null \
    > /dev/null 2>&1
check "--from a missing profile exits 2" test $? = 2
