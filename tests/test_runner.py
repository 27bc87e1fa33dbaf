"""Suites, launchers, resume and sweep progress (issue 7; docs/suites.md).

Each CLI process pays ~1-2 s of imports and its own compilation, so the default tier launches few: the quick
suite twice (killed after 3 cells, then resumed) and one joblib multirun of 2 tiny jobs; config checks run
in process.
The slow tier adds the submitit_local multirun of 2 tiny jobs and the nightly suite.
"""

import numpy as np

from ntk_bench.results import load_run


def test_resume_skips_only_a_complete_run_of_the_same_config_and_force_recomputes(
    tmp_path, capsys, monkeypatch
):
    """run_job's resume check, with a counting stand-in experiment (the real ones are exercised above)."""
    import ntk_bench.runner as runner
    from ntk_bench.results import ExperimentOutput, Results

    calls = []

    def fake_experiment(config, job_dir):
        calls.append(job_dir)
        sigma = config["model"]["sigma_w2"]
        return ExperimentOutput(
            Results("fake", "depth", {"depth": [1, 2], "value": [sigma, 2 * sigma]}, arrays={"a": np.ones(3)})
        )

    monkeypatch.setattr(runner, "get_experiment", lambda name: fake_experiment)
    config = {"experiment": {"name": "fake"}, "model": {"sigma_w2": 1.5}, "tracker": {"name": "none"}}
    job = tmp_path / "job"

    def run(cfg):
        path = runner.run_job(cfg, job)
        return path, capsys.readouterr().out

    first, out = run({**config, "force": False})
    assert out.startswith("ntk-bench: results written to") and len(calls) == 1
    assert "force" not in load_run(job).config  # force never enters the stored config or its hash
    assert run({**config, "force": False}) == (first, f"ntk-bench: skipped (complete) {first}\n")
    assert run(config)[0] == first and len(calls) == 1  # a missing force key means false
    assert "results written" in run({**config, "force": True})[1] and len(calls) == 2
    changed = {**config, "model": {"sigma_w2": 1.7}}
    assert "results written" in run(changed)[1] and len(calls) == 3  # another config: computed
    assert load_run(job).series["value"] == [1.7, 3.4]
    assert "skipped" in run(changed)[1]
    (job / "arrays.npz").write_bytes(b"damaged")  # a damaged arrays file is not "complete"
    assert "results written" in run(changed)[1] and len(calls) == 4
    (job / "results.json").write_text("{")  # nor is a corrupt results.json
    assert "results written" in run(changed)[1] and len(calls) == 5
