from otter.test_files import test_case

OK_FORMAT = False

name = "q4_patches"
points = None

@test_case(points=0, hidden=False)
def test_q4_patches_small_page(get_images, np):
    page = np.zeros((40, 50, 1))
    truth = np.ones((40, 50))
    X, y = get_images(page, truth, 15, 15, 0.1)
    assert np.shape(X) == (6, 15, 15, 1), f'expected 2 rows x 3 columns of patches, got {np.shape(X)}'
    assert np.shape(y) == (6,)

