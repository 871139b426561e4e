#!/usr/bin/env bash
# Run an autograder zip on one submission exactly as Gradescope does, in a local container:
#   scripts/gradescope-local.sh AUTOGRADER_ZIP SUBMISSION OUT_DIR
#
# 1. an image from the project's base image (optgrade-base:bookworm, or OPTGRADE_BASE_IMAGE) with the
#    zip unpacked in /autograder/source, run_autograder copied to /autograder/run_autograder, and the
#    zip's setup.sh run for real (apt, the Python 3.11 virtualenv from requirements.lock, the user).
#    Where that environment comes from (OPTGRADE_GS_ENV):
#      cache  (default when it exists): start from the grader image's build stage
#             (optgrade-grader-build:cache, else optgrade-grader:latest): the base image with
#             Debian's python3 and /opt/grader built from the same lock; setup.sh checks every pin
#             and keeps it (the stage also holds the build machine's extra CA certificates);
#      pip:   nothing prepared; setup.sh pip-installs the lock from PyPI (through the host's extra CA
#             certificates in /usr/local/share/ca-certificates, for an intercepting proxy; ~5 min).
#    Miniforge (setup.sh's fallback for images without Python 3.11) is not needed on bookworm.
#    The image is tagged optgrade-gradescope:<zip digest>-<env> and reused while the zip is unchanged.
# 2. a fresh container from it: the submission copied to /autograder/submission/, then
#    /autograder/run_autograder as root, as Gradescope does; OPTGRADE_GS_MEMORY (default 3g, the
#    memory setting we recommend on Gradescope), OPTGRADE_GS_CPUS (default 1), OPTGRADE_GS_TIMEOUT
#    (seconds, default 1500: Gradescope's own limit is set per assignment).
#    Unlike Gradescope, /tmp is a 1 GB tmpfs (so a notebook filling the disk fills that, not this
#    machine's disk) and the container has at most 2048 processes.
# 3. /autograder/results/results.json (and results.pkl) copied to OUT_DIR, with run_autograder's
#    output in OUT_DIR/run.log (results.json's extra_data holds the isolation the run got and the
#    container's peak memory); the container is removed.
# Exit status: 0 when results.json was copied out, 1 otherwise, 2 for bad usage.
set -euo pipefail

if [[ $# -ne 3 ]]; then
    echo "usage: $0 AUTOGRADER_ZIP SUBMISSION OUT_DIR" >&2
    exit 2
fi
zip=$(realpath "$1"); submission=$(realpath "$2"); out=$3
[[ -f "$zip" && -f "$submission" ]] || { echo "gradescope-local: no such file: $1 or $2" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${DOCKER_HOST:-}" && -S "${OPTGRADE_DOCKER_DIR:-/var/tmp/optgrade-docker}/docker.sock" ]]; then
    export DOCKER_HOST="unix://${OPTGRADE_DOCKER_DIR:-/var/tmp/optgrade-docker}/docker.sock"
fi
base=${OPTGRADE_BASE_IMAGE:-optgrade-base:bookworm}
mode=${OPTGRADE_GS_ENV:-}
cache_image=""
for candidate in optgrade-grader-build:cache optgrade-grader:latest; do
    if docker image inspect "$candidate" >/dev/null 2>&1; then cache_image=$candidate; break; fi
done
[[ -n "$mode" ]] || mode=$([[ -n "$cache_image" ]] && echo cache || echo pip)
docker image inspect "$base" >/dev/null 2>&1 || { echo "gradescope-local: no base image $base (run make images)" >&2; exit 1; }

digest=$( { sha256sum "$zip" | cut -c1-16; docker image inspect --format '{{.Id}}' "$base"
            if [[ $mode == cache ]]; then docker image inspect --format '{{.Id}}' "$cache_image"; fi
          } | sha256sum | cut -c1-16)
image="optgrade-gradescope:$digest-$mode"
lock=/tmp/optgrade-gradescope-build.lock  # one build at a time when tests run several of these at once

build_image() {
    ctx=$(mktemp -d)
    trap 'rm -rf "$ctx"' RETURN
    mkdir "$ctx/source" "$ctx/certs"
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$zip" "$ctx/source"
    if [[ $mode == cache ]]; then
        [[ -n "$cache_image" ]] || { echo "gradescope-local: OPTGRADE_GS_ENV=cache but no grader image" >&2; exit 1; }
        # the build stage is the base image plus Debian's python3 and /opt/grader: starting from it
        # shares its layers (copying the 2.5 GB venv into a new layer took ~3 min)
        prepare="FROM $cache_image
USER root
WORKDIR /
ENTRYPOINT []"
    else
        find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$ctx/certs/" \; 2>/dev/null || true
        prepare="FROM $base
COPY certs/ /usr/local/share/ca-certificates/optgrade-local/
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180"
    fi
    cat > "$ctx/Dockerfile" <<EOF
$prepare
COPY source/ /autograder/source/
RUN mkdir -p /autograder/submission /autograder/results \\
    && cp /autograder/source/run_autograder /autograder/run_autograder && chmod +x /autograder/run_autograder \\
    && (command -v update-ca-certificates >/dev/null && update-ca-certificates || true) \\
    && start=\$(date +%s) && bash /autograder/source/setup.sh \\
    && echo "gradescope-local: setup.sh took \$(( \$(date +%s) - start )) s"
EOF
    echo "gradescope-local: building $image (setup.sh, $mode environment)" >&2
    docker build --network host -t "$image" "$ctx" >&2
}

exec 9>"$lock"
flock 9
docker image inspect "$image" >/dev/null 2>&1 || build_image
flock -u 9

mkdir -p "$out"
name="gradescope-local-$(date +%s)-$$-$RANDOM"
cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
memory=${OPTGRADE_GS_MEMORY:-3g}
docker create --name "$name" --memory "$memory" --memory-swap "$memory" --cpus "${OPTGRADE_GS_CPUS:-1}" \
    --pids-limit 2048 --tmpfs /tmp:rw,exec,size=1g "$image" /autograder/run_autograder >/dev/null
docker cp "$submission" "$name:/autograder/submission/$(basename "$submission")"
status=0
timeout --signal=KILL "${OPTGRADE_GS_TIMEOUT:-1500}" docker start -a "$name" >"$out/run.log" 2>&1 || status=$?
docker kill "$name" >/dev/null 2>&1 || true  # still running only after the timeout
docker cp "$name:/autograder/results/results.json" "$out/results.json" 2>/dev/null || {
    echo "gradescope-local: no results.json (run_autograder exited $status; see $out/run.log)" >&2; exit 1; }
docker cp "$name:/autograder/results/results.pkl" "$out/results.pkl" 2>/dev/null || true
echo "gradescope-local: run_autograder exited $status; results in $out" >&2
