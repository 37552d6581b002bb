"""National Crime Agency units: operations against organised crime groups (pillar 3)."""

import math

from mesa import Agent


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
        self.target = None
        self.until = 0

    def investigate(self) -> None:
        m = self.model
        if self.target is None:
            self.target = m.choose_target(m.levers.targeting)
            if self.target is not None:
                self.target.targeted = True
                self.until = m.week + 1 + m.rng.poisson(m.cfg.enforcement.operation_weeks - 1)
        elif m.week >= self.until:
            self.conclude()

    def conclude(self) -> None:
        m, group, self.target = self.model, self.target, None
        group.targeted = False
        if not group.active:
            return
        m.tally["operations"] += 1
        intel = m.intel[group.index]
        if m.random.random() >= 1 - math.exp(-m.cfg.enforcement.success_rate * intel):
            return
        m.tally["operations_succeeded"] += 1
        m.intel[group.index] = 0.0
        arrest = m.cfg.enforcement.arrest
        sure = {"leader_first": lambda: group.leader, "central": lambda: m.most_central(group)}.get(
            m.levers.targeting, lambda: None)()
        arrested = [t for t in group.everyone() if t is sure or m.random.random() < arrest]
        for member in arrested:
            if group.active:
                m.arrest(member, channel="nca")

    def stand_down(self) -> None:
        if self.target is not None:
            self.target.targeted = False
        self.remove()
