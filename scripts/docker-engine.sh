#!/usr/bin/env bash
# Bring up (or tear down) a private Docker engine for the optgrade grader containers.
#
#   scripts/docker-engine.sh start   # install docker.io if needed, start dockerd, print the export line
#   scripts/docker-engine.sh stop    # stop dockerd (and the containerd it started), unmount its netns
#   scripts/docker-engine.sh status  # "running" / "stopped" (exit status 0 / 1)
#   scripts/docker-engine.sh env     # print the `export DOCKER_HOST=...` line
#
# Use it as:  eval "$(scripts/docker-engine.sh start)"
#
# The engine keeps all its state under one directory (default /var/tmp/optgrade-docker, override with
# OPTGRADE_DOCKER_DIR): the socket, the images (data/), the runtime state (exec/), the pidfile and
# the log (dockerd.log). It is started with no iptables / ip-forward / masquerading / bridge changes,
# so the host's network is left untouched; containers get either --network none or the host network
# (builds must use `docker build --network host`). Needs root. Only the stdout line(s) of `start` and
# `env` are meant for eval; progress messages go to stderr.
set -euo pipefail

DIR="${OPTGRADE_DOCKER_DIR:-/var/tmp/optgrade-docker}"
SOCK="$DIR/docker.sock"
DATA="$DIR/data"
EXEC="$DIR/exec"
PIDFILE="$DIR/dockerd.pid"
LOG="$DIR/dockerd.log"
HOST_URL="unix://$SOCK"
START_TIMEOUT="${OPTGRADE_DOCKER_START_TIMEOUT:-60}"
STOP_TIMEOUT="${OPTGRADE_DOCKER_STOP_TIMEOUT:-40}"

say() { echo "docker-engine: $*" >&2; }
die() { say "error: $*"; exit 1; }

# pid_of PIDFILE COMM: the pid in PIDFILE if that process is alive and its name is COMM.
pid_of() {
    local file="$1" comm="$2" pid
    [[ -s "$file" ]] || return 1
    pid="$(tr -dc '0-9' <"$file")"
    [[ -n "$pid" && -r "/proc/$pid/comm" ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]] || return 1
    echo "$pid"
}

engine_answers() { DOCKER_HOST="$HOST_URL" docker info >/dev/null 2>&1; }

print_env() { echo "export DOCKER_HOST=$HOST_URL"; }

# Wait until process PID is gone (up to SECONDS_); return 1 on timeout.
wait_gone() {
    local pid="$1" secs="$2" i
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# Unmount whatever is still mounted under $DIR (deepest first): netns/default, leftover overlays.
unmount_leftovers() {
    local m
    if [[ -e "$EXEC/netns/default" ]] && mountpoint -q "$EXEC/netns/default" 2>/dev/null; then
        umount "$EXEC/netns/default" || umount -l "$EXEC/netns/default" || true
    fi
    # /proc/mounts escapes spaces as \040; $DIR is not expected to contain any.
    while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "warning: could not unmount $m"
    done < <(awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
}

install_engine() {
    command -v dockerd >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1 && return 0
    [[ "$(id -u)" == 0 ]] || die "dockerd is not installed and installing it needs root"
    say "installing docker.io, containerd and debootstrap from Debian"
    export DEBIAN_FRONTEND=noninteractive
    local pkgs=(docker.io containerd debootstrap)
    if ! apt-get install -y --no-install-recommends "${pkgs[@]}" >&2; then
        apt-get update >&2
        apt-get install -y --no-install-recommends "${pkgs[@]}" >&2
    fi
    command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after apt-get install"
}

cmd_start() {
    if pid_of "$PIDFILE" dockerd >/dev/null; then
        if engine_answers; then
            say "already running (pid $(pid_of "$PIDFILE" dockerd))"
            print_env
            return 0
        fi
        say "dockerd (pid $(pid_of "$PIDFILE" dockerd)) is alive but does not answer yet; waiting"
    else
        [[ "$(id -u)" == 0 ]] || die "starting dockerd needs root"
        local log_offset
        install_engine
        mkdir -p "$DIR" "$DATA" "$EXEC"
        chmod 0711 "$DIR"
        # Leftovers of an engine that died without `stop`.
        rm -f "$PIDFILE" "$SOCK"
        unmount_leftovers
        say "starting dockerd (state in $DIR, log in $LOG)"
        touch "$LOG"
        log_offset="$(stat -c %s "$LOG")"
        # setsid: the daemon must outlive this shell and not get its terminal signals.
        setsid dockerd \
            --host "$HOST_URL" \
            --data-root "$DATA" \
            --exec-root "$EXEC" \
            --pidfile "$PIDFILE" \
            --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
            --bridge=none \
            </dev/null >>"$LOG" 2>&1 &
        disown || true
    fi

    local i log_offset="${log_offset:-0}"
    for ((i = 0; i < START_TIMEOUT * 5; i++)); do
        if engine_answers; then
            say "ready ($(DOCKER_HOST="$HOST_URL" docker version --format 'server {{.Server.Version}}' 2>/dev/null || echo '?'))"
            print_env
            return 0
        fi
        if tail -c "+$((log_offset + 1))" "$LOG" 2>/dev/null | grep -q -E 'failed to start daemon|level=fatal'; then
            tail -c "+$((log_offset + 1))" "$LOG" | tail -n 30 >&2 || true
            die "dockerd exited during startup (see $LOG)"
        fi
        sleep 0.2
    done
    tail -n 30 "$LOG" >&2 || true
    die "dockerd did not answer within ${START_TIMEOUT}s (see $LOG)"
}

cmd_stop() {
    local pid cpid
    # The containerd that dockerd supervises writes its own pidfile under the exec root.
    cpid="$(pid_of "$EXEC/containerd/containerd.pid" containerd || true)"
    if pid="$(pid_of "$PIDFILE" dockerd)"; then
        say "stopping dockerd (pid $pid)"
        kill -TERM "$pid"
        if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
            say "dockerd did not exit within ${STOP_TIMEOUT}s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 10 || die "dockerd (pid $pid) does not die"
        fi
    else
        say "dockerd is not running"
    fi
    if [[ -n "$cpid" ]] && kill -0 "$cpid" 2>/dev/null; then
        say "stopping leftover containerd (pid $cpid)"
        kill -TERM "$cpid" 2>/dev/null || true
        wait_gone "$cpid" 15 || { kill -KILL "$cpid" 2>/dev/null || true; wait_gone "$cpid" 5 || true; }
    fi
    # Container shims of this engine only (matched on this engine's own containerd socket path).
    local p
    for p in /proc/[0-9]*; do
        [[ -r "$p/cmdline" ]] || continue
        if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "containerd-shim.* -address $EXEC/containerd/containerd.sock"; then
            say "killing leftover shim ${p#/proc/}"
            kill -KILL "${p#/proc/}" 2>/dev/null || true
        fi
    done
    unmount_leftovers
    rm -f "$PIDFILE" "$SOCK"
    say "stopped"
}

cmd_status() {
    if pid_of "$PIDFILE" dockerd >/dev/null && engine_answers; then
        echo "running (pid $(pid_of "$PIDFILE" dockerd), DOCKER_HOST=$HOST_URL)"
    else
        echo "stopped"
        return 1
    fi
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) print_env ;;
    *)
        echo "usage: $0 {start|stop|status|env}" >&2
        exit 2
        ;;
esac
