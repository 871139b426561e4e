"""optgrade: build, grade and export 'Deep Learning 2019, Assignment 5: Optimization' with Otter."""

from .build import BuildResult, build_assignment
from .errors import BuildError, GradingError, OptgradeError
from .project import ASSIGNMENT_NAME, Project
from .results import QuestionScore, SubmissionResult
from .runner import grade_with_otter

__all__ = [
    "ASSIGNMENT_NAME",
    "BuildError",
    "BuildResult",
    "GradingError",
    "OptgradeError",
    "Project",
    "QuestionScore",
    "SubmissionResult",
    "build_assignment",
    "grade_with_otter",
]
