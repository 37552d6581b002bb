"""ensemble=posterior: a sweep's replication k at draw k of the world's posterior, the same in
every scenario; the chance of beating the reference; bad input; a small sweep end to end."""

import json

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, sim
from hydra.core.override_parser.overrides_parser import OverridesParser

from sim.analysis.report import comparison_table
from sim.analysis.stats import chance_better
from sim.analysis.sweep import Sweep
from sim.cli import precheck, run
from sim.ensemble import draws, posterior_file
from sim.settings import load_config, register_configs

# a tiny posterior of the toy world: four particles of two factors
UNCERTAINTY = {"factors": {
    "recruitment.rate": {"range": [1.0, 3.0], "why": "test"},
    "identification": {"scale": [0.5, 2.0], "keys": ["exploitation.identification.*"],
                       "why": "test"}}}
PARTICLES = {"recruitment.rate": [1.5, 2.5, 2.0, 1.2], "identification": [0.8, 1.2, 1.0, 1.6],
             "weight": [0.1, 0.4, 0.3, 0.2]}


def toy_posterior(tmp_path, table: dict | None = None) -> list[str]:
    """The overrides that give the toy world a posterior (as a calibrated world names its)."""
    spec = tmp_path / "unc.yaml"
    spec.write_text(json.dumps(UNCERTAINTY))
    path = tmp_path / "posterior.parquet"
    pd.DataFrame(PARTICLES if table is None else table).to_parquet(path)
    return ["world=toy", f"world.calibration.posterior={path}",
            f"world.calibration.uncertainty={spec}", "world.calibration.world=toy"]


def design_of(tmp_path, *args: str, folder: str = "s") -> dict:
    register_configs()
    precheck(["--multirun", *toy_posterior(tmp_path), "ensemble=posterior", *args,
              f"hydra.sweep.dir={tmp_path / folder}"])
    return json.loads((tmp_path / folder / "design.json").read_text())


def test_draws_follow_the_seed_and_do_not_depend_on_how_many_are_drawn():
    weights = np.full(50, 1 / 50)
    first = draws(weights, 20, seed=3)
    assert first == draws(weights, 20, seed=3)
    assert draws(weights, 8, seed=3) == first[:8]  # more replications keep the earlier draws
    assert first != draws(weights, 20, seed=4)
    assert len(set(first)) > 10  # replications draw different particles
    heavy = draws([0.0, 0.0, 1.0], 10, seed=0)
    assert heavy == [2] * 10  # by weight: a particle of weight zero is never drawn


def test_replication_k_runs_at_draw_k_in_every_scenario(tmp_path):
    design = design_of(tmp_path, "policy=baseline,border", "replications=6")
    assert design["kind"] == "ensemble" and design["replications"] == 6
    from hydra_plugins.sim_sweeper.sweeper import Sweeper  # after Hydra has found its plugins

    sweeper = Sweeper(design=str(tmp_path / "s" / "design.json"))
    parsed = OverridesParser.create().parse_overrides(
        ["policy=baseline,border", "replication=range(0,10)", "world=toy"])
    jobs = [job for batch in sweeper.split_arguments(parsed, None) for job in batch]
    assert len(jobs) == 2 * 6  # the sweep's own replication=range(0,10) gives way to the design
    by_replication: dict[str, dict[str, tuple]] = {}
    for job in jobs:
        given = dict(o.split("=", 1) for o in job)
        params = tuple(o for o in job if o.startswith(("recruitment.", "exploitation.")))
        by_replication.setdefault(given["replication"], {})[given["policy"]] = params
    assert sorted(by_replication, key=int) == [str(k) for k in range(6)]
    for params in by_replication.values():  # the same draw in both scenarios
        assert params["baseline"] == params["border"] and len(params["baseline"]) == 5
    drawn = {params["baseline"] for params in by_replication.values()}
    assert len(drawn) > 1  # and other draws in other replications
    table = pd.read_parquet(tmp_path / "s" / "design.parquet")
    k = int(np.flatnonzero(table["particle"] == 1)[0])  # a replication at particle 1
    assert f"recruitment.rate={PARTICLES['recruitment.rate'][1]!r}" in by_replication[str(k)][
        "border"]
    sexual = load_config(["world=toy"]).exploitation.identification["sexual"]
    wanted = f"exploitation.identification.sexual={float(f'{sexual * 1.2:.6g}')!r}"
    assert wanted in by_replication[str(k)]["border"]  # a scale of the fitted world's value


def test_the_progress_bar_counts_an_ensembles_jobs_once_per_replication(tmp_path):
    from omegaconf import OmegaConf

    from sim.sweep import count_jobs

    design_of(tmp_path, "replications=4")
    config = OmegaConf.create({"hydra": {
        "sweeper": {"params": {"policy": "baseline,border,prevention",
                               "replication": "range(0,10)"},
                    "design": str(tmp_path / "s" / "design.json")},
        "overrides": {"task": ["world=toy"]}}})
    assert count_jobs(config) == 3 * 4


def test_the_same_seed_gives_the_same_design_and_another_seed_another(tmp_path):
    one = design_of(tmp_path, "replications=12", folder="a")
    assert design_of(tmp_path, "replications=12", folder="b")["points"] == one["points"]
    other = design_of(tmp_path, "replications=12", "seed=5", folder="c")
    assert other["particles"] != one["particles"]


def test_the_committed_calibrated_world_names_a_posterior_that_exists():
    cfg = load_config(["world=uk_2012_2024_calibrated"])
    assert cfg.world.calibration.uncertainty == "hindcast"
    assert cfg.world.calibration.world == "uk_2012_2024"
    assert posterior_file(cfg) == ROOT / "docs" / "calibration" / "uk_2012_2024" / \
        "posterior.parquet"
    assert posterior_file(cfg).is_file()


def test_the_chance_of_beating_counts_paired_replications_in_the_good_direction():
    ref, now = [10, 20, 30, 40, np.nan], [12, 20, 25, 45, 50]
    assert chance_better(ref, now, +1) == 0.5  # 2 of 4 pairs higher; the tie is not better
    assert chance_better(ref, now, -1) == 0.25  # 1 of 4 lower
    assert np.isnan(chance_better(ref, now, 0))
    runs = pd.DataFrame({
        "job": [f"j{i}" for i in range(8)], "replication": [0, 1, 2, 3] * 2,
        "policy_weeks": 52, "scenario": ["baseline"] * 4 + ["border"] * 4,
        "identified_per_year": [10, 20, 30, 40, 11, 21, 31, 39],
        "exploitation_weeks_per_year": [100, 100, 100, 100, 90, 110, 120, 130]})
    sweep = Sweep(ROOT, runs, "policy", False, ["baseline", "border"], "baseline")
    table = comparison_table(sweep, ["identified_per_year", "exploitation_weeks_per_year"])
    found = table.set_index("outcome")["p_better"]
    assert found["identified_per_year"] == 0.75  # more is better: 3 of 4
    assert found["exploitation_weeks_per_year"] == 0.25  # less is better: 1 of 4


@pytest.mark.parametrize(("args", "says"), [
    (["--multirun", "world=toy", "ensemble=posterior"], "world toy names no posterior"),
    (["--multirun", "ensemble=prior"], "ensemble = 'prior': one of none, posterior"),
    (["ensemble=posterior", "world=uk_2012_2024_calibrated"], "add --multirun"),
    (["--multirun", "ensemble=posterior", "world=uk_2012_2024_calibrated",
      "world.calibration.posterior=nowhere/posterior.parquet"], "no such file"),
    (["--multirun", "ensemble=posterior,none"], "ensemble is one value"),
    (["--multirun", "ensemble=posterior", "world=uk_2012_2024_calibrated",
      "replication=range(0,3)"], "replication k is set with draw k"),
    (["--multirun", "ensemble=posterior", "world=uk_2012_2024_calibrated",
      "recruitment.rate=3"], "draws recruitment.rate from the posterior"),
    (["--multirun", "ensemble=posterior", "world=uk_2012_2024_calibrated",
      "seed=1,2"], "give one value of seed"),
    (["experiment=pillars_2012", "world=toy"], "world toy names no posterior"),
])
def test_bad_ensembles_are_one_line_and_exit_2(args, says, tmp_path, capsys):
    folder = tmp_path / "s"
    status = run([*args, f"hydra.sweep.dir={folder}"])
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert err.startswith("error: ") and says in err and "\n" not in err, err
    assert not folder.exists()


@pytest.mark.parametrize(("table", "says"), [
    ("garbage", "not a readable parquet file"),
    ({"recruitment.rate": [1.0], "weight": [1.0]}, "no column 'identification'"),
    ({**{k: v[:2] for k, v in PARTICLES.items()}, "weight": [0.0, 0.0]}, "not all zero"),
    ({**{k: v[:2] for k, v in PARTICLES.items()}, "weight": [1.0, np.nan]}, "finite values"),
])
def test_a_corrupt_posterior_is_refused_naming_the_file(table, says, tmp_path, capsys):
    overrides = toy_posterior(tmp_path, None if table == "garbage" else table)
    if table == "garbage":
        (tmp_path / "posterior.parquet").write_text("not parquet")
    status = run(["--multirun", *overrides, "ensemble=posterior", "replications=2",
                  f"hydra.sweep.dir={tmp_path / 's'}"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and says in err and "posterior.parquet" in err and "\n" not in err, err
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_an_ensemble_sweep_runs_pairs_and_reports_parameter_uncertainty(tmp_path):
    root = tmp_path / "e"
    args = ["--multirun", *toy_posterior(tmp_path), "policy=baseline,victim_support",
            "ensemble=posterior", "replications=3", "burn_in_weeks=52", "policy_weeks=52",
            f"hydra.sweep.dir={root}"]
    sim(*args)
    runs = pd.read_parquet(root / "runs.parquet")
    assert len(runs) == 6 and sorted(runs["replication"].unique()) == [0, 1, 2]
    design = pd.read_parquet(root / "design.parquet")
    for k, particle in zip(design["replication"], design["particle"], strict=True):
        rows = runs[runs["replication"] == k]
        assert (rows["recruitment.rate"] == PARTICLES["recruitment.rate"][particle]).all()
    report = (root / "report.md").read_text()
    assert "varied: `policy` over 2 levels" in report  # the drawn parameters are no scenario
    assert "include parameter uncertainty as well as seed noise" in report
    assert "## Chance of beating the reference" in report
    assert not (root / "sensitivity.csv").exists()
    comparisons = pd.read_csv(root / "comparisons.csv")
    assert comparisons["p_better"].between(0, 1).all()
    job = root / runs["job"].iloc[0]
    assert "- replication=" in (job / ".hydra" / "overrides.yaml").read_text()
    again = sim("reproduce", str(job))
    assert "1 of 1 runs reproduce exactly" in again.stdout
