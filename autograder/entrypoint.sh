#!/bin/bash
# Entrypoint of the optgrade grader image: grade ONE submission with Otter-Grader's own autograder
# runner, laid out exactly as on Gradescope (/autograder/{source,submission,results}).
#
# Contract (see autograder/README.md):
#   /input/    read-only; exactly one file: the notebook (*.ipynb) or a zip made by grader.export()
#   /output/   writable by uid 10001; receives results.json (Gradescope schema) when Otter wrote one
#   /autograder, /tmp   writable (tmpfs when the root filesystem is --read-only)
#   OPTGRADE_CPUS       CPUs granted to the container (default 1): sets TF/OpenMP/BLAS thread counts
# Exit status: the runner's (0 = graded); 137 = out of memory (--memory), or killed;
#              64 = unusable input; 70 = the container is set up wrongly.
# Everything this script and the runner print goes to stdout/stderr, i.e. the container log only.
set -uo pipefail

AG=/autograder
SRC=/opt/autograder-source
IN=/input
OUT=/output

log() { echo "optgrade-entrypoint: $*" >&2; }
fail() { local code="$1"; shift; log "error: $*"; exit "$code"; }

# --- threads -----------------------------------------------------------------------------------------
# --cpus limits CPU time, not the CPUs a process sees, so TensorFlow/OpenMP/BLAS would start one
# thread per host core. Round OPTGRADE_CPUS up to a whole number >= 1.
cpus="${OPTGRADE_CPUS:-1}"
if [[ "$cpus" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    whole="${cpus%%.*}"
    [[ "$cpus" == *.* && "${cpus#*.}" =~ [1-9] ]] && whole=$((10#$whole + 1))
    threads=$((10#$whole))
    ((threads >= 1)) || threads=1
else
    log "warning: OPTGRADE_CPUS=$cpus is not a number; using 1"
    threads=1
fi
export TF_NUM_INTRAOP_THREADS="$threads" TF_NUM_INTEROP_THREADS="$threads" OMP_NUM_THREADS="$threads"
export OPENBLAS_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
export HOME="${HOME:-/tmp}"

# --- /autograder, as Gradescope lays it out ------------------------------------------------------------
[[ -d "$SRC" && -f "$SRC/run_otter.py" ]] || fail 70 "$SRC/run_otter.py is missing (broken image)"
if ! touch "$AG/.optgrade-write-test" 2>/dev/null; then
    fail 70 "$AG is not writable (run with --tmpfs $AG:rw,exec,size=...)"
fi
rm -f "$AG/.optgrade-write-test"
rm -rf "$AG/source" "$AG/submission" "$AG/results" "$AG/submission_metadata.json" "$AG/__init__.py" \
    || fail 70 "cannot clean $AG"
cp -R "$SRC" "$AG/source" || fail 70 "cannot copy the autograder source"
chmod -R u+w "$AG/source"
mkdir -p "$AG/submission" "$AG/results" || fail 70 "cannot create $AG/submission, $AG/results"
echo '{}' >"$AG/submission_metadata.json" || fail 70 "cannot write submission_metadata.json"

# --- the submission ----------------------------------------------------------------------------------
[[ -d "$IN" ]] || fail 64 "$IN is not mounted"
shopt -s nullglob dotglob
entries=("$IN"/*)
shopt -u nullglob dotglob
((${#entries[@]} == 1)) || fail 64 "$IN must hold exactly one file, found ${#entries[@]}"
subm="${entries[0]}"
[[ -f "$subm" && ! -L "$subm" ]] || fail 64 "$subm is not a regular file"
case "${subm,,}" in
    *.ipynb)
        cp "$subm" "$AG/submission/" || fail 70 "cannot copy $subm"
        ;;
    *.zip)
        python - "$subm" "$AG/submission" <<'PY' || fail 64 "cannot unpack $subm"
import os, stat, sys, zipfile

src, dest = sys.argv[1], sys.argv[2]
MAX_TOTAL = 1 << 30          # uncompressed bytes: refuse zip bombs before they fill the tmpfs
MAX_MEMBERS = 10_000
with zipfile.ZipFile(src) as zf:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        sys.exit(f"too many members ({len(infos)})")
    if sum(i.file_size for i in infos) > MAX_TOTAL:
        sys.exit("uncompressed size too large")
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
            sys.exit(f"unsafe path in zip: {info.filename!r}")
        if stat.S_ISLNK(info.external_attr >> 16):
            sys.exit(f"symlink in zip: {info.filename!r}")
        if not parts:
            continue
        target = os.path.join(dest, *parts)
        if info.is_dir():
            os.makedirs(target, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with zf.open(info) as fin, open(target, "wb") as fout:
            while chunk := fin.read(1 << 20):
                fout.write(chunk)
print(f"unpacked {len(infos)} members", file=sys.stderr)
PY
        ;;
    *)
        fail 64 "unsupported submission $subm (expected .ipynb or .zip)"
        ;;
esac

# --- Otter's runner ----------------------------------------------------------------------------------
# Run in the background so that this shell (PID 1, which ignores signals by default) can pass
# `docker stop`'s SIGTERM on; `docker kill` needs no help.
cd "$AG" || fail 70 "cannot cd to $AG"
oom_kills() { # processes of this container killed by the memory cgroup's OOM killer so far
    local f
    for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do
        [[ -r "$f" ]] && { awk '$1 == "oom_kill" { print $2; exit }' "$f"; return; }
    done
    echo 0
}
oom_before="$(oom_kills)"
log "grading $(basename "$subm") with ${threads} thread(s)"
python "$AG/source/run_otter.py" &
runner=$!
# When the container runs out of memory, the kernel would kill the notebook's kernel (the biggest
# process) and Otter would die with "Kernel died". Make this shell (PID 1; its children keep the
# default score) the OOM killer's first victim instead: the whole container then ends with status 137
# and `docker inspect` shows OOMKilled=true, which is how the launcher recognises a memory bomb.
echo 1000 >/proc/$$/oom_score_adj 2>/dev/null || log "warning: cannot raise oom_score_adj"
trap 'kill -TERM "$runner" 2>/dev/null' TERM INT HUP
status=0
wait "$runner" || status=$?
while kill -0 "$runner" 2>/dev/null; do # `wait` was interrupted by a trapped signal
    status=0
    wait "$runner" || status=$?
done
trap - TERM INT HUP
oom_after="$(oom_kills)"
if [[ "$oom_after" =~ ^[0-9]+$ && "$oom_before" =~ ^[0-9]+$ ]] && ((oom_after > oom_before)); then
    # Some process was OOM-killed but not this shell (should not happen, see above).
    log "a process was killed for lack of memory"
    ((status == 0)) || status=137
fi

# --- results -----------------------------------------------------------------------------------------
if [[ -f "$AG/results/results.json" ]]; then
    if cp "$AG/results/results.json" "$OUT/.results.json.tmp" && mv -f "$OUT/.results.json.tmp" "$OUT/results.json"; then
        log "results.json written (runner exit status $status)"
    else
        log "error: cannot write $OUT/results.json"
        ((status != 0)) || status=70
    fi
else
    log "no results.json produced (runner exit status $status)"
fi
exit "$status"
