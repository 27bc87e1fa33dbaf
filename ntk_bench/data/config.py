"""The ``data`` config group as a schema: :class:`DataConfig` (every dataset) and :class:`SyntheticConfig`.

Accepts any mapping (an OmegaConf ``DictConfig`` or a plain ``dict``). Missing keys take the defaults below
(the same values as ``conf/data_common.yaml``, the keys every ``conf/data/<name>.yaml`` shares); unknown keys,
wrong types and out-of-range values raise :class:`~ntk_bench.errors.ConfigError` with one line naming the key,
the value and what is allowed (:mod:`ntk_bench.schema`). The synthetic generator's own keys (``dim``,
``spatial_shape``, …) exist for ``name: synthetic`` only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ntk_bench.errors import require
from ntk_bench.schema import (
    boolean,
    choice,
    integer,
    mapping_of,
    optional,
    parse_section,
    path,
    real,
    sequence,
    setting,
    text,
)

DATASETS: tuple[str, ...] = ("digits", "mnist1d", "synthetic", "mnist", "fashion_mnist", "cifar10")
FILE_DATASETS: tuple[str, ...] = ("mnist", "fashion_mnist", "cifar10")


def default_cache_dir() -> Path:
    """``$NTK_BENCH_DATA`` if set, else ``~/.cache/ntk_bench``."""
    return Path(os.environ.get("NTK_BENCH_DATA") or "~/.cache/ntk_bench").expanduser()


def plugin_dataset_names() -> tuple[str, ...]:
    """Datasets of installed plugins (``ntk_bench.datasets`` entry points; built-in names win)."""
    from ntk_bench.plugins import plugin_datasets

    return tuple(name for name in plugin_datasets() if name not in DATASETS)


def dataset_names() -> tuple[str, ...]:
    """The built-in datasets, then the plugins'."""
    return (*DATASETS, *plugin_dataset_names())


@dataclass(frozen=True)
class DataConfig:
    """The validated ``data`` config (see ``conf/data_common.yaml`` for the meaning of each key)."""

    name: str = setting(choice(dataset_names), "digits")
    n_train: int | None = setting(optional(integer(1)), 256)
    n_test: int | None = setting(optional(integer(0)), 256)
    classes: tuple[int, ...] | None = setting(optional(sequence(integer(0))), None)
    seed: int = setting(integer(0), 0)
    stratify: bool = setting(boolean(), False)
    standardize: bool = setting(boolean(), True)
    normalize: bool = setting(boolean(), True)
    one_hot: bool = setting(boolean(), True)
    center_labels: bool = setting(boolean(), True)
    cache_dir: Path = setting(optional(path()), None)  # null -> $NTK_BENCH_DATA or ~/.cache/ntk_bench
    download: bool = setting(boolean(), False)
    sha256: dict[str, str] = setting(mapping_of(text(r"[0-9a-fA-F]{64}", "a 64-character hex string")), {})

    def __post_init__(self):
        if self.cache_dir is None:
            object.__setattr__(self, "cache_dir", default_cache_dir())

    def options(self) -> dict[str, Any]:
        """The preprocessing options, JSON-friendly (recorded in ``Dataset.meta``)."""
        return {
            "n_train": self.n_train,
            "n_test": self.n_test,
            "classes": None if self.classes is None else list(self.classes),
            "seed": self.seed,
            "stratify": self.stratify,
            "standardize": self.standardize,
            "normalize": self.normalize,
            "one_hot": self.one_hot,
            "center_labels": self.center_labels,
        }


@dataclass(frozen=True)
class SyntheticConfig(DataConfig):
    """``data=synthetic``: the common keys plus the generator's (``conf/data/synthetic.yaml``).

    Synthetic inputs share a common component across examples; per-feature standardization would remove it
    (and with it the controlled correlation), so it is off by default here.
    """

    standardize: bool = setting(boolean(), False)
    dim: int | None = setting(optional(integer(1)), 64)
    spatial_shape: tuple[int, ...] | None = setting(optional(sequence(integer(1))), None)
    channels: int = setting(integer(1), 1)
    correlation: float = setting(real(0, 1, open_maximum=True), 0.5)
    num_classes: int = setting(integer(2), 10)
    n_total: int = setting(integer(4), 2048)

    def __post_init__(self):
        super().__post_init__()
        shape = self.spatial_shape
        require(
            shape is not None or self.dim is not None,
            "data.dim=None must be an integer >= 1 when data.spatial_shape is null",
        )
        require(
            shape is None or 1 <= len(shape) <= 3,
            f"data.spatial_shape={list(shape or ())} must list 1 to 3 sizes",
        )


SCHEMAS: dict[str, type[DataConfig]] = {"synthetic": SyntheticConfig}


def parse_config(cfg: Mapping[str, Any]) -> DataConfig:
    """Validate ``cfg`` (the ``data`` group) and fill in defaults: :class:`SyntheticConfig` for
    ``name: synthetic``, :class:`DataConfig` for every other dataset."""
    require(isinstance(cfg, Mapping), f"data config must be a mapping, got {type(cfg).__name__}")
    if cfg.get("cache_dir") == "":  # ${oc.env:NTK_BENCH_DATA,...} with the variable set but empty
        cfg = {**cfg, "cache_dir": None}
    schema = SCHEMAS.get(cfg.get("name"), DataConfig) if isinstance(cfg.get("name"), str) else DataConfig
    return parse_section(schema, cfg, "data")
