#!/bin/sh
# The local transport: run, put and get on this machine.
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$TOOL" ] || skip_all "build tests/e2e/transport-tool first (make check-e2e)"
transport_suite local "$E2E_TMP/local" local
done_testing
