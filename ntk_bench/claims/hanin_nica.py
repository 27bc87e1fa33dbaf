"""Claims measured by ``experiment=hanin_nica_fluctuations`` (finite depth-and-width NTK fluctuations,
REFERENCE §5).

Summary keys the experiment must record (``results.json`` → ``summary.claims``; until it does, these
claims are ``not-run``):

================================  =========================================================================
key                               meaning
================================  =========================================================================
claims.collapse_relative_spread   spread of log(E[Θ̂²]/E[Θ̂]²) across widths at equal β = depth/width,
                                  divided by its range over β (0 = perfect collapse)
claims.log_ratio_slope_beta       fitted slope of log(E[Θ̂²]/E[Θ̂]²) against β
================================  =========================================================================
"""

from ntk_bench.claims.papers import HANIN_NICA2020
from ntk_bench.claims.summary_keys import summary_claim

EXPERIMENT = "hanin_nica_fluctuations"

summary_claim(
    id="hanin_nica.collapse",
    paper=HANIN_NICA2020,
    statement="For ReLU networks at He initialisation, log(E[Θ̂²]/E[Θ̂]²) depends on depth and width only "
    "through β = Σ 1/n_l: curves for different widths collapse onto one curve in β.",
    experiment=EXPERIMENT,
    measured_key="claims.collapse_relative_spread",
    expected=0.0,
    tolerance=0.25,
    mode="le",
    conditions="ReLU, σ_w² = 2, ≥ 2 widths with overlapping β ranges",
    expected_text="spread across widths ≤ 25% of the range over β",
    tolerance_text="absolute 0.25 (relative to the range)",
    justification="The exp(5β) law holds up to constants and O(1/n) corrections that differ between "
    "widths; Monte-Carlo estimates of E[Θ̂²] add sampling noise.",
)

summary_claim(
    id="hanin_nica.growth_with_beta",
    paper=HANIN_NICA2020,
    statement="E[Θ̂²]/E[Θ̂]² ≃ exp(5β) up to constants: the log-ratio grows roughly linearly in β, so the "
    "NTK is random unless depth/width is small.",
    experiment=EXPERIMENT,
    measured_key="claims.log_ratio_slope_beta",
    expected=5.0,
    tolerance=5.0,
    mode="factor",
    conditions="ReLU, σ_w² = 2, β spanning at least [0, 0.5]",
    expected_text="slope of log ratio vs β ≈ 5",
    tolerance_text="within a factor 5",
    justification="'Up to constants': the theorem fixes the exponential growth, not the constant in the "
    "exponent at the widths an experiment can afford; the claim checks the growth is real and of the "
    "right order.",
)
