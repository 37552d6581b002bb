"""The indices of a sensitivity design, the figures, and which conclusions hold.

For every headline outcome, two kinds of quantity are analysed at each point of the design:
its level under the baseline, and each policy's effect (policy minus baseline, paired on the
point's parameters and seed). Morris gives mu* (the mean absolute elementary effect: how far
the quantity moves when the factor crosses its range), its bootstrap CI and sigma
(interactions and non-linearity); Sobol gives first-order and total indices with bootstrap
CIs. The robustness table asks, for each policy and outcome, whether the sign of the effect
over the whole design survives every structural alternative and either half of every
numeric range.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.figures import save, styled, thousands
from sim.analysis.labels import DEFAULT_OUTCOMES, outcome, short
from sim.analysis.stats import mean_ci
from sim.config import ConfigError
from sim.runs import job_folders, read_parquet, read_summary
from sim.sensitivity import DESIGN

NOISE = "replication"  # the seed factor: its index is the noise level


def load(root: Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The design and, for each scenario, the metrics of each point (rows in design order);
    ConfigError if a point lacks a complete run."""
    design = json.loads((root / DESIGN).read_text())
    runs = read_parquet(root / "runs.parquet", needs=("job",))
    done = set(runs["job"])
    keys = {o.split("=", 1)[0] for point in design["points"] for o in point}
    found: dict[tuple[str, tuple[str, ...]], dict] = {}
    for folder in job_folders(root):
        job = str(folder.relative_to(root))
        if job not in done:
            continue
        record = read_summary(folder)
        given = dict(o.split("=", 1) for o in record["overrides"])
        point = tuple(sorted(o for o in record["overrides"] if o.split("=", 1)[0] in keys))
        found[given.get("policy", "baseline"), point] = record["metrics"]
    scenarios = {}
    for scenario in ["baseline", *design["policies"]]:
        rows = [found.get((scenario, tuple(sorted(p)))) for p in design["points"]]
        missing = sum(r is None for r in rows)
        if missing:
            raise ConfigError(f"{root}: {missing} of {len(rows)} points of the design have no "
                              f"complete run under {scenario}; run the same command again to "
                              "complete them (finished jobs are kept)")
        scenarios[scenario] = pd.DataFrame(rows)
    return design, scenarios


def quantities(design: dict, scenarios: dict[str, pd.DataFrame], outcomes) -> dict:
    """(outcome, scenario) -> values at each point: the baseline's level, each policy's
    paired effect."""
    base = scenarios["baseline"]
    out = {}
    for key in outcomes:
        out[key, "baseline"] = base[key].to_numpy(float)
        for policy in design["policies"]:
            out[key, policy] = scenarios[policy][key].to_numpy(float) - out[key, "baseline"]
    return out


def indices(design: dict, values: dict) -> pd.DataFrame:
    """One row per factor, outcome and scenario with the method's indices."""
    problem = design["problem"]
    x = np.array(design["x"])
    rows = []
    for (key, scenario), y in values.items():
        if design["method"] == "morris":
            from SALib.analyze import morris

            res = morris.analyze(problem, x, y, num_levels=design["levels"],
                                 num_resamples=1000, seed=design["seed"])
            cols = {"mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"],
                    "sigma": res["sigma"], "mu": res["mu"]}
        else:
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=False, num_resamples=1000,
                                seed=design["seed"])
            cols = {k: res[k] for k in ("S1", "S1_conf", "ST", "ST_conf")}
        for j, name in enumerate(problem["names"]):
            rows.append({"parameter": name, "outcome": key, "scenario": scenario,
                         "quantity": "level" if scenario == "baseline" else "effect"}
                        | {k: float(v[j]) for k, v in cols.items()})
    return pd.DataFrame(rows)


def ranking(design: dict) -> str:
    return "mu_star" if design["method"] == "morris" else "ST"


def top(table: pd.DataFrame, design: dict, n: int = 3) -> pd.DataFrame:
    """The ``n`` factors that move each quantity most."""
    key = ranking(design)
    return (table.sort_values(key, ascending=False, kind="stable")
            .groupby(["outcome", "scenario"], sort=False).head(n))


# --- which conclusions hold -------------------------------------------------------------


def subsets(design: dict) -> list[tuple[str, np.ndarray]]:
    """Parts of the design to test a conclusion on: each level of a structural factor, and
    the lower and upper half of each numeric range (the seed factor aside)."""
    x = np.array(design["x"])
    parts = []
    for j, f in enumerate(design["factors"]):
        if f["name"] == NOISE:
            continue
        if f["levels"]:
            k = len(f["levels"])
            which = np.minimum((x[:, j] * k).astype(int), k - 1)
            parts += [(f"{f['name']} = {level}", which == i) for i, level in enumerate(f["levels"])]
        else:
            lo, hi = f["bounds"]
            mid = (lo + hi) / 2
            parts += [(f"{f['name']} < {short(mid)}", x[:, j] < mid),
                      (f"{f['name']} > {short(mid)}", x[:, j] > mid)]
    return [(name, mask) for name, mask in parts if mask.sum() >= 3]


def verdict(effect: np.ndarray, base: np.ndarray, parts) -> dict:
    """The effect over the design (relative to the baseline's mean level), and whether it
    holds (significant with the same sign in every part), depends on a part (where it is not
    significant and under half its size over the design), reverses in a part (significant
    with the opposite sign), or is not clear overall (and where it is)."""
    overall = mean_ci(effect)
    mean = float(np.mean(base)) or 1.0
    sign = 0 if overall.low <= 0 <= overall.high else int(np.sign(overall.mean))
    found = []  # (part, estimate, significant, relative to the part's baseline)
    for name, mask in parts:
        e = mean_ci(effect[mask])
        found.append((name, e, not (e.low <= 0 <= e.high),
                      e.mean / (float(np.mean(base[mask])) or 1.0)))
    share = float(np.mean(np.sign(effect) == sign)) if sign else float("nan")
    row: dict[str, object] = {"mean": overall.mean, "low": overall.low, "high": overall.high,
                              "relative": overall.mean / mean, "same_sign_share": share}
    whole = f"{overall.mean / mean:+.0%}"
    if not sign:
        strong = sorted((f for f in found if f[2]), key=lambda f: -abs(f[3]))
        row["verdict"] = f"no clear effect ({whole}, n.s.)" + (
            f"; {strong[0][3]:+.0%} when {strong[0][0]}" if strong else "")
        return row
    reverse = [f for f in found if f[2] and np.sign(f[1].mean) == -sign]
    if reverse:
        name, _, _, rel = max(reverse, key=lambda f: abs(f[3]))
        row["verdict"] = f"{whole}; reverses when {name} ({rel:+.0%})"
        return row
    weak = [f for f in found if not f[2] and abs(f[1].mean) < abs(overall.mean) / 2]
    if weak:
        name, _, _, rel = min(weak, key=lambda f: abs(f[1].mean))
        row["verdict"] = f"{whole}; depends on {name} ({rel:+.0%}, n.s.)"
        return row
    spread = [f[3] for f in found] or [overall.mean / mean]
    row["verdict"] = f"holds: {whole} ({min(spread):+.0%} to {max(spread):+.0%})"
    return row


def by_level(design: dict, values: dict, outcomes) -> list[str]:
    """Markdown tables: each policy's mean effect under each level of each structural factor
    (relative to the baseline's mean there; * where its 95% interval excludes zero)."""
    x = np.array(design["x"])
    lines = []
    for j, f in enumerate(design["factors"]):
        if not f["levels"]:
            continue
        k = len(f["levels"])
        which = np.minimum((x[:, j] * k).astype(int), k - 1)
        lines += [f"### Under each level of `{f['name']}`", "",
                  "| policy | level | " + " | ".join(outcome(o).label for o in outcomes) + " |",
                  "|---|---|" + "---|" * len(outcomes)]
        for policy in design["policies"]:
            for i, level in enumerate(f["levels"]):
                mask = which == i
                cells = []
                for key in outcomes:
                    e = mean_ci(values[key, policy][mask])
                    rel = e.mean / (float(np.mean(values[key, "baseline"][mask])) or 1.0)
                    cells.append(f"{rel:+.0%}{'*' if not (e.low <= 0 <= e.high) else ''}")
                lines.append(f"| {policy} | {level} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def robustness(design: dict, values: dict, outcomes) -> pd.DataFrame:
    parts = subsets(design)
    rows = []
    for policy in design["policies"]:
        for key in outcomes:
            rows.append({"policy": policy, "outcome": key}
                        | verdict(values[key, policy], values[key, "baseline"], parts))
    return pd.DataFrame(rows)


# --- figures ------------------------------------------------------------------------------


@styled
def morris_figure(table: pd.DataFrame, key: str, scenarios: list[str], folder: Path,
                  caption: str) -> Path:
    """mu* against sigma for the baseline level and each policy's effect on ``key``."""
    fig = Figure(figsize=(3.2 * len(scenarios), 3.4), layout="constrained")
    axes = fig.subplots(1, len(scenarios), squeeze=False)[0]
    for ax, scenario in zip(axes, scenarios, strict=True):
        part = table[(table.outcome == key) & (table.scenario == scenario)]
        ax.errorbar(part.mu_star, part.sigma, xerr=part.mu_star_conf, fmt="o", ms=3,
                    color="#0072B2", ecolor="#999999", elinewidth=0.8, label="a factor (95% CI)")
        noise = part[part.parameter == NOISE]
        ax.plot(noise.mu_star, noise.sigma, "o", ms=5, color="#D55E00", label="seed (noise)")
        for _, r in part.nlargest(4, "mu_star").iterrows():
            ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=6.5, xytext=(3, 2),
                        textcoords="offset points")
        ax.set_title("level under the baseline" if scenario == "baseline"
                     else f"effect of {scenario}", fontsize=9)
        ax.set_xlabel("mu* (change across the range)")
        thousands(ax, "x")
        thousands(ax, "y")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel("sigma (interactions, non-linearity)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower left", fontsize=7,
               frameon=False, title=caption, title_fontsize=7, alignment="left")
    fig.suptitle(f"Morris screening: {outcome(key).label} ({outcome(key).unit})", fontsize=10)
    return save(fig, folder, f"morris_{key}")


@styled
def sobol_figure(table: pd.DataFrame, key: str, scenarios: list[str], folder: Path,
                 caption: str) -> Path:
    """First-order and total Sobol indices with 95% CIs, per scenario."""
    fig = Figure(figsize=(3.2 * len(scenarios), 3.4), layout="constrained")
    axes = fig.subplots(1, len(scenarios), squeeze=False, sharey=True)[0]
    for ax, scenario in zip(axes, scenarios, strict=True):
        part = table[(table.outcome == key) & (table.scenario == scenario)]
        y = np.arange(len(part))
        ax.barh(y + 0.2, part.ST, 0.4, xerr=part.ST_conf, color="#0072B2", label="total")
        ax.barh(y - 0.2, part.S1, 0.4, xerr=part.S1_conf, color="#E69F00", label="first order")
        ax.set_yticks(y, part.parameter, fontsize=7)
        ax.axvline(0, color="#666666", lw=0.6)
        ax.set_title("level under the baseline" if scenario == "baseline"
                     else f"effect of {scenario}", fontsize=9)
        ax.set_xlabel("share of variance")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower left", fontsize=7,
               frameon=False, title=caption, title_fontsize=7, alignment="left")
    fig.suptitle(f"Sobol indices: {outcome(key).label}", fontsize=10)
    return save(fig, folder, f"sobol_{key}")


# --- the report ---------------------------------------------------------------------------


def sig(x: float, digits: int = 3) -> str:
    """A number to ``digits`` significant figures, with thousands separators: 22,400."""
    if not np.isfinite(x) or x == 0:
        return f"{x:g}"
    places = digits - int(np.floor(np.log10(abs(x)))) - 1
    return f"{round(x, places):,.{max(places, 0)}f}"


def figure_caption(design: dict) -> str:
    n, k = len(design["points"]), len(design["factors"])
    what = ("mu*: the mean absolute change of the quantity when a factor crosses its range "
            "(elementary effects); sigma: their spread" if design["method"] == "morris" else
            "first-order (alone) and total (with interactions) shares of the variance; "
            "95% bootstrap CIs")
    return (f"{design['method'].capitalize()} design: {n} points of {k} factors, each run "
            f"under the baseline and every policy (effects paired). {what}.")


def how_far(row: pd.Series, design: dict) -> str:
    if design["method"] == "morris":
        return f"{row.parameter} ({sig(row.mu_star)} ± {sig(row.mu_star_conf, 2)})"
    return f"{row.parameter} ({row.ST:.2f} ± {row.ST_conf:.2f})"


def render(root: Path, design: dict, table: pd.DataFrame, verdicts: pd.DataFrame,
           outcomes, made: list[Path], levels: list[str]) -> str:
    method = design["method"]
    n, k = len(design["points"]), len(design["factors"])
    scenarios = ["baseline", *design["policies"]]
    lines = [f"# Sensitivity analysis ({method})", "",
             f"{n} points of {k} factors (uncertainty set `{design['uncertainty']}`, "
             f"{'trajectories' if method == 'morris' else 'base samples'}: {design['samples']}),"
             f" each run under {', '.join(scenarios)}: {n * len(scenarios)} runs. A policy's "
             "effect is its outcome minus the baseline's at the same point and seed.", ""]
    lines += ["## Which conclusions hold", "",
              "Each policy's mean effect over the design (relative to the baseline's mean "
              "level), and whether its sign survives every structural alternative and either "
              "half of every numeric range (95% t intervals over the design's points: "
              "parameter and seed variation together). *Holds*: significant with the same "
              "sign everywhere (the range of the effect across those parts in brackets); "
              "*reverses when X*: significant with the opposite sign where X; *depends on X*: "
              "not significant and under half the size where X.",
              "", "| policy | " + " | ".join(outcome(o).label for o in outcomes) + " |",
              "|---|" + "---|" * len(outcomes)]
    for policy in design["policies"]:
        cells = [verdicts[(verdicts.policy == policy) & (verdicts.outcome == o)].verdict.iloc[0]
                 for o in outcomes]
        lines.append(f"| {policy} | " + " | ".join(cells) + " |")
    if levels:
        lines += ["", "Each policy's mean effect under each structural alternative (relative "
                  "to the baseline there; * where its 95% interval excludes zero; the other "
                  "factors vary over their ranges).", "", *levels]
    measure = ("mu*, the typical change across the factor's range, ± its 95% bootstrap CI"
               if method == "morris" else "total Sobol index ± its 95% bootstrap CI")
    lines += ["", "## What moves each outcome most", "",
              f"The three factors that move each quantity most ({measure}). The seed factor "
              f"`{NOISE}` is the yardstick of noise: a factor below it is not told apart from "
              "chance.", ""]
    best = top(table, design)
    for key in outcomes:
        lines += [f"### {outcome(key).label} ({outcome(key).unit})", "",
                  "| quantity | first | second | third | noise (seed) |", "|---|---|---|---|---|"]
        for scenario in scenarios:
            rows = best[(best.outcome == key) & (best.scenario == scenario)]
            noise = table[(table.outcome == key) & (table.scenario == scenario)
                          & (table.parameter == NOISE)]
            cells = [how_far(r, design) for _, r in rows.iterrows()]
            label = "level (baseline)" if scenario == "baseline" else f"effect of {scenario}"
            lines.append(f"| {label} | " + " | ".join(cells + [""] * (3 - len(cells))) + " | "
                         + (how_far(noise.iloc[0], design) if len(noise) else "") + " |")
        lines.append("")
    lines += ["## Figures", ""] + [f"![{p.stem}](figures/{p.name})" for p in made]
    lines += ["", "## Factors", "", "| factor | varies | range or levels | why |",
              "|---|---|---|---|"]
    for f in design["factors"]:
        span = ", ".join(f["levels"]) if f["levels"] else (
            f"{short(f['bounds'][0])} to {short(f['bounds'][1])}"
            + (" (x)" if f["kind"] == "scale" else ""))
        keys = ", ".join(f"`{k}`" for k in f["keys"][:2]) + (" ..." if len(f["keys"]) > 2 else "")
        lines.append(f"| {f['name']} | {keys} | {span} | {' '.join(f['why'].split())} |")
    lines += ["", "Tables: `sensitivity.csv` / `sensitivity.parquet` (indices), "
              "`robustness.csv` (the verdicts), `design.parquet` (the points)."]
    return "\n".join(lines) + "\n"


def analyse(root, outcomes=None) -> Path:
    """Indices, figures, the robustness table and report.md for the design in ``root``."""
    root = Path(root)
    outcomes = list(outcomes or DEFAULT_OUTCOMES)
    design, scenarios = load(root)
    absent = [o for o in outcomes if o not in scenarios["baseline"]]
    if absent:
        raise ConfigError(f"outcomes: {absent[0]} is not a metric of these runs")
    values = quantities(design, scenarios, outcomes)
    table = indices(design, values)
    verdicts = robustness(design, values, outcomes)
    table.to_csv(root / "sensitivity.csv", index=False)
    table.to_parquet(root / "sensitivity.parquet", index=False)
    verdicts.to_csv(root / "robustness.csv", index=False)
    draw = morris_figure if design["method"] == "morris" else sobol_figure
    folder = root / "figures"
    made = [draw(table, key, ["baseline", *design["policies"]], folder, figure_caption(design))
            for key in outcomes]
    levels = by_level(design, values, outcomes)
    (root / "report.md").write_text(render(root, design, table, verdicts, outcomes, made,
                                           levels))
    if len(design["points"]) < 20:
        print(f"warning: {len(design['points'])} points: indices this coarse only screen; "
              "raise samples=N for a reading", file=sys.stderr)
    return root / "report.md"
