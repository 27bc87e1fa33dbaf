"""``tracker=wandb``: each Hydra job is one Weights & Biases run, logged generically from an ExperimentOutput.

What a run holds (nothing here knows any experiment):

* config: the fully resolved job config, plus ``provenance`` and ``hydra_job`` (sweep dir, job number,
  overrides);
* history: one row per step of ``results.axis`` (e.g. depth), with the axis value as the W&B step when it is
  an increasing non-negative integer (else the row index) and as the x-axis metric of every series;
  each row has every series value and, per ``output.histograms[name]``, a ``wandb.Histogram`` of that step's
  row (plus ``<name>_log10`` of its positive entries: spectra span decades);
* on the last row: ``tables/series`` (a ``wandb.Table`` of all series) and ``figures/<name>``
  (``wandb.Image``);
* summary: ``results.summary`` flattened with ``/`` (``theory/chi_1``, ``theory/phase``, ``n_train``);
* artifact: the job's ``results.json`` and ``arrays.npz`` as a W&B Artifact of type ``results`` named
  ``results-<run name>`` (a rerun of the same cell is a new version of it).

A multirun also gets one sweep-level run (``job_type`` ``sweep``, in the sweep's group) with the claims table
evaluated over all its jobs and the verdict counts in its summary (``sweep_run.py``, a Hydra callback).

Mode ``auto`` (default): ``WANDB_MODE`` if set, else online when credentials exist (``WANDB_API_KEY`` or a
``.netrc`` entry for the W&B host), else offline; when an ``auto`` online start fails (no network), the run is
written offline instead. Offline runs go to ``<job_dir>/wandb/offline-run-*`` and the job prints the
``wandb sync`` command that uploads them.
"""

from __future__ import annotations

import netrc
import os
import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from ntk_bench.results import ExperimentOutput
from ntk_bench.results.store import ARRAYS_FILE, RESULTS_FILE
from ntk_bench.tracker.common import (
    MAX_NAME,
    TrackerError,
    axis_steps,
    derive_group,
    derive_name,
    flatten,
    one_line,
    scalar,
    table_value,
)
from ntk_bench.tracker.config import WandbConfig
from ntk_bench.tracker.context import JobContext

DEFAULT_HOST = "https://api.wandb.ai"
HISTOGRAM_BINS = 64
ARTIFACT_TYPE = "results"
INVALID_ARTIFACT_CHARS = re.compile(r"[^\w.-]")  # W&B artifact names: alphanumerics, -, _ and .


def artifact_name(run_name: str) -> str:
    """``results-<run name>`` with characters W&B rejects in artifact names replaced by ``_``."""
    return INVALID_ARTIFACT_CHARS.sub("_", f"results-{run_name}")[:MAX_NAME]


def has_credentials(environ: Mapping[str, str] = os.environ) -> bool:
    """``WANDB_API_KEY`` is set, or the netrc file has an entry for the W&B host (from ``wandb login``)."""
    if environ.get("WANDB_API_KEY", "").strip():
        return True
    host = urlparse(environ.get("WANDB_BASE_URL") or DEFAULT_HOST).hostname
    path = environ.get("NETRC") or os.path.expanduser("~/.netrc")
    try:
        return host is not None and netrc.netrc(path).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def resolve_mode(mode: str, environ: Mapping[str, str] = os.environ) -> str:
    """``offline``/``online`` as given; ``auto``: ``WANDB_MODE``, else online iff credentials exist."""
    if mode != "auto":
        return mode
    env = environ.get("WANDB_MODE", "").strip().lower()
    if env in ("offline", "dryrun"):
        return "offline"
    if env in ("online", "run"):
        return "online"
    if env == "disabled":
        return "disabled"
    return "online" if has_credentials(environ) else "offline"


def _histogram_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    flat = np.asarray(values, dtype=float).ravel()
    finite = flat[np.isfinite(flat)]
    positive = finite[finite > 0]
    return finite, np.log10(positive) if positive.size else positive


class WandbTracker:
    """Logs one job as one W&B run (see the module docstring for what goes where)."""

    def __init__(self, settings: WandbConfig, job: JobContext | None = None) -> None:
        self.settings = settings
        self.job = job or JobContext()
        self.run: Any = None
        self.mode: str | None = None
        self.sync_dir: str | None = None
        self.init_seconds: float | None = None  # how long wandb.init took (offline: well under a second)
        self.job_dir: Path | None = None

    # -- Tracker protocol ---------------------------------------------------------------------------------
    def start(self, config: dict[str, Any], provenance: dict[str, Any], job_dir: Path) -> None:
        import wandb

        settings = self.settings
        requested = settings.mode
        mode = resolve_mode(requested)
        experiment = str((config.get("experiment") or {}).get("name", "experiment"))
        job_dir = self.job_dir = Path(job_dir)
        job_dir.mkdir(parents=True, exist_ok=True)
        timeout = settings.init_timeout
        kwargs: dict[str, Any] = {
            "project": settings.project,
            "entity": settings.entity,
            "group": derive_group(settings.group, self.job),
            "job_type": experiment,
            "name": derive_name(self.job, experiment),
            "tags": list(settings.tags or ()),
            "dir": str(job_dir),
            "config": {**config, "provenance": provenance, "hydra_job": self.job.to_dict()},
            "reinit": "finish_previous",  # several jobs in one process (basic launcher): one run each
            "settings": wandb.Settings(
                init_timeout=timeout,
                login_timeout=timeout,  # never wait on an interactive login prompt
                console="off",  # the experiment already ran; nothing to capture
                x_disable_stats=True,  # no system-metrics sampler for a run that lasts a second
                silent=True,  # this tracker prints its own single line (sync command or URL)
            ),
        }
        started = time.perf_counter()
        try:
            self.run = wandb.init(mode=mode, **kwargs)
        except Exception as err:
            if not (requested == "auto" and mode == "online"):
                raise TrackerError(f"wandb.init ({mode}) failed: {one_line(err)}") from err
            print(
                f"ntk-bench: warning: wandb online start failed ({one_line(err)}); logging offline instead",
                file=sys.stderr,
            )
            mode = "offline"
            try:
                self.run = wandb.init(mode=mode, **kwargs)
            except Exception as err2:
                raise TrackerError(f"wandb.init (offline) failed: {one_line(err2)}") from err2
        self.init_seconds = time.perf_counter() - started
        self.mode = mode
        self.sync_dir = str(self.run.settings.sync_dir) if mode == "offline" else None

    def log_output(self, output: ExperimentOutput) -> None:
        if self.run is None:
            raise TrackerError("log_output before start")
        try:
            self._log(output)
        except Exception as err:
            raise TrackerError(f"wandb logging failed: {type(err).__name__}: {one_line(err)}") from err

    def finish(self, exit_code: int = 0) -> None:
        run, self.run = self.run, None
        if run is None:
            return
        run.finish(exit_code=exit_code)
        if self.mode == "offline" and self.sync_dir:
            print(f"ntk-bench: wandb run saved offline; upload it with: wandb sync {self.sync_dir}")
        elif self.mode == "online":
            print(f"ntk-bench: wandb run {run.name}: {run.url}")

    # -- logging ------------------------------------------------------------------------------------------
    def _log(self, output: ExperimentOutput) -> None:
        import wandb

        results = output.results
        series = results.series
        columns = list(series)
        n_steps = len(series[columns[0]]) if columns else 0
        axis_values = series.get(results.axis)
        steps = axis_steps(axis_values) if axis_values is not None else list(range(n_steps))
        if axis_values is not None:
            self.run.define_metric(results.axis)
            self.run.define_metric("*", step_metric=results.axis)

        rows: list[dict[str, Any]] = [{k: scalar(series[k][i]) for k in columns} for i in range(n_steps)]
        extras: dict[str, Any] = {}  # logged with the last row (or alone at step 0 when there are no steps)
        for name, values in output.histograms.items():
            values = np.asarray(values)
            per_step = values.ndim >= 1 and len(values) == n_steps and n_steps > 0
            targets = [(rows[i], values[i]) for i in range(n_steps)] if per_step else [(extras, values)]
            for row, row_values in targets:
                finite, log10 = _histogram_rows(row_values)
                if finite.size:
                    row[name] = wandb.Histogram(finite, num_bins=HISTOGRAM_BINS)
                if log10.size:
                    row[f"{name}_log10"] = wandb.Histogram(log10, num_bins=HISTOGRAM_BINS)
        if columns:
            data = [[table_value(series[k][i]) for k in columns] for i in range(n_steps)]
            extras["tables/series"] = wandb.Table(columns=columns, data=data, allow_mixed_types=True)
        for name, (table_columns, table_rows) in output.tables.items():
            data = [[table_value(v) for v in row] for row in table_rows]
            extras[f"tables/{name}"] = wandb.Table(columns=table_columns, data=data, allow_mixed_types=True)
        for name, path in output.figures.items():
            extras[f"figures/{name}"] = wandb.Image(str(path), caption=name)

        if rows:
            rows[-1].update(extras)
        elif extras:
            rows, steps = [extras], [0]
        for step, row in zip(steps, rows, strict=True):
            self.run.log(row, step=step)
        self.run.summary.update(flatten(results.summary))
        self.run.summary.update(flatten(output.extra_summary))
        self._log_results_artifact()

    def _log_results_artifact(self) -> None:
        """``results.json`` + ``arrays.npz`` of the job dir as a versioned Artifact (skipped when absent)."""
        import wandb

        files = [self.job_dir / name for name in (RESULTS_FILE, ARRAYS_FILE)] if self.job_dir else []
        files = [f for f in files if f.exists()]
        if not files:
            return
        artifact = wandb.Artifact(artifact_name(self.run.name), type=ARTIFACT_TYPE)
        for file in files:
            artifact.add_file(str(file), name=file.name)
        self.run.log_artifact(artifact)
