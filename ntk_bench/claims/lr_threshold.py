"""Claims measured by ``experiment=lr_threshold`` (the critical learning rate, dynamics/learning_rates.py).

Summary keys the experiment must record (``results.json`` → ``summary.claims``; until it does, these
claims are ``not-run``). Every entry is a mapping with one value per system (``kernel predictor``,
``linearized network seed s``, ``network seed s``):

=================================  ========================================================================
key                                meaning
=================================  ========================================================================
claims.eta_crit_measured           constant-kernel systems (kernel predictor, linearized networks): the
                                   largest η at which full-batch GD still converges monotonically (middle
                                   of the final bisection bracket)
claims.eta_crit_resolution         relative width of the final bracket of the search
claims.eta_crit_allowance          resolution + δ_T (the excess above 1 within which T steps may not yet
                                   show the rise: ``analysis.thresholds.detection_bias``)
claims.network_eta_crit_measured   finite networks: the same threshold
claims.network_eta_crit_allowance  resolution + δ_T + the measured kernel motion |λ̂_max(0)/λ̂_max(T) − 1|
claims.network_stability_at_end    c_lo·λ̂_max(T)/λ̂_max(0) = η·λ̂_max(Θ̂_T)/(2|Y|) of the converged run at
                                   the bracket's lower end
claims.network_stability_allowance δ_T of that network
=================================  ========================================================================

No tolerance here is a free number: each allowance is computed per system from the run (see the
justifications), and the fixed base tolerance is 0.
"""

from typing import Any

from ntk_bench.claims.papers import LEE2019
from ntk_bench.claims.summary_keys import summary_claim
from ntk_bench.dynamics.learning_rates import critical_learning_rate
from ntk_bench.results import Run

EXPERIMENT = "lr_threshold"


def eta_crit_expected(run: Run) -> dict[str, float] | None:
    """η_crit = 2·|Y|/λ_max per system, recomputed here (the mean-loss convention of
    ``dynamics/learning_rates.py``) rather than read from what the run wrote: |Y| = n_train·out_dim of its
    data, λ_max its measured top eigenvalues (the analytic kernel's; each network's empirical NTK at init,
    shared by its linearization). None for a run that did not record them."""
    s: dict[str, Any] = run.summary
    if not {"n_train", "out_dim", "lambda_max", "seeds", "network_lambda_max_init"} <= set(s):
        return None
    n_targets = int(s["n_train"]) * int(s["out_dim"])
    out = {"kernel predictor": critical_learning_rate(s["lambda_max"], n_targets)}
    for seed, lam in zip(s["seeds"], s["network_lambda_max_init"], strict=True):
        out[f"linearized network seed {seed}"] = out[f"network seed {seed}"] = critical_learning_rate(
            lam, n_targets
        )
    return out


summary_claim(
    id="lr_threshold.eta_crit",
    paper=LEE2019,
    statement="Gradient descent on the MSE with a constant kernel converges iff η < η_crit = 2/λ_max(Θ) "
    "(the kernel regime of a wide network).",
    experiment=EXPERIMENT,
    measured_key="claims.eta_crit_measured",
    expected_fn=eta_crit_expected,
    stderr_key="claims.eta_crit_allowance",
    stderr_factor=1.0,
    tolerance=0.0,
    mode="rel",
    conditions="any lr_threshold run; systems: the analytic-kernel predictor and each network's "
    "linearization (its own empirical NTK at init, its own f_0)",
    expected_text="η_crit(measured) = 2/λ_max (same loss normalisation)",
    tolerance_text="relative δ_T + the search's relative resolution (both computed per system)",
    justification="Theory, not a chosen number: below η_crit every eigenmode contracts, so the loss is "
    "monotone and the run is classified converged; above 1 + δ_T times η_crit a loss rise within T steps "
    "is guaranteed by the bound in analysis.thresholds.detection_bias (from the top mode's share of "
    "L_0). So the boundary lies in [1, 1 + δ_T]·η_crit, and the bracket adds its own width.",
)

summary_claim(
    id="lr_threshold.network_eta_crit",
    paper=LEE2019,
    statement="A wide network trained by full-batch GD on the MSE converges iff η < 2/λ̂_max of its NTK at "
    "initialisation, up to the kernel's own motion during training.",
    experiment=EXPERIMENT,
    measured_key="claims.network_eta_crit_measured",
    expected_fn=eta_crit_expected,
    stderr_key="claims.network_eta_crit_allowance",
    stderr_factor=1.0,
    tolerance=0.0,
    mode="rel",
    conditions="lr_threshold runs with finite networks (the issue's fixed ±10% against the kernel at init "
    "holds or fails by seed at widths 256-2048: summary.network_threshold_c_own)",
    expected_text="η_crit(measured) = 2|Y|/λ̂_max(Θ̂_0)",
    tolerance_text="relative δ_T + resolution + measured |λ̂_max(0)/λ̂_max(T) − 1| (per network)",
    justification="The constant-kernel statement holds exactly for the linearization (claim "
    "lr_threshold.eta_crit); the network differs from it only through the kernel's motion, which is "
    "measured in the same run (the NTK after training at the largest converging η) rather than assumed: "
    "λ̂_max(0)/λ̂_max(T) − 1 is the threshold shift a kernel that ends at λ̂_max(T) implies. Measured "
    "(depth-2 erf, digits m = 32, seeds 0-2): thresholds 1.12/1.03/1.12 at width 256, 1.11/1.15/1.04 at "
    "512, 1.05/1.02/1.06 at 1024, 1.01/1.03/1.16 at 2048 times 2|Y|/λ̂_max(Θ̂_0), shifts 0.13/0.03/0.12, "
    "0.12/0.18/0.05, 0.06/0.03/0.06, 0.01/0.06/0.16 (not monotone in width), while the linearized "
    "networks give 1.00 and 200 vs 1000 steps gave the same thresholds (not a detection effect). A "
    "threshold off for another reason (a wrong η normalisation, a factor 2, a detection failure) fails.",
)

summary_claim(
    id="lr_threshold.network_stable_at_end",
    paper=LEE2019,
    statement="Gradient descent only settles where it is linearly stable: a network that converged at "
    "step size η ends with η·λ̂_max(Θ̂_T) ≤ 2|Y|.",
    experiment=EXPERIMENT,
    measured_key="claims.network_stability_at_end",
    expected=1.0,
    stderr_key="claims.network_stability_allowance",
    stderr_factor=1.0,
    tolerance=0.0,
    mode="le",
    conditions="lr_threshold runs with finite networks, at the largest converging η of the search",
    expected_text="η·λ̂_max(Θ̂_T)/(2|Y|) ≤ 1",
    tolerance_text="+ δ_T of that network (a slowly growing top mode may not show within T steps)",
    justification="At a zero-residual minimum of ½·mean((f − Y)²) the Hessian's nonzero eigenvalues are "
    "those of Θ̂/|Y|, so GD with η > 2|Y|/λ̂_max(Θ̂_T) would amplify the top mode (the bound Lewkowycz "
    "et al. 2020 find the catapult ends below). The run at the bracket's lower end sits at this edge "
    "(measured 0.97-1.00 at widths 256-2048): it is what explains thresholds above 2|Y|/λ̂_max(Θ̂_0).",
)
