"""What a source hands to the preprocessing pipeline: the full train/test pools, unprocessed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class RawData:
    """Train and test pools of one source, before any preprocessing.

    ``x_*`` are float64 in the suite's layout (``(N,H,W,C)``, ``(N,L,C)`` or ``(N,D)``); ``labels_*`` are
    int64 original class ids from ``classes``. ``meta`` holds at least ``source`` (a short description) and
    ``sha256`` (``{file name: hex digest}`` of the files read).
    """

    x_train: np.ndarray
    labels_train: np.ndarray
    x_test: np.ndarray
    labels_test: np.ndarray
    classes: tuple[int, ...]
    meta: dict[str, Any] = field(default_factory=dict)
