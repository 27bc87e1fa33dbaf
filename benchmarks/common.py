"""Shared benchmark machinery: best-of-N timing of ours vs a named baseline, reported as a ratio.

Machines here are shared and noisy, so every benchmark times both sides in the same process, alternating,
and reports the ratio of the best (minimum) times; absolute seconds are recorded for context only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class BenchmarkResult:
    """One comparison: ``speedup`` = baseline_s / ours_s (> 1 means ours is faster)."""

    name: str
    ours: str
    baseline: str
    ours_s: float
    baseline_s: float
    target: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def speedup(self) -> float:
        return self.baseline_s / self.ours_s

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "speedup": self.speedup}


def best_time(fn: Callable[[], Any], repeats: int) -> float:
    """Minimum wall time of ``repeats`` calls of ``fn`` (the result is blocked on by ``fn`` itself)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def compare(
    name: str,
    ours: tuple[str, Callable[[], Any]],
    baseline: tuple[str, Callable[[], Any]],
    *,
    repeats: int = 3,
    baseline_repeats: int | None = None,
    target: str = "",
    details: dict[str, Any] | None = None,
    warm_baseline: bool = True,
) -> BenchmarkResult:
    """Warm both sides up once (compilation), then time them alternately; best of ``repeats`` each.

    ``warm_baseline=False`` skips the baseline's warm-up call, for baselines that compile nothing and take
    minutes (the measured calls then include no compilation either way).
    """
    ours[1]()
    if warm_baseline:
        baseline[1]()
    ours_times, base_times = [], []
    for _ in range(max(repeats, baseline_repeats or repeats)):
        if len(ours_times) < repeats:
            ours_times.append(best_time(ours[1], 1))
        if len(base_times) < (baseline_repeats or repeats):
            base_times.append(best_time(baseline[1], 1))
    return BenchmarkResult(
        name, ours[0], baseline[0], min(ours_times), min(base_times), target, details or {}
    )
