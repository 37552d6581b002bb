"""The same comparison under two recruitment mechanisms, side by side:
``python -m sim.analysis.mechanisms <capacity sweep> <market sweep>`` prints a Markdown table
of each scenario's paired difference from the reference (relative, with its 95% CI) under
each, and whether the two agree.

Both folders must have been analysed (their ``comparisons.csv`` written by ``analyse``).
"""

import argparse
from pathlib import Path

import pandas as pd

from sim.analysis.labels import outcome

HEADLINE = ("exploitation_weeks_per_year", "recruited_per_year", "retrafficked_per_year",
            "identified_per_year", "convictions_per_year")


def reading(row) -> str:
    """An effect in words: its relative size and CI, or 'no change' when the CI spans 0."""
    if not row.ci_low <= 0 <= row.ci_high:
        base = row.difference / row.relative if row.relative else float("nan")
        return (f"{row.relative:+.0%} [{row.ci_low / base:+.0%}, {row.ci_high / base:+.0%}]"
                if base == base and base else f"{row.difference:+.3g}")
    return "no change"


def verdict(a, b) -> str:
    sign = [0 if r.ci_low <= 0 <= r.ci_high else (1 if r.difference > 0 else -1) for r in (a, b)]
    if sign[0] == sign[1]:
        return "holds"
    if 0 in sign:
        return "depends on the mechanism"
    return "reverses"


def table(capacity: Path, market: Path) -> str:
    a, b = (pd.read_csv(Path(p) / "comparisons.csv").set_index(["scenario", "outcome"])
            for p in (capacity, market))
    lines = ["| scenario | outcome | capacity (default) | market | |", "|---|---|---|---|---|"]
    for scenario in dict.fromkeys(a.index.get_level_values(0)):
        for key in HEADLINE:
            if (scenario, key) not in a.index or (scenario, key) not in b.index:
                continue
            ra, rb = a.loc[(scenario, key)], b.loc[(scenario, key)]
            lines.append(f"| {scenario} | {outcome(key).label} | {reading(ra)} | {reading(rb)} "
                         f"| {verdict(ra, rb)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capacity", type=Path)
    parser.add_argument("market", type=Path)
    args = parser.parse_args()
    print(table(args.capacity, args.market))


if __name__ == "__main__":
    main()
