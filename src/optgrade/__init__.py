"""optgrade: build, grade and export an Otter assignment (the one a project's optgrade.toml describes).

The names below are imported on first use (PEP 562), so that `import optgrade` and `optgrade
--help` do not pull in Otter, jupytext, nbformat or TensorFlow.
"""

from __future__ import annotations

import importlib

# exported name -> the module that defines it
_EXPORTS = {
    "Assignment": "assignment",
    "BuildError": "errors",
    "BuildResult": "build.steps",
    "Bundle": "bundle",
    "GradingError": "errors",
    "Limits": "limits",
    "OptgradeError": "errors",
    "Project": "project",
    "QuestionScore": "results",
    "SubmissionResult": "results",
    "build_assignment": "build.steps",
    "grade_in_container": "grade.container",
    "grade_with_otter": "grade.runner",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'optgrade' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
