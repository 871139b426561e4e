"""The class record kept in OUT_DIR: what is known of every submission ever graded into it.

An OUT_DIR is a class's record, not a scratch folder. Grading into it adds or replaces only the
submissions graded now; the class files are rebuilt from every record:

    OUT_DIR/records/<name>.json   one per submission: key, identity, source, fingerprint, status, scores
    OUT_DIR/results/<name>.json   Gradescope's results schema          (outputs.record writes them)
    OUT_DIR/feedback/<name>.txt   what the student may see
    OUT_DIR/final_grades.csv ...  the class files, rebuilt after every run; a version a run replaces is
                                  kept as final_grades.csv.1, .2, ... (the highest number is the newest)

Records are plain JSON written atomically (a killed run leaves the old file or the new one, never half
of one). One run at a time holds OUT_DIR (a lock file), so two batches cannot interleave their rows.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from ..errors import GradingError
from ..results import OUTCOMES, QuestionScore, SubmissionResult
from ..submissions import Submission, safe_stem

FORMAT = 1
RECORDS = "records"
CLASS_FILES = ("final_grades.csv", "question_stats.csv", "report.png")
_BACKUP = re.compile(r"\.(\d+)$")


@dataclass(frozen=True)
class Entry:
    """One submission's record: enough to rebuild its row without grading it again."""
    submission: Submission
    result: SubmissionResult
    fingerprint: str

    @property
    def is_outcome(self) -> bool:
        """A grade was reached (graded, timeout, crashed, invalid): not a grader fault, not interrupted."""
        return self.result.status in OUTCOMES

    def to_json(self) -> dict:
        s, r = self.submission, self.result
        return {"format": FORMAT, "key": s.key, "name": s.name, "source": s.source, "student": s.student,
                "student_id": s.student_id, "attachment_id": s.attachment_id, "late": s.late,
                "status": r.status, "message": r.message, "seconds": round(r.seconds, 1),
                "scores": {q: [v.earned, v.possible] for q, v in r.scores.items()}, "hints": r.hints,
                "fingerprint": self.fingerprint, "recorded": datetime.now(timezone.utc).isoformat(timespec="seconds")}

    @classmethod
    def from_json(cls, data: dict) -> "Entry":
        submission = Submission(Path(data["source"].split("!", 1)[0]), data["name"], student=data["student"],
                                student_id=data["student_id"], attachment_id=data["attachment_id"],
                                late=bool(data["late"]), key=data["key"], source=data["source"])
        scores = {q: QuestionScore(float(e), float(p)) for q, (e, p) in data["scores"].items()}
        result = SubmissionResult(data["name"], data["status"], scores, message=data["message"],
                                  hints=data.get("hints", {}), seconds=float(data.get("seconds", 0.0)))
        return cls(submission, result, data["fingerprint"])


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _fresh_key(key: str, taken: set[str]) -> str:
    suffix = PurePosixPath(key).suffix
    stem, counter = (key[: -len(suffix)] if suffix else key), 2
    candidate = key
    while candidate in taken:
        candidate, counter = f"{stem}-{counter}{suffix}", counter + 1
    return candidate


class ClassRecord:
    """The records of one OUT_DIR, held (locked) by this process from `open` to `close`."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.entries: dict[str, Entry] = {}  # key -> entry
        self._lock = None

    @classmethod
    def open(cls, out_dir: Path) -> "ClassRecord":
        record = cls(out_dir)
        if (out_dir / "final_grades.csv").exists() and not (out_dir / RECORDS).is_dir():
            raise GradingError(f"{out_dir} holds a final_grades.csv without the class record optgrade keeps "
                               f"({RECORDS}/): it was written by something else or an older optgrade, and grading "
                               "into it could lose those grades; choose another --out-dir")
        for folder in (RECORDS, "results", "feedback"):
            (out_dir / folder).mkdir(parents=True, exist_ok=True)
        record._lock = open(out_dir / ".lock", "w")
        try:
            fcntl.flock(record._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            record._lock.close()
            raise GradingError(f"another `optgrade grade` is writing to {out_dir}; wait for it to finish")
        for path in sorted((out_dir / RECORDS).glob("*.json")):
            try:
                entry = Entry.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as error:
                record.close()
                raise GradingError(f"the class record {path} is unreadable ({error!r}); move it away to regrade "
                                   "that submission")
            record.entries[entry.submission.key] = entry
        return record

    def close(self) -> None:
        if self._lock:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> "ClassRecord":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def place(self, submissions: list[Submission]) -> list[Submission]:
        """The batch's submissions with the keys and output names they have in this record: a file
        graded before (same source) keeps its key and name; a known key keeps its name; a new key gets
        a name no other record uses. Keys stay unique within the batch."""
        by_source = {e.submission.source: e for e in self.entries.values()}
        names = {e.submission.name for e in self.entries.values()}
        batch_keys: set[str] = set()
        placed = []
        for submission in submissions:
            known = by_source.get(submission.source)
            key = known.submission.key if known else submission.key
            if key in batch_keys:
                key = _fresh_key(key, batch_keys | set(self.entries))
            batch_keys.add(key)
            if key in self.entries:
                name = self.entries[key].submission.name
            else:
                name = base = safe_stem(key)
                counter = 2
                while name in names:
                    name, counter = f"{base}-{counter}", counter + 1
                names.add(name)
            placed.append(replace(submission, key=key, name=name))
        return placed

    def current(self, submission: Submission, fingerprint: str) -> Entry | None:
        """The recorded grade of exactly this content, grader and limits, if it is an outcome."""
        entry = self.entries.get(submission.key)
        if entry and entry.fingerprint == fingerprint and entry.is_outcome:
            return entry
        return None

    def store(self, submission: Submission, result: SubmissionResult, fingerprint: str) -> Entry:
        entry = Entry(submission, result, fingerprint)
        _write_atomically(self.out_dir / RECORDS / f"{submission.name}.json",
                          json.dumps(entry.to_json(), indent=1, allow_nan=False).encode("utf-8"))
        self.entries[submission.key] = entry
        return entry

    def rows(self) -> list[Entry]:
        return [self.entries[key] for key in sorted(self.entries)]

    def replace_class_file(self, name: str, write) -> Path | None:
        """Write class file `name` with `write(path)`; when that changes an existing file, the old one
        is kept as `name.N` first (N one more than the highest so far). Returns the backup, if any."""
        target = self.out_dir / name
        handle, temporary = tempfile.mkstemp(dir=self.out_dir, prefix=".", suffix=f"-{name}")  # keeps the extension
        os.close(handle)
        try:
            write(Path(temporary))
            os.chmod(temporary, 0o644)
            backup = None
            if target.exists():
                if target.read_bytes() == Path(temporary).read_bytes():
                    return None
                numbers = [int(m[1]) for p in self.out_dir.glob(f"{name}.*") if (m := _BACKUP.search(p.name))]
                backup = self.out_dir / f"{name}.{max(numbers, default=0) + 1}"
                os.link(target, backup)
            os.replace(temporary, target)
            return backup
        finally:
            Path(temporary).unlink(missing_ok=True)
