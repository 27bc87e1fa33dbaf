"""``experiment=xiao2020_pool_depth``: how much deeper CNN-P keeps a data-dependent prediction than CNN-F,
against ξ_*·ln d (Xiao, Pennington & Schoenholz 2020, §5).

In the chaotic phase the NTK's spatial diagonal Θ_αα(x, x) grows like χ_1^l while every off-diagonal entry
(other positions, other inputs) tends to the bounded fixed point q*c*/(1 − χ_c*). The flatten readout
averages the spatial diagonal, so its train kernel's diagonal grows like χ_1^l; global average pooling
averages all d² position pairs, only d of which grow, so its diagonal grows like χ_1^l/d. The data-dependent
mean predictor P(Θ)Ŷ = Θ_xX Θ⁻¹ Ŷ (labels centred over the training set) therefore decays like
l·(χ_c*/χ_1)^l for both, with a prefactor d times larger for CNN-P: rms_P/rms_F → d, and CNN-P reaches any
level ξ_*·ln d layers later (ξ_* = 1/(ln χ_1 − ln χ_c*)).

Measured here on 1-D signals (MNIST-1D resampled by periodic interpolation to each length d, circular
padding) for chaotic σ_w² columns: ln(rms_P/rms_F) along depth, its value at the deepest depth above the
round-off floor against ln d (theory: slope 1, intercept 0), and the extra depth ξ_*·ln(rms_P/rms_F) against
ξ_*·ln d. The kernels come from the heat maps' column loop (:func:`~.maps.compute_maps`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.analysis.depth_scales import ROUNDOFF_FLOOR
from ntk_bench.analysis.slopes import linear_fit
from ntk_bench.data.transforms import resample_signals
from ntk_bench.errors import require
from ntk_bench.experiment.checks import depth_grid, parse_experiment, sigma_grid
from ntk_bench.experiment.xiao2020.config import XiaoAnalysis, XiaoConfig
from ntk_bench.experiment.xiao2020.inputs import load_data
from ntk_bench.experiment.xiao2020.maps import compute_maps
from ntk_bench.experiment.xiao2020.run import model_spec
from ntk_bench.model import Network, require_input_fits
from ntk_bench.progress import progress
from ntk_bench.results import ExperimentOutput, Results
from ntk_bench.schema import integer, optional, real, sequence, setting, text
from ntk_bench.theory import mean_field_columns

MODELS = ("cnn_flatten", "cnn_pool")


@dataclass(frozen=True, kw_only=True)
class PoolDepthConfig:
    """The validated ``experiment`` group (keys: ``conf/experiment/xiao2020_pool_depth.yaml``); the data draw
    is the data group's (the preset sets ``data.n_train``, ``data.n_test``, ``data.stratify``)."""

    name: str = setting(text(), "xiao2020_pool_depth")
    sigma_b2: float | None = setting(optional(real(0)), 0.18)
    sigma_w2: tuple[float, ...] = setting(sigma_grid())
    # signal lengths d: a slope against ln d needs two
    lengths: tuple[int, ...] = setting(sequence(integer(2), min_len=2, increasing=True))
    depths: tuple[int, ...] = setting(depth_grid(0))
    workers: int = setting(integer(1), 2)
    max_block_bytes: float = setting(real(0, open_minimum=True), 1e9)

    def column_config(self) -> XiaoConfig:
        """The heat maps' config for the shared column loop: these σ_w² and depths, the t = ∞ mean
        predictor only (one nominal time), labels as given (the centred-label rms is computed alongside)."""
        return XiaoConfig(
            name=self.name,
            models=MODELS,
            sigma_b2=self.sigma_b2,
            sigma_w2=self.sigma_w2,
            depths=self.depths,
            times=(1.0,),
            lr_factor=1.0,
            allow_above_critical=False,
            predictor="spectral",
            labels=("as_given",),
            crosscheck_cells=0,
            downsample=1,
            workers=self.workers,
            max_block_bytes=self.max_block_bytes,
            line_factor=8.0,
            analysis=XiaoAnalysis(time=1.0, train_threshold=0.5, chance_margin=None),
        )


def parse_pool_depth_config(cfg: Mapping[str, Any]) -> PoolDepthConfig:
    """Validate the ``experiment`` group; every bad value is a one-line :class:`ConfigError`."""
    return parse_experiment(PoolDepthConfig, cfg)


def deepest_resolved(depths: np.ndarray, rms_flat: np.ndarray, rms_pool: np.ndarray) -> int:
    """Index of the deepest depth ≥ 1 where both mean predictors sit above the float64 round-off floor
    (:data:`~ntk_bench.analysis.depth_scales.ROUNDOFF_FLOOR` times their depth-1 value); -1 if none."""
    first = np.flatnonzero(depths >= 1)
    if first.size == 0:
        return -1
    f0, p0 = rms_flat[first[0]], rms_pool[first[0]]
    ok = (depths >= 1) & (rms_flat > ROUNDOFF_FLOOR * f0) & (rms_pool > ROUNDOFF_FLOOR * p0)
    ok &= np.isfinite(rms_flat) & np.isfinite(rms_pool)
    return int(np.flatnonzero(ok)[-1]) if ok.any() else -1


def run_pool_depth(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """CNN-F and CNN-P mean predictors along depth at each signal length and chaotic σ_w²."""
    started = time.perf_counter()
    pc = parse_pool_depth_config(cfg["experiment"])
    xc = pc.column_config()
    specs = {name: model_spec(cfg["model"], name, pc.sigma_b2) for name in MODELS}
    sigma_b2, activation = specs["cnn_pool"].sigma_b2, specs["cnn_pool"].activation
    theory = mean_field_columns(activation, pc.sigma_w2, sigma_b2, workers=pc.workers)
    chaotic = [p == "chaotic" for p in theory["phase"]]
    require(
        all(chaotic),
        f"experiment.sigma_w2={list(pc.sigma_w2)} must be chaotic (χ_1 > 1) for {activation} at"
        f" σ_b²={sigma_b2:g}; phases: {theory['phase']} (critical σ_w² = {theory['critical_sigma_w2']:.3f})",
    )
    data, sizes = load_data(cfg["data"])
    require(
        len(data.spatial_shape) == 1,
        "xiao2020_pool_depth needs 1-D signals (data=mnist1d or synthetic with a 1-D spatial_shape);"
        f" data={data.name} has spatial shape {list(data.spatial_shape)}",
    )
    native = data.spatial_shape[0]
    for length in pc.lengths:  # validate every length before computing any
        for name, spec in specs.items():
            require_input_fits(spec, (length,), data.name, f"{name} at experiment.lengths entry {length}")

    depths = np.asarray(pc.depths, dtype=np.float64)
    shape = (len(pc.lengths), len(pc.sigma_w2), len(pc.depths))
    rms = {name: np.full(shape, np.nan) for name in MODELS}
    timing: dict[str, dict[str, float]] = {}
    for i, length in enumerate(progress(pc.lengths, len(pc.lengths), "xiao2020_pool_depth: lengths")):
        signals = resample_signals(data, length) if length != native else data
        timing[str(length)] = {}
        for name, spec in specs.items():
            maps = compute_maps(Network(spec, 1), signals, xc, sigma_b2, f"{spec.name} d={length}")
            rms[name][i] = maps.stack("mean_predictor_rms")
            timing[str(length)][name] = maps.kernel_s + maps.evaluation_s

    xi_star = theory["xi_star"]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(rms["cnn_pool"] / rms["cnn_flatten"])
    resolved = np.array(
        [
            [
                deepest_resolved(depths, rms["cnn_flatten"][i, s], rms["cnn_pool"][i, s])
                for s in range(shape[1])
            ]
            for i in range(shape[0])
        ]
    )
    deepest = np.array(
        [
            [log_ratio[i, s, resolved[i, s]] if resolved[i, s] >= 0 else np.nan for s in range(shape[1])]
            for i in range(shape[0])
        ]
    )
    log_d = np.log(np.asarray(pc.lengths, dtype=np.float64))
    pooled = linear_fit(np.repeat(log_d, shape[1]), deepest.reshape(-1))
    per_sigma = [linear_fit(log_d, deepest[:, s]).to_dict() for s in range(shape[1])]
    summary: dict[str, Any] = {
        "activation": activation,
        "sigma_b2": sigma_b2,
        "sigma_w2": list(pc.sigma_w2),
        "lengths": list(pc.lengths),
        "native_length": native,
        "n_train": data.n_train,
        "n_test": data.n_test,
        "data_sizes": sizes,
        "xi_star": xi_star.tolist(),
        "xi_c_star": theory["xi_c_star"].tolist(),
        "log_ratio_deepest": deepest.tolist(),
        "log_ratio_depth": [[float(depths[j]) if j >= 0 else math.nan for j in row] for row in resolved],
        "log_d": log_d.tolist(),
        "slope_vs_log_d": {**pooled.to_dict(), "theory_slope": 1.0, "theory_intercept": 0.0},
        "slope_vs_log_d_by_sigma_w2": per_sigma,
        "extra_depth": (deepest * xi_star[None, :]).tolist(),
        "theory_extra_depth": (log_d[:, None] * xi_star[None, :]).tolist(),
        "estimator": (
            "ln(rms_P/rms_F) of the data-dependent mean predictor (labels centred over the training set)"
            " at the deepest depth where both are above the float64 round-off floor;"
            " extra depth = ξ_*·ln(rms_P/rms_F)"
        ),
        "timing_s": {"by_length": timing, "total": time.perf_counter() - started},
    }
    series = {"lengths": [float(v) for v in pc.lengths], "log_d": log_d.tolist()}
    for s, w2 in enumerate(pc.sigma_w2):
        series[f"log_ratio_deepest/sigma_w2={w2:g}"] = deepest[:, s].tolist()
    arrays = {
        "lengths": np.asarray(pc.lengths),
        "sigma_w2": np.asarray(pc.sigma_w2),
        "depths": np.asarray(pc.depths),
        "log_ratio": log_ratio,
        "cnn_flatten/mean_predictor_rms": rms["cnn_flatten"],
        "cnn_pool/mean_predictor_rms": rms["cnn_pool"],
    }
    results = Results(experiment=pc.name, axis="lengths", series=series, summary=summary, arrays=arrays)
    return ExperimentOutput(results=results)
