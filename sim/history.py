"""A world that changes over time: the dated events and yearly inputs of ``world.events`` and
``world.inputs``, applied at the start of each week (docs/ODD.md, section 7.28).

A dated world (``world.start_year`` > 0) puts its first policy week at week 1 of
``start_year``; the burn-in is the whole years before it. An event takes effect at the start of
week ``week`` of ``year``: it multiplies its key's value by ``value`` or sets it to ``value``,
in equal steps over ``ramp_weeks`` (at once if 0), and, if ``lasts_weeks`` > 0, is undone as
gradually that many weeks after it began. Each key's value in a week is a pure function of
the week: its value in the world file, changed by its events in order of date. A yearly input
is a series of ``set`` events at the first week of each year. Events dated before the run's
first week hold from the start.
"""

import copy
from dataclasses import dataclass, fields, is_dataclass

from sim.config import (
    CHANGES,
    EXPLOITATION_TYPES,
    Config,
    ConfigError,
    Event,
    Policy,
    _check_sizes,
    check_range,
)

WEEKS_A_YEAR = 52

# The keys an event may change: those the model reads during a run. <source>, <entry>,
# <region> stand for a place of the world, <type> for an exploitation type.
KEYS = (
    "world.sources.<source>.population", "world.sources.<source>.vulnerability",
    "world.sources.<source>.awareness", "world.sources.<source>.minor_share",
    "world.sources.<source>.groups", "world.sources.<source>.exploitation.<type>",
    "world.entry_points.<entry>.legitimate_crossings",
    "world.entry_points.<entry>.screening_capacity",
    "world.entry_points.<entry>.detection_probability", "world.entry_points.<entry>.targeting",
    "world.regions.<region>.demand.<type>",
    "recruitment.rate", "recruitment.renewal",
    "exploitation.identification.<type>", "exploitation.minor_identification",
    "exploitation.leave",
    "care.adult_referral", "care.rg_positive", "care.cg_positive", "care.cg_capacity",
    "care.uptake", "justice.deterrence",
)
PLACES = {"sources": "<source>", "entry_points": "<entry>", "regions": "<region>"}


def first_policy_week(cfg: Config) -> int:
    return cfg.burn_in_weeks + 1


def calendar(cfg: Config, week: int) -> tuple[int, int]:
    """(year, week of the year) of a model week: years of 52 weeks, the first policy week is
    week 1 of ``world.start_year`` (of year 1 in an undated world)."""
    offset = week - first_policy_week(cfg)
    return (cfg.world.start_year or 1) + offset // WEEKS_A_YEAR, offset % WEEKS_A_YEAR + 1


def model_week(cfg: Config, year: int, week: int) -> int:
    """The model week (step) that is week ``week`` of ``year`` in a dated world."""
    return first_policy_week(cfg) + (year - cfg.world.start_year) * WEEKS_A_YEAR + week - 1


@dataclass(frozen=True, eq=False)
class Key:
    """A key an event changes: where it is in the config, whether it is whole, its range."""

    text: str
    path: tuple[str, ...]
    integer: bool
    meta: dict

    def get(self, cfg: Config) -> float:
        *head, last = self.path
        node = _walk(cfg, head)
        return node[last] if isinstance(node, dict) else getattr(node, last)

    def set(self, cfg: Config, value: float) -> None:
        *head, last = self.path
        node = _walk(cfg, head)
        value = round(value) if self.integer else value
        if isinstance(node, dict):
            node[last] = value
        else:
            setattr(node, last, value)


def _walk(node, path):
    for part in path:
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def pattern(key: str) -> str:
    """``key`` with its place and exploitation type written as the placeholders of KEYS."""
    parts = key.split(".")
    if len(parts) > 2 and parts[0] == "world" and parts[1] in PLACES:
        parts[2] = PLACES[parts[1]]
    if len(parts) > 1 and parts[-1] in EXPLOITATION_TYPES:
        parts[-1] = "<type>"
    return ".".join(parts)


def resolve(cfg: Config, key: str, where: str) -> list[Key]:
    """The :class:`Key` of ``key`` (one per type for a key by type given without its type,
    such as ``exploitation.identification``), or ConfigError naming ``where`` and what is
    allowed."""
    if pattern(key) + ".<type>" in KEYS:
        return [k for t in EXPLOITATION_TYPES for k in resolve(cfg, f"{key}.{t}", where)]
    if pattern(key) not in KEYS:
        raise ConfigError(f"{where}.key = {key!r}: not a key an event can change; allowed: "
                          + ", ".join(KEYS) + " (a key by <type> without it: every type)")
    parts = key.split(".")
    if parts[0] == "world":
        places = getattr(cfg.world, parts[1])
        if parts[2] not in places:
            raise ConfigError(f"{where}.key = {key!r}: no {PLACES[parts[1]][1:-1]} "
                              f"{parts[2]!r} in world {cfg.world.name}; it has: "
                              + ", ".join(places))
    node, meta = cfg, {}
    kind: object = float  # the type of the last dataclass field on the way
    for part in parts:
        if is_dataclass(node):
            f = {f.name: f for f in fields(node)}[part]
            meta, kind = dict(f.metadata), f.type
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return [Key(key, tuple(parts), kind is int, meta)]


@dataclass(frozen=True)
class Change:
    """An event placed on the model's weeks."""

    event: Event
    start: int  # the model week it takes effect

    def share(self, week: int) -> float:
        """How much of the change is in force in ``week``, from 0 to 1."""
        e = self.event
        on = _ramp(week - self.start, e.ramp_weeks)
        if e.lasts_weeks:
            on -= _ramp(week - self.start - e.lasts_weeks, e.ramp_weeks)
        return on

    def moving(self) -> set[int]:
        """The weeks in which the change moves its key."""
        e, ramp = self.event, max(1, self.event.ramp_weeks)
        weeks = set(range(self.start, self.start + ramp))
        if e.lasts_weeks:
            weeks |= set(range(self.start + e.lasts_weeks, self.start + e.lasts_weeks + ramp))
        return weeks


def _ramp(since: int, weeks: int) -> float:
    """Share of a ramp of ``weeks`` done ``since`` weeks after it began (its first week counts)."""
    if since < 0:
        return 0.0
    return 1.0 if weeks == 0 else min(1.0, (since + 1) / weeks)


def events(cfg: Config) -> list[Event]:
    """The world's events, with its yearly inputs written as events, in order of date."""
    found = list(cfg.world.events.values())
    for series in cfg.world.inputs:
        for i, v in enumerate(series.values):
            found.append(Event(name=f"{series.name} {series.first_year + i}",
                               year=series.first_year + i, key=series.key, change="set",
                               value=v / WEEKS_A_YEAR if series.per_week else v,
                               source=series.source))
    return sorted(found, key=lambda e: (e.year, e.week))


def value(base: float, changes: list[Change], week: int) -> float:
    """A key's value in ``week``: ``base`` changed by its events in order of date."""
    v = base
    for c in changes:
        share = c.share(week)
        if share <= 0:
            continue
        if c.event.change == "multiply":
            v *= 1 + (c.event.value - 1) * share
        else:
            v += (c.event.value - v) * share
    return v


class History:
    """The dated changes of a run. A world with events gets its own copy of the config
    (``cfg``), which the changes edit in place; any other keeps the config it was given."""

    def __init__(self, cfg: Config):
        self.changes: dict[Key, list[Change]] = {}
        self.base: dict[Key, float] = {}
        self.moving: set[int] = set()
        self.cfg = cfg
        dated = events(cfg)
        if not dated:
            return
        self.cfg = cfg = copy.deepcopy(cfg)
        keys: dict[str, Key] = {}
        for e in dated:
            change = Change(e, model_week(cfg, e.year, e.week))
            for key in resolve(cfg, e.key, f"event {e.name!r}"):
                key = keys.setdefault(key.text, key)
                self.changes.setdefault(key, []).append(change)
            self.moving |= change.moving()
        for key in self.changes:
            self.base[key] = key.get(cfg)
            key.set(cfg, self.value(key, 0))  # what holds before the first week

    def value(self, key: Key, week: int) -> float:
        return value(self.base[key], self.changes[key], week)

    def week(self, model) -> None:
        """Apply this week's changes to the model's config and what the model keeps of it."""
        week = model.steps
        if week not in self.moving:
            return
        changed = []
        for key in self.changes:
            now = self.value(key, week)
            if now != key.get(self.cfg):
                key.set(self.cfg, now)
                changed.append(key.text)
        if changed:
            refresh(model, changed)


def refresh(model, changed: list[str]) -> None:
    """What the model derived from changed keys at the start: checkpoints' traffic and
    detection, the mix of exploitation types, and the levers of the policy in force."""
    from sim.model import exploitation_cdf  # the model imports this module

    cfg = model.cfg
    world = [k for k in changed if k.startswith("world.")]
    if any(k.startswith("world.entry_points.") for k in world):
        for name, checkpoint in model.checkpoints.items():
            spec = cfg.world.entry_points[name]
            checkpoint.legitimate = spec.legitimate_crossings
            checkpoint.detection = spec.detection_probability
            checkpoint.targeting = spec.targeting
    if any(".exploitation." in k or ".demand." in k for k in world):
        import numpy as np

        model.exploitation = np.stack([exploitation_cdf(cfg.world, source, region)
                                       for source, region in model.pair])
    if world:
        in_force = model.steps >= model.policy_week or not cfg.burn_in_weeks
        model.apply(cfg.policy if in_force else Policy())


# --- checks ------------------------------------------------------------------------------------


def check_history(cfg: Config) -> None:
    """Every event's key, change and date, and the values the schedule reaches, against what
    the model allows; ConfigError naming the event."""
    w = cfg.world
    if not (w.events or w.inputs):
        return
    if not w.start_year:
        raise ConfigError(f"world.events of world {w.name}: dated events need "
                          "world.start_year, the calendar year of the first policy week")
    if cfg.burn_in_weeks % WEEKS_A_YEAR:
        raise ConfigError(f"burn_in_weeks = {cfg.burn_in_weeks}: a dated world "
                          f"(world.start_year = {w.start_year}) needs whole years of burn-in, "
                          f"a multiple of {WEEKS_A_YEAR}")
    for i, series in enumerate(w.inputs):
        where = f"world.inputs[{i}] ({series.name!r})"
        if not series.values:
            raise ConfigError(f"{where}.values: needs one value a year from first_year")
        resolve(cfg, series.key, where)
    for ident, e in w.events.items():
        where = f"world.events.{ident} ({e.name!r})"
        resolve(cfg, e.key, where)
        if e.change not in CHANGES:
            raise ConfigError(f"{where}.change = {e.change!r}: one of " + ", ".join(CHANGES))
        if not e.source.strip():
            raise ConfigError(f"{where}.source: empty; cite where the change comes from")
    history = History(cfg)
    reached = copy.deepcopy(history.cfg)
    for key, changes in history.changes.items():
        weeks = {0} | {w for c in changes for w in c.moving()}
        values = []
        for week in sorted(weeks):
            v = history.value(key, week)
            values.append(v)
            name = [c.event.name for c in changes if c.start <= week][-1:] or [
                changes[0].event.name]
            check_range(f"{key.text} (reached after event {name[0]!r})",
                         round(v) if key.integer else v, key.meta)
        if key.path[-1] == "groups":
            key.set(reached, max(values))
    _check_sizes(reached)  # the most groups the schedule reaches, for as long as the run
