"""The National Crime Agency (pillar 3): what it knows of each crime group, how it chooses a
target, and the units that run operations."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

from sim.rows import Rows

if TYPE_CHECKING:
    from sim.crime import CrimeGroup


class Intelligence:
    """The NCA's file on every group ever founded (by group index), in units of intel.

    Files grow with detections at the border, victims' accounts and what partners share
    (pillar 1), fade by ``intel_decay`` a week, and are wiped when an operation succeeds or
    the group is dismantled.
    """

    def __init__(self):
        self.rows = Rows()

    @property
    def files(self) -> np.ndarray:
        return self.rows.view

    def open_file(self) -> None:
        self.rows.append()

    def of(self, group) -> float:
        return float(self.files[group.index])

    def add(self, group, intel: float) -> None:
        self.files[group.index] += intel

    def wipe(self, group) -> None:
        self.files[group.index] = 0.0

    def week(self, decay: float, shared: float, foreign: np.ndarray) -> None:
        """A week passes: every file fades; partners share ``shared`` on each active foreign
        group (``foreign``, a mask by group index)."""
        files = self.files
        files *= 1 - decay
        files[foreign] += shared


# --- targeting strategies: which known group a free unit takes on, and whom it surely arrests


@dataclass(frozen=True)
class Strategy:
    choose: Callable  # (model, known groups) -> the group to investigate
    sure: Callable  # (model, group) -> a member arrested whenever the operation succeeds, or None


def _nobody(model, group):
    return None


STRATEGIES = {
    "random": Strategy(lambda m, known: known[m.rng.integers(len(known))], _nobody),
    "largest": Strategy(lambda m, known: max(known, key=lambda g: (g.load, -g.index)), _nobody),
    "central": Strategy(
        lambda m, known: max(known, key=lambda g: (m.crime.centrality_of(g), -g.index)),
        lambda m, group: m.crime.most_central(group)),
    "leader_first": Strategy(
        lambda m, known: max(known, key=lambda g: (m.intelligence.of(g), -g.index)),
        lambda m, group: group.leader),
}


def choose_target(model, strategy: str):
    """The next group to investigate among the active, untargeted groups whose file reaches
    ``intel_threshold`` (None if there is none)."""
    threshold = model.cfg.enforcement.intel_threshold
    known = [g for g in model.crime.groups
             if g.active and not g.targeted and model.intelligence.of(g) >= threshold]
    return STRATEGIES[strategy].choose(model, known) if known else None


class NCAUnit(Agent):
    """Runs one operation at a time against one group, chosen from intelligence by a strategy.

    An operation lasts 1 + Poisson(``operation_weeks`` - 1) weeks (so units fall out of step)
    and succeeds with 1 - exp(-kappa x intel) at its end.
    Success arrests each member with probability ``arrest`` (the leader surely under
    ``leader_first``, the most central member surely under ``central``), frees the victims the
    arrested held and wipes the group's file.
    """

    def __init__(self, model):
        super().__init__(model)
        self.target: CrimeGroup | None = None
        self.until = 0

    def investigate(self) -> None:
        m = self.model
        if self.target is None:
            self.target = choose_target(m, m.levers.targeting)
            if self.target is not None:
                self.target.targeted = True
                self.until = m.steps + 1 + m.rng.poisson(m.cfg.enforcement.operation_weeks - 1)
        elif m.steps >= self.until:
            self.conclude()

    def conclude(self) -> None:
        m, group, self.target = self.model, self.target, None
        assert group is not None
        group.targeted = False
        if not group.active:
            return
        m.tally["operations"] += 1
        intel = m.intelligence.of(group)
        if m.random.random() >= 1 - math.exp(-m.cfg.enforcement.success_rate * intel):
            return
        m.tally["operations_succeeded"] += 1
        m.intelligence.wipe(group)  # the file goes to court with the arrested
        sure = STRATEGIES[m.levers.targeting].sure(m, group)
        arrest = m.cfg.enforcement.arrest
        arrested = [t for t in group.everyone() if t is sure or m.random.random() < arrest]
        for member in arrested:
            if group.active:
                m.crime.arrest(member, channel="nca", intel=intel)

    def stand_down(self) -> None:
        if self.target is not None:
            self.target.targeted = False
        self.remove()
