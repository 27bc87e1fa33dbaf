"""The issue-5 experiments end to end at toy sizes: results storable, figures saved, bad knobs rejected."""

import numpy as np
from toy_experiments import _run  # tests/toy_experiments.py


def test_lee2019_linearization(tmp_path):
    output, doc = _run("lee2019_linearization", tmp_path)
    summary = doc["summary"]
    assert summary["layers"] == ["block_1", "block_2", "readout"]
    for opt in ("sgd",):
        for metric in ("dev_train", "kernel_change", "weight_change/block_2", "weight_change/total"):
            assert np.isfinite(summary["slopes"][opt][metric]["slope"])
        assert {k for k in summary["slopes"][opt] if k.startswith("weight_change/")} >= {
            "weight_change/block_1",
            "weight_change/block_2",
            "weight_change/readout",
        }
        assert "acceptance" not in summary  # verdicts are the claims' (ntk_bench/claims/lee2019.py)
    arrays = output.results.arrays
    assert arrays["sgd/train_loss"].shape == (2, 2, 5)  # widths × seeds × (steps + 1)
    assert arrays["sgd/kernel_change"].shape == (2, 2, 3)
    np.testing.assert_allclose(arrays["sgd/dev_train"][:, :, 0], 0.0)
    assert len(doc["series"]["step"]) == 5 and "sgd/n16/dev_flow_train" in doc["series"]
    assert summary["diverged_seeds_per_width"] == {"sgd": [0, 0]}
    assert summary["eta_crit"][0]["sgd"] < summary["eta_crit"][0]["gd"]
    assert summary["vectorize"] == "loop" and summary["vectorize_probes"] == []
