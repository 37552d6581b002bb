"""``python -m sim sensitivity``: a global sensitivity design (SALib) run as an ordinary sweep.

The factors of an uncertainty set (:mod:`sim.uncertainty`) are sampled by SALib, Morris
trajectories for screening or Saltelli's design for Sobol indices. Each point of the design
is run under the baseline and under each policy with the same parameters and the same
replication (the seed is a factor too), so that every policy effect is a paired difference.
The design goes to the sweep's folder (``design.json``, ``design.parquet``) and Hydra runs it
through the project's sweeper (``hydra.sweeper.design``): one job folder per point and
scenario, resumable, on any launcher. The analysis (:mod:`sim.analysis.sensitivity`) runs
at the end, or again with ``python -m sim analyse <folder>``.
"""

import json
from datetime import datetime
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from sim.commands import split, whole
from sim.config import ConfigError
from sim.folders import DESIGN
from sim.runs import write_atomic
from sim.uncertainty import Factor, load, point_overrides, problem

METHODS = ("morris", "sobol")
SAMPLES = {"morris": 4, "sobol": 16}  # trajectories; base samples (a power of 2)
POLICIES = ("victim_support", "enforcement", "border", "prevention")
OPTIONS = ("method", "samples", "uncertainty", "policies", "parameters")
USAGE = ("python -m sim sensitivity method=morris|sobol [samples=N] [uncertainty=default] "
         "[policies=a,b] [parameters=a,b (sobol)] [world=...] [hydra.sweep.dir=DIR] "
         "[override ...]")
RESERVED = ("policy", "replication", "replications", "experiment", "hydra.sweeper.design",
            "ensemble")
LEVELS = 4  # Morris grid levels


def names(value: str) -> list[str]:
    return [v.strip() for v in value.strip("[]").split(",") if v.strip()]


def prepare(args: list[str]) -> list[str]:
    """Write the design of ``args`` to its sweep folder; return the arguments of the sweep
    that runs it."""
    from sim.cli import GROUPS, checked

    options, overrides = split(args, OPTIONS, RESERVED, "sensitivity", USAGE,
                               "set by the design; choose the policies compared with "
                               "policies=a,b")
    method = options.get("method", "")
    if method not in METHODS:
        raise ConfigError(f"method = {method!r}: one of {', '.join(METHODS)} (usage: {USAGE})")
    samples = whole("samples", options.get("samples", str(SAMPLES[method])), 1, USAGE)
    if method == "sobol" and samples & (samples - 1):
        raise ConfigError(f"samples = {samples}: Sobol's design needs a power of 2 (8, 16, 32...)")
    policies = names(options.get("policies", ",".join(POLICIES)))
    known = sorted(p.stem for p in GROUPS["policy"].glob("*.yaml"))
    for name in policies:
        if name not in known or name == "baseline":
            raise ConfigError(f"policies: {name!r} is not a policy to compare with the baseline; "
                              f"one of {', '.join(k for k in known if k != 'baseline')}")
    jobs = [o for o in overrides if not o.startswith("hydra")]
    base = checked(jobs)
    seed = base.seed  # the design's draw, as the runs', follows the config's seed
    factors, sobol = load(options.get("uncertainty", "default"), base)
    if method == "sobol":
        chosen = names(options["parameters"]) if "parameters" in options else sobol
        unknown = [n for n in chosen if n not in {f.name for f in factors}]
        if unknown:
            raise ConfigError(f"parameters: {unknown[0]!r} is not a factor; one of "
                              f"{', '.join(f.name for f in factors)}")
        factors = [f for f in factors if f.name in chosen]
    varied = {k: f.name for f in factors for k in f.keys}
    for o in jobs:
        if o.split("=", 1)[0] in varied:
            raise ConfigError(f"{o}: the design varies {o.split('=', 1)[0]} (factor "
                              f"{varied[o.split('=', 1)[0]]}); leave it out")
    x = sample(method, factors, samples, seed)
    root = sweep_dir(overrides, method)
    root.mkdir(parents=True, exist_ok=True)
    values = OmegaConf.structured(base)
    points = [point_overrides(factors, row, values) for row in x]
    design = {"method": method, "samples": samples, "seed": seed, "levels": LEVELS,
              "uncertainty": options.get("uncertainty", "default"), "policies": policies,
              "problem": problem(factors),
              "factors": [{"name": f.name, "kind": f.kind, "keys": list(f.keys),
                           "bounds": list(f.bounds), "levels": list(f.levels), "why": f.why}
                          for f in factors],
              "x": x.tolist(), "points": points}
    write_atomic(root / DESIGN, lambda p: p.write_text(json.dumps(design, indent=1)))
    table = design_table(factors, x)
    write_atomic(root / "design.parquet", lambda p: table.to_parquet(p, index=False))
    overrides = [o for o in overrides if not o.startswith("hydra.sweep.dir=")]
    return ["--multirun", *overrides, f"policy={','.join(['baseline', *policies])}",
            f"sweep=sensitivity_{method}", f"hydra.sweep.dir={root}",
            f"hydra.sweeper.design={root / DESIGN}"]


def sample(method: str, factors: list[Factor], samples: int, seed: int) -> np.ndarray:
    """The design: Morris trajectories on a grid of ``LEVELS`` levels, or Saltelli's
    extension of Sobol's sequence (first and total indices only)."""
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem(factors), samples, num_levels=LEVELS, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem(factors), samples, calc_second_order=False, seed=seed)


def design_table(factors: list[Factor], x: np.ndarray):
    """One row per point: each factor's value (a structural factor's level by name)."""
    import pandas as pd

    columns: dict[str, object] = {"point": np.arange(len(x))}
    for j, f in enumerate(factors):
        columns[f.name] = [f.level(v) for v in x[:, j]] if f.levels else x[:, j]
    return pd.DataFrame(columns)


def sweep_dir(overrides: list[str], method: str) -> Path:
    for o in overrides:
        if o.startswith("hydra.sweep.dir="):
            return Path(o.split("=", 1)[1])
    return Path("results") / f"sensitivity_{method}" / datetime.now().strftime(
        "%Y-%m-%d_%H-%M-%S")


def points(design_file: str | Path) -> list[list[str]]:
    """The overrides of each point of a written design (for the sweeper)."""
    return json.loads(Path(design_file).read_text())["points"]


def keys(design: list[list[str]]) -> set[str]:
    """The keys the points of a design set: the design's, not the sweep's, values of them."""
    return {o.split("=", 1)[0] for point in design for o in point}
