"""Where every victim is: one indexed pool per state (and key), so that moving a victim,
counting a state and drawing the victims an event touches all take constant time.

Keys split a state where its hazards differ: exploited victims by (exploitation type, minor),
recovered victims by whether they were supported (``True``/``False``), victims who left
unidentified while at risk (``"at_risk"``); other states have the one key ``None``.

Survivors past their re-trafficking window can no longer change state: they are *retired*,
counted in their state and released from the model, so that memory follows the live
population rather than everyone ever recruited.
"""

from collections import Counter
from typing import Any

from sim.agents.victim import State, Victim
from sim.pool import Pool


class Register:
    def __init__(self):
        self.pools: dict[tuple[State, object], Pool] = {}
        self.retired: Counter[State] = Counter()  # victims released, by their final state

    def pool(self, state: State, key=None) -> Pool:
        pool = self.pools.get((state, key))
        if pool is None:
            pool = self.pools[state, key] = Pool()
        return pool

    def move(self, victim: Victim, state: State, key=None) -> None:
        """The victim leaves their state and enters ``state`` (in the pool of ``key``)."""
        victim.enter(state, self.pool(state, key))

    def retire(self, victim: Victim) -> None:
        """The victim stays in their state for good: counted there, and released."""
        assert victim.state is not None
        victim.leave_pool()
        self.retired[victim.state] += 1
        victim.remove()

    def pools_of(self, state: State) -> list[tuple[Any, Pool]]:
        """(key, pool) of every pool of ``state``, in the order the pools were opened."""
        return [(key, pool) for (s, key), pool in self.pools.items() if s is state]

    def count(self, state: State) -> int:
        """Victims in ``state``, retired ones included."""
        return sum(len(p) for (s, _), p in self.pools.items() if s is state) + self.retired[state]
