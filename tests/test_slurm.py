"""Sweeps on a real SLURM cluster through Hydra's submitit launcher (hydra/launcher=slurm).

The tests marked ``slurm`` need the one-node cluster of scripts/slurm-up: ``make test-slurm``
starts it, runs them and stops it. Without a cluster they fail, with the daemons' logs."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT, sim
from omegaconf import OmegaConf

from hydra_plugins.sim_slurm.launcher import batches
from sim.runs import gather, job_status

SLURM_DIR = Path(os.environ.get("SIM_SLURM_DIR", "/tmp/sim-slurm"))
QUICK = ["world=toy", "burn_in_weeks=8", "policy_weeks=16"]
SWEEP = ["--multirun", *QUICK, "policy=baseline,border", "replication=0,1,2"]


def daemon_logs() -> str:
    logs = sorted((SLURM_DIR / "log").glob("*.log"))
    if not logs:
        return f"(no daemon logs in {SLURM_DIR / 'log'}: scripts/slurm-up never ran here)"
    return "\n".join(f"----- {log}\n" + "\n".join(log.read_text(errors="replace")
                                                  .splitlines()[-40:]) for log in logs)


@pytest.fixture(scope="module")
def cluster():
    """The cluster answers and its node takes jobs; else the test fails with the logs."""
    try:
        done = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                              timeout=30)
        states, why = set(done.stdout.split()), done.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as err:
        states, why = set(), str(err)
    if not states & {"idle", "mixed", "allocated"}:
        pytest.fail(f"no SLURM node takes jobs (sinfo: {sorted(states) or why}); "
                    f"make test-slurm starts one with scripts/slurm-up\n{daemon_logs()}",
                    pytrace=False)


def sacct(array: str) -> dict[str, str]:
    """The state of every task of a SLURM array job, from the cluster's accounting."""
    out = subprocess.run(["sacct", "-n", "-X", "-P", "-j", array, "-o", "JobID,State"],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("|") for line in out.splitlines())


def array_id(stdout: str) -> str:
    return re.search(r"SLURM job (\d+)", stdout).group(1)


def job_folders(sweep: Path) -> list[Path]:
    return sorted(p.parent for p in sweep.glob("*/summary.json"))


def test_batches_are_even_and_cover_every_job_once():
    assert batches(20, 16) == [range(0, 10), range(10, 20)]
    assert batches(6, 3) == [range(0, 3), range(3, 6)]
    assert batches(5, 16) == [range(0, 5)]
    for n in range(1, 40):
        for size in range(1, 12):
            parts = batches(n, size)
            assert [i for r in parts for i in r] == list(range(n))
            assert len(parts) == -(-n // size) and max(map(len, parts)) <= size
            assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_a_job_that_failed_this_time_is_not_gathered_from_an_older_summary(tmp_path):
    """A task killed before reaching a job leaves the summary of an earlier sweep in its
    folder beside the error.txt naming the task: the table must not take the old result."""
    job = tmp_path / "policy=border"
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "config.yaml").write_text("seed: 0\n")
    pd.DataFrame({"week": [0, 1]}).to_parquet(job / "timeseries.parquet")
    record = {"overrides": ["policy=border"], "seed": 0, "replication": 0, "run_seed": 1,
              "metrics": {"identified_per_year": 1.0}}
    (job / "summary.json").write_text(json.dumps(record))
    assert len(gather(tmp_path)) == 1
    (job / "error.txt").write_text("failed: SLURM job 7_0 ended CANCELLED by 0; log: x\n")
    assert gather(tmp_path).empty
    assert job_status(job).startswith("failed: SLURM job 7_0")


@pytest.mark.slurm
def test_a_sweep_on_slurm_gives_the_local_table_with_several_runs_a_task(cluster, tmp_path):
    done = sim(*SWEEP, "hydra/launcher=slurm", "hydra.launcher.batch_size=3",
               f"hydra.sweep.dir={tmp_path / 'slurm'}")
    sim(*SWEEP, "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={tmp_path / 'local'}")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "slurm" / "runs.parquet"),
                                  pd.read_parquet(tmp_path / "local" / "runs.parquet"))
    assert "submitted 6 jobs as 2 SLURM tasks" in done.stdout
    array = array_id(done.stdout)
    assert sacct(array) == {f"{array}_0": "COMPLETED", f"{array}_1": "COMPLETED"}
    # the SLURM task that ran each job, as Hydra recorded it in the job's folder
    tasks = Counter(OmegaConf.load(f / ".hydra" / "hydra.yaml").hydra.job.id
                    for f in job_folders(tmp_path / "slurm"))
    assert tasks == {f"{array}_0": 3, f"{array}_1": 3}
    manifest = json.loads((tmp_path / "slurm" / "manifest.json").read_text())
    assert manifest["complete"] == manifest["total"] == 6
    assert list((tmp_path / "slurm" / ".submitit").glob(f"{array}_0/{array}_0_0_log.err"))
    reproduced = sim("reproduce", str(tmp_path / "slurm"))
    assert "6 of 6 runs reproduce exactly" in reproduced.stdout


def three_tasks(sweep: Path) -> list[str]:
    """A sweep of 6 jobs in 3 tasks of 2 that run one at a time."""
    return ["--multirun", "world=toy", "burn_in_weeks=26", "policy_weeks=52",
            "policy=baseline,border", "replication=0,1,2", "hydra/launcher=slurm",
            "hydra.launcher.batch_size=2", "hydra.launcher.array_parallelism=1",
            f"hydra.sweep.dir={sweep}"]


def start_and_wait_for_a_task(args: list[str]) -> tuple[subprocess.Popen, str]:
    """The sweep of ``args`` started, and the id of its first task once SLURM runs it."""
    proc = subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline, running = time.time() + 120, ""
    while not running and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        running = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-o", "%i"],
                                 capture_output=True, text=True).stdout.strip()
    assert re.fullmatch(r"\d+_0", running), (running, proc.poll())  # the first of 3 tasks
    return proc, running


@pytest.mark.slurm
def test_a_cancelled_task_is_reported_and_only_its_jobs_are_submitted_again(cluster, tmp_path):
    sweep = tmp_path / "slurm"
    args = three_tasks(sweep)
    proc, running = start_and_wait_for_a_task(args)
    subprocess.run(["scancel", running], check=True)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "jobs did not complete" in err, err[-3000:]
    array = array_id(out)
    assert sacct(array)[f"{array}_0"].startswith("CANCELLED")
    manifest = json.loads((sweep / "manifest.json").read_text())
    failed = {job: s for job, s in manifest["jobs"].items() if s != "complete"}
    assert 1 <= len(failed) <= 2 and manifest["complete"] + len(failed) == 6 == manifest["total"]
    for status in failed.values():
        assert status.startswith(f"failed: SLURM job {array}_0 ended CANCELLED"), status
        log = Path(status.split("; log: ")[1])
        assert log.name == f"{array}_0_0_log.err" and log.exists()
    assert len(pd.read_parquet(sweep / "runs.parquet")) == 6 - len(failed)
    kept = {f: (f / "timeseries.parquet").stat().st_mtime_ns for f in job_folders(sweep)
            if f.name not in failed}

    again = sim(*args)  # the same command resumes: only the jobs that did not complete go
    assert f"submitted {len(failed)} jobs as 1 SLURM tasks" in again.stdout
    assert f"6 of 6 jobs complete ({6 - len(failed)} kept, {len(failed)} run)" in again.stdout
    assert all((f / "timeseries.parquet").stat().st_mtime_ns == t for f, t in kept.items())
    assert not list(sweep.glob("*/error.txt"))
    local = [a for a in args if not a.startswith(("hydra/launcher", "hydra.launcher",
                                                   "hydra.sweep.dir"))]
    sim(*local, "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={tmp_path / 'local'}")
    pd.testing.assert_frame_equal(pd.read_parquet(sweep / "runs.parquet"),
                                  pd.read_parquet(tmp_path / "local" / "runs.parquet"))


@pytest.mark.slurm
def test_ctrl_c_cancels_the_sweeps_slurm_job_and_says_how_to_resume(cluster, tmp_path):
    proc, running = start_and_wait_for_a_task(three_tasks(tmp_path))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "jobs done; resume with: python -m sim" in err, err[-3000:]
    array, deadline = running.split("_")[0], time.time() + 20
    while time.time() < deadline and subprocess.run(
            ["squeue", "-h", "-j", array], capture_output=True, text=True).stdout.strip():
        time.sleep(0.2)
    assert not subprocess.run(["squeue", "-h", "-j", array], capture_output=True,
                              text=True).stdout.strip()
    assert all(state.startswith("CANCELLED") for state in sacct(array).values())
    assert json.loads((tmp_path / "manifest.json").read_text())["complete"] < 6
