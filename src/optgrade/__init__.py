"""optgrade: build, grade and export 'Deep Learning 2019, Assignment 5: Optimization' with Otter."""

from .build import BuildResult, build_assignment
from .container import Limits, grade_in_container
from .errors import BuildError, GradingError, OptgradeError
from .hardened import Bundle
from .project import ASSIGNMENT_NAME, Project
from .results import QuestionScore, SubmissionResult
from .runner import grade_with_otter

__all__ = [
    "ASSIGNMENT_NAME",
    "BuildError",
    "BuildResult",
    "Bundle",
    "GradingError",
    "Limits",
    "OptgradeError",
    "Project",
    "QuestionScore",
    "SubmissionResult",
    "build_assignment",
    "grade_in_container",
    "grade_with_otter",
]
