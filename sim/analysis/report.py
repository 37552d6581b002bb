"""Tables of a sweep (outcomes, paired comparisons, increments, cost-effectiveness), its
figures, and report.md, which opens with the answer: the significant paired differences
from the reference, in words, with what each costs."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import figures
from sim.analysis.labels import caption, gain_label, gbp, outcome
from sim.analysis.options import Options, columns, names, resolve
from sim.analysis.stats import chance_better, cost_effect, holm, mean_ci, paired, significant
from sim.analysis.sweep import OUTCOMES, Sweep
from sim.config import ConfigError
from sim.ensemble import read_design
from sim.folders import DESIGN


def outcome_table(sweep: Sweep) -> pd.DataFrame:
    """Every comparable column's mean and 95% CI in every scenario."""
    rows = []
    for lv in sweep.levels:
        for key in columns(sweep):
            e = mean_ci(sweep.values(lv, key))
            rows.append({"scenario": lv, "outcome": key, "label": outcome(key).label,
                         "unit": outcome(key).unit, "mean": e.mean, "ci_low": e.low,
                         "ci_high": e.high, "replications": e.n})
    return pd.DataFrame(rows)


def compare(sweep: Sweep, pairs: list[tuple], keys: list[str]) -> pd.DataFrame:
    """Paired differences (scenario minus ``against``, replication k against k) for each pair
    and key, Holm-adjusted over all of them, and whether each is significant."""
    rows = []
    for level, against in pairs:
        for key in keys:
            ref, now = sweep.values(against, key), sweep.values(level, key)
            c = paired(ref, now)
            rows.append({"scenario": level, "against": against, "outcome": key,
                         "label": outcome(key).label, "difference": c.diff.mean,
                         "ci_low": c.diff.low, "ci_high": c.diff.high, "relative": c.relative,
                         "effect_size_dz": c.effect_size, "p_paired_t": c.p_value,
                         "p_wilcoxon": c.p_wilcoxon,
                         "p_better": chance_better(ref, now, outcome(key).better),
                         "n": c.diff.n})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["p_holm"] = holm(table["p_paired_t"])
    table["significant"] = [significant(r.ci_low, r.ci_high, r.n, r.p_holm)
                            for r in table.itertuples()]
    return table.drop(columns="n")


def comparison_table(sweep: Sweep, keys: list[str] | None = None) -> pd.DataFrame:
    """Each scenario against the reference, on ``keys`` (by default every outcome of
    sim.analysis.sweep.OUTCOMES that the sweep has)."""
    if keys is None:
        keys = [k for k in OUTCOMES if k in sweep.runs]
    pairs = [(lv, sweep.reference) for lv in sweep.levels if lv != sweep.reference]
    return compare(sweep, pairs, keys).drop(columns="against", errors="ignore")


def increment_table(sweep: Sweep, keys: list[str]) -> pd.DataFrame:
    """A numeric sweep's steps away from the reference: each level against its neighbour on
    the reference's side (GBP 8m against GBP 4m when the reference is GBP 2m): what the
    further step adds."""
    if not sweep.numeric:
        return pd.DataFrame()
    levels = sorted(sweep.levels)
    r = levels.index(sweep.reference)
    pairs = [(levels[i], levels[i - 1]) for i in range(r + 2, len(levels))]
    pairs += [(levels[i], levels[i + 1]) for i in range(r - 2, -1, -1)]
    return compare(sweep, pairs, keys)


def cost_table(sweep: Sweep, opts: Options, comparisons: pd.DataFrame) -> pd.DataFrame:
    """Extra annual cost against each gain; a cost per unit only where the gain is
    significant (its significance is the comparison's, from the same corrected family)."""
    rows = []
    ref = sweep.reference
    if comparisons.empty or "annual_cost_gbp" not in sweep.runs:
        return pd.DataFrame()
    found = comparisons.set_index(["scenario", "outcome"])
    base_cost = sweep.values(ref, "annual_cost_gbp").mean()
    for lv in sweep.levels:
        if lv == ref:
            continue
        extra = float(sweep.values(lv, "annual_cost_gbp").mean() - base_cost)
        for g in opts.gains:
            d = g.sign * (sweep.values(lv, g.key) - sweep.values(ref, g.key))
            gain = mean_ci(d)
            sig = bool(found.loc[(lv, g.key), "significant"])
            ce = cost_effect(extra, gain)
            money = "GBP" in outcome(g.key).unit
            unit = ce.cost_per_unit if sig and extra > 0 and not money else None
            rows.append({"scenario": lv, "gain": g.key, "gain_label": gain_label(g.key),
                         "extra_cost_gbp": extra, "gain_mean": gain.mean, "gain_low": gain.low,
                         "gain_high": gain.high, "significant": sig,
                         "cost_per_unit_gbp": unit.mean if unit else np.nan,
                         "cost_per_unit_low": unit.low if unit else np.nan,
                         "cost_per_unit_high": unit.high if unit else np.nan,
                         "reading": reading(extra, gain.mean, sig, unit, money)})
    return pd.DataFrame(rows)


def reading(extra: float, gain: float, sig: bool, unit, money: bool = False) -> str:
    """A cost-effectiveness result in words (a gain in GBP as a return per GBP spent)."""
    if not sig:
        return "no significant gain"
    if gain > 0 and extra > 0 and money:
        return f"GBP {gain / extra:.3g} per GBP spent"
    if gain > 0 and extra > 0:
        return f"{per_unit(unit.mean, unit.low, unit.high)} each"
    if gain > 0:
        return "gains and costs nothing more" if extra == 0 else "gains and saves money"
    if extra > 0:
        return "costs more and does worse"
    return f"saves {gbp(-extra / -gain)} per unit lost" if extra < 0 else "does worse"


# --- numbers and words ---------------------------------------------------------------------


def per_unit(mean: float, low: float, high: float) -> str:
    """GBP 36.1k [29.4k, 48.9k]."""
    if not np.isfinite(low):
        return gbp(mean)
    return f"{gbp(mean)} [{gbp(low).removeprefix('GBP ')}, {gbp(high).removeprefix('GBP ')}]"


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


def rounded(mean: float, low: float, high: float, money: bool = False) -> str:
    """An estimate and its interval to the precision the interval allows: 55 [41, 69]."""
    half = (high - low) / 2 if np.isfinite(high - low) and high > low else abs(mean) / 100
    step = 10.0 ** (np.floor(np.log10(half)) - 1) if half > 0 else 1.0
    step = max(step, 1.0 if abs(mean) >= 100 else 0.01)

    def one(v: float) -> str:
        if money:
            return gbp(round(v / step) * step).removeprefix("GBP ")
        v = round(v / step) * step
        return f"{v:,.0f}" if step >= 1 else f"{v:,.{int(-np.floor(np.log10(step)))}f}"

    return f"{one(mean)} [{one(low)}, {one(high)}]"


def words(key: str, diff: float, low: float, high: float) -> str:
    """A significant difference as a reader says it: "averts 55 [41, 69] re-traffickings a
    year"."""
    o = outcome(key)
    money = "GBP" in o.unit
    if o.more and o.less:
        a, b = sorted((abs(low), abs(high)))
        size = rounded(abs(diff), a, b, money=money)
        return (o.more if diff > 0 else o.less).format(size)
    sign = "+" if diff > 0 else ""
    return f"{o.label.lower()} {sign}{rounded(diff, low, high, money)} {o.unit}".strip()


def answer(sweep: Sweep, opts: Options, comparisons, increments, costs) -> list[str]:
    """The opening of report.md: each scenario's significant differences in words."""
    ref = sweep.reference
    out = ["## Answer", "",
           f"Each scenario against **{sweep.label(ref)}** (the reference), a year over the "
           f"policy period ({caption(sweep.runs)}"
           f"{'; replication k at posterior draw k in every scenario' if sweep.ensemble else ''}"
           "). Listed: differences that are significant "
           "(95% CI excludes zero and the paired t-test, Holm-adjusted over "
           f"{len(comparisons)} comparisons, gives p < 0.05), with the cost of each unit "
           "gained where the gain is significant.", ""]
    if comparisons.empty:
        return out + ["No paired comparison could be made (see below).", ""]
    by = comparisons.set_index(["scenario", "outcome"])
    cost = costs.set_index(["scenario", "gain"]) if not costs.empty else None
    rows = []
    for lv in sweep.levels:
        if lv == ref:
            continue
        said, quiet = [], []
        for key in opts.tested:
            r = by.loc[(lv, key)]
            if not r["significant"]:
                quiet.append(outcome(key).label.lower())
                continue
            text = words(key, r["difference"], r["ci_low"], r["ci_high"])
            if cost is not None and (lv, key) in cost.index:
                c = cost.loc[(lv, key)]
                if np.isfinite(c["cost_per_unit_gbp"]):
                    text += f", at {c['reading']}"
                elif c["significant"] and c["gain_mean"] > 0:
                    text += f" ({c['reading']})"
            said.append(text)
        if not increments.empty:
            step = increments[increments["scenario"] == lv]
            if not step.empty:
                against = step["against"].iloc[0]
                side = "beyond" if float(lv) > float(against) else "below"
                found = [words(r.outcome, r.difference, r.ci_low, r.ci_high)
                         for r in step.itertuples() if r.significant]
                said.append(f"{side} {sweep.label(against)}: " + "; ".join(found) if found
                            else f"{side} {sweep.label(against)} it changes nothing significant"
                            if side == "below"
                            else f"beyond {sweep.label(against)} it adds nothing significant")
        extra = ""
        if "annual_cost_gbp" in sweep.runs:
            delta = sweep.values(lv, "annual_cost_gbp").mean() - sweep.values(
                ref, "annual_cost_gbp").mean()
            extra = ("no extra cost" if delta == 0 else
                     f"{gbp(abs(delta))} a year {'more' if delta > 0 else 'less'}")
        name = f"**{sweep.label(lv)}**"
        if sweep.numeric and float(ref) > 0 and float(lv) > 0:  # type: ignore[arg-type]
            name += f" ({float(lv) / float(ref):.3g}x)"  # type: ignore[arg-type]
        rows.append([name, extra, "; ".join(said) or "nothing significant",
                     ", ".join(quiet) or "-"])
    out += [md_table(["scenario", "cost", "significant differences a year [95% CI]",
                      "no significant change in"], rows), ""]
    return out


# --- the analysis --------------------------------------------------------------------------


def analyse(root, given: dict | None = None) -> Path:
    """Figures (PNG, SVG, PDF), tables (CSV) and report.md for the sweep in ``root``, with
    the options ``given`` (outcomes, reference, gains, panel; see sim.analysis.options).
    A sensitivity design's folder gets its indices instead (sim.analysis.sensitivity)."""
    if (Path(root) / DESIGN).exists() and read_design(Path(root)) is None:
        from sim.analysis.sensitivity import analyse as indices

        given = given or {}
        extra = sorted(set(given) - {"outcomes"})
        if extra:
            raise ConfigError(f"{extra[0]}: a sensitivity design is analysed for outcomes=a,b "
                              "only")
        return indices(root, names(given["outcomes"]) if "outcomes" in given else None)
    sweep = Sweep.load(root)
    opts = resolve(sweep, given)
    _ = sweep.series  # every job's series read (a broken one named) before anything is written
    fewest = int(sweep.runs.groupby("scenario").size().min())
    if len(sweep.levels) > 1 and fewest < 2:
        print(f"warning: {fewest} replication of some level: no confidence intervals; run "
              "more (replications=N)", file=sys.stderr)
    folder = sweep.root / "figures"
    outcomes = outcome_table(sweep)
    comparable = len(sweep.levels) > 1 and sweep.paired_replications()
    comparisons = comparison_table(sweep, opts.tested) if comparable else pd.DataFrame()
    increments = increment_table(sweep, opts.tested) if comparable else pd.DataFrame()
    costs = cost_table(sweep, opts, comparisons) if comparable else pd.DataFrame()
    made = [figures.comparison(sweep, comparisons, opts.outcomes, folder)]
    made += [figures.panel(sweep, comparisons, key, folder) for key in opts.panel]
    made += [figures.cost_effectiveness(sweep, costs, folder), figures.timeseries(sweep, folder),
             figures.displacement(sweep, folder), figures.enforcement(sweep, folder)]
    outcomes.to_csv(sweep.root / "outcomes.csv", index=False)
    comparisons.to_csv(sweep.root / "comparisons.csv", index=False)
    increments.to_csv(sweep.root / "increments.csv", index=False)
    costs.to_csv(sweep.root / "cost_effectiveness.csv", index=False)
    text = render(sweep, opts, outcomes, comparisons, increments, costs, [m for m in made if m])
    (sweep.root / "report.md").write_text(text)
    return sweep.root / "report.md"


def intervals(sweep: Sweep) -> str:
    """What the intervals of a sweep hold: seed noise, or parameter uncertainty as well."""
    if sweep.ensemble:
        e = sweep.ensemble
        return ("intervals are 95% Student-t confidence intervals across replications, and "
                "replication k runs at its own draw k of the posterior "
                f"(`{e['posterior']}`, uncertainty set {e['uncertainty']}; drawn by weight "
                f"with seed {e['seed']}) with its own seed, the same draw and seed in every "
                "scenario: the intervals and the paired differences include parameter "
                "uncertainty as well as seed noise.")
    return ("intervals are 95% Student-t confidence intervals across replications (seed noise "
            "only, not parameter uncertainty).")


def beating(sweep: Sweep, opts: Options, comparisons) -> list[str]:
    """The chance that each scenario beats the reference on each outcome, as a table."""
    what = ("posterior draw and seed" if sweep.ensemble else "seed")
    out = ["## Chance of beating the reference", "",
           f"The share of paired replications (the same {what} in both) in which the "
           f"scenario does better than {sweep.label(sweep.reference)}, in each outcome's good "
           "direction: fewer victim-weeks of exploitation, recruits and re-traffickings, more "
           "victims identified and traffickers convicted (the direction is the analysis "
           "labels', `sim/analysis/labels.py`; a tie is not better; n/a for an outcome "
           "without a good direction). Column `p_better` of `comparisons.csv`.", ""]
    by = comparisons.set_index(["scenario", "outcome"])
    rows = [[sweep.label(lv)] + [fixed(by.loc[(lv, k), "p_better"], ".0%")
                                 for k in opts.tested]
            for lv in sweep.levels if lv != sweep.reference]
    header = ["scenario"] + [f"{outcome(k).label} ({'more' if outcome(k).better > 0 else 'less'}"
                             f" is better)" if outcome(k).better else outcome(k).label
                             for k in opts.tested]
    return out + [md_table(header, rows), ""]


def render(sweep: Sweep, opts: Options, outcomes, comparisons, increments, costs,
           made: list[Path]) -> str:
    n = int(sweep.runs.groupby("scenario").size().min())
    varied = sweep.factor or "nothing"
    out = [f"# Sweep report: {sweep.root.name}", ""]
    out += answer(sweep, opts, comparisons, increments, costs)
    out += ["## The sweep", "",
            f"{len(sweep.runs)} runs; varied: `{varied}` over {len(sweep.levels)} levels "
            f"({', '.join(sweep.label(lv) for lv in sweep.levels)}); at least {n} replications "
            f"each; {caption(sweep.runs)}. Reference: **{sweep.label(sweep.reference)}**. "
            f"Outcomes are over the policy period, per year; {intervals(sweep)}", "",
            "Outcomes compared: " + ", ".join(f"`{k}`" for k in opts.outcomes) + "; gains "
            "priced: " + ", ".join(f"`{'+' if g.sign > 0 else '-'}{g.key}`" for g in opts.gains)
            + ". Choose others with `python -m sim analyse <folder> outcomes=a,b "
            "reference=<level> gains=a,b` (any numeric column of `runs.parquet`).", ""]
    rows = []
    levels = outcomes.set_index(["scenario", "outcome"])
    for lv in sweep.levels:
        rows.append([sweep.label(lv)] + [ci(*levels.loc[(lv, k), ["mean", "ci_low", "ci_high"]])
                                         for k in opts.outcomes])
    out += ["## Levels", "", md_table(["scenario"] + [
        f"{outcome(k).label} ({outcome(k).unit})" for k in opts.outcomes], rows), ""]
    if not comparisons.empty:
        out += ["## Against the reference", "",
                f"Paired differences (scenario minus {sweep.label(sweep.reference)}, "
                "replication k against replication k: common random numbers), paired t-test "
                f"p-values adjusted by Holm's method over all {len(comparisons)} comparisons "
                "below, and the effect size d_z (mean difference over the SD of the "
                "differences). `comparisons.csv` also has the Wilcoxon signed-rank p-value of "
                "each comparison, which does not assume normal differences.", ""]
        rows = [[sweep.label(r.scenario), outcome(r.outcome).label,
                 ci(r.difference, r.ci_low, r.ci_high),
                 f"{r.relative:+.1%}" if np.isfinite(r.relative) else "n/a",
                 fixed(r.effect_size_dz, ".2f"), fixed(r.p_holm, ".3g"),
                 "yes" if r.significant else "no"]
                for r in comparisons.itertuples()]
        out += [md_table(["scenario", "outcome", "difference [95% CI]", "relative", "d_z",
                          "p (Holm)", "significant"], rows), ""]
    elif len(sweep.levels) > 1:
        out += ["Scenarios do not share the same replications, so no paired comparison is "
                "made.", ""]
    if not comparisons.empty:
        out += beating(sweep, opts, comparisons)
    if not increments.empty:
        out += ["## Each further step", "",
                "Each level against its neighbour on the reference's side (paired, "
                f"Holm-adjusted over these {len(increments)} comparisons): what the further "
                "step adds. In `increments.csv`.", ""]
        rows = [[sweep.label(r.scenario), sweep.label(r.against), outcome(r.outcome).label,
                 ci(r.difference, r.ci_low, r.ci_high), fixed(r.p_holm, ".3g"),
                 "yes" if r.significant else "no"] for r in increments.itertuples()]
        out += [md_table(["scenario", "against", "outcome", "difference [95% CI]", "p (Holm)",
                          "significant"], rows), ""]
    if not costs.empty:
        out += ["## Cost-effectiveness", "",
                "Extra annual cost over the reference (from the policy's unit costs) against "
                "the outcome gained a year. A cost per unit is given only where the gain is "
                "significant (as above); its interval follows from the gain's. Harm uses the "
                "Home Office's GBP 329,000 per victim (Research Report 100).", ""]
        rows = [[sweep.label(r.scenario), r.gain_label, gbp(r.extra_cost_gbp),
                 ci(r.gain_mean, r.gain_low, r.gain_high), r.reading]
                for r in costs.itertuples()]
        out += [md_table(["scenario", "gain", "extra cost a year", "gain a year [95% CI]",
                          "cost per unit [95% CI]"], rows), ""]
    glossed = [k for k in dict.fromkeys([*opts.tested]) if outcome(k).gloss]
    if glossed:
        out += ["## Units", ""] + [f"- {outcome(k).label}: {outcome(k).gloss}." for k in glossed]
        out += [""]
    out += ["## Figures", ""]
    out += [f"![{p.stem}](figures/{p.name})  \n[SVG](figures/{p.stem}.svg) · "
            f"[PDF](figures/{p.stem}.pdf)\n" for p in made]
    out += ["Tables for pandas or R: `runs.parquet` / `runs.csv` (one row per run), "
            "`outcomes.csv`, `comparisons.csv`, `increments.csv`, `cost_effectiveness.csv`.", ""]
    return "\n".join(out)
