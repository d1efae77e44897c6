#!/bin/sh
# Data-driven profile cases, as TAP.
#   good/*.yaml and profiles/examples/*.yaml must validate (exit 0);
#   bad/NAME.yaml must be refused with exit 2 and the message in NAME.expect
#   (the first line of stderr, less the file name; SECRETS stands for the
#   case's secrets file).  A huge file and a missing file are made here.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
bin="$top_builddir/dhis2-setup"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# Copies, so that modes can be set without touching the source tree.
cp -R "$top_srcdir/tests/profiles/good" "$top_srcdir/tests/profiles/bad" "$work/"
chmod -R u+w "$work"
chmod 600 "$work"/good/lab* "$work"/bad/*.secrets.yaml
chmod 644 "$work/bad/secrets-readable.secrets.yaml"
# More than the 1 MiB a profile may be.
{ echo "version: 1"; i=0; while [ $i -lt 40000 ]; do
	echo "# padding line $i ............................"; i=$((i + 1)); done; } \
	> "$work/bad/huge-file.yaml"
echo ": the file is larger than 1048576 bytes: this is not a profile" \
	> "$work/bad/huge-file.expect"
echo ": cannot read: No such file or directory" > "$work/bad/no-such-file.expect"

n=0
out() { n=$((n + 1)); echo "$1 $n - $2"; }

set -- "$work"/good/*.yaml "$top_srcdir"/profiles/examples/*.yaml
good="$*"
bad=$(ls "$work"/bad/*.expect)
total=$(( $(echo $good | wc -w) + $(echo "$bad" | wc -l) ))
echo "1..$total"

for f in $good; do
	err=$(D2S_TEST_DB_PASSWORD=from-the-environment "$bin" -q validate "$f" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then out ok "good $(basename "$f")"
	else out "not ok" "good $(basename "$f") (exit $rc)"; echo "$err" | sed 's/^/# /'; fi
done

cd "$work/bad" || exit 1
for e in $bad; do
	name=$(basename "$e" .expect)
	want=$(sed "s|^SECRETS|./$name.secrets.yaml|" "$e")
	got=$(env -u D2S_TEST_SURELY_UNSET "$bin" -q validate "$name.yaml" 2>&1 >/dev/null)
	rc=$?
	first=$(printf '%s\n' "$got" | head -n 1)
	if [ $rc -eq 2 ] && [ "$first" = "$name.yaml$want" -o "$first" = "$want" ]; then
		out ok "bad $name: $want"
	else
		out "not ok" "bad $name (exit $rc)"
		echo "# want: $name.yaml$want"; echo "# got:  $first"
	fi
done
