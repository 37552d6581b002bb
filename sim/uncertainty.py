"""The model's uncertain inputs, declared once in ``configs/uncertainty/<name>.yaml``: each a
factor with a range, a scale over several keys, or the levels of a structural alternative,
and why. A point of a design (one value per factor) becomes the overrides of a job."""

import copy
import math
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import get_args

from omegaconf import DictConfig, OmegaConf

from sim.config import CONFIG_DIR, Config, ConfigError, check_range, validate

FOLDER = CONFIG_DIR / "uncertainty"
KINDS = ("range", "scale", "levels")


@dataclass(frozen=True)
class Factor:
    name: str
    kind: str  # range, scale or levels
    keys: tuple[str, ...]  # the config keys it sets (a scale: every key matched)
    bounds: tuple[float, float]  # of the value drawn (levels: the unit interval)
    levels: tuple[str, ...]
    why: str

    def level(self, x: float) -> str:
        """The structural alternative at ``x`` in [0, 1]: equal shares of the interval."""
        return self.levels[min(int(x * len(self.levels)), len(self.levels) - 1)]

    def values(self, x: float, base) -> list[tuple[str, object]]:
        """(key, value) for each key, at the factor's value ``x``; a scaled value is taken
        to the key's allowed range, a whole-number key's value rounded."""
        if self.kind == "levels":
            return [(self.keys[0], self.level(x))]
        out: list[tuple[str, object]] = []
        for key in self.keys:
            meta, kind = field_of(key)
            value = x * value_at(base, key) if self.kind == "scale" else x
            if meta.get("lo") is not None:
                value = max(value, meta["lo"])
            if meta.get("hi") is not None:
                value = min(value, meta["hi"])
            out.append((key, round(value) if kind is int else float(f"{value:.6g}")))
        return out

    def overrides(self, x: float, base) -> list[str]:
        """The factor at ``x`` as ``key=value`` overrides."""
        return [f"{key}={value!r}" if not isinstance(value, str) else f"{key}={value}"
                for key, value in self.values(x, base)]


def names() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.yaml"))


def load(name: str, base: Config) -> tuple[list[Factor], list[str]]:
    """The factors of ``configs/uncertainty/<name>.yaml`` (or of the file ``name``, a path
    ending in .yaml), checked against ``base`` (the composed config they vary), and the
    names of the factors a Sobol analysis varies."""
    path = Path(name) if name.endswith(".yaml") else FOLDER / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"uncertainty = {name!r}: one of {', '.join(names())} (the files of "
                          "configs/uncertainty/ without .yaml), or a .yaml file of your own")
    try:
        spec = OmegaConf.to_container(OmegaConf.load(path))
    except Exception as err:
        why = str(err).splitlines()[0]
        raise ConfigError(f"{path}: not a readable YAML file ({why})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("factors"), dict):
        raise ConfigError(f"{path}: needs a mapping 'factors' of name: {{range|scale|levels, "
                          "why}}")
    tree = OmegaConf.structured(base)  # once: every factor reads its keys' values from it
    factors = [factor(name, entry, tree, path) for name, entry in spec["factors"].items()]
    corners = [[(f.bounds[0] + 0.5 / len(f.levels) if f.levels else f.bounds[i]) for f in factors]
               for i in (0, 1)]
    corners += [[(min(i, len(f.levels) - 1) + 0.5) / len(f.levels) if f.levels else f.bounds[0]
                 for f in factors] for i in range(1, max((len(f.levels) for f in factors),
                                                         default=0))]
    for corner in corners:  # every level, and every bound, makes a valid config
        check(path.name, [kv for f, x in zip(factors, corner, strict=True)
                          for kv in f.values(x, tree)], base)
    sobol = [str(n) for n in spec.get("sobol") or [f.name for f in factors]]
    unknown = [n for n in sobol if n not in {f.name for f in factors}]
    if unknown:
        raise ConfigError(f"{path}: sobol names {unknown[0]!r}, which is not a factor")
    return factors, sobol


def factor(name: str, entry, tree: DictConfig, path) -> Factor:
    """One factor of the file, or ConfigError naming it and what is allowed."""
    where = f"{path.name}: factor {name}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: needs range, scale or levels, and why")
    kinds = [k for k in KINDS if k in entry]
    extra = set(entry) - {*KINDS, "keys", "why"}
    if len(kinds) != 1 or extra:
        unknown = f"; not {', '.join(sorted(extra))}" if extra else ""
        raise ConfigError(f"{where}: give one of range, scale or levels (and keys for a "
                          f"scale or a range with a short name, why for all){unknown}")
    kind = kinds[0]
    if kind == "scale" and "keys" not in entry:
        raise ConfigError(f"{where}: a scale needs keys, the config keys it multiplies")
    if not str(entry.get("why", "")).strip():
        raise ConfigError(f"{where}: say why (a source, or 'assumption: ...')")
    if "keys" in entry and kind == "levels":
        raise ConfigError(f"{where}: levels set the key named by the factor; no keys")
    keys = expand(entry.get("keys", [name]), tree, where)
    if kind == "levels":
        levels = tuple(str(v) for v in entry["levels"])
        return Factor(name, kind, keys, (0.0, 1.0), levels, entry["why"])
    bounds = entry[kind]
    if (not isinstance(bounds, list) or len(bounds) != 2
            or not all(isinstance(b, (int, float)) and math.isfinite(b) for b in bounds)
            or not bounds[0] < bounds[1]):
        raise ConfigError(f"{where}: {kind} is [lo, hi] with lo < hi, not {bounds}")
    made = Factor(name, kind, keys, (float(bounds[0]), float(bounds[1])), (), entry["why"])
    for x in made.bounds if kind == "range" else ():  # a scale is taken to the key's range
        for key in keys:
            try:
                check_range(key, x, field_of(key)[0])
            except ConfigError as err:
                raise ConfigError(f"{where}: {err}") from None
    return made


def check(where: str, values: list[tuple[str, object]], base: Config) -> None:
    """``values`` set on ``base`` make a valid config."""
    cfg = copy.deepcopy(base)
    for key, value in values:
        *path, last = key.split(".")
        node = cfg
        for part in path:
            node = node[part] if isinstance(node, dict) else getattr(node, part)
        if isinstance(node, dict):
            node[last] = value
        else:
            setattr(node, last, value)
    try:
        validate(cfg)
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None


def expand(keys, cfg: DictConfig, where: str) -> tuple[str, ...]:
    """Keys with ``*`` matching every entry of a mapping, each checked to exist in ``cfg``."""
    if not isinstance(keys, list) or not keys:
        raise ConfigError(f"{where}: keys is a list of config keys")
    found: list[str] = []
    for key in map(str, keys):
        matched = [""]
        for part in key.split("."):
            nxt = []
            for prefix in matched:
                node = OmegaConf.select(cfg, prefix) if prefix else cfg
                names = list(node.keys()) if part == "*" and hasattr(node, "keys") else [part]
                nxt += [f"{prefix}.{n}".lstrip(".") for n in names]
            matched = nxt
        for k in matched:
            if OmegaConf.select(cfg, k, default=KeyError) is KeyError or field_of(k)[1] is None:
                raise ConfigError(f"{where}: {k} is not a parameter (python -m sim --cfg job "
                                  "lists every key)")
        found += matched
    return tuple(found)


def value_at(base, key: str):
    """A key's value in ``base`` (a Config, or the same as a DictConfig: faster for many)."""
    return OmegaConf.select(base if isinstance(base, DictConfig) else OmegaConf.structured(base),
                            key)


def field_of(key: str) -> tuple[dict, type | None]:
    """The schema's metadata (lo, hi, unit, source) of a parameter and its type (None if the
    key is not a parameter)."""
    cls: type = Config
    parts, i = key.split("."), 0
    while i < len(parts):
        found = {f.name: f for f in fields(cls)}.get(parts[i])
        if found is None:
            return {}, None
        kind = found.type
        args = get_args(kind)
        if is_dataclass(kind):
            cls, i = kind, i + 1  # type: ignore[assignment]
        elif args and is_dataclass(args[-1]):  # dict[str, Source], list[Route]: skip the name
            cls, i = args[-1], i + 2  # type: ignore[assignment]
        else:
            rest = len(parts) - i - 1
            if rest == 0 or (rest == 1 and args):
                value_type = args[-1] if args else kind
                return dict(found.metadata), value_type if value_type in (int, float, str,
                                                                          bool) else None
            return {}, None
    return {}, None


def problem(factors: list[Factor]) -> dict:
    """The SALib problem of the factors (a structural factor drawn on [0, 1])."""
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [list(f.bounds) for f in factors]}


def point_overrides(factors: list[Factor], row, base: Config) -> list[str]:
    """The overrides of one design point (a value per factor); ``base`` a Config or, for
    many points, the same as a DictConfig."""
    return [o for f, x in zip(factors, row, strict=True) for o in f.overrides(float(x), base)]
