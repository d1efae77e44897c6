#!/bin/sh
# alerting on one server (single-host), an LXC container playing the
# server, monitoring: prometheus and alerting by mail, Telegram and Slack.
# The test starts its own sinks inside the container, on loopback: an
# SMTP relay (aiosmtpd: STARTTLS required, PLAIN login with the profile's
# smtp_password, its certificate from a CA the test adds to the
# container's store), a Slack webhook and a Telegram Bot API server
# (DHIS2_SETUP_TELEGRAM_API points Alertmanager at it), each writing what
# it gets to a file.  Checked: Alertmanager on 127.0.0.1:9093 only, no
# gossip port, Prometheus sending to it with our rules loaded; the test
# message reaches every receiver and alert-test says so; a real alert (an
# exporter stopped past TargetDown's for: 2m) reaches every sink; a bad
# webhook is reported failed with exit 1; no secret in the YAML, argv,
# logs or a file others can read; a re-run changes nothing.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null 2>&1 || skip_all "no openssl for the relay's certificate"
testbed_up jdk
A=$E2E_PREFIX-alert
FQDN=dhis.e2e.test

WARDIR="$E2E_TMP/wars"
mkdir -p "$WARDIR"
sh "$top_srcdir/tests/standin/build.sh" "$WARDIR" 2.42.0 > "$E2E_TMP/war.log" 2>&1 ||
	{ not_ok "build the stand-in WAR"; diag "$(tail "$E2E_TMP/war.log")"; done_testing; exit 1; }
WAR=dhis2-standin.war
SUM=$(sha256sum < "$WARDIR/$WAR" | cut -d' ' -f1)
standin_serve "$WARDIR"

container_create "$A" 33 || { not_ok "create the container"; done_testing; exit 1; }
check "the server boots" container_wait "$A" 33
in_a() { lxc-attach -n "$A" -- "$@"; }

# --- the sinks, inside the container on loopback -------------------------
in_a sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-aiosmtpd ca-certificates curl' \
	> "$E2E_TMP/sinks-apt.log" 2>&1
check "the sinks' packages install in the container" in_a python3 -c 'import aiosmtpd'

# The relay's certificate for 127.0.0.1, from a CA the server trusts.
C="$E2E_TMP/ca"
mkdir -p "$C"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/ca.key" -out "$C/ca.pem" \
	-days 2 -subj /CN=d2s-e2e-relay-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$C/srv.key" -out "$C/srv.csr" \
	-subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$C/ext"
openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" \
	-CAcreateserial -out "$C/srv.pem" -days 2 -extfile "$C/ext" 2>/dev/null
container_trust "$A" "$C/ca.pem" d2s-e2e-relay
SMTPPW=e2e-smtp-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
TOKEN=123456:e2e-tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
HOOKID=e2e-hook-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
HOOK="http://127.0.0.1:8089/services/T0/B0/$HOOKID"
in_a mkdir -p -m 700 /root/sinks
in_a sh -c 'cat > /root/sinks/srv.pem' < "$C/srv.pem"
in_a sh -c 'umask 077; cat > /root/sinks/srv.key' < "$C/srv.key"
printf '%s' "$SMTPPW" | in_a sh -c 'umask 077; cat > /root/sinks/smtp.pass'

in_a sh -c 'cat > /root/sinks/smtp.py' <<'EOF'
# STARTTLS required, PLAIN login with the password from a file, every
# message appended to a file.
import ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
port, cert, key, pwfile, out = sys.argv[1:6]
pw = open(pwfile, 'rb').read()
def log(b):
    with open(out, 'ab') as f:
        f.write(b)
class Handler:
    async def handle_DATA(self, server, session, envelope):
        log(b'MAIL FROM:' + envelope.mail_from.encode() + b' TO:' +
            ','.join(envelope.rcpt_tos).encode() + b'\n' +
            envelope.content + b'\n.\n')
        return '250 OK'
def authenticator(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.password == pw
    log(b'AUTH ' + mechanism.encode() + (b' ok ' + data.login if ok
        else b' refused') + b'\n')
    return AuthResult(success=ok)
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
c = Controller(Handler(), hostname='127.0.0.1', port=int(port),
    tls_context=ctx, require_starttls=True, authenticator=authenticator,
    auth_require_tls=True, auth_exclude_mechanism=['LOGIN'])
c.start()
while True:
    time.sleep(3600)
EOF
in_a sh -c 'cat > /root/sinks/hook.py' <<'EOF'
# A webhook (Slack) or Bot API (Telegram) stand-in: every POST's path and
# body appended to a file, answered as the service answers.
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        with open(out, 'ab') as f:
            f.write(self.path.encode() + b' ' + body + b'\n')
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        self.wfile.write(b'{"ok":true,"result":{"message_id":1,'
            b'"chat":{"id":-100123},"date":0}}')
    def log_message(self, *a):
        pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
EOF
in_a sh -c 'cd /root/sinks || exit 1
	setsid python3 smtp.py 2525 srv.pem srv.key smtp.pass mail.out > smtp.log 2>&1 < /dev/null &
	setsid python3 hook.py 8089 slack.out > slack.log 2>&1 < /dev/null &
	setsid python3 hook.py 8090 telegram.out > telegram.log 2>&1 < /dev/null &
	exit 0'
sink_up() { in_a bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' bash "$1" 2>/dev/null; }
sinks_up() { sink_up 2525 && sink_up 8089 && sink_up 8090; }
check "the sinks listen on 127.0.0.1:2525, 8089 and 8090" wait_for 20 sinks_up ||
	diag "$(in_a cat /root/sinks/smtp.log /root/sinks/slack.log 2>&1 | tail -5)"

# --- the profile ---------------------------------------------------------
P="$E2E_TMP/alert.yaml"
stack_profile "$P.in" "$E2E_NET.33" nginx "  mode: self-signed" \
	"$(stack_instance hmis 2.42 1GB "$WARBASE/$WAR" "$SUM")"
sed 's/^monitoring: none$/monitoring: prometheus/' "$P.in" > "$P"
cat >> "$P" <<EOF
alerting:
  email: ops@e2e.test
  smarthost: 127.0.0.1:2525
  telegram:
    chat_id: "-100123"
  slack: true
EOF
"$D2S" -q secrets generate "$P" >/dev/null
S="$E2E_TMP/alert.secrets.yaml"
printf 'alerting.smtp_password: "%s"\nalerting.telegram_token: "%s"\nalerting.slack_webhook: "%s"\n' \
	"$SMTPPW" "$TOKEN" "$HOOK" >> "$S"
check "validate accepts the profile with its secrets" "$D2S" -q validate "$P"
# Alertmanager's Telegram client, pointed at the test's Bot API stand-in.
export DHIS2_SETUP_TELEGRAM_API=http://127.0.0.1:8090

apply() {	# LOG
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --accept-new-host-keys "$P" > "$1" 2>&1
}
out=$("$D2S" plan --explain --accept-new-host-keys "$P" 2>&1)
check "plan --explain names the alerting step after prometheus" \
	sh -c 'echo "$1" | grep -q "alerting .*Alertmanager on 127.0.0.1:9093"' sh "$out" ||
	diag "$(echo "$out" | grep -E 'alerting|prometheus' | head -5)"

apply_timed "$E2E_TMP/a.1" "install with monitoring and alerting" "apply installs the stack with alerting"
diag "$(grep -E '\] (prometheus|alerting) ' "$E2E_TMP/a.1")"

# --- what runs, where it listens ----------------------------------------
check "Alertmanager is ready on 127.0.0.1:9093" \
	sh -c 'lxc-attach -n "$1" -- curl -sf --max-time 5 http://127.0.0.1:9093/-/ready >/dev/null' sh "$A"
# Its process name, as ss shows it, is cut at 15 characters.
listen=$(in_a ss -Hltnp | grep -F '"prometheus-ale' | awk '{print $4}' | sort | tr '\n' ' ')
check "Alertmanager listens on 127.0.0.1:9093 only, no gossip port ($listen)" \
	[ "$listen" = "127.0.0.1:9093 " ]
am_seen() {
	lxc-attach -n "$A" -- curl -s --max-time 5 http://127.0.0.1:9090/api/v1/alertmanagers |
	    grep -qF '"activeAlertmanagers":[{"url":"http://127.0.0.1:9093/api/v2/alerts"}]'
}
# Asked again for a while: under load an answer may take longer than 5 s.
check "Prometheus lists it as its active alertmanager" wait_for 30 am_seen
rules_loaded() {
	r=$(lxc-attach -n "$A" -- curl -s --max-time 5 'http://127.0.0.1:9090/api/v1/rules?type=alert')
	for n in TargetDown PostgresDown FilesystemAlmostFull MemoryPressure; do
		echo "$r" | grep -qF "\"name\":\"$n\"" || return 1
	done
}
check "and has loaded the dhis2-setup rules (TargetDown, PostgresDown, FilesystemAlmostFull, MemoryPressure)" \
	wait_for 30 rules_loaded
check "promtool accepts the rules file on the server" \
	sh -c 'lxc-attach -n "$1" -- promtool check rules /etc/prometheus/dhis2-setup.rules.yml >/dev/null 2>&1' sh "$A"
check "amtool accepts the Alertmanager configuration on the server" \
	sh -c 'lxc-attach -n "$1" -- amtool check-config /etc/prometheus/alertmanager.yml >/dev/null 2>&1' sh "$A"

# --- secrets -------------------------------------------------------------
mode=$(in_a stat -c '%a %U %G' /etc/prometheus/alertmanager.yml)
check "alertmanager.yml is 0640 root:prometheus ($mode)" [ "$mode" = "640 root prometheus" ]
modes=$(in_a stat -c '%a %U %G %n' /etc/dhis2-setup/alerting /etc/dhis2-setup/alerting/smtp.pass \
	/etc/dhis2-setup/alerting/slack.url | tr '\n' ';')
check "the SMTP password and webhook files are 0640 root:prometheus in a 0750 folder ($modes)" \
	[ "$modes" = "750 root prometheus /etc/dhis2-setup/alerting;640 root prometheus /etc/dhis2-setup/alerting/smtp.pass;640 root prometheus /etc/dhis2-setup/alerting/slack.url;" ]
check "alertmanager.yml holds neither the SMTP password nor the webhook" \
	sh -c '! lxc-attach -n "$1" -- grep -qF -e "$2" -e "$3" /etc/prometheus/alertmanager.yml' sh "$A" "$SMTPPW" "$HOOKID"
check "nor does prometheus.yml or the rules file hold any secret" \
	sh -c '! lxc-attach -n "$1" -- grep -qF -e "$2" -e "$3" -e "$4" /etc/prometheus/prometheus.yml /etc/prometheus/dhis2-setup.rules.yml' \
	sh "$A" "$SMTPPW" "$HOOKID" "$TOKEN"

# --- the test message ----------------------------------------------------
t0=$(date +%s)
"$D2S" alert-test "$P" > "$E2E_TMP/t.1" 2>&1; rc=$?
diag "alert-test: $(( $(date +%s) - t0 )) s: $(tr '\n' ';' < "$E2E_TMP/t.1")"
check "alert-test says every receiver delivered (exit $rc)" [ $rc -eq 0 ]
check "it names each: email, Telegram, Slack" \
	sh -c 'grep -q "^email to ops@e2e.test through 127.0.0.1:2525: delivered" "$1" &&
	    grep -q "^Telegram chat -100123: delivered" "$1" &&
	    grep -q "^Slack webhook: delivered" "$1"' sh "$E2E_TMP/t.1"
check "the relay got the test mail over STARTTLS, after a login with the secret password" \
	sh -c 'lxc-attach -n "$1" -- cat /root/sinks/mail.out | grep -q "^AUTH PLAIN ok ops@e2e.test" &&
	    lxc-attach -n "$1" -- cat /root/sinks/mail.out | grep -q "^Subject: .*DHIS2SetupTest"' sh "$A"
check "the webhook got it" sh -c 'lxc-attach -n "$1" -- grep -q "^/services/T0/B0/.*DHIS2SetupTest" /root/sinks/slack.out' sh "$A"
check "the Bot API got it, for the bot's token and chat" \
	sh -c 'lxc-attach -n "$1" -- grep -F "/bot$2/sendMessage" /root/sinks/telegram.out | grep -q "\"chat_id\":\"-100123\".*DHIS2SetupTest"' sh "$A" "$TOKEN"

# --- a converged re-run --------------------------------------------------
ampid() { lxc-attach -n "$A" -- systemctl show -p MainPID --value prometheus-alertmanager; }
pid1=$(ampid)
converged "$E2E_TMP/a.2" "a re-run changes nothing" \
    apply "$E2E_TMP/a.2"
check "and the alerting step is ok" grep -q "alerting *ok" "$E2E_TMP/a.2"
pid2=$(ampid)
check "and Alertmanager was not restarted ($pid1, $pid2)" \
	sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' sh "$pid1" "$pid2"

# --- a real alert --------------------------------------------------------
# The node exporter stopped: up == 0 for TargetDown's 2 minutes, then the
# operators' route's group_wait (30 s).  Bounded at 5 minutes.
in_a systemctl stop prometheus-node-exporter
t0=$(date +%s)
real_alert() {
	lxc-attach -n "$A" -- grep -q "TargetDown" /root/sinks/slack.out &&
	lxc-attach -n "$A" -- grep -q "^Subject: .*TargetDown" /root/sinks/mail.out &&
	lxc-attach -n "$A" -- grep -q "TargetDown" /root/sinks/telegram.out
}
wait_for 300 real_alert; rc=$?
diag "TargetDown delivered after $(( $(date +%s) - t0 )) s"
check "a stopped exporter raises TargetDown by mail, Telegram and Slack" [ $rc -eq 0 ] ||
	diag "$(in_a curl -s 'http://127.0.0.1:9090/api/v1/alerts')"
in_a systemctl start prometheus-node-exporter

# --- no secret where it should not be -----------------------------------
found=$(in_a sh -c 'for s in "$@"; do grep -rlsF -- "$s" /etc /var/log /var/lib/prometheus /opt /tmp /run /home 2>/dev/null; done |
	sort -u | while read -r f; do stat -c "%a %U %n" "$f"; done' sh "$SMTPPW" "$TOKEN" "$HOOKID")
diag "files holding a secret: $(echo "$found" | tr '\n' ';')"
check "no file others can read holds a secret" \
	sh -c '! echo "$1" | grep -q "^[0-7][0-7][4-7] "' sh "$found"
check "no process has a secret on its command line" \
	sh -c '! lxc-attach -n "$1" -- sh -c "cat /proc/[0-9]*/cmdline 2>/dev/null | tr \"\\0\" \" \"" | grep -qF -e "$2" -e "$3" -e "$4"' \
	sh "$A" "$SMTPPW" "$TOKEN" "$HOOKID"
check "the output, transcript, journal and events never show one" \
	sh -c '! grep -rqF -e "$1" -e "$2" -e "$3" "$4/a.1" "$4/a.2" "$4/t.1" "$DHIS2_SETUP_LOGDIR" "$DHIS2_SETUP_STATEDIR"' \
	sh "$SMTPPW" "$TOKEN" "$HOOKID" "$E2E_TMP"
check "nor Alertmanager's own log" \
	sh -c '! lxc-attach -n "$1" -- journalctl -u prometheus-alertmanager --no-pager | grep -qF -e "$2" -e "$3" -e "$4"' \
	sh "$A" "$SMTPPW" "$TOKEN" "$HOOKID"

# --- a bad receiver ------------------------------------------------------
# The webhook moved to a port where nothing listens: apply writes the file
# and reloads; the test says Slack failed, the others delivered, exit 1.
sed -i "s|^alerting.slack_webhook: .*|alerting.slack_webhook: \"http://127.0.0.1:8091/services/T0/B0/$HOOKID\"|" "$S"
apply "$E2E_TMP/a.3"; rc=$?
check "apply takes the new webhook (exit $rc)" [ $rc -eq 0 ] ||
	diag "$(tail -20 "$E2E_TMP/a.3")"
pid3=$(ampid)
check "it wrote the webhook's file and reloaded Alertmanager, not restarted it ($pid2, $pid3)" \
	sh -c 'grep -q "write /etc/dhis2-setup/alerting/slack.url" "$1" && [ "$2" = "$3" ]' sh "$E2E_TMP/a.3" "$pid2" "$pid3"
t0=$(date +%s)
"$D2S" alert-test "$P" > "$E2E_TMP/t.2" 2>&1; rc=$?
diag "alert-test with a bad webhook: $(( $(date +%s) - t0 )) s: $(tr '\n' ';' < "$E2E_TMP/t.2")"
check "alert-test exits 1 when a receiver fails (exit $rc)" [ $rc -eq 1 ]
check "and says Slack failed, mail and Telegram delivered" \
	sh -c 'grep -q "^Slack webhook: FAILED" "$1" && grep -q "^email to .*: delivered" "$1" &&
	    grep -q "^Telegram chat -100123: delivered" "$1"' sh "$E2E_TMP/t.2"
check "the failed webhook is not in Alertmanager's log either" \
	sh -c '! lxc-attach -n "$1" -- journalctl -u prometheus-alertmanager --no-pager | grep -qF -- "$2"' sh "$A" "$HOOKID"

# Alertmanager stopped: alert-test says so, exit 1.
in_a systemctl stop prometheus-alertmanager
"$D2S" alert-test "$P" > "$E2E_TMP/t.3" 2>&1; rc=$?
check "alert-test with Alertmanager stopped exits 1 and says run apply (exit $rc)" \
	sh -c '[ "$1" -eq 1 ] && grep -q "does not answer on 127.0.0.1:9093: run dhis2-setup apply" "$2"' sh "$rc" "$E2E_TMP/t.3" ||
	diag "$(cat "$E2E_TMP/t.3")"
"$D2S" plan --accept-new-host-keys "$P" > "$E2E_TMP/plan.down" 2>&1
check "plan notices it and would start it" grep -q "start and enable prometheus-alertmanager" "$E2E_TMP/plan.down"
done_testing
