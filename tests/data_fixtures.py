"""Helpers of the data tests: ``RAW`` options, ``config_error``, and writers for tiny dataset files in the
exact on-disk formats (IDX, CIFAR-10 pickle batches).

They are written independently of the readers in :mod:`ntk_bench.data` (``struct`` / ``pickle`` directly),
so a round trip checks the readers against the formats, not against themselves.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from ntk_bench.data import load_dataset
from ntk_bench.errors import ConfigError

# load the files as written: no preprocessing, every example
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

IDX_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding of a uint8 array: 0x0000, type 0x08, ndim, big-endian uint32 sizes, data."""
    assert array.dtype == np.uint8
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes(order="C")


def write_idx(path: Path, array: np.ndarray, compress: bool) -> Path:
    """Write ``array`` as IDX to ``path`` (gzip when ``compress``; then ``path`` should end in ``.gz``)."""
    payload = idx_bytes(array)
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


@dataclass
class MnistLike:
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    paths: list[Path]


def write_mnist_like(
    directory: Path, seed: int = 0, n_train: int = 20, n_test: int = 10, gzip_test: bool = False
) -> MnistLike:
    """Four IDX files of random 28×28 images: train gzip-compressed, test raw unless ``gzip_test``."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    data = MnistLike(
        train_images=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        train_labels=rng.integers(0, 10, n_train).astype(np.uint8),
        test_images=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        test_labels=rng.integers(0, 10, n_test).astype(np.uint8),
        paths=[],
    )
    arrays = [data.train_images, data.train_labels, data.test_images, data.test_labels]
    for name, array in zip(IDX_NAMES, arrays, strict=True):
        compress = name.startswith("train") or gzip_test
        data.paths.append(write_idx(directory / (name if compress else name[:-3]), array, compress))
    return data


def cifar_batch_bytes(data: np.ndarray, labels: list[int], label: bytes = b"batch") -> bytes:
    """A CIFAR-10 python batch: pickled dict with bytes keys, ``data`` (N, 3072) uint8 and ``labels``."""
    batch = {
        b"batch_label": label,
        b"labels": labels,
        b"data": data,
        b"filenames": [f"img_{i}.png".encode() for i in range(len(labels))],
    }
    return pickle.dumps(batch, protocol=2)


@dataclass
class CifarLike:
    train_data: np.ndarray  # (N, 3072) uint8, channel-major, as stored
    train_labels: np.ndarray
    test_data: np.ndarray
    test_labels: np.ndarray


def write_cifar_like(
    directory: Path, seed: int = 0, per_batch: int = 4, n_test: int = 5, archive: bool = False
):
    """Five training batches + a test batch in ``cifar-10-batches-py/`` or in ``cifar-10-python.tar.gz``."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    blobs, datas, labels = {}, [], []
    for name in names:
        n = n_test if name == "test_batch" else per_batch
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        lab = [int(v) for v in rng.integers(0, 10, n)]
        blobs[name] = cifar_batch_bytes(data, lab, name.encode())
        datas.append(data)
        labels.append(np.asarray(lab))
    if archive:
        with tarfile.open(directory / "cifar-10-python.tar.gz", "w:gz") as tar:
            for name, blob in blobs.items():
                info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
                info.size = len(blob)
                tar.addfile(info, io.BytesIO(blob))
    else:
        folder = directory / "cifar-10-batches-py"
        folder.mkdir(exist_ok=True)
        for name, blob in blobs.items():
            (folder / name).write_bytes(blob)
    return CifarLike(
        train_data=np.concatenate(datas[:5]),
        train_labels=np.concatenate(labels[:5]),
        test_data=datas[5],
        test_labels=labels[5],
    )
