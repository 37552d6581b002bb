"""``python -m sim calibrate``: approximate Bayesian computation (ABC-SMC, pyabc) of the
uncertain parameters of a dated world, fitted to published yearly figures.

The parameters are the factors of an uncertainty set (:mod:`sim.uncertainty`; uniform priors
over their ranges; ``configs/uncertainty/hindcast.yaml`` for ``uk_2012_2024``). The data are the
rows of a targets file (``data/targets/nrm.csv``) whose year is in the fitted years and whose
measure is a column of ``years.parquet``. The distance (docs/ODD.md, section 9) is the weighted
root mean square of the log ratios of simulated to observed figures.

pyabc proposes the particles; each round of proposals becomes the points of a design file
(``particles.json``) run as one Hydra sweep through the project's sweeper
(``hydra.sweeper.design``), so that the simulations are ordinary jobs: one folder each,
resumable, on any launcher. To let pyabc's sampler hand out its proposals in batches, each
proposal is made twice from the same seed of NumPy's global generator (pyabc draws from it):
once to collect the parameters, once, after the sweep, to evaluate the simulated figures.
A proposal's seed is also its run's replication, so that proposals are independent runs and a
re-run proposes, and finds, the same jobs. pyabc's history database (``abc.db``) keeps every
finished generation: the same command continues a killed calibration.

Outputs in the calibration folder: ``posterior.parquet`` (the last population, weighted),
``populations.parquet`` (every generation), ``predictive.parquet`` (posterior draws run over
every year), ``report.md``, ``figures/fit.png`` and ``figures/posterior.png``, and
``<world>_calibrated.yaml``: the world at the posterior medians, naming the posterior.
"""

import json
import math
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from sim.commands import split, whole
from sim.config import Config, ConfigError
from sim.folders import ERROR, PARTICLES, SUMMARY, YEARS
from sim.runs import write_atomic
from sim.uncertainty import Factor, load, point_overrides

OPTIONS = ("uncertainty", "population", "generations", "fit", "targets", "predictive", "seed")
RESERVED = ("replication", "replications", "experiment", "hydra.sweeper.design", "sweep",
            "ensemble")
# The default budget: about 1,000 simulations to 2019 of about 12 core-seconds each, and 42
# to 2024 of about 22: about two hours on 2 cores (README, Calibration).
DEFAULTS = {"uncertainty": "hindcast", "population": "100", "generations": "4",
            "predictive": "40", "seed": "0"}
USAGE = ("python -m sim calibrate [world=uk_2012_2024] [uncertainty=hindcast] [population=N] "
         "[generations=G] [fit=FIRST-LAST] [predictive=N] [targets=<csv>] [seed=N] "
         "[hydra.sweep.dir=DIR] [hydra.launcher...=...] [override ...]")
WORLD = "uk_2012_2024"  # the world calibrated unless another is given
FIT_YEARS = 8  # the default fit: the first 8 years of the run (2012-2019 in the hindcast)
# How much each kind of figure counts in the distance (docs/ODD.md, section 9).
WEIGHTS = {"nrm_referrals": 1.0, "prevalence": 1.0, "identified": 0.5}
SHARE_WEIGHT = 1.0  # share_* columns: the composition of referrals
FAILED = 100.0  # the distance of a run that gave no figure (a crash, a population explosion)
FIRST_EPSILON = 10.0  # the first generation keeps every prior draw that gave figures
SETTINGS = "calibration.json"
ROUNDS = "rounds.csv"
DB = "abc.db"


# --- the command line ------------------------------------------------------------------------


@dataclass
class Settings:
    uncertainty: str
    population: int
    generations: int
    fit: tuple[int, int]
    targets: str
    predictive: int
    seed: int
    overrides: list[str]  # of every job (world, ...), not Hydra's
    hydra: list[str] = field(default_factory=list)  # launcher options: not part of the fit

    def same_fit(self) -> dict:
        """What a resumed calibration must share with the one it continues."""
        return {"uncertainty": self.uncertainty, "population": self.population,
                "fit": list(self.fit), "targets": self.targets, "seed": self.seed,
                "overrides": self.overrides}


def run_years(cfg: Config) -> list[int]:
    """The years of a run's policy period, as years.parquet numbers them."""
    first = cfg.world.start_year or 1
    return list(range(first, first + math.ceil(cfg.policy_weeks / 52)))


def parse(args: list[str]) -> tuple[Settings, Config, list[Factor], Path]:
    """The settings of ``args``, the composed base config, the factors and the folder; every
    bad input a ConfigError of one line."""
    from sim.settings import load_config

    options, overrides = split(args, OPTIONS, RESERVED, "calibrate", USAGE,
                               "set by the calibration; the years fitted are fit=FIRST-LAST")
    given = DEFAULTS | options
    population = whole("population", given["population"], 2, USAGE)
    generations = whole("generations", given["generations"], 1, USAGE)
    predictive = whole("predictive", given["predictive"], 0, USAGE)
    seed = whole("seed", given["seed"], 0, USAGE)
    jobs = [o for o in overrides if not o.startswith("hydra")]
    if not any(o.startswith("world=") for o in jobs):
        jobs.insert(0, f"world={WORLD}")  # the hindcast, not the runs' default world
    hydra = [o for o in overrides if o.startswith("hydra") and
             not o.startswith("hydra.sweep.dir=")]
    from sim.cli import precheck, refuse_unsafe

    refuse_unsafe(jobs + hydra)
    precheck(["--multirun", *jobs, *hydra])
    try:
        base = load_config(jobs)
    except Exception as err:
        from sim.cli import describe

        raise ConfigError(describe(err)) from None
    years = run_years(base)
    fit = fit_years(options.get("fit"), years)
    targets = options.get("targets", "")
    observed = read_targets(targets)
    in_sample = fitted(observed, fit, base)
    if in_sample.empty:
        raise ConfigError(f"fit = {fit[0]}-{fit[1]}: no figure of the targets file "
                          f"({targets or 'data/targets/nrm.csv'}) in those years is a column of "
                          "years.parquet; nothing to fit")
    factors, _ = load(given["uncertainty"], base)
    for f in factors:
        if {"replication", "seed"} & set(f.keys):
            raise ConfigError(f"uncertainty {given['uncertainty']}: factor {f.name} sets the "
                              "random stream; the calibration draws it (leave it out)")
    varied = {k: f.name for f in factors for k in f.keys}
    for o in jobs:
        if o.split("=", 1)[0] in varied:
            raise ConfigError(f"{o}: the calibration fits {o.split('=', 1)[0]} (factor "
                              f"{varied[o.split('=', 1)[0]]}); leave it out")
    settings = Settings(given["uncertainty"], population, generations, fit,
                        str(Path(targets).resolve()) if targets else "", predictive, seed,
                        jobs, hydra)
    return settings, base, factors, folder_of(overrides, base, given["uncertainty"])


def fit_years(text: str | None, years: list[int]) -> tuple[int, int]:
    if text is None:
        return years[0], years[min(FIT_YEARS, len(years)) - 1]
    first, sep, last = text.partition("-")
    try:
        span = (int(first), int(last) if sep else int(first))
    except ValueError:
        span = (0, -1)
    if not (years[0] <= span[0] <= span[1] <= years[-1]):
        raise ConfigError(f"fit = {text!r}: FIRST-LAST, years of the run ({years[0]}-"
                          f"{years[-1]})")
    return span


def folder_of(overrides: list[str], base: Config, uncertainty: str) -> Path:
    for o in overrides:
        if o.startswith("hydra.sweep.dir="):
            return Path(o.split("=", 1)[1])
    name = Path(uncertainty).stem
    return Path("results") / "calibration" / f"{base.world.name}-{name}"


# --- the data and the distance ---------------------------------------------------------------


def read_targets(path: str) -> pd.DataFrame:
    from sim.years import TARGETS

    file = Path(path) if path else TARGETS
    if not file.is_file():
        raise ConfigError(f"targets = {path!r}: no such file (a CSV of year, measure, value[, "
                          "low, high, source]: data/targets/nrm.csv)")
    try:
        table = pd.read_csv(file, comment="#")
    except Exception as err:
        raise ConfigError(f"targets = {path!r}: not a readable CSV ({err})") from None
    missing = {"year", "measure", "value"} - set(table.columns)
    if missing:
        raise ConfigError(f"targets = {path or file}: needs the columns year, measure, value "
                          f"(missing {', '.join(sorted(missing))})")
    for column in ("low", "high"):
        if column not in table:
            table[column] = np.nan
    table = table[["year", "measure", "value", "low", "high"]].copy()
    try:
        table["year"] = table["year"].astype(int)
        for column in ("value", "low", "high"):
            table[column] = table[column].astype(float)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"targets = {path or file}: year a whole number and value, low, high "
                          f"numbers ({err})") from None
    if not (table["value"] > 0).all():
        raise ConfigError(f"targets = {path or file}: every value must be positive (the "
                          "distance compares logarithms)")
    return table


def measurable(base: Config) -> set[str]:
    """The figures ``years.parquet`` holds in ``base``'s world that the distance can use."""
    from sim.config import EXPLOITATION_TYPES
    from sim.years import COUNTS

    return {*COUNTS, "prevalence", "share_minors", "share_uk_nationals",
            *(f"share_type_{t}" for t in EXPLOITATION_TYPES),
            *(f"share_source_{s}" for s in base.world.sources)}


def weight(measure: str) -> float:
    return WEIGHTS.get(measure, SHARE_WEIGHT if measure.startswith("share_") else 1.0)


def fitted(observed: pd.DataFrame, fit: tuple[int, int], base: Config) -> pd.DataFrame:
    """The figures the fit uses: in the fitted years, and simulated by the model."""
    keep = observed["year"].between(*fit) & observed["measure"].isin(measurable(base))
    return observed[keep].reset_index(drop=True)


def stat_name(year: int, measure: str) -> str:
    return f"{measure}@{year}"


def statistics(table: pd.DataFrame | None, wanted: pd.DataFrame) -> dict[str, float]:
    """The simulated figure of each wanted (year, measure); NaN where the run has none."""
    out = {}
    for year, measure in zip(wanted["year"], wanted["measure"], strict=True):
        value = np.nan
        if table is not None and measure in table:
            row = table.loc[table["year"] == year, measure]
            if len(row):
                value = float(row.iloc[0])
        out[stat_name(year, measure)] = value
    return out


def log_errors(simulated: dict[str, float], wanted: pd.DataFrame) -> dict[str, float]:
    """ln(simulated / observed) of each figure, 0 inside a published range (low, high), the
    distance to its nearer end outside; NaN where the run gave no positive figure."""
    out = {}
    for row in wanted.itertuples(index=False):
        name = stat_name(row.year, row.measure)
        value = simulated.get(name, np.nan)
        if not (value > 0):  # NaN, 0 (a share of no referrals) or missing
            out[name] = np.nan
        elif row.low > 0 and row.high > 0:
            out[name] = (math.log(value / row.high) if value > row.high else
                         math.log(value / row.low) if value < row.low else 0.0)
        else:
            out[name] = math.log(value / row.value)
    return out


def distance(simulated: dict[str, float], wanted: pd.DataFrame) -> float:
    """The weighted root mean square of the log errors (FAILED if any figure is missing)."""
    errors = log_errors(simulated, wanted)
    weights = [weight(m) for m in wanted["measure"]]
    values = [errors[stat_name(y, m)] for y, m in zip(wanted["year"], wanted["measure"],
                                                       strict=True)]
    if any(not math.isfinite(v) for v in values):
        return FAILED
    return math.sqrt(sum(w * v * v for w, v in zip(weights, values, strict=True)) / sum(weights))


# --- running proposals as sweeps -------------------------------------------------------------


class Runner:
    """Runs a batch of parameter sets as one sweep (a round) and reads each job's years."""

    def __init__(self, settings: Settings, base: Config, factors: list[Factor], root: Path,
                 policy_weeks: int):
        self.settings, self.factors, self.root = settings, factors, root
        self.values = OmegaConf.structured(base)
        self.policy_weeks = policy_weeks

    def overrides(self, params: dict, replication: int) -> list[str]:
        row = [params[f.name] for f in self.factors]
        return [*point_overrides(self.factors, row, self.values), f"replication={replication}"]

    def run(self, name: str, points: dict[int, dict], weeks: int | None = None
            ) -> dict[int, pd.DataFrame | None]:
        """Each point (replication -> parameters) run in ``runs/<name>``; its years table, or
        None where the job did not complete."""
        from sim.cli import run as sim

        folder = self.root / "runs" / name
        folder.mkdir(parents=True, exist_ok=True)
        overrides = {r: self.overrides(p, r) for r, p in points.items()}
        design = {"points": list(overrides.values()), "replications": list(points),
                  "parameters": list(points.values())}
        write_atomic(folder / PARTICLES, lambda p: p.write_text(json.dumps(design, indent=1)))
        weeks = self.policy_weeks if weeks is None else weeks
        given = [o for o in self.settings.overrides if not o.startswith("policy_weeks=")]
        argv = ["--multirun", *given, *self.settings.hydra,
                f"policy_weeks={weeks}", "sweep=calibration", f"hydra.sweep.dir={folder}",
                f"hydra.sweeper.design={folder / PARTICLES}"]
        clock = time.time()
        status = sim(argv)
        if status == 130:
            raise KeyboardInterrupt
        found = read_round(folder, overrides)
        log_round(self.root, {"round": name, "jobs": len(points),
                              "complete": sum(found.get(r) is not None for r in points),
                              "seconds": round(time.time() - clock, 1)})
        if status not in (0, 1) or not any(found.get(r) is not None for r in points):
            raise RuntimeError(f"the sweep of {folder} ran no job (exit status {status}); see "
                               f"{folder}/manifest.json and the jobs' error.txt")
        return {r: found.get(r) for r in points}


def log_round(root: Path, row: dict) -> None:
    """A line of ``rounds.csv``: each round's jobs, how many completed and its wall time (a
    resumed round's kept jobs cost nothing)."""
    path = root / ROUNDS
    new = not path.exists()
    with path.open("a") as out:
        if new:
            out.write(",".join(row) + "\n")
        out.write(",".join(str(v) for v in row.values()) + "\n")


def read_round(folder: Path, points: dict[int, list[str]]) -> dict[int, pd.DataFrame]:
    """The years table of each point (replication -> its overrides) whose job in ``folder``
    completed: the job run with all of the point's overrides."""
    from sim.runs import job_folders

    wanted = {frozenset(o): r for r, o in points.items()}
    found: dict[int, pd.DataFrame] = {}
    for job in job_folders(folder):
        if (job / ERROR).exists() or not (job / SUMMARY).exists():
            continue
        try:
            record = json.loads((job / SUMMARY).read_text())
            overrides = set(record["overrides"])
            match = [r for point, r in wanted.items() if point <= overrides]
            if match:
                found[match[0]] = pd.read_parquet(job / YEARS)
        except Exception:  # a torn job is as good as a failed one
            continue
    return found


class Model:
    """pyabc's model: in the first pass it records each proposal (by the seed it was made
    from) and returns no figures; in the second it returns the figures the sweep gave."""

    def __init__(self, wanted: pd.DataFrame):
        self.wanted = wanted
        self.seed = 0
        self.proposed: dict[int, dict] | None = None  # in the first pass
        self.ran: dict[int, dict] = {}  # the parameters each seed's job ran with
        self.results: dict[int, dict[str, float]] = {}

    def __call__(self, params) -> dict[str, float]:
        params = {k: float(v) for k, v in dict(params).items()}
        if self.proposed is not None:
            self.proposed[self.seed] = params
            return {stat_name(y, m): np.nan for y, m in zip(self.wanted["year"],
                                                             self.wanted["measure"],
                                                             strict=True)}
        if self.ran.get(self.seed) != params:  # the two passes must propose the same
            raise RuntimeError(f"proposal {self.seed} differs between its two passes")
        return self.results[self.seed]


def make_sampler(model: Model, runner: Runner, settings: Settings, rate_of):
    """pyabc's sampler, batching proposals into rounds run as sweeps."""
    from pyabc.sampler import Sampler

    class SweepSampler(Sampler):
        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            sample = self._create_empty_sample()
            evaluated, tried, accepted, r = 0, 0, 0, 0
            rate = rate_of(t)
            while sample.n_accepted < n and evaluated < max_eval:
                need = n - sample.n_accepted
                if tried:
                    rate = max(accepted / tried, 0.02)
                k = min(max(need, math.ceil(need / rate)), 10 * n)
                seeds = [int(s) for s in np.random.SeedSequence(
                    [settings.seed, t + 1, r]).generate_state(k) % (2**31 - 1)]
                model.proposed = {}
                for s in seeds:
                    np.random.seed(s)
                    model.seed = s
                    simulate_one()
                proposed, model.proposed = model.proposed, None
                found = runner.run(f"gen_{t:02d}/round_{r:02d}", proposed)
                model.results = {s: statistics(found.get(s), model.wanted) for s in seeds}
                model.ran = proposed
                for s in seeds:
                    np.random.seed(s)
                    model.seed = s
                    particle = simulate_one()
                    sample.append(particle)
                    evaluated += 1
                    tried += 1
                    accepted += bool(particle.accepted)
                    if sample.n_accepted >= n:
                        break
                r += 1
            self.nr_evaluations_ = evaluated
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return SweepSampler()


# --- the calibration -------------------------------------------------------------------------


def calibrate(args: list[str]) -> int:
    """The command: fit, then the posterior predictive runs, the report, figures and the
    calibrated world. Bad input raises ConfigError (exit 2)."""
    settings, base, factors, root = parse(args)
    root.mkdir(parents=True, exist_ok=True)
    resumed = check_folder(root, settings, args)
    observed = read_targets(settings.targets)
    wanted = fitted(observed, settings.fit, base)
    fit_weeks = 52 * (settings.fit[1] - run_years(base)[0] + 1)
    runner = Runner(settings, base, factors, root, min(fit_weeks, base.policy_weeks))
    print(f"calibration: {root} ({len(factors)} parameters, {len(wanted)} figures of "
          f"{settings.fit[0]}-{settings.fit[1]}, population {settings.population}, "
          f"{settings.generations} generations){'; resuming' if resumed else ''}",
          file=sys.stderr)
    history = fit(settings, factors, wanted, runner, root)
    posterior, populations = read_history(history, factors, settings.generations)
    write_atomic(root / "posterior.parquet", lambda p: posterior.to_parquet(p, index=False))
    write_atomic(root / "populations.parquet",
                 lambda p: populations.to_parquet(p, index=False))
    medians = {f.name: weighted_quantile(posterior[f.name], posterior["weight"], 0.5)
               for f in factors}
    draws = predictive_draws(posterior, factors, settings)
    from sim.analysis.calibration import report, tuned_values

    tuned = tuned_values(factors, base)
    runs = predictive(runner, draws, medians, tuned if len(tuned) == len(factors) else None,
                      base, int(posterior["generation"].iloc[0]))
    write_atomic(root / "predictive.parquet", lambda p: runs.to_parquet(p, index=False))
    world = calibrated_world(root, settings, base, factors, medians)
    made = report(root, settings, factors, observed, posterior, populations, runs, base)
    print(f"posterior: {root / 'posterior.parquet'}\nreport: {made}\ncalibrated world: {world} "
          f"(copy it to configs/world/ to run it as world={world.stem})")
    return 0


def check_folder(root: Path, settings: Settings, args: list[str]) -> bool:
    """A folder of an earlier calibration is continued only with the same fit; True if it
    is one."""
    path = root / SETTINGS
    resumed = path.exists() and (root / DB).exists()
    if path.exists():
        try:
            earlier = json.loads(path.read_text())
        except ValueError:
            raise ConfigError(f"{path}: not JSON; remove it or choose another "
                              "hydra.sweep.dir") from None
        if earlier.get("fit") != settings.same_fit():
            differ = sorted(k for k, v in settings.same_fit().items()
                            if earlier.get("fit", {}).get(k) != v)
            raise ConfigError(f"{root}: holds a calibration with other settings "
                              f"({', '.join(differ)}); give the same or choose another "
                              "hydra.sweep.dir")
    elif any(root.iterdir()):
        raise ConfigError(f"{root}: not empty and not a calibration's folder; choose another "
                          "hydra.sweep.dir")
    record = {"fit": settings.same_fit(), "generations": settings.generations,
              "predictive": settings.predictive,
              "command": shlex.join(["python", "-m", "sim", "calibrate", *args])}
    write_atomic(path, lambda p: p.write_text(json.dumps(record, indent=1)))
    return resumed


def fit(settings: Settings, factors: list[Factor], wanted: pd.DataFrame, runner: Runner,
        root: Path):
    """ABC-SMC until ``settings.generations`` generations are in the history database."""
    import logging

    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)
    prior = pyabc.Distribution(**{f.name: pyabc.RV("uniform", f.bounds[0],
                                                   f.bounds[1] - f.bounds[0])
                                  for f in factors})
    model = Model(wanted)
    db = f"sqlite:///{(root / DB).resolve()}"
    history_now: list = []

    def rate_of(t: int) -> float:
        """The share of proposals to expect accepted in generation ``t``: all in the first,
        half in the second (its threshold is the median distance of the first), then a little
        less than in the generation before; read from the database, so a resumed calibration
        proposes the same rounds."""
        if t == 0 or not history_now:
            return 1.0
        pops = history_now[0].get_all_populations()
        last = pops[pops["t"] == t - 1]
        if t == 1 or last.empty or not last["samples"].iloc[0]:
            return 0.5
        return max(0.02, 0.8 * float(last["particles"].iloc[0] / last["samples"].iloc[0]))

    sampler = make_sampler(model, runner, settings, rate_of)
    resume = (root / DB).exists() and pyabc.History(db).n_populations > 0
    first = FIRST_EPSILON
    if resume:  # pyabc starts a loaded run at its initial threshold: give it the one due
        from pyabc.weighted_statistics import weighted_quantile as quantile

        earlier = pyabc.History(db)
        last = earlier.get_weighted_distances(t=earlier.max_t)
        w = last["w"].to_numpy(dtype=float)
        first = float(quantile(points=last["distance"].to_numpy(), weights=w / w.sum(),
                               alpha=0.5))
    abc = pyabc.ABCSMC(model, prior, lambda x, y: distance(x, wanted),
                       population_size=settings.population, sampler=sampler,
                       eps=pyabc.QuantileEpsilon(initial_epsilon=first, alpha=0.5))
    observed = {stat_name(y, m): v for y, m, v in zip(wanted["year"], wanted["measure"],
                                                       wanted["value"], strict=True)}
    if resume:
        history = abc.load(db, 1)
    else:
        (root / DB).unlink(missing_ok=True)
        history = abc.new(db, observed)
    history_now.append(history)
    done = history.max_t + 1
    if done < settings.generations:
        history = abc.run(max_nr_populations=settings.generations - done)
    return history


def read_history(history, factors: list[Factor], generations: int
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The last generation's particles (weights summing to 1, their distances) and every
    generation's threshold, proposals and acceptance."""
    t = min(history.max_t, generations - 1)
    frames = []
    for g in range(t + 1):
        params, w = history.get_distribution(m=0, t=g)
        table = params.reset_index(drop=True)[[f.name for f in factors]]
        table["weight"] = np.asarray(w) / np.sum(w)
        table["distance"] = history.get_weighted_distances(t=g)["distance"].to_numpy()
        table["generation"] = g
        frames.append(table)
    pops = history.get_all_populations()
    pops = pops[pops["t"].between(0, t)].reset_index(drop=True)
    populations = pd.DataFrame({
        "generation": pops["t"].astype(int), "epsilon": pops["epsilon"].astype(float),
        "proposals": pops["samples"].astype(int), "particles": pops["particles"].astype(int),
        "acceptance": pops["particles"] / pops["samples"]})
    everything = pd.concat(frames, ignore_index=True)
    return everything[everything["generation"] == t].reset_index(drop=True), populations


def weighted_quantile(values, weights, q: float) -> float:
    order = np.argsort(np.asarray(values, dtype=float))
    v = np.asarray(values, dtype=float)[order]
    w = np.asarray(weights, dtype=float)[order]
    cum = (np.cumsum(w) - 0.5 * w) / np.sum(w)
    return float(np.interp(q, cum, v))


def predictive_draws(posterior: pd.DataFrame, factors: list[Factor], settings: Settings
                     ) -> list[dict]:
    """``settings.predictive`` particles drawn by weight (with replacement), in a fixed order."""
    rng = np.random.default_rng([settings.seed, 7])
    chosen = rng.choice(len(posterior), size=settings.predictive, replace=True,
                        p=posterior["weight"].to_numpy())
    return [{f.name: float(posterior[f.name].iloc[i]) for f in factors} for i in chosen]


ROLES = {0: "calibrated", 1: "hand-tuned"}  # the replications of the two single runs


def predictive(runner: Runner, draws: list[dict], medians: dict, tuned: dict | None,
               base: Config, generation: int) -> pd.DataFrame:
    """The posterior draws, the calibrated point (posterior medians) and the world as it was
    hand-tuned, run over every year of the world: one row per run and year, its ``role``
    ``draw``, ``calibrated`` or ``hand-tuned``."""
    points = {i + 2: d for i, d in enumerate(draws)}
    points[0] = medians
    if tuned is not None:
        points[1] = tuned
    found = runner.run(f"predictive_{generation:02d}", points, weeks=base.policy_weeks)
    frames = []
    for r, table in found.items():
        if table is None:
            continue
        table = table.copy()
        table.insert(0, "draw", r)
        table.insert(1, "role", ROLES.get(r, "draw"))
        frames.append(table)
    if not frames:
        raise RuntimeError("no posterior predictive run completed")
    return pd.concat(frames, ignore_index=True)


def project_path(path: Path) -> str:
    """``path`` from the project's folder if it is inside it (as a world file names its
    posterior), else absolute."""
    from sim.ensemble import PROJECT

    full = path.resolve()
    return str(full.relative_to(PROJECT)) if full.is_relative_to(PROJECT) else str(full)


def calibrated_world(root: Path, settings: Settings, base: Config, factors: list[Factor],
                     medians: dict) -> Path:
    """``<world>_calibrated.yaml``: the world at the posterior medians, over the world file
    it was fitted on; named after the posterior it came from."""
    values = OmegaConf.structured(base)
    tree: dict = {}
    for f in factors:
        for key, value in f.values(medians[f.name], values):
            node = tree
            *parents, last = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
    name = f"{base.world.name}_calibrated"
    world_file = next((o.split("=", 1)[1] for o in settings.overrides
                       if o.startswith("world=")), base.world.name)
    tree.setdefault("world", {})["name"] = name
    tree["world"]["calibration"] = {"posterior": project_path(root / "posterior.parquet"),
                                    "uncertainty": (project_path(Path(settings.uncertainty))
                                                    if settings.uncertainty.endswith(".yaml")
                                                    else settings.uncertainty),
                                    "world": world_file}
    header = ["# @package _global_",
              f"# {name}: the world {world_file} at the posterior medians of a calibration "
              "(python -m sim calibrate).",
              f"# Posterior: world.calibration.posterior (ensemble=posterior runs a sweep's "
              f"replications over it; fit report: {root / 'report.md'}).",
              f"# Fitted to {settings.fit[0]}-{settings.fit[1]}; uncertainty set "
              f"{settings.uncertainty}, population {settings.population}, "
              f"{settings.generations} generations, seed {settings.seed}.",
              "defaults:", f"  - {world_file}@world", "  - _self_", ""]
    text = "\n".join(header) + OmegaConf.to_yaml(OmegaConf.create(tree))
    path = root / f"{name}.yaml"
    write_atomic(path, lambda p: p.write_text(text))
    return path
