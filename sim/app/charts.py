"""The dashboard's route map and charts as ECharts options: plain dicts built from the model's
weekly rows (its DataCollector) and the map data of :class:`sim.app.live.LiveModel`.

Building them costs well under a millisecond or two each: no plotting library runs in Python,
the browser draws. Every chart is labelled with the weeks it shows and marks the week the
policy comes into force (the weeks before are the burn-in under the status quo).
"""

import math
from functools import cache

from sim.agents import State
from sim.metrics import CHANNELS
from sim.pillars import PILLARS

STATES = [s for s in State if s not in (State.RECOVERED, State.LEFT)]  # the stocks in play
COLOURS = {"source": "#6a51a3", "transit": "#969696", "entry": "#fd8d3c", "region": "#2171b5"}
QUIET, ALERT = (189, 189, 189), (203, 24, 29)  # entry points: no detections .. the most


def history(model, *names: str) -> dict[str, list]:
    """The weekly series ``names`` and ``week``, all of one length (a row may be half-collected
    while Mesa's threaded mode steps the model)."""
    found = model.datacollector.model_vars
    series = {name: list(found.get(name, ())) for name in ("week", *names)}
    n = min(len(s) for s in series.values())
    return {name: s[:n] for name, s in series.items()}


def period(model) -> str:
    """Which weeks a chart shows, and when the policy starts."""
    burn = model.cfg.burn_in_weeks
    if not burn:
        return f"weeks 1-{model.weeks}, policy '{model.cfg.policy.name}' from week 1"
    return (f"weeks 1-{model.weeks}: burn-in (status quo) to week {burn}, "
            f"policy '{model.cfg.policy.name}' from week {burn + 1}")


def time_chart(model, title: str, series: dict[str, str], *, stack: bool = False,
               scale: float = 1.0, unit: str = "") -> dict:
    """Lines over the weeks so far, the x axis spanning the whole run and the policy's start
    marked. Series are flat lists of values (week k at index k - 1): cheap to build, to diff
    and to send."""
    data = history(model, *series)
    lines = []
    for i, (name, label) in enumerate(series.items()):
        values = data[name] if scale == 1 else [round(v * scale, 3) for v in data[name]]
        line = {"name": label, "type": "line", "showSymbol": False, "data": values,
                "animation": False}
        if stack:
            line |= {"stack": "all", "areaStyle": {}}
        if i == 0 and model.cfg.burn_in_weeks:
            line["markLine"] = {"symbol": "none", "silent": True, "animation": False,
                                "label": {"formatter": "policy"},
                                "lineStyle": {"type": "dashed", "color": "#444"},
                                "data": [{"xAxis": model.cfg.burn_in_weeks}]}
        lines.append(line)
    return {
        "title": {"text": title, "subtext": period(model), "left": 0,
                  "textStyle": {"fontSize": 14}, "subtextStyle": {"fontSize": 10}},
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 44, "type": "scroll"},
        "grid": {"top": 84, "left": 56, "right": 16, "bottom": 28},
        "xAxis": {"type": "category", "data": weeks_axis(model.weeks), "boundaryGap": False,
                  "name": "week", "nameLocation": "middle", "nameGap": 22},
        "yAxis": {"type": "value", "name": unit},
        "series": lines,
    }


@cache
def weeks_axis(weeks: int) -> list[int]:
    return list(range(1, max(weeks, 1) + 1))


def victims(model) -> dict:
    return time_chart(model, "Victims by state", {f"victims_{s.label}": s.label.replace("_", " ")
                                                   for s in STATES}, unit="victims")


def identifications(model) -> dict:
    return time_chart(model, "Identifications a week, by channel",
                      {f"identified_{c}": c.replace("_", " ") for c in CHANNELS},
                      unit="victims / week")


def arrests(model) -> dict:
    option = time_chart(model, "Arrests a week and groups active",
                        {"traffickers_arrested": "traffickers arrested",
                         "groups_active": "groups active"})
    option["yAxis"] = [{"type": "value", "name": "arrests / week"},
                       {"type": "value", "name": "groups", "splitLine": {"show": False}}]
    option["series"][1]["yAxisIndex"] = 1
    return option


def spending(model) -> dict:
    return time_chart(model, "Spending by pillar", {f"spend_{p}_gbp": p for p in PILLARS},
                      stack=True, scale=52 / 1e6, unit="GBP m / year")


def entry_points(model, weeks: int = 52) -> dict:
    """Crossings and detections at each entry point over the last ``weeks`` weeks."""
    entries = list(model.checkpoints)
    data = history(model, *(f"crossings_{e}" for e in entries),
                   *(f"detections_{e}" for e in entries))
    shown = len(data["week"][-weeks:])
    first = data["week"][-weeks:][0] if shown else 0
    crossings = [sum(data[f"crossings_{e}"][-weeks:]) for e in entries]
    detections = [sum(data[f"detections_{e}"][-weeks:]) for e in entries]
    span = f"weeks {first}-{model.steps}" if shown else "no weeks yet"
    return {
        "title": {"text": "Crossings and detections by entry point",
                  "subtext": f"the last {weeks} weeks ({span})", "left": 0,
                  "textStyle": {"fontSize": 14}, "subtextStyle": {"fontSize": 10}},
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 44},
        "grid": {"top": 80, "left": 110, "right": 24, "bottom": 24},
        "xAxis": {"type": "value", "name": "consignments"},
        "yAxis": {"type": "category", "data": [e.replace("_", " ") for e in entries],
                  "inverse": True},
        "series": [{"name": "crossings", "type": "bar", "data": crossings, "animation": False},
                   {"name": "detections", "type": "bar", "data": detections,
                    "animation": False, "itemStyle": {"color": "#cb181d"}}],
    }


def blend(a: tuple, b: tuple, t: float) -> str:
    t = min(max(t, 0.0), 1.0)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def route_map(model, positions: dict) -> dict:
    """The route network at fixed positions: edges as wide as the victims moved along them
    this week, entry points coloured by this week's detections, regions sized by the victims
    in exploitation there now."""
    graph = model.routes.graph
    row = model.row
    detections = {e: row.get(f"detections_{e}", 0) for e in model.checkpoints}
    crossings = {e: row.get(f"crossings_{e}", 0) for e in model.checkpoints}
    top_detections = max(detections.values(), default=0)
    exploited = model.exploited_by_region
    top_exploited = max(exploited.values(), default=0) or 1
    top_flow = max(model.flows.values(), default=0) or 1
    nodes = []
    for name in graph:
        kind = graph.nodes[name]["kind"]
        x, y = positions[name]
        node = {"name": name, "x": x, "y": -y, "symbolSize": 12,
                "itemStyle": {"color": COLOURS[kind]},
                "label": {"show": True, "fontSize": 10, "position": "right"}}
        if kind == "region":
            n = exploited.get(name, 0)
            node["symbolSize"] = 8 + 42 * math.sqrt(n / top_exploited)
            node["value"] = n
            node["label"]["formatter"] = f"{name}\n{n:,} exploited"
        elif kind == "entry":
            d = detections[name]
            node["symbolSize"] = 14
            node["symbol"] = "diamond"
            node["itemStyle"] = {"color": blend(QUIET, ALERT, d / (top_detections or 1)),
                                 "borderColor": "#7f2704", "borderWidth": 1}
            node["value"] = d
            node["label"]["formatter"] = f"{name}\n{d} of {crossings[name]} detected"
        nodes.append(node)
    links = []
    for a, b in graph.edges:
        flow = model.flows.get((a, b), 0)
        links.append({"source": a, "target": b, "value": flow,
                      "lineStyle": {"width": 0.5 + 9 * math.sqrt(flow / top_flow) if flow else 0.5,
                                    "opacity": 0.8 if flow else 0.25, "curveness": 0.1}})
    return {
        "title": {"text": f"Routes, week {model.steps}", "left": 0,
                  "subtext": "edge width: victims moved along it this week; entry points "
                  "(diamonds): red as detections this week; regions: size as victims "
                  "in exploitation", "textStyle": {"fontSize": 14},
                  "subtextStyle": {"fontSize": 10}},
        "animation": False,
        "tooltip": {},
        "series": [{"type": "graph", "layout": "none", "roam": True, "animation": False,
                    "top": 60, "bottom": 20, "left": 20, "right": 90,
                    "edgeSymbol": ["none", "arrow"], "edgeSymbolSize": 6,
                    "data": nodes, "links": links, "lineStyle": {"color": "#525252"}}],
    }
