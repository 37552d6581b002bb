"""``python -m sim``: the Hydra application, plus ``reproduce``, ``analyse``, ``app`` and
``sensitivity`` and ``calibrate`` subcommands.

One rule for every entry point: exit status 0 on success, 2 for bad input (one line on stderr
naming the key or file, what is wrong and what is allowed), 1 for an internal failure (one line
on stderr, the traceback in a log file). Bad input is refused before Hydra makes any folder
where it can be; a run refused later removes only what it wrote itself.
"""

import argparse
import contextlib
import functools
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.config import (
    CONFIG_DIR,
    EXPERIMENT_DIR,
    Config,
    ConfigError,
    check_type,
    check_value,
    validate,
)
from sim.folders import ERROR, SERIES, SUMMARY, job_dirname
from sim.settings import load_config, register_configs

SUBCOMMANDS = {"reproduce": "python -m sim reproduce <run or sweep folder>",
               "analyse": "python -m sim analyse <sweep folder>",
               "app": "python -m sim app [port=N] [results=<folder>] [override ...]",
               "sensitivity": "python -m sim sensitivity method=morris|sobol [samples=N] "
               "[override ...]",
               "calibrate": "python -m sim calibrate [population=N] [generations=G] "
               "[fit=FIRST-LAST] [override ...]"}
GROUPS = {"world": CONFIG_DIR / "world", "policy": CONFIG_DIR / "policy",
          "experiment": EXPERIMENT_DIR}
SWEEP_PID = "SIM_SWEEP_PID"  # host:pid of the sweep's main process, for its workers' watchdog
MAX_REPLICATIONS = Config.__dataclass_fields__["replications"].metadata["hi"]
HYDRA_WROTE = {".hydra/config.yaml", ".hydra/hydra.yaml", ".hydra/overrides.yaml", "sim.log"}
started = time.time()  # this command's start: files older than this are not its own
ctrl_c = threading.Event()  # a Ctrl-C this command received, even one Python lost

# resolvers of configs/config.yaml; registered on import, since launchers import this module
# in their workers to run the task function
OmegaConf.register_new_resolver("cpus", os.cpu_count, replace=True)
OmegaConf.register_new_resolver("jobdir", job_dirname, replace=True)


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> float | None:
    """One job: check the config, run the model, write the job's folder."""
    from sim.runs import run_job, to_config  # the simulation stack, only where a job runs

    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    multirun = hc.mode is RunMode.MULTIRUN
    if multirun:
        from sim.sweep import watch_parent

        watch_parent()
        if not out.resolve().is_relative_to(Path(hc.sweep.dir).resolve()):
            remove_own(out)
            print(f"error: job folder {out} is outside the sweep folder {hc.sweep.dir}; "
                  "leave hydra.sweep.subdir as it is", file=sys.stderr)
            return None
    try:
        refuse_unsafe([*hc.overrides.task, *hc.overrides.hydra])
        config = to_config(cfg)
    except ConfigError as err:
        give_up(f"invalid: {err}", out, multirun)
        return None
    try:
        record = run_job(config, out, list(hc.overrides.task))
    except Exception as err:
        # one job's crash must not cost the sweep its other jobs: record it and go on
        with (out / "sim.log").open("a") as log:
            log.write(traceback.format_exc())
        if not multirun:
            print(f"error: failed: {type(err).__name__}: {err} (traceback in {out}/sim.log)",
                  file=sys.stderr)
            sys.exit(1)
        (out / ERROR).write_text(f"failed: {type(err).__name__}: {err}\n")
        return None
    if not multirun:
        from sim.analysis.labels import headline

        print(f"{headline(record['metrics'])}\nresults: {out}")
    return record["metrics"]["identified_per_year"]


def give_up(why: str, out: Path, multirun: bool) -> None:
    """A job that cannot run: one line, and nothing half-written or stale left behind."""
    print(f"error: {why.removeprefix('invalid: ')}", file=sys.stderr)
    if multirun:  # the sweep goes on; the job's folder keeps only the reason
        for stale in (SUMMARY, SERIES, *(name for name in HYDRA_WROTE if name != "sim.log")):
            (out / stale).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (out / ".hydra").rmdir()
        (out / ERROR).write_text(f"{why}\n")
        return None
    remove_own(out)
    sys.exit(2)


def remove_own(out: Path) -> None:
    """Remove the folder Hydra made for this run, but only if nothing in it is older than
    this command or other than what Hydra writes: a folder of an earlier run stays whole."""
    files = [p for p in out.rglob("*") if p.is_file()] if out.is_dir() else []
    if any(p.relative_to(out).as_posix() not in HYDRA_WROTE or p.stat().st_mtime < started
           for p in files):
        return
    for p in files:
        p.unlink()
    for folder in (out / ".hydra", out):
        try:
            folder.rmdir()
        except OSError:
            return


def names_code(value: object) -> bool:
    """Whether a parsed override value holds a ``_target_`` key, at any depth."""
    if isinstance(value, dict):
        return any("_target_" in str(k) or names_code(v) for k, v in value.items())
    if isinstance(value, list):
        return any(names_code(v) for v in value)
    return names_code(value.list) if hasattr(value, "list") else False  # a choice sweep


def refuse_unsafe(overrides: list[str] | list[Override]) -> None:
    """Keys must already be in the schema, and no override may name code to run (Hydra
    instantiates any ``_target_``, the callbacks and launchers of ``hydra.*`` included)."""
    parser = overrides_parser()
    for o in overrides:
        parsed = parser.parse_override(o) if isinstance(o, str) else o
        line, key = parsed.input_line, parsed.key_or_group
        if parsed.type is not OverrideType.CHANGE:
            raise ConfigError(f"{line}: adding or deleting keys is not allowed; every parameter "
                              "already has a key in the schema (python -m sim --cfg job)")
        if parsed.package is not None:
            raise ConfigError(f"{line}: a group's options go to their own place (no @)")
        if "_target_" in key or names_code(parsed.value()):
            raise ConfigError(f"{line}: configs cannot name code to run (_target_)")


def check_group(o: Override) -> None:
    """A group option named exactly as its file is: ``policy=border``, not ``policy=border.yaml``,
    ``policy=[border]`` or ``policy=border<TAB>``."""
    folder = GROUPS.get(o.key_or_group)
    if folder is None:
        return
    options = sorted(p.stem for p in folder.glob("*.yaml"))
    given = str(o.input_line).split("=", 1)[1] if "=" in str(o.input_line) else ""
    values = list(o.sweep_string_iterator()) if o.is_sweep_override() else [given]
    if o.is_sweep_override() and given.strip() != ",".join(values):
        values = [given]  # range(), glob() and the like: not a list of names
    for value in values:
        if value not in options:
            raise ConfigError(f"{o.key_or_group} = {value!r}: one of {', '.join(options)} "
                              f"(the files of {o.key_or_group}/ without .yaml)")


def args_parser() -> argparse.ArgumentParser:
    """Hydra 1.3's command-line flags (``hydra.main`` parses them again; a test checks that
    the two agree), so that the command line is checked before Hydra runs."""
    parser = argparse.ArgumentParser(add_help=False, prog="sim")
    parser.add_argument("overrides", nargs="*")
    for flags in (("--help", "-h"), ("--hydra-help",), ("--resolve",), ("--run", "-r"),
                  ("--multirun", "-m"), ("--shell-completion", "-sc")):
        parser.add_argument(*flags, action="store_true")
    for flags in (("--package", "-p"), ("--config-path", "-cp"), ("--config-name", "-cn"),
                  ("--config-dir", "-cd"), ("--experimental-rerun",)):
        parser.add_argument(*flags)
    parser.add_argument("--cfg", "-c", choices=["job", "hydra", "all"])
    parser.add_argument("--info", "-i", nargs="?", const="all",
                        choices=["all", "config", "defaults", "defaults-tree", "plugins",
                                 "searchpath"])
    parser.add_argument("--version", action="version", version=f"Hydra {hydra.__version__}")
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line as Hydra reads it, its errors as ConfigError."""
    parser = args_parser()

    def refuse(message: str):
        raise ConfigError(f"{message} (python -m sim --help)")

    parser.error = refuse  # type: ignore[method-assign]
    return parser.parse_args(argv)  # --version prints and exits 0


def precheck(argv: list[str]) -> list[str]:
    """Check the command line as Hydra will read it, so that bad input is one line and exit
    status 2 before any folder is made; return the arguments to run (an ad-hoc sweep's
    ``replications=N`` becomes ``replication=range(0,N)``). A single run's config is composed
    and checked whole; a sweep's jobs are checked one by one as they run."""
    args = parse_args(argv)
    if args.experimental_rerun is not None:
        raise ConfigError("--experimental-rerun: not supported (it unpickles a file); "
                          "re-run a finished job with: python -m sim reproduce <folder>")
    try:
        parsed = overrides_parser().parse_overrides(args.overrides)
    except Exception as err:
        raise ConfigError(describe(err)) from None
    refuse_unsafe(parsed)
    for o in parsed:
        if o.key_or_group == "uncertainty":
            raise ConfigError(f"{o.input_line}: an uncertainty set is for python -m sim "
                              "sensitivity or calibrate (uncertainty=<name>), not for a run")
        check_group(o)
        check_known(o)
        if o.key_or_group.startswith("analysis.") and o.is_sweep_override():
            raise ConfigError(f"{o.input_line}: a list of columns goes in brackets, "
                              f"{o.key_or_group}=[a,b] (a,b would sweep over them)")
        if o.key_or_group == "hydra.sweep.subdir":
            raise ConfigError(f"{o.input_line}: job folders are named by the sweep; "
                              "choose the sweep's folder with hydra.sweep.dir")
    if args.help or args.hydra_help or args.info or args.shell_completion or args.cfg:
        return argv
    keys = {o.key_or_group for o in parsed}
    ensemble = ensemble_of(parsed) if keys & {"ensemble", "experiment"} else "none"
    if args.multirun or keys & {"experiment", "hydra.mode"}:
        return check_sweep(argv, parsed, ensemble)
    if ensemble != "none":
        raise ConfigError(f"ensemble={ensemble}: the replications of a sweep draw the "
                          "posterior; add --multirun and replications=N (or run an experiment)")
    sweeps = [str(o.input_line) for o in parsed if o.is_sweep_override()]
    if sweeps:
        raise ConfigError(f"{sweeps[0]}: several values make a sweep; add --multirun")
    if args.config_path or args.config_name or args.config_dir:
        return argv  # another config tree: checked when Hydra composes it
    if not any(o.key_or_group.startswith("world.") for o in parsed):
        check_types(parsed)  # the rest is checked by the job, which removes its folder if refused
        return argv
    # a world's keys depend on the world: compose to check them
    checked([str(o.input_line) for o in parsed if not is_hydra(o)])
    return argv


def checked(overrides: list[str]) -> Config:
    """The config of ``overrides``, composed and checked whole; any problem one ConfigError."""
    try:
        config = load_config(overrides)
    except Exception as err:
        raise ConfigError(describe(err)) from None
    return validate(config)


def check_types(parsed: list[Override]) -> None:
    """Each value converts to its key's type as composition would convert it, checked on the
    schema alone (composing a config costs more than a second)."""
    checker = OmegaConf.structured(Config)
    for o in parsed:
        if is_hydra(o) or o.key_or_group in GROUPS:
            continue
        check_type(checker, o.key_or_group, o.value(), str(o.input_line))


def usage() -> str:
    """``--help``: the help template of configs/config.yaml with the options of each group,
    as Hydra prints it, without composing a config."""
    template = OmegaConf.load(CONFIG_DIR / "config.yaml").hydra.help.template
    listed = GROUPS | {"uncertainty": CONFIG_DIR / "uncertainty"}  # Hydra lists every folder
    groups = "".join(f"{name}: {', '.join(sorted(p.stem for p in folder.glob('*.yaml')))}\n"
                     for name, folder in sorted(listed.items()))
    return template.replace("$APP_CONFIG_GROUPS", groups)


def is_hydra(o: Override) -> bool:
    return o.key_or_group == "hydra" or o.key_or_group.startswith(("hydra.", "hydra/"))


def check_known(o: Override) -> None:
    """A key of the schema (the world's keys depend on the world: left to composition), and
    every number given for it within the key's range."""
    key = o.key_or_group
    if is_hydra(o) or key in GROUPS or key.startswith("world."):
        return
    try:
        found = OmegaConf.select(schema(), key, default=KeyError)
    except Exception:
        found = KeyError
    if found is KeyError:
        raise ConfigError(f"{key}: no such key (python -m sim --cfg job lists every key)")
    for value in (o.sweep_iterator() if o.is_sweep_override() else [o.value()]):
        if isinstance(value, (int, float)):
            check_value(key, value)


@functools.cache
def overrides_parser() -> OverridesParser:
    return OverridesParser.create()


@functools.cache
def schema() -> DictConfig:
    return OmegaConf.structured(Config)


def ensemble_of(parsed: list[Override]) -> str:
    from sim.ensemble import value_of  # the design's stack, only when asked for

    return value_of(parsed)


def check_sweep(argv: list[str], parsed: list[Override], ensemble: str = "none") -> list[str]:
    """What every job of a sweep shares: a number of replications from 1 to its bound; an
    ad-hoc sweep's replications=N sweeps replication=range(0,N). With ensemble=posterior the
    replications are the points of a design of posterior draws (sim/ensemble.py)."""
    given = {o.key_or_group: o for o in parsed}
    if ensemble != "none" and "hydra.sweeper.design" in given:
        raise ConfigError(f"{given['hydra.sweeper.design'].input_line}: ensemble={ensemble} "
                          "writes the sweep's design; give one or the other")
    if "replications" not in given:
        return argv if ensemble == "none" else posterior_sweep(argv, parsed)
    o = given["replications"]
    n = o.value()
    if o.is_sweep_override() or isinstance(n, bool) or not isinstance(n, int):
        raise ConfigError(f"{o.input_line}: replications is one whole number, e.g. "
                          "replications=10")
    if not 1 <= n <= MAX_REPLICATIONS:
        raise ConfigError(f"replications = {n}: must be between 1 and {MAX_REPLICATIONS}")
    if ensemble != "none":
        return posterior_sweep(argv, parsed)
    if "experiment" in given:
        return argv
    if "replication" in given:
        raise ConfigError(f"{o.input_line} and {given['replication'].input_line}: give one of "
                          "them (replications=N runs replication=range(0,N))")
    return [*argv, f"replication=range(0,{n})"]


def posterior_sweep(argv: list[str], parsed: list[Override]) -> list[str]:
    from sim.ensemble import prepare

    return prepare(argv, parsed)


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


NOISE = ("full_key", "object_type", "reference_type", "To append", "Config search path",
         "provider=", "Set the environment")


def on_ctrl_c(signum, frame) -> None:
    """SIGINT: remember it, then raise KeyboardInterrupt as Python does. Python drops an
    exception raised inside a finaliser or a weakref callback (it prints "Exception ignored
    in"), so a Ctrl-C landing there is lost; a sweep that lost one still ends as interrupted."""
    ctrl_c.set()
    signal.default_int_handler(signum, frame)


def main() -> None:
    """``python -m sim`` and the ``sim`` command."""
    sys.exit(run(sys.argv[1:]))


def run(argv: list[str]) -> int:
    """The application on ``argv``, in this process; its exit status (0, 1 or 2)."""
    global started
    started = time.time()
    try:
        if argv and argv[0] in SUBCOMMANDS:
            register_configs()
            return subcommand(argv[0], argv[1:])
        if parse_args(argv).help:
            precheck(argv)
            print(usage())
            return 0
        register_configs()
        argv = precheck(argv)
    except ConfigError as err:
        return bad_input(err)
    except SystemExit as done:  # --version
        return exit_status(done)
    except Exception as err:
        return internal_failure(err)
    saved, sys.argv = sys.argv, [sys.argv[0], *argv]
    os.environ[SWEEP_PID] = f"{socket.gethostname()}:{os.getpid()}"
    ctrl_c.clear()
    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        app()
        if ctrl_c.is_set():  # a Ctrl-C that Python lost
            raise KeyboardInterrupt
    except SystemExit as done:
        return exit_status(done)
    except KeyboardInterrupt:
        from sim.sweep import interrupted

        return interrupted(argv)
    except Exception as err:
        return internal_failure(err)
    finally:
        sys.argv = saved
        signal.signal(signal.SIGINT, previous)
        if "sim.sweep" in sys.modules:  # one command, one sweep
            from sim import sweep

            sweep.active = None
    return 0


def exit_status(done: SystemExit) -> int:
    if isinstance(done.code, str):  # a message from Hydra or a library: a failure
        print(done.code, file=sys.stderr)
        return 1
    return int(done.code or 0)


def bad_input(err: ConfigError) -> int:
    print(f"error: {err}", file=sys.stderr)
    return 2


def internal_failure(err: BaseException, log: Path | None = None) -> int:
    """One line on stderr; the traceback appended to ``log`` (a temporary file if None)."""
    if log is None or not log.parent.is_dir():
        log = Path(tempfile.gettempdir()) / f"sim-{os.getpid()}.log"
    with log.open("a") as f:
        f.write("".join(traceback.format_exception(err)))
    print(f"error: internal failure: {type(err).__name__}: {err} (traceback in {log})",
          file=sys.stderr)
    return 1


def subcommand(name: str, args: list[str]) -> int:
    if name == "app":
        from sim.app.serve import main as serve  # the dashboard's stack (Solara), only here

        return serve(args)
    if name == "sensitivity":
        from sim.sensitivity import prepare  # SALib, only here

        return run(prepare(args))
    if name == "calibrate":
        from sim.calibrate import calibrate  # pyabc, only here

        try:
            return calibrate(args)
        except ConfigError:
            raise
        except KeyboardInterrupt:
            print("interrupted; the same command continues the calibration", file=sys.stderr)
            return 130
        except Exception as err:
            return internal_failure(err)
    if len(args) != 1 and not (name == "analyse" and args):  # analyse takes key=value options
        raise ConfigError(f"usage: {SUBCOMMANDS[name]}")
    folder = Path(args[0])
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder (usage: {SUBCOMMANDS[name]})")
    try:
        if name == "analyse":
            from sim.analysis import analyse  # the statistics and plotting stack, only here
            from sim.analysis.options import parse

            print(f"report: {analyse(folder, parse(args[1:]))}")
            return 0
        from sim.runs import reproduce

        return 0 if reproduce(folder) else 1
    except ConfigError:
        raise
    except Exception as err:
        return internal_failure(err, folder / "sim.log")
