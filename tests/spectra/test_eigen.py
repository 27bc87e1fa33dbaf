"""Spectrum summaries and the mean-predictor probe on matrices with known answers."""

import numpy as np
import pytest

from ntk_bench.spectra import (
    spectral_solve,
    summarize_spectrum,
    symmetric_eigh,
)


def _matrix_with_spectrum(eigenvalues, seed=0):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(len(eigenvalues),) * 2))
    return q @ np.diag(eigenvalues) @ q.T


def test_summary_of_a_known_spectrum():
    lam = np.array([10.0, 4.0, 3.0, 2.0, 1.0])
    decomposition = symmetric_eigh(_matrix_with_spectrum(lam))
    # Orthogonal similarity preserves eigenvalues; eigh recovers them to ~m·ε·‖K‖.
    np.testing.assert_allclose(decomposition.eigenvalues, lam, rtol=0, atol=1e-13)
    s = summarize_spectrum(decomposition.eigenvalues)
    assert s.lambda_max == pytest.approx(10.0, abs=1e-13)
    assert s.lambda_2 == pytest.approx(4.0, abs=1e-13)
    assert s.lambda_min == pytest.approx(1.0, abs=1e-13)
    assert s.lambda_bulk == pytest.approx(2.5, abs=1e-13)  # mean(4, 3, 2, 1)
    assert s.kappa_min == pytest.approx(10.0, rel=1e-12)
    assert s.kappa_bulk == pytest.approx(4.0, rel=1e-12)
    assert s.trace == pytest.approx(20.0, rel=1e-13)
    assert s.effective_rank == pytest.approx(400.0 / 130.0, rel=1e-13)  # (Σλ)²/Σλ²


def test_rank_one_and_identity_limits():
    # Ordered-phase limit Θ → p*·11ᵀ: one eigenvalue m·p*, the rest 0 (Xiao et al. 2020 §4).
    m, p = 8, 2.5
    s = summarize_spectrum(symmetric_eigh(np.full((m, m), p)).eigenvalues)
    assert s.lambda_max == pytest.approx(m * p, rel=1e-13)
    assert abs(s.lambda_bulk) < 1e-13 * m * p
    assert s.effective_rank == pytest.approx(1.0, rel=1e-12)
    # Chaotic-phase limit Θ ∝ I: κ = 1, effective rank m.
    s = summarize_spectrum(symmetric_eigh(3.0 * np.eye(m)).eigenvalues)
    assert s.kappa_bulk == pytest.approx(1.0, rel=1e-14)
    assert s.kappa_min == pytest.approx(1.0, rel=1e-14)
    assert s.effective_rank == pytest.approx(m, rel=1e-14)


def test_singular_kernel_has_infinite_kappa_min():
    s = summarize_spectrum(np.array([2.0, 1.0, 0.0]))
    assert s.kappa_min == float("inf")


def test_spectral_solve_inverts_well_conditioned_kernels():
    k = _matrix_with_spectrum(np.array([5.0, 3.0, 2.0, 1.5, 1.0]), seed=3)
    y = np.random.default_rng(4).normal(size=(5, 2))
    np.testing.assert_allclose(spectral_solve(symmetric_eigh(k), y), np.linalg.solve(k, y), rtol=1e-12)


def test_spectral_solve_drops_round_off_eigenvalues():
    # An exactly rank-one Gram matrix: solving through the pseudo-inverse keeps the range component only.
    v = np.ones((4, 1)) / 2.0
    k = 3.0 * v @ v.T
    y = np.array([[1.0], [1.0], [1.0], [1.0]])
    np.testing.assert_allclose(spectral_solve(symmetric_eigh(k), y), y / 3.0, rtol=1e-12)
