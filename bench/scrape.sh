#!/bin/sh
# bench/scrape.sh BUILD: the scrape configuration benchmark (bench/scrape_render.c)
# against a throwaway PostgreSQL: 10,000 nodes with 30,000 agents; full
# render time and one agent's change from the bus hint to the file written.
# Environment: BENCH_SCRAPE_NODES (10000), BENCH_SCRAPE_CHANGES (20).
set -eu
BUILD=${1:-build/release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
eval "$(sh "$ROOT/tests/lib/pgtmp.sh" start)"
trap 'sh "$ROOT/tests/lib/pgtmp.sh" stop "$PGTMP_DIR" >/dev/null 2>&1 || true' EXIT INT TERM
PMM_POSTGRES_ADDR=127.0.0.1:$PGTMP_PORT PMM_POSTGRES_DBNAME=pmm-managed PMM_POSTGRES_USERNAME=pmm-managed \
PMM_POSTGRES_DBPASSWORD_FILE="$PGTMP_PASSWORD_FILE" "$ROOT/$BUILD/bench/scrape_render" \
    --nodes="${BENCH_SCRAPE_NODES:-10000}" --changes="${BENCH_SCRAPE_CHANGES:-20}"
