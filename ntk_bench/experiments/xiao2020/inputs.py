"""The inputs of the heat maps: the data draw, its spatial resolution and the label convention."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from ntk_bench.architectures import ModelSpec
from ntk_bench.data import Dataset, load_raw, prepare
from ntk_bench.data import parse_config as parse_data_config
from ntk_bench.data.preprocess import normalize, select_classes
from ntk_bench.errors import require


def load_data(
    data_cfg: Mapping[str, Any], n_train: int | None, n_test: int | None, stratify: bool = False
) -> tuple[Dataset, dict]:
    """The dataset, with ``n_train``/``n_test`` (when given) clipped to what the pools hold; ``stratify``
    (the experiment's) or ``data.stratify`` draws every class equally (:func:`~ntk_bench.data.prepare`)."""
    config = parse_data_config(data_cfg)
    config = dataclasses.replace(config, stratify=config.stratify or stratify)
    raw = load_raw(config)
    classes = config.classes or raw.classes
    pools = {
        "train": len(select_classes(raw.x_train, raw.labels_train, classes)[1]),
        "test": len(select_classes(raw.x_test, raw.labels_test, classes)[1]),
    }
    changes = {}
    if n_train is not None:
        changes["n_train"] = min(n_train, pools["train"])
    if n_test is not None:
        changes["n_test"] = min(n_test, pools["test"])
    data = prepare(raw, dataclasses.replace(config, **changes))
    require(
        data.n_test >= 1, "xiao2020 needs test examples (data.n_test >= 1): test accuracy is half the map"
    )
    sizes = {
        "requested": {"n_train": n_train, "n_test": n_test},
        "pools": pools,
        "stratified": config.stratify,
    }
    return data, sizes


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


def with_labels(data: Dataset, convention: str) -> Dataset:
    """``data`` under a label convention of :data:`~.config.LABELS`."""
    return centre_labels_over_train(data) if convention == "train_centred" else data


def check_input_fits(name: str, spec: ModelSpec, data: Dataset) -> None:
    """A CNN needs spatial inputs at least as long as its filter along every axis."""
    if not spec.is_convolutional:
        return
    require(
        len(data.spatial_shape) > 0,
        f"experiment.models entry {name} is a CNN and needs image or signal inputs, but data={data.name} is"
        " flat; use digits, mnist1d, mnist, fashion_mnist, cifar10 or synthetic with spatial_shape",
    )
    size = min(data.spatial_shape)
    require(
        spec.filter_size <= size,
        f"model.filter_size={spec.filter_size} is larger than the input's spatial size {size} (shape"
        f" {list(data.spatial_shape)}); allowed: filter_size <= {size}",
    )
