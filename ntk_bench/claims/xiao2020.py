"""Claims measured by ``experiment=xiao2020_fcn`` and ``xiao2020_cnn`` (trainability/generalisation heat
maps, REFERENCE §4).

Summary keys the experiment must record (``results.json`` → ``summary.claims``; until it does, these
claims are ``not-run``):

=============================================  ============================================================
key                                            meaning
=============================================  ============================================================
claims.trainable_depth_loglog_slope_xi_1       slope of log(trainable depth) against log ξ_1 over the
                                               ordered-side σ_w² columns (trainable: train accuracy at
                                               the largest t above the chance threshold)
claims.trainable_depth_loglog_slope_xi_1_stderr   its standard error
claims.generalizing_depth_loglog_slope_xi_star  slope of log(generalising depth) against log ξ_* over the
                                               chaotic-side columns (test accuracy above threshold)
claims.generalizing_depth_loglog_slope_xi_star_stderr   its standard error
=============================================  ============================================================
"""

from ntk_bench.claims.papers import XIAO2020
from ntk_bench.claims.summary_keys import summary_claim

EXPERIMENT = ("xiao2020_fcn", "xiao2020_cnn")
_GRID = (
    "The boundary depth is read on a discrete depth grid ({0..9} ∪ {10, 15, …}: ±2.5 layers, i.e. "
    "±10-25% at depths 10-25) and at a finite training time, so proportionality is tested as a log-log "
    "slope of 1 within 0.25 plus twice the fit's standard error."
)

summary_claim(
    id="xiao2020.trainable_depth_xi_1",
    paper=XIAO2020,
    statement="On the ordered side the depth up to which networks train is proportional to ξ_1 = −1/ln χ_1 "
    "(the notebook's dashed line at 8·ξ_1).",
    experiment=EXPERIMENT,
    measured_key="claims.trainable_depth_loglog_slope_xi_1",
    stderr_key="claims.trainable_depth_loglog_slope_xi_1_stderr",
    expected=1.0,
    tolerance=0.25,
    mode="abs",
    conditions="heat-map sweep over σ_w² on the ordered side (χ_1 < 1) and depth",
    expected_text="d log(trainable depth)/d log ξ_1 = 1",
    tolerance_text="absolute 0.25 + 2·stderr",
    justification=_GRID,
)

summary_claim(
    id="xiao2020.generalizing_depth_xi_star",
    paper=XIAO2020,
    statement="On the chaotic side the depth up to which networks generalise is proportional to "
    "ξ_* = 1/(ln χ_1 − ln χ_c*) (the notebook's dashed line at 8·ξ_*).",
    experiment=EXPERIMENT,
    measured_key="claims.generalizing_depth_loglog_slope_xi_star",
    stderr_key="claims.generalizing_depth_loglog_slope_xi_star_stderr",
    expected=1.0,
    tolerance=0.25,
    mode="abs",
    conditions="heat-map sweep over σ_w² on the chaotic side (χ_1 > 1) and depth",
    expected_text="d log(generalising depth)/d log ξ_* = 1",
    tolerance_text="absolute 0.25 + 2·stderr",
    justification=_GRID,
)
