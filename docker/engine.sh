#!/usr/bin/env bash
# A private Docker engine for kstreams' CI: dockerd as root on its own socket, data, exec root and
# pid file, so that it never touches a system dockerd. Debian's docker.io is installed with apt-get
# when dockerd is missing.
#
#   docker/engine.sh start    start it unless it answers already; prints `export DOCKER_HOST=...`
#   docker/engine.sh stop     stop the engine this script started (by its pid file), and its containers
#   docker/engine.sh status   exit 0 when it answers
#   docker/engine.sh env      print `export DOCKER_HOST=...` (for eval)
#
# KSTREAMS_DOCKER_DIR (default ~/.cache/kstreams/docker) holds the data root, so images built once
# (docker/kafka-image.sh, docker/app-image.sh) are reused by the next run on the same machine.
set -euo pipefail

DIR="${KSTREAMS_DOCKER_DIR:-${KSTREAMS_CACHE_DIR:-$HOME/.cache/kstreams}/docker}"
# The exec root holds containerd's sockets: keep its path short (unix socket paths are <108 bytes).
EXEC_ROOT="${KSTREAMS_DOCKER_EXEC_ROOT:-/run/kstreams-docker}"
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/dockerd.pid"
LOG="$DIR/dockerd.log"
HOST="unix://$SOCK"

say() { echo "docker/engine.sh: $*" >&2; }

answers() { DOCKER_HOST="$HOST" timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

install_engine() {
    if command -v dockerd >/dev/null && command -v docker >/dev/null; then
        return 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        say "dockerd is not installed and this is not root with apt-get: install Docker (Debian: apt-get install docker.io)"
        return 1
    fi
    say "installing Debian's docker.io"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io >"$DIR/apt.log" 2>&1 ||
        { DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$DIR/apt.log" 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io >>"$DIR/apt.log" 2>&1; } ||
        { say "apt-get install docker.io failed:"; tail -20 "$DIR/apt.log" >&2; return 1; }
}

start() {
    mkdir -p "$DIR"
    if answers; then
        say "engine already answers at $HOST"
        echo "export DOCKER_HOST=$HOST"
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        say "dockerd needs root; run as root, or point DOCKER_HOST at an engine"
        return 1
    fi
    install_engine
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        say "dockerd $(cat "$PIDFILE") runs but does not answer; stopping it"
        stop
    fi
    rm -f "$SOCK" "$PIDFILE"
    mkdir -p "$DIR/data" "$EXEC_ROOT"
    local started=$SECONDS
    # setsid: a terminal's Ctrl-C goes to the tests, the trap in .ci/run stops the engine.
    setsid dockerd \
        -H "$HOST" \
        --data-root "$DIR/data" \
        --exec-root "$EXEC_ROOT" \
        --pidfile "$PIDFILE" \
        --storage-driver overlay2 \
        >"$LOG" 2>&1 </dev/null &
    local pid=$!
    for _ in $(seq 1 120); do
        if answers; then
            say "engine $(DOCKER_HOST="$HOST" docker version --format '{{.Server.Version}}') up at $HOST (pid $pid) in $((SECONDS - started))s"
            echo "export DOCKER_HOST=$HOST"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        sleep 0.5
    done
    say "dockerd did not answer at $HOST; last lines of $LOG:"
    tail -30 "$LOG" >&2
    kill "$pid" 2>/dev/null || true
    return 1
}

stop() {
    [ -f "$PIDFILE" ] || { say "no engine of ours runs (no $PIDFILE)"; return 0; }
    local pid
    pid="$(cat "$PIDFILE")"
    if answers; then
        # Containers a test left behind (it should not): removed by id, then the engine stops.
        local ids
        ids="$(DOCKER_HOST="$HOST" docker ps -aq)"
        if [ -n "$ids" ]; then
            say "removing containers left running: $(echo "$ids" | tr '\n' ' ')"
            # shellcheck disable=SC2086
            DOCKER_HOST="$HOST" docker rm -f -v $ids >/dev/null || true
        fi
    fi
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "dockerd $pid did not stop within 30s; SIGKILL"
            kill -KILL "$pid" || true
        fi
    fi
    rm -f "$PIDFILE" "$SOCK"
    say "engine $pid stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) answers ;;
    env) echo "export DOCKER_HOST=$HOST" ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
