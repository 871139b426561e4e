"""A cache of the trusted checker's expensive verdicts, kept on the grading host.

Training a submitted network (the CNN check) is most of a grading run, and most of a class submits
the same architecture. A check's verdict is a deterministic function of its probe data, the checks'
code (with the helpers they import), the grading data, the grader image and the thread count, so it
can be reused. The key is computed here, on the trusted side, from the probe data itself: a
submission can only ever fill the entry of the data it sent, with the verdict the trusted checker
computed for exactly that data. Nothing of the student's side can reach the cache folder (it is
never mounted into a container), and entries are plain JSON (never unpickled). Only verdicts that
do not depend on the machine's load are kept: passed, or failed by the check's own reasoning (not
a timeout or a crash).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from ..bundle import HELPERS_IN_ZIP
from ..sandbox.checker import expensive_tests, judged_value, read_records

# what the checks may import (a check may also use a probe helper, e.g. to normalise its own values)
CHECK_HELPERS = tuple(Path(__file__).resolve().parents[1] / "sandbox" / Path(name).name for name in HELPERS_IN_ZIP)

ENTRY_FIELDS = ("question", "name", "points", "passed", "message")


def digest(*parts: bytes | str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big") + data)
    return hasher.hexdigest()


class VerdictCache:
    """Verdicts of the expensive checks (those with a longer time budget than the default), by key."""

    def __init__(self, folder: Path, *, salt: str, expensive: dict[str, str]) -> None:
        self.folder = folder
        self.salt = salt
        self.expensive = expensive  # test name -> its question

    @classmethod
    def for_bundle(cls, folder: Path, bundle, *, runtime: str) -> "VerdictCache":
        """`runtime` names what runs the checks (image id, thread settings): part of every key."""
        salt = digest(bundle.checks.read_bytes(), *(helpers.read_bytes() for helpers in CHECK_HELPERS),
                      bundle.autograder_zip.read_bytes(), runtime)
        return cls(folder, salt=salt, expensive=expensive_tests(bundle.constants))

    def key(self, name: str, value) -> str:
        return digest(self.salt, name, json.dumps(value, sort_keys=True, allow_nan=True))

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def lookup(self, probe_stdout: bytes) -> dict[str, dict]:
        """Cached verdicts for the expensive tests of one probe run (the data the checker will read)."""
        import io

        records = read_records(io.StringIO(probe_stdout.decode("utf-8", errors="replace")))
        found = {}
        for name, question in self.expensive.items():
            judged, value = judged_value((records.get(question) or {}).get(name))
            if not judged:
                continue
            try:
                verdict = json.loads(self._path(self.key(name, value)).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(verdict, dict) and set(verdict) == set(ENTRY_FIELDS) and verdict["name"] == name:
                found[name] = verdict
        return found

    def store(self, probe_stdout: bytes, verdicts: list[dict]) -> None:
        """Keep the expensive verdicts that the checker reached by itself (passed, or a failed check)."""
        import io

        records = read_records(io.StringIO(probe_stdout.decode("utf-8", errors="replace")))
        for verdict in verdicts:
            name = verdict.get("name")
            question = self.expensive.get(name)
            judged, value = judged_value((records.get(question) or {}).get(name) if question else None)
            reasoned = verdict.get("passed") is True or str(verdict.get("message", "")).startswith("AssertionError")
            if not (judged and reasoned):
                continue
            path = self._path(self.key(name, value))
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump({field: verdict.get(field) for field in ENTRY_FIELDS}, file)
            os.replace(temporary, path)  # atomic: parallel workers never read half an entry
