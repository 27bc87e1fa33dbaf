"""One parser for every config group: a frozen dataclass schema in, a validated instance out.

Each field of a schema is declared with :func:`setting` (its check and its default); :func:`parse_section`
rejects unknown keys, fills defaults, runs every check with the field's full dotted key, and builds the
dataclass, whose ``__post_init__`` holds the rules across fields. Nested groups are fields declared with
:func:`section`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from ntk_bench.errors import ConfigError, require
from ntk_bench.schema.fields import Check

T = TypeVar("T")
REQUIRED = dataclasses.MISSING


def _frozen(value: Any) -> Any:
    """A default usable as a dataclass field default (lists become tuples, mappings stay via factory)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def setting(check: Check, default: Any = REQUIRED, *, doc: str = "") -> Any:
    """A schema field: its ``check`` and its ``default`` (REQUIRED: the group must give it).

    The raw default goes through the check like any given value, so the default documents the YAML form.
    """
    metadata = {"check": check, "default": default, "doc": doc}
    if default is REQUIRED:
        return dataclasses.field(metadata=metadata)
    if isinstance(default, dict):
        return dataclasses.field(default_factory=lambda: dict(default), metadata=metadata)
    return dataclasses.field(default=_frozen(default), metadata=metadata)


def section(schema: type, default: Any = None) -> Any:
    """A nested group (``experiment.analysis``) parsed with its own schema; null or absent: all defaults."""

    def parse(key: str, value: Any) -> Any:
        return parse_section(schema, {} if value is None else value, key)

    check = Check(parse, f"a mapping with keys {', '.join(schema_keys(schema))}")
    return dataclasses.field(
        default_factory=lambda: parse_section(schema, default or {}, "default"),
        metadata={"check": check, "default": default, "doc": ""},
    )


def schema_keys(schema: type) -> tuple[str, ...]:
    """The keys a group of this schema accepts, in declaration order."""
    return tuple(f.name for f in dataclasses.fields(schema) if "check" in f.metadata)


def parse_section(
    schema: type[T],
    cfg: Any,
    section_key: str,
    *,
    extra_keys: tuple[str, ...] = (),
    moved: Mapping[str, str] | None = None,
) -> T:
    """Validate the mapping ``cfg`` (the group at ``section_key``) into an instance of ``schema``.

    Unknown keys: ``unknown key <section>.<key>; allowed: …``. A missing required key:
    ``<section>.<key> is required``. Every value goes through its field's check. ``extra_keys`` are
    accepted and ignored (keys another parser reads, e.g. a model family's own keys). ``moved`` maps keys
    the group no longer has to where they went (``{"n_train": "data.n_train"}``): giving one that the schema
    does not declare is the error ``<section>.<key> moved to <where>`` (so one table can serve every group).
    """
    require(isinstance(cfg, Mapping), f"{section_key}={cfg!r} must be a mapping")
    keys = schema_keys(schema)
    for key in cfg:
        if key in keys or key in extra_keys:
            continue
        if moved and key in moved:
            raise ConfigError(f"{section_key}.{key} moved to {moved[key]}")
        raise ConfigError(f"unknown key {section_key}.{key}; allowed: {', '.join((*keys, *extra_keys))}")
    values = {}
    for field in dataclasses.fields(schema):
        if "check" not in field.metadata:
            continue
        raw = cfg.get(field.name, field.metadata["default"])
        require(raw is not REQUIRED, f"{section_key}.{field.name} is required")
        values[field.name] = field.metadata["check"](f"{section_key}.{field.name}", raw)
    return schema(**values)
