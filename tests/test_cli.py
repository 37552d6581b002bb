"""Nothing lost, nothing silently wrong: one exit-status rule, bad input refused before any
folder is made, corrupt files named, earlier results never deleted. In-process, through the
same code path as the command line (sim.cli.run)."""

import os
import random
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import toy
from omegaconf import OmegaConf

from sim.cli import precheck, refuse_unsafe, remove_own, run
from sim.config import ConfigError, Route, schema_rows, validate
from sim.runs import ERROR, SERIES, SUMMARY, finish_sweep, job_dirname, run_job

QUICK = ["world=toy", "burn_in_weeks=2", "policy_weeks=2"]


def cli(capsys, *args):
    """``python -m sim *args`` in this process: exit status, stdout, stderr."""
    status = run(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def tree(folder: Path) -> dict:
    """Every file under ``folder`` with its content and modification time."""
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))
            if p.is_file()}


def earlier_run(folder: Path) -> Path:
    """A folder as a finished single run leaves it (contents need not be real)."""
    (folder / ".hydra").mkdir(parents=True)
    for name in (".hydra/config.yaml", ".hydra/overrides.yaml", "sim.log", SUMMARY, SERIES):
        (folder / name).write_text(f"earlier {name}\n")
    old = time.time() - 3600
    for p in folder.rglob("*"):
        os.utime(p, (old, old))
    return folder


# --- 1. a refused run deletes nothing it did not write ----------------------------------------


@pytest.mark.parametrize("flags", [[], ["-r"], ["--run"]])
def test_a_refused_run_leaves_an_earlier_runs_folder_whole(capsys, tmp_path, flags):
    folder = earlier_run(tmp_path / "D")
    before = tree(folder)
    status, _, err = cli(capsys, *flags, *QUICK, "seed=-1", f"hydra.run.dir={folder}")
    assert status == 2 and err == "error: seed = -1: must be between 0 and 4294967295\n"
    assert tree(folder) == before


def test_a_late_refusal_removes_only_the_folder_it_made(tmp_path):
    old = earlier_run(tmp_path / "old")
    before = tree(old)
    remove_own(old)
    assert tree(old) == before
    fresh = tmp_path / "fresh"
    (fresh / ".hydra").mkdir(parents=True)
    for name in (".hydra/config.yaml", ".hydra/hydra.yaml", "sim.log"):
        (fresh / name).write_text("this run\n")
    remove_own(fresh)
    assert not fresh.exists()


# --- 2. job folders stay under the sweep ------------------------------------------------------


NASTY = ["policy.name=../../../escape", "policy.name=/etc/passwd", "a=..", "..", ".", "a\\b",
         "policy.name=" + "é" * 100, "x=" + "../" * 60, "policy.name=a/b", "policy.name=a_b"]


def test_job_folder_names_cannot_leave_the_sweep(tmp_path):
    names = [job_dirname(o) for o in NASTY]
    for name in names:
        assert "/" not in name and "\\" not in name and ".." not in name.split("/")
        assert name not in (".", "..") and len(name.encode()) <= 120
        assert (tmp_path / name).resolve().parent == tmp_path.resolve()
    assert len(set(names)) == len(names)  # a/b and a_b stay apart
    assert job_dirname("policy=border,seed=3") == "policy=border,seed=3"  # valid names kept


def test_moving_job_folders_out_of_the_sweep_is_refused():
    with pytest.raises(ConfigError, match="hydra.sweep.subdir"):
        precheck(["--multirun", *QUICK, "seed=1,2", "hydra.sweep.subdir=../out"])


# --- 3 and 8. a completed job drops its stale error; an incomplete one runs again -------------


def test_a_job_that_completes_removes_its_stale_error(tmp_path):
    (tmp_path / ERROR).write_text("failed: earlier\n")
    config = toy("burn_in_weeks=1", "policy_weeks=1")
    run_job(config, tmp_path, ["seed=0"])
    assert not (tmp_path / ERROR).exists() and (tmp_path / SUMMARY).exists()
    (tmp_path / ERROR).write_text("failed: earlier\n")  # and when the job is kept on resume
    run_job(config, tmp_path, ["seed=0"])
    assert not (tmp_path / ERROR).exists()


def test_a_job_with_a_truncated_series_runs_again(tmp_path):
    config = toy("burn_in_weeks=1", "policy_weeks=1")
    run_job(config, tmp_path, [])
    whole = (tmp_path / SERIES).read_bytes()
    (tmp_path / SERIES).write_bytes(whole[: len(whole) // 2])
    run_job(config, tmp_path, [])
    assert pd.read_parquet(tmp_path / SERIES).shape[0] == 2


# --- 5. no override names code ----------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["hydra.callbacks.sweep={_target_:faulthandler.dump_traceback}"],
    ["--multirun", "hydra.callbacks.sweep={_target_:faulthandler.dump_traceback}"],
    ["hydra.launcher._target_=os.system"],
    ["policy.name=[{_target_:os.system}]"],
    ["--multirun", "seed=1,2", "hydra.callbacks.x={a:{_target_:builtins.print}}"],
])
def test_an_override_naming_code_is_refused_before_hydra_composes(capsys, tmp_path, monkeypatch,
                                                                  args):
    monkeypatch.chdir(tmp_path)
    status, _, err = cli(capsys, *args)
    assert status == 2 and "cannot name code to run" in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_experimental_rerun_is_refused(capsys, tmp_path):
    (tmp_path / "config.pickle").write_bytes(b"\x80\x04N.")
    status, _, err = cli(capsys, "--experimental-rerun", str(tmp_path / "config.pickle"))
    assert status == 2 and err.startswith("error: --experimental-rerun: not supported")


def test_code_names_are_refused_only_in_keys_and_values():
    refuse_unsafe(["policy.name=my_target_policy", "policy.name='{_target_:x}'"])
    for bad in ("hydra.callbacks.x._target_=builtins.print", "++seed=3", "~seed", "+a=1",
                "x={_target_:os.system}"):
        with pytest.raises(ConfigError):
            refuse_unsafe([bad])


# --- 6. bounds: nothing valid hangs -----------------------------------------------------------


def test_every_number_has_an_upper_bound():
    for key, default, allowed, *_ in schema_rows():
        if isinstance(default, (int, float, dict)) and not isinstance(default, bool):
            assert allowed.startswith("["), key


@pytest.mark.parametrize("overrides,message", [
    (["policy.enforcement.nca_units=100000000"], "must be between 0 and 1000"),
    (["groups.span=100000000"], "must be between 1 and 1000"),
    (["burn_in_weeks=100000000"], "must be between 0 and 5200"),
    (["recruitment.rate=1e308"], "must be between 0 and 1000"),
    (["enforcement.operation_weeks=100000000000000000000"], "must be between 1 and 520"),
    (["seed=11111111111111111111111111"], "must be between 0 and 4294967295"),
    (["world.sources.east.groups=100000"], "must be between 0 and 10000"),
    (["world.sources.east.population=1000000000000"], "must be between 0 and 1000000000"),
    (["groups.controllers=50", "groups.span=1000", "policy_weeks=5200"], "victim-weeks"),
])
def test_sizes_that_would_hang_are_refused(capsys, tmp_path, overrides, message):
    """Refused with one line and exit status 2, on the command line (a key's range) or by the
    job (the run's size, which needs the whole config), and either way no folder is left."""
    folder = tmp_path / "run"
    status, _, err = cli(capsys, *QUICK, *overrides, f"hydra.run.dir={folder}")
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not folder.exists()


def test_the_work_estimate_names_what_to_shrink():
    cfg = toy("burn_in_weeks=5200", "policy_weeks=5200", "groups.span=1000",
              "groups.controllers=20")
    with pytest.raises(ConfigError, match=r"^world\.sources\.\*\.groups x groups\.controllers"):
        validate(cfg)


# --- 7. worlds that make sense; group options named as their files ----------------------------


@pytest.mark.parametrize("change,message", [
    (lambda w: w.sources.clear(), "world = 'toy': needs at least one source and one region"),
    (lambda w: w.regions.clear(), "world = 'toy': needs at least one source and one region"),
    (lambda w: w.sources["east"].exploitation.update(
        sexual=0.0, labour=0.0, domestic=0.0, criminal=0.0), "needs a positive weight"),
    (lambda w: setattr(w, "routes", [r for r in w.routes if r.origin != "east"]),
     "world.sources.east: no route to any UK region"),
    (lambda w: w.routes.append(Route("east", "atlantis", 1, 1.0)), "must name a place"),
])
def test_worlds_that_cannot_run_are_named(change, message):
    cfg = toy()
    change(cfg.world)
    with pytest.raises(ConfigError, match=message):
        validate(cfg)


@pytest.mark.parametrize("option", ["policy=border.yaml", "policy=[border]", "policy={name:x}",
                                    "world=toy\t", "world= toy", "policy=Border",
                                    "experiment=policy_comparison.yaml"])
def test_group_options_are_named_exactly_as_their_files(capsys, tmp_path, monkeypatch, option):
    monkeypatch.chdir(tmp_path)
    status, _, err = cli(capsys, *QUICK, option)
    group = option.split("=")[0]
    assert status == 2 and err.startswith(f"error: {group} = ") and err.count("\n") == 1
    assert "(the files of" in err and not list(tmp_path.iterdir())


# --- 8. corrupt or partial files are named ----------------------------------------------------


@pytest.fixture(scope="module")
def made_sweep(tmp_path_factory):
    """A sweep of two jobs, as a finished ``--multirun`` leaves it (made in-process)."""
    root = tmp_path_factory.mktemp("made") / "sweep"
    clock = time.time() - 1
    for support in ("1e6", "4e6"):
        job = root / f"policy.care.support_gbp={support}"
        config = toy("burn_in_weeks=2", "policy_weeks=2", f"policy.care.support_gbp={support}")
        (job / ".hydra").mkdir(parents=True)
        OmegaConf.save(OmegaConf.structured(config), job / ".hydra" / "config.yaml")
        run_job(config, job, [f"policy.care.support_gbp={support}"])
    finish_sweep(root, "now", clock, [])
    return root


@pytest.fixture
def finished_sweep(made_sweep, tmp_path):
    return Path(shutil.copytree(made_sweep, tmp_path / "sweep"))


CORRUPTIONS = {  # reproduce reads the jobs' files, analyse the table and the jobs' results
    "truncated runs.parquet": ("runs.parquet", lambda b: b[: len(b) // 2],
                               "runs.parquet: not a readable Parquet table"),
    "empty runs.parquet": ("runs.parquet", lambda b: b"", "runs.parquet: not a readable"),
    "foreign runs.parquet": ("runs.parquet", lambda b: foreign_parquet(),
                             "runs.parquet: not a sweep's table (no column job"),
    "truncated series": ("*/timeseries.parquet", lambda b: b[:100],
                         "timeseries.parquet: not a readable Parquet table"),
    "foreign series": ("*/timeseries.parquet", lambda b: foreign_parquet(),
                       "timeseries.parquet: not this model's table (no column week)"),
    "summary not JSON": ("*/summary.json", lambda b: b[:-10], "summary.json: not a JSON summary"),
    "summary lacks keys": ("*/summary.json", lambda b: b'{"metrics": {}}',
                           "summary.json: not a job's summary (lacks overrides"),
    "garbled config": ("*/.hydra/config.yaml", lambda b: b"world: [unclosed\n  - {",
                       "config.yaml: not a readable config"),
}


def foreign_parquet() -> bytes:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"foreign-{os.getpid()}.parquet"
    pd.DataFrame({"x": [1, 2]}).to_parquet(path)
    return path.read_bytes()


READS = {"analyse": ("runs.parquet", "*/timeseries.parquet", "*/summary.json"),
         "reproduce": ("*/timeseries.parquet", "*/summary.json", "*/.hydra/config.yaml")}


@pytest.mark.parametrize("command,corruption", [
    (command, c) for command in READS for c in CORRUPTIONS if CORRUPTIONS[c][0] in READS[command]])
def test_a_corrupt_file_is_named_in_one_line(capsys, finished_sweep, command, corruption):
    pattern, damage, message = CORRUPTIONS[corruption]
    path = sorted(finished_sweep.glob(pattern))[-1]
    path.write_bytes(damage(path.read_bytes()))
    before = tree(finished_sweep)
    status, out, err = cli(capsys, command, str(finished_sweep))
    assert status == 2, err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert str(path.parent if path.name != "runs.parquet" else finished_sweep) in err \
        or str(path.parent.parent) in err
    assert tree(finished_sweep) == before


@pytest.mark.parametrize("args,message", [
    (["analyse"], "usage: python -m sim analyse <sweep folder>"),
    (["analyse", "results/nope"], "results/nope: no such folder"),
    (["reproduce", "a", "b"], "usage: python -m sim reproduce"),
])
def test_subcommand_misuse_is_bad_input(capsys, args, message):
    status, _, err = cli(capsys, *args)
    assert status == 2 and message in err and err.count("\n") == 1


def test_an_internal_failure_is_one_line_and_a_log(capsys, finished_sweep, monkeypatch):
    import sim.analysis.report

    def broken(*_):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(sim.analysis.report.figures, "comparison", broken)
    status, _, err = cli(capsys, "analyse", str(finished_sweep))
    last = err.splitlines()[-1]
    assert status == 1 and "RuntimeError: figure failed" in last and "Traceback" not in err
    assert "Traceback" in (finished_sweep / "sim.log").read_text()


# --- 9. replications --------------------------------------------------------------------------


def test_replications_in_an_ad_hoc_sweep_sweeps_replication():
    args = ["--multirun", *QUICK, "policy=baseline,border", "replications=3"]
    assert precheck(args) == [*args, "replication=range(0,3)"]
    named = ["experiment=policy_comparison", "ensemble=none", "replications=3"]
    assert precheck(named) == named


@pytest.mark.parametrize("args,message", [
    (["--multirun", "replications=0"], "replications = 0: must be between 1 and 1000"),
    (["--multirun", "replications=-1"], "replications = -1: must be between 1 and 1000"),
    (["experiment=support_funding", "replications=0"], "replications = 0: must be between"),
    (["--multirun", "replications=ten"], "replications=ten: replications is one whole number"),
    (["--multirun", "replications=1,2"], "replications is one whole number"),
    (["--multirun", "replications=3", "replication=0,1"], "give one of them"),
])
def test_bad_replications_are_refused(args, message):
    with pytest.raises(ConfigError, match=message):
        precheck(args)


def test_one_replication_per_level_is_warned_about(capsys, finished_sweep, monkeypatch):
    import sim.analysis.report

    for name in ("comparison", "timeseries", "displacement", "enforcement", "cost_effectiveness"):
        monkeypatch.setattr(sim.analysis.report.figures, name, lambda *_: None)
    status, _, err = cli(capsys, "analyse", str(finished_sweep))
    assert status == 0 and err.startswith("warning: 1 replication of some level")


# --- 11. a fuzz of bad input ------------------------------------------------------------------


def bad_inputs(n: int, seed: int = 11) -> list[list[str]]:
    """``n`` bad command lines of every class, drawn with a fixed seed."""
    rnd = random.Random(seed)
    numeric = [(k, allowed) for k, d, allowed, *_ in schema_rows()
               if allowed.startswith("[") and not isinstance(d, dict)]
    groups = {"policy": "border", "world": "toy", "experiment": "support_funding"}

    def out_of_range() -> list[str]:
        key, allowed = rnd.choice(numeric)
        lo, hi = (float(x) for x in allowed.strip("[]").split(", "))
        value = rnd.choice([lo - 1, hi * 10 + 1, "nan", "inf", "-inf", "1e400", -(10**30)])
        return [f"{key}={value}"]

    def bad_group() -> list[str]:
        group, option = rnd.choice(list(groups.items()))
        bent = rnd.choice([f"{option}.yaml", f"[{option}]", f"{{name:{option}}}",
                           f"{option}\t", f" {option}", option.upper(), f"{option}/x",
                           "../" + option, "null", ""])
        return [f"{group}={bent}"]

    def code() -> list[str]:
        key = rnd.choice(["hydra.callbacks.sweep", "hydra.launcher", "policy", "seed",
                          "hydra.sweeper"])
        return [rnd.choice([f"{key}={{_target_:os.system}}", f"{key}._target_=os.system",
                            f"{key}=[{{_target_:x}}]", f"{key}={{a:{{_target_:x}}}}"])]

    def grammar() -> list[str]:
        return [rnd.choice(["seed=", "=3", "seed=[1,", "seed={", "policy.name='x", "a b=1",
                            "seed=1,,2", "seed==1", "seed=$", "seed=${oops"])]

    def keys() -> list[str]:
        return [rnd.choice(["+extra=1", "~seed", "++seed=3", "no_such_key=1", "policy.nope=1",
                            "seed@policy=1", "Seed=1", "policy@x=border"])]

    def flags() -> list[str]:
        return rnd.choice([["--experimental-rerun", "x.pickle"], ["--nope"], ["--cfg", "xx"],
                           ["-c"], ["--info", "zzz"]])

    def replications() -> list[str]:
        return ["--multirun", "seed=1,2", f"replications={rnd.choice(['0', '-1', 'ten', '1,2',
                                                                        '1e3', '100000'])}"]

    def multirun() -> list[str]:
        return ["--multirun", *rnd.choice([out_of_range, code, keys])(), "seed=1,2"]

    kinds = [out_of_range, bad_group, code, grammar, keys, flags, replications, multirun]
    return [[*QUICK[:1], *rnd.choice(kinds)()] for _ in range(n)]


def test_bad_input_of_every_kind_is_one_line_exit_2_and_writes_nothing(capsys, tmp_path,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = bad_inputs(300)
    for args in cases:
        status, out, err = cli(capsys, *args, f"hydra.run.dir={tmp_path / 'run'}",
                               f"hydra.sweep.dir={tmp_path / 'sweep'}")
        assert status == 2, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1, (args, err)
        assert "Traceback" not in err and not out, args
        assert not list(tmp_path.iterdir()), args
    assert len({tuple(a) for a in cases}) > 100


# --- 4. a failure in gathering fails the sweep ------------------------------------------------


def test_a_failure_in_gathering_fails_the_sweep_in_one_line(capsys, tmp_path, monkeypatch):
    import sim.sweep

    def broken(*_):
        raise OverflowError("int too big to convert")

    monkeypatch.setattr(sim.sweep, "finish_sweep", broken)
    sweep = sim.sweep.SweepCallback(progress=False)
    sweep.root, sweep.started, sweep.clock, sweep.total = tmp_path, "now", time.time(), 2
    with pytest.raises(SystemExit) as done:
        sweep.on_multirun_end(OmegaConf.create({}))
    err = capsys.readouterr().err
    assert done.value.code == 1 and err.count("\n") == 1
    assert err.startswith("error: gathering the sweep failed (OverflowError: int too big")
    assert "Traceback" in (tmp_path / "sim.log").read_text()


def test_the_command_line_is_read_with_hydras_own_flags():
    from hydra._internal.utils import get_args_parser  # a drift guard: Hydra's own parser

    from sim.cli import args_parser

    def flags(parser):
        return {(a.dest, tuple(sorted(a.option_strings)), a.nargs, tuple(a.choices or ()),
                 type(a).__name__) for a in parser._actions}

    assert flags(args_parser()) == flags(get_args_parser())


def test_a_run_whose_population_explodes_stops_and_keeps_its_weeks(capsys, tmp_path):
    status, _, err = cli(capsys, *QUICK, "policy_weeks=60", "max_victims=1200",
                         f"hydra.run.dir={tmp_path / 'run'}")
    assert status == 1 and "the population exploded" in err.splitlines()[-1]
    weeks = pd.read_parquet(tmp_path / "run" / "timeseries.parquet")
    assert 0 < len(weeks) < 62 and not (tmp_path / "run" / "summary.json").exists()


def test_help_is_hydras_own_help_without_composing(monkeypatch, capsys):
    """``--help`` is answered without Hydra (which composes the config and copies its store
    for every group), and says exactly what Hydra's help would."""
    from sim import cli

    assert run(["--help"]) == 0
    ours = capsys.readouterr().out
    cli.register_configs()
    monkeypatch.setattr(sys, "argv", ["sim", "--help"])
    with pytest.raises(SystemExit):
        cli.app()
    assert ours == capsys.readouterr().out
    for option in ("world: europe, toy, uk_2011", "strategy_2011", "policy_comparison"):
        assert option in ours


def test_a_ctrl_c_during_the_analysis_says_the_tables_are_complete(capsys, tmp_path,
                                                                    monkeypatch):
    import sim.analysis
    import sim.sweep

    def ctrl_c(_root):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.analysis, "analyse", ctrl_c)
    root = tmp_path / "sweep"
    status, _, err = cli(capsys, "--multirun", *QUICK, "policy=baseline,border",
                         "hydra/launcher=basic", f"hydra.sweep.dir={root}")
    assert status == 130
    assert (f"interrupted during the analysis: 2 of 2 jobs done, their tables complete in "
            f"{root}; the report: python -m sim analyse {root}") in err
    assert (root / "runs.parquet").exists() and (root / "manifest.json").exists()
    assert sim.sweep.active is None  # a later command in this process is not that sweep
