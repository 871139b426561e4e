from otter.test_files import test_case

OK_FORMAT = False

name = "q3_sgd"
points = None

@test_case(points=0, hidden=False)
def test_q3_sgd_returns_history(sgd, np):
    history = sgd(0.5, lambda t: t * np.cos(np.pi * t), lambda t: np.cos(np.pi * t) - np.pi * t * np.sin(np.pi * t), max_iter=3)
    assert len(history) == 3, 'expected 3 history entries for max_iter=3'
    assert all((len(entry) == 4 for entry in history)), 'each entry is (iter, x, loss, grad)'

