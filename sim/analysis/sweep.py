"""A finished sweep read back from its folder: which parameter varied, its levels in order,
the reference level, the runs table, the weekly series of every job and the analysis
settings saved with it (the ``analysis`` section of its config)."""

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from sim.analysis.labels import REPORTED, colour, default_of, level_label, outcome
from sim.config import ConfigError
from sim.ensemble import read_design
from sim.runs import (
    SERIES,
    SUMMARY,
    one_line,
    parse_override,
    read_parquet,
    read_series,
    read_summary,
)

# key: (label, unit, +1 if more is better), for the outcomes every analysis can show (the
# dashboard's list); names and units come from sim.analysis.labels
OUTCOMES = {k: (outcome(k).label, outcome(k).unit, outcome(k).better) for k in REPORTED}


@dataclass
class Sweep:
    root: Path
    runs: pd.DataFrame
    factor: str | None  # the varied parameter ("scenario" when several vary together)
    numeric: bool
    levels: list
    reference: object
    ensemble: dict | None = None  # an ensemble=posterior sweep's design (sim/ensemble.py)

    @classmethod
    def load(cls, root) -> "Sweep":
        root = Path(root)
        table = root / "runs.parquet"
        if not table.exists():
            raise ConfigError(f"{root}: no runs.parquet; give the folder of a finished sweep")
        runs = read_parquet(table)
        if runs.empty:
            raise ConfigError(f"{root}/runs.parquet has no complete job to analyse")
        missing = [c for c in ("job", "replication", "policy_weeks") if c not in runs]
        if missing:
            raise ConfigError(f"{table}: not a sweep's table (no column {', '.join(missing)})")
        ensemble = read_design(root)
        drawn = set(ensemble["keys"]) if ensemble else set()  # vary with the replication
        keys = [k for k in override_keys(root, runs["job"]) if k in runs and k not in drawn
                and k not in ("replication", "seed") and not k.startswith("analysis.")]
        varied = [k for k in keys if runs[k].astype(str).nunique(dropna=False) > 1]
        if len(varied) == 1:
            factor = varied[0]
            runs["scenario"] = runs[factor]
        elif varied:  # several parameters vary together: each combination is a scenario
            factor = "scenario"
            runs["scenario"] = runs[varied].astype(str).apply(
                lambda r: ", ".join(f"{k}={v}" for k, v in r.items()), axis=1)
        else:
            factor = None
            runs["scenario"] = runs.get("policy", "run")
        numeric = factor not in (None, "scenario") and pd.api.types.is_numeric_dtype(
            runs["scenario"])
        levels = ordered_levels(root, factor, runs["scenario"], numeric)
        return cls(root, runs, factor, numeric, levels, reference_level(factor, levels, numeric),
                   ensemble)

    def values(self, level, key: str) -> np.ndarray:
        """``key`` for one level, ordered by replication (so levels pair up)."""
        rows = self.runs[self.runs["scenario"] == level].sort_values("replication")
        return rows[key].to_numpy(dtype=float)

    def paired_replications(self) -> bool:
        """Every level has the same replications, each once: replication k pairs with k."""
        sets = [self.runs[self.runs["scenario"] == lv]["replication"] for lv in self.levels]
        return all(s.is_unique for s in sets) and len({tuple(sorted(s)) for s in sets}) == 1

    @cached_property
    def series(self) -> pd.DataFrame:
        """Every job's weekly series, with its scenario and replication."""
        frames = []
        for _, job in self.runs.iterrows():
            folder = self.root / job["job"]
            if (folder / SERIES).exists():
                df = read_series(folder)
                df["scenario"], df["replication"] = job["scenario"], job["replication"]
                frames.append(df)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def label(self, level) -> str:
        """A level as a reader says it: GBP 4m, Victim support + training."""
        return level_label(self.factor, level)

    def colour(self, level) -> str:
        return colour(self.factor, level)

    @cached_property
    def saved_settings(self) -> dict:
        """The ``analysis`` section of the sweep's config (multirun.yaml), if it has one."""
        path = self.root / "multirun.yaml"
        if not path.exists():
            return {}
        try:
            saved = OmegaConf.to_container(OmegaConf.load(path))
        except Exception as err:
            raise ConfigError(f"{path}: not a readable sweep config ({one_line(err)})") from None
        section = saved.get("analysis") if isinstance(saved, dict) else None
        return dict(section) if isinstance(section, dict) else {}


def override_keys(root: Path, jobs) -> list[str]:
    """The parameters the jobs set, in the order they were given (from their summaries)."""
    keys: dict[str, None] = {}
    for job in jobs:
        if (root / job / SUMMARY).exists():
            overrides = read_summary(root / job, needs=("overrides",))["overrides"]
            keys |= dict.fromkeys(k for k, _ in map(parse_override, overrides))
    return list(keys)


def ordered_levels(root: Path, factor, values: pd.Series, numeric: bool) -> list:
    """Levels as the sweep listed them (experiment file or command line), else sorted."""
    found = list(dict.fromkeys(values))
    if numeric:
        return sorted(found)
    swept = root / "multirun.yaml"
    order = {}
    if factor and swept.exists():
        try:
            hydra = OmegaConf.load(swept).hydra
        except Exception as err:
            raise ConfigError(f"{swept}: not a readable sweep config ({one_line(err)})") from None
        given = [f"{k}={v}" for k, v in (hydra.sweeper.get("params") or {}).items()]
        parser = OverridesParser.create()
        for text in [*given, *hydra.overrides.task]:
            o = parser.parse_override(text)
            if o.key_or_group == factor:
                values = (list(o.sweep_string_iterator()) if o.is_sweep_override()
                          else [str(o.value())])
                order = {v.strip(): i for i, v in enumerate(values)}
    return sorted(found, key=lambda v: (order.get(str(v), len(order)), str(v)))


def reference_level(factor, levels: list, numeric: bool):
    """What the others are compared with: 'baseline', or the status-quo default of the swept
    parameter when it is among the levels, else the first level."""
    if "baseline" in levels:
        return "baseline"
    if numeric:
        default = default_of(factor)
        if default in levels:
            return default
    return levels[0]
