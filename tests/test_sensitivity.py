"""Global sensitivity analysis: the uncertainty set, designs run as sweeps, the indices
against known answers, and the verdicts on which conclusions hold."""

import json

import numpy as np
import pandas as pd
import pytest
from helpers import sim, toy

from sim.analysis.sensitivity import indices, verdict
from sim.config import ConfigError
from sim.sensitivity import sample
from sim.uncertainty import Factor, load, problem

DUD = "international.sharing_cost_gbp"  # a cost only: no policy here shares intelligence


def factors(*names: str) -> list[Factor]:
    return [Factor(n, "range", (n,), (0.0, 1.0), (), "test") for n in names]


def design_of(method: str, made: list[Factor], samples: int) -> dict:
    x = sample(method, made, samples, seed=1)
    return {"method": method, "seed": 1, "levels": 4, "problem": problem(made),
            "x": x.tolist(), "factors": [{"name": f.name, "levels": [], "bounds": [0, 1],
                                           "kind": "range"} for f in made]}


@pytest.mark.parametrize(("method", "samples", "index"), [("morris", 20, "mu_star"),
                                                          ("sobol", 256, "ST")])
def test_the_factor_that_drives_an_outcome_ranks_first_and_one_that_does_nothing_scores_zero(
        method, samples, index):
    made = factors("drives", "helps", "nothing")
    design = design_of(method, made, samples)
    x = np.array(design["x"])
    y = 10 * x[:, 0] + 2 * x[:, 1] + x[:, 0] * x[:, 1]
    table = indices(design, {("y", "baseline"): y}).set_index("parameter")[index]
    assert table.idxmax() == "drives"
    assert table["drives"] > 3 * table["helps"] > 0
    assert abs(table["nothing"]) < 0.02 * table["drives"]


def parts(x: np.ndarray) -> list:
    return [("s = a", x == 0), ("s = b", x == 1)]


def test_verdicts_say_whether_an_effect_holds_depends_or_reverses():
    rng = np.random.default_rng(0)
    which = np.repeat([0, 1], 40)
    base = np.full(80, 100.0)
    holds = 10 + rng.normal(0, 1, 80)
    assert verdict(holds, base, parts(which))["verdict"].startswith("holds: +10%")
    depends = np.where(which == 0, 20, 0) + rng.normal(0, 1, 80)
    assert verdict(depends, base, parts(which))["verdict"].startswith("+10%; depends on s = b")
    reverses = np.where(which == 0, 20, -5) + rng.normal(0, 1, 80)
    said = verdict(reverses, base, parts(which))["verdict"]
    assert said.startswith("+7%; reverses when s = b (-5%)")
    assert verdict(rng.normal(0, 1, 80), base, parts(which))["verdict"].startswith("no clear")


def test_the_default_uncertainty_set_covers_the_four_pillars_and_the_criminal_side():
    made, sobol = load("default", toy())
    names = {f.name for f in made}
    numeric = [f for f in made if not f.levels and f.name != "replication"]
    assert len(numeric) >= 15
    assert {"groups.recruitment", "routes.learning", "replication"} <= names
    assert set(sobol) <= names
    structural = {f.name: f.levels for f in made if f.levels}
    assert structural["groups.recruitment"][0] == "capacity"  # the default comes first
    assert set(structural["groups.recruitment"]) >= {"capacity", "demand", "unconstrained"}
    assert structural["routes.learning"] == ("learned", "static")
    assert all(f.why.strip() for f in made)


@pytest.mark.parametrize(("entry", "says"), [
    ({"nope.rate": {"range": [0, 1], "why": "x"}}, "nope.rate is not a parameter"),
    ({"care.uptake": {"range": [0, 2], "why": "x"}}, "care.uptake"),
    ({"care.uptake": {"range": [0.5, 0.2], "why": "x"}}, "lo < hi"),
    ({"care.uptake": {"range": [0.2, 0.5]}}, "say why"),
    ({"care.uptake": {"range": [0.2, 0.5], "levels": ["a"], "why": "x"}}, "one of range"),
    ({"groups.recruitment": {"levels": ["capacity", "hoarding"], "why": "x"}}, "hoarding"),
    ({"s": {"scale": [0.5, 2], "keys": ["world.entry_points.*.nope"], "why": "x"}},
     "not a parameter"),
    ({"s": {"scale": [0.5, 2], "why": "x"}}, "a scale needs keys"),
    ({"r": {"range": [0.2, 2.0], "keys": ["care.uptake"], "why": "x"}}, "care.uptake"),
    ({"groups.recruitment": {"levels": ["capacity"], "keys": ["x"], "why": "x"}}, "no keys"),
])
def test_a_bad_uncertainty_set_is_refused_naming_the_factor(tmp_path, entry, says):
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps({"factors": entry}))
    with pytest.raises(ConfigError, match=says):
        load(str(path), toy())


@pytest.mark.parametrize(("args", "says"), [
    (["method=fast"], "method = 'fast': one of morris, sobol"),
    (["method=sobol", "samples=12"], "power of 2"),
    (["method=morris", "samples=0"], "at least 1"),
    (["method=morris", "policies=nope"], "'nope' is not a policy"),
    (["method=morris", "policy=border"], "policy: set by the design"),
    (["method=morris", "recruitment.rate=3"], "the design varies recruitment.rate"),
    (["method=sobol", "parameters=care.nope"], "'care.nope' is not a factor"),
    (["method=morris", "uncertainty=nope"], "uncertainty = 'nope'"),
])
def test_bad_sensitivity_commands_are_one_line_and_exit_2(args, says, tmp_path):
    done = sim("sensitivity", *args, "world=toy", f"hydra.sweep.dir={tmp_path / 's'}",
               check=False)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_a_morris_design_runs_as_a_resumable_sweep_and_finds_the_known_answers(tmp_path):
    spec = tmp_path / "small.yaml"
    spec.write_text(json.dumps({"factors": {
        "recruitment.rate": {"range": [1.0, 4.0], "why": "test"},
        DUD: {"range": [5e5, 2e6], "why": "test: changes nothing but a cost"},
        "groups.recruitment": {"levels": ["capacity", "unconstrained"], "why": "test"},
        "replication": {"range": [0, 99], "why": "test"}}}))
    root = tmp_path / "gsa"
    args = ["sensitivity", "method=morris", "samples=3", f"uncertainty={spec}",
            "policies=victim_support", "world=toy", "burn_in_weeks=52", "policy_weeks=52",
            f"hydra.sweep.dir={root}"]
    done = sim(*args)
    design = json.loads((root / "design.json").read_text())
    assert len(design["points"]) == 3 * (4 + 1)
    runs = pd.read_parquet(root / "runs.parquet")
    assert len(runs) == 2 * len(design["points"])
    assert sorted(runs["policy"].unique()) == ["baseline", "victim_support"]
    table = pd.read_csv(root / "sensitivity.csv")
    assert {"parameter", "outcome", "scenario", "mu_star", "mu_star_conf", "sigma"} <= set(table)
    level = table[table.scenario == "baseline"]
    assert (level[level.parameter == DUD].mu_star == 0).all()  # does nothing: exactly zero
    recruited = level[level.outcome == "recruited_per_year"].set_index("parameter").mu_star
    assert recruited.idxmax() in ("recruitment.rate", "groups.recruitment")
    assert recruited["recruitment.rate"] > 3 * recruited["replication"]  # noise
    report = (root / "report.md").read_text()
    assert "## Which conclusions hold" in report and "victim_support" in report
    assert (root / "figures" / "morris_recruited_per_year.png").exists()
    assert len(pd.read_csv(root / "robustness.csv")) == 6
    again = sim(*args)
    assert f"{len(runs)} kept" in again.stdout + again.stderr
    assert pd.read_csv(root / "sensitivity.csv").equals(table)
    del done
