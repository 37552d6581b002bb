"""Speed and memory benchmark: ``python -m sim.bench`` (results in docs/PERFORMANCE.md).

Four parts, each printing a table (``--parts`` chooses):

- ``simulation``: the default world (uk_2011, baseline, burn-in plus 5 policy years) and the
  same world scaled up (groups and people at risk x3 and x14: about 100,000 victims in
  exploitation at a time), each in a fresh process, whose peak memory is that of a first run
  as a user's (garbage collection on); beside it, in the same
  process, Mesa's Boltzmann wealth model (``mesa.examples``, Mesa's "large" benchmark setting:
  10,000 agents on a 100 x 100 grid), so that the cost of a simulated victim-week is read as a
  ratio to a Boltzmann agent-step, whatever the machine.
- ``startup``: ``python -m sim --help``, and a single default run's wall time against its
  simulation time (the ``simulation_s`` of its summary.json).
- ``sweep``: sweeps of the default world through the joblib launcher: per-job overhead in a
  sweep of 8 jobs on one worker (from one job's end to the next's, against the next's
  simulation time: start-up and gathering do not count), and
  parallel efficiency: the cost of 8 more jobs on two workers against one (start-up and
  analysis cancel, as for thousands of jobs), and a whole sweep of 8 jobs.
- ``europe``: the Europe-wide world (about a million victims in exploitation), seven years.
- ``dashboard``: weeks a second that the dashboard steps uk_2011 in headless Chromium, beside
  the model alone in the same minute (needs Chromium, see .ci/run).

In the style of Mesa's benchmarks: garbage collection off while timing, set-up and run timed
apart, the fastest of a few seeds reported.
"""

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEVEN_YEARS = ["burn_in_weeks=104", "policy_weeks=260"]


def boltzmann_step_s(seeds: int = 3, n: int = 10_000, side: int = 100, steps: int = 10) -> float:
    """Seconds per agent-step of Mesa's Boltzmann wealth model (fastest of ``seeds``)."""
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    best = float("inf")
    for seed in range(seeds):
        gc.disable()
        try:
            model = BoltzmannWealth(BoltzmannScenario(n=n, width=side, height=side, rng=seed))
            start = time.perf_counter()
            for _ in range(steps):
                model.step()
            best = min(best, (time.perf_counter() - start) / (n * steps))
        finally:
            gc.enable()
    return best


def scaled(factor: float, overrides: list[str] | None = None):
    from sim.settings import load_config

    cfg = load_config(overrides or [])
    for source in cfg.world.sources.values():
        source.groups = round(source.groups * factor)
        source.population = round(source.population * factor)
    return cfg


def measure(cfg, seed: int, collect: bool = False) -> dict:
    """One run of ``cfg``: set-up and run seconds, victims, victim-weeks of exploitation. Garbage
    collection is off while timing, unless ``collect`` (a run as a user's, for its memory)."""
    from sim.model import TraffickingModel

    if not collect:
        gc.disable()
    try:
        t0 = time.perf_counter()
        model = TraffickingModel(cfg, rng=seed)
        t1 = time.perf_counter()
        model.run_for(cfg.burn_in_weeks + cfg.policy_weeks)
        t2 = time.perf_counter()
    finally:
        gc.enable()
    weeks = model.datacollector.get_model_vars_dataframe()["exploitation_weeks"]
    return {"setup_s": t1 - t0, "run_s": t2 - t1, "victim_weeks": float(weeks.sum()),
            "victims": float(weeks.mean()), "created": model.victims_created}


def one_world(factor: float, seeds: int, overrides: list[str]) -> dict:
    """In this process: a run as a user's (its peak memory), then the fastest of ``seeds``
    timed runs, and Boltzmann beside them."""
    cfg = scaled(factor, overrides)
    first = measure(cfg, 0, collect=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    runs = [first] if seeds < 1 else []
    for seed in range(seeds):
        gc.collect()
        runs.append(measure(cfg, seed))
    best = min(runs, key=lambda r: r["run_s"])
    return best | {"peak_mb": peak, "boltzmann_s": boltzmann_step_s()}


def in_child(factor: float, seeds: int, overrides: list[str]) -> dict:
    """``one_world`` in a fresh process, so that its peak memory is its own."""
    out = subprocess.run([sys.executable, "-m", "sim.bench", "--child", str(factor),
                          "--seeds", str(seeds), *overrides],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def simulation(seeds: int, scales: list[float]) -> None:
    print("\n## Simulation (one core a run)\n")
    print(f"{'world':>10} {'victims':>9} {'created':>9} {'setup s':>8} {'run s':>7} "
          f"{'us/victim-week':>14} {'Boltzmann us':>12} {'ratio':>6} {'peak MB':>8}")
    for factor in scales:
        r = in_child(factor, seeds, [])
        per = r["run_s"] / r["victim_weeks"]
        print(f"{'uk x' + format(factor, 'g'):>10} {r['victims']:>9,.0f} {r['created']:>9,} "
              f"{r['setup_s']:>8.2f} {r['run_s']:>7.2f} {per * 1e6:>14.3f} "
              f"{r['boltzmann_s'] * 1e6:>12.2f} {per / r['boltzmann_s']:>6.3f} "
              f"{r['peak_mb']:>8.0f}", flush=True)


def europe() -> None:
    print("\n## Europe-wide world, seven years (one core)\n")
    r = in_child(1, 0, ["world=europe", *SEVEN_YEARS])  # one run, as a user's
    per = r["run_s"] / r["victim_weeks"]
    print(f"victims in exploitation {r['victims']:,.0f}; created {r['created']:,}; set-up "
          f"{r['setup_s']:.0f} s; run {r['run_s']:.0f} s; total {r['setup_s'] + r['run_s']:.0f} s; "
          f"{per * 1e6:.3f} us a victim-week ({per / r['boltzmann_s']:.3f} of a Boltzmann "
          f"agent-step); peak {r['peak_mb']:,.0f} MB", flush=True)


def timed(*args: str, cwd: Path) -> float:
    """Wall seconds of ``python -m sim *args`` (a failure names the command and its error)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True,
                          text=True)
    if done.returncode:
        sys.exit(f"python -m sim {' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start


def startup(work: Path) -> None:
    print("\n## Start-up\n")
    help_s = min(timed("--help", cwd=work) for _ in range(3))
    print(f"python -m sim --help: {help_s:.2f} s (fastest of 3)")
    wall = timed(f"hydra.run.dir={work}/single", cwd=work)
    simulated = json.loads((work / "single" / "summary.json").read_text())["simulation_s"]
    print(f"a single default run: {wall:.2f} s wall, {simulated:.2f} s simulating: "
          f"{wall - simulated:.2f} s more", flush=True)


def sweep(work: Path, jobs: int, workers: int) -> tuple[float, list[tuple[float, float]]]:
    """Wall seconds of a sweep of ``jobs`` default runs on ``workers``, and each job's end
    (its summary's modification time) and simulation seconds, in the order they ended."""
    folder = work / f"sweep-{jobs}-{workers}"
    wall = timed("--multirun", f"replication=range(0,{jobs})", f"hydra.sweep.dir={folder}",
                 f"hydra.launcher.n_jobs={workers}", cwd=work)
    ends = sorted((p.stat().st_mtime, json.loads(p.read_text())["simulation_s"])
                  for p in folder.glob("*/summary.json"))
    shutil.rmtree(folder)
    return wall, ends


def sweeps(work: Path) -> None:
    print("\n## Sweeps (joblib launcher)\n")
    eight, ends = sweep(work, 8, 1)
    gaps = [(b - a, sim) for (a, _), (b, sim) in zip(ends, ends[1:], strict=False)]
    per_job, per_sim = (statistics.fmean(values) for values in zip(*gaps, strict=True))
    print(f"per job, one worker: {per_job:.2f} s wall for {per_sim:.2f} s simulating: "
          f"overhead {per_job / per_sim - 1:.1%} (from one job's end to the next's, "
          f"{len(gaps)} jobs; fastest {min(g - s for g, s in gaps):.2f} s, "
          f"slowest {max(g - s for g, s in gaps):.2f} s over)")
    two, _ = sweep(work, 8, 2)
    sixteen, _ = sweep(work, 16, 2)
    per_two = (sixteen - two) / 8
    print(f"per job, two workers: {per_two:.2f} s: parallel efficiency "
          f"{per_job / (2 * per_two):.2f} (8 more jobs; start-up and analysis cancel)")
    print(f"8 jobs: {eight:.1f} s on one worker, {two:.1f} s on two: parallel efficiency "
          f"{eight / (2 * two):.2f} (whole command, start-up and analysis included)", flush=True)


def dashboard() -> None:
    from sim.app.browser import app, page, wait_week, week
    from sim.app.live import LiveModel

    print("\n## Dashboard (uk_2011, headless Chromium)\n")
    with app("world=uk_2011") as (url, _), page() as tab:
        tab.goto(url)
        tab.wait_for_selector("[data-count=week]", timeout=180_000)
        tab.get_by_role("button", name="▶").click()
        w0, t0 = wait_week(tab, lambda w: w >= 5), time.monotonic()
        time.sleep(10)
        w1, t1 = week(tab), time.monotonic()
        tab.get_by_role("button", name="❚❚").click()
    model = LiveModel(["world=uk_2011"])
    start = time.monotonic()
    model.run_for(40)
    alone = 40 / (time.monotonic() - start)
    print(f"the dashboard steps {(w1 - w0) / (t1 - t0):.1f} weeks a second; the model alone "
          f"{alone:.1f}", flush=True)


PARTS = {"simulation", "startup", "sweep", "europe", "dashboard"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=sorted(PARTS),
                        default=["simulation", "startup", "sweep"],
                        help="what to measure (europe takes about five minutes; dashboard "
                        "needs Chromium)")
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 3, 14])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("overrides", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(one_world(args.child, args.seeds, args.overrides)))
        return
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "simulation" in args.parts:
            simulation(args.seeds, args.scales)
        if "startup" in args.parts:
            startup(work)
        if "sweep" in args.parts:
            sweeps(work)
        if "europe" in args.parts:
            europe()
        if "dashboard" in args.parts:
            dashboard()


if __name__ == "__main__":
    main()
