"""Tables of a sweep (outcomes, paired comparisons, cost-effectiveness) and report.md."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import figures
from sim.analysis.stats import cost_effect, holm, mean_ci, paired
from sim.analysis.sweep import OUTCOMES, Sweep

GAINS = {  # gain: (outcome, sign: +1 if a rise is the gain)
    "identified_gained": ("identified_per_year", 1),
    "exploitation_averted": ("exploitation_weeks_per_year", -1),
    "retrafficking_averted": ("retrafficked_per_year", -1),
    "new_victims_cost_averted_gbp": ("new_victims_cost_gbp_per_year", -1),
}


def outcome_table(sweep: Sweep) -> pd.DataFrame:
    rows = []
    for lv in sweep.levels:
        for key in OUTCOMES:
            e = mean_ci(sweep.values(lv, key))
            rows.append({"scenario": lv, "outcome": key, "mean": e.mean, "ci_low": e.low,
                         "ci_high": e.high, "replications": e.n})
    return pd.DataFrame(rows)


def comparison_table(sweep: Sweep) -> pd.DataFrame:
    """Each scenario minus the reference, paired by replication, Holm-adjusted."""
    rows = []
    ref = sweep.reference
    for lv in sweep.levels:
        if lv == ref:
            continue
        for key in OUTCOMES:
            c = paired(sweep.values(ref, key), sweep.values(lv, key))
            rows.append({"scenario": lv, "outcome": key, "difference": c.diff.mean,
                         "ci_low": c.diff.low, "ci_high": c.diff.high, "relative": c.relative,
                         "effect_size_dz": c.effect_size, "p_paired_t": c.p_value,
                         "p_wilcoxon": c.p_wilcoxon})
    table = pd.DataFrame(rows)
    if not table.empty:
        table["p_holm"] = holm(table["p_paired_t"])
    return table


def cost_table(sweep: Sweep) -> pd.DataFrame:
    rows = []
    ref = sweep.reference
    base_cost = sweep.values(ref, "annual_cost_gbp").mean()
    for lv in sweep.levels:
        if lv == ref:
            continue
        extra = sweep.values(lv, "annual_cost_gbp").mean() - base_cost
        for gain, (key, sign) in GAINS.items():
            d = sign * (sweep.values(lv, key) - sweep.values(ref, key))
            ce = cost_effect(extra, mean_ci(d))
            rows.append({"scenario": lv, "gain": gain, "extra_cost_gbp": extra,
                         "gain_mean": ce.gain.mean, "gain_low": ce.gain.low,
                         "gain_high": ce.gain.high, "cost_per_unit_gbp": ce.cost_per_unit.mean,
                         "cost_per_unit_low": ce.cost_per_unit.low,
                         "cost_per_unit_high": ce.cost_per_unit.high})
    return pd.DataFrame(rows)


def md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def num(x: float, digits: int = 3) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.2f}m"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.{digits}g}"


def fixed(x: float, spec: str) -> str:
    return format(x, spec) if np.isfinite(x) else "n/a"


def ci(mean, low, high) -> str:
    return f"{num(mean)} [{num(low)}, {num(high)}]"


def analyse(root) -> Path:
    """Figures (PNG and SVG), tables (CSV) and report.md for the sweep in ``root``."""
    sweep = Sweep.load(root)
    _ = sweep.series  # every job's series read (a broken one named) before anything is written
    fewest = int(sweep.runs.groupby("scenario").size().min())
    if len(sweep.levels) > 1 and fewest < 2:
        print(f"warning: {fewest} replication of some level: no confidence intervals; run "
              "more (replications=N)", file=sys.stderr)
    folder = sweep.root / "figures"
    outcomes = outcome_table(sweep)
    comparable = len(sweep.levels) > 1 and sweep.paired_replications()
    comparisons = comparison_table(sweep) if comparable else pd.DataFrame()
    costs = cost_table(sweep) if comparable else pd.DataFrame()
    made = [figures.outcomes(sweep, folder), figures.timeseries(sweep, folder),
            figures.displacement(sweep, folder), figures.enforcement(sweep, folder),
            figures.cost_effectiveness(sweep, costs, folder)]
    outcomes.to_csv(sweep.root / "outcomes.csv", index=False)
    comparisons.to_csv(sweep.root / "comparisons.csv", index=False)
    costs.to_csv(sweep.root / "cost_effectiveness.csv", index=False)
    text = render(sweep, outcomes, comparisons, costs, [m for m in made if m])
    (sweep.root / "report.md").write_text(text)
    return sweep.root / "report.md"


def render(sweep: Sweep, outcomes, comparisons, costs, made: list[Path]) -> str:
    n = int(sweep.runs.groupby("scenario").size().min())
    varied = sweep.factor or "nothing"
    out = [f"# Sweep report: {sweep.root.name}", "",
           f"{len(sweep.runs)} runs; varied: `{varied}` over {len(sweep.levels)} levels "
           f"({', '.join(sweep.label(lv) for lv in sweep.levels)}); at least {n} replications "
           f"each. Reference: **{sweep.label(sweep.reference)}**. Outcomes are over the policy "
           "period, per year; intervals are 95% Student-t confidence intervals across "
           "replications.", ""]
    keys = list(OUTCOMES)
    rows = []
    for lv in sweep.levels:
        sub = outcomes[outcomes["scenario"] == lv].set_index("outcome")
        rows.append([sweep.label(lv)] + [ci(*sub.loc[k, ["mean", "ci_low", "ci_high"]])
                                         for k in keys])
    out += ["## Outcomes", "", md_table(["scenario"] + [OUTCOMES[k][0] + f" ({OUTCOMES[k][1]})"
                                                        for k in keys], rows), ""]
    if not comparisons.empty:
        out += ["## Against the reference", "",
                f"Paired differences (scenario minus {sweep.label(sweep.reference)}, "
                "replication k against replication k: common random numbers), paired t-test "
                f"p-values adjusted by Holm's method over all {len(comparisons)} comparisons "
                "below, and the effect size d_z (mean difference over the SD of the "
                "differences). `comparisons.csv` also has the Wilcoxon signed-rank p-value of "
                "each comparison, which does not assume normal differences.", ""]
        rows = [[sweep.label(r.scenario), OUTCOMES[r.outcome][0],
                 ci(r.difference, r.ci_low, r.ci_high),
                 f"{r.relative:+.1%}" if np.isfinite(r.relative) else "n/a",
                 fixed(r.effect_size_dz, ".2f"), fixed(r.p_holm, ".3g")]
                for r in comparisons.itertuples()]
        out += [md_table(["scenario", "outcome", "difference [95% CI]", "relative", "d_z",
                          "p (Holm)"], rows), ""]
    elif len(sweep.levels) > 1:
        out += ["Scenarios do not share the same replications, so no paired comparison is "
                "made.", ""]
    if not costs.empty:
        out += ["## Cost-effectiveness", "",
                "Extra annual cost over the reference (from the policy's unit costs) against "
                "the outcome gained a year. The cost per unit has an interval only when the "
                "gain's interval excludes zero. Harm uses the Home Office's GBP 329,000 per "
                "victim (Research Report 100).", ""]
        rows = [[sweep.label(r.scenario), r.gain.replace("_", " "), num(r.extra_cost_gbp),
                 ci(r.gain_mean, r.gain_low, r.gain_high),
                 ci(r.cost_per_unit_gbp, r.cost_per_unit_low, r.cost_per_unit_high)]
                for r in costs.itertuples()]
        out += [md_table(["scenario", "gain", "extra GBP / year", "gain / year [95% CI]",
                          "GBP per unit [95% CI]"], rows), ""]
    out += ["## Figures", ""]
    out += [f"![{p.stem}](figures/{p.name})  \n[SVG](figures/{p.stem}.svg)\n" for p in made]
    out += ["Tables for pandas or R: `runs.parquet` / `runs.csv` (one row per run), "
            "`outcomes.csv`, `comparisons.csv`, `cost_effectiveness.csv`.", ""]
    return "\n".join(out)
