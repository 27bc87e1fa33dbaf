"""Packaging beyond pyproject.toml: the Hydra configs ship inside the wheel.

The repository keeps them in the top-level ``conf/``; here ``conf/`` is mapped onto the package
``ntk_bench.conf`` (each folder a data-only package with its ``*.yaml``), so a wheel holds
``ntk_bench/conf/**/*.yaml`` and ``ntk_bench.resources.conf_dir()`` finds them. An editable install
(``make setup``) reads ``conf/`` in place.
"""

from pathlib import Path

from setuptools import find_packages, setup

CONF = Path("conf")
CONF_DIRS = [CONF, *sorted(p for p in CONF.rglob("*") if p.is_dir() and p.name != "__pycache__")]
CONF_PACKAGES = [".".join(("ntk_bench", *d.parts)) for d in CONF_DIRS]  # conf/data -> ntk_bench.conf.data

setup(
    packages=[*find_packages(include=["ntk_bench", "ntk_bench.*"]), *CONF_PACKAGES],
    package_dir={"ntk_bench.conf": "conf"},
    package_data={package: ["*.yaml"] for package in CONF_PACKAGES},
)
