#!/usr/bin/env bash
# A Debian base image built locally, without a registry: mmdebstrap makes a bookworm rootfs with the
# given packages, `docker import` turns it into an image. Cached by content: the tag is a hash of
# this script, the suite and the package list, so a second run on the same engine reuses it.
#
#   docker/base-image.sh NAME PACKAGE...      prints the image tag (kstreams-base/NAME:<hash>)
#
# Needs root (or fakechroot) for mmdebstrap, which is installed with apt-get when missing.
set -euo pipefail

name="${1:?usage: $0 NAME PACKAGE...}"
shift
[ $# -gt 0 ] || { echo "usage: $0 NAME PACKAGE..." >&2; exit 2; }
SUITE="${KSTREAMS_DEBIAN_SUITE:-bookworm}"
say() { echo "docker/base-image.sh: $*" >&2; }

hash="$( { cat "$0"; echo "$SUITE"; printf '%s\n' "$@" | sort; } | sha256sum | cut -c1-12)"
tag="kstreams-base/$name:$hash"
if docker image inspect "$tag" >/dev/null 2>&1; then
    say "$tag cached"
    echo "$tag"
    exit 0
fi
if ! command -v mmdebstrap >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing mmdebstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap >&2
    else
        say "mmdebstrap is missing: apt-get install mmdebstrap (as root)"
        exit 1
    fi
fi
started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/kstreams-rootfs.XXXXXX")"
trap 'rm -rf "$work"' EXIT
includes="$(IFS=,; echo "$*")"
# No recommends, no docs, man pages or locales: the image holds what runs, nothing to read.
# (update-alternatives links man pages: their directory must exist, empty.) dpkg skips fsync.
mmdebstrap --variant=apt --quiet \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='force-unsafe-io' \
    --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --include="$includes" \
    "$SUITE" "$work/rootfs.tar" >&2
docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    "$work/rootfs.tar" "$tag" >/dev/null
say "$tag built in $((SECONDS - started))s ($(du -h "$work/rootfs.tar" | cut -f1) rootfs)"
echo "$tag"
