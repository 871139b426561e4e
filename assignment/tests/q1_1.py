from otter.test_files import test_case

OK_FORMAT = False

name = "q1_1"
points = None

@test_case(points=0, hidden=False)
def test_q1_1_format(q1_1_labels):
    assert isinstance(q1_1_labels, dict), "q1_1_labels must be a dict like {'A': 'low', ...}"
    keys = sorted((str(k).strip().upper() for k in q1_1_labels))
    assert keys == ['A', 'B', 'C', 'D'], "use exactly the keys 'A', 'B', 'C', 'D'"
    values = sorted((' '.join(str(v).strip().lower().replace('_', ' ').replace('-', ' ').split()) for v in q1_1_labels.values()))
    assert values == ['good', 'high', 'low', 'very high'], 'use each option exactly once'

