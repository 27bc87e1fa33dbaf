"""The inputs of the heat maps: the data draw and the label convention (the data transforms themselves,
downsampling, resampling and centring labels, are :mod:`ntk_bench.data.transforms`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ntk_bench.data import Dataset, load_raw, prepare
from ntk_bench.data import parse_config as parse_data_config
from ntk_bench.data.preprocess import select_classes
from ntk_bench.data.transforms import centre_labels_over_train
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


def with_labels(data: Dataset, convention: str) -> Dataset:
    """``data`` under a label convention of :data:`~.config.LABELS`."""
    return centre_labels_over_train(data) if convention == "train_centred" else data
