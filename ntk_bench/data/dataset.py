"""The :class:`Dataset` container every experiment receives.

Layout convention (channels last, float64):

* 2-D images: ``x`` has shape ``(N, H, W, C)``;
* 1-D signals: ``(N, L, C)``;
* data without spatial structure: ``(N, D)``.

``D = prod(x.shape[1:])`` is the number of input features (``input_dim``); ``spatial_shape`` is
``x.shape[1:-1]`` for image/signal layouts and ``()`` for flat data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np


def _frozen(array: Any, dtype: type) -> np.ndarray:
    """A read-only float64/int64 view of ``array`` (the caller's own array keeps its flags)."""
    out = np.asarray(array, dtype=dtype).view()
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Dataset:
    """A preprocessed train/test split.

    Attributes:
        name: dataset name (``digits``, ``mnist1d``, ...).
        x_train, x_test: float64 inputs in the layout described in the module docstring.
        labels_train, labels_test: int64 labels in ``0..num_classes-1``.
        y_train, y_test: float64 regression targets ``(N, num_classes)``: one-hot rows ``e_label``, or
            ``e_label - 1/C`` when centred (rows then sum to 0); ``(N, 1)`` holding the label when one-hot
            encoding is off.
        num_classes: ``C``, the number of classes kept.
        classes: the original class ids; label ``k`` stands for original class ``classes[k]``.
        meta: JSON-friendly provenance: source, sha256 of the files used, preprocessing options, pool sizes.

    Arrays are stored read-only; use :func:`dataclasses.replace` or :meth:`flat` to derive new datasets.
    """

    name: str
    x_train: np.ndarray
    labels_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    labels_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    classes: tuple[int, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            x = _frozen(getattr(self, f"x_{split}"), np.float64)
            labels = _frozen(getattr(self, f"labels_{split}"), np.int64)
            y = _frozen(getattr(self, f"y_{split}"), np.float64)
            n = x.shape[0]
            if x.ndim < 2 or labels.shape != (n,) or y.ndim != 2 or y.shape[0] != n:
                raise ValueError(
                    f"inconsistent {split} shapes: x {x.shape}, labels {labels.shape}, y {y.shape}"
                )
            object.__setattr__(self, f"x_{split}", x)
            object.__setattr__(self, f"labels_{split}", labels)
            object.__setattr__(self, f"y_{split}", y)
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise ValueError(f"train/test input shapes differ: {self.x_train.shape} vs {self.x_test.shape}")
        classes = tuple(int(c) for c in self.classes)
        if len(classes) != self.num_classes:
            raise ValueError(f"num_classes={self.num_classes} but classes={classes}")
        object.__setattr__(self, "classes", classes)

    @property
    def n_train(self) -> int:
        """Number of training examples."""
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        """Number of test examples."""
        return int(self.x_test.shape[0])

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        """``(H, W)`` for images, ``(L,)`` for signals, ``()`` for flat data."""
        return tuple(int(s) for s in self.x_train.shape[1:-1])

    @property
    def input_dim(self) -> int:
        """``D``, the number of features per example: ``prod(x.shape[1:])``."""
        return math.prod(int(s) for s in self.x_train.shape[1:])

    def flat(self) -> Dataset:
        """A new dataset with inputs reshaped to ``(N, D)`` (row-major, so channels vary fastest)."""
        meta = {**self.meta, "flattened_from": list(self.x_train.shape[1:])}
        return replace(
            self,
            x_train=self.x_train.reshape(self.n_train, self.input_dim),
            x_test=self.x_test.reshape(self.n_test, self.input_dim),
            meta=meta,
        )

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, x_train={self.x_train.shape}, x_test={self.x_test.shape}, "
            f"num_classes={self.num_classes}, classes={self.classes})"
        )
