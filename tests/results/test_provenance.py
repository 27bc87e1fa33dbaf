"""Results store: atomic files, provenance, readers, and clear errors on alien files."""

from ntk_bench.results import (
    collect_provenance,
    config_hash,
)


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
