"""The infinite-width maps: analytic NTKs of every (σ_w², depth) cell and their kernel-regression outcome.

One layerwise pass per σ_w² column (:class:`~ntk_bench.kernels.KernelPass`: σ is a traced argument, so one
compilation serves the whole grid; columns run on ``experiment.workers`` threads); each label convention is
evaluated from the same kernels (:func:`~ntk_bench.dynamics.kernel_regression.evaluate_depths`).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ntk_bench.blas import single_threaded_blas
from ntk_bench.data import Dataset
from ntk_bench.dynamics.kernel_regression import DepthEvaluation, evaluate_depths
from ntk_bench.experiment.xiao2020.config import XiaoConfig
from ntk_bench.experiment.xiao2020.inputs import with_labels
from ntk_bench.kernels import kernel_pass
from ntk_bench.model import Network
from ntk_bench.progress import progress


@dataclass
class ModelMaps:
    """One architecture's outcome on the whole grid: per label convention, one DepthEvaluation per σ_w²;
    ``ntk_diagonal`` / ``ntk_offdiagonal``: (S, D) means of the train NTK's diagonal and off-diagonal
    entries (the chaotic phase's limits: χ_1^l growth and q*c*/(1 − χ_c*))."""

    name: str
    columns: dict[str, list[DepthEvaluation]]
    ntk_diagonal: np.ndarray
    ntk_offdiagonal: np.ndarray
    kernel_s: float
    evaluation_s: float

    def stack(self, field: str, convention: str | None = None) -> np.ndarray:
        columns = self.columns[convention or next(iter(self.columns))]
        return np.stack([getattr(c, field) for c in columns])


def crosscheck_cells(count: int, columns: int, depths: int) -> dict[int, tuple[int, ...]]:
    """``count`` (column, depth) cells spread along the grid's diagonal, as {column: depth indices}."""
    cells: dict[int, set[int]] = {}
    for c in range(count):
        frac = c / (count - 1) if count > 1 else 0.0
        cells.setdefault(round(frac * (columns - 1)), set()).add(round(frac * (depths - 1)))
    return {s: tuple(sorted(d)) for s, d in cells.items()}


def diagonal_means(ntk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(D,) means of the diagonal and of the off-diagonal entries of each (m, m) kernel of ``ntk``."""
    m = ntk.shape[-1]
    diagonal = np.einsum("dii->d", ntk) / m
    off = (ntk.sum(axis=(-2, -1)) - diagonal * m) / max(m * (m - 1), 1)
    return diagonal, off


def compute_maps(network: Network, data: Dataset, xc: XiaoConfig, sigma_b2: float, label: str) -> ModelMaps:
    """Kernels of every σ_w² column (one layerwise pass each) and their kernel-regression evaluation."""
    shared_pass = kernel_pass(network)
    cross = crosscheck_cells(xc.crosscheck_cells, len(xc.sigma_w2), len(xc.depths))
    labelled = {convention: with_labels(data, convention) for convention in xc.labels}

    def column(s: int):
        w2 = xc.sigma_w2[s]
        start = time.perf_counter()
        options = {"max_block_bytes": xc.max_block_bytes}
        train = shared_pass.across_depth(data.x_train, None, xc.depths, w2, sigma_b2, **options)
        test = shared_pass.across_depth(data.x_test, data.x_train, xc.depths, w2, sigma_b2, **options)
        middle = time.perf_counter()
        evaluations = {
            convention: evaluate_depths(
                train.ntk,
                test.ntk,
                d.y_train,
                d.labels_train,
                d.labels_test,
                xc.times,
                lr_factor=xc.lr_factor,
                predictor=xc.predictor,
                crosscheck=cross.get(s, ()) if convention == xc.labels[0] else (),
            )
            for convention, d in labelled.items()
        }
        return evaluations, diagonal_means(train.ntk), middle - start, time.perf_counter() - middle

    count = len(xc.sigma_w2)
    # one BLAS thread per worker: the column threads fill the cores, and oversubscribed OpenBLAS threads
    # stall the small eigendecompositions (ntk_bench.blas)
    with single_threaded_blas():
        outputs = [column(0)]  # compiles the block/readout functions once, before the threads share them
        if count > 1:
            with ThreadPoolExecutor(max_workers=xc.workers) as pool:
                rest = pool.map(column, range(1, count))
                outputs += list(progress(rest, count - 1, f"xiao2020 {label}: σ_w² columns"))
    return ModelMaps(
        label,
        {convention: [o[0][convention] for o in outputs] for convention in xc.labels},
        ntk_diagonal=np.stack([o[1][0] for o in outputs]),
        ntk_offdiagonal=np.stack([o[1][1] for o in outputs]),
        kernel_s=float(sum(o[2] for o in outputs)),
        evaluation_s=float(sum(o[3] for o in outputs)),
    )
