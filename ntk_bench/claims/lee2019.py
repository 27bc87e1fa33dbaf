"""Claims measured by ``experiment=lee2019_linearization`` (the kernel regime of wide networks,
Lee et al. 2019).

Summary keys the experiment must record (``results.json`` → ``summary.claims``; until it does, these
claims are ``not-run``):

=========================================  ================================================================
key                                        meaning
=========================================  ================================================================
claims.closed_form_max_rel_err             max over t of ‖f_t^closed − f_t^lin‖/‖f_t^lin‖ between the
                                           gradient-flow closed form (Θ constant) and training the
                                           linearised model, on train and test points
claims.closed_form_rel_err_bound           the bound that comparison is held to (it depends on how the
                                           experiment discretises time; e.g. O(η·λ_max) for Euler steps)
claims.deviation_slopes                    {quantity: fitted log-log slope against width}, e.g.
                                           {"sup_t|f - f_lin|": -0.9, "|dTheta|_F/|Theta|_F": -0.6,
                                           "dW/W layer 0": -0.5, ...}
claims.deviation_slopes_stderr             {quantity: standard error of that slope}
claims.closed_form_gd_max_rel_err          max over t of the trained linearization vs the exact discrete-GD
                                           closed form of its own Θ̂_0 (the claim; round-off only)
claims.weight_change_slopes                {layer: slope of ‖θ_t − θ_0‖/‖θ_0‖} (reported, not claimed)
=========================================  ================================================================
"""

from ntk_bench.claims.papers import LEE2019
from ntk_bench.claims.summary_keys import summary_claim

EXPERIMENT = "lee2019_linearization"

summary_claim(
    id="lee2019.gradient_flow_closed_form",
    paper=LEE2019,
    statement="With a constant kernel, gradient flow on MSE has the closed form f_t = Y + e^{−ηΘt}(f_0 − Y) "
    "(test points: f_0(x) − Θ_xX Θ^{-1}(I − e^{−ηΘt})(f_0 − Y)), which training the linearised model "
    "reproduces.",
    experiment=EXPERIMENT,
    measured_key="claims.closed_form_gd_max_rel_err",
    expected=0.0,
    tolerance=1e-10,
    mode="abs",
    conditions="any lee2019 run (η below η_crit)",
    expected_text="max_t ‖f_t^lin − f_t^closed form‖/‖f_t^lin‖ = 0 for the discrete-GD closed form "
    "f_t = Y + (I − ηΘ̂_0)^t (f_0 − Y) of the run's own Θ̂_0",
    tolerance_text="absolute 1e-10",
    justification="Trained linearization and closed form are the same linear recursion, so they differ by "
    "float64 round-off only: ~t·ε·κ(Θ̂_0) ≲ 1e3·2e-16·1e3 = 2e-10 for the default steps and conditioning "
    "(measured 5.5e-15). The gradient-flow form differs from discrete GD by the Euler error O(η·λ_max), "
    "which is recorded (claims.closed_form_max_rel_err) but is not a test of the theory.",
)

summary_claim(
    id="lee2019.deviation_slopes",
    paper=LEE2019,
    statement="For η < η_crit, sup_t ‖f_t − f_t^lin‖ and the relative NTK change shrink at least like "
    "n^{-1/2} with width n (per-layer weight-change slopes are reported in the run's summary).",
    experiment=EXPERIMENT,
    measured_key="claims.deviation_slopes",
    stderr_key="claims.deviation_slopes_stderr",
    expected=-0.5,
    tolerance=0.0,
    mode="le",
    conditions="a width sweep with ≥ 3 widths per quantity",
    expected_text="fitted log-log slope ≤ −1/2 for output deviation (train, test) and kernel change",
    tolerance_text="2·stderr of the fitted slope",
    justification="The bound is O(n^{-1/2}); small experiments often decay closer to n^{-1}, so the slope "
    "is held to an upper bound, loosened only by the fit's own uncertainty.",
)
