#!/bin/sh
# The plain-text frontend through a pipe: the same questions, "?" help,
# "<" back, a refused answer asked again, and the end of the input.
. "$(dirname "$0")/lib.sh"

cd "$tmp" || exit 1
# hosting, isolation, (server name: bad, then good), admin network,
# time zone, tls, email, proxy, instances x2 (count, versions from),
# instance (look up versions? then x6), database x3, redis, monitoring,
# alerting x5 and send a test?, encryption x3, backups x4, save.
answers() {
	printf '%s\n' 4 '?' lxc '<' lxc 'not a name!' dhis.example.org \
	    198.51.100.0/24 Europe/Oslo 1 admin@example.org 2 1 '' \
	    '' '' 2.42 '' '' '' 3GB 16 no 0 '' munin ops@example.org '' no '' \
	    yes '' '' '' no yes '@daily' 7 s3://dhis-backups/prod yes
}
answers | "$bin" wizard --frontend text --output text.yaml > out.txt 2> err.txt
check "text wizard exits 0" test $? = 0
check "? shows the screen's help" grep -q "WHY SEPARATE THE PARTS" out.txt
check "< goes back to the isolation screen" \
    sh -c 'test "$(grep -c "== Isolation ==" out.txt)" = 2'
check "a bad name is refused and asked again" \
    grep -q "! Server name: a full name like dhis.example.org" out.txt
check "the review shows the checker's verdict" grep -q "Warnings:\|The checks found nothing" out.txt
check "it tells the next commands" grep -q "dhis2-setup apply text.yaml" out.txt
check "the saved profile validates" "$bin" -q validate text.yaml
for l in "hosting: cloud" "isolation: lxc" "fqdn: dhis.example.org" \
    "admin_network: 198.51.100.0/24" "timezone: Europe/Oslo" \
    "proxy: apache2" "  version: 2.42" "  heap: 3GB" "monitoring: munin" \
    "  schedule: '@daily'" "  retention_days: 7" \
    "  target: s3://dhis-backups/prod" "  slack: true"; do
	check "saved: $l" grep -qxF -- "$l" text.yaml
done
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
