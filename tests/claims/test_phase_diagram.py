"""experiment=phase_diagram end to end at a small grid; its critical-line claim passes on the run and fails
on broken lines; bad grids are one-line ConfigErrors.

Tolerances: the critical line at σ_b² = 0 (erf) is π/4 to the solver's documented ~1e-7 relative (quadratic
touch, ntk_bench.theory.mean_field.critical_sigma_w2), checked at 1e-6; the claim's own tolerance is
CROSSING_RTOL (1e-6 relative, derived in ntk_bench/claims/phase_diagram.py), so a 0.1% shift fails it.
"""

from __future__ import annotations

import numpy as np
import pytest

from ntk_bench.claims.phase_diagram import bracketed_crossings


def test_bracketing_is_independent_of_the_solver() -> None:
    # relu: χ_1 = σ_w²/2 exactly, so the crossing is 2 whatever σ_b²; a grid point on it is found as is
    assert bracketed_crossings("relu", np.array([1.0, 2.0, 3.0]), 0.0) == [2.0]
    (root,) = bracketed_crossings("relu", np.array([1.5, 2.25]), 0.1)
    assert root == pytest.approx(2.0, rel=1e-14)
