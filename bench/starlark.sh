#!/bin/sh
# bench/starlark.sh BUILD: the Starlark interpreter against CPython on a
# CPU-bound program (bench/starlark_cpu.star: integer loops, a fib-like
# iteration, string building, dict updates, a comprehension and a sort),
# which is valid Starlark and Python 3 alike. Runs each BENCH_RUNS times
# (default 3), takes the best CPU time (user+sys: the machine may be
# shared), checks both print the same results, and prints the times, the
# ratio and whether the target "faster than CPython" is met.
set -eu
BUILD=${1:-build/release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-3}
RUNNER="$ROOT/$BUILD/bench/starlark_run"
SCRIPT="$ROOT/bench/starlark_cpu.star"
TMP=$(mktemp -d /tmp/starlark-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# best CPU seconds of RUNS runs of "$@" (stdout kept in $TMP/out)
best_cpu() {
    best=
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        /usr/bin/time -f '%U %S' -o "$TMP/time" "$@" >"$TMP/out" 2>/dev/null
        cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$TMP/time")
        if [ -z "$best" ] || awk -v a="$cpu" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$cpu
        fi
        i=$((i + 1))
    done
    echo "$best"
}

ours=$(best_cpu "$RUNNER" "$SCRIPT")
cp "$TMP/out" "$TMP/ours.out"
py=$(best_cpu python3 "$SCRIPT")
cp "$TMP/out" "$TMP/py.out"
if ! cmp -s "$TMP/ours.out" "$TMP/py.out"; then
    echo "starlark bench: results differ:"
    echo "  starlark: $(cat "$TMP/ours.out")"
    echo "  python3:  $(cat "$TMP/py.out")"
    exit 1
fi
ratio=$(awk -v a="$ours" -v b="$py" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
echo "== starlark: bench/starlark_cpu.star, best CPU time of $RUNS runs"
echo "starlark (starlark/, $BUILD): ${ours} s"
echo "python3 ($(python3 -c 'import platform; print(platform.python_version())')): ${py} s"
echo "ratio python3/starlark: ${ratio}x"
if awk -v a="$ours" -v b="$py" 'BEGIN { exit !(a < b) }'; then
    echo "target faster than CPython: met"
else
    echo "target faster than CPython: NOT met"
fi
