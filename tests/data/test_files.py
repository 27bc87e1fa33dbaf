"""Tests for ntk_bench.data: layouts, preprocessing, determinism, file formats and every user-facing error."""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import data_fixtures as fx  # tests/data_fixtures.py (pythonpath = ["tests"])
import numpy as np
import pytest

from ntk_bench.data import files, load_dataset

# ------------------------------------------------------------------------------ checksums and bad files


def test_wrong_sha256_names_file_expected_and_actual(tmp_path, no_md5):
    data = fx.write_mnist_like(tmp_path / "mnist")
    actual = hashlib.sha256(data.paths[1].read_bytes()).hexdigest()
    wrong = "0" * 64
    fx.config_error(
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
    fx.config_error(
        {"name": "mnist", "cache_dir": str(tmp_path)},
        "md5 mismatch",
        "train-images-idx3-ubyte.gz",
        files.MD5["mnist"]["train-images-idx3-ubyte.gz"],
    )


def test_sha256_override_must_name_a_known_file(tmp_path):
    fx.config_error(
        {"name": "mnist", "cache_dir": str(tmp_path), "sha256": {"train-images.gz": "a" * 64}},
        "unknown file 'train-images.gz'",
        "train-images-idx3-ubyte.gz",
    )
    fx.config_error({"name": "mnist", "sha256": {"train-images-idx3-ubyte.gz": "xyz"}}, "64-character hex")


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_missing_files_without_download(name, tmp_path):
    missing = "cifar-10-python.tar.gz" if name == "cifar10" else "train-images-idx3-ubyte.gz"
    fx.config_error(
        {"name": name, "cache_dir": str(tmp_path)},
        f"dataset {name} not found in",
        str(tmp_path / name),
        missing,
        "set data.download=true",
    )


def test_download_from_unreachable_url_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setitem(files.MIRRORS, "mnist", ("http://127.0.0.1:9/mnist/",))
    start = time.monotonic()
    fx.config_error(
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
    ds = load_dataset({"name": "mnist", "cache_dir": str(cache), "download": True, **fx.RAW})
    np.testing.assert_array_equal(ds.x_test[..., 0], data.test_images)
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(fx.IDX_NAMES)
    # A digest mismatch during download is reported per mirror and leaves nothing behind.
    bad = tmp_path / "bad"
    err = fx.config_error(
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
