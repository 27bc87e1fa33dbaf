"""Read results back: one job, a whole multirun directory, or a flat table of per-step rows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.errors import ConfigError
from ntk_bench.results.store import RESULTS_FILE, SCHEMA, SCHEMA_VERSION


@dataclass(frozen=True)
class Run:
    """One job's stored results (``results.json``), with its arrays loaded on first access."""

    path: Path
    document: dict[str, Any]

    @property
    def experiment(self) -> str:
        return self.document["experiment"]

    @property
    def config(self) -> dict[str, Any]:
        return self.document["config"]

    @property
    def axis(self) -> str:
        return self.document["axis"]

    @property
    def series(self) -> dict[str, list[float]]:
        return self.document["series"]

    @property
    def summary(self) -> dict[str, Any]:
        return self.document["summary"]

    @property
    def provenance(self) -> dict[str, Any]:
        return self.document["provenance"]

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """The job's ``arrays.npz``, checked against the sha256 recorded in ``results.json``."""
        meta = self.document["arrays"]
        file = self.path / meta["file"]
        try:
            data = file.read_bytes()
        except OSError as err:
            raise ConfigError(f"cannot read {file}: {err.strerror}") from err
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise ConfigError(f"{file} does not match the sha256 recorded in {self.path / RESULTS_FILE}")
        with np.load(file) as npz:
            return {name: npz[name] for name in npz.files}


def load_run(path: str | Path) -> Run:
    """Load a job directory (or its ``results.json``); alien or corrupt files raise a one-line error."""
    path = Path(path)
    file = path if path.name == RESULTS_FILE else path / RESULTS_FILE
    try:
        document = json.loads(file.read_text())
    except FileNotFoundError as err:
        raise ConfigError(f"no {RESULTS_FILE} in {file.parent} (not a completed ntk-bench job)") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"{file} is not a readable ntk-bench results file: {err}") from err
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ConfigError(f"{file} is not an ntk-bench results file (schema != {SCHEMA!r})")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(
            f"{file} has schema_version {document.get('schema_version')!r};"
            f" this ntk-bench reads {SCHEMA_VERSION}"
        )
    return Run(file.parent, document)


# Tracker stores inside job and sweep dirs (W&B offline runs, MLflow's default file store): the copies of
# results.json they hold as artifacts are not jobs.
TRACKER_DIRS = frozenset({"wandb", "mlruns"})


def load_runs(root: str | Path) -> list[Run]:
    """Every completed job under ``root`` (a job dir or a Hydra multirun dir), sorted by path."""
    root = Path(root)
    if not root.exists():
        raise ConfigError(f"results path {root} does not exist")
    if (root / RESULTS_FILE).exists():
        return [load_run(root / RESULTS_FILE)]
    files = sorted(f for f in root.rglob(RESULTS_FILE) if not TRACKER_DIRS & set(f.relative_to(root).parts))
    return [load_run(f) for f in files]


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out[prefix] = value


def runs_table(runs: list[Run]) -> list[dict[str, Any]]:
    """One row per (job, step): flattened config (``model.sigma_w2``…), ``job`` path, and series values."""
    rows: list[dict[str, Any]] = []
    for run in runs:
        base: dict[str, Any] = {"job": str(run.path), "experiment": run.experiment}
        _flatten("", run.config, base)
        names = list(run.series)
        steps = len(run.series[names[0]]) if names else 0
        for i in range(steps):
            rows.append({**base, **{name: run.series[name][i] for name in names}})
    return rows
