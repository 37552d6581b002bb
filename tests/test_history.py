"""A world that changes over time: dated events apply at their date and ramp as specified,
years.parquet has one row per year, and bad events are refused with one line."""

import json

import pandas as pd
import pytest
from helpers import run, toy

from sim import TraffickingModel
from sim.config import ConfigError, Event, YearlyInput
from sim.history import History, calendar, model_week
from sim.metrics import timeseries
from sim.runs import run_job
from sim.settings import load_config
from sim.years import targets, years

DATED = ("world.start_year=2012", "burn_in_weeks=52", "policy_weeks=104")


def dated(*events: Event, inputs=(), overrides=()):
    cfg = toy(*DATED, *overrides)
    cfg.world.events = {f"e{i}": e for i, e in enumerate(events)}
    cfg.world.inputs = list(inputs)
    return cfg


def event(**kw) -> Event:
    base = {"name": "test", "year": 2013, "key": "exploitation.identification.sexual",
            "value": 2.0, "source": "assumption: a test"}
    return Event(**(base | kw))


def test_the_calendar_puts_week_1_of_the_start_year_at_the_first_policy_week():
    cfg = toy(*DATED)
    assert calendar(cfg, 53) == (2012, 1)
    assert calendar(cfg, 52) == (2011, 52)
    assert calendar(cfg, 53 + 52 + 9) == (2013, 10)
    assert model_week(cfg, 2013, 10) == 53 + 52 + 9


def test_an_event_multiplies_its_key_at_its_date_over_its_ramp():
    cfg = dated(event(week=10, ramp_weeks=4))
    model = TraffickingModel(cfg, rng=1)
    start = model_week(cfg, 2013, 10)
    seen = {}
    for _ in range(start + 5):
        model.step()
        seen[model.steps] = model.cfg.exploitation.identification["sexual"]
    base = cfg.exploitation.identification["sexual"]
    assert seen[start - 1] == base
    assert seen[start] == pytest.approx(base * 1.25)  # a quarter of the way in its first week
    assert seen[start + 1] == pytest.approx(base * 1.5)
    assert seen[start + 3] == pytest.approx(base * 2) == seen[start + 5]
    assert cfg.exploitation.identification["sexual"] == base  # the caller's config untouched


def test_a_lasting_change_is_undone_and_a_set_reaches_its_value():
    cfg = dated(event(key="recruitment.rate", value=0.5, lasts_weeks=10),
                event(name="set", year=2012, week=20, key="care.rg_positive", change="set",
                      value=0.3, ramp_weeks=2))
    history = History(cfg)
    rate, rg = (next(k for k in history.changes if k.text == key)
                for key in ("recruitment.rate", "care.rg_positive"))
    start = model_week(cfg, 2013, 1)
    assert history.value(rate, start - 1) == 2.0
    assert history.value(rate, start) == history.value(rate, start + 9) == 1.0
    assert history.value(rate, start + 10) == 2.0
    week = model_week(cfg, 2012, 20)
    assert history.value(rg, week) == pytest.approx(0.8 + (0.3 - 0.8) / 2)
    assert history.value(rg, week + 1) == pytest.approx(0.3)


def test_a_key_by_type_without_its_type_changes_every_type():
    cfg = dated(event(key="exploitation.identification", year=2010))
    model = TraffickingModel(cfg, rng=1)  # dated before the run: holds from the start
    for t, h in cfg.exploitation.identification.items():
        assert model.cfg.exploitation.identification[t] == pytest.approx(2 * h)


def test_new_groups_and_crossings_reach_the_model():
    boats = YearlyInput(name="arrivals", key="world.entry_points.port.legitimate_crossings",
                        first_year=2012, values=[5200, 10400], source="assumption: a test")
    cfg = dated(event(key="world.sources.east.groups", change="set", value=30, year=2012),
                inputs=[boats])
    model = run(cfg, seed=2)
    assert len(model.crime.active_at["east"]) > 12 + 5
    assert model.checkpoints["port"].legitimate == pytest.approx(10400 / 52)


def test_events_change_the_run_and_the_schedule_is_not_ignored():
    """More identification from 2013 raises referrals in 2013 against the same world without
    it; with the schedule broken (its key's change not applied) the two would be equal."""
    plain = years(timeseries(run(dated(), seed=4)), dated())
    cfg = dated(event(key="exploitation.identification", value=3.0))
    more = years(timeseries(run(cfg, seed=4)), cfg)
    assert list(plain["year"]) == [2012, 2013]
    assert plain.loc[0, "nrm_referrals"] == more.loc[0, "nrm_referrals"]  # same before
    assert more.loc[1, "nrm_referrals"] > 1.5 * plain.loc[1, "nrm_referrals"]


def test_the_weekly_series_of_a_dated_world_is_dated_and_an_undated_one_is_not():
    series = timeseries(run(dated(), seed=1, weeks=60))
    assert list(series.columns[:3]) == ["week", "year", "week_of_year"]
    assert series.loc[52, ["year", "week_of_year"]].tolist() == [2012, 1]
    plain = timeseries(run(toy("burn_in_weeks=52", "policy_weeks=8"), seed=1, weeks=10))
    assert "year" not in plain and "week_of_year" not in plain


def test_years_parquet_has_one_row_per_year_and_its_columns(tmp_path):
    cfg = toy("burn_in_weeks=52", "policy_weeks=130")
    run_job(cfg, tmp_path, [])
    table = pd.read_parquet(tmp_path / "years.parquet")
    assert list(table["year"]) == [1, 2, 3]  # undated: years of the policy period
    assert list(table["weeks"]) == [52, 52, 26]
    for col in ("nrm_referrals", "share_minors", "share_uk_nationals", "prevalence",
                *(f"share_type_{t}" for t in ("sexual", "labour", "domestic", "criminal")),
                "share_source_east"):
        assert col in table, col
    assert table["prevalence"].isna().tolist() == [False, False, True]  # a year cut short
    shares = table[[c for c in table if c.startswith("share_type_")]].sum(axis=1)
    assert shares.round(9).eq(1).all()
    series = pd.read_parquet(tmp_path / "timeseries.parquet")
    policy = series[series["policy_in_force"] == 1]
    assert table["nrm_referrals"].sum() == policy["nrm_referrals"].sum()
    summary = json.loads((tmp_path / "summary.json").read_text())["metrics"]
    assert table["prevalence"][:2].mean() == summary["prevalence_per_year"]


@pytest.mark.parametrize("change,message", [
    ({"key": "exploitation.identifcation.sexual"},
     "world.events.e0 ('test').key = 'exploitation.identifcation.sexual': not a key an event "
     "can change; allowed: world.sources.<source>.population"),
    ({"key": "world.sources.atlantis.groups"},
     "world.events.e0 ('test').key = 'world.sources.atlantis.groups': no source 'atlantis' in "
     "world toy; it has: home, east, south"),
    ({"key": "groups.span"}, "world.events.e0 ('test').key = 'groups.span': not a key"),
    ({"change": "add"}, "world.events.e0 ('test').change = 'add': one of multiply, set"),
    ({"value": 500.0}, "exploitation.identification.sexual (reached after event 'test') = "),
])
def test_a_bad_event_is_one_error_naming_it_and_what_is_allowed(change, message):
    cfg = dated(event(**change))
    with pytest.raises(ConfigError) as err:
        TraffickingModel(cfg, rng=1)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_a_dated_event_needs_a_dated_world_with_whole_years_of_burn_in():
    cfg = dated(event())
    cfg.world.start_year = 0
    with pytest.raises(ConfigError, match="dated events need world.start_year"):
        TraffickingModel(cfg, rng=1)
    cfg = dated(event(), overrides=["burn_in_weeks=50"])
    with pytest.raises(ConfigError, match="burn_in_weeks = 50: a dated world"):
        TraffickingModel(cfg, rng=1)


def test_the_hindcast_world_composes_with_its_period_and_cited_events():
    cfg = load_config(["world=uk_2012_2024"])
    assert cfg.world.start_year == 2012 and cfg.policy_weeks == 13 * 52
    assert cfg.burn_in_weeks % 52 == 0
    assert all(e.source.strip() for e in cfg.world.events.values())
    History(cfg)  # every key resolves
    assert load_config(["world=uk_2012_2024", "policy_weeks=52"]).policy_weeks == 52


def test_the_targets_have_a_source_for_every_number():
    table = targets()
    assert table["source"].notna().all()
    referrals = table[table["measure"] == "nrm_referrals"]
    assert sorted(referrals["year"]) == list(range(2012, 2025))
    assert set(table["sure"]) <= {"yes", "no"}


@pytest.mark.slow
def test_the_hindcast_follows_the_growth_of_nrm_referrals():
    """The hand-tuned history: referrals each year within a factor of 1.5 of the published
    numbers (shortened burn-in)."""
    from sim.years import compare

    cfg = load_config(["world=uk_2012_2024", "burn_in_weeks=156"])
    table = compare(years(timeseries(run(cfg, seed=1)), cfg))
    assert len(table) == 13
    assert table["ratio"].between(1 / 1.5, 1.5).all(), table.to_string()
