"""What must hold after every week of any run: :func:`check` raises :class:`InvariantError`
naming the first broken rule. The tests call it every week of random worlds; it is cheap
enough to call from a notebook while changing the model."""

from collections import Counter

from sim.agents import State, Victim
from sim.crime import ROLES

HELD = (State.IN_TRANSIT, State.EXPLOITED)


class InvariantError(AssertionError):
    """The model's bookkeeping contradicts itself."""


def expect(ok: bool, rule: str) -> None:
    if not ok:
        raise InvariantError(rule)


def name(state: State | None) -> str:
    return "no state" if state is None else state.name


def pool_keys(victim: Victim) -> tuple:
    """The keys of the register's pools a victim in its state may sit in."""
    if victim.state is State.EXPLOITED:
        return ((victim.exploitation, victim.minor),)
    if victim.state is State.RECOVERED:
        return (victim.supported,)
    if victim.state is State.LEFT:
        return ("at_risk",)
    return (None,)


def check(model) -> None:
    victims = list(model.agents_by_type.get(Victim, []))
    check_victims(model, victims)
    check_groups(model, victims)
    check_network(model)
    check_agencies(model)


def check_victims(model, victims: list[Victim]) -> None:
    """Every victim ever recruited is in the model, in exactly the pool of its state and key,
    or retired (past the risk window, as recovered or left); the counts by state are the number
    of victims in that state; held means held."""
    retired = model.register.retired
    expect(set(retired) <= {State.RECOVERED, State.LEFT},
           f"retired victims in states other than RECOVERED and LEFT: {dict(retired)}")
    expect(len(victims) + retired.total() == model.victims_created,
           f"conservation: {len(victims)} victims in the model and {retired.total()} retired, "
           f"{model.victims_created} created")
    pools = model.register.pools
    for (state, key), pool in pools.items():
        for i, v in enumerate(pool):
            expect(v.pool is pool and v.slot == i,
                   f"pool ({state.name}, {key}): victim {v.unique_id} does not know its slot")
            expect(v.state is state and key in pool_keys(v),
                   f"pool ({state.name}, {key}) holds victim {v.unique_id} in state "
                   f"{name(v.state)} (keys {pool_keys(v)})")
    filed = sum(len(p) for p in pools.values())
    expect(filed == len(victims), f"register: {filed} victims filed, {len(victims)} in the model")
    by_state = Counter(v.state for v in victims)
    for state in State:
        expect(model.count(state) == by_state[state] + retired[state],
               f"count({state.name}) = {model.count(state)}, but {by_state[state]} victims "
               f"are {state.name} and {retired[state]} retired")
    for v in victims:
        expect((v.controller is not None) == (v.state is State.EXPLOITED),
               f"victim {v.unique_id} in {name(v.state)} has controller {v.controller}")
        if v.controller is not None:
            expect(v in v.controller.victims and v.controller.group is v.group,
                   f"victim {v.unique_id}: its controller does not hold it for its group")
        expect(v.state not in HELD or v.group is not None,
               f"victim {v.unique_id} in {name(v.state)} without a group")
        expect(all(w >= 0 for w in v.weeks_in) and v.since <= model.steps,
               f"victim {v.unique_id}: negative time in a state")


def check_groups(model, victims: list[Victim]) -> None:
    """A group's load is the victims it holds in transit and exploitation (a dismantled
    group's victims on the way still count until they arrive and get away); dismantled groups
    have no members; every member is on the network."""
    held = Counter(v.group for v in victims if v.state in HELD)
    for g in model.crime.groups:
        expect(g.load == held[g], f"{g}: load {g.load}, but it holds {held[g]} victims")
        if g.active:
            expect(all(t in model.crime.network for t in g.everyone()),
                   f"{g}: a member is not on the criminal network")
            expect(g in model.crime.active_at[g.source], f"{g}: active but not listed at source")
            for t in g.everyone():
                expect(t.group is g, f"{g}: member {t.unique_id} belongs to {t.group}")
        else:
            expect(g.size == 0, f"{g}: dismantled, yet has members")
            expect(g not in model.crime.active_at[g.source], f"{g}: dismantled but listed")
    crime, world = model.crime, model.cfg.world
    staff = [[len(g.members[role]) for role in ROLES] for g in crime.groups]
    expect(crime.staff.view.tolist() == staff,
           "groups: the table of members by role is out of date")
    expect(crime.live.view.tolist() == [g.active for g in crime.groups],
           "groups: the mask of active groups is out of date")
    expect(crime.source_of.view.tolist() == [list(world.sources).index(g.source)
                                             for g in crime.groups]
           and crime.region_of.view.tolist() == [list(world.regions).index(g.region)
                                                 for g in crime.groups],
           "groups: the sources and regions by group are out of date")
    abroad = [g.active and not model.cfg.world.sources[g.source].domestic
              for g in model.crime.groups]
    expect(model.crime.abroad.view.tolist() == abroad,
           "groups: the mask of active foreign groups is out of date")
    for source, groups in model.crime.active_at.items():
        members = sum(g.size for g in groups)
        expect(model.crime.members_at[source] == members,
               f"members at {source}: {model.crime.members_at[source]} counted, {members} in "
               "its active groups")
    controlled = sum(len(t.victims) for g in model.crime.groups for t in g.everyone())
    exploited = model.count(State.EXPLOITED)
    expect(controlled == exploited,
           f"members hold {controlled} victims, {exploited} are exploited")


def check_network(model) -> None:
    """The network holds exactly the members of groups; ties between groups are counted."""
    net, groups = model.crime.network, model.crime.groups
    expect(net.number_of_nodes() == sum(g.size for g in groups),
           f"network: {net.number_of_nodes()} nodes, {sum(g.size for g in groups)} members")
    ties: Counter = Counter()
    for a, b in net.edges:
        if a.group is not b.group:
            ties[a.group, b.group] += 1
            ties[b.group, a.group] += 1
    allies = {(g, other): n for g in groups for other, n in g.allies.items()}
    expect(dict(ties) == allies, "network: ties between groups differ from the groups' allies")
    crime = model.crime
    entries = zip(crime.tie_rows.view.tolist(), crime.tie_cols.view.tolist(),
                  crime.tie_counts.view.tolist(), strict=True)
    matrix = {(i, j): n for i, j, n in entries if n}
    expect(matrix == {(g.index, other.index): n for (g, other), n in allies.items()},
           "network: the tie matrix differs from the groups' allies")


def check_agencies(model) -> None:
    """Support places, the queue, NCA targets and intelligence are consistent."""
    in_support = model.count(State.IN_SUPPORT)
    expect(in_support <= model.levers.support_places or model.tally["support_admissions"] == 0,
           f"support: {in_support} in support, {model.levers.support_places} places")
    expect(len(model.nrm.queue) == model.count(State.SUPPORT_QUEUE),
           f"support queue: {len(model.nrm.queue)} queued, "
           f"{model.count(State.SUPPORT_QUEUE)} victims waiting")
    busy = [u.target for u in model.nca_units() if u.target is not None]
    targeted = sum(g.targeted for g in model.crime.groups)
    expect(len(busy) == len(set(busy)) == targeted,
           f"NCA: {len(busy)} operations on {len(set(busy))} groups, {targeted} marked targeted")
    expect(len(model.nca_units()) == model.levers.nca_units,
           f"NCA: {len(model.nca_units())} units, {model.levers.nca_units} funded")
    expect(bool((model.intelligence.files >= 0).all()), "intelligence: a negative file")
    risk = model.crime.beliefs.risk
    expect(bool(((risk >= 0) & (risk <= 1)).all()), "beliefs: a risk outside [0, 1]")
