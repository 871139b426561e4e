from otter.test_files import test_case

OK_FORMAT = False

name = "q3_momentum"
points = None

@test_case(points=0, hidden=False)
def test_q3_momentum_returns_history(sgd_momentum, np):
    history = sgd_momentum(0.5, lambda t: t * np.cos(np.pi * t), lambda t: np.cos(np.pi * t) - np.pi * t * np.sin(np.pi * t), max_iter=3)
    assert len(history) == 3, 'expected 3 history entries for max_iter=3'
    assert all((len(entry) == 5 for entry in history)), 'each entry is (iter, x, momentum, loss, grad)'

