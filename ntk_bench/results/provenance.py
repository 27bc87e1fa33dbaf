"""Provenance attached to every result: what produced these numbers, exactly.

Records package versions, the JAX flags that change numerics (``jax_enable_x64``; the random stream flag
``jax_threefry_partitionable`` that jax 0.5 flipped; README), git sha and dirty state, machine, the
canonical hash of the resolved config, seed and timing.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import jax

TRACKED_PACKAGES = (
    "jax",
    "jaxlib",
    "flax",
    "optax",
    "neural-tangents",
    "numpy",
    "scipy",
    "hydra-core",
    "wandb",
    "matplotlib",
    "scikit-learn",
    "ntk-bench",
)
JAX_FLAGS = ("jax_enable_x64", "jax_threefry_partitionable", "jax_default_matmul_precision", "jax_platforms")
REPO_ROOT = Path(__file__).resolve().parents[2]


def package_versions() -> dict[str, str | None]:
    """Installed version of each tracked package (None when absent)."""
    versions: dict[str, str | None] = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def jax_flags() -> dict[str, Any]:
    """Current values of the JAX flags that affect numerics or random streams."""
    flags = {name: getattr(jax.config, name, None) for name in JAX_FLAGS}
    flags["backend"] = jax.default_backend()
    return flags


def git_state(root: Path = REPO_ROOT) -> dict[str, Any]:
    """``{"sha": ..., "dirty": ...}`` of the source checkout, or Nones outside a git work tree."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return {"sha": sha, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"sha": None, "dirty": None}


def machine() -> dict[str, Any]:
    """Host description: platform, processor count, python, JAX devices."""
    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "devices": [str(d) for d in jax.devices()],
    }


def config_hash(config: dict[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys) of a resolved config: equal configs, equal hash."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def collect_provenance(config: dict[str, Any], seed: int, wall_time_s: float | None = None) -> dict[str, Any]:
    """Everything needed to know where a result came from."""
    return {
        "packages": package_versions(),
        "jax_flags": jax_flags(),
        "git": git_state(),
        "machine": machine(),
        "config_hash": config_hash(config),
        "seed": seed,
        "wall_time_s": wall_time_s,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
    }
