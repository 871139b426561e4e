"""The one exception base class of optgrade, and its kinds."""


class OptgradeError(Exception):
    """Base class of every error optgrade raises on purpose; the CLI turns it into exit status 1."""


class BuildError(OptgradeError):
    """The assignment could not be built, or the reference solution does not get full marks."""


class GradingError(OptgradeError):
    """The grader itself failed (not a student's submission: those become result rows)."""
