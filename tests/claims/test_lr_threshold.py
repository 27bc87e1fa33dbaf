"""lr_threshold and Hanin–Nica: the theory helpers against direct computation, and claims that fail on
results that break them (no claim here can only pass)."""

from __future__ import annotations

import numpy as np
import pytest

from ntk_bench.claims import all_claims
from ntk_bench.claims.core import evaluate_claim
from ntk_bench.experiment.lr_threshold import (
    CONVERGED,
    Threshold,
    claim_values,
    classify,
    detection_bias,
    top_mode_share,
)
from ntk_bench.results import Run


def _claim(claim_id):
    return next(c for c in all_claims() if c.id == claim_id)


def _verdicts(claim_id, experiment, summary, tmp_path):
    run = Run(tmp_path, {"experiment": experiment, "config": {}, "summary": summary, "series": {}})
    return {r.subject: r.verdict for r in evaluate_claim(_claim(claim_id), [run])}


def _gd_losses(kernel, residual, c, steps):
    """½·mean(r²) of GD r ← r − (η/|Y|)·K r at η = c·2|Y|/λ_max, by explicit iteration."""
    eta_over_size = 2 * c / np.linalg.eigvalsh(kernel)[-1]
    r, out = residual.copy(), [0.5 * np.mean(residual**2)]
    for _ in range(steps):
        r = r - eta_over_size * kernel @ r
        out.append(0.5 * np.mean(r**2))
    return np.array(out)


def test_detection_bias_brackets_the_simulated_threshold():
    """Below c = 1 the constant-kernel run is classified converged; at c = 1 + δ_T it is not (the bound of
    detection_bias), for a spectrum with a small top-mode share and one with a large one."""
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    kernel = q @ np.diag(np.linspace(0.5, 10.0, 12)) @ q.T
    for share in (1e-4, 0.3):
        residual = np.sqrt(share) * q[:, -1:] + np.sqrt((1 - share) / 11) * q[:, :-1] @ np.ones((11, 1))
        assert top_mode_share(kernel, residual) == pytest.approx(share, rel=1e-9)
        steps = 60
        delta = detection_bias(steps, share)
        assert 0 < delta < 0.2
        assert classify(_gd_losses(kernel, residual, 0.999, steps))[0] == CONVERGED
        assert classify(_gd_losses(kernel, residual, 1 + delta, steps))[0] != CONVERGED
    assert detection_bias(60, 1e-4) > detection_bias(60, 0.3) > detection_bias(600, 0.3)
    assert detection_bias(60, 0.0) == np.inf


def _lr_summary(kernel_c=1.0, net_c=1.05, kernel_ratio=0.95, lo_over_c=0.998):
    bias = 0.004
    constant = {"kernel predictor": Threshold(kernel_c * 0.998, kernel_c / 0.998, 10.0, bias)}
    nets = {"network seed 0": Threshold(net_c * 0.998, net_c / 0.998, 8.0, bias)}
    motion = {"network seed 0": abs(1 / kernel_ratio - 1)}
    stability = {"network seed 0": net_c * lo_over_c * kernel_ratio}
    # η_crit = 2|Y|/λ_max is recomputed by the claims: |Y| = 10 gives 10.0 (λ_max = 2) and 8.0 (λ̂_max = 2.5)
    sizes = {"n_train": 10, "out_dim": 1, "lambda_max": 2.0, "seeds": [0], "network_lambda_max_init": [2.5]}
    return {"claims": claim_values(constant, nets, motion, stability), **sizes}


def test_lr_threshold_claims_pass_on_theory_and_fail_off_it(tmp_path):
    ok = _lr_summary()
    assert set(_verdicts("lr_threshold.eta_crit", "lr_threshold", ok, tmp_path).values()) == {"pass"}
    assert set(_verdicts("lr_threshold.network_eta_crit", "lr_threshold", ok, tmp_path).values()) == {"pass"}
    assert set(_verdicts("lr_threshold.network_stable_at_end", "lr_threshold", ok, tmp_path).values()) == {
        "pass"
    }
    # a factor-2 normalisation error of the kernel predictor's η_crit
    bad = _verdicts("lr_threshold.eta_crit", "lr_threshold", _lr_summary(kernel_c=2.0), tmp_path)
    assert bad["lr_threshold kernel predictor"] == "fail"
    # a network threshold 12% above 2|Y|/λ̂_max(0) that the measured 5% kernel motion does not explain
    bad = _verdicts("lr_threshold.network_eta_crit", "lr_threshold", _lr_summary(net_c=1.12), tmp_path)
    assert bad["lr_threshold network seed 0"] == "fail"
    # converged with η·λ̂_max(T) 5% above 2|Y|: linearly unstable, cannot be a GD fixed point
    bad = _lr_summary(net_c=1.1, kernel_ratio=0.955, lo_over_c=1.0)
    verdicts = _verdicts("lr_threshold.network_stable_at_end", "lr_threshold", bad, tmp_path)
    assert verdicts["lr_threshold network seed 0"] == "fail"
