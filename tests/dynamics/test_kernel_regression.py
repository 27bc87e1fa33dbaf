"""Xiao et al. 2020 heat maps: σ-traced kernel pass and networks, η conventions, finite training."""

import numpy as np
import pytest
import scipy.linalg

from ntk_bench.data.transforms import centre_labels_over_train
from ntk_bench.dynamics.kernel_regression import (
    critical_learning_rate,
    discrete_gd,
    evaluate_depths,
    gradient_flow,
    nt_gradient_flow,
    nt_learning_rate,
)
from ntk_bench.kernels import KernelPass
from ntk_bench.model import Network, model_spec_from_config
from ntk_bench.spectra import symmetric_eigh


def _toy_problem(m=7, n=3, c=2, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(m + n, m + n + 2))
    full = a @ a.T / (m + n)
    return full[:m, :m], full[m:, :m], rng.normal(size=(m, c))


def test_gradient_flow_matches_direct_matrix_exponential_and_neural_tangents_units():
    """f_t(X) = (I − e^{−ηΘt})Y, f_t(x) = Θ_xX Θ⁻¹(I − e^{−ηΘt})Y; nt needs η·|Y| for the same dynamics."""
    k_train, k_test, y = _toy_problem()
    eta = critical_learning_rate(np.linalg.eigvalsh(k_train)[-1])
    times = [0.0, 1.0, 8.0, 64.0]
    ours_train, ours_test = gradient_flow(symmetric_eigh(k_train), y, eta, times, k_test)
    nt_train, nt_test = nt_gradient_flow(k_train, y, eta, times, k_test)
    for i, t in enumerate(times):
        decay = scipy.linalg.expm(-eta * t * k_train)
        direct_train = (np.eye(len(y)) - decay) @ y
        direct_test = k_test @ np.linalg.solve(k_train, direct_train)
        for got in (ours_train[i], nt_train[i]):
            np.testing.assert_allclose(got, direct_train, rtol=0, atol=1e-10)
        for got in (ours_test[i], nt_test[i]):
            np.testing.assert_allclose(got, direct_test, rtol=0, atol=1e-9)
    assert nt_learning_rate(eta, y) == pytest.approx(eta * y.size)
    # passing η itself as neural-tangents' learning_rate trains |Y| times slower: a different prediction
    import neural_tangents as nt

    slow = nt.predict.gradient_descent_mse(k_train, y, learning_rate=eta)(8.0, 0.0)
    assert np.abs(np.asarray(slow) - ours_train[2]).max() > 1e-2


def test_discrete_gd_is_the_gradient_descent_iteration_and_diverges_above_critical():
    k_train, k_test, y = _toy_problem(seed=1)
    decomposition = symmetric_eigh(k_train)
    eta_crit = critical_learning_rate(decomposition.eigenvalues[0])
    for factor in (0.5, 0.99):
        eta = factor * eta_crit
        f, steps, train, test = np.zeros_like(y), [0, 1, 5, 40], [], []
        for k in range(steps[-1] + 1):
            if k in steps:
                train.append(f.copy())
                test.append(k_test @ np.linalg.solve(k_train, f))
            f = f - eta * k_train @ (f - y)
        ours_train, ours_test = discrete_gd(decomposition, y, eta, steps, k_test)
        np.testing.assert_allclose(ours_train, np.stack(train), rtol=0, atol=1e-9)
        np.testing.assert_allclose(ours_test, np.stack(test), rtol=0, atol=1e-7)
    below, _ = discrete_gd(decomposition, y, 0.99 * eta_crit, [2000])
    above, _ = discrete_gd(decomposition, y, 1.01 * eta_crit, [2000])
    assert np.abs(below - y).max() < 1e-3 * np.abs(y).max()
    assert np.abs(above).max() > 1e3 * np.abs(y).max()


def test_deep_chaotic_mean_predictor_collapses_to_the_majority_class_unless_labels_are_train_centred():
    """The mechanism behind the chaotic-side test-accuracy collapse of the infinite-width maps: with labels as
    given, Θ_xX Θ⁻¹ Y carries the constant-mode term Θ_xX 1 (1ᵀΘ⁻¹Y) ∝ the training class counts, which
    dominates deep in the chaotic phase; with 1ᵀY = 0 (labels centred over the training set) it is gone."""
    from ntk_bench.data import load_dataset

    data = load_dataset({"name": "digits", "n_train": 48, "n_test": 96}).flat()
    centred = centre_labels_over_train(data)
    np.testing.assert_allclose(centred.y_train.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_array_equal(centred.y_train.argmax(1), data.y_train.argmax(1))  # same classes
    spec = model_spec_from_config(
        {"name": "fcn", "depth": 1, "width": 256, "activation": "erf", "sigma_w2": 1.0, "sigma_b2": 0.18}
    )
    depths = [3, 60]
    kernel_pass = KernelPass(Network(spec, 0))
    train = kernel_pass.across_depth(data.x_train, None, depths, 3.0, 0.18).ntk
    test = kernel_pass.across_depth(data.x_test, data.x_train, depths, 3.0, 0.18).ntk
    majority = np.bincount(data.labels_train).argmax()
    share, acc_given, acc_centred = [], [], []
    for k_train, k_test in zip(train, test, strict=True):
        given = (k_test @ np.linalg.solve(k_train, data.y_train)).argmax(1)
        fixed = (k_test @ np.linalg.solve(k_train, centred.y_train)).argmax(1)
        share.append(np.mean(given == majority))
        acc_given.append(np.mean(given == data.labels_test))
        acc_centred.append(np.mean(fixed == data.labels_test))
    # depth 60 = 25·ξ_* at σ_w² = 3: every test point gets the majority training class ...
    assert share[1] == 1.0 and share[0] < 0.5, share
    # ... while the centred labels keep the shallow accuracy (digits, m = 48: ~0.8; chance ~0.18)
    assert acc_centred[1] > 0.6 and acc_given[1] < 0.2, (acc_given, acc_centred)


def test_a_nonfinite_kernel_cell_is_divergent_and_every_value_is_nan():
    train, test, y = _toy_problem()
    labels_train, labels_test = y.argmax(1), np.array([0, 1, 0])
    train_k = np.stack([train, train, train])
    test_k = np.stack([test, test, test])
    train_k[1, 0, 0] = np.nan  # one NaN entry at the middle depth
    test_k[2, 1, 2] = np.inf  # one Inf in the cross kernel at the last depth
    out = evaluate_depths(train_k, test_k, y, labels_train, labels_test, [1, 8])
    np.testing.assert_array_equal(out.nonfinite_kernel, [False, True, True])
    np.testing.assert_array_equal(out.divergent, [False, True, True])
    for field in ("eta", "lambda_max", "lambda_min", "kappa_bulk", "mean_predictor_rms"):
        values = getattr(out, field)
        assert np.isfinite(values[0]) and np.isnan(values[1:]).all(), field
    assert np.isnan(out.train_accuracy[1:]).all() and np.isfinite(out.train_accuracy[0]).all()
