"""The weekly calendar: what falls due in a given week, kept in per-week buckets.

Kinds of entry: ``cross`` and ``arrive`` (consignments reaching their entry point or their
region), ``rg`` (a reasonable-grounds decision), ``support_end``, ``unsupported_end`` and
``risk_end`` (the ends of a stay, of recovery without support, of the re-trafficking window).
Nothing is polled: each week pops its own buckets.
"""

from collections import defaultdict


class Calendar:
    def __init__(self):
        self.buckets: defaultdict[tuple[int, str], list] = defaultdict(list)

    def add(self, week: int, kind: str, item) -> None:
        self.buckets[week, kind].append(item)

    def pop(self, week: int, kind: str) -> list:
        """Everything of ``kind`` due in ``week``, in the order it was added (then forgotten)."""
        return self.buckets.pop((week, kind), [])

    def book(self, week: int, kind: str, victim) -> None:
        """A victim's ``kind`` event in ``week``, valid only if they are still where they are
        now (see :meth:`due`)."""
        self.add(week, kind, (victim, victim.since))

    def due(self, week: int, kind: str, *states) -> list:
        """Victims whose ``kind`` event falls in ``week`` and who are still in (one of)
        ``states``, in the spell it was booked in."""
        return [v for v, since in self.pop(week, kind) if v.state in states and v.since == since]
