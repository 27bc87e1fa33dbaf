"""Tests for ntk_bench.data: layouts, preprocessing, determinism, file formats and every user-facing error."""

from __future__ import annotations

import hashlib
import math

import data_fixtures as fx  # tests/data_fixtures.py (pythonpath = ["tests"])
import numpy as np
import pytest
import sklearn.datasets

from ntk_bench.data import Dataset, load_dataset, load_raw
from ntk_bench.errors import ConfigError


def cfg_for(name: str, mnist1d_dir, **overrides) -> dict:
    cfg = {"name": name, **overrides}
    if name == "mnist1d":
        cfg.setdefault("cache_dir", str(mnist1d_dir["dir"]))
    return cfg


# ----------------------------------------------------------------------------------------------- layouts


@pytest.mark.parametrize(
    ("name", "extra", "shape", "spatial"),
    [
        ("digits", {}, (8, 8, 1), (8, 8)),
        ("mnist1d", {}, (40, 1), (40,)),
        ("synthetic", {}, (64,), ()),
        ("synthetic", {"spatial_shape": [4, 5], "channels": 3}, (4, 5, 3), (4, 5)),
    ],
)
def test_layout_and_dtypes(name, extra, shape, spatial, mnist1d_dir):
    ds = load_dataset(cfg_for(name, mnist1d_dir, n_train=50, n_test=30, **extra))
    assert isinstance(ds, Dataset)
    assert ds.x_train.shape == (50, *shape) and ds.x_test.shape == (30, *shape)
    assert ds.x_train.dtype == ds.x_test.dtype == np.float64
    assert ds.labels_train.dtype == ds.labels_test.dtype == np.int64
    assert ds.y_train.shape == (50, 10) and ds.y_test.shape == (30, 10) and ds.y_train.dtype == np.float64
    assert ds.spatial_shape == spatial and ds.input_dim == math.prod(shape)
    assert ds.num_classes == 10 and ds.classes == tuple(range(10))
    assert not ds.x_train.flags.writeable
    flat = ds.flat()
    assert flat.x_train.shape == (50, ds.input_dim) and flat.spatial_shape == ()
    np.testing.assert_array_equal(flat.x_train, ds.x_train.reshape(50, -1))
    assert ds.meta["preprocessing"]["n_train"] == 50 and "sha256" in ds.meta


def test_mnist1d_generated_locally_cached_and_rng_untouched(mnist1d_dir):
    first = mnist1d_dir["first"]
    assert first.meta["cache"] == "written" and mnist1d_dir["rng_unchanged"]
    assert load_raw(cfg_for("mnist1d", mnist1d_dir)).x_train.shape == (4000, 40, 1)
    again = load_dataset(cfg_for("mnist1d", mnist1d_dir))
    assert again.meta["cache"] == "hit"
    np.testing.assert_array_equal(again.x_train, first.x_train)
    (cached,) = (mnist1d_dir["dir"] / "mnist1d").glob("*.npz")
    assert again.meta["sha256"] == {cached.name: hashlib.sha256(cached.read_bytes()).hexdigest()}


# ------------------------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("name", ["digits", "mnist1d", "synthetic"])
def test_same_seed_same_arrays_different_seed_different(name, mnist1d_dir):
    a, b, c = (load_dataset(cfg_for(name, mnist1d_dir, n_train=40, n_test=20, seed=s)) for s in (3, 3, 4))
    for field in ("x_train", "labels_train", "y_train", "x_test", "labels_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.x_train, c.x_train)
    assert not np.array_equal(a.x_test, c.x_test)


def _sorted_rows(x: np.ndarray) -> np.ndarray:
    return x[np.lexsort(x.T[::-1])]


def test_digits_split_is_a_partition_and_fixed():
    full = sklearn.datasets.load_digits()
    ds = load_dataset({"name": "digits", **fx.RAW})
    assert (ds.n_train, ds.n_test) == (1348, 449)
    both = np.concatenate([ds.x_train, ds.x_test]).reshape(1797, 64)
    # Sizes add up to 1797 and the pools together are exactly the 1797 images as a multiset (rows sorted
    # lexicographically), so every image is in exactly one pool.
    np.testing.assert_array_equal(_sorted_rows(both), _sorted_rows(full.data.astype(np.float64)))
    # The test pool does not depend on the seed: every subsample's test rows come from it.
    pool = {row.tobytes() for row in ds.x_test.reshape(449, 64)}
    sub = load_dataset(
        {"name": "digits", "seed": 7, "n_train": 100, "n_test": 50, "standardize": False, "normalize": False}
    )
    assert all(row.tobytes() in pool for row in sub.x_test.reshape(50, 64))


def test_class_subset_relabels_in_listed_order():
    raw = load_raw({"name": "digits"})
    ds = load_dataset({"name": "digits", "classes": [7, 3], **fx.RAW})
    assert ds.num_classes == 2 and ds.classes == (7, 3) and ds.y_train.shape[1] == 2
    keep = np.isin(raw.labels_train, [7, 3])
    np.testing.assert_array_equal(ds.x_train, raw.x_train[keep])
    np.testing.assert_array_equal(ds.labels_train, np.where(raw.labels_train[keep] == 7, 0, 1))
    assert set(np.unique(ds.labels_test)) == {0, 1}
    np.testing.assert_allclose(ds.y_train.sum(axis=1), 0.0, atol=1e-12)


MNIST1D = {"name": "mnist1d", "n_train": 40, "n_test": 30, "seed": 3}


def test_stratified_draw_has_equal_class_counts_and_a_plain_draw_does_not():
    stratified = load_dataset({**MNIST1D, "stratify": True})
    assert np.bincount(stratified.labels_train).tolist() == [4] * 10
    assert (
        np.bincount(stratified.labels_test, minlength=10).max() - np.bincount(stratified.labels_test).min()
        <= 1
    )
    # centred one-hot labels of a stratified draw of k·C points already sum to zero per class (1ᵀY = 0)
    np.testing.assert_allclose(stratified.y_train.sum(axis=0), 0.0, atol=1e-12)
    plain = load_dataset(MNIST1D)
    assert np.bincount(plain.labels_train, minlength=10).max() > 4  # seed 3: an unbalanced random draw


def test_stratified_draw_beyond_the_smallest_class_pool_is_a_one_line_error():
    # MNIST-1D's train pool holds 394-411 signals per class: 3950 stratified needs 395 of each
    with pytest.raises(
        ConfigError, match=r"data.n_train=3950 with stratify=true needs 395 examples of class"
    ) as info:
        load_dataset({"name": "mnist1d", "n_train": 3950, "n_test": 10, "stratify": True})
    assert "\n" not in str(info.value) and "allowed: n_train <= 10·394 = 3940" in str(info.value)
