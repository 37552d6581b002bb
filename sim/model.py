"""TraffickingModel: the world, and one week of trafficking and of the response to it."""

import math
from collections import Counter
from dataclasses import dataclass
from functools import partial
from operator import attrgetter

import numpy as np
from mesa import DataCollector, Model

from sim import metrics
from sim.agents import BorderCheckpoint, NCAUnit, Role, State, Trafficker, Victim
from sim.agents.nca import Intelligence
from sim.calendar import Calendar
from sim.config import EXPLOITATION_TYPES, Config, Policy, World, run_seed, validate
from sim.crime import ROLES, CrimeGroup, OrganisedCrime
from sim.history import History
from sim.justice import Justice
from sim.market import Market
from sim.nrm import NationalReferralMechanism
from sim.pillars import Levers, levers
from sim.register import Register
from sim.world import Path, route_network

LOAD = attrgetter("load")  # a crime group's victims in transit and exploitation


def cdf(weights: np.ndarray) -> np.ndarray:
    """The cumulative distribution of non-negative ``weights``, as numpy's ``choice`` forms it:
    ``cdf(w).searchsorted(u, side="right")`` for a uniform ``u`` is ``choice(len(w), p=w/sum)``
    draw for draw."""
    p = np.cumsum(weights / weights.sum())
    p /= p[-1]
    return p


def exploitation_cdf(world: World, source_name: str, region: str) -> np.ndarray:
    """The distribution of exploitation types recruited at a source for a region: supply times
    demand, or supply alone where the two do not meet."""
    source, demand = world.sources[source_name], world.regions[region].demand
    weights = np.array([source.exploitation.get(t, 0) * demand.get(t, 0)
                        for t in EXPLOITATION_TYPES])
    if weights.sum() <= 0:
        weights = np.array([source.exploitation.get(t, 0) for t in EXPLOITATION_TYPES])
    return cdf(weights)


class RunStopped(RuntimeError):
    """The run cannot go on (its population exploded); the weeks so far are in the model."""


@dataclass
class Consignment:
    """Victims a group moves together: one crossing at the entry point of their path."""

    group: CrimeGroup
    victims: list[Victim]
    path: Path
    transporter: Trafficker


class TraffickingModel(Model):
    """People trafficked into and within the UK, and the four pillars of the 2011 strategy.

    ``TraffickingModel(rng=1)`` builds the default world (``uk_2011``) under the baseline
    policy; pass a :class:`sim.config.Config` (as Hydra composes it) to choose another. Without
    ``rng`` the seed comes from the config's ``seed`` and ``replication``.
    One step is one week (Mesa's ``steps`` counts them). The status-quo policy (the schema's
    defaults) runs for ``burn_in_weeks``; the config's policy is in force from the week after.

    The parts: ``register`` (victims by state), ``calendar`` (what falls due when), ``crime``
    (crime groups and their network, :mod:`sim.crime`), ``intelligence`` (the NCA's files),
    ``justice`` (charges, verdicts, custody, deterrence), ``nrm`` (referral and support),
    ``market`` (prices and margins, under ``groups.recruitment: market``), ``checkpoints`` and
    the NCA units (agents), and ``levers`` (what the policy in force buys, :mod:`sim.pillars`).
    ``tally`` counts this week's events.
    """

    def __init__(self, config: Config | None = None, *, rng: int | None = None):
        if config is None:
            from sim.settings import load_config

            config = load_config()
        cfg = validate(config)
        super().__init__(rng=run_seed(cfg) if rng is None else rng)
        self.history = History(cfg)  # the world's dated events, applied to its own copy
        self.cfg = cfg = self.history.cfg
        self.policy_week = cfg.burn_in_weeks + 1
        self.routes = route_network(cfg.world, cfg.routes.paths)
        self.entry_index = {e: i for i, e in enumerate(self.routes.entries)}
        self.options, self.option_row = self.routes.options(cfg.routes.week_gbp)
        self.pair = {key: i for i, key in enumerate(self.routes.paths)}  # (source, region)
        self.exploitation = np.stack([exploitation_cdf(cfg.world, source, region)
                                      for source, region in self.pair])
        self.register = Register()
        self.calendar = Calendar()
        self.tally: Counter = Counter()  # events of the current week
        self.totals: Counter = Counter()  # events since the start
        self.victims_created = 0
        self.nrm = NationalReferralMechanism(self)
        self.intelligence = Intelligence()
        self.justice = Justice(self)
        self.crime = OrganisedCrime(self)
        self.year, self.exploited_in_year = -1, 0  # distinct victims exploited this year

        self.levers: Levers = levers(cfg, Policy())
        self.awareness = dict(self.levers.awareness)
        self.population = {n: float(s.population) for n, s in cfg.world.sources.items()}
        self.checkpoints = {name: BorderCheckpoint(self, name, spec)
                            for name, spec in cfg.world.entry_points.items()}
        for source, spec in cfg.world.sources.items():
            for _ in range(spec.groups):
                self.stock(self.crime.found(source))
        self.market = Market(self) if cfg.groups.recruitment == "market" else None
        # what each region's exploiters want held (demand recruitment): the places of its
        # groups at the start
        self.demand = {r: 0 for r in cfg.world.regions} | dict(self.crime.places())
        self.tally.clear()
        self.apply(Policy() if cfg.burn_in_weeks else cfg.policy)
        self.row = metrics.observe(self)
        self.datacollector = DataCollector(
            model_reporters={name: partial(metrics.column, name) for name in self.row})

    # --- one week --------------------------------------------------------------------------

    def step(self) -> None:
        self.tally.clear()
        if (self.steps - 1) // 52 != self.year:
            self.new_year()
        self.history.week(self)
        if self.steps == self.policy_week and self.cfg.burn_in_weeks:
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
        self.justice.week()
        self.escape()
        self.nrm.recover_unsupported()
        self.end_risk_windows()
        self.retraffick()
        self.crime.learn_routes()
        self.crime.fill_vacancies()
        self.share_intelligence()
        if self.market is None:
            self.crime.reform()
        else:
            self.market.week()
        self.renew_populations()
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

    def share_intelligence(self) -> None:
        """The NCA's files fade; partners share intelligence on active foreign groups."""
        cfg = self.cfg
        self.intelligence.week(cfg.enforcement.intel_decay,
                               self.levers.sharing * cfg.international.sharing_intel,
                               self.crime.abroad.view)

    # --- recruitment and travel ------------------------------------------------------------

    def recruit(self) -> None:
        """Each group recruits Poisson(recruiters x rate x vulnerability x (1 - awareness) x
        share of population left x deterrence x drive) people at its source a week. The drive
        depends on ``groups.recruitment``: the group's spare share of capacity (``capacity``),
        its region's unmet demand (``demand``), its region's profit margin (``market``) or a
        steady ``recruitment.drive`` (``unconstrained``)."""
        cfg = self.cfg
        fear = {n: self.justice.perceived_risk(n) for n in cfg.world.sources}
        reach = {n: s.vulnerability * (1 - self.awareness[n]) * self.population[n] / s.population
                 * math.exp(-cfg.justice.deterrence * fear[n]) if s.population else 0.0
                 for n, s in cfg.world.sources.items()}
        by_region = self.drives()
        crime = self.crime
        staff = crime.staff.view
        active = np.flatnonzero(crime.live.view & (staff[:, ROLES.index(Role.TRANSPORTER)] > 0))
        if not len(active):
            return
        if by_region is None:
            places = staff[active, ROLES.index(Role.CONTROLLER)] * cfg.groups.span
            held = np.fromiter(map(LOAD, map(crime.groups.__getitem__, active.tolist())),
                               dtype=float, count=len(active))
            drive = np.where(places > 0, np.maximum(0.0, 1 - held / np.maximum(places, 1)), 0.0)
        else:
            by_index = np.array([by_region[r] for r in cfg.world.regions])
            drive = by_index[crime.region_of.view[active]]
        reached = np.array(list(reach.values()))[crime.source_of.view[active]]
        mean = staff[active, ROLES.index(Role.RECRUITER)] * reached * drive * cfg.recruitment.rate
        counts = self.rng.poisson(mean)
        recruiting: list[tuple[CrimeGroup, int]] = []
        for i in np.flatnonzero(counts):
            group = crime.groups[active[i]]
            n = min(int(counts[i]), int(self.population[group.source]))
            if n:
                self.population[group.source] -= n
                recruiting.append((group, n))
        if recruiting:
            self.send(recruiting, fear)
        if by_region is not None:
            crime.grow([crime.groups[i] for i in active])

    def drives(self) -> dict[str, float] | None:
        """The drive to recruit of the groups of each region, where it is the same for all of
        them (None under ``capacity``, where each group's own spare capacity drives it)."""
        mechanism = self.cfg.groups.recruitment
        if self.market is not None:
            return self.market.margins()
        if mechanism == "unconstrained":
            return dict.fromkeys(self.cfg.world.regions, self.cfg.recruitment.drive)
        if mechanism == "demand":
            held = self.crime.held()
            return {r: max(0.0, 1 - held[r] / d) if d else 0.0 for r, d in self.demand.items()}
        return None

    def renew_populations(self) -> None:
        """The people at risk at each source grow back towards their initial number."""
        renewal = self.cfg.recruitment.renewal
        for source, spec in self.cfg.world.sources.items():
            self.population[source] += renewal * (spec.population - self.population[source])

    def send(self, recruiting: list[tuple[CrimeGroup, int]], fear: dict[str, float]) -> None:
        """The people each group recruited this week, sent on their way together. The random
        draws are made for all groups at once, in the order one group at a time would make
        them: two for each person (kind of exploitation, minor), then one for the route."""
        sizes = np.array([n for _, n in recruiting])
        draws = self.rng.random(int(2 * sizes.sum() + len(sizes)))
        route_draws = np.cumsum(2 * sizes + 1) - 1
        people = np.delete(draws, route_draws).reshape(-1, 2)
        groups = [g for g, _ in recruiting]
        paths = self.choose_routes(groups, draws[route_draws], fear)
        for (group, victims), path in zip(self.new_victims(recruiting, people), paths,
                                          strict=True):
            self.dispatch(group, victims, path)

    def new_victims(self, recruiting: list[tuple[CrimeGroup, int]],
                    draws: np.ndarray) -> list[tuple[CrimeGroup, list[Victim]]]:
        """The people each group recruits, a row of two uniform ``draws`` each: the kind of
        exploitation, from what the source supplies and the group's region demands, and
        whether a minor, at the source's share."""
        sizes = [n for _, n in recruiting]
        whose = np.repeat(np.arange(len(recruiting)), sizes)
        kinds = self.exploitation[[self.pair[g.source, g.region] for g, _ in recruiting]]
        shares = np.array([self.cfg.world.sources[g.source].minor_share for g, _ in recruiting])
        kind = (kinds[whose] <= draws[:, :1]).sum(axis=1).tolist()
        minor = (draws[:, 1] < shares[whose]).tolist()
        made, start = [], 0
        for group, n in recruiting:
            made.append((group, [Victim(self, group.source, minor[i], EXPLOITATION_TYPES[kind[i]],
                                        group) for i in range(start, start + n)]))
            start += n
            group.load += n
        self.victims_created += start
        self.tally["recruited"] += start
        return made

    def stock(self, group: CrimeGroup) -> None:
        """A group of the starting world holds ``initial_fill`` of its capacity in exploitation."""
        n = round(self.cfg.recruitment.initial_fill * group.capacity)
        if n:
            for victim in self.new_victims([(group, n)], self.rng.random((n, 2)))[0][1]:
                self.take(victim, group)

    def choose_routes(self, groups: list[CrimeGroup], draws: np.ndarray,
                      fear: dict[str, float]) -> list[Path]:
        """The route each group sends its recruits on, one uniform draw each: cheaper, quicker
        and safer routes are likelier (a logit choice on money, time and learned detection
        risk, the loss of a detection feared more as convictions at the source, ``fear``,
        mount). Groups with as many candidate routes are priced together."""
        r = self.cfg.routes
        chosen: list[Path | None] = [None] * len(groups)
        alike: dict[int, tuple[list[int], list[int]]] = {}  # by number of candidates
        for i, g in enumerate(groups):
            n, row = self.option_row[g.source, g.region]
            members, rows = alike.setdefault(n, ([], []))
            members.append(i)
            rows.append(row)
        for n, (members, rows) in alike.items():
            options = self.options[n]
            risk = self.crime.beliefs.risk[[groups[i].index for i in members]]
            loss = r.loss_gbp * (1 + self.cfg.justice.deterrence
                                 * np.array([fear[groups[i].source] for i in members]))
            cost = options.fixed_gbp[rows] + np.where(
                options.crossing[rows],
                loss[:, None] * np.take_along_axis(risk, options.entry[rows], axis=1), 0.0)
            weight = np.exp(-(cost - cost.min(axis=1, keepdims=True)) / r.scale_gbp)
            p = np.cumsum(weight / weight.sum(axis=1, keepdims=True), axis=1)
            p /= p[:, -1:]
            picks = (p <= draws[members, None]).sum(axis=1).tolist()
            for i, row, k in zip(members, rows, picks, strict=True):
                chosen[i] = options.paths[row][k]
        return chosen  # type: ignore[return-value]

    def dispatch(self, group: CrimeGroup, victims: list[Victim], path: Path) -> None:
        """Victims leave with one of the group's transporters along ``path``."""
        transporter = self.random.choice(group.members[Role.TRANSPORTER])
        for v in victims:
            self.register.move(v, State.IN_TRANSIT)
        trip = Consignment(group, victims, path, transporter)
        if path.entry:
            self.calendar.add(self.steps + path.weeks_to_entry, "cross", trip)
        else:
            self.calendar.add(self.steps + path.weeks, "arrive", trip)

    def travel(self) -> None:
        """Consignments due at their entry point this week join its checkpoint's crossings."""
        for trip in self.calendar.pop(self.steps, "cross"):
            self.checkpoints[trip.path.entry].arrivals.append(trip)

    def crossed(self, trip: Consignment, entry: str, detected: bool) -> None:
        """A crossing at ``entry``: detected, its victims are identified and its transporter
        may be arrested; otherwise it travels on to its region."""
        group = trip.group
        self.tally[f"crossings_{entry}"] += 1
        if self.cfg.routes.learning == "learned":
            self.crime.beliefs.record(group.index, self.entry_index[entry], detected)
        if not detected:
            self.calendar.add(self.steps + trip.path.weeks_after_entry, "arrive", trip)
            return
        self.tally[f"detections_{entry}"] += 1
        if group.active:
            self.intelligence.add(group, self.cfg.border.intel_per_detection)
        for v in trip.victims:
            self.identify_victim(v, "border")
        if (group.active and trip.transporter in self.crime.network
                and self.random.random() < self.cfg.border.transporter_arrest):
            self.crime.arrest(trip.transporter, channel="border")

    def arrive(self) -> None:
        """Consignments reaching their region pass into the hands of a group member."""
        for trip in self.calendar.pop(self.steps, "arrive"):
            group = trip.group
            for v in trip.victims:
                if v.state is not State.IN_TRANSIT:
                    continue
                if not group.active:  # the group fell apart on the way: they get away
                    self.escape_unidentified(v)
                    continue
                self.take(v, group)

    def take(self, victim: Victim, group: CrimeGroup) -> None:
        """Into exploitation, held by the group's least-loaded controller."""
        keeper = group.keeper()
        victim.group, victim.controller = group, keeper
        keeper.victims[victim] = None
        self.register.move(victim, State.EXPLOITED, (victim.exploitation, victim.minor))
        if victim.counted_year != self.year:
            victim.counted_year = self.year
            self.exploited_in_year += 1

    def new_year(self) -> None:
        """A calendar year of 52 weeks begins: everyone exploited now is exploited in it."""
        self.year = (self.steps - 1) // 52
        self.exploited_in_year = 0
        for _, pool in self.register.pools_of(State.EXPLOITED):
            for v in pool:
                v.counted_year = self.year
            self.exploited_in_year += len(pool)

    # --- exploitation and identification ---------------------------------------------------

    def exploit(self) -> None:
        """A week of exploitation: revenue to the groups, victim-weeks of harm."""
        revenue = self.cfg.groups.revenue_gbp
        for (kind, _), pool in self.register.pools_of(State.EXPLOITED):
            self.tally["revenue_gbp"] += len(pool) * revenue[kind]  # type: ignore[assignment]
            self.tally["exploitation_weeks"] += len(pool)

    def identify(self) -> None:
        """First responders identify exploited victims at a weekly hazard by exploitation type,
        higher for minors, raised by training (pillar 4)."""
        e = self.cfg.exploitation
        gain = self.levers.identification_gain
        for (kind, minor), pool in self.register.pools_of(State.EXPLOITED):
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
            self.intelligence.add(group, self.cfg.enforcement.intel_per_account)
        self.nrm.refer(victim)

    def release(self, victim: Victim) -> None:
        """The victim is no longer held by their group."""
        if victim.controller is not None:
            del victim.controller.victims[victim]
            victim.controller = None
        if victim.state in (State.IN_TRANSIT, State.EXPLOITED):
            victim.group.load -= 1

    # --- leaving exploitation, and going back ----------------------------------------------

    def escape(self) -> None:
        """Victims escape exploitation, or are moved on, unidentified."""
        leave = self.cfg.exploitation.leave
        for _, pool in self.register.pools_of(State.EXPLOITED):
            for v in pool.sample(self.rng, self.rng.binomial(len(pool), leave)):
                self.escape_unidentified(v)
                self.tally["escaped"] += 1

    def escape_unidentified(self, victim: Victim) -> None:
        """Out of the group's hands without being identified."""
        self.release(victim)
        self.leave(victim)

    def leave(self, victim: Victim) -> None:
        """Out of the groups' hands unidentified: back in their community, at risk of being
        trafficked again for ``care.risk_weeks``."""
        self.register.move(victim, State.LEFT, "at_risk")
        self.calendar.book(self.steps + self.cfg.care.risk_weeks, "risk_end", victim)

    def end_risk_windows(self) -> None:
        """Survivors past their re-trafficking window (recovered or left) are safe: they
        stay in their state for good and are retired from the register."""
        for victim in self.calendar.due(self.steps, "risk_end", State.RECOVERED, State.LEFT):
            self.register.retire(victim)

    def survivors_at_risk(self) -> list:
        """(pool, weekly hazard) of every group of survivors who can be re-trafficked."""
        care, pool = self.cfg.care, self.register.pool
        return [(pool(State.UNSUPPORTED), care.retrafficking_unsupported),
                (pool(State.RECOVERED, True), care.retrafficking_supported),
                (pool(State.RECOVERED, False), care.retrafficking_unsupported),
                (pool(State.LEFT, "at_risk"), care.retrafficking_unidentified)]

    def retraffick(self) -> None:
        """Survivors may be trafficked again while at risk: identified victims less often if
        they were supported; those who left unidentified as often as the unsupported."""
        spare: dict[str, list[CrimeGroup]] = {}  # by origin, the groups with places to fill
        for victims, hazard in self.survivors_at_risk():
            for v in victims.sample(self.rng, self.rng.binomial(len(victims), hazard)):
                self.retake(v, spare)

    def retake(self, victim: Victim, spare: dict[str, list[CrimeGroup]]) -> None:
        """Taken back into exploitation by a group recruiting among people of their origin:
        one with spare capacity if there is one (``spare``, kept up to date this week), else
        any."""
        groups = self.crime.active_at[victim.origin]
        if victim.origin not in spare:
            spare[victim.origin] = [g for g in groups if g.load < g.capacity]
        free = spare[victim.origin]
        choice = free or groups
        if not choice:
            return
        group = choice[self.rng.integers(len(choice))]
        group.load += 1
        if free and group.load >= group.capacity:
            free.remove(group)
        victim.times_trafficked += 1
        victim.supported = False
        self.take(victim, group)
        self.tally["retrafficked"] += 1

    # --- bookkeeping -----------------------------------------------------------------------

    def nca_units(self) -> list[NCAUnit]:
        return list(self.agents_by_type.get(NCAUnit, []))

    def count(self, state: State) -> int:
        return self.register.count(state)

    def record(self) -> None:
        self.totals.update(self.tally)  # before observing: the row reads running totals too
        self.row = metrics.observe(self)
        self.datacollector.collect(self)
        if self.victims_created > self.cfg.max_victims:
            raise RunStopped(f"the population exploded: {self.victims_created:,} victims "
                             f"recruited by week {self.steps} (max_victims = "
                             f"{self.cfg.max_victims:,}); lower the recruitment or raise "
                             "max_victims")
