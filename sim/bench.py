"""Speed benchmark: ``python -m sim.bench`` (results in docs/PERFORMANCE.md).

Times the default scenario (uk_2011, baseline, burn-in plus 5 policy years) and the same world
scaled up (more crime groups and people at risk) to about 100,000 victims at a time. In the
style of Mesa's benchmarks: garbage collection off, set-up and run timed apart, the fastest of
a few seeds reported.
"""

import argparse
import gc
import platform
import resource
import time

from sim.metrics import summary
from sim.model import TraffickingModel
from sim.settings import load_config


def scaled(factor: float):
    cfg = load_config()
    for source in cfg.world.sources.values():
        source.groups = round(source.groups * factor)
        source.population = round(source.population * factor)
    return cfg


def measure(cfg, seed: int) -> dict:
    gc.disable()
    try:
        t0 = time.perf_counter()
        model = TraffickingModel(cfg, rng=seed)
        t1 = time.perf_counter()
        model.run_for(cfg.burn_in_weeks + cfg.policy_weeks)
        t2 = time.perf_counter()
    finally:
        gc.enable()
    s = summary(model)
    victim_weeks = float(model.datacollector.get_model_vars_dataframe()["exploitation_weeks"].sum())
    return {"setup_s": t1 - t0, "run_s": t2 - t1, "total_s": t2 - t0,
            "victims_exploited": s["victims_exploited_mean"], "victims_created": s[
                "victims_created"], "victim_weeks_per_s": victim_weeks / (t2 - t1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 3, 9])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{platform.processor() or 'cpu'}; one core per run")
    print(f"{'scale':>5} {'victims':>9} {'created':>9} {'setup s':>8} {'run s':>7} "
          f"{'total s':>8} {'victim-weeks/s':>15} {'peak RSS MB':>11}")
    for factor in args.scales:
        cfg = scaled(factor)
        best = min((measure(cfg, seed) for seed in range(args.seeds)),
                   key=lambda r: r["total_s"])
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{factor:>5g} {best['victims_exploited']:>9.0f} {best['victims_created']:>9d} "
              f"{best['setup_s']:>8.2f} {best['run_s']:>7.2f} {best['total_s']:>8.2f} "
              f"{best['victim_weeks_per_s']:>15,.0f} {rss:>11.0f}", flush=True)


if __name__ == "__main__":
    main()
