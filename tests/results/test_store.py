"""Results store: atomic files, provenance, readers, and clear errors on alien files."""

import json

import numpy as np
import pytest

from ntk_bench.errors import ConfigError
from ntk_bench.results import (
    collect_provenance,
    load_run,
    write_results,
)


def test_write_then_read_round_trip(tmp_path, tiny_results):
    config = {"model": {"sigma_w2": 1.5}, "seed": 0}
    provenance = collect_provenance(config, seed=0, wall_time_s=1.0)
    write_results(tmp_path / "job", tiny_results(), config, provenance)
    run = load_run(tmp_path / "job")
    assert run.experiment == "spectrum"
    assert run.series["ntk/lambda_max"] == [3.0, float("inf")]
    assert run.summary["theory"]["phase"] == "ordered"
    np.testing.assert_array_equal(run.arrays["ntk_eigenvalues"], np.arange(6.0).reshape(2, 3))
    assert not list((tmp_path / "job").glob(".*.tmp"))  # no temporary files left behind


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


def test_tampered_arrays_are_detected(tmp_path, tiny_results):
    write_results(tmp_path, tiny_results(), {}, {})
    run = load_run(tmp_path)
    (tmp_path / "arrays.npz").write_bytes(b"garbage")
    with pytest.raises(ConfigError, match="does not match the sha256"):
        _ = run.arrays
