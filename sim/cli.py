"""``python -m sim``: the Hydra application, plus ``reproduce`` and ``analyse`` subcommands."""

import contextlib
import os
import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from sim.analysis import analyse
from sim.config import CONFIG_DIR, ConfigError
from sim.runs import reproduce, run_job, to_config
from sim.settings import register_schema

SUBCOMMANDS = {"reproduce": "python -m sim reproduce <run or sweep folder>",
               "analyse": "python -m sim analyse <sweep folder>"}


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> float | None:
    """One job: check the config, run the model, write the job's folder."""
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    overrides = list(hc.overrides.task)
    try:
        refuse_unsafe(overrides)
        config = to_config(cfg)
    except ConfigError as err:
        return give_up(err, out, multirun=hc.mode.name == "MULTIRUN")
    record = run_job(config, out, overrides)
    if hc.mode.name == "RUN":
        print(f"results: {out}")
    return record["metrics"]["identified_per_year"]


def refuse_unsafe(overrides: list[str]) -> None:
    for o in overrides:
        if o.startswith(("+", "~")):
            raise ConfigError(f"{o}: adding or deleting keys is not allowed; every parameter "
                              "already has a key in the schema (python -m sim --cfg job)")
        if "_target_" in o:
            raise ConfigError(f"{o}: configs cannot name code to run")


def give_up(err: ConfigError, out: Path, multirun: bool) -> None:
    """A user error: one line, nothing half-written left behind."""
    if multirun:  # the sweep goes on; the job's folder keeps only the reason
        shutil.rmtree(out / ".hydra", ignore_errors=True)
        (out / "error.txt").write_text(f"{err}\n")
        print(f"error: {err}", file=sys.stderr)
        return None
    shutil.rmtree(out / ".hydra", ignore_errors=True)
    for leftover in (out / "sim.log", out / "error.txt"):
        leftover.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        out.rmdir()
    print(f"error: {err}", file=sys.stderr)
    sys.exit(2)


def main() -> None:
    OmegaConf.register_new_resolver("cpus", os.cpu_count, replace=True)
    register_schema()
    if len(sys.argv) > 1 and sys.argv[1] in SUBCOMMANDS:
        name, args = sys.argv[1], sys.argv[2:]
        if len(args) != 1 or not Path(args[0]).is_dir():
            sys.exit(f"usage: {SUBCOMMANDS[name]}")
        try:
            if name == "analyse":
                print(f"report: {analyse(Path(args[0]))}")
                sys.exit(0)
            sys.exit(0 if reproduce(Path(args[0])) else 1)
        except ConfigError as err:
            sys.exit(f"error: {err}")
    app()
