"""The results store: one ``results.json`` (+ ``arrays.npz``) per job, written atomically.

Layout inside a job directory::

    results.json   schema, experiment, status, config, series (per-step scalars), summary, provenance
    arrays.npz     large arrays (eigenvalues per depth, kernels, grids); its sha256 is in results.json

``results.json`` is written last, by rename, so its presence means the job completed; a reader never sees
a half-written file. Non-finite floats are stored as JSON ``NaN``/``Infinity`` (Python's json reads them).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA = "ntk-bench/results"
SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"
ARRAYS_FILE = "arrays.npz"


@dataclass
class Results:
    """What an experiment produced.

    ``series`` maps metric name → list of values along ``axis`` (``series[axis]`` holds the axis itself,
    e.g. depths); ``summary`` holds single values (theory quantities, fitted constants); ``arrays`` holds
    numpy arrays saved to ``arrays.npz``.
    """

    experiment: str
    axis: str
    series: dict[str, list[float]] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_results(
    job_dir: Path, results: Results, config: Mapping[str, Any], provenance: Mapping[str, Any]
) -> Path:
    """Write ``arrays.npz`` then ``results.json`` atomically into ``job_dir``; returns the json path."""
    job_dir = Path(job_dir)
    lengths = {len(v) for v in results.series.values()}
    if len(lengths) > 1:
        raise ValueError(f"series have unequal lengths {sorted(lengths)}")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{k: np.asarray(v) for k, v in results.arrays.items()})
    array_bytes = buffer.getvalue()
    atomic_write_bytes(job_dir / ARRAYS_FILE, array_bytes)
    document = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "experiment": results.experiment,
        "status": "complete",
        "axis": results.axis,
        "config": _jsonable(config),
        "series": _jsonable(results.series),
        "summary": _jsonable(results.summary),
        "arrays": {
            "file": ARRAYS_FILE,
            "sha256": hashlib.sha256(array_bytes).hexdigest(),
            "names": sorted(results.arrays),
        },
        "provenance": _jsonable(provenance),
    }
    path = job_dir / RESULTS_FILE
    atomic_write_bytes(path, json.dumps(document, indent=1, sort_keys=False).encode())
    return path
