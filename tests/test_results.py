"""Results store: atomic files, provenance, readers, and clear errors on alien files."""

import json

import numpy as np
import pytest

from ntk_bench.errors import ConfigError
from ntk_bench.results import (
    Results,
    collect_provenance,
    config_hash,
    load_run,
    load_runs,
    runs_table,
    write_results,
)


def _results():
    return Results(
        experiment="spectrum",
        axis="depth",
        series={"depth": [1, 2], "ntk/lambda_max": [3.0, float("inf")]},
        summary={"theory": {"chi_1": 0.9, "phase": "ordered"}},
        arrays={"ntk_eigenvalues": np.arange(6.0).reshape(2, 3)},
    )


def test_write_then_read_round_trip(tmp_path):
    config = {"model": {"sigma_w2": 1.5}, "seed": 0}
    provenance = collect_provenance(config, seed=0, wall_time_s=1.0)
    write_results(tmp_path / "job", _results(), config, provenance)
    run = load_run(tmp_path / "job")
    assert run.experiment == "spectrum"
    assert run.series["ntk/lambda_max"] == [3.0, float("inf")]
    assert run.summary["theory"]["phase"] == "ordered"
    np.testing.assert_array_equal(run.arrays["ntk_eigenvalues"], np.arange(6.0).reshape(2, 3))
    assert not list((tmp_path / "job").glob(".*.tmp"))  # no temporary files left behind


def test_provenance_records_versions_flags_and_config_hash():
    config = {"b": 1, "a": {"c": 2}}
    p = collect_provenance(config, seed=7)
    assert p["packages"]["jax"] == "0.4.25"
    assert p["packages"]["neural-tangents"] == "0.6.5"
    assert p["jax_flags"]["jax_enable_x64"] is True
    assert "jax_threefry_partitionable" in p["jax_flags"]
    assert p["seed"] == 7
    assert p["config_hash"] == config_hash({"a": {"c": 2}, "b": 1})  # key order does not matter
    assert p["config_hash"] != config_hash({"a": {"c": 3}, "b": 1})
    assert "sha" in p["git"]


def test_multirun_table(tmp_path):
    for i, sigma in enumerate((1.0, 2.0)):
        write_results(tmp_path / str(i), _results(), {"model": {"sigma_w2": sigma}}, {})
    runs = load_runs(tmp_path)
    rows = runs_table(runs)
    assert len(runs) == 2 and len(rows) == 4
    assert [r["model.sigma_w2"] for r in rows] == [1.0, 1.0, 2.0, 2.0]
    assert [r["depth"] for r in rows] == [1, 2, 1, 2]


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not a readable"), (json.dumps({"schema": "other"}), "not an ntk-bench results file")],
)
def test_alien_or_corrupt_results_file_is_named_in_one_line(tmp_path, content, message):
    (tmp_path / "results.json").write_text(content)
    with pytest.raises(ConfigError) as err:
        load_run(tmp_path)
    assert message in str(err.value) and str(tmp_path / "results.json") in str(err.value)
    assert "\n" not in str(err.value)


def test_tampered_arrays_are_detected(tmp_path):
    write_results(tmp_path, _results(), {}, {})
    run = load_run(tmp_path)
    (tmp_path / "arrays.npz").write_bytes(b"garbage")
    with pytest.raises(ConfigError, match="does not match the sha256"):
        _ = run.arrays


def test_missing_results_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no results.json"):
        load_run(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_runs(tmp_path / "nope")
