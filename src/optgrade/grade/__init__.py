"""Grade stage: a class of submissions through the hardened grader (or `otter run`) into a class
record.

- batch.py: `optgrade grade`: discover, prepare, grade (workers), record, write the class files;
- container.py, engine.py: the Docker sandbox of the one grading path (../probe_check.py) and the
  engine it talks to; runner.py: `otter run` unisolated, and the local sandbox `build` checks with;
- verdicts.py: the trusted cache of expensive checks' verdicts;
- record.py, outputs.py, report.py: the class record, its files and the summaries;
- phases.py: where a grading's time went (`make bench`).
"""
