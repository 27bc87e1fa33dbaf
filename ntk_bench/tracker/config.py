"""The ``tracker`` config group as schemas, one per tracker (``conf/tracker/<name>.yaml``).

:func:`parse_config` picks the schema by ``tracker.name`` (an unknown name lists the trackers) and validates
the group with :func:`ntk_bench.schema.parse_section`: unknown keys, wrong types and out-of-range values are
one-line :class:`~ntk_bench.errors.ConfigError` s, raised before the experiment runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ntk_bench.errors import ConfigError, require, require_choice
from ntk_bench.schema import (
    Check,
    choice,
    optional,
    parse_section,
    real,
    schema_keys,
    sequence,
    setting,
    text,
)

TRACKERS = ("none", "wandb", "mlflow")
MODES = ("auto", "offline", "online")  # W&B: auto = WANDB_MODE if set, else online iff credentials exist
SERVER_SCHEMES = ("http", "https")
DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")
OTHER_SCHEMES = ("file", "databricks")
ALLOWED_URIS = (
    "http(s)://HOST[:PORT], file:PATH or a local path, sqlite:///FILE, postgresql://..., mysql://..."
)


def check_tracking_uri(uri: object) -> str | None:
    """``tracker.tracking_uri`` validated: None for the default store, else the URI; a malformed one raises
    :class:`~ntk_bench.errors.ConfigError` naming it and what is allowed."""
    if uri is None or uri == "":
        return None
    bad = ConfigError(f"bad tracker.tracking_uri {uri!r}; allowed: {ALLOWED_URIS}")
    if not isinstance(uri, str):
        raise bad
    try:
        parsed = urlparse(uri)
        port_ok = parsed.port is None or parsed.port > 0
    except ValueError:
        raise bad from None
    scheme = parsed.scheme.lower()
    if scheme in SERVER_SCHEMES:
        if not parsed.hostname or not port_ok:
            raise bad
        return uri
    if scheme in DATABASE_SCHEMES or scheme in OTHER_SCHEMES or scheme == "":
        return uri
    raise bad


TAGS = optional(sequence(text(), min_len=0, scalar_ok=True))  # null: none; a single tag counts as a list
TRACKING_URI = Check(lambda key, value: check_tracking_uri(value), f"null or a tracking URI ({ALLOWED_URIS})")


@dataclass(frozen=True)
class NoneConfig:
    """``tracker=none``: logs nothing. The other trackers' keys are accepted and ignored, so a sweep over
    ``tracker=none,wandb`` may set ``tracker.project``; any other key is an unknown-key error."""

    name: str = setting(choice(TRACKERS), "none")


@dataclass(frozen=True)
class WandbConfig:
    """``tracker=wandb`` (``conf/tracker/wandb.yaml``)."""

    name: str = setting(choice(TRACKERS), "wandb")
    mode: str = setting(choice(MODES), "auto")
    project: str = setting(text(), "ntk-bench")
    entity: str | None = setting(optional(text()), None)  # null: the account's default entity
    tags: tuple[str, ...] | None = setting(TAGS, [])
    group: str | None = setting(optional(text()), None)  # null: derived (a multirun: its sweep dir)
    init_timeout: float = setting(real(0, open_minimum=True), 30)  # seconds an online start may take


@dataclass(frozen=True)
class MlflowConfig:
    """``tracker=mlflow`` (``conf/tracker/mlflow.yaml``)."""

    name: str = setting(choice(TRACKERS), "mlflow")
    tracking_uri: str | None = setting(TRACKING_URI, None)  # null: a file store mlruns/ in the job dir
    experiment: str = setting(text(), "ntk-bench")  # the MLflow experiment the runs go to
    tags: tuple[str, ...] | None = setting(TAGS, [])
    group: str | None = setting(optional(text()), None)  # null: derived (a multirun: its sweep dir)
    timeout: float = setting(real(0, open_minimum=True), 10)  # seconds a server may take to answer


SCHEMAS: dict[str, type] = {"none": NoneConfig, "wandb": WandbConfig, "mlflow": MlflowConfig}
TrackerConfig = NoneConfig | WandbConfig | MlflowConfig
OTHER_KEYS = tuple(dict.fromkeys((*schema_keys(WandbConfig), *schema_keys(MlflowConfig))))  # none ignores


def parse_config(cfg: Mapping[str, Any]) -> TrackerConfig:
    """Validate ``cfg`` (the ``tracker`` group) with the schema of its ``name`` (default ``none``)."""
    require(isinstance(cfg, Mapping), f"tracker={cfg!r} must be a mapping")
    name = cfg.get("name", "none")
    require_choice("tracker", name, TRACKERS)
    ignored = () if name != "none" else tuple(k for k in OTHER_KEYS if k != "name")
    return parse_section(SCHEMAS[name], cfg, "tracker", extra_keys=ignored)
