from otter.test_files import test_case

OK_FORMAT = False

name = "q4_read_data"
points = None

@test_case(points=0, hidden=False)
def test_q4_read_data_shapes(img, gt, np):
    assert np.shape(img) == (1600, 1210, 1), f'img has shape {np.shape(img)}'
    assert np.shape(gt) == (1600, 1210), f'gt has shape {np.shape(gt)}'

