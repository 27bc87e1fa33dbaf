"""The tracker seam: the one narrow interface every experiment logs through.

Experiments never call a tracking SDK. They return an :class:`~ntk_bench.results.ExperimentOutput`
(results + figures + histograms); the runner hands it to the configured :class:`Tracker`, which decides how
to log it. Adding a metric to an experiment therefore never touches tracker code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ntk_bench.results.output import ExperimentOutput

__all__ = ["ExperimentOutput", "NullTracker", "Tracker"]  # ExperimentOutput: re-exported for callers


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
