from otter.test_files import test_case

OK_FORMAT = False

name = "q4_net"
points = None

@test_case(points=0, hidden=False)
def test_q4_net_builds(get_net):
    model = get_net('glorot_uniform', 'zeros')
    assert tuple(model.output_shape) == (None, 1), f'output shape is {model.output_shape}'

