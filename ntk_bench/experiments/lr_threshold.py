"""``experiment=lr_threshold``: gradient descent converges below η_crit = 2|Y|/λ_max and not above.

REFERENCE §5: on the loss ½·mean((f − Y)²) over |Y| = m·k entries, GD with a constant kernel converges iff
η < 2|Y|/λ_max. Two systems are trained with full-batch GD (optax) at η = c·η_crit for each c of ``grid``:

- the kernel predictor: the linear model with the analytic kernel Θ, f_0 = 0, iterated step by step (so
  divergence overflows to Inf/NaN for real); η_crit = 2|Y|/λ_max(Θ);
- finite Flax networks (``seeds`` inits, vmapped over seeds × grid); for each, η_crit = 2|Y|/λ̂_max of its
  own full empirical NTK at init (all m·k outputs, ``trace_axes=()``), the curvature its first
  steps see. At finite width λ̂_max exceeds the analytic λ_max (by ~30% at width 256 with 10 outputs
  here), so both ratios are reported.

Each run is classified from its train losses L_0..L_T:

- ``converged``: finite, L_T < L_0, and the loss never increased from one step to the next (by more than a
  relative 1e-6, above 1e-12·L_0). Below threshold GD contracts every eigenmode, so the loss decreases
  monotonically; above it the top mode grows and the loss turns up within ~ln(L_0/p²)/(4(c − 1)) steps
  (p² = the top mode's share), which sets the resolution for a given ``steps``;
- ``catapult``: finite and L_T < L_0, but the loss increased at some step: the top mode grew until the
  network's own kernel flattened (λ̂_max falls as the mode grows, Lewkowycz et al. 2020) and it converged
  anyway. A linear model cannot do this. (Networks can reach this without the loss ever exceeding L_0 when
  the top mode holds a small share of it; "loss exceeds L_0" would put their threshold ~30% too high.);
- ``diverged``: a non-finite loss (its first step is recorded) or L_T ≥ L_0;
- ``error``: the run raised (recorded; the sweep continues).

The measured threshold is the boundary of ``converged``: bracketed on the grid, then ``refine_steps``
bisections at geometric midpoints (vmapped over seeds for the networks). Reported: threshold/η_crit for the
kernel predictor and, for each network, relative to its own λ̂_max and to the analytic λ_max; and the first c
at which each network diverges outright.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from ntk_bench.dynamics.linearization import critical_learning_rate, kernel_gd_losses
from ntk_bench.dynamics.training import init_seeds, stack_for_runs, train_losses, unstack
from ntk_bench.errors import require
from ntk_bench.experiments.finite_width import (
    analytic_ntk,
    build_model,
    empirical_ntk_for,
    knob_float,
    knob_int,
    knob_list,
    knob_optional_int,
    load_experiment_data,
    model_summary,
    seeds_from,
)
from ntk_bench.report.figures import save_figure
from ntk_bench.results import Results
from ntk_bench.tracking import ExperimentOutput

NAME = "lr_threshold"
STATUS = ("converged", "catapult", "diverged", "error")
CONVERGED, CATAPULT, DIVERGED, ERROR = range(4)
DEFAULT_GRID = (0.5, 0.8, 0.9, 0.95, 1.05, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0)
ACCEPTANCE_TOLERANCE = 0.10
ERROR_FILL = -1.0


RISE_RTOL = 1e-6  # a step-to-step increase counts above this relative size ...
RISE_FLOOR = 1e-12  # ... and only while the loss is above this fraction of L_0 (round-off at convergence)


def classify(losses: np.ndarray) -> np.ndarray:
    """Status code per row of ``losses`` (runs, T + 1); see the module docstring."""
    losses = np.atleast_2d(losses)
    finite = np.all(np.isfinite(losses), axis=1)
    with np.errstate(invalid="ignore"):
        start, end = losses[:, 0], losses[:, -1]
        after, before = losses[:, 1:], losses[:, :-1]
        steps_up = (after > before * (1 + RISE_RTOL)) & (after > RISE_FLOOR * start[:, None])
        rose = np.any(steps_up, axis=1)
        decreased = end < start
    status = np.full(len(losses), DIVERGED)
    status[finite & decreased & ~rose] = CONVERGED
    status[finite & decreased & rose] = CATAPULT
    status[np.any(losses < 0, axis=1)] = ERROR
    return status


def first_nonfinite(losses: np.ndarray) -> np.ndarray:
    """First step with a non-finite loss per run (-1 if none)."""
    bad = ~np.isfinite(np.atleast_2d(losses))
    return np.where(bad.any(axis=1), bad.argmax(axis=1), -1)


def bracket(grid: np.ndarray, status: np.ndarray) -> tuple[float, float]:
    """(last converged c before the first non-converged c, that c); NaN where the grid does not bracket."""
    bad = np.flatnonzero(status != CONVERGED)
    if len(bad) == 0:
        return float(grid[-1]), float("nan")
    first = bad[0]
    return (float(grid[first - 1]) if first > 0 else float("nan")), float(grid[first])


def refine(
    lo: np.ndarray, hi: np.ndarray, steps: int, evaluate: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Bisect each bracket [lo_i, hi_i] ``steps`` times at geometric midpoints; ``evaluate(c)`` gives status
    codes for a vector of c (one per bracket). Brackets with a NaN end are left as they are."""
    lo, hi = lo.copy(), hi.copy()
    ok = np.isfinite(lo) & np.isfinite(hi)
    for _ in range(steps):
        if not ok.any():
            break
        mid = np.where(ok, np.sqrt(np.where(ok, lo * hi, 1.0)), 1.0)
        status = evaluate(mid)
        good = status == CONVERGED
        lo = np.where(ok & good, mid, lo)
        hi = np.where(ok & ~good, mid, hi)
    return lo, hi


def guarded(fn: Callable[[], Any], runs: int, steps: int, errors: list[str]) -> np.ndarray:
    """Losses of a batch of runs. If it raises, the message goes to ``errors``, its rows are filled with
    ``ERROR_FILL`` (a loss is never negative: :func:`classify` reads them as ``error``); the sweep goes on.
    """
    try:
        return np.asarray(fn(), dtype=np.float64)
    except (FloatingPointError, RuntimeError, ValueError) as err:
        errors.append(f"{type(err).__name__}: {err}"[:200])
        return np.full((runs, steps + 1), ERROR_FILL)


def claim_values(kernel_c, k_lo, k_hi, eta_crit, lo, hi, eta_hat, seeds) -> dict[str, Any]:
    """The numbers ``ntk_bench.claims.lr_threshold`` reads, one entry per system: the measured threshold η
    (geometric middle of the final bracket; "diverges" there means "stops converging monotonically", see
    the module docstring), 2|Y|/λ_max of that system, and the bracket's relative width."""
    measured = {"kernel predictor": kernel_c * eta_crit}
    theory = {"kernel predictor": eta_crit}
    resolution = {"kernel predictor": float(k_hi / k_lo - 1)}
    for i, seed in enumerate(seeds):
        label = f"network seed {int(seed)}"
        measured[label] = float(np.sqrt(lo[i] * hi[i]) * eta_hat[i])
        theory[label] = float(eta_hat[i])
        resolution[label] = float(hi[i] / lo[i] - 1)
    return {"eta_crit_measured": measured, "eta_crit_theory": theory, "eta_crit_resolution": resolution}


def run_lr_threshold(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """Sweep η = c·η_crit for the kernel predictor and finite networks; figures into ``job_dir``."""
    exp = cfg["experiment"]
    width = knob_int(exp, "width", 256, 1)
    depth = knob_optional_int(exp, "depth", 1)
    n_seeds = knob_int(exp, "seeds", 3, 1)
    steps = knob_int(exp, "steps", 200, 1)
    refine_steps = knob_int(exp, "refine_steps", 5, 0)
    max_parallel = knob_int(exp, "max_parallel", 64, 1)
    grid = np.asarray(sorted(knob_list(exp, "grid", DEFAULT_GRID, kind=float, minimum=0.0, min_len=2)))
    require(grid[0] > 0, f"experiment.grid={grid.tolist()} must hold numbers > 0")
    momentum = exp.get("momentum")
    if momentum is not None:
        momentum = knob_float(exp, "momentum", None, positive=False, minimum=0.0)
    data = load_experiment_data(cfg)
    seeds = seeds_from(cfg, n_seeds)
    out_dim = data.y_train.shape[1]
    n_targets = data.y_train.size
    errors: list[str] = []

    model = build_model(cfg, data, width=width, depth=depth, out_dim=out_dim)
    x = model.prepare(data.x_train)
    y = jnp.asarray(data.y_train)
    variables0 = init_seeds(model.init, seeds, x)
    ntk = empirical_ntk_for(model, exp, trace_axes=())
    m = data.n_train
    lam_hat = []
    for i in range(n_seeds):
        full = ntk(unstack(variables0, i), x).transpose(0, 2, 1, 3).reshape(m * out_dim, m * out_dim)
        lam_hat.append(float(np.linalg.eigvalsh(0.5 * (full + full.T))[-1]))
    lam_hat = np.asarray(lam_hat)
    eta_hat = np.array([critical_learning_rate(v, n_targets) for v in lam_hat])
    if model.spec is not None:
        k_train = analytic_ntk(model, data, data.x_train)
        kernel_source = "analytic"
    else:
        k_train = np.mean(
            [ntk(unstack(variables0, i), x).trace(axis1=2, axis2=3) / out_dim for i in range(n_seeds)], 0
        )
        kernel_source = "empirical NTK at init, mean over seeds (user module)"
    lam_max = float(np.linalg.eigvalsh(0.5 * (k_train + k_train.T))[-1])
    eta_crit = critical_learning_rate(lam_max, n_targets)

    # Kernel predictor (f_0 = 0).
    zeros = np.zeros_like(data.y_train)

    def kernel_losses(cs: np.ndarray) -> np.ndarray:
        return guarded(
            lambda: kernel_gd_losses(k_train, data.y_train, zeros, cs * eta_crit, steps),
            len(cs),
            steps,
            errors,
        )

    k_losses = kernel_losses(grid)
    k_status = classify(k_losses)
    k_lo, k_hi = bracket(grid, k_status)
    k_lo, k_hi = refine(
        np.array([k_lo]), np.array([k_hi]), refine_steps, lambda c: classify(kernel_losses(c))
    )

    # Finite networks: seeds × grid in one vmapped batch, then per-seed bisection.
    def net_losses(variables: Any, lrs: np.ndarray) -> np.ndarray:
        return guarded(
            lambda: train_losses(model.apply, variables, x, y, lrs, steps, momentum, max_parallel),
            len(lrs),
            steps,
            errors,
        )

    runs = stack_for_runs(variables0, len(grid))
    lrs = (eta_hat[:, None] * grid[None, :]).reshape(-1)  # run = (seed, c): c times the seed's own η_crit
    losses = net_losses(runs, lrs).reshape(n_seeds, len(grid), steps + 1)
    status = np.stack([classify(row) for row in losses])
    brackets = np.array([bracket(grid, s) for s in status])
    lo, hi = refine(
        brackets[:, 0], brackets[:, 1], refine_steps, lambda c: classify(net_losses(variables0, c * eta_hat))
    )
    threshold_c = np.sqrt(lo * hi)
    ratio_own = threshold_c
    ratio_analytic = threshold_c * eta_hat / eta_crit
    kernel_c = float(np.sqrt(k_lo[0] * k_hi[0]))
    diverged_at = [
        float(grid[np.flatnonzero(s == DIVERGED)[0]]) if (s == DIVERGED).any() else float("nan")
        for s in status
    ]
    acceptance = {
        "tolerance": ACCEPTANCE_TOLERANCE,
        "kernel_predictor_ratio": kernel_c,
        "kernel_predictor_pass": bool(abs(kernel_c - 1) <= ACCEPTANCE_TOLERANCE),
        "network_ratio_own_lambda_max": ratio_own.tolist(),
        "network_ratio_analytic_lambda_max": ratio_analytic.tolist(),
        "network_pass_own": bool(np.all(np.abs(ratio_own - 1) <= ACCEPTANCE_TOLERANCE)),
        "network_pass_analytic": bool(np.all(np.abs(ratio_analytic - 1) <= ACCEPTANCE_TOLERANCE)),
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        final_ratio = losses[:, :, -1] / losses[:, :, :1][:, :, 0]
        k_final_ratio = k_losses[:, -1] / k_losses[:, 0]
    series = {
        "c": grid.tolist(),
        "kernel_learning_rate": (grid * eta_crit).tolist(),
        "kernel_status": k_status.tolist(),
        "kernel_final_loss_ratio": k_final_ratio.tolist(),
        "kernel_first_nonfinite_step": first_nonfinite(k_losses).tolist(),
        "net_fraction_converged": np.mean(status == CONVERGED, axis=0).tolist(),
        "net_fraction_catapult": np.mean(status == CATAPULT, axis=0).tolist(),
        "net_fraction_diverged": np.mean(status == DIVERGED, axis=0).tolist(),
    }
    for i, seed in enumerate(seeds):
        series[f"net_status_seed_{seed}"] = status[i].tolist()
        series[f"net_final_loss_ratio_seed_{seed}"] = final_ratio[i].tolist()
        series[f"net_first_nonfinite_step_seed_{seed}"] = first_nonfinite(losses[i]).tolist()
    results = Results(
        experiment=NAME,
        axis="c",
        series=series,
        summary={
            "status_codes": dict(enumerate(STATUS)),
            "lambda_max": lam_max,
            "eta_crit": eta_crit,
            "kernel_source": kernel_source,
            "network_lambda_max_init": lam_hat.tolist(),
            "network_eta_crit_init": eta_hat.tolist(),
            "kernel_threshold_c": kernel_c,
            "kernel_threshold_bracket": [float(k_lo[0]), float(k_hi[0])],
            "network_threshold_c_own": threshold_c.tolist(),
            "network_threshold_c_analytic": ratio_analytic.tolist(),
            "network_threshold_bracket": np.stack([lo, hi], axis=1).tolist(),
            "network_first_diverged_c": diverged_at,
            "acceptance": acceptance,
            "claims": claim_values(kernel_c, k_lo[0], k_hi[0], eta_crit, lo, hi, eta_hat, seeds),
            "errors": errors,
            "width": width,
            "steps": steps,
            "refine_steps": refine_steps,
            "seeds": [int(s) for s in seeds],
            "n_train": data.n_train,
            "out_dim": out_dim,
            "model": model_summary(model),
            "ntk_probes": [p.to_dict() for p in ntk.probes],
        },
        arrays={"grid": grid, "network_losses": losses, "kernel_losses": k_losses},
    )
    title = f"{NAME}: width {width}, depth {depth}, {data.name} m={m}, {steps} GD steps"
    figure = save_figure(
        threshold_figure(grid, final_ratio, k_final_ratio, threshold_c, kernel_c, losses, k_losses, title),
        job_dir / NAME,
    )
    return ExperimentOutput(results=results, figures={NAME: figure})


def threshold_figure(grid, final_ratio, k_final_ratio, threshold_c, kernel_c, losses, k_losses, title):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(18, 4.5))
    colors = {CONVERGED: "tab:green", CATAPULT: "tab:orange", DIVERGED: "tab:red", ERROR: "black"}
    rows = [("kernel", classify(k_losses), kernel_c)] + [
        (f"net seed {i}", classify(losses[i]), threshold_c[i]) for i in range(losses.shape[0])
    ]
    ax = axes[0]
    for r, (_, status, threshold) in enumerate(rows):
        ax.scatter(grid, [r] * len(grid), c=[colors[int(v)] for v in status], s=60, marker="s")
        ax.plot([threshold, threshold], [r - 0.4, r + 0.4], "k-", lw=1.5)
    for code, color in colors.items():
        ax.scatter([], [], c=color, marker="s", label=STATUS[code])
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.axvline(1.0, color="gray", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("c = η / η_crit  (| = measured threshold)")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("status (kernel: analytic λ_max; nets: own λ̂_max at init)", fontsize=9)

    ceiling = 1e16
    ax = axes[1]
    for label, values in [("kernel", k_final_ratio)] + [
        (f"net seed {i}", v) for i, v in enumerate(final_ratio)
    ]:
        finite = np.isfinite(values)
        line = ax.plot(grid[finite], np.clip(values[finite], 1e-16, ceiling), "o-", label=label)[0]
        if (~finite).any():
            ax.plot(grid[~finite], np.full((~finite).sum(), ceiling), "x", color=line.get_color(), ms=9)
    ax.axhline(1.0, color="gray", lw=0.5)
    ax.axvline(1.0, color="gray", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-16, ceiling * 10)
    ax.set_xlabel("c")
    ax.set_ylabel(f"L_T / L_0 (clipped at {ceiling:g}; x = Inf/NaN)")
    ax.legend(fontsize=7)

    ax = axes[2]
    cmap = plt.get_cmap("coolwarm")(np.linspace(0, 1, len(grid)))
    for g, c in enumerate(grid):
        ax.plot(np.clip(losses[0, g], 1e-30, 1e30), color=cmap[g], label=f"c={c:g}")
        ax.plot(np.clip(k_losses[g], 1e-30, 1e30), color=cmap[g], ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylim(1e-10, 1e8)
    ax.set_xlabel("step")
    ax.set_ylabel("train loss (net seed 0 —, kernel ⋯)")
    ax.legend(fontsize=6, ncol=2)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
