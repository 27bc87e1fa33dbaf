"""The claims registry: correct kernels pass, deliberately wrong inputs fail the right claims, absent
measurements are not-run (never a silent pass)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ntk_bench.claims import (
    all_claims,
)
from ntk_bench.claims.core import Paper, evaluate_claim
from ntk_bench.claims.summary_keys import summary_claim
from ntk_bench.results import Run


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
