"""The invariant checks catch real bugs: each is proved by planting a bug in the model and
seeing its check fail; random valid worlds and levers keep every invariant every week."""

import pytest
from helpers import toy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import TraffickingModel
from sim.agents import Role, State
from sim.agents.nca import Intelligence, NCAUnit
from sim.crime import ROLES, CrimeGroup, OrganisedCrime
from sim.invariants import InvariantError, check
from sim.learning import RiskBeliefs
from sim.nrm import NationalReferralMechanism
from sim.register import Register

# a tight support budget makes the queue and refusals happen; many NCA units, many arrests;
# a short risk window retires survivors within the run
BUSY = ("policy=strategy_2011", "policy.enforcement.targeting=central",
        "policy.enforcement.nca_units=8", "policy.care.support_gbp=300000", "burn_in_weeks=10",
        "policy_weeks=70", "care.risk_weeks=26")


def checked_run(cfg, seed: int = 1) -> TraffickingModel:
    """Run ``cfg`` checking the invariants every week."""
    model = TraffickingModel(cfg, rng=seed)
    check(model)
    for _ in range(cfg.burn_in_weeks + cfg.policy_weeks):
        model.step()
        check(model)
    return model


# --- bugs planted in the model ---------------------------------------------------------------


def unsupported_in_the_wrong_pool(monkeypatch):
    def go_without_support(self, victim):
        m = self.model
        victim.enter(State.UNSUPPORTED, m.register.pool(State.RECOVERED, False))
        m.calendar.book(m.steps + m.cfg.care.stay_weeks, "unsupported_end", victim)

    monkeypatch.setattr(NationalReferralMechanism, "go_without_support", go_without_support)


def a_state_miscounted(monkeypatch):
    def count(self, state):  # forgets every pool but the first of a state
        pools = self.pools_of(state)
        return len(pools[0][1]) if pools else 0

    monkeypatch.setattr(Register, "count", count)


def escaped_victims_vanish(monkeypatch):
    escape = TraffickingModel.escape

    def vanish(self):
        escape(self)
        for v in list(self.register.pool(State.LEFT, "at_risk")):
            v.pool.remove(v)
            v.remove()

    monkeypatch.setattr(TraffickingModel, "escape", vanish)


def release_forgets_the_load(monkeypatch):
    def release(self, victim):
        if victim.controller is not None:
            del victim.controller.victims[victim]
            victim.controller = None

    monkeypatch.setattr(TraffickingModel, "release", release)


def keeper_never_told(monkeypatch):
    def take(self, victim, group):
        victim.group, victim.controller = group, group.keeper()
        self.register.move(victim, State.EXPLOITED, (victim.exploitation, victim.minor))

    monkeypatch.setattr(TraffickingModel, "take", take)


def ties_never_undone(monkeypatch):
    monkeypatch.setattr(OrganisedCrime, "untie", lambda self, member: None)


def arrested_stay_on_the_network(monkeypatch):
    def remove(self, member):  # counted out, but left on the network
        self.members_at[member.group.source] -= 1
        member.remove()

    monkeypatch.setattr(OrganisedCrime, "remove", remove)


def members_counted_once_too_often(monkeypatch):
    rejoin = CrimeGroup.rejoin

    def counted_twice(self, role):
        member = rejoin(self, role)
        if member is not None:
            self.crime.members_at[self.source] += 1
        return member

    monkeypatch.setattr(CrimeGroup, "rejoin", counted_twice)


def queue_forgets_refusals(monkeypatch):
    def go_without_support(self, victim):
        m = self.model
        if victim.state is not State.SUPPORT_QUEUE:  # refused from the queue: stays filed there
            m.register.move(victim, State.UNSUPPORTED)
        m.calendar.book(m.steps + m.cfg.care.stay_weeks, "unsupported_end", victim)

    monkeypatch.setattr(NationalReferralMechanism, "go_without_support", go_without_support)


def operations_end_without_a_word(monkeypatch):
    conclude = NCAUnit.conclude

    def forgetful(self):
        group = self.target
        conclude(self)
        group.targeted = True

    monkeypatch.setattr(NCAUnit, "conclude", forgetful)


def dismantled_groups_keep_their_members(monkeypatch):
    def dismantle(self, group, channel):
        group.active = False
        self.active_at[group.source].remove(group)
        for member in group.everyone():
            for v in list(member.victims):
                self.model.identify_victim(v, channel)
            self.untie(member)
            self.remove(member)

    monkeypatch.setattr(OrganisedCrime, "dismantle", dismantle)


def intelligence_fades_below_zero(monkeypatch):
    def week(self, decay, shared, foreign):
        self.files[:] -= decay

    monkeypatch.setattr(Intelligence, "week", week)


def detections_counted_twice(monkeypatch):
    def record(self, group, entry, detected):
        self.crossings[group, entry] += 1
        self.detections[group, entry] += 3 * detected

    monkeypatch.setattr(RiskBeliefs, "record", record)


def retirement_uncounted(monkeypatch):
    def retire(self, victim):  # released, but never counted
        victim.leave_pool()
        victim.remove()

    monkeypatch.setattr(Register, "retire", retire)


def unsupported_retired(monkeypatch):
    recover_unsupported = NationalReferralMechanism.recover_unsupported

    def early(self):  # the unsupported are retired before their recovery, let alone risk window
        recover_unsupported(self)
        for v in list(self.model.register.pool(State.UNSUPPORTED))[:1]:
            self.model.register.retire(v)

    monkeypatch.setattr(NationalReferralMechanism, "recover_unsupported", early)


def succession_uncounted(monkeypatch):
    def join(self, member, role):  # the heir becomes leader in the lists, not in the table
        member.role = role
        self.members[role].append(member)
        if role is not Role.LEADER or len(self.members[role]) > 1 or self.size == 1:
            self.crime.staff.view[self.index, ROLES.index(role)] += 1

    monkeypatch.setattr(CrimeGroup, "join", join)


PLANTED = {
    unsupported_in_the_wrong_pool: r"pool \(RECOVERED, False\) holds victim \d+ in state "
                                   r"UNSUPPORTED",
    a_state_miscounted: r"count\(\w+\) = \d+, but \d+ victims",
    escaped_victims_vanish: r"conservation",
    release_forgets_the_load: r"load \d+, but it holds \d+ victims",
    keeper_never_told: r"its controller does not hold it",
    ties_never_undone: r"ties between groups differ",
    arrested_stay_on_the_network: r"network: \d+ nodes, \d+ members",
    queue_forgets_refusals: r"support queue: \d+ queued, \d+ victims waiting",
    operations_end_without_a_word: r"NCA: \d+ operations on \d+ groups, \d+ marked targeted",
    dismantled_groups_keep_their_members: r"dismantled, yet has members",
    intelligence_fades_below_zero: r"intelligence: a negative file",
    detections_counted_twice: r"beliefs: a risk outside \[0, 1\]",
    members_counted_once_too_often: r"members at \w+: \d+ counted, \d+ in its active groups",
    retirement_uncounted: r"conservation: \d+ victims in the model and \d+ retired",
    unsupported_retired: r"retired victims in states other than RECOVERED and LEFT",
    succession_uncounted: r"the table of members by role is out of date",
}


@pytest.mark.parametrize("policy,targeting", [("baseline", "random"), ("strategy_2011", "central"),
                                              ("enforcement", "leader_first")])
def test_the_unbroken_model_passes_every_check_every_week(policy, targeting):
    model = checked_run(toy(*BUSY, f"policy={policy}", f"policy.enforcement.targeting={targeting}"))
    assert model.steps == 80
    for event in ("escaped", "retrafficked", "support_refused", "traffickers_arrested"):
        assert model.totals[event] > 0, event
    assert model.count(State.RECOVERED) > 0
    assert model.register.retired[State.LEFT] > 0  # past their risk window: released


@pytest.mark.parametrize("plant", PLANTED, ids=lambda f: f.__name__)
def test_a_planted_bug_is_caught(monkeypatch, plant):
    plant(monkeypatch)
    with pytest.raises(InvariantError, match=PLANTED[plant]):
        checked_run(toy(*BUSY))


# --- random valid worlds and levers ------------------------------------------------------------

SOURCES = ("east", "south", "home")
ENTRIES = ("port", "tunnel", "airport")


@st.composite
def worlds(draw):
    """A toy world with random group numbers and shapes, populations, border, NCA and care,
    including the extremes: no groups, certain detection, no funding, no NCA."""
    overrides = [f"world.sources.{s}.groups={draw(st.integers(0, 6))}" for s in SOURCES]
    overrides += [f"world.sources.{s}.population={draw(st.sampled_from([0, 50, 5000]))}"
                  for s in SOURCES]
    for e in ENTRIES:
        overrides.append(f"world.entry_points.{e}.detection_probability="
                         f"{draw(st.sampled_from([0.0, 0.3, 1.0]))}")
        overrides.append(f"world.entry_points.{e}.screening_capacity="
                         f"{draw(st.sampled_from([0.0, 5.0, 1e4]))}")
    overrides += [
        f"groups.controllers={draw(st.integers(1, 4))}",
        f"groups.span={draw(st.integers(1, 30))}",
        f"groups.succession={draw(st.sampled_from([0.0, 0.6, 1.0]))}",
        f"groups.replacement_rate={draw(st.sampled_from([0.0, 0.2, 1.0]))}",
        f"groups.broker_ties={draw(st.integers(0, 5))}",
        f"recruitment.rate={draw(st.sampled_from([0.0, 2.0, 20.0]))}",
        f"exploitation.leave={draw(st.sampled_from([0.0, 0.05, 1.0]))}",
        f"care.uptake={draw(st.sampled_from([0.0, 0.5, 1.0]))}",
        f"care.risk_weeks={draw(st.integers(0, 30))}",
        f"care.retrafficking_unsupported={draw(st.sampled_from([0.0, 0.05, 1.0]))}",
        f"policy.care.support_gbp={draw(st.sampled_from([0.0, 3e5, 1e8]))}",
        f"policy.care.training_gbp={draw(st.sampled_from([0.0, 1e7]))}",
        f"policy.enforcement.nca_units={draw(st.integers(0, 10))}",
        f"policy.enforcement.targeting="
        f"{draw(st.sampled_from(['random', 'largest', 'central', 'leader_first']))}",
        f"policy.international.intelligence_sharing={draw(st.sampled_from([0.0, 1.0]))}",
        f"policy.international.prevention_gbp={draw(st.sampled_from([0.0, 1e8]))}",
        f"burn_in_weeks={draw(st.integers(0, 15))}",
        "policy_weeks=25",
    ]
    return overrides, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_every_invariant_holds_every_week_in_random_worlds(world):
    overrides, seed = world
    cfg = toy(*overrides)
    assert checked_run(cfg, seed).steps == cfg.burn_in_weeks + cfg.policy_weeks
