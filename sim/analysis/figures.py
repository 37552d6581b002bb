"""The figures of a sweep, made to be pasted into a brief: the paired difference of each
scenario from the reference beside its level (the headline), one outcome on a page, weekly
series with bands, displacement between entry points, the cost-effectiveness plane and
enforcement over time.

Every figure takes its names, units and colours from sim.analysis.labels (one colour per
scenario in every figure of every sweep), starts level axes at zero so that noise does not
look like an effect, puts numeric levels on a numeric axis, and carries a caption line with
the world, the replications and the period. Each is written as PNG, SVG and PDF.
"""

import textwrap
from functools import wraps
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import ScaledTranslation
from scipy import stats as st

from sim.analysis.labels import caption, factor, gain_label, gbp, outcome, short
from sim.analysis.stats import frontier, mean_ci
from sim.analysis.sweep import Sweep

STYLE: dict = {"font.size": 9, "axes.titlesize": 10, "axes.spines.top": False,
               "axes.spines.right": False, "legend.frameon": False, "svg.fonttype": "none"}
FORMATS = ("png", "svg", "pdf")
ENTRIES = {"dover": "Dover", "channel_tunnel": "Channel Tunnel", "heathrow": "Heathrow",
           "other_airports": "Other airports", "east_coast_ports": "East-coast ports",
           "kent_small_boats": "Kent small boats", "holyhead_cta": "Holyhead (CTA)"}
GREY = "#666666"


def styled(draw):
    """Draw in the house style without touching matplotlib's global state: figures are made
    without pyplot (no backend is chosen) and the style holds only while ``draw`` runs."""
    @wraps(draw)
    def inner(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)
    return inner


def save(fig, folder: Path, name: str) -> Path:
    """The figure in each format, laid out once: the first format fixes the layout and the
    tight bounding box, the others reuse them (each layout costs a full draw)."""
    folder.mkdir(parents=True, exist_ok=True)
    first, *others = FORMATS
    fig.savefig(folder / f"{name}.{first}", dpi=200, bbox_inches="tight")
    tight = fig.get_tightbbox().padded(matplotlib.rcParams["savefig.pad_inches"])
    fig.set_layout_engine("none")
    for fmt in others:
        fig.savefig(folder / f"{name}.{fmt}", bbox_inches=tight)
    return folder / f"{name}.png"


def footer(fig, sweep: Sweep, keys=(), extra: str = "") -> None:
    """The caption line: world, replications, period, what the intervals are, and the
    meaning of any unit that needs one."""
    noise = ("posterior draws and seeds: parameter uncertainty and seed noise" if sweep.ensemble
             else "seed noise only, not parameter uncertainty")
    lines = [f"{caption(sweep.runs)}. 95% confidence intervals over replications ({noise})."
             f"{(' ' + extra) if extra else ''}"]
    lines += [f"{outcome(k).label}: {outcome(k).gloss}." for k in dict.fromkeys(keys)
              if outcome(k).gloss]
    width = int(fig.get_figwidth() * 17)  # characters of 7.5 pt across the figure
    text = "\n".join(textwrap.fill(line, width) for line in lines)
    below = fig.transFigure + ScaledTranslation(0, -6 / 72, fig.dpi_scale_trans)
    fig.text(0.0, 0.0, text, ha="left", va="top", fontsize=7.5, color="#333333",
             transform=below)


def thousands(ax, axis: str = "y") -> None:
    """Tick labels as people write numbers: 376k, 1.2m."""
    fmt = FuncFormatter(lambda v, _: short(v) if abs(v) >= 1e4 else f"{v:g}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def from_zero(ax, values, axis: str = "y") -> None:
    """Start a level axis at zero when every value is positive: a cropped axis makes noise
    look like an effect."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) and values.min() >= 0:
        (ax.set_ylim if axis == "y" else ax.set_xlim)(0, max(values.max() * 1.08, 1e-9))


def order(sweep: Sweep) -> list:
    """Scenarios as drawn: numeric levels in order, else the reference first and then the
    sweep's order."""
    if sweep.numeric:
        return list(sweep.levels)
    return [sweep.reference] + [lv for lv in sweep.levels if lv != sweep.reference]


def named(sweep: Sweep, level) -> str:
    """A scenario's name in a legend, the reference marked."""
    return sweep.label(level) + (" (reference)" if level == sweep.reference else "")


def numeric_axis(ax, sweep: Sweep, axis: str = "x") -> None:
    x = np.array(sweep.levels, dtype=float)
    if x.min() > 0 and x.max() / x.min() >= 8:  # levels doubling: even spacing
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log", base=2)
    if axis == "x":
        f = factor(sweep.factor)
        if f.kind == "gbp" and x.max() >= 1e6:  # GBP millions: short ticks, the unit once
            ax.set_xticks(x, [f"{v / 1e6:g}" for v in x])
            ax.set_xlabel(f"{f.name} (GBP million a year)")
        else:
            ax.set_xticks(x, [sweep.label(v) for v in x])
            ax.set_xlabel(f"{f.name} ({f.unit})" if f.unit and f.kind != "count" else f.name)
        ax.minorticks_off()


def mark(significant: bool, colour: str) -> dict:
    """Filled when the difference is significant, hollow when it is not."""
    return {"color": colour, "markerfacecolor": colour if significant else "white",
            "markeredgecolor": colour, "ms": 6, "capsize": 3, "lw": 1.4, "mew": 1.4}


def relative_axis(ax, base: float, axis: str) -> None:
    """A second scale: the difference as a share of the reference's level."""
    if not np.isfinite(base) or base == 0:
        return
    forward, back = (lambda d: d / base * 100), (lambda r: r * base / 100)
    sec = (ax.secondary_xaxis("top", functions=(forward, back)) if axis == "x"
           else ax.secondary_yaxis("right", functions=(forward, back)))
    sec.set_xlabel("% of reference") if axis == "x" else sec.set_ylabel("% of reference")
    sec.tick_params(labelsize=7.5, colors=GREY)


def draw_pair(sweep: Sweep, table: pd.DataFrame, key: str, level_ax, diff_ax,
              scenario_names: bool = True) -> None:
    """One outcome: its level in each scenario (left) and each scenario's paired difference
    from the reference (right, a forest plot with a zero line)."""
    o = outcome(key)
    rows = table[table["outcome"] == key].set_index("scenario")
    ref = sweep.reference
    base = mean_ci(sweep.values(ref, key)).mean
    levels = {lv: mean_ci(sweep.values(lv, key)) for lv in sweep.levels}
    level_ax.set_title("level", loc="left")
    diff_ax.set_title(f"difference from {sweep.label(ref)}", loc="left")
    if sweep.numeric:
        x = np.array(sweep.levels, dtype=float)
        level_ax.plot(x, [levels[lv].mean for lv in sweep.levels], color="#BBBBBB", lw=1,
                      zorder=1)
        for lv in sweep.levels:
            e = levels[lv]
            level_ax.errorbar(float(lv), e.mean, yerr=[[e.mean - e.low], [e.high - e.mean]],
                              fmt="o", **mark(True, sweep.colour(lv)))
        from_zero(level_ax, [e.high for e in levels.values()])
        level_ax.set_ylabel(o.unit)
        thousands(level_ax)
        diffs = [rows.loc[lv] if lv in rows.index else None for lv in sweep.levels]
        diff_ax.plot(x, [0 if d is None else d["difference"] for d in diffs], color="#BBBBBB",
                     lw=1, zorder=1)
        for lv, d in zip(sweep.levels, diffs, strict=True):
            if d is None:
                diff_ax.plot(float(lv), 0, "D", color="#000000", ms=6, zorder=3)
                diff_ax.annotate("reference", (float(lv), 0), xytext=(0, 7),
                                 textcoords="offset points", ha="center", fontsize=7.5)
                continue
            diff_ax.errorbar(float(lv), d["difference"], yerr=[[d["difference"] - d["ci_low"]],
                             [d["ci_high"] - d["difference"]]], fmt="o",
                             **mark(bool(d["significant"]), sweep.colour(lv)))
        diff_ax.axhline(0, color=GREY, lw=0.8, zorder=0)
        diff_ax.set_ylabel(f"difference ({o.unit})")
        thousands(diff_ax)
        relative_axis(diff_ax, base, "y")
        for ax in (level_ax, diff_ax):
            numeric_axis(ax, sweep)
        return
    drawn = order(sweep)
    y = np.arange(len(drawn))[::-1]
    for yi, lv in zip(y, drawn, strict=True):
        e = levels[lv]
        level_ax.errorbar(e.mean, yi, xerr=[[e.mean - e.low], [e.high - e.mean]], fmt="o",
                          **mark(True, sweep.colour(lv)))
        if lv == ref:
            diff_ax.plot(0, yi, "D", color="#000000", ms=6, zorder=3)
            diff_ax.annotate("reference", (0, yi), xytext=(6, 0), textcoords="offset points",
                             va="center", fontsize=7.5)
        elif lv in rows.index:
            d = rows.loc[lv]
            diff_ax.errorbar(d["difference"], yi, xerr=[[d["difference"] - d["ci_low"]],
                             [d["ci_high"] - d["difference"]]], fmt="o",
                             **mark(bool(d["significant"]), sweep.colour(lv)))
    from_zero(level_ax, [e.high for e in levels.values()], axis="x")
    level_ax.set_xlabel(o.unit)
    level_ax.set_yticks(y, [sweep.label(lv) for lv in drawn] if scenario_names else [])
    level_ax.set_ylim(y.min() - 0.6, y.max() + 0.6)
    thousands(level_ax, "x")
    diff_ax.axvline(0, color=GREY, lw=0.8, zorder=0)
    diff_ax.set_xlabel(f"difference ({o.unit})")
    diff_ax.tick_params(labelleft=False)
    thousands(diff_ax, "x")
    low, high = diff_ax.get_xlim()  # room for the reference's label right of zero
    diff_ax.set_xlim(min(low, 0), max(high, 0) + 0.12 * (max(high, 0) - min(low, 0)))
    relative_axis(diff_ax, base, "x")
    for ax in (level_ax, diff_ax):
        ax.grid(axis="x", color="#EEEEEE", lw=0.6)
        ax.set_axisbelow(True)


MARKS = ("Filled: significant (95% CI excludes zero, Holm-adjusted p < 0.05); hollow: not "
         "significant; diamond: the reference.")


def pair_size(sweep: Sweep) -> tuple[float, float]:
    """Width and height of one outcome's pair of panels, in inches."""
    if sweep.numeric:
        return 6.6, 2.9
    names = max(len(sweep.label(lv)) for lv in sweep.levels)
    return 4.8 + 0.055 * names, 1.0 + 0.3 * len(sweep.levels)


@styled
def comparison(sweep: Sweep, table: pd.DataFrame, keys: list[str], folder: Path,
               name: str = "comparison") -> Path | None:
    """The headline: for each outcome, the levels beside the paired differences from the
    reference (two outcomes a row; one outcome gives a figure sized for a page)."""
    keys = [k for k in keys if k in set(table["outcome"])] if not table.empty else []
    if not keys:
        return None
    width, height = pair_size(sweep)
    cols = 1 if len(keys) == 1 else 2
    rows = -(-len(keys) // cols)
    fig = Figure(figsize=(width * cols, height * rows + 0.9), layout="constrained")
    subs = np.array(fig.subfigures(rows, cols, wspace=0.04, hspace=0.04), dtype=object).ravel()
    for i, (sub, key) in enumerate(zip(subs, keys, strict=False)):
        level_ax, diff_ax = sub.subplots(1, 2, sharey=not sweep.numeric,
                                         width_ratios=[1, 1.15])
        draw_pair(sweep, table, key, level_ax, diff_ax, scenario_names=sweep.numeric
                  or i % cols == 0)
        if len(keys) > 1:
            sub.suptitle(outcome(key).label, ha="left", x=0.0, fontsize=10.5,
                         fontweight="bold")
    for sub in subs[len(keys):]:
        sub.set_visible(False)
    title = (outcome(keys[0]).label if len(keys) == 1
             else "Each scenario against the reference")
    fig.suptitle(f"{title}: level, and paired difference from {sweep.label(sweep.reference)} "
                 "(mean, 95% CI)", ha="left", x=0.0, fontsize=11)
    footer(fig, sweep, keys, MARKS)
    return save(fig, folder, name)


def panel(sweep: Sweep, table: pd.DataFrame, key: str, folder: Path) -> Path | None:
    """One outcome on a figure sized for a page (about 17 cm wide)."""
    return comparison(sweep, table, [key], folder, name=key)


def band(series, key: str, level) -> tuple:
    """Weekly mean and 95% CI across replications of one scenario."""
    g = series[series["scenario"] == level].groupby("week")[key]
    mean, sd, n = g.mean(), g.std(ddof=1).fillna(0), g.count()
    half = st.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    return mean.index.to_numpy(), mean.to_numpy(), (mean - half).to_numpy(), (
        mean + half).to_numpy()


@styled
def over_time(sweep: Sweep, folder: Path, name: str, panels: list, title: str) -> Path | None:
    series = sweep.series
    if series.empty:
        return None
    series = series.sort_values(["scenario", "replication", "week"]).copy()
    for key, _, _, rolling in panels:
        if rolling:  # weekly events as a 13-week moving rate a year
            series[key + "_rate"] = series.groupby(["scenario", "replication"])[key].transform(
                lambda s: s.rolling(13, min_periods=1).mean() * 52)
    cols = 2 if len(panels) == 4 else len(panels)
    rows = -(-len(panels) // cols)
    fig = Figure(figsize=(3.6 * cols + 0.4, 2.9 * rows + 1.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    start = series.loc[series["policy_in_force"] == 1, "week"].min()
    for ax, (key, label, unit, rolling) in zip(axes, panels, strict=True):
        column = key + "_rate" if rolling else key
        top = 0.0
        for lv in order(sweep):
            week, mean, low, high = band(series, column, lv)
            ax.fill_between(week, low, high, color=sweep.colour(lv), alpha=0.12, lw=0)
            ax.plot(week, mean, color=sweep.colour(lv), lw=1.2, label=named(sweep, lv))
            top = max(top, float(np.nanmax(high)) if len(high) else 0.0)
        ax.set_ylim(0, top * 1.08 or 1)
        if np.isfinite(start):
            ax.axvline(start, color=GREY, ls="--", lw=0.8)
            ax.annotate("policy starts", (start, 0.02), xycoords=("data", "axes fraction"),
                        xytext=(3, 0), textcoords="offset points", fontsize=7.5)
        ax.set_title(label, loc="left")
        ax.set_xlabel("week")
        ax.set_ylabel(unit)
        thousands(ax)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize=8)
    fig.suptitle(f"{title} (mean and 95% band across replications)", ha="left", x=0.0,
                 fontsize=11)
    footer(fig, sweep, extra="Rates are 13-week moving averages, as a rate a year.")
    return save(fig, folder, name)


def timeseries(sweep: Sweep, folder: Path) -> Path | None:
    return over_time(sweep, folder, "timeseries", [
        ("victims_exploited", "Victims in exploitation", "victims", False),
        ("identified", "Victims identified", "victims a year", True),
        ("recruited", "Newly recruited", "victims a year", True),
        ("retrafficked", "Re-trafficked", "survivors a year", True),
    ], "Weekly series by scenario")


def enforcement(sweep: Sweep, folder: Path) -> Path | None:
    return over_time(sweep, folder, "enforcement", [
        ("traffickers_active", "Traffickers active", "people", False),
        ("groups_active", "Crime groups active", "groups", False),
        ("traffickers_arrested", "Traffickers arrested", "people a year", True),
    ], "Crime groups under enforcement: disruption and recovery")


@styled
def displacement(sweep: Sweep, folder: Path) -> Path | None:
    """Crossings by entry point against the scenario: shares (did flows move?) and totals
    (did they stop?)."""
    cols = [c for c in sweep.runs.columns if c.startswith("crossings_") and c.endswith("_per_year")]
    if not cols:
        return None
    entries = [c.removeprefix("crossings_").removesuffix("_per_year") for c in cols]
    names = [ENTRIES.get(e, e.replace("_", " ")) for e in entries]
    means = np.array([[sweep.values(lv, c).mean() for c in cols] for lv in sweep.levels])
    totals = means.sum(axis=1, keepdims=True)
    shares = np.divide(means, totals, out=np.zeros_like(means), where=totals > 0)
    x = np.arange(len(sweep.levels))
    ticks = [sweep.label(lv) for lv in sweep.levels]
    fig = Figure(figsize=(10, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    bottom = np.zeros(len(x))
    for i, name in enumerate(names):
        c = PALETTE_ENTRIES[i % len(PALETTE_ENTRIES)]
        left.bar(x, shares[:, i] * 100, bottom=bottom * 100, color=c, label=name, width=0.7)
        bottom += shares[:, i]
        est = [mean_ci(sweep.values(lv, cols[i])) for lv in sweep.levels]
        right.errorbar(x, [e.mean for e in est],
                       yerr=[[e.mean - e.low for e in est], [e.high - e.mean for e in est]],
                       color=c, marker="o", capsize=3, lw=1.3, label=name)
    total = [mean_ci(sum(sweep.values(lv, c) for c in cols)) for lv in sweep.levels]
    right.errorbar(x, [e.mean for e in total],
                   yerr=[[e.mean - e.low for e in total], [e.high - e.mean for e in total]],
                   color="#000000", marker="s", ls="--", capsize=3, lw=1.5, label="all entries")
    right.set_ylim(0, max(e.high for e in total if np.isfinite(e.high)) * 1.08
                   if any(np.isfinite(e.high) for e in total) else 1)
    for ax in (left, right):
        ax.set_xticks(x, ticks, rotation=30, ha="right")
        f = factor(sweep.factor)
        ax.set_xlabel(f.name if sweep.factor else "scenario")
    left.set_ylabel("share of trafficking crossings (%)")
    left.set_title("Where trafficking crossings go", loc="left")
    right.set_ylabel("trafficking crossings a year")
    right.set_title("How many cross at each entry point", loc="left")
    thousands(right)
    right.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.suptitle("Displacement between UK entry points", ha="left", x=0.0, fontsize=11)
    footer(fig, sweep)
    return save(fig, folder, "displacement")


# entry points, not scenarios: a palette of their own, so that no entry shares a colour with
# a scenario of the other figures by accident of order
PALETTE_ENTRIES = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
                   "#882255", "#AA4499"]


@styled
def cost_effectiveness(sweep: Sweep, costs: pd.DataFrame, folder: Path) -> Path | None:
    """Extra annual cost against each gain, with the cost per unit where the gain is
    significant and the efficient frontier through the significant gains only."""
    if costs is None or costs.empty:
        return None
    gains = list(dict.fromkeys(costs["gain"]))
    cols = 1 if len(gains) == 1 else 2
    rows = -(-len(gains) // cols)
    fig = Figure(figsize=(5.2 * cols, 3.9 * rows + 1.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, key in zip(axes, gains, strict=False):
        rows_ = costs[costs["gain"] == key]
        o = outcome(key)
        gbp_unit = "GBP" in o.unit
        scale = 1e6 if gbp_unit else 1.0
        cost = rows_["extra_cost_gbp"].to_numpy() / 1e6
        mean = rows_["gain_mean"].to_numpy() / scale
        for (_, r), c, m in zip(rows_.iterrows(), cost, mean, strict=True):
            low, high = r["gain_low"] / scale, r["gain_high"] / scale
            ax.errorbar(c, m, yerr=[[m - low], [high - m]], fmt="o",
                        **mark(bool(r["significant"]), sweep.colour(r["scenario"])))
            note = (f"\n{gbp(r['cost_per_unit_gbp'])} each"
                    if np.isfinite(r["cost_per_unit_gbp"])
                    else (f"\n{r['reading']}" if r["significant"] else ""))
            ax.annotate(f"{sweep.label(r['scenario'])}{note}", (c, m), xytext=(5, 4),
                        textcoords="offset points", fontsize=7,
                        color="#000000" if r["significant"] else GREY)
        ax.plot(0, 0, "D", color="#000000", ms=6, zorder=3)
        ax.annotate(f"{sweep.label(sweep.reference)}\n(reference)", (0, 0), xytext=(5, -14),
                    textcoords="offset points", fontsize=7)
        sig = rows_["significant"].to_numpy(dtype=bool)
        px, py = np.append(cost[sig], 0.0), np.append(mean[sig], 0.0)
        on = frontier(list(px), list(py))
        if len(on) > 1:
            ax.plot(px[on], py[on], color=GREY, lw=1, ls=":", zorder=0,
                    label="efficient frontier (significant gains)")
            ax.legend(loc="upper left", fontsize=7.5)
        ax.axhline(0, color="#999999", lw=0.8, zorder=0)
        ax.axvline(0, color="#999999", lw=0.8, zorder=0)
        ax.set_xlabel(f"extra cost over {sweep.label(sweep.reference)} (GBP million a year)")
        ax.set_ylabel("GBP million a year" if gbp_unit else (o.unit or "a year"))
        ax.set_title(gain_label(key)[:1].upper() + gain_label(key)[1:], loc="left")
        thousands(ax)
        ax.margins(x=0.25, y=0.15)
    for ax in axes[len(gains):]:
        ax.set_visible(False)
    fig.suptitle("What the extra money buys: gain against extra cost, paired (mean, 95% CI)",
                 ha="left", x=0.0, fontsize=11)
    footer(fig, sweep, gains, MARKS + " No significant gain, no cost per unit.")
    return save(fig, folder, "cost_effectiveness")
