"""Claims measured by ``experiment=lee2019_linearization`` (the kernel regime of wide networks,
REFERENCE §5).

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
    measured_key="claims.closed_form_max_rel_err",
    expected_key="claims.closed_form_rel_err_bound",
    tolerance=0.0,
    mode="le",
    conditions="any lee2019 run (η below η_crit)",
    expected_text="max_t relative error ≤ the bound the experiment records for its time discretisation",
    tolerance_text="the recorded bound itself",
    justification="The two solve the same linear ODE; the only difference is the time discretisation, "
    "whose error the experiment bounds (e.g. O(η·λ_max) per unit time for Euler steps).",
)

summary_claim(
    id="lee2019.deviation_slopes",
    paper=LEE2019,
    statement="For η < η_crit, sup_t ‖f_t − f_t^lin‖, the relative NTK change and the relative weight change "
    "shrink at least like n^{-1/2} with width n.",
    experiment=EXPERIMENT,
    measured_key="claims.deviation_slopes",
    stderr_key="claims.deviation_slopes_stderr",
    expected=-0.5,
    tolerance=0.0,
    mode="le",
    conditions="a width sweep with ≥ 3 widths per quantity",
    expected_text="fitted log-log slope ≤ −1/2 for each quantity and layer",
    tolerance_text="2·stderr of the fitted slope",
    justification="The bound is O(n^{-1/2}); small experiments often decay closer to n^{-1}, so the slope "
    "is held to an upper bound, loosened only by the fit's own uncertainty.",
)
