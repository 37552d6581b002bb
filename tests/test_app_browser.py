"""The dashboard as a person uses it, in headless Chromium: change the policy, reset, step,
and see the counts and charts of the model the page says it runs; a sweep's paired differences
as its report gives them. (How fast the page steps uk_2011 is measured by ``make bench``.)

Chromium and Playwright are required: without them these tests fail and say what to install
(.ci/run installs Debian's chromium). Screenshots go to test-artifacts/.
"""

import shlex
import time
from pathlib import Path

import pytest
from helpers import ROOT, sim

from sim.app.browser import app, page, wait_week, week
from sim.app.live import LiveModel
from sim.app.sweeps import comparison, load, outcomes

pytestmark = pytest.mark.slow  # starts the app and a browser
ARTIFACTS = ROOT / "test-artifacts"
COUNTS = ("exploited", "in_transit", "recruited", "identified", "identified_border", "arrested",
          "groups_active", "nca_units", "spending")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A results folder with one finished, analysed sweep: baseline against enforcement."""
    root = tmp_path_factory.mktemp("results")
    sim("--multirun", "world=toy", "burn_in_weeks=4", "policy_weeks=26",
        "policy=baseline,enforcement", "replication=0,1,2", "hydra/launcher=basic",
        f"hydra.sweep.dir={root / 'demo' / 'sweep'}")
    assert (root / "demo" / "sweep" / "report.md").exists()
    return root


def shown(tab, key: str) -> str:
    return tab.inner_text(f"[data-count={key}]").strip()


def chart(tab, name: str) -> dict:
    """The option the page's chart ``name`` was sent, and whether ECharts drew it."""
    return tab.evaluate("""name => {
        const e = document.querySelector(`[data-chart="${name}"]`);
        const vue = e.__vue__;
        return {option: JSON.parse(vue.option_json),
                drawn: vue.chart ? vue.chart.getOption().series.length : 0};
    }""", name)


def wait_text(tab, key: str, predicate, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while not predicate(text := shown(tab, key)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{key} still shows {text!r} after {timeout} s")
        time.sleep(0.1)
    return text


def step(tab, times: int) -> int:
    for _ in range(times):
        before = week(tab)
        tab.get_by_role("button", name="Step").click()
        wait_week(tab, lambda w, b=before: w == b + 1)
    return week(tab)


def choose(tab, label: str, option: str) -> None:
    tab.locator(".v-select", has_text=label).first.click()
    tab.get_by_role("option", name=option, exact=True).first.click()


def test_a_person_changes_the_policy_steps_and_sees_the_counts_and_charts_change(results):
    ARTIFACTS.mkdir(exist_ok=True)
    with app("world=toy", "burn_in_weeks=0", f"results={results}", root=ROOT) as (url, _), \
            page() as tab:
        tab.goto(url)
        tab.wait_for_selector("[data-count=week]", timeout=120_000)
        baseline = "python -m sim world=toy policy=baseline seed=0 burn_in_weeks=0"
        assert shown(tab, "command") == shown(tab, "settings_command") == baseline
        assert (week(tab), shown(tab, "policy"), shown(tab, "nca_units")) == (0, "baseline", "4")
        assert step(tab, 1) == 1
        before = {key: shown(tab, key) for key in COUNTS}
        assert len(chart(tab, "victims")["option"]["series"][1]["data"]) == 1

        # a policy control, and the main lever of enforcement: the command follows at once,
        # the model on Reset
        choose(tab, "Policy", "strategy_2011")
        wait_text(tab, "settings_command", lambda t: "policy=strategy_2011 seed" in t)
        tab.locator(".v-input", has_text="NCA units: 8").wait_for()
        slider = tab.locator(".v-input", has_text="NCA units:").locator("[role=slider]").first
        slider.focus()
        tab.keyboard.press("ArrowRight")  # the policy file's 8 units, and one more
        wanted = ("python -m sim world=toy policy=strategy_2011 policy.enforcement.nca_units=9 "
                  "seed=0 burn_in_weeks=0")
        wait_text(tab, "settings_command", lambda t: t == wanted)
        assert shown(tab, "command") == baseline and week(tab) == 1
        tab.get_by_role("button", name="Reset").click()
        wait_text(tab, "command", lambda t: t == wanted)
        assert week(tab) == 0 and shown(tab, "policy") == "strategy_2011"
        assert step(tab, 3) == 3

        # what the page shows is the model of its command, stepped as many weeks
        model = LiveModel(shlex.split(wanted)[3:])
        model.run_for(3)
        now = {key: shown(tab, key) for key in COUNTS}
        frame = model.datacollector.get_model_vars_dataframe()
        spend = sum(model.levers.annual_cost_gbp.values()) / 1e6
        assert now["nca_units"] == "9" and before["nca_units"] == "4"
        assert now["spending"] == f"{spend:,.1f}" and now["spending"] != before["spending"]
        assert now["exploited"] == f"{frame['victims_exploited'].iloc[-1]:,}"
        assert now["recruited"] == f"{model.totals['recruited']:,}"
        assert now["arrested"] == f"{model.totals['traffickers_arrested']:,}"
        victims = chart(tab, "victims")
        exploited = next(s for s in victims["option"]["series"] if s["name"] == "exploited")
        assert exploited["data"] == frame["victims_exploited"].tolist() and victims["drawn"]
        spending = chart(tab, "spending")["option"]["series"]
        assert next(s for s in spending if s["name"] == "enforcement")["data"] == [13.5] * 3
        routes = chart(tab, "map")
        assert routes["drawn"] and routes["option"]["title"]["text"] == "Routes, week 3"
        tab.screenshot(path=str(ARTIFACTS / "dashboard-live.png"), full_page=True)

        # the results page: the report's paired differences, then another outcome and reference
        tab.goto(url + "results")
        tab.wait_for_selector("[data-table=comparison] table", timeout=60_000)
        sweep = load(results / "demo" / "sweep")
        table = tab.inner_text("[data-table=comparison]")
        report = (results / "demo" / "sweep" / "report.md").read_text()
        row = comparison(sweep, "exploitation_weeks_per_year", "baseline")[0]
        assert row["scenario"] == "Enforcement: 8 NCA units"
        assert row["difference [95% CI]"] in table
        assert (f"| {row['scenario']} | Exploitation | {row['difference [95% CI]']} "
                f"| {row['relative']} | {row['d_z']} | {row['p (Holm)']} |") in report
        choose(tab, "Outcome", outcomes()["traffickers_arrested_per_year"])
        arrests = comparison(sweep, "traffickers_arrested_per_year", "baseline")[0]
        tab.wait_for_function("t => document.querySelector('[data-table=comparison]')"
                              ".innerText.includes(t)", arg=arrests["difference [95% CI]"])
        choose(tab, "Reference scenario", sweep.label("enforcement"))
        against = comparison(sweep, "traffickers_arrested_per_year", "enforcement")[0]
        assert against["scenario"] == "Baseline (2011 status quo)"
        tab.wait_for_function("t => document.querySelector('[data-table=comparison]')"
                              ".innerText.includes(t)", arg=against["difference [95% CI]"])
        assert tab.locator("img").count() >= 4  # the sweep's figures
        tab.screenshot(path=str(ARTIFACTS / "dashboard-results.png"), full_page=True)
