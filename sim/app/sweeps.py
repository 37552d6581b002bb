"""A finished sweep as the dashboard shows it: its comparison figures and the paired-difference
table of its ``report.md``, for one outcome against a chosen reference scenario.

The table is computed by the report's own code (:func:`sim.analysis.report.comparison_table`),
so against the report's reference it is the report's table; against another reference it is
the table the report would have with that reference (Holm's adjustment over all its
comparisons, as in the report).
"""

from dataclasses import replace
from html import escape
from pathlib import Path

import numpy as np

from sim.config import ConfigError

FIGURES = ("outcomes", "timeseries", "displacement", "enforcement", "cost_effectiveness")


def find(root: Path, depth: int = 3) -> list[Path]:
    """Sweep folders under ``root`` (those with a ``runs.parquet``), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p.parent for n in range(1, depth + 1)
             for p in root.glob("/".join(["*"] * n) + "/runs.parquet")]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def load(folder: Path):
    """The sweep in ``folder`` (ConfigError naming what is wrong if it cannot be read)."""
    from sim.analysis.sweep import Sweep

    return Sweep.load(folder)


def outcomes() -> dict[str, str]:
    """Outcome key -> label, as the report names them."""
    from sim.analysis.sweep import OUTCOMES

    return {key: f"{label} ({unit})" for key, (label, unit, _) in OUTCOMES.items()}


def figures(folder: Path) -> list[Path]:
    """The sweep's comparison figures (PNG), in the report's order; empty until ``analyse``."""
    made = Path(folder) / "figures"
    known = [made / f"{name}.png" for name in FIGURES if (made / f"{name}.png").exists()]
    others = sorted(p for p in made.glob("*.png") if p not in known)
    return known + others


def comparison(sweep, outcome: str, reference) -> list[dict]:
    """Rows of the paired-difference table for ``outcome``: each scenario against
    ``reference``, formatted as report.md formats them."""
    from sim.analysis.report import ci, comparison_table, fixed
    from sim.analysis.sweep import OUTCOMES

    if outcome not in OUTCOMES:
        raise ConfigError(f"outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
    if reference not in sweep.levels:
        raise ConfigError(f"reference {reference!r}: one of {', '.join(map(str, sweep.levels))}")
    if len(sweep.levels) < 2 or not sweep.paired_replications():
        return []
    table = comparison_table(replace(sweep, reference=reference))
    return [{"scenario": sweep.label(r.scenario),
             "difference [95% CI]": ci(r.difference, r.ci_low, r.ci_high),
             "relative": f"{r.relative:+.1%}" if np.isfinite(r.relative) else "n/a",
             "d_z": fixed(r.effect_size_dz, ".2f"), "p (Holm)": fixed(r.p_holm, ".3g")}
            for r in table.itertuples() if r.outcome == outcome]


def html_table(rows: list[dict]) -> str:
    if not rows:
        return ("<p>No paired comparison: the sweep has one scenario, or its scenarios do not "
                "share the same replications.</p>")
    header = list(rows[0])
    head = "".join(f"<th style='text-align:left;padding:2px 10px'>{escape(h)}</th>"
                   for h in header)
    body = "".join("<tr>" + "".join(f"<td style='padding:2px 10px'>{escape(str(r[h]))}</td>"
                                    for h in header) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
