"""What an experiment returns: its results plus the figures, histograms and tables a tracker logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
