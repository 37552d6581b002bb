"""A trafficked person, from recruitment on: a Mesa agent moved between states by the model."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any

from mesa import Agent

if TYPE_CHECKING:
    from sim.agents.trafficker import Trafficker
    from sim.crime import CrimeGroup
    from sim.pool import Pool


class State(IntEnum):
    IN_TRANSIT = 0
    EXPLOITED = 1
    AWAITING_RG = 2  # referred to the NRM, awaiting the reasonable-grounds decision
    SUPPORT_QUEUE = 3  # entitled to support, waiting for a place
    IN_SUPPORT = 4
    UNSUPPORTED = 5  # identified, without a support place (declined, refused or none free)
    RECOVERED = 6
    LEFT = 7  # escaped or moved on unidentified

    @property
    def label(self) -> str:
        return self.name.lower()


class Victim(Agent):
    """One person: who they are, who controls them, where they are in their lifecycle.

    ``weeks_in[state]`` accumulates the weeks spent in each state; ``times_trafficked`` counts
    recruitment plus every re-trafficking; ``identified_by`` is the channel of the last
    identification (border, nca, first_responder); ``nrm`` the last NRM decision.
    """

    def __init__(self, model: Any, origin: str, minor: bool, exploitation: str,
                 group: CrimeGroup):
        super().__init__(model)
        self.origin = origin
        self.minor = minor
        self.exploitation = exploitation
        self.group = group
        self.controller: Trafficker | None = None
        self.state: State | None = None
        self.since: int = model.steps
        self.weeks_in = [0] * len(State)
        self.times_trafficked = 1
        self.supported = False
        self.identified_by: str | None = None
        self.nrm: str | None = None
        self.pool: Pool | None = None
        self.slot = -1
        self.counted_year = -1  # the last year the victim was counted as exploited in

    def enter(self, state: State, pool: Pool) -> None:
        """Leave the current state (recording its duration) and join ``pool`` in ``state``."""
        now = self.model.steps
        self.leave_pool()
        if self.state is not None:
            self.weeks_in[self.state] += now - self.since
        self.state, self.since = state, now
        pool.add(self)

    def leave_pool(self) -> None:
        if self.pool is not None:
            self.pool.remove(self)
