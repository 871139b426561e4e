from otter.test_files import test_case

OK_FORMAT = False

name = "q3_stuck"
points = None

@test_case(points=0, hidden=False)
def test_q3_stuck_is_bool(q3_gd_gets_stuck):
    import numpy
    assert isinstance(q3_gd_gets_stuck, (bool, numpy.bool_)), 'assign True or False'

