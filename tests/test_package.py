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
    # hydra/launcher=slurm: the wheel's Hydra plugin is found and its config composes
    assert "BatchedSlurmLauncher" in run(sys.executable, "-m", "sim", "--info", "plugins",
                                         cwd=away, env=env)
    hydra = run(sys.executable, "-m", "sim", "hydra/launcher=slurm", "--cfg", "hydra",
                cwd=away, env=env)
    assert "batch_size: 16" in hydra
    run(sys.executable, "-m", "sim", "world=toy", "burn_in_weeks=2", "policy_weeks=2",
        "hydra.run.dir=out", cwd=away, env=env)
    record = json.loads((away / "out" / "summary.json").read_text())
    assert record["metrics"]["world_name"] == "toy"
    # ensemble=posterior: the calibrated world's posterior ships where the world names it
    code = ("from sim.settings import load_config; from sim.ensemble import posterior_file, "
            "read_posterior; from sim.uncertainty import load; "
            "c = load_config(['world=uk_2012_2024_calibrated']); p = posterior_file(c); "
            "w = c.world.calibration; "
            "f, _ = load(w.uncertainty, load_config([f'world={w.world}'])); "
            "print(p, len(read_posterior(p, f)))")
    where, particles = run(sys.executable, "-c", code, cwd=away, env=env).split()
    assert where.startswith(str(site)) and int(particles) > 0


@pytest.mark.slow
def test_the_command_line_starts_without_the_simulation_and_analysis_stack():
    heavy = "{'matplotlib', 'scipy.stats', 'mesa', 'pandas', 'pyarrow', 'networkx', 'numpy'}"
    code = f"import sys, sim.cli; print(sorted({heavy} & set(sys.modules)))"
    assert run(sys.executable, "-c", code, cwd=ROOT).strip() == "[]"


@pytest.mark.slow
def test_a_single_run_does_not_load_the_analysis_stack(tmp_path):
    analysis = "{'matplotlib', 'scipy.stats', 'sim.analysis.report'}"
    code = ("import sys; from sim.cli import run; status = run(['world=toy', 'burn_in_weeks=1', "
            f"'policy_weeks=1', 'hydra.run.dir={tmp_path}']); "
            f"print(status, sorted({analysis} & set(sys.modules)))")
    assert run(sys.executable, "-c", code, cwd=ROOT).strip().splitlines()[-1] == "0 []"
