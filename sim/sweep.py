"""The Hydra callback of a sweep: a progress bar over jobs, and the gathering at the end."""

import math
import sys
import threading
import time
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from tqdm import tqdm

from sim.runs import ERROR, SUMMARY, finish_sweep, now


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
    return math.prod(sizes.values())


class SweepCallback(Callback):
    """Shows done / total / ETA while jobs run (counting finished job folders, so it works
    with any launcher); at the end gathers this sweep's jobs into runs.parquet, runs.csv and
    manifest.json, analyses them, and fails the command if any job did not complete."""

    def __init__(self, progress: bool = True):
        self.progress = progress
        self.watcher: threading.Thread | None = None

    def __getstate__(self):  # launchers pickle callbacks to their workers: leave the thread
        return {"progress": self.progress, "watcher": None}

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        self.root = Path(config.hydra.sweep.dir)
        self.started, self.clock = now(), time.time()
        self.stop = threading.Event()
        self.total = count_jobs(config)
        if self.progress:
            watcher = self.watcher = threading.Thread(target=self.watch, daemon=True)
            watcher.start()

    def finished(self) -> int:
        """Jobs done in this sweep: summaries written (or found complete) and errors, since
        the start (a resumed sweep's stale summaries are not counted until checked)."""
        return sum(p.stat().st_mtime >= self.clock for pattern in (SUMMARY, ERROR)
                   for p in self.root.glob(f"**/{pattern}"))

    def watch(self) -> None:
        with tqdm(total=self.total, unit="job", desc="sweep", file=sys.stderr) as bar:
            while not self.stop.wait(0.5):
                self.advance(bar)
            self.advance(bar)

    def advance(self, bar) -> None:
        done = self.finished() if self.total is None else min(self.total, self.finished())
        if done > bar.n:
            bar.update(done - bar.n)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        self.stop.set()
        if self.watcher is not None:
            self.watcher.join()
        manifest = finish_sweep(self.root, self.started, self.clock, sys.argv[1:])
        done, total = manifest["complete"], max(manifest["total"], self.total or 0)
        print(f"{done} of {total} jobs complete; results: {self.root}/runs.parquet")
        if done:
            from sim.analysis import analyse  # the statistics and plotting stack, only here

            try:
                print(f"report and figures: {analyse(self.root)}")
            except Exception as err:  # the tables stand; say why the report could not
                sys.exit(f"error: analysis failed ({type(err).__name__}: {err}); "
                         f"the tables in {self.root} are complete")
        if done < total:
            sys.exit(f"error: {total - done} jobs did not complete; see {self.root}/manifest.json")
