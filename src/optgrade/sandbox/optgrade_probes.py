"""Helpers for the probe side of hidden tests: turn a student's answer into plain JSON data.

A hidden test in the short form states its probe in one line and then only what it checks:

    def test_q1_1_curve_a(q1_1_labels):
        from optgrade_probes import probed, labels_by_key
        labels = probed(labels_by_key(q1_1_labels))     # the probe: runs with the student's code
        assert labels.get("A") == "high"                # the check: sees only `labels`

`optgrade build` cuts it there (hidden_split.py). Where it runs:
- in the student's kernel on every hardened path: the probe runner installs this module there
  (untrusted, like everything the kernel computes: only the data it returns crosses, and the
  trusted checks judge that);
- in Otter's grading kernel (`otter run`): the zip carries a copy as `files/optgrade_probes.py`,
  which Otter copies next to the notebook and puts on the kernel's path.
`probed` is the JSON round trip the hardened path applies anyway, so a check sees the same data
under `otter run` as in the trusted checker. Nothing here raises on a wrong answer: each helper
returns what it found, and the check decides.
"""

from __future__ import annotations

import json

__all__ = ["boolean", "labels_by_key", "letters", "probed", "words"]


def probed(value):
    """`value` as the trusted checker receives it: through JSON (NaN allowed, as the runner sends it)."""
    return json.loads(json.dumps(value, allow_nan=True))


def words(value) -> str:
    """A free-text label, normalised: lower case, `_` and `-` as spaces, runs of spaces as one."""
    return " ".join(str(value).strip().lower().replace("_", " ").replace("-", " ").split())


def labels_by_key(mapping) -> dict:
    """A dict of labels by letter: keys upper case and stripped, values as `words`."""
    return {str(key).strip().upper(): words(value) for key, value in dict(mapping).items()}


def letters(collection) -> list:
    """A collection of letters (a set, list or string of them), upper case, each once, sorted."""
    return sorted({str(item).strip().upper() for item in collection})


def boolean(answer) -> dict:
    """A yes/no answer: {"type": "bool", "value": True|False} for a bool, a numpy bool or a one-element
    bool array; otherwise the type's name and no value."""
    import numpy as np

    if isinstance(answer, np.ndarray) and answer.dtype == bool and answer.size == 1:
        answer = answer.reshape(-1)[0]
    if isinstance(answer, (bool, np.bool_)):
        return {"type": "bool", "value": bool(answer)}
    return {"type": type(answer).__name__, "value": None}
