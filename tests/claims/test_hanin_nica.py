"""lr_threshold and Hanin–Nica: the theory helpers against direct computation, and claims that fail on
results that break them (no claim here can only pass)."""

from __future__ import annotations

import numpy as np
import pytest

from ntk_bench.claims import all_claims
from ntk_bench.claims.core import evaluate_claim
from ntk_bench.results import Run


def _claim(claim_id):
    return next(c for c in all_claims() if c.id == claim_id)


def _collapsing_cells(shift=0.0, shifted_width=64):
    """log R on a widths × β grid that collapses (one curve 4β plus noise well inside the intervals);
    ``shift`` moves one width's curve up at every β."""
    from ntk_bench.experiment.hanin_nica import collapse_test

    widths, betas, log_r, ci = [], [], [], []
    noise = np.random.default_rng(0).normal(scale=0.02, size=12)
    for i, (n, beta) in enumerate((n, b) for n in (16, 32, 64) for b in (0.0625, 0.125, 0.25, 0.5)):
        value = 4 * beta + noise[i] + (shift if n == shifted_width else 0.0)
        half = 0.05 + 0.3 * beta  # intervals widen with β, as measured
        (
            widths.append(n),
            betas.append(beta),
            log_r.append(value),
            ci.append((value - half, value + half * 1.5)),
        )
    return collapse_test(np.array(widths), np.array(betas), np.array(log_r), ci, alpha=0.05)


def test_collapse_test_passes_a_collapse_and_fails_a_shifted_width(tmp_path):
    from ntk_bench.experiment.hanin_nica import facing_stderr, samples_for

    ok = _collapsing_cells()
    assert ok["comparisons"] == 12 and ok["max_z"] < ok["z_critical"]
    assert ok["z_critical"] == pytest.approx(2.865, abs=1e-3)  # Φ^{-1}(1 − 0.05/24)
    shifted = _collapsing_cells(shift=0.6)  # beyond the intervals (half-widths 0.07-0.2) at every β
    assert shifted["max_z"] > shifted["z_critical"] and 64 in shifted["worst"]["widths"]
    # the facing side of a skewed interval sets σ; geometric sample growth between the end points
    assert facing_stderr(1.0, (0.5, 2.0), other=3.0) == pytest.approx(1.0 / 1.959964)
    assert facing_stderr(1.0, (0.5, 2.0), other=0.0) == pytest.approx(0.5 / 1.959964)
    assert facing_stderr(1.0, (0.99, 2.0), other=0.0) == pytest.approx(1.01 / 4 / 1.959964)
    assert [samples_for(b, [0.0625, 0.5], 1000, 4000) for b in (0.0625, 0.25, 0.5)] == [1000, 1811, 4000]


# ------------------------------------------------------------------ Hanin–Nica claims against exact moments


def _hanin_run(
    tmp_path,
    *,
    mean_factor=1.0,
    log_shift=0.0,
    shifted_width=None,
    slope_factor=1.0,
    sigma_w2_measured=2.0,
    swap_widths=False,
):
    """A hanin_nica_fluctuations run whose measurements are the exact moments (plus noise well inside the
    intervals), optionally broken: moments scaled, one width's log R shifted, the slope scaled about the
    grid's mean β, the network actually run at another σ_w², or the widths swapped relative to the config."""
    from ntk_bench.theory.hanin_nica import equal_width_moments

    widths, betas = [16, 32, 64], [0.0625, 0.125, 0.25, 0.5]
    noise = np.random.default_rng(1).normal(scale=0.3, size=24)
    series = {
        k: []
        for k in (
            "width",
            "depth",
            "beta",
            "mean_theta",
            "std_theta",
            "samples",
            "log_ratio",
            "log_ratio_ci_low",
            "log_ratio_ci_high",
        )
    }
    order = widths[::-1] if swap_widths else widths
    for i, (n, b) in enumerate((n, b) for n in order for b in betas):
        d = int(b * n)
        m = equal_width_moments(d, n, 64, 64.0)
        samples = 1000
        std = m.mean * np.sqrt(m.ratio - 1)
        half = 0.05 + 0.3 * b  # as measured: 0.02-0.6
        log_r = m.log_ratio + noise[i] * half / 1.96 + (log_shift if n == shifted_width else 0.0)
        log_r += (slope_factor - 1) * 3.7 * (b - np.mean(betas))
        mean = m.mean * mean_factor * (sigma_w2_measured / 2.0) ** (d + 1) + noise[12 + i] * std / np.sqrt(
            samples
        )
        for k, v in (
            ("width", n),
            ("depth", d),
            ("beta", b),
            ("mean_theta", mean),
            ("std_theta", std),
            ("samples", samples),
            ("log_ratio", log_r),
            ("log_ratio_ci_low", log_r - half),
            ("log_ratio_ci_high", log_r + 1.3 * half),
        ):
            series[k].append(v)
    config = {
        "experiment": {"name": "hanin_nica_fluctuations", "widths": widths, "betas": betas, "alpha": 0.05},
        # the preset's network (conf/experiment/hanin_nica_fluctuations.yaml sets the model group)
        "model": {
            "name": "fcn",
            "activation": "relu",
            "sigma_w2": 2.0,
            "sigma_b2": 0.0,
            "parameterization": "standard",
        },
        "data": {"normalize": True},
    }
    doc = {
        "experiment": "hanin_nica_fluctuations",
        "config": config,
        "series": series,
        "summary": {"input_dim": 64, "x_norm2": 64.0},
    }
    return Run(tmp_path, doc)


def _hn_verdicts(claim_id, run):
    return [r.verdict for r in evaluate_claim(_claim(claim_id), [run])]


HN_CLAIMS = (
    "hanin_nica.exact_mean",
    "hanin_nica.exact_log_ratio",
    "hanin_nica.growth_with_beta",
    "hanin_nica.collapse",
)


def test_hanin_nica_claims_pass_on_exact_moments(tmp_path):
    run = _hanin_run(tmp_path)
    for claim_id in HN_CLAIMS:
        assert set(_hn_verdicts(claim_id, run)) == {"pass"}, claim_id


@pytest.mark.parametrize(
    ("broken", "claim_id"),
    [
        ({"mean_factor": 2.0}, "hanin_nica.exact_mean"),  # factor-2 normalisation of Θ̂
        ({"sigma_w2_measured": 2.2}, "hanin_nica.exact_mean"),  # network run at σ_w² = 2.2, config says 2
        ({"log_shift": np.log(2.0), "shifted_width": 64}, "hanin_nica.exact_log_ratio"),  # E[Θ̂²] × 2
        ({"slope_factor": 0.5}, "hanin_nica.growth_with_beta"),  # half the growth rate
        ({"slope_factor": 5.0 / 3.7}, "hanin_nica.growth_with_beta"),  # the uncorrected rate 5
        ({"log_shift": 0.5, "shifted_width": 32}, "hanin_nica.collapse"),  # one width's curve shifted
    ],
)
def test_hanin_nica_claims_fail_on_broken_runs(tmp_path, broken, claim_id):
    assert "fail" in _hn_verdicts(claim_id, _hanin_run(tmp_path, **broken))


def test_hanin_nica_claims_fail_on_swapped_widths_and_skip_other_networks(tmp_path):
    for claim_id in HN_CLAIMS:  # measured cells in another order than the config's grid
        assert _hn_verdicts(claim_id, _hanin_run(tmp_path, swap_widths=True)) == ["fail"]
    run = _hanin_run(tmp_path)
    run.document["config"]["model"]["sigma_w2"] = 1.5  # not He: the exact moments do not apply
    for claim_id in HN_CLAIMS:
        assert _hn_verdicts(claim_id, run) == ["not-run"]
    run = _hanin_run(tmp_path)
    run.document["summary"]["x_norm2"] = 32.0  # data.normalize pins ‖x‖² = 64
    assert _hn_verdicts("hanin_nica.exact_mean", run) == ["fail"]
