"""Scripts that run in the grading containers; standalone (no optgrade imports), mounted read-only.

probe_runner.py: untrusted side, next to the student's code. checker.py: trusted side.
"""
