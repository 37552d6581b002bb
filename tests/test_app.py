"""The dashboard without a browser: its settings are Hydra overrides (the same run as the
command it shows), its map and charts say what the model did, bad input to ``python -m sim
app`` is one line and exit status 2, and a frame costs little beside a week of the model."""

import json
import shlex
import socket
import statistics
import time
from collections import Counter

import pandas as pd
import pytest

from sim.app import charts, controls
from sim.app.controls import Settings, overrides, preset, settings_from
from sim.app.live import LiveModel
from sim.cli import run
from sim.model import TraffickingModel
from sim.settings import load_config

SHORT = ("burn_in_weeks=3", "policy_weeks=5")


def cli(capsys, *args):
    status = run(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_setting_in_the_dashboard_and_its_command_give_the_same_run(capsys, tmp_path):
    settings = Settings("toy", "border", dict(preset("border")), seed=3, extra=SHORT)
    settings = settings.with_lever("policy.enforcement.nca_units", 8)
    settings = settings.with_lever("policy.care.support_gbp", 4.5e6)
    shown = controls.command(settings)
    assert shown == ("python -m sim world=toy policy=border policy.enforcement.nca_units=8 "
                     "policy.care.support_gbp=4.5e6 seed=3 burn_in_weeks=3 policy_weeks=5")
    model = LiveModel(settings)
    while model.running:
        model.step()
    assert model.steps == 8 and model.command == shown
    argv = shlex.split(shown)[3:]
    status, out, err = cli(capsys, *argv, f"hydra.run.dir={tmp_path}")
    assert status == 0, err
    from_cli = pd.read_parquet(tmp_path / "timeseries.parquet")
    from_app = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    pd.testing.assert_frame_equal(from_app, from_cli, check_dtype=False)
    # and the setting matters: four NCA units instead of eight is another run
    other = LiveModel(settings.with_lever("policy.enforcement.nca_units", 4))
    other.run_for(8)
    assert other.datacollector.get_model_vars_dataframe()["spend_enforcement_gbp"].iloc[-1] \
        != from_app["spend_enforcement_gbp"].iloc[-1]


def test_settings_from_the_command_line_compose_as_the_command_line_does():
    given = ["world=uk_2011", "policy=enforcement", "policy.border.screening=1.5",
             "groups.recruitment=market", "seed=5", "burn_in_weeks=52"]
    settings = settings_from(given)
    assert (settings.world, settings.policy, settings.seed) == ("uk_2011", "enforcement", 5)
    assert settings.levers["policy.enforcement.nca_units"] == 8  # from the policy file
    assert settings.levers["policy.border.screening"] == 1.5
    assert settings.extra == ("groups.recruitment=market", "burn_in_weeks=52")
    assert load_config(overrides(settings)) == load_config(given)


def test_a_policy_file_sets_the_levers_and_only_changes_from_it_are_overrides():
    settings = Settings().with_policy("strategy_2011")
    assert settings.levers["policy.enforcement.targeting"] == "largest"
    assert settings.levers["policy.border.screening"] == 1.25
    assert overrides(settings) == ["world=toy", "policy=strategy_2011", "seed=0"]
    changed = settings.with_lever("policy.border.entry", "port").with_world("uk_2011")
    assert changed.levers["policy.border.entry"] == ""  # uk_2011 has no entry point 'port'
    assert overrides(changed) == ["world=uk_2011", "policy=strategy_2011", "seed=0"]
    on_toy = settings.with_lever("policy.border.entry", "port")
    assert "policy.border.entry=port" in overrides(on_toy)
    assert load_config(overrides(on_toy)).policy.border.entry == "port"


@pytest.mark.parametrize("key, value, written", [
    ("policy.care.support_gbp", 6e6, "6e6"), ("policy.care.support_gbp", 2.5e6, "2.5e6"),
    ("policy.border.screening", 1.25, "1.25"), ("policy.border.screening", 0.0, "0.0"),
    ("policy.enforcement.nca_units", 8, "8"), ("policy.enforcement.targeting", "largest",
                                               "largest")])
def test_values_are_written_as_hydra_reads_them(key, value, written):
    assert controls.text(value) == written
    config = load_config([f"{key}={written}"])
    section, _, name = key.removeprefix("policy.").partition(".")
    assert getattr(getattr(config.policy, section), name) == value


BAD = [
    (["port=70000"], "error: port = '70000': a whole number from 1 to 65535 (0: any free port)"),
    (["port=http"], "error: port = 'http': a whole number from 1 to 65535 (0: any free port)"),
    (["port=-1"], "error: port = '-1': a whole number from 1 to 65535 (0: any free port)"),
    (["world=mars"], f"error: world = 'mars': one of {', '.join(sorted(controls.options('world')))}"
                     " (the files of world/ without .yaml)"),
    (["policy.enforcement.nca_units=-1"],
     "error: policy.enforcement.nca_units = -1: must be between 0 and 1000"),
    (["no.such_key=1"], "error: no.such_key: no such key (python -m sim --cfg job lists every "
                        "key)"),
    (["experiment=policy_comparison"], "error: experiment=policy_comparison: the dashboard runs "
                                       "one model; sweeps and Hydra's settings are for python "
                                       "-m sim"),
    (["seed=1,2"], "error: seed=1,2: several values make a sweep; the dashboard runs one model"),
    (["--multirun"], "error: --multirun: the dashboard takes no flags (usage: python -m sim app "
                     "[port=N] [results=<folder>] [override ...])"),
    (["results=/no/such/folder"], "error: results = '/no/such/folder': no such folder (the "
                                  "folder whose sweeps the results page lists)"),
    (["policy.border.entry=nowhere"], "error: policy.border.entry = 'nowhere': '' or an entry "
                                      "point of the world: port, tunnel, airport"),
]


@pytest.mark.parametrize("args, message", BAD)
def test_bad_input_to_the_app_is_one_line_and_status_2(capsys, args, message):
    status, out, err = cli(capsys, "app", "world=toy", *args)
    assert (status, out, err) == (2, "", message + "\n")


def test_a_port_in_use_is_one_line_and_status_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out, err = cli(capsys, "app", f"port={port}", "world=toy")
    assert status == 2 and out == ""
    assert err.startswith(f"error: port = {port}: cannot listen on 127.0.0.1:{port} (")
    assert err.count("\n") == 1


def stepped(weeks: int, *given: str) -> LiveModel:
    model = LiveModel(["world=toy", *given])
    model.run_for(weeks)
    return model


def test_the_map_shows_this_weeks_flows_detections_and_exploitation(monkeypatch):
    crossing: Counter = Counter()  # victims crossing at each entry point, as the model saw them
    crossed = TraffickingModel.crossed

    def spy(self, trip, entry, detected):
        crossing[entry] += len(trip.victims)
        return crossed(self, trip, entry, detected)

    monkeypatch.setattr(TraffickingModel, "crossed", spy)
    model = stepped(29, "burn_in_weeks=0", "policy=border")
    crossing.clear()
    model.step()
    option = charts.route_map(model, model.positions)
    series = option["series"][0]
    nodes = {n["name"]: n for n in series["data"]}
    row = model.row
    # regions: sized by the victims exploited there, which add up to the model's count
    regions = list(model.cfg.world.regions)
    assert sum(nodes[r]["value"] for r in regions) == row["victims_exploited"] > 0
    big = max(regions, key=lambda r: nodes[r]["value"])
    assert nodes[big]["symbolSize"] == max(nodes[r]["symbolSize"] for r in regions)
    # entry points: this week's detections, of this week's crossings
    for entry in model.checkpoints:
        assert nodes[entry]["value"] == row[f"detections_{entry}"]
        assert f"{row[f'detections_{entry}']} of {row[f'crossings_{entry}']} detected" in \
            nodes[entry]["label"]["formatter"]
    # edges: victims moved this week; into an entry point iff consignments crossed there
    links = {(lk["source"], lk["target"]): lk for lk in series["links"]}
    assert links.keys() == set(model.routes.graph.edges)
    for entry in model.checkpoints:
        into = sum(lk["value"] for (a, b), lk in links.items() if b == entry)
        assert into == crossing[entry]
        assert (into > 0) == (row[f"crossings_{entry}"] > 0)
    busiest = max(links.values(), key=lambda lk: lk["value"])
    assert busiest["value"] > 0 and busiest["lineStyle"]["width"] == max(
        lk["lineStyle"]["width"] for lk in links.values())
    assert option["title"]["text"] == "Routes, week 30"


def test_the_charts_are_the_models_weekly_rows():
    model = stepped(12, "burn_in_weeks=5")
    frame = model.datacollector.get_model_vars_dataframe()
    victims = charts.victims(model)
    exploited = next(s for s in victims["series"] if s["name"] == "exploited")
    assert exploited["data"] == frame["victims_exploited"].tolist()
    assert victims["series"][0]["markLine"]["data"] == [{"xAxis": 5}]  # policy from week 6
    assert "burn-in (status quo) to week 5, policy 'baseline' from week 6" in \
        victims["title"]["subtext"]
    spending = charts.spending(model)
    enforcement = next(s for s in spending["series"] if s["name"] == "enforcement")
    assert enforcement["data"][-1] == pytest.approx(4 * 1.5)  # 4 units at GBP 1.5m a year
    bars = charts.entry_points(model)
    crossings = bars["series"][0]["data"]
    assert crossings == [int(frame[f"crossings_{e}"].sum()) for e in model.checkpoints]
    for option in (victims, spending, bars, charts.identifications(model), charts.arrests(model),
                   charts.route_map(model, model.positions)):
        json.dumps(option)  # what the page is sent


def test_the_live_model_stops_where_the_command_line_run_ends():
    model = LiveModel(["world=toy", "burn_in_weeks=1", "policy_weeks=2"])
    assert model.running
    model.run_for(3)
    assert not model.running and model.steps == 3


@pytest.mark.slow  # builds every world, the Europe-wide one too
def test_every_place_of_every_world_has_a_place_on_the_map():
    for world in controls.options("world"):
        model = LiveModel([f"world={world}", "burn_in_weeks=0", "policy_weeks=1"])
        assert set(model.positions) == set(model.routes.graph)
        assert len(set(model.positions.values())) == len(model.positions)


def test_a_frame_costs_little_beside_a_week_of_uk_2011():
    """The charts of a late week of uk_2011 (a long history) take a fraction of the model's
    week to build and encode; the page redraws at most 4 times a second."""
    model = LiveModel(["world=uk_2011", "policy_weeks=0", "burn_in_weeks=260"])
    model.run_for(250)
    weeks, frames = [], []
    for _ in range(10):
        t = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        options = [charts.route_map(model, model.positions), charts.victims(model),
                   charts.identifications(model), charts.entry_points(model),
                   charts.arrests(model), charts.spending(model)]
        [json.dumps(o, separators=(",", ":")) for o in options]
        weeks.append(t1 - t)
        frames.append(time.perf_counter() - t1)
    assert statistics.median(frames) < 0.5 * statistics.median(weeks), (weeks, frames)


def test_without_chromium_the_browser_tests_fail_and_say_what_to_install(monkeypatch):
    from sim.app import browser

    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.setenv("SIM_CHROMIUM", "/no/such/chromium")
    with pytest.raises(browser.BrowserMissing, match="apt-get install -y chromium"):
        browser.chromium()
