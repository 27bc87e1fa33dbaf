"""``experiment=hanin_nica_fluctuations``: the NTK at init is random when depth/width is not small.

Hanin & Nica (2020): for a ReLU network with He initialization, the on-diagonal NTK
Θ̂(x, x) = ‖∇_θ f(x)‖² over many initializations satisfies E[Θ̂²]/E[Θ̂]² ≃ exp(5β) up to constants, with
β = Σ_l 1/n_l = depth/width. The log ratio therefore collapses onto one curve in β across widths and grows
roughly linearly.

Grid: for each width n in ``widths`` and β in ``betas`` the depth is β·n (which must be a whole number, so
that every β is measured at every width and the collapse can be read off at equal β). For each cell,
``samples`` independent inits give Θ̂(x, x) on one input x (the first training example; for a ReLU network
the law of Θ̂(x, x) depends on x only through ‖x‖, as the first layer is rotation invariant), computed as the
squared gradient norm (exactly the empirical NTK diagonal), vmapped over inits in chunks. Reported per cell:
the ratio R = mean(Θ̂²)/mean(Θ̂)², log R with a bootstrap 95% interval, and Var[log Θ̂] (equal to log R for a
log-normal Θ̂; far less noisy); per β: the spread of log R across widths (max − min) next to the bootstrap
half-widths; the growth rate a of ``log R ≈ a β + b`` (OLS over all cells, and per width).

Samples per cell grow geometrically with β, from ``samples`` at the smallest β to ``samples_max_beta`` at the
largest (:func:`samples_for`): Θ̂ is heavy-tailed (≈ log-normal with log-variance ≈ log R), so the relative
variance of the moment estimator of E[Θ̂²], (E[Θ̂⁴]/E[Θ̂²]² − 1)/N, grows exponentially in β. Measured at
β = 1/2: 1000 inits per cell gave log R = 1.60 / 2.04 / 2.53 at widths 16 / 32 / 64, 8000 gave 1.68 / 1.88
/ 1.92 (eighths of those 8000 ranged 1.49-2.22 at width 64): the apparent non-collapse was sampling noise.

Collapse test (:func:`collapse_test`): for every β and every pair of widths the difference of log R is
compared with its bootstrap uncertainty, z = |Δ| / √(s_a² + s_b²), s = the side of each cell's 95% interval
that faces the other value / 1.96 (the intervals of a heavy-tailed estimator are skewed). The largest z must
stay below the normal critical value at level ``alpha`` with a Bonferroni correction over all comparisons;
a width whose curve is shifted by more than its uncertainty fails.

The preset (``conf/experiment/hanin_nica_fluctuations.yaml``) sets the model group to ReLU, σ_w² = 2,
σ_b² = 0 and the standard parameterization (the He-initialised network of the paper); the command line can
change them (``model.activation=erf``), which takes the run outside the formula's domain. The twin keeps
trainable biases (zero at init); in standard parameterization their share of Θ̂ is O(1/width).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ntk_bench.analysis.fluctuations import (
    bootstrap_log_ratio,
    collapse_test,
    facing_stderr,
    moment_ratio,
    slope_stderr,
)
from ntk_bench.analysis.slopes import linear_fit
from ntk_bench.data import load_dataset
from ntk_bench.errors import require
from ntk_bench.experiment.checks import parse_experiment, width_grid
from ntk_bench.experiment.finite_width import build_model, model_summary
from ntk_bench.progress import progress
from ntk_bench.results import ExperimentOutput, Results
from ntk_bench.schema import integer, real, sequence, setting, text
from ntk_bench.theory.hanin_nica import HANIN_NICA_RATE, equal_width_moments, formula_covers

NAME = "hanin_nica_fluctuations"
__all__ = ["collapse_test", "facing_stderr", "run_hanin_nica", "samples_for"]  # helpers re-exported


@dataclass(frozen=True)
class HaninNicaConfig:
    """The ``experiment`` group (each key documented in ``conf/experiment/hanin_nica_fluctuations.yaml``)."""

    name: str = setting(text())
    widths: tuple[int, ...] = setting(width_grid(), [16, 32, 64])
    betas: tuple[float, ...] = setting(sequence(real(0, open_minimum=True)), [0.0625, 0.125, 0.25, 0.5])
    samples: int = setting(integer(2), 1000)
    samples_max_beta: int = setting(integer(2), 4000)
    alpha: float = setting(real(0, 1, open_minimum=True, open_maximum=True), 0.05)
    chunk: int = setting(integer(1), 250)
    bootstrap: int = setting(integer(10), 2000)
    input_index: int = setting(integer(0), 0)

    def __post_init__(self):
        require(
            self.samples_max_beta >= self.samples,
            f"experiment.samples_max_beta={self.samples_max_beta!r} must be an integer >= "
            f"experiment.samples={self.samples}",
        )


def grid_cells(settings: HaninNicaConfig) -> list[tuple[int, int, float]]:
    """(width, depth, β) per cell: widths outer, sorted βs inner, depth = β·width (a whole number >= 1)."""
    cells = []
    for n in settings.widths:
        for beta in sorted(settings.betas):
            depth = beta * n
            require(
                abs(depth - round(depth)) < 1e-9 and round(depth) >= 1,
                f"experiment.betas: β={beta:g} × width {n} = {depth:g} is not a whole depth >= 1; pick betas"
                " that are multiples of 1/min(widths)",
            )
            cells.append((n, int(round(depth)), beta))
    return cells


def ntk_diagonal_and_output_samples(
    model: Any, x: jax.Array, keys: jax.Array, chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """(Θ̂(x, x) = ‖∇_θ f(x)‖², f(x)) (scalar output) for one init per key, vmapped in chunks of ``chunk``."""

    def one(key: jax.Array) -> tuple[jax.Array, jax.Array]:
        variables = model.init(key, x)
        f, grads = jax.value_and_grad(lambda v: jnp.sum(model.apply(v, x)))(variables)
        return sum(jnp.sum(jnp.square(g)) for g in jax.tree_util.tree_leaves(grads)), f

    batched = jax.jit(jax.vmap(one))
    thetas, outputs = [], []
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        if len(part) < chunk:  # pad to one shape (one compilation)
            part = jnp.concatenate([part, jnp.repeat(part[:1], chunk - len(part), axis=0)])
        theta, f = batched(part)
        keep = min(chunk, len(keys) - start)
        thetas.append(np.asarray(theta)[:keep])
        outputs.append(np.asarray(f)[:keep])
    return np.concatenate(thetas), np.concatenate(outputs)


def ntk_diagonal_samples(model: Any, x: jax.Array, keys: jax.Array, chunk: int) -> np.ndarray:
    """Θ̂(x, x) = ‖∇_θ f(x)‖² for one init per key (:func:`ntk_diagonal_and_output_samples`)."""
    return ntk_diagonal_and_output_samples(model, x, keys, chunk)[0]


def samples_for(beta: float, betas: list[float], samples: int, samples_max_beta: int) -> int:
    """Inits for a cell at ``beta``: geometric in β from ``samples`` (smallest β) to ``samples_max_beta``
    (largest β), N(β) = N_0·(N_1/N_0)^{(β − β_0)/(β_1 − β_0)} (module docstring: the estimator's relative
    variance grows exponentially in β)."""
    lo, hi = min(betas), max(betas)
    frac = 0.0 if hi == lo else (beta - lo) / (hi - lo)
    return int(round(samples * (samples_max_beta / samples) ** frac))


def run_hanin_nica(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """E[Θ̂²]/E[Θ̂]² over inits on a depth × width grid against β = depth/width."""
    settings = parse_experiment(HaninNicaConfig, cfg["experiment"])
    widths, betas, samples = settings.widths, sorted(settings.betas), settings.samples
    samples_max_beta, alpha, chunk = settings.samples_max_beta, settings.alpha, settings.chunk
    draws, input_index = settings.bootstrap, settings.input_index
    require(
        not cfg["model"].get("flax_module"), f"{NAME} needs a built-in model (fcn, cnn_flatten, cnn_pool)"
    )
    cells = grid_cells(settings)
    data = load_dataset(cfg["data"])
    require(
        input_index < data.n_train, f"experiment.input_index={input_index} >= data.n_train={data.n_train}"
    )
    base = jax.random.PRNGKey(int(cfg.get("seed", 0)))
    rng = np.random.default_rng(int(cfg.get("seed", 0)))
    ratios, ci, means, stds, thetas, log_var, counts = [], [], [], [], [], [], []
    model, x = None, None
    for i in progress(range(len(cells)), len(cells), f"{NAME}: cell"):
        n, depth, _ = cells[i]
        model = build_model(cfg, data, width=n, depth=depth, out_dim=1)
        x = model.prepare(data.x_train[input_index : input_index + 1])
        count = samples_for(cells[i][2], betas, samples, samples_max_beta)
        keys = jax.random.split(jax.random.fold_in(base, i), count)
        theta = ntk_diagonal_samples(model, x, keys, min(chunk, count))
        thetas.append(theta)
        counts.append(count)
        ratios.append(moment_ratio(theta))
        ci.append(bootstrap_log_ratio(theta, draws, rng))
        means.append(float(np.mean(theta)))
        stds.append(float(np.std(theta, ddof=1)))
        log_var.append(float(np.var(np.log(theta))))
    assert model is not None and x is not None
    log_r = np.log(np.asarray(ratios))
    beta_arr = np.array([c[2] for c in cells])
    width_arr = np.array([c[0] for c in cells])
    input_dim, x_norm2 = int(np.prod(x.shape[1:])), float(np.sum(np.square(np.asarray(x))))
    covered = formula_covers(model_summary(model))
    theory = [equal_width_moments(d, n, input_dim, x_norm2) for n, d, _ in cells] if covered else []
    theory_log_r = np.array([t.log_ratio for t in theory]) if covered else None
    exact_collapse = collapse_test(width_arr, beta_arr, log_r, ci, alpha, expected=theory_log_r)
    slope_se = slope_stderr(beta_arr, ci)
    overall = linear_fit(beta_arr, log_r)
    through_origin = float(np.sum(beta_arr * log_r) / np.sum(beta_arr**2))
    per_width = {
        int(n): linear_fit(beta_arr[width_arr == n], log_r[width_arr == n]).to_dict() for n in widths
    }
    collapse = []
    for beta in betas:
        sel = beta_arr == beta
        half = [(hi - lo) / 2 for (lo, hi), s in zip(ci, sel, strict=True) if s]
        collapse.append(
            {
                "beta": beta,
                "log_ratio_by_width": {
                    int(n): float(v) for n, v in zip(width_arr[sel], log_r[sel], strict=True)
                },
                "spread_log_ratio": float(np.ptp(log_r[sel])),
                "relative_spread_ratio": float(np.ptp(np.exp(log_r[sel])) / np.mean(np.exp(log_r[sel]))),
                "max_bootstrap_half_width": float(max(half)),
                "var_log_theta_by_width": {
                    int(n): float(v) for n, v in zip(width_arr[sel], np.asarray(log_var)[sel], strict=True)
                },
            }
        )
    consistency = collapse_test(width_arr, beta_arr, log_r, ci, alpha)
    spreads = [c["spread_log_ratio"] for c in collapse]
    per_beta_mean = [float(np.mean(log_r[beta_arr == beta])) for beta in betas]
    beta_range = float(np.ptp(per_beta_mean))
    results = Results(
        experiment=NAME,
        axis="cell",
        series={
            "cell": list(range(len(cells))),
            "width": width_arr.tolist(),
            "depth": [c[1] for c in cells],
            "beta": beta_arr.tolist(),
            "ratio": ratios,
            "log_ratio": log_r.tolist(),
            "log_ratio_ci_low": [c[0] for c in ci],
            "log_ratio_ci_high": [c[1] for c in ci],
            "mean_theta": means,
            "std_theta": stds,
            "var_log_theta": log_var,
            "samples": counts,
            # log R − 5β: what the finite (depth, width) adds to the paper's exp(5β) law
            "finite_size_term": (log_r - HANIN_NICA_RATE * beta_arr).tolist(),
            **(
                {
                    "theory_mean": [t.mean for t in theory],
                    "theory_log_ratio": [t.log_ratio for t in theory],
                    "theory_finite_size_term": [t.finite_size_term for t in theory],
                }
                if covered
                else {}
            ),
        },
        summary={
            "growth_rate": overall.to_dict(),
            "growth_rate_through_origin": through_origin,
            "growth_rate_per_width": per_width,
            "hanin_nica_rate": HANIN_NICA_RATE,
            "collapse": collapse,
            "max_spread_log_ratio": float(max(spreads)),
            "collapse_test": consistency,
            # the same pairwise test on log R − (exact log R): the non-collapse the formula predicts removed
            "collapse_test_exact": exact_collapse if covered else None,
            "formula_covered": covered,
            "input_dim": input_dim,
            "x_norm2": x_norm2,
            "claims": {  # read by ntk_bench.claims.hanin_nica
                # largest pairwise |Δ log R|/σ across widths at equal β, and its Bonferroni critical value
                "collapse_max_z": consistency["max_z"],
                "collapse_z_critical": consistency["z_critical"],
                # largest spread across widths at equal β, relative to the range of log R over β (reported)
                "collapse_relative_spread": float(max(spreads)) / beta_range
                if beta_range > 0
                else float("nan"),
                "log_ratio_slope_beta": overall.slope,
                "log_ratio_slope_stderr": slope_se,
            },
            "mean_spread_log_ratio": float(np.mean(spreads)),
            "samples": samples,
            "samples_max_beta": samples_max_beta,
            "input_index": input_index,
            "model": model_summary(model),
        },
        arrays={
            "theta_samples": np.concatenate(thetas),
            "theta_cell": np.repeat(np.arange(len(cells)), counts),
            "widths": width_arr,
            "betas": beta_arr,
        },
    )
    return ExperimentOutput(results=results)  # figure: ntk_bench.report.hanin_nica, from stored results
