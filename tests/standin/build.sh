#!/bin/sh
# Build the DHIS2 STAND-IN web application (tests only; not DHIS2) with
# javac and jar from the JDK, no Maven and no downloads:
#   build.sh OUTDIR [VERSION]
# writes OUTDIR/dhis2-standin.war (jakarta.servlet, for Tomcat 10) and,
# when a javax servlet API jar is installed (libservlet-api-java or
# libtomcat9-java),
# OUTDIR/dhis2-standin-javax.war (javax.servlet, for Tomcat 9).  The
# PostgreSQL JDBC driver (libpostgresql-jdbc-java) goes into WEB-INF/lib.
# VERSION is what /api/system/info reports (default 2.42.0).
set -eu

out=${1:?usage: build.sh OUTDIR [VERSION]}
version=${2:-2.42.0}
here=$(cd "$(dirname "$0")" && pwd)
jakarta_api=${SERVLET_API_JAKARTA:-/usr/share/java/tomcat10-servlet-api.jar}
javax_api=${SERVLET_API_JAVAX:-/usr/share/java/servlet-api.jar}
[ -e "$javax_api" ] || javax_api=/usr/share/java/tomcat9-servlet-api.jar
jdbc=${PG_JDBC:-/usr/share/java/postgresql.jar}

need() {
	if [ ! -e "$1" ]; then
		echo "build.sh: $1 missing: apt-get install $2" >&2
		exit 1
	fi
}
command -v javac >/dev/null || need /usr/bin/javac openjdk-17-jdk-headless
command -v jar >/dev/null || need /usr/bin/jar openjdk-17-jdk-headless
need "$jakarta_api" libtomcat10-java
need "$jdbc" libpostgresql-jdbc-java

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/d2s-standin-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# build FLAVOUR API_JAR WAR_NAME: one WAR from the one source.
build() {
	flavour=$1 api=$2 war=$3
	d=$work/$flavour
	mkdir -p "$d/src" "$d/war/WEB-INF/classes" "$d/war/WEB-INF/lib"
	cp -R "$here/src/." "$d/src/"
	if [ "$flavour" = javax ]; then
		find "$d/src" -name '*.java' -exec sed -i \
		    's/^import jakarta\.servlet\./import javax.servlet./' {} +
	fi
	# --release 11: the stand-in must start on every Java DHIS2 runs on.
	javac -nowarn --release 11 -encoding UTF-8 -cp "$api" \
	    -d "$d/war/WEB-INF/classes" $(find "$d/src" -name '*.java')
	printf 'version=%s\nrevision=standin-%s\n' "$version" "$flavour" \
	    >"$d/war/WEB-INF/classes/standin.properties"
	cp "$here/webapp/WEB-INF/web.xml" "$d/war/WEB-INF/web.xml"
	# Copy the jar itself, not the symlink Debian installs.
	cp -L "$jdbc" "$d/war/WEB-INF/lib/postgresql.jar"
	rm -f "$out/$war"
	(cd "$d/war" && jar --create --file "$out/$war" --no-manifest .)
	echo "$out/$war"
}

build jakarta "$jakarta_api" dhis2-standin.war
if [ -e "$javax_api" ]; then
	build javax "$javax_api" dhis2-standin-javax.war
else
	echo "build.sh: $javax_api missing: no Tomcat 9 (javax) build;" \
	    "apt-get install libservlet-api-java for it" >&2
fi
