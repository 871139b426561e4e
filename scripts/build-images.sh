#!/usr/bin/env bash
# Build the optgrade grader image (optgrade-grader:latest) from autograder/Dockerfile.
#
#   scripts/build-images.sh
#
# Needs a running engine: DOCKER_HOST from the environment, else the one of scripts/docker-engine.sh.
# Steps:
#   1. base image: optgrade-base:bookworm, made with `debootstrap --variant=minbase bookworm` from the
#      Debian mirror apt is configured with, then `docker import` (there is no registry here). Skipped
#      when OPTGRADE_BASE_IMAGE is set (e.g. OPTGRADE_BASE_IMAGE=debian:bookworm-slim on a machine
#      with Docker Hub); OPTGRADE_REBUILD_BASE=1 rebuilds it.
#   2. a temporary build context: Dockerfile, requirements.lock (the image holds no tests: they are
#      mounted into the trusted checker's container at grading time), and the host's
#      extra CA certificates (/usr/local/share/ca-certificates/**/*.crt) in certs/, which only the
#      build stage uses. Nothing of this is written into the repository.
#   3. docker build --force-rm --network host --build-arg BASE=... -t optgrade-grader:latest, then
#      `docker image prune -f` (the legacy builder leaves the ~2.7 GB build stage behind untagged).
#      The build stage is first built and tagged optgrade-grader-build:cache, so the prune keeps it
#      and rebuilds take seconds instead of minutes; OPTGRADE_KEEP_BUILD_STAGE=0 drops it instead
#      (saves ~2.7 GB of disk, but then every build reinstalls the whole environment).
# Other knobs: OPTGRADE_GRADER_IMAGE (tag), OPTGRADE_DEBIAN_MIRROR, OPTGRADE_CA_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_TAG=optgrade-base:bookworm
GRADER_TAG="${OPTGRADE_GRADER_IMAGE:-optgrade-grader:latest}"
BUILD_STAGE_TAG="${GRADER_TAG%%:*}-build:cache"
KEEP_BUILD_STAGE="${OPTGRADE_KEEP_BUILD_STAGE:-1}"
CA_DIR="${OPTGRADE_CA_DIR:-/usr/local/share/ca-certificates}"

cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT

say() { echo "build-images: $*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ -z "${DOCKER_HOST:-}" ]]; then
    eval "$("$ROOT/scripts/docker-engine.sh" env)"
    export DOCKER_HOST
fi
docker info >/dev/null 2>&1 || die "no Docker engine answers at ${DOCKER_HOST} (run: scripts/docker-engine.sh start)"

# The first "deb" URI in apt's configuration that serves the bookworm suite.
apt_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] || continue
        # deb822 stanzas: Types / URIs / Suites
        awk '
            function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ / bookworm /) { print uris; exit } types = uris = suites = "" }
            /^[ \t]*$/ { flush(); next }
            /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
            /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $1 }
            /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
            END { flush() }
        ' "$f"
    done
    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
        awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == "bookworm") print $i }'
}

build_base() {
    local mirror root
    mirror="${OPTGRADE_DEBIAN_MIRROR:-$(apt_mirror | awk 'NR == 1')}"
    [[ -n "$mirror" ]] || die "no Debian bookworm mirror found in apt's configuration (set OPTGRADE_DEBIAN_MIRROR)"
    if ! command -v debootstrap >/dev/null 2>&1; then
        [[ "$(id -u)" == 0 ]] || die "debootstrap is missing"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2
    fi
    root="$(mktemp -d /var/tmp/optgrade-rootfs.XXXXXX)"
    cleanup+=("$root" "$root.log")
    chmod 0755 "$root" # becomes the image's /
    say "debootstrap --variant=minbase bookworm from $mirror"
    local t0=$SECONDS
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
        { tail -n 30 "$root.log" >&2; die "debootstrap failed"; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/tmp/* "$root"/var/log/*.log
    say "importing $BASE_TAG (debootstrap took $((SECONDS - t0)) s)"
    tar -C "$root" --numeric-owner -c . |
        docker import --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --message "debootstrap --variant=minbase bookworm $mirror" - "$BASE_TAG" >/dev/null
    rm -rf "$root" "$root.log"
}

# --- 1. base image ---------------------------------------------------------------------------------
if [[ -n "${OPTGRADE_BASE_IMAGE:-}" ]]; then
    BASE="$OPTGRADE_BASE_IMAGE"
    say "using base image $BASE"
else
    BASE="$BASE_TAG"
    if [[ "${OPTGRADE_REBUILD_BASE:-0}" == 1 ]] || ! docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
        build_base
    else
        say "base image $BASE_TAG exists"
    fi
fi

# --- 2. build context ------------------------------------------------------------------------------
ctx="$(mktemp -d /var/tmp/optgrade-build.XXXXXX)"
cleanup+=("$ctx")
install -m 0644 "$ROOT/autograder/Dockerfile" "$ctx/"
# Without comments, so that editing the lock's header does not invalidate the pip-install layer.
sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$ROOT/autograder/requirements.lock" >"$ctx/requirements.lock"
mkdir -p "$ctx/certs"
ncerts=0
if [[ -d "$CA_DIR" ]]; then
    while IFS= read -r -d '' crt; do
        rel="${crt#"$CA_DIR"/}"
        install -m 0644 "$crt" "$ctx/certs/${rel//\//_}" # flatten sub-folders, keep names unique
        ncerts=$((ncerts + 1))
    done < <(find -L "$CA_DIR" -type f -name '*.crt' -print0)
fi
touch "$ctx/certs/.keep" # COPY certs/ must not fail when there are none
say "context: $ncerts CA certificate(s) for the build stage"

# --- 3. build ------------------------------------------------------------------------------------
say "building $GRADER_TAG (BASE=$BASE)"
t0=$SECONDS
if [[ "$KEEP_BUILD_STAGE" == 1 ]]; then
    # Tag the build stage so that the prune below keeps it as cache: the next build (e.g. after the
    # autograder zip changed) then skips the pip install of TensorFlow & co.
    docker build --force-rm --network host --build-arg "BASE=$BASE" --target build -t "$BUILD_STAGE_TAG" "$ctx" >&2
else
    docker image rm "$BUILD_STAGE_TAG" >/dev/null 2>&1 || true
fi
# The label says what the image was built from; `optgrade grade` refuses an image whose label does not
# match the checkout's Dockerfile and lock (src/optgrade/grade/engine.py, environment_digest).
environment="$(cat "$ctx/Dockerfile" "$ctx/requirements.lock" | sha256sum | cut -d' ' -f1)"
docker build --force-rm --network host --build-arg "BASE=$BASE" --label "org.optgrade.environment=$environment" \
    -t "$GRADER_TAG" "$ctx" >&2
say "built $GRADER_TAG in $((SECONDS - t0)) s"
docker image prune -f >/dev/null
size="$(docker image inspect -f '{{.Size}}' "$GRADER_TAG")"
say "image $GRADER_TAG: $(awk -v b="$size" 'BEGIN { printf "%.2f GB (%.0f bytes)", b / 1e9, b }')"
docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E "^(optgrade-|${GRADER_TAG%%:*})" >&2 || true
