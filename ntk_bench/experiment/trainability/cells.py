"""Every (σ_w², depth) cell of one network: the infinite-width kernel prediction at τ = η·k and the finite
networks trained by SGD (every σ_w² × seed of a depth at once)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from ntk_bench.data import Dataset
from ntk_bench.dynamics.finite_training import FiniteTrainer
from ntk_bench.dynamics.kernel_regression import accuracy, evaluate_depths
from ntk_bench.dynamics.learning_rates import minibatch_critical_learning_rate
from ntk_bench.experiment.trainability.config import NAME, NetworkEntry, TrainabilityConfig
from ntk_bench.kernels import kernel_pass
from ntk_bench.model import Network, model_spec_from_config
from ntk_bench.progress import progress


def spec_at(entry: NetworkEntry, tc: TrainabilityConfig, depth: int):
    """The network of depth L (for a ResNet with γ, α = L^{-γ}: each depth is its own network)."""
    return model_spec_from_config(
        {**entry.model, "depth": depth, "width": tc.width, "sigma_w2": 1.0, "sigma_b2": tc.sigma_b2}
    )


def depth_groups(entry: NetworkEntry, tc: TrainabilityConfig) -> list[tuple[Any, list[int]]]:
    """Depths that share one network up to depth (one kernel pass each): [(spec, [depth indices])]."""
    groups: dict[Any, list[int]] = {}
    for d, depth in enumerate(entry.depths):
        shape = dataclasses.replace(spec_at(entry, tc, depth), depth=1)
        groups.setdefault(shape, []).append(d)
    return list(groups.items())


def infinite_width(entry: NetworkEntry, data: Dataset, tc: TrainabilityConfig) -> dict[str, np.ndarray]:
    """η per cell and the kernel prediction at the same τ = η·k: arrays (S, D) and (S, D, T)."""
    s_count, d_count, t_count = len(tc.sigma_w2), len(entry.depths), len(tc.steps)
    out = {k: np.full((s_count, d_count), np.nan) for k in ("eta", "lambda_max", "lambda_max_sgd")}
    out.update({k: np.full((s_count, d_count, t_count), np.nan) for k in ("train_accuracy", "test_accuracy")})
    out["nonfinite_kernel"] = np.zeros((s_count, d_count), dtype=bool)
    m, classes = data.n_train, data.num_classes
    batch = tc.batch_size or m
    for spec, indices in depth_groups(entry, tc):
        network = Network(spec, len(data.spatial_shape))
        depths = [entry.depths[d] for d in indices]
        for s, w2 in enumerate(tc.sigma_w2):
            shared = kernel_pass(network)
            train = shared.across_depth(data.x_train, None, depths, w2, tc.sigma_b2)
            test = shared.across_depth(data.x_test, data.x_train, depths, w2, tc.sigma_b2)
            for i, d in enumerate(indices):
                k_train, k_test = train.ntk[i], test.ntk[i]
                if not (np.isfinite(k_train).all() and np.isfinite(k_test).all()):
                    out["nonfinite_kernel"][s, d] = True
                    continue
                lam = float(np.linalg.eigvalsh(k_train)[-1])
                # the mean-loss bound over batches of b, in the sum-loss units of the trainer: ÷ m·C
                eta_crit = minibatch_critical_learning_rate(k_train, batch, classes) / (m * classes)
                eta = tc.lr_factor * eta_crit
                out["eta"][s, d], out["lambda_max"][s, d] = eta, lam
                out["lambda_max_sgd"][s, d] = 2.0 / eta_crit
                # evaluate_depths steps at lr_factor·2/λ_max: t = η·k / (lr_factor·2/λ_max) gives τ = η·k
                times = [eta * k * lam / (2.0 * tc.lr_factor) for k in tc.steps]
                evaluation = evaluate_depths(
                    k_train[None],
                    k_test[None],
                    data.y_train,
                    data.labels_train,
                    data.labels_test,
                    times,
                    lr_factor=tc.lr_factor,
                )
                out["train_accuracy"][s, d] = evaluation.train_accuracy[0]
                out["test_accuracy"][s, d] = evaluation.test_accuracy[0]
    return out


def finite_width(
    entry: NetworkEntry, data: Dataset, tc: TrainabilityConfig, eta: np.ndarray
) -> dict[str, Any]:
    """Train every (σ_w², seed) of each depth at once; accuracies (S, D, R, T), reasons (S, D, R), timing."""
    s_count, d_count, r_count, t_count = len(tc.sigma_w2), len(entry.depths), len(tc.seeds), len(tc.steps)
    acc = {k: np.full((s_count, d_count, r_count, t_count), np.nan) for k in ("train", "test")}
    loss = np.full((s_count, d_count, r_count, t_count), np.nan)
    reason = np.zeros((s_count, d_count, r_count), dtype=np.int64)
    seconds = np.zeros(d_count)
    y = np.asarray(data.y_train)
    for d, depth in enumerate(progress(entry.depths, d_count, f"{NAME} {entry.label}: depths")):
        spec = spec_at(entry, tc, depth)
        network = Network(spec, len(data.spatial_shape), out_dim=data.num_classes)
        usable = np.isfinite(eta[:, d])
        lrs = np.where(usable, eta[:, d], 0.0)
        tic = time.perf_counter()
        trainer = FiniteTrainer(network, depth, center=tc.center, batch_size=tc.batch_size, dtype=tc.dtype)
        run = trainer.run(data.x_train, y, data.x_test, tc.sigma_w2, tc.sigma_b2, lrs, tc.seeds, tc.steps)
        seconds[d] = time.perf_counter() - tic
        f0 = 0.0 if tc.center else run.initial_train  # the trained outputs are f − f_0 when centred
        initial_loss = 0.5 * np.sum((f0 - y) ** 2, axis=(-2, -1))  # (S, R)
        train_loss = 0.5 * np.sum((run.train - y) ** 2, axis=(-2, -1))  # (S, R, T)
        exploded = np.nanmax(np.where(np.isfinite(train_loss), train_loss, -np.inf), axis=2) > (
            tc.divergence_factor * initial_loss
        )
        reason[:, d] = np.where(run.diverged, 1, np.where(exploded, 2, 0))
        reason[~usable, d] = 3
        bad = reason[:, d] > 0
        a_train, a_test = accuracy(run.train, data.labels_train), accuracy(run.test, data.labels_test)
        a_train[bad], a_test[bad] = np.nan, np.nan
        acc["train"][:, d], acc["test"][:, d] = a_train, a_test
        loss[:, d] = train_loss
    return {"train": acc["train"], "test": acc["test"], "loss": loss, "reason": reason, "seconds": seconds}
