"""Validation of the ``data`` config group into a typed :class:`DataConfig`.

Accepts any mapping (an OmegaConf ``DictConfig`` or a plain ``dict``). Missing keys take the defaults below
(the same values as ``conf/data/<name>.yaml``); unknown keys, wrong types and out-of-range values raise
:class:`~ntk_bench.errors.ConfigError` with a one-line message naming the key, the value and what is allowed.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ntk_bench.errors import ConfigError, require, require_choice

DATASETS: tuple[str, ...] = ("digits", "mnist1d", "synthetic", "mnist", "fashion_mnist", "cifar10")
FILE_DATASETS: tuple[str, ...] = ("mnist", "fashion_mnist", "cifar10")

COMMON_DEFAULTS: dict[str, Any] = {
    "n_train": 256,
    "n_test": 256,
    "classes": None,
    "seed": 0,
    "stratify": False,
    "standardize": True,
    "normalize": True,
    "one_hot": True,
    "center_labels": True,
    "cache_dir": None,  # None -> $NTK_BENCH_DATA or ~/.cache/ntk_bench
    "download": False,
    "sha256": None,
}

# Synthetic inputs share a common component across examples; per-feature standardization would remove it
# (and with it the controlled correlation), so it is off by default there.
SYNTHETIC_DEFAULTS: dict[str, Any] = {
    "standardize": False,
    "dim": 64,
    "spatial_shape": None,
    "channels": 1,
    "correlation": 0.5,
    "num_classes": 10,
    "n_total": 2048,
}

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def default_cache_dir() -> Path:
    """``$NTK_BENCH_DATA`` if set, else ``~/.cache/ntk_bench``."""
    return Path(os.environ.get("NTK_BENCH_DATA") or "~/.cache/ntk_bench").expanduser()


@dataclass(frozen=True)
class DataConfig:
    """The validated ``data`` config (see ``conf/data/*.yaml`` for the meaning of each key)."""

    name: str
    n_train: int | None
    n_test: int | None
    classes: tuple[int, ...] | None
    seed: int
    stratify: bool
    standardize: bool
    normalize: bool
    one_hot: bool
    center_labels: bool
    cache_dir: Path
    download: bool
    sha256: dict[str, str] = field(default_factory=dict)
    # synthetic only
    dim: int | None = None
    spatial_shape: tuple[int, ...] | None = None
    channels: int = 1
    correlation: float = 0.0
    num_classes: int = 2
    n_total: int = 0

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


def _int(key: str, value: Any, minimum: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum
    null = " or null" if allow_none else ""
    require(ok, f"data.{key} must be an integer >= {minimum}{null}, got {value!r}")
    return int(value)


def _bool(key: str, value: Any) -> bool:
    require(isinstance(value, bool), f"data.{key} must be true or false, got {value!r}")
    return bool(value)


def _int_list(key: str, value: Any, minimum: int) -> tuple[int, ...]:
    items = _as_list(key, value)
    for item in items:
        ok = isinstance(item, numbers.Integral) and not isinstance(item, bool) and item >= minimum
        require(ok, f"data.{key} must be a list of integers >= {minimum}, got {items!r}")
    return tuple(int(v) for v in items)


def _as_list(key: str, value: Any) -> list[Any]:
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        raise ConfigError(f"data.{key} must be a list, got {value!r}")
    return list(value)


def _sha256_overrides(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    require(isinstance(value, Mapping), f"data.sha256 must be a mapping {{filename: hex}}, got {value!r}")
    out: dict[str, str] = {}
    for name, digest in value.items():
        ok = isinstance(digest, str) and _HEX64.match(digest) is not None
        require(ok, f"data.sha256.{name} must be a 64-character hex string, got {digest!r}")
        out[str(name)] = digest.lower()
    return out


def plugin_dataset_names() -> tuple[str, ...]:
    """Datasets of installed plugins (``ntk_bench.datasets`` entry points; built-in names win)."""
    from ntk_bench.plugins import plugin_datasets

    return tuple(name for name in plugin_datasets() if name not in DATASETS)


def parse_config(cfg: Mapping[str, Any]) -> DataConfig:
    """Validate ``cfg`` (the ``data`` group) and fill in defaults."""
    require(isinstance(cfg, Mapping), f"data config must be a mapping, got {type(cfg).__name__}")
    name = cfg.get("name", "digits")
    require_choice("dataset", name, (*DATASETS, *plugin_dataset_names()))

    defaults = {**COMMON_DEFAULTS, **(SYNTHETIC_DEFAULTS if name == "synthetic" else {})}
    allowed = ["name", *defaults]
    for key in cfg:
        require(key in allowed, f"unknown key data.{key} for dataset {name}; allowed: {', '.join(allowed)}")
    raw = {key: cfg.get(key, default) for key, default in defaults.items()}

    classes = raw["classes"]
    if classes is not None:
        classes = _int_list("classes", classes, 0)

    cache_dir = raw["cache_dir"]
    if cache_dir is None or cache_dir == "":
        cache_path = default_cache_dir()
    else:
        require(isinstance(cache_dir, str | os.PathLike), f"data.cache_dir must be a path, got {cache_dir!r}")
        cache_path = Path(cache_dir).expanduser()

    extra: dict[str, Any] = {}
    if name == "synthetic":
        spatial = raw["spatial_shape"]
        correlation = raw["correlation"]
        ok = isinstance(correlation, numbers.Real) and not isinstance(correlation, bool)
        ok = ok and 0.0 <= float(correlation) < 1.0
        require(ok, f"data.correlation must be a number in [0, 1), got {correlation!r}")
        extra = {
            "dim": _int("dim", raw["dim"], 1, allow_none=spatial is not None),
            "spatial_shape": None if spatial is None else _int_list("spatial_shape", spatial, 1),
            "channels": _int("channels", raw["channels"], 1),
            "correlation": float(correlation),
            "num_classes": _int("num_classes", raw["num_classes"], 2),
            "n_total": _int("n_total", raw["n_total"], 4),
        }
        spatial_shape = extra["spatial_shape"]
        if spatial_shape is not None:
            require(
                1 <= len(spatial_shape) <= 3,
                f"data.spatial_shape must list 1 to 3 sizes, got {list(spatial_shape)}",
            )

    return DataConfig(
        name=name,
        n_train=_int("n_train", raw["n_train"], 1, allow_none=True),
        n_test=_int("n_test", raw["n_test"], 0, allow_none=True),
        classes=classes,
        seed=_int("seed", raw["seed"], 0),
        stratify=_bool("stratify", raw["stratify"]),
        standardize=_bool("standardize", raw["standardize"]),
        normalize=_bool("normalize", raw["normalize"]),
        one_hot=_bool("one_hot", raw["one_hot"]),
        center_labels=_bool("center_labels", raw["center_labels"]),
        cache_dir=cache_path,
        download=_bool("download", raw["download"]),
        sha256=_sha256_overrides(raw["sha256"]),
        **extra,
    )
