"""Tests for ntk_bench.data: layouts, preprocessing, determinism, file formats and every user-facing error."""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import sklearn.datasets
from omegaconf import OmegaConf

from ntk_bench.data import DATASETS, Dataset, files, load_dataset, load_raw, preprocess
from ntk_bench.errors import ConfigError

try:
    import data_fixtures as fx
except ImportError:  # tests/ imported as a package
    from tests import data_fixtures as fx

CONF_DIR = Path(__file__).resolve().parents[1] / "conf" / "data"
RAW = {"standardize": False, "normalize": False, "n_train": None, "n_test": None}


def config_error(cfg: dict, *fragments: str) -> ConfigError:
    """Assert ``load_dataset(cfg)`` raises a one-line ConfigError containing every fragment."""
    with pytest.raises(ConfigError) as info:
        load_dataset(cfg)
    message = str(info.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return info.value


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
    ds = load_dataset({"name": "digits", **RAW})
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


def test_class_subset_relabels_in_listed_order():
    raw = load_raw({"name": "digits"})
    ds = load_dataset({"name": "digits", "classes": [7, 3], **RAW})
    assert ds.num_classes == 2 and ds.classes == (7, 3) and ds.y_train.shape[1] == 2
    keep = np.isin(raw.labels_train, [7, 3])
    np.testing.assert_array_equal(ds.x_train, raw.x_train[keep])
    np.testing.assert_array_equal(ds.labels_train, np.where(raw.labels_train[keep] == 7, 0, 1))
    assert set(np.unique(ds.labels_test)) == {0, 1}
    np.testing.assert_allclose(ds.y_train.sum(axis=1), 0.0, atol=1e-12)


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


# ------------------------------------------------------------------------------------------- synthetic


@pytest.mark.parametrize("c", [0.0, 0.3, 0.8])
def test_synthetic_mean_pairwise_correlation(c):
    # Tolerance from the sampling noise of the statistic m = mean_{i<j} <x_i, x_j>/D, rows normalised to
    # |x|^2 = D, with x_i = sqrt(c) g + sqrt(1-c) e_i, N examples, M = N(N-1)/2 pairs. To first order:
    #  (a) the one shared g: |g|^2/D = 1 + d, Var d = 2/D, moves every pair by c(1-c) d
    #      -> sd c(1-c) sqrt(2/D)  (does not average out over pairs);
    #  (b) cross terms sqrt(c(1-c)) (g.e_i + g.e_j)/D averaged over pairs = 2 sqrt(c(1-c)) g.e_bar/D
    #      -> sd 2 sqrt(c(1-c)/(N D));
    #  (c) noise terms (1-c) e_i.e_j/D, each of variance 1/D, uncorrelated across pairs -> sd (1-c)/sqrt(D M);
    #  (d) the per-example normalisation (|x_i|^2/D = 1 + O(sqrt(2/D))) averaged over i -> sd c sqrt(2/(D N)).
    # sigma = sqrt(a^2 + b^2 + c^2 + d^2); over 200 seeds the z-scores (m - c)/sigma had sd 0.96-1.04 for
    # c in {0, 0.3, 0.8}. We allow 5 sigma.
    D, N = 1024, 200
    M = N * (N - 1) / 2
    sigma = math.sqrt(
        (c * (1 - c) * math.sqrt(2 / D)) ** 2
        + (2 * math.sqrt(c * (1 - c) / (N * D))) ** 2
        + (1 - c) ** 2 / (D * M)
        + 2 * c**2 / (D * N)
    )
    ds = load_dataset(
        {
            "name": "synthetic",
            "dim": D,
            "correlation": c,
            "n_total": 400,
            "n_train": N,
            "n_test": 0,
            "seed": 11,
        }
    )
    gram = ds.x_train @ ds.x_train.T / D
    m = (gram.sum() - np.trace(gram)) / (N * (N - 1))
    assert abs(m - c) < 5 * sigma, (m, c, sigma)


def test_synthetic_teacher_labels_use_every_class_even_when_correlated():
    ds = load_dataset(
        {
            "name": "synthetic",
            "correlation": 0.9,
            "num_classes": 4,
            "n_train": 400,
            "n_test": 0,
            "n_total": 800,
        }
    )
    counts = np.bincount(ds.labels_train, minlength=4)
    assert (
        counts.min() > 400 / 4 / 3
    ), counts  # affine teacher removes the shared component: no dominant class
    raw = load_raw({"name": "synthetic", "n_total": 100})
    assert (len(raw.labels_train), len(raw.labels_test)) == (75, 25)


# ------------------------------------------------------------------------------------------ file formats


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_idx_files_round_trip(name, tmp_path, no_md5):
    data = fx.write_mnist_like(tmp_path / name, seed=5)
    raw = load_raw({"name": name, "cache_dir": str(tmp_path)})
    np.testing.assert_array_equal(raw.x_train[..., 0], data.train_images)
    np.testing.assert_array_equal(raw.labels_train, data.train_labels)
    np.testing.assert_array_equal(raw.x_test[..., 0], data.test_images)
    np.testing.assert_array_equal(raw.labels_test, data.test_labels)
    ds = load_dataset({"name": name, "cache_dir": str(tmp_path), **RAW})
    assert ds.x_train.shape == (20, 28, 28, 1) and ds.x_test.shape == (10, 28, 28, 1)
    np.testing.assert_array_equal(ds.x_train[..., 0], data.train_images)  # n_train=null keeps file order
    expected_sha = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data.paths}
    assert ds.meta["sha256"] == expected_sha
    sub = load_dataset({"name": name, "cache_dir": str(tmp_path), "n_train": 8, "n_test": 4})
    assert sub.x_train.shape == (8, 28, 28, 1)


@pytest.mark.parametrize("archive", [False, True])
def test_cifar_batches_round_trip(archive, tmp_path, no_md5):
    data = fx.write_cifar_like(tmp_path / "cifar10", seed=2, archive=archive)
    ds = load_dataset({"name": "cifar10", "cache_dir": str(tmp_path), **RAW})
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


# ------------------------------------------------------------------------------ checksums and bad files


def test_wrong_sha256_names_file_expected_and_actual(tmp_path, no_md5):
    data = fx.write_mnist_like(tmp_path / "mnist")
    actual = hashlib.sha256(data.paths[1].read_bytes()).hexdigest()
    wrong = "0" * 64
    config_error(
        {"name": "mnist", "cache_dir": str(tmp_path), "sha256": {"train-labels-idx1-ubyte.gz": wrong}},
        "sha256 mismatch",
        "train-labels-idx1-ubyte.gz",
        wrong,
        actual,
    )
    ok = load_dataset(
        {
            "name": "mnist",
            "cache_dir": str(tmp_path),
            "n_train": 5,
            "n_test": 5,
            "sha256": {"train-labels-idx1-ubyte.gz": actual.upper()},
        }
    )
    assert ok.meta["sha256"]["train-labels-idx1-ubyte.gz"] == actual


def test_builtin_md5_rejects_unofficial_file_under_official_name(tmp_path):
    fx.write_mnist_like(tmp_path / "mnist")
    config_error(
        {"name": "mnist", "cache_dir": str(tmp_path)},
        "md5 mismatch",
        "train-images-idx3-ubyte.gz",
        files.MD5["mnist"]["train-images-idx3-ubyte.gz"],
    )


def test_sha256_override_must_name_a_known_file(tmp_path):
    config_error(
        {"name": "mnist", "cache_dir": str(tmp_path), "sha256": {"train-images.gz": "a" * 64}},
        "unknown file 'train-images.gz'",
        "train-images-idx3-ubyte.gz",
    )
    config_error({"name": "mnist", "sha256": {"train-images-idx3-ubyte.gz": "xyz"}}, "64-character hex")


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
    config_error({"name": "mnist", "cache_dir": str(tmp_path)}, "cannot read", path.name)


def test_corrupt_cifar_files_are_config_errors(tmp_path, no_md5):
    fx.write_cifar_like(tmp_path / "cifar10")
    batch = tmp_path / "cifar10" / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(b"\x80\x02not a pickle at all")
    config_error({"name": "cifar10", "cache_dir": str(tmp_path)}, "cannot read", "data_batch_3")
    # A pickle that would import anything beyond NumPy's array machinery is refused, not executed.
    batch.write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
    config_error({"name": "cifar10", "cache_dir": str(tmp_path)}, "data_batch_3", "os.system is not allowed")
    other = tmp_path / "other"
    (other / "cifar10").mkdir(parents=True)
    (other / "cifar10" / "cifar-10-python.tar.gz").write_bytes(b"definitely not a tarball")
    config_error({"name": "cifar10", "cache_dir": str(other)}, "cannot read", "cifar-10-python.tar.gz")


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_missing_files_without_download(name, tmp_path):
    missing = "cifar-10-python.tar.gz" if name == "cifar10" else "train-images-idx3-ubyte.gz"
    config_error(
        {"name": name, "cache_dir": str(tmp_path)},
        f"dataset {name} not found in",
        str(tmp_path / name),
        missing,
        "set data.download=true",
    )


def test_download_from_unreachable_url_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setitem(files.MIRRORS, "mnist", ("http://127.0.0.1:9/mnist/",))
    start = time.monotonic()
    config_error(
        {"name": "mnist", "cache_dir": str(tmp_path), "download": True},
        "could not download http://127.0.0.1:9/mnist/train-images-idx3-ubyte.gz: ",
    )
    assert time.monotonic() - start < 10
    assert list((tmp_path / "mnist").iterdir()) == []  # no partial file left behind


@pytest.fixture
def http_server(tmp_path):
    """A local HTTP server over ``tmp_path/served`` (the only network the tests use)."""
    root = tmp_path / "served"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_tries_mirrors_verifies_and_places_files(http_server, tmp_path, monkeypatch, no_md5):
    root, url = http_server
    data = fx.write_mnist_like(root, gzip_test=True)
    monkeypatch.setitem(files.MIRRORS, "mnist", (f"{url}/absent/", f"{url}/"))  # first mirror 404s
    cache = tmp_path / "cache"
    ds = load_dataset({"name": "mnist", "cache_dir": str(cache), "download": True, **RAW})
    np.testing.assert_array_equal(ds.x_test[..., 0], data.test_images)
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(fx.IDX_NAMES)
    # A digest mismatch during download is reported per mirror and leaves nothing behind.
    bad = tmp_path / "bad"
    err = config_error(
        {
            "name": "mnist",
            "cache_dir": str(bad),
            "download": True,
            "sha256": {"train-images-idx3-ubyte.gz": "f" * 64},
        },
        "could not download",
        "HTTP 404",
        "sha256 mismatch",
    )
    assert "absent" in str(err)
    assert list((bad / "mnist").iterdir()) == []


# ------------------------------------------------------------------------------------------ bad config


def test_too_many_samples_reports_allowed_range(mnist1d_dir):
    config_error(
        {"name": "digits", "n_train": 5000}, "data.n_train=5000", "1348 examples", "(allowed: 1..1348)"
    )
    config_error({"name": "digits", "n_test": 450}, "data.n_test=450", "(allowed: 0..449)")
    config_error(
        {"name": "digits", "classes": [0, 1], "n_train": 300},
        "train pool restricted to classes [0, 1]",
        "allowed: 1..",
    )
    config_error(cfg_for("mnist1d", mnist1d_dir, n_train=4001), "(allowed: 1..4000)")
    config_error({"name": "digits", "n_train": 0}, "data.n_train must be an integer >= 1 or null, got 0")


def test_unknown_dataset_lists_allowed_names():
    err = config_error({"name": "imagenet"}, "unknown dataset 'imagenet'", "allowed:")
    for name in DATASETS:
        assert name in str(err)


@pytest.mark.parametrize(
    ("cfg", "fragments"),
    [
        ({"name": "digits", "classes": [3, 10]}, ("invalid class id 10", "0..9")),
        ({"name": "digits", "classes": [3]}, ("at least 2 distinct",)),
        ({"name": "digits", "classes": [3, 3]}, ("at least 2 distinct",)),
        ({"name": "digits", "classes": "3,4"}, ("data.classes must be a list",)),
        ({"name": "digits", "n_trian": 10}, ("unknown key data.n_trian", "n_train")),
        ({"name": "digits", "correlation": 0.5}, ("unknown key data.correlation",)),
        ({"name": "digits", "n_train": "10"}, ("data.n_train must be an integer",)),
        ({"name": "digits", "standardize": "yes"}, ("data.standardize must be true or false",)),
        ({"name": "digits", "seed": -1}, ("data.seed must be an integer >= 0",)),
        ({"name": "synthetic", "correlation": 1.0}, ("data.correlation must be a number in [0, 1)",)),
        ({"name": "synthetic", "num_classes": 1}, ("data.num_classes must be an integer >= 2",)),
        ({"name": "synthetic", "spatial_shape": [2, 2, 2, 2]}, ("1 to 3 sizes",)),
    ],
)
def test_bad_values_are_one_line_config_errors(cfg, fragments):
    config_error(cfg, *fragments)


def test_shipped_yaml_configs_are_accepted(tmp_path, mnist1d_dir, no_md5):
    assert sorted(p.stem for p in CONF_DIR.glob("*.yaml")) == sorted(DATASETS)
    fx.write_mnist_like(tmp_path / "mnist")
    fx.write_mnist_like(tmp_path / "fashion_mnist")
    fx.write_cifar_like(tmp_path / "cifar10")
    for name in DATASETS:
        cfg = OmegaConf.load(CONF_DIR / f"{name}.yaml")
        assert cfg.name == name and cfg.download is False
        cfg.cache_dir = str(mnist1d_dir["dir"] if name == "mnist1d" else tmp_path)
        if name == "digits":
            cfg.classes = [1, 2]  # a ListConfig is accepted as the list
            cfg.n_test = 50
        small = name in ("mnist", "fashion_mnist", "cifar10")
        if small:
            cfg.n_train, cfg.n_test = 5, 5
        ds = load_dataset(cfg)  # a DictConfig works as the mapping
        assert ds.n_train == (5 if small else 256)
        assert ds.num_classes == (2 if name == "digits" else 10)
