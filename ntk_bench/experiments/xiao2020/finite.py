"""The finite-width check of the heat maps: real stax networks on a subsampled grid, vmapped over σ_w² and
seeds (:mod:`ntk_bench.dynamics.finite_training`), against the infinite-width prediction at the same η and
steps (:mod:`ntk_bench.analysis.agreement`)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from ntk_bench.analysis.agreement import agreement_by_width, relative_output_error
from ntk_bench.architectures import Network
from ntk_bench.data import Dataset
from ntk_bench.dynamics.finite_training import FiniteTrainer
from ntk_bench.dynamics.kernel_regression import accuracy, critical_learning_rate, discrete_gd, gradient_flow
from ntk_bench.experiments.xiao2020.config import XiaoConfig
from ntk_bench.kernels import kernel_pass
from ntk_bench.spectra import symmetric_eigh


def finite_check(
    spec, data: Dataset, xc: XiaoConfig, sigma_b2: float, spatial_ndim: int
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Finite-width networks vs the infinite-width prediction at the same η and steps (discrete GD)."""
    fc = xc.finite
    start = time.perf_counter()
    shared_pass = kernel_pass(Network(spec, spatial_ndim))
    b_count, d_count, t_count = len(fc.sigma_w2), len(fc.depths), len(fc.steps)
    eta = np.empty((b_count, d_count))
    ref = {"train": [], "test": []}
    flow = {"train": np.empty((b_count, d_count, t_count)), "test": np.empty((b_count, d_count, t_count))}
    for b, w2 in enumerate(fc.sigma_w2):
        train_k = shared_pass.across_depth(data.x_train, None, fc.depths, w2, sigma_b2).ntk
        test_k = shared_pass.across_depth(data.x_test, data.x_train, fc.depths, w2, sigma_b2).ntk
        ref_train, ref_test = [], []
        for d in range(d_count):
            decomposition = symmetric_eigh(train_k[d])
            eta[b, d] = fc.lr_factor * critical_learning_rate(decomposition.eigenvalues[0])
            f_train, f_test = discrete_gd(decomposition, data.y_train, eta[b, d], fc.steps, test_k[d])
            ref_train.append(f_train)
            ref_test.append(f_test)
            g_train, g_test = gradient_flow(decomposition, data.y_train, eta[b, d], fc.steps, test_k[d])
            flow["train"][b, d] = accuracy(g_train, data.labels_train)
            flow["test"][b, d] = accuracy(g_test, data.labels_test)
        ref["train"].append(np.stack(ref_train))
        ref["test"].append(np.stack(ref_test))
    ref_train, ref_test = np.stack(ref["train"]), np.stack(ref["test"])  # (B, Dd, T, n, C)
    kernel_s = time.perf_counter() - start

    shape = (len(fc.widths), b_count, d_count, len(fc.seeds), t_count)
    acc = {"train": np.empty(shape), "test": np.empty(shape)}
    error = np.empty(shape)
    diverged = np.zeros(shape[:4], dtype=bool)
    train_s = {}
    for w, width in enumerate(fc.widths):
        network = Network(dataclasses.replace(spec, width=width), spatial_ndim, out_dim=data.num_classes)
        tic = time.perf_counter()
        for d, depth in enumerate(fc.depths):
            run = FiniteTrainer(network, depth, center=fc.center).run(
                data.x_train, data.y_train, data.x_test, fc.sigma_w2, sigma_b2, eta[:, d], fc.seeds, fc.steps
            )
            acc["train"][w, :, d] = accuracy(run.train, data.labels_train)
            acc["test"][w, :, d] = accuracy(run.test, data.labels_test)
            both_finite = np.concatenate([run.train, run.test], axis=-2)
            both_ref = np.concatenate([ref_train[:, d], ref_test[:, d]], axis=-2)[:, None]
            error[w, :, d] = relative_output_error(both_finite, both_ref)
            diverged[w, :, d] = run.diverged
        train_s[str(width)] = time.perf_counter() - tic
    ref_acc = {
        "train": accuracy(ref_train, data.labels_train),  # (B, Dd, T)
        "test": accuracy(ref_test, data.labels_test),
    }
    diff = np.stack(
        [acc[split] - ref_acc[split][None, :, :, None, :] for split in ("train", "test")], axis=1
    )  # (W, 2, B, Dd, R, T)
    scores = agreement_by_width(fc.widths, diff, error, fc.tolerance)
    summary = {
        **scores,
        "sigma_w2": list(fc.sigma_w2),
        "depths": list(fc.depths),
        "seeds": list(fc.seeds),
        "steps": list(fc.steps),
        "lr_factor": fc.lr_factor,
        "centered_output": fc.center,
        "reference": "infinite-width discrete GD, same η (= lr_factor·2/λ_max of the analytic NTK) and steps",
        "diverged_runs": int(diverged.sum()),
        "timing_s": {"reference_kernels": kernel_s, "training_by_width": train_s},
    }
    arrays = {
        "finite_widths": np.asarray(fc.widths),
        "finite_sigma_w2": np.asarray(fc.sigma_w2),
        "finite_depths": np.asarray(fc.depths),
        "finite_steps": np.asarray(fc.steps),
        "finite_eta": eta,
        "finite_train_accuracy": acc["train"],
        "finite_test_accuracy": acc["test"],
        "finite_output_rel_error": error,
        "finite_diverged": diverged,
        "infinite_train_accuracy": ref_acc["train"],
        "infinite_test_accuracy": ref_acc["test"],
        "infinite_flow_train_accuracy": flow["train"],
        "infinite_flow_test_accuracy": flow["test"],
    }
    return summary, arrays
