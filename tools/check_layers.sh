#!/bin/sh
# check_layers: the layering rules the compiler does not enforce, checked
# with grep, nm and ldd over the sources and a build:
#   sh tools/check_layers.sh [BUILD]        (BUILD default build/asan)
#  1. programs are independent: no program folder (nor common/) includes
#     another program's header ("agentsd/..." from configd);
#  2. the gateway speaks no SQL: its binary does not link libpq and its
#     objects reference no PQ* symbol;
#  3. SQL lives in store files (common/db/store/store.h): no .c file of a
#     program or of common/ outside a store file holds SQL text in a string
#     literal, no store file writes another store's table, and no program's
#     store file reads a shared table (common/db/store/'s) but in a subquery.
# Each violation is printed as file:line: what. The last line is
# `layers: N passed, M failed` (one per check); exit 0 only when M = 0.
set -u

BUILD=${1:-build/asan}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2

PROGRAMS="gateway inventoryd agentsd configd pmmctl backupd checksd hactl"

# Store files and the tables they own: common/db/store/<table>.c and
# <program>/store/<table>.c by their name (common/db/store/store.c and
# <program>/store/util.c, the helpers, own none), plus these single-table
# stores.
FIXED_STORES="common/db/settings.c:settings
common/db/migrate.c:schema_migrations"

# The shared tables: those with a store of their own in common/db/. A
# program's store file reads them only through that store's functions (a
# subquery "(SELECT ... FROM agents ...)" in its own statement aside).
SHARED_TABLES=$( (for f in common/db/store/*.c; do basename "$f" .c; done; echo settings) | grep -vx store |
    sort | paste -sd '|' -)

PASSED=0
FAILED=0
OUT=$(mktemp "${TMPDIR:-/tmp}/check_layers.XXXXXX")
trap 'rm -f "$OUT"' EXIT

# result NAME: counts a check from the violations collected in $OUT.
result() {
    if [ -s "$OUT" ]; then
        cat "$OUT"
        echo "FAILED: $1 ($(wc -l <"$OUT") violations)"
        FAILED=$((FAILED + 1))
    else
        echo "ok: $1"
        PASSED=$((PASSED + 1))
    fi
    : >"$OUT"
}

# Source files (.c, .h) of the existing folders among $@.
sources() {
    for dir in "$@"; do
        [ -d "$dir" ] && find "$dir" -name '*.[ch]'
    done | sort
}

# ---- 1. no program includes another program's header ---------------------------
for prog in $PROGRAMS common; do
    others=$(echo "$PROGRAMS" | tr ' ' '\n' | grep -vx "$prog" | paste -sd '|' -)
    for f in $(sources "$prog"); do
        grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"($others)/" "$f" |
            sed "s|^\([0-9]*\):.*\"\([^\"]*\)\".*|$f:\1: includes another program's header \2|" >>"$OUT"
    done
done
result "programs include no other program's headers"

# ---- 2. the gateway does not link libpq ----------------------------------------
GW=$BUILD/bin/gateway
if [ ! -x "$GW" ]; then
    echo "$GW: missing (build first)" >>"$OUT"
else
    ldd "$GW" 2>/dev/null | grep -E 'libpq\.so' | sed "s|^[[:space:]]*|$GW: links |" >>"$OUT"
    for o in $(find "$BUILD/gateway" -name '*.o' 2>/dev/null | sort); do
        nm -u "$o" 2>/dev/null | awk -v o="$o" '$NF ~ /^PQ/ { print o ": references " $NF }' >>"$OUT"
    done
    nm -u "$GW" 2>/dev/null | awk -v o="$GW" '$NF ~ /^PQ/ { print o ": references " $NF }' >>"$OUT"
fi
result "the gateway does not link libpq"

# ---- 3. SQL only in store files, each writing its own table ----------------------
# The tables a store file owns (comma-separated); nothing for a non-store file.
store_tables() {
    case $1 in
    common/db/store/store.c | */store/util.c) echo "-" ;;
    common/db/store/*.c | */store/*.c) basename "$1" .c ;;
    *) echo "$FIXED_STORES" | awk -F: -v f="$1" '$1 == f { print $2 }' ;;
    esac
}

# SQL in a string literal: a keyword after an opening quote on the line.
SQL_RE='"[^"]*\b(SELECT|INSERT[[:space:]]+INTO|DELETE[[:space:]]+FROM)\b|"[^"]*\bUPDATE[[:space:]]+[a-z_]+([[:space:]]+[a-z_]+)?[[:space:]]+SET\b'

for f in $(sources common $PROGRAMS | grep '\.c$'); do
    tables=$(store_tables "$f")
    if [ -z "$tables" ]; then
        grep -nE "$SQL_RE" "$f" | while IFS= read -r hit; do
            echo "$f:${hit%%:*}: SQL outside a store file: $(echo "${hit#*:}" | sed 's/^[[:space:]]*//' | cut -c1-100)"
        done >>"$OUT"
        continue
    fi
    case $f in
    common/*) ;;
    *)
        sed -E "s/\(SELECT [^()\"]*FROM[[:space:]]+($SHARED_TABLES)\b//g" "$f" |
            grep -noE "\b(FROM|JOIN)[[:space:]]+($SHARED_TABLES)\b" |
            awk -F: -v f="$f" '{ k = split($2, w, /[[:space:]]+/)
                print f ":" $1 ": reads " w[k] ", a shared table: through its store in common/db/" }' >>"$OUT"
        ;;
    esac
    # The table each write names: INSERT INTO t, DELETE FROM t, UPDATE t
    # (not ON CONFLICT ... DO UPDATE SET).
    grep -noE '\b(INSERT[[:space:]]+INTO|DELETE[[:space:]]+FROM|UPDATE)[[:space:]]+[a-z_]+' "$f" |
        awk -F: -v f="$f" -v own="$tables" '
            BEGIN { n = split(own, t, ","); for (i = 1; i <= n; i++) mine[t[i]] = 1 }
            { k = split($2, w, /[[:space:]]+/); table = w[k]
              if (table != "SET" && !(table in mine)) print f ":" $1 ": writes " table ", not its own table (" own ")" }' >>"$OUT"
done
result "SQL only in store files, each writing its own table"

echo "layers: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
