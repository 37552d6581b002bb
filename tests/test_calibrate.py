"""Calibration (python -m sim calibrate): the distance, ABC-SMC run as sweeps and resumed, a
synthetic truth recovered on the toy world, and bad input refused with one line."""

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, sim
from omegaconf import OmegaConf

import sim.calibrate as cal
from sim.cli import run
from sim.settings import load_config
from sim.uncertainty import load, point_overrides

SPEC = """factors:
  identification:
    scale: [0.5, 2.0]
    keys: [exploitation.identification.*]
    why: "a test"
  care.adult_referral:
    range: [0.2, 0.9]
    why: "a test"
"""
TRUTH = {"identification": 1.4, "care.adult_referral": 0.7}  # neither the toy world's
TOY = ["world=toy", "burn_in_weeks=52"]


def targets(rows) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["year", "measure", "value", "low", "high"])
    return table.astype({"year": int, "value": float, "low": float, "high": float})


def test_the_distance_is_the_weighted_rms_of_log_ratios_zero_inside_a_range():
    wanted = targets([(1, "nrm_referrals", 100, np.nan, np.nan),
                      (1, "share_minors", 0.5, np.nan, np.nan),
                      (1, "prevalence", 1000, 900, 1200),
                      (1, "identified", 200, np.nan, np.nan)])
    simulated = {"nrm_referrals@1": 110, "share_minors@1": 0.4, "prevalence@1": 1000,
                 "identified@1": 100}
    expected = math.sqrt((math.log(1.1) ** 2 + math.log(0.8) ** 2 + 0
                          + 0.5 * math.log(0.5) ** 2) / 3.5)
    assert cal.distance(simulated, wanted) == pytest.approx(expected)
    assert cal.distance(simulated | {"prevalence@1": 1500}, wanted) > expected  # out of range
    assert cal.distance(simulated | {"share_minors@1": float("nan")}, wanted) == cal.FAILED
    assert cal.distance(simulated | {"nrm_referrals@1": 0}, wanted) == cal.FAILED


def fake_years(params: dict, replication: int, years=(1, 2, 3)) -> pd.DataFrame:
    """What a run would give: referrals and prevalence driven by the two factors, with noise
    from the run's replication."""
    rng = np.random.default_rng(replication)
    referral, ident = params["care.adult_referral"], params["identification"]
    prevalence = 2000 / ident * rng.lognormal(0, 0.03, len(years))
    referrals = 0.3 * referral * ident * prevalence * rng.lognormal(0, 0.03, len(years))
    return pd.DataFrame({"year": list(years), "nrm_referrals": referrals,
                         "prevalence": prevalence, "share_minors": 0.4})


class Killed(Exception):
    pass


def fake_runner(monkeypatch, calls: list, kill_at: str | None = None):
    def run(self, name, points, weeks=None):
        if name == kill_at:
            raise Killed
        calls.append(name)
        cal.log_round(self.root, {"round": name, "jobs": len(points), "complete": len(points),
                                  "seconds": 0})
        return {r: fake_years(p, r) for r, p in points.items()}

    monkeypatch.setattr(cal.Runner, "run", run)


@pytest.mark.slow  # an ABC-SMC fit, killed and resumed
def test_abc_smc_in_rounds_resumes_where_it_was_killed_and_gives_the_same_posterior(
        tmp_path, monkeypatch):
    """The two passes of each proposal, the rounds and the history database, with the sweeps
    replaced by a formula: a calibration killed in its third generation and run again with the
    same command ends where one never killed does."""
    spec = tmp_path / "toy.yaml"
    spec.write_text(SPEC)
    truth = fake_years(TRUTH, 10**6)
    data = tmp_path / "targets.csv"
    pd.DataFrame([{"year": y, "measure": m, "value": getattr(r, m)} for r in truth.itertuples()
                  for y in [r.year] for m in ("nrm_referrals", "prevalence")]).to_csv(data)
    args = [*TOY, f"uncertainty={spec}", f"targets={data}", "population=30", "generations=4",
            "predictive=0", "fit=1-2"]
    calls: list[str] = []
    fake_runner(monkeypatch, calls)
    assert cal.calibrate([*args, f"hydra.sweep.dir={tmp_path / 'whole'}"]) == 0
    whole = pd.read_parquet(tmp_path / "whole" / "posterior.parquet")
    killed = tmp_path / "killed"
    fake_runner(monkeypatch, [], kill_at="gen_02/round_00")
    with pytest.raises(Killed):
        cal.calibrate([*args, f"hydra.sweep.dir={killed}"])
    resumed: list[str] = []
    fake_runner(monkeypatch, resumed)
    assert cal.calibrate([*args, f"hydra.sweep.dir={killed}"]) == 0
    assert resumed[0] == "gen_02/round_00"  # generations 0 and 1 came from the database
    pd.testing.assert_frame_equal(pd.read_parquet(killed / "posterior.parquet"), whole)
    populations = pd.read_parquet(killed / "populations.parquet")
    assert list(populations["generation"]) == [0, 1, 2, 3]
    assert populations["epsilon"].is_monotonic_decreasing
    for f in load(str(spec), load_config(TOY))[0]:  # the truth inside, and learnt from data
        low, high = (cal.weighted_quantile(whole[f.name], whole["weight"], q)
                     for q in (0.05, 0.95))
        assert low < TRUTH[f.name] < high, (f.name, low, high)
        assert high - low < 0.5 * (f.bounds[1] - f.bounds[0]), (f.name, low, high)
    text = (killed / "toy_calibrated.yaml").read_text()
    assert text.startswith("# @package _global_") and str(killed / "posterior.parquet") in text
    named = OmegaConf.load(killed / "toy_calibrated.yaml").world.calibration  # ensemble=posterior
    assert named.posterior == str((killed / "posterior.parquet").resolve())
    assert named.uncertainty == str(spec.resolve()) and named.world == "toy"
    assert (killed / "report.md").exists()
    assert all((killed / "figures" / f"{n}.png").exists() for n in ("fit", "posterior", "pairs"))


@pytest.mark.slow
def test_a_synthetic_truth_on_the_toy_world_is_recovered_within_the_90_percent_interval(
        tmp_path):
    """Data simulated from known parameters (identification x1.4, adults referred 0.7:
    neither the toy world's) and fitted by the command as a user runs it; re-running it keeps
    every job."""
    spec = tmp_path / "toy.yaml"
    spec.write_text(SPEC)
    base = load_config(TOY)
    factors, _ = load(str(spec), base)
    truth = point_overrides(factors, [TRUTH[f.name] for f in factors], base)
    sim(*TOY, "policy_weeks=156", "replication=9999", *truth,
        f"hydra.run.dir={tmp_path / 'truth'}")
    years = pd.read_parquet(tmp_path / "truth" / "years.parquet")
    data = tmp_path / "targets.csv"
    pd.DataFrame([{"year": r.year, "measure": m, "value": getattr(r, m), "source": "synthetic"}
                  for r in years.itertuples()
                  for m in ("nrm_referrals", "identified", "prevalence")]).to_csv(data)
    folder = tmp_path / "fit"
    args = ["calibrate", *TOY, "policy_weeks=156", f"uncertainty={spec}", f"targets={data}",
            "population=10", "generations=3", "predictive=3", "fit=1-2",
            f"hydra.sweep.dir={folder}"]
    sim(*args)
    posterior = pd.read_parquet(folder / "posterior.parquet")
    assert len(posterior) == 10 and posterior["weight"].sum() == pytest.approx(1)
    for f in factors:
        low, high = (cal.weighted_quantile(posterior[f.name], posterior["weight"], q)
                     for q in (0.05, 0.95))
        print(f"{f.name}: truth {TRUTH[f.name]}, posterior 90% interval [{low:.3g}, {high:.3g}]")
        assert low < TRUTH[f.name] < high, (f.name, low, high)
        assert high - low < 0.7 * (f.bounds[1] - f.bounds[0]), (f.name, low, high)  # learnt
    fit = pd.read_csv(folder / "fit.csv")
    assert set(fit["sample"]) == {"in", "out"}  # year 3 predicted, not fitted
    again = sim(*args)
    assert "0 to run" in again.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "posterior.parquet"), posterior)


def toy_files(folder) -> list[str]:
    """The options of a toy calibration: its uncertainty set and targets."""
    (folder / "toy.yaml").write_text(SPEC)
    (folder / "targets.csv").write_text("year,measure,value\n1,nrm_referrals,400\n")
    return [f"uncertainty={folder / 'toy.yaml'}", f"targets={folder / 'targets.csv'}"]


@pytest.mark.parametrize("args,says", [
    (["population=1"], "population = '1': a whole number of at least 2"),
    (["generations=x"], "generations = 'x': a whole number of at least 1"),
    (["fit=3-9"], "fit = '3-9': FIRST-LAST, years of the run (1-5)"),
    (["uncertainty=nope"], "uncertainty = 'nope': one of"),
    (["targets=/no/such.csv"], "targets = '/no/such.csv': no such file"),
    (["fit=5-5"], "fit = 5-5: no figure of the targets file"),
    (["replication=3"], "replication: set by the calibration"),
    (["sweep=x"], "sweep: set by the calibration"),
    (["recruitment.rate=3", "uncertainty=hindcast", "world=uk_2012_2024"],
     "recruitment.rate=3: the calibration fits recruitment.rate"),
    (["--fast"], "--fast: not an option of calibrate"),
    (["recruitment.rate=-1"], "recruitment.rate"),
    (["world=atlantis"], "world = 'atlantis': one of"),
])
def test_bad_calibrations_are_one_line_and_exit_2(args, says, tmp_path, capsys):
    folder = tmp_path / "c"
    given = {a.split("=", 1)[0] for a in args}
    world = [] if "world" in given else ["world=toy"]
    world += [a for a in toy_files(tmp_path) if a.split("=", 1)[0] not in given
              and "world" not in given]
    status = run(["calibrate", *world, *args, f"hydra.sweep.dir={folder}"])
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert err.startswith("error: ") and says in err, err
    assert "\n" not in err
    assert not folder.exists()


def test_a_folder_of_another_calibration_is_refused(tmp_path, capsys):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / cal.SETTINGS).write_text(json.dumps({"fit": {"population": 99}}))
    files = toy_files(tmp_path)
    status = run(["calibrate", "world=toy", *files, "population=4", f"hydra.sweep.dir={folder}"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and "holds a calibration with other settings (" in err, err
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x").write_text("")
    status = run(["calibrate", "world=toy", *files, f"hydra.sweep.dir={tmp_path / 'other'}"])
    assert status == 2 and "not a calibration's folder" in capsys.readouterr().err


def test_the_hindcast_uncertainty_set_sizes_its_events_by_id():
    base = load_config(["world=uk_2012_2024"])
    factors, _ = load("hindcast", base)
    assert len(factors) == 8 and all(f.why.strip() for f in factors)
    keys = {k for f in factors for k in f.keys}
    assert "world.events.modern_slavery_act.value" in keys
    assert {f.name for f in factors} >= {"identification", "recruitment.rate", "county_lines",
                                         "foreign_supply", "modern_slavery_act"}
    overrides = point_overrides(factors, [f.bounds[0] for f in factors], base)
    cfg = load_config(["world=uk_2012_2024", *overrides])
    assert cfg.world.events["county_lines"].value == 10
    assert cfg.world.events["albania"].value == pytest.approx(6)  # x12 scaled by 0.5


def test_the_calibrated_world_file_composes_and_names_its_posterior():
    path = ROOT / "configs" / "world" / "uk_2012_2024_calibrated.yaml"
    if not path.exists():
        pytest.skip("no calibrated world committed yet")
    text = path.read_text()
    assert "posterior.parquet" in text
    cfg = load_config(["world=uk_2012_2024_calibrated"])
    assert cfg.world.name == "uk_2012_2024_calibrated" and cfg.world.start_year == 2012
    assert len(cfg.world.events) == len(load_config(["world=uk_2012_2024"]).world.events)


def test_the_command_is_listed_in_help():
    done = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True,
                          text=True, cwd=ROOT)
    assert "python -m sim calibrate" in done.stdout
