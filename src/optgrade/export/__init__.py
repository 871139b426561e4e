"""Export stage: a class record's scores to the LMS.

- shared.py: what every export shares (grades, manual points, late penalty, joining students);
- canvas.py, moodle.py: the import files of Canvas and Moodle;
- gradescope.py: checks the autograder zip and the results against Gradescope's format.
"""
