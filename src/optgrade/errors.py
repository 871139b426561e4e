"""The one exception base class of optgrade, and its kinds. Each kind carries the exit status the
CLI ends with (0 ok, 1 failure, 2 usage), so the CLI never has to know which is which."""


class OptgradeError(Exception):
    """Base class of every error optgrade raises on purpose; the CLI turns it into `exit_code`."""

    exit_code = 1


class UsageProblem(OptgradeError):
    """The command was given something it cannot use (a limit the engine would refuse, an unknown
    student): nothing was graded or changed."""

    exit_code = 2


class BuildError(OptgradeError):
    """The assignment could not be built, or the reference solution does not get full marks."""


class GradingError(OptgradeError):
    """The grader itself failed (not a student's submission: those become result rows)."""
