"""Resume: is a job directory already holding the complete results of exactly this config?

A job counts as complete when its ``results.json`` (written last, by rename: see :mod:`.store`) loads, says
``status: complete``, records the same :func:`~ntk_bench.results.provenance.config_hash` as the resolved
config being run, and its ``arrays.npz`` matches the sha256 recorded next to it. Anything else (missing,
corrupt, alien, another config, a damaged arrays file) means "compute it".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ntk_bench.errors import ConfigError
from ntk_bench.results.provenance import config_hash
from ntk_bench.results.reader import load_run
from ntk_bench.results.store import RESULTS_FILE


def completed_result(job_dir: str | Path, config: Mapping[str, Any]) -> Path | None:
    """The ``results.json`` in ``job_dir`` if it is a complete run of ``config``, else ``None``."""
    file = Path(job_dir) / RESULTS_FILE
    if not file.is_file():
        return None
    try:
        run = load_run(file)
    except ConfigError:
        return None
    if run.document.get("status") != "complete":
        return None
    if run.provenance.get("config_hash") != config_hash(dict(config)):
        return None
    meta = run.document.get("arrays") or {}
    try:
        data = (run.path / meta["file"]).read_bytes()
    except (KeyError, TypeError, OSError):
        return None
    if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        return None
    return file
