"""Statistics checked on synthetic data with known answers; the analysis of a real sweep."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import sim, toy

from sim.analysis.stats import cost_effect, frontier, holm, mean_ci, paired


def test_confidence_intervals_cover_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    hits = []
    for _ in range(4000):
        e = mean_ci(rng.normal(10, 3, size=10))
        hits.append(e.low <= 10 <= e.high)
    assert 0.935 <= np.mean(hits) <= 0.965


def test_the_paired_test_detects_a_known_shift_and_not_a_null_one():
    rng = np.random.default_rng(2)
    detected, false_alarms = 0, 0
    for _ in range(400):
        common = rng.normal(100, 20, size=12)  # common random numbers: shared noise
        base = common + rng.normal(0, 1, 12)
        shifted = common + 2 + rng.normal(0, 1, 12)
        null = common + rng.normal(0, 1, 12)
        detected += paired(base, shifted).p_value < 0.05
        false_alarms += paired(base, null).p_value < 0.05
    assert detected / 400 > 0.9
    assert false_alarms / 400 < 0.08
    c = paired([1, 2, 3, 4], [3, 4, 5, 6])
    assert c.diff.mean == 2 and c.relative == pytest.approx(2 / 2.5)


def test_holm_adjusts_as_the_textbook_does():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.01, np.nan, 0.04]), [0.02, np.nan, 0.04])


def test_degenerate_samples_give_no_false_certainty():
    one = mean_ci([270.0])
    assert one.mean == 270 and np.isnan(one.low) and np.isnan(one.high)
    constant = paired([1.0, 2.0], [4.0, 5.0])  # the same shift twice: no spread to test
    assert constant.diff.mean == 3 and np.isnan(constant.p_value)
    assert np.isnan(constant.effect_size)
    with_nan = paired([1, 2, np.nan, 4, 5], [2, 3, 5, 6, 8])  # the NaN pair is dropped
    assert with_nan.diff.n == 4 and np.isfinite(with_nan.p_value)


def test_cost_per_unit_and_the_frontier():
    gain = mean_ci([90, 100, 110])
    ce = cost_effect(1000.0, gain)
    assert ce.cost_per_unit.mean == pytest.approx(10)
    assert ce.cost_per_unit.low < 10 < ce.cost_per_unit.high
    assert np.isnan(cost_effect(1000.0, mean_ci([-5, 0, 8])).cost_per_unit.low)
    assert frontier([1, 2, 3, 4], [5, 4, 9, 8]) == [0, 2]


@pytest.mark.slow
def test_analyse_turns_a_sweep_into_figures_tables_and_a_report(tmp_path):
    quick = ["world=toy", "burn_in_weeks=8", "policy_weeks=26"]
    done = sim("--multirun", *quick, "policy=baseline,enforcement", "replication=0,1,2",
               "hydra/launcher=basic", f"hydra.sweep.dir={tmp_path}")
    assert "report and figures" in done.stdout
    assert "#0 :" not in done.stdout + done.stderr  # the launcher's list of jobs is hidden
    for name in ("comparison", "timeseries", "displacement", "enforcement", "cost_effectiveness"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 10_000
        assert (tmp_path / "figures" / f"{name}.svg").exists()
        assert (tmp_path / "figures" / f"{name}.pdf").exists()
    report = (tmp_path / "report.md").read_text()
    assert report.index("## Answer") < report.index("## The sweep")
    assert "Reference: **Baseline (2011 status quo)**" in report
    assert "![comparison](figures/comparison.png)" in report
    comparisons = pd.read_csv(tmp_path / "comparisons.csv")
    assert set(comparisons["scenario"]) == {"enforcement"}
    costs = pd.read_csv(tmp_path / "cost_effectiveness.csv")
    assert (costs["extra_cost_gbp"] == 6e6).all()
    # re-running the analysis alone gives the same tables
    (tmp_path / "report.md").unlink()
    sim("analyse", str(tmp_path))
    assert (tmp_path / "report.md").exists()
    pd.testing.assert_frame_equal(comparisons, pd.read_csv(tmp_path / "comparisons.csv"))
    # any column of runs.parquet, alone on a page
    sim("analyse", str(tmp_path), "outcomes=traffickers_arrested_per_year",
        "panel=traffickers_arrested_per_year")
    arrests = pd.read_csv(tmp_path / "comparisons.csv").set_index("outcome").loc[
        "traffickers_arrested_per_year"]
    assert arrests["difference"] > 0
    assert (tmp_path / "figures" / "traffickers_arrested_per_year.pdf").stat().st_size > 5_000


def test_a_numeric_sweep_is_read_as_levels_against_the_status_quo(tmp_path):
    from sim.analysis.sweep import Sweep
    rows = [{"job": f"j{lv}-{k}", "policy.care.support_gbp": lv, "replication": k, "seed": 0,
             "run_seed": k, "new_victims_cost_gbp_per_year": 1.0, "policy_weeks": 52,
             "annual_cost_gbp": lv}
            for lv in (0.0, 2e6, 6e6) for k in range(3)]
    pd.DataFrame(rows).to_parquet(tmp_path / "runs.parquet")
    for row in rows:
        (tmp_path / row["job"]).mkdir()
        overrides = [f"policy.care.support_gbp={row['policy.care.support_gbp']}",
                     f"replication={row['replication']}"]
        (tmp_path / row["job"] / "summary.json").write_text(json.dumps({"overrides": overrides}))
    sweep = Sweep.load(tmp_path)
    assert sweep.factor == "policy.care.support_gbp" and sweep.numeric
    assert sweep.levels == [0.0, 2e6, 6e6] and sweep.reference == 2e6
    assert sweep.paired_replications()


@pytest.mark.slow
def test_analyse_names_a_folder_that_is_not_a_sweep(tmp_path):
    done = sim("analyse", str(tmp_path), check=False)
    assert done.returncode == 2 and "no runs.parquet" in done.stderr
    assert "Traceback" not in done.stderr


FRESH = """
import matplotlib
backend, before = matplotlib.get_backend(), dict(matplotlib.rcParams)
from sim.analysis import figures
assert figures.styled(lambda: matplotlib.rcParams["axes.spines.top"])() is False
assert dict(matplotlib.rcParams) == before, "rcParams changed"
assert matplotlib.get_backend() == backend, "backend changed"
"""


@pytest.mark.slow
def test_the_figures_leave_matplotlibs_global_state_alone():
    done = subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "svg"})
    assert done.returncode == 0, done.stderr[-500:]


def test_two_mechanisms_are_read_side_by_side(tmp_path):
    from sim.analysis.mechanisms import table

    def write(folder, rows):
        folder.mkdir()
        pd.DataFrame(rows, columns=["scenario", "outcome", "difference", "ci_low", "ci_high",
                                    "relative"]).to_csv(folder / "comparisons.csv", index=False)

    write(tmp_path / "a", [("support", "recruited_per_year", 10, 5, 15, 0.1),
                           ("support", "retrafficked_per_year", -10, -15, -5, -0.1),
                           ("support", "identified_per_year", 10, 5, 15, 0.1)])
    write(tmp_path / "b", [("support", "recruited_per_year", -10, -15, -5, -0.1),
                           ("support", "retrafficked_per_year", -20, -30, -10, -0.2),
                           ("support", "identified_per_year", 1, -5, 7, 0.01)])
    rows = {line.split(" | ")[1]: line for line in table(tmp_path / "a", tmp_path / "b")
            .splitlines()[2:]}
    assert rows["Newly recruited"].endswith("| reverses |")
    assert rows["Re-trafficked"].endswith("| holds |")
    assert "-20% [-30%, -10%]" in rows["Re-trafficked"]
    assert rows["Victims identified"].endswith("no change | depends on the mechanism |")


# --- analysis options, the answer, labels and colours (synthetic sweeps with known effects) ---


def synthetic_sweep(root, levels=(0.0, 2e6, 4e6, 8e6), n=10, saved=None, seed=3):
    """A numeric sweep of victim-support funding with known paired effects, as runs.parquet
    and job summaries: re-trafficking is 60 a year higher at GBP 0 and 55 lower at GBP 4m and
    at GBP 8m than at GBP 2m (so doubling helps and quadrupling adds nothing); exploitation
    does not change (nor does ``undirected_metric``, a column of no known direction);
    replication k shares its noise across levels (common random numbers)."""
    rng = np.random.default_rng(seed)
    effect = {0.0: 60.0, 1e6: 30.0, 2e6: 0.0, 4e6: -55.0, 8e6: -55.0}
    common = rng.normal(1000, 40, n)
    rows = []
    for lv in levels:
        for k in range(n):
            rows.append({"job": f"j{lv:g}-{k}", "policy.care.support_gbp": lv, "replication": k,
                         "seed": 0, "run_seed": k, "weeks": 520, "policy_weeks": 260,
                         "world_name": "toy",
                         "retrafficked_per_year": common[k] + effect[lv] + rng.normal(0, 5),
                         "exploitation_weeks_per_year": 40 * common[k] + rng.normal(0, 300),
                         # a small gain at GBP 4m that is not significant: +1, -0.5, ...
                         "identified_per_year": common[k] / 2 + (
                             0.25 + 0.75 * (-1) ** k if lv == 4e6 else 0.0),
                         "undirected_metric": common[k] / 100,  # the same at every level
                         "annual_cost_gbp": 10e6 + lv})
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(root / "runs.parquet")
    for row in rows:
        (root / row["job"]).mkdir()
        overrides = [f"policy.care.support_gbp={row['policy.care.support_gbp']}",
                     f"replication={row['replication']}"]
        (root / row["job"] / "summary.json").write_text(json.dumps({"overrides": overrides}))
    if saved is not None:
        from omegaconf import OmegaConf
        OmegaConf.save(OmegaConf.create({"analysis": saved}), root / "multirun.yaml")
    return root


OPTIONS = {"outcomes": "retrafficked_per_year,exploitation_weeks_per_year",
           "gains": "retrafficked_per_year,exploitation_weeks_per_year,identified_per_year"}


def test_the_report_opens_with_the_significant_differences_in_words(tmp_path):
    import re

    from sim.analysis import analyse
    root = synthetic_sweep(tmp_path / "s")
    report = analyse(root, OPTIONS).read_text()
    answer = report[report.index("## Answer"):report.index("## The sweep")]
    rows = {line.split(" | ")[0].strip("| *"): line for line in answer.splitlines()
            if line.startswith("| **")}
    doubled = re.search(r"averts ([\d.]+) \[([\d.]+), ([\d.]+)\] re-traffickings a year, "
                        r"at GBP ([\d.]+)k",
                        rows["GBP 4m** (2x)"])
    assert doubled, rows["GBP 4m** (2x)"]
    mean, low, high, cost = (float(g) for g in doubled.groups())
    assert low < 55 < high and 45 < mean < 65 and low < mean < high
    assert abs(cost - 2e6 / mean / 1e3) < 0.1  # GBP 2m a year more over the re-traffickings
    assert "beyond GBP 4m it adds nothing significant" in rows["GBP 8m** (4x)"]
    assert rows["GBP 4m** (2x)"].endswith("| exploitation, victims identified |")  # no change
    assert "adds 6" in rows["GBP 0"] and "GBP 2m a year less" in rows["GBP 0"]
    costs = pd.read_csv(root / "cost_effectiveness.csv").set_index(["scenario", "gain"])
    quadruple = costs.loc[(8e6, "retrafficked_per_year")]
    assert quadruple["significant"] and quadruple["cost_per_unit_gbp"] == pytest.approx(
        6e6 / quadruple["gain_mean"])
    for gain in ("exploitation_weeks_per_year", "identified_per_year"):
        none = costs.loc[(4e6, gain)]
        assert not none["significant"] and np.isnan(none["cost_per_unit_gbp"])
        assert none["reading"] == "no significant gain"
    assert costs.loc[(4e6, "identified_per_year"), "gain_mean"] == pytest.approx(0.25)
    assert set(pd.read_csv(root / "comparisons.csv")["outcome"]) == {
        "retrafficked_per_year", "exploitation_weeks_per_year", "identified_per_year"}
    increments = pd.read_csv(root / "increments.csv")
    assert set(zip(increments["scenario"], increments["against"], strict=True)) == {(8e6, 4e6)}


def test_outcomes_reference_gains_and_panels_are_chosen(tmp_path):
    from sim.analysis import analyse
    root = synthetic_sweep(tmp_path / "s")
    analyse(root, {**OPTIONS, "reference": "4m", "panel": "retrafficked_per_year"})
    comparisons = pd.read_csv(root / "comparisons.csv")
    assert set(comparisons["scenario"]) == {0.0, 2e6, 8e6}
    for fmt in ("png", "svg", "pdf"):
        assert (root / "figures" / f"comparison.{fmt}").stat().st_size > 5_000
        assert (root / "figures" / f"retrafficked_per_year.{fmt}").stat().st_size > 5_000
    assert "GBP 4m" in (root / "report.md").read_text().split("## Answer")[1].splitlines()[2]


def test_a_sweeps_saved_settings_are_its_defaults_and_the_command_line_wins(tmp_path, capsys):
    from sim.analysis import analyse
    saved = {"outcomes": ["identified_per_year", "crossings_dover_per_year"],
             "reference": "8e6", "gains": ["exploitation_weeks_per_year"]}
    root = synthetic_sweep(tmp_path / "s", saved=saved)
    analyse(root)
    assert "crossings_dover_per_year not in this sweep" in capsys.readouterr().err
    comparisons = pd.read_csv(root / "comparisons.csv")
    assert set(comparisons["scenario"]) == {0.0, 2e6, 4e6}
    assert set(comparisons["outcome"]) == {"identified_per_year", "exploitation_weeks_per_year"}
    (root / "multirun.yaml").write_text((root / "multirun.yaml").read_text().replace(
        "8e6", "3e6"))  # the experiment's reference, not among the levels given: a warning
    analyse(root)
    assert "warning: analysis.reference = 3e6: not a level" in capsys.readouterr().err
    assert 2e6 not in set(pd.read_csv(root / "comparisons.csv")["scenario"])  # the default
    analyse(root, {"reference": "2e6", "outcomes": "retrafficked_per_year"})
    comparisons = pd.read_csv(root / "comparisons.csv")
    assert 2e6 not in set(comparisons["scenario"])
    assert set(comparisons["outcome"]) == {"retrafficked_per_year", "exploitation_weeks_per_year"}
    costs = pd.read_csv(root / "cost_effectiveness.csv")
    assert set(costs["gain"]) == {"exploitation_weeks_per_year"}


@pytest.mark.parametrize("option,message", [
    ("outcomes=nope", "outcomes = nope: not a numeric column of"),
    ("outcomes=retrafficked_per_yr", "(did you mean retrafficked_per_year?)"),
    ("reference=3e6", "reference = 3e6: not a level of policy.care.support_gbp; one of: 0, 2m"),
    ("gains=nope", "gains = nope: not a numeric column"),
    ("gains=undirected_metric", "say whether a rise or a fall of undirected_metric is the gain"),
    ("panel=job", "panel = job: not a numeric column"),
    ("colour=red", "colour=red: not an option of analyse; give any of outcomes=, reference="),
    ("outcomes=", "outcomes=: give at least one column"),
])
def test_bad_analysis_options_are_one_line_exit_2(tmp_path, capsys, option, message):
    from sim.cli import run
    root = synthetic_sweep(tmp_path / "s")
    status = run(["analyse", str(root), option])
    out, err = capsys.readouterr()
    assert status == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err, err
    if "column" in message and "at least" not in message:
        assert "retrafficked_per_year" in err and "annual_cost_gbp" in err  # what is allowed
    assert not (root / "report.md").exists() and not (root / "figures").exists()


def test_gains_of_any_column_with_a_direction(tmp_path):
    from sim.analysis import analyse
    root = synthetic_sweep(tmp_path / "s")
    analyse(root, {"outcomes": "retrafficked_per_year", "gains": "-undirected_metric"})
    costs = pd.read_csv(root / "cost_effectiveness.csv")
    assert set(costs["gain"]) == {"undirected_metric"} and not costs["significant"].any()


def test_scenario_colours_are_the_same_in_every_sweep(tmp_path):
    from sim.analysis.labels import colour, level_label
    from sim.analysis.sweep import Sweep
    a = Sweep.load(synthetic_sweep(tmp_path / "a"))
    b = Sweep.load(synthetic_sweep(tmp_path / "b", levels=(2e6, 4e6)))
    assert a.colour(4e6) == b.colour(4e6) and a.colour(2e6) == b.colour(2e6)
    assert len({a.colour(lv) for lv in a.levels}) == len(a.levels)
    assert colour("policy", "victim_support") == colour("policy", "budget_care") != colour(
        "policy", "baseline")
    assert colour("policy", "some_new_policy") == colour("policy", "some_new_policy")
    assert level_label("policy.care.support_gbp", 4e6) == "GBP 4m"
    assert level_label("policy", "victim_support") == "Victim support + training"


def test_a_single_run_prints_its_headline_numbers(capsys, tmp_path):
    from sim.cli import run
    status = run(["world=toy", "burn_in_weeks=2", "policy_weeks=4",
                  f"hydra.run.dir={tmp_path / 'run'}"])
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("over the policy period (4 weeks), a year:")
    lines = out.splitlines()
    assert lines[0].startswith("over the policy period") and lines[-1].startswith("results: ")
    assert any(line.split()[0] == "Exploitation" and "victim-weeks" in line for line in lines)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())["metrics"]
    shown = next(line for line in lines if line.strip().startswith("Re-trafficked"))
    assert f"{summary['retrafficked_per_year']:,.0f}" in shown


def test_analysis_settings_neither_rerun_jobs_nor_sweep():
    from dataclasses import replace

    from sim.cli import precheck
    from sim.config import Analysis
    from sim.runs import fingerprint
    cfg = toy()
    assert fingerprint(cfg) == fingerprint(replace(cfg, analysis=Analysis(
        outcomes=["x"], reference="y", gains=["z"])))
    with pytest.raises(Exception, match="goes in brackets"):
        precheck(["experiment=support_funding", "ensemble=none", "analysis.outcomes=a,b"])
    precheck(["experiment=support_funding", "ensemble=none", "analysis.outcomes=[a,b]",
              "analysis.reference=0"])


def test_named_levels_keep_the_order_the_sweep_gave(tmp_path):
    from omegaconf import OmegaConf

    from sim.analysis.sweep import ordered_levels
    OmegaConf.save(OmegaConf.create({"hydra": {
        "sweeper": {"params": {"policy": "baseline,prevention,border"}},
        "overrides": {"task": ["experiment=x"]}}}), tmp_path / "multirun.yaml")
    values = pd.Series(["border", "baseline", "prevention"])
    assert ordered_levels(tmp_path, "policy", values, False) == ["baseline", "prevention",
                                                                 "border"]


@pytest.mark.slow  # 400 families of 30 paired comparisons
def test_significance_holds_the_family_wise_error_and_finds_real_effects():
    from sim.analysis.stats import significant
    rng = np.random.default_rng(7)

    def family(shift: float) -> list[bool]:
        """30 paired comparisons of 10 replications, the first 5 with a true shift."""
        results = [paired(c := rng.normal(100, 20, 10), c + (shift if i < 5 else 0)
                          + rng.normal(0, 2, 10)) for i in range(30)]
        p = holm([r.p_value for r in results])
        return [significant(r.diff.low, r.diff.high, r.diff.n, q)
                for r, q in zip(results, p, strict=True)]

    null = [any(family(0.0)) for _ in range(300)]
    assert np.mean(null) < 0.08  # any false positive in a family of 30: at most ~5%
    found = [family(5.0) for _ in range(100)]
    assert np.mean([f[:5] for f in found]) > 0.9 and np.mean([f[5:] for f in found]) < 0.01
    assert significant(3.0, 3.0, 5, np.nan) and not significant(0.0, 0.0, 5, np.nan)
    assert not significant(-1.0, 2.0, 10, 0.001)


def test_analysis_settings_given_to_a_sweep_are_not_what_it_varies(tmp_path):
    from sim.analysis.sweep import Sweep
    root = synthetic_sweep(tmp_path / "s")
    runs = pd.read_parquet(root / "runs.parquet")
    runs["analysis.outcomes"] = [["retrafficked_per_year"]] * len(runs)  # a list, as gathered
    runs.to_parquet(root / "runs.parquet")
    for summary in root.glob("*/summary.json"):
        record = json.loads(summary.read_text())
        record["overrides"].append("analysis.outcomes=[retrafficked_per_year]")
        summary.write_text(json.dumps(record))
    sweep = Sweep.load(root)
    assert sweep.factor == "policy.care.support_gbp" and sweep.levels == [0.0, 2e6, 4e6, 8e6]
