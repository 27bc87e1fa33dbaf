"""Transforms of a prepared :class:`~ntk_bench.data.Dataset` that experiments apply on top of the data
group: average-pooling images/signals, resampling 1-D signals to another length, and centring the training
targets over the training set. Inputs are renormalised to ‖x‖² = D when the data group normalised them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ntk_bench.data.dataset import Dataset
from ntk_bench.data.preprocess import normalize
from ntk_bench.errors import require


def _renormalised(data: Dataset, x: np.ndarray) -> np.ndarray:
    return normalize(x) if data.meta.get("preprocessing", {}).get("normalize", True) else x


def downsample(data: Dataset, factor: int) -> Dataset:
    """Average-pool images/signals by ``factor`` along each spatial axis (and renormalise to ‖x‖² = D)."""
    if factor == 1:
        return data
    shape = data.spatial_shape
    require(
        len(shape) > 0, f"experiment.downsample={factor} needs image or signal inputs; {data.name} is flat"
    )
    require(
        all(s % factor == 0 for s in shape),
        f"experiment.downsample={factor} must divide the spatial shape {list(shape)} of {data.name}",
    )

    def pool(x: np.ndarray) -> np.ndarray:
        split = [x.shape[0]]
        for s in shape:
            split += [s // factor, factor]
        split.append(x.shape[-1])
        return _renormalised(data, x.reshape(split).mean(axis=tuple(range(2, 2 * len(shape) + 1, 2))))

    meta = {**data.meta, "downsampled_by": factor}
    return dataclasses.replace(data, x_train=pool(data.x_train), x_test=pool(data.x_test), meta=meta)


def resample_signals(data: Dataset, length: int) -> Dataset:
    """1-D signals (N, L, C) resampled to ``length`` positions by periodic linear interpolation (renormalised
    to ‖x‖² = D), keeping labels: the same task at another spatial size d (circular padding sees the signal
    as periodic, so the interpolation wraps too)."""
    shape = data.spatial_shape
    require(
        len(shape) == 1,
        f"signal length {length} needs 1-D signal inputs (N, L, C); {data.name} has spatial shape"
        f" {list(shape)}",
    )
    require(length >= 2, f"signal length {length} must be >= 2")
    source = np.arange(shape[0]) / shape[0]
    target = np.arange(length) / length

    def resample(x: np.ndarray) -> np.ndarray:
        flat = x.transpose(0, 2, 1).reshape(-1, shape[0])
        out = np.stack([np.interp(target, source, row, period=1.0) for row in flat])
        return _renormalised(data, out.reshape(x.shape[0], x.shape[2], length).transpose(0, 2, 1))

    meta = {**data.meta, "resampled_to": length}
    return dataclasses.replace(data, x_train=resample(data.x_train), x_test=resample(data.x_test), meta=meta)


def centre_labels_over_train(data: Dataset) -> Dataset:
    """Targets Ŷ = Y − 1ȳᵀ (ȳ: the training-set mean of each output), so 1ᵀŶ = 0.

    The mean predictor Θ_xX Θ⁻¹ Y then has no constant-mode term Θ_xX 1 (1ᵀΘ⁻¹Y): with the labels as given
    that term carries the training set's class imbalance, and in deep chaotic kernels it makes every test
    point predict the majority training class (Xiao et al. 2020's mean predictor analysis assumes 1ᵀY = 0).
    Argmax accuracy is unchanged wherever that term is negligible. With a stratified draw whose size is a
    multiple of the class count, the data group's centred one-hot labels already have 1ᵀY = 0.
    """
    y = np.asarray(data.y_train, dtype=np.float64)
    meta = {**data.meta, "labels": "centred over the training set (1ᵀY = 0)"}
    return dataclasses.replace(data, y_train=y - y.mean(axis=0, keepdims=True), meta=meta)
