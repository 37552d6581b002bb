"""Years of a run (``years.parquet``) and the published figures they are held against.

:func:`years` turns a run's weekly series into one row per year of the policy period: in a
dated world the calendar years from ``world.start_year``, otherwise years 1, 2, ... of the
policy period (docs/ODD.md, section 8). :func:`targets` reads the NRM figures of
``data/targets/nrm.csv``, each with its source.
"""

from pathlib import Path

import pandas as pd

from sim.config import EXPLOITATION_TYPES, Config, _tree
from sim.history import WEEKS_A_YEAR, calendar

TARGETS = _tree("data") / "targets" / "nrm.csv"
COUNTS = ("nrm_referrals", "nrm_referrals_minor", "nrm_referrals_domestic", "identified",
          "recruited", "exploitation_weeks", "rg_decisions", "rg_positive")


def years(series: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """One row per year of the policy period: the year's counts, the composition of its NRM
    referrals (minors, UK nationals, exploitation types, sources) and its prevalence, the
    distinct people exploited at some time in it (NaN for a year cut short, or whose weeks are
    not the model's 52-week year)."""
    policy = series[series["policy_in_force"] == 1]
    year = pd.Series([calendar(cfg, w)[0] for w in policy["week"]], index=policy.index)
    rows = []
    for y, weeks in policy.groupby(year, sort=True):
        last = weeks.iloc[-1]
        whole = len(weeks) == WEEKS_A_YEAR and last["week"] % WEEKS_A_YEAR == 0
        row: dict[str, float] = {"year": int(y), "weeks": len(weeks)}
        row |= {c: int(weeks[c].sum()) for c in COUNTS}
        referred = row["nrm_referrals"]

        def share(n: float, of: float = referred) -> float:
            return n / of if of else float("nan")

        row["share_minors"] = share(row["nrm_referrals_minor"])
        row["share_uk_nationals"] = share(row["nrm_referrals_domestic"])
        for t in EXPLOITATION_TYPES:
            row[f"share_type_{t}"] = share(weeks[f"nrm_referrals_type_{t}"].sum())
        for source in cfg.world.sources:
            row[f"share_source_{source}"] = share(weeks[f"nrm_referrals_source_{source}"].sum())
        row["rg_positive_share"] = share(row["rg_positive"], row["rg_decisions"])
        row["prevalence"] = float(last["exploited_in_year"]) if whole else float("nan")
        row["known_share"] = share(row["identified"], row["prevalence"])
        row["victims_exploited_mean"] = float(weeks["victims_exploited"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def targets(path: Path = TARGETS) -> pd.DataFrame:
    """The published figures: one row per (year, measure) with its value, source and note."""
    return pd.read_csv(path, comment="#")


def compare(simulated: pd.DataFrame, measure: str = "nrm_referrals") -> pd.DataFrame:
    """Simulated against published ``measure`` by year, with their ratio."""
    observed = targets()
    observed = observed[observed["measure"] == measure][["year", "value"]]
    table = simulated[["year", measure]].merge(observed, on="year", how="inner")
    table = table.rename(columns={measure: "simulated", "value": "observed"})
    table["ratio"] = table["simulated"] / table["observed"]
    return table
