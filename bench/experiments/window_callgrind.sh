#!/bin/sh
# Instructions per record of one workload of bench/experiments/window_path.py under callgrind:
# two runs (N and 2N records of the same input), the difference of their totals divided by N.
#   bench/experiments/window_callgrind.sh WORKLOAD [N] [extra window_path.py arguments...]
# WORKLOAD: windowed-hopping, windowed-tumbling or stream-stream.
set -e
W=${1:?"workload: windowed-hopping, windowed-tumbling or stream-stream"}
shift
N=${1:-5000}
[ $# -gt 0 ] && shift
HERE=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-$HERE/.venv/bin/python}
# A fixed hash seed: dict and set layouts (and so their lookups) agree between runs of one tree.
export PYTHONHASHSEED="${PYTHONHASHSEED:-0}"
OUT=$(mktemp -d /tmp/callgrind-win.XXXXXX)
total() {
    n=$1
    shift
    # 3N records asked for: a partition gets ~3/4 of them (the join about the same)
    valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$n" "$PY" \
        "$HERE/bench/experiments/window_path.py" --only "$W" --records $((3 * N)) \
        --callgrind "$n" "$@" >/dev/null 2>"$OUT/log.$n"
    grep -m1 '^summary:' "$OUT/cg.$n" | awk '{print $2}'
}
A=$(total "$N" "$@")
B=$(total $((2 * N)) "$@")
echo "$W: instructions per record: $(( (B - A) / N )) (N=$N, totals $A / $B; files in $OUT)"
