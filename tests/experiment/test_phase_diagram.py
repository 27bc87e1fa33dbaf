"""experiment=phase_diagram end to end at a small grid; its critical-line claim passes on the run and fails
on broken lines; bad grids are one-line ConfigErrors.

Tolerances: the critical line at σ_b² = 0 (erf) is π/4 to the solver's documented ~1e-7 relative (quadratic
touch, ntk_bench.theory.mean_field.critical_sigma_w2), checked at 1e-6; the claim's own tolerance is
CROSSING_RTOL (1e-6 relative, derived in ntk_bench/claims/phase_diagram.py), so a 0.1% shift fails it.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ntk_bench.claims import all_claims
from ntk_bench.claims.core import evaluate_claim
from ntk_bench.claims.phase_diagram import CROSSING_RTOL
from ntk_bench.errors import ConfigError
from ntk_bench.experiment import EXPERIMENTS, get_experiment
from ntk_bench.report.figure_registry import render_figures
from ntk_bench.results import Run, write_results
from ntk_bench.theory import chi_1

GRID = {"sigma_w2": {"min": 0.5, "max": 2.5, "num": 9}, "sigma_b2": {"min": 0.0, "max": 0.2, "num": 3}}


def _config(activation: str = "erf", **experiment) -> dict:
    exp = {"name": "phase_diagram", **GRID, **experiment}
    return {"experiment": exp, "model": {"name": "fcn", "activation": activation}, "seed": 0}


@pytest.fixture(scope="module")
def erf_run(tmp_path_factory) -> Run:
    path = tmp_path_factory.mktemp("phase_diagram")
    cfg = _config()
    output = get_experiment("phase_diagram")(cfg, path)
    write_results(path, output.results, cfg, {})
    run = Run(path, json.loads((path / "results.json").read_text()))
    figures = render_figures(run)  # the figure is drawn from the stored results
    assert figures and all(f.exists() and f.with_suffix(".svg").exists() for f in figures.values())
    return run


def _claim_verdicts(run: Run) -> list[str]:
    claim_obj = next(c for c in all_claims() if c.id == "phase_diagram.critical_line")
    return [r.verdict for r in evaluate_claim(claim_obj, [run])]


def test_grid_quantities_and_critical_line(erf_run: Run) -> None:
    assert "phase_diagram" in EXPERIMENTS
    series, summary = erf_run.series, erf_run.summary
    assert len(series["chi_1"]) == 27 and summary["grid_shape"] == [3, 9]
    # χ_1 in the series is the theory's χ_1 at that cell (one definition)
    for w, b, c in zip(series["sigma_w2"], series["sigma_b2"], series["chi_1"], strict=True):
        assert c == pytest.approx(chi_1("erf", w, b), rel=1e-12)
    line = summary["critical_line"]["sigma_w2"]
    assert line[0] == pytest.approx(math.pi / 4, rel=1e-6)
    # ordered cells lie left of the line, chaotic ones right of it, in every row
    phase = np.array(series["phase"]).reshape(3, 9)
    w = np.array(summary["sigma_w2_axis"])
    for row, crit in zip(phase, line, strict=True):
        assert np.all(row[w < crit] == -1) and np.all(row[w > crit] == 1)


def test_critical_line_claim_passes_and_fails_on_broken_lines(erf_run: Run, tmp_path) -> None:
    assert _claim_verdicts(erf_run) == ["pass"] * 3

    def broken(transform) -> Run:
        doc = json.loads(json.dumps(erf_run.document))
        doc["summary"]["critical_line"]["sigma_w2"] = transform(doc["summary"]["critical_line"]["sigma_w2"])
        return Run(tmp_path, doc)

    assert "fail" in _claim_verdicts(broken(lambda line: [v * (1 + 1e3 * CROSSING_RTOL) for v in line]))
    assert "fail" in _claim_verdicts(broken(lambda line: line[1:] + line[:1]))  # shifted by one σ_b² row
    assert "fail" in _claim_verdicts(broken(lambda line: [2 * v for v in line]))  # factor 2
    assert _claim_verdicts(broken(lambda line: line[:-1])) == ["fail"]  # wrong length


def test_claim_on_a_grid_that_does_not_cross(tmp_path) -> None:
    cfg = _config(sigma_w2={"min": 0.5, "max": 0.7, "num": 3})
    output = get_experiment("phase_diagram")(cfg, tmp_path)
    write_results(tmp_path, output.results, cfg, {})
    run = Run(tmp_path, json.loads((tmp_path / "results.json").read_text()))
    assert all(math.isnan(v) for v in run.summary["critical_line"]["sigma_w2"])
    assert _claim_verdicts(run) == ["not-run"]
    run.document["summary"]["critical_line"]["sigma_w2"] = [0.6, 0.6, 0.6]  # a line drawn where none is
    assert "fail" in _claim_verdicts(run)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (
            {"sigma_w2": {"min": 0.0, "max": 2.0, "num": 3}},
            "experiment.sigma_w2.min=0.0 must be a finite number > 0",
        ),
        ({"sigma_w2": {"min": -1.0, "max": 2.0, "num": 3}}, "experiment.sigma_w2.min=-1.0 must be"),
        (
            {"sigma_b2": {"min": -0.1, "max": 0.2, "num": 3}},
            "experiment.sigma_b2.min=-0.1 must be a finite number >= 0",
        ),
        ({"sigma_b2": {"min": 0.0, "max": 0.2, "nun": 3}}, "unknown key experiment.sigma_b2.nun; allowed:"),
        (
            {"sigma_b2": {"min": 0.0, "max": 0.2, "num": 1}},
            "experiment.sigma_b2.num=1 must be an integer >= 2",
        ),
        ({"sigma_w2": {"min": 2.0, "max": 1.0, "num": 3}}, "experiment.sigma_w2.max=1.0 must be > min=2.0"),
        ({"activation": "relu"}, "activation 'relu' has no finite fixed point q\\* at σ_w²=2.25"),
        ({"activation": "swish"}, "swish"),
    ],
)
def test_bad_grids_are_one_line_config_errors(overrides, fragment, tmp_path) -> None:
    with pytest.raises(ConfigError, match=fragment) as err:
        get_experiment("phase_diagram")(_config(**overrides), tmp_path)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "results.json").exists()


def test_the_activation_is_the_model_groups(tmp_path) -> None:
    """experiment.activation shadowed model.activation (issue #15): it moved, and says so."""
    cfg = _config()
    cfg["experiment"]["activation"] = "erf"
    with pytest.raises(ConfigError, match="^experiment.activation moved to model.activation$"):
        get_experiment("phase_diagram")(cfg, tmp_path)
