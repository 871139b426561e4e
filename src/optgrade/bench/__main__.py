"""`python -m optgrade.bench`: see run.py."""

from .run import main

main()
