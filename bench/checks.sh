#!/bin/sh
# bench/checks.sh BUILD [SERVICES]: one full advisor run of every shipped
# check over SERVICES services (default 1000) through checksd's code
# (bench/checks_run.c: the shipped files, each script in its sandboxed
# child, eight workers, the results stored), then the interpreter against
# CPython on a CPU-bound program (bench/starlark.sh). The load average is
# printed first: the machine may be shared, and the wall time of a run of
# forked script processes follows it.
set -eu
BUILD=${1:-build/release}
SERVICES=${2:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
echo "== checks: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
(cd "$ROOT" && "$ROOT/$BUILD/bench/checks_run" "$SERVICES" 8)
sh "$ROOT/bench/starlark.sh" "$BUILD"
