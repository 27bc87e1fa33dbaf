"""The issue-5 experiments end to end at toy sizes: results storable, figures saved, bad knobs rejected."""

from toy_experiments import _run  # tests/toy_experiments.py


def test_hanin_nica_fluctuations(tmp_path):
    _, doc = _run("hanin_nica_fluctuations", tmp_path)
    series = doc["series"]
    assert series["depth"] == [1, 2, 2, 4] and series["beta"] == [0.25, 0.5, 0.25, 0.5]
    assert all(r >= 1 for r in series["ratio"])  # E[Θ²] ≥ E[Θ]² (Jensen)
    assert [c["beta"] for c in doc["summary"]["collapse"]] == [0.25, 0.5]
    assert series["samples"] == [40, 80, 40, 80]  # geometric in β
    test = doc["summary"]["collapse_test"]
    assert test["comparisons"] == 2 and test["z_critical"] > 1.96
    assert doc["summary"]["model"]["activation"] == "relu"
