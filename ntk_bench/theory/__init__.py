"""Mean-field theory of deep networks at initialisation (Schoenholz et al. 2017; Xiao et al. 2020).

``mean_field_summary(activation, sigma_w2, sigma_b2)`` gives q*, c*, χ_1, χ_c*, the depth scales ξ_1, ξ_c*,
ξ_* and the ordered-phase NTK limit p* for any registered elementwise activation, by Gaussian quadrature
(:mod:`ntk_bench.theory.gaussian`); :mod:`ntk_bench.theory.closed_forms` holds the erf/ReLU closed forms used
as test oracles.
"""

from ntk_bench.theory.gaussian import (
    gaussian_expectation_1d,
    gaussian_expectation_2d,
    hermite_expectation_1d,
    hermite_expectation_2d,
)
from ntk_bench.theory.mean_field import (
    DEFAULT_PHASE_TOL,
    MeanFieldSummary,
    Phase,
    c_map,
    c_star,
    chi_1,
    chi_c_star,
    critical_sigma_w2,
    depth_scale,
    mean_field_columns,
    mean_field_summary,
    p_star,
    phase,
    phase_from_chi_1,
    q_map,
    q_star,
    xi_1,
    xi_c_star,
    xi_star,
)

__all__ = [
    "DEFAULT_PHASE_TOL",
    "MeanFieldSummary",
    "Phase",
    "c_map",
    "c_star",
    "chi_1",
    "chi_c_star",
    "critical_sigma_w2",
    "depth_scale",
    "gaussian_expectation_1d",
    "gaussian_expectation_2d",
    "hermite_expectation_1d",
    "hermite_expectation_2d",
    "mean_field_columns",
    "mean_field_summary",
    "p_star",
    "phase",
    "phase_from_chi_1",
    "q_map",
    "q_star",
    "xi_1",
    "xi_c_star",
    "xi_star",
]
