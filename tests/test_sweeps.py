"""Hydra is the one way in: configs compose, sweeps run, resume, gather and reproduce."""

import json
import os
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT, sim
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf, open_dict

from sim.cli import precheck, refuse_unsafe
from sim.config import CONFIG_DIR, EXPERIMENT_DIR, ConfigError
from sim.runs import job_dirname, to_config
from sim.settings import load_config, register_configs

QUICK = ["world=toy", "burn_in_weeks=8", "policy_weeks=16"]


def options(group):
    folder = EXPERIMENT_DIR if group == "experiment" else CONFIG_DIR / group
    return sorted(p.stem for p in folder.glob("*.yaml"))


@pytest.mark.parametrize("world", options("world"))
@pytest.mark.parametrize("policy", options("policy"))
def test_every_world_and_policy_composes_and_validates(world, policy):
    cfg = load_config([f"world={world}", f"policy={policy}"])
    assert cfg.world.name == world and cfg.policy.name == policy


@pytest.mark.parametrize("experiment", options("experiment"))
def test_every_experiment_composes_as_a_multirun_over_replications(experiment):
    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={experiment}", "replications=3"],
                      return_hydra_config=True)
    assert cfg.hydra.mode.name == "MULTIRUN"
    assert cfg.hydra.sweeper.params.replication == "range(0,3)"
    assert cfg.sweep == experiment
    with open_dict(cfg):
        del cfg["hydra"]
    to_config(cfg)
    text = (EXPERIMENT_DIR / f"{experiment}.yaml").read_text()
    for heading in ("Research question:", "Varies:", "Replications:", "Expected pattern:"):
        assert heading in text


@pytest.mark.slow
def test_help_lists_groups_policies_and_experiments():
    out = sim("--help").stdout
    for word in ("policy: ", "world: ", "experiment: ", "strategy_2011", "policy_comparison",
                 "reproduce"):
        assert word in out


BAD_INPUT = [
    ("exploitation.leave=2", "error: exploitation.leave = 2.0: must be between 0 and 1"),
    ("+extra=1", "error: +extra=1: adding or deleting keys is not allowed"),
    ("policy=nonexistent", "error: policy = 'nonexistent': one of baseline, border, budget_"),
    ("policy.care.support_gbp=lots", "error: Error merging override policy.care.support_gbp=lots;"
                                     " Value 'lots' of type 'str' could not be converted"),
    ("no_such_key=1", "error: no_such_key: no such key"),
    ("world=null", "error: world = 'null': one of europe, toy, uk_2011, uk_2012_2024, "
                   "uk_2012_2024_calibrated (the files"),
]


@pytest.mark.parametrize("override,message", BAD_INPUT)
def test_bad_input_is_named_before_any_folder_is_made(override, message):
    with pytest.raises(ConfigError) as err:
        precheck([*QUICK, override, "hydra.run.dir=anywhere"])
    assert f"error: {err.value}".startswith(message)


@pytest.mark.parametrize("override,message", BAD_INPUT)
@pytest.mark.slow
def test_bad_input_is_one_clear_line_and_leaves_no_folder(tmp_path, override, message):
    run_dir = tmp_path / "run"
    done = sim(*QUICK, override, f"hydra.run.dir={run_dir}", check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]  # one line
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not run_dir.exists()


@pytest.mark.slow
def test_a_single_run_writes_series_and_summary(tmp_path):
    run_dir = tmp_path / "run"
    sim(*QUICK, "policy=border", "seed=3", f"hydra.run.dir={run_dir}")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["metrics"]["policy_name"] == "border"
    series = pd.read_parquet(run_dir / "timeseries.parquet")
    assert len(series) == 24 and "victims_exploited" in series
    assert (run_dir / ".hydra" / "config.yaml").exists()
    assert sim("reproduce", str(run_dir)).stdout.strip().endswith("1 of 1 runs reproduce exactly")


SWEEP = ["--multirun", *QUICK, "policy=baseline,border", "replication=0,1,2"]


@pytest.mark.slow
def test_a_sweep_gathers_one_row_per_job_and_any_launcher_gives_the_same_table(tmp_path):
    sim(*SWEEP, "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={tmp_path / 'joblib'}")
    sim(*SWEEP, "hydra/launcher=basic", f"hydra.sweep.dir={tmp_path / 'basic'}")
    a = pd.read_parquet(tmp_path / "joblib" / "runs.parquet")
    b = pd.read_parquet(tmp_path / "basic" / "runs.parquet")
    assert len(a) == 6
    assert sorted(zip(a.policy, a.replication, strict=True)) == [
        (p, r) for p in ("baseline", "border") for r in range(3)]
    assert (a.groupby("replication").run_seed.nunique() == 1).all()  # common random numbers
    pd.testing.assert_frame_equal(a, b)
    assert pd.read_csv(tmp_path / "joblib" / "runs.csv").shape == a.shape
    manifest = json.loads((tmp_path / "joblib" / "manifest.json").read_text())
    assert manifest["complete"] == manifest["total"] == 6
    assert set(manifest["jobs"].values()) == {"complete"}
    assert {"mesa", "hydra-core", "numpy"} <= manifest["versions"].keys()


@pytest.mark.slow
def test_an_interrupted_sweep_resumes_to_the_same_table(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    sim(*SWEEP, "hydra/launcher=basic", f"hydra.sweep.dir={whole}")
    args = [sys.executable, "-m", "sim", *SWEEP, "hydra/launcher=basic",
            f"hydra.sweep.dir={broken}"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while len(list(broken.glob("*/summary.json"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.parent.name for p in broken.glob("*/summary.json")}
    assert 2 <= len(finished) < 6 and not (broken / "runs.parquet").exists()
    stamp = {p: (broken / p / "timeseries.parquet").stat().st_mtime_ns for p in finished}
    sim(*SWEEP, "hydra/launcher=basic", f"hydra.sweep.dir={broken}")
    assert all((broken / p / "timeseries.parquet").stat().st_mtime_ns == t  # not run again
               for p, t in stamp.items())
    pd.testing.assert_frame_equal(pd.read_parquet(whole / "runs.parquet"),
                                  pd.read_parquet(broken / "runs.parquet"))


@pytest.mark.slow
def test_reproduce_reports_exact_matches_and_catches_a_changed_result(tmp_path):
    sim("--multirun", *QUICK, "policy=baseline,prevention", "hydra/launcher=basic",
        f"hydra.sweep.dir={tmp_path}")
    assert "2 of 2 runs reproduce exactly" in sim("reproduce", str(tmp_path)).stdout
    job = next(tmp_path.glob("*policy=prevention*"))
    record = json.loads((job / "summary.json").read_text())
    record["metrics"]["recruited_per_year"] += 1
    (job / "summary.json").write_text(json.dumps(record))
    done = sim("reproduce", str(tmp_path), check=False)
    assert done.returncode == 1 and "DIFFERS in recruited_per_year" in done.stdout


@pytest.mark.slow
def test_an_invalid_job_in_a_sweep_is_reported_and_fails_the_sweep(tmp_path):
    done = sim("--multirun", *QUICK, "world.sources.east.vulnerability=0.45,2",
               "hydra/launcher=basic",
               f"hydra.sweep.dir={tmp_path}", check=False)
    assert done.returncode != 0 and "1 jobs did not complete" in done.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["complete"] == 1
    assert any(s.startswith("invalid: world.sources.east.vulnerability = 2.0")
               for s in manifest["jobs"].values())
    assert OmegaConf.load(tmp_path / "multirun.yaml")


def basic_sweep(folder, *overrides, check=True):
    return sim("--multirun", *QUICK, *overrides, "hydra/launcher=basic",
               f"hydra.sweep.dir={folder}", check=check)


@pytest.mark.slow
def test_only_this_sweeps_jobs_are_gathered_and_its_failures_fail_it(tmp_path):
    basic_sweep(tmp_path, "policy=baseline,border")
    done = basic_sweep(tmp_path, "policy=baseline", "world.sources.east.vulnerability=0.45,2",
                       check=False)
    assert done.returncode != 0 and "1 of 2 jobs complete" in done.stdout
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert list(runs["world.sources.east.vulnerability"]) == [0.45]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["total"] == 2 and shlex.split(manifest["command"])[:3] == [
        "python", "-m", "sim"]


@pytest.mark.slow
def test_an_invalid_rerun_leaves_no_stale_results_behind(tmp_path):
    basic_sweep(tmp_path, "policy=baseline,border")
    done = basic_sweep(tmp_path, "policy=baseline,border", "sweep=a/b", check=False)
    assert done.returncode != 0 and "0 of 2 jobs complete" in done.stdout
    assert not list(tmp_path.glob("*/summary.json"))
    assert len(list(tmp_path.glob("*/error.txt"))) == 2


@pytest.mark.slow
def test_analysis_finds_the_swept_parameter_whatever_else_is_set(tmp_path):
    sim("--multirun", "seed=3", *QUICK, "policy.care.support_gbp=1e6,4e6", "replication=0,1",
        "hydra/launcher=basic", f"hydra.sweep.dir={tmp_path}")
    report = (tmp_path / "report.md").read_text()
    assert "varied: `policy.care.support_gbp` over 2 levels" in report


@pytest.mark.slow
def test_adding_replications_reruns_only_the_new_ones(tmp_path):
    args = [*QUICK, "experiment=policy_comparison", "ensemble=none", "hydra/launcher=basic",
            f"hydra.sweep.dir={tmp_path}"]
    sim(*args, "replications=1")
    first = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/timeseries.parquet")}
    sim(*args, "replications=2")
    assert all(p.stat().st_mtime_ns == t for p, t in first.items())
    assert len(pd.read_parquet(tmp_path / "runs.parquet")) == 12


def test_long_overrides_make_short_job_folders():
    long = ",".join(f"policy.international.prevention_gbp={i}" for i in range(20))
    assert job_dirname("policy=border") == "policy=border"
    assert len(job_dirname(long)) <= 100 and job_dirname(long) != job_dirname(long + "0")


def test_code_names_are_refused_only_in_keys():
    refuse_unsafe(["policy.name=my_target_policy"])
    for bad in ("hydra.callbacks.x._target_=builtins.print", "++seed=3", "~seed"):
        with pytest.raises(ConfigError):
            refuse_unsafe([bad])


def group_alive(pgid: int) -> list[int]:
    """Processes still in the process group ``pgid`` (a sweep and its workers)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def started_sweep(folder):
    args = [sys.executable, "-m", "sim", "--multirun", "world=toy", "burn_in_weeks=52",
            "policy_weeks=520", "seed=1,2,3,4,5,6", "hydra.launcher.n_jobs=2",
            f"hydra.sweep.dir={folder}"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.time() + 120
    while not list(folder.glob("*/summary.json")) and time.time() < deadline:
        time.sleep(0.05)
    return proc


@pytest.mark.slow
def test_ctrl_c_ends_a_sweep_in_seconds_with_a_manifest_and_a_resume_line(tmp_path):
    proc = started_sweep(tmp_path)
    os.kill(proc.pid, signal.SIGINT)
    t0 = time.time()
    _, err = proc.communicate(timeout=60)
    assert time.time() - t0 < 30 and proc.returncode == 130  # 2 loaded cores: up to ~20 s
    line = next(x for x in err.splitlines() if x.startswith("interrupted: "))
    assert "jobs done; resume with: python -m sim --multirun" in line
    assert f"hydra.sweep.dir={tmp_path}" in line and "Traceback" not in err
    assert json.loads((tmp_path / "manifest.json").read_text())["total"] >= 1
    time.sleep(2)
    assert not group_alive(proc.pid)
    resumed = sim(*shlex.split(line.split("resume with: python -m sim ", 1)[1]))
    assert " kept, " in resumed.stderr and "6 of 6 jobs complete" in resumed.stdout


@pytest.mark.slow
def test_a_ctrl_c_that_python_loses_still_ends_the_sweep_as_interrupted(tmp_path):
    # Python drops an exception raised inside a finaliser ("Exception ignored in"): a Ctrl-C
    # that lands there raises its KeyboardInterrupt where nothing sees it
    code = textwrap.dedent(f"""
        import os, signal, sys, time
        import sim.runs
        from sim.cli import run

        real = sim.runs.run_job

        class Finaliser:
            def __del__(self):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(2)  # the handler runs here, inside the finaliser

        def run_job(*args):
            Finaliser()
            return real(*args)

        sim.runs.run_job = run_job
        sys.exit(run(["--multirun", "world=toy", "burn_in_weeks=2", "policy_weeks=2",
                      "seed=1,2", "hydra/launcher=basic", "hydra.sweep.dir={tmp_path}"]))
        """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert "Exception ignored" in done.stderr and "KeyboardInterrupt" in done.stderr
    assert done.returncode == 130, done.stderr[-2000:]
    line = next(x for x in done.stderr.splitlines() if x.startswith("interrupted: "))
    assert "jobs done; resume with: python -m sim --multirun" in line
    assert not (tmp_path / "report.md").exists()


@pytest.mark.slow
def test_a_killed_sweep_leaves_no_worker_running(tmp_path):
    proc = started_sweep(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)  # the sweep's process only, not its workers
    proc.wait()
    deadline = time.time() + 10
    while group_alive(proc.pid) and time.time() < deadline:
        time.sleep(0.2)
    assert not group_alive(proc.pid)


@pytest.mark.slow
def test_a_swept_value_with_a_path_stays_in_the_sweep(tmp_path):
    sweep = tmp_path / "a" / "b" / "sweep"
    basic_sweep(sweep, "policy.name=../../../escape,ok")
    assert sorted(p.name for p in tmp_path.rglob("summary.json")) == ["summary.json"] * 2
    assert all(sweep in p.parents for p in tmp_path.rglob("summary.json"))
    assert len(pd.read_parquet(sweep / "runs.parquet")) == 2


def test_the_sweeper_composes_one_job_per_combination_of_groups_before_launch():
    """Hydra's basic sweeper composes every job before launching any; ours composes one job
    of each combination of group options and world keys, and checks other values' types."""
    from types import SimpleNamespace

    from hydra.errors import ConfigCompositionException

    from hydra_plugins.sim_sweeper.sweeper import Sweeper

    composed = []
    sweeper = Sweeper(max_batch_size=None)
    sweeper.config = OmegaConf.create({})
    sweeper.hydra_context = SimpleNamespace(config_loader=SimpleNamespace(
        load_sweep_config=lambda master_config, sweep_overrides: composed.append(sweep_overrides)))
    batch = [[f"policy={p}", f"replication={r}", f"policy.care.support_gbp={g}"]
             for p in ("baseline", "border") for r in range(6) for g in ("2e6", "4e6")]
    sweeper.validate_batch_is_legal(batch)
    assert [c[0] for c in composed] == ["policy=baseline", "policy=border"]
    composed.clear()
    sweeper.validate_batch_is_legal([["world.sources.east.population=1"],
                                     ["world.sources.east.population=2"]])
    assert len(composed) == 2  # a world's keys depend on the world: each value composed
    with pytest.raises(ConfigCompositionException, match="policy.care.support_gbp=lots"):
        sweeper.validate_batch_is_legal([["policy=border", "policy.care.support_gbp=lots"]])


@pytest.mark.slow
def test_a_sweep_runs_from_any_folder(tmp_path):
    """Hydra finds the project's sweeper plugin wherever the command runs (the editable
    install of the Makefile puts the checkout on the path, as a wheel puts the plugin)."""
    done = subprocess.run([sys.executable, "-m", "sim", "--multirun", "world=toy",
                           "burn_in_weeks=2", "policy_weeks=2", "replication=0,1",
                           f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra.launcher.n_jobs=1"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(pd.read_parquet(tmp_path / "sweep" / "runs.parquet")) == 2
