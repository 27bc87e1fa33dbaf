"""The inputs of the heat maps: the data draw and the label convention (the data transforms themselves,
downsampling, resampling and centring labels, are :mod:`ntk_bench.data.transforms`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ntk_bench.data import Dataset, load_dataset
from ntk_bench.data.transforms import centre_labels_over_train
from ntk_bench.errors import require


def load_data(data_cfg: Mapping[str, Any]) -> tuple[Dataset, dict]:
    """The dataset the ``data`` group describes (``data.n_train``/``data.n_test`` larger than a pool is an
    error naming the pool size; ``data.stratify`` draws every class equally) and its sizes for the summary."""
    data = load_dataset(data_cfg)
    require(
        data.n_test >= 1, "xiao2020 needs test examples (data.n_test >= 1): test accuracy is half the map"
    )
    sizes = {
        "requested": {"n_train": data_cfg.get("n_train"), "n_test": data_cfg.get("n_test")},
        "pools": dict(data.meta["pool_sizes"]),
        "stratified": bool(data.meta["preprocessing"]["stratify"]),
    }
    return data, sizes


def with_labels(data: Dataset, convention: str) -> Dataset:
    """``data`` under a label convention of :data:`~.config.LABELS`."""
    return centre_labels_over_train(data) if convention == "train_centred" else data
