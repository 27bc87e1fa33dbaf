"""Tests for ntk_bench.data: layouts, preprocessing, determinism, file formats and every user-facing error."""

from __future__ import annotations

import data_fixtures as fx  # tests/data_fixtures.py (pythonpath = ["tests"])
import numpy as np
import pytest

from ntk_bench.data import load_dataset


@pytest.mark.parametrize("archive", [False, True])
def test_cifar_batches_round_trip(archive, tmp_path, no_md5):
    data = fx.write_cifar_like(tmp_path / "cifar10", seed=2, archive=archive)
    ds = load_dataset({"name": "cifar10", "cache_dir": str(tmp_path), **fx.RAW})
    assert ds.x_train.shape == (20, 32, 32, 3) and ds.x_test.shape == (5, 32, 32, 3)
    np.testing.assert_array_equal(ds.labels_train, data.train_labels)
    np.testing.assert_array_equal(ds.labels_test, data.test_labels)
    # channel-major storage: data[i, c*1024 + h*32 + w] is pixel (h, w) of channel c
    i, h, w, c = 13, 5, 30, 2
    assert ds.x_train[i, h, w, c] == data.train_data[i, c * 1024 + h * 32 + w]
    np.testing.assert_array_equal(ds.x_test, data.test_data.reshape(5, 3, 32, 32).transpose(0, 2, 3, 1))
    assert set(ds.meta["sha256"]) == (
        {"cifar-10-python.tar.gz"} if archive else {*(f"data_batch_{k}" for k in range(1, 6)), "test_batch"}
    )


def test_corrupt_cifar_files_are_config_errors(tmp_path, no_md5):
    fx.write_cifar_like(tmp_path / "cifar10")
    batch = tmp_path / "cifar10" / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(b"\x80\x02not a pickle at all")
    fx.config_error({"name": "cifar10", "cache_dir": str(tmp_path)}, "cannot read", "data_batch_3")
    # A pickle that would import anything beyond NumPy's array machinery is refused, not executed.
    batch.write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
    fx.config_error(
        {"name": "cifar10", "cache_dir": str(tmp_path)}, "data_batch_3", "os.system is not allowed"
    )
    other = tmp_path / "other"
    (other / "cifar10").mkdir(parents=True)
    (other / "cifar10" / "cifar-10-python.tar.gz").write_bytes(b"definitely not a tarball")
    fx.config_error({"name": "cifar10", "cache_dir": str(other)}, "cannot read", "cifar-10-python.tar.gz")
