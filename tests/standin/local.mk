# tests/standin/local.mk: fragment of Makefile.am
# The DHIS2 STAND-IN web application (tests only, not DHIS2): built by
# build.sh with javac and jar, run for real by standin.sh on a throwaway
# PostgreSQL and Tomcat 10 on loopback.  Needs root, else it skips.
TESTS += tests/standin/standin.sh
EXTRA_DIST += tests/standin/build.sh tests/standin/standin.sh \
	tests/standin/src tests/standin/webapp tests/standin/harness
