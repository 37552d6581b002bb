"""The built wheel carries its configs and experiments and runs outside the checkout."""

import json
import os
import subprocess
import sys

import pytest
from helpers import ROOT


def run(*args, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_the_wheel_runs_sim_anywhere(tmp_path):
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"),
        str(ROOT))
    (wheel,) = (tmp_path / "dist").glob("sim-*.whl")
    site = tmp_path / "site"
    run(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
        str(wheel))
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = run(sys.executable, "-c", "import sim; print(sim.__file__)", cwd=away, env=env)
    assert where.startswith(str(site))
    assert "policy_comparison" in run(str(site / "bin" / "sim"), "--help", cwd=away, env=env)
    run(sys.executable, "-m", "sim", "world=toy", "burn_in_weeks=2", "policy_weeks=2",
        "hydra.run.dir=out", cwd=away, env=env)
    record = json.loads((away / "out" / "summary.json").read_text())
    assert record["metrics"]["world_name"] == "toy"


@pytest.mark.slow
def test_the_command_line_starts_without_the_simulation_and_analysis_stack():
    heavy = "{'matplotlib', 'scipy.stats', 'mesa', 'pandas', 'pyarrow', 'networkx', 'numpy'}"
    code = f"import sys, sim.cli; print(sorted({heavy} & set(sys.modules)))"
    assert run(sys.executable, "-c", code, cwd=ROOT).strip() == "[]"
