"""Recruitment by expected profit, and groups that enter and leave (``groups.recruitment:
market``), the alternative to a fixed capacity that refills.

Each UK region is a market for exploitation. Its price multiplier falls as the victims held
there outgrow the number held at the start (the reference), and what a recruit is worth rises
with the time a victim can be exploited before being identified or getting away, 1 / h, where
h is the weekly hazard of leaving exploitation that groups observe (a fading average of the
share of exploited victims who leave it each week, starting at h0 = ``reference_hazard``,
what it is in uk_2011 under the status quo):

    price_r  = min(max_price, (reference_r / held_r) ^ (1 / price_elasticity))
    value_r  = price_r x h0 / h
    margin_g = max(0, 1 - cost_share / value_r)          for a group based in region r

A group recruits in proportion to its margin (at the reference value, 1 - cost_share, as a
group with that share of its capacity spare would under ``capacity``) and hires a controller
whenever its victims outgrow its controllers. The number of groups a source's market
supports follows its margins: target_s = starting groups x mean margin / reference margin.
Below the target, each missing group enters with probability 1 / ``groups.reformation_weeks``
a week (in a region drawn by demand times margin); above it, each group leaves with
probability (active - target) / active / ``exit_weeks`` a week, and its victims get away.
Neither the number of groups nor the stock of victims is pinned to its starting size.
"""

from sim.agents.victim import State

MEMORY = 0.98  # weekly fading of the observed hazard of losing a victim


class Market:
    def __init__(self, model):
        self.model = model
        self.reference = model.crime.held()
        self.floor = max(1.0, sum(self.reference.values()) / max(1, len(self.reference)))
        self.hazard = model.cfg.market.reference_hazard

    def margins(self) -> dict[str, float]:
        """The profit margin of a group based in each region, at this week's prices."""
        mk = self.model.cfg.market
        held = self.model.crime.held()
        margins = {}
        for region in self.model.cfg.world.regions:
            ref = self.reference.get(region) or self.floor
            price = min(mk.max_price, (ref / max(held[region], 1)) ** (1 / mk.price_elasticity))
            value = (price * mk.reference_hazard / self.hazard if self.hazard > 0
                     else mk.max_price)
            margins[region] = max(0.0, 1 - mk.cost_share / value)
        return margins

    def observe(self) -> None:
        """Groups see how many exploited victims they lost this week."""
        m = self.model
        held = m.count(State.EXPLOITED)
        if held:
            lost = (m.tally["identified_first_responder"] + m.tally["identified_nca"]
                    + m.tally["escaped"]) / held
            self.hazard = MEMORY * self.hazard + (1 - MEMORY) * lost

    def week(self) -> None:
        """Groups learn this week's losses, then enter sources where margins are high and
        leave where they are low."""
        self.observe()
        m, mk = self.model, self.model.cfg.market
        reference = 1 - mk.cost_share
        if reference <= 0:
            return
        margins = self.margins()
        for source, spec in m.cfg.world.sources.items():
            groups = list(m.crime.active_at[source])
            here = [margins[g.region] for g in groups] or [reference]
            target = spec.groups * sum(here) / len(here) / reference
            if len(groups) > target:
                leave = (len(groups) - target) / len(groups) / mk.exit_weeks
                for g in groups:
                    if m.random.random() < leave:
                        m.crime.dissolve(g)
                        m.tally["groups_exited"] += 1
                continue
            missing = int(target - len(groups))
            for _ in range(m.rng.binomial(missing, 1 / m.cfg.groups.reformation_weeks)):
                m.crime.found(source, appeal=margins)
                m.tally["groups_formed"] += 1
