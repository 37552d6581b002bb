"""Statistics checked on synthetic data with known answers; the analysis of a real sweep."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import sim

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
    for name in ("outcomes", "timeseries", "displacement", "enforcement", "cost_effectiveness"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 10_000
        assert (tmp_path / "figures" / f"{name}.svg").exists()
    report = (tmp_path / "report.md").read_text()
    assert "Reference: **baseline**" in report and "![outcomes](figures/outcomes.png)" in report
    comparisons = pd.read_csv(tmp_path / "comparisons.csv")
    assert set(comparisons["scenario"]) == {"enforcement"}
    arrests = comparisons.set_index("outcome").loc["traffickers_arrested_per_year"]
    assert arrests["difference"] > 0
    costs = pd.read_csv(tmp_path / "cost_effectiveness.csv")
    assert (costs["extra_cost_gbp"] == 6e6).all()
    # re-running the analysis alone gives the same tables
    (tmp_path / "report.md").unlink()
    sim("analyse", str(tmp_path))
    assert (tmp_path / "report.md").exists()
    pd.testing.assert_frame_equal(comparisons, pd.read_csv(tmp_path / "comparisons.csv"))


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
    assert rows["Re-trafficked (all survivors)"].endswith("| holds |")
    assert "-20% [-30%, -10%]" in rows["Re-trafficked (all survivors)"]
    assert rows["Victims identified"].endswith("no change | depends on the mechanism |")
