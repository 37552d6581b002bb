"""Hydra's submitit SLURM launcher, batched: one SLURM array task runs ``batch_size`` Hydra jobs
in a row, each through Hydra's ``run_job`` and the application's task function exactly as one
job per task would, so each still writes its own job folder (resume, gathering and
``reproduce`` see no difference). Thousands of short runs become a few hundred tasks, and the
cost of starting a task (scheduling, Python and the model's imports) is paid once a batch.

A task that does not finish (cancelled, timed out, out of memory, node failure) does not stop
the sweep: each job of its batch that did not finish writes ``error.txt`` naming the SLURM job
id, its state and its log, so ``manifest.json`` reports it, the sweep exits non-zero, and
running the same command again submits only the jobs that are not complete.
"""

import contextlib
import copy
import logging
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, filter_overrides, run_job
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf, SlurmQueueConf
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher
from omegaconf import DictConfig, OmegaConf, open_dict

log = logging.getLogger(__name__)


@dataclass
class BatchedSlurmQueueConf(SlurmQueueConf):
    _target_: str = "hydra_plugins.sim_slurm.launcher.BatchedSlurmLauncher"
    # Hydra jobs run in a row by one SLURM task (timeout_min is for the whole batch)
    batch_size: int = 16


ConfigStore.instance().store(group="hydra/launcher", name="submitit_slurm_batched",
                             node=BatchedSlurmQueueConf(), provider="sim")


def batches(n: int, size: int) -> list[range]:
    """``n`` jobs in ``ceil(n / size)`` consecutive batches of at most ``size``, their sizes
    differing by at most one (20 jobs at 16 a batch: 10 and 10, not 16 and 4)."""
    if size < 1:
        raise ValueError(f"hydra.launcher.batch_size = {size}: must be 1 or more")
    count = -(-n // size)
    base, extra = divmod(n, count) if count else (0, 0)
    starts = [i * base + min(i, extra) for i in range(count + 1)]
    return [range(a, b) for a, b in zip(starts, starts[1:], strict=False)]


def finished(sweep_dir: Path, summary: str) -> set[tuple[str, ...]]:
    """The overrides of the jobs in ``sweep_dir`` with a summary: the only ones a resumed sweep
    may keep (found without composing each job's config, which takes a good part of a second)."""
    found = set()
    for path in sweep_dir.glob("**/.hydra/overrides.yaml"):
        if (path.parent.parent / summary).exists():
            with contextlib.suppress(Exception):
                found.add(tuple(str(o) for o in yaml.safe_load(path.read_text())))
    return found


class BatchedSlurmLauncher(SlurmLauncher):
    def __init__(self, batch_size: int = 16, **params: Any) -> None:
        super().__init__(**params)
        self.batch_size = int(batch_size)

    # --- on the node ------------------------------------------------------------------------

    def __call__(
        self,
        batch: list[list[str]],
        job_dir_key: str,
        first_num: int,
        singleton_state: dict,
    ) -> list[JobReturn]:
        """One SLURM task: the jobs of ``batch`` one after another, as the submitit launcher
        runs one. The task belongs to the cluster, not to the submitting process: it does not
        watch that process (on a one-node cluster they share a host; on a real one they never
        do)."""
        from sim.cli import SWEEP_PID

        os.environ.pop(SWEEP_PID, None)
        # the base class's method by name, not super(): running a job restores Hydra's
        # singletons, which may load this module again and so make a new class of this name
        run_one = SlurmLauncher.__call__
        return [run_one(self, list(overrides), job_dir_key, first_num + i,
                        f"job_id_for_{first_num + i}", singleton_state)
                for i, overrides in enumerate(batch)]

    # --- on the submitting machine ----------------------------------------------------------

    def executor(self):
        """The submitit executor with this launcher's parameters, as the submitit launcher
        builds it (its ``launch``)."""
        import submitit

        init_params = {"folder": self.params["submitit_folder"]}
        if "max_num_timeout" in self.params:
            init_params["slurm_max_num_timeout"] = self.params["max_num_timeout"]
        executor = submitit.AutoExecutor(cluster=self._EXECUTOR, **init_params)
        baseparams = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(**{
            k if k in baseparams else f"{self._EXECUTOR}_{k}": v
            for k, v in self.params.items() if k not in {"submitit_folder", "max_num_timeout"}})
        return executor

    def launch(self, job_overrides, initial_job_idx: int) -> list[JobReturn]:
        """Submit the jobs that are not already complete, ``batch_size`` to a SLURM task, and
        wait for them. Resuming, a job whose folder holds its results for the same config and
        code is kept here through the task function (which only checks it), not submitted."""
        from sim.runs import SUMMARY

        assert self.config is not None and self.hydra_context is not None
        assert len(job_overrides) > 0
        started = time.time()
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        done = finished(sweep_dir, SUMMARY)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        if "mode" in self.config.hydra.sweep:
            os.chmod(sweep_dir, mode=int(str(self.config.hydra.sweep.mode), 8))
        returns: dict[int, JobReturn] = {}
        todo: list[tuple[int, list[str]]] = []
        for num, overrides in enumerate(map(list, job_overrides), start=initial_job_idx):
            kept = self.keep(overrides, num) if tuple(overrides) in done else None
            if kept is None:
                todo.append((num, overrides))
            else:
                returns[num] = kept
        if todo:
            returns |= self.submit(todo, started)
        return [returns[num] for num in sorted(returns)]

    def submit(self, todo: list[tuple[int, list[str]]], started: float) -> dict[int, JobReturn]:
        groups = [[todo[i] for i in r] for r in batches(len(todo), self.batch_size)]
        log.info(f"Submitit 'slurm' sweep output dir : {self.config.hydra.sweep.dir}")
        for k, group in enumerate(groups):
            for num, overrides in group:
                log.info(f"\t#{num} (task {k}) : {' '.join(filter_overrides(overrides))}")
        state = Singleton.get_state()
        jobs = self.executor().map_array(
            self, [[o for _, o in g] for g in groups], ["hydra.sweep.dir"] * len(groups),
            [g[0][0] for g in groups], [state] * len(groups))
        print(f"submitted {len(todo)} jobs as {len(jobs)} SLURM tasks (SLURM job "
              f"{jobs[0].job_id.split('_')[0]}; logs in {jobs[0].paths.folder.parent})",
              flush=True)
        returns: dict[int, JobReturn] = {}
        try:
            for job, group in zip(jobs, groups, strict=True):
                try:
                    results = job.results()[0]
                except Exception as err:  # submitit: UncompletedJobError, FailedJobError
                    results = self.unfinished(job, group, started, err)
                returns |= {num: ret for (num, _), ret in zip(group, results, strict=True)}
        except BaseException:  # Ctrl-C: cancel what is queued or running, then stop
            for array in sorted({j.job_id.split("_")[0] for j in jobs}):
                subprocess.call(["scancel", array])
            raise
        return returns

    def keep(self, overrides: list[str], num: int) -> JobReturn | None:
        """The job through Hydra's run_job here, if its folder already holds its results for
        this config and code (the task function then keeps them); else None."""
        from sim.runs import fingerprint, is_complete, read_summary, to_config

        cfg = self.sweep_config(overrides, num)
        folder = self.folder(cfg)
        if not is_complete(folder):
            return None
        task_cfg = copy.deepcopy(cfg)
        with open_dict(task_cfg):
            del task_cfg["hydra"]
        try:
            same = read_summary(folder).get("config_sha256") == fingerprint(to_config(task_cfg))
        except Exception:  # an invalid config: the task function reports it
            return None
        if not same:
            return None
        assert self.hydra_context is not None and self.task_function is not None
        return run_job(hydra_context=self.hydra_context, task_function=self.task_function,
                       config=cfg, job_dir_key="hydra.sweep.dir",
                       job_subdir_key="hydra.sweep.subdir")

    def unfinished(self, job, group: list[tuple[int, list[str]]], since: float,
                   err: Exception) -> list[JobReturn]:
        """A task that ended without results: each of its jobs that did not finish in this
        sweep gets ``error.txt`` naming the task (a job that finished or reported its own
        error before the task ended keeps its files)."""
        from submitit.core.utils import FailedJobError

        from sim.runs import ERROR, SUMMARY

        state = job.watcher.get_state(job.job_id, mode="force")  # from SLURM's accounting
        raised = " with an error" if isinstance(err, FailedJobError) else ""
        why = f"failed: SLURM job {job.job_id} ended {state}{raised}; log: {job.paths.stderr}"
        log.error(f"{why}\n{err}")
        returns = []
        for num, overrides in group:
            folder = self.folder(self.sweep_config(overrides, num))
            done = [folder / name for name in (SUMMARY, ERROR)]
            if not any(p.exists() and p.stat().st_mtime >= since for p in done):
                folder.mkdir(parents=True, exist_ok=True)
                (folder / ERROR).write_text(f"{why}\n")
            # reported in its folder; a FAILED status would make Hydra's sweeper raise before
            # the sweep's callback gathers the jobs and writes the manifest
            ret = JobReturn(overrides=overrides, status=JobStatus.COMPLETED)
            ret.return_value = None
            returns.append(ret)
        return returns

    def sweep_config(self, overrides: list[str], num: int) -> DictConfig:
        assert self.config is not None and self.hydra_context is not None
        cfg = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        with open_dict(cfg.hydra.job):
            cfg.hydra.job.num = num
            cfg.hydra.job.id = f"job_id_for_{num}"
        return cfg

    @staticmethod
    def folder(cfg: DictConfig) -> Path:
        """The job's folder: the sweep's folder and subfolder as Hydra's run_job resolves
        them."""
        saved = HydraConfig.instance().cfg
        HydraConfig.instance().set_config(cfg)
        try:
            return Path(str(cfg.hydra.sweep.dir)) / str(cfg.hydra.sweep.subdir)
        finally:
            HydraConfig.instance().cfg = saved
