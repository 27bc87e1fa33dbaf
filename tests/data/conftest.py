"""Fixtures shared by the tests of ntk_bench.data."""

import numpy as np
import pytest

from ntk_bench.data import files, load_dataset


@pytest.fixture(scope="session")
def mnist1d_dir(tmp_path_factory):
    """Cache dir with MNIST-1D generated once per session; records the global RNG states around it."""
    cache = tmp_path_factory.mktemp("mnist1d_cache")
    before = np.random.get_state()[1].copy()
    ds = load_dataset({"name": "mnist1d", "cache_dir": str(cache)})
    after = np.random.get_state()[1].copy()
    return {"dir": cache, "first": ds, "rng_unchanged": bool(np.array_equal(before, after))}


@pytest.fixture
def no_md5(monkeypatch):
    """Fixture files carry the official names but not the official contents: drop the MD5 table."""
    monkeypatch.setattr(files, "MD5", {})
