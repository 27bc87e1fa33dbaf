"""The mean predictor of an infinitely wide network trained to convergence (Xiao et al. 2020, eq. 11).

With f_0 = 0 and gradient flow to t → ∞ on MSE, the test prediction is P(Θ)Y = Θ_test,train Θ⁻¹ Y
(Xiao et al. 2020 §4). With centred labels, its magnitude tells whether the kernel keeps data-dependent
information: in the chaotic phase it decays like O(l·(χ_c*/χ_1)^l) and the network stops generalizing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ntk_bench.spectra.eigen import Eigendecomposition


def kept_eigenvalues(eigenvalues: np.ndarray, rcond: float | None = None) -> np.ndarray:
    """Mask of eigenvalues (descending) above ``rcond``·λ_max; default ``rcond`` = m·ε_float64."""
    if rcond is None:
        rcond = len(eigenvalues) * np.finfo(np.float64).eps
    return eigenvalues > rcond * eigenvalues[0]


def spectral_solve(
    decomposition: Eigendecomposition, targets: np.ndarray, rcond: float | None = None
) -> np.ndarray:
    """Θ⁺ Y through the eigendecomposition, dropping eigenvalues below ``rcond``·λ_max.

    The default ``rcond`` = m·ε_float64 follows ``numpy.linalg.pinv``/``lstsq``: below it an eigenvalue is
    indistinguishable from round-off, and inverting it would only amplify noise.
    """
    lam, vec = decomposition.eigenvalues, decomposition.eigenvectors
    keep = kept_eigenvalues(lam, rcond)
    inverse = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    return vec @ (inverse[:, None] * (vec.T @ targets))


@dataclass(frozen=True)
class MeanPredictorSummary:
    """Magnitude and accuracy of P(Θ)Y on the test set.

    ``rms`` = sqrt(mean(P(Θ)Y²)) over test points and outputs; ``test_accuracy`` by argmax against the
    test labels; ``dropped_eigenvalues`` = how many eigenvalues fell below the solve cutoff.
    """

    rms: float
    test_accuracy: float
    dropped_eigenvalues: int

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def mean_predictor(
    decomposition: Eigendecomposition, k_test_train: np.ndarray, y_train: np.ndarray
) -> np.ndarray:
    """P(Θ)Y = Θ_test,train Θ⁺ Y for the train kernel given by its eigendecomposition."""
    return np.asarray(k_test_train, dtype=np.float64) @ spectral_solve(decomposition, np.asarray(y_train))


def summarize_mean_predictor(
    decomposition: Eigendecomposition,
    k_test_train: np.ndarray,
    y_train: np.ndarray,
    labels_test: np.ndarray,
) -> MeanPredictorSummary:
    """Compute P(Θ)Y and summarise it (rms magnitude, argmax test accuracy)."""
    prediction = mean_predictor(decomposition, k_test_train, y_train)
    dropped = int(np.sum(~kept_eigenvalues(decomposition.eigenvalues)))
    accuracy = float(np.mean(np.argmax(prediction, axis=1) == labels_test))
    return MeanPredictorSummary(float(np.sqrt(np.mean(prediction**2))), accuracy, dropped)
