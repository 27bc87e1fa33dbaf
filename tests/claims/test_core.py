"""The claims registry: correct kernels pass, deliberately wrong inputs fail the right claims, absent
measurements are not-run (never a silent pass)."""

from __future__ import annotations

import math

import numpy as np

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


def test_registry_documents_every_claim():
    claims = {c.id: c for c in all_claims()}
    # one claim per module here; tests/claims/test_<module>.py names each claim it measures
    for required in (
        "spectrum.ntk_positive_definite",
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


def test_claims_without_runs_are_not_run_never_pass(tmp_path):
    results = evaluate_claims([])
    for r in results:
        if r.claim_id.startswith(
            ("spectrum.", "xiao2020.", "lee2019.", "jacot2018.", "hanin_nica.", "lr_threshold.")
        ):
            assert r.verdict == "not-run", r
            assert "no '" in r.detail
    assert claim_verdicts(results)["mean_field.critical_line"] == "pass"  # a theory check needs no run


def test_within_modes_and_non_finite_values():
    assert within(1.04, 1.0, 0.05, "rel") and not within(1.06, 1.0, 0.05, "rel")
    assert (
        within(0.2, 0.0, 0.25, "abs") and within(1.0005, 1.0, 1e-3, "le") and not within(0.9, 1.0, 0.05, "ge")
    )
    assert within(24.0, 8.0, 3.0, "factor") and not within(25.0, 8.0, 3.0, "factor")
    for bad in (math.nan, math.inf, None):
        assert not within(bad, 1.0, 1.0, "rel")
    assert not within(1.0, math.nan, 1.0, "abs")


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
