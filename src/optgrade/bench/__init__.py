"""`make bench` (`python -m optgrade.bench`): what grading costs, as paired figures of one sitting.

- run.py: the targets and their measured values; profile.py: the per-phase breakdown;
- class_mix.py: the generated class of realistic submissions.
"""
