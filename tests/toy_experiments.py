"""Toy-size configs of the issue-5 experiments (lee2019, jacot2018, hanin_nica, lr_threshold) shared by
tests/experiment/test_<experiment>.py: ``_config`` composes one, ``_run`` runs it end to end (results stored,
figures drawn from the stored results)."""

import json
from pathlib import Path

import yaml

from ntk_bench.experiment import get_experiment
from ntk_bench.report.figure_registry import render_figures
from ntk_bench.results import load_run, write_results

CONF = Path(__file__).resolve().parents[1] / "conf" / "experiment"
MODEL = {"name": "fcn", "depth": 2, "width": 8, "activation": "erf", "sigma_w2": 1.5, "sigma_b2": 0.05}
FAST_NTK = {"ntk_implementation": "structured_derivatives"}

TOY = {
    "lee2019_linearization": {
        "widths": [16, 32],
        "seeds": 2,
        "steps": 4,
        "kernel_checkpoints": 2,
        "optimizers": ["sgd"],  # the GD path of PairTrainer is tested in tests/dynamics/test_linearization.py
        "lr_fraction": 0.1,
        "batch_size": 4,
        "vectorize": "loop",  # auto, and loop vs vmap equality: tests/dynamics/test_training.py
        **FAST_NTK,
    },
    "jacot2018_convergence": {"widths": [16, 32, 64], "seeds": 2, **FAST_NTK},
    "hanin_nica_fluctuations": {
        "widths": [4, 8],
        "betas": [0.25, 0.5],
        "samples": 40,
        "samples_max_beta": 80,
        "chunk": 16,
        "bootstrap": 20,
    },
    "lr_threshold": {
        "width": 16,
        "seeds": 2,
        "steps": 40,
        "grid": [0.5, 0.9, 1.2, 1e6],
        "refine_steps": 2,
        **FAST_NTK,
    },
}
# the data group's sample counts at toy size (the presets set data.n_train / n_test)
TOY_DATA = {
    "lee2019_linearization": {"n_train": 8, "n_test": 4},
    "jacot2018_convergence": {"n_train": 6},
    "hanin_nica_fluctuations": {},
    "lr_threshold": {"n_train": 6},
}


def _config(name, **overrides):
    """The preset (``# @package _global_``: experiment, model and data keys) at toy size, as Hydra composes
    it on top of ``model=fcn`` (:data:`MODEL`) and ``data=digits``."""
    preset = yaml.safe_load((CONF / f"{name}.yaml").read_text())
    exp = {**preset["experiment"], **TOY[name], **overrides}
    model = {**MODEL, **preset.get("model", {})}
    data = {"name": "digits", **preset.get("data", {}), **TOY_DATA[name]}
    return {"experiment": exp, "model": model, "data": data, "seed": 0}


def _run(name, tmp_path, **overrides):
    cfg = _config(name, **overrides)
    output = get_experiment(name)(cfg, tmp_path)
    path = write_results(tmp_path, output.results, cfg, {})  # equal series lengths, JSON-safe values
    figures = {**output.figures, **render_figures(load_run(tmp_path))}  # drawn from the stored results
    assert figures
    for figure in figures.values():
        assert figure.exists() and figure.with_suffix(".svg").exists()
    return output, json.loads(path.read_text())
