"""MNIST and Fashion-MNIST from IDX files, parsed here with ``struct`` and NumPy.

IDX format (big-endian): two zero bytes, one type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64), one byte ``ndim``, then ``ndim`` uint32 sizes, then the data in C order.
Files may be gzip-compressed (``*.gz``, detected by content) or raw (the same name without ``.gz``).

Expected in ``<cache_dir>/<name>/``: ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``. Images come out as ``(N, 28, 28, 1)`` float64
with raw pixel values 0..255.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from ntk_bench.data import files
from ntk_bench.data.config import DataConfig
from ntk_bench.data.files import one_line
from ntk_bench.data.raw import RawData
from ntk_bench.errors import ConfigError

IDX_DTYPES: dict[int, str] = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def read_maybe_gzip(path: Path) -> bytes:
    """The bytes of ``path``, gunzipped when the file starts with the gzip magic number."""
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data
    except (OSError, EOFError, zlib.error) as exc:
        raise ConfigError(f"cannot read {path}: {one_line(exc)}") from exc


def parse_idx(data: bytes, source: Path | str) -> np.ndarray:
    """Decode one IDX payload into an array of its native dtype; ``source`` names the file in errors."""
    if len(data) < 4:
        raise ConfigError(f"cannot read {source}: not an IDX file ({len(data)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in IDX_DTYPES or ndim == 0:
        raise ConfigError(f"cannot read {source}: not an IDX file (magic {data[:4].hex()})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ConfigError(f"cannot read {source}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(IDX_DTYPES[code])
    expected = math.prod(dims) * dtype.itemsize
    if len(data) - header != expected:
        raise ConfigError(
            f"cannot read {source}: IDX header declares shape {list(dims)} ({expected} bytes of data) "
            f"but the file holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype=dtype, count=math.prod(dims), offset=header).reshape(dims)


def read_idx(path: Path) -> np.ndarray:
    """Read and decode an IDX file (gzip or raw)."""
    return parse_idx(read_maybe_gzip(path), path)


def locate(directory: Path, filename: str) -> Path | None:
    """``directory/filename``, else the uncompressed ``directory/filename`` minus ``.gz``, else ``None``."""
    for candidate in (filename, filename.removesuffix(".gz")):
        path = directory / candidate
        if path.is_file():
            return path
    return None


def _checked_pair(images: np.ndarray, labels: np.ndarray, img_path: Path, lbl_path: Path) -> None:
    if images.ndim != 3:
        raise ConfigError(f"cannot read {img_path}: expected (N, H, W) images, got shape {images.shape}")
    if labels.ndim != 1:
        raise ConfigError(f"cannot read {lbl_path}: expected (N,) labels, got shape {labels.shape}")
    if labels.shape[0] != images.shape[0]:
        counts = f"{labels.shape[0]} labels for {images.shape[0]} images"
        raise ConfigError(f"cannot read {lbl_path}: {counts} in {img_path.name}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        found = f"min {labels.min()}, max {labels.max()}"
        raise ConfigError(f"cannot read {lbl_path}: labels outside 0..9 ({found})")


def load_idx_raw(cfg: DataConfig) -> RawData:
    """``mnist`` / ``fashion_mnist`` from ``<cache_dir>/<name>/`` (downloaded first if allowed)."""
    name = cfg.name
    directory = cfg.cache_dir / name
    files.check_known_files(name, cfg.sha256)

    paths: dict[str, Path] = {}
    missing = [f for f in files.IDX_FILES if locate(directory, f) is None]
    if missing and not cfg.download:
        raise files.missing_error(name, directory, missing)
    for filename in files.IDX_FILES:
        found = locate(directory, filename)
        if found is None:
            found = files.download(name, filename, directory, cfg.sha256)
        paths[filename] = found

    sha = {path.name: files.verify_file(name, path, cfg.sha256) for path in paths.values()}
    arrays = {key: read_idx(path) for key, path in paths.items()}
    train_img, train_lbl, test_img, test_lbl = (arrays[f] for f in files.IDX_FILES)
    img_names = [paths[f] for f in files.IDX_FILES]
    _checked_pair(train_img, train_lbl, img_names[0], img_names[1])
    _checked_pair(test_img, test_lbl, img_names[2], img_names[3])
    if train_img.shape[1:] != test_img.shape[1:]:
        raise ConfigError(
            f"cannot read {img_names[2]}: image size {test_img.shape[1:]} differs from the training images "
            f"{train_img.shape[1:]}"
        )
    return RawData(
        x_train=train_img.astype(np.float64)[..., None],
        labels_train=train_lbl.astype(np.int64),
        x_test=test_img.astype(np.float64)[..., None],
        labels_test=test_lbl.astype(np.int64),
        classes=tuple(range(10)),
        meta={"source": f"IDX files in {directory}", "sha256": sha, "pixel_range": [0, 255]},
    )
