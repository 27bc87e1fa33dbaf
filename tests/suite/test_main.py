"""Suites, launchers, resume and sweep progress (issue 7; docs/suites.md).

Each CLI process pays ~1-2 s of imports and its own compilation, so the default tier launches few: the quick
suite twice (killed after 3 cells, then resumed) and one joblib multirun of 2 tiny jobs; config checks run
in process.
The slow tier adds the submitit_local multirun of 2 tiny jobs and the nightly suite.
"""

from pathlib import Path

import pytest
from omegaconf import DictConfig, ListConfig, OmegaConf

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"
# Experiment options a suite may list before they land (the nightly wrapper drops their cells, printing so);
# empty now that every experiment of issues 4-5 is registered.
PENDING_EXPERIMENTS: set[str] = set()


# ------------------------------------------------------------------------------------------ configs


def _suites():
    return sorted(p.stem for p in (CONF / "suite").glob("*.yaml"))


def _cells(suite):
    from ntk_bench.suite.__main__ import suite_cells

    return suite_cells(suite)


def _key_paths(node, prefix=""):
    """Dotted paths of every mapping key under ``node`` (lists are values, not descended into)."""
    for key, value in node.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, dict):
            yield from _key_paths(value, path + ".")


def _plain(value):
    return OmegaConf.to_container(value) if isinstance(value, ListConfig) else value


def test_every_suite_composes_and_its_cells_only_set_keys_their_groups_define():
    """A typo in a cell (``model.sigma_w``) would silently add a key Hydra happily merges; catch it here."""
    from hydra import compose, initialize_config_dir

    from ntk_bench.suite.__main__ import available_cells, cell_experiments

    paper = {"xiao2020", "lee2019", "jacot2018", "hanin_nica2020", "schoenholz2017"}
    assert {"quick", "nightly", *paper} <= set(_suites())
    first_suite: dict[str, str] = {}  # each cell is checked once, in the first suite that uses it
    for suite in _suites():
        cells = _cells(suite)
        assert cells and len(set(cells)) == len(cells), suite
        runnable, dropped = available_cells(cells)
        assert all(any(f"'{e}'" in why for e in PENDING_EXPERIMENTS) for _, why in dropped), (suite, dropped)
        for cell in runnable:
            first_suite.setdefault(cell, suite)
    experiments = cell_experiments(list(first_suite))
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        for cell, suite in first_suite.items():
            raw = OmegaConf.to_container(OmegaConf.load(CONF / "suite" / "cells" / f"{cell}.yaml"))
            raw.pop("defaults", None)
            full = compose(
                "config", overrides=[f"suite={suite}", f"+suite/cells={cell}"], return_hydra_config=True
            )
            assert (full.hydra.runtime.choices.experiment, full.experiment.name) == experiments[cell]
            # The same group options without the cell's own values: what the groups define.
            groups = [
                f"{g}={full.hydra.runtime.choices[g]}" for g in ("data", "model", "experiment", "tracker")
            ]
            base = compose("config", overrides=groups)
            for path in _key_paths(raw):
                assert (
                    OmegaConf.select(base, path, default="<missing>") != "<missing>"
                ), f"{cell}.yaml sets {path}, which {groups} does not define"
                value = OmegaConf.select(OmegaConf.create(raw), path)
                if not isinstance(value, DictConfig):  # the cell's values reach the job's config
                    assert _plain(OmegaConf.select(full, path)) == _plain(value), (suite, cell, path)


def test_a_cell_that_does_not_compose_or_names_no_registered_experiment_is_dropped(tmp_path):
    import shutil

    from ntk_bench.suite.__main__ import available_cells

    conf = tmp_path / "conf"
    shutil.copytree(CONF, conf)
    (conf / "experiment" / "not_yet.yaml").write_text("name: not_yet\n")
    cells = conf / "suite" / "cells"
    (cells / "pending.yaml").write_text("# @package _global_\ndefaults:\n  - override /experiment: not_yet\n")
    (cells / "missing.yaml").write_text("# @package _global_\ndefaults:\n  - override /experiment: nowhere\n")
    keep, dropped = available_cells(["spectrum_fcn_critical", "pending", "missing"], conf)
    assert keep == ["spectrum_fcn_critical"]
    assert dropped[0] == ("pending", "'not_yet' is not available")
    assert dropped[1][0] == "missing" and dropped[1][1].startswith("does not compose: ")
    assert "nowhere" in dropped[1][1]


def test_unknown_suite_is_a_one_line_error(capsys):
    from ntk_bench.cli import check_group_choices
    from ntk_bench.errors import ConfigError
    from ntk_bench.suite.__main__ import main

    with pytest.raises(ConfigError, match=r"unknown suite 'nigthly'; allowed: hanin_nica2020, jacot2018, "):
        check_group_choices(["suite=nigthly"])
    assert main(["nigthly"]) == 2
    assert capsys.readouterr().err.startswith("ntk-bench: error: unknown suite 'nigthly'; allowed:")


def test_nightly_wrapper_takes_overrides_before_and_after_its_options():
    from ntk_bench.suite.__main__ import arguments

    args = arguments(["nightly", "model.depth=3", "--dir", "out/nightly", "tracker=none", "--no-baseline"])
    assert (args.suite, args.dir, args.no_baseline) == ("nightly", Path("out/nightly"), True)
    assert args.overrides == ["model.depth=3", "tracker=none"]
