"""Results on disk: one job's folder, a sweep's gathered tables and manifest, and reproduction.

A job folder holds Hydra's ``.hydra/`` (config and overrides), ``timeseries.parquet``,
``years.parquet`` and ``summary.json``. The summary is written last and atomically, so a job
folder is complete if and only if its ``summary.json`` exists.
"""

import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from sim.config import Analysis, Calibration, Config, ConfigError, run_seed, validate
from sim.folders import ERROR, SERIES, SUMMARY, YEARS, job_dirname  # noqa: F401 (re-exported)
from sim.metrics import summary, timeseries
from sim.model import RunStopped, TraffickingModel
from sim.years import years

PACKAGES = ("sim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", "hydra-core", "SALib",
            "omegaconf", "hydra-joblib-launcher", "hydra-submitit-launcher", "matplotlib")


def to_config(cfg) -> Config:
    """A composed DictConfig as the typed, checked Config (ConfigError if it is not valid).
    A config that Hydra composed on the schema is typed already; any other (a job's saved
    config.yaml) is merged onto the schema first."""
    try:
        if OmegaConf.get_type(cfg) is not Config:
            cfg = OmegaConf.merge(OmegaConf.structured(Config), cfg)
        return validate(OmegaConf.to_object(cfg))  # type: ignore[arg-type]
    except ConfigError:
        raise
    except Exception as err:  # OmegaConf: missing value, wrong type
        raise ConfigError(str(err).splitlines()[0]) from None


def simulate(config: Config, out: Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Run one config (burn-in plus policy period): its weekly series and its summary. A run
    that stops early keeps its weekly series so far in ``out`` (if given) and says so."""
    model = TraffickingModel(config)
    try:
        model.run_for(config.burn_in_weeks + config.policy_weeks)
    except RunStopped as err:
        if out is not None:
            series = timeseries(model)
            write_atomic(out / SERIES, lambda p: series.to_parquet(p, index=False))
            raise RunStopped(f"{err}; the weeks so far are in {out / SERIES}") from None
        raise
    return timeseries(model), summary(model)


def write_atomic(path: Path, write) -> None:
    """Write through a temporary file and rename, so ``path`` is whole or absent."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


@cache
def code_hash() -> str:
    """A hash of the model's source: results depend on the code as much as on the config."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(config: Config) -> str:
    """A hash of every parameter and of the code: a finished job is reused only for the very
    same config run by the very same model (the sweep's bookkeeping and analysis aside)."""
    config = replace(config, replications=1, sweep="", analysis=Analysis(), ensemble="none",
                     world=replace(config.world, calibration=Calibration()))
    text = json.dumps(asdict(config), sort_keys=True) + code_hash()
    return hashlib.sha256(text.encode()).hexdigest()


def run_job(config: Config, out: Path, overrides: list[str]) -> dict:
    """Run one job into ``out`` unless it is already complete there; return its record.
    A job that completes drops the ``error.txt`` of an earlier failed attempt."""
    done = out / SUMMARY
    if is_complete(out):
        record = json.loads(done.read_text())
        if record.get("config_sha256") == fingerprint(config):
            os.utime(done)  # seen by this sweep: counts as done for its progress bar
            (out / ERROR).unlink(missing_ok=True)
            return record
    clock = time.perf_counter()
    series, metrics = simulate(config, out)
    simulated = time.perf_counter() - clock
    write_atomic(out / SERIES, lambda p: series.to_parquet(p, index=False))
    yearly = years(series, config)
    write_atomic(out / YEARS, lambda p: yearly.to_parquet(p, index=False))
    record = {"overrides": overrides, "seed": config.seed, "replication": config.replication,
              "run_seed": run_seed(config), "config_sha256": fingerprint(config),
              "simulation_s": round(simulated, 3), "metrics": metrics}
    write_atomic(done, lambda p: p.write_text(json.dumps(record, indent=1)))
    (out / ERROR).unlink(missing_ok=True)
    return record


def is_complete(folder: Path) -> bool:
    """A summary that reads as a job's record and a weekly series that reads as Parquet: a
    job with anything less (a torn copy, a truncated file) is run again."""
    try:
        read_summary(folder)
        read_series(folder, columns=[])
    except ConfigError:
        return False
    return True


# --- reading a job's files, naming what is broken ---------------------------------------------


RECORD_KEYS = ("overrides", "seed", "replication", "run_seed", "metrics")


def read_summary(folder: Path, needs: tuple[str, ...] = RECORD_KEYS) -> dict:
    """A job's summary.json with the keys ``needs``, or ConfigError naming the file and what
    is wrong with it."""
    path = Path(folder) / SUMMARY
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing (the job did not complete)") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ConfigError(f"{path}: not a JSON summary ({one_line(err)})") from None
    missing = [k for k in needs if not isinstance(record, dict) or k not in record]
    if missing or not isinstance(record.get("metrics", {}), dict):
        raise ConfigError(f"{path}: not a job's summary (lacks {', '.join(missing) or 'metrics'})")
    return record


def read_series(folder: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A job's timeseries.parquet (``columns=[]``: only check that it reads), or ConfigError."""
    path = Path(folder) / SERIES
    return read_parquet(path, columns, needs=("week",))


def read_parquet(path: Path, columns: list[str] | None = None,
                 needs: tuple[str, ...] = ()) -> pd.DataFrame:
    """A Parquet table with the columns ``needs``, or ConfigError naming the file."""
    try:
        schema = pq.read_schema(path)
        table = pd.read_parquet(path, columns=columns)
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing") from None
    except Exception as err:  # pyarrow: truncated, empty or not Parquet at all
        raise ConfigError(f"{path}: not a readable Parquet table ({one_line(err)})") from None
    missing = [c for c in needs if c not in schema.names]
    if missing:
        raise ConfigError(f"{path}: not this model's table (no column {', '.join(missing)})")
    return table


def read_job_config(folder: Path) -> Config:
    """The config a job ran with (its .hydra/config.yaml), or ConfigError naming the file."""
    path = Path(folder) / ".hydra" / "config.yaml"
    try:
        cfg = OmegaConf.load(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing") from None
    except Exception as err:  # YAML syntax, not a mapping
        raise ConfigError(f"{path}: not a readable config ({one_line(err)})") from None
    try:
        return to_config(cfg)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def one_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return f"{type(err).__name__}: {lines[0] if lines else ''}".strip().removesuffix(":")


# --- a sweep's folder ------------------------------------------------------------------------


def job_folders(root: Path, since: float | None = None) -> list[Path]:
    """Every job folder under ``root`` (with Hydra's saved config, or the reason it failed);
    with ``since`` (a time.time()), only the jobs a sweep started then has run or checked."""
    root = Path(root)
    marks = [*root.rglob(".hydra/config.yaml"), *root.rglob(ERROR)]
    if since is not None:
        marks = [p for p in marks if p.stat().st_mtime >= since]
    return sorted({p.parent.parent if p.name == "config.yaml" else p.parent for p in marks})


def parse_override(text: str) -> tuple[str, object]:
    """``key=value`` as a column and a typed value, as Hydra's override grammar reads it
    (numbers become numbers, quotes are removed)."""
    override = OverridesParser.create().parse_override(text)
    return override.key_or_group, override.value()


def gather(root: Path, since: float | None = None) -> pd.DataFrame:
    """One row per complete job: its parameters, replication, seeds, summary metrics."""
    rows = []
    for folder in job_folders(root, since):
        if not is_complete(folder) or (folder / ERROR).exists():  # error.txt: failed this time
            continue
        record = read_summary(folder)
        row: dict[str, object] = {
            "job": str(folder.relative_to(root)) if folder != Path(root) else "."}
        row |= {k: v for k, v in map(parse_override, record["overrides"])}
        row |= {"seed": record["seed"], "replication": record["replication"],
                "run_seed": record["run_seed"]}
        row |= record["metrics"]
        rows.append(row)
    table = pd.DataFrame(rows)
    return table.sort_values("job", kind="stable").reset_index(drop=True) if rows else table


def versions() -> dict:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty.strip() else "")


def job_status(folder: Path) -> str:
    """complete, invalid: <why> (bad input), failed: <error> (a crash), or incomplete."""
    if (folder / ERROR).exists():
        return ((folder / ERROR).read_text(errors="replace").splitlines() or ["failed"])[0]
    return "complete" if is_complete(folder) else "incomplete"


def finish_sweep(root: Path, started: str, since: float, argv: list[str]) -> dict:
    """Gather the jobs this sweep ran or checked (not older ones in the same folder) into
    runs.parquet and runs.csv, and write manifest.json; return the manifest."""
    root = Path(root)
    table = gather(root, since)
    write_atomic(root / "runs.parquet", lambda p: table.to_parquet(p, index=False))
    write_atomic(root / "runs.csv", lambda p: table.to_csv(p, index=False))
    jobs = {str(f.relative_to(root)): job_status(f) for f in job_folders(root, since)}
    manifest = {"command": shlex.join(["python", "-m", "sim", *argv]), "started": started,
                "ended": now(), "git_commit": git_commit(), "versions": versions(),
                "jobs": jobs, "complete": sum(s == "complete" for s in jobs.values()),
                "total": len(jobs)}
    write_atomic(root / "manifest.json", lambda p: p.write_text(json.dumps(manifest, indent=1)))
    return manifest


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- reproduction ----------------------------------------------------------------------------


def reproduce(root: Path, out=sys.stdout) -> bool:
    """Re-run every complete job under ``root`` from its saved config; True if all match.
    Every job's files are read first: a broken one is named (ConfigError) before any run."""
    jobs = [f for f in job_folders(Path(root))
            if (f / SUMMARY).exists() and (f / ".hydra" / "config.yaml").exists()]
    if not jobs:
        raise ConfigError(f"{root}: no complete run (a folder with .hydra/config.yaml and "
                          f"{SUMMARY}) found")
    saved = {f: (read_summary(f)["metrics"], read_job_config(f), read_series(f)) for f in jobs}
    mismatched = 0
    for folder, (metrics_then, config, series_then) in saved.items():
        series, metrics = simulate(config)
        diff = sorted(k for k in metrics_then.keys() | metrics.keys()
                      if json.dumps(metrics_then.get(k)) != json.dumps(metrics.get(k)))
        if not series.equals(series_then):
            diff.insert(0, "timeseries")
        mismatched += bool(diff)
        status = "matches" if not diff else "DIFFERS in " + ", ".join(diff[:5])
        print(f"{folder}: {status}", file=out)
    print(f"{len(jobs) - mismatched} of {len(jobs)} runs reproduce exactly", file=out)
    return mismatched == 0
