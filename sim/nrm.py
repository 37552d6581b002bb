"""The National Referral Mechanism and victim support (pillar 4): decisions, places, queue."""

from collections import deque

from sim.agents.victim import State


class NationalReferralMechanism:
    """Reasonable-grounds (RG) decisions after ``rg_weeks``; conclusive-grounds (CG) decisions
    at least ``cg_min_weeks`` later, ``cg_capacity`` a week (a backlog forms when referrals
    outrun it). RG-positive victims who want support queue for a funded place; those who wait
    longer than ``max_queue_weeks`` go without."""

    def __init__(self, model):
        self.model = model
        self.queue = deque()  # victims waiting for a support place, oldest first
        self.backlog = deque()  # (week eligible for CG, victim), oldest first
        self.cg_credit = 0.0

    def refer(self, victim) -> None:
        """An identified victim is referred, if a minor or a consenting adult."""
        m = self.model
        if not victim.minor and m.random.random() >= m.cfg.care.adult_referral:
            victim.nrm = "not_referred"
            m.go_unsupported(victim)
            return
        victim.nrm = "referred"
        victim.enter(State.IDENTIFIED, m.pool(State.IDENTIFIED))
        m.agenda[m.week + m.cfg.care.rg_weeks, "rg"].append((victim, victim.since))
        m.tally["nrm_referrals"] += 1

    def decide(self) -> None:
        m, care = self.model, self.model.cfg.care
        for victim in m.due("rg", State.IDENTIFIED):
            m.tally["rg_decisions"] += 1
            if m.random.random() >= care.rg_positive:
                victim.nrm = "rg_negative"
                m.go_unsupported(victim)
                continue
            m.tally["rg_positive"] += 1
            victim.nrm = "rg_positive"
            self.backlog.append((m.week + care.cg_min_weeks, victim))
            if m.random.random() < care.uptake:
                victim.enter(State.SUPPORT_QUEUE, m.pool(State.SUPPORT_QUEUE))
                self.queue.append(victim)
            else:
                m.go_unsupported(victim)
        self.cg_credit += care.cg_capacity
        while self.backlog and self.backlog[0][0] <= m.week and self.cg_credit >= 1:
            _, victim = self.backlog.popleft()
            self.cg_credit -= 1
            m.tally["cg_decisions"] += 1
            if m.random.random() < care.cg_positive:
                victim.nrm = "cg_positive"
                m.tally["cg_positive"] += 1
            else:
                victim.nrm = "cg_negative"
        if not self.backlog or self.backlog[0][0] > m.week:
            self.cg_credit = min(self.cg_credit, care.cg_capacity)

    def support(self) -> None:
        """End stays that are over, then fill free places from the queue, oldest first."""
        m, care = self.model, self.model.cfg.care
        for victim in m.due("support_end", State.IN_SUPPORT):
            m.recover(victim)
        free = m.levers.support_places - len(m.pool(State.IN_SUPPORT))
        while self.queue and free > 0:
            victim = self.queue.popleft()
            victim.supported = True
            victim.enter(State.IN_SUPPORT, m.pool(State.IN_SUPPORT))
            m.agenda[m.week + care.stay_weeks, "support_end"].append((victim, victim.since))
            m.tally["support_admissions"] += 1
            free -= 1
        while self.queue and m.week - self.queue[0].since >= care.max_queue_weeks:
            m.tally["support_refused"] += 1
            m.go_unsupported(self.queue.popleft())
