"""Tests for ntk_bench.data: layouts, preprocessing, determinism, file formats and every user-facing error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ntk_bench.data import load_dataset, preprocess


def cfg_for(name: str, mnist1d_dir, **overrides) -> dict:
    cfg = {"name": name, **overrides}
    if name == "mnist1d":
        cfg.setdefault("cache_dir", str(mnist1d_dir["dir"]))
    return cfg


# --------------------------------------------------------------------------------------- preprocessing


def test_standardization_uses_train_statistics_only():
    raw = load_dataset(
        {"name": "digits", "n_train": 300, "n_test": 200, "normalize": False, "standardize": False, "seed": 1}
    )
    ds = load_dataset({"name": "digits", "n_train": 300, "n_test": 200, "normalize": False, "seed": 1})
    mean, std = raw.x_train.mean(axis=0), raw.x_train.std(axis=0)
    const = std == 0
    assert const.any(), "digits has always-blank border pixels; they exercise the zero-std rule"
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.x_train.std(axis=0)[~const], 1.0, atol=1e-12)
    assert np.all(ds.x_train[:, const] == 0) and np.all(ds.x_test[:, const] == 0)
    expected_test = (raw.x_test - mean) / np.where(const, 1, std)
    np.testing.assert_allclose(ds.x_test[:, ~const], expected_test[:, ~const], rtol=1e-12, atol=1e-12)
    assert np.abs(ds.x_test.mean(axis=0)).max() > 1e-3  # not re-centred with its own statistics


@pytest.mark.parametrize("name", ["digits", "mnist1d", "synthetic"])
def test_normalization_gives_squared_norm_d(name, mnist1d_dir):
    ds = load_dataset(cfg_for(name, mnist1d_dir, n_train=64, n_test=32))
    for x in (ds.x_train, ds.x_test):
        sq = (x.reshape(len(x), -1) ** 2).sum(axis=1)
        np.testing.assert_allclose(sq, ds.input_dim, rtol=0, atol=1e-10)


def test_targets_one_hot_centred_and_plain():
    ds = load_dataset({"name": "digits", "n_train": 100, "n_test": 50})
    np.testing.assert_allclose(ds.y_train.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_array_equal(ds.y_train.argmax(axis=1), ds.labels_train)
    assert set(np.unique(ds.y_train)) == {-0.1, 0.9}
    plain = load_dataset({"name": "digits", "n_train": 100, "n_test": 50, "center_labels": False})
    np.testing.assert_array_equal(plain.y_train.sum(axis=1), 1.0)
    column = load_dataset({"name": "digits", "n_train": 100, "n_test": 50, "one_hot": False})
    assert column.y_train.shape == (100, 1)
    np.testing.assert_array_equal(column.y_train[:, 0], column.labels_train)


def test_preprocess_functions_directly():
    rng = np.random.default_rng(0)
    idx = preprocess.subsample_indices(50, 20, rng)
    assert len(np.unique(idx)) == 20 and idx.min() >= 0 and idx.max() < 50 and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(preprocess.subsample_indices(7, 7, rng), np.arange(7))
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(
        preprocess.normalize(x), [[3 * math.sqrt(2) / 5, 4 * math.sqrt(2) / 5], [0, 0]]
    )
    tr, te = preprocess.standardize(np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([[5.0, 9.0]]))
    np.testing.assert_array_equal(tr, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(te, [[3.0, 0.0]])  # train mean 2, std 1; constant feature -> 0
    xs, ls = preprocess.select_classes(np.arange(5.0)[:, None], np.array([4, 1, 4, 2, 1]), [1, 4])
    np.testing.assert_array_equal(xs[:, 0], [0, 1, 2, 4])
    np.testing.assert_array_equal(ls, [1, 0, 1, 0])
