#!/bin/sh
# The DHIS2 stack on one server, for real, in LXC containers playing the
# server: PostgreSQL/PostGIS, Java and Tomcat, the WAR (the STAND-IN web
# application of tests/standin, served over HTTP from the test host with
# its sha256), dhis.conf, and nginx or apache2 with TLS.  Checked from where
# they are used: the API through the proxy over HTTPS, the database with
# dhis.conf's credentials (the stand-in connects with them).
#   server A: nginx, self-signed, one instance
#   server B: apache2, provided certificate, two instances
# Then: a re-run changes nothing; a wrong sha256 and a certificate that
# does not match its key are refused and the working site stays live.
. "$(dirname "$0")/lib.sh"
need_root
lxc_usable || skip_all "lxc is not installed and cannot be installed"
[ -x "$D2S" ] || skip_all "build dhis2-setup first"
command -v javac >/dev/null 2>&1 || skip_all "no JDK to build the stand-in WAR"

make_client_key
bridge_up || skip_all "cannot create bridge $E2E_BRIDGE"
A=$E2E_PREFIX-a B=$E2E_PREFIX-b
FQDN=dhis.e2e.test

# --- the stand-in WAR, served from the test host ------------------------
WARDIR="$E2E_TMP/wars"
sh "$top_srcdir/tests/standin/build.sh" "$WARDIR" 2.42.0 > "$E2E_TMP/war.log" 2>&1 ||
	{ not_ok "build the stand-in WAR"; diag "$(tail "$E2E_TMP/war.log")"; done_testing; exit 1; }
SUM=$(sha256sum < "$WARDIR/dhis2-standin.war" | cut -d' ' -f1)
PORT=$((20000 + $$ % 10000))
(cd "$WARDIR" && exec python3 -m http.server "$PORT" --bind "$E2E_NET.1") \
	> "$E2E_TMP/http.log" 2>&1 &
at_exit "kill $!"
wait_for 20 tcp_open "$E2E_NET.1" "$PORT"
WARURL="http://$E2E_NET.1:$PORT/dhis2-standin.war"

container_create "$A" 21 && container_create "$B" 22 ||
	{ not_ok "create containers"; done_testing; exit 1; }
check "server A boots" container_wait "$A" 21
check "server B boots" container_wait "$B" 22

profile() {	# FILE ADDRESS PROXY TLS-BLOCK INSTANCES-BLOCK
	cat > "$1" <<EOP
version: 1
hosting: basement
isolation: single-host
fqdn: $FQDN
timezone: UTC
known_hosts: known_hosts
proxy: $3
tls:
$4
machines:
  - name: server
    address: $2
    roles: [proxy, app, database]
    ssh:
      user: root
      key: $E2E_TMP/id
instances:
$5
database:
  version: 15
monitoring: none
backups:
  enabled: false
EOP
}
instance() {	# NAME SHA256
	printf '  - name: %s\n    version: "2.42"\n    heap: 1GB\n    war:\n      url: "%s"\n      sha256: %s\n' \
	    "$1" "$WARURL" "$2"
}
api() {		# ADDRESS PATH -> body
	curl -sk --max-time 20 --resolve "$FQDN:443:$1" "https://$FQDN$2"
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
out=$(api "$E2E_NET.21" /hmis/api/system/info)
check "A: /hmis/api/system/info answers through nginx over HTTPS" \
	sh -c 'echo "$1" | grep -q "\"standIn\": *true"' sh "$out"
check "A: and the stand-in reached PostgreSQL with dhis.conf's credentials" \
	sh -c 'echo "$1" | grep -q "\"spatialSupport\": *true"' sh "$out"
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
check "A: the previous WAR still answers" \
	sh -c 'curl -sk --resolve "$1:443:$2" "https://$1/hmis/api/ping" | grep -q pong' sh "$FQDN" "$E2E_NET.21"

# A WAR URL nobody answers: refused the same way.
profile "$E2E_TMP/a-down.yaml" "$E2E_NET.21" nginx "  mode: self-signed" \
	"$(instance hmis 1111111111111111111111111111111111111111111111111111111111111111 |
	    sed "s|$WARURL|http://$E2E_NET.1:1/gone.war|")"
cp "$E2E_TMP/a.secrets.yaml" "$E2E_TMP/a-down.secrets.yaml"
apply "$E2E_TMP/a-down.yaml" "$E2E_TMP/a.down"; rc=$?
check "A: an unreachable WAR URL fails the run (exit $rc)" [ $rc -eq 1 ]
check "A: and names the URL" grep -q "gone.war" "$E2E_TMP/a.down"
check "A: the previous WAR still answers after it" \
	sh -c 'curl -sk --resolve "$1:443:$2" "https://$1/hmis/api/ping" | grep -q pong' sh "$FQDN" "$E2E_NET.21"

# A profile change touches only what it must: a new heap is Tomcat's.
sed 's/heap: 1GB/heap: 2GB/' "$PA" > "$E2E_TMP/a-heap.yaml"
cp "$E2E_TMP/a.secrets.yaml" "$E2E_TMP/a-heap.secrets.yaml"
apply "$E2E_TMP/a-heap.yaml" "$E2E_TMP/a.heap"; rc=$?
check "A: a heap change applies (exit $rc)" [ $rc -eq 0 ]
check "A: only tomcat changed" sh -c 'grep -q "\] tomcat *changed" "$1" &&
	! grep -q "\] \(postgres\|war\|tls\|proxy\|base\) *changed" "$1"' sh "$E2E_TMP/a.heap"
check "A: the unit has the new heap" \
	sh -c 'lxc-attach -n "$1" -- grep -q -- "-Xmx2048m" /etc/systemd/system/dhis2-hmis.service' sh "$A"

# --- B: apache2, provided certificate, two instances ----------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$FQDN" \
	-addext "subjectAltName=DNS:$FQDN" -keyout "$E2E_TMP/b.key" \
	-out "$E2E_TMP/b.pem" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$FQDN" \
	-keyout "$E2E_TMP/other.key" -out "$E2E_TMP/other.pem" >/dev/null 2>&1
PB="$E2E_TMP/b.yaml"
profile "$PB" "$E2E_NET.22" apache2 "  mode: provided
  cert: $E2E_TMP/b.pem
  key: $E2E_TMP/b.key" "$(instance hmis "$SUM"; instance tracker "$SUM")"
"$D2S" -q secrets generate "$PB" >/dev/null
apply "$PB" "$E2E_TMP/b.1"; rc=$?
check "B: apply with apache2 and two instances (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(tail -40 "$E2E_TMP/b.1")"
for i in hmis tracker; do
	out=$(api "$E2E_NET.22" "/$i/api/system/info")
	check "B: /$i answers through apache2 with its own database" \
		sh -c 'echo "$1" | grep -q "\"name\": *\"$2\""' sh "$out" "$i"
done
served=$(echo | openssl s_client -connect "$E2E_NET.22:443" -servername "$FQDN" 2>/dev/null |
	openssl x509 -noout -fingerprint -sha256)
want=$(openssl x509 -in "$E2E_TMP/b.pem" -noout -fingerprint -sha256)
check "B: apache2 serves the provided certificate" [ "$served" = "$want" ]
apply "$PB" "$E2E_TMP/b.2"
check "B: the re-run changes nothing" grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/b.2"

# A certificate that does not match its key: refused before anything.
profile "$E2E_TMP/b-bad.yaml" "$E2E_NET.22" apache2 "  mode: provided
  cert: $E2E_TMP/b.pem
  key: $E2E_TMP/other.key" "$(instance hmis "$SUM"; instance tracker "$SUM")"
cp "$E2E_TMP/b.secrets.yaml" "$E2E_TMP/b-bad.secrets.yaml"
apply "$E2E_TMP/b-bad.yaml" "$E2E_TMP/b.bad"; rc=$?
check "B: a key that does not match the certificate fails (exit $rc)" [ $rc -eq 1 ]
check "B: and says so" grep -q "does not belong to the certificate" "$E2E_TMP/b.bad"
served=$(echo | openssl s_client -connect "$E2E_NET.22:443" -servername "$FQDN" 2>/dev/null |
	openssl x509 -noout -fingerprint -sha256)
check "B: the working certificate stays live" [ "$served" = "$want" ]
done_testing
