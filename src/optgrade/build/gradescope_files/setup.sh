#!/usr/bin/env bash
# optgrade's setup for Gradescope and `otter grade` (replaces Otter's): exactly the pinned grading
# environment and the unprivileged user the student's notebook runs as. Nothing else: no compilers,
# no Playwright/Chromium, no LaTeX, no pandoc (the assignment makes no PDFs).
#
# - Python 3.11: the image's own (Debian bookworm: apt's python3), else Miniforge's, as Otter does.
# - /opt/grader: a virtualenv with every package of requirements.lock, `==` and --no-deps, then
#   `pip check`; an /opt/grader that already holds exactly the lock is kept (a prepared image).
# - the user optgrade-student (uid 10002 where free), no home, no shell, no groups.
set -euo pipefail
SOURCE=/autograder/source
ENV=/opt/grader
LOCK="$SOURCE/requirements.lock"
MINIFORGE_URL=${MINIFORGE_URL:-https://github.com/conda-forge/miniforge/releases/download/25.3.1-0/Miniforge3-Linux-$(uname -m).sh}
export DEBIAN_FRONTEND=noninteractive
started=$(date +%s)

apt-get update
apt-get install -y --no-install-recommends ca-certificates
apt-get install -y --no-install-recommends python3.11 python3.11-venv || echo "setup.sh: no python3.11 from apt"

python=""
for candidate in /usr/bin/python3.11 /usr/local/bin/python3.11 /opt/optgrade-python/bin/python3.11; do
    # a final 3.11 release with venv (Ubuntu 22.04's universe has only a 3.11 release candidate)
    if [[ -x "$candidate" ]] && "$candidate" -c 'import sys, venv, ensurepip
sys.exit(sys.version_info.releaselevel != "final")' 2>/dev/null; then python=$candidate; break; fi
done
if [[ -z "$python" ]]; then  # no Python 3.11 from the image or apt: Miniforge's, world-readable in /opt
    # (Ubuntu 22.04, Gradescope's base, has apt's python3.11 only as 3.11.0~rc1, and no wget)
    echo "setup.sh: no final Python 3.11 here; installing Miniforge's from $MINIFORGE_URL"
    command -v wget >/dev/null || apt-get install -y --no-install-recommends wget
    wget -nv "$MINIFORGE_URL" -O /tmp/miniforge.sh
    bash /tmp/miniforge.sh -b -p /opt/miniforge3
    /opt/miniforge3/bin/conda create -y -p /opt/optgrade-python -c conda-forge python=3.11
    rm -rf /tmp/miniforge.sh /opt/miniforge3/pkgs
    python=/opt/optgrade-python/bin/python3.11
fi

lock_holds() {  # every pin of the lock is installed in $ENV at exactly that version
    [[ -x "$ENV/bin/python" ]] && "$ENV/bin/python" - "$LOCK" <<'PY'
import re, sys
from importlib.metadata import PackageNotFoundError, version
wrong = []
for line in open(sys.argv[1]):
    line = re.sub(r"#.*", "", line).strip()
    if line:
        name, pinned = line.split("==")
        try:
            have = version(name)
        except PackageNotFoundError:
            have = None
        if have != pinned:
            wrong.append(f"{name} {have} != {pinned}")
sys.exit(f"not the lock: {wrong[:5]}" if wrong else 0)
PY
}

if lock_holds; then
    echo "setup.sh: $ENV already holds requirements.lock; kept"
else
    rm -rf "$ENV"
    "$python" -m venv "$ENV"
    "$ENV/bin/pip" install --no-cache-dir --no-deps --only-binary=:all: -r "$LOCK"
    lock_holds
fi
"$ENV/bin/pip" check
"$ENV/bin/python" -m ipykernel install --prefix "$ENV" --name python3 --display-name "Python 3 (grader)" >/dev/null
find "$ENV" -perm /022 ! -type l -exec chmod go-w {} + # only what needs it: a chmod of every file would copy the whole venv into a new image layer

if ! id -u optgrade-student >/dev/null 2>&1; then
    uid=10002
    while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do uid=$((uid + 1)); done
    groupadd --gid "$uid" optgrade-student
    useradd --uid "$uid" --gid "$uid" --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin optgrade-student
fi
rm -rf /var/lib/apt/lists/* /root/.cache
echo "setup.sh: done in $(( $(date +%s) - started )) s"
