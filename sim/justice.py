"""Prosecution and deterrence (pillar 3): from arrest to charge, verdict and custody, and the
fear of conviction that it spreads among the groups of a source.

An arrested trafficker is charged with probability ``charge`` after about ``charge_weeks``
(1 + Poisson(charge_weeks - 1), so cases fall out of step); a charged one is tried about
``trial_weeks`` later (likewise) and convicted with probability

    1 - exp(-(conviction_base + witness_weight x W + intel_weight x I))

where ``W`` counts the victims freed by the arrest who testify (more often if they had
support: victims' evidence gives support a second effect) and ``I`` is the NCA's file on the
group when the arrest was made (for an NCA operation, the file that made it succeed). The
convicted spend ``sentence_weeks`` in custody; whoever is released (not charged, acquitted,
or at the end of a sentence) rejoins the group if it is still active
and their place in it has not been filled.
Convictions of a source's traffickers are remembered (fading by ``memory`` a week); the
remembered convictions per member of the source's groups are the perceived risk ``r_s`` that
lowers recruitment by exp(-deterrence x r_s) and raises what a detected crossing is feared to
cost by (1 + deterrence x r_s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim.agents.trafficker import Role
from sim.agents.victim import State, Victim

if TYPE_CHECKING:
    from sim.crime import CrimeGroup


@dataclass
class Case:
    """One arrested trafficker's case."""

    group: CrimeGroup
    role: Role
    arrested: int  # week
    intel: float
    witnesses: list[Victim] = field(default_factory=list)


class Justice:
    def __init__(self, model):
        self.model = model
        self.fear = {s: 0.0 for s in model.cfg.world.sources}  # remembered convictions

    def open_case(self, group: CrimeGroup, role: Role, witnesses: list[Victim],
                  intel: float) -> None:
        """An arrest: the charging decision falls due about ``charge_weeks`` later."""
        m = self.model
        case = Case(group, role, m.steps, intel, witnesses)
        m.calendar.add(m.steps + self.delay(m.cfg.justice.charge_weeks), "charge", case)

    def delay(self, mean: int) -> int:
        """A delay of ``mean`` weeks on average, varying from case to case: 1 + Poisson(mean - 1)
        (``mean`` itself when it is 0)."""
        return 1 + int(self.model.rng.poisson(mean - 1)) if mean > 0 else 0

    def week(self) -> None:
        """This week's charging decisions, verdicts and releases; convictions fade."""
        m, j = self.model, self.model.cfg.justice
        for case in m.calendar.pop(m.steps, "charge"):
            if m.random.random() < j.charge:
                m.tally["charges"] += 1
                m.calendar.add(m.steps + self.delay(j.trial_weeks), "verdict", case)
            else:
                self.release(case)
        for case in m.calendar.pop(m.steps, "verdict"):
            if m.random.random() < self.conviction_probability(case):
                m.tally["convictions"] += 1
                m.tally["weeks_to_conviction"] += m.steps - case.arrested
                self.fear[case.group.source] += 1
                m.calendar.add(m.steps + j.sentence_weeks, "release", case)
            else:
                self.release(case)
        for case in m.calendar.pop(m.steps, "release"):
            self.release(case)
        for source in self.fear:
            self.fear[source] *= j.memory

    def conviction_probability(self, case: Case) -> float:
        m, j = self.model, self.model.cfg.justice
        testify = 0
        for v in case.witnesses:
            supported = v.supported or v.state is State.IN_SUPPORT or v.weeks_in[
                State.IN_SUPPORT] > 0
            p = j.cooperation_supported if supported else j.cooperation_unsupported
            testify += m.random.random() < p
        hazard = j.conviction_base + j.witness_weight * testify + j.intel_weight * case.intel
        return 1 - math.exp(-hazard)

    def release(self, case: Case) -> None:
        """Back to the group, if it is still active and has a vacancy in the role."""
        if case.group.active:
            case.group.rejoin(case.role)

    def perceived_risk(self, source: str) -> float:
        """Remembered convictions per member of the source's active groups."""
        members = self.model.crime.members_at[source]
        return self.fear[source] / members if members else 0.0
