"""Tests for ntk_bench.data: layouts, preprocessing, determinism, file formats and every user-facing error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ntk_bench.data import load_dataset, load_raw

# ------------------------------------------------------------------------------------------- synthetic


@pytest.mark.parametrize("c", [0.0, 0.3, 0.8])
def test_synthetic_mean_pairwise_correlation(c):
    # Tolerance from the sampling noise of the statistic m = mean_{i<j} <x_i, x_j>/D, rows normalised to
    # |x|^2 = D, with x_i = sqrt(c) g + sqrt(1-c) e_i, N examples, M = N(N-1)/2 pairs. To first order:
    #  (a) the one shared g: |g|^2/D = 1 + d, Var d = 2/D, moves every pair by c(1-c) d
    #      -> sd c(1-c) sqrt(2/D)  (does not average out over pairs);
    #  (b) cross terms sqrt(c(1-c)) (g.e_i + g.e_j)/D averaged over pairs = 2 sqrt(c(1-c)) g.e_bar/D
    #      -> sd 2 sqrt(c(1-c)/(N D));
    #  (c) noise terms (1-c) e_i.e_j/D, each of variance 1/D, uncorrelated across pairs -> sd (1-c)/sqrt(D M);
    #  (d) the per-example normalisation (|x_i|^2/D = 1 + O(sqrt(2/D))) averaged over i -> sd c sqrt(2/(D N)).
    # sigma = sqrt(a^2 + b^2 + c^2 + d^2); over 200 seeds the z-scores (m - c)/sigma had sd 0.96-1.04 for
    # c in {0, 0.3, 0.8}. We allow 5 sigma.
    D, N = 1024, 200
    M = N * (N - 1) / 2
    sigma = math.sqrt(
        (c * (1 - c) * math.sqrt(2 / D)) ** 2
        + (2 * math.sqrt(c * (1 - c) / (N * D))) ** 2
        + (1 - c) ** 2 / (D * M)
        + 2 * c**2 / (D * N)
    )
    ds = load_dataset(
        {
            "name": "synthetic",
            "dim": D,
            "correlation": c,
            "n_total": 400,
            "n_train": N,
            "n_test": 0,
            "seed": 11,
        }
    )
    gram = ds.x_train @ ds.x_train.T / D
    m = (gram.sum() - np.trace(gram)) / (N * (N - 1))
    assert abs(m - c) < 5 * sigma, (m, c, sigma)


def test_synthetic_teacher_labels_use_every_class_even_when_correlated():
    ds = load_dataset(
        {
            "name": "synthetic",
            "correlation": 0.9,
            "num_classes": 4,
            "n_train": 400,
            "n_test": 0,
            "n_total": 800,
        }
    )
    counts = np.bincount(ds.labels_train, minlength=4)
    assert (
        counts.min() > 400 / 4 / 3
    ), counts  # affine teacher removes the shared component: no dominant class
    raw = load_raw({"name": "synthetic", "n_total": 100})
    assert (len(raw.labels_train), len(raw.labels_test)) == (75, 25)
