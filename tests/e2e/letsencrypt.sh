#!/bin/sh
# Let's Encrypt end to end, for real, against pebble (Let's Encrypt's ACME
# test server, a Debian package) on this test's own bridge address:
#  - pebble's ACME directory has a TLS certificate from a CA this test
#    makes; the container must trust it through its system store, as a
#    server trusts a private ACME CA (no REQUESTS_CA_BUNDLE, no
#    --no-verify-ssl);
#  - pebble-challtestsrv is pebble's DNS: it knows one name, the fqdn,
#    pointing at the container, so the HTTP-01 challenge is fetched from
#    the container's port 80 through nginx (no PEBBLE_VA_ALWAYS_VALID);
#  - the certificate pebble issued is the one nginx serves; the renewal
#    timer runs; certbot renew --dry-run passes; the deploy hook makes a
#    forced renewal live;
#  - HSTS is sent exactly while the container's CA store trusts the
#    served certificate (pebble's root added, then removed);
#  - a re-run changes nothing.
. "$(dirname "$0")/lib.sh"
need_root
lxc_usable || skip_all "lxc is not installed and cannot be installed"
[ -x "$D2S" ] || skip_all "build dhis2-setup first"
command -v javac >/dev/null 2>&1 || skip_all "no JDK to build the stand-in WAR"
pebble_usable() {
	command -v pebble >/dev/null 2>&1 &&
	    command -v pebble-challtestsrv >/dev/null 2>&1 && return 0
	[ -n "${E2E_NO_INSTALL:-}" ] && return 1
	timeout 300 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    pebble >/dev/null 2>&1
	command -v pebble >/dev/null 2>&1
}
pebble_usable || skip_all "pebble is not installed and cannot be installed"

make_client_key
bridge_up || skip_all "cannot create bridge $E2E_BRIDGE"
C=$E2E_PREFIX-le
CIP=$E2E_NET.31
# A name the profile accepts for Let's Encrypt (.test would be refused);
# under example.org (RFC 2606), and only pebble's own DNS answers for it.
FQDN=dhis.d2s-e2e.example.org

# --- pebble and its DNS, on the bridge and loopback only ------------------
PEB="$E2E_TMP/pebble"
mkdir -p "$PEB"
base=$((30000 + $$ % 10000))
ACME_PORT=$base MGMT_PORT=$((base + 1)) DNS_PORT=$((base + 2)) CTS_PORT=$((base + 3))
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=d2s e2e ACME listener CA" \
	-keyout "$PEB/ca.key" -out "$PEB/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=$E2E_NET.1" -keyout "$PEB/srv.key" \
	-out "$PEB/srv.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
	"$E2E_NET.1" > "$PEB/ext"
openssl x509 -req -in "$PEB/srv.csr" -CA "$PEB/ca.pem" -CAkey "$PEB/ca.key" \
	-CAcreateserial -days 2 -extfile "$PEB/ext" -out "$PEB/srv.pem" >/dev/null 2>&1
cat > "$PEB/config.json" <<EOC
{"pebble": {
  "listenAddress": "$E2E_NET.1:$ACME_PORT",
  "managementListenAddress": "127.0.0.1:$MGMT_PORT",
  "certificate": "$PEB/srv.pem",
  "privateKey": "$PEB/srv.key",
  "httpPort": 80,
  "tlsPort": 443,
  "ocspResponderURL": "",
  "externalAccountBindingRequired": false
}}
EOC
pebble-challtestsrv -dns01 "127.0.0.1:$DNS_PORT" -http01 "" -https01 "" \
	-tlsalpn01 "" -management "127.0.0.1:$CTS_PORT" -defaultIPv4 "" \
	-defaultIPv6 "" > "$PEB/challtestsrv.log" 2>&1 &
at_exit "kill $!"
# No sleeps, every nonce good, no authorisation reused: each order and
# each dry run is validated against the container for real.
env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
	pebble -config "$PEB/config.json" -dnsserver "127.0.0.1:$DNS_PORT" \
	> "$PEB/pebble.log" 2>&1 &
at_exit "kill $!"
wait_for 20 tcp_open 127.0.0.1 "$CTS_PORT" &&
	wait_for 20 tcp_open "$E2E_NET.1" "$ACME_PORT" ||
	{ not_ok "start pebble"; diag "$(cat "$PEB"/*.log)"; done_testing; exit 1; }
curl -s -X POST -d "{\"host\":\"$FQDN\",\"addresses\":[\"$CIP\"]}" \
	"http://127.0.0.1:$CTS_PORT/add-a" >/dev/null
ACME="https://$E2E_NET.1:$ACME_PORT/dir"
check "pebble's directory answers with its own certificate" \
	sh -c 'curl -sf --cacert "$1" "$2" | grep -q newOrder' sh "$PEB/ca.pem" "$ACME"

# --- the stand-in WAR and the server --------------------------------------
standin_war || { not_ok "build and serve the stand-in WAR"; done_testing; exit 1; }

container_create "$C" 31 || { not_ok "create the container"; done_testing; exit 1; }
check "the server boots" container_wait "$C" 31
# The server's own name resolves on it (preflight asks).
lxc-attach -n "$C" -- sh -c 'echo "$1 $2" >> /etc/hosts' sh "$CIP" "$FQDN"

P="$E2E_TMP/le.yaml"
stack_profile "$P" "$CIP" nginx "  mode: letsencrypt
  email: admin@d2s-e2e.example.org
  acme_server: $ACME" "$(stack_instance hmis 2.42 1GB "$WARBASE/dhis2-standin.war" "$SUM")"
"$D2S" -q secrets generate "$P" >/dev/null
apply() {	# LOG
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --accept-new-host-keys "$P" > "$1" 2>&1
}
https() {	# PATH [CURL-ARGS]: through nginx at the container
	p=$1; shift
	curl -sk --max-time 20 --resolve "$FQDN:443:$CIP" "$@" "https://$FQDN$p"
}
served_pem() {
	echo | openssl s_client -connect "$CIP:443" -servername "$FQDN" \
	    -showcerts 2>/dev/null | sed -n '/BEGIN CERT/,/END CERT/p'
}
served_fp() {
	served_pem | openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
live_fp() {
	lxc-attach -n "$C" -- cat "/etc/letsencrypt/live/$FQDN/cert.pem" |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
hsts() {	# the header's value, empty when none
	https /hmis/api/ping -o /dev/null -D - | tr -d '\r' |
	    sed -n 's/^[Ss]trict-[Tt]ransport-[Ss]ecurity: *//p'
}
only_changed() {	# LOG STEP: that step changed, no other
	grep -q "\] $2 *changed" "$1" &&
	    [ "$(grep -c '\] [a-z]* *changed' "$1")" -eq 1 ]
}

# 1. The container does not trust the ACME server yet: refused, clearly,
#    and everything else is installed behind a self-signed stand-in.
t0=$(date +%s)
apply "$E2E_TMP/le.1"; rc=$?
diag "first install: $(( $(date +%s) - t0 )) s"
check "an untrusted ACME server fails the run (exit $rc)" [ $rc -eq 1 ]
check "and says what to do about it" \
	grep -q "does not trust the certificate of $ACME" "$E2E_TMP/le.1" ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/le.1" | tail -20)"
check "the stand-in certificate answers meanwhile" \
	sh -c 'curl -sk --resolve "$1:443:$2" "https://$1/hmis/api/ping" | grep -q pong' sh "$FQDN" "$CIP"
check "no HSTS with the self-signed stand-in" [ -z "$(hsts)" ]

# 2. The operator adds the ACME CA to the server's store: issued.
container_trust "$C" "$PEB/ca.pem" d2s-e2e-acme-listener
t0=$(date +%s)
apply "$E2E_TMP/le.2"; rc=$?
diag "certificate from pebble: $(( $(date +%s) - t0 )) s"
check "with the ACME CA trusted, apply succeeds (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/le.2" | tail -30)"
curl -sf --cacert "$PEB/ca.pem" "https://127.0.0.1:$MGMT_PORT/roots/0" > "$PEB/root.pem"
curl -sf --cacert "$PEB/ca.pem" "https://127.0.0.1:$MGMT_PORT/intermediates/0" > "$PEB/int.pem"
served_pem > "$E2E_TMP/served.pem"
check "nginx serves a certificate that chains to pebble's root, for the fqdn" \
	openssl verify -CAfile "$PEB/root.pem" -untrusted "$E2E_TMP/served.pem" \
	-verify_hostname "$FQDN" "$E2E_TMP/served.pem"
serves_live() { l=$(live_fp); [ -n "$l" ] && [ "$(served_fp)" = "$l" ]; }
check "it is the one certbot holds" serves_live
out=$(https /hmis/api/system/info)
check "the API answers over it" sh -c 'echo "$1" | grep -q "\"standIn\": *true"' sh "$out"
check "pebble fetched the HTTP-01 challenge from the container's port 80" \
	sh -c 'lxc-attach -n "$1" -- cat /var/log/nginx/access.log |
	    grep -q "GET /.well-known/acme-challenge/[^ ]* HTTP/1.1\" 200"' sh "$C"
# The step's verify is the dry run; the step is "changed" only if it passed.
check "the certbot step proved renewal with certbot renew --dry-run" \
	sh -c 'grep -q "\] certbot *changed" "$1" &&
	    grep -q "certbot renew --dry-run" "$2"/*' sh "$E2E_TMP/le.2" "$DHIS2_SETUP_LOGDIR"
# A dry run asks Let's Encrypt's staging CA unless told otherwise.
check "certbot renew --dry-run against pebble passes on the server" \
	lxc-attach -n "$C" -- certbot renew --dry-run --non-interactive \
	--no-random-sleep-on-renew --cert-name "$FQDN" --server "$ACME" -q
check "the renewal timer is enabled and waiting" \
	sh -c 'lxc-attach -n "$1" -- systemctl is-enabled --quiet certbot.timer &&
	    lxc-attach -n "$1" -- systemctl is-active --quiet certbot.timer' sh "$C"
check "the deploy hook is executable" \
	lxc-attach -n "$C" -- test -x /etc/letsencrypt/renewal-hooks/deploy/dhis2-setup
check "no HSTS: the server's store does not trust pebble's root ($(hsts))" [ -z "$(hsts)" ]

# 3. Pebble's root in the server's store: the certificate earns HSTS, and
#    only the tls step changes.
container_trust "$C" "$PEB/root.pem" d2s-e2e-pebble-root
apply "$E2E_TMP/le.3"; rc=$?
check "a trusted certificate: apply (exit $rc)" [ $rc -eq 0 ]
check "only tls changed" only_changed "$E2E_TMP/le.3" tls ||
	diag "$(grep 'changed' "$E2E_TMP/le.3")"
h=$(hsts)
check "HSTS is sent now ($h)" [ "$h" = "max-age=63072000" ]

apply "$E2E_TMP/le.4"; rc=$?
check "a re-run changes nothing (exit $rc)" \
	grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/le.4" ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/le.4" | tail -20)"

# 4. A renewal goes live through the deploy hook alone.
before=$(served_fp)
lxc-attach -n "$C" -- certbot renew --force-renewal --non-interactive --no-random-sleep-on-renew \
	--cert-name "$FQDN" -q > "$E2E_TMP/renew.log" 2>&1
check "certbot renews the certificate" [ $? -eq 0 ]
wait_for 10 sh -c '[ "$(echo | openssl s_client -connect "$1:443" -servername "$2" 2>/dev/null |
	openssl x509 -noout -fingerprint -sha256)" != "$3" ]' sh "$CIP" "$FQDN" "$before"
check "the hook reloaded nginx: the renewed certificate is served" \
	sh -c '[ "$1" != "$2" ]' sh "$(served_fp)" "$before"
check "and it is certbot's new one" serves_live
apply "$E2E_TMP/le.5"
check "after the renewal a re-run changes nothing" \
	grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/le.5"

# 5. The root leaves the store: HSTS goes with it.
container_distrust "$C" d2s-e2e-pebble-root
apply "$E2E_TMP/le.6"; rc=$?
check "an untrusted certificate again: apply (exit $rc)" [ $rc -eq 0 ]
check "HSTS is no longer sent" [ -z "$(hsts)" ]
done_testing
