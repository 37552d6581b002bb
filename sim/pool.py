"""An unordered collection with O(1) add, remove and uniform sampling without replacement.

Each member remembers its slot, so the model can move a victim between states in constant time
and draw the victims an event touches straight from the model's generator.
"""

import numpy as np


class Pool:
    __slots__ = ("items",)

    def __init__(self):
        self.items = []

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def add(self, item):
        item.slot = len(self.items)
        item.pool = self
        self.items.append(item)

    def remove(self, item):
        last = self.items.pop()
        if last is not item:
            self.items[item.slot] = last
            last.slot = item.slot
        item.pool = None

    def sample(self, rng: np.random.Generator, k: int) -> list:
        """k members drawn uniformly without replacement (a list, safe to move them after)."""
        n = len(self.items)
        if k >= n:
            return list(self.items)
        if k <= 0:  # no draw: numpy's choice of none takes nothing from the generator either
            return []
        return [self.items[i] for i in rng.choice(n, size=k, replace=False)]
