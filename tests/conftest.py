"""Shared test setup: float64 on (importing ntk_bench sets it), quiet progress lines."""

import os

os.environ.setdefault("NTK_BENCH_QUIET", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")

import pytest

import ntk_bench  # noqa: F401  (sets jax_enable_x64 before any test builds an array)


@pytest.fixture(scope="session")
def tiny_fcn_problem():
    """Builder of a tiny training problem: a depth-2, width-16 erf Flax FCN (NTK parameterization) with
    ``out_dim`` outputs, 8 train / 4 test Gaussian inputs of dimension 5 and Gaussian targets drawn from
    ``default_rng(rng_seed)``, and the stacked init variables of seeds 0..seeds-1."""

    def build(out_dim: int, seeds: int, rng_seed: int):
        import jax.numpy as jnp
        import numpy as np

        from ntk_bench.dynamics.training import TrainData, init_seeds
        from ntk_bench.model import model_spec_from_config
        from ntk_bench.model.flax_models import FlaxModel, flax_twin

        spec = model_spec_from_config(
            {"name": "fcn", "depth": 2, "width": 16, "activation": "erf", "sigma_w2": 1.5, "sigma_b2": 0.05}
        )
        model = FlaxModel(flax_twin(spec, out_dim), spec, True, "fcn")
        rng = np.random.default_rng(rng_seed)
        x, x_test = jnp.asarray(rng.normal(size=(8, 5))), jnp.asarray(rng.normal(size=(4, 5)))
        y, y_test = jnp.asarray(rng.normal(size=(8, out_dim))), jnp.asarray(rng.normal(size=(4, out_dim)))
        return model, TrainData(x, y, x_test, y_test), init_seeds(model.init, np.arange(seeds), x)

    return build


@pytest.fixture
def cli_bad_input(tmp_path):
    """Runs ``python -m ntk_bench.cli OVERRIDES… hydra.run.dir=<tmp>`` and checks the bad-input contract:
    exit status 2 and no results written; returns the ``ntk-bench: error:`` lines of stderr."""
    import subprocess
    import sys
    from pathlib import Path

    from ntk_bench.cli import CONF_DIR

    def run(*overrides: str) -> list[str]:
        cmd = [sys.executable, "-m", "ntk_bench.cli", *overrides, f"hydra.run.dir={tmp_path}"]
        env = {**os.environ, "NTK_BENCH_QUIET": "1"}
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, cwd=Path(CONF_DIR).parent, timeout=120
        )
        assert proc.returncode == 2, proc.stderr
        assert not (tmp_path / "results.json").exists()
        return [line for line in proc.stderr.splitlines() if line.startswith("ntk-bench: error:")]

    return run
