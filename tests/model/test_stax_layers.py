"""The architecture registry: one definition per family, one-line errors, and the ResNet kernel recursion
checked against an independent computation."""

from ntk_bench.model.stax_layers import box_average_method


def test_box_average_method_is_chosen_by_shape():
    assert box_average_method((4, 4)) == "operator"  # 2-D 4×4 full covariance: one 16×16 operator per axis
    assert box_average_method((8,)) == "operator"  # 2-D 8×8 spatial diagonal: an 8×8 operator per axis
    assert box_average_method((8, 8)) == "shifts"  # 2-D 8×8 full covariance: P = 64
    assert box_average_method((40, 40)) == "shifts"  # 1-D d = 40 full covariance: P = 1600
    assert box_average_method((256,)) == "shifts"
