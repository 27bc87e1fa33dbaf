"""Suites, launchers, resume and sweep progress (issue 7; docs/suites.md).

Each CLI process pays ~1-2 s of imports and its own compilation, so the default tier launches few: the quick
suite twice (killed after 3 cells, then resumed) and one joblib multirun of 2 tiny jobs; config checks run
in process.
The slow tier adds the submitit_local multirun of 2 tiny jobs and the nightly suite.
"""


def test_sweep_size_follows_the_basic_sweeper():
    from ntk_bench.suite.progress import progress_line, sweep_overrides, sweep_size

    params = {"+suite/cells": "a, b,c", "model.depth": "1,2"}
    plan = sweep_size(sweep_overrides(["suite=quick", "model.depth=5", "seed=0,1"], params))
    assert plan == (
        6,
        ("+suite/cells", "seed"),
    )  # the command line's model.depth=5 replaces the config's sweep
    line = progress_line(3, ["suite=quick", "+suite/cells=b", "seed=1", "model.depth=5"], plan)
    assert line == "ntk-bench: [4/6] +suite/cells=b seed=1 (2 remain)"
    assert progress_line(0, ["x=1"], None) == "ntk-bench: [1] x=1"
