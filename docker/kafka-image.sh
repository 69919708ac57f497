#!/usr/bin/env bash
# Build (once) a Kafka image with the official apache/kafka image's contract from local parts:
# a Debian JRE base (docker/base-image.sh), the Kafka jars kstreams resolves from Maven, and
# docker/kafka/{Dockerfile,run}. The tag is a hash of all of it (jar names and sizes, the base
# image, the two files), so a second run on the same engine reuses the image.
#
#   docker/kafka-image.sh      prints the tag: kstreams/kafka:<version>-<hash>
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "docker/kafka-image.sh: $*" >&2; }
PY="${PY:-.venv/bin/python}"

started=$SECONDS
version="$("$PY" -c 'from kstreams.testing.broker_env import KAFKA_VERSION; print(KAFKA_VERSION)')"
libs="$("$PY" -c 'from kstreams.testing.kafka_jars import kafka_libs_dir; print(kafka_libs_dir())')"
base="$(docker/base-image.sh jre openjdk-17-jre-headless)"
hash="$( { echo "$base"; (cd "$libs" && ls -l --time-style=+ ./*.jar | awk '{print $5, $NF}'); \
    cat docker/kafka/Dockerfile docker/kafka/run; } | sha256sum | cut -c1-12)"
tag="kstreams/kafka:$version-$hash"
if docker image inspect "$tag" >/dev/null 2>&1; then
    say "$tag cached"
    echo "$tag"
    exit 0
fi
ctx="$(mktemp -d "${TMPDIR:-/tmp}/kstreams-kafka-image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
cp docker/kafka/Dockerfile docker/kafka/run "$ctx/"
chmod 755 "$ctx/run"
cp -r "$libs" "$ctx/libs"
if ! DOCKER_BUILDKIT=0 docker build --build-arg "JRE_BASE=$base" -t "$tag" "$ctx" >"$ctx/build.log" 2>&1; then
    say "docker build failed:"
    tail -30 "$ctx/build.log" >&2
    exit 1
fi
say "$tag built in $((SECONDS - started))s"
echo "$tag"
