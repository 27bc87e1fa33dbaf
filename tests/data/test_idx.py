"""Tests for ntk_bench.data: layouts, preprocessing, determinism, file formats and every user-facing error."""

from __future__ import annotations

import gzip
import hashlib

import data_fixtures as fx  # tests/data_fixtures.py (pythonpath = ["tests"])
import numpy as np
import pytest

from ntk_bench.data import load_dataset, load_raw

# ------------------------------------------------------------------------------------------ file formats


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_idx_files_round_trip(name, tmp_path, no_md5):
    data = fx.write_mnist_like(tmp_path / name, seed=5)
    raw = load_raw({"name": name, "cache_dir": str(tmp_path)})
    np.testing.assert_array_equal(raw.x_train[..., 0], data.train_images)
    np.testing.assert_array_equal(raw.labels_train, data.train_labels)
    np.testing.assert_array_equal(raw.x_test[..., 0], data.test_images)
    np.testing.assert_array_equal(raw.labels_test, data.test_labels)
    ds = load_dataset({"name": name, "cache_dir": str(tmp_path), **fx.RAW})
    assert ds.x_train.shape == (20, 28, 28, 1) and ds.x_test.shape == (10, 28, 28, 1)
    np.testing.assert_array_equal(ds.x_train[..., 0], data.train_images)  # n_train=null keeps file order
    expected_sha = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data.paths}
    assert ds.meta["sha256"] == expected_sha
    sub = load_dataset({"name": name, "cache_dir": str(tmp_path), "n_train": 8, "n_test": 4})
    assert sub.x_train.shape == (8, 28, 28, 1)


@pytest.mark.parametrize(
    ("target", "content"),
    [
        ("train-images-idx3-ubyte.gz", b"\x1f\x8b\x08\x00garbage that is not deflate"),  # broken gzip
        ("train-labels-idx1-ubyte.gz", gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x14" + b"\x01" * 5)),
        ("t10k-images-idx3", b"\x12\x34\x56\x78" + b"\x00" * 40),  # raw file, bad magic
    ],
)
def test_corrupt_idx_file_is_a_config_error(target, content, tmp_path, no_md5):
    fx.write_mnist_like(tmp_path / "mnist")
    path = tmp_path / "mnist" / target
    if not path.exists():
        path = tmp_path / "mnist" / (target + "-ubyte")
    path.write_bytes(content)
    fx.config_error({"name": "mnist", "cache_dir": str(tmp_path)}, "cannot read", path.name)
