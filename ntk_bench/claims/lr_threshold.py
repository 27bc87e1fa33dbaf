"""Claims measured by ``experiment=lr_threshold`` (the critical learning rate, REFERENCE §5).

Summary keys the experiment must record (``results.json`` → ``summary.claims``; until it does, these
claims are ``not-run``):

===============================  ==========================================================================
key                              meaning
===============================  ==========================================================================
claims.eta_crit_measured         the smallest learning rate at which full-batch GD on MSE diverges, found
                                 by bisection/grid
claims.eta_crit_theory           2/λ_max of the NTK in the same units (neural-tangents' MSE divides the
                                 loss by |Y|: 2·|Y|/λ_max there)
claims.eta_crit_resolution       relative width of the final bracket (or grid step) of the search
===============================  ==========================================================================
"""

from ntk_bench.claims.papers import LEE2019
from ntk_bench.claims.summary_keys import summary_claim

EXPERIMENT = "lr_threshold"

summary_claim(
    id="lr_threshold.eta_crit",
    paper=LEE2019,
    statement="Gradient descent on the MSE of a wide network converges iff η < η_crit = 2/λ_max(Θ).",
    experiment=EXPERIMENT,
    measured_key="claims.eta_crit_measured",
    expected_key="claims.eta_crit_theory",
    stderr_key="claims.eta_crit_resolution",
    stderr_factor=1.0,
    tolerance=0.05,
    mode="rel",
    conditions="any lr_threshold run",
    expected_text="η_crit(measured) = 2/λ_max (same loss normalisation)",
    tolerance_text="relative 0.05 + the search's relative resolution",
    justification="Near η_crit the top mode's factor |1 − η·λ_max| is ≈ 1, so divergence within a finite "
    "number of steps is detected only a few percent above the threshold; finite width moves λ_max by "
    "O(n^{-1/2}).",
)
