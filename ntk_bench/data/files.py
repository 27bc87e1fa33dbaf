"""Dataset files on disk: locating, checksumming and downloading them.

Files of dataset ``<name>`` live in ``<cache_dir>/<name>/``. Integrity checks, per file name:

* ``SHA256[name][file]``: the expected SHA-256. The official archives publish none and none could be
  verified offline, so the table holds ``None``; ``data.sha256: {file: hex}`` in the config supplies or
  overrides a value (e.g. the digest recorded in an earlier run's ``meta``).
* ``MD5[name][file]``: the publishers' MD5 sums as used by torchvision's dataset classes (and published on
  the CIFAR-10 page), checked when present and no ``data.sha256`` entry names the file (an explicit
  SHA-256 replaces the built-in check, e.g. for a re-packed or substitute file under the official name).

A mismatch raises :class:`ConfigError` naming the file, the expected and the actual digest.

Downloads go through ``MIRRORS[name]`` (tried in order; tests monkeypatch this table) into a temporary file
next to the destination, are checked, then renamed atomically into place.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from ntk_bench.errors import ConfigError

DOWNLOAD_TIMEOUT_S = 60.0
_CHUNK = 1 << 20

MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion_mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    "cifar10": ("https://www.cs.toronto.edu/~kriz/",),
}

IDX_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR_DIR = "cifar-10-batches-py"
CIFAR_TRAIN_BATCHES: tuple[str, ...] = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR_TEST_BATCH = "test_batch"
CIFAR_FILES: tuple[str, ...] = (CIFAR_ARCHIVE, *CIFAR_TRAIN_BATCHES, CIFAR_TEST_BATCH)

SHA256: dict[str, dict[str, str | None]] = {
    "mnist": dict.fromkeys(IDX_FILES),
    "fashion_mnist": dict.fromkeys(IDX_FILES),
    "cifar10": dict.fromkeys(CIFAR_FILES),
}

MD5: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    "cifar10": {
        "cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a",
        "data_batch_1": "c99cafc152244af753f735de768cd75f",
        "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
        "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
        "data_batch_4": "634d18415352ddfa80567beed471001a",
        "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
        "test_batch": "40351d587109b95175f43aff81a1287e",
    },
}


def one_line(text: object) -> str:
    """Collapse any whitespace run (newlines included) to one space."""
    return " ".join(str(text).split())


def _digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {one_line(exc.strerror or exc)}") from exc
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return _digest(path, "sha256")


def check_known_files(dataset: str, overrides: Mapping[str, str]) -> None:
    """Reject ``data.sha256`` entries that name no file of ``dataset`` (a typo would skip the check)."""
    known = list(SHA256.get(dataset, {}))
    for name in overrides:
        if name not in known:
            allowed = ", ".join(known) if known else "none (this dataset reads no files)"
            raise ConfigError(f"data.sha256 names unknown file {name!r} for {dataset}; allowed: {allowed}")


def verify_file(dataset: str, path: Path, overrides: Mapping[str, str], filename: str | None = None) -> str:
    """Check ``path`` against the expected digests for ``filename`` (default: its name); return its SHA-256.

    Raises:
        ConfigError: ``sha256 mismatch for <file>: expected <hex>, got <hex>`` (likewise for MD5).
    """
    filename = filename or path.name
    shown = path if filename == path.name else filename
    actual = sha256_file(path)
    expected = overrides.get(filename) or SHA256.get(dataset, {}).get(filename)
    if expected is not None and expected.lower() != actual:
        raise ConfigError(f"sha256 mismatch for {shown}: expected {expected.lower()}, got {actual}")
    expected_md5 = MD5.get(dataset, {}).get(filename)
    if expected_md5 is not None and filename not in overrides:
        actual_md5 = _digest(path, "md5")
        if actual_md5 != expected_md5:
            raise ConfigError(f"md5 mismatch for {shown}: expected {expected_md5}, got {actual_md5}")
    return actual


def _fetch(url: str, tmp: Path) -> None:
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, open(tmp, "wb") as out:
        shutil.copyfileobj(response, out, _CHUNK)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {one_line(exc.reason)}"
    if isinstance(exc, urllib.error.URLError):
        return one_line(exc.reason)
    return one_line(exc) or type(exc).__name__


def download(dataset: str, filename: str, directory: Path, overrides: Mapping[str, str]) -> Path:
    """Fetch ``filename`` from the mirrors of ``dataset`` into ``directory``; return the final path.

    Each mirror is tried in turn; the file is written to a temporary name, verified with
    :func:`verify_file`, then renamed into place, so an interrupted download never leaves a partial file.

    Raises:
        ConfigError: ``could not download <url>: <reason>`` (one line; every mirror tried is listed), or the
            directory cannot be created.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = one_line(exc.strerror or exc)
        raise ConfigError(f"cannot create data directory {directory}: {reason}") from exc
    dest = directory / filename
    failures: list[str] = []
    for mirror in MIRRORS[dataset]:
        url = mirror.rstrip("/") + "/" + filename
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{filename}.", suffix=".part")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _fetch(url, tmp)
            verify_file(dataset, tmp, overrides, filename=filename)
            os.replace(tmp, dest)
            return dest
        except ConfigError as exc:
            failures.append(f"{url}: {exc}")
        except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError, timeouts: OSError
            failures.append(f"{url}: {_reason(exc)}")
        finally:
            tmp.unlink(missing_ok=True)
    raise ConfigError("could not download " + "; ".join(failures))


def missing_error(dataset: str, directory: Path, missing: Sequence[str]) -> ConfigError:
    """The one-line error for absent files with ``download=false``."""
    return ConfigError(
        f"dataset {dataset} not found in {directory} (missing {', '.join(missing)}); "
        "set data.download=true or place the files there"
    )
