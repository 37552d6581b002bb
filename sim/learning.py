"""What crime groups believe about the risk of each entry point, learned from detections.

Each group remembers its crossings and detections at every entry point, fading with ``memory``
a week, and hears of those of the groups it is tied to (weight ``social_learning``). Its belief
is the posterior mean of a Beta prior of weight ``prior_weight`` around ``prior_risk``::

    risk[g, e] = (w0 r0 + D[g, e] + s (A D)[g, e]) / (w0 + N[g, e] + s (A N)[g, e])

This is NarcoLogic's rule (Magliocca et al. 2019) with a stated prior. Tightening one entry
point raises the beliefs of the groups using it, and their flows move elsewhere.
"""

import numpy as np
from scipy import sparse

from sim.rows import Rows


class RiskBeliefs:
    def __init__(self, n_entries: int, params):
        self.p = params
        self.events = {"crossings": Rows(n_entries), "detections": Rows(n_entries),
                       "risk": Rows(n_entries, fill=params.prior_risk)}

    @property
    def crossings(self) -> np.ndarray:
        return self.events["crossings"].view

    @property
    def detections(self) -> np.ndarray:
        return self.events["detections"].view

    @property
    def risk(self) -> np.ndarray:
        """Believed detection risk by group (row) and entry point (column)."""
        return self.events["risk"].view

    def add_group(self) -> None:
        for rows in self.events.values():
            rows.append()

    def record(self, group: int, entry: int, detected: bool) -> None:
        self.crossings[group, entry] += 1
        self.detections[group, entry] += detected

    def update(self, ties: sparse.csr_array) -> None:
        """Recompute beliefs from remembered events, then let memories fade a week."""
        p = self.p
        heard_n = p.social_learning * (ties @ self.crossings)
        heard_d = p.social_learning * (ties @ self.detections)
        self.risk[:] = (p.prior_weight * p.prior_risk + self.detections + heard_d) / (
            p.prior_weight + self.crossings + heard_n)
        self.crossings[:] *= p.memory
        self.detections[:] *= p.memory
