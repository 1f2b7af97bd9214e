#!/bin/sh
# bench/starlark.sh BUILD: the Starlark interpreter against CPython on a
# CPU-bound program (bench/starlark_cpu.star: integer loops, a fib-like
# iteration, string building, dict updates, a comprehension and a sort),
# which is valid Starlark and Python 3 alike. Each interpreter reports the
# CPU time of compiling and running the program in-process (python3's own
# start-up, some 0.3 s here, is left out, as is ours); each runs
# BENCH_RUNS times (default 5) and the best counts (the machine may be
# shared). Both must print the same results. Prints the times, the ratio
# and whether the target "faster than CPython" is met.
set -eu
BUILD=${1:-build/release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-5}
RUNNER="$ROOT/$BUILD/bench/starlark_run"
SCRIPT="$ROOT/bench/starlark_cpu.star"
TMP=$(mktemp -d /tmp/starlark-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# best "cpu: S" of RUNS runs of "$@" (stdout kept in $TMP/out)
best_cpu() {
    best=
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        "$@" >"$TMP/out" 2>"$TMP/err"
        cpu=$(sed -n 's/^cpu: //p' "$TMP/err")
        if [ -z "$best" ] || awk -v a="$cpu" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$cpu
        fi
        i=$((i + 1))
    done
    echo "$best"
}

PYRUN='import sys, time
src = open(sys.argv[1]).read()
t0 = time.process_time()
exec(compile(src, sys.argv[1], "exec"), {"__name__": "bench"})
print("cpu: %.3f" % (time.process_time() - t0), file=sys.stderr)'

ours=$(best_cpu "$RUNNER" "$SCRIPT")
cp "$TMP/out" "$TMP/ours.out"
py=$(best_cpu python3 -c "$PYRUN" "$SCRIPT")
cp "$TMP/out" "$TMP/py.out"
if ! cmp -s "$TMP/ours.out" "$TMP/py.out"; then
    echo "starlark bench: results differ:"
    echo "  starlark: $(cat "$TMP/ours.out")"
    echo "  python3:  $(cat "$TMP/py.out")"
    exit 1
fi
ratio=$(awk -v a="$ours" -v b="$py" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
echo "== starlark: bench/starlark_cpu.star, best CPU time of $RUNS runs (compile + run, in-process)"
echo "starlark (starlark/, $BUILD): ${ours} s"
echo "python3 ($(python3 -c 'import platform; print(platform.python_version())')): ${py} s"
echo "ratio python3/starlark: ${ratio}x"
if awk -v a="$ours" -v b="$py" 'BEGIN { exit !(a < b) }'; then
    echo "target faster than CPython: met"
else
    echo "target faster than CPython: NOT met"
fi
