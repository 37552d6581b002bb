"""Arrays by crime group that gain a row whenever a group is founded, in amortised constant
time (the storage doubles when full): ``rows.view`` is the live part, a numpy view."""

import numpy as np


class Rows:
    def __init__(self, *width: int, fill: float | bool = 0.0, dtype=float):
        self.fill = fill
        self.data = np.full((16, *width), fill, dtype=dtype)
        self.n = 0

    def append(self) -> None:
        """One more row, set to ``fill``."""
        if self.n == len(self.data):
            grown = np.full((2 * self.n, *self.data.shape[1:]), self.fill, dtype=self.data.dtype)
            grown[:self.n] = self.data
            self.data = grown
        self.n += 1

    @property
    def view(self) -> np.ndarray:
        return self.data[:self.n]
