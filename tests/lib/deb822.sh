# tests/lib/deb822.sh: sourced by tests/e2e/lib.sh (the e2e containers)
# and tests/pristine/check-pristine.sh (the pristine container).
#
# deb822_sources ROOT MIRROR SECURITY_MIRROR RELEASE: ROOT's apt sources
# as deb822, in ROOT/etc/apt/sources.list.d/debian.sources: RELEASE and
# RELEASE-updates from MIRROR, RELEASE-security from SECURITY_MIRROR.
# Written by the test bed, never left to LXC's debian template: without
# the package distro-info it cannot tell bookworm's number and writes
# "bookworm/updates" for the security archive, a suite that does not
# exist since Debian 11, so apt-get update fails in the container.
deb822_sources() {
	mkdir -p "$1/etc/apt/sources.list.d" || return 1
	cat > "$1/etc/apt/sources.list.d/debian.sources" <<EOS
Types: deb
URIs: $2
Suites: $4 $4-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $3
Suites: $4-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
}
