"""The figures of a sweep: outcomes with confidence intervals, weekly series with bands,
displacement between entry points, the cost-effectiveness plane, enforcement over time."""

from functools import wraps
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from scipy import stats as st

from sim.analysis.stats import frontier, mean_ci
from sim.analysis.sweep import OUTCOMES, Sweep, short

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies
PALETTE = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7",
           "#F0E442"]
STYLE: dict = {"font.size": 10, "axes.titlesize": 11, "axes.spines.top": False,
         "axes.spines.right": False, "legend.frameon": False}


def styled(draw):
    """Draw in the house style without touching matplotlib's global state: figures are made
    without pyplot (no backend is chosen) and the style holds only while ``draw`` runs."""
    @wraps(draw)
    def inner(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)
    return inner


def colours(sweep: Sweep) -> dict:
    return {lv: PALETTE[i % len(PALETTE)] for i, lv in enumerate(sweep.levels)}


def save(fig, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / f"{name}.png", dpi=150, bbox_inches="tight")
    fig.savefig(folder / f"{name}.svg", bbox_inches="tight")
    return folder / f"{name}.png"


@styled
def outcomes(sweep: Sweep, folder: Path) -> Path:
    """Six outcomes by scenario (or along the swept level), mean and 95% CI."""
    keys = list(OUTCOMES)[:6]
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    axes = fig.subplots(2, 3)
    colour = colours(sweep)
    for ax, key in zip(axes.flat, keys, strict=True):
        label, unit, _ = OUTCOMES[key]
        est = [mean_ci(sweep.values(lv, key)) for lv in sweep.levels]
        means = np.array([e.mean for e in est])
        err = np.array([[e.mean - e.low for e in est], [e.high - e.mean for e in est]])
        if sweep.numeric:
            x = np.array(sweep.levels, dtype=float)
            ax.fill_between(x, [e.low for e in est], [e.high for e in est], color="#56B4E9",
                            alpha=0.3, lw=0, label="95% CI")
            ax.plot(x, means, "o-", color="#0072B2", label="mean")
            if x.min() > 0 and x.max() / x.min() >= 8:  # levels doubling: even spacing
                ax.set_xscale("log", base=2)
            ax.set_xticks(x, [short(v) for v in x])
            ax.minorticks_off()
            ax.set_xlabel(axis_label(sweep))
        else:
            x = np.arange(len(sweep.levels))
            ax.bar(x, means, color=[colour[lv] for lv in sweep.levels], alpha=0.85)
            ax.errorbar(x, means, yerr=err, fmt="none", ecolor="#555555", capsize=3, lw=1)
            ax.set_xticks(x, [str(lv) for lv in sweep.levels], rotation=30, ha="right")
        ax.set_title(label)
        ax.set_ylabel(unit)
    n = sweep.runs.groupby("scenario").size().min()
    if sweep.numeric:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=2)
    fig.suptitle(f"Outcomes over the policy period, mean and 95% CI ({n} replications)")
    return save(fig, folder, "outcomes")


def axis_label(sweep: Sweep) -> str:
    factor = str(sweep.factor)
    return {"policy.care.support_gbp": "victim-support funding (GBP / year)",
            "policy.border.entry_screening": "screening multiplier at the tightened entry point",
            "policy.international.prevention_gbp": "prevention spending (GBP / year)",
            "policy.enforcement.nca_units": "NCA units"}.get(factor, factor)


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
    fig = Figure(figsize=(4 * len(panels), 3.8), layout="constrained")
    axes = fig.subplots(1, len(panels))
    colour = colours(sweep)
    start = series.loc[series["policy_in_force"] == 1, "week"].min()
    for ax, (key, label, unit, rolling) in zip(np.atleast_1d(axes), panels, strict=True):
        column = key + "_rate" if rolling else key
        for lv in sweep.levels:
            week, mean, low, high = band(series, column, lv)
            ax.fill_between(week, low, high, color=colour[lv], alpha=0.2, lw=0)
            ax.plot(week, mean, color=colour[lv], lw=1.3, label=sweep.label(lv))
        if np.isfinite(start):
            ax.axvline(start, color="#555555", ls="--", lw=1)
            ax.annotate("policy starts", (start, 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -12), textcoords="offset points", fontsize=8)
        ax.set_title(label)
        ax.set_xlabel("week")
        ax.set_ylabel(unit)
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6))
    fig.suptitle(title + " (mean and 95% band across replications)")
    return save(fig, folder, name)


def timeseries(sweep: Sweep, folder: Path) -> Path | None:
    return over_time(sweep, folder, "timeseries", [
        ("victims_exploited", "Victims in exploitation", "victims", False),
        ("identified", "Victims identified", "victims / year (13-week rate)", True),
        ("recruited", "Newly recruited", "victims / year (13-week rate)", True),
        ("retrafficked", "Re-trafficked", "victims / year (13-week rate)", True),
    ], "Weekly series by scenario")


def enforcement(sweep: Sweep, folder: Path) -> Path | None:
    return over_time(sweep, folder, "enforcement", [
        ("traffickers_active", "Traffickers active", "people", False),
        ("groups_active", "Crime groups active", "groups", False),
        ("traffickers_arrested", "Traffickers arrested", "people / year (13-week rate)", True),
    ], "Crime groups under enforcement: disruption and recovery")


@styled
def displacement(sweep: Sweep, folder: Path) -> Path | None:
    """Crossings by entry point against the scenario: shares (did flows move?) and totals
    (did they stop?)."""
    cols = [c for c in sweep.runs.columns if c.startswith("crossings_") and c.endswith("_per_year")]
    if not cols:
        return None
    entries = [c.removeprefix("crossings_").removesuffix("_per_year") for c in cols]
    means = np.array([[sweep.values(lv, c).mean() for c in cols] for lv in sweep.levels])
    totals = means.sum(axis=1, keepdims=True)
    shares = np.divide(means, totals, out=np.zeros_like(means), where=totals > 0)
    x = np.arange(len(sweep.levels))
    ticks = [short(lv) if sweep.numeric else str(lv) for lv in sweep.levels]
    fig = Figure(figsize=(12, 4.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    bottom = np.zeros(len(x))
    for i, entry in enumerate(entries):
        c = PALETTE[(i + 1) % len(PALETTE)]
        left.bar(x, shares[:, i] * 100, bottom=bottom * 100, color=c, label=entry, width=0.7)
        bottom += shares[:, i]
        est = [mean_ci(sweep.values(lv, cols[i])) for lv in sweep.levels]
        right.errorbar(x, [e.mean for e in est],
                       yerr=[[e.mean - e.low for e in est], [e.high - e.mean for e in est]],
                       color=c, marker="o", capsize=3, lw=1.3, label=entry)
    total = [mean_ci(sum(sweep.values(lv, c) for c in cols)) for lv in sweep.levels]
    right.errorbar(x, [e.mean for e in total],
                   yerr=[[e.mean - e.low for e in total], [e.high - e.mean for e in total]],
                   color="#000000", marker="s", ls="--", capsize=3, lw=1.5, label="all entries")
    for ax in (left, right):
        ax.set_xticks(x, ticks, rotation=0 if sweep.numeric else 30,
                      ha="center" if sweep.numeric else "right")
        ax.set_xlabel(axis_label(sweep) if sweep.numeric else "scenario")
    left.set_ylabel("share of trafficking crossings (%)")
    left.set_title("Where trafficking crossings go")
    right.set_ylabel("crossings / year (mean, 95% CI)")
    right.set_title("How many cross at each entry point")
    right.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.suptitle("Displacement between UK entry points")
    return save(fig, folder, "displacement")


@styled
def cost_effectiveness(sweep: Sweep, table, folder: Path) -> Path | None:
    """Extra annual cost against outcome gained, with the efficient frontier."""
    if table is None or table.empty:
        return None
    gains = [("exploitation_averted", "Exploitation averted", "victim-weeks / year", 1),
             ("identified_gained", "Extra victims identified", "victims / year", 1),
             ("new_victims_cost_averted_gbp", "Cost of new victims averted (GBP 329k each)",
              "GBP million / year", 1e6)]
    fig = Figure(figsize=(15, 4.8), layout="constrained")
    axes = fig.subplots(1, 3)
    colour = colours(sweep)
    for ax, (key, title, unit, scale) in zip(axes, gains, strict=True):
        rows = table[table["gain"] == key]
        cost = rows["extra_cost_gbp"].to_numpy() / 1e6
        mean = rows["gain_mean"].to_numpy() / scale
        for (_, r), c, m in zip(rows.iterrows(), cost, mean, strict=True):
            low, high = r["gain_low"] / scale, r["gain_high"] / scale
            ax.errorbar(c, m, yerr=[[m - low], [high - m]], fmt="o",
                        color=colour[r["scenario"]], capsize=3, ms=7,
                        label=sweep.label(r["scenario"]))
            if not sweep.numeric:
                ax.annotate(sweep.label(r["scenario"]), (c, m), xytext=(5, 5),
                            textcoords="offset points", fontsize=8)
        ref = sweep.reference  # the origin of the plane
        ax.plot(0, 0, "o", color=colour[ref], ms=7, label=f"{sweep.label(ref)} (reference)")
        cost, mean = np.append(cost, 0.0), np.append(mean, 0.0)
        on = frontier(list(cost), list(mean))
        ax.plot(cost[on], mean[on], color="#555555", lw=1, ls=":", label="efficient frontier")
        ax.axhline(0, color="#999999", lw=0.8)
        if key == "new_victims_cost_averted_gbp":  # above: saves more than it costs
            edge = np.array([min(cost.min(), 0), max(cost.max(), 0)])
            ax.plot(edge, edge, color="#D55E00", lw=0.8, ls="--", label="cost averted = cost")
        ax.set_xlabel(f"extra cost over {sweep.label(sweep.reference)} (GBP million / year)")
        ax.set_ylabel(unit)
        ax.set_title(title)
    legend: dict = {}
    for ax in axes:
        legend |= {label: h for h, label in zip(*ax.get_legend_handles_labels(), strict=True)}
    fig.legend(list(legend.values()), list(legend.keys()), loc="outside lower center",
               ncol=min(len(legend), 5))
    fig.suptitle("Cost-effectiveness against the reference (paired mean and 95% CI)")
    return save(fig, folder, "cost_effectiveness")
