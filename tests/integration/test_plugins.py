"""Extending without forking: a small package of a user's own adds an experiment (with its config), a
claim, a figure renderer, an architecture family and a dataset through entry points
(``ntk_bench/plugins.py``), and ``ntk-bench`` sees each of them in ``--help``, in a run and in the report.

The package is written into a temporary folder with its ``*.dist-info`` (METADATA + entry_points.txt), the
form ``pip install`` leaves, and put on ``PYTHONPATH`` of the CLI processes.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from ntk_bench.resources import conf_dir

BIN = Path(sys.executable).parent
PACKAGE = "ntkb_demo_plugin"

FILES = {
    "__init__.py": "",
    "exp.py": """
        import numpy as np

        from ntk_bench.model import get_family
        from ntk_bench.results import ExperimentOutput, Results


        def run(cfg, job_dir):
            scale = float(cfg["experiment"]["scale"])
            family = get_family(cfg["model"]["name"]).label  # the plugin's own family is registered too
            steps = np.arange(4)
            return ExperimentOutput(
                results=Results(
                    experiment="demo_plugin",
                    axis="step",
                    series={"step": steps.tolist(), "value": (scale * steps).tolist()},
                    summary={"answer": 2.0 * scale, "family": family},
                    arrays={"value": scale * steps},
                )
            )
    """,
    "claims.py": """
        from ntk_bench.claims.core import Paper, check, claim


        @claim(
            id="demo_plugin.answer",
            paper=Paper("Nobody", 2026),
            statement="The answer is twice the configured scale.",
            experiment="demo_plugin",
            conditions="any demo_plugin run",
            expected="2 · experiment.scale (from the config)",
            tolerance="1e-12 relative",
            justification="exact arithmetic",
        )
        def answer(runs):
            for run in runs:
                yield check("demo", run.summary["answer"], 2.0 * run.config["experiment"]["scale"], 1e-12,
                            runs=[run])
    """,
    "figures.py": """
        from ntk_bench.report.figure_registry import register_figures
        from ntk_bench.report.figures import plt, save_figure


        @register_figures("demo_plugin")
        def figures(run, out_dir):
            fig, ax = plt.subplots()
            ax.plot(run.series["step"], run.arrays["value"])
            return {"demo_plugin": save_figure(fig, out_dir / "demo_plugin")}
    """,
    "family.py": """
        import dataclasses

        from ntk_bench.model.families import fcn

        FAMILIES = tuple(dataclasses.replace(f, name="demo_fcn", label="DemoFCN") for f in fcn.FAMILIES)
    """,
    "data.py": """
        import numpy as np

        from ntk_bench.data.raw import RawData


        def load(cfg):
            x = np.random.default_rng(cfg.seed).normal(size=(40, 6))
            labels = (x[:, 0] > 0).astype(np.int64)
            return RawData(x[:30], labels[:30], x[30:], labels[30:], (0, 1), {"source": "demo", "sha256": {}})
    """,
    "conf/experiment/demo_plugin.yaml": "name: demo_plugin\nscale: 1.5\n",
}
ENTRY_POINTS = f"""
[ntk_bench.experiments]
demo_plugin = {PACKAGE}.exp:run

[ntk_bench.configs]
{PACKAGE} = {PACKAGE}:conf

[ntk_bench.claims]
{PACKAGE} = {PACKAGE}.claims

[ntk_bench.figures]
demo_plugin = {PACKAGE}.figures

[ntk_bench.families]
demo_fcn = {PACKAGE}.family

[ntk_bench.datasets]
demo_data = {PACKAGE}.data:load
"""


def _install(site: Path) -> None:
    for name, text in FILES.items():
        path = site / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    model = (conf_dir() / "model" / "fcn.yaml").read_text().replace("name: fcn", "name: demo_fcn")
    (site / PACKAGE / "conf" / "model").mkdir()
    (site / PACKAGE / "conf" / "model" / "demo_fcn.yaml").write_text(model)
    data = (conf_dir() / "data" / "digits.yaml").read_text().replace("name: digits", "name: demo_data")
    (site / PACKAGE / "conf" / "data").mkdir()
    (site / PACKAGE / "conf" / "data" / "demo_data.yaml").write_text(data)
    info = site / f"{PACKAGE}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)


def _cli(args, cwd, site):
    env = {**os.environ, "NTK_BENCH_QUIET": "1", "PYTHONPATH": str(site)}
    return subprocess.run(
        [BIN / "ntk-bench", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_a_plugin_package_adds_an_experiment_claim_figure_family_dataset_and_configs(tmp_path):
    site = tmp_path / "site"
    _install(site)

    shown = _cli(["--help"], tmp_path, site)
    assert shown.returncode == 0, shown.stderr
    assert all(name in shown.stdout for name in ("demo_plugin", "demo_fcn", "demo_data"))

    run = _cli(
        ["experiment=demo_plugin", "model=demo_fcn", "tracker=none", "hydra.run.dir=job"], tmp_path, site
    )
    assert run.returncode == 0, run.stderr[-3000:]
    doc = json.loads((tmp_path / "job" / "results.json").read_text())
    assert doc["summary"] == {"answer": 3.0, "family": "DemoFCN"}
    assert (tmp_path / "job" / "demo_plugin.png").stat().st_size > 0  # the plugin's figure renderer
    summary = (tmp_path / "job" / "report" / "summary.md").read_text()
    assert "demo_plugin.answer" in summary and "✅ pass" in summary.split("demo_plugin.answer")[1][:80]

    # the plugin family on the plugin dataset through a built-in experiment; unknown options list the plugin's
    spectrum = _cli(
        [
            "model=demo_fcn",
            "data=demo_data",
            "model.depth=2",
            "data.n_train=8",
            "data.n_test=8",
            "tracker=none",
            "hydra.run.dir=spectrum",
        ],
        tmp_path,
        site,
    )
    assert spectrum.returncode == 0, spectrum.stderr[-3000:]
    spectrum_doc = json.loads((tmp_path / "spectrum" / "results.json").read_text())
    assert spectrum_doc["config"]["data"]["name"] == "demo_data" and spectrum_doc["summary"]["n_train"] == 8
    bad = _cli(["experiment=nope"], tmp_path, site)
    assert bad.returncode == 2 and "demo_plugin" in bad.stderr

    # the figure is redrawn from the stored results by the plugin's renderer as well
    (tmp_path / "job" / "demo_plugin.png").unlink()
    env = {**os.environ, "PYTHONPATH": str(site)}
    report = subprocess.run(
        [BIN / "ntk-bench-report", "job", "--figures", "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stdout + report.stderr
    assert (tmp_path / "job" / "demo_plugin.png").exists()
    shutil.rmtree(site)
