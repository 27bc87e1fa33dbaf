"""The tracker seam: the one narrow interface every experiment logs through.

Experiments never call a tracking SDK. They return an :class:`ExperimentOutput` (results + figures +
histograms); the runner hands it to the configured :class:`Tracker`, which decides how to log it. Adding a
metric to an experiment therefore never touches tracker code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ntk_bench.results.store import Results


@dataclass
class ExperimentOutput:
    """What an experiment hands back to the runner.

    ``histograms[name]`` has one row of values per step of ``results.axis`` (e.g. eigenvalues per depth);
    ``figures[name]`` is a saved image file in the job directory; ``tables[name]`` is ``(columns, rows)``
    (the runner adds the job's claims table here); ``extra_summary`` holds single values beside
    ``results.summary`` that are not part of the stored results (e.g. claim verdict counts).
    """

    results: Results
    figures: dict[str, Path] = field(default_factory=dict)
    histograms: dict[str, np.ndarray] = field(default_factory=dict)
    tables: dict[str, tuple[list[str], list[list[Any]]]] = field(default_factory=dict)
    extra_summary: dict[str, Any] = field(default_factory=dict)


class Tracker(Protocol):
    """Logs one job. ``start`` is called once before logging, ``finish`` always (even after errors)."""

    def start(self, config: dict[str, Any], provenance: dict[str, Any], job_dir: Path) -> None: ...

    def log_output(self, output: ExperimentOutput) -> None: ...

    def finish(self, exit_code: int = 0) -> None: ...


class NullTracker:
    """``tracker=none``: logs nothing and writes nothing."""

    def start(self, config: dict[str, Any], provenance: dict[str, Any], job_dir: Path) -> None:
        return None

    def log_output(self, output: ExperimentOutput) -> None:
        return None

    def finish(self, exit_code: int = 0) -> None:
        return None
