from otter.test_files import test_case

OK_FORMAT = False

name = "q3_loss"
points = None

@test_case(points=0, hidden=False)
def test_q3_loss_at_zero(loss, grad, np):
    assert np.isclose(float(loss(0.0)), 0.0), 'loss(0) should be 0'
    assert np.isclose(float(grad(0.0)), 1.0), 'grad(0) should be 1'

