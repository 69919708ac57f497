#!/bin/sh
# Instructions per line of bench/experiments/wordcount_path.py under callgrind, split into the
# commits (the cache flush, its forwards and changelog sends, the RocksDB writes: the inclusive
# cost of operator.call, through which run_callgrind calls them) and the rest (processing):
# two runs (N and 2N lines, the same input), the difference of their totals divided by N.
#   bench/experiments/commit_callgrind.sh [N] [extra wordcount_path.py arguments...]
#   e.g. bench/experiments/commit_callgrind.sh 8000 --commit-every 4000 --collector kafka
set -e
N=${1:-10000}
[ $# -gt 0 ] && shift
HERE=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-$HERE/.venv/bin/python}
# A fixed hash seed: dict and set layouts (and so their lookups) agree between runs of one tree.
export PYTHONHASHSEED="${PYTHONHASHSEED:-0}"
OUT=$(mktemp -d /tmp/callgrind-commit.XXXXXX)
run() {
    n=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$n" "$PY" \
        "$HERE/bench/experiments/wordcount_path.py" --records $((2 * N)) --callgrind "$n" "$@" \
        >/dev/null 2>"$OUT/log.$n"
}
total() { grep -m1 '^summary:' "$OUT/cg.$1" | awk '{print $2}'; }
commit() {
    callgrind_annotate --inclusive=yes --threshold=100 "$OUT/cg.$1" 2>/dev/null |
        grep -m1 ':_operator_call ' | awk '{gsub(",", "", $1); print $1}'
}
records() { grep -m1 '^changelog records' "$OUT/log.$1"; }
run "$N" "$@"
run $((2 * N)) "$@"
A=$(total "$N"); B=$(total $((2 * N)))
CA=$(commit "$N"); CB=$(commit $((2 * N)))
echo "N=$N $*: instructions per line $(( (B - A) / N )): commits $(( (CB - CA) / N )), the rest $(( (B - A - CB + CA) / N ))"
echo "  totals $A / $B, commits $CA / $CB; $N lines: $(records "$N"); $((2 * N)) lines: $(records $((2 * N))); files in $OUT"
