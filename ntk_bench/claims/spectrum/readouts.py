"""Readout claims: CNN-F follows the FCN's rates; CNN-P's pooling shrinks the bulk by about d."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ntk_bench.analysis.spectrum_rates import BULK_RESOLVED
from ntk_bench.claims.core import ClaimResult, check, claim, not_run
from ntk_bench.claims.papers import XIAO2020
from ntk_bench.claims.spectrum.measures import phase_rate
from ntk_bench.claims.spectrum.runs import EXPERIMENT, SpectrumRun, finite_theory, spectrum_runs
from ntk_bench.results import Run

# Spatial positions d of the builtin image/signal datasets (synthetic: prod(data.spatial_shape)).
SPATIAL_POSITIONS = {"digits": 64, "mnist": 784, "fashion_mnist": 784, "cifar10": 1024, "mnist1d": 40}


def paired_runs(
    runs: Sequence[Run], model_a: str, model_b: str
) -> Iterator[tuple[SpectrumRun, SpectrumRun | None]]:
    """(run of model_a, matching run of model_b or None) for every model_a run."""
    views = list(spectrum_runs(runs))
    partners: dict[str, SpectrumRun] = {}
    for v in views:
        if v.model == model_b:
            partners.setdefault(v.pair_key(), v)
    for v in views:
        if v.model == model_a:
            yield v, partners.get(v.pair_key())


@claim(
    id="spectrum.cnn_f_follows_fcn",
    paper=XIAO2020,
    statement="A CNN with a flatten readout (CNN-F, circular padding) has the FCN's depth behaviour: the "
    "same asymptotic rates in every phase.",
    experiment=EXPERIMENT,
    conditions="a cnn_flatten run with circular padding and an fcn run with the same data, φ, σ's and m; "
    "each measures its phase's rate (ordered: κ growth, as spectrum.ordered.kappa_growth; chaotic: "
    "diagonal growth χ̂_1, as spectrum.chi_1_from_trace; critical: κ_∞, as spectrum.critical.kappa_limit)",
    expected="rate(CNN-F)/rate(FCN) = 1",
    tolerance="relative 3%",
    justification="With circular padding every spatial position follows the FCN recursion, so the rates "
    "are equal (measured ratios 0.997-1.001); prefactors depend on the inputs' spatial structure, so values "
    "(κ itself differs by ~7%) are not compared, nor are the chaotic κ and mean predictor, which carry "
    "per-input prefactors for CNNs (see spectrum.chaotic.mean_predictor_decay).",
)
def cnn_f_follows_fcn(runs: Sequence[Run]) -> Iterator[ClaimResult]:
    for cnn, fcn in paired_runs(runs, "cnn_flatten", "fcn"):
        if cnn.padding != "CIRCULAR":
            continue
        if fcn is None:
            yield not_run(cnn.label, "no fcn run with the same data, φ, σ's and m", runs=[cnn.run])
            continue
        rates = [phase_rate(cnn), phase_rate(fcn)]
        problems = [
            f"{name}: {r}"
            for name, r in zip(("cnn_flatten", "fcn"), rates, strict=True)
            if isinstance(r, str)
        ]
        if problems:
            yield not_run(cnn.label, "; ".join(problems), runs=[cnn.run, fcn.run])
            continue
        (rate_c, detail_c), (rate_f, detail_f) = rates  # type: ignore[misc]
        yield check(
            f"{cnn.label} vs fcn",
            rate_c / rate_f if rate_f else math.nan,
            1.0,
            0.03,
            "rel",
            detail=f"CNN-F {rate_c:.5g} ({detail_c}); FCN {rate_f:.5g} ({detail_f})",
            runs=[cnn.run, fcn.run],
        )


# κ_P/κ_F within this factor of d (cnn_p_bulk_smaller): rejects a factor-2 error, admits 0.63-1.2·d.
CNN_P_FACTOR = 1.9


def spatial_positions(data_cfg: dict[str, Any]) -> int | None:
    """d, the number of spatial positions of the dataset's inputs (None if unknown)."""
    name = data_cfg.get("name")
    if name == "synthetic":
        shape = data_cfg.get("spatial_shape")
        return math.prod(int(s) for s in shape) if shape else None
    return SPATIAL_POSITIONS.get(str(name))


@claim(
    id="spectrum.cnn_p_bulk_smaller",
    paper=XIAO2020,
    statement="Global average pooling (CNN-P) averages over the d spatial positions and shrinks the bulk: in "
    "the ordered and critical phases κ is larger than CNN-F's by about d (an order-of-magnitude check: "
    "the factor depends on the inputs' spatial correlations).",
    experiment=EXPERIMENT,
    conditions="a cnn_pool and a cnn_flatten run, both circular padding, with the same data, φ, σ's and m; "
    "ordered or critical phase; compared at the deepest common depth where both bulks are resolvable",
    expected="κ_bulk(CNN-P)/κ_bulk(CNN-F) = d (spatial positions)",
    tolerance="within a factor 1.9",
    justification="'About d' is an order-of-magnitude statement: pooling divides the per-position bulk by d, "
    "but cross-position covariances of the same input do not cancel exactly, so the factor depends on the "
    "inputs' spatial correlations (measured 0.63·d on digits, d = 64, and 0.9-1.2·d on synthetic 1-D "
    "signals, d = 8). 1.9 (was 3) is the widest band that still rejects an exact factor-2 error (2d or d/2) "
    "and admits the measured data dependence (1/0.63 = 1.59); a readout that did not pool gives ~1, outside "
    "it for d ≥ 2, and swapped models give ~1/d.",
)
def cnn_p_bulk_smaller(runs: Sequence[Run]) -> Iterator[ClaimResult]:
    for pool, flat in paired_runs(runs, "cnn_pool", "cnn_flatten"):
        if pool.padding != "CIRCULAR" or pool.phase not in ("ordered", "critical") or not finite_theory(pool):
            continue
        if flat is None or flat.padding != "CIRCULAR":
            yield not_run(
                pool.label, "no circular cnn_flatten run with the same data, φ, σ's and m", runs=[pool.run]
            )
            continue
        d = spatial_positions(pool.run.config.get("data", {}))
        if d is None:
            yield not_run(pool.label, "number of spatial positions unknown for this dataset", runs=[pool.run])
            continue
        common = sorted(set(pool.depths.tolist()) & set(flat.depths.tolist()))
        best = None
        for depth in reversed(common):
            i, j = int(np.flatnonzero(pool.depths == depth)[0]), int(np.flatnonzero(flat.depths == depth)[0])
            values = []
            for v, k in ((pool, i), (flat, j)):
                lam_max, lam_bulk, kappa = v.get("lambda_max"), v.get("lambda_bulk"), v.get("kappa_bulk")
                assert lam_max is not None and lam_bulk is not None and kappa is not None
                values.append((lam_bulk[k] / lam_max[k] >= BULK_RESOLVED and np.isfinite(kappa[k]), kappa[k]))
            if all(ok for ok, _ in values):
                best = (depth, values[0][1], values[1][1])
                break
        if best is None:
            yield not_run(pool.label, "no common depth with both bulks resolvable", runs=[pool.run, flat.run])
            continue
        depth, k_pool, k_flat = best
        yield check(
            f"{pool.label} vs cnn_flatten",
            float(k_pool / k_flat),
            float(d),
            CNN_P_FACTOR,
            "factor",
            detail=f"at depth {depth:.0f}: κ_P = {k_pool:.4g}, κ_F = {k_flat:.4g}, d = {d}",
            runs=[pool.run, flat.run],
        )
