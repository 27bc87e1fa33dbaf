"""``tracker=mlflow``: each Hydra job is one MLflow run, logged generically from an ExperimentOutput.

The same content as the W&B tracker (``wandb_tracker.py``), in MLflow's terms:

* params: the fully resolved job config flattened with ``.`` (``model.sigma_w2``), plus ``provenance.*`` and
  ``hydra_job.*``; MLflow params are strings (values longer than MLflow's limit are cut, ending in ``…``);
* metrics: every numeric series, one value per step of ``results.axis``, with the axis value as the step
  when it is an increasing non-negative integer (else the row index; ``common.axis_steps``);
  numeric summary values (``results.summary`` and ``extra_summary`` flattened with ``/``: ``theory/chi_1``,
  claim verdict counts) as single metrics (``summary/<key>`` where a series has the same name);
* tags: non-numeric summary values (``theory/phase``), ``ntk_bench.experiment``, and in a multirun
  ``ntk_bench.sweep`` (the sweep's group name), ``ntk_bench.job_num`` and ``mlflow.parentRunId``: a sweep's
  runs are nested under one parent run named after the sweep;
* artifacts: ``results.json``, ``arrays.npz``, ``figures/<file>``, ``tables/<name>.json`` (the series table
  and the claims table, ``{"columns": [...], "data": [[...], ...]}``).

``tracker.tracking_uri``: an MLflow server (``http://HOST:PORT``), a database URI (needs the full
``mlflow`` package), a ``file:`` URI or a local path; null (default) = a local file store ``mlruns/`` in the
job dir (in a multirun, in the sweep dir, so the sweep shares one store). MLflow 3 keeps file stores in
maintenance mode and refuses them unless ``MLFLOW_ALLOW_FILE_STORE=true``, which this tracker sets (if
unset) for file stores.
A server is probed (``/health``) before the run starts: a server that does not answer within
``tracker.timeout`` seconds fails the tracker with one line, and the runner keeps the local results.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ntk_bench.results import ExperimentOutput
from ntk_bench.results.store import ARRAYS_FILE, RESULTS_FILE
from ntk_bench.tracker.common import (
    TrackerError,
    axis_steps,
    derive_group,
    derive_name,
    flatten,
    one_line,
    scalar,
    table_value,
)
from ntk_bench.tracker.config import SERVER_SCHEMES, MlflowConfig
from ntk_bench.tracker.context import JobContext

STORE_DIR = "mlruns"  # the default file store's directory in the job (or sweep) dir
# MLflow's limits (mlflow/utils/validation.py): per log_batch call, and lengths of keys and values.
MAX_PARAMS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_TAGS_PER_BATCH = 100
MAX_KEY = 250
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 8000
INVALID_KEY_CHARS = re.compile(r"[^/\w.\- :]")  # MLflow names: alphanumerics, _ - . space : /
RUN_STATUS = {True: "FINISHED", False: "FAILED"}


def is_file_store(uri: str) -> bool:
    """A ``file:`` URI or a plain local path (MLflow's file store)."""
    return urlparse(uri).scheme.lower() in ("", "file")


def default_store(job_dir: Path, job: JobContext) -> str:
    """``file:`` URI of ``mlruns/`` in the sweep dir (multirun) or the job dir."""
    base = job.sweep_dir if job.multirun and job.sweep_dir is not None else job_dir
    return (Path(base).resolve() / STORE_DIR).as_uri()


def probe_server(uri: str, timeout: float) -> None:
    """Raise :class:`TrackerError` unless the server at ``uri`` answers ``/health`` within ``timeout`` s (any
    HTTP answer counts: a server behind a proxy or auth may not serve ``/health`` but is there)."""
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout):
            return
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise TrackerError(f"mlflow server {uri} not reachable ({reason})") from err


def run_location(uri: str, experiment_id: str | None, run_id: str) -> str:
    """Where to look at a run: its page on a server (``URI/#/experiments/E/runs/R``), else the store URI."""
    if urlparse(uri).scheme.lower() in SERVER_SCHEMES:
        return f"{uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
    return uri


def mlflow_key(name: str) -> str:
    """A metric/param/tag name MLflow accepts: other characters become ``_``; at most 250 characters."""
    return INVALID_KEY_CHARS.sub("_", str(name))[:MAX_KEY]


def cut(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, ending in ``…`` when cut."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def as_text(value: Any) -> str:
    """A param/tag value: strings as they are, everything else as JSON (lists, bools, None)."""
    value = scalar(value)
    return value if isinstance(value, str) else json.dumps(value)


def is_number(value: Any) -> bool:
    """A real number MLflow can store as a metric (bools are not)."""
    value = scalar(value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def param_items(config: Mapping[str, Any]) -> dict[str, str]:
    """The flattened config (``model.sigma_w2`` → ``"1.5"``) as MLflow params."""
    return {mlflow_key(k): cut(as_text(v), MAX_PARAM_VALUE) for k, v in flatten(config, sep=".").items()}


def series_metrics(output: ExperimentOutput) -> list[tuple[str, float, int]]:
    """``(name, value, step)`` for every numeric value of every series (non-numeric entries skipped)."""
    series = output.results.series
    columns = list(series)
    n_steps = len(series[columns[0]]) if columns else 0
    axis_values = series.get(output.results.axis)
    steps = axis_steps(axis_values) if axis_values is not None else list(range(n_steps))
    return [
        (mlflow_key(name), float(scalar(values[i])), steps[i])
        for name, values in series.items()
        for i in range(n_steps)
        if is_number(values[i])
    ]


def summary_entries(output: ExperimentOutput) -> tuple[dict[str, float], dict[str, str]]:
    """The flattened summary split into metrics (numbers) and tags (everything else); a summary key equal to
    a series name is prefixed ``summary/`` (it would otherwise join that series' history)."""
    taken = {mlflow_key(name) for name in output.results.series}
    metrics: dict[str, float] = {}
    tags: dict[str, str] = {}
    for key, value in {**flatten(output.results.summary), **flatten(output.extra_summary)}.items():
        name = mlflow_key(key)
        name = mlflow_key(f"summary/{key}") if name in taken else name
        if is_number(value):
            metrics[name] = float(scalar(value))
        else:
            tags[name] = cut(as_text(value), MAX_TAG_VALUE)
    return metrics, tags


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    """``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def table_json(columns: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    """A table as JSON (NaN/inf cells as null, like the W&B tables)."""
    return {"columns": list(columns), "data": [[table_value(v) for v in row] for row in rows]}


class MlflowTracker:
    """Logs one job as one MLflow run (see the module docstring for what goes where)."""

    def __init__(self, settings: MlflowConfig, job: JobContext | None = None) -> None:
        self.settings = settings
        self.job = job or JobContext()
        self.uri = settings.tracking_uri
        self.client: Any = None
        self.run_id: str | None = None
        self.experiment_id: str | None = None
        self.job_dir: Path | None = None

    # -- Tracker protocol ---------------------------------------------------------------------------------
    def start(self, config: dict[str, Any], provenance: dict[str, Any], job_dir: Path) -> None:
        self.job_dir = Path(job_dir)
        uri = self.uri or default_store(self.job_dir, self.job)
        timeout = self.settings.timeout
        if urlparse(uri).scheme.lower() in SERVER_SCHEMES:
            probe_server(uri, timeout)
            # A server that dies mid-run: fail in seconds, not after MLflow's default minutes of retries.
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(math.ceil(timeout)))
            os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # finish prints one line
        if is_file_store(uri):
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        try:
            from mlflow.tracking import MlflowClient

            self.client = MlflowClient(tracking_uri=uri)
            self.uri = uri
            self.experiment_id = self._experiment_id(self.settings.experiment)
            experiment = str((config.get("experiment") or {}).get("name", "experiment"))
            tags = {"ntk_bench.experiment": experiment, **self._sweep_tags()}
            tags.update({mlflow_key(f"tag.{t}"): "true" for t in self._user_tags()})
            run = self.client.create_run(
                self.experiment_id, run_name=derive_name(self.job, experiment), tags=tags
            )
            self.run_id = run.info.run_id
            params = {
                **param_items(config),
                **param_items({"provenance": provenance}),
                **param_items({"hydra_job": self.job.to_dict()}),
            }
            self._log_batch(params=params)
        except TrackerError:
            raise
        except Exception as err:
            raise TrackerError(f"mlflow start ({uri}) failed: {type(err).__name__}: {one_line(err)}") from err

    def log_output(self, output: ExperimentOutput) -> None:
        if self.client is None or self.run_id is None:
            raise TrackerError("log_output before start")
        try:
            self._log(output)
        except Exception as err:
            raise TrackerError(f"mlflow logging failed: {type(err).__name__}: {one_line(err)}") from err

    def finish(self, exit_code: int = 0) -> None:
        client, run_id, self.run_id = self.client, self.run_id, None
        if client is None or run_id is None:
            return
        client.set_terminated(run_id, status=RUN_STATUS[exit_code == 0])
        where = run_location(str(self.uri), self.experiment_id, run_id)
        print(f"ntk-bench: mlflow run {run_id} logged to {where}")

    # -- helpers ------------------------------------------------------------------------------------------
    def _user_tags(self) -> list[str]:
        return list(self.settings.tags or ())

    def _experiment_id(self, name: str) -> str:
        """The id of MLflow experiment ``name``, created if missing (parallel jobs may race to create it)."""
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        try:
            return self.client.create_experiment(name)
        except Exception:
            found = self.client.get_experiment_by_name(name)
            if found is None:
                raise
            return found.experiment_id

    def _sweep_tags(self) -> dict[str, str]:
        """Multirun: the sweep's group name, the job number and the sweep's parent run (found or created)."""
        group = derive_group(self.settings.group, self.job)
        if group is None:
            return {}
        tags = {"ntk_bench.sweep": group}
        if self.job.job_num is not None:
            tags["ntk_bench.job_num"] = str(self.job.job_num)
        if self.job.multirun:
            tags["mlflow.parentRunId"] = self._parent_run(group)
        return tags

    def _parent_run(self, group: str) -> str:
        """The run tagged ``ntk_bench.sweep_parent = group`` (created, status FINISHED, when missing). Jobs
        started in parallel before any parent exists may each create one: their runs then split groups."""
        escaped = group.replace("'", "\\'")
        found = self.client.search_runs(
            [self.experiment_id], filter_string=f"tags.`ntk_bench.sweep_parent` = '{escaped}'", max_results=1
        )
        if found:
            return found[0].info.run_id
        tags = {"ntk_bench.sweep_parent": group, "ntk_bench.sweep": group}
        parent = self.client.create_run(self.experiment_id, run_name=group, tags=tags)
        self.client.set_terminated(parent.info.run_id, status="FINISHED")
        return parent.info.run_id

    def _log_batch(
        self,
        params: Mapping[str, str] | None = None,
        metrics: list[tuple[str, float, int]] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        from mlflow.entities import Metric, Param, RunTag

        now = int(time.time() * 1000)
        for part in chunks([Param(k, v) for k, v in (params or {}).items()], MAX_PARAMS_PER_BATCH):
            self.client.log_batch(self.run_id, params=part)
        for part in chunks([Metric(k, v, now, s) for k, v, s in metrics or []], MAX_METRICS_PER_BATCH):
            self.client.log_batch(self.run_id, metrics=part)
        for part in chunks([RunTag(k, v) for k, v in (tags or {}).items()], MAX_TAGS_PER_BATCH):
            self.client.log_batch(self.run_id, tags=part)

    def _log(self, output: ExperimentOutput) -> None:
        summary_metrics, summary_tags = summary_entries(output)
        metrics = series_metrics(output) + [(k, v, 0) for k, v in summary_metrics.items()]
        self._log_batch(metrics=metrics, tags=summary_tags)
        series = output.results.series
        if series:
            columns = list(series)
            rows = [[series[c][i] for c in columns] for i in range(len(series[columns[0]]))]
            self.client.log_dict(self.run_id, table_json(columns, rows), "tables/series.json")
        for name, (table_columns, table_rows) in output.tables.items():
            self.client.log_dict(self.run_id, table_json(table_columns, table_rows), f"tables/{name}.json")
        for path in output.figures.values():
            self.client.log_artifact(self.run_id, str(path), "figures")
        for name in (RESULTS_FILE, ARRAYS_FILE):
            if self.job_dir is not None and (self.job_dir / name).exists():
                self.client.log_artifact(self.run_id, str(self.job_dir / name))
