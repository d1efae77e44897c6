#!/bin/sh
# Redis for a clustered instance, for real, on one server (an LXC
# container playing it): the STAND-IN WAR (tests/standin) at nodes: 2, so
# clustering.redis is on.  Checked:
#   - Redis answers AUTH + PING with the secrets file's password, refuses
#     PING without it and with a wrong one; that password (DHIS2's, the
#     default user) cannot FLUSHALL or CONFIG, the admin user can;
#     notify-keyspace-events has
#     E, g and x; it listens on loopback only; maxmemory and its policy
#     are set; our file is 0640 root:redis; the package's redis.conf is
#     untouched (a drop-in starts Redis with ours);
#   - both Tomcat nodes serve the stand-in through nginx over HTTPS (each
#     alone, the other stopped, seen in each node's own access log); the
#     proxy's upstream holds both with ip_hash, and repeated requests of
#     one client all land on one node;
#   - apply's verify step reached Redis with dhis.conf's host and password;
#   - the password is in no log, no event, no output and no file others
#     can read on the server;
#   - a re-run changes nothing and does not restart Redis; a server whose
#     running settings drifted (a run killed before its restart) is seen
#     by plan and put right by apply.
# Not proven here: the stand-in does not use Redis, so DHIS2's own
# sessions, leader election and cache invalidation through it are not
# exercised (DHIS2_WAR=/path/dhis.war runs the same with a real WAR).
. "$(dirname "$0")/lib.sh"
real_war_from_env
testbed_up
S=$E2E_PREFIX-redis
FQDN=dhis.e2e.test
IP=$E2E_NET.23

standin_war || { not_ok "build and serve the stand-in WAR"; done_testing; exit 1; }
if [ -n "$REAL" ]; then VERSION=$REAL_VERSION HEAP=2GB; else VERSION=2.42 HEAP=1GB; fi

container_create "$S" 23 || { not_ok "create the container"; done_testing; exit 1; }
check "the server boots" container_wait "$S" 23

P="$E2E_TMP/r.yaml"
stack_profile "$P" "$IP" nginx "  mode: self-signed" \
	"$(stack_instance hmis "$VERSION" "$HEAP" "$WARBASE/$WAR" "$SUM" |
	    sed 's/^    version:/    nodes: 2\n    version:/')"
printf 'clustering:\n  redis: true\n' >> "$P"
"$D2S" -q secrets generate "$P" >/dev/null
PW=$(sed -n 's/^redis\.password: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$E2E_TMP/r.secrets.yaml")
ADM=$(sed -n 's/^redis\.admin_password: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$E2E_TMP/r.secrets.yaml")
check "the secrets file has a redis.password and a redis.admin_password" [ -n "$PW" -a -n "$ADM" ]

"$D2S" plan --explain "$P" > "$E2E_TMP/plan.0" 2>&1
check "plan --explain lists the redis step with what it does" \
	grep -q "^  redis .*keyspace events" "$E2E_TMP/plan.0"
check "plan: war waits for redis" grep -q "^  war .*after .*redis" "$E2E_TMP/plan.0"

apply() {	# LOG
	DHIS2_SETUP_MIN_RAM_MB=512 "$D2S" apply --accept-new-host-keys "$P" > "$1" 2>&1
}
apply_timed "$E2E_TMP/r.1" "install with Redis and two Tomcat nodes" "apply installs the clustered stack"
diag "$(grep '\] redis ' "$E2E_TMP/r.1" | head -12)"
check "the redis step changed the server" grep -q "\] redis *changed" "$E2E_TMP/r.1"
check "verify passed, and asked Redis from the app side (AUTH, PING to dhis.conf's localhost:6379)" \
	sh -c 'grep -q "\] verify *\(ok\|changed\)" "$1/r.1" &&
	    grep -q " bash localhost 6379\$" "$1"/log/*.log' sh "$E2E_TMP"

# redis-cli in the container, the password on stdin into REDISCLI_AUTH.
rcli() {	# PASSWORD ARGS...
	p=$1; shift
	printf '%s\n' "$p" | lxc-attach -n "$S" -- sh -c \
	    'IFS= read -r p; [ -n "$p" ] && export REDISCLI_AUTH="$p"; exec redis-cli -h 127.0.0.1 "$@" 2>&1' sh "$@"
}
# As the admin user: DHIS2's (the default user) may not CONFIG or INFO.
arcli() { rcli "$ADM" --user admin "$@"; }
out=$(rcli "$PW" PING)
check "Redis answers AUTH + PING with the secrets' password ($out)" [ "$out" = PONG ]
out=$(rcli "" PING)
check "and refuses PING without it ($out)" sh -c 'echo "$1" | grep -q "^NOAUTH"' sh "$out"
out=$(rcli "not-the-password" PING)
check "and with a wrong one" sh -c 'echo "$1" | grep -q "WRONGPASS\|NOAUTH\|invalid"' sh "$out"
out=$(rcli "$PW" FLUSHALL; rcli "$PW" CONFIG GET maxmemory)
check "DHIS2's password can neither FLUSHALL nor CONFIG ($(echo $out))" \
	[ "$(echo "$out" | grep -c NOPERM)" = 2 ]
ev=$(arcli CONFIG GET notify-keyspace-events | sed -n 2p)
check "notify-keyspace-events has E, g and x ($ev)" \
	sh -c 'case $1 in *E*) ;; *) exit 1;; esac; case $1 in *g*) ;; *) exit 1;; esac
	    case $1 in *x*) ;; *) exit 1;; esac' sh "$ev"
mm=$(arcli CONFIG GET maxmemory | sed -n 2p)
pol=$(arcli CONFIG GET maxmemory-policy | sed -n 2p)
check "maxmemory is bounded ($mm bytes, $pol)" sh -c '[ "$1" -gt 0 ] && [ "$2" = allkeys-lru ]' sh "$mm" "$pol"
pm=$(arcli CONFIG GET protected-mode | sed -n 2p)
check "protected-mode stays on ($pm)" [ "$pm" = yes ]
ls=$(lxc-attach -n "$S" -- ss -Hltn 'sport = :6379' | awk '{print $4}' | sort | tr '\n' ' ')
check "Redis listens on loopback only (app and Redis on one server): $ls" \
	[ "$ls" = "127.0.0.1:6379 " ]
mode=$(lxc-attach -n "$S" -- stat -c '%a %U %G' /etc/redis/dhis2-setup.conf)
check "our Redis file is 0640 root:redis ($mode)" [ "$mode" = "640 root redis" ]
check "the package's redis.conf is untouched (its conffile sum)" \
	lxc-attach -n "$S" -- sh -c 'want=$(dpkg-query -W -f="\${Conffiles}\n" redis-server |
	    awk "\$1 == \"/etc/redis/redis.conf\" {print \$2}")
	    [ -n "$want" ] && [ "$(md5sum < /etc/redis/redis.conf | cut -d" " -f1)" = "$want" ]'
dh=$(lxc-attach -n "$S" -- sed -n 's/^redis\.host *= *//p' /opt/dhis2/hmis/home/dhis.conf)
check "dhis.conf points DHIS2 at this Redis ($dh)" [ "$dh" = localhost ]

# --- both Tomcat nodes through the proxy -----------------------------------
api() {		# PATH -> body
	if [ -n "$REAL" ]; then
		curl -sk --max-time 60 -u admin:district --resolve "$FQDN:443:$IP" "https://$FQDN$1"
	else
		curl -sk --max-time 60 --resolve "$FQDN:443:$IP" "https://$FQDN$1"
	fi
}
hits() {	# NODE-DIR MARKER: requests with MARKER in that node's access log
	lxc-attach -n "$S" -- sh -c 'cat "$1"/logs/access*.log 2>/dev/null | grep -c -- "$2"' \
	    sh "/opt/dhis2/hmis/$1" "$2"
}
hits_are() { [ "$(hits "$1" "$2")" = "$3" ]; }	# NODE-DIR MARKER N
hits_total() { [ $(( $(hits tomcat "$1") + $(hits tomcat-2 "$1") )) -ge "$2" ]; }
answers() {	# MARKER
	out=$(api "/hmis/api/system/info?m=$1")
	if [ -n "$REAL" ]; then
		echo "$out" | grep -q "\"version\""
	else
		echo "$out" | grep -q "\"standIn\": *true" &&
		    echo "$out" | grep -q "\"spatialSupport\": *true"
	fi
}
[ -n "$REAL" ] && wait_for 900 answers warmup
for u in dhis2-hmis dhis2-hmis-2; do
	st=$(lxc-attach -n "$S" -- systemctl is-active "$u")
	check "Tomcat node $u runs ($st)" [ "$st" = active ]
done
ngx=$(lxc-attach -n "$S" -- cat /etc/nginx/sites-available/dhis2)
check "nginx's upstream for hmis is sticky (ip_hash) over both nodes" \
	sh -c 'echo "$1" | sed -n "/^upstream dhis2_hmis {/,/^}/p" > "$2/up"
	    grep -q "ip_hash;" "$2/up" && grep -q "server 127.0.0.1:8080;" "$2/up" &&
	    grep -q "server 127.0.0.1:8081;" "$2/up" &&
	    echo "$1" | grep -q "proxy_pass http://dhis2_hmis;"' sh "$ngx" "$E2E_TMP"
# Each node alone: the other stopped, the proxy must reach this one.
# Tomcat's access log is buffered (flushed every few seconds): waited for.
port_open() {	# PORT: inside the server
	lxc-attach -n "$S" -- bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' bash "$1"
}
for pair in "tomcat dhis2-hmis-2 node1 8081" "tomcat-2 dhis2-hmis node2 8080"; do
	set -- $pair
	lxc-attach -n "$S" -- systemctl stop "$2"
	m="alone-$3-$$"
	# A Tomcat just started answers its first request slowly (the
	# stand-in reads dhis.conf and connects then): one uncounted first.
	wait_for 120 answers "w$3-$$"
	good=0
	for i in 1 2 3; do answers "$m" && good=$((good + 1)); done
	wait_for 30 hits_are "$1" "$m" 3
	n=$(hits "$1" "$m")
	check "$3 ($1) alone serves the stand-in through nginx over HTTPS ($good of 3 answered, $n in its access log)" \
		[ "$good$n" = 33 ]
	lxc-attach -n "$S" -- systemctl start "$2"
	wait_for 180 port_open "$4"
done
# nginx keeps a failed server out for fail_timeout (10 s): let it back.
sleep 11
wait_for 120 answers "both-up"
m="sticky-$$"
for i in 1 2 3 4 5 6 7 8 9 10; do api "/hmis/api/ping?m=$m" >/dev/null; done
wait_for 30 hits_total "$m" 10
n1=$(hits tomcat "$m") n2=$(hits tomcat-2 "$m")
check "one client's ten requests all land on one node (node1 $n1, node2 $n2)" \
	sh -c '{ [ "$1" = 10 ] && [ "$2" = 0 ]; } || { [ "$1" = 0 ] && [ "$2" = 10 ]; }' sh "$n1" "$n2"

# --- a re-run changes nothing and keeps Redis running ---------------------
runid() { arcli INFO server | tr -d '\r' | sed -n 's/^run_id://p'; }
r0=$(runid)
converged "$E2E_TMP/r.2" "the re-run changes nothing" \
    apply "$E2E_TMP/r.2"
r1=$(runid)
check "and did not restart Redis (run_id kept)" \
	sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' sh "$r0" "$r1"

# --- drift: the running server lost a setting (a run killed before its
# restart, or a CONFIG SET by hand): plan sees it, apply puts it right.
arcli CONFIG SET notify-keyspace-events "" >/dev/null
"$D2S" plan "$P" > "$E2E_TMP/plan.1" 2>&1
check "plan sees the running server's drift" \
	grep -q "restart redis-server: the running server is not on our settings (notify-keyspace-events)" "$E2E_TMP/plan.1"
apply "$E2E_TMP/r.3"; rc=$?
ev=$(arcli CONFIG GET notify-keyspace-events | sed -n 2p)
check "apply restarts Redis with our settings (exit $rc, events $ev)" \
	sh -c '[ "$1" -eq 0 ] && [ "${#2}" -eq 3 ]' sh "$rc" "$ev"
check "and only the redis step changed" sh -c 'grep -q "\] redis *changed" "$1" &&
	! grep -q "\] \(postgres\|tomcat\|war\|tls\|proxy\|base\) *changed" "$1"' sh "$E2E_TMP/r.3"

# --- the password leaks nowhere -------------------------------------------
check "the password is in no output, transcript, journal or events file" \
	sh -c '! grep -rqF -e "$1" -e "$3" "$2"/r.1 "$2"/r.2 "$2"/r.3 "$2"/plan.0 "$2"/plan.1 "$2"/log "$2"/state' \
	sh "$PW" "$E2E_TMP" "$ADM"
readable=$(printf '%s\n' "$PW" | lxc-attach -n "$S" -- sh -c 'IFS= read -r p
	grep -rlsF -D skip -- "$p" /etc /opt /var /tmp /root /home /run /srv 2>/dev/null |
	while IFS= read -r f; do
		[ -n "$(find "$f" -maxdepth 0 -perm -o+r)" ] && echo "$f"
	done')
check "no file others can read on the server holds it${readable:+: $readable}" [ -z "$readable" ]
holders=$(printf '%s\n' "$PW" | lxc-attach -n "$S" -- sh -c 'IFS= read -r p
	grep -rlsF -- "$p" /etc /opt 2>/dev/null | sort | tr "\n" " "')
diag "files holding the Redis password: $holders"
done_testing
