"""The claims registry: correct kernels pass, deliberately wrong inputs fail the right claims, absent
measurements are not-run (never a silent pass)."""

from __future__ import annotations

from ntk_bench.claims import (
    all_claims,
)
from ntk_bench.claims.core import evaluate_claim


def test_critical_line_claim_fails_on_a_shifted_solver(monkeypatch):
    import ntk_bench.theory as theory

    claim_obj = next(c for c in all_claims() if c.id == "mean_field.critical_line")
    original = theory.critical_sigma_w2
    monkeypatch.setattr(theory, "critical_sigma_w2", lambda act, b2: 1.02 * original(act, b2))
    assert {r.verdict for r in evaluate_claim(claim_obj, [])} == {"fail"}
