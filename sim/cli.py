"""``python -m sim``: the Hydra application, plus ``reproduce`` and ``analyse`` subcommands."""

import contextlib
import os
import sys
import traceback
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.config import CONFIG_DIR, ConfigError, validate
from sim.runs import ERROR, SERIES, SUMMARY, job_dirname, reproduce, run_job, to_config
from sim.settings import load_config, register_configs

SUBCOMMANDS = {"reproduce": "python -m sim reproduce <run or sweep folder>",
               "analyse": "python -m sim analyse <sweep folder>"}

# resolvers of configs/config.yaml; registered on import, since launchers import this module
# in their workers to run the task function
OmegaConf.register_new_resolver("cpus", os.cpu_count, replace=True)
OmegaConf.register_new_resolver("jobdir", job_dirname, replace=True)


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> float | None:
    """One job: check the config, run the model, write the job's folder."""
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    multirun = hc.mode is RunMode.MULTIRUN
    try:
        refuse_unsafe([*hc.overrides.task, *hc.overrides.hydra])
        config = to_config(cfg)
    except ConfigError as err:
        give_up(f"invalid: {err}", out, multirun)
        return None
    try:
        record = run_job(config, out, list(hc.overrides.task))
    except Exception as err:
        if not multirun:
            raise
        # one job's crash must not cost the sweep its other jobs: record it and go on
        (out / "sim.log").open("a").write(traceback.format_exc())
        give_up(f"failed: {type(err).__name__}: {err}", out, multirun)
        return None
    if not multirun:
        print(f"results: {out}")
    return record["metrics"]["identified_per_year"]


def refuse_unsafe(overrides: list[str]) -> None:
    for o in overrides:
        key = o.split("=", 1)[0]
        if key.startswith(("+", "~")):
            raise ConfigError(f"{o}: adding or deleting keys is not allowed; every parameter "
                              "already has a key in the schema (python -m sim --cfg job)")
        if "_target_" in key:
            raise ConfigError(f"{o}: configs cannot name code to run")


def give_up(why: str, out: Path, multirun: bool) -> None:
    """A job that cannot run: one line, and nothing half-written or stale left behind."""
    print(f"error: {why.removeprefix('invalid: ')}", file=sys.stderr)
    for stale in (out / SUMMARY, out / SERIES):
        stale.unlink(missing_ok=True)
    for name in ("config.yaml", "hydra.yaml", "overrides.yaml"):
        (out / ".hydra" / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        (out / ".hydra").rmdir()
    if multirun:  # the sweep goes on; the job's folder keeps only the reason
        (out / ERROR).write_text(f"{why}\n")
        return None
    (out / "sim.log").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        out.rmdir()
    sys.exit(2)


NOISE = ("full_key", "object_type", "reference_type", "To append", "Config search path",
         "provider=", "Set the environment")


def precheck(args: list[str]) -> None:
    """Compose a single run's config as Hydra will and check it, so that bad input is one
    line and exit status 2 before any folder is made (sweeps are checked job by job)."""
    if any(a.startswith("-") for a in args):
        return
    try:
        parsed = OverridesParser.create().parse_overrides(args)
    except Exception as err:
        raise ConfigError(describe(err)) from None
    if any(o.is_sweep_override() or o.key_or_group == "experiment" for o in parsed):
        return
    overrides = [str(o.input_line) for o in parsed
                 if o.key_or_group != "hydra" and not o.key_or_group.startswith(("hydra.",
                                                                                 "hydra/"))]
    refuse_unsafe(overrides)
    try:
        config = load_config(overrides)
    except Exception as err:
        raise ConfigError(describe(err)) from None
    validate(config)


def describe(err: BaseException) -> str:
    """Hydra's and OmegaConf's account of a composition error, in one line."""
    chain: list[str] = []
    cause: BaseException | None = err
    while cause is not None and len(chain) < 2:
        chain.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    if chain[0].startswith("Could not override") and " not in " in chain[-1]:
        key = chain[0].split("'")[1]
        return f"{key}: no such key (python -m sim --cfg job lists every key)"
    lines = [line.strip() for text in chain for line in text.splitlines()]
    kept = [line for line in lines if line and not line.startswith(NOISE)]
    return "; ".join(kept).replace(":;", ":")


def main() -> None:
    """``python -m sim`` and the ``sim`` command."""
    register_configs()
    if len(sys.argv) > 1 and sys.argv[1] in SUBCOMMANDS:
        subcommand(sys.argv[1], sys.argv[2:])
    try:
        precheck(sys.argv[1:])
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    app()


def subcommand(name: str, args: list[str]) -> None:
    if len(args) != 1 or not Path(args[0]).is_dir():
        sys.exit(f"usage: {SUBCOMMANDS[name]}")
    try:
        if name == "analyse":
            from sim.analysis import analyse  # the statistics and plotting stack, only here

            print(f"report: {analyse(Path(args[0]))}")
            sys.exit(0)
        sys.exit(0 if reproduce(Path(args[0])) else 1)
    except ConfigError as err:
        sys.exit(f"error: {err}")
