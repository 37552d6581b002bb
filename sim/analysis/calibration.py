"""The fit report and figures of a calibration (``python -m sim calibrate``): observed
against simulated per year (posterior predictive median and 90% band, the years after the fit
marked out of sample), the composition, the error per year, and the posterior marginals."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.figures import save, styled, thousands
from sim.config import Config

BAND = (0.05, 0.95)
COLUMNS = ["measure", "year", "observed", "low_published", "high_published", "median", "low",
           "high", "calibrated", "hand_tuned", "error", "error_calibrated", "error_hand_tuned",
           "in_band", "sample"]
NAMES = {"nrm_referrals": "NRM referrals a year", "share_minors": "share of referrals: minors",
         "share_uk_nationals": "share of referrals: UK nationals",
         "prevalence": "exploited in the year (prevalence)",
         "identified": "victims identified a year"}


def label(measure: str) -> str:
    if measure in NAMES:
        return NAMES[measure]
    for prefix, what in (("share_source_", "nationals"), ("share_type_", "exploitation")):
        if measure.startswith(prefix):
            return f"share of referrals: {measure.removeprefix(prefix)} {what}"
    return measure


def bands(runs: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Per year: the posterior predictive median and 90% band of ``measure``, and the
    calibrated world's run."""
    own = runs[runs["role"] == "calibrated"].set_index("year")[measure]
    tuned = runs[runs["role"] == "hand-tuned"].set_index("year")[measure]
    draws = runs[runs["role"] == "draw"]
    if draws.empty:  # predictive=0: the calibrated run alone, no band
        table = pd.DataFrame({"median": own, "low": np.nan, "high": np.nan})
    else:
        grouped = draws.groupby("year")[measure]
        table = pd.DataFrame({"median": grouped.median(), "low": grouped.quantile(BAND[0]),
                              "high": grouped.quantile(BAND[1])})
    table["calibrated"] = own.reindex(table.index)
    table["hand_tuned"] = tuned.reindex(table.index)
    return table


def comparison(runs: pd.DataFrame, observed: pd.DataFrame, fit: tuple[int, int]
               ) -> pd.DataFrame:
    """Every published figure the runs simulate, beside the simulated median, band and the
    calibrated run, with the relative error of each and whether the year was fitted."""
    rows = []
    for measure, group in observed.groupby("measure", sort=False):
        if measure not in runs:
            continue
        table = bands(runs, measure)
        for row in group.itertuples(index=False):
            if row.year not in table.index:
                continue
            sim = table.loc[row.year]
            rows.append({"measure": measure, "year": int(row.year), "observed": row.value,
                         "low_published": row.low, "high_published": row.high,
                         "median": sim["median"], "low": sim["low"], "high": sim["high"],
                         "calibrated": sim["calibrated"], "hand_tuned": sim["hand_tuned"],
                         "error": sim["median"] / row.value - 1,
                         "error_calibrated": sim["calibrated"] / row.value - 1,
                         "error_hand_tuned": sim["hand_tuned"] / row.value - 1,
                         "in_band": bool(sim["low"] <= row.value <= sim["high"]),
                         "sample": "in" if fit[0] <= row.year <= fit[1] else "out"})
    return pd.DataFrame(rows, columns=COLUMNS)


def pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:+.0%}"


def num(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2f}"


@styled
def fit_figure(runs: pd.DataFrame, observed: pd.DataFrame, fit: tuple[int, int], world: str,
               caption: str, folder: Path) -> Path:
    measures = ["nrm_referrals"] + [m for m in dict.fromkeys(observed["measure"])
                                    if m != "nrm_referrals" and m in runs]
    cols = 3 if len(measures) > 4 else 2
    rows = math.ceil((len(measures) + (1 if measures else 0)) / cols)
    fig = Figure(figsize=(4.2 * cols, 3.0 * rows + 0.6))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    last_year = int(runs["year"].max())
    for i, measure in enumerate(measures):
        ax = axes[0] if i == 0 else axes[i + 1] if len(axes) > i + 1 else axes[i]
        if i == 0:  # referrals: two panels wide
            fig.delaxes(axes[1])
            ax = fig.add_subplot(rows, cols, (1, 2))
            fig.delaxes(axes[0])
        table = bands(runs, measure)
        years = table.index.to_numpy()
        ax.axvspan(fit[1] + 0.5, last_year + 0.5, color="0.92", zorder=0)
        ax.fill_between(years, table["low"], table["high"], color="C0", alpha=0.25,
                        label="90% band")
        ax.plot(years, table["median"], color="C0", label="posterior predictive median")
        ax.plot(years, table["calibrated"], color="C0", ls="--", lw=1,
                label="calibrated world (medians)")
        if table["hand_tuned"].notna().any():
            ax.plot(years, table["hand_tuned"], color="0.45", ls=":", lw=1,
                    label="hand-tuned world")
        seen = observed[observed["measure"] == measure]
        for sample, marker in (("in", "o"), ("out", "s")):
            part = seen[seen["year"].between(*fit) == (sample == "in")]
            ax.scatter(part["year"], part["value"], color="k" if sample == "in" else "C3",
                       marker=marker, zorder=3, s=18,
                       label="published (fitted)" if sample == "in" else
                       "published (out of sample)")
            ranged = part[part["low"].notna() & part["high"].notna()]
            ax.vlines(ranged["year"], ranged["low"], ranged["high"], color="k", lw=1)
        ax.set_title(label(measure), fontsize=9)
        ax.set_ylim(bottom=0)
        thousands(ax)
        if i == 0:
            ax.text(fit[1] + 0.7, ax.get_ylim()[1] * 0.95, "out of sample", va="top",
                    fontsize=8, color="0.4")
            ax.legend(fontsize=7, loc="upper left")
    for ax in axes[len(measures) + 1:]:
        fig.delaxes(ax)
    fig.suptitle(f"{world}: published figures against the calibrated model", fontsize=11)
    fig.text(0.01, 0.0, caption, fontsize=7, va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return save(fig, folder, "fit")


@styled
def posterior_figure(posterior: pd.DataFrame, factors, tuned: dict, caption: str,
                     folder: Path) -> Path:
    cols = min(4, len(factors))
    rows = math.ceil(len(factors) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.4 * rows + 0.5))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, f in zip(axes, factors, strict=False):
        lo, hi = f.bounds
        ax.hist(posterior[f.name], bins=np.linspace(lo, hi, 16), weights=posterior["weight"],
                density=True, color="C0", alpha=0.7)
        ax.axhline(1 / (hi - lo), color="0.5", ls=":", lw=1, label="prior")
        median = weighted_quantile(posterior[f.name], posterior["weight"], 0.5)
        ax.axvline(median, color="C0", lw=1.5, label="posterior median")
        if math.isfinite(tuned.get(f.name, math.nan)):
            ax.axvline(tuned[f.name], color="C3", ls="--", lw=1, label="hand-tuned")
        ax.set_xlim(lo, hi)
        ax.set_title(f.name, fontsize=9)
        ax.set_yticks([])
    axes[0].legend(fontsize=6)
    for ax in axes[len(factors):]:
        fig.delaxes(ax)
    fig.text(0.01, 0.0, caption, fontsize=7, va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return save(fig, folder, "posterior")


@styled
def pairs_figure(posterior: pd.DataFrame, factors, tuned: dict, folder: Path) -> Path:
    """Each pair of parameters: the last generation's particles, sized by weight (the
    correlations the marginals hide)."""
    n = len(factors)
    fig = Figure(figsize=(1.7 * n + 0.5, 1.7 * n + 0.5))
    axes = fig.subplots(n, n, squeeze=False)
    size = 60 * posterior["weight"] / posterior["weight"].max()
    for i, fy in enumerate(factors):
        for j, fx in enumerate(factors):
            ax = axes[i][j]
            if j >= i:
                if j > i:
                    fig.delaxes(ax)
                    continue
                ax.hist(posterior[fx.name], bins=np.linspace(fx.bounds[0], fx.bounds[1], 12),
                        weights=posterior["weight"], color="C0", alpha=0.7)
                ax.set_yticks([])
            else:
                ax.scatter(posterior[fx.name], posterior[fy.name], s=size, color="C0",
                           alpha=0.5, lw=0)
                if math.isfinite(tuned.get(fx.name, math.nan)) and math.isfinite(
                        tuned.get(fy.name, math.nan)):
                    ax.scatter([tuned[fx.name]], [tuned[fy.name]], marker="x", color="C3",
                               s=20)
                ax.set_ylim(*fy.bounds)
            ax.set_xlim(*fx.bounds)
            ax.tick_params(labelsize=5)
            if i == n - 1:
                ax.set_xlabel(fx.name, fontsize=6)
            if j == 0 and i > 0:
                ax.set_ylabel(fy.name, fontsize=6)
    fig.text(0.01, 0.0, "Pairs of parameters: the last generation's particles, sized by "
             "weight; x: the hand-tuned world; diagonal: weighted marginals.", fontsize=7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return save(fig, folder, "pairs")


def weighted_quantile(values, weights, q: float) -> float:
    from sim.calibrate import weighted_quantile as wq

    return wq(values, weights, q)


def tuned_values(factors, base: Config) -> dict:
    """Each factor's value in the world as it was hand-tuned: a range's key's value, a
    scale's 1."""
    from omegaconf import OmegaConf

    from sim.uncertainty import value_at

    values = OmegaConf.structured(base)
    out = {}
    for f in factors:
        if f.kind == "scale":
            out[f.name] = 1.0
        elif f.kind == "range":
            out[f.name] = float(value_at(values, f.keys[0]))
    return out


def report(root: Path, settings, factors, observed: pd.DataFrame, posterior: pd.DataFrame,
           populations: pd.DataFrame, runs: pd.DataFrame, base: Config) -> Path:
    """report.md and figures/ of a calibration's folder."""
    from sim.calibrate import ROUNDS, fitted

    fit = settings.fit
    table = comparison(runs, observed, fit)
    table.to_csv(root / "fit.csv", index=False)
    draws = int(runs.loc[runs["role"] == "draw", "draw"].nunique())
    rounds = pd.read_csv(root / ROUNDS) if (root / ROUNDS).exists() else pd.DataFrame()
    if len(rounds):  # a round run again (resumed, or a finished calibration re-run): once
        rounds = rounds.groupby("round", sort=False).agg(
            jobs=("jobs", "max"), complete=("complete", "max"),
            seconds=("seconds", "sum")).reset_index()
    jobs = int(rounds["jobs"].sum()) if len(rounds) else 0
    hours = float(rounds["seconds"].sum()) / 3600 if len(rounds) else math.nan
    budget = settings.population * settings.generations
    caption = (f"{base.world.name}; fitted to {fit[0]}-{fit[1]} by ABC-SMC (population "
               f"{settings.population}, {settings.generations} generations); {draws} posterior "
               "draws run over every year, one seed each: the band holds parameter uncertainty "
               "and seed noise.")
    figs = root / "figures"
    fit_png = fit_figure(runs, observed, fit, base.world.name, caption, figs)
    tuned = tuned_values(factors, base)
    post_png = posterior_figure(posterior, factors, tuned,
                                f"Weighted histograms of the last generation ({len(posterior)} "
                                "particles); dotted: the uniform prior.", figs)
    pairs_png = pairs_figure(posterior, factors, tuned, figs)
    referrals = table[table["measure"] == "nrm_referrals"]
    inside = referrals[referrals["sample"] == "in"]
    outside = referrals[referrals["sample"] == "out"]
    wanted = fitted(observed, fit, base)
    lines = [f"# Calibration of {base.world.name} to {fit[0]}-{fit[1]}", ""]
    if budget < 300:
        lines += [f"**Small budget** (population {settings.population}, {settings.generations} "
                  "generations): a first fit to show the machinery and the order of the "
                  "answer, not a converged posterior. The default budget is larger "
                  "(README, Calibration).", ""]
    lines += [
        f"Command: `{command(root)}`", "",
        "## Answer", "",
        headline("In sample", inside),
        headline("Out of sample", outside) if len(outside) else "No year after the fit.",
        f"The calibrated world (every parameter at its posterior median; "
        f"`{base.world.name}_calibrated.yaml`) misses the referrals by "
        f"{spread(inside, 'error_calibrated')} in sample and "
        f"{spread(outside, 'error_calibrated')} out of sample; the hand-tuned world (one run "
        f"of the world file as it was) by {spread(inside, 'error_hand_tuned')} and "
        f"{spread(outside, 'error_hand_tuned')}. Distance (section 9 of docs/ODD.md) over the "
        f"fitted figures: calibrated run {single(runs, 'calibrated', wanted):.3f}, hand-tuned "
        f"run {single(runs, 'hand-tuned', wanted):.3f}, posterior predictive draws "
        f"{draw_distances(runs, wanted)}.", "",
        f"![fit]({fit_png.relative_to(root)})", "",
        "## Referrals per year", "",
        "| year | published | simulated median | 90% band | error | calibrated run | error | "
        "hand-tuned run | error | fitted |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in referrals.itertuples():
        lines.append(f"| {r.year} | {num(r.observed)} | {num(r.median)} | {num(r.low)}-"
                     f"{num(r.high)} | {pct(r.error)} | {num(r.calibrated)} | "
                     f"{pct(r.error_calibrated)} | {num(r.hand_tuned)} | "
                     f"{pct(r.error_hand_tuned)} | {'yes' if r.sample == 'in' else 'no'} |")
    others = table[table["measure"] != "nrm_referrals"]
    if len(others):
        lines += ["", "## Composition and levels", "",
                  "| figure | year | published | simulated median | 90% band | error | fitted |",
                  "|---|---|---|---|---|---|---|"]
        for r in others.itertuples():
            published = (f"{num(r.observed)} ({num(r.low_published)}-{num(r.high_published)})"
                         if math.isfinite(r.low_published) else num(r.observed))
            lines.append(f"| {label(r.measure)} | {r.year} | {published} | {num(r.median)} | "
                         f"{num(r.low)}-{num(r.high)} | {pct(r.error)} | "
                         f"{'yes' if r.sample == 'in' else 'no'} |")
    lines += ["", "## Posterior", "",
              "| parameter | prior (uniform) | hand-tuned | posterior median | 90% interval |",
              "|---|---|---|---|---|"]
    for f in factors:
        q = [weighted_quantile(posterior[f.name], posterior["weight"], p)
             for p in (0.5, *BAND)]
        lines.append(f"| `{f.name}` ({f.kind}) | {f.bounds[0]:g}-{f.bounds[1]:g} | "
                     f"{tuned.get(f.name, math.nan):g} | {q[0]:.3g} | {q[1]:.3g}-{q[2]:.3g} |")
    lines += ["", f"![posterior]({post_png.relative_to(root)})", "",
              f"![pairs]({pairs_png.relative_to(root)})", "",
              "## How it was fitted", "",
              f"ABC-SMC (pyabc) with uniform priors on the {len(factors)} factors of the "
              f"uncertainty set `{settings.uncertainty}`, against {len(wanted)} published "
              f"figures of {fit[0]}-{fit[1]} ("
              + ", ".join(sorted(set(wanted["measure"]))) + "). Distance: the weighted root "
              "mean square of ln(simulated / published) (0 inside a published range; weights: "
              "referrals, shares and prevalence 1, identified 0.5; docs/ODD.md, section 9). "
              "Each generation's threshold is the median distance of the one before; the first "
              "keeps every prior draw that ran. Each simulation runs to the end of the last "
              "fitted year; the posterior predictive runs go on to the end of the world's "
              "period with the same parameters.", "",
              "| generation | threshold | proposals used | accepted | acceptance | simulations "
              "run | minutes |", "|---|---|---|---|---|---|---|"]
    for p in populations.itertuples():
        mine = rounds[rounds["round"].str.startswith(f"gen_{p.generation:02d}/")] if len(
            rounds) else rounds
        ran = int(mine["jobs"].sum()) if len(mine) else 0
        minutes = float(mine["seconds"].sum()) / 60 if len(mine) else math.nan
        lines.append(f"| {p.generation} | {p.epsilon:.3g} | {p.proposals} | {p.particles} | "
                     f"{p.acceptance:.2f} | {ran} | {minutes:.1f} |")
    lines += ["", "(Proposals beyond those used to reach the population were run in the same "
              "sweep and discarded; a resumed round's kept jobs take no time.)", "",
              f"{jobs} simulations were run in {len(rounds)} sweeps "
              f"({hours:.2f} hours of wall time in this folder's sweeps, on "
              f"{launcher(settings)}), including {draws} posterior predictive runs, the "
              "calibrated world's and the hand-tuned world's, over every year.", ""]
    path = root / "report.md"
    path.write_text("\n".join(lines))
    return path


def single(runs: pd.DataFrame, role: str, wanted: pd.DataFrame) -> float:
    """The distance of the one run of ``role`` (NaN if it did not run)."""
    from sim.calibrate import distance, statistics

    table = runs[runs["role"] == role]
    return distance(statistics(table, wanted), wanted) if len(table) else math.nan


def draw_distances(runs: pd.DataFrame, wanted: pd.DataFrame) -> str:
    from sim.calibrate import distance, statistics

    values = [distance(statistics(t, wanted), wanted)
              for _, t in runs[runs["role"] == "draw"].groupby("draw")]
    if not values:
        return "n/a"
    q = np.quantile(values, [0.5, 0.05, 0.95])
    return f"median {q[0]:.3f} (90%: {q[1]:.3f}-{q[2]:.3f})"


def headline(what: str, table: pd.DataFrame) -> str:
    if table.empty:
        return f"{what}: no published referrals."
    worst = table.loc[table["error"].abs().idxmax()]
    covered = int(table["in_band"].sum())
    return (f"{what} ({int(table['year'].min())}-{int(table['year'].max())}), the posterior "
            f"predictive median of NRM referrals is within {abs(worst['error']):.0%} of the "
            f"published figure each year (worst {int(worst['year'])}: {pct(worst['error'])}; "
            f"mean absolute error {table['error'].abs().mean():.0%}); the 90% band holds the "
            f"published figure in {covered} of {len(table)} years.")


def spread(table: pd.DataFrame, column: str) -> str:
    if table.empty:
        return "n/a"
    values = table[column].abs()
    return f"{values.mean():.0%} on average (at most {values.max():.0%})"


def command(root: Path) -> str:
    import json

    from sim.calibrate import SETTINGS

    try:
        return json.loads((root / SETTINGS).read_text())["command"]
    except Exception:
        return "python -m sim calibrate"


def launcher(settings) -> str:
    chosen = [o for o in settings.hydra if o.startswith(("hydra/launcher", "hydra.launcher"))]
    return ", ".join(chosen) if chosen else "the local launcher (all cores)"
