#!/usr/bin/env bash
# Build (once) the word-count service image of docker-compose.yml without a registry: a local
# Debian python3 base (docker/base-image.sh), kstreams and its dependencies as wheels built on
# this machine (pinned to the versions of .venv), docker/app/Dockerfile. The tag is a hash of
# the base, the sources and the pins, so a second run on the same engine reuses the image.
#
#   docker/app-image.sh        prints the tag: kstreams/word-count:<hash>
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "docker/app-image.sh: $*" >&2; }
PY="${PY:-.venv/bin/python}"

started=$SECONDS
base="$(docker/base-image.sh python python3 python3-venv)"
pins="$("$PY" -m pip freeze --exclude-editable --disable-pip-version-check | grep -v '^kstreams-py')"
hash="$( { echo "$base"; echo "$pins"; cat pyproject.toml README.md;
    find kstreams examples docker/app -type f -not -path '*/__pycache__/*' -not -path 'docker/app/wheels/*' \
        -not -name '*.pyc' | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-12)"
tag="kstreams/word-count:$hash"
if docker image inspect "$tag" >/dev/null 2>&1; then
    say "$tag cached"
    echo "$tag"
    exit 0
fi
wheels=docker/app/wheels
rm -rf "$wheels"
mkdir -p "$wheels"
trap 'rm -rf "$wheels"' EXIT
echo "$pins" >"$wheels/constraints.txt"
out="$(mktemp)"
if ! "$PY" -m pip wheel --disable-pip-version-check -c "$wheels/constraints.txt" -w "$wheels" . >"$out" 2>&1; then
    say "pip wheel failed:"
    tail -30 "$out" >&2
    rm -f "$out"
    exit 1
fi
if ! DOCKER_BUILDKIT=0 docker build --build-arg "PYTHON_BASE=$base" -f docker/app/Dockerfile -t "$tag" . >"$out" 2>&1; then
    say "docker build failed:"
    tail -30 "$out" >&2
    rm -f "$out"
    exit 1
fi
rm -f "$out"
say "$tag built in $((SECONDS - started))s"
echo "$tag"
