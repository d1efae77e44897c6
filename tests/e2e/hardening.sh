#!/bin/sh
# Audit L3 and testssl.sh (issue 11), for real, against both proxies: two
# LXC containers, "ngx" (nginx, an instance of two Tomcat nodes, so Redis
# too) and "apa" (apache2, one node), each a single server with a
# certificate from a private CA the container trusts.  Only the steps
# these need are applied (--only): no Tomcat, no WAR; small echo servers
# on the Tomcat ports answer with the headers the proxy sent them.
# Checked on each proxy:
#   - testssl.sh (Debian's, installed in the container, run from there)
#     finds nothing HIGH or CRITICAL; the server picks its own (strongest)
#     suite over the client's order;
#   - no version in the Server header on port 80, nor on 443;
#   - a client's X-Forwarded-For is not passed on: Tomcat gets the
#     address the connection came from;
#   - nginx: /api/auth/login (DHIS2 2.41+) is rate-limited like the old
#     login.action;
# and Redis: the password DHIS2 has (no user name: Redis's default user)
# works for data and cannot FLUSHALL, CONFIG or DEBUG; the tool's own
# admin user can.
. "$(dirname "$0")/lib.sh"
testbed_up
NG=$E2E_PREFIX-ngx AP=$E2E_PREFIX-apa
NGA=$E2E_NET.51 APA=$E2E_NET.52
FQDN=dhis.e2e.test
# No preflight: the echo servers hold the Tomcat ports it wants free.
STEPS=base,tls,proxy,redis
containers_up "$NG:51" "$AP:52"

# --- a private CA and the proxies' certificate ----------------------------
# A CRL distribution point: a certificate with no revocation URL at all
# is rated HIGH by testssl.sh (Let's Encrypt's have a CRL URL since 2025).
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=d2s e2e hardening CA" \
	-keyout "$E2E_TMP/ca.key" -out "$E2E_TMP/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=$FQDN" -keyout "$E2E_TMP/site.key" \
	-out "$E2E_TMP/site.csr" >/dev/null 2>&1
printf '%s\n' "subjectAltName=DNS:$FQDN" "extendedKeyUsage=serverAuth" \
	"keyUsage=critical,digitalSignature,keyEncipherment" \
	"crlDistributionPoints=URI:http://ca.e2e.test/ca.crl" > "$E2E_TMP/site.ext"
openssl x509 -req -in "$E2E_TMP/site.csr" -CA "$E2E_TMP/ca.pem" -CAkey "$E2E_TMP/ca.key" \
	-CAcreateserial -days 200 -extfile "$E2E_TMP/site.ext" -out "$E2E_TMP/site.pem" >/dev/null 2>&1

# --- the containers: the CA trusted, testssl.sh and an echo server --------
ECHO='import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        b = ("xff=%s\n" % self.headers.get("X-Forwarded-For")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    do_GET = do_POST = answer
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()'
prepare() {	# CONTAINER: testssl.sh and python3 in it, echo servers on 8080/8081
	container_trust "$1" "$E2E_TMP/ca.pem" d2s-e2e-hardening-ca || return 1
	lxc-attach -n "$1" -- sh -c 'apt-get update -q &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    testssl.sh python3' > "$E2E_TMP/$1.prep.log" 2>&1 || return 1
	printf '%s\n' "$ECHO" | lxc-attach -n "$1" -- sh -c 'cat > /root/echo.py' &&
	for port in 8080 8081; do
		lxc-attach -n "$1" -- systemd-run -q --unit="d2s-echo-$port" \
		    python3 /root/echo.py "$port" || return 1
	done
	cat "$E2E_TMP/ca.pem" | lxc-attach -n "$1" -- sh -c 'cat > /root/ca.pem'
}
t0=$(date +%s)
prepare "$NG" & p1=$!
prepare "$AP"; r2=$?
wait $p1; r1=$?
diag "testssl.sh, python3 and the echo servers: $(( $(date +%s) - t0 )) s"
check "the containers trust the CA and have testssl.sh ($r1 $r2)" [ $r1$r2 = 00 ] ||
	diag "$(tail -5 "$E2E_TMP/$NG.prep.log" "$E2E_TMP/$AP.prep.log")"

# --- the profiles, applied ------------------------------------------------
instance() {	# NODES
	stack_instance hmis 2.42 1GB "http://$E2E_NET.1:1/dhis2.war" \
	    1111111111111111111111111111111111111111111111111111111111111111 |
	    sed "s/^    version:/    nodes: $1\n    version:/"
}
TLS="  mode: provided
  cert: $E2E_TMP/site.pem
  key: $E2E_TMP/site.key"
PN="$E2E_TMP/ngx.yaml" PA="$E2E_TMP/apa.yaml"
stack_profile "$PN" "$NGA" nginx "$TLS" "$(instance 2)"
printf 'clustering:\n  redis: true\n' >> "$PN"
stack_profile "$PA" "$APA" apache2 "$TLS" "$(instance 1)"
for p in "$PN" "$PA"; do "$D2S" -q secrets generate "$p" >/dev/null; done
apply() {	# PROFILE LOG
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --accept-new-host-keys \
	    --only "$STEPS" "$1" > "$2" 2>&1
}
t0=$(date +%s)
apply "$PN" "$E2E_TMP/ngx.1" & p1=$!
apply "$PA" "$E2E_TMP/apa.1"; r2=$?
wait $p1; r1=$?
diag "both proxies ($STEPS): $(( $(date +%s) - t0 )) s"
check "apply nginx (exit $r1)" [ $r1 -eq 0 ] || diag "$(tail -30 "$E2E_TMP/ngx.1")"
check "apply apache2 (exit $r2)" [ $r2 -eq 0 ] || diag "$(tail -30 "$E2E_TMP/apa.1")"

# --- each proxy -----------------------------------------------------------
server_header() {	# SCHEME ADDRESS: the Server header for $FQDN
	port=80; [ "$1" = https ] && port=443
	curl -sk --max-time 20 -o /dev/null -D - --resolve "$FQDN:$port:$2" \
	    "$1://$FQDN/hmis/" | tr -d '\r' | sed -n 's/^[Ss]erver: *//p'
}
for pr in "nginx $NG $NGA" "apache2 $AP $APA"; do
	set -- $pr
	name=$1 c=$2 ip=$3
	for scheme in http https; do
		s=$(server_header "$scheme" "$ip")
		check "$name: no version in the Server header on $scheme ($s)" \
		    sh -c '[ -n "$1" ] && ! echo "$1" | grep -q "[0-9]"' sh "$s"
	done
	x=$(curl -sk --max-time 20 --resolve "$FQDN:443:$ip" \
	    -H "X-Forwarded-For: 203.0.113.66" "https://$FQDN/hmis/api/me")
	check "$name: a client's X-Forwarded-For is not passed on ($x)" \
	    [ "$x" = "xff=$E2E_NET.1" ]
	# The client prefers AES128; the server's order puts AES256 first.
	ci=$(echo | openssl s_client -connect "$ip:443" -servername "$FQDN" -tls1_2 \
	    -cipher ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384 2>/dev/null |
	    sed -n 's/^ *Cipher *: *//p' | head -n 1)
	check "$name: the server's cipher order wins ($ci)" \
	    [ "$ci" = ECDHE-RSA-AES256-GCM-SHA384 ]
	t0=$(date +%s)
	# Debian names it testssl (upstream: testssl.sh).
	lxc-attach -n "$c" -- sh -c 'rm -f /root/testssl.json
	    exec timeout 900 "$(command -v testssl || command -v testssl.sh)" \
	    --quiet --color 0 --warnings batch --nodns min --add-ca /root/ca.pem \
	    --ip "$1" --jsonfile /root/testssl.json "https://$2/"' sh "$ip" "$FQDN" \
	    > "$E2E_TMP/$name.testssl" 2>&1
	lxc-attach -n "$c" -- cat /root/testssl.json > "$E2E_TMP/$name.json" 2>/dev/null
	diag "$name: testssl.sh $(( $(date +%s) - t0 )) s"
	high=$(grep -B3 -A3 '"severity" *: *"\(HIGH\|CRITICAL\)"' "$E2E_TMP/$name.json" |
	    sed -n 's/.*"\(id\|finding\)" *: *"\([^"]*\)".*/\2/p' | paste -sd' ' -)
	check "$name: testssl.sh ran its cipher order check" \
	    grep -q '"id" *: *"cipher_order' "$E2E_TMP/$name.json" ||
	    diag "$(tail -20 "$E2E_TMP/$name.testssl")"
	check "$name: testssl.sh finds nothing HIGH or CRITICAL${high:+: $high}" \
	    sh -c 'grep -q "\"severity\"" "$1" &&
		! grep -q "\"severity\" *: *\"\(HIGH\|CRITICAL\)\"" "$1"' sh "$E2E_TMP/$name.json"
done

# nginx: the login endpoint of DHIS2 2.41+ is rate-limited (5 r/s, burst
# 20): of 40 quick POSTs some get 503.  /api/ping is not limited.
urls() {	# PATH: 40 times
	i=0; while [ $i -lt 40 ]; do echo "https://$FQDN$1"; i=$((i + 1)); done
}
codes() {	# PATH: the 503s of 40 quick POSTs
	curl -sk --max-time 60 --resolve "$FQDN:443:$NGA" -X POST -d u=x \
	    -o /dev/null -w '%{http_code}\n' $(urls "$1") | grep -c '^503$'
}
n=$(codes /hmis/api/auth/login)
check "nginx: /api/auth/login is rate-limited ($n of 40 refused)" [ "$n" -gt 0 ]
sleep 5
n=$(codes /hmis/api/41/auth/login)
check "nginx: and as /api/41/auth/login ($n of 40 refused)" [ "$n" -gt 0 ]
n=$(codes /hmis/api/ping)
check "nginx: /api/ping is not ($n of 40 refused)" [ "$n" -eq 0 ]

# --- Redis: DHIS2's password, and the admin's -----------------------------
secret() {	# NAME: from the nginx profile's secrets file
	sed -n "s/^$1: *\"\{0,1\}\([^\"]*\)\"\{0,1\} *\$/\1/p" "$E2E_TMP/ngx.secrets.yaml"
}
PW=$(secret redis.password) ADM=$(secret redis.admin_password)
check "the secrets file has redis.password and redis.admin_password" \
	[ -n "$PW" -a -n "$ADM" ]
rcli() {	# USER PASSWORD ARGS...: USER "" is DHIS2's way (AUTH PASSWORD)
	u=$1 p=$2; shift 2
	printf '%s\n' "$p" | lxc-attach -n "$NG" -- sh -c 'IFS= read -r p
	    export REDISCLI_AUTH="$p"; u=$1; shift
	    exec redis-cli -h 127.0.0.1 ${u:+--user "$u"} "$@" 2>&1' sh "$u" "$@"
}
out=$(rcli "" "$PW" SET d2s:e2e v1; rcli "" "$PW" GET d2s:e2e; rcli "" "$PW" KEYS "d2s:*")
check "DHIS2's password (no user name) sets, gets and lists keys ($(echo $out))" \
	[ "$(echo $out)" = "OK v1 d2s:e2e" ]
for cmd in FLUSHALL FLUSHDB "CONFIG SET maxmemory 1" SHUTDOWN; do
	out=$(rcli "" "$PW" $cmd)
	check "DHIS2's password cannot $cmd ($out)" sh -c 'echo "$1" | grep -q NOPERM' sh "$out"
done
# Asked, not tried: DEBUG is off in Redis 7 anyway, REPLICAOF would act.
for cmd in "DEBUG SLEEP 0" "REPLICAOF 192.0.2.1 6379" MONITOR "ACL SETUSER x"; do
	out=$(rcli admin "$ADM" ACL DRYRUN default $cmd)
	check "nor $cmd (ACL DRYRUN: $out)" sh -c 'echo "$1" | grep -q "no permissions"' sh "$out"
done
out=$(rcli "" "$PW" GET d2s:e2e)
check "and the key is still there ($out)" [ "$out" = v1 ]
out=$(rcli admin "$PW" PING)
check "DHIS2's password is not the admin's ($out)" sh -c 'echo "$1" | grep -q WRONGPASS' sh "$out"
out=$(rcli admin "$ADM" ACL WHOAMI)
check "the admin user answers with its own password ($out)" [ "$out" = admin ]
out=$(rcli admin "$ADM" CONFIG GET maxmemory-policy | sed -n 2p)
check "and may CONFIG ($out)" [ "$out" = allkeys-lru ]
mode=$(lxc-attach -n "$NG" -- stat -c '%a %U %G' /etc/redis/dhis2-setup.conf)
check "our Redis file is 0640 root:redis ($mode)" [ "$mode" = "640 root redis" ]
check "and holds neither password, only their hashes" \
	sh -c 'lxc-attach -n "$1" -- grep -q "^user default on #[0-9a-f]\{64\} " /etc/redis/dhis2-setup.conf &&
	    ! lxc-attach -n "$1" -- grep -qF -e "$2" -e "$3" /etc/redis/dhis2-setup.conf' sh "$NG" "$PW" "$ADM"

# --- converged ------------------------------------------------------------
apply "$PN" "$E2E_TMP/ngx.2"
check "nginx: the re-run changes nothing" grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/ngx.2" ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/ngx.2" | tail -20)"
apply "$PA" "$E2E_TMP/apa.2"
check "apache2: the re-run changes nothing" grep -q "summary: .* 0 changed, .* 0 failed" "$E2E_TMP/apa.2" ||
	diag "$(grep -v '^\s*$' "$E2E_TMP/apa.2" | tail -20)"
check "no password in any output or log" \
	sh -c '! grep -rqF -e "$1" -e "$2" "$3"/ngx.1 "$3"/ngx.2 "$3"/log' sh "$PW" "$ADM" "$E2E_TMP"
done_testing
