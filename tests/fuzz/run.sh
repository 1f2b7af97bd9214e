#!/bin/sh
# run: runs the libFuzzer targets of a fuzz build, each for a bounded time.
#   sh tests/fuzz/run.sh build/fuzz SECONDS [name...]
# A target is build/fuzz/tests/fuzz/fuzz_<name> (from tests/fuzz/fuzz_<name>.c,
# `make FUZZ=1 fuzz-build`). It starts from its committed seeds,
# tests/fuzz/corpus/<name>/, and from what earlier runs found,
# <build>/fuzz-corpus/<name>/ (not committed; new finds go there). Whatever
# it finds wrong (crash, leak, timeout, out of memory) is copied into
# tests/fuzz/corpus/<name>/ as regression-*, so that every later run, `make
# test`'s too, tries it first and fails until it is fixed: commit it with
# the fix. tests/fuzz/<name>.flags, if there, holds more libFuzzer
# arguments for that target (a dictionary, -max_len, further seed folders),
# paths relative to the repository's root. PMM_FUZZ_LOG_DIR, if set, keeps
# each target's libFuzzer output there. The last line is `fuzz: N passed, M failed` (one per target);
# exit 0 only when M = 0.
set -u

BUILD=${1:-build/fuzz}
SECONDS_EACH=${2:-60}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
cd "$ROOT" || exit 1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pmm-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PASSED=0
FAILED=0
targets=$*
if [ -z "$targets" ]; then
    for f in "$BUILD"/tests/fuzz/fuzz_*; do
        [ -x "$f" ] && [ -f "$f" ] || continue
        case ${f##*/} in *.*) continue ;; esac
        targets="$targets ${f##*/fuzz_}"
    done
fi
if [ -z "$targets" ]; then
    echo "fuzz: no targets in $BUILD/tests/fuzz (make FUZZ=1 fuzz-build)"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi

for name in $targets; do
    bin=$BUILD/tests/fuzz/fuzz_$name
    seeds=$ROOT/tests/fuzz/corpus/$name
    found=$BUILD/fuzz-corpus/$name
    art=$WORK/$name
    mkdir -p "$seeds" "$found" "$art"
    log=$WORK/$name.log
    flags=
    [ -f "tests/fuzz/$name.flags" ] && flags=$(grep -v '^#' "tests/fuzz/$name.flags")
    echo "=== fuzz_$name for ${SECONDS_EACH} s"
    # -timeout: one input that runs this long is a hang; the outer timeout
    # only guards against libFuzzer itself hanging. New inputs go to the
    # first folder ($found); $flags is split on purpose.
    # shellcheck disable=SC2086
    timeout -k 10 $((SECONDS_EACH + 120)) "$bin" -max_total_time="$SECONDS_EACH" -timeout=25 \
        -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$art/" "$found" "$seeds" $flags >"$log" 2>&1
    rc=$?
    [ -n "${PMM_FUZZ_LOG_DIR:-}" ] && mkdir -p "$PMM_FUZZ_LOG_DIR" && cp "$log" "$PMM_FUZZ_LOG_DIR/"
    kept=
    for a in "$art"/*; do
        [ -f "$a" ] || continue
        dest=$seeds/regression-${a##*/}
        cp "$a" "$dest"
        kept="$kept $dest"
    done
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    cov=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(grep -E '^#[0-9]+.*ft:' "$log" | tail -n 1 | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    if [ "$rc" -eq 0 ] && [ -z "$kept" ]; then
        echo "--- fuzz_$name: ok (${runs:-?} runs, coverage ${cov:-?} edges, ${ft:-?} features, peak RSS ${rss:-?} MB)"
        PASSED=$((PASSED + 1))
    else
        grep -E 'ERROR|SUMMARY|==[0-9]+==|#[0-9]+ 0x' "$log" | head -n 40
        echo "--- fuzz_$name: FAILED (exit $rc); kept as regression inputs:${kept:- none}"
        FAILED=$((FAILED + 1))
    fi
done

echo "fuzz: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
