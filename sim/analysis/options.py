"""What an analysis reports: the outcomes compared, the reference scenario, the gains priced,
and the outcomes drawn as single page-sized figures. From the command line
(``python -m sim analyse <sweep> outcomes=a,b reference=4e6 gains=c panel=a``), else the
``analysis`` section saved with the sweep (an experiment's defaults, or ``analysis.*=``
given to the sweep), else the defaults of sim.analysis.labels. Every name is checked against
the sweep: a column that is not in runs.parquet, or a level that is not in the sweep, is bad
input named with what is allowed."""

import difflib
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.labels import DEFAULT_GAINS, DEFAULT_OUTCOMES, outcome, short
from sim.analysis.sweep import Sweep
from sim.config import ConfigError

KEYS = ("outcomes", "reference", "gains", "panel")
USAGE = ("python -m sim analyse <sweep folder> [outcomes=a,b] [reference=level] [gains=a,b] "
         "[panel=a,b]")
BOOKKEEPING = {"replication", "seed", "run_seed", "weeks", "policy_weeks", "scenario"}


@dataclass
class Gain:
    key: str  # a column of runs.parquet
    sign: int  # +1 if a rise is the gain, -1 if a fall is


@dataclass
class Options:
    outcomes: list[str]
    reference: object
    gains: list[Gain]
    panel: list[str]

    @property
    def tested(self) -> list[str]:
        """Every column compared with the reference: the outcomes, then the gains' columns
        (one family for the multiple-comparison correction)."""
        return list(dict.fromkeys([*self.outcomes, *(g.key for g in self.gains)]))


def parse(args: list[str]) -> dict[str, str]:
    """``key=value`` arguments of ``analyse`` (``analysis.key=`` too), or ConfigError."""
    given: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        key = key.strip().removeprefix("--").removeprefix("analysis.")
        if not sep or key not in KEYS:
            raise ConfigError(f"{arg}: not an option of analyse; give any of "
                              f"{', '.join(k + '=' for k in KEYS)} (usage: {USAGE})")
        if key in given:
            raise ConfigError(f"{key}: given twice")
        given[key] = value.strip()
    return given


def names(value) -> list[str]:
    """``a,b``, ``[a,b]`` or a list, as a list of names."""
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip().removeprefix("[").removesuffix("]")
    return [v.strip().strip("'\"") for v in text.split(",") if v.strip()]


def columns(sweep: Sweep) -> list[str]:
    """The columns an analysis can compare: every numeric column of runs.parquet but the
    bookkeeping (replication, seeds, lengths) and the swept parameters themselves."""
    runs = sweep.runs
    swept = {str(sweep.factor)} | {c for c in runs.columns if "." in c}
    return [c for c in runs.columns if c not in BOOKKEEPING and c not in swept
            and pd.api.types.is_numeric_dtype(runs[c]) and not pd.api.types.is_bool_dtype(
                runs[c])]


def check_column(sweep: Sweep, key: str, what: str) -> str:
    allowed = columns(sweep)
    if key in allowed:
        return key
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ConfigError(f"{what} = {key}: not a numeric column of {sweep.root / 'runs.parquet'}"
                      f"{hint}; one of: {', '.join(allowed)}")


def level_of(sweep: Sweep, text) -> object:
    """The level of the sweep that ``text`` names (4e6, 4000000 and 4m alike for a number)."""
    raw = str(text).strip()
    for lv in sweep.levels:
        if str(lv) == raw:
            return lv
    if sweep.numeric:
        try:
            value = float(raw.lower().replace("gbp", "").replace("m", "e6").replace("k", "e3"))
        except ValueError:
            value = None
        for lv in sweep.levels:
            if value is not None and np.isclose(float(lv), value, rtol=1e-9, atol=0):
                return lv
    shown = ", ".join(short(lv) if sweep.numeric else str(lv) for lv in sweep.levels)
    raise ConfigError(f"reference = {raw}: not a level of {sweep.factor or 'this sweep'}; "
                      f"one of: {shown}")


def gain(sweep: Sweep, text: str) -> Gain:
    """A gain: a column whose rise (``+col``) or fall (``-col``) is what the money buys; the
    sign may be left out for outcomes whose better direction is known."""
    sign = {"+": 1, "-": -1}.get(text[:1], 0)
    key = check_column(sweep, text.lstrip("+-"), "gains")
    sign = sign or outcome(key).better
    if not sign:
        raise ConfigError(f"gains = {text}: say whether a rise or a fall of {key} is the gain: "
                          f"+{key} or -{key}")
    return Gain(key, sign)


def resolve(sweep: Sweep, given: dict | None = None) -> Options:
    """The options for ``sweep``: the command line's, else the sweep's saved ones, else the
    defaults; the reference is also set on the sweep."""
    given = dict(given or {})
    saved = sweep.saved_settings
    available = set(columns(sweep))

    def chosen(key: str, default) -> list[str]:
        """The command line's names (each must be a column), else the saved ones (a column
        this sweep lacks, e.g. an entry point of another world, is left out with a warning),
        else the defaults that this sweep has."""
        if key in given:
            found = names(given[key])
            if not found:
                raise ConfigError(f"{key}=: give at least one column (usage: {USAGE})")
            return found
        if saved.get(key):
            found = names(saved[key])
            lacking = [k for k in found if k.lstrip("+-") not in available]
            if lacking:
                print(f"warning: analysis.{key}: {', '.join(lacking)} not in this sweep's "
                      "runs.parquet; left out", file=sys.stderr)
            return [k for k in found if k not in lacking] or chosen_default(default)
        return chosen_default(default)

    def chosen_default(default) -> list[str]:
        return [k for k in default if k.lstrip("+-") in available]

    outcomes = [check_column(sweep, k, "outcomes") for k in chosen("outcomes", DEFAULT_OUTCOMES)]
    gains = [gain(sweep, k) for k in chosen("gains", DEFAULT_GAINS)]
    panel = [check_column(sweep, k, "panel") for k in names(given.get("panel", ""))]
    if str(given.get("reference", "")).strip():
        sweep.reference = level_of(sweep, given["reference"])
    elif str(saved.get("reference") or "").strip():  # the experiment's: its levels may differ
        try:
            sweep.reference = level_of(sweep, saved["reference"])
        except ConfigError as err:
            print(f"warning: analysis.{err}; compared with {sweep.label(sweep.reference)} "
                  "instead", file=sys.stderr)
    return Options(outcomes, sweep.reference, gains, panel)
