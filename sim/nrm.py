"""The National Referral Mechanism and victim support (pillar 4): referral, decisions, support
places and their queue, and the care pathway of identified victims to recovery."""

from collections import deque

from sim.agents.victim import State, Victim


class NationalReferralMechanism:
    """Reasonable-grounds (RG) decisions after ``rg_weeks``; conclusive-grounds (CG) decisions
    at least ``cg_min_weeks`` later, ``cg_capacity`` a week (a backlog forms when referrals
    outrun it). RG-positive victims who want support queue for a funded place; those who wait
    longer than ``max_queue_weeks`` go without. Victims leave support (or recovery without
    it) after ``stay_weeks`` and are at risk of re-trafficking for ``risk_weeks`` more."""

    def __init__(self, model):
        self.model = model
        self.queue: deque[Victim] = deque()  # waiting for a support place, oldest first
        self.backlog: deque[tuple[int, Victim]] = deque()  # (week eligible for CG, victim)
        self.cg_credit = 0.0

    def refer(self, victim: Victim) -> None:
        """An identified victim is referred, if a minor or a consenting adult."""
        m = self.model
        if not victim.minor and m.random.random() >= m.cfg.care.adult_referral:
            victim.nrm = "not_referred"
            self.go_without_support(victim)
            return
        victim.nrm = "referred"
        m.register.move(victim, State.AWAITING_RG)
        m.calendar.book(m.steps + m.cfg.care.rg_weeks, "rg", victim)
        m.tally["nrm_referrals"] += 1
        m.tally["nrm_referrals_minor"] += victim.minor
        m.tally["nrm_referrals_domestic"] += m.cfg.world.sources[victim.origin].domestic
        m.tally[f"nrm_referrals_type_{victim.exploitation}"] += 1
        m.tally[f"nrm_referrals_source_{victim.origin}"] += 1

    def decide(self) -> None:
        """This week's RG decisions, then as many CG decisions as capacity allows."""
        m, care = self.model, self.model.cfg.care
        for victim in m.calendar.due(m.steps, "rg", State.AWAITING_RG):
            m.tally["rg_decisions"] += 1
            if m.random.random() >= care.rg_positive:
                victim.nrm = "rg_negative"
                self.go_without_support(victim)
                continue
            m.tally["rg_positive"] += 1
            victim.nrm = "rg_positive"
            self.backlog.append((m.steps + care.cg_min_weeks, victim))
            if m.random.random() < care.uptake:
                m.register.move(victim, State.SUPPORT_QUEUE)
                self.queue.append(victim)
            else:
                self.go_without_support(victim)
        self.cg_credit += care.cg_capacity
        while self.backlog and self.backlog[0][0] <= m.steps and self.cg_credit >= 1:
            _, victim = self.backlog.popleft()
            self.cg_credit -= 1
            m.tally["cg_decisions"] += 1
            if m.random.random() < care.cg_positive:
                victim.nrm = "cg_positive"
                m.tally["cg_positive"] += 1
            else:
                victim.nrm = "cg_negative"
        if not self.backlog or self.backlog[0][0] > m.steps:
            self.cg_credit = min(self.cg_credit, care.cg_capacity)

    def support(self) -> None:
        """End stays that are over, then fill free places from the queue, oldest first."""
        m, care = self.model, self.model.cfg.care
        for victim in m.calendar.due(m.steps, "support_end", State.IN_SUPPORT):
            self.recover(victim)
        free = m.levers.support_places - len(m.register.pool(State.IN_SUPPORT))
        while self.queue and free > 0:
            victim = self.queue.popleft()
            victim.supported = True
            m.register.move(victim, State.IN_SUPPORT)
            m.calendar.book(m.steps + care.stay_weeks, "support_end", victim)
            m.tally["support_admissions"] += 1
            free -= 1
        while self.queue and m.steps - self.queue[0].since >= care.max_queue_weeks:
            m.tally["support_refused"] += 1
            self.go_without_support(self.queue.popleft())

    def go_without_support(self, victim: Victim) -> None:
        """Identified, without a place (not referred, refused, declined or tired of waiting):
        they recover on their own after ``stay_weeks``."""
        m = self.model
        m.register.move(victim, State.UNSUPPORTED)
        m.tally["went_unsupported"] += 1
        m.calendar.book(m.steps + m.cfg.care.stay_weeks, "unsupported_end", victim)

    def recover(self, victim: Victim) -> None:
        """Out of care, at risk of re-trafficking for ``risk_weeks`` (less if supported)."""
        m = self.model
        m.register.move(victim, State.RECOVERED, victim.supported)
        m.calendar.book(m.steps + m.cfg.care.risk_weeks, "risk_end", victim)

    def recover_unsupported(self) -> None:
        """Recovery without support ends."""
        m = self.model
        for victim in m.calendar.due(m.steps, "unsupported_end", State.UNSUPPORTED):
            self.recover(victim)
