#!/bin/sh
# Instructions per line of bench/experiments/wordcount_path.py under callgrind: two runs (N and
# 2N lines, the same input built), the difference of their totals divided by N.
#   bench/experiments/callgrind_diff.sh [N] [extra wordcount_path.py arguments...]
set -e
N=${1:-10000}
[ $# -gt 0 ] && shift
HERE=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-$HERE/.venv/bin/python}
# A fixed hash seed: dict and set layouts (and so their lookups) agree between runs of one tree.
export PYTHONHASHSEED="${PYTHONHASHSEED:-0}"
OUT=$(mktemp -d /tmp/callgrind-wc.XXXXXX)
total() {
    n=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$n" "$PY" \
        "$HERE/bench/experiments/wordcount_path.py" --records $((2 * N)) --callgrind "$n" "$@" \
        >/dev/null 2>"$OUT/log.$n"
    grep -m1 '^summary:' "$OUT/cg.$n" | awk '{print $2}'
}
A=$(total "$N" "$@")
B=$(total $((2 * N)) "$@")
echo "instructions per line: $(( (B - A) / N )) (N=$N, totals $A / $B; files in $OUT)"
