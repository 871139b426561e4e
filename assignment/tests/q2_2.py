from otter.test_files import test_case

OK_FORMAT = False

name = "q2_2"
points = None

@test_case(points=0, hidden=False)
def test_q2_2_format(q2_2_true_statements):
    letters = [str(s).strip().upper() for s in q2_2_true_statements]
    assert all((s in {'A', 'B', 'C', 'D'} for s in letters if s)), "use only the letters 'A'-'D'"

