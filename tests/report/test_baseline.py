"""``ntk-bench-report`` and the Hydra callback: self-contained HTML, CI summary, missing cells, baselines."""

from __future__ import annotations


def test_relative_deviations_at_round_off_get_an_absolute_floor():
    from ntk_bench.report.baseline import ROUNDOFF_REL, ToleranceConfig, compare_metric

    config = ToleranceConfig()
    ref, moved = [0.0, 3.2e-15, 5.2e-15], [0.0, 3.1e-15, 5.3e-15]  # lee2019's dev_lin_owngd_*_rel
    for metric in ("series:gd/n32/dev_lin_owngd_test_rel", "summary:claims.closed_form_gd_max_rel_err"):
        tol = config.for_metric(metric)
        assert tol.atol == ROUNDOFF_REL
        assert compare_metric("c", metric, ref, moved, tol, []).status == "ok"
        assert compare_metric("c", metric, ref, [0.0, 3.2e-15, 1e-9], tol, []).status == "drift"
    # a real relative deviation keeps its relative tolerance; a dimensional metric gets no floor
    tol = config.for_metric("series:gd/n32/dev_test_rel")
    assert compare_metric("c", "m", [0.37], [0.37 * (1 + 1e-5)], tol, []).status == "drift"
    lam = config.for_metric("series:ntk/lambda_max")
    assert compare_metric("c", "m", ref, moved, lam, []).status == "drift"
