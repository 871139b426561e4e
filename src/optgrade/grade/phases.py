"""Where a hardened grading's time went, for `make bench`'s profile; never used for a grade."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..scoring import ProbeRun

if TYPE_CHECKING:
    from .container import Finished


def phase_times(probe: Finished, checked: Finished, *, shown_from: float = 1.0, waited: float = 0.0
                ) -> dict[str, float]:
    """Seconds by phase, in order: the student container (what its runner reports inside it: its
    start, the kernel's, the notebook's cells and the probes; cells of `shown_from` s or more by
    name), then the checker container (its start, each check of `shown_from` s or more, the rest).
    `waited`: how long a warm checker ran before the probe data came (overlapped with the student's)."""
    times = {"student container (start to end)": round(probe.seconds, 3)}
    reported: dict[str, float] = {}
    for event in ProbeRun(stdout=probe.stdout, exit_code=probe.exit_code).events():
        if event["event"] == "timing" and isinstance(event.get("seconds"), (int, float)):
            reported[str(event.get("what"))[:80]] = float(event["seconds"])
    cells = {k: v for k, v in reported.items() if k.startswith("cell ")}
    probes = sum(v for k, v in reported.items() if k.startswith("probes after"))
    times.update({f"  student: {k}": v for k, v in reported.items() if k not in cells and not k.startswith("probes")})
    times[f"  student: {len(cells)} notebook cells"] = round(sum(cells.values()), 3)
    times.update({f"    of which {k}": v for k, v in cells.items() if v >= shown_from})
    times["  student: the probes after the cells"] = round(probes, 3)
    inside = sum(v for k, v in times.items() if k.startswith("  student:"))
    times["  student: the rest (container, interpreter, imports, exit)"] = round(probe.seconds - inside, 3)
    if waited:
        times["checker container, warm: started with the student's (overlapped)"] = round(waited, 3)
        times["checker container (probe data to end)"] = round(checked.seconds - waited, 3)
    else:
        times["checker container (start to end)"] = round(checked.seconds, 3)
    for line in checked.stdout.decode("utf-8", errors="replace").splitlines():
        try:
            done = json.loads(line)
        except ValueError:
            continue
        if isinstance(done, dict) and done.get("done") is True and isinstance(done.get("seconds"), dict):
            checks = {str(k): float(v) for k, v in done["seconds"].items()}
            before = {k: v for k, v in checks.items() if waited and k.startswith("checker ")}
            checks = {k: v for k, v in checks.items() if k not in before}
            slow = {k: v for k, v in checks.items() if v >= shown_from or k.startswith("checker start")}
            times.update({f"  overlapped: {k}": v for k, v in before.items()})
            times.update({f"  check: {k}": v for k, v in slow.items()})
            times[f"  check: the other {len(checks) - len(slow)} checks"] = round(
                sum(v for k, v in checks.items() if k not in slow), 3)
            times["  check: the rest (container, interpreter, exit)"] = round(
                checked.seconds - waited - sum(checks.values()), 3)
    return times
