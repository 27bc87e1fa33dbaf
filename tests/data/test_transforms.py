"""The CNN half of Xiao et al. 2020 on 1-D signals: stratified draws, label conventions, signal lengths, the
boundaries' t-dependence and CNN-P's extra depth against ξ_*·ln d (experiment=xiao2020_pool_depth)."""

import numpy as np
import pytest

from ntk_bench.data import load_dataset
from ntk_bench.data.transforms import resample_signals
from ntk_bench.errors import ConfigError

MNIST1D = {"name": "mnist1d", "n_train": 40, "n_test": 30, "seed": 3}


def test_resampled_signals_keep_labels_and_norm_and_the_native_length_is_the_identity():
    data = load_dataset(MNIST1D)
    for length in (10, 80):
        out = resample_signals(data, length)
        assert out.x_train.shape == (40, length, 1)
        np.testing.assert_allclose(np.sum(out.x_train**2, axis=(1, 2)), length, rtol=1e-12)
        assert np.array_equal(out.labels_test, data.labels_test)
    np.testing.assert_allclose(resample_signals(data, 40).x_train, data.x_train, atol=1e-12)
    with pytest.raises(ConfigError, match="needs 1-D signal inputs"):
        resample_signals(load_dataset({"name": "digits", "n_train": 10, "n_test": 5}), 16)
