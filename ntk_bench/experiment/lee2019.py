"""``experiment=lee2019_linearization``: networks vs their linearization across widths (Lee et al. 2019).

For each width and seed, the Flax network f and its linearization f_lin (``neural_tangents.linearize`` at the
same θ_0) are trained side by side with the same optax optimizer (full-batch ``gd`` and minibatch ``sgd``) on
the MSE loss ½·mean((f − Y)²), at η = ``lr_fraction`` · η_crit with η_crit = 2|Y|/λ_max of the analytic NTK
(for a user module without an analytic kernel, of the seed-0 empirical NTK at init). Every step
records train/test loss of both, ‖f_t − f_t^lin‖ on train and test (absolute and relative to ‖f_t^lin‖), the
relative parameter change per layer and in total, and the distance to the closed-form predictions of the
analytic kernel (gradient flow, and discrete GD with the same step). The empirical NTK Θ̂_t on the
training inputs is evaluated at ``kernel_checkpoints`` evenly spaced steps for ‖Θ̂_t − Θ̂_0‖_F/‖Θ̂_0‖_F.

The width sweep reduces each run to one number per quantity (sup over t for output deviations and
kernel change, the final value for parameter changes, which grow monotonically) and fits log-log
slopes against width: one slope per seed, mean ± 95% t-interval over seeds
(``ntk_bench.analysis.slopes``). The bound of Lee et al. is slope ≤ −½; hidden n×n layers are expected
near −1, first and readout layers near −½.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ntk_bench.analysis.slopes import finite_mean, mean_ci, seed_slope_fit
from ntk_bench.data import load_dataset
from ntk_bench.dynamics.deviation import layer_names, mse_loss, relative_frobenius
from ntk_bench.dynamics.learning_rates import critical_learning_rate, minibatch_critical_learning_rate
from ntk_bench.dynamics.linearization import KernelModel
from ntk_bench.dynamics.training import (
    OPTIMIZERS,
    VECTORIZE,
    OptimizerSpec,
    PairTrainer,
    TrainData,
    flat_kernel_model,
    init_seeds,
    unstack,
)
from ntk_bench.errors import require
from ntk_bench.experiment.checks import parse_experiment, width_grid
from ntk_bench.experiment.finite_width import (
    EmpiricalNTKConfig,
    analytic_ntk,
    build_model,
    empirical_ntk_for,
    model_summary,
    seeds_from,
)
from ntk_bench.kernels.empirical import EmpiricalNTK
from ntk_bench.progress import progress
from ntk_bench.results import ExperimentOutput, Results
from ntk_bench.schema import choice, integer, optional, real, sequence, setting

NAME = "lee2019_linearization"
DEFAULT_WIDTHS = (32, 64, 128, 256, 512)
SUP_METRICS = (
    "dev_train",
    "dev_test",
    "dev_train_rel",
    "dev_test_rel",
    "dev_flow_train",
    "dev_flow_test",
    "dev_lin_flow_train",
    "dev_kgd_train",
    "dev_kgd_test",
    "dev_lin_kgd_train",
)


@dataclass(frozen=True)
class Lee2019Config(EmpiricalNTKConfig):
    """The ``experiment`` group (each key documented in ``conf/experiment/lee2019_linearization.yaml``)."""

    widths: tuple[int, ...] = setting(width_grid(), DEFAULT_WIDTHS)
    seeds: int = setting(integer(1), 3)
    vectorize: str = setting(choice(VECTORIZE), "auto")
    steps: int = setting(integer(1), 60)
    lr_fraction: float = setting(real(0, open_minimum=True), 0.3)
    optimizers: tuple[str, ...] = setting(sequence(choice(OPTIMIZERS), unique=True), ["gd", "sgd"])
    batch_size: int = setting(integer(1), 8)
    momentum: float | None = setting(optional(real(0, 1, open_maximum=True)), None)
    kernel_checkpoints: int = setting(integer(1), 4)
    kernel_points: int | None = setting(optional(integer(2)), None)

    def __post_init__(self):
        require(
            self.steps % self.kernel_checkpoints == 0,
            f"experiment.steps={self.steps} must be a multiple of "
            f"experiment.kernel_checkpoints={self.kernel_checkpoints}",
        )


def run_lee2019(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """Width sweep of network-vs-linearization training (figures: ``ntk_bench.report.lee2019``)."""
    s = parse_experiment(Lee2019Config, cfg["experiment"])
    data = load_dataset(cfg["data"])
    if "sgd" in s.optimizers:
        require(
            s.batch_size <= data.n_train,
            f"experiment.batch_size={s.batch_size} exceeds data.n_train={data.n_train}",
        )
    seeds = seeds_from(cfg, s.seeds)
    out_dim = data.y_train.shape[1]
    n_targets = data.y_train.size
    widths, n_w = s.widths, len(s.widths)
    checkpoint_steps = np.arange(0, s.steps + 1, s.steps // s.kernel_checkpoints)
    per_step: dict[str, dict[str, np.ndarray]] = {o: {} for o in s.optimizers}
    kernel_change = {o: np.full((n_w, s.seeds, len(checkpoint_steps)), np.nan) for o in s.optimizers}
    init_error = np.full((n_w, s.seeds), np.nan)
    lrs, eta_crits, lambda_max, probes, layers_by_width = [], [], [], [], []
    vectorize_probes: list[dict[str, Any]] = []
    analytic_cache: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    kernel_source = "analytic"

    for wi in progress(range(n_w), n_w, f"{NAME}: width"):
        width = widths[wi]
        model = build_model(cfg, data, width=width, out_dim=out_dim)
        x_train, x_test = model.prepare(data.x_train), model.prepare(data.x_test)
        variables0 = init_seeds(model.init, seeds, x_train)
        layers = layer_names(unstack(variables0, 0))
        layers_by_width.append(layers)
        ntk = empirical_ntk_for(model, s)
        probe_x = np.asarray(x_train[: s.kernel_points] if s.kernel_points else x_train)
        theta0 = [ntk(unstack(variables0, i), probe_x) for i in range(s.seeds)]
        if model.spec is not None:
            key = (
                dataclasses.replace(model.spec, width=0)
                if model.spec.parameterization == "ntk"
                else model.spec
            )
            if key not in analytic_cache:
                analytic_cache[key] = (
                    analytic_ntk(model, data, data.x_train),
                    analytic_ntk(model, data, data.x_test, data.x_train),
                )
            k_train, k_test_train = analytic_cache[key]
            for i in range(s.seeds):
                ref = k_train[: len(probe_x), : len(probe_x)]
                init_error[wi, i] = relative_frobenius(theta0[i], ref)
        else:
            kernel_source = "empirical NTK at init (seed 0)"
            k_train = ntk(unstack(variables0, 0), x_train)
            k_test_train = ntk(unstack(variables0, 0), x_test, x_train)
        lam_max = float(np.linalg.eigvalsh(0.5 * (k_train + k_train.T))[-1])
        lambda_max.append(lam_max)
        eta_crit = {"gd": critical_learning_rate(lam_max, n_targets)}
        if "sgd" in s.optimizers:
            eta_crit["sgd"] = minibatch_critical_learning_rate(k_train, s.batch_size, out_dim)
        eta_crits.append(eta_crit)
        lrs.append({opt: s.lr_fraction * eta_crit[opt] for opt in s.optimizers})
        kernel = KernelModel.from_kernels(k_train, k_test_train, data.y_train)
        train_data = TrainData(x_train, jnp.asarray(data.y_train), x_test, jnp.asarray(data.y_test))
        for opt in s.optimizers:
            spec = OptimizerSpec(opt, lrs[-1][opt], s.batch_size if opt == "sgd" else None, s.momentum)
            trainer = PairTrainer(model.apply, train_data, spec, layers, kernel, vectorize=s.vectorize)
            own = (
                own_kernels(model, ntk, variables0, x_train, x_test, data.y_train, s) if opt == "gd" else None
            )
            state = trainer_state0 = trainer.init(variables0, seeds, own)
            chunks = []
            kernel_change[opt][wi, :, 0] = 0.0
            for ci in range(1, len(checkpoint_steps)):
                state, metrics = trainer.advance(state, int(checkpoint_steps[ci] - checkpoint_steps[ci - 1]))
                chunks.append(metrics)
                for i in range(s.seeds):
                    theta = ntk(unstack(state.params, i), probe_x)
                    kernel_change[opt][wi, i, ci] = relative_frobenius(theta, theta0[i])
            chunks.insert(0, initial_metrics(trainer_state0, train_data, list(chunks[-1])))
            vectorize_probes.extend(
                {"width": int(width), "optimizer": opt, **p.to_dict()} for p in trainer.vectorizer.probes
            )
            for metric in chunks[-1]:
                series = np.concatenate([c[metric].reshape(s.seeds, -1) for c in chunks], axis=1)
                per_step[opt].setdefault(metric, np.full((n_w, s.seeds, s.steps + 1), np.nan))[wi] = series
        probes.extend(p.to_dict() for p in ntk.probes)

    depth = model.spec.depth if model.spec is not None else cfg["model"].get("depth")
    results = summarize(s, depth, per_step, kernel_change, checkpoint_steps, init_error, layers_by_width)
    results.summary.update(
        {
            "learning_rate": lrs,
            "eta_crit": eta_crits,
            "lambda_max": lambda_max,
            "lr_fraction": s.lr_fraction,
            "kernel_source": kernel_source,
            "ntk_probes": probes,
            "vectorize": s.vectorize,
            "vectorize_probes": vectorize_probes,
            "model": model_summary(model),
            "n_train": data.n_train,
            "n_test": data.n_test,
            "out_dim": out_dim,
            "seeds": [int(v) for v in seeds],
        }
    )
    return ExperimentOutput(results=results)


def own_kernels(model, ntk, variables0, x_train, x_test, y_train, s: Lee2019Config) -> KernelModel | None:
    """Each seed's full empirical NTK at init over all m·k outputs (the linearization's exact kernel),
    seed-stacked; ``None`` with momentum (the closed forms are those of plain GD)."""
    if s.momentum:
        return None
    full = EmpiricalNTK(
        model.apply, implementation=ntk.resolve(unstack(variables0, 0), x_train), trace_axes=()
    )
    models = []
    for i in range(s.seeds):
        params = unstack(variables0, i)
        models.append(flat_kernel_model(full(params, x_train), full(params, x_test, x_train), y_train))
    return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *models)


def initial_metrics(state: Any, data: TrainData, keys: list[str]) -> dict[str, np.ndarray]:
    """Metrics at t = 0 without a compilation: every model's output is f_0 (net, linearization and kernel
    predictions all start there), so losses are those of f_0 and deviations and parameter changes are 0."""
    train = np.array([float(mse_loss(f, data.y_train)) for f in np.asarray(state.f0_train)])
    test = np.array([float(mse_loss(f, data.y_test)) for f in np.asarray(state.f0_test)])
    out = {}
    for key in keys:
        if key.endswith("loss") or key.endswith("loss_lin"):
            out[key] = train if "train" in key else test
        else:
            out[key] = np.zeros_like(train)
    return out


def diverged_runs(per_step: dict[str, np.ndarray]) -> np.ndarray:
    """(width, seed) runs where the network or its linearization diverged: a non-finite loss, or a final train
    loss above the initial one."""
    out = np.zeros(per_step["train_loss"].shape[:2], dtype=bool)
    for key in ("train_loss", "train_loss_lin"):
        losses = per_step[key]
        out |= ~np.all(np.isfinite(losses), axis=2) | ~(losses[:, :, -1] <= losses[:, :, 0])
    return out


def sweep_values(
    per_step: dict[str, np.ndarray], kernel_change: np.ndarray, layers: list[str]
) -> dict[str, np.ndarray]:
    """One number per (width, seed) and quantity: sup_t of deviations and kernel change, final weight change.

    Diverged runs (:func:`diverged_runs`) are NaN, so the slope fits leave them out.
    """
    bad = diverged_runs(per_step)
    values = {m: np.max(per_step[m], axis=2) for m in SUP_METRICS if m in per_step}
    values["kernel_change"] = np.max(kernel_change, axis=2)
    for name in [*layers, "total"]:
        values[f"weight_change/{name}"] = per_step[f"weight_change/{name}"][:, :, -1]
    values["weight_change_lin/total"] = per_step["weight_change_lin/total"][:, :, -1]
    return {k: np.where(bad, np.nan, v) for k, v in values.items()}


def summarize(
    s: Lee2019Config,
    depth: int | None,
    per_step: dict[str, dict[str, np.ndarray]],
    kernel_change: dict[str, np.ndarray],
    checkpoint_steps: np.ndarray,
    init_error: np.ndarray,
    layers_by_width: list[list[str]],
) -> Results:
    widths = np.asarray(s.widths)
    layers = layers_by_width[-1] if all(lw == layers_by_width[-1] for lw in layers_by_width) else []
    series: dict[str, list[float]] = {"step": list(range(s.steps + 1))}
    arrays: dict[str, np.ndarray] = {
        "widths": widths,
        "checkpoint_steps": checkpoint_steps,
        "init_error": init_error,
    }
    slopes: dict[str, dict[str, Any]] = {}
    sweep: dict[str, dict[str, Any]] = {}
    diverged: dict[str, list[int]] = {}
    for opt in s.optimizers:
        for metric, values in per_step[opt].items():
            arrays[f"{opt}/{metric}"] = values
            for wi, width in enumerate(widths):
                series[f"{opt}/n{width}/{metric}"] = finite_mean(values[wi], axis=0).tolist()
        arrays[f"{opt}/kernel_change"] = kernel_change[opt]
        values = sweep_values(per_step[opt], kernel_change[opt], layers)
        diverged[opt] = diverged_runs(per_step[opt]).sum(axis=1).tolist()
        slopes[opt], sweep[opt] = {}, {}
        for metric, table in values.items():
            fit = seed_slope_fit(widths, table.T)
            slopes[opt][metric] = fit.to_dict()
            mean, half = mean_ci(table, axis=1)
            sweep[opt][metric] = {"mean": mean.tolist(), "ci_half_width": half.tolist()}
    init_fit = seed_slope_fit(widths, init_error.T) if np.isfinite(init_error).any() else None
    claims = claim_values(s, per_step, slopes, layers)
    results = Results(
        experiment=NAME,
        axis="step",
        series=series,
        summary={
            "widths": widths.tolist(),
            "depth": depth,
            "steps": s.steps,
            "optimizers": list(s.optimizers),
            "batch_size": s.batch_size,
            "layers": layers,
            "slopes": slopes,
            "width_sweep": sweep,
            "diverged_seeds_per_width": diverged,
            "init_kernel_error_slope": None if init_fit is None else init_fit.to_dict(),
            "claims": claims,
        },
        arrays=arrays,
    )
    return results


ROUND_OFF = 1e-9  # float64 allowance when comparing the trained linearization with a closed form
SLOPE_LABELS = {
    "dev_train": "sup_t|f - f_lin| train",
    "dev_test": "sup_t|f - f_lin| test",
    "kernel_change": "|dTheta|_F/|Theta|_F",
}


def claim_values(
    s: Lee2019Config,
    per_step: dict[str, dict[str, np.ndarray]],
    slopes: dict[str, dict[str, Any]],
    layers: list[str],
) -> dict[str, Any]:
    """The numbers ``ntk_bench.claims.lee2019`` reads (``summary.claims``).

    Closed form: over every non-diverged GD run, width and step, the largest
    ‖f_t^flow(Θ̂_0) − f_t^lin‖/‖f_t^lin‖ (train and test), where Θ̂_0 is the run's own full empirical NTK;
    its bound is the largest ‖f_t^GD(Θ̂_0) − f_t^flow(Θ̂_0)‖/‖f_t^GD(Θ̂_0)‖ (the Euler discretisation of the
    flow at this step size) plus ``ROUND_OFF``. ``closed_form_gd_max_rel_err`` is the trained linearization
    against the exact discrete-GD closed form (round-off only).
    """
    claims: dict[str, Any] = {
        "deviation_slopes": {},
        "deviation_slopes_stderr": {},
        "weight_change_slopes": {},
    }
    gd = per_step.get("gd", {})
    if "dev_lin_ownflow_train_rel" in gd:
        ok = ~diverged_runs(gd)[:, :, None]

        def largest(*keys: str) -> float:
            values = np.concatenate([np.where(ok, gd[k], np.nan).ravel() for k in keys])
            return float(np.max(values[np.isfinite(values)])) if np.isfinite(values).any() else float("nan")

        claims["closed_form_max_rel_err"] = largest("dev_lin_ownflow_train_rel", "dev_lin_ownflow_test_rel")
        claims["closed_form_rel_err_bound"] = largest(
            "discretization_train_rel", "discretization_test_rel"
        ) + (ROUND_OFF)
        claims["closed_form_gd_max_rel_err"] = largest("dev_lin_owngd_train_rel", "dev_lin_owngd_test_rel")
    for opt, fits in slopes.items():
        # The ≤ −½ bound (Lee et al. 2019, Thm 2.1) is on the output deviation and the kernel change; the
        # per-layer weight changes are reported (first/readout ~ n^{-1/2}, hidden n×n ~ n^{-1}; Lee et al.).
        for metric, label in SLOPE_LABELS.items():
            if metric in fits and np.isfinite(fits[metric]["slope"]):
                claims["deviation_slopes"][f"{label} ({opt})"] = fits[metric]["slope"]
                claims["deviation_slopes_stderr"][f"{label} ({opt})"] = fits[metric]["stderr"]
        for name in [*layers, "total"]:
            fit = fits.get(f"weight_change/{name}")
            if fit is not None:
                claims["weight_change_slopes"][f"dW/W {name} ({opt})"] = fit["slope"]
    return claims
