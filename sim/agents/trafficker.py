"""Traffickers and the organised crime groups they belong to."""

from enum import StrEnum

from mesa.discrete_space import CellAgent


class Role(StrEnum):
    LEADER = "leader"
    RECRUITER = "recruiter"
    TRANSPORTER = "transporter"
    CONTROLLER = "controller"


class Trafficker(CellAgent):
    """A member of one group, placed where the role works: recruiters at the source, transporters
    on the first leg of the route, controllers and the leader in the UK region. Members hold the
    victims they control; arresting a member frees them."""

    def __init__(self, model, group, role: Role, cell):
        super().__init__(model)
        self.group = group
        self.role = role
        self.cell = cell
        self.victims = {}  # held victims, in the order taken (a dict keeps runs reproducible)

    def leave(self) -> None:
        """Leave the model (arrested or dispersed): off the network, out of the space."""
        self.model.criminal_network.remove_node(self)
        self.remove()


class CrimeGroup:
    """An organised crime group: members by role, the victims it holds, what the NCA knows of it.

    ``index`` is the group's row in the model's arrays of intelligence and learned risk.
    ``load`` counts victims in transit and in exploitation: capacity is controllers x span.
    """

    def __init__(self, model, index: int, source: str, region: str):
        self.model = model
        self.index = index
        self.source = source
        self.region = region
        self.members = {role: [] for role in Role}
        self.load = 0
        self.active = True
        self.vacancies = []  # (role, former neighbours) of members lost
        self.allies = {}  # other group -> number of ties between the two
        self.targeted = False

    def __repr__(self):
        return f"CrimeGroup({self.index}, {self.source}->{self.region})"

    @property
    def leader(self):
        return self.members[Role.LEADER][0] if self.members[Role.LEADER] else None

    @property
    def size(self) -> int:
        return sum(len(m) for m in self.members.values())

    def everyone(self):
        return [t for members in self.members.values() for t in members]

    @property
    def capacity(self) -> int:
        return len(self.members[Role.CONTROLLER]) * self.model.cfg.groups.span

    def keeper(self):
        """The member who takes a new victim: the least-loaded controller, else anyone left."""
        holders = self.members[Role.CONTROLLER] or self.everyone()
        return min(holders, key=lambda t: len(t.victims))

    def hire(self, role: Role, contacts=()) -> Trafficker:
        """A new member tied to the leader and to ``contacts``."""
        m = self.model
        node = self.source if role is Role.RECRUITER else (
            m.first_leg(self) if role is Role.TRANSPORTER else self.region)
        member = Trafficker(m, self, role, m.space[node])
        self.members[role].append(member)
        m.criminal_network.add_node(member)
        for other in ([self.leader] if self.leader is not member else []) + list(contacts):
            if other is not None and other is not member and other.group.active:
                m.tie(member, other)
        return member

    def lose(self, member: Trafficker, channel: str) -> None:
        """Remove an arrested member; record the vacancy and let the best-connected take over
        a lost leadership (or, failing succession, the group falls apart)."""
        m = self.model
        neighbours = list(m.criminal_network[member])
        m.untie(member)
        self.members[member.role].remove(member)
        member.leave()
        if member.role is not Role.LEADER:
            self.vacancies.append((member.role, neighbours))
            if not self.size:
                m.dismantle(self, channel)
            return
        rest = self.everyone()
        if rest and m.random.random() < m.cfg.groups.succession:
            heir = max(rest, key=lambda t: (m.criminal_network.degree(t), -t.unique_id))
            self.members[heir.role].remove(heir)
            self.vacancies.append((heir.role, []))
            heir.role = Role.LEADER
            self.members[Role.LEADER].append(heir)
            for t in neighbours:
                if t is not heir and t.group.active:
                    m.tie(heir, t)
        else:
            m.dismantle(self, channel)

    def fill_vacancies(self) -> None:
        """Each vacancy is filled with probability ``replacement_rate`` a week; the newcomer
        takes over each orphaned tie with p = 1 - 1/(n + 1), n = members left in the role."""
        m = self.model
        still = []
        for role, orphans in self.vacancies:
            if m.random.random() >= m.cfg.groups.replacement_rate:
                still.append((role, orphans))
                continue
            p = 1 - 1 / (len(self.members[role]) + 1)
            alive = [t for t in orphans if t in m.criminal_network]
            self.hire(role, [t for t in alive if m.random.random() < p])
        self.vacancies = still
