"""The one config parser: checks, defaults, unknown and missing keys, nested groups, cross-field rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ntk_bench.errors import ConfigError, require
from ntk_bench.schema import (
    boolean,
    choice,
    integer,
    mapping_of,
    optional,
    parse_section,
    real,
    schema_keys,
    section,
    sequence,
    setting,
    text,
)


@dataclass(frozen=True)
class Analysis:
    time: float | None = setting(optional(real(0)), None)
    threshold: float = setting(real(0, 1, open_minimum=True, open_maximum=True), 0.5)


@dataclass(frozen=True)
class Demo:
    name: str = setting(text())
    widths: tuple[int, ...] = setting(sequence(integer(1), min_len=2, increasing=True), [8, 16])
    lr_factor: float = setting(real(0, open_minimum=True), 0.5)
    allow_above: bool = setting(boolean(), False)
    labels: tuple[str, ...] = setting(sequence(choice(("a", "b")), unique=True, scalar_ok=True), "a")
    digests: dict = setting(mapping_of(text()), {})
    analysis: Analysis = section(Analysis)

    def __post_init__(self):
        require(
            self.lr_factor <= 1 or self.allow_above, f"experiment.lr_factor={self.lr_factor} must be <= 1"
        )


def test_defaults_fill_in_and_go_through_the_checks():
    cfg = parse_section(Demo, {"name": "x"}, "experiment")
    assert cfg == Demo(name="x", widths=(8, 16), labels=("a",), analysis=Analysis())
    assert schema_keys(Demo) == (
        "name",
        "widths",
        "lr_factor",
        "allow_above",
        "labels",
        "digests",
        "analysis",
    )


def test_given_values_are_parsed_to_their_types():
    cfg = parse_section(
        Demo,
        {"name": "x", "widths": [1, 4, 9], "lr_factor": 2, "allow_above": True, "analysis": {"time": 3}},
        "experiment",
    )
    assert cfg.widths == (1, 4, 9) and isinstance(cfg.lr_factor, float) and cfg.analysis.time == 3.0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "experiment.name is required"),
        ({"name": "x", "width": 3}, "unknown key experiment.width; allowed: name, widths,"),
        ({"name": "x", "widths": [16, 8]}, "experiment.widths=[16, 8] must be a list of at least 2 strictly"),
        ({"name": "x", "widths": [0, 8]}, "experiment.widths[0]=0 must be an integer >= 1"),
        ({"name": "x", "widths": 8}, "experiment.widths=8 must be a list"),
        ({"name": "x", "lr_factor": True}, "experiment.lr_factor=True must be a finite number > 0"),
        ({"name": "x", "lr_factor": float("nan")}, "experiment.lr_factor=nan must be a finite number > 0"),
        ({"name": "x", "lr_factor": 2}, "experiment.lr_factor=2.0 must be <= 1"),
        ({"name": "x", "allow_above": 1}, "experiment.allow_above=1 must be true or false"),
        ({"name": "x", "labels": ["a", "c"]}, "unknown experiment.labels[1] 'c'; allowed: a, b"),
        ({"name": "x", "labels": ["a", "a"]}, "experiment.labels=['a', 'a'] must be a list of distinct"),
        (
            {"name": "x", "analysis": {"threshold": 1}},
            "experiment.analysis.threshold=1 must be a finite number in (0, 1)",
        ),
        (
            {"name": "x", "analysis": {"time": "a"}},
            "experiment.analysis.time='a' must be a finite number >= 0 or null",
        ),
        ({"name": "x", "analysis": {"t": 1}}, "unknown key experiment.analysis.t; allowed: time, threshold"),
        ({"name": "x", "digests": [1]}, "experiment.digests=[1] must be a mapping"),
        ({"name": ""}, "experiment.name='' must be a non-empty string"),
    ],
)
def test_every_bad_value_is_one_line_naming_key_value_and_what_is_allowed(raw, message):
    with pytest.raises(ConfigError) as err:
        parse_section(Demo, raw, "experiment")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_non_mapping_group_and_extra_keys():
    with pytest.raises(ConfigError, match=r"^experiment=\[1\] must be a mapping$"):
        parse_section(Demo, [1], "experiment")
    assert (
        parse_section(Demo, {"name": "x", "family_key": 1}, "model", extra_keys=("family_key",)).name == "x"
    )


def test_choice_reads_a_registry_when_checked():
    names = ["a"]
    check = choice(lambda: names)
    names.append("plugin")  # a plugin registered after the schema was declared
    assert check("model.name", "plugin") == "plugin"


def test_integer_bounds_are_written_in_full():
    with pytest.raises(ConfigError, match=r"^k=-1 must be an integer in \[0, 2147483647\]$"):
        integer(0, 2**31 - 1)("k", -1)
    with pytest.raises(ConfigError, match=r"^k=2.0 must be a finite number in \[0, 1.5\]$"):
        real(0, 1.5)("k", 2.0)


def test_a_moved_key_says_where_it_went():
    moved = {"n_train": "data.n_train"}
    with pytest.raises(ConfigError, match=r"^experiment.n_train moved to data.n_train$"):
        parse_section(Demo, {"name": "x", "n_train": 32}, "experiment", moved=moved)
    assert parse_section(Demo, {"name": "x"}, "experiment", moved=moved).name == "x"


def test_text_with_a_pattern_matches_the_whole_string():
    hex64 = text(r"[0-9a-fA-F]{64}", "a 64-character hex string")
    assert hex64("data.sha256.f", "A" * 64) == "A" * 64
    for bad in ("a" * 63, "g" * 64, "a" * 64 + "\n", "", 7):
        with pytest.raises(ConfigError, match=r"^data.sha256.f=.* must be a 64-character hex string$"):
            hex64("data.sha256.f", bad)
