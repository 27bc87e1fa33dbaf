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
    all_claims,
    claim_verdicts,
    claims_table,
    evaluate_claims,
    tracker_payload,
    tracker_summary,
    within,
)
from ntk_bench.claims.core import Claim, Paper, check, evaluate_claim
from ntk_bench.claims.summary_keys import summary_claim
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


def test_registry_documents_every_claim():
    claims = {c.id: c for c in all_claims()}
    for required in (
        *SPECTRUM_CLAIMS_PASSING,
        "spectrum.chaotic.mean_predictor_decay",
        "mean_field.critical_line",
        "xiao2020.trainable_depth_xi_1",
        "xiao2020.generalizing_depth_xi_star",
        "xiao2020.pool_generalizes_deeper",
        "xiao2020.pool_slows_mean_predictor_decay",
        "xiao2020.trainable_depth_log_t",
        "xiao2020.ordered_mean_predictor_data_dependent",
        "xiao2020.chaotic_offdiagonal_limit",
        "xiao2020.pool_extra_depth_log_d",
        "lee2019.gradient_flow_closed_form",
        "lee2019.deviation_slopes",
        "jacot2018.empirical_to_analytic_slope",
        "lr_threshold.eta_crit",
        "hanin_nica.collapse",
    ):
        assert required in claims, required
    for c in claims.values():
        assert c.paper.authors and 2000 < c.paper.year < 2030, c.id
        for text in (c.statement, c.conditions, c.expected, c.tolerance, c.justification):
            assert text.strip(), c.id


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


def test_claims_without_runs_are_not_run_never_pass(tmp_path):
    results = evaluate_claims([])
    for r in results:
        if r.claim_id.startswith(
            ("spectrum.", "xiao2020.", "lee2019.", "jacot2018.", "hanin_nica.", "lr_threshold.")
        ):
            assert r.verdict == "not-run", r
            assert "no '" in r.detail
    assert claim_verdicts(results)["mean_field.critical_line"] == "pass"  # a theory check needs no run


def test_shallow_runs_are_not_run_with_the_depth_they_need(runs_dir):
    results = evaluate_claims([load_run(runs_dir / "syn_fcn")])
    (limit,) = _by_claim(results, "spectrum.ordered.lambda_max_limit")
    assert limit.verdict == "not-run" and "needs L ≥ 62" in limit.detail
    assert missing_note_mentioned(evaluate_claims([], missing_cells=2))


def missing_note_mentioned(results: list[ClaimResult]) -> bool:
    return all("2 sweep cell(s) missing" in r.detail for r in results if r.verdict == "not-run")


def test_within_modes_and_non_finite_values():
    assert within(1.04, 1.0, 0.05, "rel") and not within(1.06, 1.0, 0.05, "rel")
    assert (
        within(0.2, 0.0, 0.25, "abs") and within(1.0005, 1.0, 1e-3, "le") and not within(0.9, 1.0, 0.05, "ge")
    )
    assert within(24.0, 8.0, 3.0, "factor") and not within(25.0, 8.0, 3.0, "factor")
    for bad in (math.nan, math.inf, None):
        assert not within(bad, 1.0, 1.0, "rel")
    assert not within(1.0, math.nan, 1.0, "abs")


def _fake_run(tmp_path: Path, experiment: str, summary: dict) -> Run:
    return Run(tmp_path, {"experiment": experiment, "config": {}, "summary": summary, "series": {}})


def test_summary_key_claims_pass_fail_and_not_run(tmp_path):
    summary_claim(
        id="test.slopes",
        paper=Paper("Test", 2024),
        statement="s",
        experiment="test_exp",
        measured_key="claims.slopes",
        stderr_key="claims.slopes_stderr",
        expected=-0.5,
        tolerance=0.0,
        mode="le",
        conditions="c",
        expected_text="e",
        tolerance_text="t",
        justification="j",
    )
    from ntk_bench.claims.core import _REGISTRY

    claim_obj = _REGISTRY.pop("test.slopes")
    good = _fake_run(
        tmp_path,
        "test_exp",
        {"claims": {"slopes": {"a": -0.9, "b": -0.45}, "slopes_stderr": {"a": 0.1, "b": 0.01}}},
    )
    absent = _fake_run(tmp_path, "test_exp", {"other": 1})
    results = evaluate_claim(claim_obj, [good, absent])
    assert [(r.subject.split()[-1], r.verdict) for r in results[:2]] == [("a", "pass"), ("b", "fail")]
    assert results[2].verdict == "not-run" and "claims.slopes" in results[2].detail
    assert evaluate_claim(claim_obj, [])[0].verdict == "not-run"


def test_a_claim_that_raises_fails(tmp_path):
    def broken(runs):
        raise KeyError("ntk/lambda_max")

    claim_obj = Claim("test.broken", Paper("T", 2020), "s", None, "c", "e", "t", "j", broken)
    (result,) = evaluate_claim(claim_obj, [])
    assert result.verdict == "fail" and "KeyError" in result.detail


def test_tracker_table_and_pass_count():
    results = [
        check("x", 1.0, 1.0, 0.1, "rel"),
        check("y", math.nan, 1.0, 0.1, "rel"),
    ]
    results = [
        ClaimResult(**{**r.to_dict(), "claim_id": "mean_field.critical_line", "runs": ()}) for r in results
    ]
    columns, rows, passed = tracker_payload(results)
    assert columns == claims_table(results)[0] and columns[:2] == ["claim", "verdict"]
    assert passed == 1 and rows[1][1] == "fail" and rows[1][4] is None  # NaN → None for trackers
    summary = tracker_summary(results)
    assert summary["claims/pass"] == 1 and summary["claims/fail"] == 1 and summary["claims/claims_fail"] == 1
    assert np.isfinite(rows[0][4])


def _xiao_run(tmp_path, r_squared, n_points, train_min):
    fit = {"constant": 10.0, "r_squared": r_squared, "n_points": n_points}
    summary = {
        "models": ["fcn"],
        "fcn": {
            "ordered_trainable_depth": {"fit": fit},
            "chaotic_test_chance_depth": {
                "fit": fit,
                "train_accuracy_beyond": {"min": train_min, "mean": train_min, "cells": 10},
            },
        },
    }
    return Run(tmp_path, {"experiment": "xiao2020_fcn", "summary": summary, "config": {}})


@pytest.mark.parametrize(
    ("r_squared", "n_points", "train_min", "expected"),
    [
        (0.9997, 6, 1.0, ["pass", "pass", "pass"]),  # the measured FCN values on digits
        (0.5, 6, 0.4, ["fail", "fail", "fail"]),  # depth boundaries unrelated to ξ; chaotic cells not fitting
        (0.99, 2, 1.0, ["not-run", "not-run", "pass"]),  # too few columns cross the boundary to fit
    ],
)
def test_xiao2020_claims_read_the_depth_scale_fits(tmp_path, r_squared, n_points, train_min, expected):
    from ntk_bench.claims import xiao2020

    run = _xiao_run(tmp_path, r_squared, n_points, train_min)
    claims = (xiao2020.trainable_depth_xi_1, xiao2020.generalizing_depth_xi_star, xiao2020.chaotic_memorizes)
    verdicts = [next(iter(fn([run]))).verdict for fn in claims]
    assert verdicts == expected


def _pool_run(tmp_path, flat_depth, pool_depth, rms_ratio, flat_peak=0.5):
    """A CNN run whose comparison comes from the experiment's own compare_pool_flatten on made-up maps
    (``flat_peak``: CNN-F's peak test accuracy, against a clear-generalization level of 0.3)."""
    from ntk_bench.experiment.xiao2020 import parse_experiment_config
    from ntk_bench.experiment.xiao2020.analysis import compare_pool_flatten, pool_vs_flatten_boundaries

    cfg = OmegaConf.to_container(
        compose_experiment("xiao2020_cnn"), resolve=True
    )
    xc = parse_experiment_config({**cfg["experiment"], "sigma_w2": [1.0, 2.5, 3.0], "analysis": {}})
    # the grid reaches 40 = 10·ξ_* and 16·ξ_*: both columns are deep enough for the mean-predictor claim
    theory = {"phase": ["ordered", "chaotic", "chaotic"], "xi_star": np.array([np.nan, 4.0, 2.5])}
    jt = len(xc.times) - 1
    chance = {name: np.full((3, len(xc.times)), np.nan) for name in ("cnn_flatten", "cnn_pool")}
    chance["cnn_flatten"][1:, jt] = flat_depth
    chance["cnn_pool"][1:, jt] = pool_depth
    rms = {"cnn_flatten": np.ones((3, len(xc.depths))), "cnn_pool": np.ones((3, len(xc.depths)))}
    rms["cnn_pool"][:, -1] = rms_ratio
    peaks = {"cnn_flatten": np.full(3, flat_peak), "cnn_pool": np.full(3, 0.6)}
    boundaries = pool_vs_flatten_boundaries(chance, peaks, theory, xc, 0.3)
    summary = {"cnn_pool_vs_flatten": compare_pool_flatten(boundaries, rms, theory, xc, 16, 0.3)}
    return Run(tmp_path, {"experiment": "xiao2020_cnn", "summary": summary, "config": {}})


def compose_experiment(name: str, *overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=[f"experiment={name}", *overrides])


@pytest.mark.parametrize(
    ("flat_depth", "pool_depth", "rms_ratio", "flat_peak", "expected"),
    [
        ([20.0, 12.0], [31.0, 19.0], 14.0, 0.5, ["pass", "pass"]),  # the paper's picture
        ([29.5, 23.7], [24.8, 17.8], 1.3, 0.5, ["fail", "pass"]),  # measured on 4×4 digits, m = 128
        ([20.0, 12.0], [31.0, 11.0], 0.5, 0.5, ["fail", "fail"]),  # one column shallower; faster decay
        ([np.nan, np.nan], [np.nan, np.nan], 2.0, 0.5, ["not-run", "pass"]),  # no column reaches chance
        ([20.0, 12.0], [11.0, 9.0], 14.0, 0.25, ["not-run", "pass"]),  # CNN-F never clearly generalizes
    ],
)
def test_pool_vs_flatten_claims(tmp_path, flat_depth, pool_depth, rms_ratio, flat_peak, expected):
    from ntk_bench.claims import xiao2020

    run = _pool_run(tmp_path, flat_depth, pool_depth, rms_ratio, flat_peak)
    claims = (xiao2020.pool_generalizes_deeper, xiao2020.pool_slows_mean_predictor_decay)
    assert [next(iter(fn([run]))).verdict for fn in claims] == expected


def test_pool_mean_predictor_claim_judges_only_deep_columns(tmp_path):
    from ntk_bench.claims import xiao2020

    run = _pool_run(tmp_path, [20.0, 12.0], [31.0, 19.0], 0.9)
    comparison = run.summary["cnn_pool_vs_flatten"]
    assert comparison["deepest_depth_over_xi_star"] == [10.0, 16.0]
    assert next(iter(xiao2020.pool_slows_mean_predictor_decay([run]))).verdict == "fail"
    comparison["deepest_depth_over_xi_star"] = [3.8, 4.9]  # near the critical line: not deep enough to judge
    assert next(iter(xiao2020.pool_slows_mean_predictor_decay([run]))).verdict == "not-run"


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


@pytest.mark.parametrize(
    ("claim_id", "experiment", "good", "broken"),
    [
        # n^{-1/2} convergence vs half that rate (tolerance 0.05 + 2·0.02)
        (
            "jacot2018.empirical_to_analytic_slope",
            "jacot2018_convergence",
            {"ntk_convergence_slope": -0.52, "ntk_convergence_slope_stderr": 0.02},
            {"ntk_convergence_slope": -0.25, "ntk_convergence_slope_stderr": 0.02},
        ),
        # round-off agreement vs a closed form with η off by a factor 2 (relative error O(1))
        (
            "lee2019.gradient_flow_closed_form",
            "lee2019_linearization",
            {"closed_form_gd_max_rel_err": 5.5e-15},
            {"closed_form_gd_max_rel_err": 0.4},
        ),
        # slopes ≤ −1/2 vs half the rate
        (
            "lee2019.deviation_slopes",
            "lee2019_linearization",
            {
                "deviation_slopes": {"sup_t|f - f_lin|": -0.9},
                "deviation_slopes_stderr": {"sup_t|f - f_lin|": 0.05},
            },
            {
                "deviation_slopes": {"sup_t|f - f_lin|": -0.25},
                "deviation_slopes_stderr": {"sup_t|f - f_lin|": 0.05},
            },
        ),
    ],
)
def test_summary_claims_fail_on_broken_values(tmp_path, claim_id, experiment, good, broken):
    claim_obj = next(c for c in all_claims() if c.id == claim_id)
    assert {
        r.verdict for r in evaluate_claim(claim_obj, [_fake_run(tmp_path, experiment, {"claims": good})])
    } == {"pass"}
    bad = evaluate_claim(claim_obj, [_fake_run(tmp_path, experiment, {"claims": broken})])
    assert {r.verdict for r in bad} == {"fail"}


def test_critical_line_claim_fails_on_a_shifted_solver(monkeypatch):
    import ntk_bench.theory as theory

    claim_obj = next(c for c in all_claims() if c.id == "mean_field.critical_line")
    original = theory.critical_sigma_w2
    monkeypatch.setattr(theory, "critical_sigma_w2", lambda act, b2: 1.02 * original(act, b2))
    assert {r.verdict for r in evaluate_claim(claim_obj, [])} == {"fail"}


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
