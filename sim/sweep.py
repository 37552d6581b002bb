"""The Hydra callback of a sweep: a progress bar over jobs, and the gathering at the end."""

import sys
import threading
import time
from pathlib import Path

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from tqdm import tqdm

from sim.analysis import analyse
from sim.runs import SUMMARY, finish_sweep, now


def count_jobs(config: DictConfig) -> int:
    """Jobs in the sweep: the product of the swept values, as the basic sweeper expands them."""
    params = [f"{k}={v}" for k, v in (config.hydra.sweeper.get("params") or {}).items()]
    overrides = OverridesParser.create().parse_overrides(
        params + list(config.hydra.overrides.task))
    return sum(len(batch) for batch in BasicSweeper.split_arguments(overrides, None))


class SweepCallback(Callback):
    """Shows done / total / ETA while jobs run (counting finished job folders, so it works
    with any launcher) and gathers runs.parquet, runs.csv and manifest.json at the end."""

    def __init__(self, progress: bool = True):
        self.progress = progress

    def __getstate__(self):  # launchers pickle callbacks to their workers: leave the thread
        return {"progress": self.progress}

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        self.root = Path(config.hydra.sweep.dir)
        self.started = now()
        self.clock = time.time()
        self.stop = threading.Event()
        self.total = count_jobs(config)
        if self.progress:
            self.watcher = threading.Thread(target=self.watch, daemon=True)
            self.watcher.start()

    def finished(self) -> int:
        """Jobs done in this sweep: summaries written (or found complete) and errors, since
        the start (a resumed sweep's stale summaries are not counted until checked)."""
        return sum(p.stat().st_mtime >= self.clock for pattern in (SUMMARY, "error.txt")
                   for p in self.root.glob(f"**/{pattern}"))

    def watch(self) -> None:
        with tqdm(total=self.total, unit="job", desc="sweep", file=sys.stderr) as bar:
            while not self.stop.wait(0.5):
                self.advance(bar)
            self.advance(bar)

    def advance(self, bar) -> None:
        done = min(self.total, self.finished())
        if done > bar.n:
            bar.update(done - bar.n)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        self.stop.set()
        if self.progress:
            self.watcher.join()
        table = finish_sweep(self.root, self.started, sys.argv[1:])
        print(f"{len(table)} of {self.total} jobs complete; results: {self.root}/runs.parquet")
        if len(table):
            print(f"report and figures: {analyse(self.root)}")
        if len(table) < self.total:
            sys.exit(f"error: {self.total - len(table)} jobs did not complete; see "
                     f"{self.root}/manifest.json")
