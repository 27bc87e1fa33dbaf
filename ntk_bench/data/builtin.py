"""Sources that need no download: scikit-learn's ``digits`` and locally generated ``mnist1d``."""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.data.config import DataConfig
from ntk_bench.data.files import sha256_file
from ntk_bench.data.raw import RawData

TEN_CLASSES: tuple[int, ...] = tuple(range(10))

# digits: one fixed held-out split, independent of data.seed, so every seed draws its test examples from the
# same 449 held-out images and train and test never overlap.
DIGITS_SPLIT_SEED = 20_180_601
DIGITS_TEST_FRACTION_DENOMINATOR = 4  # test pool = N // 4 = 449 images, train pool = 1348


def arrays_sha256(*arrays: np.ndarray) -> str:
    """Fingerprint of array contents (dtype, shape and bytes), for provenance of generated data."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def split_permutation(n: int, seed: int, test_denominator: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed split of ``range(n)`` by a seeded permutation: the last ``n // test_denominator`` go to test."""
    perm = np.random.default_rng(seed).permutation(n)
    n_test = n // test_denominator
    return perm[: n - n_test], perm[n - n_test :]


def load_digits_raw(cfg: DataConfig) -> RawData:
    """scikit-learn's embedded 8×8 digits (1797 images, pixel values 0..16) as ``(N, 8, 8, 1)``."""
    import sklearn.datasets

    bunch = sklearn.datasets.load_digits()
    images = np.asarray(bunch.images, dtype=np.float64)[..., None]
    labels = np.asarray(bunch.target, dtype=np.int64)
    train, test = split_permutation(len(labels), DIGITS_SPLIT_SEED, DIGITS_TEST_FRACTION_DENOMINATOR)
    data_file = Path(sklearn.datasets.__file__).parent / "data" / "digits.csv.gz"
    sha = {data_file.name: sha256_file(data_file)} if data_file.exists() else {}
    return RawData(
        x_train=images[train],
        labels_train=labels[train],
        x_test=images[test],
        labels_test=labels[test],
        classes=TEN_CLASSES,
        meta={
            "source": "sklearn.datasets.load_digits",
            "sha256": sha,
            "split": f"fixed permutation (seed {DIGITS_SPLIT_SEED}), last N//4 held out",
            "pixel_range": [0, 16],
        },
    )


def mnist1d_args() -> dict[str, Any]:
    """The MNIST-1D generation arguments (the package defaults: 4000 train / 1000 test, length 40)."""
    from mnist1d.data import get_dataset_args

    args = get_dataset_args(as_dict=True)
    args.pop("url", None)  # only used by the package's downloader, which we never call
    return args


def _generate_mnist1d(args: dict[str, Any]) -> dict[str, np.ndarray]:
    """Run ``mnist1d.data.make_dataset``; it seeds NumPy's and Python's global RNGs, so restore them."""
    from mnist1d.data import make_dataset
    from mnist1d.utils import ObjectView

    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(ObjectView(dict(args)))
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {key: np.asarray(data[key]) for key in ("x", "y", "x_test", "y_test")}


def _read_cache(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in ("x", "y", "x_test", "y_test")}
    except (OSError, ValueError, KeyError, EOFError):
        return None  # absent or damaged: regenerate


def _write_cache(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    """Atomic write (temp file + rename); a read-only cache directory is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        return False
    return True


def load_mnist1d_raw(cfg: DataConfig) -> RawData:
    """MNIST-1D generated locally by the ``mnist1d`` package (never downloaded), as ``(N, 40, 1)``.

    The generated arrays are cached in ``cache_dir/mnist1d/mnist1d-<key>.npz``, ``key`` a hash of the package
    version and the generation arguments.
    """
    from importlib.metadata import version

    args = mnist1d_args()
    key_src = json.dumps({"mnist1d": version("mnist1d"), "args": args}, sort_keys=True)
    key = hashlib.sha256(key_src.encode()).hexdigest()[:16]
    path = cfg.cache_dir / "mnist1d" / f"mnist1d-{key}.npz"

    arrays = _read_cache(path)
    cache = "hit"
    if arrays is None:
        arrays = _generate_mnist1d(args)
        cache = "written" if _write_cache(path, arrays) else "unwritable"
    sha = {path.name: sha256_file(path)} if cache != "unwritable" else {}
    return RawData(
        x_train=np.asarray(arrays["x"], dtype=np.float64)[..., None],
        labels_train=np.asarray(arrays["y"], dtype=np.int64),
        x_test=np.asarray(arrays["x_test"], dtype=np.float64)[..., None],
        labels_test=np.asarray(arrays["y_test"], dtype=np.int64),
        classes=TEN_CLASSES,
        meta={
            "source": "mnist1d.data.make_dataset (generated locally)",
            "sha256": sha,
            "arrays_sha256": arrays_sha256(arrays["x"], arrays["y"], arrays["x_test"], arrays["y_test"]),
            "generation_args": args,
            "cache": cache,
        },
    )
