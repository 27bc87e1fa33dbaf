"""Config schemas: every config group is a frozen dataclass whose fields carry their check.

One vocabulary of checks (:mod:`ntk_bench.schema.fields`) and one parser (:func:`parse_section`) validate
every group — ``data``, ``model``, ``tracker`` and each experiment's ``experiment`` group — so a bad value
anywhere gives the same one-line :class:`~ntk_bench.errors.ConfigError` (``experiment.width=0 must be an
integer in [1, 8192]``; exit 2, nothing written). Write a group's schema as::

    @dataclass(frozen=True)
    class MyConfig:
        width: int = setting(integer(1, 8192), 128)
        lr_factor: float = setting(real(0, 1, open_minimum=True), 0.5)

        def __post_init__(self):  # rules across fields, as require(...)
            ...

    cfg = parse_section(MyConfig, raw_mapping, "experiment")
"""

from ntk_bench.schema.fields import (
    Check,
    anything,
    boolean,
    choice,
    integer,
    mapping_of,
    optional,
    path,
    real,
    reworded,
    sequence,
    text,
)
from ntk_bench.schema.sections import parse_section, schema_keys, section, setting

__all__ = [
    "Check",
    "anything",
    "boolean",
    "choice",
    "integer",
    "mapping_of",
    "optional",
    "parse_section",
    "path",
    "real",
    "reworded",
    "schema_keys",
    "section",
    "sequence",
    "setting",
    "text",
]
