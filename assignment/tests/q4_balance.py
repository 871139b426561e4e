from otter.test_files import test_case

OK_FORMAT = False

name = "q4_balance"
points = None

@test_case(points=0, hidden=False)
def test_q4_balance_small(balance, np):
    X = np.arange(10, dtype=float).reshape(10, 1, 1, 1)
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
    X_new, y_new = balance(X, y)
    assert len(X_new) == len(y_new) == 4, '2 separator patches -> 2 of each class'

