"""``ensemble=posterior``: a sweep whose replications vary the fitted parameters as well as the
seed. Replication k runs at draw k of the world's posterior (``world.calibration``), the same
draw in every scenario, so that a policy's paired difference from the baseline is taken at the
same parameters and the same seed.

Before launch (the command line's check, :func:`sim.cli.precheck`) ``replications`` particles
are drawn from the posterior by weight, draw k from a generator seeded by (the config's
``seed``, k), so that draw k does not depend on how many are drawn. Each draw becomes the
overrides of its factors (:func:`sim.uncertainty.point_overrides`, a scale factor multiplying
the values of the world the posterior was fitted on) plus ``replication=k``; the draws are
written to the sweep's folder as a design (``design.json``, ``design.parquet``, of kind
``ensemble``) that Hydra runs through the project's sweeper (``hydra.sweeper.design``), crossed
with the sweep's scenarios. Each job's own overrides carry its parameters.
"""

import json
from datetime import datetime
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from sim.config import CONFIG_DIR, ENSEMBLES, EXPERIMENT_DIR, Config, ConfigError
from sim.folders import DESIGN
from sim.uncertainty import Factor, load, point_overrides

PROJECT = CONFIG_DIR.parent  # a relative posterior path is from here
KIND = "ensemble"  # design.json's kind: not a sensitivity design
STREAM = 101  # the draws' generator: (seed, STREAM, k), apart from every run's (seed, k)
FIXED = ("world", "seed", "replications", "sweep")  # one value for the whole ensemble


def value_of(parsed) -> str:
    """The ensemble asked for: the command line's, else the experiment file's, else none."""
    given = {o.key_or_group: o for o in parsed}
    if "ensemble" in given:
        o = given["ensemble"]
        if o.is_sweep_override():
            raise ConfigError(f"{o.input_line}: ensemble is one value, one of "
                              f"{', '.join(ENSEMBLES)}")
        value = str(o.value())
    elif "experiment" in given and not given["experiment"].is_sweep_override():
        spec = OmegaConf.to_container(
            OmegaConf.load(EXPERIMENT_DIR / f"{given['experiment'].value()}.yaml"))
        value = str(spec.get("ensemble", "none")) if isinstance(spec, dict) else "none"
    else:
        value = "none"
    if value not in ENSEMBLES:
        raise ConfigError(f"ensemble = {value!r}: one of {', '.join(ENSEMBLES)} (posterior: "
                          "each replication at its own draw of the world's posterior)")
    return value


def posterior_file(cfg: Config) -> Path:
    """The world's posterior, or ConfigError saying which worlds have one."""
    cal = cfg.world.calibration
    if not cal.posterior or not cal.uncertainty or not cal.world:
        raise ConfigError(f"ensemble=posterior: world {cfg.world.name} names no posterior "
                          "(world.calibration.posterior, .uncertainty and .world); use a "
                          "calibrated world (world=uk_2012_2024_calibrated) or ensemble=none")
    path = Path(cal.posterior)
    return path if path.is_absolute() else PROJECT / path


def read_posterior(path: Path, factors: list[Factor]):
    """The posterior's particles: a column per factor and ``weight`` (finite, not negative,
    not all zero), or ConfigError naming the file and what is wrong."""
    import pandas as pd

    if not path.is_file():
        raise ConfigError(f"world.calibration.posterior = {path}: no such file (python -m sim "
                          "calibrate writes posterior.parquet)")
    try:
        table = pd.read_parquet(path)
    except Exception as err:
        why = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"{path}: not a readable parquet file ({why})") from None
    wanted = [f.name for f in factors] + ["weight"]
    missing = [c for c in wanted if c not in table]
    if missing:
        raise ConfigError(f"{path}: no column {missing[0]!r}; a posterior has a column per "
                          f"factor of its uncertainty set and weight ({', '.join(wanted)})")
    try:
        values = table[wanted].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: the columns {', '.join(wanted)} must be numbers") from None
    weights = values[:, -1]
    if (len(table) == 0 or not np.isfinite(values).all() or (weights < 0).any()
            or weights.sum() <= 0):
        raise ConfigError(f"{path}: needs at least one particle, finite values and weights "
                          "that are not negative and not all zero")
    return table.reset_index(drop=True)


def draws(weights, n: int, seed: int) -> list[int]:
    """The particle of each of ``n`` replications, drawn by weight (with replacement); draw k
    from a generator seeded by (seed, k), the same however many are drawn."""
    p = np.asarray(weights, dtype=float)
    p = p / p.sum()
    return [int(np.random.default_rng([seed, STREAM, k]).choice(len(p), p=p)) for k in range(n)]


def sweep_root(overrides: list[str], sweep: str) -> Path:
    for o in overrides:
        if o.startswith("hydra.sweep.dir="):
            return Path(o.split("=", 1)[1])
    return Path("results") / sweep / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")


def prepare(argv: list[str], parsed) -> list[str]:
    """Check an ensemble sweep's command line, write its design to the sweep's folder and
    return the arguments that run it; bad input a ConfigError before any folder is made."""
    import pandas as pd

    from sim.cli import checked, describe, is_hydra
    from sim.runs import write_atomic
    from sim.settings import load_config

    given = {o.key_or_group: o for o in parsed}
    if "replication" in given:
        raise ConfigError(f"{given['replication'].input_line}: with ensemble=posterior "
                          "replication k is set with draw k; give replications=N")
    for o in parsed:
        if o.key_or_group in FIXED and o.is_sweep_override():
            raise ConfigError(f"{o.input_line}: an ensemble draws from one world's posterior "
                              f"with one seed; give one value of {o.key_or_group}")
    jobs = [str(o.input_line) for o in parsed if not is_hydra(o) and not o.is_sweep_override()]
    cfg = checked(jobs)
    path = posterior_file(cfg)
    cal = cfg.world.calibration
    try:
        fitted = load_config([f"world={cal.world}"])
    except Exception as err:
        raise ConfigError(f"world.calibration.world = {cal.world!r}: not a world to compose "
                          f"({describe(err)})") from None
    uncertainty = cal.uncertainty
    if uncertainty.endswith(".yaml") and not Path(uncertainty).is_absolute():
        uncertainty = str(PROJECT / uncertainty)
    factors, _ = load(uncertainty, fitted)
    varied = {k: f.name for f in factors for k in f.keys}
    for o in parsed:
        if o.key_or_group in varied:
            raise ConfigError(f"{o.input_line}: the ensemble draws {o.key_or_group} from the "
                              f"posterior (factor {varied[o.key_or_group]}); leave it out")
    posterior = read_posterior(path, factors)
    chosen = draws(posterior["weight"], cfg.replications, cfg.seed)
    values = OmegaConf.structured(fitted)
    x = posterior.loc[chosen, [f.name for f in factors]].to_numpy(dtype=float)
    points = [[*point_overrides(factors, row, values), f"replication={k}"]
              for k, row in enumerate(x)]
    hydra = [str(o.input_line) for o in parsed if is_hydra(o)]
    root = sweep_root(hydra, cfg.sweep)
    design = {"kind": KIND, "posterior": cal.posterior, "uncertainty": cal.uncertainty,
              "fitted_world": cal.world, "world": cfg.world.name, "seed": cfg.seed,
              "replications": cfg.replications, "particles": chosen,
              "factors": [f.name for f in factors],
              "keys": sorted({k for f in factors for k in f.keys} | {"replication"}),
              "points": points}
    table = pd.DataFrame({"replication": range(len(chosen)), "particle": chosen})
    for j, f in enumerate(factors):
        table[f.name] = x[:, j]
    root.mkdir(parents=True, exist_ok=True)
    write_atomic(root / DESIGN, lambda p: p.write_text(json.dumps(design, indent=1)))
    write_atomic(root / "design.parquet", lambda p: table.to_parquet(p, index=False))
    extra = [] if any(o.startswith("hydra.sweep.dir=") for o in hydra) else [
        f"hydra.sweep.dir={root}"]
    return [*argv, *extra, f"hydra.sweeper.design={root / DESIGN}"]


def read_design(root: Path) -> dict | None:
    """The ensemble design of a sweep's folder, or None (none, or a sensitivity design)."""
    path = Path(root) / DESIGN
    if not path.is_file():
        return None
    try:
        design = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return design if isinstance(design, dict) and design.get("kind") == KIND else None
