"""Spectrum summaries and the mean-predictor probe on matrices with known answers."""

import numpy as np
import pytest

from ntk_bench.spectra import (
    mean_predictor,
    summarize_mean_predictor,
    symmetric_eigh,
)


def test_mean_predictor_reproduces_training_labels_and_scores_accuracy():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 3))
    k_train = x @ x.T + np.eye(6)  # positive definite
    labels = np.array([0, 1, 2, 0, 1, 2])
    y = np.eye(3)[labels] - 1.0 / 3.0  # centred one-hot
    decomposition = symmetric_eigh(k_train)
    # On the training points themselves P(Θ)Y = Θ Θ⁻¹ Y = Y.
    np.testing.assert_allclose(mean_predictor(decomposition, k_train, y), y, atol=1e-12)
    summary = summarize_mean_predictor(decomposition, k_train, y, labels)
    assert summary.test_accuracy == 1.0
    assert summary.rms == pytest.approx(np.sqrt(np.mean(y**2)), rel=1e-12)
    assert summary.dropped_eigenvalues == 0
