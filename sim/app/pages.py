"""The dashboard's pages: the live model in Mesa's SolaraViz, and a finished sweep's results.

Solara serves this module (``routes``). :data:`START` holds what ``python -m sim app`` was
given: the settings the controls start with and the folder whose sweeps the results page lists.
Each browser session has its own model and settings.
"""

import html
import threading
from dataclasses import dataclass, field
from pathlib import Path

import solara
from mesa.visualization import SolaraViz

from sim.app import charts, controls, sweeps
from sim.app.controls import LEVERS, Settings
from sim.app.echarts import Echarts
from sim.app.live import Holder, LiveModel
from sim.metrics import CHANNELS
from sim.pillars import PILLARS


@dataclass
class Start:
    settings: Settings = field(default_factory=Settings)
    results: Path = Path("results")


START = Start()
PLAY_INTERVAL_MS = 1  # Mesa's pause between weeks when playing: the model sets the pace
FRAME_S = 0.5  # the view is redrawn at most this often while the model steps
TITLE = "Trafficking into the UK: the 2011 strategy"


# --- the live model --------------------------------------------------------------------------


Chart = Echarts


def status(model: LiveModel) -> list[tuple[str, str, str]]:
    """(key, label, value) of the counts the status card shows."""
    row, totals = model.row, model.totals
    identified = sum(totals[f"identified_{c}"] for c in CHANNELS)
    spend = sum(row[f"spend_{p}_gbp"] for p in PILLARS) * 52 / 1e6
    return [
        ("exploited", "in exploitation now", f"{row['victims_exploited']:,}"),
        ("in_transit", "in transit now", f"{row['victims_in_transit']:,}"),
        ("recruited", "recruited so far", f"{totals['recruited']:,}"),
        ("identified", "identified so far", f"{identified:,}"),
        ("identified_border", "identified at the border so far",
         f"{totals['identified_border']:,}"),
        ("arrested", "traffickers arrested so far", f"{totals['traffickers_arrested']:,}"),
        ("groups_active", "groups active", f"{row['groups_active']:,}"),
        ("nca_units", "NCA units", f"{model.levers.nca_units}"),
        ("spending", "spending now (GBP m a year)", f"{spend:,.1f}"),
    ]


@solara.component
def Status(model: LiveModel, frame: tuple):
    cfg = model.cfg
    if not model.steps:
        when = "not started"
    elif model.policy_in_force:
        when = f"policy '{cfg.policy.name}' in force since week {model.policy_week}"
    else:
        when = (f"burn-in under the status quo; policy '{cfg.policy.name}' starts in week "
                f"{model.policy_week}")
    rows = "".join(f"<tr><td>{html.escape(label)}</td>"
                   f"<td style='text-align:right' data-count='{key}'>{value}</td></tr>"
                   for key, label, value in status(model))
    done = "" if model.running else " (end of the run)"
    page = (f"<div style='font-size:14px'>"
            f"<div style='font-size:20px'>Week <b data-count='week'>{model.steps}</b> of "
            f"{model.weeks}{done}</div>"
            f"<div data-count='period'>{html.escape(when)}</div>"
            f"<div>world <b data-count='world'>{html.escape(cfg.world.name)}</b>, policy "
            f"<b data-count='policy'>{html.escape(cfg.policy.name)}</b>, seed {cfg.seed}</div>"
            f"<table style='margin-top:6px'>{rows}</table>"
            f"<div style='margin-top:6px'>Running:</div>"
            f"<code data-count='command' style='white-space:pre-wrap'>"
            f"{html.escape(model.command)}</code></div>")
    return solara.HTML(tag="div", unsafe_innerHTML=page)


@solara.component
def View(model: LiveModel):
    """The map, the status and the charts of the model's latest week. While Mesa steps the
    model in its thread, the view is redrawn at most every FRAME_S seconds (a frame costs the
    browser far more than the server): the model runs at its own pace and the browser keeps
    up. A single step shows within FRAME_S."""
    frame, set_frame = solara.use_state((id(model), model.steps))

    def follow(cancel: threading.Event) -> None:
        shown = model.steps
        while not cancel.wait(FRAME_S):
            if model.steps != shown:
                shown = model.steps
                set_frame((id(model), shown))

    # not intrusive: a trace function in this thread would slow every render it triggers
    solara.use_thread(follow, dependencies=[model], intrusive_cancel=False)
    with solara.Columns([3, 2]):
        Chart(charts.route_map(model, model.positions), "map", 560)
        Status(model, frame)
    with solara.Columns([1, 1]):
        Chart(charts.victims(model), "victims")
        Chart(charts.identifications(model), "identifications")
    with solara.Columns([1, 1]):
        Chart(charts.entry_points(model), "entry_points")
        Chart(charts.arrests(model), "arrests")
    with solara.Columns([1, 1]):
        Chart(charts.spending(model), "spending")
        solara.HTML(tag="div", unsafe_innerHTML=LEGEND, style={"font-size": "14px"})


LEGEND = """<b>Reading the page.</b> One step is one week. The model runs a burn-in under the
status quo (the baseline policy) before the chosen policy comes into force; the charts show
the burn-in too, with the policy's start marked. Change the settings, then press Reset to
build the model they describe; the command under the settings runs the same model from the
command line (<code>python -m sim ...</code>, results under <code>results/runs/</code>).
Sweeps' results are on the <a href="results">results page</a>."""


def lever_control(lever, value, on_value, world: str):
    if lever.key == "policy.border.entry":
        names = ["(none)", *controls.entry_points(world)]
        solara.Select(lever.label, value=value or "(none)", values=names,
                      on_value=lambda v: on_value("" if v == "(none)" else v))
    elif lever.choices:
        solara.Select(lever.label, value=value, values=list(lever.choices), on_value=on_value)
    elif isinstance(value, int):
        solara.SliderInt(f"{lever.label}: {value}", value=value, min=int(lever.lo),
                         max=max(int(lever.hi), value), step=int(lever.step),
                         on_value=on_value)
    else:
        shown = value / lever.unit
        solara.SliderFloat(f"{lever.label}: {shown:g}", value=shown, min=lever.lo / lever.unit,
                           max=max(lever.hi, value) / lever.unit, step=lever.step / lever.unit,
                           on_value=lambda v: on_value(float(v) * lever.unit))


@solara.component
def Controls(holder: Holder):
    """World, policy, the main lever of each pillar and the seed; Mesa's Reset builds the model
    from them. The command below runs the same model from the command line."""
    settings, set_settings = solara.use_state(holder.settings)

    def change(new: Settings):
        holder.settings = new
        set_settings(new)

    with solara.Card("Settings (applied on Reset)"):
        solara.Select("World", value=settings.world, values=controls.options("world"),
                      on_value=lambda w: change(settings.with_world(w)))
        solara.Select("Policy", value=settings.policy, values=controls.options("policy"),
                      on_value=lambda p: change(settings.with_policy(p)))
        for pillar in PILLARS:
            solara.Text(pillar, style={"font-weight": "bold", "margin-top": "8px"})
            for lever in (lv for lv in LEVERS if lv.pillar == pillar):
                lever_control(lever, settings.levers[lever.key],
                              lambda v, key=lever.key: change(settings.with_lever(key, v)),
                              settings.world)
        solara.InputInt("Seed", value=settings.seed, continuous_update=False,
                        on_value=lambda s: change(settings.with_seed(
                            min(max(int(s), 0), controls.MAX_SEED))))
        solara.Text("The same run from the command line:")
        solara.HTML(tag="code", unsafe_innerHTML=html.escape(controls.command(settings)),
                    attributes={"data-count": "settings_command"},
                    style={"white-space": "pre-wrap"})


@solara.component
def SettingsPanel(holder: Holder):
    with solara.Sidebar():
        Controls(holder)


@solara.component
def Live():
    """Mesa's SolaraViz (start, pause, step, reset; play and render intervals) around this
    session's model, the settings in the sidebar, the view in the page."""
    holder = solara.use_memo(lambda: Holder(START.settings), [])
    model = solara.use_memo(lambda: solara.reactive(LiveModel(holder)), [])
    SolaraViz(model, components=[], model_params={"settings": holder},
              play_interval=PLAY_INTERVAL_MS, render_interval=1, name=TITLE)
    SettingsPanel(holder)
    View(model.use_value())  # Mesa's Reset puts a new model here


# --- a sweep's results -----------------------------------------------------------------------


@solara.component
def Results():
    """A sweep folder under START.results: the paired differences of one outcome against a
    chosen reference, and the sweep's figures."""
    found = solara.use_memo(lambda: sweeps.find(START.results), [])
    labels = {name(p): p for p in found}
    chosen = solara.use_reactive(next(iter(labels), ""))
    outcome = solara.use_reactive("exploitation_weeks_per_year")
    reference = solara.use_reactive(None)
    folder = labels.get(chosen.value)

    def read():
        if folder is None:
            return None, None
        try:
            return sweeps.load(folder), None
        except Exception as err:  # a broken folder is named, the page stays up
            return None, f"{folder}: {type(err).__name__}: {err}"

    sweep, error = solara.use_memo(read, [folder])
    if folder is None:
        solara.Info(f"No finished sweep under {START.results}/ (a folder with runs.parquet). "
                    "Run one, e.g. python -m sim experiment=policy_comparison")
        return
    names = sweeps.outcomes()
    ref = None
    with solara.Sidebar(), solara.Card("Sweep"):
        def choose(v: str) -> None:
            chosen.set(v)
            reference.set(None)

        solara.Select("Sweep folder", value=chosen.value, values=list(labels), on_value=choose)
        solara.Select("Outcome", value=names[outcome.value], values=list(names.values()),
                      on_value=lambda v: outcome.set(next(k for k, lab in names.items()
                                                          if lab == v)))
        if sweep is not None:
            levels = {sweep.label(lv): lv for lv in sweep.levels}
            ref = reference.value if reference.value in sweep.levels else sweep.reference
            solara.Select("Reference scenario", value=sweep.label(ref), values=list(levels),
                          on_value=lambda v: reference.set(levels[v]))
    with solara.Column():
        solara.HTML(tag="h2", unsafe_innerHTML=html.escape(str(folder)))
        if error or sweep is None:
            solara.Error(error or "unreadable sweep")
            return
        solara.HTML(tag="p", unsafe_innerHTML=(
            f"<b>{html.escape(names[outcome.value])}</b>: each scenario minus "
            f"<b data-reference>{html.escape(sweep.label(ref))}</b>, paired by replication "
            "(common random numbers), as in the sweep's report.md."))
        rows = sweeps.comparison(sweep, outcome.value, ref)
        solara.HTML(tag="div", unsafe_innerHTML=sweeps.html_table(rows),
                    attributes={"data-table": "comparison"})
        pictures = sweeps.figures(folder)
        if not pictures:
            solara.Info(f"No figures yet: python -m sim analyse {folder}")
        for picture in pictures:
            solara.HTML(tag="h3", unsafe_innerHTML=html.escape(picture.stem.replace("_", " ")))
            solara.Image(str(picture), width="100%")


def name(folder: Path) -> str:
    root = Path(START.results)
    return str(folder.relative_to(root)) if folder.is_relative_to(root) else str(folder)


routes = [solara.Route(path="/", component=Live, label="Live model"),
          solara.Route(path="results", component=Results, label="Sweep results")]
