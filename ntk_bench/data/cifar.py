"""CIFAR-10 from the "python version" pickle batches.

Looked for in ``<cache_dir>/cifar10/``: the extracted folder ``cifar-10-batches-py/`` (``data_batch_1``
.. ``data_batch_5``, ``test_batch``) or, failing that, the archive ``cifar-10-python.tar.gz`` (read in place,
never extracted). Each batch is a pickled dict with ``data``: ``(N, 3072)`` uint8, channel-major (1024 red,
then 1024 green, then 1024 blue values, each a row-major 32×32 image) and ``labels``: N ints in 0..9.
Images come out as ``(N, 32, 32, 3)`` float64 with raw pixel values 0..255.

Unpickling is restricted to the few NumPy/stdlib globals an array needs, so a tampered file cannot run code.
"""

from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ntk_bench.data import files
from ntk_bench.data.config import DataConfig
from ntk_bench.data.files import one_line
from ntk_bench.data.raw import RawData
from ntk_bench.errors import ConfigError

IMAGE_SIZE = 32
CHANNELS = 3

_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 store bytes
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR batch")
        return super().find_class(module, name)


def _get(batch: dict[Any, Any], key: str) -> Any:
    for candidate in (key, key.encode()):
        if candidate in batch:
            return batch[candidate]
    raise KeyError(key)


def parse_batch(handle: BinaryIO, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Decode one pickled batch into ``(images (N,32,32,3) uint8, labels (N,) int64)``."""
    try:
        batch = _RestrictedUnpickler(handle, encoding="latin1").load()
        data = np.asarray(_get(batch, "data"))
        labels = np.asarray(_get(batch, "labels"), dtype=np.int64)
    except Exception as exc:  # a damaged pickle can fail in many ways; all mean "corrupt file"
        reason = f"{type(exc).__name__}: {one_line(exc)}"
        raise ConfigError(f"cannot read {source}: not a CIFAR-10 batch ({reason})") from exc
    size = CHANNELS * IMAGE_SIZE * IMAGE_SIZE
    if data.ndim != 2 or data.shape[1] != size or data.dtype != np.uint8:
        found = f"{data.shape} {data.dtype}"
        raise ConfigError(f"cannot read {source}: data is {found}, expected (N, {size}) uint8")
    if labels.shape != (data.shape[0],) or (labels.size and (labels.min() < 0 or labels.max() > 9)):
        raise ConfigError(f"cannot read {source}: expected {data.shape[0]} labels in 0..9")
    images = data.reshape(-1, CHANNELS, IMAGE_SIZE, IMAGE_SIZE).transpose(0, 2, 3, 1)
    return images, labels


def _read_folder(folder: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    batches = []
    for name in (*files.CIFAR_TRAIN_BATCHES, files.CIFAR_TEST_BATCH):
        path = folder / name
        try:
            with open(path, "rb") as handle:
                batches.append(parse_batch(handle, str(path)))
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {one_line(exc.strerror or exc)}") from exc
    return batches


def _read_archive(archive: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    names = [*files.CIFAR_TRAIN_BATCHES, files.CIFAR_TEST_BATCH]
    batches = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            for name in names:
                member = f"{files.CIFAR_DIR}/{name}"
                try:
                    extracted = tar.extractfile(member)
                except KeyError:
                    extracted = None
                if extracted is None:
                    raise ConfigError(f"cannot read {archive}: archive has no member {member}")
                batches.append(parse_batch(io.BytesIO(extracted.read()), f"{archive}:{member}"))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ConfigError(f"cannot read {archive}: {one_line(exc)}") from exc
    return batches


def load_cifar10_raw(cfg: DataConfig) -> RawData:
    """CIFAR-10 from ``<cache_dir>/cifar10/`` (the archive is downloaded first if missing and allowed)."""
    name = cfg.name
    directory = cfg.cache_dir / name
    files.check_known_files(name, cfg.sha256)
    folder = directory / files.CIFAR_DIR
    archive = directory / files.CIFAR_ARCHIVE
    batch_names = [*files.CIFAR_TRAIN_BATCHES, files.CIFAR_TEST_BATCH]
    folder_complete = all((folder / b).is_file() for b in batch_names)

    if folder_complete:
        sha = {b: files.verify_file(name, folder / b, cfg.sha256) for b in batch_names}
        batches = _read_folder(folder)
        source = f"pickle batches in {folder}"
    else:
        if not archive.is_file():
            if not cfg.download:
                missing = f"{files.CIFAR_ARCHIVE} or {files.CIFAR_DIR}/{{data_batch_1..5, test_batch}}"
                raise files.missing_error(name, directory, [missing])
            files.download(name, files.CIFAR_ARCHIVE, directory, cfg.sha256)
        sha = {archive.name: files.verify_file(name, archive, cfg.sha256)}
        batches = _read_archive(archive)
        source = f"pickle batches in {archive}"

    train, test = batches[:-1], batches[-1]
    return RawData(
        x_train=np.concatenate([b[0] for b in train]).astype(np.float64),
        labels_train=np.concatenate([b[1] for b in train]),
        x_test=test[0].astype(np.float64),
        labels_test=test[1],
        classes=tuple(range(10)),
        meta={"source": source, "sha256": sha, "pixel_range": [0, 255]},
    )
