"""The one loss and learning-rate convention of ``dynamics/``, and the critical step sizes.

Every trainer here minimises squared error; they differ only in how the loss is normalised, which rescales
the step size η and nothing else:

- ``"sum"``: ``L = ½‖f(X) − Y‖²`` summed over the m training points and k outputs (``kernel_regression``: the
  infinite-width heat maps). GD moves the training outputs by ``−ηΘ(f − Y)``.
- ``"mean"``: ``L = ½·mean((f(X) − Y)²)`` over the |Y| = m·k target entries, neural-tangents'
  ``predict.gradient_descent_mse`` convention (``linearization``, ``training``: lee2019, lr_threshold). A step
  η on it is a step η/|Y| on the sum loss.

So ``η_mean = |Y|·η_sum`` for the same dynamics (:func:`mean_loss_learning_rate`), and discrete GD on a
kernel with largest eigenvalue λ_max converges iff ``η < 2·n/λ_max`` with n = |Y| (mean) or 1 (sum)
(:func:`critical_learning_rate`; Lee et al. (2019) quote ``2/(λ_min + λ_max)``, which no experiment uses).
"""

from __future__ import annotations

import numpy as np

CRITICAL_FACTOR = 2.0  # η_crit = CRITICAL_FACTOR · n / λ_max


def critical_learning_rate(lambda_max: float, n_targets: int = 1) -> float:
    """η_crit = 2·n/λ_max: n = |Y| = ``n_targets`` for the mean loss, 1 (the default) for the sum loss."""
    return CRITICAL_FACTOR * n_targets / float(lambda_max)


def mean_loss_learning_rate(eta: float | np.ndarray, y_train: np.ndarray) -> float | np.ndarray:
    """The mean-loss (neural-tangents) step for a sum-loss step η: ``η·|Y|``."""
    return eta * np.asarray(y_train).size


def minibatch_critical_learning_rate(
    k_train: np.ndarray, batch_size: int, out_dim: int, draws: int = 256, seed: int = 0
) -> float:
    """η_crit of minibatch GD on the mean loss over a batch of B examples: 2·B·k / max_B λ_max(Θ_BB).

    The worst of ``draws`` random batches (fixed ``seed``): every step is then stable for the kernel model.
    Smaller batches see a larger λ_max(Θ_BB)/B (the diagonal weighs more), so η_crit shrinks with B.
    """
    m = len(k_train)
    if batch_size >= m:
        return critical_learning_rate(float(np.linalg.eigvalsh(k_train)[-1]), m * out_dim)
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(draws):
        idx = rng.choice(m, batch_size, replace=False)
        worst = max(worst, float(np.linalg.eigvalsh(k_train[np.ix_(idx, idx)])[-1]))
    return critical_learning_rate(worst, batch_size * out_dim)
