"""Dataset loading: ``load_dataset(cfg)`` turns the ``data`` config group into a preprocessed
:class:`Dataset`.

Sources (``data.name``): ``digits`` (scikit-learn, embedded), ``mnist1d`` (generated locally), ``synthetic``
(correlated Gaussians, see :mod:`ntk_bench.data.synthetic`), and ``mnist``, ``fashion_mnist``, ``cifar10``
(files in ``<cache_dir>/<name>/``, see :mod:`ntk_bench.data.files`). Preprocessing order and formulas: see
:mod:`ntk_bench.data.preprocess`. Every bad input raises a one-line :class:`~ntk_bench.errors.ConfigError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ntk_bench.data import preprocess
from ntk_bench.data.builtin import load_digits_raw, load_mnist1d_raw
from ntk_bench.data.cifar import load_cifar10_raw
from ntk_bench.data.config import DATASETS, DataConfig, parse_config
from ntk_bench.data.dataset import Dataset
from ntk_bench.data.idx import load_idx_raw
from ntk_bench.data.raw import RawData
from ntk_bench.data.synthetic import load_synthetic_raw
from ntk_bench.errors import ConfigError

__all__ = [
    "DATASETS",
    "SOURCES",
    "DataConfig",
    "Dataset",
    "RawData",
    "load_dataset",
    "load_raw",
    "parse_config",
    "prepare",
]

SOURCES: dict[str, Callable[[DataConfig], RawData]] = {
    "digits": load_digits_raw,
    "mnist1d": load_mnist1d_raw,
    "synthetic": load_synthetic_raw,
    "mnist": load_idx_raw,
    "fashion_mnist": load_idx_raw,
    "cifar10": load_cifar10_raw,
}
assert tuple(SOURCES) == DATASETS


def load_raw(cfg: Mapping[str, Any] | DataConfig) -> RawData:
    """The unprocessed train/test pools of ``cfg.name`` (file order, original class ids)."""
    config = cfg if isinstance(cfg, DataConfig) else parse_config(cfg)
    return source(config.name)(config)


def source(name: str) -> Callable[[DataConfig], RawData]:
    """The loader of dataset ``name``: a built-in one (``SOURCES``) or a plugin's (``ntk_bench.plugins``)."""
    if name in SOURCES:
        return SOURCES[name]
    from ntk_bench.plugins import plugin_datasets

    return plugin_datasets()[name].load()


def _validate_classes(
    requested: tuple[int, ...] | None, available: tuple[int, ...], name: str
) -> tuple[int, ...]:
    if requested is None:
        return available
    ids = f"{available[0]}..{available[-1]}"
    invalid = [c for c in requested if c not in available]
    if invalid:
        raise ConfigError(
            f"data.classes={list(requested)} contains invalid class id {invalid[0]} for {name}; "
            f"allowed: distinct ids in {ids}, at least 2"
        )
    if len(set(requested)) != len(requested) or len(requested) < 2:
        raise ConfigError(f"data.classes={list(requested)}: need at least 2 distinct class ids from {ids}")
    return requested


def prepare(raw: RawData, cfg: DataConfig) -> Dataset:
    """Apply class selection, subsampling, standardization, normalization and targets (in that order)."""
    classes = _validate_classes(cfg.classes, raw.classes, cfg.name)
    x_train, labels_train = preprocess.select_classes(raw.x_train, raw.labels_train, classes)
    x_test, labels_test = preprocess.select_classes(raw.x_test, raw.labels_test, classes)

    subset = "" if cfg.classes is None else f" restricted to classes {list(classes)}"
    n_train = preprocess.check_count(
        "n_train", cfg.n_train, len(labels_train), f"the {cfg.name} train pool{subset}", 1
    )
    n_test = preprocess.check_count(
        "n_test", cfg.n_test, len(labels_test), f"the {cfg.name} test pool{subset}", 0
    )
    rng = np.random.default_rng(cfg.seed)
    if cfg.stratify:
        where = "the {} {} pool" + subset
        train_idx = preprocess.stratified_indices(
            labels_train, n_train, len(classes), rng, "n_train", where.format(cfg.name, "train")
        )
        test_idx = preprocess.stratified_indices(
            labels_test, n_test, len(classes), rng, "n_test", where.format(cfg.name, "test")
        )
    else:
        train_idx = preprocess.subsample_indices(len(labels_train), n_train, rng)
        test_idx = preprocess.subsample_indices(len(labels_test), n_test, rng)
    pool_sizes = {"train": len(labels_train), "test": len(labels_test)}
    x_train, labels_train = x_train[train_idx], labels_train[train_idx]
    x_test, labels_test = x_test[test_idx], labels_test[test_idx]

    if cfg.standardize:
        x_train, x_test = preprocess.standardize(x_train, x_test)
    if cfg.normalize:
        x_train, x_test = preprocess.normalize(x_train), preprocess.normalize(x_test)

    num_classes = len(classes)
    meta = {
        **raw.meta,
        "name": cfg.name,
        "pool_sizes": pool_sizes,
        "preprocessing": {**cfg.options(), "n_train": n_train, "n_test": n_test},
    }
    return Dataset(
        name=cfg.name,
        x_train=x_train,
        labels_train=labels_train,
        y_train=preprocess.make_targets(labels_train, num_classes, cfg.one_hot, cfg.center_labels),
        x_test=x_test,
        labels_test=labels_test,
        y_test=preprocess.make_targets(labels_test, num_classes, cfg.one_hot, cfg.center_labels),
        num_classes=num_classes,
        classes=tuple(classes),
        meta=meta,
    )


def load_dataset(cfg: Mapping[str, Any]) -> Dataset:
    """Load and preprocess the dataset described by the ``data`` config group.

    Args:
        cfg: a mapping (OmegaConf ``DictConfig`` or ``dict``) with ``name`` and the keys of
            ``conf/data/<name>.yaml``; missing keys take those defaults.

    Raises:
        ConfigError: one-line message for an unknown name or key, a bad value, a sample count beyond what
            the data holds, missing/corrupt files, a checksum mismatch or a failed download.
    """
    config = parse_config(cfg)
    return prepare(source(config.name)(config), config)
