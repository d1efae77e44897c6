#!/bin/sh
# The SSH transport against an sshd on a loopback port with its own host
# keys: host key policy (unknown refused, accepted on request, changed
# always refused with both fingerprints) and run, put and get.
. "$(dirname "$0")/lib.sh"
need_root
[ -x /usr/sbin/sshd ] || skip_all "openssh-server is not installed"
[ -x "$TOOL" ] || skip_all "build tests/e2e/transport-tool first (make check-e2e)"
make_client_key
port=$((22000 + $$ % 1000))
start_loopback_sshd "$port" || { not_ok "sshd on 127.0.0.1:$port"; done_testing; exit 1; }
kh="$E2E_TMP/known_hosts"
S="-p $port -i $E2E_TMP/id -k $kh"

out=$("$TOOL" $S ssh:127.0.0.1 run true 2>&1); rc=$?
check "an unknown host is refused (exit 3)" [ $rc -eq 3 ]
check "the refusal shows the fingerprint and says how to accept it" \
    sh -c 'echo "$1" | grep -q "not a known host (key SHA256:.*accept-new-host-keys"' sh "$out"
check "nothing was added to known_hosts" [ ! -s "$kh" ]

out=$("$TOOL" $S -a ssh:127.0.0.1 run true 2>&1)
check "--accept-new-host-keys accepts and records it" \
    sh -c '[ $? -eq 0 ] && grep -q "127.0.0.1" "$1"' sh "$kh"

transport_suite ssh "$E2E_TMP/remote" $S ssh:127.0.0.1

# One session for many commands.
start=$(date +%s%N)
"$TOOL" $S ssh:127.0.0.1 repeat 5 true
check "5 commands over one session" [ $? -eq 0 ]
end=$(date +%s%N)
diag "5 commands in $(( (end - start) / 1000000 )) ms (root's shell start-up included)"

# The server's key changes: refused even with -a, both keys shown.
pid=$(cat "$E2E_TMP/sshd/sshd.pid")
kill "$pid"
wait_for 10 sh -c "! kill -0 $pid"
rm -f "$E2E_TMP/sshd/host_ed25519" "$E2E_TMP/sshd/host_ed25519.pub"
ssh-keygen -q -t ed25519 -N '' -f "$E2E_TMP/sshd/host_ed25519" -C new-host
/usr/sbin/sshd -f "$E2E_TMP/sshd/sshd_config" -E "$E2E_TMP/sshd/sshd.log"
wait_for 10 tcp_open 127.0.0.1 "$port"
cp "$kh" "$E2E_TMP/kh.before"
out=$("$TOOL" $S -a ssh:127.0.0.1 run true 2>&1); rc=$?
check "a changed host key is refused, even with --accept-new-host-keys" [ $rc -eq 3 ]
diag "$out"
check "the refusal shows the old and the new fingerprint" \
    sh -c '[ "$(echo "$1" | grep -o "SHA256:[A-Za-z0-9+/]*" | sort -u | wc -l)" -eq 2 ] &&
        echo "$1" | grep -q CHANGED' sh "$out"
check "known_hosts was not touched" cmp -s "$kh" "$E2E_TMP/kh.before"
done_testing
