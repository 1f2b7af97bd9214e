#!/bin/sh
# run: every test stage of a build, in order, with one total at the end.
#   sh tests/run.sh build/asan
# Stages: unit test binaries, integration binaries against a throwaway
# PostgreSQL (tests/lib/pgtmp.sh), then the e2e suite (tests/e2e/run.sh).
# Counts come from Check's summary line and the e2e runner's `e2e: N passed,
# M failed`; a binary that crashes, times out or prints no summary is 1 failed.
# The last line printed is exactly `N passed, M failed`; exit 0 only when M = 0.
set -u

BUILD=${1:-build/asan}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_TIMEOUT=${PMM_TEST_TIMEOUT:-300}   # seconds per test binary
E2E_TIMEOUT=${PMM_E2E_TIMEOUT:-900}    # seconds for the whole e2e stage (test_ha alone takes ~5 min)

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

PASSED=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pmm-tests.XXXXXX")
PG_DIR=
PG_STARTED=0

cleanup() {
    if [ "$PG_STARTED" -eq 1 ]; then
        sh "$ROOT/tests/lib/pgtmp.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
        PG_STARTED=0
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sums Check summary lines ("100%: Checks: 12, Failures: 0, Errors: 0") of a log:
# prints "<checks> <failures+errors> <summary lines>".
check_counts() {
    sed -n 's/.*Checks: \([0-9][0-9]*\), Failures: \([0-9][0-9]*\), Errors: \([0-9][0-9]*\).*/\1 \2 \3/p' "$1" |
        awk '{ c += $1; f += $2 + $3; n++ } END { printf "%d %d %d\n", c, f, n }'
}

# Runs one test binary with its output shown, then adds its counts.
run_binary() {
    bin=$1
    name=${bin#"$BUILD"/}
    log=$WORK/out.log
    echo "=== $name"
    { timeout -k 10 "$BIN_TIMEOUT" "$bin" 2>&1; echo $? >"$WORK/rc"; } | tee "$log"
    rc=$(cat "$WORK/rc")
    # shellcheck disable=SC2046 # three numbers, split on purpose
    set -- $(check_counts "$log")
    checks=$1 failures=$2 summaries=$3
    if [ "$summaries" -eq 0 ]; then
        echo "--- $name: FAILED (exit $rc, no Check summary)"
        FAILED=$((FAILED + 1))
        return
    fi
    PASSED=$((PASSED + checks - failures))
    FAILED=$((FAILED + failures))
    if [ "$rc" -ne 0 ] && [ "$failures" -eq 0 ]; then
        # e.g. a leak report or a crash after the summary was printed
        echo "--- $name: FAILED (exit $rc after a clean summary)"
        FAILED=$((FAILED + 1))
    elif [ "$rc" -ne 0 ]; then
        echo "--- $name: $failures failed (exit $rc)"
    else
        echo "--- $name: ok ($checks checks)"
    fi
}

# Test binaries of a stage: executable files test_* without an extension
# (the build dir also holds test_*.o and test_*.d).
list_binaries() {
    for f in "$BUILD/tests/$1"/test_*; do
        if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
        case ${f##*/} in *.*) continue ;; esac
        echo "$f"
    done
}

run_stage() {
    for bin in $(list_binaries "$1"); do
        run_binary "$bin"
    done
}

# ---- unit -------------------------------------------------------------------
echo "##### unit tests ($BUILD/tests/unit)"
run_stage unit

# ---- integration ------------------------------------------------------------
echo "##### integration tests ($BUILD/tests/integration)"
if [ -n "$(list_binaries integration)" ]; then
    PG_DIR=$WORK/pg
    mkdir -p "$PG_DIR"
    chmod 755 "$WORK" "$PG_DIR" # the postgres user must reach it
    if pg_env=$(sh "$ROOT/tests/lib/pgtmp.sh" start "$PG_DIR"); then
        PG_STARTED=1
        PGTMP_PORT=
        eval "$(echo "$pg_env" | grep -E '^PGTMP_(DIR|PORT|SOCKDIR|PID|PASSWORD_FILE)=')"
        echo "throwaway PostgreSQL on 127.0.0.1:$PGTMP_PORT"
        export PMM_TEST_PG_ADDR="127.0.0.1:$PGTMP_PORT"
        export PMM_TEST_PG_DBNAME=pmm-managed
        export PMM_TEST_PG_USER=pmm-managed
        export PMM_TEST_PG_PASSWORD_FILE="$PGTMP_PASSWORD_FILE"
        unset PMM_TEST_PG_PASSWORD
        run_stage integration
        sh "$ROOT/tests/lib/pgtmp.sh" stop "$PG_DIR" || echo "warning: pgtmp.sh stop failed"
        PG_STARTED=0
    else
        echo "--- integration: FAILED (tests/lib/pgtmp.sh start did not work)"
        FAILED=$((FAILED + 1))
    fi
fi

# ---- e2e --------------------------------------------------------------------
echo "##### e2e tests"
log=$WORK/e2e.log
{ timeout -k 30 "$E2E_TIMEOUT" sh "$ROOT/tests/e2e/run.sh" "$BUILD" 2>&1; echo $? >"$WORK/rc"; } | tee "$log"
rc=$(cat "$WORK/rc")
line=$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
if [ -z "$line" ]; then
    echo "--- e2e: FAILED (exit $rc, no e2e summary)"
    FAILED=$((FAILED + 1))
else
    set -- $line
    PASSED=$((PASSED + $2))
    FAILED=$((FAILED + $4))
    if [ "$rc" -ne 0 ] && [ "$4" -eq 0 ]; then
        echo "--- e2e: FAILED (exit $rc after a clean summary)"
        FAILED=$((FAILED + 1))
    fi
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
