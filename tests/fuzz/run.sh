#!/bin/sh
# run.sh FUZZER SECONDS: a libFuzzer run of the Starlark interpreter for
# SECONDS over a scratch copy of the committed seed corpus (new inputs stay
# out of the repository), with the token dictionary. Exits with the
# fuzzer's status: 0 when it found nothing.
set -eu
FUZZER=$1
SECS=${2:-600}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/starlark-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/corpus" "$WORK/artifacts"
cp "$HERE"/starlark_corpus/* "$HERE"/../starlark/*.star "$WORK/corpus/"
echo "fuzz: $FUZZER for ${SECS}s over $(ls "$WORK/corpus" | wc -l) seeds"
rc=0
"$FUZZER" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=2048 -max_len=4096 \
    -dict="$HERE/starlark.dict" -artifact_prefix="$WORK/artifacts/" -print_final_stats=1 \
    "$WORK/corpus" 2>&1 | tail -n 25 || rc=$?
if ls "$WORK"/artifacts/* >/dev/null 2>&1; then
    mkdir -p "${FUZZ_ARTIFACTS:-fuzz-artifacts}"
    cp "$WORK"/artifacts/* "${FUZZ_ARTIFACTS:-fuzz-artifacts}/"
    echo "fuzz: crash inputs saved in ${FUZZ_ARTIFACTS:-fuzz-artifacts}/"
    rc=1
fi
echo "fuzz: exit $rc"
exit $rc
