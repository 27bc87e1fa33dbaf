"""``experiment=spectrum``: NTK and NNGP spectra at every depth, with mean-field theory alongside.

Reproduces the per-depth spectra behind Xiao, Pennington & Schoenholz (2020), Figs. 1-2: λ_max, λ_bulk,
κ and the mean predictor P(Θ^l)Y for l = 1..L from one layerwise kernel pass (``ntk_bench.kernels``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.data import load_dataset
from ntk_bench.experiment.checks import depth_grid, parse_experiment
from ntk_bench.kernels import kernels_across_depth
from ntk_bench.model import Network, model_spec_from_config
from ntk_bench.progress import progress
from ntk_bench.results import ExperimentOutput, Results
from ntk_bench.schema import boolean, choice, optional, real, sequence, setting, text
from ntk_bench.spectra import (
    summarize_correlations,
    summarize_mean_predictor,
    summarize_spectrum,
    symmetric_eigh,
)
from ntk_bench.spectra.correlations import CorrelationSummary
from ntk_bench.spectra.eigen import SpectrumSummary
from ntk_bench.spectra.mean_predictor import MeanPredictorSummary
from ntk_bench.theory import mean_field_summary

KERNELS = ("ntk", "nngp")


@dataclass(frozen=True)
class SpectrumConfig:
    """The ``experiment`` group (each key documented in ``conf/experiment/spectrum.yaml``)."""

    name: str = setting(text())
    depths: tuple[int, ...] | None = setting(optional(depth_grid(0, min_len=1)), None)
    kernels: tuple[str, ...] = setting(sequence(choice(KERNELS, "ntk or nngp"), unique=True), list(KERNELS))
    mean_predictor: bool = setting(boolean(), True)
    max_block_bytes: float = setting(real(0, open_minimum=True), 1.0e9)


def spectrum_depths(settings: SpectrumConfig, max_depth: int) -> list[int]:
    """``experiment.depths`` if given, else every depth 1..``model.depth``."""
    return list(range(1, max_depth + 1)) if settings.depths is None else list(settings.depths)


def _series_keys(kernel: str, with_predictor: bool) -> list[str]:
    """The series one depth adds for ``kernel`` (NaN-filled at a divergent depth)."""
    keys = [f"{kernel}/{key}" for key in SpectrumSummary.__dataclass_fields__]
    if with_predictor:
        keys += [f"{kernel}/mean_predictor_{key}" for key in MeanPredictorSummary.__dataclass_fields__]
    return keys


def run_spectrum(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """Spectra per depth for ``cfg.model`` on ``cfg.data`` (figure: ``ntk_bench.report.spectrum``)."""
    settings = parse_experiment(SpectrumConfig, cfg["experiment"])
    spec = model_spec_from_config(cfg["model"])
    kernels = list(settings.kernels)
    data = load_dataset(cfg["data"])
    if not spec.is_convolutional:
        data = data.flat()
    network = Network(spec, len(data.spatial_shape))
    depths = spectrum_depths(settings, spec.depth)
    block_bytes = settings.max_block_bytes
    train = kernels_across_depth(network, data.x_train, None, depths, max_block_bytes=block_bytes)
    with_predictor = settings.mean_predictor
    test = (
        kernels_across_depth(network, data.x_test, data.x_train, depths, max_block_bytes=block_bytes)
        if with_predictor
        else None
    )
    # Xiao et al.'s O(l·(χ_c*/χ_1)^l) decay of P(Θ)Y assumes 1ᵀY = 0: centre the targets over the training
    # set, so the label mean does not couple to Θ's constant mode (which decays only like χ_1^{-l}).
    y_centred = data.y_train - data.y_train.mean(axis=0)
    series: dict[str, list[float]] = {"depth": list(train.depths)}
    eigenvalues = {k: np.full((len(depths), len(data.x_train)), np.nan) for k in kernels}
    # a depth whose kernel holds a NaN/Inf is divergent: its eigenvalues and series stay NaN, and it is listed
    finite = train.finite & (test.finite if test is not None else True)
    for i in progress(range(len(depths)), len(depths), "spectra: depth"):
        correlations = summarize_correlations(train.nngp[i]).to_dict() if finite[i] else {}
        for key in CorrelationSummary.__dataclass_fields__:  # the data geometry left at depth l
            series.setdefault(f"nngp/{key}", []).append(correlations.get(key, float("nan")))
        for kernel in kernels:
            if not finite[i]:
                for key in _series_keys(kernel, test is not None):
                    series.setdefault(key, []).append(float("nan"))
                continue
            decomposition = symmetric_eigh(getattr(train, kernel)[i])
            eigenvalues[kernel][i] = decomposition.eigenvalues
            for key, value in summarize_spectrum(decomposition.eigenvalues).to_dict().items():
                series.setdefault(f"{kernel}/{key}", []).append(value)
            if test is not None:
                probe = summarize_mean_predictor(
                    decomposition, getattr(test, kernel)[i], y_centred, data.labels_test
                )
                for key, value in probe.to_dict().items():
                    series.setdefault(f"{kernel}/mean_predictor_{key}", []).append(value)
    divergent = [int(d) for d, ok in zip(depths, finite, strict=True) if not ok]
    theory = mean_field_summary(spec.activation, spec.sigma_w2, spec.sigma_b2).to_dict()
    # q*, χ_1, ξ: the plain network's mean field; a residual network has no exponential depth scale
    theory["describes_model"] = spec.family.plain_mean_field
    results = Results(
        experiment="spectrum",
        axis="depth",
        series=series,
        summary={
            "theory": theory,
            "n_train": len(data.x_train),
            "n_test": len(data.x_test),
            "divergent_depths": {
                "depths": divergent,
                "reason": "analytic kernel not finite (NaN/Inf); spectra left NaN" if divergent else "",
            },
        },
        arrays={"depths": np.asarray(depths), **{f"{k}_eigenvalues": v for k, v in eigenvalues.items()}},
    )
    return ExperimentOutput(
        results=results,
        histograms={f"{k}/eigenvalues": v for k, v in eigenvalues.items()},
    )
