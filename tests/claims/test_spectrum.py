"""The claims registry: correct kernels pass, deliberately wrong inputs fail the right claims, absent
measurements are not-run (never a silent pass)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from ntk_bench.claims import (
    ClaimResult,
    claim_verdicts,
    evaluate_claims,
)
from ntk_bench.cli import CONF_DIR
from ntk_bench.results import Run, load_run, load_runs
from ntk_bench.runner import run_job

CRITICAL_ERF_005 = 1.37583900734668  # critical_sigma_w2("erf", 0.05)
SYN8 = ["data=synthetic", "data.spatial_shape=[8]"]
SMALL = ["data.n_train=16", "data.n_test=8", "experiment.kernels=[ntk]"]

# name -> overrides. Depths are the least each claim needs (see ntk_bench/claims/spectrum.py):
# ordered λ_max limit needs L·χ_1^L ≤ 0.01 (L ≥ 62 at σ_w² = 1), chaotic κ → 1 needs L ≥ ξ_κ·ln(10⁴m) = 83.
RUNS = {
    "ordered": ["model.depth=72", "model.sigma_w2=1.0"],
    "critical": ["model.depth=40", f"model.sigma_w2={CRITICAL_ERF_005}"],
    "chaotic": ["model.depth=90", "model.sigma_w2=2.0"],
    "syn_fcn": [*SYN8, "model.depth=40", "model.sigma_w2=1.0"],
    "syn_cnn_f": [*SYN8, "model=cnn_flatten", "model.depth=40", "model.sigma_w2=1.0"],
    "syn_cnn_p": [*SYN8, "model=cnn_pool", "model.depth=40", "model.sigma_w2=1.0"],
    "resnet": ["model=resnet", "model.depth=40", "model.sigma_w2=2.0"],
}


def make_run(job_dir: Path, *overrides: str) -> Run:
    """Run the spectrum experiment in-process (the CLI's code path without Hydra's job machinery)."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=["tracker=none", *SMALL, *overrides])
    run_job(OmegaConf.to_container(cfg, resolve=True), job_dir)
    return load_run(job_dir)


def skip_figures(mp: pytest.MonkeyPatch) -> None:
    """Claims read results.json only; the spectrum figure (PNG + SVG) costs ~2 s a run on 2 cores."""
    import ntk_bench.runner as runner

    mp.setattr(runner, "attach_figures", lambda output, job_dir: None)


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("claims_runs")
    with pytest.MonkeyPatch.context() as mp:
        skip_figures(mp)
        for name, overrides in RUNS.items():
            make_run(root / name, *overrides)
    return root


def _by_claim(results: list[ClaimResult], claim_id: str) -> list[ClaimResult]:
    return [r for r in results if r.claim_id == claim_id]


def _edit_config(src: Path, dst: Path, **model) -> None:
    shutil.copytree(src, dst)
    doc = json.loads((dst / "results.json").read_text())
    doc["config"]["model"].update(model)
    (dst / "results.json").write_text(json.dumps(doc))


SPECTRUM_CLAIMS_PASSING = (
    "spectrum.ntk_positive_definite",
    "spectrum.chi_1_from_trace",
    "spectrum.critical_line_chi_1",
    "spectrum.ordered.lambda_max_limit",
    "spectrum.ordered.kappa_growth",
    "spectrum.chaotic.kappa_to_one",
    "spectrum.chaotic.diagonal_dominance_rate",
    "spectrum.critical.lambda_max_growth",
    "spectrum.critical.lambda_bulk_growth",
    "spectrum.critical.kappa_limit",
    "spectrum.cnn_f_follows_fcn",
    "spectrum.cnn_p_bulk_smaller",
)


def test_correct_kernels_pass_every_spectrum_claim(runs_dir):
    results = evaluate_claims(load_runs(runs_dir))
    for claim_id in SPECTRUM_CLAIMS_PASSING:
        mine = _by_claim(results, claim_id)
        verdicts = [(r.verdict, r.subject, r.detail) for r in mine]
        assert any(r.verdict == "pass" for r in mine), verdicts
        assert all(r.verdict != "fail" for r in mine), verdicts
    assert claim_verdicts(results)["mean_field.critical_line"] == "pass"
    # The critical run measures the critical-phase limits; the chaotic run κ → 1.
    kappa = _by_claim(results, "spectrum.critical.kappa_limit")[0]
    assert kappa.expected == 8.0 and abs(kappa.measured - 8.0) < 0.1 * 8.0


def test_wrong_sigma_w2_recorded_fails_the_claims_that_measure_it(runs_dir, tmp_path):
    """Kernels computed with one σ_w², config claiming another (+2%): the claims must fail, not pass."""
    for name in ("ordered", "chaotic"):
        run = load_run(runs_dir / name)
        _edit_config(runs_dir / name, tmp_path / name, sigma_w2=run.config["model"]["sigma_w2"] * 1.02)
    # An ordered kernel recorded as critical, and the critical kernel recorded as ordered.
    _edit_config(runs_dir / "ordered", tmp_path / "ordered_as_critical", sigma_w2=CRITICAL_ERF_005)
    _edit_config(runs_dir / "critical", tmp_path / "critical_as_ordered", sigma_w2=1.0)
    results = evaluate_claims(load_runs(tmp_path))

    def verdicts(claim_id, subject_part):
        return {r.verdict for r in _by_claim(results, claim_id) if subject_part in r.subject}

    for claim_id in (
        "spectrum.chi_1_from_trace",
        "spectrum.ordered.lambda_max_limit",
        "spectrum.ordered.kappa_growth",
    ):
        assert verdicts(claim_id, "σ_w²=1.02 ") == {"fail"}, claim_id
    assert verdicts("spectrum.chi_1_from_trace", "σ_w²=2.04 ") == {"fail"}
    assert verdicts("spectrum.chaotic.diagonal_dominance_rate", "σ_w²=2.04 ") == {"fail"}
    for claim_id in ("spectrum.critical.lambda_max_growth", "spectrum.critical.kappa_limit"):
        assert verdicts(claim_id, "σ_w²=1.37584") == {"fail"}, claim_id
    assert verdicts("spectrum.critical_line_chi_1", "σ_w²=1.37584") == {"fail"}
    assert verdicts("spectrum.ordered.lambda_max_limit", "σ_w²=1 ") <= {"fail", "not-run"}
    assert "pass" not in verdicts("spectrum.chi_1_from_trace", "σ_w²=1 ")


def test_wrong_activation_recorded_fails(runs_dir, tmp_path):
    _edit_config(runs_dir / "ordered", tmp_path / "tanh", activation="tanh")
    results = evaluate_claims(load_runs(tmp_path))
    assert {r.verdict for r in _by_claim(results, "spectrum.chi_1_from_trace")} == {"fail"}
    assert {r.verdict for r in _by_claim(results, "spectrum.ordered.lambda_max_limit")} == {"fail"}


def test_negative_or_nan_eigenvalues_fail_positive_definiteness(runs_dir, tmp_path):
    for name, value in (("negative", -1e-3), ("nan", math.nan)):
        shutil.copytree(runs_dir / "critical", tmp_path / name)
        doc = json.loads((tmp_path / name / "results.json").read_text())
        doc["series"]["ntk/lambda_min"][5] = value * doc["series"]["ntk/lambda_max"][5]
        (tmp_path / name / "results.json").write_text(json.dumps(doc))
    results = _by_claim(evaluate_claims(load_runs(tmp_path)), "spectrum.ntk_positive_definite")
    assert [r.verdict for r in results] == ["fail", "fail"]
    assert any("non-finite" in r.detail for r in results)


def test_mean_predictor_decay_needs_training_set_centred_labels(tmp_path, monkeypatch):
    """Xiao et al.'s O(l·(χ_c*/χ_1)^l) needs 1ᵀY = 0: with labels centred over the training set the claim
    passes; with a label mean left in Y (the constant mode of Θ leaks in) it fails."""
    import ntk_bench.experiment.spectrum as spectrum

    original = spectrum.summarize_mean_predictor
    skip_figures(monkeypatch)

    def probe(shift):
        def summarize(decomposition, k_test_train, y_train, labels_test):
            y = y_train - y_train.mean(axis=0) + shift
            return original(decomposition, k_test_train, y, labels_test)

        return summarize

    for name, shift in (("centred", 0.0), ("uncentred", 0.1)):
        monkeypatch.setattr(spectrum, "summarize_mean_predictor", probe(shift))
        make_run(tmp_path / name, "model.depth=100", "model.sigma_w2=2.0")
    results = _by_claim(evaluate_claims(load_runs(tmp_path)), "spectrum.chaotic.mean_predictor_decay")
    by_dir = {Path(r.runs[0]).name: r for r in results}
    assert by_dir["centred"].verdict == "pass", by_dir["centred"]
    assert by_dir["uncentred"].verdict == "fail"
    # The leak decays like χ_1^{-l}: measured slope ≈ −ln χ_1, not ln(χ_c*/χ_1).
    assert by_dir["uncentred"].measured == pytest.approx(-math.log(1.1546527670577373), rel=0.15)


def test_shallow_runs_are_not_run_with_the_depth_they_need(runs_dir):
    results = evaluate_claims([load_run(runs_dir / "syn_fcn")])
    (limit,) = _by_claim(results, "spectrum.ordered.lambda_max_limit")
    assert limit.verdict == "not-run" and "needs L ≥ 62" in limit.detail
    assert missing_note_mentioned(evaluate_claims([], missing_cells=2))


def missing_note_mentioned(results: list[ClaimResult]) -> bool:
    return all("2 sweep cell(s) missing" in r.detail for r in results if r.verdict == "not-run")


# ------------------------------------------------- broken runs for the claims that had none (tolerance audit)


def _edit_series(src: Path, dst: Path, name: str, transform) -> None:
    """Copy a run, replacing series ``ntk/<name>`` by ``transform(values, depths)``."""
    shutil.copytree(src, dst)
    doc = json.loads((dst / "results.json").read_text())
    depths = np.asarray(doc["series"]["depth"], dtype=np.float64)
    values = np.asarray(doc["series"][f"ntk/{name}"], dtype=np.float64)
    doc["series"][f"ntk/{name}"] = list(map(float, transform(values, depths)))
    (dst / "results.json").write_text(json.dumps(doc))


def test_broken_spectra_fail_the_claims_that_had_no_broken_run(runs_dir, tmp_path):
    # κ off by a factor 2 at every depth: chaotic κ → 1 fails (tolerance 1e-3)
    _edit_series(runs_dir / "chaotic", tmp_path / "a" / "chaotic", "kappa_bulk", lambda k, _: 2 * k)
    # λ_bulk off by a factor 2: the critical bulk slope 2q*/3 fails (tolerance 3%)
    _edit_series(runs_dir / "critical", tmp_path / "a" / "critical", "lambda_bulk", lambda v, _: 2 * v)
    # CNN-F whose κ growth rate d ln(l·κ)/dl is doubled (κ → l·κ²): does not follow the FCN (3%)
    shutil.copytree(runs_dir / "syn_fcn", tmp_path / "a" / "syn_fcn")
    _edit_series(
        runs_dir / "syn_cnn_f", tmp_path / "a" / "syn_cnn_f", "kappa_bulk", lambda k, depth: depth * k * k
    )
    results = evaluate_claims(load_runs(tmp_path / "a"))
    for claim_id in (
        "spectrum.chaotic.kappa_to_one",
        "spectrum.critical.lambda_bulk_growth",
        "spectrum.cnn_f_follows_fcn",
    ):
        assert {r.verdict for r in _by_claim(results, claim_id)} == {"fail"}, claim_id


@pytest.mark.parametrize("swap", ["no_pooling", "swapped_models"])
def test_cnn_p_bulk_claim_fails_without_pooling_or_swapped(runs_dir, tmp_path, swap):
    """A pool run whose κ is the flatten run's (a readout that does not pool: ratio 1, d = 8 away) or the
    two runs' κ swapped (ratio ~1/d) fails the order-of-magnitude claim."""
    flat = json.loads((runs_dir / "syn_cnn_f" / "results.json").read_text())["series"]["ntk/kappa_bulk"]
    pool = json.loads((runs_dir / "syn_cnn_p" / "results.json").read_text())["series"]["ntk/kappa_bulk"]
    new_pool = np.asarray(flat)
    _edit_series(runs_dir / "syn_cnn_p", tmp_path / "syn_cnn_p", "kappa_bulk", lambda k, _: new_pool)
    if swap == "swapped_models":
        _edit_series(
            runs_dir / "syn_cnn_f", tmp_path / "syn_cnn_f", "kappa_bulk", lambda k, _: np.asarray(pool)
        )
    else:
        shutil.copytree(runs_dir / "syn_cnn_f", tmp_path / "syn_cnn_f")
    results = _by_claim(evaluate_claims(load_runs(tmp_path)), "spectrum.cnn_p_bulk_smaller")
    assert {r.verdict for r in results} == {"fail"}, [(r.verdict, r.measured, r.detail) for r in results]


def test_resnet_keeps_input_correlations_and_a_plain_network_fails(runs_dir, tmp_path):
    claim_id = "resnet.keeps_input_correlations"
    (result,) = _by_claim(evaluate_claims([load_run(runs_dir / "resnet")]), claim_id)
    assert result.verdict == "pass" and 0.75 < result.measured <= 1.0, result  # measured 0.75-0.99
    # swapped models: the chaotic FCN's results labelled as a ResNet (γ = 1/2) lose the geometry
    _edit_config(runs_dir / "chaotic", tmp_path / "fcn_as_resnet", name="resnet", gamma=0.5)
    (result,) = _by_claim(evaluate_claims([load_run(tmp_path / "fcn_as_resnet")]), claim_id)
    assert result.verdict == "fail" and result.measured < 1e-3, result
    _edit_config(runs_dir / "resnet", tmp_path / "alpha_given", gamma=None, alpha=0.3)
    (result,) = _by_claim(evaluate_claims([load_run(tmp_path / "alpha_given")]), claim_id)
    assert result.verdict == "not-run" and "γ ≥ 1/2" in result.detail
