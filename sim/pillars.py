"""The four pillars of the 2011 strategy: what each policy lever buys, and what it costs a year.

Each function turns a policy block and the unit costs of the config into the quantities the
model uses; :func:`levers` gathers them for one policy. Where each pillar acts:

1. international action: awareness in ``TraffickingModel.raise_awareness`` and ``recruit``;
   shared intelligence in ``TraffickingModel.share_intelligence`` (NCA files) and in
   :mod:`sim.agents.checkpoint` (border targeting);
2. a stronger border: :mod:`sim.agents.checkpoint` (screening, detection) and
   ``TraffickingModel.crossed`` (what a detection does);
3. tougher enforcement: :mod:`sim.agents.nca` (intelligence, targeting strategies, operations)
   and :mod:`sim.crime` (arrests, succession, dismantling, recovery of the networks);
4. identification and care: ``TraffickingModel.identify`` (first responders, training) and
   :mod:`sim.nrm` (referral, decisions, support places, recovery).
"""

import math
from dataclasses import dataclass

from sim.config import Config, Policy

PILLARS = ("international", "border", "enforcement", "care")


def saturating(spend: float, half: float) -> float:
    """Share of the possible effect that ``spend`` buys when ``half`` buys half of it."""
    return 1.0 - math.exp(-math.log(2) * spend / half)


# 1. International action: awareness at sources and intelligence sharing


def awareness(cfg: Config, policy: Policy) -> dict[str, float]:
    """Target awareness at each foreign source; prevention money is split by population at risk."""
    foreign = {n: s for n, s in cfg.world.sources.items() if not s.domestic}
    people = sum(s.population for s in foreign.values()) or 1
    spend = policy.international.prevention_gbp
    half = cfg.international.prevention_half_gbp
    return {n: s.awareness + (1 - s.awareness) * saturating(spend * s.population / people, half)
            if n in foreign else s.awareness
            for n, s in cfg.world.sources.items()}


def international_cost(cfg: Config, policy: Policy) -> float:
    p = policy.international
    return p.prevention_gbp + p.intelligence_sharing * cfg.international.sharing_cost_gbp


# 2. A stronger border: screening capacity at each entry point


def screening(cfg: Config, policy: Policy) -> dict[str, float]:
    b = policy.border
    return {n: e.screening_capacity * b.screening * (b.entry_screening if n == b.entry else 1.0)
            for n, e in cfg.world.entry_points.items()}


def border_cost(cfg: Config, policy: Policy) -> float:
    return sum(screening(cfg, policy).values()) * 52 * cfg.border.screening_cost_gbp


# 3. Tougher enforcement: NCA units


def enforcement_cost(cfg: Config, policy: Policy) -> float:
    return policy.enforcement.nca_units * cfg.enforcement.unit_cost_gbp


# 4. Identification and care: support places and first-responder training


def support_places(cfg: Config, policy: Policy) -> int:
    """Places funded: GBP a year / (52 x cost of a supported victim-week)."""
    return int(policy.care.support_gbp / (52 * cfg.care.cost_per_victim_week_gbp))


def identification_gain(cfg: Config, policy: Policy) -> float:
    return 1 + cfg.care.training_max_gain * saturating(policy.care.training_gbp,
                                                        cfg.care.training_half_gbp)


def care_cost(cfg: Config, policy: Policy) -> float:
    return policy.care.support_gbp + policy.care.training_gbp


@dataclass(frozen=True)
class Levers:
    """One policy, translated into the model's quantities."""

    awareness: dict[str, float]
    sharing: float
    targeting_gain: float
    screening: dict[str, float]
    nca_units: int
    targeting: str
    support_places: int
    identification_gain: float
    annual_cost_gbp: dict[str, float]


def levers(cfg: Config, policy: Policy) -> Levers:
    sharing = policy.international.intelligence_sharing
    return Levers(
        awareness=awareness(cfg, policy),
        sharing=sharing,
        targeting_gain=1 + cfg.international.sharing_targeting * sharing,
        screening=screening(cfg, policy),
        nca_units=policy.enforcement.nca_units,
        targeting=policy.enforcement.targeting,
        support_places=support_places(cfg, policy),
        identification_gain=identification_gain(cfg, policy),
        annual_cost_gbp={
            "international": international_cost(cfg, policy),
            "border": border_cost(cfg, policy),
            "enforcement": enforcement_cost(cfg, policy),
            "care": care_cost(cfg, policy),
        },
    )
