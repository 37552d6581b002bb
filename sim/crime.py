"""Organised crime groups and their network: founding, ties, arrests, succession,
dismantling, vacancy filling and reformation.

Groups are PROTON-OC-style (Nardin et al. 2016; Duijn et al. 2014 for recovery): members in
roles, ties within and between groups, vacancies refilled by rewiring the orphaned ties, a lost
leader succeeded by the best-connected member, and a dismantled group replaced in time by a new
one at the same source. What groups learn about routes is in :mod:`sim.learning`.
"""

import math
from collections import Counter

import networkx as nx
import numpy as np
from scipy import sparse

from sim.agents.trafficker import Role, Trafficker
from sim.config import EXPLOITATION_TYPES
from sim.learning import RiskBeliefs
from sim.rows import Rows

ROLES = list(Role)  # the columns of OrganisedCrime.staff


class CrimeGroup:
    """An organised crime group: members by role, the victims it holds, its place in the market.

    ``index`` is the group's row in the arrays of learned risk and of NCA intelligence.
    ``load`` counts victims in transit and in exploitation: capacity is controllers x span.
    """

    def __init__(self, crime: "OrganisedCrime", index: int, source: str, region: str):
        self.crime = crime
        self.index = index
        self.source = source
        self.region = region
        self.members: dict[Role, list[Trafficker]] = {role: [] for role in Role}
        self.load = 0
        self.active = True
        self.vacancies: list[tuple[Role, list[Trafficker]]] = []  # (role, former neighbours)
        self.allies: dict[CrimeGroup, int] = {}  # other group -> number of ties between the two
        self.targeted = False
        self.span = crime.model.cfg.groups.span

    def __repr__(self):
        return f"CrimeGroup({self.index}, {self.source}->{self.region})"

    @property
    def leader(self) -> Trafficker | None:
        return self.members[Role.LEADER][0] if self.members[Role.LEADER] else None

    @property
    def size(self) -> int:
        return sum(len(m) for m in self.members.values())

    def everyone(self) -> list[Trafficker]:
        return [t for members in self.members.values() for t in members]

    @property
    def capacity(self) -> int:
        return len(self.members[Role.CONTROLLER]) * self.span

    def keeper(self) -> Trafficker:
        """The member who takes a new victim: the least-loaded controller, else anyone left."""
        holders = self.members[Role.CONTROLLER] or self.everyone()
        return min(holders, key=lambda t: len(t.victims))

    def hire(self, role: Role, contacts=()) -> Trafficker:
        """A new member tied to the leader and to ``contacts``."""
        member = Trafficker(self.crime.model, self, role)
        self.join(member, role)
        self.crime.network.add_node(member)
        self.crime.members_at[self.source] += 1
        for other in ([self.leader] if self.leader is not member else []) + list(contacts):
            if other is not None and other is not member and other.group.active:
                self.crime.tie(member, other)
        return member

    def lose(self, member: Trafficker, channel: str) -> None:
        """Remove an arrested member; record the vacancy and let the best-connected take over
        a lost leadership (or, failing succession, the group falls apart)."""
        crime = self.crime
        neighbours = list(crime.network[member])
        crime.untie(member)
        self.part(member)
        crime.remove(member)
        if member.role is not Role.LEADER:
            self.vacancies.append((member.role, neighbours))
            if not self.size:
                crime.dismantle(self, channel)
            return
        rest = self.everyone()
        if rest and crime.model.random.random() < crime.model.cfg.groups.succession:
            heir = max(rest, key=lambda t: (crime.network.degree(t), -t.unique_id))
            self.part(heir)
            self.vacancies.append((heir.role, []))
            self.join(heir, Role.LEADER)
            for t in neighbours:
                if t is not heir and t.group.active:
                    crime.tie(heir, t)
        else:
            crime.dismantle(self, channel)

    def join(self, member: Trafficker, role: Role) -> None:
        member.role = role
        self.members[role].append(member)
        self.crime.staff.view[self.index, ROLES.index(role)] += 1

    def part(self, member: Trafficker) -> None:
        self.members[member.role].remove(member)
        self.crime.staff.view[self.index, ROLES.index(member.role)] -= 1

    def fill_vacancies(self) -> None:
        """Each vacancy is filled with probability ``replacement_rate`` a week; the newcomer
        takes over each orphaned tie with p = 1 - 1/(n + 1), n = members left in the role."""
        m = self.crime.model
        still = []
        for role, orphans in self.vacancies:
            if m.random.random() >= m.cfg.groups.replacement_rate:
                still.append((role, orphans))
                continue
            p = 1 - 1 / (len(self.members[role]) + 1)
            alive = [t for t in orphans if t in self.crime.network]
            self.hire(role, [t for t in alive if m.random.random() < p])
        self.vacancies = still

    def rejoin(self, role: Role) -> Trafficker | None:
        """A member back from the justice system takes a vacancy of the role (and its
        orphaned ties) if there is one; if the place was filled, they stay away."""
        for i, (vacant, orphans) in enumerate(self.vacancies):
            if vacant is role:
                del self.vacancies[i]
                return self.hire(role, [t for t in orphans if t in self.crime.network])
        return None


class OrganisedCrime:
    """Every crime group of a run, their criminal network, and what they believe of routes.

    ``groups`` holds every group ever founded (by index); ``active_at[source]`` the active ones
    recruiting at each source; ``network`` ties members within and across groups.
    """

    def __init__(self, model):
        self.model = model
        self.network = nx.Graph()
        self.groups: list[CrimeGroup] = []
        self.active_at: dict[str, list[CrimeGroup]] = {s: [] for s in model.cfg.world.sources}
        self.beliefs = RiskBeliefs(len(model.routes.entries), model.cfg.routes)
        self.ties = sparse.csr_array((0, 0))  # ties between groups, rows and columns by index
        # the tie matrix's entries, kept as it changes: a slot for each (group, other group)
        # ever tied, with its row, column and number of ties now (zero once untied)
        self.slot: dict[tuple[int, int], int] = {}
        self.tie_rows, self.tie_cols = Rows(dtype=np.int64), Rows(dtype=np.int64)
        self.tie_counts = Rows(dtype=np.int64)
        self.members_at: Counter[str] = Counter()  # members of the active groups of a source
        self.abroad = Rows(fill=False, dtype=bool)  # by group index: active at a foreign source
        # by group index: active; members in each role (columns ROLES); source and region
        # (positions in the world's sources and regions)
        self.live = Rows(fill=False, dtype=bool)
        self.staff = Rows(len(ROLES), dtype=np.int64)
        self.source_of, self.region_of = Rows(dtype=np.int64), Rows(dtype=np.int64)
        self.ties_changed = True
        self.centrality: dict[Trafficker, float] = {}
        self.centrality_week = -math.inf

    # --- founding and reformation ----------------------------------------------------------

    def found(self, source: str, appeal: dict[str, float] | None = None) -> CrimeGroup:
        """A new group at ``source``, based in a region drawn by demand for what the source
        supplies (times the region's ``appeal``, if given): a leader, members in every role,
        ties among them and broker ties to groups at the same source (else anywhere)."""
        m, shape = self.model, self.model.cfg.groups
        regions = [r for s, r in m.routes.paths if s == source]
        mix = m.cfg.world.sources[source].exploitation
        weight = np.array([sum(mix.get(t, 0) * m.cfg.world.regions[r].demand.get(t, 0)
                               for t in EXPLOITATION_TYPES)
                           * (1.0 if appeal is None else appeal[r]) for r in regions]) + 1e-12
        region = regions[m.rng.choice(len(regions), p=weight / weight.sum())]
        group = CrimeGroup(self, len(self.groups), source, region)
        self.groups.append(group)
        self.active_at[source].append(group)
        self.ties_changed = True  # the tie matrix gains a row
        self.beliefs.add_group()
        m.intelligence.open_file()
        self.abroad.append()
        self.abroad.view[group.index] = not m.cfg.world.sources[source].domestic
        for rows in (self.live, self.staff, self.source_of, self.region_of):
            rows.append()
        self.live.view[group.index] = True
        self.source_of.view[group.index] = list(m.cfg.world.sources).index(source)
        self.region_of.view[group.index] = list(m.cfg.world.regions).index(region)
        group.hire(Role.LEADER)
        for role, n in ((Role.RECRUITER, shape.recruiters), (Role.TRANSPORTER, shape.transporters),
                        (Role.CONTROLLER, shape.controllers)):
            for _ in range(n):
                group.hire(role)
        members = group.everyone()
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if a.role is not Role.LEADER and b.role is not Role.LEADER and (
                        m.random.random() < shape.tie_probability):
                    self.tie(a, b)
        same = self.active_at[source][:-1] or [  # the others at the source (it came last)
            g for g in self.groups if g.active and g is not group]
        for _ in range(shape.broker_ties if same else 0):
            other = same[m.rng.integers(len(same))]
            self.tie(m.random.choice(members), m.random.choice(other.everyone()))
        return group

    def reform(self) -> None:
        """Where a source has fewer active groups than at the start, each missing group is
        replaced with probability 1 / ``reformation_weeks`` a week."""
        m = self.model
        for source, spec in m.cfg.world.sources.items():
            missing = max(0, spec.groups - len(self.active_at[source]))
            for _ in range(m.rng.binomial(missing, 1 / m.cfg.groups.reformation_weeks)):
                self.found(source)
                m.tally["groups_formed"] += 1

    def held(self) -> Counter:
        """Victims held (in transit or exploited) by the active groups of each region."""
        held: Counter = Counter()
        for g in self.groups:
            if g.active:
                held[g.region] += g.load
        return held

    def places(self) -> Counter:
        """Places for victims (controllers x span) of the active groups of each region."""
        places: Counter = Counter()
        for g in self.groups:
            if g.active:
                places[g.region] += g.capacity
        return places

    def grow(self, groups) -> None:
        """Groups whose victims outgrow their controllers hire more (where recruitment is
        not bounded by a group's own capacity)."""
        for g in groups:
            while g.active and g.load > g.capacity:
                g.hire(Role.CONTROLLER)

    def fill_vacancies(self) -> None:
        for group in self.groups:
            if group.active and group.vacancies:
                group.fill_vacancies()

    # --- ties ------------------------------------------------------------------------------

    def tie(self, a: Trafficker, b: Trafficker) -> None:
        if self.network.has_edge(a, b):
            return
        self.network.add_edge(a, b)
        if a.group is not b.group:
            for x, y in ((a.group, b.group), (b.group, a.group)):
                x.allies[y] = x.allies.get(y, 0) + 1
                slot = self.slot_of(x.index, y.index)
                self.tie_counts.view[slot] += 1
            self.ties_changed = True

    def slot_of(self, group: int, other: int) -> int:
        """The tie matrix's slot of (group, other group), opened on their first tie."""
        found = self.slot.get((group, other))
        if found is None:
            found = self.slot[group, other] = self.tie_counts.n
            for rows, value in ((self.tie_rows, group), (self.tie_cols, other),
                                (self.tie_counts, 0)):
                rows.append()
                rows.view[found] = value
        return found

    def untie(self, member: Trafficker) -> None:
        for other in self.network[member]:
            if other.group is not member.group:
                for x, y in ((member.group, other.group), (other.group, member.group)):
                    x.allies[y] -= 1
                    self.tie_counts.view[self.slot[x.index, y.index]] -= 1
                    if not x.allies[y]:
                        del x.allies[y]
                self.ties_changed = True

    def learn_routes(self) -> None:
        """Groups update their beliefs of entry-point risk, hearing from the groups they are
        tied to (the tie matrix is rebuilt only when ties between groups changed)."""
        if self.ties_changed:
            n = len(self.groups)
            self.ties = sparse.csr_array(  # entries of pairs untied are zeros: they add nothing
                (self.tie_counts.view, (self.tie_rows.view, self.tie_cols.view)), shape=(n, n))
            self.ties_changed = False
        self.beliefs.update(self.ties)

    # --- arrests and dismantling -----------------------------------------------------------

    def arrest(self, member: Trafficker, channel: str, intel: float | None = None) -> None:
        """Arrested: the victims the member held are freed (identified by ``channel``) and
        are the witnesses of the member's case, with the NCA's file on the group (``intel``,
        as it stood when the operation ended; by default, as it stands at the arrest)."""
        group = member.group
        if intel is None:
            intel = self.model.intelligence.of(group)
        freed = list(member.victims)
        for v in freed:
            self.model.identify_victim(v, channel)
        self.model.tally["traffickers_arrested"] += 1
        self.model.justice.open_case(group, member.role, freed, intel)
        member.group.lose(member, channel)

    def dismantle(self, group: CrimeGroup, channel: str) -> None:
        """The group is gone: its victims are found in the collapse, its members disperse."""
        self.model.tally["groups_dismantled"] += 1
        self.disband(group, lambda v: self.model.identify_victim(v, channel))

    def dissolve(self, group: CrimeGroup) -> None:
        """The group leaves the market: its victims get away unidentified, its members
        disperse."""
        self.disband(group, self.model.escape_unidentified)

    def disband(self, group: CrimeGroup, free) -> None:
        """The group becomes inactive: ``free`` each victim its members hold, remove the
        members, forget its vacancies and the NCA's file on it."""
        group.active = False
        self.abroad.view[group.index] = self.live.view[group.index] = False
        self.active_at[group.source].remove(group)
        for member in group.everyone():
            for v in list(member.victims):
                free(v)
            self.untie(member)
            self.remove(member)
        group.members = {role: [] for role in Role}
        self.staff.view[group.index] = 0
        group.vacancies = []
        self.model.intelligence.wipe(group)

    def remove(self, member: Trafficker) -> None:
        """The member leaves the model (arrested or dispersed): off the network too."""
        self.network.remove_node(member)
        self.members_at[member.group.source] -= 1
        member.remove()

    # --- centrality, for targeting ---------------------------------------------------------

    def refresh_centrality(self) -> None:
        """Sampled betweenness of every member, recomputed at most every
        ``centrality_refresh_weeks``."""
        e, week = self.model.cfg.enforcement, self.model.steps
        if week - self.centrality_week < e.centrality_refresh_weeks:
            return
        k = min(e.centrality_samples, self.network.number_of_nodes())
        self.centrality = nx.betweenness_centrality(
            self.network, k=k, seed=int(self.model.rng.integers(2**31)))
        self.centrality_week = week

    def centrality_of(self, group: CrimeGroup) -> float:
        self.refresh_centrality()
        return max((self.centrality.get(t, 0.0) for t in group.everyone()), default=0.0)

    def most_central(self, group: CrimeGroup) -> Trafficker | None:
        self.refresh_centrality()
        return max(group.everyone(), key=lambda t: (self.centrality.get(t, 0.0), -t.unique_id),
                   default=None)
