"""TraffickingModel: the world, and one week of trafficking and of the response to it."""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import partial

import networkx as nx
import numpy as np
from mesa import DataCollector, Model
from mesa.discrete_space import Network
from scipy import sparse

from sim import metrics
from sim.agents import BorderCheckpoint, CrimeGroup, NCAUnit, Role, State, Victim
from sim.config import EXPLOITATION_TYPES, Config, Policy, run_seed, validate
from sim.learning import RiskBeliefs
from sim.nrm import NationalReferralMechanism
from sim.pillars import levers
from sim.pool import Pool
from sim.world import RouteNetwork


@dataclass
class Consignment:
    """Victims a group moves together: one crossing at the entry point of their path."""

    group: CrimeGroup
    victims: list
    path: object
    transporter: object


class TraffickingModel(Model):
    """People trafficked into and within the UK, and the four pillars of the 2011 strategy.

    ``TraffickingModel(rng=1)`` builds the default world (``uk_2011``) under the baseline
    policy; pass a :class:`sim.config.Config` (as Hydra composes it) to choose another. Without
    ``rng`` the seed comes from the config's ``seed`` and ``replication``.
    One step is one week. The status-quo policy (the schema's defaults) runs for
    ``burn_in_weeks``; the config's policy is in force from the week after.
    """

    def __init__(self, config: Config | None = None, *, rng: int | None = None):
        if config is None:
            from sim.settings import load_config

            config = load_config()
        cfg = validate(config)
        super().__init__(rng=run_seed(cfg) if rng is None else rng)
        self.cfg = cfg
        self.week = 0
        self.policy_week = cfg.burn_in_weeks + 1
        self.routes = RouteNetwork(cfg.world, cfg.routes.paths)
        self.space = Network(self.routes.graph, random=self.random, layout=None)
        self.entry_index = {e: i for i, e in enumerate(self.routes.entries)}
        self.criminal_network = nx.Graph()
        self.pools: dict[tuple, Pool] = {}
        self.agenda = defaultdict(list)  # (week, kind) -> [(victim, since)]
        self.in_transit = defaultdict(list)  # (week, "cross" | "arrive") -> [Consignment]
        self.tally = Counter()  # events of the current week
        self.totals = Counter()  # events since the start
        self.nrm = NationalReferralMechanism(self)
        self.beliefs = RiskBeliefs(len(self.entry_index), cfg.routes)
        self.intel = np.zeros(0)
        self.groups: list[CrimeGroup] = []  # every group ever, by index
        self.active_at = {source: [] for source in cfg.world.sources}  # active groups
        self.ties_changed = True
        self.centrality = {}
        self.centrality_week = -math.inf
        self.victims_created = 0

        self.levers = levers(cfg, Policy())
        self.awareness = dict(self.levers.awareness)
        self.population = {n: float(s.population) for n, s in cfg.world.sources.items()}
        self.checkpoints = {
            name: BorderCheckpoint(self, name, spec, self.space[name])
            for name, spec in cfg.world.entry_points.items()
        }
        for source, spec in cfg.world.sources.items():
            for _ in range(spec.groups):
                self.found_group(source, stocked=True)
        self.apply(Policy() if cfg.burn_in_weeks else cfg.policy)
        self.row = metrics.observe(self)
        self.datacollector = DataCollector(
            model_reporters={name: partial(metrics.column, name) for name in self.row})

    # --- one week --------------------------------------------------------------------------

    def step(self) -> None:
        self.week += 1
        self.tally.clear()
        if self.week == self.policy_week and self.cfg.burn_in_weeks:
            self.apply(self.cfg.policy)
        self.raise_awareness()
        self.recruit()
        self.travel()
        for checkpoint in self.checkpoints.values():
            checkpoint.screen()
        self.arrive()
        self.exploit()
        self.identify()
        for unit in self.nca_units():
            unit.investigate()
        self.nrm.decide()
        self.nrm.support()
        self.exits()
        self.adapt()
        self.record()

    # --- policy ----------------------------------------------------------------------------

    def apply(self, policy: Policy) -> None:
        """Put a policy in force: screening, NCA units, support places, training, sharing."""
        self.levers = levers(self.cfg, policy)
        for name, checkpoint in self.checkpoints.items():
            checkpoint.capacity = self.levers.screening[name]
        units = self.nca_units()
        for unit in units[self.levers.nca_units:]:
            unit.stand_down()
        for _ in range(self.levers.nca_units - len(units)):
            NCAUnit(self)

    def raise_awareness(self) -> None:
        """Prevention work at sources moves awareness towards what its budget buys."""
        lag = self.cfg.international.prevention_lag_weeks
        for source, target in self.levers.awareness.items():
            self.awareness[source] += (target - self.awareness[source]) / lag

    # --- recruitment and travel ------------------------------------------------------------

    def recruit(self) -> None:
        """Each group recruits Poisson(recruiters x rate x vulnerability x (1 - awareness) x
        share of population left x spare capacity share) people at its source a week."""
        cfg = self.cfg
        active = [g for g in self.groups if g.active and g.members[Role.TRANSPORTER]]
        if not active:
            return
        reach = {n: s.vulnerability * (1 - self.awareness[n]) * self.population[n] / s.population
                 if s.population else 0.0 for n, s in cfg.world.sources.items()}
        mean = np.array([
            len(g.members[Role.RECRUITER]) * reach[g.source] * max(0.0, 1 - g.load / g.capacity)
            if g.capacity else 0.0 for g in active]) * cfg.recruitment.rate
        for group, n in zip(active, self.rng.poisson(mean), strict=True):
            n = min(int(n), int(self.population[group.source]))
            if n:
                self.population[group.source] -= n
                self.dispatch(group, [self.new_victim(group) for _ in range(n)])

    def new_victim(self, group: CrimeGroup) -> Victim:
        source = self.cfg.world.sources[group.source]
        demand = self.cfg.world.regions[group.region].demand
        weights = np.array([source.exploitation.get(t, 0) * demand.get(t, 0)
                            for t in EXPLOITATION_TYPES])
        if weights.sum() <= 0:
            weights = np.array([source.exploitation.get(t, 0) for t in EXPLOITATION_TYPES])
        kind = EXPLOITATION_TYPES[self.rng.choice(len(weights), p=weights / weights.sum())]
        victim = Victim(self, group.source, bool(self.rng.random() < source.minor_share), kind,
                        group)
        self.victims_created += 1
        self.tally["recruited"] += 1
        group.load += 1
        return victim

    def dispatch(self, group: CrimeGroup, victims: list) -> None:
        """Send victims along the route the group prefers: cheaper, quicker and safer routes
        are likelier (a logit choice on money, time and learned detection risk)."""
        r = self.cfg.routes
        paths = self.routes.paths[group.source, group.region]
        risk = self.beliefs.risk[group.index]
        cost = np.array([p.cost_gbp + r.week_gbp * p.weeks
                         + (r.loss_gbp * risk[self.entry_index[p.entry]] if p.entry else 0.0)
                         for p in paths])
        weight = np.exp(-(cost - cost.min()) / r.scale_gbp)
        path = paths[self.rng.choice(len(paths), p=weight / weight.sum())]
        transporter = self.random.choice(group.members[Role.TRANSPORTER])
        for v in victims:
            v.enter(State.IN_TRANSIT, self.pool(State.IN_TRANSIT))
        trip = Consignment(group, victims, path, transporter)
        if path.entry:
            self.in_transit[self.week + path.weeks_to_entry, "cross"].append(trip)
        else:
            self.in_transit[self.week + path.weeks, "arrive"].append(trip)

    def travel(self) -> None:
        """Consignments due at their entry point this week join its checkpoint's crossings."""
        for trip in self.in_transit.pop((self.week, "cross"), []):
            for v in trip.victims:
                v.node = trip.path.entry
            self.checkpoints[trip.path.entry].arrivals.append(trip)

    def crossed(self, trip: Consignment, entry: str, detected: bool) -> None:
        """A crossing at ``entry``: detected, its victims are identified and its transporter
        may be arrested; otherwise it travels on to its region."""
        group = trip.group
        self.tally[f"crossings_{entry}"] += 1
        self.beliefs.record(group.index, self.entry_index[entry], detected)
        if not detected:
            self.in_transit[self.week + trip.path.weeks_after_entry, "arrive"].append(trip)
            return
        self.tally[f"detections_{entry}"] += 1
        if group.active:
            self.intel[group.index] += self.cfg.border.intel_per_detection
        for v in trip.victims:
            self.identify_victim(v, "border")
        if (group.active and trip.transporter in self.criminal_network
                and self.random.random() < self.cfg.border.transporter_arrest):
            self.arrest(trip.transporter, channel="border")

    def arrive(self) -> None:
        """Consignments reaching their region pass into the hands of a group member."""
        for trip in self.in_transit.pop((self.week, "arrive"), []):
            group = trip.group
            for v in trip.victims:
                if v.state is not State.IN_TRANSIT:
                    continue
                if not group.active:  # the group fell apart on the way: they get away
                    self.release(v)
                    v.enter(State.LEFT, self.pool(State.LEFT))
                    continue
                v.node = group.region
                self.exploit_victim(v, group)

    def exploit_victim(self, victim: Victim, group: CrimeGroup) -> None:
        keeper = group.keeper()
        victim.group, victim.controller = group, keeper
        keeper.victims[victim] = None
        victim.enter(State.EXPLOITED, self.pool(State.EXPLOITED, (victim.exploitation,
                                                                  victim.minor)))

    # --- exploitation and identification ---------------------------------------------------

    def exploit(self) -> None:
        """A week of exploitation: revenue to the groups, victim-weeks of harm."""
        revenue = self.cfg.groups.revenue_gbp
        for (state, key), pool in self.pools.items():
            if state is State.EXPLOITED:
                self.tally["revenue_gbp"] += len(pool) * revenue[key[0]]
                self.tally["exploitation_weeks"] += len(pool)

    def identify(self) -> None:
        """First responders identify exploited victims at a weekly hazard by exploitation type,
        higher for minors, raised by training (pillar 4)."""
        e = self.cfg.exploitation
        gain = self.levers.identification_gain
        for (_, (kind, minor)), pool in self.exploited_pools():
            h = min(1.0, e.identification[kind] * gain * (e.minor_identification if minor else 1))
            for v in pool.sample(self.rng, self.rng.binomial(len(pool), h)):
                self.identify_victim(v, "first_responder")

    def identify_victim(self, victim: Victim, channel: str) -> None:
        """Identified by ``channel``: out of the group's hands, referred to the NRM. Their account
        may name the group to the NCA."""
        group = victim.group
        self.release(victim)
        victim.identified_by = channel
        self.tally[f"identified_{channel}"] += 1
        self.tally["identified_domestic"] += self.cfg.world.sources[victim.origin].domestic
        named = self.random.random() < self.cfg.enforcement.account
        if group is not None and group.active and named:
            self.intel[group.index] += self.cfg.enforcement.intel_per_account
        self.nrm.refer(victim)

    def release(self, victim: Victim) -> None:
        """The victim is no longer held by their group."""
        if victim.controller is not None:
            del victim.controller.victims[victim]
            victim.controller = None
        if victim.state in (State.IN_TRANSIT, State.EXPLOITED):
            victim.group.load -= 1

    # --- after identification --------------------------------------------------------------

    def go_unsupported(self, victim: Victim) -> None:
        victim.enter(State.UNSUPPORTED, self.pool(State.UNSUPPORTED))
        self.tally["went_unsupported"] += 1
        self.agenda[self.week + self.cfg.care.stay_weeks, "unsupported_end"].append(
            (victim, victim.since))

    def recover(self, victim: Victim) -> None:
        victim.enter(State.RECOVERED, self.pool(State.RECOVERED, victim.supported))
        self.agenda[self.week + self.cfg.care.risk_weeks, "risk_end"].append(
            (victim, victim.since))

    def exits(self) -> None:
        """Victims escape exploitation unidentified; those out of it may be re-trafficked,
        less often if they were supported; the unsupported recover on their own."""
        c = self.cfg
        for _, pool in self.exploited_pools():
            for v in pool.sample(self.rng, self.rng.binomial(len(pool), c.exploitation.leave)):
                self.release(v)
                v.enter(State.LEFT, self.pool(State.LEFT))
                self.tally["escaped"] += 1
        for victim in self.due("unsupported_end", State.UNSUPPORTED):
            self.recover(victim)
        for victim in self.due("risk_end", State.RECOVERED):
            victim.enter(State.RECOVERED, self.pool(State.RECOVERED, "safe"))
        at_risk = [(self.pool(State.UNSUPPORTED), c.care.retrafficking_unsupported),
                   (self.pool(State.RECOVERED, True), c.care.retrafficking_supported),
                   (self.pool(State.RECOVERED, False), c.care.retrafficking_unsupported)]
        for pool, hazard in at_risk:
            for v in pool.sample(self.rng, self.rng.binomial(len(pool), hazard)):
                self.retraffic(v)

    def retraffic(self, victim: Victim) -> None:
        """Taken back into exploitation by a group recruiting among people of their origin."""
        groups = self.active_at[victim.origin]
        spare = [g for g in groups if g.load < g.capacity] or groups
        if not spare:
            return
        group = spare[self.rng.integers(len(spare))]
        group.load += 1
        victim.times_trafficked += 1
        victim.supported = False
        victim.node = group.region
        self.exploit_victim(victim, group)
        self.tally["retrafficked"] += 1

    # --- crime groups ----------------------------------------------------------------------

    def found_group(self, source: str, stocked: bool = False) -> CrimeGroup:
        """A new group at ``source``, based in a region drawn by demand for what the source
        supplies; ``stocked`` groups start with victims (``initial_fill`` of capacity)."""
        cfg = self.cfg
        regions = [r for s, r in self.routes.paths if s == source]
        mix = cfg.world.sources[source].exploitation
        weight = np.array([sum(mix.get(t, 0) * cfg.world.regions[r].demand.get(t, 0)
                               for t in EXPLOITATION_TYPES) for r in regions]) + 1e-12
        region = regions[self.rng.choice(len(regions), p=weight / weight.sum())]
        group = CrimeGroup(self, len(self.groups), source, region)
        self.groups.append(group)
        self.active_at[source].append(group)
        self.ties_changed = True  # the tie matrix gains a row
        self.beliefs.add_group()
        self.intel = np.append(self.intel, 0.0)
        shape = cfg.groups
        group.hire(Role.LEADER)
        for role, n in ((Role.RECRUITER, shape.recruiters), (Role.TRANSPORTER, shape.transporters),
                        (Role.CONTROLLER, shape.controllers)):
            for _ in range(n):
                group.hire(role)
        members = group.everyone()
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if a.role is not Role.LEADER and b.role is not Role.LEADER and (
                        self.random.random() < shape.tie_probability):
                    self.tie(a, b)
        same = [g for g in self.active_at[source] if g is not group] or [
            g for g in self.groups if g.active and g is not group]
        for _ in range(shape.broker_ties if same else 0):
            other = same[self.rng.integers(len(same))]
            self.tie(self.random.choice(members), self.random.choice(other.everyone()))
        if stocked:
            for _ in range(round(cfg.recruitment.initial_fill * group.capacity)):
                victim = self.new_victim(group)
                victim.node = region
                self.exploit_victim(victim, group)
            self.tally.clear()
        return group

    def first_leg(self, group: CrimeGroup) -> str:
        return self.routes.paths[group.source, group.region][0].nodes[1]

    def tie(self, a, b) -> None:
        if self.criminal_network.has_edge(a, b):
            return
        self.criminal_network.add_edge(a, b)
        if a.group is not b.group:
            for x, y in ((a.group, b.group), (b.group, a.group)):
                x.allies[y] = x.allies.get(y, 0) + 1
            self.ties_changed = True

    def untie(self, member) -> None:
        for other in self.criminal_network[member]:
            if other.group is not member.group:
                for x, y in ((member.group, other.group), (other.group, member.group)):
                    x.allies[y] -= 1
                    if not x.allies[y]:
                        del x.allies[y]
                self.ties_changed = True

    def arrest(self, member, channel: str) -> None:
        """Arrested: the victims the member held are freed (identified by ``channel``)."""
        for v in list(member.victims):
            self.identify_victim(v, channel)
        self.tally["traffickers_arrested"] += 1
        member.group.lose(member, channel)

    def dismantle(self, group: CrimeGroup, channel: str) -> None:
        """The group is gone: its victims are found in the collapse, its members disperse."""
        group.active = False
        self.active_at[group.source].remove(group)
        self.tally["groups_dismantled"] += 1
        for member in group.everyone():
            for v in list(member.victims):
                self.identify_victim(v, channel)
            self.untie(member)
            member.leave()
        group.members = {role: [] for role in Role}
        group.vacancies = []
        self.intel[group.index] = 0.0

    def adapt(self) -> None:
        """Groups learn entry-point risk, fill vacancies; new groups replace dismantled ones;
        the NCA's intelligence fades and grows with what partners share."""
        cfg = self.cfg
        if self.ties_changed:
            n = len(self.groups)
            rows, cols, vals = [], [], []
            for g in self.groups:
                for other, k in g.allies.items():
                    rows.append(g.index)
                    cols.append(other.index)
                    vals.append(k)
            self.ties = sparse.csr_array((vals, (rows, cols)), shape=(n, n))
            self.ties_changed = False
        self.beliefs.update(self.ties)
        for group in self.groups:
            if group.active and group.vacancies:
                group.fill_vacancies()
        self.intel *= 1 - cfg.enforcement.intel_decay
        foreign = np.array([g.active and not cfg.world.sources[g.source].domestic
                            for g in self.groups], dtype=bool)
        self.intel[foreign] += self.levers.sharing * cfg.international.sharing_intel
        for source, spec in cfg.world.sources.items():
            missing = max(0, spec.groups - len(self.active_at[source]))
            for _ in range(self.rng.binomial(missing, 1 / cfg.groups.reformation_weeks)):
                self.found_group(source)
                self.tally["groups_formed"] += 1
            self.population[source] += cfg.recruitment.renewal * (spec.population
                                                                  - self.population[source])

    # --- NCA targeting ---------------------------------------------------------------------

    def choose_target(self, strategy: str) -> CrimeGroup | None:
        """The next group to investigate among those the NCA knows enough about."""
        threshold = self.cfg.enforcement.intel_threshold
        known = [g for g in self.groups
                 if g.active and not g.targeted and self.intel[g.index] >= threshold]
        if not known:
            return None
        if strategy == "random":
            return known[self.rng.integers(len(known))]
        if strategy == "largest":
            return max(known, key=lambda g: (g.load, -g.index))
        if strategy == "central":
            return max(known, key=lambda g: (self.centrality_of(g), -g.index))
        return max(known, key=lambda g: (self.intel[g.index], -g.index))  # leader_first

    def refresh_centrality(self) -> None:
        e = self.cfg.enforcement
        if self.week - self.centrality_week < e.centrality_refresh_weeks:
            return
        g = self.criminal_network
        k = min(e.centrality_samples, g.number_of_nodes())
        self.centrality = nx.betweenness_centrality(g, k=k, seed=int(self.rng.integers(2**31)))
        self.centrality_week = self.week

    def centrality_of(self, group: CrimeGroup) -> float:
        self.refresh_centrality()
        return max((self.centrality.get(t, 0.0) for t in group.everyone()), default=0.0)

    def most_central(self, group: CrimeGroup):
        self.refresh_centrality()
        return max(group.everyone(), key=lambda t: (self.centrality.get(t, 0.0), -t.unique_id),
                   default=None)

    # --- bookkeeping -----------------------------------------------------------------------

    def nca_units(self) -> list[NCAUnit]:
        return list(self.agents_by_type.get(NCAUnit, []))

    def pool(self, state: State, key=None) -> Pool:
        pool = self.pools.get((state, key))
        if pool is None:
            pool = self.pools[state, key] = Pool()
        return pool

    def exploited_pools(self):
        return [(k, p) for k, p in self.pools.items() if k[0] is State.EXPLOITED]

    def count(self, state: State) -> int:
        return sum(len(p) for (s, _), p in self.pools.items() if s is state)

    def due(self, kind: str, state: State) -> list[Victim]:
        """Victims whose ``kind`` event falls this week and who are still where it found them."""
        return [v for v, since in self.agenda.pop((self.week, kind), [])
                if v.state is state and v.since == since]

    def record(self) -> None:
        self.totals.update(self.tally)  # before observing: the row reads running totals too
        self.row = metrics.observe(self)
        self.datacollector.collect(self)
