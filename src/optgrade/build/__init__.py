"""Build stage: the master (solutions/) becomes the student template (assignment/) and the
autograder zip (autograder/), with the hidden tests cut into probes and checks.

- steps.py: the build's steps in order (`optgrade build`), ending with checking the reference;
- hidden_split.py: each hidden test cut into its probe (untrusted side) and its check (trusted);
- gradescope_zip.py: the zip's own hardened runtime for Gradescope and `otter grade`.
"""
