"""Results store: atomic files, provenance, readers, and clear errors on alien files."""

import pytest

from ntk_bench.errors import ConfigError
from ntk_bench.results import (
    load_run,
    load_runs,
    runs_table,
    write_results,
)


def test_multirun_table(tmp_path, tiny_results):
    for i, sigma in enumerate((1.0, 2.0)):
        write_results(tmp_path / str(i), tiny_results(), {"model": {"sigma_w2": sigma}}, {})
    runs = load_runs(tmp_path)
    rows = runs_table(runs)
    assert len(runs) == 2 and len(rows) == 4
    assert [r["model.sigma_w2"] for r in rows] == [1.0, 1.0, 2.0, 2.0]
    assert [r["depth"] for r in rows] == [1, 2, 1, 2]


def test_missing_results_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no results.json"):
        load_run(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_runs(tmp_path / "nope")
