#!/bin/sh
# The DHIS2 stack on one server, for real, in LXC containers playing the
# server: PostgreSQL/PostGIS, Java and Tomcat, the WAR (the STAND-IN web
# application of tests/standin, served over HTTP from the test host with
# its sha256), dhis.conf, and nginx or apache2 with TLS.  Checked from where
# they are used: the API through the proxy over HTTPS, the database with
# dhis.conf's credentials (the stand-in connects with them).
#   server A: nginx, self-signed (no HSTS), one instance
#   server B: apache2, a provided certificate from a CA B trusts (HSTS),
#             two instances: hmis (2.42, jakarta) and tracker (2.41: a
#             javax WAR from war.file, migrated for Tomcat 10)
# The package lists are updated once per machine in a run.
# Then: a re-run changes nothing; a wrong sha256 and a certificate that
# does not match its key are refused and the working site stays live.
#
# DHIS2_WAR=/path/dhis.war runs the same with that real DHIS2 WAR (from
# war.file) for every instance instead of the stand-in; its version comes
# from DHIS2_WAR_VERSION or the file name (dhis2-stable-2.41.3.war).
# The real WAR's API is asked with DHIS2's default admin/district.
. "$(dirname "$0")/lib.sh"
real_war_from_env
testbed_up
[ -n "$REAL" ] ||
	ok "the real DHIS2 WAR # SKIP DHIS2_WAR is not set: the stand-in WAR"
A=$E2E_PREFIX-a B=$E2E_PREFIX-b
FQDN=dhis.e2e.test

# --- the WARs, served from the test host -----------------------------------
standin_war || { not_ok "build and serve the stand-in WAR"; done_testing; exit 1; }
if [ -n "$REAL" ]; then
	diag "DHIS2_WAR: the real DHIS2 $REAL_VERSION WAR $REAL"
	VERSION=$REAL_VERSION HEAP1=2GB HEAP2=3GB
else
	# DHIS2 2.41 is a javax WAR: the build's javax flavour, as 2.41.3.
	sh "$top_srcdir/tests/standin/build.sh" "$E2E_TMP/javax" 2.41.3 > "$E2E_TMP/javax.log" 2>&1
	VERSION=2.42 HEAP1=1GB HEAP2=2GB
fi
WARURL="$WARBASE/$WAR"

container_create "$A" 21 && container_create "$B" 22 ||
	{ not_ok "create containers"; done_testing; exit 1; }
check "server A boots" container_wait "$A" 21
check "server B boots" container_wait "$B" 22

profile() {	# FILE ADDRESS PROXY TLS-BLOCK INSTANCES-BLOCK
	stack_profile "$@"
}
instance() {	# NAME SHA256: the WAR under test, by URL
	if [ -n "$REAL" ] && [ "$2" = "$SUM" ]; then
		stack_instance "$1" "$VERSION" "$HEAP1" "$REAL"
	else
		stack_instance "$1" "$VERSION" "$HEAP1" "$WARURL" "$2"
	fi
}
api() {		# ADDRESS PATH -> body
	if [ -n "$REAL" ]; then
		curl -sk --max-time 60 -u admin:district --resolve "$FQDN:443:$1" "https://$FQDN$2"
	else
		curl -sk --max-time 20 --resolve "$FQDN:443:$1" "https://$FQDN$2"
	fi
}
# answers BODY [NAME]: system/info of the WAR under test (and its database)
answers() {
	if [ -n "$REAL" ]; then
		echo "$1" | grep -q "\"version\": *\"$VERSION"
	elif [ -n "${2:-}" ]; then
		echo "$1" | grep -q "\"name\": *\"$2\""
	else
		echo "$1" | grep -q "\"standIn\": *true"
	fi
}
ping_ok() {	# ADDRESS
	curl -sk --max-time 20 -o /dev/null -w '%{http_code}' \
	    --resolve "$FQDN:443:$1" "https://$FQDN/hmis/api/ping" | grep -q '^[23]0[0-9]$\|^401$'
}
hsts() {	# ADDRESS: the header's value, empty when none
	curl -sk --max-time 20 -o /dev/null -D - --resolve "$FQDN:443:$1" \
	    "https://$FQDN/hmis/api/ping" | tr -d '\r' |
	    sed -n 's/^[Ss]trict-[Tt]ransport-[Ss]ecurity: *//p'
}
apply() {	# PROFILE LOG
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --accept-new-host-keys "$1" > "$2" 2>&1
}

# --- A: nginx, self-signed, one instance ---------------------------------
PA="$E2E_TMP/a.yaml"
profile "$PA" "$E2E_NET.21" nginx "  mode: self-signed" "$(instance hmis "$SUM")"
"$D2S" -q secrets generate "$PA" >/dev/null
t0=$(date +%s)
apply "$PA" "$E2E_TMP/a.1"; rc=$?
diag "server A install: $(( $(date +%s) - t0 )) s"
check "A: apply installs the whole stack (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(tail -40 "$E2E_TMP/a.1")"
# The package lists are updated once per machine and run, not per step,
# and the first install (base's) brings every later step's packages in
# the one apt transaction.
log=$(ls "$DHIS2_SETUP_LOGDIR"/a-[0-9]*.log 2>/dev/null | head -n 1)
n_up=$(grep -c "sh apt-get -q -o DPkg::Lock::Timeout=300 update\$" "$log")
n_in=$(grep -c "apt-get -q -y --no-install-recommends .* install " "$log")
check "A: one apt-get update and one install for the run ($n_up, $n_in)" \
	[ "$n_up" -eq 1 -a "$n_in" -eq 1 ]
inst=$(grep "apt-get -q -y --no-install-recommends .* install " "$log")
check "A: that install holds the packages of postgres, tomcat, proxy and firewall" \
	sh -c 'for p in postgresql-15 postgresql-15-postgis-3 openjdk-17-jre-headless tomcat10 nginx nftables; do
		echo "$1" | grep -q " $p\( \|\$\)" || exit 1; done' sh "$inst"
# Its tuning was in place when the package made and started the cluster.
check "A: PostgreSQL is not restarted for its tuning" \
	sh -c '! grep -q "pg_ctlcluster 15 main restart" "$1"' sh "$log"
check "A: and its conf.d, written before the package, is postgres' as packaged" \
	[ "$(lxc-attach -n "$A" -- stat -c %U /etc/postgresql/15 \
	    /etc/postgresql/15/main/conf.d /etc/postgresql/15/main/conf.d/90-dhis2.conf |
	    sort -u)" = postgres ]
check "A: the packaged tomcat10 service is stopped and disabled" \
	sh -c '! lxc-attach -n "$1" -- systemctl is-enabled --quiet tomcat10 &&
		! lxc-attach -n "$1" -- systemctl is-active --quiet tomcat10' sh "$A"
# DHIS2 itself takes minutes to create its tables on the first start.
[ -n "$REAL" ] && wait_for 900 sh -c 'curl -sk -u admin:district --resolve "$1:443:$2" \
	"https://$1/hmis/api/system/info" | grep -q "\"version\""' sh "$FQDN" "$E2E_NET.21"
out=$(api "$E2E_NET.21" /hmis/api/system/info)
check "A: /hmis/api/system/info answers through nginx over HTTPS" answers "$out"
if [ -n "$REAL" ]; then
	ok "A: and the stand-in reached PostgreSQL # SKIP the real WAR: its answer above needed the database"
else
	check "A: and the stand-in reached PostgreSQL with dhis.conf's credentials" \
		sh -c 'echo "$1" | grep -q "\"spatialSupport\": *true"' sh "$out"
fi
check "A: no HSTS with a self-signed certificate ($(hsts "$E2E_NET.21"))" \
	[ -z "$(hsts "$E2E_NET.21")" ]
code=$(curl -s -o /dev/null -w '%{http_code}' --resolve "$FQDN:80:$E2E_NET.21" "http://$FQDN/hmis/")
check "A: HTTP is redirected to HTTPS ($code)" [ "$code" = 301 ]
code=$(curl -sk -o /dev/null -w '%{http_code}' --resolve "other.test:443:$E2E_NET.21" "https://other.test/" || true)
check "A: an unknown name gets nothing ($code)" [ "$code" = 000 ]
check "A: TLS 1.1 is refused" sh -c '! curl -sk --tlsv1.1 --tls-max 1.1 --ciphers DEFAULT@SECLEVEL=0 --resolve "$1:443:$2" "https://$1/" >/dev/null 2>&1' sh "$FQDN" "$E2E_NET.21"
mode=$(lxc-attach -n "$A" -- stat -c '%a %U' /opt/dhis2/hmis/home/dhis.conf)
check "A: dhis.conf is 0600 and the service user's ($mode)" [ "$mode" = "600 dhis2-hmis" ]
check "A: PostgreSQL listens on localhost only" \
	sh -c '! lxc-attach -n "$1" -- ss -ltn | grep -q "0.0.0.0:5432"' sh "$A"

t0=$(date +%s%N)
apply "$PA" "$E2E_TMP/a.2"; rc=$?
diag "server A converged re-run: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "A: the re-run changes nothing" grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/a.2" ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/a.2" | tail -20)"

# A wrong sha256: refused, and what ran goes on answering.
profile "$E2E_TMP/a-bad.yaml" "$E2E_NET.21" nginx "  mode: self-signed" \
	"$(instance hmis 0000000000000000000000000000000000000000000000000000000000000000)"
cp "$E2E_TMP/a.secrets.yaml" "$E2E_TMP/a-bad.secrets.yaml"
apply "$E2E_TMP/a-bad.yaml" "$E2E_TMP/a.bad"; rc=$?
check "A: a wrong sha256 fails the run (exit $rc)" [ $rc -eq 1 ]
check "A: and says so" grep -q "sha256" "$E2E_TMP/a.bad"
check "A: the previous WAR still answers" ping_ok "$E2E_NET.21"

# A WAR URL nobody answers: refused the same way.
profile "$E2E_TMP/a-down.yaml" "$E2E_NET.21" nginx "  mode: self-signed" \
	"$(stack_instance hmis "$VERSION" "$HEAP1" "http://$E2E_NET.1:1/gone.war" \
	    1111111111111111111111111111111111111111111111111111111111111111)"
cp "$E2E_TMP/a.secrets.yaml" "$E2E_TMP/a-down.secrets.yaml"
apply "$E2E_TMP/a-down.yaml" "$E2E_TMP/a.down"; rc=$?
check "A: an unreachable WAR URL fails the run (exit $rc)" [ $rc -eq 1 ]
check "A: and names the URL" grep -q "gone.war" "$E2E_TMP/a.down"
check "A: the previous WAR still answers after it" ping_ok "$E2E_NET.21"

# A profile change touches only what it must: a new heap is Tomcat's.
sed "s/heap: $HEAP1/heap: $HEAP2/" "$PA" > "$E2E_TMP/a-heap.yaml"
cp "$E2E_TMP/a.secrets.yaml" "$E2E_TMP/a-heap.secrets.yaml"
apply "$E2E_TMP/a-heap.yaml" "$E2E_TMP/a.heap"; rc=$?
check "A: a heap change applies (exit $rc)" [ $rc -eq 0 ]
check "A: only tomcat changed" sh -c 'grep -q "\] tomcat *changed" "$1" &&
	! grep -q "\] \(postgres\|war\|tls\|proxy\|base\) *changed" "$1"' sh "$E2E_TMP/a.heap"
check "A: the unit has the new heap" \
	sh -c 'lxc-attach -n "$1" -- grep -q -- "-Xmx$2m" /etc/systemd/system/dhis2-hmis.service' \
	sh "$A" $(( ${HEAP2%GB} * 1024 ))

# --- B: apache2, a provided certificate from a CA B trusts, two instances --
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=d2s e2e private CA" \
	-keyout "$E2E_TMP/ca.key" -out "$E2E_TMP/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=$FQDN" -keyout "$E2E_TMP/b.key" \
	-out "$E2E_TMP/b.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$FQDN" > "$E2E_TMP/b.ext"
openssl x509 -req -in "$E2E_TMP/b.csr" -CA "$E2E_TMP/ca.pem" -CAkey "$E2E_TMP/ca.key" \
	-CAcreateserial -days 30 -extfile "$E2E_TMP/b.ext" -out "$E2E_TMP/b.pem" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$FQDN" \
	-keyout "$E2E_TMP/other.key" -out "$E2E_TMP/other.pem" >/dev/null 2>&1
container_trust "$B" "$E2E_TMP/ca.pem" d2s-e2e-private-ca
PB="$E2E_TMP/b.yaml"
JAVAX="$E2E_TMP/javax/dhis2-standin-javax.war"
if [ -n "$REAL" ]; then
	INSTANCES_B=$(instance hmis "$SUM"; instance tracker "$SUM")
else
	# tracker: DHIS2 2.41, a javax WAR handed over as a local file
	INSTANCES_B=$(instance hmis "$SUM"; stack_instance tracker 2.41 1GB "$JAVAX")
fi
profile "$PB" "$E2E_NET.22" apache2 "  mode: provided
  cert: $E2E_TMP/b.pem
  key: $E2E_TMP/b.key" "$INSTANCES_B"
"$D2S" -q secrets generate "$PB" >/dev/null
apply "$PB" "$E2E_TMP/b.1"; rc=$?
check "B: apply with apache2 and two instances (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(tail -40 "$E2E_TMP/b.1")"
for i in hmis tracker; do
	[ -n "$REAL" ] && wait_for 900 sh -c 'curl -sk -u admin:district --resolve "$1:443:$2" \
		"https://$1/$3/api/system/info" | grep -q "\"version\""' sh "$FQDN" "$E2E_NET.22" "$i"
	out=$(api "$E2E_NET.22" "/$i/api/system/info")
	check "B: /$i answers through apache2 with its own database" answers "$out" "$i"
done
served=$(echo | openssl s_client -connect "$E2E_NET.22:443" -servername "$FQDN" 2>/dev/null |
	openssl x509 -noout -fingerprint -sha256)
want=$(openssl x509 -in "$E2E_TMP/b.pem" -noout -fingerprint -sha256)
check "B: apache2 serves the provided certificate" [ "$served" = "$want" ]
h=$(hsts "$E2E_NET.22")
check "B: apache2 sends HSTS: B's CA store trusts the certificate ($h)" \
	[ "$h" = "max-age=63072000" ]

# The javax WAR of 2.41: Tomcat 10 is what Debian 12 has, so the WAR is
# migrated to jakarta on the way in; unmigrated it would not answer.
if [ -n "$REAL" ]; then
	ok "B: a javax WAR migrated for Tomcat 10 # SKIP the real WAR is used for both instances"
elif [ ! -f "$JAVAX" ]; then
	not_ok "B: build the javax stand-in (needs libservlet-api-java)"
	diag "$(tail -3 "$E2E_TMP/javax.log")"
else
	out=$(api "$E2E_NET.22" /tracker/api/system/info)
	check "B: tracker is the javax build of 2.41.3" \
		sh -c 'echo "$1" | grep -q "\"version\": *\"2.41.3\".*\"revision\": *\"standin-javax\""' sh "$out"
	check "B: and runs on Tomcat 10" \
		sh -c 'echo "$1" | grep -q "\"serverInfo\": *\"Apache Tomcat/10\."' sh "$out"
	check "B: Tomcat 9 is not installed, the migration tool is" \
		sh -c 'lxc-attach -n "$1" -- dpkg-query -W -f="\${db:Status-Abbrev}" tomcat-jakartaee-migration | grep -q "^ii" &&
		    ! lxc-attach -n "$1" -- dpkg-query -W -f="\${db:Status-Abbrev}" tomcat9 2>/dev/null | grep -q "^ii"' sh "$B"
	lxc-attach -n "$B" -- cat /opt/dhis2/tracker/tomcat/webapps/tracker.war > "$E2E_TMP/tracker.war"
	check "B: the deployed WAR is the javax one migrated (jakarta.servlet, no javax.servlet)" \
		python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
c = z.read("WEB-INF/classes/org/dhis2setup/standin/StandInServlet.class")
sys.exit(0 if b"jakarta/servlet" in c and b"javax/servlet" not in c else 1)' "$E2E_TMP/tracker.war"
	m=$(lxc-attach -n "$B" -- cat /opt/dhis2/tracker/tomcat/webapps/tracker.war.sha256)
	check "B: its marker is the source WAR's sha256" \
		[ "$m" = "$(sha256sum < "$JAVAX" | cut -d' ' -f1)" ]
fi
apply "$PB" "$E2E_TMP/b.2"
check "B: the re-run changes nothing" grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/b.2" ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/b.2" | tail -20)"

# A certificate that does not match its key: refused before anything.
profile "$E2E_TMP/b-bad.yaml" "$E2E_NET.22" apache2 "  mode: provided
  cert: $E2E_TMP/b.pem
  key: $E2E_TMP/other.key" "$INSTANCES_B"
cp "$E2E_TMP/b.secrets.yaml" "$E2E_TMP/b-bad.secrets.yaml"
apply "$E2E_TMP/b-bad.yaml" "$E2E_TMP/b.bad"; rc=$?
check "B: a key that does not match the certificate fails (exit $rc)" [ $rc -eq 1 ]
check "B: and says so" grep -q "does not belong to the certificate" "$E2E_TMP/b.bad"
served=$(echo | openssl s_client -connect "$E2E_NET.22:443" -servername "$FQDN" 2>/dev/null |
	openssl x509 -noout -fingerprint -sha256)
check "B: the working certificate stays live" [ "$served" = "$want" ]
done_testing
