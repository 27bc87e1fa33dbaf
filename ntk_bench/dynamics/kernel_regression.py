"""Infinite-width training dynamics: gradient descent on MSE with the constant analytic NTK, at times t.

Units: the sum loss of :mod:`ntk_bench.dynamics.learning_rates`, ``L = ½‖f(X) − Y‖²``
summed over the m training points and C outputs; t counts full-batch steps of size η. With f_0 = 0 (the mean
predictor of the infinite-width ensemble), gradient flow gives

    f_t(X) = (I − e^{−ηΘt}) Y,              f_t(x) = Θ_xX Θ⁻¹ (I − e^{−ηΘt}) Y,

and discrete gradient descent ``f_{k+1} = f_k − ηΘ(f_k − Y)`` gives the same with ``(I − ηΘ)^k`` in place of
``e^{−ηΘt}``; it converges iff η < η_crit = 2/λ_max. neural-tangents' ``nt.predict.gradient_descent_mse``
divides the loss by |Y| = m·C, so its ``learning_rate`` is ``η_nt = η·|Y|`` for the same dynamics (critical
``2|Y|/λ_max``). Every η here is in the ½‖·‖² units; :func:`nt_learning_rate` converts.

Two implementations of the same gradient-flow formula:

- :func:`gradient_flow` evaluates neural-tangents' closed form (eigenvalues clipped at 0, ``expm1``, the test
  term ``expm1(−ηλt)/|λ|``) in a float64 LAPACK eigendecomposition that the spectra reuse. jax 0.4.25's CPU
  ``eigh`` inside ``gradient_descent_mse`` took 70-130 ms for a 256×256 kernel here against ~10 ms for
  numpy's, which alone would be ~100 s on the 1160 cells of the authors' grid.
- :func:`nt_gradient_flow` calls ``nt.predict.gradient_descent_mse`` itself: the reference the first is
  checked against (per run on a few cells, see :func:`evaluate_depths`, and in the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax.numpy as jnp
import neural_tangents as nt
import numpy as np

from ntk_bench.dynamics import learning_rates
from ntk_bench.dynamics.learning_rates import CRITICAL_FACTOR
from ntk_bench.spectra import mean_predictor, summarize_mean_predictor, summarize_spectrum, symmetric_eigh
from ntk_bench.spectra.eigen import Eigendecomposition


def critical_learning_rate(lambda_max: float) -> float:
    """η_crit = 2/λ_max (½‖·‖² units): discrete GD on the kernel's MSE diverges above it."""
    return learning_rates.critical_learning_rate(lambda_max)  # the sum loss: n = 1


def nt_learning_rate(eta: float | np.ndarray, y_train: np.ndarray) -> float | np.ndarray:
    """neural-tangents' ``learning_rate`` for step size η: ``η·|Y|`` (its loss is divided by |Y|)."""
    return learning_rates.mean_loss_learning_rate(eta, y_train)


def accuracy(predictions: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Argmax accuracy of predictions ``(..., n, C)`` against integer labels ``(n,)``; shape ``(...)``."""
    predictions = np.asarray(predictions)
    if predictions.shape[-2] == 0:
        return np.full(predictions.shape[:-2], np.nan)
    return np.mean(np.argmax(predictions, axis=-1) == np.asarray(labels), axis=-1)


def _times(times: Sequence[float]) -> np.ndarray:
    return np.asarray(times, dtype=np.float64).reshape(-1)


def gradient_flow(
    decomposition: Eigendecomposition,
    y_train: np.ndarray,
    eta: float,
    times: Sequence[float],
    k_test_train: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """f_t on train ``(T, m, C)`` and test ``(T, n, C)`` (or None) by gradient flow from f_0 = 0.

    neural-tangents' conventions: eigenvalues below 0 (round-off) are clipped to 0, and the test-set
    factor ``(1 − e^{−ηλt})/λ`` is set to 0 there (neural-tangents divides by |λ|; at λ = 0 exactly it
    would give 0/0).
    """
    lam, vec = decomposition.eigenvalues, decomposition.eigenvectors
    t = _times(times)[:, None]
    lam_pos = np.maximum(lam, 0.0)[None, :]
    grown = -np.expm1(-eta * lam_pos * t)  # (T, m): 1 − e^{−ηλt}
    coeffs = vec.T @ np.asarray(y_train, dtype=np.float64)  # (m, C)
    train = vec @ (grown[:, :, None] * coeffs[None])  # (T, m, C)
    if k_test_train is None:
        return train, None
    safe = np.where(lam > 0, lam, 1.0)[None, :]
    test_factor = np.where(lam[None, :] > 0, grown / safe, 0.0)
    # Θ_xX V diag(h_t) Vᵀ Y, grouped as Θ_xX (V (h_t ⊙ VᵀY)): T·m²·C + T·n·m·C flops instead of n·m².
    test = np.asarray(k_test_train, dtype=np.float64) @ (vec @ (test_factor[:, :, None] * coeffs[None]))
    return train, test


def discrete_gd(
    decomposition: Eigendecomposition,
    y_train: np.ndarray,
    eta: float,
    steps: Sequence[float],
    k_test_train: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Like :func:`gradient_flow` for discrete full-batch GD: ``(I − ηΘ)^k`` replaces ``e^{−ηΘt}``.

    The linearised dynamics of a wide network trained by GD with step η for k steps (f_0 = 0). Eigenvalues
    are clipped at 0 as in :func:`gradient_flow`; the test factor ``(1 − (1 − ηλ)^k)/λ`` → ηk as λ → 0.
    Above η_crit the top modes grow like |1 − ηλ|^k.
    """
    lam, vec = decomposition.eigenvalues, decomposition.eigenvectors
    k = _times(steps)[:, None]
    lam_pos = np.maximum(lam, 0.0)[None, :]
    step = eta * lam_pos
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        stable = -np.expm1(k * np.log1p(-np.minimum(step, 1.0 - 1e-300)))
        grown = np.where(step < 1.0, stable, 1.0 - np.power(1.0 - step, k))
    coeffs = vec.T @ np.asarray(y_train, dtype=np.float64)
    train = vec @ (grown[:, :, None] * coeffs[None])  # (T, m, C)
    if k_test_train is None:
        return train, None
    safe = np.where(lam_pos > 0, lam_pos, 1.0)
    test_factor = np.where(lam_pos > 0, grown / safe, eta * k)
    test = np.asarray(k_test_train, dtype=np.float64) @ (vec @ (test_factor[:, :, None] * coeffs[None]))
    return train, test


def nt_gradient_flow(
    k_train_train: np.ndarray,
    y_train: np.ndarray,
    eta: float,
    times: Sequence[float],
    k_test_train: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The same prediction from ``nt.predict.gradient_descent_mse`` (η converted to its units)."""
    y = jnp.asarray(y_train, dtype=jnp.float64)
    predict = nt.predict.gradient_descent_mse(
        jnp.asarray(k_train_train), y, learning_rate=float(nt_learning_rate(eta, y_train))
    )
    t = jnp.asarray(_times(times))
    if k_test_train is None:
        return np.asarray(predict(t, 0.0)), None
    train, test = predict(t, 0.0, 0.0, jnp.asarray(k_test_train))
    return np.asarray(train), np.asarray(test)


@dataclass
class DepthEvaluation:
    """Kernel-regression outcome at each depth of one σ_w² column (D depths, T times).

    ``eta``/``eta_nt``: the step size used (½‖·‖² units / neural-tangents' units); ``divergent``: η·λ_max > 2
    (discrete GD diverges: accuracies are NaN there) or a non-finite kernel (``nonfinite_kernel``: NaN/Inf
    in Θ at that depth; nothing is computed from it and every value of the cell is NaN, never a number).
    Spectra from ``ntk_bench.spectra``; the mean predictor is P(Θ)Y = Θ_xX Θ⁺ Y (t = ∞):
    ``mean_predictor_test_accuracy`` and ``mean_predictor_rms_raw`` use the labels as given;
    ``mean_predictor_rms`` uses labels centred over the training set, Ŷ = Y − 1ȳᵀ. That
    removes the constant-mode term Θ_xX 1 (1ᵀY)/m, which carries no information about x and decays only
    like χ_1^(-l) in the chaotic phase, leaving the data-dependent prediction whose decay Xiao et al. (2020)
    give as O(l·(χ_c*/χ_1)^l).
    """

    train_accuracy: np.ndarray  # (D, T)
    test_accuracy: np.ndarray  # (D, T)
    eta: np.ndarray  # (D,)
    eta_nt: np.ndarray  # (D,)
    divergent: np.ndarray  # (D,) bool
    nonfinite_kernel: np.ndarray  # (D,) bool
    lambda_max: np.ndarray
    lambda_bulk: np.ndarray
    lambda_min: np.ndarray
    kappa_bulk: np.ndarray
    mean_predictor_rms: np.ndarray
    mean_predictor_rms_raw: np.ndarray
    mean_predictor_test_accuracy: np.ndarray
    crosscheck_rel_error: float  # max |ours − neural-tangents| / max |f| over the cross-checked depths


def evaluate_depths(
    train_ntk: np.ndarray,
    test_ntk: np.ndarray,
    y_train: np.ndarray,
    labels_train: np.ndarray,
    labels_test: np.ndarray,
    times: Sequence[float],
    *,
    lr_factor: float = 1.0,
    predictor: str = "spectral",
    crosscheck: Sequence[int] = (),
) -> DepthEvaluation:
    """Train/test accuracy at ``times`` for each depth's kernel, η = lr_factor · 2/λ_max per depth.

    Args:
        train_ntk: (D, m, m) Θ on the training set per depth; test_ntk: (D, n, m) Θ_test,train.
        predictor: ``"spectral"`` (:func:`gradient_flow`) or ``"neural_tangents"`` (:func:`nt_gradient_flow`).
        crosscheck: depth indices at which the spectral prediction is recomputed with neural-tangents; the
            largest relative difference is returned in ``crosscheck_rel_error`` (nan if none).
    """
    depth_count, t_count = len(train_ntk), len(_times(times))
    out = {name: np.full((depth_count, t_count), np.nan) for name in ("train_accuracy", "test_accuracy")}
    scalars = {
        name: np.full(depth_count, np.nan)
        for name in (
            "eta",
            "eta_nt",
            "lambda_max",
            "lambda_bulk",
            "lambda_min",
            "kappa_bulk",
            "mean_predictor_rms",
            "mean_predictor_rms_raw",
            "mean_predictor_test_accuracy",
        )
    }
    y_sample_centred = np.asarray(y_train) - np.asarray(y_train).mean(axis=0, keepdims=True)
    divergent = np.zeros(depth_count, dtype=bool)
    nonfinite = np.zeros(depth_count, dtype=bool)
    crosscheck_error = np.nan
    for i in range(depth_count):
        if not (np.isfinite(train_ntk[i]).all() and np.isfinite(test_ntk[i]).all()):
            divergent[i] = nonfinite[i] = True
            continue  # a NaN/Inf kernel: the cell is recorded as divergent, all its values stay NaN
        decomposition = symmetric_eigh(train_ntk[i])
        spectrum = summarize_spectrum(decomposition.eigenvalues)
        eta = lr_factor * critical_learning_rate(spectrum.lambda_max)
        scalars["eta"][i], scalars["eta_nt"][i] = eta, nt_learning_rate(eta, y_train)
        for key in ("lambda_max", "lambda_bulk", "lambda_min", "kappa_bulk"):
            scalars[key][i] = getattr(spectrum, key)
        if len(labels_test):
            probe = summarize_mean_predictor(decomposition, test_ntk[i], y_train, labels_test)
            scalars["mean_predictor_rms_raw"][i] = probe.rms
            scalars["mean_predictor_test_accuracy"][i] = probe.test_accuracy
            data_part = mean_predictor(decomposition, test_ntk[i], y_sample_centred)
            scalars["mean_predictor_rms"][i] = float(np.sqrt(np.mean(data_part**2)))
        divergent[i] = eta * spectrum.lambda_max > CRITICAL_FACTOR * (1.0 + 1e-12)
        if divergent[i]:
            continue  # discrete GD diverges: reported as divergent, accuracies stay NaN
        test_kernel = test_ntk[i] if len(labels_test) else None
        if predictor == "neural_tangents":
            train, test = nt_gradient_flow(train_ntk[i], y_train, eta, times, test_kernel)
        else:
            train, test = gradient_flow(decomposition, y_train, eta, times, test_kernel)
        if i in crosscheck:
            ref_train, ref_test = nt_gradient_flow(train_ntk[i], y_train, eta, times, test_kernel)
            pairs = [(train, ref_train)] + ([] if test is None else [(test, ref_test)])
            for ours, ref in pairs:
                error = np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-300)
                crosscheck_error = error if np.isnan(crosscheck_error) else max(crosscheck_error, error)
        out["train_accuracy"][i] = accuracy(train, labels_train)
        if test is not None:
            out["test_accuracy"][i] = accuracy(test, labels_test)
    return DepthEvaluation(
        **out,
        **scalars,
        divergent=divergent,
        nonfinite_kernel=nonfinite,
        crosscheck_rel_error=float(crosscheck_error),
    )
