"""The model as the dashboard runs it.

:class:`LiveModel` is :class:`sim.model.TraffickingModel` composed from the dashboard's
settings through the Hydra overrides they stand for (``load_config(overrides)``, as
``python -m sim <overrides>`` composes its run), so its weeks are the command's weeks. It adds
only what the map needs and the model does not record: the victims moved along each route this
week, and victims in exploitation by region. It stops (``running`` false) after the burn-in
and policy weeks, where a run of ``python -m sim`` ends.
"""

from collections import Counter
from collections.abc import Sequence

from sim.agents import State
from sim.app.controls import Settings, command, overrides
from sim.app.places import layout
from sim.model import TraffickingModel
from sim.settings import load_config


class Holder:
    """The settings of one dashboard session, read when Mesa's Reset builds a new model."""

    def __init__(self, settings: Settings):
        self.settings = settings


class LiveModel(TraffickingModel):
    """``LiveModel(settings=...)``: a Holder (the dashboard's), Settings, or a list of
    overrides (``["world=toy", "policy=border"]``)."""

    def __init__(self, settings: Holder | Settings | Sequence[str] = ()):
        if isinstance(settings, Holder):
            settings = settings.settings
        given = overrides(settings) if isinstance(settings, Settings) else list(settings)
        super().__init__(load_config(given))
        self.overrides = given
        self.command = command(given)
        self.weeks = self.cfg.burn_in_weeks + self.cfg.policy_weeks
        self.positions = layout(self.routes.graph)  # where the map draws each place
        self.flows: Counter = Counter()  # (place, place) -> victims moved along it this week
        self.moving: Counter = Counter()  # the same, while the week is being stepped
        self.exploited_by_region = self.count_by_region()
        self.running = self.weeks > 0

    def step(self) -> None:
        # the week's map data are built aside and published whole at its end, so that a view
        # drawn while the model steps (in Mesa's thread) sees one week or the next
        self.moving = Counter()
        super().step()
        self.flows, self.exploited_by_region = self.moving, self.count_by_region()
        if self.steps >= self.weeks:
            self.running = False

    @property
    def policy_in_force(self) -> bool:
        return self.steps >= self.policy_week

    def crossed(self, trip, entry: str, detected: bool) -> None:
        """A consignment's journey from its source to the entry point it crosses at."""
        nodes = trip.path.nodes
        self.move(nodes[: nodes.index(entry) + 1], len(trip.victims))
        super().crossed(trip, entry, detected)

    def arrive(self) -> None:
        """Consignments reaching their region this week: from the entry point on (from the
        source, for domestic routes that cross no border)."""
        for trip in self.calendar.buckets.get((self.steps, "arrive"), ()):
            n = sum(v.state is State.IN_TRANSIT for v in trip.victims)
            nodes = trip.path.nodes
            self.move(nodes[nodes.index(trip.path.entry):] if trip.path.entry else nodes, n)
        super().arrive()

    def move(self, nodes: Sequence[str], n: int) -> None:
        if n:
            for edge in zip(nodes, nodes[1:], strict=False):
                self.moving[edge] += n

    def count_by_region(self) -> Counter:
        by_region: Counter = Counter(dict.fromkeys(self.cfg.world.regions, 0))
        for _, pool in self.register.pools_of(State.EXPLOITED):
            for victim in pool:
                by_region[victim.group.region] += 1
        return by_region
