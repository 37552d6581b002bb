"""The Hydra callback of a sweep: a progress bar over jobs, and the gathering at the end;
what a sweep does when interrupted, and the watchdog that stops a worker whose sweep died."""

import math
import os
import shlex
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from tqdm import tqdm

from sim.config import ConfigError
from sim.folders import PARTICLES
from sim.runs import ERROR, SERIES, SUMMARY, finish_sweep, job_folders, now

active: "SweepCallback | None" = None  # the sweep running in this process


def count_jobs(config: DictConfig) -> int | None:
    """Jobs in the sweep: the product of the numbers of swept values, the command line's
    overrides replacing the experiment's (None when a sweep cannot be expanded here)."""
    params = [f"{k}={v}" for k, v in (config.hydra.sweeper.get("params") or {}).items()]
    sizes = {}
    try:
        for o in OverridesParser.create().parse_overrides(
                params + list(config.hydra.overrides.task)):
            sizes[o.get_key_element()] = (len(list(o.sweep_string_iterator()))
                                          if o.is_sweep_override() else 1)
    except Exception:
        return None
    design = config.hydra.sweeper.get("design")
    if design:
        from sim.sensitivity import keys, points

        found = points(design)
        return math.prod(n for k, n in sizes.items() if k not in keys(found)) * len(found)
    return math.prod(sizes.values())


class SweepCallback(Callback):
    """Shows done / total / ETA while jobs run (counting finished job folders, so it works
    with any launcher); at the end gathers this sweep's jobs into runs.parquet, runs.csv and
    manifest.json, analyses them, and fails the command if any job did not complete."""

    def __init__(self, progress: bool = True):
        self.progress = progress
        self.watcher: threading.Thread | None = None
        self.stop = threading.Event()
        self.gathered: dict | None = None  # the manifest, once the jobs are gathered

    def __getstate__(self):  # launchers pickle callbacks to their workers: leave the thread
        return {"progress": self.progress, "watcher": None, "gathered": None}

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        global active
        active = self
        self.root = Path(config.hydra.sweep.dir)
        self.started, self.clock = now(), time.time()
        self.stop = threading.Event()
        self.total = count_jobs(config)
        found = sum((f / SUMMARY).exists() for f in job_folders(self.root)) if (
            self.root.is_dir()) else 0
        if found and self.total:
            kept = min(found, self.total)
            print(f"resuming {self.root}: {kept} kept, {self.total - kept} to run (a kept job "
                  "whose config or code changed is run again)", file=sys.stderr)
        if self.progress:
            watcher = self.watcher = threading.Thread(target=self.watch, daemon=True)
            watcher.start()

    def finished(self) -> int:
        """Jobs done in this sweep: summaries written (or found complete) and errors, since
        the start (a resumed sweep's stale summaries are not counted until checked)."""
        return sum(p.stat().st_mtime >= self.clock for pattern in (SUMMARY, ERROR)
                   for p in self.root.glob(f"*/{pattern}"))  # job folders are one level down

    def watch(self) -> None:
        with tqdm(total=self.total, unit="job", desc="sweep", file=sys.stderr) as bar:
            while not self.stop.wait(1.0):
                self.advance(bar)
            self.advance(bar)

    def advance(self, bar) -> None:
        done = self.finished() if self.total is None else min(self.total, self.finished())
        if done > bar.n:
            bar.update(done - bar.n)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        """Gather, analyse, and exit non-zero if anything went wrong (Hydra would take an
        exception raised here for a warning, so every failure ends in sys.exit)."""
        from sim.cli import ctrl_c

        if ctrl_c.is_set():  # a Ctrl-C that Python lost while the jobs ran: no analysis
            raise KeyboardInterrupt
        self.halt()
        try:
            manifest = finish_sweep(self.root, self.started, self.clock, sys.argv[1:])
        except Exception as err:
            fail(f"gathering the sweep failed ({type(err).__name__}: {err})", self.root)
        self.gathered = manifest
        done, total = manifest["complete"], max(manifest["total"], self.total or 0)
        kept = self.kept()
        print(f"{done} of {total} jobs complete ({kept} kept, {done - kept} run); "
              f"results: {self.root}/runs.parquet")
        if done and not (self.root / PARTICLES).exists():  # a calibration's round: no report
            from sim.analysis import analyse  # the statistics and plotting stack, only here

            try:
                print(f"report and figures: {analyse(self.root)}")
            except ConfigError as err:  # the analysis settings given: bad input
                print(f"error: {err}; the tables in {self.root} are complete: python -m sim "
                      f"analyse {self.root} <options>", file=sys.stderr)
                sys.exit(2)
            except Exception as err:  # the tables stand; say why the report could not
                fail(f"analysis failed ({type(err).__name__}: {err}); the tables in "
                     f"{self.root} are complete", self.root)
        if done < total:
            statuses = list(manifest["jobs"].values())
            bad_input = statuses and all(s.startswith("invalid") for s in statuses
                                         if s != "complete") and len(statuses) == total
            print(f"error: {total - done} jobs did not complete; see {self.root}/manifest.json",
                  file=sys.stderr)
            sys.exit(2 if bad_input else 1)

    def halt(self) -> None:
        self.stop.set()
        if self.watcher is not None:
            self.watcher.join()

    def kept(self) -> int:
        """Complete jobs of this sweep that it did not run again (their series is older)."""
        done = [f / SUMMARY for f in job_folders(self.root, self.clock)]
        return sum(s.exists() and (s.parent / SERIES).exists()
                   and (s.parent / SERIES).stat().st_mtime < self.clock for s in done)


def fail(why: str, root: Path) -> None:
    """An internal failure at the end of a sweep: one line, the traceback in its sim.log."""
    with (root / "sim.log").open("a") as log:
        log.write(traceback.format_exc())
    print(f"error: {why} (traceback in {root}/sim.log)", file=sys.stderr)
    sys.exit(1)


def interrupted(argv: list[str]) -> int:
    """Ctrl-C: the workers are stopped by the launcher; write the manifest of what finished
    and say how to resume. Exit status 130, as for any interrupted command."""
    sweep, status = active, 130
    if sweep is None:
        print("interrupted", file=sys.stderr)
        return status
    if sweep.gathered is not None:  # during the analysis: the jobs and tables are complete
        done, total = sweep.gathered["complete"], sweep.gathered["total"]
        print(f"interrupted during the analysis: {done} of {total} jobs done, their tables "
              f"complete in {sweep.root}; the report: python -m sim analyse {sweep.root}",
              file=sys.stderr)
        return status
    sweep.halt()
    try:
        manifest = finish_sweep(sweep.root, sweep.started, sweep.clock, argv)
        done, total = manifest["complete"], max(manifest["total"], sweep.total or 0)
    except Exception as err:
        print(f"error: interrupted, and the manifest could not be written ({err})",
              file=sys.stderr)
        return status
    resume = [a for a in argv if not a.startswith("hydra.sweep.dir=")]
    command = shlex.join(["python", "-m", "sim", *resume, f"hydra.sweep.dir={sweep.root}"])
    print(f"interrupted: {done} of {total} jobs done; resume with: {command}", file=sys.stderr)
    return status


def watch_parent() -> None:
    """In a launcher's worker process on the sweep's machine: exit as soon as the sweep's main
    process is gone, so that a sweep killed (even with SIGKILL) leaves no worker computing.
    Once per process; not on other machines (a SLURM node), where that pid means nothing."""
    global watching
    host, _, pid = os.environ.get("SIM_SWEEP_PID", "").rpartition(":")
    sweep = int(pid) if pid.isdigit() else 0
    if watching or not sweep or sweep == os.getpid() or host != socket.gethostname():
        return
    watching = True
    threading.Thread(target=watch, args=(sweep,), daemon=True).start()


watching = False


def watch(sweep: int) -> None:
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        orphaned = parent == sweep and os.getppid() != sweep  # adopted by another process
        try:
            os.kill(sweep, 0)
        except ProcessLookupError:
            orphaned = True
        except PermissionError:  # a process of another user: the sweep's pid was reused
            orphaned = True
        if orphaned:
            os._exit(1)
