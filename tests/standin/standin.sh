#!/bin/sh
# The DHIS2 stand-in WAR, run for real: a throwaway PostgreSQL cluster
# (with PostGIS when installed) and a throwaway Tomcat 10 CATALINA_BASE,
# both on spare 127.0.0.1 ports; /api/ping and /api/system/info answer
# with dhis.conf's database; a wrong password gives a 500 with the reason.
# TAP output.  Every wait is bounded; everything started is stopped.
set -u

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-.}
catalina_home=${CATALINA_HOME:-/usr/share/tomcat10}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (runs PostgreSQL as postgres)"
	exit 0
fi

echo "1..19"
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }
diag() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 30; }

t=$(mktemp -d "${TMPDIR:-/tmp}/d2s-standin.XXXXXX")
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
tomcat_pid=

stop_tomcat() {
	if [ -n "$tomcat_pid" ]; then
		kill "$tomcat_pid" 2>/dev/null
		i=0
		while kill -0 "$tomcat_pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$tomcat_pid" 2>/dev/null
		wait "$tomcat_pid" 2>/dev/null
		tomcat_pid=
	fi
}
cleanup() {
	stop_tomcat
	if [ -n "$pgbin" ] && [ -f "$t/pg/postmaster.pid" ]; then
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$t/pg" -m immediate \
		    -t 30 stop >/dev/null 2>&1
	fi
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# A port nobody uses on loopback now; the small race is acceptable here.
spare_port() {
	python3 -c 'import socket; s = socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# 1: build
if "$srcdir/tests/standin/build.sh" "$t/war" 2.42.1 >"$t/build.log" 2>&1; then
	ok "build.sh builds the stand-in WAR"
else
	notok "build.sh builds the stand-in WAR"; diag "$t/build.log"
	exit 1
fi
war=$t/war/dhis2-standin.war

# 2: the JDBC driver is bundled, the servlet API is not (Tomcat has it).
unzip -l "$war" >"$t/war.list" 2>&1
check "WAR bundles the JDBC driver and not the servlet API" \
    sh -c "grep -q 'WEB-INF/lib/postgresql.jar' '$t/war.list' && \
    ! grep -q 'servlet-api' '$t/war.list'"

# 3: PostgreSQL
pgport=$(spare_port)
mkdir -p "$t/pg" "$t/sock" "$t/pglog"
chown postgres "$t/pg" "$t/sock" "$t/pglog"
chmod 755 "$t"
pw_good=standin-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
if runuser -u postgres -- "$pgbin/initdb" -D "$t/pg" -U postgres \
    --auth-local=trust --auth-host=scram-sha-256 >"$t/initdb.log" 2>&1 &&
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$t/pg" -w -t 60 \
    -l "$t/pglog/pg.log" -o "-p $pgport -k $t/sock -c listen_addresses=127.0.0.1" \
    start >"$t/pgctl.log" 2>&1; then
	ok "PostgreSQL started on 127.0.0.1:$pgport"
else
	notok "PostgreSQL started"; diag "$t/initdb.log" "$t/pgctl.log" "$t/pglog/pg.log"
	exit 1
fi
psql_su() {
	runuser -u postgres -- "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 \
	    -h "$t/sock" -p "$pgport" -U postgres "$@"
}
spatial=false
if [ -e "/usr/share/postgresql/$(basename "$(dirname "$pgbin")")/extension/postgis.control" ]; then
	spatial=true
fi
# The password goes on stdin, never on a command line.
if { printf "CREATE ROLE dhis LOGIN PASSWORD '%s';\n" "$pw_good"
     echo "CREATE DATABASE dhis2 OWNER dhis;"; } | psql_su -d postgres \
    >"$t/psql.log" 2>&1 &&
    { [ $spatial = false ] || echo "CREATE EXTENSION postgis;" |
      psql_su -d dhis2 >>"$t/psql.log" 2>&1; }; then
	ok "role dhis and database dhis2 created (postgis: $spatial)"
else
	notok "role and database created"; diag "$t/psql.log"
fi

# A CATALINA_BASE of our own: shutdown port off, loopback connector.
httpport=$(spare_port)
base=$t/tomcat
mkdir -p "$base/conf" "$base/logs" "$base/webapps" "$base/work" "$base/temp"
cp "$catalina_home/etc/web.xml" "$base/conf/web.xml" 2>/dev/null ||
    cp /etc/tomcat10/web.xml "$base/conf/web.xml" 2>/dev/null
cat >"$base/conf/server.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector address="127.0.0.1" port="$httpport" protocol="HTTP/1.1"
        connectionTimeout="20000" relaxedQueryChars="[,]"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="false"
          autoDeploy="false" deployOnStartup="true">
        <Valve className="org.apache.catalina.valves.ErrorReportValve"
            showReport="false" showServerInfo="false"/>
      </Host>
    </Engine>
  </Service>
</Server>
XML
# The stand-in has no JSPs or fragments: skipping jar scans saves seconds.
cat >"$base/conf/context.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Context>
  <JarScanner scanClassPath="false">
    <JarScanFilter defaultTldScan="false" defaultPluggabilityScan="false"/>
  </JarScanner>
</Context>
XML
cp "$war" "$base/webapps/hmis.war"

mkhome() {	# mkhome DIR PASSWORD
	mkdir -p "$1"
	cat >"$1/dhis.conf" <<CONF
connection.dialect = org.hibernate.dialect.PostgreSQLDialect
connection.driver_class = org.postgresql.Driver
connection.url = jdbc:postgresql://127.0.0.1:$pgport/dhis2
connection.username = dhis
connection.password = $2
server.base.url = https://dhis.example.org/hmis
CONF
	chmod 600 "$1/dhis.conf"
}

# start_tomcat LOG [JAVA_OPTS]: up to 90 s until /hmis/api/ping answers.
start_tomcat() {
	log=$1; shift
	CATALINA_HOME=$catalina_home CATALINA_BASE=$base \
	    CATALINA_TMPDIR=$base/temp CATALINA_OPTS="${1:-}" \
	    JAVA_OPTS="-Djava.awt.headless=true -Xmx256m" \
	    "$catalina_home/bin/catalina.sh" run >"$log" 2>&1 &
	tomcat_pid=$!
	wait_ping
}

# wait_ping: up to 90 s until /hmis/api/ping answers pong.
wait_ping() {
	i=0
	while [ $i -lt 180 ]; do
		if curl -s -m 2 -o "$t/ping.out" \
		    "http://127.0.0.1:$httpport/hmis/api/ping" &&
		    [ "$(cat "$t/ping.out")" = pong ]; then
			return 0
		fi
		kill -0 "$tomcat_pid" 2>/dev/null || return 1
		sleep 0.5; i=$((i + 1))
	done
	return 1
}

# get PATH OUT: prints the HTTP status.
get() {
	curl -s -m 30 -o "$2" -w '%{http_code}' \
	    "http://127.0.0.1:$httpport/hmis$1"
}

# json FILE EXPR: a Python expression over the parsed document "d".
json() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$@" 2>/dev/null
}

# Run 1: DHIS2_HOME in the environment, the right password.
mkhome "$t/home-good" "$pw_good"
started=$(date +%s)
if DHIS2_HOME=$t/home-good start_tomcat "$t/catalina1.out"; then
	ok "Tomcat 10 deployed the stand-in; /api/ping says pong ($(( $(date +%s) - started )) s)"
else
	notok "Tomcat 10 deployed the stand-in"; diag "$t/catalina1.out"
fi
code=$(get /api/system/info "$t/info1.json")
check "/api/system/info answers 200" [ "$code" = 200 ]
[ "$code" = 200 ] || diag "$t/info1.json" "$t/catalina1.out"
check "system/info says it is a stand-in, with the built version" \
    json "$t/info1.json" 'd["standIn"] is True and d["version"] == "2.42.1"'
check "serverBaseUrl and contextPath come from dhis.conf and the request" \
    json "$t/info1.json" 'd["serverBaseUrl"] == "https://dhis.example.org/hmis" and d["contextPath"].endswith(":'"$httpport"'/hmis")'
check "databaseInfo: database dhis2 as user dhis, spatialSupport $spatial" \
    json "$t/info1.json" 'd["databaseInfo"]["name"] == "dhis2" and d["databaseInfo"]["user"] == "dhis" and d["databaseInfo"]["spatialSupport"] is '"$( [ $spatial = true ] && echo True || echo False)"
check "the password is nowhere in the answer or the log" \
    sh -c "! grep -q '$pw_good' '$t/info1.json' '$t/catalina1.out'"
code=$(get /api/nothing "$t/none.json")
check "an unknown API path is a 404" [ "$code" = 404 ]
stop_tomcat

# Run 2: -Ddhis2.home (wins over DHIS2_HOME), a wrong password.
mkhome "$t/home-bad" "wrong-$pw_good"
if DHIS2_HOME=$t/home-good start_tomcat "$t/catalina2.out" \
    "-Ddhis2.home=$t/home-bad"; then
	ok "with a wrong password the stand-in still starts and says pong"
else
	notok "with a wrong password the stand-in starts"; diag "$t/catalina2.out"
fi
code=$(get /api/system/info "$t/info2.json")
check "with a wrong password /api/system/info answers 500" [ "$code" = 500 ]
check "the 500 names the reason (password authentication failed)" \
    json "$t/info2.json" '"password authentication failed" in d["message"] and d["standIn"] is True'
[ "$code" = 500 ] || diag "$t/info2.json"
stop_tomcat

# Run 3: DHIS2 up to 2.41 is a javax WAR; Debian 12 has only Tomcat 10.
# The javax build, put through tomcat-jakartaee-migration, must work
# there, and the same WAR unmigrated must not (so the test can fail).
javax_war=$t/war/dhis2-standin-javax.war
if [ ! -e "$javax_war" ] || ! command -v javax2jakarta >/dev/null; then
	for d in "javax WAR migrated to jakarta runs on Tomcat 10" \
	    "its system/info reaches the database" \
	    "the unmigrated javax WAR does not run on Tomcat 10"; do
		n=$((n + 1))
		echo "ok $n # SKIP $d: needs libservlet-api-java and" \
		    "tomcat-jakartaee-migration"
	done
	exit $failed
fi
rm -f "$base/webapps/hmis.war"
javax2jakarta "$javax_war" "$base/webapps/hmis.war" >"$t/migrate.log" 2>&1 ||
    diag "$t/migrate.log"
cp "$javax_war" "$base/webapps/raw.war"
if DHIS2_HOME=$t/home-good start_tomcat "$t/catalina3.out"; then
	ok "javax WAR migrated to jakarta runs on Tomcat 10"
else
	notok "javax WAR migrated to jakarta runs on Tomcat 10"
	diag "$t/migrate.log" "$t/catalina3.out"
fi
code=$(get /api/system/info "$t/info3.json")
check "its system/info reaches the database" \
    json "$t/info3.json" 'd["revision"] == "standin-javax" and d["databaseInfo"]["user"] == "dhis"'
code=$(curl -s -m 30 -o "$t/raw.out" -w '%{http_code}' \
    "http://127.0.0.1:$httpport/raw/api/ping")
check "the unmigrated javax WAR does not run on Tomcat 10 (HTTP $code)" \
    [ "$code" != 200 ]
stop_tomcat

# Run 4: the javax build on Tomcat 9 itself, embedded from Debian's
# libtomcat9-java (Debian 12 has no tomcat9 server package).
t9cp=$(ls /usr/share/java/tomcat9-*.jar 2>/dev/null | grep -v -- '-[0-9.]*\.jar$' |
    tr '\n' ':')
if [ ! -e /usr/share/java/tomcat9-catalina.jar ]; then
	for d in "javax WAR runs on Tomcat 9" "Tomcat 9: system/info reaches the database"; do
		n=$((n + 1))
		echo "ok $n # SKIP $d: needs libtomcat9-java"
	done
	exit $failed
fi
mkdir -p "$t/t9/webapps" "$t/t9/classes"
if javac -nowarn -d "$t/t9/classes" -cp "$t9cp" \
    "$srcdir/tests/standin/harness/Tomcat9Run.java" >"$t/t9/javac.log" 2>&1; then
	DHIS2_HOME=$t/home-good java -Xmx256m -cp "$t/t9/classes:$t9cp" \
	    Tomcat9Run "$t/t9" "$httpport" /hmis "$javax_war" \
	    >"$t/tomcat9.out" 2>&1 &
	tomcat_pid=$!
	if wait_ping; then
		ok "javax WAR runs on Tomcat 9"
	else
		notok "javax WAR runs on Tomcat 9"; diag "$t/tomcat9.out"
	fi
else
	notok "javax WAR runs on Tomcat 9 (harness does not compile)"
	diag "$t/t9/javac.log"
fi
code=$(get /api/system/info "$t/info4.json")
check "Tomcat 9: system/info reaches the database" \
    json "$t/info4.json" '"Tomcat/9" in d["serverInfo"] and d["revision"] == "standin-javax" and d["databaseInfo"]["name"] == "dhis2"'
stop_tomcat

exit $failed
