#!/bin/sh
# Instructions per restored record (bench/experiments/restore_path.py apply, no broker) under
# callgrind: two runs restoring N and 2N of the same 2N messages, the difference of their
# totals divided by N.
#   bench/experiments/restore_callgrind.sh [N] [extra restore_path.py arguments, e.g. --store memory]
# PYTHONPATH=<a kstreams tree> measures that tree instead of the installed one.
set -e
N=${1:-20000}
[ $# -gt 0 ] && shift
HERE=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-$HERE/.venv/bin/python}
# A fixed hash seed: dict and set layouts (and so their lookups) agree between runs of one tree.
export PYTHONHASHSEED="${PYTHONHASHSEED:-0}"
OUT=$(mktemp -d /tmp/callgrind-restore.XXXXXX)
total() {
    n=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$n" "$PY" \
        "$HERE/bench/experiments/restore_path.py" apply --records $((2 * N)) --callgrind "$n" "$@" \
        >/dev/null 2>"$OUT/log.$n"
    grep -m1 '^summary:' "$OUT/cg.$n" | awk '{print $2}'
}
A=$(total "$N" "$@")
B=$(total $((2 * N)) "$@")
echo "instructions per restored record: $(( (B - A) / N )) (N=$N, totals $A / $B; files in $OUT)"
